//! JWK functions.

use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use serde_json::Value;

use super::convert::{table_to_json, Bytes};
use super::errors::{php, to_php};
use crate::error::Error;
use crate::keys::{self, Alg, Jwk};

fn alg(name: &str) -> PhpResult<Alg> {
    php(Alg::parse(name))
}

/// `wp_oauth_key_generate(string $alg = 'ES256'): string`
#[php_function]
#[php(defaults(alg = "\"ES256\""))]
pub fn wp_oauth_key_generate(alg: String) -> PhpResult<String> {
    let jwk = php(keys::generate(self::alg(&alg)?))?;
    Ok(jwk.private_json().to_string())
}

/// `wp_oauth_key_import(string $pem, string $alg): string`
#[php_function]
pub fn wp_oauth_key_import(pem: Bytes, alg: String) -> PhpResult<String> {
    let jwk = php(keys::import_pem(pem.0, self::alg(&alg)?))?;
    Ok(if jwk.is_private() {
        jwk.private_json().to_string()
    } else {
        jwk.public_value().map(|v| v.to_string()).unwrap_or_default()
    })
}

/// `wp_oauth_key_public(string $jwk): string`
#[php_function]
pub fn wp_oauth_key_public(jwk: Bytes) -> PhpResult<String> {
    let jwk = php(Jwk::from_json(jwk.0))?;
    jwk.public_value()
        .map(|v| v.to_string())
        .ok_or_else(|| to_php(Error::InvalidKey("symmetric (oct) keys have no public form")))
}

/// `wp_oauth_jwk_thumbprint(string $jwk): string`
#[php_function]
pub fn wp_oauth_jwk_thumbprint(jwk: Bytes) -> PhpResult<String> {
    php(crate::jwt::thumbprint(jwk.0))
}

fn collect(value: &Value, out: &mut Vec<Value>, depth: usize) -> Result<(), Error> {
    if depth > 4 || out.len() > keys::MAX_KEYS {
        return Err(Error::InvalidKey("too many or too deeply nested keys"));
    }
    match value {
        Value::String(s) => {
            let parsed: Value = serde_json::from_str(s).map_err(|_| Error::InvalidJson("JWK"))?;
            collect(&parsed, out, depth + 1)
        }
        Value::Array(list) => list.iter().try_for_each(|v| collect(v, out, depth + 1)),
        Value::Object(m) if m.contains_key("keys") => collect(&m["keys"], out, depth + 1),
        Value::Object(_) => {
            let jwk = Jwk::from_value(value)?;
            if let Some(public) = jwk.public_value() {
                out.push(public);
            }
            Ok(())
        }
        _ => Err(Error::InvalidKey("a JWKS entry must be a JWK (array or JSON string)")),
    }
}

/// `wp_oauth_jwks(array $jwks): string`
#[php_function]
pub fn wp_oauth_jwks(jwks: &ZendHashTable) -> PhpResult<String> {
    let value = table_to_json(jwks)?;
    let mut out = Vec::new();
    php(collect(&value, &mut out, 0))?;
    Ok(serde_json::json!({ "keys": out }).to_string())
}

/// Adds this file's functions to the module.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module
        .function(wrap_function!(wp_oauth_key_generate))
        .function(wrap_function!(wp_oauth_key_import))
        .function(wrap_function!(wp_oauth_key_public))
        .function(wrap_function!(wp_oauth_jwk_thumbprint))
        .function(wrap_function!(wp_oauth_jwks))
}
