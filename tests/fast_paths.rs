//! The cold-path shortcuts give the same results as the plain paths: `encode_json`
//! signs exactly what `encode` signs, and the verified-token cache (keyed by the exact
//! token bytes) hits only for the same token, key set and options.
mod common;

use common::hs_jwk;
use serde_json::{json, Map, Value};
use wp_oauth::error::Error;
use wp_oauth::jwt::{self, DecodeOptions, KeySet};
use wp_oauth::{cache, keys};

const NOW: f64 = 1_700_000_000.0;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

#[test]
fn encode_json_matches_encode() {
    let keys = KeySet::parse(hs_jwk().as_bytes()).unwrap();
    let claims = obj(json!({"iss": "i", "n": [1, 2.5, {"é": "\"\n"}], "exp": NOW + 100.0, "7": true}));
    let extra = obj(json!({"typ": "at+jwt", "x": [1]}));
    let a = jwt::encode(&claims, &keys, &extra).unwrap();
    let b = jwt::encode_json(&serde_json::to_vec(&claims).unwrap(), &keys, &extra).unwrap();
    assert_eq!(a, b);
    let header = wp_oauth::b64::url_decode(a.split('.').next().unwrap().as_bytes()).unwrap();
    assert_eq!(header, br#"{"alg":"HS256","typ":"at+jwt","x":[1],"kid":"k1"}"#.to_vec());
    for bad in [json!({"alg": "none"}), json!({"kid": "x"}), json!({"crit": ["b64"]})] {
        assert!(matches!(jwt::encode_json(b"{}", &keys, &obj(bad)), Err(Error::InvalidArgument(_))));
    }
    let opts = DecodeOptions { now: Some(NOW), ..DecodeOptions::default() };
    assert_eq!(jwt::decode(b.as_bytes(), &keys, &opts).unwrap().claims, claims);

    let es = keys::generate(keys::Alg::ES256).unwrap();
    let es_keys = KeySet::parse(es.private_json().as_bytes()).unwrap();
    let t = jwt::encode_json(br#"{"exp":1700000100}"#, &es_keys, &Map::new()).unwrap();
    assert!(jwt::decode(t.as_bytes(), &es_keys, &opts).is_ok());
}

#[test]
fn token_cache_hits_only_the_same_bytes() {
    cache::clear();
    let jwk = hs_jwk();
    let keys = KeySet::parse(jwk.as_bytes()).unwrap();
    let opts = DecodeOptions { now: Some(NOW), ..DecodeOptions::default() };
    let t1 = jwt::encode_json(br#"{"exp":1700000100,"jti":"a"}"#, &keys, &Map::new()).unwrap();
    let t2 = jwt::encode_json(br#"{"exp":1700000100,"jti":"b"}"#, &keys, &Map::new()).unwrap();
    cache::decode(t1.as_bytes(), jwk.as_bytes(), &opts).unwrap();
    cache::decode(t1.as_bytes(), jwk.as_bytes(), &opts).unwrap();
    assert_eq!((cache::stats().hits, cache::stats().misses), (1, 1));
    let c2 = cache::decode(t2.as_bytes(), jwk.as_bytes(), &opts).unwrap();
    assert_eq!(c2["jti"], "b");
    assert_eq!((cache::stats().hits, cache::stats().misses), (1, 2));
    // Other options: a different entry.
    let with_iss = DecodeOptions { iss: Some("x".into()), ..opts.clone() };
    assert_eq!(cache::decode(t1.as_bytes(), jwk.as_bytes(), &with_iss).unwrap_err(), Error::TokenInvalidIssuer);
    // A tampered copy of a cached token is verified, not served from the cache.
    let mut forged = t1.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    assert!(cache::decode(&forged, jwk.as_bytes(), &opts).is_err());
    assert_eq!(cache::stats().hits, 1);
    cache::clear();
}

#[test]
fn header_parse_keeps_the_map_rules() {
    use common::hs_token;
    let keys = KeySet::parse(hs_jwk().as_bytes()).unwrap();
    let opts = DecodeOptions { now: Some(NOW), typ: Some("at+jwt".into()), ..DecodeOptions::default() };
    let payload = br#"{"exp":1700000100}"#;
    let deep = format!(r#"{{"alg":"HS256","typ":"at+jwt","x":{}1{}}}"#, "[".repeat(32), "]".repeat(32));
    let ok_deep = format!(r#"{{"alg":"HS256","typ":"at+jwt","x":{}1{}}}"#, "[".repeat(31), "]".repeat(31));
    let cases: Vec<(String, Result<(), Error>)> = vec![
        (r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#.into(), Ok(())),
        (r#"{"\u0061lg":"HS256","typ":"application/AT+JWT"}"#.into(), Ok(())),
        (r#"{"alg":"none","alg":"HS256","typ":"at+jwt"}"#.into(), Ok(())),
        (r#"{"alg":"HS256","alg":"none","typ":"at+jwt"}"#.into(), Err(Error::TokenAlgorithmMismatch)),
        (r#"{"alg":"HS256","typ":"at+jwt","crit":[]}"#.into(), Err(Error::TokenUnsupportedCrit)),
        (r#"{"alg":"HS256","typ":"at+jwt","kid":7}"#.into(), Err(Error::TokenMalformed)),
        (r#"{"alg":"HS256","typ":"jwt"}"#.into(), Err(Error::TokenInvalidType)),
        (r#"{"alg":["HS256"],"typ":"at+jwt"}"#.into(), Err(Error::TokenAlgorithmMismatch)),
        (r#"["alg","HS256"]"#.into(), Err(Error::TokenInvalidJson)),
        (r#"{"alg":"HS256","typ":"at+jwt"} x"#.into(), Err(Error::TokenInvalidJson)),
        (deep, Err(Error::TokenInvalidJson)),
        (ok_deep, Ok(())),
    ];
    for (header, want) in cases {
        let t = hs_token(header.as_bytes(), payload);
        assert_eq!(jwt::decode(t.as_bytes(), &keys, &opts).map(|_| ()), want, "{header}");
    }
    let bad_utf8 = hs_token(b"{\"alg\":\"HS256\",\"x\":\"\xff\"}", payload);
    assert_eq!(jwt::decode(bad_utf8.as_bytes(), &keys, &opts).map(|_| ()), Err(Error::TokenInvalidJson));
}
