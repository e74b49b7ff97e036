//! Fuzzes the RDB loader and DUMP payload decoder: any bytes give a value or an error,
//! never a panic, and never an allocation driven by a length field alone.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut n = 0usize;
    let _ = redraft_persist::load(data, |_rec| {
        n += 1;
        Ok(())
    });
    let _ = redraft_persist::restore_payload(data);
    // The same bytes behind a valid header exercise the body parsers directly.
    let mut with_header = b"REDIS0011".to_vec();
    with_header.extend_from_slice(data);
    let _ = redraft_persist::load(&with_header[..], |_rec| Ok(()));
});
