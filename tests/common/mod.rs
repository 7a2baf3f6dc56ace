// Shared helpers for the integration tests (included with `mod common;`).
#![allow(dead_code)]

use ring::hmac;
use serde_json::Value;

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture json")
}

pub fn b64(bytes: &[u8]) -> String {
    wp_oauth::b64::url_encode(bytes)
}

/// The HS256 test secret (32 bytes) and its JWK.
pub const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

pub fn hs_jwk() -> String {
    format!(r#"{{"kty":"oct","alg":"HS256","kid":"k1","k":"{}"}}"#, b64(SECRET))
}

/// Builds an HS256 token over raw header and payload bytes, signed with `SECRET`.
pub fn hs_token(header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

pub fn flip_bit(s: &str, index: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    // Flip within the base64url alphabet: toggle case of a letter or change a digit.
    let c = b[index];
    b[index] = match c {
        b'a'..=b'z' => c.to_ascii_uppercase(),
        b'A'..=b'Z' => c.to_ascii_lowercase(),
        b'0'..=b'8' => c + 1,
        _ => b'A',
    };
    String::from_utf8(b).unwrap()
}
