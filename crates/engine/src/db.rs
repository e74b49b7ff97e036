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
            true
        } else {
            false
        }
    }

    /// Lookup for a command that will modify the key: an expired key is deleted first.
    pub fn get_mut(&mut self, key: &[u8], now: i64) -> Option<&mut Object> {
        self.expire_if_needed(key, now);
        self.signal(key);
        self.keys.get_mut(key)
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
        self.signal(key);
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
        self.signal(key);
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

    /// Removes a key and its deadline; returns the object if there was one.
    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let o = self.keys.swap_remove(key)?;
        self.signal(key);
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
        self.signal(key);
        if let Some(v) = self.expires.get_mut(key) {
            *v = at;
        } else {
            self.expires.insert(key.into(), at);
        }
    }

    /// Clears a deadline; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let had = self.expires.swap_remove(key).is_some();
        if had {
            self.signal(key);
        }
        had
    }

    pub fn clear(&mut self) {
        self.signal_all();
        self.keys = new_dict();
        self.expires = new_dict();
    }
}
