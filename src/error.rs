//! The one error type of the core.
#![forbid(unsafe_code)]

use std::fmt;

/// Every failure of the core. Each variant has a stable machine-readable
/// [`name`](Error::name) and a stable integer [`code`](Error::code) (the PHP exception
/// code). `Display` names the reason and never contains key material or token contents.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument is out of its documented range or shape (the text says which one).
    InvalidArgument(&'static str),
    /// The operating system's random number generator failed.
    RandomFailure,
    /// A PKCE `code_verifier` is not 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
    InvalidCodeVerifier,
    /// A PKCE method other than `S256` was requested (RFC 7636 §4.2; `plain` is refused).
    UnsupportedChallengeMethod,
    /// A secret hash is not a PHC string of a known scheme.
    MalformedHash,
    /// A secret hash has parameters outside sane bounds (e.g. too many iterations).
    HashParametersOutOfBounds,
    /// A key (JWK or PEM) is malformed, inconsistent or of the wrong type (the text says how).
    InvalidKey(&'static str),
    /// The algorithm is not one of [`crate::SUPPORTED_ALGORITHMS`] or does not fit the key.
    UnsupportedAlgorithm,
    /// A JSON argument (JWK, JWKS, claims) is not valid JSON of the expected shape.
    InvalidJson(&'static str),
    /// Signing failed inside the crypto backend.
    SigningFailed,
    /// The token is not three base64url segments separated by dots (RFC 7515 §7.1).
    TokenMalformed,
    /// The token is longer than the `max_length` option; it was not decoded.
    TokenTooLong,
    /// A segment is not canonical unpadded base64url (RFC 7515 §2).
    TokenInvalidBase64,
    /// The header or claims are not a UTF-8 JSON object within the nesting limit.
    TokenInvalidJson,
    /// The header `alg` is `none`, or differs from the key's `alg` (RFC 8725 §3.1).
    TokenAlgorithmMismatch,
    /// No key has the token's `kid`.
    TokenUnknownKid,
    /// The token has no `kid` and more than one key was given.
    TokenMissingKid,
    /// The header has a `crit` member (RFC 7515 §4.1.11); no extension is understood.
    TokenUnsupportedCrit,
    /// The signature does not verify.
    TokenInvalidSignature,
    /// A registered claim has the wrong type or range (the text names the claim).
    TokenInvalidClaim(&'static str),
    /// A required claim is absent.
    TokenMissingClaim,
    /// `exp` is past, beyond the leeway (RFC 7519 §4.1.4).
    TokenExpired,
    /// `nbf` is in the future, beyond the leeway (RFC 7519 §4.1.5).
    TokenNotYetValid,
    /// `iss` differs from the expected issuer (RFC 7519 §4.1.1).
    TokenInvalidIssuer,
    /// `aud` does not contain the expected audience (RFC 7519 §4.1.3).
    TokenInvalidAudience,
    /// The header `typ` differs from the expected type (RFC 9068 §4).
    TokenInvalidType,
    /// The DPoP proof's header `typ` is not exactly `dpop+jwt` (RFC 9449 §4.2, §4.3 step 4).
    DpopInvalidType,
    /// The DPoP proof's `alg` is missing, `none`, symmetric, unsupported or not in the allow-list (RFC 9449 §4.3 step 5).
    DpopInvalidAlg,
    /// The DPoP proof's header `jwk` is missing or malformed, of an unsupported type or size, or does not fit `alg` (RFC 9449 §4.2).
    DpopInvalidJwk,
    /// The DPoP proof's header `jwk` carries private key members or is a symmetric (`oct`) key (RFC 9449 §4.3 step 7).
    DpopPrivateKey,
    /// The DPoP proof's `htm` differs from the request's method (RFC 9449 §4.3 step 8).
    DpopHtmMismatch,
    /// The DPoP proof's `htu` differs from the request's URI after normalization (RFC 9449 §4.3 step 9).
    DpopHtuMismatch,
    /// The DPoP proof's `iat` lies further in the past than the window allows (RFC 9449 §4.3 step 11, §11.1).
    DpopStaleIat,
    /// The DPoP proof's `iat` lies further in the future than the window allows (RFC 9449 §4.3 step 11).
    DpopFutureIat,
    /// An access token was presented but the DPoP proof has no `ath` (RFC 9449 §4.2, §7).
    DpopAthMissing,
    /// The DPoP proof's `ath` is not the hash of the presented access token (RFC 9449 §4.3 step 12).
    DpopAthMismatch,
    /// A server nonce is expected but the DPoP proof has no `nonce` (RFC 9449 §8, §9).
    DpopNonceMissing,
    /// The DPoP proof's `nonce` is not the expected server nonce (RFC 9449 §4.3 step 10).
    DpopNonceMismatch,
    /// The DPoP proof's key thumbprint differs from the token's `cnf.jkt` (RFC 9449 §6.1, §4.3 step 12).
    DpopJktMismatch,
    /// The DPoP proof's `content_digest` is not the SHA-256 digest of the request body (MCP DPoP profile draft, RFC 9530 §2).
    DpopContentDigestMismatch,
}

impl Error {
    /// The stable machine-readable name of the variant, e.g. `expired`.
    pub fn name(&self) -> &'static str {
        match self {
            Error::InvalidArgument(_) => "invalid_argument",
            Error::RandomFailure => "random_failure",
            Error::InvalidCodeVerifier => "invalid_code_verifier",
            Error::UnsupportedChallengeMethod => "unsupported_challenge_method",
            Error::MalformedHash => "malformed_hash",
            Error::HashParametersOutOfBounds => "hash_parameters_out_of_bounds",
            Error::InvalidKey(_) => "invalid_key",
            Error::UnsupportedAlgorithm => "unsupported_algorithm",
            Error::InvalidJson(_) => "invalid_json",
            Error::SigningFailed => "signing_failed",
            Error::TokenMalformed => "malformed",
            Error::TokenTooLong => "too_long",
            Error::TokenInvalidBase64 => "invalid_base64",
            Error::TokenInvalidJson => "invalid_token_json",
            Error::TokenAlgorithmMismatch => "algorithm_mismatch",
            Error::TokenUnknownKid => "unknown_kid",
            Error::TokenMissingKid => "missing_kid",
            Error::TokenUnsupportedCrit => "unsupported_crit",
            Error::TokenInvalidSignature => "invalid_signature",
            Error::TokenInvalidClaim(_) => "invalid_claim",
            Error::TokenMissingClaim => "missing_claim",
            Error::TokenExpired => "expired",
            Error::TokenNotYetValid => "not_yet_valid",
            Error::TokenInvalidIssuer => "invalid_issuer",
            Error::TokenInvalidAudience => "invalid_audience",
            Error::TokenInvalidType => "invalid_type",
            Error::DpopInvalidType => "dpop_invalid_typ",
            Error::DpopInvalidAlg => "dpop_invalid_alg",
            Error::DpopInvalidJwk => "dpop_invalid_jwk",
            Error::DpopPrivateKey => "dpop_private_key",
            Error::DpopHtmMismatch => "dpop_htm_mismatch",
            Error::DpopHtuMismatch => "dpop_htu_mismatch",
            Error::DpopStaleIat => "dpop_stale_iat",
            Error::DpopFutureIat => "dpop_future_iat",
            Error::DpopAthMissing => "dpop_ath_missing",
            Error::DpopAthMismatch => "dpop_ath_mismatch",
            Error::DpopNonceMissing => "dpop_nonce_missing",
            Error::DpopNonceMismatch => "dpop_nonce_mismatch",
            Error::DpopJktMismatch => "dpop_jkt_mismatch",
            Error::DpopContentDigestMismatch => "dpop_content_digest_mismatch",
        }
    }

    /// The stable integer code (PHP `Exception::getCode()`): 1–99 for `WpOAuth\Exception`,
    /// 100–199 for `WpOAuth\TokenException` (117–130: DPoP proofs).
    pub fn code(&self) -> i64 {
        match self {
            Error::InvalidArgument(_) => 1,
            Error::RandomFailure => 2,
            Error::InvalidCodeVerifier => 3,
            Error::UnsupportedChallengeMethod => 4,
            Error::MalformedHash => 5,
            Error::HashParametersOutOfBounds => 6,
            Error::InvalidKey(_) => 7,
            Error::UnsupportedAlgorithm => 8,
            Error::InvalidJson(_) => 9,
            Error::SigningFailed => 10,
            Error::TokenMalformed => 101,
            Error::TokenTooLong => 102,
            Error::TokenInvalidBase64 => 103,
            Error::TokenInvalidJson => 104,
            Error::TokenAlgorithmMismatch => 105,
            Error::TokenUnknownKid => 106,
            Error::TokenMissingKid => 107,
            Error::TokenUnsupportedCrit => 108,
            Error::TokenInvalidSignature => 109,
            Error::TokenInvalidClaim(_) => 110,
            Error::TokenMissingClaim => 111,
            Error::TokenExpired => 112,
            Error::TokenNotYetValid => 113,
            Error::TokenInvalidIssuer => 114,
            Error::TokenInvalidAudience => 115,
            Error::TokenInvalidType => 116,
            Error::DpopInvalidType => 117,
            Error::DpopInvalidAlg => 118,
            Error::DpopInvalidJwk => 119,
            Error::DpopPrivateKey => 120,
            Error::DpopHtmMismatch => 121,
            Error::DpopHtuMismatch => 122,
            Error::DpopStaleIat => 123,
            Error::DpopFutureIat => 124,
            Error::DpopAthMissing => 125,
            Error::DpopAthMismatch => 126,
            Error::DpopNonceMissing => 127,
            Error::DpopNonceMismatch => 128,
            Error::DpopJktMismatch => 129,
            Error::DpopContentDigestMismatch => 130,
        }
    }

    /// Whether this is a token validation failure (`WpOAuth\TokenException`).
    pub fn is_token_error(&self) -> bool {
        self.code() >= 100
    }

    /// All variants with a representative payload, for documentation and tests.
    pub fn all() -> Vec<Error> {
        vec![
            Error::InvalidArgument("x"),
            Error::RandomFailure,
            Error::InvalidCodeVerifier,
            Error::UnsupportedChallengeMethod,
            Error::MalformedHash,
            Error::HashParametersOutOfBounds,
            Error::InvalidKey("x"),
            Error::UnsupportedAlgorithm,
            Error::InvalidJson("x"),
            Error::SigningFailed,
            Error::TokenMalformed,
            Error::TokenTooLong,
            Error::TokenInvalidBase64,
            Error::TokenInvalidJson,
            Error::TokenAlgorithmMismatch,
            Error::TokenUnknownKid,
            Error::TokenMissingKid,
            Error::TokenUnsupportedCrit,
            Error::TokenInvalidSignature,
            Error::TokenInvalidClaim("x"),
            Error::TokenMissingClaim,
            Error::TokenExpired,
            Error::TokenNotYetValid,
            Error::TokenInvalidIssuer,
            Error::TokenInvalidAudience,
            Error::TokenInvalidType,
            Error::DpopInvalidType,
            Error::DpopInvalidAlg,
            Error::DpopInvalidJwk,
            Error::DpopPrivateKey,
            Error::DpopHtmMismatch,
            Error::DpopHtuMismatch,
            Error::DpopStaleIat,
            Error::DpopFutureIat,
            Error::DpopAthMissing,
            Error::DpopAthMismatch,
            Error::DpopNonceMissing,
            Error::DpopNonceMismatch,
            Error::DpopJktMismatch,
            Error::DpopContentDigestMismatch,
        ]
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::InvalidArgument(what) => return write!(f, "invalid argument: {what}"),
            Error::RandomFailure => "the system random number generator failed",
            Error::InvalidCodeVerifier => {
                "code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 section 4.1)"
            }
            Error::UnsupportedChallengeMethod => "only the S256 code_challenge_method is supported",
            Error::MalformedHash => "the secret hash is not a supported PHC string",
            Error::HashParametersOutOfBounds => "the secret hash parameters are out of bounds",
            Error::InvalidKey(what) => return write!(f, "invalid key: {what}"),
            Error::UnsupportedAlgorithm => "unsupported algorithm (HS256, ES256, EdDSA, RS256, PS256)",
            Error::InvalidJson(what) => return write!(f, "invalid JSON: {what}"),
            Error::SigningFailed => "signing failed",
            Error::TokenMalformed => "token is not a JWS compact serialization",
            Error::TokenTooLong => "token is longer than max_length",
            Error::TokenInvalidBase64 => "token segment is not canonical unpadded base64url",
            Error::TokenInvalidJson => "token header or claims are not a valid JSON object",
            Error::TokenAlgorithmMismatch => "token alg is none or does not match the key's alg",
            Error::TokenUnknownKid => "no key matches the token's kid",
            Error::TokenMissingKid => "token has no kid and several keys were given",
            Error::TokenUnsupportedCrit => "token has a crit header that is not understood",
            Error::TokenInvalidSignature => "token signature is invalid",
            Error::TokenInvalidClaim(claim) => {
                return write!(f, "token claim {claim} has an invalid type or value")
            }
            Error::TokenMissingClaim => "token lacks a required claim",
            Error::TokenExpired => "token has expired",
            Error::TokenNotYetValid => "token is not valid yet (nbf)",
            Error::TokenInvalidIssuer => "token issuer is not the expected one",
            Error::TokenInvalidAudience => "token audience does not include the expected one",
            Error::TokenInvalidType => "token typ is not the expected one",
            Error::DpopInvalidType => "DPoP proof typ is not dpop+jwt",
            Error::DpopInvalidAlg => "DPoP proof alg is not an accepted asymmetric algorithm",
            Error::DpopInvalidJwk => "DPoP proof jwk is missing, malformed or does not fit alg",
            Error::DpopPrivateKey => "DPoP proof jwk contains a private or symmetric key",
            Error::DpopHtmMismatch => "DPoP proof htm does not match the request method",
            Error::DpopHtuMismatch => "DPoP proof htu does not match the request URI",
            Error::DpopStaleIat => "DPoP proof iat is too old",
            Error::DpopFutureIat => "DPoP proof iat is in the future",
            Error::DpopAthMissing => "DPoP proof has no ath for the presented access token",
            Error::DpopAthMismatch => "DPoP proof ath does not match the access token",
            Error::DpopNonceMissing => "DPoP proof has no nonce",
            Error::DpopNonceMismatch => "DPoP proof nonce does not match",
            Error::DpopJktMismatch => "DPoP proof key does not match the bound key",
            Error::DpopContentDigestMismatch => "DPoP proof content_digest does not match the request body",
        };
        f.write_str(text)
    }
}

impl std::error::Error for Error {}

/// Result with the core [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let all = Error::all();
        let mut codes: Vec<i64> = all.iter().map(Error::code).collect();
        let mut names: Vec<&str> = all.iter().map(Error::name).collect();
        codes.sort_unstable();
        codes.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(names.len(), all.len());
    }
}
