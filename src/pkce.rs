//! PKCE S256 (RFC 7636).
#![forbid(unsafe_code)]

use crate::error::{Error, Result};

/// Checks RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
pub fn is_valid_verifier(v: &[u8]) -> bool {
    (43..=128).contains(&v.len())
        && v
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
///
/// Errors: [`Error::InvalidCodeVerifier`].
pub fn challenge(verifier: &[u8]) -> Result<String> {
    if !is_valid_verifier(verifier) {
        return Err(Error::InvalidCodeVerifier);
    }
    Ok(crate::b64::url_encode(
        ring::digest::digest(&ring::digest::SHA256, verifier).as_ref(),
    ))
}

/// Verifies `challenge` against `verifier` in constant time (RFC 7636 §4.6).
/// Returns `false` on mismatch.
///
/// Errors: [`Error::InvalidCodeVerifier`]; [`Error::UnsupportedChallengeMethod`] for any
/// method but `S256`.
pub fn verify(verifier: &[u8], challenge_value: &[u8], method: &[u8]) -> Result<bool> {
    if method != b"S256" {
        return Err(Error::UnsupportedChallengeMethod);
    }
    let expected = challenge(verifier)?;
    Ok(crate::ct::eq(expected.as_bytes(), challenge_value))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &[u8] = b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(challenge(VERIFIER).as_deref(), Ok(CHALLENGE));
        assert_eq!(verify(VERIFIER, CHALLENGE.as_bytes(), b"S256"), Ok(true));
    }

    #[test]
    fn rfc7636_appendix_b_bit_flipped() {
        let mut v = VERIFIER.to_vec();
        v[0] ^= 0x01; // 'd' -> 'e'
        assert_eq!(verify(&v, CHALLENGE.as_bytes(), b"S256"), Ok(false));
        let mut c = CHALLENGE.as_bytes().to_vec();
        c[0] ^= 0x01;
        assert_eq!(verify(VERIFIER, &c, b"S256"), Ok(false));
    }

    #[test]
    fn refusals() {
        assert_eq!(verify(VERIFIER, CHALLENGE.as_bytes(), b"plain"), Err(Error::UnsupportedChallengeMethod));
        assert_eq!(challenge(b"short"), Err(Error::InvalidCodeVerifier));
        assert_eq!(challenge(&[b'a'; 129]), Err(Error::InvalidCodeVerifier));
        assert!(challenge(&[b'a'; 128]).is_ok());
        assert_eq!(challenge(&[b'+'; 43]), Err(Error::InvalidCodeVerifier));
    }
}
