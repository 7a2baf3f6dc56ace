//! JWS compact serialization (RFC 7515 §7.1) of JWTs (RFC 7519), with the validation
//! rules of RFC 8725 and RFC 9068.
//!
//! The parser is this crate's own rather than `jsonwebtoken::decode`, because it enforces
//! rules that library does not: canonical unpadded base64url in every segment, a size
//! limit before decoding, a JSON nesting limit, `crit` refusal, non-integer NumericDates,
//! and `typ` matching per RFC 9068 §4. Signatures go through the ring provider's
//! verifiers (see [`crate::provider`]).
#![forbid(unsafe_code)]

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Error, Result};
use crate::json;
use crate::keys::{Jwk, ParsedKey};

/// The latest accepted NumericDate: 9999-12-31T23:59:59Z.
pub const MAX_NUMERIC_DATE: f64 = 253_402_300_799.0;
/// Default `max_length`, in bytes.
pub const DEFAULT_MAX_LENGTH: usize = 8192;
/// Default `leeway`, in seconds.
pub const DEFAULT_LEEWAY: i64 = 60;
/// Largest accepted `leeway`, in seconds (one day).
pub const MAX_LEEWAY: i64 = 86_400;
/// Largest accepted `max_length`, in bytes (1 MiB).
pub const MAX_MAX_LENGTH: usize = 1 << 20;

/// A parsed set of verification keys (a JWK or a JWKS), each with a fixed algorithm.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<(String, ParsedKey)>,
    digest: [u8; 32],
}

impl KeySet {
    /// Parses a JWK or JWKS JSON document (RFC 7517 §4, §5). Every key must have `alg`
    /// (RFC 8725 §3.1). A key's selector is its `kid`, or its RFC 7638 thumbprint when
    /// it has none. Duplicate selectors are refused.
    ///
    /// Errors: [`Error::InvalidJson`], [`Error::InvalidKey`], [`Error::UnsupportedAlgorithm`].
    pub fn parse(json_bytes: &[u8]) -> Result<KeySet> {
        let value: Value =
            serde_json::from_slice(json_bytes).map_err(|_| Error::InvalidJson("keys must be a JWK or JWKS"))?;
        let jwks = crate::keys::parse_jwk_or_set(&value)?;
        if jwks.is_empty() {
            return Err(Error::InvalidKey("the key set is empty"));
        }
        let mut keys: Vec<(String, ParsedKey)> = Vec::with_capacity(jwks.len());
        for jwk in jwks {
            let selector = jwk.kid().map(str::to_owned).unwrap_or_else(|| jwk.thumbprint());
            if keys.iter().any(|(s, _)| *s == selector) {
                return Err(Error::InvalidKey("two keys share a kid"));
            }
            keys.push((selector, ParsedKey::new(jwk)?));
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, json_bytes).as_ref());
        Ok(KeySet { keys, digest })
    }

    /// SHA-256 of the JSON text the set was parsed from.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty (never true for a parsed set).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Selects the key for a token: by `kid`, or the only key when the token has none.
    ///
    /// Errors: [`Error::TokenUnknownKid`], [`Error::TokenMissingKid`].
    pub fn select(&self, kid: Option<&str>) -> Result<&ParsedKey> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(s, _)| s == kid)
                .map(|(_, k)| k)
                .ok_or(Error::TokenUnknownKid),
            None => match self.keys.as_slice() {
                [(_, only)] => Ok(only),
                _ => Err(Error::TokenMissingKid),
            },
        }
    }

    /// The only key, for signing, with its selector (used as `kid`).
    ///
    /// Errors: [`Error::InvalidKey`] unless the set has exactly one key.
    pub fn signing_key(&self) -> Result<(&str, &ParsedKey)> {
        match self.keys.as_slice() {
            [(kid, key)] => Ok((kid, key)),
            _ => Err(Error::InvalidKey("signing needs exactly one JWK")),
        }
    }
}

