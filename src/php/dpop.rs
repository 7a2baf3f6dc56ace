//! DPoP proof verification (RFC 9449).

use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

use super::convert::{expect_members, object_to_table, Bytes};
use super::errors::php;
use crate::dpop::{self, Expect};

/// `wp_oauth_dpop_verify(string $proof, array $expect): array`
#[php_function]
pub fn wp_oauth_dpop_verify(proof: Bytes, expect: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
    let (names, values) = expect_members(expect);
    let expect = php(Expect::from_pairs(names.iter().map(Vec::as_slice).zip(values)))?;
    let verified = php(dpop::verify(proof.0, &expect))?;
    object_to_table(&verified.to_map())
}

/// Adds this file's functions to the module.
pub fn register(module: ModuleBuilder) -> ModuleBuilder {
    module.function(wrap_function!(wp_oauth_dpop_verify))
}
