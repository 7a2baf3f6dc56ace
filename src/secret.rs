//! Client-secret hashing in PHC string format.
//!
//! Two schemes, chosen automatically by [`hash`] from the shape of the secret:
//!
//! * `$wpo-hmac-sha256$v=1$<salt>$<hash>` — for generated high-entropy secrets (at least
//!   32 characters, all of the base64url alphabet, such as `wp_oauth_random_token()`
//!   output with ≥ 24 bytes). `hash` = HMAC-SHA-256 keyed by a 16-byte random salt over
//!   the secret. A brute-force search over ≥ 192 bits is hopeless, so key stretching
//!   buys nothing and verification stays about 1 µs.
//! * `$pbkdf2-sha256$i=600000$<salt>$<hash>` — anything else (possibly low-entropy,
//!   human-chosen input): PBKDF2-HMAC-SHA-256 (RFC 8018 §5.2), 600 000 iterations
//!   (OWASP 2023), 16-byte salt, 32-byte output.
//!
//! Salt and hash are PHC "B64" (standard alphabet, no padding). Verification is constant
//! time (`ring::hmac::verify`, `ring::pbkdf2::verify`).
#![forbid(unsafe_code)]

use crate::error::{Error, Result};
use ring::{hmac, pbkdf2};
use std::num::NonZeroU32;

/// PHC id of the fast scheme for generated high-entropy secrets.
pub const FAST_ID: &str = "wpo-hmac-sha256";
/// PHC id of the slow scheme for low-entropy secrets.
pub const SLOW_ID: &str = "pbkdf2-sha256";
/// PBKDF2 iterations for new hashes.
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The highest iteration count [`verify`] accepts (about 1 s of CPU); more throws.
pub const PBKDF2_MAX_ITERATIONS: u32 = 2_000_000;
/// The shortest secret (in bytes) that gets the fast scheme.
pub const FAST_MIN_LEN: usize = 32;
const SALT_LEN: usize = 16;
const MAX_HASH_STRING: usize = 512;

/// Which scheme to use for a new hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Salted HMAC-SHA-256, for high-entropy generated secrets.
    Fast,
    /// PBKDF2-HMAC-SHA-256, for anything else.
    Slow,
}

/// The scheme [`hash`] picks: [`Scheme::Fast`] for ≥ 32 bytes all in `[A-Za-z0-9_-]`.
pub fn scheme_for(secret: &[u8]) -> Scheme {
    if secret.len() >= FAST_MIN_LEN
        && secret
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    {
        Scheme::Fast
    } else {
        Scheme::Slow
    }
}

/// Hashes `secret` with the scheme from [`scheme_for`] and a fresh 16-byte salt.
///
/// Errors: [`Error::RandomFailure`].
pub fn hash(secret: &[u8]) -> Result<String> {
    hash_with(secret, scheme_for(secret))
}

/// Hashes `secret` with an explicit scheme.
///
/// Errors: [`Error::RandomFailure`].
pub fn hash_with(secret: &[u8], scheme: Scheme) -> Result<String> {
    let mut salt = [0u8; SALT_LEN];
    crate::random::fill(&mut salt)?;
    let salt_b64 = crate::b64::phc_encode(&salt);
    Ok(match scheme {
        Scheme::Fast => {
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &salt), secret);
            format!("${FAST_ID}$v=1${salt_b64}${}", crate::b64::phc_encode(tag.as_ref()))
        }
        Scheme::Slow => {
            let mut out = [0u8; 32];
            let iterations = NonZeroU32::new(PBKDF2_ITERATIONS).ok_or(Error::HashParametersOutOfBounds)?;
            pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, &salt, secret, &mut out);
            format!(
                "${SLOW_ID}$i={PBKDF2_ITERATIONS}${salt_b64}${}",
                crate::b64::phc_encode(&out)
            )
        }
    })
}

/// A parsed PHC string.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    scheme: Scheme,
    /// `v` for the fast scheme, `i` for PBKDF2.
    param: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

fn parse_param(field: &str, name: &str) -> Result<u32> {
    let value = field
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix('='))
        .ok_or(Error::MalformedHash)?;
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|c| c.is_ascii_digit()) || value.starts_with('0') {
        return Err(Error::MalformedHash);
    }
    value.parse::<u32>().map_err(|_| Error::HashParametersOutOfBounds)
}

