//! DPoP proof verification (RFC 9449) against known answers and against proofs made by an
//! independent implementation (tests/fixtures/make_dpop_cases.py, pyca/cryptography).
mod common;

use common::{b64, fixture};
use serde_json::Value;
use wp_oauth::dpop::{self, Expect, ExpectValue};
use wp_oauth::error::Error;
use wp_oauth::keys::Jwk;

fn expect_value(v: &Value) -> ExpectValue<'_> {
    match v {
        Value::String(s) => ExpectValue::Str(s.as_bytes()),
        Value::Number(n) => n.as_i64().map(ExpectValue::Int).unwrap_or(ExpectValue::Other),
        Value::Array(a) => ExpectValue::List(a.iter().map(expect_value).collect()),
        _ => ExpectValue::Other,
    }
}

/// Builds `Expect` from JSON objects, later ones overriding earlier ones.
fn expect_from<'a>(layers: &[&'a serde_json::Map<String, Value>]) -> Result<Expect<'a>, Error> {
    let mut merged: Vec<(&'a str, &'a Value)> = Vec::new();
    for layer in layers {
        for (k, v) in layer.iter() {
            merged.retain(|(name, _)| *name != k.as_str());
            merged.push((k.as_str(), v));
        }
    }
    Expect::from_pairs(merged.into_iter().map(|(k, v)| (k.as_bytes(), expect_value(v))))
}

fn rfc_expect(p: &Value, access_token: Option<&str>) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("htm".into(), p["htm"].clone());
    m.insert("htu".into(), p["htu"].clone());
    m.insert("now".into(), p["iat"].clone());
    if let Some(t) = access_token {
        m.insert("access_token".into(), Value::String(t.into()));
    }
    m
}

/// Flips the lowest bit of one decoded byte of a segment and re-encodes it.
fn flip(proof: &str, segment: usize, byte: usize) -> String {
    let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
    let mut bytes = wp_oauth::b64::url_decode(parts[segment].as_bytes()).unwrap();
    bytes[byte] ^= 0x01;
    parts[segment] = b64(&bytes);
    parts.join(".")
}

#[test]
fn rfc9449_thumbprint_and_access_token_hash() {
    let v = fixture("rfc9449.json");
    // §6.1 Figure 9: the jkt of the example key.
    let jwk = Jwk::from_value(&v["jwk"]).unwrap();
    assert_eq!(jwk.thumbprint(), v["jkt"].as_str().unwrap());
    // §7.1 Figure 13/14: ath of the example access token.
    let token = v["access_token"].as_str().unwrap();
    assert_eq!(dpop::access_token_hash(token.as_bytes()), v["ath"].as_str().unwrap());
    // One bit flipped: a different answer.
    let mut other = token.as_bytes().to_vec();
    other[0] ^= 0x01;
    assert_ne!(dpop::access_token_hash(&other), v["ath"].as_str().unwrap());
    let mut x = wp_oauth::b64::url_decode(v["jwk"]["x"].as_str().unwrap().as_bytes()).unwrap();
    x[31] ^= 0x01;
    let mut flipped = v["jwk"].clone();
    flipped["x"] = Value::String(b64(&x));
    assert_ne!(Jwk::from_value(&flipped).unwrap().thumbprint(), v["jkt"].as_str().unwrap());
}

