//! One flat TOML section read into two structs: the [`ChainSettings`] that sampling and
//! exploration share, and the command's own settings.
//!
//! serde's `#[serde(flatten)]` would do the split, but it cannot refuse unknown keys: it cannot
//! be combined with `deny_unknown_fields`, and `serde_ignored` does not see the keys a flattened
//! struct leaves over (dtolnay/serde-ignored#10) — a misspelt `stepz = 5` would run 10 000 steps
//! without a word. So the section is read as a generic table and each key goes to the part that
//! knows it; a key neither knows is an error that names it. The parts' key sets are the keys
//! their defaults serialise to, so no list of names is written twice.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::ChainSettings;

/// Deserialises a flat table into [`ChainSettings`] and the command's own settings `O`, each
/// missing key taking its value from `defaults`. Unknown keys and values of the wrong type are
/// errors that name the key.
pub(super) fn split_flat<'de, D, O>(
    deserializer: D,
    defaults: (ChainSettings, O),
) -> Result<(ChainSettings, O), D::Error>
where
    D: Deserializer<'de>,
    O: Serialize + DeserializeOwned,
{
    let given = match Value::deserialize(deserializer)? {
        Value::Object(m) => m,
        other => {
            return Err(D::Error::custom(format!(
                "expected a table of settings, got {other}"
            )))
        }
    };
    let mut chain = Part::new(&defaults.0).map_err(D::Error::custom)?;
    let mut own = Part::new(&defaults.1).map_err(D::Error::custom)?;
    for (key, value) in given {
        let part = if chain.knows(&key) {
            &mut chain
        } else if own.knows(&key) {
            &mut own
        } else {
            let known: Vec<&str> = chain
                .defaults
                .keys()
                .chain(own.defaults.keys())
                .map(String::as_str)
                .collect();
            return Err(D::Error::custom(format!(
                "unknown field `{key}`, expected one of {}",
                known.join(", ")
            )));
        };
        part.given.insert(key, value);
    }
    Ok((
        chain.build().map_err(D::Error::custom)?,
        own.build().map_err(D::Error::custom)?,
    ))
}

/// One struct's share of the table: its defaults (which fix the keys it knows) and the keys given.
struct Part {
    defaults: Map<String, Value>,
    given: Map<String, Value>,
}

impl Part {
    fn new<T: Serialize>(defaults: &T) -> Result<Self, String> {
        match serde_json::to_value(defaults) {
            Ok(Value::Object(defaults)) => Ok(Part {
                defaults,
                given: Map::new(),
            }),
            Ok(other) => Err(format!("settings must serialise to a table, got {other}")),
            Err(e) => Err(e.to_string()),
        }
    }

    fn knows(&self, key: &str) -> bool {
        self.defaults.contains_key(key)
    }

    /// The defaults overridden by the given keys. The error of a generic table does not say
    /// where it arose, so on failure each given key is tried alone (on the defaults, which
    /// always parse) to name the first one that does not fit.
    fn build<T: DeserializeOwned>(self) -> Result<T, String> {
        let with = |keys: &Map<String, Value>| {
            let mut table = self.defaults.clone();
            table.extend(keys.iter().map(|(k, v)| (k.clone(), v.clone())));
            T::deserialize(Value::Object(table))
        };
        with(&self.given).map_err(|e| {
            let culprit = self
                .given
                .iter()
                .find(|&(k, v)| with(&Map::from_iter([(k.clone(), v.clone())])).is_err());
            match culprit {
                Some((key, _)) => format!("`{key}`: {e}"),
                None => e.to_string(),
            }
        })
    }
}
