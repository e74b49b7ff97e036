//! The sorted set: member -> score, ordered by (score, member) as Redis orders it (scores
//! compared as doubles, ties broken by the members' bytes, `memcmp` then length).
//!
//! A set has two forms, as Redis's has two encodings, and switches between them where
//! Redis switches encodings (`listpack` below):
//!
//! - Small (Redis's listpack: at most 128 members of at most 64 bytes): one array of
//!   12-byte elements sorted by (score, member), the member bytes in one buffer, a
//!   2-byte hash tag per member. Ranks are indices, score and lex bounds binary searches
//!   (after a look at both ends), a member lookup a scan of the tags; an insert or a
//!   removal moves at most 1.5 KiB. A few contiguous arrays: no per-member allocation,
//!   no pointer chasing.
//! - Large (Redis's skiplist), two structures holding the same elements, as Redis's
//!   `zset` (dict + skiplist):
//!   - `dict`: member -> node index, in the crate's deterministic insertion-ordered
//!     dict. Its positions are what ZSCAN walks and what random picks draw from.
//!   - `tree`: an order-statistic treap over (score, member) kept in an arena of 32-byte
//!     nodes (`u32` links, subtree sizes). Each node stores its score and the position
//!     of its member in `dict`, so member bytes are stored once. Insert, delete, rank,
//!     access by rank and score/lex bound searches are O(log n) expected; in-order walks
//!     are O(1) amortized per element.
//!
//! The small form keeps the dict's positions too (a new member takes the next one, a
//! removal moves the last into the hole): `entry_at` (ZSCAN, random picks, snapshots)
//! answers exactly as it would have with a dict, and a conversion hands the large form
//! the members in that order. Which form holds a set is never observable.
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
//! longer than 64 bytes, and never converts back in place (only
//! `convert_to_listpack_if_fits`, on results and loads, does). A listpack stores an
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
#[inline]
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

/// Hash tag of a member of a small set: a filter for the linear member lookup. Fixed
/// seed: a collision only costs a comparison, among at most 128 members.
fn tag(member: &[u8]) -> u16 {
    const TAGS: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x7a5e);
    (TAGS.hash_one(member) >> 48) as u16
}

/// An element of a small set (12 bytes): its score, where its member's bytes are in
/// `Small::bytes`, and its dict position.
#[derive(Clone, Copy, Debug)]
struct Ent {
    /// The score's bytes (unaligned, to keep the element small).
    score: [u8; 8],
    off: u16,
    len: u8,
    pos: u8,
}

impl Ent {
    #[inline]
    fn score(&self) -> f64 {
        f64::from_ne_bytes(self.score)
    }
}

/// The compact form of a set Redis would keep as a listpack (at most 128 members of at
/// most 64 bytes): elements in one array sorted by (score, member), member bytes in one
/// buffer. Ranks are indices, score and lex bounds are binary searches, a member is
/// found by scanning 2-byte hash tags.
///
/// Dict positions are emulated (a new member takes the next position; a removal moves
/// the last position's member into the hole, in the order the large form releases
/// them), so `entry_at` and a conversion to the large form see exactly the order the
/// dict would have had: the form is invisible.
#[derive(Clone, Default)]
struct Small {
    /// Ascending (score, member).
    ents: Vec<Ent>,
    /// Dict position -> index in `ents`.
    by_pos: Vec<u8>,
    /// Tags of the members, in the order of `ents`.
    tags: Vec<u16>,
    /// Member bytes; `dead` of them belong to removed elements.
    bytes: Vec<u8>,
    dead: usize,
}

#[inline]
fn member_in<'a>(bytes: &'a [u8], e: &Ent) -> &'a [u8] {
    &bytes[e.off as usize..e.off as usize + e.len as usize]
}

/// Index of the first element of `ents` not ordered before (score, member).
#[inline]
fn lower_bound(ents: &[Ent], bytes: &[u8], score: f64, member: &[u8]) -> usize {
    partition(ents, |e| {
        cmp_score_member(e.score(), member_in(bytes, e), score, member) == Ordering::Less
    })
}

/// `ents.partition_point(before)`, checking the ends first: a new highest element (a
/// feed's newest entry) or a range from either end (`0 +inf`, `-inf (x`) is answered
/// without the binary search's chain of dependent cache misses.
#[inline]
fn partition(ents: &[Ent], before: impl Fn(&Ent) -> bool) -> usize {
    match ents {
        [] => 0,
        [first, .., last] if ents.len() > 8 => {
            if !before(first) {
                0
            } else if before(last) {
                ents.len()
            } else {
                1 + ents[1..ents.len() - 1].partition_point(before)
            }
        }
        _ => ents.partition_point(before),
    }
}

