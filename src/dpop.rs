//! DPoP proof verification (RFC 9449 §4.2, §4.3, §7.1).
//!
//! A DPoP proof is a JWS compact serialization that carries its own public key in the
//! `jwk` header and signs the request's method (`htm`), URI (`htu`), a creation time
//! (`iat`), a unique id (`jti`) and, on resource requests, the hash of the access token
//! (`ath`). [`verify`] checks one proof against what the caller expects of the request
//! and returns what the caller must keep: the key's RFC 7638 thumbprint (`jkt`, to bind
//! tokens to or compare with `cnf.jkt`) and `jti`/`iat` (for a replay store).
//!
//! Everything in a proof is attacker-controlled. The order of the checks follows that:
//! the size limit before any decoding; canonical base64url (RFC 7515 §2) in every segment;
//! JSON objects without duplicate member names, nested no deeper than
//! [`json::MAX_DEPTH`]; header checks (`typ`, `alg` from an allow-list, no `crit`, a
//! public `jwk` that fits `alg`) before the signature; the signature before any claim is
//! trusted. Replay detection (a `jti` store) and the issuing of server nonces need state
//! shared between PHP workers and are left to the caller; see `docs/dpop.md`.
#![forbid(unsafe_code)]

use std::fmt;

use base64::Engine;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::b64;
use crate::ct;
use crate::error::{Error, Result};
use crate::json;
use crate::jwt::MAX_NUMERIC_DATE;
use crate::keys::{Alg, Jwk, ParsedKey};

/// The header `typ` of a DPoP proof (RFC 9449 §4.2), compared exactly.
pub const TYP: &str = "dpop+jwt";
/// The algorithms accepted when the caller gives no `algs`: every asymmetric algorithm
/// this crate verifies. RSA keys must have at least [`MIN_RSA_BITS`] bits.
pub const DEFAULT_ALGS: &[Alg] = &[Alg::ES256, Alg::EdDSA, Alg::PS256, Alg::RS256];
/// Default `max_length`, in bytes.
pub const DEFAULT_MAX_LENGTH: usize = 8192;
/// Largest accepted `max_length`, in bytes (64 KiB).
pub const MAX_MAX_LENGTH: usize = 64 * 1024;
/// Default `iat_past`: how many seconds before now a proof's `iat` may lie.
pub const DEFAULT_IAT_PAST: i64 = 60;
/// Default `iat_future`: how many seconds after now a proof's `iat` may lie (clock skew).
pub const DEFAULT_IAT_FUTURE: i64 = 5;
/// Largest accepted `iat_past` and `iat_future`, in seconds (one day).
pub const MAX_IAT_WINDOW: i64 = 86_400;
/// Longest accepted `jti`, in bytes.
pub const MAX_JTI_LENGTH: usize = 256;
/// Smallest accepted RSA modulus, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Most nonces accepted in the `nonce` option.
pub const MAX_NONCES: usize = 16;
/// Longest accepted nonce in the `nonce` option, in bytes.
pub const MAX_NONCE_LENGTH: usize = 1024;

/// JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One value of the caller's expectations, as the PHP binding hands it over: a PHP
/// string (raw bytes), an integer, a list of such values, or anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectValue<'a> {
    /// A string, as raw bytes.
    Str(&'a [u8]),
    /// An integer.
    Int(i64),
    /// A list (a PHP array with keys 0, 1, 2, …).
    List(Vec<ExpectValue<'a>>),
    /// Any other value (null, bool, float, map, object): always refused.
    Other,
}

/// What the request the proof came with looks like; see the PHP stub of
/// `wp_oauth_dpop_verify` for the meaning of each member. Built by
/// [`Expect::from_pairs`]. `Debug` hides the access token and the body.
#[derive(Clone)]
pub struct Expect<'a> {
    htm: String,
    htu: String,
    now: Option<i64>,
    iat_past: i64,
    iat_future: i64,
    access_token: Option<&'a [u8]>,
    nonces: Vec<&'a [u8]>,
    jkt: Option<&'a [u8]>,
    algs: Vec<Alg>,
    max_length: usize,
    body: Option<&'a [u8]>,
}

