//! The sorted set: member -> score, ordered by (score, member), with O(log n) rank.
//! (Placeholder shape; the full structure lands with the sorted-set commands.)

use crate::dict::{new_dict, Dict};

#[derive(Clone, Debug, PartialEq)]
pub struct ZSet {
    scores: Dict<f64>,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet { scores: new_dict() }
    }
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn max_member_len(&self) -> usize {
        self.scores.keys().map(|k| k.len()).max().unwrap_or(0)
    }

    pub fn heap_size(&self) -> usize {
        self.scores.keys().map(|k| k.len() + 48).sum::<usize>() + 64
    }
}
