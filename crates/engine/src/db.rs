//! One numbered database: the keyspace dictionary and its expiry dictionary, as Redis's
//! `redisDb` (`dict` + `expires`), with lookups that honour expiry.
//!
//! Expiry is deterministic: a key whose deadline is at or before `now` (the entry's time
//! during apply, the session's clock for reads) is absent. Reads never delete (followers
//! must not mutate on their own); writes that meet an expired key delete it first, and
//! the active expire cycle deletes the rest through entries proposed by the one node
//! that may mutate.

use crate::dict::{new_dict, Dict};
use crate::object::{Object, Value};

#[derive(Debug)]
pub struct Db {
    pub keys: Dict<Object>,
    pub expires: Dict<i64>,
    /// Keys deleted because their deadline passed (INFO `expired_keys`).
    pub expired_keys: u64,
    pub hits: u64,
    pub misses: u64,
    /// True under an LFU `maxmemory-policy`: `Object::access` then holds Redis's LFU
    /// packing instead of an LRU clock.
    pub lfu: bool,
    /// `lfu-log-factor` and `lfu-decay-time`.
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// Source of the LFU counter's coin flips (access metadata only, never data).
    lfu_rand: u64,
    /// Keys someone waits on (WATCH, blocking pops), with how many waiters each.
    /// Modifying one of them records it in `signaled`, for the server to act on after
    /// the entry is applied (Redis's `signalModifiedKey` / `signalKeyAsReady`).
    pub watched: std::collections::HashMap<Box<[u8]>, u32>,
    pub signaled: Vec<Box<[u8]>>,
    /// A point-in-time walk in progress (BGSAVE, a Raft snapshot).
    pub snapshot: Option<Snapshot>,
    /// Keyspace notification classes enabled (`notify-keyspace-events`, see `notify`).
    pub notify_flags: u32,
    /// Keyspace events raised by the last writes, for the server to publish.
    pub events: Vec<(&'static str, Box<[u8]>)>,
}

/// Keyspace notification classes, as Redis's `NOTIFY_*` flags and config letters.
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0; // K
    pub const KEYEVENT: u32 = 1 << 1; // E
    pub const GENERIC: u32 = 1 << 2; // g
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m
    pub const MODULE: u32 = 1 << 13; // d
    pub const NEW: u32 = 1 << 14; // n
    /// 'A': every class but key-miss and new.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

    const LETTERS: &[(char, u32)] = &[
        ('K', KEYSPACE),
        ('E', KEYEVENT),
        ('g', GENERIC),
        ('$', STRING),
        ('l', LIST),
        ('s', SET),
        ('h', HASH),
        ('z', ZSET),
        ('x', EXPIRED),
        ('e', EVICTED),
        ('t', STREAM),
        ('m', KEY_MISS),
        ('d', MODULE),
        ('n', NEW),
    ];

    /// Parses the `notify-keyspace-events` string (Redis's `keyspaceEventsStringToFlags`).
    pub fn parse(s: &str) -> Option<u32> {
        let mut f = 0;
        for c in s.chars() {
            f |= match c {
                'A' => ALL,
                c => LETTERS.iter().find(|(l, _)| *l == c)?.1,
            };
        }
        Some(f)
    }

    /// The canonical string for flags (Redis's `keyspaceEventsFlagsToString`).
    pub fn to_string(flags: u32) -> String {
        let mut s = String::new();
        if flags & ALL == ALL {
            s.push('A');
        } else {
            for (c, f) in LETTERS.iter().skip(2) {
                if flags & f != 0 && *f != KEY_MISS && *f != NEW {
                    s.push(*c);
                }
            }
        }
        for (c, f) in [
            ('K', KEYSPACE),
            ('E', KEYEVENT),
            ('m', KEY_MISS),
            ('n', NEW),
        ] {
            if flags & f != 0 {
                s.push(c);
            }
        }
        s
    }
}

/// What a snapshot walk hands each key: the key, its object and its deadline.
pub type SnapshotVisitor<'a> = dyn FnMut(&[u8], &Object, Option<i64>) + 'a;

