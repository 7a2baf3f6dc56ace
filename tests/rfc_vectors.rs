//! Known-answer tests; each names its source, and each is repeated with one bit flipped.
mod common;

use common::{b64, fixture};
use serde_json::Value;
use wp_oauth::error::Error;
use wp_oauth::jwt::{self, DecodeOptions, KeySet};
use wp_oauth::keys::{Jwk, ParsedKey};

fn opts_at(now: f64) -> DecodeOptions {
    DecodeOptions { now: Some(now), ..DecodeOptions::default() }
}

fn flip_last_bit_of_segment(token: &str, segment: usize) -> String {
    // Flip the lowest bit of the first byte of a segment's *decoded* bytes, re-encode.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut bytes = wp_oauth::b64::url_decode(parts[segment].as_bytes()).unwrap();
    bytes[0] ^= 0x01;
    parts[segment] = b64(&bytes);
    parts.join(".")
}

#[test]
fn rfc7636_appendix_b_pkce() {
    let v = fixture("rfc7636_b.json");
    let verifier = v["code_verifier"].as_str().unwrap().as_bytes();
    let challenge = v["code_challenge"].as_str().unwrap();
    assert_eq!(wp_oauth::pkce::challenge(verifier).unwrap(), challenge);
    assert_eq!(wp_oauth::pkce::verify(verifier, challenge.as_bytes(), b"S256"), Ok(true));
    let mut flipped = verifier.to_vec();
    flipped[5] ^= 0x01;
    assert_eq!(wp_oauth::pkce::verify(&flipped, challenge.as_bytes(), b"S256"), Ok(false));
}

fn check_jws_vector(name: &str) {
    let v = fixture(name);
    let keys = KeySet::parse(v["jwk"].to_string().as_bytes()).unwrap();
    let token = v["token"].as_str().unwrap();
    let now = v["now"].as_f64().unwrap();
    let got = jwt::decode(token.as_bytes(), &keys, &opts_at(now)).unwrap();
    assert_eq!(Value::Object(got.claims), v["claims"]);
    // One bit flipped in each segment: never a success.
    for segment in 0..3 {
        let bad = flip_last_bit_of_segment(token, segment);
        assert!(jwt::decode(bad.as_bytes(), &keys, &opts_at(now)).is_err(), "{name} segment {segment}");
    }
    let bad = flip_last_bit_of_segment(token, 2);
    assert_eq!(jwt::decode(bad.as_bytes(), &keys, &opts_at(now)).unwrap_err(), Error::TokenInvalidSignature);
    // Outside the validity (exp 1300819380 + 60 s leeway): expired.
    assert_eq!(
        jwt::decode(token.as_bytes(), &keys, &opts_at(1_300_819_440.0)).unwrap_err(),
        Error::TokenExpired
    );
}

#[test]
fn rfc7515_appendix_a1_hs256() {
    check_jws_vector("rfc7515_a1.json");
}

#[test]
fn rfc7515_appendix_a3_es256() {
    check_jws_vector("rfc7515_a3.json");
    // The appendix's private key is consistent with its public key: it signs a token that
    // verifies.
    let v = fixture("rfc7515_a3.json");
    let jwk = v["jwk"].to_string();
    let keys = KeySet::parse(jwk.as_bytes()).unwrap();
    let claims = serde_json::json!({"sub": "1", "exp": 1_300_819_380}).as_object().unwrap().clone();
    let token = jwt::encode(&claims, &keys, &serde_json::Map::new()).unwrap();
    assert!(jwt::decode(token.as_bytes(), &keys, &opts_at(1_300_819_000.0)).is_ok());
}

#[test]
fn rfc7638_section_3_1_thumbprint() {
    let v = fixture("rfc7638_3_1.json");
    let jwk = v["jwk"].to_string();
    assert_eq!(jwt::thumbprint(jwk.as_bytes()).unwrap(), v["thumbprint"].as_str().unwrap());
    let mut flipped = v["jwk"].clone();
    flipped["e"] = Value::String("AQAA".into()); // one bit of e
    assert_ne!(jwt::thumbprint(flipped.to_string().as_bytes()).unwrap(), v["thumbprint"].as_str().unwrap());
}

#[test]
fn rfc8037_appendix_a_ed25519() {
    let v = fixture("rfc8037_a.json");
    let jwk = Jwk::from_value(&v["jwk"]).unwrap();
    // A.3: thumbprint.
    assert_eq!(jwk.thumbprint(), v["thumbprint"].as_str().unwrap());
    // A.2: the public key.
    let public = jwk.public_value().unwrap();
    assert_eq!(public["x"], v["jwk"]["x"]);
    assert!(public.get("d").is_none());
    // A.4: Ed25519 is deterministic, so signing reproduces the appendix's signature.
    let token = v["token"].as_str().unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let key = ParsedKey::new(jwk).unwrap();
    assert_eq!(b64(&key.sign(input.as_bytes()).unwrap()), sig);
    let sig_bytes = wp_oauth::b64::url_decode(sig.as_bytes()).unwrap();
    assert!(key.verify(input.as_bytes(), &sig_bytes));
    let mut flipped = sig_bytes.clone();
    flipped[10] ^= 0x01;
    assert!(!key.verify(input.as_bytes(), &flipped));
    // The A.4 payload is plain text, not a claims object: decode refuses it after
    // verifying the signature.
    let keys = KeySet::parse(v["jwk"].to_string().as_bytes()).unwrap();
    assert_eq!(jwt::decode(token.as_bytes(), &keys, &opts_at(0.0)).unwrap_err(), Error::TokenInvalidJson);
    let mut flipped_x = v["jwk"].clone();
    flipped_x["x"] = Value::String(common::flip_bit(v["jwk"]["x"].as_str().unwrap(), 0));
    assert_ne!(Jwk::from_value(&flipped_x).unwrap().thumbprint(), v["thumbprint"].as_str().unwrap());
}
