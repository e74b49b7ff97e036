//! The sorted set: member -> score, ordered by (score, member) as Redis orders it (scores
//! compared as doubles, ties broken by the members' bytes, `memcmp` then length).
//!
//! Two structures hold the same elements, as Redis's `zset` (dict + skiplist):
//!
//! - `dict`: member -> node index, in the crate's deterministic insertion-ordered dict.
//!   Its positions are what ZSCAN walks and what random picks draw from.
//! - `tree`: an order-statistic treap over (score, member) kept in an arena of 32-byte
//!   nodes (`u32` links, subtree sizes). Each node stores its score and the position of
//!   its member in `dict`, so member bytes are stored once. Insert, delete, rank, access
//!   by rank and score/lex bound searches are O(log n) expected; in-order walks are O(1)
//!   amortized per element.
//!
//! A node's priority is drawn from a per-set random source: the tree's shape is
//! invisible (every observable order is the (score, member) order), and random
//! priorities keep the expected depth logarithmic whatever members a client chooses.
//! Removing a member from `dict` (`swap_remove`) moves the last member into its slot;
//! the moved member's node is found in O(1) through `dict` and its position updated.
//! Freed nodes are recycled through a free list, and the arena is compacted when more
//! than half of it is free.
//!
//! `listpack` tracks the encoding Redis would have chosen (`OBJECT ENCODING`, ZSCAN's
//! one-shot reply, ZRANDMEMBER's strategy), with Redis's conversion rules: a set starts
//! as listpack, converts to skiplist when it would exceed 128 members or hold a member
//! longer than 64 bytes, and never converts back in place. A listpack stores an
//! integral score as an integer, so `-0` is kept as `0` while the set is a listpack.

use crate::dict::{new_dict, Dict};
use std::cmp::Ordering;
use std::hash::BuildHasher;

/// Redis's `zset-max-listpack-entries` default.
pub const LISTPACK_MAX_ENTRIES: usize = 128;
/// Redis's `zset-max-listpack-value` default.
pub const LISTPACK_MAX_VALUE: usize = 64;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    score: f64,
    /// Position of the member in `ZSet::dict`.
    pos: u32,
    left: u32,
    right: u32,
    /// Nodes in this subtree (0 for a free node).
    size: u32,
    prio: u32,
}

/// Orders (score, member) pairs as Redis's skiplist does (scores never NaN).
pub fn cmp_score_member(sa: f64, ma: &[u8], sb: f64, mb: &[u8]) -> Ordering {
    match sa.partial_cmp(&sb) {
        Some(Ordering::Equal) | None => ma.cmp(mb),
        Some(o) => o,
    }
}

/// The treap. Comparisons need member bytes, which live in the dict: every method that
/// compares takes the dict as an argument (disjoint from the arena it mutates).
#[derive(Clone)]
struct Tree {
    nodes: Vec<Node>,
    root: u32,
    /// Head of the free list, linked through `left`.
    free: u32,
    free_len: u32,
    /// State of the priority generator (xorshift64*).
    seed: u64,
}

fn member_of(dict: &Dict<u32>, pos: u32) -> &[u8] {
    dict.get_index(pos as usize)
        .map(|(k, _)| &**k)
        .expect("zset node points at a dict position")
}

impl Tree {
    fn new() -> Self {
        // Priorities only shape the tree, never an observable order; a random seed keeps
        // a client from choosing members that degenerate it.
        let seed = foldhash::fast::RandomState::default().hash_one(0x5eed_u64) | 1;
        Tree {
            nodes: Vec::new(),
            root: NIL,
            free: NIL,
            free_len: 0,
            seed,
        }
    }

