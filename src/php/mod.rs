//! The PHP binding (ext-php-rs): converts values, calls the core, maps errors. Nothing
//! else lives here. Split by concern: [`convert`] (PHP values ⇄ JSON), [`errors`]
//! (exception classes and codes), [`basics`] (random, PKCE, secrets), [`keys`] (JWK
//! functions), [`jwt`] (encode/decode and the cache controls) and [`dpop`] (DPoP proofs).
//!
//! No `unsafe` is written here; the ext-php-rs macros generate the FFI glue and catch
//! panics at every function entry.

mod basics;
mod convert;
mod dpop;
mod errors;
mod jwt;
mod keys;

use ext_php_rs::prelude::*;
use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

/// `php --ri wp_oauth` / `phpinfo()`: version, algorithms, backend, cache counters.
/// Runs outside ext-php-rs's panic guard, so it only formats values.
extern "C" fn module_info(_module: *mut ModuleEntry) {
    let stats = crate::cache::stats();
    let algorithms = crate::SUPPORTED_ALGORITHMS.join(", ");
    let dpop_algorithms = crate::dpop::DEFAULT_ALGS.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ");
    let hits = stats.hits.to_string();
    let misses = stats.misses.to_string();
    let entries = stats.entries.to_string();
    let keysets = stats.keysets.to_string();
    let secret_schemes = format!("{} (generated secrets), {} (other input)", crate::secret::FAST_ID, crate::secret::SLOW_ID);
    info_table_start!();
    info_table_row!("wp_oauth support", "enabled");
    info_table_row!("version", crate::VERSION);
    info_table_row!("algorithms", algorithms.as_str());
    info_table_row!("DPoP proof algorithms", dpop_algorithms.as_str());
    info_table_row!("crypto backend", crate::CRYPTO_BACKEND);
    info_table_row!("secret hash schemes", secret_schemes.as_str());
    info_table_row!("token cache hits", hits.as_str());
    info_table_row!("token cache misses", misses.as_str());
    info_table_row!("token cache entries", entries.as_str());
    info_table_row!("cached key sets", keysets.as_str());
    info_table_end!();
}

#[php_module]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    crate::provider::install();
    let module = module
        .name("wp_oauth")
        .version(crate::VERSION)
        .info_function(module_info)
        .class::<errors::Exception>()
        .class::<errors::TokenException>();
    dpop::register(jwt::register(keys::register(basics::register(module))))
}
