//! Strict base64: unpadded canonical base64url (RFC 7515 §2, RFC 4648 §5) and the PHC
//! "B64" alphabet (standard alphabet, no padding).
#![forbid(unsafe_code)]

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

const STRICT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(false);

/// base64url without padding; decoding refuses `=` and non-canonical trailing bits.
pub const URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, STRICT);
/// PHC B64: standard alphabet without padding, strict decoding.
pub const PHC: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, STRICT);

/// Encodes bytes as unpadded base64url.
pub fn url_encode(bytes: &[u8]) -> String {
    URL.encode(bytes)
}

/// Appends the unpadded base64url of `bytes` to `out`.
pub fn url_encode_into(bytes: &[u8], out: &mut String) {
    URL.encode_string(bytes, out)
}

/// Decodes canonical unpadded base64url; `None` on any deviation.
pub fn url_decode(text: &[u8]) -> Option<Vec<u8>> {
    URL.decode(text).ok()
}

/// Encodes bytes as PHC B64.
pub fn phc_encode(bytes: &[u8]) -> String {
    PHC.encode(bytes)
}

/// Decodes strict PHC B64; `None` on any deviation.
pub fn phc_decode(text: &[u8]) -> Option<Vec<u8>> {
    PHC.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictness() {
        assert_eq!(url_decode(b"AQ"), Some(vec![1]));
        assert_eq!(url_decode(b"AQ=="), None);
        assert_eq!(url_decode(b"AR"), None, "non-canonical trailing bits");
        assert_eq!(url_decode(b"A+"), None);
        assert_eq!(url_encode(&[0xfb, 0xff]), "-_8");
    }
}
