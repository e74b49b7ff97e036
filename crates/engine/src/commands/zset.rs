//! Sorted-set commands (Redis's `t_zset.c`): ZADD/ZINCRBY, ZREM, ZCARD, ZSCORE/ZMSCORE,
//! ZRANK/ZREVRANK, ZCOUNT/ZLEXCOUNT, the ZRANGE family (ZRANGE with BYSCORE/BYLEX/REV/
//! LIMIT, ZRANGESTORE and the older ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX),
//! ZREMRANGEBY{RANK,SCORE,LEX}, ZPOPMIN/ZPOPMAX/ZMPOP and their blocking forms
//! BZPOPMIN/BZPOPMAX/BZMPOP, ZRANDMEMBER, the set operations ZUNION/ZINTER/ZDIFF (with
//! STORE forms and ZINTERCARD; plain sets count as members of score 1), and ZSCAN.
//!
//! Numbers are read as Redis reads them: scores with `strtod` refusing what `string2d`
//! refuses (leading space, trailing bytes, overflow, underflow to zero, NaN), range
//! bounds with bare `strtod` (so `""` is 0 and a leading space is fine), blocking
//! timeouts as `getTimeoutFromObjectOrReply`. Scores are replied with `Reply::double`.
//!
//! Blocking: BZPOPMIN, BZPOPMAX and BZMPOP pop at once when a key has data; otherwise
//! they set `ctx.would_block` (and reply nothing) when the command may block, or reply
//! as on timeout (a null array) when it may not. `blocking_timeout` gives the server
//! the deadline to park the client with.

use super::keyspace::{parse_cursor, touch_for_write};
use super::wrong_arity;
use crate::args::{int, is};
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, SYNTAX, TIMEOUT_NEGATIVE, WRONGTYPE,
};
use crate::db::{notify, Db};
use crate::dict::{scan_positions, Dict};
use crate::glob::glob_match;
use crate::object::Value;
use crate::zset::{cmp_score_member, ZSet};
use redraft_resp::{format_double, Reply};
use std::collections::HashMap;

/// ZUNION/ZINTER/ZDIFF/ZINTERCARD/ZMPOP: `numkeys` at 1, keys from 2.
const NUMKEYS_AT_1: Keys = Keys::Keynum {
    numkeys: 1,
    first: 2,
    step: 1,
};
/// BZMPOP: timeout at 1, `numkeys` at 2, keys from 3.
const NUMKEYS_AT_2: Keys = Keys::Keynum {
    numkeys: 2,
    first: 3,
    step: 1,
};
/// BZPOPMIN/BZPOPMAX: every argument but the first and the timeout.
const ALL_BUT_LAST: Keys = Keys::Range {
    first: 1,
    last: -2,
    step: 1,
};
/// ZRANGESTORE: destination and source.
const TWO: Keys = Keys::Range {
    first: 1,
    last: 2,
    step: 1,
};

/// Z*STORE: the destination, then `numkeys` keys after the count at 2.
fn store_keys(args: &[&[u8]]) -> Vec<usize> {
    let mut v = vec![1];
    v.extend(NUMKEYS_AT_2_FROM_3.positions(args));
    v
}
const NUMKEYS_AT_2_FROM_3: Keys = Keys::Keynum {
    numkeys: 2,
    first: 3,
    step: 1,
};
const STORE: Keys = Keys::Custom(store_keys);

