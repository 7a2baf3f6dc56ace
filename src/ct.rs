//! Constant-time equality through `ring::hmac::verify` (recompute-and-verify), as ring's
//! `constant_time` module is deprecated.
#![forbid(unsafe_code)]

use ring::hmac;
use std::sync::OnceLock;

fn key() -> &'static hmac::Key {
    static KEY: OnceLock<hmac::Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let rng = ring::rand::SystemRandom::new();
        // A key generation failure leaves a fixed key, which only weakens the blinding of
        // the comparison, not its constant-time behaviour.
        hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .unwrap_or_else(|_| hmac::Key::new(hmac::HMAC_SHA256, b"wp-oauth-ct"))
    })
}

/// Compares two byte strings in time independent of their contents (lengths may leak).
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    let k = key();
    let tag = hmac::sign(k, a);
    hmac::verify(k, b, tag.as_ref()).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn eq_works() {
        assert!(super::eq(b"abc", b"abc"));
        assert!(!super::eq(b"abc", b"abd"));
        assert!(!super::eq(b"abc", b"ab"));
    }
}
