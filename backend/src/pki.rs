//! Certificates and keys users bring or ask for: route certificates (leaf,
//! key, CA) and trusted CA bundles are checked before a plan uses them; a
//! key and CSR, or a certificate signed by an uploaded CA, can be made for
//! a route host.
//!
//! Parsing is x509-parser; generation and signing are rcgen on ring (the
//! provider rustls uses here). Private keys are held in buffers zeroised on
//! drop, never printed, and shown only as [`fingerprint`]s.

mod der;
mod key;
mod pem;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use model::registry::Finding;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256,
};
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use zeroize::Zeroizing;

use key::PrivateKey;

const DAY: i64 = 86_400;
/// Certificates ending sooner than this get a warning.
const SOON: i64 = 30 * DAY;
/// The longest validity [`issue_with_ca`] signs for.
pub const MAX_DAYS: u32 = 3650;
/// Issued certificates start this long before `now`, for clients whose clocks lag.
const BACKDATE: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("no CERTIFICATE block found")]
    NoCertificate,
    #[error("malformed PEM: {0}")]
    Pem(&'static str),
    #[error("invalid certificate: {0}")]
    Certificate(String),
    #[error("invalid private key: {0}")]
    Key(&'static str),
    #[error("the private key is encrypted; provide it without a passphrase")]
    EncryptedKey,
    #[error("unsupported: {0}")]
    UnsupportedKey(String),
    #[error("{0:?} is not a valid host name")]
    Hostname(String),
    #[error("validity must be 1 to {MAX_DAYS} days")]
    Days,
    #[error("date out of range")]
    Date,
    #[error(
        "the CA certificate cannot sign certificates (needs basicConstraints CA:TRUE and, if keyUsage is set, keyCertSign)"
    )]
    NotCa,
    #[error("the CA certificate expired on {0}")]
    CaExpired(String),
    #[error("the CA key does not belong to the CA certificate")]
    CaKeyMismatch,
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
}

/// What a certificate says, for display and for the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertInfo {
    /// RFC 4514-style, such as `CN=registry.example.com, O=Example`.
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub sans: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// Hex bytes separated by colons, as OpenSSL prints them.
    pub serial: String,
    /// Lowercase hex SHA-256 of the DER, the certificate's usual fingerprint.
    pub sha256: String,
}

/// The outcome of [`check_tls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCheck {
    /// The first certificate, when it parsed.
    pub leaf: Option<CertInfo>,
    /// Every certificate of the certificate field, leaf first.
    pub chain: Vec<CertInfo>,
    /// The certificates of the CA field.
    pub ca: Vec<CertInfo>,
    pub findings: Vec<Finding>,
}

/// A private key in PEM. Zeroised on drop; `Debug` never shows it; the only
/// way to the text is [`PrivateKeyPem::expose`].
#[derive(Clone)]
pub struct PrivateKeyPem(Zeroizing<String>);

impl PrivateKeyPem {
    pub fn new(pem: String) -> Self {
        Self(Zeroizing::new(pem))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// [`fingerprint`] of the PEM text.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.0.as_bytes())
    }
}

impl std::fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKeyPem(<redacted>)")
    }
}

