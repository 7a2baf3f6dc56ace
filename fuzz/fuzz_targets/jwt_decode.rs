//! Fuzzes the JWT parser/validator: arbitrary token bytes against fixed HS256, ES256 and
//! EdDSA key sets, with and without the verified-token cache. Also feeds the bytes as a
//! key set and as decode options. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wp_oauth::jwt::{self, DecodeOptions, KeySet};

const HS: &str = r#"{"kty":"oct","alg":"HS256","kid":"k1","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}"#;
const ES: &str = r#"{"kty":"EC","alg":"ES256","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const ED: &str = r#"{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

thread_local! {
    // Parsed key objects are not Send (the PHP worker is single-threaded), so thread-local.
    static SETS: Vec<KeySet> = {
        let mut v = Vec::new();
        for k in [HS, ES, ED] {
            if let Ok(s) = KeySet::parse(k.as_bytes()) {
                v.push(s);
            }
        }
        if let Ok(s) = KeySet::parse(format!(r#"{{"keys":[{HS},{ES},{ED}]}}"#).as_bytes()) {
            v.push(s);
        }
        v
    };
}

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions { now: Some(1_300_819_000.0), ..DecodeOptions::default() };
    SETS.with(|sets| {
        for set in sets {
            let _ = jwt::decode(data, set, &opts);
        }
    });
    let _ = wp_oauth::cache::decode(data, HS.as_bytes(), &opts);
    let _ = KeySet::parse(data);
    let _ = wp_oauth::keys::Jwk::from_json(data).map(|j| (j.thumbprint(), j.public_value()));
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = DecodeOptions::from_map(&m);
    }
});
