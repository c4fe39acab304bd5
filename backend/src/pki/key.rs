//! Private keys as users upload them (PKCS#8, PKCS#1, SEC1), their public
//! halves, and the public keys of certificates, so the two can be compared.
//!
//! RSA is compared on modulus and exponent read from the key itself (any
//! size). EC P-256/P-384 and Ed25519 keys are loaded by ring (through rcgen),
//! which checks that the private and public halves belong together; other
//! curves fall back to the public point stored in the key.

use rcgen::{
    KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, PKCS_RSA_SHA256, SignatureAlgorithm,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::Zeroizing;

use super::PkiError;
use super::der::{self, BIT_STRING, CONTEXT_0, CONTEXT_1, OCTET_STRING, OID, Reader, SEQUENCE};
use super::pem;

/// rsaEncryption, 1.2.840.113549.1.1.1
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-RSASSA-PSS, 1.2.840.113549.1.1.10
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
/// id-ecPublicKey, 1.2.840.10045.2.1
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 (P-256), 1.2.840.10045.3.1.7
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 (P-384), 1.3.132.0.34
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// id-Ed25519, 1.3.101.112
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// A public key, in the form both sides can be compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// Modulus and exponent without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Curve OID and the encoded point.
    Ec {
        curve: Vec<u8>,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

enum Kind {
    Rsa { n: Vec<u8>, e: Vec<u8>, pss: bool },
    Ec { curve: Vec<u8>, point: Option<Vec<u8>> },
    Ed25519,
}

/// A parsed private key; the DER is held as PKCS#8 (wrapped when it came as
/// PKCS#1 or SEC1) in a buffer zeroised on drop.
pub(crate) struct PrivateKey {
    kind: Kind,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

fn bad(what: &'static str) -> impl Fn(der::DerError) -> PkiError {
    move |_| PkiError::Key(what)
}

fn oid_name(oid: &[u8]) -> String {
    x509_parser::der_parser::oid::Oid::new(std::borrow::Cow::Borrowed(oid)).to_id_string()
}

fn curve_name(curve: &[u8]) -> String {
    match curve {
        OID_P256 => "P-256".to_owned(),
        OID_P384 => "P-384".to_owned(),
        other => oid_name(other),
    }
}

impl PrivateKey {
    /// The one private key block in `text`.
    pub fn from_pem(text: &str) -> Result<Self, PkiError> {
        let mut keys = pem::blocks(text)?.into_iter().filter(|block| block.label.ends_with("PRIVATE KEY"));
        let block = keys.next().ok_or(PkiError::Key("no PRIVATE KEY block"))?;
        if keys.next().is_some() {
            return Err(PkiError::Key("more than one private key block"));
        }
        if block.encrypted || block.label == "ENCRYPTED PRIVATE KEY" {
            return Err(PkiError::EncryptedKey);
        }
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8(&block.der),
            "RSA PRIVATE KEY" => Self::from_pkcs1(&block.der),
            "EC PRIVATE KEY" => Self::from_sec1(&block.der, None),
            other => Err(PkiError::UnsupportedKey(format!("{other} blocks"))),
        }
    }

    /// `RSAPrivateKey` (RFC 8017 A.1.2).
    fn from_pkcs1(der: &[u8]) -> Result<Self, PkiError> {
        let (n, e) = rsa_private_key(der)?;
        let pkcs8 = der::wrap_pkcs8(&der::rsa_algorithm(), der);
        Ok(Self { kind: Kind::Rsa { n, e, pss: false }, pkcs8 })
    }

    /// `ECPrivateKey` (RFC 5915); `curve` from the PKCS#8 wrapper if any.
    fn from_sec1(der: &[u8], outer_curve: Option<&[u8]>) -> Result<Self, PkiError> {
        let mut outer = Reader::new(der);
        let mut key = Reader::new(outer.expect(SEQUENCE, "ECPrivateKey").map_err(bad("not an ECPrivateKey"))?);
        outer.finish("trailing data").map_err(bad("trailing data after the EC key"))?;
        if key.small("version").map_err(bad("bad EC key version"))? != 1 {
            return Err(PkiError::Key("unsupported EC key version"));
        }
        let scalar = key.expect(OCTET_STRING, "privateKey").map_err(bad("EC key without private key"))?;
        if scalar.is_empty() {
            return Err(PkiError::Key("EC key without private key"));
        }
        let inner_curve = match key.optional(CONTEXT_0).map_err(bad("bad EC parameters"))? {
            Some(params) => {
                let mut params = Reader::new(params);
                Some(params.expect(OID, "named curve").map_err(bad("EC parameters are not a named curve"))?)
            }
            None => None,
        };
        let point = match key.optional(CONTEXT_1).map_err(bad("bad EC public key"))? {
            Some(public) => Some(bit_string(Reader::new(public).expect(BIT_STRING, "publicKey"))?.to_vec()),
            None => None,
        };
        let curve = match (inner_curve, outer_curve) {
            (Some(inner), Some(outer)) if inner != outer => return Err(PkiError::Key("EC key names two curves")),
            (Some(curve), _) | (None, Some(curve)) => curve.to_vec(),
            (None, None) => return Err(PkiError::Key("EC key without its curve")),
        };
        let pkcs8 = der::wrap_pkcs8(&der::ec_algorithm(&curve), der);
        Ok(Self { kind: Kind::Ec { curve, point }, pkcs8 })
    }

    /// `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5208, RFC 5958).
    fn from_pkcs8(der: &[u8]) -> Result<Self, PkiError> {
        let mut outer = Reader::new(der);
        let mut info = Reader::new(outer.expect(SEQUENCE, "PrivateKeyInfo").map_err(bad("not a PKCS#8 key"))?);
        outer.finish("trailing data").map_err(bad("trailing data after the key"))?;
        let version = info.small("version").map_err(bad("bad PKCS#8 version"))?;
        if version > 1 {
            return Err(PkiError::Key("unsupported PKCS#8 version"));
        }
        let mut algorithm =
            Reader::new(info.expect(SEQUENCE, "AlgorithmIdentifier").map_err(bad("bad key algorithm"))?);
        let oid = algorithm.expect(OID, "algorithm").map_err(bad("bad key algorithm"))?;
        let inner = info.expect(OCTET_STRING, "privateKey").map_err(bad("PKCS#8 key without private key"))?;
        match oid {
            OID_RSA | OID_RSA_PSS => {
                let (n, e) = rsa_private_key(inner)?;
                let pkcs8 = der::wrap_pkcs8(&der::rsa_algorithm(), inner);
                Ok(Self { kind: Kind::Rsa { n, e, pss: oid == OID_RSA_PSS }, pkcs8 })
            }
            OID_EC_PUBLIC_KEY => {
                let curve = algorithm.expect(OID, "named curve").map_err(bad("EC parameters are not a named curve"))?;
                Self::from_sec1(inner, Some(curve))
            }
            OID_ED25519 => {
                let seed = Reader::new(inner).expect(OCTET_STRING, "seed").map_err(bad("bad Ed25519 key"))?;
                if seed.len() != 32 {
                    return Err(PkiError::Key("bad Ed25519 key"));
                }
                Ok(Self { kind: Kind::Ed25519, pkcs8: Zeroizing::new(der.to_vec()) })
            }
            other => Err(PkiError::UnsupportedKey(format!("key algorithm {}", oid_name(other)))),
        }
    }

    /// The key loaded for signing, with its default signature algorithm.
    pub fn key_pair(&self) -> Result<KeyPair, PkiError> {
        let algorithm: &'static SignatureAlgorithm = match &self.kind {
            Kind::Rsa { pss: false, .. } => &PKCS_RSA_SHA256,
            Kind::Rsa { pss: true, .. } => return Err(PkiError::UnsupportedKey("RSA-PSS keys for signing".to_owned())),
            Kind::Ec { curve, .. } if curve == OID_P256 => &PKCS_ECDSA_P256_SHA256,
            Kind::Ec { curve, .. } if curve == OID_P384 => &PKCS_ECDSA_P384_SHA384,
            Kind::Ec { curve, .. } => {
                return Err(PkiError::UnsupportedKey(format!("EC keys on curve {}", curve_name(curve))));
            }
            Kind::Ed25519 => &PKCS_ED25519,
        };
        KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(self.pkcs8.as_slice()), algorithm).map_err(
            |_| match &self.kind {
                Kind::Rsa { n, .. } => {
                    PkiError::UnsupportedKey(format!("RSA keys of {} bits for signing (2048 to 4096)", bits(n)))
                }
                Kind::Ec { point: None, .. } => {
                    PkiError::Key("the EC key lacks its public key (export it again with `openssl ec`)")
                }
                _ => PkiError::Key("the private and public parts of the key do not belong together"),
            },
        )
    }

    /// The public half.
    pub fn public_key(&self) -> Result<PublicKey, PkiError> {
        match &self.kind {
            Kind::Rsa { n, e, .. } => Ok(PublicKey::Rsa { n: n.clone(), e: e.clone() }),
            Kind::Ec { curve, .. } if curve == OID_P256 || curve == OID_P384 => {
                Ok(PublicKey::Ec { curve: curve.clone(), point: self.key_pair()?.public_key_raw().to_vec() })
            }
            Kind::Ec { curve, point: Some(point) } => Ok(PublicKey::Ec { curve: curve.clone(), point: point.clone() }),
            Kind::Ec { curve, point: None } => Err(PkiError::UnsupportedKey(format!(
                "EC keys on curve {} without their public key",
                curve_name(curve)
            ))),
            Kind::Ed25519 => Ok(PublicKey::Ed25519(self.key_pair()?.public_key_raw().to_vec())),
        }
    }
}