pub const COMMANDS: &[EngineCommand] = &[
    cmd("zadd", -4, WRITE | DENYOOM | FAST, Keys::one(), "sorted-set", "1.2.0", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", zadd),
    cmd("zincrby", 4, WRITE | DENYOOM | FAST, Keys::one(), "sorted-set", "1.2.0", "Increments the score of a member in a sorted set.", zincrby),
    cmd("zrem", -3, WRITE | FAST, Keys::one(), "sorted-set", "1.2.0", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", zrem),
    cmd("zcard", 2, READONLY | FAST, Keys::one(), "sorted-set", "1.2.0", "Returns the number of members in a sorted set.", zcard),
    cmd("zcount", 4, READONLY | FAST, Keys::one(), "sorted-set", "2.0.0", "Returns the count of members in a sorted set that have scores within a range.", zcount),
    cmd("zlexcount", 4, READONLY | FAST, Keys::one(), "sorted-set", "2.8.9", "Returns the number of members in a sorted set within a lexicographical range.", zlexcount),
    cmd("zscore", 3, READONLY | FAST, Keys::one(), "sorted-set", "1.2.0", "Returns the score of a member in a sorted set.", zscore),
    cmd("zmscore", -3, READONLY | FAST, Keys::one(), "sorted-set", "6.2.0", "Returns the score of one or more members in a sorted set.", zmscore),
    cmd("zrank", -3, READONLY | FAST, Keys::one(), "sorted-set", "2.0.0", "Returns the index of a member in a sorted set ordered by ascending scores.", zrank),
    cmd("zrevrank", -3, READONLY | FAST, Keys::one(), "sorted-set", "2.0.0", "Returns the index of a member in a sorted set ordered by descending scores.", zrevrank),
    cmd("zrange", -4, READONLY, Keys::one(), "sorted-set", "1.2.0", "Returns members in a sorted set within a range of indexes.", zrange),
    cmd("zrangestore", -5, WRITE | DENYOOM, TWO, "sorted-set", "6.2.0", "Stores a range of members from sorted set in a key.", zrangestore),
    cmd("zrevrange", -4, READONLY, Keys::one(), "sorted-set", "1.2.0", "Returns members in a sorted set within a range of indexes in reverse order.", zrevrange),
    cmd("zrangebyscore", -4, READONLY, Keys::one(), "sorted-set", "1.0.5", "Returns members in a sorted set within a range of scores.", zrangebyscore),
    cmd("zrevrangebyscore", -4, READONLY, Keys::one(), "sorted-set", "2.2.0", "Returns members in a sorted set within a range of scores in reverse order.", zrevrangebyscore),
    cmd("zrangebylex", -4, READONLY, Keys::one(), "sorted-set", "2.8.9", "Returns members in a sorted set within a lexicographical range.", zrangebylex),
    cmd("zrevrangebylex", -4, READONLY, Keys::one(), "sorted-set", "2.8.9", "Returns members in a sorted set within a lexicographical range in reverse order.", zrevrangebylex),
    cmd("zremrangebyrank", 4, WRITE, Keys::one(), "sorted-set", "2.0.0", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", zremrangebyrank),
    cmd("zremrangebyscore", 4, WRITE, Keys::one(), "sorted-set", "1.2.0", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", zremrangebyscore),
    cmd("zremrangebylex", 4, WRITE, Keys::one(), "sorted-set", "2.8.9", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", zremrangebylex),
    cmd("zpopmin", -2, WRITE | FAST, Keys::one(), "sorted-set", "5.0.0", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", zpopmin),
    cmd("zpopmax", -2, WRITE | FAST, Keys::one(), "sorted-set", "5.0.0", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", zpopmax),
    cmd("zmpop", -4, WRITE, NUMKEYS_AT_1, "sorted-set", "7.0.0", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", zmpop),
    cmd("bzpopmin", -3, WRITE | FAST | BLOCKING, ALL_BUT_LAST, "sorted-set", "5.0.0", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", bzpopmin),
    cmd("bzpopmax", -3, WRITE | FAST | BLOCKING, ALL_BUT_LAST, "sorted-set", "5.0.0", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.", bzpopmax),
    cmd("bzmpop", -5, WRITE | BLOCKING, NUMKEYS_AT_2, "sorted-set", "7.0.0", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", bzmpop),
    cmd("zrandmember", -2, READONLY, Keys::one(), "sorted-set", "6.2.0", "Returns one or more random members from a sorted set.", zrandmember),
    cmd("zunion", -3, READONLY, NUMKEYS_AT_1, "sorted-set", "6.2.0", "Returns the union of multiple sorted sets.", zunion),
    cmd("zunionstore", -4, WRITE | DENYOOM, STORE, "sorted-set", "2.0.0", "Stores the union of multiple sorted sets in a key.", zunionstore),
    cmd("zinter", -3, READONLY, NUMKEYS_AT_1, "sorted-set", "6.2.0", "Returns the intersect of multiple sorted sets.", zinter),
    cmd("zinterstore", -4, WRITE | DENYOOM, STORE, "sorted-set", "2.0.0", "Stores the intersect of multiple sorted sets in a key.", zinterstore),
    cmd("zintercard", -3, READONLY, NUMKEYS_AT_1, "sorted-set", "7.0.0", "Returns the number of members of the intersect of multiple sorted sets.", zintercard),
    cmd("zdiff", -3, READONLY, NUMKEYS_AT_1, "sorted-set", "6.2.0", "Returns the difference between multiple sorted sets.", zdiff),
    cmd("zdiffstore", -4, WRITE | DENYOOM, STORE, "sorted-set", "6.2.0", "Stores the difference of multiple sorted sets in a key.", zdiffstore),
    cmd("zscan", -3, READONLY, Keys::one(), "sorted-set", "2.8.0", "Iterates over members and scores of a sorted set.", zscan),
];

// ---------------------------------------------------------------------------------------
// Number parsing, as C's `strtod` and Redis's wrappers around it.

/// C's `isspace` in the C locale.
fn c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// What glibc's `strtod` reads at the start of `s`: the value, the number of bytes
/// consumed (0 when nothing converts) and whether it set `ERANGE` (overflow to
/// infinity, or underflow of a non-zero number to zero). Accepts leading white space,
/// a sign, `inf`/`infinity`, `nan[(chars)]`, hexadecimal (`0x1.8p3`) and decimal forms.
pub fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < s.len() && c_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = if neg { -1.0 } else { 1.0 };
    let rest = &s[i..];
    let word = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    if word(b"inf") {
        let n = if word(b"infinity") { 8 } else { 3 };
        return (sign * f64::INFINITY, i + n, false);
    }
    if word(b"nan") {
        let mut n = 3;
        if rest.get(3) == Some(&b'(') {
            let mut j = 4;
            while j < rest.len() && (rest[j].is_ascii_alphanumeric() || rest[j] == b'_') {
                j += 1;
            }
            if rest.get(j) == Some(&b')') {
                n = j + 1;
            }
        }
        return (f64::NAN, i + n, false);
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        return match hex_float(&rest[2..]) {
            Some((v, n, erange)) => (sign * v, i + 2 + n, erange),
            // "0x" not followed by a hex digit: only the "0" converts.
            None => (sign * 0.0, i + 1, false),
        };
    }
    let mut j = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while j < rest.len() && rest[j].is_ascii_digit() {
        nonzero |= rest[j] != b'0';
        digits += 1;
        j += 1;
    }
    if j < rest.len() && rest[j] == b'.' {
        j += 1;
        while j < rest.len() && rest[j].is_ascii_digit() {
            nonzero |= rest[j] != b'0';
            digits += 1;
            j += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if j < rest.len() && (rest[j] | 0x20) == b'e' {
        let mut k = j + 1;
        if k < rest.len() && (rest[k] == b'+' || rest[k] == b'-') {
            k += 1;
        }
        if k < rest.len() && rest[k].is_ascii_digit() {
            while k < rest.len() && rest[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    // Only ASCII digits, '.', 'e' and a sign are in rest[..j]: Rust's parser reads the
    // same grammar, correctly rounded as glibc.
    let v: f64 = std::str::from_utf8(&rest[..j])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0);
    let erange = v.is_infinite() || (v == 0.0 && nonzero);
    (sign * v, i + j, erange)
}

/// The part of a hexadecimal float after "0x": (magnitude, bytes consumed, ERANGE), or
/// None without a hex digit.
fn hex_float(s: &[u8]) -> Option<(f64, usize, bool)> {
    let mut j = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut sticky = false;
    let mut frac = false;
    loop {
        match s.get(j) {
            Some(&c) if c.is_ascii_hexdigit() => {
                let d = (c as char).to_digit(16).unwrap_or(0) as u64;
                any = true;
                if mant < (1 << 60) {
                    mant = mant * 16 + d;
                    if frac {
                        exp -= 4;
                    }
                } else {
                    sticky |= d != 0;
                    if !frac {
                        exp += 4;
                    }
                }
            }
            Some(b'.') if !frac => frac = true,
            _ => break,
        }
        j += 1;
    }
    if !any {
        return None;
    }
    if j < s.len() && (s[j] | 0x20) == b'p' {
        let mut k = j + 1;
        let neg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if k < s.len() && s[k].is_ascii_digit() {
            let mut e: i64 = 0;
            while k < s.len() && s[k].is_ascii_digit() {
                e = (e * 10 + (s[k] - b'0') as i64).min(1 << 20);
                k += 1;
            }
            exp += if neg { -e } else { e };
            j = k;
        }
    }
    let mut v = (mant | sticky as u64) as f64;
    let mut e = exp;
    while e > 0 && v.is_finite() && v != 0.0 {
        let step = e.min(1000);
        v *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 && v != 0.0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step as i32);
        e += step;
    }
    let erange = v.is_infinite() || (v == 0.0 && mant != 0);
    Some((v, j, erange))
}

/// A score as `getDoubleFromObject` (`string2d`) accepts it.
pub fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || c_space(arg[0]) {
        return None;
    }
    let (v, n, erange) = strtod(arg);
    if n != arg.len() || (erange && (v.is_infinite() || v == 0.0)) || v.is_nan() {
        return None;
    }
    Some(v)
}

fn score_arg(arg: &[u8]) -> Result<f64, Error> {
    parse_score(arg).ok_or(crate::command::NOT_FLOAT)
}

/// The argument as C sees it: up to its first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&c| c == 0) {
        Some(p) => &arg[..p],
        None => arg,
    }
}

/// A score interval (`zrangespec`).
#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

impl ScoreRange {
    /// `zslParseRange`: `(` makes a bound exclusive; the rest goes through `strtod`,
    /// which must read to the end (so "" is 0); NaN is refused.
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, Error> {
        fn bound(arg: &[u8]) -> Option<(f64, bool)> {
            let arg = c_str(arg);
            let (ex, s) = match arg.first() {
                Some(b'(') => (true, &arg[1..]),
                _ => (false, arg),
            };
            let (v, n, _) = strtod(s);
            (n == s.len() && !v.is_nan()).then_some((v, ex))
        }
        match (bound(min), bound(max)) {
            (Some((min, minex)), Some((max, maxex))) => Ok(ScoreRange {
                min,
                minex,
                max,
                maxex,
            }),
            _ => Err(Error::err("min or max is not a float")),
        }
    }

    fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }

    /// Rank of the first element in range.
    fn first(&self, zs: &ZSet) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let i = zs.count_before(|s, _| !self.gte_min(s));
        zs.get_by_rank(i)
            .filter(|&(_, s)| self.lte_max(s))
            .map(|_| i)
    }

    /// Rank of the last element in range.
    fn last(&self, zs: &ZSet) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let i = zs.count_before(|s, _| self.lte_max(s)).checked_sub(1)?;
        zs.get_by_rank(i)
            .filter(|&(_, s)| self.gte_min(s))
            .map(|_| i)
    }
}

/// One end of a lexicographical range (`zlexrangespec`): `-`, `+`, `[x` or `(x`.
#[derive(Clone, Copy, Debug)]
enum Lex<'a> {
    Min,
    Max,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

#[derive(Clone, Copy, Debug)]
struct LexRange<'a> {
    min: Lex<'a>,
    max: Lex<'a>,
}

impl<'a> LexRange<'a> {
    /// `zslParseLexRange`.
    fn parse(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, Error> {
        fn item(arg: &[u8]) -> Option<Lex<'_>> {
            let alone = arg.len() == 1 || arg[1] == 0;
            match arg.first()? {
                b'+' => alone.then_some(Lex::Max),
                b'-' => alone.then_some(Lex::Min),
                b'(' => Some(Lex::Excl(&arg[1..])),
                b'[' => Some(Lex::Incl(&arg[1..])),
                _ => None,
            }
        }
        match (item(min), item(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(Error::err("min or max not valid string range item")),
        }
    }

    fn gte_min(&self, v: &[u8]) -> bool {
        match self.min {
            Lex::Min => true,
            Lex::Max => false,
            Lex::Incl(s) => v >= s,
            Lex::Excl(s) => v > s,
        }
    }

    fn lte_max(&self, v: &[u8]) -> bool {
        match self.max {
            Lex::Max => true,
            Lex::Min => false,
            Lex::Incl(s) => v <= s,
            Lex::Excl(s) => v < s,
        }
    }

    /// `sdscmplex(min, max) > 0`, or equal with an exclusive end.
    fn is_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        let cmp = match (self.min, self.max) {
            (Lex::Min, Lex::Min) | (Lex::Max, Lex::Max) => Equal,
            (Lex::Min, _) | (_, Lex::Max) => Less,
            (Lex::Max, _) | (_, Lex::Min) => Greater,
            (Lex::Incl(a) | Lex::Excl(a), Lex::Incl(b) | Lex::Excl(b)) => a.cmp(b),
        };
        let exclusive = |l: Lex| !matches!(l, Lex::Incl(_));
        cmp == Greater || (cmp == Equal && (exclusive(self.min) || exclusive(self.max)))
    }

    /// `zslIsInLexRange`'s checks on the ends of the set.
    fn may_match(&self, zs: &ZSet) -> bool {
        if self.is_empty() || zs.is_empty() {
            return false;
        }
        let last = zs.get_by_rank(zs.len() - 1);
        let first = zs.get_by_rank(0);
        last.is_some_and(|(m, _)| self.gte_min(m)) && first.is_some_and(|(m, _)| self.lte_max(m))
    }

    /// Whether members are in lexicographical order, so bounds can be searched in
    /// O(log n): equal scores everywhere (score order is monotone, so the first and
    /// last are enough) and not a listpack (which Redis scans).
    fn searchable(zs: &ZSet) -> bool {
        let ends = (zs.get_by_rank(0), zs.get_by_rank(zs.len().wrapping_sub(1)));
        !zs.is_listpack() && matches!(ends, (Some((_, a)), Some((_, b))) if a == b)
    }

    /// Rank of the first element in range. Lex ranges assume equal scores. When they
    /// differ the result is undefined in Redis (and depends on its skiplist's random
    /// levels); here the set is then scanned in order as Redis scans a listpack, so the
    /// result is a function of the contents alone, the same on every node.
    fn first(&self, zs: &ZSet) -> Option<usize> {
        if !self.may_match(zs) {
            return None;
        }
        let i = if !Self::searchable(zs) {
            zs.iter().position(|(m, _)| self.gte_min(m))?
        } else {
            zs.count_before(|_, m| !self.gte_min(m))
        };
        zs.get_by_rank(i)
            .filter(|&(m, _)| self.lte_max(m))
            .map(|_| i)
    }

    /// Rank of the last element in range.
    fn last(&self, zs: &ZSet) -> Option<usize> {
        if !self.may_match(zs) {
            return None;
        }
        let i = if !Self::searchable(zs) {
            zs.len()
                - 1
                - zs.rev_iter_from(zs.len() - 1)
                    .position(|(m, _)| self.lte_max(m))?
        } else {
            zs.count_before(|_, m| self.lte_max(m)).checked_sub(1)?
        };
        zs.get_by_rank(i)
            .filter(|&(m, _)| self.gte_min(m))
            .map(|_| i)
    }
}

/// Formats a score as `%.17g` (Redis's `ld2string(LD_STR_AUTO)`, used by ZSCAN on a
/// skiplist-encoded set).
pub fn format_17g(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let e = format!("{:.16e}", v.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(24);
    if v < 0.0 {
        out.push('-');
    }
    if !(-4..17).contains(&exp) {
        out.push_str(&digits[..1]);
        let frac = digits[1..].trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        out.push_str(&digits[..int_len]);
        let frac = digits[int_len..].trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// A blocking command's timeout as `getTimeoutFromObjectOrReply` (seconds, read as a
/// `long double`): the absolute deadline in ms, or 0 to wait forever.
fn parse_timeout(arg: &[u8], now: i64) -> Result<i64, Error> {
    let not_float = || Error::err("timeout is not a float or out of range");
    let out_of_range = || Error::err("timeout is out of range");
    // string2ld: no leading space, at most MAX_LONG_DOUBLE_CHARS, whole argument, no NaN.
    if arg.is_empty() || arg.len() >= 5 * 1024 || c_space(arg[0]) {
        return Err(not_float());
    }
    let (v, n, erange) = strtod(arg);
    if n != arg.len() || v.is_nan() {
        return Err(not_float());
    }
    // A double's range is narrower than a long double's: what overflows a double is a
    // (huge) finite long double, what underflows to zero a tiny non-zero one.
    let ms = if erange && v == 0.0 {
        if v.is_sign_negative() {
            0.0
        } else {
            1.0
        }
    } else if erange && v.is_infinite() {
        v
    } else {
        (v * 1000.0).ceil()
    };
    if ms >= i64::MAX as f64 {
        return Err(out_of_range());
    }
    let t = ms as i64;
    if t < 0 {
        return Err(TIMEOUT_NEGATIVE);
    }
    if t > 0 {
        return t.checked_add(now).ok_or_else(out_of_range);
    }
    Ok(0)
}

/// For the server: the deadline (absolute ms, 0 = forever) a blocking sorted-set
/// command (BZPOPMIN, BZPOPMAX, BZMPOP) waits until, computed as the command computed
/// it when it set `would_block`. Errors as the command's own.
pub fn blocking_timeout(args: &[&[u8]], now: i64) -> Result<i64, Error> {
    let name = args.first().copied().unwrap_or_default();
    let arg = if is(name, "bzmpop") {
        args.get(1)
    } else {
        args.last()
    };
    parse_timeout(arg.copied().unwrap_or_default(), now)
}

// ---------------------------------------------------------------------------------------
// Key access.

/// The sorted set under `key` for a read (counts a hit or miss): None if absent,
/// WRONGTYPE for another type.
fn read_zset<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a ZSet>, Error> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(WRONGTYPE),
        },
    }
}

/// The sorted set under `key` for a write, as `lookupKeyWrite` (an expired key is
/// deleted first). An absent key or one of another type is not signaled: only a key
/// that is about to be modified.
fn write_zset<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut ZSet>, Error> {
    match db.peek(key, now) {
        None => {
            db.expire_if_needed(key, now);
            return Ok(None);
        }
        Some(o) if !matches!(o.value, Value::ZSet(_)) => return Err(WRONGTYPE),
        Some(_) => {}
    }
    let lfu = db.lfu;
    match db.get_mut(key, now) {
        Some(o) => {
            touch_for_write(o, lfu, now);
            match &mut o.value {
                Value::ZSet(z) => Ok(Some(z)),
                _ => Err(WRONGTYPE),
            }
        }
        None => Ok(None),
    }
}

/// Writes (member, score) pairs: flat in RESP2 (`*2n`), pairs in RESP3 when scores
/// are included; bare members without scores.
fn reply_elements<'a>(
    reply: &mut Reply,
    items: impl ExactSizeIterator<Item = (&'a [u8], f64)>,
    withscores: bool,
) {
    let n = items.len();
    reply.array(if withscores && !reply.resp3() {
        2 * n
    } else {
        n
    });
    for (m, s) in items {
        reply_element(reply, m, s, withscores);
    }
}

fn reply_element(reply: &mut Reply, m: &[u8], s: f64, withscores: bool) {
    if withscores && reply.resp3() {
        reply.array(2);
    }
    reply.bulk(m);
    if withscores {
        reply.double(s);
    }
}

// ---------------------------------------------------------------------------------------
// ZADD / ZINCRBY

#[derive(Clone, Copy, Default)]
struct AddFlags {
    incr: bool,
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

enum AddOutcome {
    Added,
    Updated,
    /// Processed with no change (same score).
    Same,
    /// Not processed (NX, XX, GT, LT).
    Nop,
}

/// Redis's `zsetAdd`: Err on a NaN result. Returns what happened and the new score.
/// Looks the member up once.
fn zset_add(
    zs: &mut ZSet,
    score: f64,
    member: &[u8],
    f: AddFlags,
) -> Result<(AddOutcome, f64), ()> {
    let mut outcome = Ok((AddOutcome::Nop, score));
    zs.upsert(member, |cur| match cur {
        Some(cur) => {
            if f.nx {
                return None;
            }
            let mut score = score;
            if f.incr {
                score += cur;
                if score.is_nan() {
                    outcome = Err(());
                    return None;
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                outcome = Ok((AddOutcome::Nop, score));
                return None;
            }
            if score != cur {
                outcome = Ok((AddOutcome::Updated, score));
                Some(score)
            } else {
                outcome = Ok((AddOutcome::Same, score));
                None
            }
        }
        None if !f.xx => {
            outcome = Ok((AddOutcome::Added, score));
            Some(score)
        }
        None => None,
    });
    outcome
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(ctx, AddFlags::default())
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx) -> CmdResult {
    zadd_generic(
        ctx,
        AddFlags {
            incr: true,
            ..Default::default()
        },
    )
}

fn zadd_generic(ctx: &mut Ctx, mut f: AddFlags) -> CmdResult {
    let args = ctx.args;
    let (now, key) = (ctx.now, args[1]);
    let mut ch = false;
    let mut idx = 2;
    while idx < args.len() {
        let o = args[idx];
        if is(o, "nx") {
            f.nx = true;
        } else if is(o, "xx") {
            f.xx = true;
        } else if is(o, "ch") {
            ch = true;
        } else if is(o, "incr") {
            f.incr = true;
        } else if is(o, "gt") {
            f.gt = true;
        } else if is(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let elements = args.len() - idx;
    if elements % 2 == 1 || elements == 0 {
        return Err(SYNTAX);
    }
    let elements = elements / 2;
    if f.nx && f.xx {
        return Err(Error::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return Err(Error::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 1 {
        return Err(Error::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let scores = (0..elements)
        .map(|j| score_arg(args[idx + 2 * j]))
        .collect::<Result<Vec<f64>, Error>>()?;
    let pairs = || (0..elements).map(|j| (scores[j], args[idx + 2 * j + 1]));

    let db = &mut ctx.dbs[ctx.db];
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    let mut nan = false;
    let mut apply = |zs: &mut ZSet| {
        for (score, member) in pairs() {
            match zset_add(zs, score, member, f) {
                Err(()) => {
                    nan = true;
                    return;
                }
                Ok((outcome, s)) => {
                    last = s;
                    match outcome {
                        AddOutcome::Added => added += 1,
                        AddOutcome::Updated => updated += 1,
                        AddOutcome::Same => {}
                        AddOutcome::Nop => continue,
                    }
                    processed += 1;
                }
            }
        }
    };
    match write_zset(db, key, now)? {
        Some(zs) => {
            zs.maybe_convert(elements);
            apply(zs);
        }
        None if f.xx => {}
        None => {
            let mut zs = ZSet::with_hint(elements, args[idx + 1].len());
            apply(&mut zs);
            db.set(key, Value::ZSet(Box::new(zs)), false, now);
        }
    }
    if added + updated > 0 {
        db.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    *ctx.dirty += (added + updated) as u64;
    if nan {
        return Err(Error::err("resulting score is not a number (NaN)"));
    }
    if f.incr {
        if processed > 0 {
            ctx.reply.double(last);
        } else {
            ctx.reply.null();
        }
    } else {
        ctx.reply.int(if ch { added + updated } else { added });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads

/// ZCARD key
fn zcard(ctx: &mut Ctx) -> CmdResult {
    let n = read_zset(&mut ctx.dbs[ctx.db], ctx.args[1], ctx.now)?.map_or(0, |z| z.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx) -> CmdResult {
    match read_zset(&mut ctx.dbs[ctx.db], ctx.args[1], ctx.now)?.and_then(|z| z.score(ctx.args[2]))
    {
        Some(s) => ctx.reply.double(s),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let zs = read_zset(&mut ctx.dbs[ctx.db], ctx.args[1], ctx.now)?;
    ctx.reply.array(ctx.args.len() - 2);
    for m in &ctx.args[2..] {
        match zs.and_then(|z| z.score(m)) {
            Some(s) => ctx.reply.double(s),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// ZRANK key member [WITHSCORE]
fn zrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, false)
}

/// ZREVRANK key member [WITHSCORE]
fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    zrank_generic(ctx, true)
}

fn zrank_generic(ctx: &mut Ctx, reverse: bool) -> CmdResult {
    let args = ctx.args;
    if args.len() > 4 {
        return Err(Error::new(wrong_arity(args)));
    }
    let withscore = args.len() == 4;
    if withscore && !is(args[3], "withscore") {
        return Err(SYNTAX);
    }
    let found = read_zset(&mut ctx.dbs[ctx.db], args[1], ctx.now)?.and_then(|z| {
        let r = z.rank(args[2])?;
        let s = z.score(args[2])?;
        Some((if reverse { z.len() - 1 - r } else { r }, s))
    });
    match found {
        Some((r, s)) => {
            if withscore {
                ctx.reply.array(2);
            }
            ctx.reply.int(r as i64);
            if withscore {
                ctx.reply.double(s);
            }
        }
        None if withscore => ctx.reply.null_array(),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx) -> CmdResult {
    let range = ScoreRange::parse(ctx.args[2], ctx.args[3])?;
    let n = match read_zset(&mut ctx.dbs[ctx.db], ctx.args[1], ctx.now)? {
        None => 0,
        Some(zs) => match (range.first(zs), range.last(zs)) {
            (Some(a), Some(b)) if b >= a => b - a + 1,
            _ => 0,
        },
    };
    ctx.reply.int(n as i64);
    Ok(())
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let range = LexRange::parse(ctx.args[2], ctx.args[3])?;
    let n = match read_zset(&mut ctx.dbs[ctx.db], ctx.args[1], ctx.now)? {
        None => 0,
        Some(zs) => match range.first(zs) {
            None => 0,
            // A listpack is walked from the first match; a skiplist counts by ranks.
            Some(a) if !LexRange::searchable(zs) => zs
                .iter_from(a)
                .take_while(|(m, _)| range.lte_max(m))
                .count(),
            Some(a) => match range.last(zs) {
                Some(b) if b >= a => b - a + 1,
                _ => 0,
            },
        },
    };
    ctx.reply.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The ZRANGE family

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

enum Spec<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Auto, Direction::Auto)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 2, true, RangeType::Auto, Direction::Auto)
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Rank, Direction::Reverse)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Score, Direction::Forward)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Score, Direction::Reverse)
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Lex, Direction::Forward)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    zrange_generic(ctx, 1, false, RangeType::Lex, Direction::Reverse)
}

/// Redis's `zrangeGenericCommand`: `argc_start` is the source key's position.
fn zrange_generic(
    ctx: &mut Ctx,
    argc_start: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> CmdResult {
    let args = ctx.args;
    let now = ctx.now;
    let key = args[argc_start];
    let (mut minidx, mut maxidx) = (argc_start + 1, argc_start + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = argc_start + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = args[j];
        if !store && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            offset = int(args[j + 1])?;
            limit = int(args[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && is(a, "rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && is(a, "bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && is(a, "byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    let reverse = direction == Direction::Reverse;
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(Error::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(Error::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if reverse && rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let spec = match rangetype {
        RangeType::Score => Spec::Score(ScoreRange::parse(args[minidx], args[maxidx])?),
        RangeType::Lex => Spec::Lex(LexRange::parse(args[minidx], args[maxidx])?),
        _ => Spec::Rank(int(args[minidx])?, int(args[maxidx])?),
    };

    let db = &mut ctx.dbs[ctx.db];
    let zs = match read_zset(db, key, now)? {
        Some(zs) => zs,
        None => {
            if store {
                finish_store(ctx, args[1], None, "zrangestore");
            } else {
                ctx.reply.array(0);
            }
            return Ok(());
        }
    };
    let items = select_range(zs, &spec, reverse, offset, limit);
    if store {
        // Redis sizes the destination by the rank range (0 for score and lex ranges)
        // and adds the elements one by one.
        let hint = if matches!(spec, Spec::Rank(..)) {
            items.len()
        } else {
            0
        };
        let mut dst = ZSet::with_hint(hint, 0);
        for &(m, s) in &items {
            dst.insert(m, s);
        }
        let dst = (!dst.is_empty()).then_some(dst);
        finish_store(ctx, args[1], dst, "zrangestore");
    } else {
        reply_elements(ctx.reply, items.into_iter(), withscores);
    }
    Ok(())
}

/// The elements a range selects, in reply order.
fn select_range<'z>(
    zs: &'z ZSet,
    spec: &Spec,
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Vec<(&'z [u8], f64)> {
    let len = zs.len();
    let take = if limit < 0 {
        usize::MAX
    } else {
        usize::try_from(limit).unwrap_or(usize::MAX)
    };
    // Score and lex ranges: a negative offset, or one past the end, selects nothing.
    let bad_offset = offset < 0 || (offset > 0 && offset as u64 >= len as u64);
    match *spec {
        Spec::Rank(start, end) => {
            let llen = len as i64;
            let mut start = if start < 0 { start + llen } else { start };
            let mut end = if end < 0 { end + llen } else { end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= llen {
                return Vec::new();
            }
            if end >= llen {
                end = llen - 1;
            }
            let n = (end - start + 1) as usize;
            if reverse {
                zs.rev_iter_from(len - 1 - start as usize).take(n).collect()
            } else {
                zs.iter_from(start as usize).take(n).collect()
            }
        }
        _ if bad_offset => Vec::new(),
        Spec::Score(r) => {
            let offset = offset as usize;
            if reverse {
                match r.last(zs) {
                    Some(i) if i >= offset => zs
                        .rev_iter_from(i - offset)
                        .take_while(|&(_, s)| r.gte_min(s))
                        .take(take)
                        .collect(),
                    _ => Vec::new(),
                }
            } else {
                match r.first(zs) {
                    Some(i) => zs
                        .iter_from(i.saturating_add(offset))
                        .take_while(|&(_, s)| r.lte_max(s))
                        .take(take)
                        .collect(),
                    None => Vec::new(),
                }
            }
        }
        Spec::Lex(r) => {
            let offset = offset as usize;
            if reverse {
                match r.last(zs) {
                    Some(i) if i >= offset => zs
                        .rev_iter_from(i - offset)
                        .take_while(|&(m, _)| r.gte_min(m))
                        .take(take)
                        .collect(),
                    _ => Vec::new(),
                }
            } else {
                match r.first(zs) {
                    Some(i) => zs
                        .iter_from(i.saturating_add(offset))
                        .take_while(|&(m, _)| r.lte_max(m))
                        .take(take)
                        .collect(),
                    None => Vec::new(),
                }
            }
        }
    }
}

/// Stores a computed set under `dst` (or deletes `dst` for an empty result) and replies
/// with its size, as the STORE variants do; `event` is the command's keyspace event.
fn finish_store(ctx: &mut Ctx, dst: &[u8], zs: Option<ZSet>, event: &'static str) {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    match zs {
        Some(zs) => {
            let n = zs.len();
            db.set(dst, Value::ZSet(Box::new(zs)), false, now);
            db.notify(notify::ZSET, event, dst);
            *ctx.dirty += 1;
            ctx.reply.int(n as i64);
        }
        None => {
            ctx.reply.int(0);
            // As Redis's `dbDelete`: even a key past its deadline is deleted (and `del`).
            if db.remove(dst).is_some() {
                db.notify(notify::GENERIC, "del", dst);
                *ctx.dirty += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Removal

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx) -> CmdResult {
    let (now, key) = (ctx.now, ctx.args[1]);
    let db = &mut ctx.dbs[ctx.db];
    let mut deleted = 0i64;
    let emptied = match write_zset(db, key, now)? {
        None => false,
        Some(zs) => {
            for m in &ctx.args[2..] {
                if zs.remove(m).is_some() {
                    deleted += 1;
                }
                if zs.is_empty() {
                    break;
                }
            }
            zs.is_empty()
        }
    };
    if deleted > 0 {
        db.notify(notify::ZSET, "zrem", key);
    }
    if emptied {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += deleted as u64;
    ctx.reply.int(deleted);
    Ok(())
}

/// ZREMRANGEBYRANK key start stop
fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    let spec = Spec::Rank(int(ctx.args[2])?, int(ctx.args[3])?);
    zremrange_generic(ctx, spec)
}

/// ZREMRANGEBYSCORE key min max
fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    let spec = Spec::Score(ScoreRange::parse(ctx.args[2], ctx.args[3])?);
    zremrange_generic(ctx, spec)
}

/// ZREMRANGEBYLEX key min max
fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let spec = Spec::Lex(LexRange::parse(args[2], args[3])?);
    zremrange_generic(ctx, spec)
}

fn zremrange_generic(ctx: &mut Ctx, spec: Spec) -> CmdResult {
    let (now, key) = (ctx.now, ctx.args[1]);
    let event = match spec {
        Spec::Rank(..) => "zremrangebyrank",
        Spec::Score(_) => "zremrangebyscore",
        Spec::Lex(_) => "zremrangebylex",
    };
    let db = &mut ctx.dbs[ctx.db];
    let Some(zs) = write_zset(db, key, now)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let len = zs.len();
    let (start, end) = match spec {
        Spec::Rank(start, end) => {
            let llen = len as i64;
            let mut start = if start < 0 { start + llen } else { start };
            let mut end = if end < 0 { end + llen } else { end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= llen {
                ctx.reply.int(0);
                return Ok(());
            }
            if end >= llen {
                end = llen - 1;
            }
            (start as usize, end as usize + 1)
        }
        Spec::Score(r) => match r.first(zs) {
            Some(a) => (
                a,
                a + zs.iter_from(a).take_while(|&(_, s)| r.lte_max(s)).count(),
            ),
            None => (0, 0),
        },
        Spec::Lex(r) => match r.first(zs) {
            Some(a) => (
                a,
                a + zs.iter_from(a).take_while(|&(m, _)| r.lte_max(m)).count(),
            ),
            None => (0, 0),
        },
    };
    let deleted = zs.remove_range(start, end, |_, _| {});
    let emptied = zs.is_empty();
    if deleted > 0 {
        db.notify(notify::ZSET, event, key);
    }
    if emptied {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += deleted as u64;
    ctx.reply.int(deleted as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Pops

/// How a pop replies (Redis's `genericZpopCommand` arguments).
#[derive(Clone, Copy)]
struct PopReply {
    /// Reply with the key name (blocking pops, ZMPOP).
    emitkey: bool,
    /// Pairs as nested arrays.
    nested: bool,
    /// Null array when no key has data (ZMPOP); empty array otherwise.
    nil_when_empty: bool,
}

/// Pops from the first existing key of `keys`: `count` elements, or -1 for the plain
/// single pop. WRONGTYPE on the first key of another type met before it.
fn generic_zpop(ctx: &mut Ctx, keys: &[&[u8]], max: bool, count: i64, how: PopReply) -> CmdResult {
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let mut found = None;
    for &key in keys {
        match db.peek(key, now) {
            None => {
                db.expire_if_needed(key, now);
            }
            Some(o) if !matches!(o.value, Value::ZSet(_)) => return Err(WRONGTYPE),
            Some(_) => {
                found = Some(key);
                break;
            }
        }
    }
    let Some(key) = found else {
        if how.nil_when_empty {
            ctx.reply.null_array();
        } else {
            ctx.reply.array(0);
        }
        return Ok(());
    };
    if count == 0 {
        ctx.reply.array(0);
        return Ok(());
    }
    let count = if count == -1 { 1 } else { count as u64 };
    let Some(zs) = write_zset(db, key, now)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let len = zs.len();
    let n = len.min(usize::try_from(count).unwrap_or(usize::MAX));
    let reply = &mut *ctx.reply;
    match (how.nested, how.emitkey) {
        (false, false) => reply.array(2 * n),
        (true, false) => reply.array(n),
        (false, true) => {
            reply.array(2 * n + 1);
            reply.bulk(key);
        }
        (true, true) => {
            reply.array(2);
            reply.bulk(key);
            reply.array(n);
        }
    }
    let mut popped = Vec::with_capacity(n);
    let (start, end) = if max { (len - n, len) } else { (0, n) };
    zs.remove_range(start, end, |m, s| popped.push((m, s)));
    if max {
        popped.reverse();
    }
    for (m, s) in &popped {
        if how.nested {
            reply.array(2);
        }
        reply.bulk(m);
        reply.double(*s);
    }
    let emptied = zs.is_empty();
    if n > 0 {
        db.notify(notify::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
    }
    if emptied {
        db.remove(key);
        db.notify(notify::GENERIC, "del", key);
    }
    *ctx.dirty += n as u64;
    Ok(())
}

/// ZPOPMIN key [count]
fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    zpop_minmax(ctx, false)
}

/// ZPOPMAX key [count]
fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    zpop_minmax(ctx, true)
}

fn zpop_minmax(ctx: &mut Ctx, max: bool) -> CmdResult {
    let args = ctx.args;
    if args.len() > 3 {
        return Err(SYNTAX);
    }
    let mut count = -1;
    if args.len() == 3 {
        count = int(args[2])
            .ok()
            .filter(|c| *c >= 0)
            .ok_or_else(|| Error::err("value is out of range, must be positive"))?;
    }
    let how = PopReply {
        emitkey: false,
        nested: ctx.reply.resp3() && count != -1,
        nil_when_empty: false,
    };
    generic_zpop(ctx, &args[1..2], max, count, how)
}

/// ZMPOP/BZMPOP arguments from `numkeys_idx`: (keys, MAX?, count).
fn parse_mpop<'a>(
    args: &[&'a [u8]],
    numkeys_idx: usize,
) -> Result<(Vec<&'a [u8]>, bool, i64), Error> {
    let numkeys = int(args[numkeys_idx])
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| Error::err("numkeys should be greater than 0"))?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_idx + 1))
        .filter(|&w| w < args.len())
        .ok_or(SYNTAX)?;
    let max = if is(args[where_idx], "min") {
        false
    } else if is(args[where_idx], "max") {
        true
    } else {
        return Err(SYNTAX);
    };
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count == -1 && is(args[j], "count") && more > 0 {
            j += 1;
            count = int(args[j])
                .ok()
                .filter(|c| *c >= 1)
                .ok_or_else(|| Error::err("count should be greater than 0"))?;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    Ok((args[numkeys_idx + 1..where_idx].to_vec(), max, count))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
fn zmpop(ctx: &mut Ctx) -> CmdResult {
    let (keys, max, count) = parse_mpop(ctx.args, 1)?;
    let how = PopReply {
        emitkey: true,
        nested: true,
        nil_when_empty: true,
    };
    generic_zpop(ctx, &keys, max, count, how)
}

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    blocking_zpop(
        ctx,
        &args[1..args.len() - 1],
        false,
        args.len() - 1,
        -1,
        false,
    )
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    blocking_zpop(
        ctx,
        &args[1..args.len() - 1],
        true,
        args.len() - 1,
        -1,
        false,
    )
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let (keys, max, count) = parse_mpop(ctx.args, 2)?;
    blocking_zpop(ctx, &keys, max, 1, count, true)
}

/// Redis's `blockingGenericZpopCommand`: pop from the first non-empty key, or block.
fn blocking_zpop(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    timeout_idx: usize,
    count: i64,
    mpop: bool,
) -> CmdResult {
    parse_timeout(ctx.args[timeout_idx], ctx.now)?;
    let now = ctx.now;
    let db = &mut ctx.dbs[ctx.db];
    let mut found = None;
    for &key in keys {
        // Looked up for writing, as Redis: an expired key is deleted.
        db.expire_if_needed(key, now);
        match db.peek(key, now) {
            None => continue,
            Some(o) => match &o.value {
                Value::ZSet(z) if !z.is_empty() => {
                    found = Some(key);
                    break;
                }
                Value::ZSet(_) => continue,
                _ => return Err(WRONGTYPE),
            },
        }
    }
    match found {
        Some(key) => {
            let how = PopReply {
                emitkey: true,
                nested: mpop,
                nil_when_empty: mpop,
            };
            generic_zpop(ctx, &[key], max, count, how)
        }
        None if ctx.may_block => {
            ctx.would_block = true;
            Ok(())
        }
        None => {
            ctx.reply.null_array();
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------
// ZRANDMEMBER

/// ZRANDMEMBER key [count [WITHSCORES]]
fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() >= 3 {
        let l = int(args[2])?;
        if l == i64::MIN {
            return Err(Error::err(
                "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        if args.len() > 4 || (args.len() == 4 && !is(args[3], "withscores")) {
            return Err(SYNTAX);
        }
        let withscores = args.len() == 4;
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(Error::err("value is out of range"));
        }
        return zrandmember_count(ctx, l, withscores);
    }
    let db = &mut ctx.dbs[ctx.db];
    match read_zset(db, args[1], ctx.now)? {
        None => ctx.reply.null(),
        Some(zs) => {
            let pos = ctx.rng.below(zs.len());
            match random_pick(zs, pos) {
                Some((m, _)) => ctx.reply.bulk(m),
                None => ctx.reply.null(),
            }
        }
    }
    Ok(())
}

/// The `i`-th candidate of a random pick: by rank in a listpack (its order), by dict
/// position in a skiplist (Redis draws from the dict).
fn random_pick(zs: &ZSet, i: usize) -> Option<(&[u8], f64)> {
    if zs.is_listpack() {
        zs.get_by_rank(i)
    } else {
        zs.entry_at(i)
    }
}

/// The strategies of Redis's `zrandmemberWithCountCommand`, drawing from `ctx.rng`:
/// with repetitions for a negative count (or 1), the whole set (highest first, as
/// Redis walks it) when the count covers it, an in-order sample for a listpack-sized
/// set, removal of random members when most are wanted, random picks otherwise.
fn zrandmember_count(ctx: &mut Ctx, l: i64, withscores: bool) -> CmdResult {
    let db = &mut ctx.dbs[ctx.db];
    let Some(zs) = read_zset(db, ctx.args[1], ctx.now)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let reply = &mut *ctx.reply;
    let rng = &mut *ctx.rng;
    let size = zs.len();
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    if count == 0 {
        reply.array(0);
        return Ok(());
    }
    let header = |reply: &mut Reply, n: usize| {
        reply.array(if withscores && !reply.resp3() {
            2 * n
        } else {
            n
        });
    };
    if !uniq || count == 1 {
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        header(reply, n);
        for _ in 0..n {
            if let Some((m, s)) = random_pick(zs, rng.below(size)) {
                reply_element(reply, m, s, withscores);
            }
        }
        return Ok(());
    }
    if count >= size as u64 {
        reply_elements(reply, zs.rev_iter_from(size - 1), withscores);
        return Ok(());
    }
    let count = count as usize;
    header(reply, count);
    if zs.is_listpack() {
        // Selection sampling keeps the set's order.
        let mut needed = count;
        for (i, (m, s)) in zs.iter().enumerate() {
            if needed == 0 {
                break;
            }
            if rng.below(size - i) < needed {
                reply_element(reply, m, s, withscores);
                needed -= 1;
            }
        }
    } else if count * 3 > size {
        let mut keep: Vec<usize> = (0..size).collect();
        while keep.len() > count {
            let k = rng.below(keep.len());
            keep.swap_remove(k);
        }
        for p in keep {
            if let Some((m, s)) = zs.entry_at(p) {
                reply_element(reply, m, s, withscores);
            }
        }
    } else {
        let mut seen = std::collections::HashSet::with_capacity(count);
        while seen.len() < count {
            let p = rng.below(size);
            if seen.insert(p) {
                if let Some((m, s)) = zs.entry_at(p) {
                    reply_element(reply, m, s, withscores);
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// `zunionInterAggregate`.
    fn apply(self, target: &mut f64, val: f64) {
        match self {
            Aggregate::Sum => {
                *target += val;
                // inf + -inf is NaN: Redis keeps 0 instead.
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if val < *target {
                    *target = val;
                }
            }
            Aggregate::Max => {
                if val > *target {
                    *target = val;
                }
            }
        }
    }
}

/// An input of a set operation: a sorted set, a set (scores 1) or nothing.
#[derive(Clone, Copy)]
enum Src<'a> {
    None,
    Set(&'a Dict<()>),
    Z(&'a ZSet),
}

impl<'a> Src<'a> {
    fn len(&self) -> usize {
        match self {
            Src::None => 0,
            Src::Set(s) => s.len(),
            Src::Z(z) => z.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::None => None,
            Src::Set(s) => s.contains_key(m).then_some(1.0),
            Src::Z(z) => z.score(m),
        }
    }

    /// Elements as Redis iterates them: sorted sets from the highest, sets in order.
    fn elements(&self) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
        match *self {
            Src::None => Box::new(std::iter::empty()),
            Src::Set(s) => Box::new(s.keys().map(|k| (&**k, 1.0))),
            Src::Z(z) if z.is_empty() => Box::new(std::iter::empty()),
            Src::Z(z) => Box::new(z.rev_iter_from(z.len() - 1)),
        }
    }

    /// The same stored value (a key given twice).
    fn same(&self, other: &Src) -> bool {
        match (self, other) {
            (Src::Set(a), Src::Set(b)) => std::ptr::eq(*a, *b),
            (Src::Z(a), Src::Z(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zunion(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, false, 1, SetOp::Union, false)
}

/// ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, true, 2, SetOp::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
fn zinter(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, false, 1, SetOp::Inter, false)
}

/// ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, true, 2, SetOp::Inter, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
fn zintercard(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, false, 1, SetOp::Inter, true)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
fn zdiff(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, false, 1, SetOp::Diff, false)
}

/// ZDIFFSTORE dst numkeys key [key ...]
fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    zsetop(ctx, true, 2, SetOp::Diff, false)
}

/// Redis's `zunionInterDiffGenericCommand`.
fn zsetop(ctx: &mut Ctx, store: bool, numkeys_idx: usize, op: SetOp, card_only: bool) -> CmdResult {
    let args = ctx.args;
    let now = ctx.now;
    let setnum = int(args[numkeys_idx])?;
    if setnum < 1 {
        return Err(Error::err(format!(
            "at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(args[0]).to_lowercase()
        )));
    }
    if setnum > (args.len() - (numkeys_idx + 1)) as i64 {
        return Err(SYNTAX);
    }
    let setnum = setnum as usize;
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    let db = &mut ctx.dbs[ctx.db];
    for key in keys {
        if let Some(o) = db.lookup_read(key, now) {
            if !matches!(o.value, Value::ZSet(_) | Value::Set(_)) {
                return Err(WRONGTYPE);
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = args[j];
        if op != SetOp::Diff && !card_only && remaining > setnum && is(a, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = parse_score(args[j])
                    .ok_or_else(|| Error::err("weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff && !card_only && remaining >= 2 && is(a, "aggregate") {
            let v = args[j + 1];
            aggregate = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return Err(SYNTAX);
            };
            j += 2;
        } else if !store && !card_only && is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(a, "limit") {
            limit = int(args[j + 1])
                .ok()
                .and_then(|l| usize::try_from(l).ok())
                .ok_or_else(|| Error::err("LIMIT can't be negative"))?;
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }

    let db = &ctx.dbs[ctx.db];
    let mut srcs: Vec<(Src, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let src = match db.peek(k, now).map(|o| &o.value) {
                Some(Value::ZSet(z)) => Src::Z(z),
                Some(Value::Set(s)) => Src::Set(s),
                _ => Src::None,
            };
            (src, w)
        })
        .collect();
    if op != SetOp::Diff {
        // Smallest first (a stable sort, as glibc's merge-sort qsort).
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut result: Vec<(&[u8], f64)> = Vec::new();
    let mut cardinality = 0usize;
    match op {
        SetOp::Inter => {
            let (first, w0) = srcs[0];
            if first.len() > 0 {
                'outer: for (m, s) in first.elements() {
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for &(src, w) in &srcs[1..] {
                        if src.same(&first) {
                            aggregate.apply(&mut score, s * w);
                        } else if let Some(v) = src.find(m) {
                            aggregate.apply(&mut score, v * w);
                        } else {
                            continue 'outer;
                        }
                    }
                    if card_only {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit {
                            break;
                        }
                    } else {
                        result.push((m, score));
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<&[u8], f64> = HashMap::new();
            for &(src, w) in &srcs {
                for (m, s) in src.elements() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    acc.entry(m)
                        .and_modify(|t| aggregate.apply(t, score))
                        .or_insert(score);
                }
            }
            result = acc.into_iter().collect();
        }
        SetOp::Diff => {
            let (first, _) = srcs[0];
            if !srcs[1..].iter().any(|(s, _)| s.same(&first)) {
                for (m, s) in first.elements() {
                    if !srcs[1..].iter().any(|(src, _)| src.find(m).is_some()) {
                        result.push((m, s));
                    }
                }
            }
        }
    }
    if card_only {
        ctx.reply.int(cardinality as i64);
        return Ok(());
    }
    result.sort_by(|a, b| cmp_score_member(a.1, a.0, b.1, b.0));
    if store {
        let mut zs = ZSet::new();
        zs.set_skiplist();
        for &(m, s) in &result {
            zs.insert(m, s);
        }
        zs.convert_to_listpack_if_fits();
        let zs = (!zs.is_empty()).then_some(zs);
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        finish_store(ctx, args[1], zs, event);
    } else {
        reply_elements(ctx.reply, result.into_iter(), withscores);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ZSCAN

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
///
/// A listpack-sized set replies whole with cursor 0, its scores as the listpack holds
/// them; a larger one is walked by dict position (`dict::scan_positions`), scores as
/// `%.17g`, as Redis's scan callback prints them.
fn zscan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let cursor = parse_cursor(args[2]).ok_or_else(|| Error::err("invalid cursor"))?;
    let db = &mut ctx.dbs[ctx.db];
    let Some(zs) = read_zset(db, args[1], ctx.now)? else {
        ctx.reply.array(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array(0);
        return Ok(());
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let left = args.len() - i;
        if is(args[i], "count") && left >= 2 {
            count = int(args[i + 1])?;
            if count < 1 {
                return Err(SYNTAX);
            }
        } else if is(args[i], "match") && left >= 2 {
            let p = args[i + 1];
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    let matches = |m: &[u8]| match pattern {
        None => true,
        Some(p) => glob_match(p, m, false),
    };
    let mut found: Vec<(&[u8], String)> = Vec::new();
    let next = if zs.is_listpack() {
        for (m, s) in zs.iter() {
            if matches(m) {
                found.push((m, format_double(s)));
            }
        }
        0
    } else {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let mut positions = Vec::new();
        let next = scan_positions(zs.len(), cursor, count, |p| positions.push(p));
        for p in positions {
            if let Some((m, s)) = zs.entry_at(p) {
                if matches(m) {
                    found.push((m, format_17g(s)));
                }
            }
        }
        next
    };
    ctx.reply.array(2);
    ctx.reply.bulk(next.to_string().as_bytes());
    ctx.reply.array(2 * found.len());
    for (m, s) in found {
        ctx.reply.bulk(m);
        ctx.reply.bulk(s.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Protocol};

    const NOW: i64 = 1_700_000_000_000;

    fn exec(e: &mut Engine, proto: Protocol, args: &[&[u8]]) -> String {
        let c = crate::commands::lookup(args[0]).expect("known command");
        let mut reply = Reply::new(proto);
        e.run(c, 0, NOW, 7, args, &mut reply);
        String::from_utf8_lossy(&reply.buf).into_owned()
    }

    fn split(line: &str) -> Vec<&[u8]> {
        line.split(' ').map(str::as_bytes).collect()
    }

    /// A command line (split on spaces) in RESP2.
    fn r2(e: &mut Engine, line: &str) -> String {
        exec(e, Protocol::Resp2, &split(line))
    }

    /// A command line in RESP3.
    fn r3(e: &mut Engine, line: &str) -> String {
        exec(e, Protocol::Resp3, &split(line))
    }

    /// RESP2 array of bulk strings.
    fn arr(items: &[&str]) -> String {
        let mut s = format!("*{}\r\n", items.len());
        for i in items {
            s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
        }
        s
    }

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    fn err(msg: &str) -> String {
        format!("-{msg}\r\n")
    }

    const NULL: &str = "$-1\r\n";
    const NULL_ARRAY: &str = "*-1\r\n";
    const EMPTY: &str = "*0\r\n";
    const SYNTAX_ERR: &str = "-ERR syntax error\r\n";
    const NOT_FLOAT_ERR: &str = "-ERR value is not a valid float\r\n";
    const NOT_INT_ERR: &str = "-ERR value is not an integer or out of range\r\n";
    const WRONGTYPE_ERR: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const RANGE_ERR: &str = "-ERR min or max is not a float\r\n";
    const LEX_ERR: &str = "-ERR min or max not valid string range item\r\n";

    fn zset<'a>(e: &'a Engine, key: &str) -> Option<&'a ZSet> {
        match e.dbs[0].peek(key.as_bytes(), NOW).map(|o| &o.value) {
            Some(Value::ZSet(z)) => Some(z),
            _ => None,
        }
    }

    #[test]
    fn zadd_replies_and_options() {
        let mut e = Engine::default();
        assert_eq!(r2(&mut e, "zadd k 1 a 2 b"), int(2));
        assert_eq!(r2(&mut e, "zadd k 1 a 3 c"), int(1));
        assert_eq!(r2(&mut e, "zadd k ch 5 a 1 b 9 d"), int(3));
        assert_eq!(r2(&mut e, "zadd k nx 7 a 8 e"), int(1));
        assert_eq!(r2(&mut e, "zscore k a"), "$1\r\n5\r\n");
        assert_eq!(r2(&mut e, "zadd k xx ch 6 a 1 zz"), int(1));
        assert_eq!(r2(&mut e, "zscore k zz"), NULL);
        assert_eq!(r2(&mut e, "zadd k gt ch 4 a 10 b"), int(1));
        assert_eq!(r2(&mut e, "zadd k lt ch 4 a 10 b"), int(1));
        assert_eq!(
            r2(&mut e, "zrange k 0 -1 withscores"),
            arr(&["c", "3", "a", "4", "e", "8", "d", "9", "b", "10"])
        );
        // GT/LT only restrict updates: new members are added.
        assert_eq!(r2(&mut e, "zadd k gt 0 new"), int(1));
        assert_eq!(
            r2(&mut e, "zadd k nx xx 1 a"),
            err("ERR XX and NX options at the same time are not compatible")
        );
        assert_eq!(
            r2(&mut e, "zadd k gt lt 1 a"),
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
        assert_eq!(
            r2(&mut e, "zadd k nx gt 1 a"),
            err("ERR GT, LT, and/or NX options at the same time are not compatible")
        );
        assert_eq!(
            r2(&mut e, "zadd k incr 1 a 2 b"),
            err("ERR INCR option supports a single increment-element pair")
        );
        assert_eq!(r2(&mut e, "zadd k 1 a 2"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zadd k nx xx"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zadd k abc a nx"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zadd k 1 a nan b"), NOT_FLOAT_ERR);
        assert_eq!(
            r2(&mut e, "zadd k 1"),
            err("ERR wrong number of arguments for 'zadd' command")
        );
        // XX on a missing key creates nothing.
        assert_eq!(r2(&mut e, "zadd n xx 1 a"), int(0));
        assert_eq!(r2(&mut e, "exists n"), int(0));
        assert_eq!(r2(&mut e, "zadd n xx incr 1 a"), NULL);
        assert_eq!(r2(&mut e, "exists n"), int(0));
        assert_eq!(r2(&mut e, "set s v"), "+OK\r\n");
        assert_eq!(r2(&mut e, "zadd s 1 a"), WRONGTYPE_ERR);
        assert_eq!(r2(&mut e, "zadd s x a"), NOT_FLOAT_ERR);
    }

    #[test]
    fn zadd_incr_and_zincrby() {
        let mut e = Engine::default();
        assert_eq!(r2(&mut e, "zincrby k 2.5 a"), "$3\r\n2.5\r\n");
        assert_eq!(r3(&mut e, "zincrby k 2.5 a"), ",5\r\n");
        assert_eq!(r2(&mut e, "zadd k incr nx 1 a"), NULL);
        assert_eq!(r3(&mut e, "zadd k incr nx 1 a"), "_\r\n");
        assert_eq!(r2(&mut e, "zadd k incr xx 1 a"), "$1\r\n6\r\n");
        assert_eq!(r2(&mut e, "zadd k incr gt -1 a"), NULL);
        assert_eq!(r2(&mut e, "zincrby k inf a"), "$3\r\ninf\r\n");
        assert_eq!(
            r2(&mut e, "zincrby k -inf a"),
            err("ERR resulting score is not a number (NaN)")
        );
        assert_eq!(r2(&mut e, "zscore k a"), "$3\r\ninf\r\n");
        assert_eq!(r2(&mut e, "zincrby k abc a"), NOT_FLOAT_ERR);
        assert_eq!(r2(&mut e, "zadd k incr 1"), SYNTAX_ERR);
        // The reply carries the raw increment; a listpack stores -0 as 0.
        assert_eq!(r2(&mut e, "zincrby k -0 z"), "$2\r\n-0\r\n");
        assert_eq!(r2(&mut e, "zscore k z"), "$1\r\n0\r\n");
        let before = e.dirty;
        assert_eq!(r2(&mut e, "zincrby k 0 z"), "$1\r\n0\r\n");
        assert_eq!(e.dirty, before);
    }

    #[test]
    fn scores_parse_as_strtod() {
        let ok = |s: &str| parse_score(s.as_bytes());
        assert_eq!(ok("1.5"), Some(1.5));
        assert_eq!(ok(".5"), Some(0.5));
        assert_eq!(ok("5."), Some(5.0));
        assert_eq!(ok("+.5e1"), Some(5.0));
        assert_eq!(ok("0x10"), Some(16.0));
        assert_eq!(ok("0x1p-2"), Some(0.25));
        assert_eq!(ok("0X1.8P+1"), Some(3.0));
        assert_eq!(ok("-0x.8"), Some(-0.5));
        assert_eq!(ok("inf"), Some(f64::INFINITY));
        assert_eq!(ok("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(ok("1e-310"), Some(1e-310));
        assert_eq!(ok("0e-400"), Some(0.0));
        assert_eq!(ok("110123456789012345"), Some(110123456789012352.0));
        for bad in [
            "", " 1", "1 ", "nan", "NaN(12)", "1e400", "-1e400", "1e-400", "1e", "1e+", "0x",
            "inf1", "1\x000", "abc", ".",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
        assert_eq!(strtod(b"  -12.5e1xyz"), (-125.0, 9, false));
        assert_eq!(strtod(b"0x"), (0.0, 1, false));
        assert!(strtod(b"nan(abc)").0.is_nan());
        assert_eq!(strtod(b"nan(abc)").1, 8);
        assert_eq!(strtod(b"xyz").1, 0);
    }

    #[test]
    fn score_ranges_parse_as_redis() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 0 zero 1 a 2 b 16 h");
        // Bare strtod: "" reads as 0, a leading space is fine, hex works.
        assert_eq!(
            exec(&mut e, Protocol::Resp2, &[b"zrangebyscore", b"k", b"", b""]),
            arr(&["zero"])
        );
        assert_eq!(
            exec(
                &mut e,
                Protocol::Resp2,
                &[b"zrangebyscore", b"k", b"(", b"("]
            ),
            EMPTY
        );
        assert_eq!(
            exec(
                &mut e,
                Protocol::Resp2,
                &[b"zrangebyscore", b"k", b" 1", b"1"]
            ),
            arr(&["a"])
        );
        assert_eq!(
            exec(
                &mut e,
                Protocol::Resp2,
                &[b"zrangebyscore", b"k", b"1 ", b"1"]
            ),
            RANGE_ERR
        );
        assert_eq!(
            r2(&mut e, "zrangebyscore k 0x1 0x10"),
            arr(&["a", "b", "h"])
        );
        assert_eq!(r2(&mut e, "zrangebyscore k (1 +inf"), arr(&["b", "h"]));
        assert_eq!(
            r2(&mut e, "zrangebyscore k -Infinity Infinity"),
            arr(&["zero", "a", "b", "h"])
        );
        assert_eq!(r2(&mut e, "zrangebyscore k (inf +inf"), EMPTY);
        assert_eq!(r2(&mut e, "zrangebyscore k 1e400 1e401"), EMPTY);
        assert_eq!(r2(&mut e, "zrangebyscore k [1 2"), RANGE_ERR);
        assert_eq!(r2(&mut e, "zcount k (nan 1"), RANGE_ERR);
        assert_eq!(r2(&mut e, "zcount k 2 1"), int(0));
        assert_eq!(r2(&mut e, "zcount k 1 (1"), int(0));
        assert_eq!(r2(&mut e, "zcount k -inf +inf"), int(4));
        assert_eq!(r2(&mut e, "zcount k (0 2"), int(2));
        assert_eq!(r2(&mut e, "zcount nokey 0 1"), int(0));
        // C strings stop at NUL.
        assert_eq!(
            exec(
                &mut e,
                Protocol::Resp2,
                &[b"zcount", b"k", b"1\x00junk", b"2"]
            ),
            int(2)
        );
    }

    #[test]
    fn lex_ranges() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 0 a 0 b 0 c 0 d 0 e 0 aa");
        assert_eq!(
            r2(&mut e, "zrangebylex k - +"),
            arr(&["a", "aa", "b", "c", "d", "e"])
        );
        assert_eq!(r2(&mut e, "zrangebylex k [aa (d"), arr(&["aa", "b", "c"]));
        assert_eq!(r2(&mut e, "zrangebylex k - + limit 1 2"), arr(&["aa", "b"]));
        assert_eq!(
            r2(&mut e, "zrevrangebylex k + - limit 1 2"),
            arr(&["d", "c"])
        );
        assert_eq!(r2(&mut e, "zrevrangebylex k (c -"), arr(&["b", "aa", "a"]));
        assert_eq!(r2(&mut e, "zrange k [b [d bylex"), arr(&["b", "c", "d"]));
        assert_eq!(
            r2(&mut e, "zrange k [d [b bylex rev"),
            arr(&["d", "c", "b"])
        );
        assert_eq!(r2(&mut e, "zlexcount k - +"), int(6));
        assert_eq!(r2(&mut e, "zlexcount k + -"), int(0));
        assert_eq!(r2(&mut e, "zlexcount k [a [a"), int(1));
        assert_eq!(r2(&mut e, "zlexcount k (a [a"), int(0));
        assert_eq!(r2(&mut e, "zlexcount k - -"), int(0));
        assert_eq!(r2(&mut e, "zrangebylex k a +"), LEX_ERR);
        assert_eq!(r2(&mut e, "zrangebylex k -x +"), LEX_ERR);
        assert_eq!(r2(&mut e, "zlexcount k [a 1"), LEX_ERR);
        // "[" alone is the empty string.
        assert_eq!(r2(&mut e, "zrangebylex k [ (aa"), arr(&["a"]));
        assert_eq!(r2(&mut e, "zremrangebylex k [b [c"), int(2));
        assert_eq!(r2(&mut e, "zrangebylex k - +"), arr(&["a", "aa", "d", "e"]));
        assert_eq!(r2(&mut e, "zremrangebylex k - +"), int(4));
        assert_eq!(r2(&mut e, "exists k"), int(0));
    }

    #[test]
    fn lex_ranges_with_mixed_scores_scan_a_listpack_as_redis() {
        // Undefined by the docs; Redis checks the ends of the set, then walks its
        // listpack from the first member at or after min (in score order) while members
        // stay at or before max. Replies checked against redis-server.
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 d 2 b 3 a 4 c");
        assert_eq!(r2(&mut e, "zrangebylex k [b [c"), EMPTY);
        assert_eq!(r2(&mut e, "zrangebylex k [a [c"), EMPTY);
        assert_eq!(
            r2(&mut e, "zrangebylex k [a [d"),
            arr(&["d", "b", "a", "c"])
        );
        assert_eq!(r2(&mut e, "zlexcount k [a [d"), int(4));
        assert_eq!(r2(&mut e, "zrangebylex k [c +"), arr(&["d", "b", "a", "c"]));
        assert_eq!(r2(&mut e, "zremrangebylex k [a [c"), int(0));
        // A skiplist with mixed scores answers the same way, whatever its history.
        let long = "x".repeat(70);
        for (key, order) in [("s1", [0, 1, 2, 3, 4]), ("s2", [4, 2, 0, 3, 1])] {
            let items = [
                ("1", "d"),
                ("2", "b"),
                ("3", "a"),
                ("4", "c"),
                ("5", long.as_str()),
            ];
            for i in order {
                r2(&mut e, &format!("zadd {key} {} {}", items[i].0, items[i].1));
            }
            assert!(zset(&e, key).is_some_and(|z| !z.is_listpack()));
            assert_eq!(
                r2(&mut e, &format!("zrangebylex {key} [b +")),
                arr(&["d", "b", "a", "c", &long])
            );
            assert_eq!(r2(&mut e, &format!("zrevrangebylex {key} [c -")), EMPTY);
            assert_eq!(r2(&mut e, &format!("zlexcount {key} (a +")), int(5));
        }
    }

    #[test]
    fn zrange_by_rank() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 3 c 4 d");
        assert_eq!(r2(&mut e, "zrange k 0 -1"), arr(&["a", "b", "c", "d"]));
        assert_eq!(
            r2(&mut e, "zrange k 1 2 withscores"),
            arr(&["b", "2", "c", "3"])
        );
        assert_eq!(
            r3(&mut e, "zrange k 1 2 withscores"),
            "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"
        );
        assert_eq!(r3(&mut e, "zrange k 1 2"), arr(&["b", "c"]));
        assert_eq!(r2(&mut e, "zrange k -2 100"), arr(&["c", "d"]));
        assert_eq!(r2(&mut e, "zrange k -100 0"), arr(&["a"]));
        assert_eq!(r2(&mut e, "zrange k 3 1"), EMPTY);
        assert_eq!(r2(&mut e, "zrange k 4 10"), EMPTY);
        assert_eq!(r2(&mut e, "zrange k 0 1 rev"), arr(&["d", "c"]));
        assert_eq!(
            r2(&mut e, "zrevrange k 0 1 withscores"),
            arr(&["d", "4", "c", "3"])
        );
        assert_eq!(r2(&mut e, "zrevrange k -1 -1"), arr(&["a"]));
        assert_eq!(r2(&mut e, "zrange k a 1"), NOT_INT_ERR);
        assert_eq!(r2(&mut e, "zrange k 0 -1 limit 0 1"), err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
        // LIMIT with count -1 is "no limit": accepted with a rank range, as Redis.
        assert_eq!(r2(&mut e, "zrange k 0 0 limit 5 -1"), arr(&["a"]));
        assert_eq!(r2(&mut e, "zrange k 0 -1 rev rev"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zrange k 0 -1 byscore bylex"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zrange k 0 -1 limit 0"), SYNTAX_ERR);
        assert_eq!(
            r2(&mut e, "zrange k 0 -1 withscores withscores"),
            arr(&["a", "1", "b", "2", "c", "3", "d", "4"])
        );
        assert_eq!(
            r2(&mut e, "zrange k - + bylex withscores"),
            err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        );
        assert_eq!(r2(&mut e, "zrange nokey 0 -1"), EMPTY);
        r2(&mut e, "set s v");
        assert_eq!(r2(&mut e, "zrange s 0 -1"), WRONGTYPE_ERR);
        assert_eq!(r2(&mut e, "zrange s a b"), NOT_INT_ERR);
    }

    #[test]
    fn zrange_by_score() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 2 bb 3 c 4 d");
        assert_eq!(r2(&mut e, "zrangebyscore k 2 3"), arr(&["b", "bb", "c"]));
        assert_eq!(
            r2(&mut e, "zrangebyscore k (2 +inf withscores limit 1 1"),
            arr(&["d", "4"])
        );
        assert_eq!(
            r2(&mut e, "zrangebyscore k -inf +inf limit 1 -1"),
            arr(&["b", "bb", "c", "d"])
        );
        assert_eq!(r2(&mut e, "zrangebyscore k -inf +inf limit -1 5"), EMPTY);
        assert_eq!(r2(&mut e, "zrangebyscore k -inf +inf limit 5 5"), EMPTY);
        assert_eq!(r2(&mut e, "zrangebyscore k -inf +inf limit 0 0"), EMPTY);
        assert_eq!(
            r2(&mut e, "zrevrangebyscore k +inf -inf withscores limit 0 2"),
            arr(&["d", "4", "c", "3"])
        );
        assert_eq!(
            r2(&mut e, "zrevrangebyscore k (3 1"),
            arr(&["bb", "b", "a"])
        );
        assert_eq!(r2(&mut e, "zrevrangebyscore k 1 3"), EMPTY);
        assert_eq!(
            r2(&mut e, "zrange k 3 2 byscore rev limit 1 5"),
            arr(&["bb", "b"])
        );
        assert_eq!(
            r3(&mut e, "zrange k (1 2 byscore withscores"),
            "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$2\r\nbb\r\n,2\r\n"
        );
        assert_eq!(r2(&mut e, "zrangebyscore k 1 2 limit a 1"), NOT_INT_ERR);
        assert_eq!(r2(&mut e, "zrangebyscore k 1 2 rev"), SYNTAX_ERR);
    }

    #[test]
    fn mastodon_and_sidekiq_flows() {
        let mut e = Engine::default();
        // A home feed: snowflake ids as scores and members, trimmed to 800.
        for i in 0..900u64 {
            let id = (110_123_456_789_012_345 + i * 65_536).to_string();
            assert_eq!(r2(&mut e, &format!("zadd feed {id} {id}")), int(1));
            if i % 10 == 0 {
                r2(&mut e, "zremrangebyrank feed 0 -801");
            }
        }
        assert_eq!(r2(&mut e, "zremrangebyrank feed 0 -801"), int(9));
        assert_eq!(r2(&mut e, "zcard feed"), int(800));
        let top = (110_123_456_789_012_345u64 + 899 * 65_536).to_string();
        assert_eq!(r2(&mut e, "zrevrange feed 0 0"), arr(&[&top]));
        let page = r2(
            &mut e,
            &format!("zrevrangebyscore feed ({top} -inf withscores limit 0 20"),
        );
        assert!(page.starts_with("*40\r\n"));
        // Stoplight 4 sends Ruby's Infinity.
        assert_eq!(
            r2(
                &mut e,
                "zrange feed Infinity -Infinity byscore rev limit 0 1"
            ),
            arr(&[&top])
        );
        // Sidekiq's scheduled poller.
        r2(&mut e, "zadd schedule 1700000000.5 job1 1700000001.25 job2");
        assert_eq!(
            r2(&mut e, "zrange schedule -inf 1700000001 byscore limit 0 1"),
            arr(&["job1"])
        );
        assert_eq!(r2(&mut e, "zrem schedule job1"), int(1));
        assert_eq!(
            r2(&mut e, "zrange schedule -inf 1700000001 byscore limit 0 1"),
            EMPTY
        );
        assert_eq!(r2(&mut e, "zremrangebyscore schedule 0 -Infinity"), int(0));
    }

    #[test]
    fn snowflake_scores_round_trip_as_doubles() {
        let mut e = Engine::default();
        assert_eq!(
            r2(&mut e, "zadd k 110123456789012345 a 110123456789012346 b"),
            int(2)
        );
        // Both ids are the same double (110123456789012352): ties order by member.
        let s = format_double(110123456789012352.0);
        let bulk = format!("${}\r\n{}\r\n", s.len(), s);
        assert_eq!(r2(&mut e, "zscore k a"), bulk);
        assert_eq!(r3(&mut e, "zscore k b"), format!(",{s}\r\n"));
        assert_eq!(s.parse::<f64>().ok(), Some(110123456789012352.0));
        assert_eq!(r2(&mut e, "zrank k b"), int(1));
        assert_eq!(
            r2(
                &mut e,
                "zrangebyscore k 110123456789012352 110123456789012352"
            ),
            arr(&["a", "b"])
        );
        assert_eq!(r2(&mut e, "zcount k (110123456789012345 +inf"), int(0));
        // ZSCAN of a listpack prints the score as the listpack holds it (an integer).
        assert_eq!(
            r2(&mut e, "zscan k 0"),
            format!("*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n{bulk}$1\r\nb\r\n{bulk}")
        );
    }

    #[test]
    fn rank_score_card() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 3 c");
        assert_eq!(r2(&mut e, "zrank k a"), int(0));
        assert_eq!(r2(&mut e, "zrevrank k a"), int(2));
        assert_eq!(r2(&mut e, "zrank k zz"), NULL);
        assert_eq!(r3(&mut e, "zrank k zz"), "_\r\n");
        assert_eq!(r2(&mut e, "zrank k b withscore"), "*2\r\n:1\r\n$1\r\n2\r\n");
        assert_eq!(r3(&mut e, "zrevrank k b withscore"), "*2\r\n:1\r\n,2\r\n");
        assert_eq!(r2(&mut e, "zrank k zz withscore"), NULL_ARRAY);
        assert_eq!(r3(&mut e, "zrank k zz withscore"), "_\r\n");
        assert_eq!(r2(&mut e, "zrank nokey a withscore"), NULL_ARRAY);
        assert_eq!(r2(&mut e, "zrank k a foo"), SYNTAX_ERR);
        assert_eq!(
            r2(&mut e, "zrank k a withscore x"),
            err("ERR wrong number of arguments for 'zrank' command")
        );
        assert_eq!(r2(&mut e, "zcard k"), int(3));
        assert_eq!(r2(&mut e, "zcard nokey"), int(0));
        assert_eq!(r2(&mut e, "zscore nokey a"), NULL);
        assert_eq!(
            r2(&mut e, "zmscore k a zz c"),
            "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n"
        );
        assert_eq!(r3(&mut e, "zmscore k a zz"), "*2\r\n,1\r\n_\r\n");
        assert_eq!(r2(&mut e, "zmscore nokey a"), "*1\r\n$-1\r\n");
        r2(&mut e, "set s v");
        for c in [
            "zrank s a",
            "zscore s a",
            "zmscore s a",
            "zcard s",
            "zcount s 0 1",
            "zlexcount s - +",
        ] {
            assert_eq!(r2(&mut e, c), WRONGTYPE_ERR, "{c}");
        }
    }

    #[test]
    fn zrangestore_and_encodings() {
        let mut e = Engine::default();
        r2(&mut e, "zadd src 1 a 2 b 3 c");
        assert_eq!(r2(&mut e, "zrangestore dst src 0 1"), int(2));
        assert_eq!(
            r2(&mut e, "zrange dst 0 -1 withscores"),
            arr(&["a", "1", "b", "2"])
        );
        assert_eq!(
            r2(&mut e, "zrangestore dst src (1 +inf byscore rev limit 0 1"),
            int(0)
        );
        assert_eq!(
            r2(&mut e, "zrangestore dst src +inf (1 byscore rev limit 0 1"),
            int(1)
        );
        assert_eq!(r2(&mut e, "zrange dst 0 -1"), arr(&["c"]));
        assert_eq!(r2(&mut e, "zrangestore dst src [b + bylex"), int(2));
        assert_eq!(
            r2(&mut e, "zrangestore dst src 0 -1 withscores"),
            SYNTAX_ERR
        );
        assert_eq!(r2(&mut e, "expire dst 100"), int(1));
        // An empty result deletes the destination.
        assert_eq!(r2(&mut e, "zrangestore dst src 5 10"), int(0));
        assert_eq!(r2(&mut e, "exists dst"), int(0));
        assert_eq!(r2(&mut e, "zrangestore dst nokey 0 -1"), int(0));
        r2(&mut e, "set s v");
        assert_eq!(r2(&mut e, "zrangestore dst s 0 -1"), WRONGTYPE_ERR);
        // The destination is overwritten whatever its type.
        assert_eq!(r2(&mut e, "zrangestore s src 0 -1"), int(3));
        assert_eq!(r2(&mut e, "type s"), "+zset\r\n");

        // Encodings follow Redis: a long member makes a skiplist, which stays one.
        let long = "x".repeat(65);
        r2(&mut e, &format!("zadd big 1 a 2 {long}"));
        assert!(zset(&e, "big").is_some_and(|z| !z.is_listpack()));
        r2(&mut e, &format!("zrem big {long}"));
        assert!(zset(&e, "big").is_some_and(|z| !z.is_listpack()));
        // Results are built small again.
        r2(&mut e, "zrangestore small big 0 -1");
        assert!(zset(&e, "small").is_some_and(|z| z.is_listpack()));
        r2(&mut e, "zunionstore u 1 big");
        assert!(zset(&e, "u").is_some_and(|z| z.is_listpack()));
        // ZADD sizes a new set by its arguments.
        let mut line = String::from("zadd many");
        for i in 0..129 {
            line.push_str(&format!(" {i} m{i}"));
        }
        r2(&mut e, &line);
        assert!(zset(&e, "many").is_some_and(|z| !z.is_listpack()));
    }

    #[test]
    fn removals_delete_empty_keys() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 3 c 4 d 5 e");
        assert_eq!(r2(&mut e, "zrem k a zz a"), int(1));
        assert_eq!(r2(&mut e, "zrem nokey a"), int(0));
        assert_eq!(r2(&mut e, "zremrangebyrank k 0 0"), int(1));
        assert_eq!(r2(&mut e, "zremrangebyrank k 5 10"), int(0));
        assert_eq!(r2(&mut e, "zremrangebyrank k -1 -1"), int(1));
        assert_eq!(r2(&mut e, "zrange k 0 -1"), arr(&["c", "d"]));
        assert_eq!(r2(&mut e, "zremrangebyscore k (3 +inf"), int(1));
        assert_eq!(r2(&mut e, "zremrangebyscore k a 1"), RANGE_ERR);
        assert_eq!(r2(&mut e, "zremrangebyrank k a 1"), NOT_INT_ERR);
        assert_eq!(r2(&mut e, "zremrangebylex k a b"), LEX_ERR);
        let before = e.dirty;
        assert_eq!(r2(&mut e, "zremrangebyscore k -inf +inf"), int(1));
        assert_eq!(e.dirty, before + 1);
        assert_eq!(r2(&mut e, "exists k"), int(0));
        r2(&mut e, "zadd k 1 a 2 b");
        assert_eq!(r2(&mut e, "zrem k a b c"), int(2));
        assert_eq!(r2(&mut e, "exists k"), int(0));
        r2(&mut e, "set s v");
        assert_eq!(r2(&mut e, "zrem s a"), WRONGTYPE_ERR);
        assert_eq!(r2(&mut e, "zremrangebyrank s 0 1"), WRONGTYPE_ERR);
    }

    #[test]
    fn pops() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 3 c 4 d");
        assert_eq!(r2(&mut e, "zpopmin k"), arr(&["a", "1"]));
        assert_eq!(r3(&mut e, "zpopmax k"), "*2\r\n$1\r\nd\r\n,4\r\n");
        assert_eq!(r2(&mut e, "zadd k 1 a 4 d"), int(2));
        assert_eq!(r2(&mut e, "zpopmax k 2"), arr(&["d", "4", "c", "3"]));
        assert_eq!(r3(&mut e, "zpopmin k 1"), "*1\r\n*2\r\n$1\r\na\r\n,1\r\n");
        assert_eq!(r2(&mut e, "zpopmin k 0"), EMPTY);
        assert_eq!(r2(&mut e, "zpopmin k 10"), arr(&["b", "2"]));
        assert_eq!(r2(&mut e, "exists k"), int(0));
        assert_eq!(r2(&mut e, "zpopmin k"), EMPTY);
        assert_eq!(r3(&mut e, "zpopmin k 3"), EMPTY);
        assert_eq!(
            r2(&mut e, "zpopmin k -1"),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            r2(&mut e, "zpopmin k a"),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(r2(&mut e, "zpopmin k 1 2"), SYNTAX_ERR);
        r2(&mut e, "set s v");
        assert_eq!(r2(&mut e, "zpopmin s"), WRONGTYPE_ERR);
    }

    #[test]
    fn zmpop() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 3 c");
        assert_eq!(
            r2(&mut e, "zmpop 2 nokey k min"),
            "*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            r3(&mut e, "zmpop 1 k max count 5"),
            "*2\r\n$1\r\nk\r\n*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n"
        );
        assert_eq!(r2(&mut e, "zmpop 1 k min"), NULL_ARRAY);
        assert_eq!(r3(&mut e, "zmpop 1 k min"), "_\r\n");
        for (c, msg) in [
            ("zmpop 0 k min", "ERR numkeys should be greater than 0"),
            ("zmpop a k min", "ERR numkeys should be greater than 0"),
            ("zmpop 2 k min", "ERR syntax error"),
            ("zmpop 9223372036854775807 k min", "ERR syntax error"),
            ("zmpop 1 k foo", "ERR syntax error"),
            (
                "zmpop 1 k min count 0",
                "ERR count should be greater than 0",
            ),
            (
                "zmpop 1 k min count a",
                "ERR count should be greater than 0",
            ),
            ("zmpop 1 k min count 1 count 1", "ERR syntax error"),
            ("zmpop 1 k min count", "ERR syntax error"),
            (
                "zmpop 1 k",
                "ERR wrong number of arguments for 'zmpop' command",
            ),
        ] {
            assert_eq!(r2(&mut e, c), err(msg), "{c}");
        }
        r2(&mut e, "set s v");
        r2(&mut e, "zadd k 1 a");
        assert_eq!(r2(&mut e, "zmpop 2 s k min"), WRONGTYPE_ERR);
        assert_eq!(
            r2(&mut e, "zmpop 2 k s min"),
            "*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
    }

    /// Applies one command as an entry (may block) and returns (blocked, reply).
    fn apply1(e: &mut Engine, line: &str) -> (bool, String) {
        let args = split(line);
        let mut reply = Reply::new(Protocol::Resp2);
        let blocked = e.apply(0, NOW, 1, &[&args], &mut reply);
        (blocked, String::from_utf8_lossy(&reply.buf).into_owned())
    }

    #[test]
    fn blocking_pops() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b");
        assert_eq!(
            apply1(&mut e, "bzpopmin nokey k 0"),
            (false, arr(&["k", "a", "1"]))
        );
        assert_eq!(
            apply1(&mut e, "bzpopmax k 0.5"),
            (false, arr(&["k", "b", "2"]))
        );
        // Nothing to pop: blocks without a reply, or times out at once when it may not
        // block (the plain `run` path, MULTI, scripts).
        assert_eq!(apply1(&mut e, "bzpopmin k 0"), (true, String::new()));
        assert_eq!(apply1(&mut e, "bzmpop 1 1 k min"), (true, String::new()));
        assert_eq!(r2(&mut e, "bzpopmin k 0"), NULL_ARRAY);
        assert_eq!(r3(&mut e, "bzmpop 0 1 k max count 2"), "_\r\n");
        let mut reply = Reply::new(Protocol::Resp2);
        let (a, b) = (split("bzpopmin k 0"), split("ping"));
        assert!(!e.apply(0, NOW, 1, &[&a, &b], &mut reply) || reply.buf.starts_with(b"*-1\r\n"));
        assert!(reply.buf.starts_with(b"*-1\r\n"));
        r2(&mut e, "zadd k 1 a 2 b 3 c");
        assert_eq!(
            apply1(&mut e, "bzmpop 0 2 nokey k max count 2"),
            (
                false,
                "*2\r\n$1\r\nk\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
                    .into()
            )
        );
        // Errors come before anything else.
        for (c, msg) in [
            ("bzpopmin k -1", "ERR timeout is negative"),
            (
                "bzpopmin k abc",
                "ERR timeout is not a float or out of range",
            ),
            (
                "bzpopmin k nan",
                "ERR timeout is not a float or out of range",
            ),
            ("bzpopmin k -inf", "ERR timeout is negative"),
            ("bzpopmin k inf", "ERR timeout is out of range"),
            ("bzpopmin k 1e300", "ERR timeout is out of range"),
            ("bzmpop -1 1 k min", "ERR timeout is negative"),
            ("bzmpop 1 0 k min", "ERR numkeys should be greater than 0"),
            ("bzmpop 1 1 k foo", "ERR syntax error"),
        ] {
            assert_eq!(apply1(&mut e, c), (false, err(msg)), "{c}");
        }
        assert_eq!(
            exec(&mut e, Protocol::Resp2, &[b"bzpopmin", b"k", b" 1"]),
            err("ERR timeout is not a float or out of range")
        );
        r2(&mut e, "set s v");
        assert_eq!(
            apply1(&mut e, "bzpopmin nokey s k 0"),
            (false, WRONGTYPE_ERR.into())
        );
        assert_eq!(
            apply1(&mut e, "bzpopmin k s 0"),
            (false, arr(&["k", "a", "1"]))
        );
    }

    #[test]
    fn blocking_deadlines_for_the_server() {
        let t = |line: &str| blocking_timeout(&split(line), NOW);
        assert_eq!(t("bzpopmin k 0"), Ok(0));
        assert_eq!(t("bzpopmin k 1.5"), Ok(NOW + 1500));
        assert_eq!(t("bzpopmax a b 0.0001"), Ok(NOW + 1));
        assert_eq!(t("bzmpop 2 1 k min"), Ok(NOW + 2000));
        assert_eq!(t("bzmpop 0x10 1 k min"), Ok(NOW + 16000));
        assert_eq!(t("bzpopmin k -1"), Err(TIMEOUT_NEGATIVE));
        assert!(t("bzpopmin k x").is_err());
        assert!(t("bzpopmin k 9223372036854775").is_err());
    }

    #[test]
    fn zrandmember() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b 3 c");
        // The whole set when the count covers it, highest first (Redis's walk).
        assert_eq!(
            r2(&mut e, "zrandmember k 10 withscores"),
            arr(&["c", "3", "b", "2", "a", "1"])
        );
        assert_eq!(r3(&mut e, "zrandmember k 3"), arr(&["c", "b", "a"]));
        assert_eq!(
            r3(&mut e, "zrandmember k 3 withscores"),
            "*3\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\na\r\n,1\r\n"
        );
        assert_eq!(r2(&mut e, "zrandmember k 0"), EMPTY);
        assert_eq!(r2(&mut e, "zrandmember nokey"), NULL);
        assert_eq!(r3(&mut e, "zrandmember nokey"), "_\r\n");
        assert_eq!(r2(&mut e, "zrandmember nokey 5"), EMPTY);
        assert_eq!(r2(&mut e, "zrandmember k -9223372036854775808"), err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
        assert_eq!(
            r2(&mut e, "zrandmember k 9223372036854775807 withscores"),
            err("ERR value is out of range")
        );
        assert_eq!(r2(&mut e, "zrandmember k 1 foo"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zrandmember k 1 withscores foo"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zrandmember k a"), NOT_INT_ERR);
        // Negative counts repeat; the draws depend only on the seed.
        let neg = r2(&mut e, "zrandmember k -20 withscores");
        assert!(neg.starts_with("*40\r\n"));
        assert_eq!(neg, r2(&mut e, "zrandmember k -20 withscores"));
        let one = r2(&mut e, "zrandmember k");
        assert!(["$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n"].contains(&one.as_str()));
        // Unique samples from listpack- and skiplist-sized sets.
        let mut line = String::from("zadd big");
        for i in 0..300 {
            line.push_str(&format!(" {i} m{i:03}"));
        }
        r2(&mut e, &line);
        for (key, count) in [("k", 2), ("big", 5), ("big", 150), ("big", 299)] {
            let c = exec(
                &mut e,
                Protocol::Resp2,
                &[b"zrandmember", key.as_bytes(), count.to_string().as_bytes()],
            );
            let members: Vec<&str> = c
                .split("\r\n")
                .skip(2)
                .step_by(2)
                .filter(|m| !m.is_empty())
                .collect();
            assert_eq!(members.len(), count, "{key} {count}");
            let uniq: std::collections::HashSet<&str> = members.iter().copied().collect();
            assert_eq!(uniq.len(), count);
        }
    }

    #[test]
    fn set_operations() {
        let mut e = Engine::default();
        r2(&mut e, "zadd a 1 x 2 y 3 z");
        r2(&mut e, "zadd b 10 y 20 z 30 w");
        r2(&mut e, "sadd s y w q");
        assert_eq!(
            r2(&mut e, "zunion 2 a b withscores"),
            arr(&["x", "1", "y", "12", "z", "23", "w", "30"])
        );
        assert_eq!(
            r2(&mut e, "zunion 3 a b s withscores"),
            arr(&["q", "1", "x", "1", "y", "13", "z", "23", "w", "31"])
        );
        assert_eq!(r2(&mut e, "zinter 3 a b s withscores"), arr(&["y", "13"]));
        assert_eq!(r3(&mut e, "zinter 2 a b"), arr(&["y", "z"]));
        assert_eq!(
            r3(&mut e, "zinter 2 a b withscores"),
            "*2\r\n*2\r\n$1\r\ny\r\n,12\r\n*2\r\n$1\r\nz\r\n,23\r\n"
        );
        assert_eq!(r2(&mut e, "zdiff 2 a b withscores"), arr(&["x", "1"]));
        assert_eq!(r2(&mut e, "zdiff 2 s a"), arr(&["q", "w"]));
        assert_eq!(
            r2(&mut e, "zunion 2 a b aggregate max withscores"),
            arr(&["x", "1", "y", "10", "z", "20", "w", "30"])
        );
        assert_eq!(
            r2(
                &mut e,
                "zunion 2 a b aggregate min weights 2 0.5 withscores"
            ),
            arr(&["x", "2", "y", "4", "z", "6", "w", "15"])
        );
        assert_eq!(
            r2(&mut e, "zinter 2 a a weights 2 3 withscores"),
            arr(&["x", "5", "y", "10", "z", "15"])
        );
        assert_eq!(r2(&mut e, "zintercard 2 a b"), int(2));
        assert_eq!(r2(&mut e, "zintercard 3 a b s limit 5"), int(1));
        assert_eq!(r2(&mut e, "zintercard 2 a b limit 1"), int(1));
        // inf + -inf is 0 for SUM; 0 * inf is 0 before aggregation.
        r2(&mut e, "zadd pinf inf p");
        r2(&mut e, "zadd ninf -inf p");
        assert_eq!(
            r2(&mut e, "zunion 2 pinf ninf withscores"),
            arr(&["p", "0"])
        );
        assert_eq!(
            r2(&mut e, "zunion 2 pinf ninf weights 0 1 withscores"),
            arr(&["p", "-inf"])
        );
        assert_eq!(
            r2(
                &mut e,
                "zinter 2 pinf ninf aggregate min weights 0 1 withscores"
            ),
            arr(&["p", "-inf"])
        );
        // Stores.
        assert_eq!(r2(&mut e, "zunionstore d 2 a b"), int(4));
        assert_eq!(
            r2(&mut e, "zrange d 0 -1 withscores"),
            arr(&["x", "1", "y", "12", "z", "23", "w", "30"])
        );
        assert_eq!(r2(&mut e, "zinterstore d 2 a nokey"), int(0));
        assert_eq!(r2(&mut e, "exists d"), int(0));
        assert_eq!(r2(&mut e, "zdiffstore d 2 a a"), int(0));
        assert_eq!(r2(&mut e, "zdiffstore d 1 a"), int(3));
        assert_eq!(r2(&mut e, "zinterstore a 2 a b weights 1 1"), int(2));
        assert_eq!(
            r2(&mut e, "zrange a 0 -1 withscores"),
            arr(&["y", "12", "z", "23"])
        );
        // Errors.
        for (c, msg) in [
            (
                "zunion 0 a",
                "ERR at least 1 input key is needed for 'zunion' command",
            ),
            (
                "zunionstore d 0 a",
                "ERR at least 1 input key is needed for 'zunionstore' command",
            ),
            (
                "zintercard -1 a",
                "ERR at least 1 input key is needed for 'zintercard' command",
            ),
            ("zunion a a", "ERR value is not an integer or out of range"),
            ("zunion 3 a b", "ERR syntax error"),
            ("zunion 2 a b weights 1", "ERR syntax error"),
            (
                "zunion 2 a b weights 1 x",
                "ERR weight value is not a float",
            ),
            (
                "zunion 2 a b weights 1 nan",
                "ERR weight value is not a float",
            ),
            ("zunion 2 a b aggregate foo", "ERR syntax error"),
            ("zunion 1 a aggregate", "ERR syntax error"),
            ("zunionstore d 2 a b withscores", "ERR syntax error"),
            ("zdiff 2 a b weights 1 1", "ERR syntax error"),
            ("zintercard 2 a b withscores", "ERR syntax error"),
            ("zintercard 2 a b limit -1", "ERR LIMIT can't be negative"),
            ("zintercard 2 a b limit x", "ERR LIMIT can't be negative"),
        ] {
            assert_eq!(r2(&mut e, c), err(msg), "{c}");
        }
        r2(&mut e, "set str v");
        assert_eq!(r2(&mut e, "zunion 2 a str"), WRONGTYPE_ERR);
        // Types are checked before options.
        assert_eq!(r2(&mut e, "zunion 2 a str bogus"), WRONGTYPE_ERR);
    }

    #[test]
    fn zscan() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2.5 b 3 c");
        let all = "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n$1\r\nc\r\n$1\r\n3\r\n";
        assert_eq!(r2(&mut e, "zscan k 0"), all);
        assert_eq!(r3(&mut e, "zscan k 0"), all);
        // A listpack replies whole, whatever the cursor and count.
        assert_eq!(r2(&mut e, "zscan k 5 count 1"), all);
        assert_eq!(
            r2(&mut e, "zscan k 0 match b*"),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$3\r\n2.5\r\n"
        );
        assert_eq!(r2(&mut e, "zscan nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(
            r2(&mut e, "zscan nokey 0 count 0"),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(r2(&mut e, "zscan k abc"), err("ERR invalid cursor"));
        assert_eq!(r2(&mut e, "zscan nokey abc"), err("ERR invalid cursor"));
        assert_eq!(
            r2(&mut e, "zscan k 18446744073709551616"),
            err("ERR invalid cursor")
        );
        assert_eq!(r2(&mut e, "zscan k 0 count 0"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zscan k 0 count x"), NOT_INT_ERR);
        assert_eq!(r2(&mut e, "zscan k 0 type zset"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zscan k 0 novalues"), SYNTAX_ERR);
        assert_eq!(r2(&mut e, "zscan k 0 match"), SYNTAX_ERR);
        r2(&mut e, "set s v");
        assert_eq!(r2(&mut e, "zscan s 0"), WRONGTYPE_ERR);

        // A skiplist pages by dict position; scores print as %.17g.
        let mut line = String::from("zadd big");
        for i in 0..200 {
            line.push_str(&format!(" {}.1 m{i}", i));
        }
        r2(&mut e, &line);
        let mut seen = std::collections::HashMap::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let out = exec(
                &mut e,
                Protocol::Resp2,
                &[b"zscan", b"big", cursor.as_bytes(), b"count", b"7"],
            );
            let parts: Vec<&str> = out.split("\r\n").collect();
            cursor = parts[2].to_string();
            let items: Vec<&str> = parts[4..].iter().copied().skip(1).step_by(2).collect();
            for pair in items.chunks(2) {
                if pair.len() == 2 && !pair[0].is_empty() {
                    seen.insert(pair[0].to_string(), pair[1].to_string());
                }
            }
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 200);
        assert!(calls >= 200 / 7);
        assert_eq!(seen["m0"], "0.10000000000000001");
        assert_eq!(seen["m5"], "5.0999999999999996");
        assert_eq!(seen["m100"], "100.09999999999999");
    }

    #[test]
    fn formats_17g() {
        assert_eq!(format_17g(0.1), "0.10000000000000001");
        assert_eq!(format_17g(1e-5), "1.0000000000000001e-05");
        assert_eq!(format_17g(110123456789012352.0), "1.1012345678901235e+17");
        assert_eq!(format_17g(1e16), "10000000000000000");
        assert_eq!(format_17g(2.5), "2.5");
        assert_eq!(format_17g(-3.0), "-3");
        assert_eq!(
            format_17g(1e100),
            "1.0000000000000000e+100".replace(".0000000000000000", "")
        );
        assert_eq!(format_17g(0.0001), "0.0001");
        assert_eq!(format_17g(-0.0), "-0");
        assert_eq!(format_17g(f64::INFINITY), "inf");
        assert_eq!(format_17g(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_17g(1e-310), "9.9999999999999694e-311");
    }

    #[test]
    fn type_errors_and_dirty() {
        let mut e = Engine::default();
        r2(&mut e, "zadd k 1 a 2 b");
        let d = e.dirty;
        r2(&mut e, "zadd k 1 a 3 b 4 c");
        assert_eq!(e.dirty, d + 2);
        r2(&mut e, "zadd k nx 9 a");
        assert_eq!(e.dirty, d + 2);
        r2(&mut e, "zpopmin k 2");
        assert_eq!(e.dirty, d + 4);
        r2(&mut e, "zunionstore u 1 k");
        assert_eq!(e.dirty, d + 5);
        r2(&mut e, "zinterstore nothing 1 nokey");
        assert_eq!(e.dirty, d + 5);
    }

    #[test]
    fn table_entries() {
        for (name, arity, write, first_key) in [
            ("zadd", -4, true, 1),
            ("zrank", -3, false, 1),
            ("zrangestore", -5, true, 1),
            ("bzpopmin", -3, true, 1),
            ("bzmpop", -5, true, 3),
            ("zunionstore", -4, true, 1),
            ("zscan", -3, false, 1),
        ] {
            let c = crate::commands::lookup(name.as_bytes()).expect("registered");
            assert_eq!(
                (c.arity, c.is_write(), c.group),
                (arity, write, "sorted-set"),
                "{name}"
            );
            let args = split("x 1 2 3 4 5");
            assert_eq!(
                c.keys.positions(&args).first().copied(),
                Some(first_key),
                "{name}"
            );
        }
        let c = crate::commands::lookup(b"zunionstore").expect("registered");
        assert_eq!(
            c.keys.positions(&split("zunionstore d 2 a b weights 1 2")),
            vec![1, 3, 4]
        );
        let c = crate::commands::lookup(b"bzpopmax").expect("registered");
        assert_eq!(c.keys.positions(&split("bzpopmax a b 0")), vec![1, 2]);
        assert!(c.flags & BLOCKING != 0);
    }

    /// A 100k-member set answers ranks, offsets and range queries in O(log n): the
    /// whole batch below would take seconds with linear scans.
    #[test]
    fn large_sets_stay_fast() {
        let mut e = Engine::default();
        let n = 100_000usize;
        let mut args: Vec<Vec<u8>> = vec![b"zadd".to_vec(), b"big".to_vec()];
        for i in 0..n {
            args.push(i.to_string().into_bytes());
            args.push(format!("m{i:06}").into_bytes());
        }
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        assert_eq!(exec(&mut e, Protocol::Resp2, &refs), int(n as i64));
        let start = std::time::Instant::now();
        for i in (0..n).step_by(37) {
            assert_eq!(r2(&mut e, &format!("zrank big m{i:06}")), int(i as i64));
            assert_eq!(
                r2(&mut e, &format!("zrange big {i} {i}")),
                arr(&[&format!("m{i:06}")])
            );
            assert_eq!(
                r2(&mut e, &format!("zrangebyscore big {i} +inf limit 0 1")),
                arr(&[&format!("m{i:06}")])
            );
            assert_eq!(
                r2(&mut e, &format!("zcount big {i} +inf")),
                int((n - i) as i64)
            );
        }
        assert_eq!(r2(&mut e, "zrevrange big 50000 50000"), arr(&["m049999"]));
        assert_eq!(
            r2(&mut e, "zrangebyscore big -inf +inf limit 99998 5"),
            arr(&["m099998", "m099999"])
        );
        assert_eq!(r2(&mut e, "zremrangebyrank big 0 -50001"), int(50_000));
        assert_eq!(r2(&mut e, "zrank big m060000"), int(10_000));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}
