//! JWT (placeholder).
#![forbid(unsafe_code)]
