//! A `jsonwebtoken` [`CryptoProvider`] backed by ring, so that ring is the only
//! cryptography in the build (no aws-lc, RustCrypto `rsa`/`p256`/`ed25519-dalek`/`hmac`/`sha2`).
//!
//! Supported: HS256 (RFC 7518 §3.2), ES256 (§3.4), RS256 (§3.3), PS256 (§3.5) and EdDSA
//! with Ed25519 (RFC 8037 §3.1). Signers and verifiers hold ring's parsed key objects; the
//! key module builds them once per key and keeps them.
#![forbid(unsafe_code)]

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature::{Error as SigError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use ring::{digest, hmac};

use crate::der::{Reader, SEQUENCE};

/// The ring-backed provider; installed process-wide by [`install`].
pub static RING_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
    verifier_factory: new_verifier,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: rsa_components_from_private,
        rsa_pub_components_from_public_key: rsa_components_from_public,
        ec_pub_components_from_private_key: ec_components_from_private,
        ed_pub_components_from_private_key: ed_components_from_private,
        compute_digest,
    },
};

/// Installs [`RING_PROVIDER`] as jsonwebtoken's process default (idempotent).
pub fn install() {
    // Err means a provider is already installed: ours, as nothing else installs one.
    let _ = RING_PROVIDER.install_default();
}

fn bad(kind: ErrorKind) -> JwtError {
    kind.into()
}

fn rsa_components_from_private(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), JwtError> {
    let err = || bad(ErrorKind::InvalidRsaKey("malformed PKCS#1 private key".into()));
    let mut outer = Reader::new(der);
    let mut seq = Reader::new(outer.read(SEQUENCE).map_err(|_| err())?);
    seq.read_uint().map_err(|_| err())?;
    let n = seq.read_uint().map_err(|_| err())?.to_vec();
    let e = seq.read_uint().map_err(|_| err())?.to_vec();
    Ok((n, e))
}

fn rsa_components_from_public(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), JwtError> {
    let err = || bad(ErrorKind::InvalidRsaKey("malformed PKCS#1 public key".into()));
    let mut outer = Reader::new(der);
    let mut seq = Reader::new(outer.read(SEQUENCE).map_err(|_| err())?);
    let n = seq.read_uint().map_err(|_| err())?.to_vec();
    let e = seq.read_uint().map_err(|_| err())?.to_vec();
    Ok((n, e))
}

fn ec_components_from_private(
    der: &[u8],
    alg: Algorithm,
) -> Result<(EllipticCurve, Vec<u8>, Vec<u8>), JwtError> {
    if alg != Algorithm::ES256 {
        return Err(bad(ErrorKind::UnsupportedAlgorithm));
    }
    let pair = sig::EcdsaKeyPair::from_pkcs8(
        &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        der,
        &SystemRandom::new(),
    )
    .map_err(|_| bad(ErrorKind::InvalidEcdsaKey))?;
    match pair.public_key().as_ref() {
        [4, xy @ ..] if xy.len() == 64 => {
            let (x, y) = xy.split_at(32);
            Ok((EllipticCurve::P256, x.to_vec(), y.to_vec()))
        }
        _ => Err(bad(ErrorKind::InvalidEcdsaKey)),
    }
}

fn ed_components_from_private(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>, JwtError> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(bad(ErrorKind::InvalidAlgorithm));
    }
    let pair = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
        .map_err(|_| bad(ErrorKind::InvalidEddsaKey))?;
    Ok(pair.public_key().as_ref().to_vec())
}

