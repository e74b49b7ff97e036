//! Fuzzes the request parser: any bytes, fed whole and in two pieces, never panic, and
//! both ways yield the same commands or the same protocol error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redraft_resp::{Limits, Parsed, RequestParser};

fn run(chunks: &[&[u8]]) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
    let mut p = RequestParser::new();
    let mut buf = vec![];
    let mut cmds = vec![];
    for c in chunks {
        buf.extend_from_slice(c);
        loop {
            match p.next(&mut buf, Limits { max_bulk_len: 1 << 20, authenticated: true }) {
                Ok(Parsed::Command) => cmds.push(p.args().iter().map(|r| buf[r.clone()].to_vec()).collect()),
                Ok(Parsed::Incomplete) => break,
                Err(e) => return (cmds, Some(e.0)),
            }
        }
        let n = p.consumed();
        buf.drain(..n);
        p.advance();
    }
    (cmds, None)
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let split = data[0] as usize % data.len();
    let rest = &data[1..];
    let split = split.min(rest.len());
    let whole = run(&[rest]);
    let pieces = run(&[&rest[..split], &rest[split..]]);
    assert_eq!(whole, pieces);
});
