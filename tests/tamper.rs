//! Every case of "What bad input gets" (the extension's issue) yields the right error,
//! never a panic or a success.
mod common;

use common::{b64, hs_jwk, hs_token};
use serde_json::json;
use wp_oauth::error::Error;
use wp_oauth::jwt::{self, DecodeOptions, KeySet};
use wp_oauth::keys::{self, Alg};

const NOW: f64 = 1_700_000_000.0;

fn opts() -> DecodeOptions {
    DecodeOptions { now: Some(NOW), ..DecodeOptions::default() }
}

fn hs() -> KeySet {
    KeySet::parse(hs_jwk().as_bytes()).unwrap()
}

fn header() -> Vec<u8> {
    br#"{"alg":"HS256","kid":"k1"}"#.to_vec()
}

fn decode_hs(token: &str) -> Result<jwt::Verified, Error> {
    jwt::decode(token.as_bytes(), &hs(), &opts())
}

fn claims_token(claims: serde_json::Value) -> String {
    hs_token(&header(), claims.to_string().as_bytes())
}

#[test]
fn valid_baseline() {
    let t = claims_token(json!({"exp": NOW + 100.0, "sub": "1"}));
    assert!(decode_hs(&t).is_ok());
    // RFC 7519 NumericDate may be a non-integer number.
    assert!(decode_hs(&claims_token(json!({"exp": 1_700_000_000.5}))).is_ok());
}