#[test]
fn rfc9449_example_proofs() {
    let v = fixture("rfc9449.json");
    let token = v["access_token"].as_str().unwrap();
    for p in v["proofs"].as_array().unwrap() {
        let name = p["figure"].as_str().unwrap();
        let proof = p["proof"].as_str().unwrap();
        let with_token = p.get("with_access_token").is_some();
        let base = rfc_expect(p, with_token.then_some(token));
        let e = expect_from(&[&base]).unwrap();
        let got = dpop::verify(proof.as_bytes(), &e).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(got.jkt, v["jkt"].as_str().unwrap(), "{name}");
        assert_eq!(got.jti, p["jti"].as_str().unwrap(), "{name}");
        assert_eq!(got.iat, p["iat"].as_i64().unwrap(), "{name}");
        assert_eq!(got.htu, p["htu"].as_str().unwrap());
        assert_eq!(got.alg.name(), "ES256");
        assert_eq!(Value::Object(got.jwk.clone()), serde_json::json!({"crv": "P-256", "kty": "EC", "x": v["jwk"]["x"], "y": v["jwk"]["y"]}));
        assert_eq!(got.ath.as_deref(), with_token.then(|| v["ath"].as_str().unwrap()), "{name}");
        // The binding check of §7.1 with the right and a wrong jkt.
        let mut bound = base.clone();
        bound.insert("jkt".into(), v["jkt"].clone());
        assert!(dpop::verify(proof.as_bytes(), &expect_from(&[&bound]).unwrap()).is_ok());
        bound.insert("jkt".into(), Value::String("euv33_zFxq1Z6e34Oi4oh2OTttK3uv7nO1I1q_5zVr8".into()));
        assert_eq!(dpop::verify(proof.as_bytes(), &expect_from(&[&bound]).unwrap()).unwrap_err(), Error::DpopJktMismatch);
        // One bit flipped in the signature, the header and the payload: refused.
        let bad = flip(proof, 2, 10);
        assert_eq!(dpop::verify(bad.as_bytes(), &e).unwrap_err(), Error::TokenInvalidSignature, "{name}");
        for (segment, byte) in [(0, 0), (0, 20), (0, 60), (1, 3), (1, 30)] {
            assert!(dpop::verify(flip(proof, segment, byte).as_bytes(), &e).is_err(), "{name} {segment}/{byte}");
        }
        // A minute past the default window: stale.
        let mut late = base.clone();
        late.insert("now".into(), Value::from(p["iat"].as_i64().unwrap() + 61));
        assert_eq!(dpop::verify(proof.as_bytes(), &expect_from(&[&late]).unwrap()).unwrap_err(), Error::DpopStaleIat);
    }
    // Figure 13 with another access token, or none: the ath check.
    let p = &v["proofs"][2];
    let other = rfc_expect(p, Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxV"));
    assert_eq!(
        dpop::verify(p["proof"].as_str().unwrap().as_bytes(), &expect_from(&[&other]).unwrap()).unwrap_err(),
        Error::DpopAthMismatch
    );
    // Figure 2 presented with an access token: it has no ath.
    let p = &v["proofs"][0];
    let with = rfc_expect(p, Some(token));
    assert_eq!(
        dpop::verify(p["proof"].as_str().unwrap().as_bytes(), &expect_from(&[&with]).unwrap()).unwrap_err(),
        Error::DpopAthMissing
    );
}

#[test]
fn independent_cases() {
    let v = fixture("dpop_cases.json");
    let base = v["expect"].as_object().unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() > 60);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let e = expect_from(&[base, case["expect"].as_object().unwrap()]).unwrap_or_else(|err| panic!("{name}: {err}"));
        let got = dpop::verify(case["proof"].as_str().unwrap().as_bytes(), &e);
        match case["error"].as_str() {
            Some(error) => assert_eq!(got.map(|p| p.jti).map_err(|e| e.name()), Err(error), "{name}"),
            None => {
                let p = got.unwrap_or_else(|err| panic!("{name}: {err}"));
                let r = &case["result"];
                assert_eq!(p.jkt, r["jkt"].as_str().unwrap(), "{name}");
                assert_eq!(p.jti, r["jti"].as_str().unwrap(), "{name}");
                assert_eq!(p.iat, r["iat"].as_i64().unwrap(), "{name}");
                assert_eq!(p.alg.name(), r["alg"].as_str().unwrap(), "{name}");
                assert_eq!(p.ath.as_deref(), r["ath"].as_str(), "{name}");
                assert_eq!(p.nonce.as_deref(), r["nonce"].as_str(), "{name}");
                let map = p.to_map();
                assert_eq!(map.keys().collect::<Vec<_>>(), ["jkt", "jti", "iat", "htm", "htu", "alg", "nonce", "ath", "jwk", "claims"]);
                assert_eq!(map["claims"]["jti"], r["jti"]);
            }
        }
    }
}

#[test]
fn every_dpop_error_has_a_case() {
    let v = fixture("dpop_cases.json");
    let seen: Vec<&str> = v["cases"].as_array().unwrap().iter().filter_map(|c| c["error"].as_str()).collect();
    for e in Error::all() {
        if e.name().starts_with("dpop_") {
            assert!(seen.contains(&e.name()), "no fixture for {}", e.name());
        }
    }
}

