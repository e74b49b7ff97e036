//! Helpers shared by the engine's unit tests: run a command line through `apply` and
//! get the RESP bytes back.

use crate::{Engine, Protocol};
use redraft_resp::Reply;

/// The entry time the tests apply at.
pub const NOW: i64 = 1_700_000_000_000;

pub const WRONGTYPE_ERR: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A command line split on spaces.
pub fn words(line: &str) -> Vec<&[u8]> {
    line.split(' ').map(str::as_bytes).collect()
}

/// Applies one command as an entry; returns the reply text and whether it would block.
pub fn exec_entry(
    e: &mut Engine,
    proto: Protocol,
    seed: u64,
    may_block: bool,
    args: &[&[u8]],
) -> (String, bool) {
    let mut reply = Reply::new(proto);
    let blocked = e.apply_entry(0, NOW, seed, &[args], &mut reply, may_block);
    (String::from_utf8_lossy(&reply.buf).into_owned(), blocked)
}

/// Applies one command (never blocking) with `seed`; returns the reply text.
pub fn exec(e: &mut Engine, proto: Protocol, seed: u64, args: &[&[u8]]) -> String {
    exec_entry(e, proto, seed, false, args).0
}

/// Runs a command line as a RESP2 client.
pub fn run(e: &mut Engine, line: &str) -> String {
    exec(e, Protocol::Resp2, 1, &words(line))
}

/// Runs a command line as a RESP3 client.
pub fn run3(e: &mut Engine, line: &str) -> String {
    exec(e, Protocol::Resp3, 1, &words(line))
}

/// The RESP2 array of bulk strings `items`.
pub fn bulks(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
    }
    s
}
