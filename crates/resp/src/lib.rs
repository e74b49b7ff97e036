//! RESP, the Redis serialization protocol: request parsing (multibulk and inline, with
//! Redis's limits and error texts) and reply encoding for RESP2 and RESP3.
//!
//! Requests are parsed by hand rather than through a general frame codec: clients only
//! ever send arrays of bulk strings or inline lines, the server must answer malformed
//! input with Redis's exact `Protocol error: ...` texts, and arguments are handed to
//! commands as slices of the read buffer with no copy and no per-argument allocation.

pub mod reply;
pub mod request;

pub use reply::{format_double, Protocol, Reply};
pub use request::{parse_i64, Limits, Parsed, ProtocolError, RequestParser};