#[test]
fn the_same_proof_is_refused_elsewhere() {
    let v = fixture("dpop_cases.json");
    let base = v["expect"].as_object().unwrap();
    let proof = v["cases"].as_array().unwrap().iter().find(|c| c["name"] == "es256_valid").unwrap()["proof"].as_str().unwrap();
    for (name, value, error) in [
        ("htm", "PUT", Error::DpopHtmMismatch),
        ("htu", "https://server.example.com/token/", Error::DpopHtuMismatch),
        ("htu", "https://server.example.com:8443/token", Error::DpopHtuMismatch),
        ("htu", "https://server.example.net/token", Error::DpopHtuMismatch),
    ] {
        let mut o = serde_json::Map::new();
        o.insert(name.into(), Value::String(value.into()));
        assert_eq!(dpop::verify(proof.as_bytes(), &expect_from(&[base, &o]).unwrap()).unwrap_err(), error, "{name}={value}");
    }
    // The expected URI is normalized too: case, default port, query and fragment.
    let mut o = serde_json::Map::new();
    o.insert("htu".into(), Value::String("HTTPS://SERVER.example.com:443/token?q#f".into()));
    assert!(dpop::verify(proof.as_bytes(), &expect_from(&[base, &o]).unwrap()).is_ok());
    // max_length applies before anything is decoded.
    o.insert("max_length".into(), Value::from(proof.len() - 1));
    assert_eq!(dpop::verify(proof.as_bytes(), &expect_from(&[base, &o]).unwrap()).unwrap_err(), Error::TokenTooLong);
    // The proof against the system clock: its iat is in 2023, so it is stale.
    let mut no_now = base.clone();
    no_now.remove("now");
    assert_eq!(dpop::verify(proof.as_bytes(), &expect_from(&[&no_now]).unwrap()).unwrap_err(), Error::DpopStaleIat);
}

#[test]
fn garbage_never_panics() {
    let v = fixture("dpop_cases.json");
    let base = v["expect"].as_object().unwrap();
    let e = expect_from(&[base]).unwrap();
    let proof = v["cases"][0]["proof"].as_str().unwrap().as_bytes().to_vec();
    for i in 0..proof.len() {
        for bit in [0x01u8, 0x20, 0x80] {
            let mut p = proof.clone();
            p[i] ^= bit;
            assert!(dpop::verify(&p, &e).is_err(), "byte {i} bit {bit}");
        }
        assert!(dpop::verify(&proof[..i], &e).is_err());
    }
    for junk in [&b""[..], b".", b"..", b"...", b"a.b.c", b"\xff.\xff.\xff", b"e30.e30.", b"e30.e30.e30"] {
        assert!(dpop::verify(junk, &e).is_err());
    }
}

/// A proof whose header names `Ed25519` (RFC 9864 §2.2), as oauth4webapi sends for Ed25519 keys,
/// signed here with ring directly from a fixed seed (not through this crate's JWT code).
#[test]
fn fully_specified_ed25519_name_is_accepted_as_eddsa() {
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let pair = Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).unwrap();
    let x = b64(pair.public_key().as_ref());
    let sign = |alg: &str| {
        let header = format!(r#"{{"typ":"dpop+jwt","alg":"{alg}","jwk":{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}}}"#);
        let payload = r#"{"jti":"e1d2c3","htm":"GET","htu":"https://wp.example/wp-json/wp/v2/posts","iat":1700000000}"#;
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let sig = pair.sign(input.as_bytes());
        format!("{input}.{}", b64(sig.as_ref()))
    };
    let mut m = serde_json::Map::new();
    m.insert("htm".into(), Value::String("GET".into()));
    m.insert("htu".into(), Value::String("https://wp.example/wp-json/wp/v2/posts".into()));
    m.insert("now".into(), Value::from(1700000000));
    let expect = expect_from(&[&m]).unwrap();
    let fully = dpop::verify(sign("Ed25519").as_bytes(), &expect).unwrap();
    let classic = dpop::verify(sign("EdDSA").as_bytes(), &expect).unwrap();
    assert_eq!(fully.jkt, classic.jkt);
    // The name maps to EdDSA only: an Ed25519 key under another name is still refused.
    assert!(matches!(dpop::verify(sign("Ed448").as_bytes(), &expect), Err(Error::DpopInvalidAlg)));
    assert!(matches!(dpop::verify(flip(&sign("Ed25519"), 2, 3).as_bytes(), &expect), Err(Error::TokenInvalidSignature)));
}