impl fmt::Debug for Expect<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expect")
            .field("htm", &self.htm)
            .field("htu", &self.htu)
            .field("now", &self.now)
            .field("iat_past", &self.iat_past)
            .field("iat_future", &self.iat_future)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field("nonces", &self.nonces.len())
            .field("jkt", &self.jkt.map(String::from_utf8_lossy))
            .field("algs", &self.algs)
            .field("max_length", &self.max_length)
            .field("body", &self.body.map(|b| format!("[{} bytes]", b.len())))
            .finish()
    }
}

fn arg(what: &'static str) -> Error {
    Error::InvalidArgument(what)
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 6749 Appendix A `NQCHAR` (the nonce syntax of RFC 9449 §8.1).
fn is_nqchar(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e)
}

fn int_in(v: &ExpectValue<'_>, range: std::ops::RangeInclusive<i64>, what: &'static str) -> Result<i64> {
    match v {
        ExpectValue::Int(n) if range.contains(n) => Ok(*n),
        _ => Err(arg(what)),
    }
}

fn nonce_value<'a>(v: &ExpectValue<'a>) -> Result<&'a [u8]> {
    match v {
        ExpectValue::Str(s) if !s.is_empty() && s.len() <= MAX_NONCE_LENGTH && s.iter().all(|b| is_nqchar(*b)) => {
            Ok(s)
        }
        _ => Err(arg("option nonce must be a nonce (1*NQCHAR, RFC 9449 section 8.1) or a list of 1-16 nonces")),
    }
}

