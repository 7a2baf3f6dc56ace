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

/// `WpOAuth\TokenException`: a token failed validation (`wp_oauth_jwt_decode`).
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
    /// exp/nbf/iat of the wrong type or range.
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