    fn size(&self, t: u32) -> u32 {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size
        }
    }

    fn update(&mut self, t: u32) {
        let n = self.nodes[t as usize];
        let s = self.size(n.left) + self.size(n.right) + 1;
        self.nodes[t as usize].size = s;
    }

    fn next_prio(&mut self) -> u32 {
        let mut x = self.seed;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.seed = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    fn alloc(&mut self, score: f64, pos: u32) -> u32 {
        let node = Node {
            score,
            pos,
            left: NIL,
            right: NIL,
            size: 1,
            prio: self.next_prio(),
        };
        if self.free != NIL {
            let idx = self.free;
            self.free = self.nodes[idx as usize].left;
            self.free_len -= 1;
            self.nodes[idx as usize] = node;
            idx
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    fn release(&mut self, idx: u32) {
        let n = &mut self.nodes[idx as usize];
        n.left = self.free;
        n.right = NIL;
        n.size = 0;
        self.free = idx;
        self.free_len += 1;
    }

    /// Is (score, member) of node `a` before that of node `b`?
    fn less(&self, dict: &Dict<u32>, a: u32, b: u32) -> bool {
        let (na, nb) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        cmp_score_member(
            na.score,
            member_of(dict, na.pos),
            nb.score,
            member_of(dict, nb.pos),
        ) == Ordering::Less
    }

    fn link(&mut self, parent: u32, left: bool, child: u32) {
        if parent == NIL {
            self.root = child;
        } else if left {
            self.nodes[parent as usize].left = child;
        } else {
            self.nodes[parent as usize].right = child;
        }
    }

    /// Splits subtree `t` into the nodes ordered before node `x` and the rest.
    fn split_before(&mut self, dict: &Dict<u32>, t: u32, x: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.less(dict, t, x) {
            let (a, b) = self.split_before(dict, self.nodes[t as usize].right, x);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        } else {
            let (a, b) = self.split_before(dict, self.nodes[t as usize].left, x);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        }
    }

    /// Splits subtree `t` into its first `k` nodes and the rest.
    fn split_rank(&mut self, t: u32, k: u32) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let ls = self.size(self.nodes[t as usize].left);
        if k <= ls {
            let (a, b) = self.split_rank(self.nodes[t as usize].left, k);
            self.nodes[t as usize].left = b;
            self.update(t);
            (a, t)
        } else {
            let (a, b) = self.split_rank(self.nodes[t as usize].right, k - ls - 1);
            self.nodes[t as usize].right = a;
            self.update(t);
            (t, b)
        }
    }

    /// Joins two subtrees, every node of `a` ordered before every node of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let r = self.merge(self.nodes[a as usize].right, b);
            self.nodes[a as usize].right = r;
            self.update(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b as usize].left);
            self.nodes[b as usize].left = l;
            self.update(b);
            b
        }
    }

    /// Links the detached node `x` into the tree at its (score, member) place.
    fn insert(&mut self, dict: &Dict<u32>, x: u32) {
        let prio = self.nodes[x as usize].prio;
        let (mut parent, mut left) = (NIL, false);
        let mut t = self.root;
        while t != NIL && self.nodes[t as usize].prio >= prio {
            self.nodes[t as usize].size += 1;
            parent = t;
            left = self.less(dict, x, t);
            let n = &self.nodes[t as usize];
            t = if left { n.left } else { n.right };
        }
        let (l, r) = self.split_before(dict, t, x);
        let n = &mut self.nodes[x as usize];
        n.left = l;
        n.right = r;
        self.update(x);
        self.link(parent, left, x);
    }

    /// Unlinks node `x` (which must be in the tree) without freeing it.
    fn unlink(&mut self, dict: &Dict<u32>, x: u32) {
        let (mut parent, mut left) = (NIL, false);
        let mut t = self.root;
        while t != x {
            assert!(t != NIL, "zset node missing from its tree");
            self.nodes[t as usize].size -= 1;
            parent = t;
            left = self.less(dict, x, t);
            let n = &self.nodes[t as usize];
            t = if left { n.left } else { n.right };
        }
        let n = self.nodes[x as usize];
        let m = self.merge(n.left, n.right);
        self.link(parent, left, m);
    }

    /// The node at 0-based `rank`.
    fn select(&self, mut rank: u32) -> Option<u32> {
        let mut t = self.root;
        while t != NIL {
            let n = &self.nodes[t as usize];
            let ls = self.size(n.left);
            match rank.cmp(&ls) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return Some(t),
                Ordering::Greater => {
                    rank -= ls + 1;
                    t = n.right;
                }
            }
        }
        None
    }

    /// Number of leading nodes (in order) for which `before` holds; `before` must be
    /// true on a prefix of the order and false after it.
    fn partition(&self, dict: &Dict<u32>, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut count = 0usize;
        while t != NIL {
            let n = &self.nodes[t as usize];
            if before(n.score, member_of(dict, n.pos)) {
                count += self.size(n.left) as usize + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        count
    }

    /// Node indices of subtree `t`, in order.
    fn collect(&self, t: u32, out: &mut Vec<u32>) {
        let mut stack = Vec::new();
        let mut cur = t;
        loop {
            while cur != NIL {
                stack.push(cur);
                cur = self.nodes[cur as usize].left;
            }
            let Some(x) = stack.pop() else { break };
            out.push(x);
            cur = self.nodes[x as usize].right;
        }
    }
}

/// A sorted set.
#[derive(Clone)]
pub struct ZSet {
    dict: Dict<u32>,
    tree: Tree,
    /// Redis's encoding: true while the set would be a listpack.
    listpack: bool,
    /// Total bytes of the members (for `heap_size` in O(1)).
    member_bytes: usize,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet {
            dict: new_dict(),
            tree: Tree::new(),
            listpack: true,
            member_bytes: 0,
        }
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}

/// Two sets are equal when they hold the same members with the same scores (in order).
impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((ma, sa), (mb, sb))| ma == mb && (sa == sb || (sa.is_nan() && sb.is_nan())))
    }
}