impl<'a> Expect<'a> {
    /// Reads the expectations from (name, value) pairs, the members of the PHP
    /// `$expect` array in order. `htm` and `htu` are required; every other member is
    /// optional; no value may be null (a missing check must be a missing member, not a
    /// null that slipped through).
    ///
    /// Errors: [`Error::InvalidArgument`] for a missing, unknown, repeated or malformed
    /// member; [`Error::UnsupportedAlgorithm`] for an `algs` entry that is not an
    /// asymmetric algorithm this crate verifies.
    pub fn from_pairs<'k>(pairs: impl IntoIterator<Item = (&'k [u8], ExpectValue<'a>)>) -> Result<Expect<'a>> {
        let mut e = Expect {
            htm: String::new(),
            htu: String::new(),
            now: None,
            iat_past: DEFAULT_IAT_PAST,
            iat_future: DEFAULT_IAT_FUTURE,
            access_token: None,
            nonces: Vec::new(),
            jkt: None,
            algs: DEFAULT_ALGS.to_vec(),
            max_length: DEFAULT_MAX_LENGTH,
            body: None,
        };
        let mut seen: Vec<&[u8]> = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name) {
                return Err(arg("an option is given twice"));
            }
            seen.push(name);
            match name {
                b"htm" => {
                    e.htm = match value {
                        ExpectValue::Str(s) if !s.is_empty() && s.len() <= 64 && s.iter().all(|b| is_tchar(*b)) => {
                            String::from_utf8_lossy(s).into_owned()
                        }
                        _ => return Err(arg("option htm must be an HTTP method (RFC 9110 section 9.1)")),
                    }
                }
                b"htu" => {
                    let bad = || arg("option htu must be an absolute http or https URI");
                    let ExpectValue::Str(s) = value else { return Err(bad()) };
                    let text = std::str::from_utf8(s).map_err(|_| bad())?;
                    e.htu = normalize_htu(text).ok_or_else(bad)?;
                }
                b"now" => {
                    e.now = Some(int_in(&value, 0..=MAX_NUMERIC_DATE as i64, "option now must be Unix seconds (int)")?)
                }
                b"iat_past" => {
                    e.iat_past = int_in(&value, 0..=MAX_IAT_WINDOW, "option iat_past must be an integer 0..86400")?
                }
                b"iat_future" => {
                    e.iat_future = int_in(&value, 0..=MAX_IAT_WINDOW, "option iat_future must be an integer 0..86400")?
                }
                b"access_token" => {
                    e.access_token = match value {
                        ExpectValue::Str(s) if !s.is_empty() => Some(s),
                        _ => return Err(arg("option access_token must be a non-empty string")),
                    }
                }
                b"nonce" => {
                    e.nonces = match &value {
                        ExpectValue::List(list) if !list.is_empty() && list.len() <= MAX_NONCES => {
                            list.iter().map(nonce_value).collect::<Result<_>>()?
                        }
                        single => vec![nonce_value(single)?],
                    }
                }
                b"jkt" => {
                    e.jkt = match value {
                        ExpectValue::Str(s) if s.len() == 43 && b64::url_decode(s).is_some_and(|d| d.len() == 32) => {
                            Some(s)
                        }
                        _ => return Err(arg("option jkt must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)")),
                    }
                }
                b"algs" => {
                    let ExpectValue::List(list) = value else {
                        return Err(arg("option algs must be a non-empty list of algorithm names"));
                    };
                    if list.is_empty() || list.len() > 8 {
                        return Err(arg("option algs must be a non-empty list of algorithm names"));
                    }
                    let mut algs = Vec::with_capacity(list.len());
                    for v in list {
                        let ExpectValue::Str(s) = v else {
                            return Err(arg("option algs must be a non-empty list of algorithm names"));
                        };
                        let alg = std::str::from_utf8(s).map_err(|_| Error::UnsupportedAlgorithm).and_then(Alg::parse)?;
                        if !DEFAULT_ALGS.contains(&alg) {
                            return Err(Error::UnsupportedAlgorithm);
                        }
                        algs.push(alg);
                    }
                    e.algs = algs;
                }
                b"max_length" => {
                    e.max_length = int_in(&value, 1..=MAX_MAX_LENGTH as i64, "option max_length must be 1..65536")?
                        .try_into()
                        .map_err(|_| arg("option max_length must be 1..65536"))?
                }
                b"body" => {
                    e.body = match value {
                        ExpectValue::Str(s) => Some(s),
                        _ => return Err(arg("option body must be a string")),
                    }
                }
                _ => return Err(arg("unknown option")),
            }
        }
        if e.htm.is_empty() || e.htu.is_empty() {
            return Err(arg("options htm and htu are required"));
        }
        Ok(e)
    }

    /// The current time in Unix seconds: `now`, or the system clock.
    pub fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0)
        })
    }

    /// The expected `htu`, normalized by [`normalize_htu`].
    pub fn htu(&self) -> &str {
        &self.htu
    }
}

/// A verified DPoP proof: what the caller stores (`jti`, `iat`) or compares (`jkt`).
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// RFC 7638 SHA-256 thumbprint of the proof's key, base64url (43 characters).
    pub jkt: String,
    /// The proof's `jti` (1–256 bytes).
    pub jti: String,
    /// The proof's `iat`, Unix seconds.
    pub iat: i64,
    /// The proof's `htm`, as sent.
    pub htm: String,
    /// The proof's `htu`, as sent (it matched the expected URI after normalization).
    pub htu: String,
    /// The header `alg`.
    pub alg: Alg,
    /// The proof's `nonce`, if any.
    pub nonce: Option<String>,
    /// The proof's `ath`, if any.
    pub ath: Option<String>,
    /// The public key: the members RFC 7638 §3.2 requires for its type.
    pub jwk: Map<String, Value>,
    /// Every claim of the proof.
    pub claims: Map<String, Value>,
}

