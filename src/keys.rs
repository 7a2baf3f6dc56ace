//! JSON Web Keys (RFC 7517/7518, RFC 8037): parsing, generation, PEM import, public
//! projection, RFC 7638 thumbprints, and the parsed key objects used to sign and verify.
#![forbid(unsafe_code)]

use std::cell::OnceCell;
use std::fmt;

use jsonwebtoken::crypto::{JwtSigner, JwtVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::b64;
use crate::der::{self, Reader};
use crate::error::{Error, Result};
use crate::provider::RING_PROVIDER;

/// A JWS algorithm this crate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// HMAC-SHA-256 (RFC 7518 §3.2); key type `oct`, at least 32 bytes.
    HS256,
    /// ECDSA P-256 SHA-256 (RFC 7518 §3.4); key type `EC`, curve `P-256`.
    ES256,
    /// Ed25519 (RFC 8037 §3.1); key type `OKP`, curve `Ed25519`.
    EdDSA,
    /// RSASSA-PKCS1-v1_5 SHA-256 (RFC 7518 §3.3); key type `RSA`, 2048–8192 bits.
    RS256,
    /// RSASSA-PSS SHA-256 (RFC 7518 §3.5); key type `RSA`, 2048–8192 bits.
    PS256,
}

impl Alg {
    /// Parses a JWA name. Errors: [`Error::UnsupportedAlgorithm`].
    pub fn parse(name: &str) -> Result<Alg> {
        Ok(match name {
            "HS256" => Alg::HS256,
            "ES256" => Alg::ES256,
            "EdDSA" => Alg::EdDSA,
            "RS256" => Alg::RS256,
            "PS256" => Alg::PS256,
            _ => return Err(Error::UnsupportedAlgorithm),
        })
    }

    /// The JWA name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
            Alg::RS256 => "RS256",
            Alg::PS256 => "PS256",
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            Alg::HS256 => Algorithm::HS256,
            Alg::ES256 => Algorithm::ES256,
            Alg::EdDSA => Algorithm::EdDSA,
            Alg::RS256 => Algorithm::RS256,
            Alg::PS256 => Algorithm::PS256,
        }
    }
}

/// Secret bytes: zeroized on drop, `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    fn new(bytes: Vec<u8>) -> Self {
        Secret(Zeroizing::new(bytes))
    }
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// RSA private members (RFC 7518 §6.3.2), two-prime only.
#[derive(Debug, Clone)]
struct RsaPrivate {
    d: Secret,
    p: Secret,
    q: Secret,
    dp: Secret,
    dq: Secret,
    qi: Secret,
}

#[derive(Debug, Clone)]
enum Material {
    Oct { k: Secret },
    Ec { x: Vec<u8>, y: Vec<u8>, d: Option<Secret> },
    Okp { x: Vec<u8>, d: Option<Secret> },
    Rsa { n: Vec<u8>, e: Vec<u8>, private: Option<RsaPrivate> },
}

/// A validated JWK. Only the members this crate understands are kept.
#[derive(Debug, Clone)]
pub struct Jwk {
    material: Material,
    alg: Option<Alg>,
    kid: Option<String>,
    key_use: Option<String>,
}

const MAX_RSA_BYTES: usize = 1024; // 8192 bits

fn member<'a>(obj: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidKey("a JWK member has the wrong type")),
    }
}

fn b64_member(obj: &Map<String, Value>, name: &'static str) -> Result<Option<Vec<u8>>> {
    match member(obj, name)? {
        None => Ok(None),
        Some(s) => b64::url_decode(s.as_bytes())
            .map(Some)
            .ok_or(Error::InvalidKey("a JWK member is not canonical base64url")),
    }
}

