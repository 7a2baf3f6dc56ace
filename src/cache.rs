//! Per-worker caches (placeholder, filled in by the JWT module).
#![forbid(unsafe_code)]
