//! `WpOAuth\Exception` and `WpOAuth\TokenException`, and the mapping from the core error.

use ext_php_rs::exception::PhpException;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::ce;

use crate::error::Error;

/// `WpOAuth\Exception`: every failure of the extension. Codes 1–99; token validation
/// failures use the subclass `WpOAuth\TokenException` (codes 100–199).
#[php_class]
#[php(name = "WpOAuth\\Exception")]
#[php(extends(ce = ce::exception, stub = "\\Exception"))]
#[derive(Default)]
pub struct Exception;

#[php_impl]
impl Exception {
    /// An argument is out of range or of the wrong shape.
    pub const INVALID_ARGUMENT: i64 = 1;
    /// The OS random number generator failed.
    pub const RANDOM_FAILURE: i64 = 2;
    /// Malformed PKCE code_verifier (RFC 7636 §4.1).
    pub const INVALID_CODE_VERIFIER: i64 = 3;
    /// PKCE method other than S256.
    pub const UNSUPPORTED_CHALLENGE_METHOD: i64 = 4;
    /// Not a supported PHC string.
    pub const MALFORMED_HASH: i64 = 5;
    /// PHC parameters out of bounds.
    pub const HASH_PARAMETERS_OUT_OF_BOUNDS: i64 = 6;
    /// Malformed or unusable key.
    pub const INVALID_KEY: i64 = 7;
    /// Unsupported algorithm, or one that does not fit the key.
    pub const UNSUPPORTED_ALGORITHM: i64 = 8;
    /// Invalid JSON argument.
    pub const INVALID_JSON: i64 = 9;
    /// Signing failed.
    pub const SIGNING_FAILED: i64 = 10;
}

/// `WpOAuth\TokenException`: a token failed validation (`wp_oauth_jwt_decode`) or a DPoP
/// proof failed verification (`wp_oauth_dpop_verify`, codes 117–130).
#[php_class]
#[php(name = "WpOAuth\\TokenException")]
#[php(extends(ce = exception_ce, stub = "\\WpOAuth\\Exception"))]
#[derive(Default)]
pub struct TokenException;

fn exception_ce() -> &'static ext_php_rs::zend::ClassEntry {
    <Exception as ext_php_rs::class::RegisteredClass>::get_metadata().ce()
}

#[php_impl]
impl TokenException {
    /// Not a JWS compact serialization.
    pub const MALFORMED: i64 = 101;
    /// Longer than max_length.
    pub const TOO_LONG: i64 = 102;
    /// A segment is not canonical unpadded base64url.
    #[php(name = "INVALID_BASE64")]
    pub const INVALID_BASE64: i64 = 103;
    /// Header or claims are not a valid JSON object.
    pub const INVALID_TOKEN_JSON: i64 = 104;
    /// alg none, or alg differs from the key's.
    pub const ALGORITHM_MISMATCH: i64 = 105;
    /// No key with the token's kid.
    pub const UNKNOWN_KID: i64 = 106;
    /// No kid and several keys.
    pub const MISSING_KID: i64 = 107;
    /// A crit header.
    pub const UNSUPPORTED_CRIT: i64 = 108;
    /// Bad signature.
    pub const INVALID_SIGNATURE: i64 = 109;
    /// exp/nbf/iat (or a DPoP claim) of the wrong type or range.
    pub const INVALID_CLAIM: i64 = 110;
    /// A required claim is missing.
    pub const MISSING_CLAIM: i64 = 111;
    /// Expired beyond leeway.
    pub const EXPIRED: i64 = 112;
    /// nbf in the future beyond leeway.
    pub const NOT_YET_VALID: i64 = 113;
    /// Wrong iss.
    pub const INVALID_ISSUER: i64 = 114;
    /// Wrong aud.
    pub const INVALID_AUDIENCE: i64 = 115;
    /// Wrong typ.
    pub const INVALID_TYPE: i64 = 116;
    /// DPoP proof: header typ is not exactly dpop+jwt.
    pub const DPOP_INVALID_TYP: i64 = 117;
    /// DPoP proof: alg missing, none, symmetric, unsupported or not allowed.
    pub const DPOP_INVALID_ALG: i64 = 118;
    /// DPoP proof: jwk missing, malformed, too small or not fitting alg.
    pub const DPOP_INVALID_JWK: i64 = 119;
    /// DPoP proof: jwk has private members or is an oct key.
    pub const DPOP_PRIVATE_KEY: i64 = 120;
    /// DPoP proof: htm differs from the request method.
    pub const DPOP_HTM_MISMATCH: i64 = 121;
    /// DPoP proof: htu differs from the request URI.
    pub const DPOP_HTU_MISMATCH: i64 = 122;
    /// DPoP proof: iat too far in the past.
    pub const DPOP_STALE_IAT: i64 = 123;
    /// DPoP proof: iat too far in the future.
    pub const DPOP_FUTURE_IAT: i64 = 124;
    /// DPoP proof: no ath although an access token was presented.
    pub const DPOP_ATH_MISSING: i64 = 125;
    /// DPoP proof: ath is not the access token's hash.
    pub const DPOP_ATH_MISMATCH: i64 = 126;
    /// DPoP proof: no nonce although one is expected.
    pub const DPOP_NONCE_MISSING: i64 = 127;
    /// DPoP proof: nonce differs from the expected ones.
    pub const DPOP_NONCE_MISMATCH: i64 = 128;
    /// DPoP proof: key thumbprint differs from the bound jkt.
    pub const DPOP_JKT_MISMATCH: i64 = 129;
    /// DPoP proof: content_digest is not the body's digest.
    pub const DPOP_CONTENT_DIGEST_MISMATCH: i64 = 130;
}

/// Maps a core error to the PHP exception of its class and code.
pub fn to_php(e: Error) -> PhpException {
    let code = i32::try_from(e.code()).unwrap_or(0);
    let ce = if e.is_token_error() {
        <TokenException as ext_php_rs::class::RegisteredClass>::get_metadata().ce()
    } else {
        exception_ce()
    };
    PhpException::new(e.to_string(), code, ce)
}

/// Core result to PHP result.
pub fn php<T>(r: crate::error::Result<T>) -> PhpResult<T> {
    r.map_err(to_php)
}