/// A point-in-time copy of a database taken while writes go on, without a fork and
/// without copying the dataset (the approach Dragonfly takes): the walk goes from the
/// top position down; a write to a key the walk has not reached yet first saves the
/// key's old state (its "pre-image"); keys created after the start are appended above
/// the walk and never visited; a `swap_remove` that moves an already-visited key into
/// the unvisited range marks it to be skipped; FLUSHDB hands the old tables to the walk.
/// Memory overhead: the pre-images of keys written during the walk, nothing else.
#[derive(Debug)]
pub struct Snapshot {
    /// The database number when the walk began (SWAPDB moves the walk with the data).
    pub index: usize,
    /// Positions `0..next` are still to be visited.
    next: usize,
    skip: std::collections::HashSet<Box<[u8]>>,
    preimages: Vec<(Box<[u8]>, Object, Option<i64>)>,
    detached: Option<(Dict<Object>, Dict<i64>)>,
}

/// Redis's LFU access: decay the counter by the minutes elapsed (per `decay_time`), then
/// increment it with probability 1/((counter-5)*log_factor+1); `r` is uniform in [0,1).
pub fn lfu_touch(access: u32, now: i64, log_factor: u32, decay_time: u32, r: f64) -> u32 {
    let now_min = ((now / 60_000) & 0xFFFF) as u32;
    let ldt = access >> 8;
    let mut counter = access & 0xff;
    let elapsed = if now_min >= ldt {
        now_min - ldt
    } else {
        65535 - ldt + now_min
    };
    if let Some(periods) = elapsed.checked_div(decay_time) {
        counter = counter.saturating_sub(periods);
    }
    if counter < 255 {
        let base = counter.saturating_sub(5) as f64;
        if r < 1.0 / (base * log_factor as f64 + 1.0) {
            counter += 1;
        }
    }
    (now_min << 8) | counter
}

impl Default for Db {
    fn default() -> Self {
        Db {
            keys: new_dict(),
            expires: new_dict(),
            expired_keys: 0,
            hits: 0,
            misses: 0,
            lfu: false,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            lfu_rand: 0x9E37_79B9_7F4A_7C15,
            watched: Default::default(),
            signaled: vec![],
            snapshot: None,
            notify_flags: 0,
            events: vec![],
        }
    }
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Absolute deadline in ms, if the key has one (expired or not).
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    pub fn is_expired(&self, key: &[u8], now: i64) -> bool {
        matches!(self.expire_of(key), Some(t) if t <= now)
    }

    /// The live object under `key`, without touching statistics or access time.
    pub fn peek(&self, key: &[u8], now: i64) -> Option<&Object> {
        let o = self.keys.get(key)?;
        if self.is_expired(key, now) {
            return None;
        }
        Some(o)
    }

    pub fn exists(&self, key: &[u8], now: i64) -> bool {
        self.peek(key, now).is_some()
    }