/// Makes room for `extra` more bytes, growing by a quarter rather than doubling (the
/// arrays of a small set stay within about 20% of their contents, as a listpack
/// does; growth stays geometric).
fn grow(v: &mut Vec<u8>, extra: usize) {
    if v.capacity() - v.len() < extra {
        v.reserve_exact(extra.max(v.len() / 4).max(16));
    }
}

/// Adds `by` to every value of `v` at least `from` (a loop the compiler vectorizes).
#[inline]
fn shift_from(v: &mut [u8], from: u8, by: u8) {
    for x in v.iter_mut() {
        *x = x.wrapping_add(by & 0u8.wrapping_sub((*x >= from) as u8));
    }
}

impl Small {
    fn len(&self) -> usize {
        self.ents.len()
    }

    #[inline]
    fn get(&self, r: usize) -> Option<(&[u8], f64)> {
        let e = self.ents.get(r)?;
        Some((member_in(&self.bytes, e), e.score()))
    }

    /// Index (rank) of `member`, whose tag is `t`.
    fn find(&self, member: &[u8], t: u16) -> Option<usize> {
        let mut base = 0;
        for chunk in self.tags.chunks(32) {
            // A bit per matching tag (the compiler turns this into vector compares).
            let mut hits = chunk
                .iter()
                .enumerate()
                .fold(0u32, |m, (i, &x)| m | (u32::from(x == t) << i));
            while hits != 0 {
                let r = base + hits.trailing_zeros() as usize;
                hits &= hits - 1;
                if member_in(&self.bytes, &self.ents[r]) == member {
                    return Some(r);
                }
            }
            base += chunk.len();
        }
        None
    }

    /// Adds a member known to be absent (at most 64 bytes, at most 127 present).
    fn insert_new(&mut self, member: &[u8], t: u16, score: f64) {
        let r = lower_bound(&self.ents, &self.bytes, score, member);
        grow(&mut self.bytes, member.len());
        if self.ents.len() == self.ents.capacity() {
            let more = (self.ents.len() / 4).max(4);
            self.ents.reserve_exact(more);
            self.tags.reserve_exact(more);
        }
        let off = self.bytes.len();
        self.bytes.extend_from_slice(member);
        let pos = self.by_pos.len();
        self.ents.insert(
            r,
            Ent {
                score: score.to_ne_bytes(),
                off: off as u16,
                len: member.len() as u8,
                pos: pos as u8,
            },
        );
        self.tags.insert(r, t);
        shift_from(&mut self.by_pos, r as u8, 1);
        self.by_pos.push(r as u8);
    }

    /// Gives the element at index `r` a new score, moving it to its new place.
    fn rescore(&mut self, r: usize, score: f64) {
        let mut e = self.ents[r];
        e.score = score.to_ne_bytes();
        let m = member_in(&self.bytes, &e);
        let before = |x: &Ent| {
            cmp_score_member(score, m, x.score(), member_in(&self.bytes, x)) == Ordering::Less
        };
        // The new place among the other elements.
        let q = if r > 0 && before(&self.ents[r - 1]) {
            lower_bound(&self.ents[..r], &self.bytes, score, m)
        } else {
            r + lower_bound(&self.ents[r + 1..], &self.bytes, score, m)
        };
        self.ents[r] = e;
        if q < r {
            self.ents[q..=r].rotate_right(1);
            self.tags[q..=r].rotate_right(1);
            for x in &self.ents[q + 1..=r] {
                self.by_pos[x.pos as usize] += 1;
            }
        } else if q > r {
            self.ents[r..=q].rotate_left(1);
            self.tags[r..=q].rotate_left(1);
            for x in &self.ents[r..q] {
                self.by_pos[x.pos as usize] -= 1;
            }
        } else {
            return;
        }
        self.by_pos[e.pos as usize] = q as u8;
    }

    /// Removes the elements of indices `start..end` (in range), handing each to `f` in
    /// ascending order. Dict positions are released in that order, as the large form
    /// releases them.
    fn remove_range(&mut self, start: usize, end: usize, mut f: impl FnMut(&[u8], f64)) {
        for r in start..end {
            let e = self.ents[r];
            let p = e.pos as usize;
            self.by_pos.swap_remove(p);
            if let Some(&moved) = self.by_pos.get(p) {
                self.ents[moved as usize].pos = p as u8;
            }
            self.dead += e.len as usize;
            f(member_in(&self.bytes, &e), e.score());
        }
        let n = (end - start) as u8;
        shift_from(&mut self.by_pos, end as u8, n.wrapping_neg());
        self.ents.drain(start..end);
        self.tags.drain(start..end);
        self.maybe_compact();
    }

