//! SORT and SORT_RO (Redis's `sort.c`): sorting the elements of a list, a set or a sorted
//! set numerically or lexicographically (ALPHA), by their own value or by keys built
//! from a pattern (`BY weight_*`, `BY data_*->field`, `BY nosort`), with LIMIT, GET
//! (`#` for the element itself, `key_*`, `hash_*->field`), ASC/DESC, and STORE (SORT
//! only) into a list.
//!
//! Numeric sorting reads values as C's `strtod` (the whole string, ERANGE refused) and
//! breaks ties by comparing the elements as binary strings, so the result is fully
//! determined. ALPHA compares as `strcoll` in the C locale (byte order up to a NUL), or
//! binary-safe with STORE, as Redis. Elements Redis leaves in container order (`BY`
//! without `*` on a list or sorted set) keep that order; a set is then sorted
//! lexicographically when the result is stored, as Redis does.

use super::hash::read_hash;
use super::set::members;
use super::string_bytes;
use crate::args::is;
use crate::command::{
    cmd, flags::*, CmdResult, Ctx, EngineCommand, Error, Keys, NOT_INTEGER, SYNTAX, WRONGTYPE,
};
use crate::db::{notify, Db};
use crate::object::Value;
use crate::zset::ZSet;
use redraft_resp::parse_i64;
use std::cmp::Ordering;
use std::collections::VecDeque;

pub const COMMANDS: &[EngineCommand] = &[
    cmd(
        "sort",
        -2,
        WRITE | DENYOOM,
        Keys::Custom(sort_keys),
        "generic",
        "1.0.0",
        "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
        sort,
    ),
    cmd(
        "sort_ro",
        -2,
        READONLY,
        Keys::one(),
        "generic",
        "7.0.0",
        "Returns the sorted elements of a list, a set, or a sorted set.",
        sort_ro,
    ),
];

