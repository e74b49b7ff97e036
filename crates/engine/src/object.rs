//! Values stored under keys, and the per-key access metadata Redis keeps in its `robj`
//! (LRU clock or LFU counter) for eviction and `OBJECT IDLETIME/FREQ`.

use crate::dict::Dict;
use crate::zset::ZSet;
use std::collections::VecDeque;

/// A stored value. Strings that are canonical 64-bit integers are held as `Int`, as
/// Redis's `OBJ_ENCODING_INT`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Box<[u8]>),
    Int(i64),
    /// A string edited in place (APPEND, SETRANGE, SETBIT, BITFIELD) or built by BITOP:
    /// Redis's `raw` encoding, with spare capacity so repeated growth is amortised.
    Buf(Box<Vec<u8>>),
    /// Lists (Redis's quicklist/listpack).
    List(Box<VecDeque<Box<[u8]>>>),
    /// Hashes: field -> value, in a deterministic insertion-ordered dict.
    Hash(Box<Dict<Box<[u8]>>>),
    /// Sets: members in a deterministic insertion-ordered dict.
    Set(Box<Dict<()>>),
    /// Sorted sets.
    ZSet(Box<ZSet>),
    /// Streams, kept whole as their DUMP payload: loaded, stored and written back without
    /// loss; the stream commands themselves are not implemented yet.
    Stream(Box<StreamBlob>),
}

/// A stream held as its serialized form (see `Value::Stream`).
#[derive(Clone, Debug, PartialEq)]
pub struct StreamBlob(pub Vec<u8>);

/// Longest string Redis stores with the `embstr` encoding.
pub const EMBSTR_LIMIT: usize = 44;

impl Value {
    /// Builds a string value, choosing the integer form as Redis's `tryObjectEncoding`.
    pub fn string(bytes: &[u8]) -> Value {
        if bytes.len() <= 20 {
            if let Some(i) = redraft_resp::parse_i64(bytes) {
                return Value::Int(i);
            }
        }
        Value::Str(bytes.into())
    }

    /// Redis's type name, as `TYPE` replies.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) | Value::Int(_) | Value::Buf(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// Redis's encoding name, as `OBJECT ENCODING` replies.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_LIMIT => "embstr",
            Value::Str(_) | Value::Buf(_) => "raw",
            Value::List(l) if l.len() <= 128 && l.iter().all(|e| e.len() <= 64) => "listpack",
            Value::List(_) => "quicklist",
            Value::Hash(h)
                if h.len() <= 128 && h.iter().all(|(k, v)| k.len() <= 64 && v.len() <= 64) =>
            {
                "listpack"
            }
            Value::Hash(_) => "hashtable",
            Value::Set(s)
                if s.len() <= 512
                    && s.keys()
                        .all(|m| m.len() <= 20 && redraft_resp::parse_i64(m).is_some()) =>
            {
                "intset"
            }
            Value::Set(s) if s.len() <= 128 && s.keys().all(|m| m.len() <= 64) => "listpack",
            Value::Set(_) => "hashtable",
            Value::ZSet(z) if z.is_listpack() => "listpack",
            Value::ZSet(_) => "skiplist",
            Value::Stream(_) => "stream",
        }
    }

    /// Heap bytes owned by the value, for `MEMORY USAGE` and eviction estimates.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Int(_) => 0,
            Value::Buf(b) => std::mem::size_of::<Vec<u8>>() + b.capacity(),
            Value::List(l) => l.iter().map(|e| e.len() + 16).sum::<usize>() + 32,
            Value::Hash(h) => h.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + 64,
            Value::Set(s) => s.keys().map(|m| m.len() + 32).sum::<usize>() + 64,
            Value::ZSet(z) => z.heap_size(),
            Value::Stream(b) => b.0.len(),
        }
    }
}

/// A value with its access metadata: seconds of the last access (LRU), or under an LFU
/// policy the last decrement time in minutes (high 24 bits) and a logarithmic counter
/// (low 8 bits), as Redis packs them.
#[derive(Clone, Debug)]
pub struct Object {
    pub value: Value,
    pub access: u32,
}

impl Object {
    pub fn new(value: Value) -> Self {
        Object { value, access: 0 }
    }
}