#[test]
fn alg_none() {
    for alg in ["none", "None", "NONE"] {
        let h = format!(r#"{{"alg":"{alg}","kid":"k1"}}"#);
        let t = format!("{}.{}.", b64(h.as_bytes()), b64(br#"{"exp":1800000000}"#));
        assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenAlgorithmMismatch);
    }
    let t = format!("{}.{}.", b64(br#"{"kid":"k1"}"#), b64(br#"{"exp":1800000000}"#));
    assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenAlgorithmMismatch);
}

#[test]
fn algorithm_confusion_hs256_with_public_key() {
    let jwk = keys::generate(Alg::ES256).unwrap();
    let public = jwk.public_value().unwrap().to_string();
    let keys = KeySet::parse(public.as_bytes()).unwrap();
    let kid = jwk.thumbprint();
    let h = format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#);
    let input = format!("{}.{}", b64(h.as_bytes()), b64(br#"{"exp":1800000000}"#));
    for secret in [public.as_bytes().to_vec(), jwk.thumbprint_input().into_bytes()] {
        let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret), input.as_bytes());
        let t = format!("{input}.{}", b64(tag.as_ref()));
        assert_eq!(jwt::decode(t.as_bytes(), &keys, &opts()).unwrap_err(), Error::TokenAlgorithmMismatch);
    }
}

#[test]
fn kid_selection() {
    let t = hs_token(br#"{"alg":"HS256","kid":"other"}"#, br#"{"exp":1800000000}"#);
    assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenUnknownKid);
    // No kid with one key: accepted.
    let t = hs_token(br#"{"alg":"HS256"}"#, br#"{"exp":1800000000}"#);
    assert!(decode_hs(&t).is_ok());
    // No kid with several keys: refused.
    let other = keys::generate(Alg::ES256).unwrap().public_value().unwrap();
    let set = json!({"keys": [serde_json::from_str::<serde_json::Value>(&hs_jwk()).unwrap(), other]});
    let keys = KeySet::parse(set.to_string().as_bytes()).unwrap();
    assert_eq!(jwt::decode(t.as_bytes(), &keys, &opts()).unwrap_err(), Error::TokenMissingKid);
    // A key without alg is refused when the key set is parsed.
    let no_alg = format!(r#"{{"kty":"oct","k":"{}"}}"#, b64(common::SECRET));
    assert!(matches!(KeySet::parse(no_alg.as_bytes()).unwrap_err(), Error::InvalidKey(_)));
}

#[test]
fn crit_header() {
    let t = hs_token(br#"{"alg":"HS256","kid":"k1","crit":["exp"],"exp":1}"#, br#"{"exp":1800000000}"#);
    assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenUnsupportedCrit);
}

#[test]
fn base64_padding_and_trailing_bits() {
    let good = claims_token(json!({"exp": 1_800_000_000}));
    let parts: Vec<&str> = good.split('.').collect();
    for i in 0..3 {
        let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
        p[i].push('=');
        assert_eq!(decode_hs(&p.join(".")).unwrap_err(), Error::TokenInvalidBase64, "padding in {i}");
    }
    // Non-canonical trailing bits: the 32-byte HMAC tag encodes to 43 chars whose last
    // char carries 2 unused bits; setting one keeps the bytes but breaks canonicity.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let tweaked = alphabet.chars().nth(idx ^ 1).unwrap();
    let bad = format!("{}.{}.{}{}", parts[0], parts[1], &sig[..sig.len() - 1], tweaked);
    assert_eq!(decode_hs(&bad).unwrap_err(), Error::TokenInvalidBase64);
    // Standard-alphabet characters.
    let bad = format!("{}.{}.{}", parts[0], parts[1], sig.replace(['-', '_'], "+"));
    if bad != good {
        assert!(decode_hs(&bad).is_err());
    }
}

#[test]
fn shape() {
    for t in ["", "a", "a.b", "a.b.c.d", ".b.c", "a..c", "..."] {
        assert!(decode_hs(t).is_err(), "{t}");
    }
    assert_eq!(decode_hs("a.b").unwrap_err(), Error::TokenMalformed);
}

#[test]
fn max_length_before_decoding() {
    let long = "x".repeat(9000);
    assert_eq!(decode_hs(&long).unwrap_err(), Error::TokenTooLong);
    let o = DecodeOptions { max_length: 10, ..opts() };
    let t = claims_token(json!({"exp": 1_800_000_000}));
    assert_eq!(jwt::decode(t.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenTooLong);
}

#[test]
fn bad_json() {
    let cases: Vec<Vec<u8>> = vec![
        b"\xff\xfe".to_vec(),
        b"{\"exp\":\"\xff\"}".to_vec(),
        b"[1,2]".to_vec(),
        b"\"str\"".to_vec(),
        b"null".to_vec(),
        b"{".to_vec(),
        format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200)).into_bytes(),
        format!("{{\"a\":{}1{}}}", "{\"b\":".repeat(40), "}".repeat(40)).into_bytes(),
        b"{\"exp\":1e400}".to_vec(),
    ];
    for payload in &cases {
        let t = hs_token(&header(), payload);
        assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenInvalidJson, "{:?}", String::from_utf8_lossy(payload));
    }
    // Same in the header (which is checked before the key is even chosen).
    let t = hs_token(b"[\"alg\"]", br#"{"exp":1800000000}"#);
    assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenInvalidJson);
    let t = hs_token(b"{\"alg\":\"HS256\",\"x\":\"\xc3\x28\"}", br#"{"exp":1800000000}"#);
    assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenInvalidJson);
}

#[test]
fn numeric_dates() {
    for claim in ["exp", "nbf", "iat"] {
        for bad in [json!("1800000000"), json!(null), json!(-1), json!(1e300), json!(u64::MAX), json!(true), json!([1])] {
            let mut c = json!({"exp": 1_800_000_000});
            c[claim] = bad.clone();
            let t = claims_token(c);
            assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenInvalidClaim(claim), "{claim}={bad}");
        }
    }
}

#[test]
fn required_claims() {
    let t = claims_token(json!({"sub": "1"}));
    assert_eq!(decode_hs(&t).unwrap_err(), Error::TokenMissingClaim);
    let o = DecodeOptions { required: vec![], ..opts() };
    assert!(jwt::decode(t.as_bytes(), &hs(), &o).is_ok());
    let o = DecodeOptions { required: vec!["exp".into(), "jti".into()], ..opts() };
    let t = claims_token(json!({"exp": 1_800_000_000}));
    assert_eq!(jwt::decode(t.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenMissingClaim);
}

#[test]
fn exp_and_nbf_with_leeway() {
    let at = |exp: f64| claims_token(json!({"exp": exp}));
    assert!(decode_hs(&at(NOW - 59.0)).is_ok(), "within the default 60 s leeway");
    assert_eq!(decode_hs(&at(NOW - 60.0)).unwrap_err(), Error::TokenExpired);
    assert_eq!(decode_hs(&at(NOW - 3600.0)).unwrap_err(), Error::TokenExpired);
    let o = DecodeOptions { leeway: 0, ..opts() };
    assert_eq!(jwt::decode(at(NOW).as_bytes(), &hs(), &o).unwrap_err(), Error::TokenExpired);
    assert!(jwt::decode(at(NOW + 0.5).as_bytes(), &hs(), &o).is_ok());
    let nbf = |nbf: f64| claims_token(json!({"exp": NOW + 3600.0, "nbf": nbf}));
    assert!(decode_hs(&nbf(NOW + 60.0)).is_ok());
    assert_eq!(decode_hs(&nbf(NOW + 61.0)).unwrap_err(), Error::TokenNotYetValid);
}

#[test]
fn iss_aud_typ() {
    let t = hs_token(
        br#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#,
        json!({"exp": 1_800_000_000, "iss": "https://a.example", "aud": ["x", "https://a.example/wp-json"]}).to_string().as_bytes(),
    );
    let ok = DecodeOptions {
        iss: Some("https://a.example".into()),
        aud: Some("https://a.example/wp-json".into()),
        typ: Some("application/at+jwt".into()),
        ..opts()
    };
    assert!(jwt::decode(t.as_bytes(), &hs(), &ok).is_ok());
    let o = DecodeOptions { iss: Some("https://b.example".into()), ..ok.clone() };
    assert_eq!(jwt::decode(t.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenInvalidIssuer);
    let o = DecodeOptions { aud: Some("y".into()), ..ok.clone() };
    assert_eq!(jwt::decode(t.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenInvalidAudience);
    let o = DecodeOptions { typ: Some("JWT".into()), ..ok.clone() };
    assert_eq!(jwt::decode(t.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenInvalidType);
    // "application/at+jwt" in the header satisfies typ "at+jwt" (RFC 9068 §4).
    let t2 = hs_token(br#"{"alg":"HS256","typ":"application/at+jwt"}"#, br#"{"exp":1800000000,"aud":"x"}"#);
    let o = DecodeOptions { typ: Some("at+jwt".into()), aud: Some("x".into()), ..opts() };
    assert!(jwt::decode(t2.as_bytes(), &hs(), &o).is_ok());
    // A token without typ fails a typ check; aud as a non-matching string fails.
    let t3 = claims_token(json!({"exp": 1_800_000_000, "aud": "x"}));
    assert_eq!(jwt::decode(t3.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenInvalidType);
    let o = DecodeOptions { aud: Some("z".into()), ..opts() };
    assert_eq!(jwt::decode(t3.as_bytes(), &hs(), &o).unwrap_err(), Error::TokenInvalidAudience);
}

#[test]
fn round_trips_all_algorithms_and_cache() {
    let rsa_pem = std::fs::read(format!("{}/tests/fixtures/rsa2048.pem", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut jwks = vec![
        keys::generate(Alg::ES256).unwrap(),
        keys::generate(Alg::EdDSA).unwrap(),
        keys::import_pem(&rsa_pem, Alg::RS256).unwrap(),
        keys::import_pem(&rsa_pem, Alg::PS256).unwrap(),
    ];
    jwks.push(wp_oauth::keys::Jwk::from_json(hs_jwk().as_bytes()).unwrap());
    let claims = json!({"iss": "i", "exp": 4_000_000_000u64, "n": [1, 2.5, {"a": null}]}).as_object().unwrap().clone();
    for jwk in jwks {
        let private = jwk.private_json();
        let token = wp_oauth::cache::encode(&claims, private.as_bytes(), &serde_json::Map::new()).unwrap();
        let verify_with = match jwk.public_value() {
            Some(p) => p.to_string(),
            None => private.to_string(),
        };
        let got = wp_oauth::cache::decode(token.as_bytes(), verify_with.as_bytes(), &DecodeOptions::default()).unwrap();
        assert_eq!(*got, claims);
        let before = wp_oauth::cache::stats();
        let again = wp_oauth::cache::decode(token.as_bytes(), verify_with.as_bytes(), &DecodeOptions::default()).unwrap();
        assert_eq!(*again, claims);
        assert_eq!(wp_oauth::cache::stats().hits, before.hits + 1);
        // A cached token is still checked against exp.
        let late = DecodeOptions { now: Some(4_000_000_100.0), ..DecodeOptions::default() };
        assert_eq!(
            wp_oauth::cache::decode(token.as_bytes(), verify_with.as_bytes(), &late).unwrap_err(),
            Error::TokenExpired
        );
    }
}

#[test]
fn cache_key_options_are_unambiguous() {
    let a = DecodeOptions { iss: Some("ab".into()), aud: None, ..opts() };
    let b = DecodeOptions { iss: Some("a".into()), aud: Some("b".into()), ..opts() };
    let c = DecodeOptions { iss: None, aud: Some("ab".into()), ..opts() };
    assert_ne!(a.cache_bytes(), b.cache_bytes());
    assert_ne!(a.cache_bytes(), c.cache_bytes());
    let d = DecodeOptions { required: vec!["exp".into(), "jti".into()], ..opts() };
    let e = DecodeOptions { required: vec!["expjti".into()], ..opts() };
    assert_ne!(d.cache_bytes(), e.cache_bytes());
}