impl Proof {
    /// The result as the JSON object `wp_oauth_dpop_verify` returns: `jkt`, `jti`,
    /// `iat`, `htm`, `htu`, `alg`, `nonce` (or null), `ath` (or null), `jwk`, `claims`.
    pub fn to_map(&self) -> Map<String, Value> {
        let opt = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        let mut m = Map::new();
        m.insert("jkt".into(), Value::String(self.jkt.clone()));
        m.insert("jti".into(), Value::String(self.jti.clone()));
        m.insert("iat".into(), Value::Number(Number::from(self.iat)));
        m.insert("htm".into(), Value::String(self.htm.clone()));
        m.insert("htu".into(), Value::String(self.htu.clone()));
        m.insert("alg".into(), Value::String(self.alg.name().into()));
        m.insert("nonce".into(), opt(&self.nonce));
        m.insert("ath".into(), opt(&self.ath));
        m.insert("jwk".into(), Value::Object(self.jwk.clone()));
        m.insert("claims".into(), Value::Object(self.claims.clone()));
        m
    }
}

/// A JSON value parsed with duplicate member names refused at every level (RFC 7515 §4
/// and RFC 7519 §4 let a parser either refuse them or keep the last; refusing leaves no
/// room for two parsers to read one proof differently).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if out.insert(key, v).is_some() {
                return Err(de::Error::custom("duplicate member name"));
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses a JSON object with unique member names at every level, nested no deeper than
/// [`json::MAX_DEPTH`] (serde_json's own recursion limit of 128 guards the stack first).
fn parse_strict_object(bytes: &[u8]) -> Option<Map<String, Value>> {
    let Strict(value) = serde_json::from_slice::<Strict>(bytes).ok()?;
    if !json::depth_ok(&value, json::MAX_DEPTH) {
        return None;
    }
    match value {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// RFC 3986 §2.3 unreserved characters.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 §2.2 sub-delims.
fn is_sub_delim(b: u8) -> bool {
    b"!$&'()*+,;=".contains(&b)
}

/// RFC 3986 §3.2.2 reg-name characters (besides percent-encodings).
fn is_reg_name_char(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b)
}

/// RFC 3986 §3.3 path characters (pchar and `/`, besides percent-encodings).
fn is_path_char(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@' | b'/')
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn hex_upper(nibble: u8) -> char {
    char::from_digit(u32::from(nibble & 0x0f), 16).map(|c| c.to_ascii_uppercase()).unwrap_or('0')
}

/// RFC 3986 §6.2.2.1 and §6.2.2.2: percent-encodings get upper-case hex digits and those
/// of unreserved characters are decoded; with `lower`, letters are lower-cased (for the
/// host, which is case-insensitive). `None` for a character outside `allowed` or a broken
/// percent-encoding.
fn pct_normalize(s: &str, allowed: fn(u8) -> bool, lower: bool) -> Option<String> {
    let case = |b: u8| char::from(if lower { b.to_ascii_lowercase() } else { b });
    let mut out = String::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_value)?;
            let lo = bytes.next().and_then(hex_value)?;
            let v = (hi << 4) | lo;
            if is_unreserved(v) {
                out.push(case(v));
            } else {
                out.push('%');
                out.push(hex_upper(hi));
                out.push(hex_upper(lo));
            }
        } else if allowed(b) {
            out.push(case(b));
        } else {
            return None;
        }
    }
    Some(out)
}