fn parse(phc: &[u8]) -> Result<Parsed> {
    if phc.len() > MAX_HASH_STRING {
        return Err(Error::MalformedHash);
    }
    let text = std::str::from_utf8(phc).map_err(|_| Error::MalformedHash)?;
    let mut parts = text.split('$');
    let (Some(""), Some(id), Some(param), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(Error::MalformedHash);
    };
    let (scheme, param) = match id {
        FAST_ID => {
            let v = parse_param(param, "v")?;
            if v != 1 {
                return Err(Error::HashParametersOutOfBounds);
            }
            (Scheme::Fast, v)
        }
        SLOW_ID => {
            let i = parse_param(param, "i")?;
            if !(1..=PBKDF2_MAX_ITERATIONS).contains(&i) {
                return Err(Error::HashParametersOutOfBounds);
            }
            (Scheme::Slow, i)
        }
        _ => return Err(Error::MalformedHash),
    };
    let salt = crate::b64::phc_decode(salt.as_bytes()).ok_or(Error::MalformedHash)?;
    let hash = crate::b64::phc_decode(hash.as_bytes()).ok_or(Error::MalformedHash)?;
    if !(4..=64).contains(&salt.len()) {
        return Err(Error::HashParametersOutOfBounds);
    }
    let hash_ok = match scheme {
        Scheme::Fast => hash.len() == 32,
        Scheme::Slow => (16..=64).contains(&hash.len()),
    };
    if !hash_ok {
        return Err(Error::HashParametersOutOfBounds);
    }
    Ok(Parsed { scheme, param, salt, hash })
}

/// Verifies `secret` against a PHC string from [`hash`], in constant time.
///
/// Errors: [`Error::MalformedHash`] for a string of no known scheme;
/// [`Error::HashParametersOutOfBounds`] for e.g. more than 2 000 000 iterations.
pub fn verify(secret: &[u8], phc: &[u8]) -> Result<bool> {
    let p = parse(phc)?;
    Ok(match p.scheme {
        Scheme::Fast => {
            hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, &p.salt), secret, &p.hash).is_ok()
        }
        Scheme::Slow => {
            let iterations = NonZeroU32::new(p.param).ok_or(Error::HashParametersOutOfBounds)?;
            pbkdf2::verify(pbkdf2::PBKDF2_HMAC_SHA256, iterations, &p.salt, secret, &p.hash).is_ok()
        }
    })
}

/// Whether a stored hash should be replaced by a new [`hash`] at the next successful
/// verification: PBKDF2 below the current iteration count or with a non-standard output
/// length.
///
/// Errors: as [`verify`].
pub fn needs_rehash(phc: &[u8]) -> Result<bool> {
    let p = parse(phc)?;
    Ok(match p.scheme {
        Scheme::Fast => false,
        Scheme::Slow => p.param < PBKDF2_ITERATIONS || p.hash.len() != 32 || p.salt.len() < SALT_LEN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let generated = b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let h = hash(generated).unwrap();
        assert!(h.starts_with("$wpo-hmac-sha256$v=1$"), "{h}");
        assert_eq!(verify(generated, h.as_bytes()), Ok(true));
        assert_eq!(verify(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", h.as_bytes()), Ok(false));
        assert_eq!(needs_rehash(h.as_bytes()), Ok(false));
    }

    #[test]
    fn pbkdf2_known_answer() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256 P="passwd", S="salt", c=1, dkLen=64.
        let dk = "VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw";
        let phc = format!("$pbkdf2-sha256$i=1$c2FsdA${dk}");
        assert_eq!(verify(b"passwd", phc.as_bytes()), Ok(true));
        assert_eq!(verify(b"passwe", phc.as_bytes()), Ok(false));
        let mut flipped = phc.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] ^= 0x01; // one bit of the stored hash
        assert_eq!(verify(b"passwd", &flipped), Ok(false));
        // c=1000, S="saltsalt": Python hashlib.pbkdf2_hmac (tests/fixtures/README.md).
        let phc = "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$E196ZhRPzw+wA84EjzHwJO1cv/MFJdO6C/sxmUeTYqY";
        assert_eq!(verify(b"password", phc.as_bytes()), Ok(true));
        assert_eq!(verify(b"passwore", phc.as_bytes()), Ok(false));
        assert_eq!(needs_rehash(phc.as_bytes()), Ok(true));
    }

    #[test]
    fn malformed() {
        for bad in [
            "", "$", "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ", "$md5$i=1$c2FsdHNhbHQ$c2FsdHNhbHQ",
            "$pbkdf2-sha256$i=01000$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ=$c2FsdHNhbHRzYWx0c2FsdA",
            "$pbkdf2-sha256$x=1000$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
        ] {
            assert_eq!(verify(b"x", bad.as_bytes()), Err(Error::MalformedHash), "{bad}");
        }
        for bad in [
            "$pbkdf2-sha256$i=99999999$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
            "$pbkdf2-sha256$i=99999999999$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
            "$wpo-hmac-sha256$v=2$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
        ] {
            assert_eq!(verify(b"x", bad.as_bytes()), Err(Error::HashParametersOutOfBounds), "{bad}");
        }
    }
}