/// `sha256:` + the first 12 hex digits of SHA-256 of `bytes`: the only form
/// in which a secret value is ever shown (same as `registry::redact`).
pub fn fingerprint(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().take(6).map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// Every CERTIFICATE block of `pem`, in order; an error if there is none or
/// one does not parse. Other blocks are ignored.
pub fn parse_certificates(pem: &str) -> Result<Vec<CertInfo>, PkiError> {
    certificate_ders(pem)?.iter().map(|der| parse_der(der).map(|cert| info(der, &cert))).collect()
}

/// Checks a route certificate: `certificate` (leaf first, then any
/// intermediates), its private `key` (PKCS#8, PKCS#1 or SEC1), an optional
/// `ca`, the `hostname` it must cover, at `now` (unix seconds). Findings are
/// on `{field}.certificate`, `{field}.key` and `{field}.caCertificate`.
pub fn check_tls(
    field: &str,
    certificate: &str,
    key: &str,
    ca: Option<&str>,
    hostname: Option<&str>,
    now: i64,
) -> TlsCheck {
    let cert_field = join(field, "certificate");
    let key_field = join(field, "key");
    let ca_field = join(field, "caCertificate");
    let mut check = TlsCheck { leaf: None, chain: Vec::new(), ca: Vec::new(), findings: Vec::new() };

    let chain_ders = certificate_ders(certificate).ok();
    let chain: Option<Vec<X509Certificate<'_>>> =
        chain_ders.as_ref().and_then(|ders| ders.iter().map(|der| parse_der(der).ok()).collect());
    let cas_ders = ca.filter(|text| !text.trim().is_empty()).map(certificate_ders);
    let cas: Option<Option<Vec<X509Certificate<'_>>>> = cas_ders
        .as_ref()
        .map(|ders| ders.as_ref().ok().and_then(|ders| ders.iter().map(|der| parse_der(der).ok()).collect()));

    let Some((chain, ders)) = chain.zip(chain_ders.as_ref()).filter(|(chain, _)| !chain.is_empty()) else {
        check.findings.push(Finding::error(&cert_field, "tls.certificate_invalid"));
        if PrivateKey::from_pem(key).is_err() {
            check.findings.push(Finding::error(&key_field, "tls.key_invalid"));
        }
        if let Some(None) = cas {
            check.findings.push(Finding::error(&ca_field, "tls.ca_invalid"));
        }
        return check;
    };
    check.chain = chain.iter().zip(ders).map(|(cert, der)| info(der, cert)).collect();
    let leaf = &chain[0];
    check.leaf = check.chain.first().cloned();

    match PrivateKey::from_pem(key).and_then(|key| key_matches_cert(&key, leaf)) {
        Ok(true) => {}
        Ok(false) => check.findings.push(Finding::error(&key_field, "tls.key_mismatch")),
        Err(_) => check.findings.push(Finding::error(&key_field, "tls.key_invalid")),
    }

    let not_before = leaf.validity().not_before.timestamp();
    let not_after = leaf.validity().not_after.timestamp();
    if now < not_before {
        check.findings.push(Finding::error(&cert_field, "tls.not_yet_valid").with("date", date(not_before)));
    }
    if now > not_after {
        check.findings.push(Finding::error(&cert_field, "tls.expired").with("date", date(not_after)));
    } else if not_after - now < SOON {
        check.findings.push(Finding::warning(&cert_field, "tls.expires_soon").with("days", (not_after - now) / DAY));
    }

    if let Some(host) = hostname.map(str::trim).filter(|host| !host.is_empty()) {
        match coverage(leaf, host) {
            Coverage::SubjectAltName => {}
            Coverage::CommonNameOnly => {
                check.findings.push(Finding::warning(&cert_field, "tls.hostname_cn_only").with("host", host));
            }
            Coverage::None => {
                check.findings.push(Finding::error(&cert_field, "tls.hostname_not_covered").with("host", host));
            }
        }
    }

    match (&cas, &cas_ders) {
        (Some(Some(cas)), Some(Ok(ca_ders))) => {
            check.ca = cas.iter().zip(ca_ders).map(|(cert, der)| info(der, cert)).collect();
            if let Err(issuer) = chains_to(&chain, cas) {
                check.findings.push(Finding::warning(&ca_field, "tls.ca_not_issuer").with("issuer", issuer));
            }
        }
        (Some(_), _) => check.findings.push(Finding::error(&ca_field, "tls.ca_invalid")),
        (None, _) => {}
    }
    check
}

/// Checks a CA bundle meant for trust (trusted CA ConfigMaps, the S3
/// `trustedCA`): each block parses, is a CA and is in date. Findings are on
/// `field`.
pub fn check_ca_bundle(field: &str, pem: &str, now: i64) -> (Vec<CertInfo>, Vec<Finding>) {
    let mut infos = Vec::new();
    let mut findings = Vec::new();
    let ders = match certificate_ders(pem) {
        Ok(ders) => ders,
        Err(_) => return (infos, vec![Finding::error(field, "ca.invalid_pem")]),
    };
    for der in &ders {
        let Ok(cert) = parse_der(der) else {
            findings.push(Finding::error(field, "ca.invalid_pem"));
            continue;
        };
        let cert_info = info(der, &cert);
        let subject = if cert_info.subject.is_empty() { fingerprint(der) } else { cert_info.subject.clone() };
        if !cert.is_ca() {
            let finding = if is_self_signed(&cert) { Finding::warning } else { Finding::error };
            findings.push(finding(field, "ca.not_ca").with("subject", &subject));
        }
        let not_after = cert_info.not_after;
        if now > not_after {
            findings.push(Finding::error(field, "ca.expired").with("subject", &subject).with("date", date(not_after)));
        } else if not_after - now < SOON {
            let days = (not_after - now) / DAY;
            findings.push(Finding::warning(field, "ca.expires_soon").with("subject", &subject).with("days", days));
        }
        infos.push(cert_info);
    }
    (infos, findings)
}

/// A new ECDSA P-256 key and a CSR for `hostname` (CN and subjectAltName,
/// extendedKeyUsage serverAuth).
pub fn generate_key_and_csr(hostname: &str) -> Result<(PrivateKeyPem, String), PkiError> {
    check_hostname(hostname)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let csr = server_params(hostname)?.serialize_request(&key)?.pem()?;
    Ok((PrivateKeyPem::new(key.serialize_pem()), csr))
}

/// Signs a server certificate for `hostname` (subjectAltName, serverAuth,
/// `days` from `now`) on a new ECDSA P-256 key with an uploaded CA
/// certificate (the first block of `ca_certificate`) and its key (RSA 2048 to
/// 4096 bits, EC P-256/P-384 or Ed25519; PKCS#8, PKCS#1 or SEC1). Returns the
/// certificate PEM and the new key.
pub fn issue_with_ca(
    hostname: &str,
    ca_certificate: &str,
    ca_key: &str,
    days: u32,
    now: i64,
) -> Result<(String, PrivateKeyPem), PkiError> {
    check_hostname(hostname)?;
    if days == 0 || days > MAX_DAYS {
        return Err(PkiError::Days);
    }
    let ca_der = certificate_ders(ca_certificate)?.into_iter().next().ok_or(PkiError::NoCertificate)?;
    let ca = parse_der(&ca_der)?;
    let can_sign = match ca.key_usage() {
        Ok(Some(usage)) => usage.value.key_cert_sign(),
        Ok(None) => true,
        Err(error) => return Err(PkiError::Certificate(error.to_string())),
    };
    if !ca.is_ca() || !can_sign {
        return Err(PkiError::NotCa);
    }
    let ca_not_after = ca.validity().not_after.timestamp();
    if now > ca_not_after {
        return Err(PkiError::CaExpired(date(ca_not_after)));
    }
    let ca_private = PrivateKey::from_pem(ca_key)?;
    if !key_matches_cert(&ca_private, &ca)? {
        return Err(PkiError::CaKeyMismatch);
    }
    let has_key_id = ca
        .iter_extensions()
        .any(|extension| matches!(extension.parsed_extension(), ParsedExtension::SubjectKeyIdentifier(_)));
    let issuer = Issuer::from_ca_cert_der(&CertificateDer::from(ca_der.as_slice()), ca_private.key_pair()?)?;

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = server_params(hostname)?;
    params.not_before = timestamp((now - BACKDATE).max(ca.validity().not_before.timestamp()))?;
    params.not_after = timestamp(now.checked_add(i64::from(days) * DAY).ok_or(PkiError::Date)?)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // An authority key identifier only helps when it names the CA's own.
    params.use_authority_key_identifier_extension = has_key_id;
    let certificate = params.signed_by(&key, &issuer)?;

    // Clients look the issuer up by comparing names byte for byte.
    let issued = parse_der(certificate.der())?;
    if issued.issuer().as_raw() != ca.subject().as_raw() {
        return Err(PkiError::Certificate(format!(
            "the CA's name ({}) cannot be copied exactly into a new certificate",
            ca.subject()
        )));
    }
    Ok((certificate.pem(), PrivateKeyPem::new(key.serialize_pem())))
}

/// Whether the private key in `key_pem` belongs to `certificate` (DER, or
/// PEM whose first CERTIFICATE block is used).
pub fn key_matches(certificate: &[u8], key_pem: &str) -> Result<bool, PkiError> {
    let der = if certificate.windows(11).any(|window| window == b"-----BEGIN ") {
        let text = std::str::from_utf8(certificate).map_err(|_| PkiError::Pem("not UTF-8 text"))?;
        certificate_ders(text)?.into_iter().next().ok_or(PkiError::NoCertificate)?
    } else {
        certificate.to_vec()
    };
    let cert = parse_der(&der)?;
    key_matches_cert(&PrivateKey::from_pem(key_pem)?, &cert)
}

fn key_matches_cert(key: &PrivateKey, cert: &X509Certificate<'_>) -> Result<bool, PkiError> {
    let algorithm = &cert.public_key().algorithm.algorithm;
    let Some(public) = key::certificate_public_key(cert.public_key()) else {
        return Err(PkiError::UnsupportedKey(format!("certificate key algorithm {}", algorithm.to_id_string())));
    };
    Ok(key.public_key()? == public)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
}

/// YYYY-MM-DD (UTC) of unix seconds.
fn date(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(at) => format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day()),
        Err(_) => secs.to_string(),
    }
}

