//! Streams: object types 15 (STREAM_LISTPACKS, RDB 9), 19 (STREAM_LISTPACKS_2,
//! RDB 10) and 21 (STREAM_LISTPACKS_3, RDB 11) on read; type 19 on write.
//!
//! ```text
//! len n_nodes, n_nodes x (string 16-byte master ID, string listpack)
//! len length, len last_id.ms, len last_id.seq
//! [19, 21] len first_id.ms/seq, len max_deleted.ms/seq, len entries_added
//! len n_groups, n_groups x (
//!     string name, len last_id.ms/seq, [19, 21] len entries_read (-1 = all ones)
//!     len n_pel, n_pel x (16 raw bytes ID, i64 LE delivery ms, len delivery count)
//!     len n_consumers, n_consumers x (
//!         string name, i64 LE seen ms, [21] i64 LE active ms,
//!         len n, n x 16 raw bytes ID))
//! ```
//!
//! A node listpack holds a master entry (`count deleted n_fields field... 0`)
//! and then entries (`flags ms_diff seq_diff [n_fields field value ... |
//! value ...] lp_count`), IDs relative to the node's master ID. Flag 1 marks
//! a deleted entry, flag 2 an entry with the master entry's field names.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use super::encodings::{self, Elem, ListpackBuilder};
use super::reader::{cap, Input};
use super::{
    types, RdbError, StreamConsumer, StreamEntry, StreamGroup, StreamId, StreamPendingEntry,
    StreamValue,
};

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// Redis's defaults for `stream-node-max-entries` and `stream-node-max-bytes`.
pub const NODE_MAX_ENTRIES: usize = 100;
pub const NODE_MAX_BYTES: usize = 4096;

/// Decodes one node listpack, appending its live entries to `out`.
fn decode_node(master: StreamId, lp: &[u8], out: &mut Vec<StreamEntry>) -> Result<(), String> {
    let elems = encodings::listpack_elems(lp)?;
    if elems.is_empty() {
        return Err("empty listpack inside stream".into());
    }
    let mut it = elems.iter();
    let mut next = |what: &str| -> Result<&Elem<'_>, String> {
        it.next()
            .ok_or_else(|| format!("stream node ends inside the {what}"))
    };
    fn int(e: &Elem<'_>, what: &str) -> Result<i64, String> {
        e.as_int()
            .ok_or_else(|| format!("stream node {what} is not an integer"))
    }
    let count = int(next("master entry")?, "entry count")?;
    let deleted = int(next("master entry")?, "deleted count")?;
    let n_master = int(next("master entry")?, "master field count")?;
    if count < 0 || deleted < 0 || n_master < 0 {
        return Err("negative count in stream master entry".into());
    }
    let mut master_fields: Vec<Vec<u8>> = Vec::with_capacity(cap(n_master as u64));
    for _ in 0..n_master {
        master_fields.push(next("master entry")?.to_vec());
    }
    if int(next("master entry")?, "master entry terminator")? != 0 {
        return Err("stream master entry terminator is not 0".into());
    }
    let total = count
        .checked_add(deleted)
        .ok_or("stream node entry counts overflow")?;
    let mut seen: i64 = 0;
    let mut live: i64 = 0;
    loop {
        let flags_elem = match it.next() {
            None => break,
            Some(e) => e,
        };
        let mut next = |what: &str| -> Result<&Elem<'_>, String> {
            it.next()
                .ok_or_else(|| format!("stream node ends inside an entry's {what}"))
        };
        let flags = int(flags_elem, "entry flags")?;
        let ms_diff = int(next("ID")?, "entry ms delta")?;
        let seq_diff = int(next("ID")?, "entry seq delta")?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms_diff as u64),
            seq: master.seq.wrapping_add(seq_diff as u64),
        };
        let mut fields = Vec::new();
        let expected_lp_count = if flags & FLAG_SAMEFIELDS != 0 {
            fields.reserve(master_fields.len());
            for f in &master_fields {
                fields.push((f.clone(), next("values")?.to_vec()));
            }
            n_master + 3
        } else {
            let n = int(next("field count")?, "entry field count")?;
            if n < 0 {
                return Err("negative stream entry field count".into());
            }
            fields.reserve(cap(n as u64));
            for _ in 0..n {
                let f = next("fields")?.to_vec();
                let v = next("values")?.to_vec();
                fields.push((f, v));
            }
            n.checked_mul(2)
                .and_then(|x| x.checked_add(4))
                .ok_or("stream entry field count overflows")?
        };
        let lp_count = int(next("lp-count")?, "entry lp-count")?;
        if lp_count != expected_lp_count {
            return Err(format!(
                "stream entry lp-count {lp_count}, expected {expected_lp_count}"
            ));
        }
        seen += 1;
        if flags & FLAG_DELETED == 0 {
            live += 1;
            out.push(StreamEntry { id, fields });
        }
    }
    if seen != total || live != count {
        return Err(format!(
            "stream node master entry counts {count} live + {deleted} deleted entries, node holds {live} live of {seen}"
        ));
    }
    Ok(())
}

