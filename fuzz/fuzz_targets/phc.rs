//! Fuzzes the PHC parser behind wp_oauth_secret_verify / wp_oauth_secret_needs_rehash.
//! Inputs that parse as PBKDF2 with many iterations are only parsed (needs_rehash), not
//! verified, so one slow-but-valid input does not stall the fuzzer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = wp_oauth::secret::needs_rehash(data);
    let cheap = match std::str::from_utf8(data) {
        Ok(s) => match s.split('$').nth(2).and_then(|p| p.strip_prefix("i=")) {
            Some(i) => i.parse::<u32>().map(|i| i <= 10_000).unwrap_or(true),
            None => true,
        },
        Err(_) => true,
    };
    if cheap {
        let verified = wp_oauth::secret::verify(b"secret", data);
        // Parsing and verification agree on what is malformed.
        assert_eq!(parsed.is_err(), verified.is_err());
    }
    let _ = wp_oauth::pkce::verify(data, data, b"S256");
    let _ = wp_oauth::pkce::challenge(data);
});