fn timestamp(secs: i64) -> Result<time::OffsetDateTime, PkiError> {
    time::OffsetDateTime::from_unix_timestamp(secs).map_err(|_| PkiError::Date)
}

/// The DER of every CERTIFICATE block; at least one.
fn certificate_ders(text: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    let ders: Vec<Vec<u8>> = pem::blocks(text)?
        .into_iter()
        .filter(|block| block.label == "CERTIFICATE")
        .map(|mut block| std::mem::take(&mut *block.der))
        .collect();
    if ders.is_empty() { Err(PkiError::NoCertificate) } else { Ok(ders) }
}

fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, PkiError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|error| PkiError::Certificate(error.to_string()))?;
    if !rest.is_empty() {
        return Err(PkiError::Certificate("trailing data after the certificate".to_owned()));
    }
    // Duplicate or malformed extensions that matter here make the certificate invalid.
    cert.subject_alternative_name().map_err(|error| PkiError::Certificate(error.to_string()))?;
    cert.basic_constraints().map_err(|error| PkiError::Certificate(error.to_string()))?;
    Ok(cert)
}

fn info(der: &[u8], cert: &X509Certificate<'_>) -> CertInfo {
    let sans = match cert.subject_alternative_name() {
        Ok(Some(extension)) => extension.value.general_names.iter().filter_map(san_text).collect(),
        _ => Vec::new(),
    };
    CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca: cert.is_ca(),
        serial: cert.raw_serial_as_string(),
        sha256: Sha256::digest(der).iter().map(|byte| format!("{byte:02x}")).collect(),
    }
}