fn required(obj: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>> {
    b64_member(obj, name)?.ok_or(Error::InvalidKey("a required JWK member is missing"))
}

fn fixed(bytes: Vec<u8>, len: usize) -> Result<Vec<u8>> {
    if bytes.len() == len {
        Ok(bytes)
    } else {
        Err(Error::InvalidKey("a JWK member has the wrong length"))
    }
}

fn secret_member(obj: &Map<String, Value>, name: &'static str) -> Result<Option<Secret>> {
    Ok(b64_member(obj, name)?.map(Secret::new))
}

impl Jwk {
    /// Parses a JWK JSON object (RFC 7517 §4). Key types: `oct` (≥ 32 bytes), `EC`
    /// (`P-256`), `OKP` (`Ed25519`), `RSA` (two-prime, 2048–8192 bits). `alg` is optional
    /// here but must fit the key type when present.
    ///
    /// Errors: [`Error::InvalidKey`], [`Error::UnsupportedAlgorithm`].
    pub fn from_value(value: &Value) -> Result<Jwk> {
        let obj = value.as_object().ok_or(Error::InvalidKey("a JWK must be a JSON object"))?;
        let kty = member(obj, "kty")?.ok_or(Error::InvalidKey("kty is missing"))?;
        let material = match kty {
            "oct" => {
                let k = required(obj, "k")?;
                if k.len() < 32 {
                    return Err(Error::InvalidKey("oct keys need at least 32 bytes (RFC 7518 section 3.2)"));
                }
                Material::Oct { k: Secret::new(k) }
            }
            "EC" => {
                if member(obj, "crv")? != Some("P-256") {
                    return Err(Error::InvalidKey("only the P-256 curve is supported"));
                }
                let d = match secret_member(obj, "d")? {
                    Some(d) if d.bytes().len() != 32 => {
                        return Err(Error::InvalidKey("a JWK member has the wrong length"))
                    }
                    d => d,
                };
                Material::Ec { x: fixed(required(obj, "x")?, 32)?, y: fixed(required(obj, "y")?, 32)?, d }
            }
            "OKP" => {
                if member(obj, "crv")? != Some("Ed25519") {
                    return Err(Error::InvalidKey("only the Ed25519 curve is supported"));
                }
                let d = match secret_member(obj, "d")? {
                    Some(d) if d.bytes().len() != 32 => {
                        return Err(Error::InvalidKey("a JWK member has the wrong length"))
                    }
                    d => d,
                };
                Material::Okp { x: fixed(required(obj, "x")?, 32)?, d }
            }
            "RSA" => {
                if obj.contains_key("oth") {
                    return Err(Error::InvalidKey("multi-prime RSA keys are not supported"));
                }
                let n = required(obj, "n")?;
                let e = required(obj, "e")?;
                if n.is_empty() || n.len() > MAX_RSA_BYTES || e.is_empty() || e.len() > 8 {
                    return Err(Error::InvalidKey("RSA modulus or exponent out of range"));
                }
                let private = match secret_member(obj, "d")? {
                    None => None,
                    Some(d) => {
                        let get = |name| {
                            secret_member(obj, name)?
                                .ok_or(Error::InvalidKey("RSA private keys need d, p, q, dp, dq and qi"))
                        };
                        Some(RsaPrivate { d, p: get("p")?, q: get("q")?, dp: get("dp")?, dq: get("dq")?, qi: get("qi")? })
                    }
                };
                Material::Rsa { n, e, private }
            }
            _ => return Err(Error::InvalidKey("unsupported kty")),
        };
        let alg = member(obj, "alg")?.map(Alg::parse).transpose()?;
        let jwk = Jwk {
            material,
            alg,
            kid: member(obj, "kid")?.map(str::to_owned),
            key_use: member(obj, "use")?.map(str::to_owned),
        };
        if let Some(alg) = alg {
            jwk.check_alg(alg)?;
        }
        Ok(jwk)
    }

    /// Parses JWK JSON text. Errors: [`Error::InvalidJson`] and as [`Jwk::from_value`].
    pub fn from_json(json: &[u8]) -> Result<Jwk> {
        let value: Value = serde_json::from_slice(json).map_err(|_| Error::InvalidJson("JWK"))?;
        Jwk::from_value(&value)
    }

    fn check_alg(&self, alg: Alg) -> Result<()> {
        if self.fits(alg) {
            Ok(())
        } else {
            Err(Error::UnsupportedAlgorithm)
        }
    }

    /// Whether the key type fits `alg` (RFC 7518 §3.1, RFC 8037 §3.1): `oct` for HS256,
    /// `EC` P-256 for ES256, `OKP` Ed25519 for EdDSA, `RSA` for RS256 and PS256.
    pub fn fits(&self, alg: Alg) -> bool {
        matches!(
            (&self.material, alg),
            (Material::Oct { .. }, Alg::HS256)
                | (Material::Ec { .. }, Alg::ES256)
                | (Material::Okp { .. }, Alg::EdDSA)
                | (Material::Rsa { .. }, Alg::RS256 | Alg::PS256)
        )
    }

    /// The size of an RSA key's modulus in bits (leading zero bytes not counted); `None`
    /// for other key types.
    pub fn rsa_modulus_bits(&self) -> Option<usize> {
        match &self.material {
            Material::Rsa { n, .. } => {
                let skip = n.iter().take_while(|b| **b == 0).count();
                let first = n.get(skip).copied()?;
                let rest = n.len() - skip - 1;
                Some(rest * 8 + (8 - first.leading_zeros() as usize))
            }
            _ => None,
        }
    }

    /// The key's `alg`, if it has one.
    pub fn alg(&self) -> Option<Alg> {
        self.alg
    }

    /// The key's `kid`, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this is a symmetric (`oct`) key.
    pub fn is_symmetric(&self) -> bool {
        matches!(self.material, Material::Oct { .. })
    }

    /// Whether the key has private members (always true for `oct`).
    pub fn is_private(&self) -> bool {
        match &self.material {
            Material::Oct { .. } => true,
            Material::Ec { d, .. } | Material::Okp { d, .. } => d.is_some(),
            Material::Rsa { private, .. } => private.is_some(),
        }
    }

    /// The RFC 7638 §3 thumbprint input: required members in lexicographic order, no
    /// whitespace.
    pub fn thumbprint_input(&self) -> String {
        Value::Object(self.required_members()).to_string()
    }

    /// The members RFC 7638 §3.2 requires for the key type, in lexicographic order:
    /// `crv`, `kty`, `x`, `y` (EC); `crv`, `kty`, `x` (OKP); `e`, `kty`, `n` (RSA); `k`,
    /// `kty` (oct). For `oct` keys the result holds the secret: callers must treat it as such.
    pub fn required_members(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_owned(), Value::String(v));
        };
        match &self.material {
            Material::Oct { k } => {
                put("k", b64::url_encode(k.bytes()));
                put("kty", "oct".into());
            }
            Material::Ec { x, y, .. } => {
                put("crv", "P-256".into());
                put("kty", "EC".into());
                put("x", b64::url_encode(x));
                put("y", b64::url_encode(y));
            }
            Material::Okp { x, .. } => {
                put("crv", "Ed25519".into());
                put("kty", "OKP".into());
                put("x", b64::url_encode(x));
            }
            Material::Rsa { n, e, .. } => {
                put("e", b64::url_encode(e));
                put("kty", "RSA".into());
                put("n", b64::url_encode(n));
            }
        }
        m
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url without padding.
    pub fn thumbprint(&self) -> String {
        let input = Zeroizing::new(self.thumbprint_input());
        b64::url_encode(ring::digest::digest(&ring::digest::SHA256, input.as_bytes()).as_ref())
    }

    fn to_map(&self, private: bool) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: &[u8]| {
            m.insert(k.to_owned(), Value::String(b64::url_encode(v)));
        };
        let mut head: Vec<(&str, &str)> = Vec::new();
        match &self.material {
            Material::Oct { k } => {
                head.push(("kty", "oct"));
                if private {
                    put("k", k.bytes());
                }
            }
            Material::Ec { x, y, d } => {
                head.extend([("kty", "EC"), ("crv", "P-256")]);
                put("x", x);
                put("y", y);
                if let (true, Some(d)) = (private, d) {
                    put("d", d.bytes());
                }
            }
            Material::Okp { x, d } => {
                head.extend([("kty", "OKP"), ("crv", "Ed25519")]);
                put("x", x);
                if let (true, Some(d)) = (private, d) {
                    put("d", d.bytes());
                }
            }
            Material::Rsa { n, e, private: p } => {
                head.push(("kty", "RSA"));
                put("n", n);
                put("e", e);
                if let (true, Some(p)) = (private, p) {
                    for (name, v) in [("d", &p.d), ("p", &p.p), ("q", &p.q), ("dp", &p.dp), ("dq", &p.dq), ("qi", &p.qi)] {
                        put(name, v.bytes());
                    }
                }
            }
        }
        let mut out = Map::new();
        for (k, v) in head {
            out.insert(k.to_owned(), Value::String(v.to_owned()));
        }
        out.extend(m);
        if let Some(alg) = self.alg {
            out.insert("alg".into(), Value::String(alg.name().into()));
        }
        out.insert("use".into(), Value::String(self.key_use.clone().unwrap_or_else(|| "sig".into())));
        out.insert("kid".into(), Value::String(self.kid.clone().unwrap_or_else(|| self.thumbprint())));
        out
    }

    /// The public JWK (RFC 7517 §4): `kty`, `crv`, `x`/`y` or `n`/`e`, `alg`, `use`, `kid`
    /// (the thumbprint when the key has none). `None` for `oct` keys, which have no public form.
    pub fn public_value(&self) -> Option<Value> {
        if self.is_symmetric() {
            return None;
        }
        Some(Value::Object(self.to_map(false)))
    }

    /// The full JWK including private members, with `use` and `kid` filled in.
    /// The returned JSON contains key material: callers must treat it as secret.
    pub fn private_json(&self) -> Zeroizing<String> {
        Zeroizing::new(Value::Object(self.to_map(true)).to_string())
    }

    fn decoding_key(&self) -> Result<DecodingKey> {
        let bad = |_| Error::InvalidKey("rejected by the JWT library");
        Ok(match &self.material {
            Material::Oct { k } => DecodingKey::from_secret(k.bytes()).map_err(bad)?,
            Material::Ec { x, y, .. } => {
                DecodingKey::from_ec_components(&b64::url_encode(x), &b64::url_encode(y)).map_err(bad)?
            }
            Material::Okp { x, .. } => DecodingKey::from_ed_components(&b64::url_encode(x)).map_err(bad)?,
            Material::Rsa { n, e, .. } => DecodingKey::from_rsa_raw_components(n, e),
        })
    }

    fn encoding_key(&self) -> Result<Option<EncodingKey>> {
        Ok(match &self.material {
            Material::Oct { k } => {
                Some(EncodingKey::from_secret(k.bytes()).map_err(|_| Error::InvalidKey("empty secret"))?)
            }
            Material::Ec { x, y, d: Some(d) } => Some(EncodingKey::from_ec_der(&p256_pkcs8(d.bytes(), x, y))),
            Material::Okp { d: Some(d), .. } => Some(EncodingKey::from_ed_der(&ed25519_pkcs8(d.bytes()))),
            Material::Rsa { n, e, private: Some(p) } => Some(EncodingKey::from_rsa_der(&rsa_pkcs1(n, e, p))),
            _ => None,
        })
    }
}

