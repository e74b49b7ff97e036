//! Placeholder table until the family lands in this change.

use crate::command::EngineCommand;

pub const COMMANDS: &[EngineCommand] = &[];
