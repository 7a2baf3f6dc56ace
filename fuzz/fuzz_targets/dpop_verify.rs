//! Fuzzes DPoP proof verification: arbitrary proof bytes against fixed expectations
//! (with and without an access token, nonce, jkt and body), and the same bytes as the
//! values of every `$expect` member and as an `htu` to normalize. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wp_oauth::dpop::{self, Expect, ExpectValue};

fn expect(extra: Vec<(&'static [u8], ExpectValue<'static>)>) -> Option<Expect<'static>> {
    let mut pairs: Vec<(&[u8], ExpectValue<'static>)> = vec![
        (b"htm", ExpectValue::Str(b"GET")),
        (b"htu", ExpectValue::Str(b"https://resource.example.org/protectedresource")),
        (b"now", ExpectValue::Int(1_562_262_618)),
    ];
    pairs.extend(extra);
    Expect::from_pairs(pairs).ok()
}

fuzz_target!(|data: &[u8]| {
    let plain = expect(vec![]);
    let bound = expect(vec![
        (b"access_token", ExpectValue::Str(b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")),
        (b"jkt", ExpectValue::Str(b"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")),
        (b"nonce", ExpectValue::List(vec![ExpectValue::Str(b"n-1"), ExpectValue::Str(b"n-2")])),
        (b"body", ExpectValue::Str(b"{}")),
        (b"iat_past", ExpectValue::Int(86_400)),
        (b"iat_future", ExpectValue::Int(86_400)),
        (b"max_length", ExpectValue::Int(65_536)),
    ]);
    for e in [plain, bound].iter().flatten() {
        if let Ok(p) = dpop::verify(data, e) {
            // Whatever verifies has the documented shape.
            assert_eq!(p.jkt.len(), 43);
            assert!(!p.jti.is_empty() && p.jti.len() <= dpop::MAX_JTI_LENGTH);
            let _ = p.to_map();
        }
    }
    // The bytes as expectations: refused or accepted, never a panic.
    for name in [&b"htm"[..], b"htu", b"access_token", b"nonce", b"jkt", b"algs", b"body", data] {
        let pairs: Vec<(&[u8], ExpectValue<'_>)> = vec![
            (b"htm", ExpectValue::Str(b"POST")),
            (b"htu", ExpectValue::Str(b"https://server.example.com/token")),
            (name, ExpectValue::Str(data)),
        ];
        let _ = Expect::from_pairs(pairs);
        let listed = vec![(name, ExpectValue::List(data.iter().map(|b| ExpectValue::Int(i64::from(*b))).collect()))];
        let _ = Expect::from_pairs(listed);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(n) = dpop::normalize_htu(text) {
            // Normalization is idempotent.
            assert_eq!(dpop::normalize_htu(&n).as_deref(), Some(n.as_str()));
        }
    }
});