    /// Rewrites the member buffer once most of it is dead, and gives back the arrays'
    /// spare room once they are mostly empty.
    fn maybe_compact(&mut self) {
        if self.ents.is_empty() {
            *self = Small::default();
            return;
        }
        if self.ents.capacity() > 4 * self.ents.len() + 16 {
            self.ents.shrink_to_fit();
            self.tags.shrink_to_fit();
            self.by_pos.shrink_to_fit();
        }
        if self.dead > 64 && self.dead * 2 > self.bytes.len() {
            let mut bytes = Vec::with_capacity(self.bytes.len() - self.dead);
            for e in self.ents.iter_mut() {
                let off = bytes.len();
                bytes.extend_from_slice(member_in(&self.bytes, e));
                e.off = off as u16;
            }
            self.bytes = bytes;
            self.dead = 0;
        }
    }
}

/// A sorted set: the small form while Redis would keep a listpack, else the large
/// form (`dict` + `tree`); one form's fields are empty while the other is in use.
#[derive(Clone)]
pub struct ZSet {
    small: Small,
    dict: Dict<u32>,
    tree: Tree,
    /// Redis's encoding: true while the set would be a listpack (the small form).
    listpack: bool,
    /// Total bytes of the members (for `heap_size` in O(1)).
    member_bytes: usize,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet {
            small: Small::default(),
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
        if self.listpack {
            self.small.len()
        } else {
            self.dict.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length of the longest member (O(n)).
    pub fn max_member_len(&self) -> usize {
        if self.listpack {
            self.small
                .ents
                .iter()
                .map(|e| e.len as usize)
                .max()
                .unwrap_or(0)
        } else {
            self.dict.keys().map(|k| k.len()).max().unwrap_or(0)
        }
    }

    /// Heap bytes, estimated in O(1): members, dict entries and index, tree nodes (or
    /// the small form's arrays).
    pub fn heap_size(&self) -> usize {
        if self.listpack {
            return self.small.bytes.capacity()
                + self.small.ents.capacity() * std::mem::size_of::<Ent>()
                + self.small.by_pos.capacity()
                + self.small.tags.capacity() * 2
                + 64;
        }
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
            self.make_large();
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded` (used on freshly built results and on
    /// load): a skiplist small enough becomes a listpack again.
    pub fn convert_to_listpack_if_fits(&mut self) {
        if !self.listpack
            && self.len() <= LISTPACK_MAX_ENTRIES
            && self.max_member_len() <= LISTPACK_MAX_VALUE
        {
            self.make_small();
        }
    }

    /// Forces the skiplist encoding (Redis's `createZsetObject`).
    pub fn set_skiplist(&mut self) {
        if self.listpack {
            self.make_large();
        }
    }

    /// Moves the elements to the large form, in dict-position order: the dict ends up
    /// as it would have been had the set always been large.
    fn make_large(&mut self) {
        self.listpack = false;
        let small = std::mem::take(&mut self.small);
        self.dict.reserve(small.len());
        self.tree.nodes.reserve(small.len());
        for &r in &small.by_pos {
            let (m, score) = small.get(r as usize).expect("position of an element");
            let idx = self.tree.alloc(score, self.dict.len() as u32);
            self.dict.insert(m.into(), idx);
            self.tree.insert(&self.dict, idx);
        }
    }

    /// Moves the elements to the small form (which must fit), keeping the dict
    /// positions. A listpack holds integral scores as integers: -0 reads back as 0.
    fn make_small(&mut self) {
        self.listpack = true;
        let mut order = Vec::with_capacity(self.dict.len());
        self.tree.collect(self.tree.root, &mut order);
        let mut rank_of = vec![0u8; self.tree.nodes.len()];
        let mut small = Small {
            ents: Vec::with_capacity(order.len()),
            by_pos: Vec::with_capacity(order.len()),
            tags: Vec::with_capacity(order.len()),
            bytes: Vec::with_capacity(self.member_bytes),
            dead: 0,
        };
        for (r, &x) in order.iter().enumerate() {
            rank_of[x as usize] = r as u8;
            let n = &self.tree.nodes[x as usize];
            let m = member_of(&self.dict, n.pos);
            let off = small.bytes.len();
            small.bytes.extend_from_slice(m);
            let score = if n.score == 0.0 { 0.0 } else { n.score };
            small.ents.push(Ent {
                score: score.to_ne_bytes(),
                off: off as u16,
                len: m.len() as u8,
                pos: n.pos as u8,
            });
            small.tags.push(tag(m));
        }
        small
            .by_pos
            .extend(self.dict.values().map(|&x| rank_of[x as usize]));
        self.small = small;
        self.dict = new_dict();
        self.tree = Tree::new();
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        if self.listpack {
            self.small.find(member, tag(member)).is_some()
        } else {
            self.dict.contains_key(member)
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        if self.listpack {
            let r = self.small.find(member, tag(member))?;
            return Some(self.small.ents[r].score());
        }
        let idx = *self.dict.get(member)?;
        Some(self.tree.nodes[idx as usize].score)
    }

    /// Adds `member` or changes its score; returns the previous score. A NaN score is
    /// the caller's to refuse. Follows Redis's `zsetAdd` encoding rules: a new member
    /// that would overflow a listpack converts the set first.
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        self.upsert(member, |_| Some(score))
    }

    /// Looks `member` up once and stores the score `decide(current score)` returns, if
    /// any (as `insert`); returns the current score.
    pub fn upsert(
        &mut self,
        member: &[u8],
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
    ) -> Option<f64> {
        if self.listpack {
            let t = tag(member);
            if let Some(r) = self.small.find(member, t) {
                let old = self.small.ents[r].score();
                if let Some(score) = decide(Some(old)) {
                    if old != score {
                        let score = if score == 0.0 { 0.0 } else { score };
                        self.small.rescore(r, score);
                    }
                }
                return Some(old);
            }
            let score = decide(None)?;
            if self.small.len() < LISTPACK_MAX_ENTRIES && member.len() <= LISTPACK_MAX_VALUE {
                let score = if score == 0.0 { 0.0 } else { score };
                self.small.insert_new(member, t, score);
                self.member_bytes += member.len();
                return None;
            }
            self.make_large();
            self.insert_large(member, score);
            return None;
        }
        if let Some(&idx) = self.dict.get(member) {
            let old = self.tree.nodes[idx as usize].score;
            if let Some(score) = decide(Some(old)) {
                if old != score {
                    self.tree.unlink(&self.dict, idx);
                    self.tree.nodes[idx as usize].score = score;
                    self.tree.insert(&self.dict, idx);
                }
            }
            return Some(old);
        }
        if let Some(score) = decide(None) {
            self.insert_large(member, score);
        }
        None
    }

    /// Adds a member known to be absent to the large form.
    fn insert_large(&mut self, member: &[u8], score: f64) {
        let pos = self.dict.len();
        assert!(pos < NIL as usize, "sorted set too large");
        let idx = self.tree.alloc(score, pos as u32);
        self.dict.insert(member.into(), idx);
        self.member_bytes += member.len();
        self.tree.insert(&self.dict, idx);
    }

    /// Removes `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        if self.listpack {
            let r = self.small.find(member, tag(member))?;
            let score = self.small.ents[r].score();
            self.small.remove_range(r, r + 1, |_, _| {});
            self.member_bytes -= member.len();
            return Some(score);
        }
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
        if self.listpack {
            return self.small.find(member, tag(member));
        }
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
        if self.listpack {
            return self.small.get(rank);
        }
        let rank = u32::try_from(rank).ok()?;
        let t = self.tree.select(rank)?;
        let n = &self.tree.nodes[t as usize];
        Some((member_of(&self.dict, n.pos), n.score))
    }

    /// The member at dict position `pos` (ZSCAN's cursor space, random picks), with its
    /// score. Positions run from 0 to `len() - 1`.
    pub fn entry_at(&self, pos: usize) -> Option<(&[u8], f64)> {
        if self.listpack {
            let &r = self.small.by_pos.get(pos)?;
            return self.small.get(r as usize);
        }
        let (k, &idx) = self.dict.get_index(pos)?;
        Some((k, self.tree.nodes[idx as usize].score))
    }

    /// Number of leading elements (ascending order) for which `before(score, member)`
    /// holds, in O(log n). `before` must hold on a prefix of the order: `score < min`,
    /// `member <= max` and the like.
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        if self.listpack {
            let s = &self.small;
            return partition(&s.ents, |e| before(e.score(), member_in(&s.bytes, e)));
        }
        self.tree.partition(&self.dict, before)
    }

    /// All elements in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Elements in ascending order from 0-based `rank`.
    pub fn iter_from(&self, rank: usize) -> Iter<'_> {
        if self.listpack {
            let ents = &self.small.ents;
            return Iter(Walk::Small {
                ents: ents[rank.min(ents.len())..].iter(),
                bytes: &self.small.bytes,
                rev: false,
            });
        }
        let mut stack = Vec::new();
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
                    stack.push(t);
                    t = n.left;
                }
                Ordering::Equal => {
                    stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    r -= ls + 1;
                    t = n.right;
                }
            }
        }
        Iter(Walk::Tree(TreeIter {
            set: self,
            stack,
            rev: false,
            remaining: self.len().saturating_sub(rank),
        }))
    }

    /// Elements in descending order, starting at 0-based ascending `rank` (so
    /// `rev_iter_from(len - 1)` walks the whole set from the highest).
    pub fn rev_iter_from(&self, rank: usize) -> Iter<'_> {
        if self.listpack {
            let ents = &self.small.ents;
            let end = if rank < ents.len() { rank + 1 } else { 0 };
            return Iter(Walk::Small {
                ents: ents[..end].iter(),
                bytes: &self.small.bytes,
                rev: true,
            });
        }
        let mut stack = Vec::new();
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
                    stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    stack.push(t);
                    r -= ls + 1;
                    t = n.right;
                }
            }
        }
        Iter(Walk::Tree(TreeIter {
            set: self,
            stack,
            rev: true,
            remaining: if rank < self.len() { rank + 1 } else { 0 },
        }))
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
        if self.listpack {
            let mut bytes = 0;
            self.small.remove_range(start, end, |m, s| {
                bytes += m.len();
                f(m.into(), s);
            });
            self.member_bytes -= bytes;
            return end - start;
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
        if self.listpack {
            let s = &self.small;
            assert!(self.dict.is_empty() && self.tree.root == NIL);
            assert!(s.len() <= LISTPACK_MAX_ENTRIES);
            for w in s.ents.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                assert_eq!(
                    cmp_score_member(
                        a.score(),
                        member_in(&s.bytes, a),
                        b.score(),
                        member_in(&s.bytes, b)
                    ),
                    Ordering::Less
                );
            }
            assert_eq!(s.by_pos.len(), s.len());
            assert_eq!(s.tags.len(), s.len());
            for (p, &r) in s.by_pos.iter().enumerate() {
                let e = &s.ents[r as usize];
                assert_eq!(e.pos as usize, p);
                assert_eq!(s.tags[r as usize], tag(member_in(&s.bytes, e)));
                assert!(e.len as usize <= LISTPACK_MAX_VALUE);
            }
            let live: usize = s.ents.iter().map(|e| e.len as usize).sum();
            assert_eq!(live + s.dead, s.bytes.len());
            assert_eq!(live, self.member_bytes);
            return;
        }
        assert!(self.small.ents.is_empty() && self.small.by_pos.is_empty());
        assert!(self.small.tags.is_empty() && self.small.bytes.is_empty());
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