/// PKCS#8 v1 (RFC 5208) for a P-256 key, in the fixed layout ring itself produces.
fn p256_pkcs8(d: &[u8], x: &[u8], y: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut point = vec![4u8];
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    let mut bit_string = vec![0u8];
    bit_string.extend_from_slice(&point);
    let mut ec = Zeroizing::new(Vec::new());
    der::write_uint(&mut ec, &[1]);
    der::write(&mut ec, der::OCTET_STRING, d);
    let mut tagged = Vec::new();
    der::write(&mut tagged, der::BIT_STRING, &bit_string);
    der::write(&mut ec, 0xa1, &tagged);
    let mut ec_seq = Zeroizing::new(Vec::new());
    der::write(&mut ec_seq, der::SEQUENCE, &ec);
    let mut alg_id = Vec::new();
    der::write(&mut alg_id, der::OID, der::OID_EC);
    der::write(&mut alg_id, der::OID, der::OID_P256);
    let mut body = Zeroizing::new(Vec::new());
    der::write_uint(&mut body, &[0]);
    der::write(&mut body, der::SEQUENCE, &alg_id);
    der::write(&mut body, der::OCTET_STRING, &ec_seq);
    let mut out = Zeroizing::new(Vec::new());
    der::write(&mut out, der::SEQUENCE, &body);
    out
}

