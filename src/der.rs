//! The few DER shapes the key formats need: a bounds-checked reader (PKCS#8, SPKI,
//! PKCS#1, SEC 1) and a writer for PKCS#8/PKCS#1 private keys built from JWK members.
#![forbid(unsafe_code)]

use crate::error::{Error, Result};

/// DER tag: SEQUENCE.
pub const SEQUENCE: u8 = 0x30;
/// DER tag: INTEGER.
pub const INTEGER: u8 = 0x02;
/// DER tag: OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// DER tag: BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// DER tag: OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;

/// OID 1.2.840.113549.1.1.1 rsaEncryption (RFC 8017 Appendix C).
pub const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// OID 1.2.840.10045.2.1 id-ecPublicKey (RFC 5480 §2.1.1).
pub const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// OID 1.2.840.10045.3.1.7 secp256r1 (RFC 5480 §2.1.1.1).
pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// OID 1.3.101.112 Ed25519 (RFC 8410 §3).
pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const BAD: Error = Error::InvalidKey("malformed DER");

/// A cursor over DER bytes.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Whether all bytes were consumed.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element with `tag` and returns its contents.
    ///
    /// Errors: [`Error::InvalidKey`] on a different tag, a bad length or truncation.
    pub fn read(&mut self, tag: u8) -> Result<&'a [u8]> {
        let (&t, rest) = self.rest.split_first().ok_or(BAD)?;
        if t != tag {
            return Err(BAD);
        }
        let (&l0, mut rest) = rest.split_first().ok_or(BAD)?;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 3 {
                return Err(BAD);
            }
            let (len_bytes, r) = rest.split_at_checked(n).ok_or(BAD)?;
            rest = r;
            let len = len_bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
            if len < 0x80 || len_bytes.first() == Some(&0) {
                return Err(BAD); // not minimal: not DER
            }
            len
        };
        let (content, rest) = rest.split_at_checked(len).ok_or(BAD)?;
        self.rest = rest;
        Ok(content)
    }

    /// Reads an INTEGER as unsigned big-endian bytes without leading zeros (non-negative only).
    ///
    /// Errors: [`Error::InvalidKey`].
    pub fn read_uint(&mut self) -> Result<&'a [u8]> {
        let c = self.read(INTEGER)?;
        match c {
            [] => Err(BAD),
            [b, ..] if b & 0x80 != 0 => Err(BAD),
            [0] => Ok(c),
            [0, rest @ ..] => Ok(rest),
            _ => Ok(c),
        }
    }
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Appends one element.
pub fn write(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// Appends an unsigned big-endian integer as a DER INTEGER.
pub fn write_uint(out: &mut Vec<u8>, value: &[u8]) {
    let skip = value.iter().take_while(|b| **b == 0).count();
    let v = value.get(skip..).unwrap_or(&[]);
    let mut content = Vec::with_capacity(v.len() + 1);
    if v.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(v);
    write(out, INTEGER, &content);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_uint() {
        for v in [&[][..], &[0][..], &[0x7f], &[0x80], &[0, 0, 1, 2]] {
            let mut out = Vec::new();
            write_uint(&mut out, v);
            let got = Reader::new(&out).read_uint().unwrap().to_vec();
            let skip = v.iter().take_while(|b| **b == 0).count();
            let want: Vec<u8> = if skip == v.len() { vec![0] } else { v[skip..].to_vec() };
            assert_eq!(got, want);
        }
        let mut long = Vec::new();
        write(&mut long, OCTET_STRING, &[1u8; 300]);
        assert_eq!(Reader::new(&long).read(OCTET_STRING).unwrap().len(), 300);
        assert!(Reader::new(&[0x04, 0x81, 0x05]).read(OCTET_STRING).is_err());
        assert!(Reader::new(&[0x04, 0x85, 0xff, 0xff, 0xff, 0xff, 0xff]).read(OCTET_STRING).is_err());
    }
}
