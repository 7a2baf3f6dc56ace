//! Version, random tokens, token hashes, PKCE and secret hashing.

use ext_php_rs::prelude::*;

use super::convert::Bytes;
use super::errors::php;

/// `wp_oauth_version(): string`
#[php_function]
pub fn wp_oauth_version() -> String {
    crate::VERSION.to_owned()
}

/// `wp_oauth_random_token(int $bytes = 32): string`
#[php_function]
#[php(defaults(bytes = 32))]
pub fn wp_oauth_random_token(bytes: i64) -> PhpResult<String> {
    php(crate::random::random_token(bytes))
}

/// `wp_oauth_token_hash(string $token): string`
#[php_function]
pub fn wp_oauth_token_hash(token: Bytes) -> String {
    crate::random::token_hash(token.0)
}

/// `wp_oauth_pkce_challenge(string $code_verifier): string`
#[php_function]
pub fn wp_oauth_pkce_challenge(code_verifier: Bytes) -> PhpResult<String> {
    php(crate::pkce::challenge(code_verifier.0))
}

/// `wp_oauth_pkce_verify(string $code_verifier, string $code_challenge, string $method = 'S256'): bool`
#[php_function]
#[php(defaults(method = "\"S256\""))]
pub fn wp_oauth_pkce_verify(code_verifier: Bytes, code_challenge: Bytes, method: String) -> PhpResult<bool> {
    php(crate::pkce::verify(code_verifier.0, code_challenge.0, method.as_bytes()))
}

/// `wp_oauth_secret_hash(string $secret): string`
#[php_function]
pub fn wp_oauth_secret_hash(secret: Bytes) -> PhpResult<String> {
    php(crate::secret::hash(secret.0))
}

/// `wp_oauth_secret_verify(string $secret, string $hash): bool`
#[php_function]
pub fn wp_oauth_secret_verify(secret: Bytes, hash: Bytes) -> PhpResult<bool> {
    php(crate::secret::verify(secret.0, hash.0))
}

/// `wp_oauth_secret_needs_rehash(string $hash): bool`
#[php_function]
pub fn wp_oauth_secret_needs_rehash(hash: Bytes) -> PhpResult<bool> {
    php(crate::secret::needs_rehash(hash.0))
}

/// Adds this file's functions to the module.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(wp_oauth_version))
        .function(wrap_function!(wp_oauth_random_token))
        .function(wrap_function!(wp_oauth_token_hash))
        .function(wrap_function!(wp_oauth_pkce_challenge))
        .function(wrap_function!(wp_oauth_pkce_verify))
        .function(wrap_function!(wp_oauth_secret_hash))
        .function(wrap_function!(wp_oauth_secret_verify))
        .function(wrap_function!(wp_oauth_secret_needs_rehash))
}