/// PKCS#8 v1 for an Ed25519 seed (RFC 8410 §7).
fn ed25519_pkcs8(seed: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut inner = Zeroizing::new(Vec::new());
    der::write(&mut inner, der::OCTET_STRING, seed);
    let mut alg_id = Vec::new();
    der::write(&mut alg_id, der::OID, der::OID_ED25519);
    let mut body = Zeroizing::new(Vec::new());
    der::write_uint(&mut body, &[0]);
    der::write(&mut body, der::SEQUENCE, &alg_id);
    der::write(&mut body, der::OCTET_STRING, &inner);
    let mut out = Zeroizing::new(Vec::new());
    der::write(&mut out, der::SEQUENCE, &body);
    out
}

/// PKCS#1 `RSAPrivateKey` (RFC 8017 Appendix A.1.2).
fn rsa_pkcs1(n: &[u8], e: &[u8], p: &RsaPrivate) -> Zeroizing<Vec<u8>> {
    let mut body = Zeroizing::new(Vec::new());
    der::write_uint(&mut body, &[0]);
    for v in [n, e, p.d.bytes(), p.p.bytes(), p.q.bytes(), p.dp.bytes(), p.dq.bytes(), p.qi.bytes()] {
        der::write_uint(&mut body, v);
    }
    let mut out = Zeroizing::new(Vec::new());
    der::write(&mut out, der::SEQUENCE, &body);
    out
}