/// SORT's keys as Redis's `sortGetKeys`: the sorted key, and the last STORE destination
/// (skipping the arguments of LIMIT, GET and BY).
fn sort_keys(args: &[&[u8]]) -> Vec<usize> {
    if args.len() < 2 {
        return vec![];
    }
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let a = args[i];
        if is(a, "limit") {
            i += 2;
        } else if is(a, "get") || is(a, "by") {
            i += 1;
        } else if is(a, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

/// Members of a sorted set in rank order.
fn zset_members(z: &ZSet) -> Vec<Box<[u8]>> {
    z.iter().map(|(m, _)| Box::from(m)).collect()
}

/// One element being sorted, with its numeric score or its ALPHA comparison value.
struct Item {
    obj: Box<[u8]>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

impl Item {
    fn new(obj: Box<[u8]>) -> Self {
        Item {
            obj,
            score: 0.0,
            cmp: None,
        }
    }
}

/// C's `strtod` over a whole NUL-terminated string, as SORT checks it: leading white
/// space allowed, trailing bytes refused, NaN and ERANGE (overflow, underflow) refused.
/// The empty string reads as 0.
fn strtod_whole(s: &[u8]) -> Option<f64> {
    let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
    if s.is_empty() {
        return Some(0.0);
    }
    let t = &s[s
        .iter()
        .position(|c| !b" \t\n\x0b\x0c\r".contains(c))
        .unwrap_or(s.len())..];
    let text = std::str::from_utf8(t).ok()?;
    let unsigned = text.trim_start_matches(['+', '-']);
    let v: f64 = if unsigned.len() + 1 >= text.len()
        && (unsigned.starts_with("0x") || unsigned.starts_with("0X"))
    {
        use super::string::ld::{parse, Ld};
        match parse(t)? {
            Ld::Finite { neg, mant, exp } => {
                let m = mant as f64 * 2f64.powi(exp.clamp(-2000, 2000) as i32);
                if neg {
                    -m
                } else {
                    m
                }
            }
            _ => return None,
        }
    } else {
        text.parse().ok()?
    };
    if v.is_nan() {
        return None;
    }
    let lower = unsigned.to_ascii_lowercase();
    if v.is_infinite() && lower != "inf" && lower != "infinity" {
        return None; // overflow: ERANGE
    }
    let has_digit = unsigned
        .split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|c| (b'1'..=b'9').contains(&c)));
    if (v == 0.0 && has_digit) || v.is_subnormal() {
        return None; // underflow: ERANGE
    }
    Some(v)
}

/// The prefix of a C string (up to its first NUL).
fn c_str(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())]
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` of
/// the pattern is replaced by the element, and a `->field` after it reads that field of
/// a hash instead of a string. None when the pattern has no `*`, the key is missing or
/// of the wrong type, or the field is absent.
fn lookup_by_pattern(db: &mut Db, pattern: &[u8], subst: &[u8], now: i64) -> Option<Vec<u8>> {
    if pattern.first() == Some(&b'#') && matches!(pattern.get(1), None | Some(0)) {
        return Some(subst.to_vec());
    }
    let cpat = c_str(pattern);
    let p = cpat.iter().position(|&c| c == b'*')?;
    let field = cpat[p + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|f| p + 1 + f)
        .filter(|f| cpat.get(f + 2).is_some());
    let field_len = field.map_or(0, |f| pattern.len() - f - 2);
    let postfix_len = pattern.len() - (p + 1) - field.map_or(0, |_| field_len + 2);
    let mut key = Vec::with_capacity(p + subst.len() + postfix_len);
    key.extend_from_slice(&pattern[..p]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[p + 1..p + 1 + postfix_len]);
    match field {
        Some(f) => {
            let name = &pattern[f + 2..];
            match read_hash(db, &key, now) {
                Ok(Some(h)) => h.get(name).map(|v| v.to_vec()),
                _ => None,
            }
        }
        None => {
            let o = db.lookup_read(&key, now)?;
            string_bytes(&o.value).ok().map(|v| v.into_owned())
        }
    }
}

fn sort(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, false)
}

fn sort_ro(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, true)
}

/// What the sorted key holds.
enum Source {
    List,
    Set,
    ZSet,
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
fn sort_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let args = ctx.args;
    let now = ctx.now;
    let (mut desc, mut alpha, mut dontsort) = (false, false, false);
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut sortby: Option<&[u8]> = None;
    let mut store: Option<&[u8]> = None;
    let mut gets: Vec<&[u8]> = Vec::new();
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = args[j];
        if is(a, "asc") {
            desc = false;
        } else if is(a, "desc") {
            desc = true;
        } else if is(a, "alpha") {
            alpha = true;
        } else if is(a, "limit") && left >= 2 {
            limit_start = parse_i64(args[j + 1]).ok_or(NOT_INTEGER)?;
            limit_count = parse_i64(args[j + 2]).ok_or(NOT_INTEGER)?;
            j += 2;
        } else if !readonly && is(a, "store") && left >= 1 {
            store = Some(args[j + 1]);
            j += 1;
        } else if is(a, "by") && left >= 1 {
            sortby = Some(args[j + 1]);
            // A pattern without '*' does not sort (BY nosort).
            dontsort = !c_str(args[j + 1]).contains(&b'*');
            j += 1;
        } else if is(a, "get") && left >= 1 {
            gets.push(args[j + 1]);
            j += 1;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }

    let db = &mut ctx.dbs[ctx.db];
    let (source, elements): (Source, Vec<Box<[u8]>>) = match db.lookup_read(args[1], now) {
        None => (Source::List, Vec::new()),
        Some(o) => match &o.value {
            Value::List(l) => (Source::List, l.iter().cloned().collect()),
            Value::Set(s) => (Source::Set, members(s).into_iter().map(Box::from).collect()),
            Value::ZSet(z) => (Source::ZSet, zset_members(z)),
            _ => return Err(WRONGTYPE),
        },
    };

    // A set has no order of its own to keep when the result is stored: sort it.
    if dontsort && matches!(source, Source::Set) && store.is_some() {
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    let vectorlen = elements.len() as i64;
    let mut start = limit_start.max(0).min(vectorlen);
    let limit_count = limit_count.max(-1).min(vectorlen);
    let mut end = if limit_count < 0 {
        vectorlen - 1
    } else {
        start + limit_count - 1
    };
    if start >= vectorlen {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if end >= vectorlen {
        end = vectorlen - 1;
    }

    let mut vector: Vec<Item>;
    if dontsort && !matches!(source, Source::Set) {
        // Container order (reversed by DESC), only the requested range.
        vector = Vec::new();
        if end >= start {
            let n = (end - start + 1) as usize;
            let s = start as usize;
            if desc {
                vector.extend(elements.into_iter().rev().skip(s).take(n).map(Item::new));
            } else {
                vector.extend(elements.into_iter().skip(s).take(n).map(Item::new));
            }
            end -= start;
            start = 0;
        }
    } else {
        vector = elements.into_iter().map(Item::new).collect();
    }

    let mut conversion_error = false;
    if !dontsort {
        for item in vector.iter_mut() {
            let byval: Vec<u8> = match sortby {
                Some(pat) => match lookup_by_pattern(db, pat, &item.obj, now) {
                    Some(v) => v,
                    None => continue,
                },
                None => item.obj.to_vec(),
            };
            if alpha {
                if sortby.is_some() {
                    item.cmp = Some(byval);
                }
            } else {
                match strtod_whole(&byval) {
                    Some(v) => item.score = v,
                    None => conversion_error = true,
                }
            }
        }
        let (bypattern, storing) = (sortby.is_some(), store.is_some());
        vector.sort_by(|a, b| {
            let c = compare(a, b, alpha, bypattern, storing);
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }

    let range = end - start + 1;
    let outputlen = if gets.is_empty() {
        range
    } else {
        gets.len() as i64 * range
    }
    .max(0) as usize;
    if conversion_error {
        return Err(Error::err(
            "One or more scores can't be converted into double",
        ));
    }
    let selected = if range > 0 {
        &vector[start as usize..=end as usize]
    } else {
        &vector[..0]
    };
    match store {
        None => {
            ctx.reply.array(outputlen);
            for item in selected {
                if gets.is_empty() {
                    ctx.reply.bulk(&item.obj);
                }
                for g in &gets {
                    match lookup_by_pattern(db, g, &item.obj, now) {
                        Some(v) => ctx.reply.bulk(&v),
                        None => ctx.reply.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut list: VecDeque<Box<[u8]>> = VecDeque::with_capacity(outputlen);
            for item in selected {
                if gets.is_empty() {
                    list.push_back(item.obj.clone());
                }
                for g in &gets {
                    let v = lookup_by_pattern(db, g, &item.obj, now).unwrap_or_default();
                    list.push_back(v.into_boxed_slice());
                }
            }
            if outputlen > 0 {
                db.set(dst, Value::List(Box::new(list)), false, now);
                db.notify(notify::LIST, "sortstore", dst);
                *ctx.dirty += outputlen as u64;
            } else if db.remove(dst).is_some() {
                // As Redis's `dbDelete`: even a key past its deadline goes (and `del`).
                db.notify(notify::GENERIC, "del", dst);
                *ctx.dirty += 1;
            }
            ctx.reply.int(outputlen as i64);
        }
    }
    Ok(())
}

/// Redis's `sortCompare` (before DESC reverses it).
fn compare(a: &Item, b: &Item, alpha: bool, bypattern: bool, storing: bool) -> Ordering {
    if !alpha {
        return match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.obj.cmp(&b.obj),
            Some(o) => o,
        };
    }
    let text = |x: &[u8], y: &[u8]| {
        if storing {
            x.cmp(y)
        } else {
            c_str(x).cmp(c_str(y))
        }
    };
    if bypattern {
        match (&a.cmp, &b.cmp) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => text(x, y),
        }
    } else {
        text(&a.obj, &b.obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;

    use crate::testutil::{bulks, run, words, NOW};

    #[test]
    fn numeric_and_alpha() {
        let mut e = Engine::default();
        run(&mut e, "rpush l 3 1 2 10 -5 1.5");
        assert_eq!(
            run(&mut e, "sort l"),
            bulks(&["-5", "1", "1.5", "2", "3", "10"])
        );
        assert_eq!(
            run(&mut e, "sort l desc"),
            bulks(&["10", "3", "2", "1.5", "1", "-5"])
        );
        assert_eq!(
            run(&mut e, "sort l alpha"),
            bulks(&["-5", "1", "1.5", "10", "2", "3"])
        );
        assert_eq!(run(&mut e, "sort l limit 1 2"), bulks(&["1", "1.5"]));
        assert_eq!(run(&mut e, "sort l limit 0 0"), "*0\r\n");
        assert_eq!(run(&mut e, "sort l limit -1 2"), bulks(&["-5", "1"]));
        assert_eq!(
            run(&mut e, "sort l limit 2 -1"),
            bulks(&["1.5", "2", "3", "10"])
        );
        assert_eq!(run(&mut e, "sort l limit 10 2"), "*0\r\n");
        assert_eq!(
            run(&mut e, "sort l limit x 1"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(run(&mut e, "sort l limit 1"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "sort l store"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut e, "sort_ro l store dst"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut e, "sort_ro l desc limit 0 3"),
            bulks(&["10", "3", "2"])
        );
        assert_eq!(run(&mut e, "sort nokey"), "*0\r\n");
        run(&mut e, "set str v");
        assert_eq!(
            run(&mut e, "sort str"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(run(&mut e, "sort str bogus"), "-ERR syntax error\r\n");
        run(&mut e, "rpush w b a c");
        assert_eq!(
            run(&mut e, "sort w"),
            "-ERR One or more scores can't be converted into double\r\n"
        );
        assert_eq!(run(&mut e, "sort w alpha"), bulks(&["a", "b", "c"]));
        // Equal scores: ordered by the element.
        run(&mut e, "rpush n 1.0 1 01 -0 0");
        assert_eq!(run(&mut e, "sort n"), bulks(&["-0", "0", "01", "1", "1.0"]));
        run(&mut e, "rpush odd 1e400 2");
        assert_eq!(
            run(&mut e, "sort odd"),
            "-ERR One or more scores can't be converted into double\r\n"
        );
    }

    #[test]
    fn strtod_rules() {
        assert_eq!(strtod_whole(b""), Some(0.0));
        assert_eq!(strtod_whole(b"  5"), Some(5.0));
        assert_eq!(strtod_whole(b"5 "), None);
        assert_eq!(strtod_whole(b" "), None);
        assert_eq!(strtod_whole(b"nan"), None);
        assert_eq!(strtod_whole(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod_whole(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"0x10"), Some(16.0));
        assert_eq!(strtod_whole(b"-0x1p-2"), Some(-0.25));
        assert_eq!(strtod_whole(b".5"), Some(0.5));
        assert_eq!(strtod_whole(b"5."), Some(5.0));
        assert_eq!(strtod_whole(b"1e400"), None);
        assert_eq!(strtod_whole(b"1e-400"), None);
        assert_eq!(strtod_whole(b"0e-400"), Some(0.0));
        assert_eq!(strtod_whole(b"7\0junk"), Some(7.0));
    }

    #[test]
    fn by_get_and_nosort() {
        let mut e = Engine::default();
        run(&mut e, "rpush w a b c");
        assert_eq!(run(&mut e, "sort w by nosort"), bulks(&["a", "b", "c"]));
        assert_eq!(
            run(&mut e, "sort w by nosort desc"),
            bulks(&["c", "b", "a"])
        );
        assert_eq!(
            run(&mut e, "sort w by nosort desc limit 1 5"),
            bulks(&["b", "a"])
        );
        assert_eq!(run(&mut e, "sort w by nosort limit 5 5"), "*0\r\n");
        run(
            &mut e,
            "mset weight_a 3 weight_b 1 weight_c 2 val_a A val_b B",
        );
        assert_eq!(run(&mut e, "sort w by weight_*"), bulks(&["b", "c", "a"]));
        assert_eq!(
            run(&mut e, "sort w by weight_* desc limit 0 2"),
            bulks(&["a", "c"])
        );
        assert_eq!(
            run(&mut e, "sort w by weight_* get # get val_*"),
            "*6\r\n$1\r\nb\r\n$1\r\nB\r\n$1\r\nc\r\n$-1\r\n$1\r\na\r\n$1\r\nA\r\n"
        );
        assert_eq!(
            run(&mut e, "sort w by weight_* get nostar"),
            "*3\r\n$-1\r\n$-1\r\n$-1\r\n"
        );
        // Missing weights count as 0 (then the element decides).
        assert_eq!(
            run(&mut e, "sort w by missing_* desc"),
            bulks(&["c", "b", "a"])
        );
        run(&mut e, "hset hw_a f 30 g x");
        run(&mut e, "hset hw_b f 10");
        run(&mut e, "hset hw_c f 20");
        assert_eq!(run(&mut e, "sort w by hw_*->f"), bulks(&["b", "c", "a"]));
        assert_eq!(
            run(&mut e, "sort w by hw_*->f desc get hw_*->g get #"),
            "*6\r\n$1\r\nx\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n$-1\r\n$1\r\nb\r\n"
        );
        run(&mut e, "mset ww_a x ww_b 2 ww_c 3");
        // ALPHA by pattern: a missing value sorts first.
        run(&mut e, "del ww_c");
        assert_eq!(run(&mut e, "sort w by ww_* alpha"), bulks(&["c", "b", "a"]));
        assert_eq!(
            run(&mut e, "sort w by ww_*"),
            "-ERR One or more scores can't be converted into double\r\n"
        );
        // A set is returned in its own order without sorting, sorted when stored.
        run(&mut e, "sadd s c a b");
        assert_eq!(run(&mut e, "sort s by nosort"), bulks(&["c", "a", "b"]));
        assert_eq!(run(&mut e, "sort s by nosort store dst"), ":3\r\n");
        assert_eq!(run(&mut e, "lrange dst 0 -1"), bulks(&["a", "b", "c"]));
        run(&mut e, "sadd si 5 3 9 1");
        assert_eq!(run(&mut e, "sort si desc limit 1 2"), bulks(&["5", "3"]));
    }

    #[test]
    fn store() {
        let mut e = Engine::default();
        run(&mut e, "rpush l 3 1 2");
        e.dbs[0].set(b"dst", Value::string(b"old"), false, NOW);
        e.dbs[0].set_expire(b"dst", NOW + 1000);
        let before = e.dirty;
        assert_eq!(run(&mut e, "sort l store dst"), ":3\r\n");
        assert_eq!(e.dirty - before, 3);
        assert_eq!(e.dbs[0].expire_of(b"dst"), None);
        assert_eq!(run(&mut e, "lrange dst 0 -1"), bulks(&["1", "2", "3"]));
        run(&mut e, "mset k_1 one k_3 three");
        assert_eq!(run(&mut e, "sort l get k_* get # store dst"), ":6\r\n");
        assert_eq!(
            run(&mut e, "lrange dst 0 -1"),
            bulks(&["one", "1", "", "2", "three", "3"])
        );
        assert_eq!(run(&mut e, "sort l limit 0 0 store dst"), ":0\r\n");
        assert!(!e.dbs[0].exists(b"dst", NOW));
        assert_eq!(run(&mut e, "sort nokey store dst"), ":0\r\n");
    }

    #[test]
    fn keys_of_sort() {
        assert_eq!(sort_keys(&words("sort k")), vec![1]);
        assert_eq!(sort_keys(&words("sort k store d")), vec![1, 3]);
        assert_eq!(
            sort_keys(&words("sort k store d1 by x store d2")),
            vec![1, 7]
        );
        assert_eq!(sort_keys(&words("sort k get store by store")), vec![1]);
        assert_eq!(sort_keys(&words("sort k limit 0 1 store d")), vec![1, 6]);
        assert_eq!(sort_keys(&words("sort k store")), vec![1]);
    }
}
