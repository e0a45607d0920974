//! The `timewarp` command line as a library: one module per sub-command ([`commands`]: flags,
//! config merging, calls into the crates that own the logic), the TOML configuration
//! ([`config`]), progress bars ([`progress`]) and the `timewarp run` pipeline ([`pipeline`]),
//! so that the pipeline can be tested without launching the binary.

pub mod commands;
pub mod config;
pub mod pipeline;
pub mod progress;

/// An error and its causes on one line, `context: cause: cause`, as `{:#}` prints it but
/// without a cause that the message before it already ends with (an error whose message
/// includes its source would otherwise be printed twice: `x: not a folder: not a folder`).
pub fn error_message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_message_does_not_repeat_a_cause() {
        let io = std::io::Error::other("no such folder");
        #[derive(Debug)]
        struct WithSource(std::io::Error);
        impl std::fmt::Display for WithSource {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "x: {}", self.0)
            }
        }
        impl std::error::Error for WithSource {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e =
            anyhow::Error::new(WithSource(io)).context("--samples: not a folder with trajectories");
        assert_eq!(
            super::error_message(&e),
            "--samples: not a folder with trajectories: x: no such folder"
        );
    }
}