/// A key ready for use: a [`Jwk`] with a fixed algorithm and its ring verifier (and
/// signer, built on first use), parsed once and kept.
pub struct ParsedKey {
    jwk: Jwk,
    alg: Alg,
    verifier: Box<dyn JwtVerifier>,
    signer: OnceCell<Box<dyn JwtSigner>>,
}

impl fmt::Debug for ParsedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedKey").field("alg", &self.alg).field("kid", &self.jwk.kid).finish_non_exhaustive()
    }
}

impl ParsedKey {
    /// Builds the verifier for a JWK that has `alg` (RFC 8725 §3.1: the algorithm comes
    /// from the key, never from a token).
    ///
    /// Errors: [`Error::InvalidKey`] for a key without `alg`.
    pub fn new(jwk: Jwk) -> Result<ParsedKey> {
        let alg = jwk.alg.ok_or(Error::InvalidKey("the key has no alg"))?;
        let verifier = (RING_PROVIDER.verifier_factory)(&alg.jwt(), &jwk.decoding_key()?)
            .map_err(|_| Error::InvalidKey("public key rejected by the crypto backend"))?;
        Ok(ParsedKey { jwk, alg, verifier, signer: OnceCell::new() })
    }

    /// Builds the verifier for `jwk` with `alg` chosen by the caller, for keys that arrive
    /// inside a message (the `jwk` header of a DPoP proof, RFC 9449 §4.2) and so have no
    /// trusted `alg` of their own. The key's own `alg`, when present, must equal `alg`.
    ///
    /// Errors: [`Error::UnsupportedAlgorithm`] when the key type does not fit `alg` or its
    /// `alg` differs; [`Error::InvalidKey`] when the crypto backend refuses the key.
    pub fn with_alg(mut jwk: Jwk, alg: Alg) -> Result<ParsedKey> {
        if !jwk.fits(alg) || jwk.alg.is_some_and(|own| own != alg) {
            return Err(Error::UnsupportedAlgorithm);
        }
        jwk.alg = Some(alg);
        ParsedKey::new(jwk)
    }

