//! Per-worker caches for `wp_oauth_jwt_decode`/`wp_oauth_jwt_encode`.
//!
//! PHP (NTS) runs one request at a time per process, so the caches are thread-local.
//!
//! * Key sets: up to [`MAX_KEYSETS`] parsed [`KeySet`]s, keyed by the exact JSON text
//!   (compared in full), least recently used evicted. Texts over [`MAX_KEYSET_BYTES`] are
//!   parsed every time.
//! * Verified tokens: up to [`MAX_TOKENS`] entries and [`MAX_TOKEN_BYTES`] of tokens,
//!   keyed by the exact bytes key-set digest ‖ options ‖ token: a `HashMap` (SipHash
//!   with a per-process random key, so bucket collisions cannot be aimed) whose key
//!   equality compares every byte without an early exit. No cryptographic hash of the
//!   token is computed per call. A hit re-checks `exp`/`nbf`
//!   against now ± leeway, so a cached token never outlives its `exp`. A changed key set
//!   has a different digest, so entries verified under the old one are never hit with the
//!   new one; they are purged when the old set leaves the key-set cache.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::jwt::{self, DecodeOptions, KeySet};

/// Most cached key sets.
pub const MAX_KEYSETS: usize = 16;
/// Largest key-set JSON text that is cached, in bytes.
pub const MAX_KEYSET_BYTES: usize = 256 * 1024;
/// Most cached verified tokens.
pub const MAX_TOKENS: usize = 1024;
/// Bound on the summed token lengths of cached entries, in bytes.
pub const MAX_TOKEN_BYTES: usize = 4 * 1024 * 1024;

struct TokenEntry {
    key: TokenKey,
    claims: Rc<Map<String, Value>>,
    exp: Option<f64>,
    nbf: Option<f64>,
    size: usize,
    keyset: [u8; 32],
    last_used: u64,
}

/// A `Hasher` for keys that already are a keyed hash (see [`Caches::tokens`]).
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Default)]
struct Caches {
    keysets: Vec<(Vec<u8>, Rc<KeySet>)>,
    /// Verified tokens by SipHash (random per-process key, `hasher`) of their
    /// [`TokenKey`], hashed once per call; an entry is used only if its stored key is
    /// equal, and a colliding insert replaces it.
    tokens: HashMap<u64, TokenEntry, BuildHasherDefault<PreHashed>>,
    hasher: RandomState,
    token_bytes: usize,
    tick: u64,
    hits: u64,
    misses: u64,
}

thread_local! {
    static CACHES: RefCell<Caches> = RefCell::new(Caches::default());
}

/// Counters and sizes, for `wp_oauth_cache_stats()` and `php --ri`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Verified-token cache hits.
    pub hits: u64,
    /// Verified-token cache misses (full verifications).
    pub misses: u64,
    /// Cached verified tokens.
    pub entries: u64,
    /// Cached parsed key sets.
    pub keysets: u64,
}

/// The current counters.
pub fn stats() -> Stats {
    CACHES.with(|c| match c.try_borrow() {
        Ok(c) => Stats {
            hits: c.hits,
            misses: c.misses,
            entries: c.tokens.len() as u64,
            keysets: c.keysets.len() as u64,
        },
        Err(_) => Stats::default(),
    })
}

/// Empties both caches and resets the counters.
pub fn clear() {
    CACHES.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            *c = Caches::default();
        }
    });
}

/// The parsed key set for `json`, parsed at most once while cached.
///
/// Errors: as [`KeySet::parse`].
pub fn keyset(json: &[u8]) -> Result<Rc<KeySet>> {
    let found = CACHES.with(|c| {
        let mut c = c.try_borrow_mut().ok()?;
        let pos = c.keysets.iter().position(|(text, _)| text.as_slice() == json)?;
        let entry = c.keysets.remove(pos);
        let set = Rc::clone(&entry.1);
        c.keysets.insert(0, entry);
        Some(set)
    });
    if let Some(set) = found {
        return Ok(set);
    }
    let set = Rc::new(KeySet::parse(json)?);
    if json.len() <= MAX_KEYSET_BYTES {
        CACHES.with(|c| {
            if let Ok(mut c) = c.try_borrow_mut() {
                c.keysets.insert(0, (json.to_vec(), Rc::clone(&set)));
                while c.keysets.len() > MAX_KEYSETS {
                    if let Some((_, old)) = c.keysets.pop() {
                        let digest = *old.digest();
                        let c = &mut *c;
                        c.tokens.retain(|_, e| e.keyset != digest);
                        c.token_bytes = c.tokens.values().map(|e| e.size).sum();
                    }
                }
            }
        });
    }
    Ok(set)
}