/// RFC 3986 §5.2.4 `remove_dot_segments` for a path that is empty or starts with `/`;
/// an empty path becomes `/` (§6.2.3).
fn remove_dot_segments(path: &str) -> String {
    let Some(rest) = path.strip_prefix('/') else {
        return "/".to_owned();
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let count = segments.len();
    let mut out: Vec<&str> = Vec::with_capacity(count);
    for (i, segment) in segments.into_iter().enumerate() {
        let last = i + 1 == count;
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => {
                out.push(s);
                continue;
            }
        }
        if last {
            out.push("");
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    normalized.push('/');
    normalized.push_str(&out.join("/"));
    normalized
}

/// Normalizes an `http`/`https` URI for the `htu` comparison of RFC 9449 §4.3 step 9:
/// query and fragment dropped; then the syntax-based (RFC 3986 §6.2.2: case,
/// percent-encoding, dot segments) and scheme-based (§6.2.3: default port, empty path)
/// normalizations. URIs with user information, other schemes, or characters a URI may
/// not contain give `None`.
pub fn normalize_htu(uri: &str) -> Option<String> {
    let uri = uri.split('#').next().unwrap_or_default();
    let uri = uri.split('?').next().unwrap_or_default();
    let (scheme, rest) = uri.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port: u32 = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let rest = rest.strip_prefix("//")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at_checked(i)?,
        None => (rest, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(literal) = authority.strip_prefix('[') {
        let (inside, after) = literal.split_once(']')?;
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return None;
        }
        let port = if after.is_empty() { None } else { Some(after.strip_prefix(':')?) };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        (pct_normalize(host, is_reg_name_char, true)?, port)
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            let n: u32 = p.parse().ok()?;
            if n > 65_535 {
                return None;
            }
            (n != default_port).then_some(n)
        }
        Some(_) => return None,
    };
    let path = remove_dot_segments(&pct_normalize(path, is_path_char, false)?);
    let mut out = String::with_capacity(scheme.len() + host.len() + path.len() + 9);
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(&host);
    if let Some(n) = port {
        out.push(':');
        out.push_str(&n.to_string());
    }
    out.push_str(&path);
    Some(out)
}

/// `ath` for an access token: base64url(SHA-256(token)) (RFC 9449 §4.2).
pub fn access_token_hash(access_token: &[u8]) -> String {
    b64::url_encode(ring::digest::digest(&ring::digest::SHA256, access_token).as_ref())
}

/// The `content_digest` claim of the MCP DPoP profile draft for a request body:
/// `sha-256=:<standard base64 of SHA-256(body)>:` (RFC 9530 §2 syntax).
pub fn content_digest(body: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    let mut out = String::from("sha-256=:");
    base64::engine::general_purpose::STANDARD.encode_string(digest.as_ref(), &mut out);
    out.push(':');
    out
}

fn string_claim<'c>(claims: &'c Map<String, Value>, name: &'static str) -> Result<&'c str> {
    match claims.get(name) {
        None => Err(Error::TokenMissingClaim),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(Error::TokenInvalidClaim(name)),
    }
}

fn optional_string(claims: &Map<String, Value>, name: &'static str) -> Result<Option<String>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::TokenInvalidClaim(name)),
    }
}

/// Reads and checks the header's `jwk` (RFC 9449 §4.2, §4.3 step 7) and builds its
/// verifier for `alg`.
fn proof_key(header: &Map<String, Value>, alg: Alg) -> Result<(Jwk, ParsedKey)> {
    let jwk = match header.get("jwk") {
        Some(v @ Value::Object(obj)) => {
            if obj.get("kty").and_then(Value::as_str) == Some("oct")
                || PRIVATE_MEMBERS.iter().any(|m| obj.contains_key(*m))
            {
                return Err(Error::DpopPrivateKey);
            }
            Jwk::from_value(v).map_err(|_| Error::DpopInvalidJwk)?
        }
        _ => return Err(Error::DpopInvalidJwk),
    };
    if jwk.rsa_modulus_bits().is_some_and(|bits| bits < MIN_RSA_BITS) {
        return Err(Error::DpopInvalidJwk);
    }
    let key = ParsedKey::with_alg(jwk.clone(), alg).map_err(|_| Error::DpopInvalidJwk)?;
    Ok((jwk, key))
}