    /// The key's algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The key's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.jwk.kid()
    }

    /// The JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// Verifies a JWS signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifier.verify(message, &signature.to_vec()).is_ok()
    }

    /// Signs `message`. The signer is built on first use and checked against the public
    /// members (a probe signature must verify), so a JWK whose `d` does not match its
    /// `x`/`y`/`n` is refused.
    ///
    /// Errors: [`Error::InvalidKey`] for a public key or inconsistent members;
    /// [`Error::SigningFailed`].
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let signer = match self.signer.get() {
            Some(s) => s,
            None => {
                let enc = self.jwk.encoding_key()?.ok_or(Error::InvalidKey("a private key is needed to sign"))?;
                let signer = (RING_PROVIDER.signer_factory)(&self.alg.jwt(), &enc)
                    .map_err(|_| Error::InvalidKey("private key rejected by the crypto backend"))?;
                let probe = b"wp-oauth key consistency probe";
                let probe_sig = signer.try_sign(probe).map_err(|_| Error::SigningFailed)?;
                if !self.verify(probe, &probe_sig) {
                    return Err(Error::InvalidKey("private and public members do not match"));
                }
                self.signer.get_or_init(|| signer)
            }
        };
        signer.try_sign(message).map_err(|_| Error::SigningFailed)
    }
}

/// Generates a private JWK for `ES256` or `EdDSA` (ring cannot generate RSA keys), with
/// `alg`, `use: "sig"` and `kid` = its RFC 7638 thumbprint.
///
/// Errors: [`Error::UnsupportedAlgorithm`] for other algorithms; [`Error::RandomFailure`].
pub fn generate(alg: Alg) -> Result<Jwk> {
    let rng = SystemRandom::new();
    let pkcs8 = match alg {
        Alg::ES256 => sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng),
        Alg::EdDSA => sig::Ed25519KeyPair::generate_pkcs8(&rng),
        _ => return Err(Error::UnsupportedAlgorithm),
    }
    .map_err(|_| Error::RandomFailure)?;
    from_pkcs8(pkcs8.as_ref(), alg)
}

fn with_alg(mut jwk: Jwk, alg: Alg) -> Result<Jwk> {
    jwk.check_alg(alg)?;
    jwk.alg = Some(alg);
    jwk.key_use = Some("sig".into());
    jwk.kid = Some(jwk.thumbprint());
    Ok(jwk)
}

const BAD_DER: Error = Error::InvalidKey("malformed key DER");

/// Parses a PKCS#8 private key (RFC 5208) of type P-256, Ed25519 or RSA into a JWK.
///
/// Errors: [`Error::InvalidKey`], [`Error::UnsupportedAlgorithm`] when `alg` does not fit.
pub fn from_pkcs8(der_bytes: &[u8], alg: Alg) -> Result<Jwk> {
    let mut outer = Reader::new(der_bytes);
    let mut seq = Reader::new(outer.read(der::SEQUENCE)?);
    let version = seq.read_uint()?;
    if version != [0] && version != [1] {
        return Err(BAD_DER);
    }
    let mut alg_id = Reader::new(seq.read(der::SEQUENCE)?);
    let oid = alg_id.read(der::OID)?;
    let private = seq.read(der::OCTET_STRING)?;
    let material = if oid == der::OID_EC {
        if alg_id.read(der::OID)? != der::OID_P256 {
            return Err(Error::InvalidKey("only the P-256 curve is supported"));
        }
        let pair = sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der_bytes, &SystemRandom::new())
            .map_err(|_| Error::InvalidKey("P-256 key rejected by the crypto backend"))?;
        let mut ec = Reader::new(Reader::new(private).read(der::SEQUENCE)?);
        ec.read_uint()?;
        let d = ec.read(der::OCTET_STRING)?;
        let (x, y) = match pair.public_key().as_ref() {
            [4, xy @ ..] if xy.len() == 64 => xy.split_at(32),
            _ => return Err(BAD_DER),
        };
        Material::Ec { x: x.to_vec(), y: y.to_vec(), d: Some(Secret::new(fixed(d.to_vec(), 32)?)) }
    } else if oid == der::OID_ED25519 {
        let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der_bytes)
            .map_err(|_| Error::InvalidKey("Ed25519 key rejected by the crypto backend"))?;
        let seed = Reader::new(private).read(der::OCTET_STRING)?;
        Material::Okp { x: pair.public_key().as_ref().to_vec(), d: Some(Secret::new(fixed(seed.to_vec(), 32)?)) }
    } else if oid == der::OID_RSA {
        rsa_private_material(private)?
    } else {
        return Err(Error::InvalidKey("unsupported key type"));
    };
    with_alg(Jwk { material, alg: None, kid: None, key_use: None }, alg)
}

