//! JWT encode/decode and the cache controls.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use serde_json::Map;

use super::convert::{object_to_table, table_to_object, table_to_object_json, Bytes};
use super::errors::php;
use crate::jwt::DecodeOptions;

/// `wp_oauth_jwt_encode(array $claims, string $jwk, ?array $header = null): string`
#[php_function]
pub fn wp_oauth_jwt_encode(claims: &ZendHashTable, jwk: Bytes, header: Option<&ZendHashTable>) -> PhpResult<String> {
    let claims = table_to_object_json(claims, "claims must be an array with string keys")?;
    let header = match header {
        Some(h) => table_to_object(h, "header must be an array with string keys")?,
        None => Map::new(),
    };
    php(crate::cache::encode_json(&claims, jwk.0, &header))
}

/// `wp_oauth_jwt_decode(string $token, string $keys, ?array $options = null): array`
#[php_function]
pub fn wp_oauth_jwt_decode(token: Bytes, keys: Bytes, options: Option<&ZendHashTable>) -> PhpResult<ZBox<ZendHashTable>> {
    let opts = match options {
        Some(o) => php(DecodeOptions::from_map(&table_to_object(o, "options must be an array with string keys")?))?,
        None => DecodeOptions::default(),
    };
    let claims = php(crate::cache::decode(token.0, keys.0, &opts))?;
    object_to_table(&claims)
}

/// `wp_oauth_cache_stats(): array`
#[php_function]
pub fn wp_oauth_cache_stats() -> PhpResult<ZBox<ZendHashTable>> {
    let s = crate::cache::stats();
    let mut ht = ZendHashTable::new();
    for (k, v) in [("hits", s.hits), ("misses", s.misses), ("entries", s.entries), ("keysets", s.keysets)] {
        ht.insert(k, i64::try_from(v).unwrap_or(i64::MAX))?;
    }
    Ok(ht)
}

/// `wp_oauth_cache_clear(): void`
#[php_function]
pub fn wp_oauth_cache_clear() {
    crate::cache::clear();
}

/// Adds this file's functions to the module.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(wp_oauth_jwt_encode))
        .function(wrap_function!(wp_oauth_jwt_decode))
        .function(wrap_function!(wp_oauth_cache_stats))
        .function(wrap_function!(wp_oauth_cache_clear))
}