fn id_from_lengths<R: Read>(inp: &mut Input<R>) -> Result<StreamId, RdbError> {
    let ms = inp.length()?;
    let seq = inp.length()?;
    Ok(StreamId { ms, seq })
}

/// Redis 7.0's `streamEstimateDistanceFromFirstEverEntry`, used to derive a
/// group's `entries_read` when loading type 15 (which does not store it).
fn estimate_entries_read(s: &StreamValue, length: u64, id: StreamId) -> Option<u64> {
    if s.entries_added == 0 {
        return Some(0);
    }
    if length == 0 && id <= s.last_id {
        return Some(s.entries_added);
    }
    if id == s.last_id {
        return Some(s.entries_added);
    } else if id > s.last_id {
        return None;
    }
    if s.max_deleted_id == StreamId::ZERO || s.max_deleted_id < s.first_id {
        if id < s.first_id {
            return Some(s.entries_added.wrapping_sub(length));
        } else if id == s.first_id {
            return Some(s.entries_added.wrapping_sub(length).wrapping_add(1));
        }
    }
    None
}

/// Reads a stream value of type `t` (15, 19 or 21).
pub(crate) fn read_stream<R: Read>(inp: &mut Input<R>, t: u8) -> Result<StreamValue, RdbError> {
    let start = inp.pos;
    let n_nodes = inp.length()?;
    let mut entries: Vec<StreamEntry> = Vec::new();
    let mut node_keys: HashSet<StreamId> = HashSet::new();
    for _ in 0..n_nodes {
        let key_off = inp.pos;
        let key = inp.string()?;
        let key: [u8; 16] = key.as_slice().try_into().map_err(|_| {
            RdbError::corrupt(
                key_off,
                format!(
                    "stream node key is {} bytes, not the 16 of a stream ID",
                    key.len()
                ),
            )
        })?;
        let master = StreamId::from_be_bytes(key);
        if !node_keys.insert(master) {
            return Err(RdbError::corrupt(
                key_off,
                format!("stream listpack node {master} added twice"),
            ));
        }
        let lp_off = inp.pos;
        let lp = inp.string()?;
        decode_node(master, &lp, &mut entries).map_err(|e| {
            RdbError::corrupt(
                lp_off,
                format!("stream listpack integrity check failed: {e}"),
            )
        })?;
    }
    let meta_off = inp.pos;
    let length = inp.length()?;
    let last_id = id_from_lengths(inp)?;
    let mut s = StreamValue {
        last_id,
        ..StreamValue::default()
    };
    if length > 0 && n_nodes == 0 {
        return Err(RdbError::corrupt(
            meta_off,
            format!("stream length {length} but no listpack nodes"),
        ));
    }
    if entries.len() as u64 != length {
        return Err(RdbError::corrupt(
            meta_off,
            format!(
                "stream length {length} does not match its {} entries",
                entries.len()
            ),
        ));
    }
    if entries.windows(2).any(|w| w[0].id >= w[1].id) {
        // Nodes are keyed by master ID in a radix tree: order in the file
        // does not matter to Redis. Sort, then duplicates are corrupt.
        entries.sort_by_key(|e| e.id);
        if let Some(w) = entries.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(RdbError::corrupt(
                start,
                format!("stream entry ID {} appears twice", w[0].id),
            ));
        }
    }
    if t >= types::STREAM_LISTPACKS_2 {
        s.first_id = id_from_lengths(inp)?;
        s.max_deleted_id = id_from_lengths(inp)?;
        s.entries_added = inp.length()?;
    } else {
        s.first_id = entries.first().map_or(StreamId::MAX, |e| e.id);
        s.max_deleted_id = StreamId::ZERO;
        s.entries_added = length;
    }
    s.entries = entries;

    let n_groups = inp.length()?;
    let mut group_names: HashSet<Vec<u8>> = HashSet::new();
    let mut groups = Vec::with_capacity(cap(n_groups));
    for _ in 0..n_groups {
        let g_off = inp.pos;
        let name = inp.string()?;
        if !group_names.insert(name.clone()) {
            return Err(RdbError::corrupt(
                g_off,
                format!(
                    "duplicated consumer group name {:?}",
                    String::from_utf8_lossy(&name)
                ),
            ));
        }
        let last_id = id_from_lengths(inp)?;
        let entries_read = if t >= types::STREAM_LISTPACKS_2 {
            match inp.length()? {
                u64::MAX => None,
                n => Some(n),
            }
        } else {
            estimate_entries_read(&s, length, last_id)
        };
        let n_pel = inp.length()?;
        let mut pending = Vec::with_capacity(cap(n_pel));
        // PEL id -> owned yet?
        let mut pel_index: HashMap<StreamId, bool> = HashMap::with_capacity(cap(n_pel));
        for _ in 0..n_pel {
            let p_off = inp.pos;
            let id = inp.raw_id()?;
            let delivery_time_ms = inp.i64_le()?;
            let delivery_count = inp.length()?;
            if pel_index.insert(id, false).is_some() {
                return Err(RdbError::corrupt(
                    p_off,
                    format!("duplicated global PEL entry {id} in a consumer group"),
                ));
            }
            pending.push(StreamPendingEntry {
                id,
                delivery_time_ms,
                delivery_count,
            });
        }
        let n_consumers = inp.length()?;
        let mut consumer_names: HashSet<Vec<u8>> = HashSet::new();
        let mut consumers = Vec::with_capacity(cap(n_consumers));
        for _ in 0..n_consumers {
            let c_off = inp.pos;
            let cname = inp.string()?;
            if !consumer_names.insert(cname.clone()) {
                return Err(RdbError::corrupt(
                    c_off,
                    format!(
                        "duplicate stream consumer {:?}",
                        String::from_utf8_lossy(&cname)
                    ),
                ));
            }
            let seen_time_ms = inp.i64_le()?;
            let active_time_ms = if t >= types::STREAM_LISTPACKS_3 {
                inp.i64_le()?
            } else {
                seen_time_ms
            };
            let n = inp.length()?;
            let mut owned = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let p_off = inp.pos;
                let id = inp.raw_id()?;
                match pel_index.get_mut(&id) {
                    None => {
                        return Err(RdbError::corrupt(
                            p_off,
                            format!("consumer PEL entry {id} not found in the group PEL"),
                        ))
                    }
                    Some(true) => {
                        return Err(RdbError::corrupt(
                            p_off,
                            format!("PEL entry {id} owned twice"),
                        ))
                    }
                    Some(owner) => *owner = true,
                }
                owned.push(id);
            }
            consumers.push(StreamConsumer {
                name: cname,
                seen_time_ms,
                active_time_ms,
                pending: owned,
            });
        }
        groups.push(StreamGroup {
            name,
            last_id,
            entries_read,
            pending,
            consumers,
        });
    }
    s.groups = groups;
    Ok(s)
}