/// The algorithm a proof header names. Besides the JWA names of [`Alg::parse`], accepts
/// `Ed25519`, the fully-specified name of EdDSA over Ed25519 (RFC 9864 §2.2) that current
/// clients put in proofs made with Ed25519 keys; it verifies exactly as `EdDSA` does.
/// Errors: [`Error::UnsupportedAlgorithm`].
pub fn proof_alg(name: &str) -> Result<Alg> {
    match name {
        "Ed25519" => Ok(Alg::EdDSA),
        other => Alg::parse(other),
    }
}

/// Verifies a DPoP proof against the request it came with (RFC 9449 §4.3) and returns
/// its key thumbprint, `jti`, `iat` and claims.
///
/// Order: length; three segments; canonical base64url; header JSON; `typ`; `alg`;
/// `crit`; `jwk`; signature; claims JSON; required claims (`jti`, `htm`, `htu`, `iat`)
/// and their types; `htm`; `htu`; `iat` window; `nonce`; `ath`; `jkt`; `content_digest`.
///
/// Errors: [`Error::TokenTooLong`], [`Error::TokenMalformed`],
/// [`Error::TokenInvalidBase64`], [`Error::TokenInvalidJson`],
/// [`Error::TokenUnsupportedCrit`], [`Error::TokenInvalidSignature`],
/// [`Error::TokenMissingClaim`], [`Error::TokenInvalidClaim`] and every `Dpop*` variant.
pub fn verify(proof: &[u8], expect: &Expect<'_>) -> Result<Proof> {
    if proof.len() > expect.max_length {
        return Err(Error::TokenTooLong);
    }
    let mut parts = proof.split(|b| *b == b'.');
    let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Error::TokenMalformed);
    };
    // An empty signature is left to the checks below: `alg: none` proofs have one and are
    // reported as such; under any accepted alg it fails verification.
    if h64.is_empty() || p64.is_empty() {
        return Err(Error::TokenMalformed);
    }
    let header_bytes = b64::url_decode(h64).ok_or(Error::TokenInvalidBase64)?;
    let payload_bytes = b64::url_decode(p64).ok_or(Error::TokenInvalidBase64)?;
    let signature = b64::url_decode(s64).ok_or(Error::TokenInvalidBase64)?;
    let header = parse_strict_object(&header_bytes).ok_or(Error::TokenInvalidJson)?;

    if header.get("typ").and_then(Value::as_str) != Some(TYP) {
        return Err(Error::DpopInvalidType);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|name| proof_alg(name).ok())
        .filter(|alg| expect.algs.contains(alg))
        .ok_or(Error::DpopInvalidAlg)?;
    if header.contains_key("crit") {
        return Err(Error::TokenUnsupportedCrit);
    }
    let (jwk, key) = proof_key(&header, alg)?;
    let signing_input = proof.get(..h64.len() + 1 + p64.len()).ok_or(Error::TokenMalformed)?;
    if !key.verify(signing_input, &signature) {
        return Err(Error::TokenInvalidSignature);
    }

    let claims = parse_strict_object(&payload_bytes).ok_or(Error::TokenInvalidJson)?;
    for name in ["jti", "htm", "htu", "iat"] {
        if !claims.contains_key(name) {
            return Err(Error::TokenMissingClaim);
        }
    }
    let jti = string_claim(&claims, "jti")?;
    if jti.len() > MAX_JTI_LENGTH {
        return Err(Error::TokenInvalidClaim("jti"));
    }
    let htm = string_claim(&claims, "htm")?;
    let htu = string_claim(&claims, "htu")?;
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .filter(|t| (0..=MAX_NUMERIC_DATE as i64).contains(t))
        .ok_or(Error::TokenInvalidClaim("iat"))?;
    let nonce = optional_string(&claims, "nonce")?;
    let ath = optional_string(&claims, "ath")?;

    if htm != expect.htm {
        return Err(Error::DpopHtmMismatch);
    }
    if normalize_htu(htu).as_deref() != Some(expect.htu.as_str()) {
        return Err(Error::DpopHtuMismatch);
    }
    let now = expect.now();
    if iat < now.saturating_sub(expect.iat_past) {
        return Err(Error::DpopStaleIat);
    }
    if iat > now.saturating_add(expect.iat_future) {
        return Err(Error::DpopFutureIat);
    }
    if !expect.nonces.is_empty() {
        let sent = nonce.as_deref().ok_or(Error::DpopNonceMissing)?;
        // Every expected nonce is compared, so the time taken does not tell which matched.
        let matched = expect.nonces.iter().fold(false, |any, n| ct::eq(n, sent.as_bytes()) | any);
        if !matched {
            return Err(Error::DpopNonceMismatch);
        }
    }
    if let Some(token) = expect.access_token {
        let sent = ath.as_deref().ok_or(Error::DpopAthMissing)?;
        if !ct::eq(access_token_hash(token).as_bytes(), sent.as_bytes()) {
            return Err(Error::DpopAthMismatch);
        }
    }
    let jkt = jwk.thumbprint();
    if let Some(expected) = expect.jkt {
        if !ct::eq(expected, jkt.as_bytes()) {
            return Err(Error::DpopJktMismatch);
        }
    }
    if let Some(body) = expect.body {
        if let Some(sent) = optional_string(&claims, "content_digest")? {
            if !ct::eq(content_digest(body).as_bytes(), sent.as_bytes()) {
                return Err(Error::DpopContentDigestMismatch);
            }
        }
    }
    Ok(Proof {
        jkt,
        jti: jti.to_owned(),
        iat,
        htm: htm.to_owned(),
        htu: htu.to_owned(),
        alg,
        nonce,
        ath,
        jwk: jwk.required_members(),
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_normalization() {
        let n = |s: &str| normalize_htu(s);
        let same = [
            ("https://server.example.com/token", "https://server.example.com/token"),
            ("HTTPS://Server.Example.COM/token", "https://server.example.com/token"),
            ("https://server.example.com:443/token", "https://server.example.com/token"),
            ("https://server.example.com:/token", "https://server.example.com/token"),
            ("http://server.example.com:80", "http://server.example.com/"),
            ("https://server.example.com", "https://server.example.com/"),
            ("https://server.example.com/token?x=1#frag", "https://server.example.com/token"),
            ("https://server.example.com/token#f?x", "https://server.example.com/token"),
            ("https://server.example.com/%7euser/a%2fb", "https://server.example.com/~user/a%2Fb"),
            ("https://server.example.com/a/./b/../c", "https://server.example.com/a/c"),
            ("https://server.example.com/a/%2E%2E/c", "https://server.example.com/c"),
            ("https://server.example.com/a/b/..", "https://server.example.com/a/"),
            ("https://server.example.com/../../x", "https://server.example.com/x"),
            ("https://server.example.com:8443/x", "https://server.example.com:8443/x"),
            ("https://server.example.com:08443/x", "https://server.example.com:8443/x"),
            ("http://server.example.com:443/x", "http://server.example.com:443/x"),
            ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
            ("https://%53erver.example.com/", "https://server.example.com/"),
        ];
        for (input, want) in same {
            assert_eq!(n(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "", "server.example.com/token", "ftp://server.example.com/", "https:/server.example.com/",
            "https://user@server.example.com/", "https://:443/", "https://server.example.com:65536/",
            "https://server.example.com:44a/", "https://server.example.com:123456/", "https://server example.com/",
            "https://server.example.com/a b", "https://server.example.com/%zz", "https://server.example.com/%4",
            "https://[v1.x]/", "https://[]/", "https://[::1/", "https://[::1]x/", "https://séver.example/",
            "https://server.example.com/\\x", "https://server.example.com/\u{0}",
        ] {
            assert_eq!(n(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn expect_options() {
        let base = || vec![(&b"htm"[..], ExpectValue::Str(b"POST")), (&b"htu"[..], ExpectValue::Str(b"https://a.example/t"))];
        let e = Expect::from_pairs(base()).unwrap();
        assert_eq!(e.htu(), "https://a.example/t");
        assert_eq!(e.algs, DEFAULT_ALGS);
        assert_eq!((e.iat_past, e.iat_future, e.max_length), (60, 5, 8192));
        let with = |name: &'static [u8], v: ExpectValue<'static>| {
            let mut p = base();
            p.push((name, v));
            Expect::from_pairs(p)
        };
        for (name, v) in [
            (&b"htm"[..], ExpectValue::Str(b"GET")),
            (b"typo", ExpectValue::Int(1)),
            (b"now", ExpectValue::Int(-1)),
            (b"now", ExpectValue::Other),
            (b"iat_past", ExpectValue::Int(86_401)),
            (b"iat_future", ExpectValue::Str(b"5")),
            (b"access_token", ExpectValue::Str(b"")),
            (b"access_token", ExpectValue::Other),
            (b"nonce", ExpectValue::Str(b"has space")),
            (b"nonce", ExpectValue::Str(b"\"")),
            (b"nonce", ExpectValue::List(vec![])),
            (b"nonce", ExpectValue::List(vec![ExpectValue::Int(1)])),
            (b"jkt", ExpectValue::Str(b"short")),
            (b"algs", ExpectValue::List(vec![])),
            (b"algs", ExpectValue::Str(b"ES256")),
            (b"max_length", ExpectValue::Int(0)),
            (b"max_length", ExpectValue::Int(65_537)),
            (b"body", ExpectValue::Int(1)),
        ] {
            assert!(matches!(with(name, v.clone()), Err(Error::InvalidArgument(_))), "{}={v:?}", String::from_utf8_lossy(name));
        }
        for alg in [&b"HS256"[..], b"none", b"ES384", b"\xff"] {
            let v = ExpectValue::List(vec![ExpectValue::Str(alg)]);
            assert_eq!(with(b"algs", v).unwrap_err(), Error::UnsupportedAlgorithm);
        }
        assert!(Expect::from_pairs(vec![(&b"htm"[..], ExpectValue::Str(b"POST"))]).is_err());
        assert!(Expect::from_pairs(vec![(&b"htu"[..], ExpectValue::Str(b"https://a/"))]).is_err());
        for bad_htu in [&b"/token"[..], b"https://a/\xff", b"mailto:x@y"] {
            let p = vec![(&b"htm"[..], ExpectValue::Str(b"POST")), (&b"htu"[..], ExpectValue::Str(bad_htu))];
            assert!(matches!(Expect::from_pairs(p), Err(Error::InvalidArgument(_))));
        }
        let nonces = ExpectValue::List(vec![ExpectValue::Str(b"n-1"), ExpectValue::Str(b"n-2")]);
        assert_eq!(with(b"nonce", nonces).unwrap().nonces.len(), 2);
        let token = with(b"access_token", ExpectValue::Str(b"secret-token-value")).unwrap();
        assert!(!format!("{token:?}").contains("secret-token-value"));
    }

    #[test]
    fn strict_json() {
        assert!(parse_strict_object(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_some());
        assert!(parse_strict_object(br#"{"a":1,"a":1}"#).is_none());
        assert!(parse_strict_object(br#"{"a":{"b":1,"b":2}}"#).is_none());
        assert!(parse_strict_object(br#"{"a":[{"b":1,"b":2}]}"#).is_none());
        assert!(parse_strict_object(br#"[1]"#).is_none());
        assert!(parse_strict_object(br#"{"a":1e400}"#).is_none());
        assert!(parse_strict_object(format!("{{\"a\":{}{}}}", "[".repeat(40), "]".repeat(40)).as_bytes()).is_none());
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_strict_object(deep.as_bytes()).is_none());
    }

    #[test]
    fn content_digest_known_answer() {
        // SHA-256 of the empty string (FIPS 180-4), in standard base64.
        assert_eq!(content_digest(b""), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    }
}