impl ZSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with the encoding Redis's `zsetTypeCreate` picks for about
    /// `size_hint` members of about `len_hint` bytes.
    pub fn with_hint(size_hint: usize, len_hint: usize) -> Self {
        ZSet {
            listpack: size_hint <= LISTPACK_MAX_ENTRIES && len_hint <= LISTPACK_MAX_VALUE,
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Length of the longest member (O(n)).
    pub fn max_member_len(&self) -> usize {
        self.dict.keys().map(|k| k.len()).max().unwrap_or(0)
    }

    /// Heap bytes, estimated in O(1): members, dict entries and index, tree nodes.
    pub fn heap_size(&self) -> usize {
        self.member_bytes
            + self.dict.len() * 16
            + self.dict.capacity() * (std::mem::size_of::<(u64, Box<[u8]>, u32)>() + 9)
            + self.tree.nodes.capacity() * std::mem::size_of::<Node>()
            + 64
    }

    /// True while Redis would keep this set as a listpack (`OBJECT ENCODING`).
    pub fn is_listpack(&self) -> bool {
        self.listpack
    }

    /// Redis's `zsetTypeMaybeConvert`: a listpack about to receive more than 128 members
    /// becomes a skiplist.
    pub fn maybe_convert(&mut self, size_hint: usize) {
        if self.listpack && size_hint > LISTPACK_MAX_ENTRIES {
            self.listpack = false;
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded` (used on freshly built results and on
    /// load): a skiplist small enough becomes a listpack again.
    pub fn convert_to_listpack_if_fits(&mut self) {
        if !self.listpack
            && self.len() <= LISTPACK_MAX_ENTRIES
            && self.max_member_len() <= LISTPACK_MAX_VALUE
        {
            self.listpack = true;
            // A listpack holds integral scores as integers: -0 reads back as 0.
            for n in self.tree.nodes.iter_mut() {
                if n.size != 0 && n.score == 0.0 {
                    n.score = 0.0;
                }
            }
        }
    }

    /// Forces the skiplist encoding (Redis's `createZsetObject`).
    pub fn set_skiplist(&mut self) {
        self.listpack = false;
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.dict.contains_key(member)
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        let idx = *self.dict.get(member)?;
        Some(self.tree.nodes[idx as usize].score)
    }

    /// Adds `member` or changes its score; returns the previous score. A NaN score is
    /// the caller's to refuse. Follows Redis's `zsetAdd` encoding rules: a new member
    /// that would overflow a listpack converts the set first.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        if let Some(&idx) = self.dict.get(member) {
            let old = self.tree.nodes[idx as usize].score;
            if old != score {
                let score = if self.listpack && score == 0.0 {
                    0.0
                } else {
                    score
                };
                self.tree.unlink(&self.dict, idx);
                self.tree.nodes[idx as usize].score = score;
                self.tree.insert(&self.dict, idx);
            }
            return Some(old);
        }
        if self.listpack
            && (self.len() + 1 > LISTPACK_MAX_ENTRIES || member.len() > LISTPACK_MAX_VALUE)
        {
            self.listpack = false;
        }
        let score = if self.listpack && score == 0.0 {
            0.0
        } else {
            score
        };
        let pos = self.dict.len();
        assert!(pos < NIL as usize, "sorted set too large");
        let idx = self.tree.alloc(score, pos as u32);
        self.dict.insert(member.into(), idx);
        self.member_bytes += member.len();
        self.tree.insert(&self.dict, idx);
        None
    }

    /// Removes `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let idx = *self.dict.get(member)?;
        let score = self.tree.nodes[idx as usize].score;
        self.tree.unlink(&self.dict, idx);
        self.drop_node(idx);
        self.maybe_compact();
        Some(score)
    }

    /// Removes a node already unlinked from the tree: its dict entry and its slot.
    fn drop_node(&mut self, idx: u32) -> Box<[u8]> {
        let pos = self.tree.nodes[idx as usize].pos as usize;
        let (key, _) = self
            .dict
            .swap_remove_index(pos)
            .expect("zset node points at a dict position");
        if let Some((_, &moved)) = self.dict.get_index(pos) {
            self.tree.nodes[moved as usize].pos = pos as u32;
        }
        self.member_bytes -= key.len();
        self.tree.release(idx);
        key
    }

    /// Rebuilds the arena densely (in dict order) once more than half of it is free.
    fn maybe_compact(&mut self) {
        let t = &self.tree;
        if t.nodes.len() < 64 || (t.free_len as usize) * 2 <= t.nodes.len() {
            return;
        }
        let mut map = vec![NIL; t.nodes.len()];
        let mut nodes = Vec::with_capacity(self.dict.len());
        for (_, v) in self.dict.iter_mut() {
            map[*v as usize] = nodes.len() as u32;
            nodes.push(self.tree.nodes[*v as usize]);
            *v = (nodes.len() - 1) as u32;
        }
        let remap = |x: u32| if x == NIL { NIL } else { map[x as usize] };
        for n in nodes.iter_mut() {
            n.left = remap(n.left);
            n.right = remap(n.right);
        }
        self.tree.root = remap(self.tree.root);
        self.tree.nodes = nodes;
        self.tree.free = NIL;
        self.tree.free_len = 0;
        if self.dict.capacity() > 4 * self.dict.len() + 16 {
            self.dict.shrink_to_fit();
        }
    }

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let x = *self.dict.get(member)?;
        let nx = self.tree.nodes[x as usize];
        let mut rank = 0usize;
        let mut t = self.tree.root;
        while t != NIL {
            let n = &self.tree.nodes[t as usize];
            match cmp_score_member(nx.score, member, n.score, member_of(&self.dict, n.pos)) {
                Ordering::Less => t = n.left,
                Ordering::Equal => return Some(rank + self.tree.size(n.left) as usize),
                Ordering::Greater => {
                    rank += self.tree.size(n.left) as usize + 1;
                    t = n.right;
                }
            }
        }
        None
    }

    /// The element at 0-based ascending `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        let rank = u32::try_from(rank).ok()?;
        let t = self.tree.select(rank)?;
        let n = &self.tree.nodes[t as usize];
        Some((member_of(&self.dict, n.pos), n.score))
    }

    /// The member at dict position `pos` (ZSCAN's cursor space, random picks), with its
    /// score. Positions run from 0 to `len() - 1`.
    pub fn entry_at(&self, pos: usize) -> Option<(&[u8], f64)> {
        let (k, &idx) = self.dict.get_index(pos)?;
        Some((k, self.tree.nodes[idx as usize].score))
    }

    /// Number of leading elements (ascending order) for which `before(score, member)`
    /// holds, in O(log n). `before` must hold on a prefix of the order: `score < min`,
    /// `member <= max` and the like.
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.tree.partition(&self.dict, before)
    }

    /// All elements in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Elements in ascending order from 0-based `rank`.
    pub fn iter_from(&self, rank: usize) -> Iter<'_> {
        let mut it = Iter {
            set: self,
            stack: Vec::new(),
            rev: false,
            remaining: self.len().saturating_sub(rank),
        };
        let mut r = rank;
        let mut t = if rank < self.len() {
            self.tree.root
        } else {
            NIL
        };
        while t != NIL {
            let n = &self.tree.nodes[t as usize];
            let ls = self.tree.size(n.left) as usize;
            match r.cmp(&ls) {
                Ordering::Less => {
                    it.stack.push(t);
                    t = n.left;
                }
                Ordering::Equal => {
                    it.stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    r -= ls + 1;
                    t = n.right;
                }
            }
        }
        it
    }

    /// Elements in descending order, starting at 0-based ascending `rank` (so
    /// `rev_iter_from(len - 1)` walks the whole set from the highest).
    pub fn rev_iter_from(&self, rank: usize) -> Iter<'_> {
        let mut it = Iter {
            set: self,
            stack: Vec::new(),
            rev: true,
            remaining: if rank < self.len() { rank + 1 } else { 0 },
        };
        let mut r = rank;
        let mut t = if rank < self.len() {
            self.tree.root
        } else {
            NIL
        };
        while t != NIL {
            let n = &self.tree.nodes[t as usize];
            let ls = self.tree.size(n.left) as usize;
            match r.cmp(&ls) {
                Ordering::Less => t = n.left,
                Ordering::Equal => {
                    it.stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    it.stack.push(t);
                    r -= ls + 1;
                    t = n.right;
                }
            }
        }
        it
    }

    /// Removes the elements of ascending ranks `start..end`, handing each (member,
    /// score) to `f` in ascending order. Returns how many were removed.
    pub fn remove_range(
        &mut self,
        start: usize,
        end: usize,
        mut f: impl FnMut(Box<[u8]>, f64),
    ) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        let (l, rest) = self.tree.split_rank(self.tree.root, start as u32);
        let (m, r) = self.tree.split_rank(rest, (end - start) as u32);
        self.tree.root = self.tree.merge(l, r);
        let mut removed = Vec::with_capacity(end - start);
        self.tree.collect(m, &mut removed);
        for &idx in &removed {
            let score = self.tree.nodes[idx as usize].score;
            let key = self.drop_node(idx);
            f(key, score);
        }
        self.maybe_compact();
        removed.len()
    }

    /// Checks the structure's invariants (tests).
    #[cfg(test)]
    pub(crate) fn check(&self) {
        let mut order = Vec::new();
        self.tree.collect(self.tree.root, &mut order);
        assert_eq!(order.len(), self.len());
        assert_eq!(self.tree.size(self.tree.root) as usize, self.len());
        for w in order.windows(2) {
            assert!(self.tree.less(&self.dict, w[0], w[1]));
        }
        for &x in &order {
            let n = self.tree.nodes[x as usize];
            assert_eq!(n.size, self.tree.size(n.left) + self.tree.size(n.right) + 1);
            assert_eq!(
                self.dict.get_index(n.pos as usize).map(|(_, &v)| v),
                Some(x)
            );
        }
        assert_eq!(
            self.tree.nodes.len(),
            self.len() + self.tree.free_len as usize
        );
        let bytes: usize = self.dict.keys().map(|k| k.len()).sum();
        assert_eq!(bytes, self.member_bytes);
    }
}