fn compute_digest(data: &[u8], hash: ThumbprintHash) -> Result<Vec<u8>, JwtError> {
    let alg = match hash {
        ThumbprintHash::SHA256 => &digest::SHA256,
        ThumbprintHash::SHA384 => &digest::SHA384,
        ThumbprintHash::SHA512 => &digest::SHA512,
        _ => return Err(bad(ErrorKind::UnsupportedAlgorithm)),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

enum SignKey {
    Hmac(hmac::Key),
    Ecdsa(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
    Rsa(sig::RsaKeyPair, &'static dyn sig::RsaEncoding),
}

struct RingSigner {
    alg: Algorithm,
    key: SignKey,
    rng: SystemRandom,
}

impl Signer<Vec<u8>> for RingSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, SigError> {
        match &self.key {
            SignKey::Hmac(k) => Ok(hmac::sign(k, msg).as_ref().to_vec()),
            SignKey::Ecdsa(k) => k
                .sign(&self.rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SigError::new()),
            SignKey::Ed25519(k) => Ok(k.sign(msg).as_ref().to_vec()),
            SignKey::Rsa(k, padding) => {
                let mut out = vec![0u8; k.public().modulus_len()];
                k.sign(*padding, &self.rng, msg, &mut out)
                    .map_err(|_| SigError::new())?;
                Ok(out)
            }
        }
    }
}

impl JwtSigner for RingSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// Builds a ring signer. Key bytes: HMAC secret; PKCS#8 for ES256 and EdDSA (v1 or v2);
/// PKCS#1 `RSAPrivateKey` DER for RS256/PS256.
fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, JwtError> {
    let bytes = key.as_bytes();
    let sign_key = match (alg, key.family()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac) => {
            SignKey::Hmac(hmac::Key::new(hmac::HMAC_SHA256, bytes))
        }
        (Algorithm::ES256, AlgorithmFamily::Ec) => SignKey::Ecdsa(
            sig::EcdsaKeyPair::from_pkcs8(
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                bytes,
                &SystemRandom::new(),
            )
            .map_err(|_| bad(ErrorKind::InvalidEcdsaKey))?,
        ),
        (Algorithm::EdDSA, AlgorithmFamily::Ed) => SignKey::Ed25519(
            sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                .map_err(|_| bad(ErrorKind::InvalidEddsaKey))?,
        ),
        (Algorithm::RS256 | Algorithm::PS256, AlgorithmFamily::Rsa) => {
            let pair = sig::RsaKeyPair::from_der(bytes)
                .map_err(|_| bad(ErrorKind::InvalidRsaKey("rejected by ring".into())))?;
            let padding: &'static dyn sig::RsaEncoding = if *alg == Algorithm::RS256 {
                &sig::RSA_PKCS1_SHA256
            } else {
                &sig::RSA_PSS_SHA256
            };
            SignKey::Rsa(pair, padding)
        }
        (Algorithm::HS256 | Algorithm::ES256 | Algorithm::EdDSA | Algorithm::RS256 | Algorithm::PS256, _) => {
            return Err(bad(ErrorKind::InvalidKeyFormat))
        }
        _ => return Err(bad(ErrorKind::UnsupportedAlgorithm)),
    };
    Ok(Box::new(RingSigner { alg: *alg, key: sign_key, rng: SystemRandom::new() }))
}

enum VerifyKey {
    Hmac(hmac::Key),
    Unparsed(&'static dyn sig::VerificationAlgorithm, Vec<u8>),
    RsaComponents(&'static sig::RsaParameters, Vec<u8>, Vec<u8>),
}

struct RingVerifier {
    alg: Algorithm,
    key: VerifyKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), SigError> {
        let ok = match &self.key {
            VerifyKey::Hmac(k) => hmac::verify(k, msg, signature).is_ok(),
            VerifyKey::Unparsed(alg, public) => sig::UnparsedPublicKey::new(*alg, public)
                .verify(msg, signature)
                .is_ok(),
            VerifyKey::RsaComponents(params, n, e) => sig::RsaPublicKeyComponents { n, e }
                .verify(params, msg, signature)
                .is_ok(),
        };
        if ok {
            Ok(())
        } else {
            Err(SigError::new())
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// Builds a ring verifier. Key bytes: HMAC secret; uncompressed SEC 1 point for ES256;
/// the 32-byte public key for EdDSA; (n, e) or PKCS#1 `RSAPublicKey` DER for RS256/PS256.
fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, JwtError> {
    let rsa_params: &'static sig::RsaParameters = match alg {
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        _ => &sig::RSA_PKCS1_2048_8192_SHA256,
    };
    let verify_key = match (alg, key.family(), key.kind()) {
        (Algorithm::HS256, AlgorithmFamily::Hmac, DecodingKeyKind::SecretOrDer(s)) => {
            VerifyKey::Hmac(hmac::Key::new(hmac::HMAC_SHA256, s))
        }
        (Algorithm::ES256, AlgorithmFamily::Ec, DecodingKeyKind::SecretOrDer(p)) => {
            VerifyKey::Unparsed(&sig::ECDSA_P256_SHA256_FIXED, p.clone())
        }
        (Algorithm::EdDSA, AlgorithmFamily::Ed, DecodingKeyKind::SecretOrDer(p)) => {
            VerifyKey::Unparsed(&sig::ED25519, p.clone())
        }
        (Algorithm::RS256 | Algorithm::PS256, AlgorithmFamily::Rsa, DecodingKeyKind::SecretOrDer(der)) => {
            VerifyKey::Unparsed(rsa_params, der.clone())
        }
        (
            Algorithm::RS256 | Algorithm::PS256,
            AlgorithmFamily::Rsa,
            DecodingKeyKind::RsaModulusExponent { n, e },
        ) => VerifyKey::RsaComponents(rsa_params, n.clone(), e.clone()),
        (Algorithm::HS256 | Algorithm::ES256 | Algorithm::EdDSA | Algorithm::RS256 | Algorithm::PS256, _, _) => {
            return Err(bad(ErrorKind::InvalidKeyFormat))
        }
        _ => return Err(bad(ErrorKind::UnsupportedAlgorithm)),
    };
    Ok(Box::new(RingVerifier { alg: *alg, key: verify_key }))
}
