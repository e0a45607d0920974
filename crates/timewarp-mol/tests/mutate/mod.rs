//! A seeded, dependency-free input mutator for the reader fuzz tests of the workspace (the
//! crates' `tests/fuzz_*.rs` include this file by path). Each mutation applies one to four
//! random edits — bit flips, boundary bytes, inserted tokens, deleted, duplicated or truncated
//! ranges — so that every failure is reproducible from its seed and index alone.
#![allow(dead_code)]

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// SplitMix64: a tiny, well-mixed generator (no `rand` dependency needed in every crate).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that sit on the edges of integer and float encodings.
const EDGE_BYTES: [u8; 10] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, b'0', b'9', b'-', b'\n'];

/// Tokens that tend to break text formats and number parsers.
pub const TEXT_TOKENS: [&str; 24] = [
    "-",
    "0",
    "-1",
    "9",
    "99999999999999999999",
    "18446744073709551615",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "1e-320",
    ".",
    " ",
    "\n",
    "\t",
    "\"",
    "'",
    "[",
    "]",
    "=",
    "#",
    "é",
    "\u{0}",
];

/// Applies 1–4 random edits to `data`. With `focus`, edits land inside that range (clamped to
/// the data) four times out of five: the header of a binary format, where most of the
/// structure is.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, focus: Option<Range<usize>>, tokens: &[&str]) {
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        let len = data.len();
        let region = match &focus {
            Some(r) if rng.chance(0.8) && r.start < len => r.start..r.end.min(len),
            _ => 0..len,
        };
        let at = |rng: &mut Rng| {
            if region.is_empty() {
                0
            } else {
                region.start + rng.below(region.len())
            }
        };
        match rng.below(8) {
            0 if len > 0 => {
                let i = at(rng);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = at(rng);
                data[i] = *rng.pick(&EDGE_BYTES);
            }
            2 if len > 0 => {
                let i = at(rng);
                data[i] = rng.next_u64() as u8;
            }
            3 => {
                let i = at(rng).min(len);
                let token: Vec<u8> = if tokens.is_empty() || rng.chance(0.3) {
                    (0..1 + rng.below(8))
                        .map(|_| rng.next_u64() as u8)
                        .collect()
                } else {
                    rng.pick(tokens).as_bytes().to_vec()
                };
                data.splice(i..i, token);
            }
            4 if len > 0 => {
                let i = at(rng);
                let n = (1 + rng.below(16)).min(len - i);
                data.drain(i..i + n);
            }
            5 if len > 0 => {
                let i = at(rng);
                let n = (1 + rng.below(64)).min(len - i);
                let copy = data[i..i + n].to_vec();
                let j = at(rng).min(data.len());
                data.splice(j..j, copy);
            }
            6 if len > 0 => {
                let i = at(rng);
                data.truncate(i);
            }
            _ if len >= 8 => {
                // Overwrite a little-endian word with an edge value (lengths, offsets, counts).
                let i = at(rng).min(len - 8);
                let edge =
                    *rng.pick(&[0u64, 1, u32::MAX as u64, i64::MAX as u64, u64::MAX, 1 << 40]);
                let width = *rng.pick(&[1usize, 2, 4, 8]);
                data[i..i + width].copy_from_slice(&edge.to_le_bytes()[..width]);
            }
            _ => data.push(rng.next_u64() as u8),
        }
    }
}

/// Line-level edits of a text file: delete, duplicate or swap lines, or cut one short.
pub fn mutate_lines(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    match rng.below(4) {
        0 => {
            let i = rng.below(lines.len());
            lines.remove(i);
        }
        1 => {
            let i = rng.below(lines.len());
            let line = lines[i].clone();
            let j = rng.below(lines.len() + 1);
            lines.insert(j, line);
        }
        2 => {
            let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(i, j);
        }
        _ => {
            let i = rng.below(lines.len());
            let cut = rng.below(lines[i].len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|&c| lines[i].is_char_boundary(c))
                .unwrap_or(0);
            lines[i].truncate(cut);
        }
    }
    lines.join("\n")
}

/// `default` mutations, times `TIMEWARP_FUZZ_SCALE` when set (for a longer campaign by hand).
pub fn mutations(default: usize) -> usize {
    let scale: f64 = std::env::var("TIMEWARP_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    (default as f64 * scale).round() as usize
}

/// `seed`, mixed with `TIMEWARP_FUZZ_SEED` when set (other inputs than the committed ones).
pub fn seed(seed: u64) -> u64 {
    let extra: u64 = std::env::var("TIMEWARP_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    seed ^ extra.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Outcome of a fuzz campaign over one reader.
#[derive(Debug, Default)]
pub struct Campaign {
    pub runs: usize,
    pub accepted: usize,
    pub panics: Vec<String>,
    pub slowest: Duration,
    pub total: Duration,
}

impl Campaign {
    /// Runs `read` on one mutated input; a panic is recorded with `label` (seed and index),
    /// and `read` returns whether the reader accepted the input.
    pub fn run(&mut self, label: String, read: impl FnOnce() -> bool) {
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(read));
        let took = start.elapsed();
        self.runs += 1;
        self.total += took;
        self.slowest = self.slowest.max(took);
        match outcome {
            Ok(true) => self.accepted += 1,
            Ok(false) => {}
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                self.panics.push(format!("{label}: {message}"));
            }
        }
    }

    /// Fails on any panic or on a single input that took longer than `limit`.
    pub fn check(&self, reader: &str, limit: Duration) {
        eprintln!(
            "{reader}: {} mutations, {} accepted, {:.2} s in the reader, slowest {:.1} ms",
            self.runs,
            self.accepted,
            self.total.as_secs_f64(),
            self.slowest.as_secs_f64() * 1e3
        );
        assert!(
            self.panics.is_empty(),
            "{reader} panicked on {} inputs:\n{}",
            self.panics.len(),
            self.panics.join("\n")
        );
        assert!(
            self.slowest <= limit,
            "{reader}: one input took {:?} (limit {limit:?})",
            self.slowest
        );
    }
}