/// In-order walk (ascending or descending) with an explicit stack.
pub struct Iter<'a> {
    set: &'a ZSet,
    stack: Vec<u32>,
    rev: bool,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        let x = self.stack.pop()?;
        let nodes = &self.set.tree.nodes;
        let n = nodes[x as usize];
        let mut t = if self.rev { n.left } else { n.right };
        while t != NIL {
            self.stack.push(t);
            let c = &nodes[t as usize];
            t = if self.rev { c.right } else { c.left };
        }
        self.remaining = self.remaining.saturating_sub(1);
        Some((member_of(&self.set.dict, n.pos), n.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(z: &ZSet) -> Vec<(String, f64)> {
        z.iter()
            .map(|(m, s)| (String::from_utf8_lossy(m).into_owned(), s))
            .collect()
    }

    #[test]
    fn orders_by_score_then_member() {
        let mut z = ZSet::new();
        assert_eq!(z.insert(b"b", 1.0), None);
        assert_eq!(z.insert(b"a", 1.0), None);
        assert_eq!(z.insert(b"c", 0.5), None);
        assert_eq!(z.insert(b"ab", 1.0), None);
        assert_eq!(z.insert(b"", 1.0), None);
        z.check();
        assert_eq!(
            members(&z),
            vec![
                ("c".into(), 0.5),
                ("".into(), 1.0),
                ("a".into(), 1.0),
                ("ab".into(), 1.0),
                ("b".into(), 1.0)
            ]
        );
        assert_eq!(z.rank(b"ab"), Some(3));
        assert_eq!(z.rank(b"zz"), None);
        assert_eq!(z.get_by_rank(0), Some((&b"c"[..], 0.5)));
        assert_eq!(z.get_by_rank(5), None);
        assert_eq!(z.insert(b"c", 2.0), Some(0.5));
        assert_eq!(z.rank(b"c"), Some(4));
        assert_eq!(z.remove(b"a"), Some(1.0));
        assert_eq!(z.remove(b"a"), None);
        z.check();
        assert_eq!(z.len(), 4);
        let rev: Vec<_> = z
            .rev_iter_from(z.len() - 1)
            .map(|(m, _)| m.to_vec())
            .collect();
        assert_eq!(
            rev,
            vec![b"c".to_vec(), b"b".to_vec(), b"ab".to_vec(), b"".to_vec()]
        );
        let from: Vec<_> = z.iter_from(2).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(from, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(z.iter_from(2).len(), 2);
        assert_eq!(z.iter_from(9).next(), None);
        assert_eq!(z.rev_iter_from(9).next(), None);
    }

    #[test]
    fn infinities_and_negative_zero() {
        let mut z = ZSet::new();
        z.insert(b"x", f64::INFINITY);
        z.insert(b"y", f64::NEG_INFINITY);
        z.insert(b"z", -0.0);
        assert_eq!(z.score(b"z").map(|s| s.is_sign_negative()), Some(false));
        z.set_skiplist();
        z.insert(b"w", -0.0);
        assert_eq!(z.score(b"w").map(|s| s.is_sign_negative()), Some(true));
        assert_eq!(
            members(&z),
            vec![
                ("y".into(), f64::NEG_INFINITY),
                ("w".into(), 0.0),
                ("z".into(), 0.0),
                ("x".into(), f64::INFINITY)
            ]
        );
        z.convert_to_listpack_if_fits();
        assert!(z.is_listpack());
        assert_eq!(z.score(b"w").map(|s| s.is_sign_negative()), Some(false));
    }

    #[test]
    fn encoding_follows_redis_rules() {
        let mut z = ZSet::new();
        for i in 0..128 {
            z.insert(format!("m{i}").as_bytes(), i as f64);
        }
        assert!(z.is_listpack());
        z.insert(b"m0", 5.0);
        assert!(z.is_listpack());
        z.insert(b"one-more", 1.0);
        assert!(!z.is_listpack());
        z.remove(b"one-more");
        assert!(!z.is_listpack());
        let mut z = ZSet::new();
        z.insert(&[b'a'; 65], 1.0);
        assert!(!z.is_listpack());
        let mut z = ZSet::new();
        z.insert(&[b'a'; 64], 1.0);
        assert!(z.is_listpack());
        assert_eq!(z.max_member_len(), 64);
        assert!(!ZSet::with_hint(129, 1).is_listpack());
        assert!(!ZSet::with_hint(1, 65).is_listpack());
    }

    #[test]
    fn bounds_and_range_removal() {
        let mut z = ZSet::new();
        for i in 0..1000 {
            z.insert(format!("{i:04}").as_bytes(), (i / 10) as f64);
        }
        z.check();
        assert_eq!(z.count_before(|s, _| s < 5.0), 50);
        assert_eq!(z.count_before(|s, _| s <= 5.0), 60);
        assert_eq!(z.count_before(|_, m| m < &b"0500"[..]), 500);
        let mut got = Vec::new();
        let n = z.remove_range(10, 20, |m, s| got.push((m, s)));
        assert_eq!(n, 10);
        assert_eq!(got.len(), 10);
        assert_eq!(&*got[0].0, b"0010");
        assert_eq!(got[0].1, 1.0);
        assert_eq!(&*got[9].0, b"0019");
        z.check();
        assert_eq!(z.len(), 990);
        assert_eq!(
            z.get_by_rank(10).map(|(m, _)| m.to_vec()),
            Some(b"0020".to_vec())
        );
        assert_eq!(z.remove_range(900, 5000, |_, _| {}), 90);
        assert_eq!(z.remove_range(5, 5, |_, _| {}), 0);
        z.check();
        // Removing most of the set compacts the arena.
        assert_eq!(z.remove_range(0, 850, |_, _| {}), 850);
        z.check();
        assert_eq!(z.len(), 50);
        assert!(z.tree.nodes.len() < 100);
        assert_eq!(z.iter().len(), 50);
    }

    #[test]
    fn random_operations_keep_invariants() {
        let mut rng = crate::rng::Rng::new(7);
        let mut z = ZSet::new();
        let mut model: std::collections::BTreeMap<Vec<u8>, f64> = Default::default();
        for step in 0..20_000 {
            let m = format!("k{}", rng.below(700)).into_bytes();
            match rng.below(4) {
                0 | 1 => {
                    let s = (rng.below(50) as f64) - 25.0;
                    assert_eq!(z.insert(&m, s), model.insert(m.clone(), s));
                }
                2 => assert_eq!(z.remove(&m), model.remove(&m)),
                _ => {
                    let len = z.len();
                    if len > 0 {
                        let a = rng.below(len);
                        let b = a + rng.below(5);
                        let mut removed = Vec::new();
                        z.remove_range(a, b, |k, _| removed.push(k));
                        for k in removed {
                            assert!(model.remove(&*k).is_some());
                        }
                    }
                }
            }
            if step % 997 == 0 {
                z.check();
            }
        }
        z.check();
        let mut expect: Vec<(Vec<u8>, f64)> = model.into_iter().collect();
        expect.sort_by(|a, b| cmp_score_member(a.1, &a.0, b.1, &b.0));
        let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        assert_eq!(got, expect);
        for (i, (m, _)) in expect.iter().enumerate() {
            assert_eq!(z.rank(m), Some(i));
        }
    }

    #[test]
    fn clone_and_equality() {
        let mut a = ZSet::new();
        let mut b = ZSet::new();
        for i in 0..50 {
            a.insert(format!("{i}").as_bytes(), i as f64);
        }
        for i in (0..50).rev() {
            b.insert(format!("{i}").as_bytes(), i as f64);
        }
        assert_eq!(a, b);
        let c = a.clone();
        assert_eq!(a, c);
        b.insert(b"3", 4.0);
        assert_ne!(a, b);
        assert!(format!("{a:?}").starts_with("{\"0\": 0.0"));
    }

    /// Ranks and offsets on a large set take a logarithmic number of steps: measured as
    /// the tree depth, and loosely in time.
    #[test]
    fn large_set_is_logarithmic() {
        let mut z = ZSet::new();
        let n = 100_000;
        for i in 0..n {
            // Snowflake-like ids inserted in increasing order (the adversarial order
            // for an unbalanced tree).
            let id = 110_123_456_789_012_345u64 + (i as u64) * 4096;
            z.insert(id.to_string().as_bytes(), id as f64);
        }
        fn depth(t: &Tree, x: u32) -> usize {
            if x == NIL {
                0
            } else {
                let n = t.nodes[x as usize];
                1 + depth(t, n.left).max(depth(t, n.right))
            }
        }
        let d = depth(&z.tree, z.tree.root);
        assert!(d < 80, "depth {d}");
        let start = std::time::Instant::now();
        for i in (0..n).step_by(97) {
            let id = 110_123_456_789_012_345u64 + (i as u64) * 4096;
            assert_eq!(z.rank(id.to_string().as_bytes()), Some(i));
            assert!(z.get_by_rank(i).is_some());
            assert_eq!(z.iter_from(i).next().map(|(_, s)| s), Some(id as f64));
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