fn rsa_private_material(pkcs1: &[u8]) -> Result<Material> {
    sig::RsaKeyPair::from_der(pkcs1).map_err(|_| Error::InvalidKey("RSA key rejected by the crypto backend (2048-8192 bits)"))?;
    let mut r = Reader::new(Reader::new(pkcs1).read(der::SEQUENCE)?);
    if r.read_uint()? != [0] {
        return Err(Error::InvalidKey("multi-prime RSA keys are not supported"));
    }
    let mut next = || r.read_uint().map(<[u8]>::to_vec);
    let n = next()?;
    let e = next()?;
    let mut s = || next().map(Secret::new);
    let private = RsaPrivate { d: s()?, p: s()?, q: s()?, dp: s()?, dq: s()?, qi: s()? };
    Ok(Material::Rsa { n, e, private: Some(private) })
}

/// Parses a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of type P-256, Ed25519 or RSA.
///
/// Errors: [`Error::InvalidKey`], [`Error::UnsupportedAlgorithm`].
pub fn from_spki(der_bytes: &[u8], alg: Alg) -> Result<Jwk> {
    let mut outer = Reader::new(der_bytes);
    let mut seq = Reader::new(outer.read(der::SEQUENCE)?);
    let mut alg_id = Reader::new(seq.read(der::SEQUENCE)?);
    let oid = alg_id.read(der::OID)?;
    let bits = match seq.read(der::BIT_STRING)? {
        [0, rest @ ..] => rest,
        _ => return Err(BAD_DER),
    };
    let material = if oid == der::OID_EC {
        if alg_id.read(der::OID)? != der::OID_P256 {
            return Err(Error::InvalidKey("only the P-256 curve is supported"));
        }
        match bits {
            [4, xy @ ..] if xy.len() == 64 => {
                let (x, y) = xy.split_at(32);
                Material::Ec { x: x.to_vec(), y: y.to_vec(), d: None }
            }
            _ => return Err(Error::InvalidKey("only uncompressed P-256 points are supported")),
        }
    } else if oid == der::OID_ED25519 {
        Material::Okp { x: fixed(bits.to_vec(), 32)?, d: None }
    } else if oid == der::OID_RSA {
        let mut r = Reader::new(Reader::new(bits).read(der::SEQUENCE)?);
        let n = r.read_uint()?.to_vec();
        let e = r.read_uint()?.to_vec();
        if n.len() < 256 || n.len() > MAX_RSA_BYTES {
            return Err(Error::InvalidKey("RSA keys must have 2048-8192 bits"));
        }
        Material::Rsa { n, e, private: None }
    } else {
        return Err(Error::InvalidKey("unsupported key type"));
    };
    with_alg(Jwk { material, alg: None, kid: None, key_use: None }, alg)
}