    /// Lookup for a command that reads the key: counts a keyspace hit or miss and
    /// records the access for eviction. Never deletes.
    pub fn lookup_read(&mut self, key: &[u8], now: i64) -> Option<&mut Object> {
        if self.is_expired(key, now) {
            self.misses += 1;
            return None;
        }
        match self.keys.get_mut(key) {
            Some(o) => {
                self.hits += 1;
                match self.lfu {
                    false => o.access = (now / 1000) as u32,
                    true => {
                        self.lfu_rand ^= self.lfu_rand << 13;
                        self.lfu_rand ^= self.lfu_rand >> 7;
                        self.lfu_rand ^= self.lfu_rand << 17;
                        let r = (self.lfu_rand >> 11) as f64 / (1u64 << 53) as f64;
                        o.access =
                            lfu_touch(o.access, now, self.lfu_log_factor, self.lfu_decay_time, r);
                    }
                }
                Some(o)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Deletes `key` if its deadline has passed; true if it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now: i64) -> bool {
        if self.is_expired(key, now) {
            self.remove(key);
            self.expired_keys += 1;
            self.notify(notify::EXPIRED, "expired", key);
            true
        } else {
            false
        }
    }

    /// Lookup for a command that will modify the key: an expired key is deleted first.
    pub fn get_mut(&mut self, key: &[u8], now: i64) -> Option<&mut Object> {
        self.expire_if_needed(key, now);
        self.before_write(key);
        self.keys.get_mut(key)
    }

    /// Every modification of `key` passes here first: waiters are signalled and a
    /// snapshot in progress keeps the key's old state.
    fn before_write(&mut self, key: &[u8]) {
        self.signal(key);
        let Some(s) = self.snapshot.as_mut() else {
            return;
        };
        if s.detached.is_some() {
            return;
        }
        if let Some((pos, k, o)) = self.keys.get_full(key) {
            if pos < s.next && !s.skip.contains(key) {
                let exp = self.expires.get(key).copied();
                s.preimages.push((k.clone(), o.clone(), exp));
                s.skip.insert(k.clone());
            }
        }
    }

    /// Raises a keyspace event (Redis's `notifyKeyspaceEvent`) if its class is enabled.
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if self.notify_flags & class != 0
            && self.notify_flags & (notify::KEYSPACE | notify::KEYEVENT) != 0
        {
            self.events.push((event, key.into()));
        }
    }

    /// Records a modification of `key` if someone waits on it.
    pub fn signal(&mut self, key: &[u8]) {
        if !self.watched.is_empty() && self.watched.contains_key(key) {
            self.signaled.push(key.into());
        }
    }

    /// Records a modification of every waited-on key (FLUSHDB, SWAPDB).
    pub fn signal_all(&mut self) {
        let keys: Vec<Box<[u8]>> = self.watched.keys().cloned().collect();
        self.signaled.extend(keys);
    }

    /// Stores `value` under `key`. The key's deadline is cleared unless `keep_ttl`, as
    /// Redis's `setKey`. An existing object keeps its access metadata.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool, now: i64) {
        self.expire_if_needed(key, now);
        self.before_write(key);
        match self.keys.get_mut(key) {
            Some(o) => o.value = value,
            None => {
                let o = self.new_object(value, now);
                self.keys.insert(key.into(), o);
            }
        }
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.swap_remove(key);
        }
    }

    /// A new object with its access metadata initialised as Redis's `createObject`: the
    /// current LRU clock (seconds), or under LFU the current minute and the initial
    /// counter (`LFU_INIT_VAL`, 5), so OBJECT IDLETIME/FREQ start from 0/5.
    pub fn new_object(&self, value: Value, now: i64) -> Object {
        let access = if self.lfu {
            ((((now / 60_000) & 0xFFFF) as u32) << 8) | 5
        } else {
            (now / 1000) as u32
        };
        Object { value, access }
    }

    /// Inserts a whole object (RENAME, MOVE, COPY, RESTORE), replacing any value.
    pub fn insert_object(&mut self, key: &[u8], obj: Object, expire: Option<i64>) {
        self.before_write(key);
        self.keys.insert(key.into(), obj);
        match expire {
            Some(t) => {
                self.expires.insert(key.into(), t);
            }
            None => {
                if !self.expires.is_empty() {
                    self.expires.swap_remove(key);
                }
            }
        }
    }

    /// Adds a key read from a file (RDB load): one lookup, and the key's buffer is kept.
    /// Err(the key), changing nothing, if the key already exists.
    pub fn insert_loaded(
        &mut self,
        key: Box<[u8]>,
        obj: Object,
        expire: Option<i64>,
    ) -> Result<(), Box<[u8]>> {
        self.before_write(&key);
        match self.keys.entry(key) {
            indexmap::map::Entry::Occupied(o) => Err(o.key().clone()),
            indexmap::map::Entry::Vacant(v) => {
                if let Some(t) = expire {
                    self.expires.insert(v.key().clone(), t);
                }
                v.insert(obj);
                Ok(())
            }
        }
    }

    /// Removes a key and its deadline; returns the object if there was one.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let pos = self.keys.get_index_of(key)?;
        self.before_write(key);
        let last = self.keys.len() - 1;
        if let Some(s) = self.snapshot.as_mut() {
            // The last key moves into `pos`: if the walk has passed it (or it is new)
            // and `pos` is still to be visited, it must not be visited twice.
            if s.detached.is_none() && pos < s.next && last >= s.next && pos != last {
                if let Some((k, _)) = self.keys.get_index(last) {
                    s.skip.insert(k.clone());
                }
            }
        }
        let o = self.keys.swap_remove_index(pos)?.1;
        if let Some(s) = self.snapshot.as_mut() {
            // Positions past the end are gone; keys created from now on land above the
            // walk and are never visited.
            if s.detached.is_none() {
                s.next = s.next.min(self.keys.len());
            }
        }
        if !self.expires.is_empty() {
            self.expires.swap_remove(key);
        }
        Some(o)
    }

    /// Removes a live key (an expired one counts as absent); true if one was removed.
    pub fn delete(&mut self, key: &[u8], now: i64) -> bool {
        if self.expire_if_needed(key, now) {
            return false;
        }
        self.remove(key).is_some()
    }

    /// Sets an absolute deadline on an existing key.
    pub fn set_expire(&mut self, key: &[u8], at: i64) {
        self.before_write(key);
        if let Some(v) = self.expires.get_mut(key) {
            *v = at;
        } else {
            self.expires.insert(key.into(), at);
        }
    }

    /// Clears a deadline; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if !self.expires.contains_key(key) {
            return false;
        }
        self.before_write(key);
        self.expires.swap_remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.signal_all();
        let keys = std::mem::replace(&mut self.keys, new_dict());
        let expires = std::mem::replace(&mut self.expires, new_dict());
        if let Some(s) = self.snapshot.as_mut() {
            if s.detached.is_none() {
                s.detached = Some((keys, expires));
            }
        }
    }

    /// Starts a point-in-time walk of this database (see `Snapshot`).
    pub fn snapshot_begin(&mut self, index: usize) {
        self.snapshot = Some(Snapshot {
            index,
            next: self.keys.len(),
            skip: Default::default(),
            preimages: vec![],
            detached: None,
        });
    }

    /// Visits up to `max` keys of the walk (key, object, deadline), in an order that is
    /// not meaningful. Returns true when the walk is complete (and ends it).
    pub fn snapshot_step(&mut self, max: usize, visit: &mut SnapshotVisitor) -> bool {
        let Some(s) = self.snapshot.as_mut() else {
            return true;
        };
        let mut n = 0;
        for (k, o, e) in s.preimages.drain(..) {
            visit(&k, &o, e);
            n += 1;
        }
        let (keys, expires) = match &s.detached {
            Some((k, e)) => (k, e),
            None => (&self.keys, &self.expires),
        };
        while n < max && s.next > 0 {
            s.next -= 1;
            let Some((k, o)) = keys.get_index(s.next) else {
                continue;
            };
            if s.skip.remove(k) {
                continue;
            }
            visit(k, o, expires.get(k).copied());
            n += 1;
        }
        if s.next == 0 && s.preimages.is_empty() {
            self.snapshot = None;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use crate::rng::Rng;
    use std::collections::HashMap;

    fn val(o: &Object) -> Vec<u8> {
        match &o.value {
            Value::Str(s) => s.to_vec(),
            Value::Int(i) => i.to_string().into_bytes(),
            _ => b"?".to_vec(),
        }
    }

    /// Whatever writes happen during the walk, it yields exactly the state at its start:
    /// every key once, with its value and deadline of that moment.
    #[test]
    fn walk_sees_the_state_at_its_start() {
        for seed in 0..2000u64 {
            let mut rng = Rng::new(seed);
            let mut db = Db::default();
            let n = 1 + rng.below(60);
            for i in 0..n {
                db.set(
                    format!("k{i}").as_bytes(),
                    Value::string(format!("v{i}").as_bytes()),
                    false,
                    0,
                );
                if rng.below(3) == 0 {
                    db.set_expire(format!("k{i}").as_bytes(), 1000 + i as i64);
                }
            }
            let expected: HashMap<Vec<u8>, (Vec<u8>, Option<i64>)> = db
                .keys
                .iter()
                .map(|(k, o)| (k.to_vec(), (val(o), db.expires.get(k).copied())))
                .collect();
            db.snapshot_begin(0);
            let mut seen: HashMap<Vec<u8>, (Vec<u8>, Option<i64>)> = HashMap::new();
            let mut dup = false;
            let mut done = false;
            let mut round = 0;
            while !done {
                round += 1;
                for _ in 0..rng.below(6) {
                    let k = format!("k{}", rng.below(n + 20)).into_bytes();
                    match rng.below(if round % 17 == 0 { 6 } else { 5 }) {
                        0 => db.set(&k, Value::string(b"new"), false, 0),
                        1 => {
                            db.remove(&k);
                        }
                        2 => {
                            if db.keys.contains_key(&k[..]) {
                                db.set_expire(&k, 5);
                            }
                        }
                        3 => {
                            db.persist(&k);
                        }
                        4 => {
                            if let Some(o) = db.get_mut(&k, 0) {
                                o.value = Value::string(b"changed");
                            }
                        }
                        _ => db.clear(),
                    }
                }
                done = db.snapshot_step(1 + rng.below(5), &mut |k, o, e| {
                    if seen.insert(k.to_vec(), (val(o), e)).is_some() {
                        dup = true;
                    }
                });
            }
            assert!(!dup, "seed {seed}: a key was visited twice");
            assert_eq!(seen, expected, "seed {seed}");
        }
    }
}
