//! WP OAuth native crypto core, built as the PHP extension `wp_oauth`.
//!
//! The core modules (everything except `php`) carry no PHP types: `cargo test
//! --no-default-features` tests them without PHP headers. The `php` feature (on by
//! default) adds the ext-php-rs binding in [`php`](crate) that only converts values,
//! calls the core and maps [`Error`] to PHP exceptions.
//!
//! Cryptography: ring only, through [`provider::RING_PROVIDER`], a
//! `jsonwebtoken::crypto::CryptoProvider` written in this crate.
#![warn(missing_docs)]

pub mod b64;
pub mod cache;
pub mod ct;
pub mod der;
pub mod dpop;
pub mod error;
pub mod json;
pub mod jwt;
pub mod keys;
pub mod pkce;
pub mod provider;
pub mod random;
pub mod secret;

#[cfg(feature = "php")]
mod php;

pub use error::Error;

/// The crate version, as reported by `wp_oauth_version()`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The JWS algorithms supported (RFC 7518 §3.1 names, RFC 8037 for `EdDSA`).
pub const SUPPORTED_ALGORITHMS: &[&str] = &["HS256", "ES256", "EdDSA", "RS256", "PS256"];

/// The cryptographic backend and its version, as shown by `php --ri wp_oauth`.
pub const CRYPTO_BACKEND: &str = concat!("ring ", env!("WP_OAUTH_RING_VERSION"));