/// A token-cache key: key-set digest, length-prefixed options, token. Unambiguous, as
/// the digest has a fixed length and the options a length prefix.
struct TokenKey(Box<[u8]>);

impl PartialEq for TokenKey {
    /// Full comparison without an early exit on the first differing byte.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.len() == b.len() && std::hint::black_box(a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
    }
}

impl Eq for TokenKey {}

fn cache_key(keys: &KeySet, opts: &DecodeOptions, token: &[u8]) -> TokenKey {
    let o = opts.cache_bytes();
    let mut key = Vec::with_capacity(32 + 8 + o.len() + token.len());
    key.extend_from_slice(keys.digest());
    key.extend_from_slice(&(o.len() as u64).to_be_bytes());
    key.extend_from_slice(&o);
    key.extend_from_slice(token);
    TokenKey(key.into_boxed_slice())
}

/// [`jwt::decode`] through both caches: `keys_json` is a JWK or JWKS text.
///
/// Errors: as [`jwt::decode`] and [`KeySet::parse`].
pub fn decode(token: &[u8], keys_json: &[u8], opts: &DecodeOptions) -> Result<Rc<Map<String, Value>>> {
    if token.len() > opts.max_length {
        return Err(Error::TokenTooLong);
    }
    let keys = keyset(keys_json)?;
    let key = cache_key(&keys, opts, token);
    let now = opts.now();
    let (hash, hit) = CACHES.with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else { return (0, None) };
        let c = &mut *c;
        let hash = c.hasher.hash_one(&key.0);
        c.tick += 1;
        let tick = c.tick;
        let Some(e) = c.tokens.get_mut(&hash).filter(|e| e.key == key) else { return (hash, None) };
        e.last_used = tick;
        let found = (Rc::clone(&e.claims), e.exp, e.nbf);
        c.hits += 1;
        (hash, Some(found))
    });
    if let Some((claims, exp, nbf)) = hit {
        jwt::check_times(exp, nbf, now, opts.leeway)?;
        return Ok(claims);
    }
    CACHES.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            c.misses += 1;
        }
    });
    let verified = jwt::decode(token, &keys, opts)?;
    let claims = Rc::new(verified.claims);
    CACHES.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            let c = &mut *c;
            let size = token.len();
            while !c.tokens.is_empty() && (c.tokens.len() >= MAX_TOKENS || c.token_bytes + size > MAX_TOKEN_BYTES) {
                let oldest = c.tokens.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| *k);
                match oldest.and_then(|k| c.tokens.remove(&k)) {
                    Some(e) => c.token_bytes = c.token_bytes.saturating_sub(e.size),
                    None => break,
                }
            }
            c.tick += 1;
            let entry = TokenEntry {
                key,
                claims: Rc::clone(&claims),
                exp: verified.exp,
                nbf: verified.nbf,
                size,
                keyset: *keys.digest(),
                last_used: c.tick,
            };
            if let Some(old) = c.tokens.insert(hash, entry) {
                c.token_bytes = c.token_bytes.saturating_sub(old.size);
            }
            c.token_bytes += size;
        }
    });
    Ok(claims)
}

/// [`jwt::encode`] with the signing key taken from the key-set cache (`jwk_json` is one JWK).
///
/// Errors: as [`jwt::encode`].
pub fn encode(claims: &Map<String, Value>, jwk_json: &[u8], header: &Map<String, Value>) -> Result<String> {
    let keys = keyset(jwk_json)?;
    jwt::encode(claims, &keys, header)
}

/// [`jwt::encode_json`] with the signing key taken from the key-set cache.
///
/// Errors: as [`jwt::encode`].
pub fn encode_json(claims_json: &[u8], jwk_json: &[u8], header: &Map<String, Value>) -> Result<String> {
    let keys = keyset(jwk_json)?;
    jwt::encode_json(claims_json, &keys, header)
}