/// Options of [`decode`]; see the PHP stub of `wp_oauth_jwt_decode` for their meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// Expected `iss` (exact string match).
    pub iss: Option<String>,
    /// Expected audience: the token's `aud` must equal it or be an array containing it.
    pub aud: Option<String>,
    /// Expected header `typ`, compared per RFC 9068 §4 / RFC 7515 §4.1.9.
    pub typ: Option<String>,
    /// Clock skew allowed for `exp` and `nbf`, in seconds (0..=86400).
    pub leeway: i64,
    /// Claims that must be present.
    pub required: Vec<String>,
    /// The current time in Unix seconds; `None` for the system clock.
    pub now: Option<f64>,
    /// Longest accepted token, in bytes; longer tokens are rejected before decoding.
    pub max_length: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            iss: None,
            aud: None,
            typ: None,
            leeway: DEFAULT_LEEWAY,
            required: vec!["exp".to_owned()],
            now: None,
            max_length: DEFAULT_MAX_LENGTH,
        }
    }
}

fn opt_string(v: &Value, what: &'static str) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or(Error::InvalidArgument(what))
}

impl DecodeOptions {
    /// Reads options from a JSON object (converted from the PHP options array).
    ///
    /// Errors: [`Error::InvalidArgument`] for an unknown option or a wrong type/range.
    pub fn from_map(map: &Map<String, Value>) -> Result<DecodeOptions> {
        let mut o = DecodeOptions::default();
        for (k, v) in map {
            match k.as_str() {
                "iss" => o.iss = Some(opt_string(v, "option iss must be a string")?),
                "aud" => o.aud = Some(opt_string(v, "option aud must be a string")?),
                "typ" => o.typ = Some(opt_string(v, "option typ must be a string")?),
                "leeway" => {
                    o.leeway = v
                        .as_i64()
                        .filter(|l| (0..=MAX_LEEWAY).contains(l))
                        .ok_or(Error::InvalidArgument("option leeway must be an integer 0..86400"))?
                }
                "required" => {
                    let err = Error::InvalidArgument("option required must be a list of strings");
                    let list = match v {
                        Value::Array(a) => a,
                        Value::Object(m) if m.is_empty() => &Vec::new(),
                        _ => return Err(err),
                    };
                    o.required = list
                        .iter()
                        .map(|s| s.as_str().map(str::to_owned).ok_or(err.clone()))
                        .collect::<Result<_>>()?;
                }
                "now" => {
                    o.now = Some(
                        v.as_f64()
                            .filter(|n| n.is_finite() && (0.0..=MAX_NUMERIC_DATE).contains(n))
                            .ok_or(Error::InvalidArgument("option now must be Unix seconds"))?,
                    )
                }
                "max_length" => {
                    o.max_length = v
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|n| (1..=MAX_MAX_LENGTH).contains(n))
                        .ok_or(Error::InvalidArgument("option max_length must be 1..1048576"))?
                }
                _ => return Err(Error::InvalidArgument("unknown option")),
            }
        }
        Ok(o)
    }

    /// The bytes of the options that affect whether a token verifies, apart from time
    /// (`now`, `leeway`), which a cache re-checks on every hit.
    pub fn cache_bytes(&self) -> Vec<u8> {
        // Length-prefixed fields: unambiguous, and cheaper than serializing JSON per call.
        let mut out = Vec::with_capacity(64);
        let mut field = |tag: u8, v: Option<&str>| {
            out.push(tag);
            if let Some(v) = v {
                out.extend_from_slice(&(v.len() as u64).to_be_bytes());
                out.extend_from_slice(v.as_bytes());
            }
        };
        field(b'i', self.iss.as_deref());
        field(b'a', self.aud.as_deref());
        field(b't', self.typ.as_deref());
        for r in &self.required {
            field(b'r', Some(r));
        }
        out.push(b'm');
        out.extend_from_slice(&(self.max_length as u64).to_be_bytes());
        out
    }

    /// The current time: `now`, or the system clock.
    pub fn now(&self) -> f64 {
        self.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0)
        })
    }
}

/// A verified token: its claims and time bounds (kept by the cache).
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The claims object.
    pub claims: Map<String, Value>,
    /// `exp`, if present.
    pub exp: Option<f64>,
    /// `nbf`, if present.
    pub nbf: Option<f64>,
}

