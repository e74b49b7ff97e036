//! Persistence in Redis formats (being written).