/// Where the encoders write: a `Vec<u8>` or the RDB writer's buffered sink.
pub(crate) trait Sink {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()>;
}

impl Sink for Vec<u8> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(b);
        Ok(())
    }
}

/// Builds the node listpacks of a stream, as Redis's `streamAppendItem`
/// would with default node limits. Entries must be in strictly ascending
/// ID order.
pub(crate) fn build_nodes(entries: &[StreamEntry]) -> Result<Vec<(StreamId, Vec<u8>)>, String> {
    if let Some(w) = entries.windows(2).find(|w| w[0].id >= w[1].id) {
        return Err(format!(
            "stream entries out of order: {} before {}",
            w[0].id, w[1].id
        ));
    }
    let mut nodes = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let master = &entries[i];
        let master_id = master.id;
        // Entries for this node: up to NODE_MAX_ENTRIES, and stop before the
        // node's bytes plus the next entry's payload reach NODE_MAX_BYTES
        // (the first entry always goes in).
        let mut body = ListpackBuilder::new();
        let mut j = i;
        let mut approx_bytes = 0usize;
        while j < entries.len() && j - i < NODE_MAX_ENTRIES {
            let e = &entries[j];
            let payload: usize = e.fields.iter().map(|(f, v)| f.len() + v.len()).sum();
            if j > i && approx_bytes + payload >= NODE_MAX_BYTES {
                break;
            }
            let same = e.fields.len() == master.fields.len()
                && e.fields
                    .iter()
                    .zip(&master.fields)
                    .all(|((a, _), (b, _))| a == b);
            let before = body.len_bytes();
            body.push_int(if same { FLAG_SAMEFIELDS } else { 0 });
            body.push_int(e.id.ms.wrapping_sub(master_id.ms) as i64);
            body.push_int(e.id.seq.wrapping_sub(master_id.seq) as i64);
            let n = e.fields.len() as i64;
            if same {
                for (_, v) in &e.fields {
                    body.push(v);
                }
                body.push_int(n + 3);
            } else {
                body.push_int(n);
                for (f, v) in &e.fields {
                    body.push(f);
                    body.push(v);
                }
                body.push_int(2 * n + 4);
            }
            approx_bytes += body.len_bytes() - before;
            j += 1;
        }
        // Assemble: master entry first, then the entries' elements.
        let mut lp = ListpackBuilder::new();
        lp.push_int((j - i) as i64);
        lp.push_int(0);
        lp.push_int(master.fields.len() as i64);
        for (f, _) in &master.fields {
            lp.push(f);
        }
        lp.push_int(0);
        let head = lp.finish()?;
        let tail = body.finish()?;
        nodes.push((master_id, join_listpacks(&head, &tail)?));
        i = j;
    }
    Ok(nodes)
}