/// An in-order walk (ascending or descending).
pub struct Iter<'a>(Walk<'a>);

enum Walk<'a> {
    /// The small form: a slice of its array.
    Small {
        ents: std::slice::Iter<'a, Ent>,
        bytes: &'a [u8],
        rev: bool,
    },
    Tree(TreeIter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Walk::Small { ents, bytes, rev } => {
                let e = if *rev { ents.next_back() } else { ents.next() }?;
                Some((member_in(bytes, e), e.score()))
            }
            Walk::Tree(t) => t.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            Walk::Small { ents, .. } => ents.size_hint(),
            Walk::Tree(t) => (t.remaining, Some(t.remaining)),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// In-order walk of the large form with an explicit stack.
struct TreeIter<'a> {
    set: &'a ZSet,
    stack: Vec<u32>,
    rev: bool,
    remaining: usize,
}

impl<'a> TreeIter<'a> {
    fn next(&mut self) -> Option<(&'a [u8], f64)> {
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
}

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

    /// Every observable of the small form (orders, ranks, bounds, dict positions)
    /// matches a set kept in the large form through the same operations, and a set
    /// growing past 128 members ends up exactly as one that was always large.
    #[test]
    fn small_form_matches_large_form() {
        fn same(a: &ZSet, b: &ZSet) {
            a.check();
            b.check();
            assert_eq!(a.len(), b.len());
            let ia: Vec<_> = a.iter().collect();
            assert_eq!(ia, b.iter().collect::<Vec<_>>());
            for p in 0..a.len() + 1 {
                assert_eq!(a.entry_at(p), b.entry_at(p), "position {p}");
            }
            for (r, &(m, s)) in ia.iter().enumerate() {
                assert_eq!(a.rank(m), Some(r));
                assert_eq!(b.rank(m), Some(r));
                assert_eq!(a.score(m), Some(s));
                assert_eq!(a.get_by_rank(r), b.get_by_rank(r));
                assert_eq!(
                    a.rev_iter_from(r).collect::<Vec<_>>(),
                    b.rev_iter_from(r).collect::<Vec<_>>()
                );
                assert_eq!(a.iter_from(r).len(), b.iter_from(r).len());
            }
            for k in [-3.0, 0.0, 2.0, 9.0] {
                assert_eq!(a.count_before(|s, _| s < k), b.count_before(|s, _| s < k));
                assert_eq!(
                    a.count_before(|s, m| s < k || (s == k && m <= &b"k3"[..])),
                    b.count_before(|s, m| s < k || (s == k && m <= &b"k3"[..]))
                );
            }
            assert_eq!(a.max_member_len(), b.max_member_len());
        }
        let mut rng = crate::rng::Rng::new(11);
        let mut grew = 0;
        for round in 0..40 {
            let mut a = ZSet::new();
            let mut b = ZSet::new();
            b.set_skiplist();
            let universe = if round % 2 == 0 { 40 } else { 400 };
            for step in 0..1000 {
                let m = format!("k{}", rng.below(universe)).into_bytes();
                match rng.below(8) {
                    0..=3 => {
                        let s = (rng.below(10) as f64) - 3.0;
                        assert_eq!(a.insert(&m, s), b.insert(&m, s));
                    }
                    4 => assert_eq!(a.remove(&m), b.remove(&m)),
                    5 => {
                        let len = a.len();
                        let x = rng.below(len + 1);
                        let y = x + rng.below(4);
                        let (mut ra, mut rb) = (Vec::new(), Vec::new());
                        let na = a.remove_range(x, y, |k, s| ra.push((k, s)));
                        let nb = b.remove_range(x, y, |k, s| rb.push((k, s)));
                        assert_eq!((na, ra), (nb, rb));
                    }
                    6 => {
                        let r = a.upsert(&m, |c| c.map(|c| c + 1.0));
                        assert_eq!(r, b.upsert(&m, |c| c.map(|c| c + 1.0)));
                    }
                    _ => assert_eq!(a.contains(&m), b.contains(&m)),
                }
                if step % 50 == 0 || a.len() == LISTPACK_MAX_ENTRIES + 1 {
                    same(&a, &b);
                }
            }
            same(&a, &b);
            grew += usize::from(!a.is_listpack());
        }
        assert!(grew > 5, "{grew} sets grew past the small form");
        // Back to the small form and out again: positions are kept.
        let mut a = ZSet::new();
        for i in 0..200 {
            a.insert(format!("m{}", (i * 37) % 200).as_bytes(), (i % 7) as f64);
        }
        for i in 0..150 {
            a.remove(format!("m{}", (i * 11) % 200).as_bytes());
        }
        assert!(!a.is_listpack());
        let before: Vec<_> = (0..a.len())
            .map(|p| a.entry_at(p).unwrap())
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        a.convert_to_listpack_if_fits();
        assert!(a.is_listpack());
        a.check();
        let small: Vec<_> = (0..a.len())
            .map(|p| a.entry_at(p).unwrap())
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        assert_eq!(before, small);
        a.set_skiplist();
        a.check();
        let after: Vec<_> = (0..a.len())
            .map(|p| a.entry_at(p).unwrap())
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        assert_eq!(before, after);
        // A member longer than 64 bytes converts, as does a size hint.
        let mut z = ZSet::new();
        z.insert(b"a", 1.0);
        z.insert(&[b'x'; 65], 0.5);
        assert!(!z.is_listpack());
        z.check();
        assert_eq!(z.get_by_rank(1), Some((&b"a"[..], 1.0)));
        let mut z = ZSet::new();
        z.insert(b"a", 1.0);
        z.maybe_convert(129);
        z.check();
        assert_eq!(z.entry_at(0), Some((&b"a"[..], 1.0)));
    }
}