/// Encodes `claims` as a JWS compact serialization signed with `key` (RFC 7515 §3.1).
/// The header has `alg` (from the key), `kid` (the key's selector) and the members of
/// `extra` (e.g. `typ`, `cty`), which may not set `alg`, `kid` or `crit`.
///
/// Errors: [`Error::InvalidArgument`], [`Error::InvalidKey`], [`Error::SigningFailed`].
pub fn encode(claims: &Map<String, Value>, keys: &KeySet, extra: &Map<String, Value>) -> Result<String> {
    let claims_json = serde_json::to_vec(claims).map_err(|_| Error::InvalidJson("claims"))?;
    encode_json(&claims_json, keys, extra)
}

/// [`encode`] with the claims already serialized: `claims_json` must be the JSON text
/// of an object (the PHP binding writes it straight from the PHP array); it is signed
/// as given. The header is written directly, in the order `alg`, `extra`, `kid`.
///
/// Errors: as [`encode`].
pub fn encode_json(claims_json: &[u8], keys: &KeySet, extra: &Map<String, Value>) -> Result<String> {
    let (kid, key) = keys.signing_key()?;
    let mut header = Vec::with_capacity(64);
    header.extend_from_slice(b"{\"alg\":\"");
    header.extend_from_slice(key.alg().name().as_bytes());
    header.push(b'"');
    let bad = |_| Error::InvalidJson("header");
    for (k, v) in extra {
        match k.as_str() {
            "alg" | "kid" => return Err(Error::InvalidArgument("the header cannot override alg or kid")),
            "crit" => return Err(Error::InvalidArgument("the header cannot set crit")),
            _ => {
                header.push(b',');
                serde_json::to_writer(&mut header, k).map_err(bad)?;
                header.push(b':');
                serde_json::to_writer(&mut header, v).map_err(bad)?;
            }
        }
    }
    header.extend_from_slice(b",\"kid\":");
    serde_json::to_writer(&mut header, kid).map_err(bad)?;
    header.push(b'}');
    let b64_len = |n: usize| n.div_ceil(3) * 4;
    // Room for the signature too (RSA-8192: 1024 bytes).
    let mut token = String::with_capacity(b64_len(header.len()) + b64_len(claims_json.len()) + 2 + 1368);
    b64::url_encode_into(&header, &mut token);
    token.push('.');
    b64::url_encode_into(claims_json, &mut token);
    let sig = key.sign(token.as_bytes())?;
    token.push('.');
    b64::url_encode_into(&sig, &mut token);
    Ok(token)
}

fn normalize_typ(t: &str) -> String {
    let lower = t.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() && (0.0..=MAX_NUMERIC_DATE).contains(&f) => Ok(Some(f)),
            _ => Err(Error::TokenInvalidClaim(name)),
        },
        Some(_) => Err(Error::TokenInvalidClaim(name)),
    }
}

/// Checks `exp` and `nbf` against `now` with `leeway` seconds (RFC 7519 §4.1.4, §4.1.5).
///
/// Errors: [`Error::TokenExpired`], [`Error::TokenNotYetValid`].
pub fn check_times(exp: Option<f64>, nbf: Option<f64>, now: f64, leeway: i64) -> Result<()> {
    let leeway = leeway as f64;
    if let Some(exp) = exp {
        if now - leeway >= exp {
            return Err(Error::TokenExpired);
        }
    }
    if let Some(nbf) = nbf {
        if now + leeway < nbf {
            return Err(Error::TokenNotYetValid);
        }
    }
    Ok(())
}

/// The members of a JOSE header that [`decode`] reads. Parsed without building a map:
/// the header must still be a JSON object whose members all nest no deeper than
/// [`json::MAX_DEPTH`] (as [`json::parse_object`] requires), and a repeated member
/// counts by its last value, as in a `serde_json` map.
#[derive(Default)]
struct Header {
    alg: Option<Value>,
    kid: Option<Value>,
    typ: Option<Value>,
    crit: bool,
}

enum HeaderField {
    Alg,
    Kid,
    Typ,
    Crit,
    Other,
}