/// Imports a PEM key (RFC 7468): `PRIVATE KEY` (PKCS#8), `PUBLIC KEY` (SPKI) or
/// `RSA PRIVATE KEY` (PKCS#1), as a JWK with `alg`, `use` and `kid` (thumbprint).
///
/// Errors: [`Error::InvalidKey`], [`Error::UnsupportedAlgorithm`] (e.g. `HS256`, or an
/// algorithm that does not fit the key).
pub fn import_pem(pem: &[u8], alg: Alg) -> Result<Jwk> {
    if alg == Alg::HS256 {
        return Err(Error::UnsupportedAlgorithm);
    }
    let text = std::str::from_utf8(pem).map_err(|_| Error::InvalidKey("PEM is not text"))?;
    let begin = text.find("-----BEGIN ").ok_or(Error::InvalidKey("no PEM BEGIN line"))?;
    let rest = text.get(begin + 11..).ok_or(Error::InvalidKey("bad PEM"))?;
    let label_end = rest.find("-----").ok_or(Error::InvalidKey("bad PEM"))?;
    let label = rest.get(..label_end).ok_or(Error::InvalidKey("bad PEM"))?;
    let body_and_end = rest.get(label_end + 5..).ok_or(Error::InvalidKey("bad PEM"))?;
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_end.find(&end_marker).ok_or(Error::InvalidKey("no matching PEM END line"))?;
    let body: Zeroizing<String> = Zeroizing::new(
        body_and_end.get(..body_end).unwrap_or("").chars().filter(|c| !c.is_ascii_whitespace()).collect(),
    );
    use base64::Engine;
    let der_bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| Error::InvalidKey("PEM body is not base64"))?,
    );
    match label {
        "PRIVATE KEY" => from_pkcs8(&der_bytes, alg),
        "PUBLIC KEY" => from_spki(&der_bytes, alg),
        "RSA PRIVATE KEY" => with_alg(Jwk { material: rsa_private_material(&der_bytes)?, alg: None, kid: None, key_use: None }, alg),
        _ => Err(Error::InvalidKey("unsupported PEM label (use PRIVATE KEY or PUBLIC KEY)")),
    }
}

/// The most keys a key set may hold.
pub const MAX_KEYS: usize = 64;

/// Parses a JWK or a JWKS (`{"keys":[...]}`, RFC 7517 §5) into its list of JWKs.
///
/// Errors: [`Error::InvalidJson`], [`Error::InvalidKey`].
pub fn parse_jwk_or_set(value: &Value) -> Result<Vec<Jwk>> {
    match value.get("keys") {
        Some(Value::Array(keys)) => {
            if keys.len() > MAX_KEYS {
                return Err(Error::InvalidKey("too many keys"));
            }
            keys.iter().map(Jwk::from_value).collect()
        }
        Some(_) => Err(Error::InvalidJson("keys must be an array")),
        None => Ok(vec![Jwk::from_value(value)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_and_sign() {
        for alg in [Alg::ES256, Alg::EdDSA] {
            let jwk = generate(alg).unwrap();
            assert!(jwk.is_private());
            let again = Jwk::from_json(jwk.private_json().as_bytes()).unwrap();
            let key = ParsedKey::new(again).unwrap();
            let s = key.sign(b"msg").unwrap();
            assert!(key.verify(b"msg", &s));
            assert!(!key.verify(b"msh", &s));
            let public = jwk.public_value().unwrap();
            assert!(public.get("d").is_none());
            assert_eq!(public["kid"], Value::String(jwk.thumbprint()));
        }
        assert_eq!(generate(Alg::RS256).unwrap_err(), Error::UnsupportedAlgorithm);
    }

    #[test]
    fn mismatched_private_key_is_refused() {
        let a: Value = serde_json::from_str(&generate(Alg::ES256).unwrap().private_json()).unwrap();
        let b: Value = serde_json::from_str(&generate(Alg::ES256).unwrap().private_json()).unwrap();
        let mut mixed = a.clone();
        mixed["d"] = b["d"].clone();
        let key = ParsedKey::new(Jwk::from_value(&mixed).unwrap()).unwrap();
        assert!(matches!(key.sign(b"x"), Err(Error::InvalidKey(_))));
    }

    #[test]
    fn debug_is_redacted() {
        let jwk = generate(Alg::EdDSA).unwrap();
        let text = format!("{jwk:?}");
        assert!(text.contains("[redacted]"));
        let json = jwk.private_json();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert!(!text.contains(v["d"].as_str().unwrap()));
    }
}
