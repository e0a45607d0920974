//! Least-recently-used cache of trajectory positions, bounded in bytes, so that data sets
//! larger than memory train (slowly if the cache thrashes).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Positions by trajectory index; always holds at least the trajectory just loaded.
pub(super) struct PositionCache {
    budget: usize,
    used: usize,
    map: HashMap<u32, Arc<Vec<f32>>>,
    order: VecDeque<u32>,
    /// Insertions so far: trajectory loads (cache misses).
    pub(super) loads: u64,
}

impl PositionCache {
    pub(super) fn new(budget: usize) -> Self {
        PositionCache {
            budget,
            used: 0,
            map: HashMap::new(),
            order: VecDeque::new(),
            loads: 0,
        }
    }

    pub(super) fn get(&mut self, t: u32) -> Option<Arc<Vec<f32>>> {
        let p = self.map.get(&t)?.clone();
        if self.order.back() != Some(&t) {
            self.order.retain(|&k| k != t);
            self.order.push_back(t);
        }
        Some(p)
    }

    pub(super) fn insert(&mut self, t: u32, p: Arc<Vec<f32>>) {
        self.loads += 1;
        let bytes = p.len() * 4;
        while self.used + bytes > self.budget {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(v) = self.map.remove(&old) {
                self.used -= v.len() * 4;
            }
        }
        self.used += bytes;
        self.map.insert(t, p);
        self.order.push_back(t);
    }
}