impl<'de> Deserialize<'de> for HeaderField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HeaderField;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a header member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> std::result::Result<HeaderField, E> {
                Ok(match name {
                    "alg" => HeaderField::Alg,
                    "kid" => HeaderField::Kid,
                    "typ" => HeaderField::Typ,
                    "crit" => HeaderField::Crit,
                    _ => HeaderField::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Header;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JOSE header object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Header, A::Error> {
                let mut h = Header::default();
                while let Some(field) = map.next_key::<HeaderField>()? {
                    let v: Value = map.next_value()?;
                    // A member of the top-level object sits one level down.
                    if matches!(v, Value::Array(_) | Value::Object(_)) && !json::depth_ok(&v, json::MAX_DEPTH - 1) {
                        return Err(de::Error::custom("the header nests too deep"));
                    }
                    match field {
                        HeaderField::Alg => h.alg = Some(v),
                        HeaderField::Kid => h.kid = Some(v),
                        HeaderField::Typ => h.typ = Some(v),
                        HeaderField::Crit => h.crit = true,
                        HeaderField::Other => {}
                    }
                }
                Ok(h)
            }
        }
        d.deserialize_map(V)
    }
}

/// Verifies and validates a token, without any cache.
///
/// Order: length, shape, base64url, header (`alg` not `none`, no `crit`), key selection
/// by `kid`, `alg` equal to the key's, signature, claims JSON, `required`, NumericDates,
/// `exp`/`nbf`, `iss`, `aud`, `typ`.
///
/// Errors: the `Token*` variants of [`Error`].
pub fn decode(token: &[u8], keys: &KeySet, opts: &DecodeOptions) -> Result<Verified> {
    if token.len() > opts.max_length {
        return Err(Error::TokenTooLong);
    }
    let mut parts = token.split(|b| *b == b'.');
    let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Error::TokenMalformed);
    };
    if h64.is_empty() || p64.is_empty() {
        return Err(Error::TokenMalformed);
    }
    let header_bytes = b64::url_decode(h64).ok_or(Error::TokenInvalidBase64)?;
    let payload_bytes = b64::url_decode(p64).ok_or(Error::TokenInvalidBase64)?;
    let signature = b64::url_decode(s64).ok_or(Error::TokenInvalidBase64)?;
    let header = serde_json::from_slice::<Header>(&header_bytes).map_err(|_| Error::TokenInvalidJson)?;

    let alg = match &header.alg {
        Some(Value::String(a)) if !a.eq_ignore_ascii_case("none") => a.as_str(),
        _ => return Err(Error::TokenAlgorithmMismatch),
    };
    if header.crit {
        return Err(Error::TokenUnsupportedCrit);
    }
    let kid = match &header.kid {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => return Err(Error::TokenMalformed),
    };
    let key = keys.select(kid)?;
    if alg != key.alg().name() {
        return Err(Error::TokenAlgorithmMismatch);
    }
    let signed_len = h64.len() + 1 + p64.len();
    let signing_input = token.get(..signed_len).ok_or(Error::TokenMalformed)?;
    if signature.is_empty() || !key.verify(signing_input, &signature) {
        return Err(Error::TokenInvalidSignature);
    }

    let claims = json::parse_object(&payload_bytes).ok_or(Error::TokenInvalidJson)?;
    for name in &opts.required {
        if !claims.contains_key(name) {
            return Err(Error::TokenMissingClaim);
        }
    }
    let exp = numeric_date(&claims, "exp")?;
    let nbf = numeric_date(&claims, "nbf")?;
    numeric_date(&claims, "iat")?;
    check_times(exp, nbf, opts.now(), opts.leeway)?;

    if let Some(iss) = &opts.iss {
        match claims.get("iss") {
            Some(Value::String(s)) if s == iss => {}
            _ => return Err(Error::TokenInvalidIssuer),
        }
    }
    if let Some(aud) = &opts.aud {
        let ok = match claims.get("aud") {
            Some(Value::String(s)) => s == aud,
            Some(Value::Array(list)) => list.iter().any(|v| v.as_str() == Some(aud.as_str())),
            _ => false,
        };
        if !ok {
            return Err(Error::TokenInvalidAudience);
        }
    }
    if let Some(typ) = &opts.typ {
        match &header.typ {
            Some(Value::String(t)) if normalize_typ(t) == normalize_typ(typ) => {}
            _ => return Err(Error::TokenInvalidType),
        }
    }
    Ok(Verified { claims, exp, nbf })
}

/// The RFC 7638 thumbprint of a JWK given as JSON text.
///
/// Errors: as [`Jwk::from_json`].
pub fn thumbprint(jwk_json: &[u8]) -> Result<String> {
    Ok(Jwk::from_json(jwk_json)?.thumbprint())
}