fn bits(n: &[u8]) -> usize {
    n.first().map_or(0, |top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

fn bit_string(value: Result<&[u8], der::DerError>) -> Result<&[u8], PkiError> {
    match value.map_err(bad("bad EC public key"))?.split_first() {
        Some((0, point)) if !point.is_empty() => Ok(point),
        _ => Err(PkiError::Key("bad EC public key")),
    }
}

/// Modulus and public exponent of an `RSAPrivateKey`, after checking that
/// the private fields are all there.
fn rsa_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), PkiError> {
    let mut outer = Reader::new(der);
    let mut key = Reader::new(outer.expect(SEQUENCE, "RSAPrivateKey").map_err(bad("not an RSA private key"))?);
    outer.finish("trailing data").map_err(bad("trailing data after the RSA key"))?;
    let version = key.small("version").map_err(bad("bad RSA key version"))?;
    if version > 1 {
        return Err(PkiError::Key("unsupported RSA key version"));
    }
    let n = key.unsigned("modulus").map_err(bad("bad RSA modulus"))?;
    let e = key.unsigned("publicExponent").map_err(bad("bad RSA exponent"))?;
    for _ in 0..6 {
        // privateExponent, prime1, prime2, exponent1, exponent2, coefficient
        key.unsigned("private field").map_err(bad("incomplete RSA private key"))?;
    }
    if n.is_empty() || e.is_empty() {
        return Err(PkiError::Key("bad RSA modulus"));
    }
    Ok((n.to_vec(), e.to_vec()))
}

/// A certificate's public key, when it is of a kind this module knows.
pub(crate) fn certificate_public_key(spki: &SubjectPublicKeyInfo<'_>) -> Option<PublicKey> {
    let data: &[u8] = &spki.subject_public_key.data;
    match spki.algorithm.algorithm.as_bytes() {
        OID_RSA | OID_RSA_PSS => {
            let mut outer = Reader::new(data);
            let mut key = Reader::new(outer.expect(SEQUENCE, "RSAPublicKey").ok()?);
            let n = key.unsigned("modulus").ok()?;
            let e = key.unsigned("publicExponent").ok()?;
            Some(PublicKey::Rsa { n: n.to_vec(), e: e.to_vec() })
        }
        OID_EC_PUBLIC_KEY => {
            let params = spki.algorithm.parameters.as_ref()?;
            (params.header.tag() == Tag::Oid)
                .then(|| PublicKey::Ec { curve: params.data.to_vec(), point: data.to_vec() })
        }
        OID_ED25519 => Some(PublicKey::Ed25519(data.to_vec())),
        _ => None,
    }
}
