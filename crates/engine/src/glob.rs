//! Glob-style matching exactly as Redis's `stringmatchlen` (KEYS, SCAN, PSUBSCRIBE).