/// Concatenates two listpacks built by [`ListpackBuilder`].
fn join_listpacks(a: &[u8], b: &[u8]) -> Result<Vec<u8>, String> {
    // Both are `<u32 total> <u16 count> entries... 0xff`.
    let a_entries = &a[6..a.len() - 1];
    let b_entries = &b[6..b.len() - 1];
    let count =
        u16::from_le_bytes([a[4], a[5]]) as usize + u16::from_le_bytes([b[4], b[5]]) as usize;
    let mut out = Vec::with_capacity(6 + a_entries.len() + b_entries.len() + 1);
    let total = u32::try_from(6 + a_entries.len() + b_entries.len() + 1)
        .map_err(|_| "stream node listpack too large".to_string())?;
    out.extend_from_slice(&total.to_le_bytes());
    // Counts of 65535 or more are stored as "unknown" (65535).
    let count = u16::try_from(count).unwrap_or(u16::MAX);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(a_entries);
    out.extend_from_slice(b_entries);
    out.push(0xff);
    Ok(out)
}

/// Writes a stream as type 19 (STREAM_LISTPACKS_2), or 21 when `t` says so
/// (only tests write 21: it is not loadable by Redis 7.0). `put_string`
/// writes an RDB string (so the caller decides about LZF), `put_len` an RDB
/// length.
pub(crate) fn write_stream<S: Sink>(
    out: &mut S,
    s: &StreamValue,
    t: u8,
    put_len: fn(&mut S, u64) -> std::io::Result<()>,
    put_string: &mut dyn FnMut(&mut S, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    let nodes = build_nodes(&s.entries).map_err(invalid)?;
    put_len(out, nodes.len() as u64)?;
    for (id, lp) in &nodes {
        put_string(out, &id.to_be_bytes())?;
        put_string(out, lp)?;
    }
    put_len(out, s.entries.len() as u64)?;
    put_len(out, s.last_id.ms)?;
    put_len(out, s.last_id.seq)?;
    put_len(out, s.first_id.ms)?;
    put_len(out, s.first_id.seq)?;
    put_len(out, s.max_deleted_id.ms)?;
    put_len(out, s.max_deleted_id.seq)?;
    put_len(out, s.entries_added)?;
    put_len(out, s.groups.len() as u64)?;
    for g in &s.groups {
        put_string(out, &g.name)?;
        put_len(out, g.last_id.ms)?;
        put_len(out, g.last_id.seq)?;
        put_len(out, g.entries_read.unwrap_or(u64::MAX))?;
        put_len(out, g.pending.len() as u64)?;
        for p in &g.pending {
            out.put(&p.id.to_be_bytes())?;
            out.put(&p.delivery_time_ms.to_le_bytes())?;
            put_len(out, p.delivery_count)?;
        }
        put_len(out, g.consumers.len() as u64)?;
        for c in &g.consumers {
            put_string(out, &c.name)?;
            out.put(&c.seen_time_ms.to_le_bytes())?;
            if t >= types::STREAM_LISTPACKS_3 {
                out.put(&c.active_time_ms.to_le_bytes())?;
            }
            put_len(out, c.pending.len() as u64)?;
            for id in &c.pending {
                out.put(&id.to_be_bytes())?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ms: u64, seq: u64, fields: &[(&str, &str)]) -> StreamEntry {
        StreamEntry {
            id: StreamId::new(ms, seq),
            fields: fields
                .iter()
                .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn nodes_round_trip() {
        let mut entries = Vec::new();
        for i in 0..250u64 {
            if i % 7 == 0 {
                entries.push(entry(1000 + i, i, &[("other", "x"), ("f", "1")]));
            } else {
                entries.push(entry(1000 + i, 0, &[("f", &i.to_string())]));
            }
        }
        let nodes = build_nodes(&entries).unwrap();
        assert_eq!(nodes.len(), 3);
        let mut back = Vec::new();
        for (id, lp) in &nodes {
            decode_node(*id, lp, &mut back).unwrap();
        }
        assert_eq!(back, entries);
    }

    #[test]
    fn big_entries_split_by_bytes() {
        let big = "v".repeat(3000);
        let entries: Vec<_> = (0..5).map(|i| entry(i + 1, 0, &[("f", &big)])).collect();
        let nodes = build_nodes(&entries).unwrap();
        assert_eq!(nodes.len(), 5);
        assert!(build_nodes(&[entries[1].clone(), entries[0].clone()]).is_err());
    }

    #[test]
    fn estimate_matches_redis_cases() {
        let s = StreamValue {
            entries: Vec::new(),
            last_id: StreamId::new(6, 0),
            first_id: StreamId::new(5, 0),
            max_deleted_id: StreamId::ZERO,
            entries_added: 2,
            groups: Vec::new(),
        };
        assert_eq!(estimate_entries_read(&s, 2, StreamId::new(5, 0)), Some(1));
        assert_eq!(estimate_entries_read(&s, 2, StreamId::ZERO), Some(0));
        assert_eq!(estimate_entries_read(&s, 2, StreamId::new(6, 0)), Some(2));
        assert_eq!(estimate_entries_read(&s, 2, StreamId::new(7, 0)), None);
        assert_eq!(estimate_entries_read(&s, 2, StreamId::new(5, 1)), None);
    }
}