fn san_text(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_owned()),
        GeneralName::IPAddress(bytes) => ip(bytes).map(|ip| ip.to_string()),
        _ => None,
    }
}

fn ip(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

enum Coverage {
    SubjectAltName,
    /// No subjectAltName extension, and the CN matches: OpenSSL accepts it,
    /// Go clients (podman, CRI-O, oc) refuse it.
    CommonNameOnly,
    None,
}

/// Whether `cert` is valid for `host`: its subjectAltName DNS names (a
/// leading `*.` matches exactly one label) or IP addresses; the CN only when
/// there is no subjectAltName.
fn coverage(cert: &X509Certificate<'_>, host: &str) -> Coverage {
    let host_ip = host.parse::<IpAddr>().ok();
    match cert.subject_alternative_name() {
        Ok(Some(extension)) => {
            let covered = extension.value.general_names.iter().any(|name| match (name, host_ip) {
                (GeneralName::DNSName(pattern), None) => name_matches(pattern, host),
                (GeneralName::IPAddress(bytes), Some(host_ip)) => ip(bytes) == Some(host_ip),
                _ => false,
            });
            if covered { Coverage::SubjectAltName } else { Coverage::None }
        }
        _ => {
            let by_cn = host_ip.is_none()
                && cert.subject().iter_common_name().any(|cn| cn.as_str().is_ok_and(|cn| name_matches(cn, host)));
            if by_cn { Coverage::CommonNameOnly } else { Coverage::None }
        }
    }
}

fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            !suffix.is_empty() && host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == suffix)
        }
        None => pattern == host,
    }
}

/// The leaf's path up its own chain reaches a certificate of `cas` (or is
/// one); else the issuer name where the path stops.
fn chains_to(chain: &[X509Certificate<'_>], cas: &[X509Certificate<'_>]) -> Result<(), String> {
    let Some(mut current) = chain.first() else {
        return Ok(());
    };
    for _ in 0..chain.len() {
        if cas.iter().any(|ca| ca.as_raw() == current.as_raw() || issues(ca, current)) {
            return Ok(());
        }
        match chain.iter().skip(1).find(|next| next.as_raw() != current.as_raw() && issues(next, current)) {
            Some(next) => current = next,
            None => break,
        }
    }
    Err(current.issuer().to_string())
}

/// `issuer`'s subject is `cert`'s issuer and, when ring can tell, its key
/// made `cert`'s signature.
fn issues(issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>) -> bool {
    issuer.subject().as_raw() == cert.issuer().as_raw()
        && !matches!(cert.verify_signature(Some(issuer.public_key())), Err(X509Error::SignatureVerificationError))
}

fn is_self_signed(cert: &X509Certificate<'_>) -> bool {
    issues(cert, cert)
}

fn check_hostname(host: &str) -> Result<(), PkiError> {
    let name = host.strip_prefix("*.").unwrap_or(host);
    let valid_dns = host.len() <= 253
        && !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        });
    if valid_dns || host.parse::<IpAddr>().is_ok() { Ok(()) } else { Err(PkiError::Hostname(host.to_owned())) }
}

/// Subject CN (when it fits the 64-character limit) and subjectAltName
/// `hostname`, extendedKeyUsage serverAuth.
fn server_params(hostname: &str) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(vec![hostname.to_owned()])?;
    let mut name = DistinguishedName::new();
    if hostname.len() <= 64 {
        name.push(DnType::CommonName, hostname);
    }
    params.distinguished_name = name;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}
