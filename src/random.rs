//! Random opaque tokens from the OS CSPRNG.
#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use rand::rngs::OsRng;
use rand::TryRngCore;
use zeroize::Zeroizing;

/// Smallest accepted byte count for [`random_token`].
pub const MIN_BYTES: i64 = 16;
/// Largest accepted byte count for [`random_token`].
pub const MAX_BYTES: i64 = 256;

/// Fills `out` from the operating system CSPRNG.
///
/// Errors: [`Error::RandomFailure`].
pub fn fill(out: &mut [u8]) -> Result<()> {
    OsRng.try_fill_bytes(out).map_err(|_| Error::RandomFailure)
}

/// `bytes` random bytes (16..=256) as unpadded base64url.
///
/// Errors: [`Error::InvalidArgument`] outside 16..=256; [`Error::RandomFailure`].
pub fn random_token(bytes: i64) -> Result<String> {
    if !(MIN_BYTES..=MAX_BYTES).contains(&bytes) {
        return Err(Error::InvalidArgument("bytes must be between 16 and 256"));
    }
    let len = usize::try_from(bytes).map_err(|_| Error::InvalidArgument("bytes"))?;
    let mut buf = Zeroizing::new(vec![0u8; len]);
    fill(&mut buf)?;
    Ok(crate::b64::url_encode(&buf))
}

/// The base64url (no padding) SHA-256 of `token`: a deterministic lookup index for
/// high-entropy opaque tokens (codes, refresh tokens). Unsalted by design: the inputs
/// carry at least 128 bits of entropy, so no dictionary applies.
pub fn token_hash(token: &[u8]) -> String {
    crate::b64::url_encode(ring::digest::digest(&ring::digest::SHA256, token).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(random_token(32).map(|t| t.len()), Ok(43));
        assert_eq!(random_token(16).map(|t| t.len()), Ok(22));
        assert!(random_token(15).is_err());
        assert!(random_token(257).is_err());
        assert_ne!(random_token(32), random_token(32));
    }

    #[test]
    fn token_hash_known_answer() {
        // SHA-256("abc"), FIPS 180-2 Appendix B.1, in base64url.
        assert_eq!(token_hash(b"abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }
}
