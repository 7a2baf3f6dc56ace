//! Wall-clock breakdown of a cold (cache-miss) HS256/ES256 decode and an encode, by
//! stage, for docs/benchmarks-ext.md. Ignored by default; run with
//! `cargo test --release --no-default-features --test cold_path_profile -- --ignored --nocapture`.
mod common;

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Map, Value};
use wp_oauth::jwt::{self, DecodeOptions, KeySet};
use wp_oauth::{b64, cache, json, keys};

thread_local! {
    static N: std::cell::Cell<u32> = const { std::cell::Cell::new(20_000) };
}

fn ns(f: &mut dyn FnMut(u32)) -> f64 {
    let n = N.with(|n| n.get());
    let mut best = f64::INFINITY;
    for round in 0..5 {
        let t = Instant::now();
        for i in 0..n {
            f(round * n + i);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / f64::from(n));
    }
    best
}

fn claims(i: u32) -> Vec<u8> {
    format!(
        r#"{{"iss":"https://example.org","sub":"42","aud":"https://example.org/wp-json","client_id":"Yx4cEkI2yQeBfK8s","scope":"read write","jti":"jti-{i:08}-Zk3","iat":1764400000,"nbf":1764400000,"exp":1764403600,"auth_time":1764399970,"grant_id":1234}}"#
    )
    .into_bytes()
}

fn report(name: &str, jwk: &str) {
    let keys = KeySet::parse(jwk.as_bytes()).unwrap();
    let hdr: Map<String, Value> = serde_json::from_str(r#"{"typ":"at+jwt"}"#).unwrap();
    let opts = DecodeOptions { now: Some(1_764_400_100.0), ..DecodeOptions::default() };
    let tokens: Vec<String> = (0..5 * N.with(|n| n.get())).map(|i| jwt::encode_json(&claims(i), &keys, &hdr).unwrap()).collect();
    let t0 = tokens[0].as_bytes();
    let mut parts = t0.split(|b| *b == b'.');
    let (h64, p64, s64) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let (h, p, s) = (b64::url_decode(h64).unwrap(), b64::url_decode(p64).unwrap(), b64::url_decode(s64).unwrap());
    let key = keys.signing_key().unwrap().1;
    let signed = &t0[..h64.len() + 1 + p64.len()];
    println!("{name}: token {} bytes", t0.len());
    println!("  base64url decode, 3 segments  {:7.0} ns", ns(&mut |_| {
        black_box((b64::url_decode(black_box(h64)), b64::url_decode(p64), b64::url_decode(s64)));
    }));
    println!("  JSON header as a map (old)    {:7.0} ns", ns(&mut |_| {
        black_box(json::parse_object(black_box(&h)));
    }));
    println!("  JSON parse claims             {:7.0} ns", ns(&mut |_| {
        black_box(json::parse_object(black_box(&p)));
    }));
    println!("  signature verify (primitive)  {:7.0} ns", ns(&mut |_| {
        assert!(key.verify(black_box(signed), &s));
    }));
    println!("  jwt::decode (all of the above){:7.0} ns", ns(&mut |i| {
        black_box(jwt::decode(tokens[i as usize].as_bytes(), &keys, &opts).unwrap());
    }));
    cache::clear();
    println!("  cache::decode, miss           {:7.0} ns", ns(&mut |i| {
        if i % 100 == 0 {
            cache::clear();
        }
        black_box(cache::decode(tokens[i as usize].as_bytes(), jwk.as_bytes(), &opts).unwrap());
    }));
    println!("  cache::decode, hit            {:7.0} ns", ns(&mut |_| {
        black_box(cache::decode(t0, jwk.as_bytes(), &opts).unwrap());
    }));
    let c = claims(1);
    println!("  sign (primitive)              {:7.0} ns", ns(&mut |_| {
        black_box(key.sign(black_box(signed)).unwrap());
    }));
    println!("  jwt::encode_json              {:7.0} ns", ns(&mut |_| {
        black_box(jwt::encode_json(black_box(&c), &keys, &hdr).unwrap());
    }));
}

#[test]
#[ignore]
fn cold_path_breakdown() {
    report("HS256", &common::hs_jwk());
    let es = keys::generate(keys::Alg::ES256).unwrap();
    report("ES256", &es.private_json());
    N.with(|n| n.set(400));
    let pem = std::fs::read(format!("{}/tests/fixtures/rsa2048.pem", env!("CARGO_MANIFEST_DIR"))).unwrap();
    report("RS256", &keys::import_pem(&pem, keys::Alg::RS256).unwrap().private_json());
}
