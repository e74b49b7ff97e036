//! The seam to Redis's serialization format: DUMP/RESTORE payloads are produced and read
//! by a codec the server installs (the `persist` crate), so the engine stays free of
//! file formats while RESTORE still runs inside apply like any other write.

use crate::object::Value;
use std::sync::OnceLock;

pub trait ValueCodec: Send + Sync {
    /// A DUMP payload (value, RDB version, CRC64).
    fn dump(&self, v: &Value) -> Vec<u8>;
    /// Decodes a DUMP payload. `Err(true)`: the version or checksum is wrong;
    /// `Err(false)`: the data inside is malformed.
    fn restore(&self, payload: &[u8]) -> Result<Value, bool>;
}

static CODEC: OnceLock<Box<dyn ValueCodec>> = OnceLock::new();

/// Installs the codec (once, at startup).
pub fn install(codec: Box<dyn ValueCodec>) {
    let _ = CODEC.set(codec);
}

pub fn codec() -> Option<&'static dyn ValueCodec> {
    CODEC.get().map(|b| b.as_ref())
}
