//! Real keys and certificates, made here with rcgen and, when it is
//! installed, with the `openssl` command line the way users make them.

use std::path::Path;
use std::process::Command;

use rcgen::{BasicConstraints, Certificate, KeyPair, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, SignatureAlgorithm};
use x509_parser::prelude::FromDer as _;

use super::der::{self, CONTEXT_0, Reader};
use super::*;

/// 2026-09-21, a fixed "now" so every date below is exact.
const NOW: i64 = 1_790_000_000;
const FIELD: &str = "routes[0].tls";

fn at(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).expect("in range")
}

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

impl Ca {
    fn new(name: &str, not_before: i64, not_after: i64) -> Self {
        Self::with_key(name, not_before, not_after, KeyPair::generate().expect("key"))
    }

    fn with_key(name: &str, not_before: i64, not_after: i64, key: KeyPair) -> Self {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "Example");
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = at(not_before);
        params.not_after = at(not_after);
        let cert = params.self_signed(&key).expect("self-signed CA");
        Self { params, key, cert }
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }

    fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// An intermediate CA signed by this one.
    fn intermediate(&self, name: &str) -> (Ca, String) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        params.not_before = at(NOW - 10 * DAY);
        params.not_after = at(NOW + 1000 * DAY);
        let cert = params.signed_by(&key, &self.issuer()).expect("intermediate");
        let pem = cert.pem();
        (Ca { params, key, cert }, pem)
    }
}

/// A server certificate for `hosts` (none: no subjectAltName, CN = `cn`),
/// signed by `ca` or self-signed; returns (certificate PEM, key PEM).
fn leaf_with(
    hosts: &[&str],
    cn: &str,
    not_before: i64,
    not_after: i64,
    ca: Option<&Ca>,
    alg: &'static SignatureAlgorithm,
) -> (String, String) {
    let key = KeyPair::generate_for(alg).expect("key");
    let mut params =
        CertificateParams::new(hosts.iter().map(|host| (*host).to_owned()).collect::<Vec<_>>()).expect("params");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.not_before = at(not_before);
    params.not_after = at(not_after);
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer()),
        None => params.self_signed(&key),
    }
    .expect("leaf");
    (cert.pem(), key.serialize_pem())
}

fn leaf(hosts: &[&str], not_before: i64, not_after: i64, ca: Option<&Ca>) -> (String, String) {
    leaf_with(hosts, hosts.first().copied().unwrap_or("leaf"), not_before, not_after, ca, &PKCS_ECDSA_P256_SHA256)
}

fn codes(findings: &[Finding]) -> Vec<(String, String)> {
    findings.iter().map(|finding| (finding.field.clone(), finding.code.clone())).collect()
}

fn one(findings: &[Finding], code: &str) -> Finding {
    let found: Vec<&Finding> = findings.iter().filter(|finding| finding.code == code).collect();
    assert_eq!(found.len(), 1, "one {code} in {findings:?}");
    found[0].clone()
}

/// The SEC1 form of a PKCS#8 EC key, curve named inside (as `openssl ec` writes it).
fn sec1_from_pkcs8(pkcs8: &[u8], curve: &[u8]) -> String {
    let mut outer = Reader::new(pkcs8);
    let mut info = Reader::new(outer.expect(der::SEQUENCE, "info").expect("info"));
    info.read().expect("version");
    info.read().expect("algorithm");
    let inner = info.expect(der::OCTET_STRING, "key").expect("key");
    let mut ec = Reader::new(Reader::new(inner).expect(der::SEQUENCE, "ec").expect("ec"));
    let mut content = Vec::new();
    while !ec.is_empty() {
        let tlv = ec.read().expect("field");
        if tlv.tag == der::CONTEXT_1 {
            content.extend_from_slice(&der::tlv(CONTEXT_0, &der::tlv(der::OID, curve)));
        }
        content.extend_from_slice(&der::tlv(tlv.tag, tlv.value));
    }
    pem_text("EC PRIVATE KEY", &der::tlv(der::SEQUENCE, &content))
}

fn pem_text(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|chunk| std::str::from_utf8(chunk).expect("ascii")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

fn pem_der(text: &str) -> Vec<u8> {
    certificate_ders(text).expect("certificate").remove(0)
}

#[test]
fn fingerprint_is_sha256_prefix_and_twelve_hex_digits() {
    // SHA-256("abc") = ba7816bf8f01cfea…
    assert_eq!(fingerprint(b"abc"), "sha256:ba7816bf8f01");
    let other = fingerprint(b"");
    assert_eq!(other.len(), "sha256:".len() + 12);
    assert!(other.trim_start_matches("sha256:").bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}

#[test]
fn private_key_debug_never_shows_the_key() {
    let (key, _) = generate_key_and_csr("registry.example.com").expect("key");
    let shown = format!("{key:?} {:?}", (&key, Some(key.clone())));
    assert!(shown.starts_with("PrivateKeyPem(<redacted>)"));
    assert!(!shown.contains("PRIVATE KEY"));
    for line in key.expose().lines().filter(|line| !line.starts_with("-----")) {
        assert!(!shown.contains(line));
    }
    let parsed = PrivateKey::from_pem(key.expose()).expect("parses");
    assert_eq!(format!("{parsed:?}"), "PrivateKey(<redacted>)");
    assert_eq!(key.fingerprint(), fingerprint(key.expose().as_bytes()));
}

#[test]
fn parse_certificates_reads_every_block_in_order() {
    let ca = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    let (leaf_pem, key_pem) = leaf(&["registry.example.com", "10.0.0.7"], NOW - DAY, NOW + 90 * DAY, Some(&ca));
    let text = format!("subject=...\n{leaf_pem}{key_pem}\n{}", ca.pem());
    let infos = parse_certificates(&text).expect("two certificates");
    assert_eq!(infos.len(), 2);
    let (leaf, root) = (&infos[0], &infos[1]);
    assert_eq!(leaf.subject, "CN=registry.example.com");
    assert_eq!(leaf.issuer, "O=Example, CN=Example Root");
    assert_eq!(leaf.sans, vec!["registry.example.com".to_owned(), "10.0.0.7".to_owned()]);
    assert_eq!((leaf.not_before, leaf.not_after), (NOW - DAY, NOW + 90 * DAY));
    assert!(!leaf.is_ca && root.is_ca);
    assert_eq!(root.subject, root.issuer);
    let der = pem_der(&leaf_pem);
    let hex: String = Sha256::digest(&der).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(leaf.sha256, hex);
    assert!(!leaf.serial.is_empty() && leaf.serial.split(':').all(|byte| byte.len() == 2));

    let json = serde_json::to_value(leaf).expect("json");
    for name in ["subject", "issuer", "sans", "notBefore", "notAfter", "isCa", "serial", "sha256"] {
        assert!(json.get(name).is_some(), "{name} in {json}");
    }
}

#[test]
fn parse_certificates_refuses_missing_or_bad_blocks() {
    let ca = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    assert!(matches!(parse_certificates(""), Err(PkiError::NoCertificate)));
    assert!(matches!(parse_certificates(&ca.key_pem()), Err(PkiError::NoCertificate)));
    assert!(matches!(
        parse_certificates("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"),
        Err(PkiError::Pem(_))
    ));
    let junk = pem_text("CERTIFICATE", b"not a certificate at all");
    assert!(matches!(parse_certificates(&format!("{}{junk}", ca.pem())), Err(PkiError::Certificate(_))));
    let mut trailing = pem_der(&ca.pem());
    trailing.push(0);
    assert!(matches!(parse_certificates(&pem_text("CERTIFICATE", &trailing)), Err(PkiError::Certificate(_))));
}

#[test]
fn a_valid_certificate_key_and_ca_have_no_findings() {
    let ca = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    let (cert, key) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, Some(&ca));
    let check = check_tls(FIELD, &cert, &key, Some(&ca.pem()), Some("registry.example.com"), NOW);
    assert_eq!(check.findings, vec![]);
    assert_eq!(check.leaf.as_ref().map(|leaf| leaf.subject.as_str()), Some("CN=registry.example.com"));
    assert_eq!(check.chain.len(), 1);
    assert_eq!(check.ca.len(), 1);
    // No CA and no host: nothing to compare them with.
    assert_eq!(check_tls(FIELD, &cert, &key, None, None, NOW).findings, vec![]);
    assert_eq!(check_tls(FIELD, &cert, &key, Some("  \n"), None, NOW).findings, vec![]);
}

#[test]
fn keys_that_do_not_belong_to_the_certificate_are_reported() {
    let (cert, _) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, None);
    let (_, other_key) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, None);
    let check = check_tls(FIELD, &cert, &other_key, None, None, NOW);
    assert_eq!(codes(&check.findings), vec![(format!("{FIELD}.key"), "tls.key_mismatch".to_owned())]);
    assert!(check.findings[0].is_error());
    assert_eq!(key_matches(cert.as_bytes(), &other_key).ok(), Some(false));

    // Same curve family but another algorithm.
    let (_, p384) = leaf_with(&["x"], "x", NOW - DAY, NOW + DAY, None, &PKCS_ECDSA_P384_SHA384);
    let (_, ed) = leaf_with(&["x"], "x", NOW - DAY, NOW + DAY, None, &PKCS_ED25519);
    assert_eq!(key_matches(cert.as_bytes(), &p384).ok(), Some(false));
    assert_eq!(key_matches(cert.as_bytes(), &ed).ok(), Some(false));
}

#[test]
fn ec_and_ed25519_keys_match_in_pkcs8_and_sec1() {
    for (alg, curve) in [(&PKCS_ECDSA_P256_SHA256, key::OID_P256), (&PKCS_ECDSA_P384_SHA384, key::OID_P384)] {
        let (cert, pkcs8) = leaf_with(&["x.example.com"], "x", NOW - DAY, NOW + 90 * DAY, None, alg);
        let der = pem_der(&cert);
        assert_eq!(key_matches(&der, &pkcs8).ok(), Some(true), "PKCS#8, DER certificate");
        assert_eq!(key_matches(cert.as_bytes(), &pkcs8).ok(), Some(true), "PKCS#8, PEM certificate");
        let pkcs8_der = pem::blocks(&pkcs8).expect("pem").remove(0).der;
        let sec1 = sec1_from_pkcs8(&pkcs8_der, curve);
        assert!(sec1.contains("EC PRIVATE KEY"));
        assert_eq!(key_matches(&der, &sec1).ok(), Some(true), "SEC1");
        assert_eq!(check_tls(FIELD, &cert, &sec1, None, Some("x.example.com"), NOW).findings, vec![]);
        let (_, other) = leaf_with(&["x.example.com"], "x", NOW - DAY, NOW + 90 * DAY, None, alg);
        let other_sec1 = sec1_from_pkcs8(&pem::blocks(&other).expect("pem").remove(0).der, curve);
        assert_eq!(key_matches(&der, &other_sec1).ok(), Some(false), "another SEC1 key");
    }
    let (cert, key) = leaf_with(&["x.example.com"], "x", NOW - DAY, NOW + 90 * DAY, None, &PKCS_ED25519);
    assert_eq!(key_matches(cert.as_bytes(), &key).ok(), Some(true));
    let (_, other) = leaf_with(&["x.example.com"], "x", NOW - DAY, NOW + 90 * DAY, None, &PKCS_ED25519);
    assert_eq!(key_matches(cert.as_bytes(), &other).ok(), Some(false));
}

#[test]
fn bad_keys_and_certificates_are_invalid_not_mismatched() {
    let (cert, key) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, None);
    let key_invalid = vec![(format!("{FIELD}.key"), "tls.key_invalid".to_owned())];
    for bad_key in [
        "",
        "not a key",
        cert.as_str(),
        "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAQID\n-----END OPENSSH PRIVATE KEY-----\n",
    ] {
        assert_eq!(codes(&check_tls(FIELD, &cert, bad_key, None, None, NOW).findings), key_invalid, "{bad_key}");
    }
    assert!(matches!(key_matches(cert.as_bytes(), &format!("{key}{key}")), Err(PkiError::Key(_))));

    let check =
        check_tls(FIELD, "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n", &key, None, None, NOW);
    assert_eq!(codes(&check.findings), vec![(format!("{FIELD}.certificate"), "tls.certificate_invalid".to_owned())]);
    assert_eq!((check.leaf, check.chain.len()), (None, 0));
    let check = check_tls(FIELD, &key, "junk", Some("junk"), Some("registry.example.com"), NOW);
    let expected =
        [("certificate", "tls.certificate_invalid"), ("key", "tls.key_invalid"), ("caCertificate", "tls.ca_invalid")]
            .map(|(field, code)| (format!("{FIELD}.{field}"), code.to_owned()));
    assert_eq!(codes(&check.findings), expected.to_vec());
    assert_eq!(check_tls("", "", &key, None, None, NOW).findings[0].field, "certificate");
}

#[test]
fn hostnames_are_matched_on_subject_alt_names_with_single_label_wildcards() {
    let (cert, key) = leaf(&["*.apps.example.com", "registry.example.com"], NOW - DAY, NOW + 90 * DAY, None);
    for host in
        ["registry.example.com", "REGISTRY.Example.com.", "default-route.apps.example.com", "x.apps.example.com"]
    {
        assert_eq!(check_tls(FIELD, &cert, &key, None, Some(host), NOW).findings, vec![], "{host}");
    }
    for host in ["apps.example.com", "a.b.apps.example.com", "example.com", "other.example.com", "10.0.0.1"] {
        let check = check_tls(FIELD, &cert, &key, None, Some(host), NOW);
        let finding = one(&check.findings, "tls.hostname_not_covered");
        assert!(finding.is_error());
        assert_eq!(finding.field, format!("{FIELD}.certificate"));
        assert_eq!(finding.params.get("host").map(String::as_str), Some(host));
    }
    assert!(!name_matches("*.", "a."));
    assert!(!name_matches("*.example.com", ".example.com"));

    let (by_ip, ip_key) = leaf(&["10.0.0.7"], NOW - DAY, NOW + 90 * DAY, None);
    assert_eq!(check_tls(FIELD, &by_ip, &ip_key, None, Some("10.0.0.7"), NOW).findings, vec![]);
    one(&check_tls(FIELD, &by_ip, &ip_key, None, Some("10.0.0.8"), NOW).findings, "tls.hostname_not_covered");
}

#[test]
fn the_common_name_counts_only_without_subject_alt_names() {
    let (cn_only, key) =
        leaf_with(&[], "registry.example.com", NOW - DAY, NOW + 90 * DAY, None, &PKCS_ECDSA_P256_SHA256);
    let check = check_tls(FIELD, &cn_only, &key, None, Some("registry.example.com"), NOW);
    let finding = one(&check.findings, "tls.hostname_cn_only");
    assert_eq!(finding.severity, model::registry::Severity::Warning);
    assert_eq!(finding.params.get("host").map(String::as_str), Some("registry.example.com"));
    one(&check_tls(FIELD, &cn_only, &key, None, Some("other.example.com"), NOW).findings, "tls.hostname_not_covered");

    // With a subjectAltName, a matching CN is ignored.
    let (with_san, key) = leaf_with(
        &["other.example.com"],
        "registry.example.com",
        NOW - DAY,
        NOW + DAY * 90,
        None,
        &PKCS_ECDSA_P256_SHA256,
    );
    one(
        &check_tls(FIELD, &with_san, &key, None, Some("registry.example.com"), NOW).findings,
        "tls.hostname_not_covered",
    );
}

#[test]
fn validity_dates_are_checked() {
    let host = Some("registry.example.com");
    let hosts = ["registry.example.com"];

    let (expired, key) = leaf(&hosts, NOW - 400 * DAY, NOW - DAY, None);
    let check = check_tls(FIELD, &expired, &key, None, host, NOW);
    let finding = one(&check.findings, "tls.expired");
    assert!(finding.is_error());
    assert_eq!(finding.params.get("date").map(String::as_str), Some("2026-09-20"));
    assert_eq!(check.findings.len(), 1);

    let (soon, key) = leaf(&hosts, NOW - DAY, NOW + 10 * DAY + 3600, None);
    let check = check_tls(FIELD, &soon, &key, None, host, NOW);
    let finding = one(&check.findings, "tls.expires_soon");
    assert_eq!(finding.severity, model::registry::Severity::Warning);
    assert_eq!(finding.params.get("days").map(String::as_str), Some("10"));
    assert_eq!(check.findings.len(), 1);

    let (later, key) = leaf(&hosts, NOW + DAY, NOW + 90 * DAY, None);
    let check = check_tls(FIELD, &later, &key, None, host, NOW);
    let finding = one(&check.findings, "tls.not_yet_valid");
    assert!(finding.is_error());
    assert_eq!(finding.params.get("date").map(String::as_str), Some("2026-09-22"));
    assert_eq!(check.findings.len(), 1);

    let (fine, key) = leaf(&hosts, NOW - DAY, NOW + 31 * DAY, None);
    assert_eq!(check_tls(FIELD, &fine, &key, None, host, NOW).findings, vec![]);
    assert_eq!(date(NOW), "2026-09-21");
}

#[test]
fn a_ca_that_did_not_issue_the_certificate_is_a_warning() {
    let ca = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    let other = Ca::new("Other Root", NOW - DAY, NOW + 400 * DAY);
    let (cert, key) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, Some(&ca));
    let check = check_tls(FIELD, &cert, &key, Some(&other.pem()), None, NOW);
    let finding = one(&check.findings, "tls.ca_not_issuer");
    assert_eq!(finding.severity, model::registry::Severity::Warning);
    assert_eq!(finding.field, format!("{FIELD}.caCertificate"));
    assert_eq!(finding.params.get("issuer").map(String::as_str), Some("O=Example, CN=Example Root"));
    assert_eq!(check.findings.len(), 1);

    // Same name, another key: the signature tells them apart.
    let impostor = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    one(&check_tls(FIELD, &cert, &key, Some(&impostor.pem()), None, NOW).findings, "tls.ca_not_issuer");
    // A bundle holding the right CA among others is fine.
    let bundle = format!("{}{}", other.pem(), ca.pem());
    assert_eq!(check_tls(FIELD, &cert, &key, Some(&bundle), None, NOW).findings, vec![]);

    let check =
        check_tls(FIELD, &cert, &key, Some("-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----"), None, NOW);
    assert_eq!(codes(&check.findings), vec![(format!("{FIELD}.caCertificate"), "tls.ca_invalid".to_owned())]);
    assert!(check.findings[0].is_error());
}

#[test]
fn a_chain_through_an_intermediate_reaches_the_root() {
    let root = Ca::new("Example Root", NOW - DAY, NOW + 4000 * DAY);
    let (intermediate, intermediate_pem) = root.intermediate("Example Intermediate");
    let (cert, key) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, Some(&intermediate));
    let chain = format!("{cert}{intermediate_pem}");
    let check = check_tls(FIELD, &chain, &key, Some(&root.pem()), Some("registry.example.com"), NOW);
    assert_eq!(check.findings, vec![]);
    assert_eq!(check.chain.len(), 2);
    // Without the intermediate the path stops at its name.
    let check = check_tls(FIELD, &cert, &key, Some(&root.pem()), None, NOW);
    let finding = one(&check.findings, "tls.ca_not_issuer");
    assert_eq!(finding.params.get("issuer").map(String::as_str), Some("CN=Example Intermediate"));
}

/// Severity, code and params of a finding.
type Row<'a> = (model::registry::Severity, &'a str, Vec<(&'a str, &'a str)>);

#[test]
fn ca_bundles_are_checked_block_by_block() {
    let field = "trustedCA";
    let good = Ca::new("Good Root", NOW - DAY, NOW + 400 * DAY);
    let expired = Ca::new("Old Root", NOW - 400 * DAY, NOW - 2 * DAY);
    let ending = Ca::new("Ending Root", NOW - 400 * DAY, NOW + 10 * DAY + 60);
    let (self_signed_leaf, _) = leaf(&["registry.example.com"], NOW - DAY, NOW + 90 * DAY, None);
    let (issued_leaf, _) = leaf(&["other.example.com"], NOW - DAY, NOW + 90 * DAY, Some(&good));

    let (infos, findings) = check_ca_bundle(field, &good.pem(), NOW);
    assert_eq!((infos.len(), findings), (1, vec![]));

    let bundle = [good.pem(), self_signed_leaf, issued_leaf, expired.pem(), ending.pem()].concat();
    let (infos, findings) = check_ca_bundle(field, &bundle, NOW);
    assert_eq!(infos.len(), 5);
    let summary: Vec<Row<'_>> = findings
        .iter()
        .map(|finding| {
            assert_eq!(finding.field, field);
            let params = finding.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            (finding.severity, finding.code.as_str(), params)
        })
        .collect();
    use model::registry::Severity::{Error, Warning};
    assert_eq!(
        summary,
        vec![
            (Warning, "ca.not_ca", vec![("subject", "CN=registry.example.com")]),
            (Error, "ca.not_ca", vec![("subject", "CN=other.example.com")]),
            (Error, "ca.expired", vec![("date", "2026-09-19"), ("subject", "O=Example, CN=Old Root")]),
            (Warning, "ca.expires_soon", vec![("days", "10"), ("subject", "O=Example, CN=Ending Root")]),
        ]
    );

    for bad in ["", "no pem", "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n", &good.key_pem()] {
        let (infos, findings) = check_ca_bundle(field, bad, NOW);
        assert_eq!((infos.len(), codes(&findings)), (0, vec![(field.to_owned(), "ca.invalid_pem".to_owned())]));
    }
    let junk = pem_text("CERTIFICATE", b"junk");
    let (infos, findings) = check_ca_bundle(field, &format!("{}{junk}", good.pem()), NOW);
    assert_eq!((infos.len(), codes(&findings)), (1, vec![(field.to_owned(), "ca.invalid_pem".to_owned())]));
}

#[test]
fn generated_key_and_csr_name_the_host() {
    let (key, csr_pem) = generate_key_and_csr("registry.apps.example.com").expect("generated");
    assert!(key.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    let block = pem::blocks(&csr_pem).expect("pem").remove(0);
    assert_eq!(block.label, "CERTIFICATE REQUEST");
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&block.der).expect("CSR parses");
    csr.verify_signature().expect("self-signed by its key");
    assert_eq!(csr.certification_request_info.subject.to_string(), "CN=registry.apps.example.com");
    let sans: Vec<String> = csr
        .requested_extensions()
        .into_iter()
        .flatten()
        .filter_map(|extension| match extension {
            ParsedExtension::SubjectAlternativeName(san) => Some(san.general_names.iter().filter_map(san_text)),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sans, vec!["registry.apps.example.com".to_owned()]);
    let public = key::certificate_public_key(&csr.certification_request_info.subject_pki).expect("EC key");
    assert_eq!(PrivateKey::from_pem(key.expose()).and_then(|key| key.public_key()).ok(), Some(public));

    let (other, _) = generate_key_and_csr("registry.apps.example.com").expect("generated");
    assert_ne!(other.expose(), key.expose());
    for bad in ["", "bad host", "-a.example.com", "a..example.com", &"a".repeat(64), "ünicode.example.com"] {
        assert!(matches!(generate_key_and_csr(bad), Err(PkiError::Hostname(_))), "{bad}");
    }
    assert!(generate_key_and_csr("*.apps.example.com").is_ok());
    assert!(generate_key_and_csr("10.1.2.3").is_ok());
}

#[test]
fn certificates_issued_with_an_uploaded_ca_pass_the_check() {
    let ca = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    let host = "registry.apps.example.com";
    let (cert, key) = issue_with_ca(host, &ca.pem(), &ca.key_pem(), 90, NOW).expect("issued");
    let check = check_tls(FIELD, &cert, key.expose(), Some(&ca.pem()), Some(host), NOW);
    assert_eq!(check.findings, vec![]);
    let leaf = check.leaf.expect("leaf");
    let root = parse_certificates(&ca.pem()).expect("ca").remove(0);
    assert_eq!(leaf.issuer, root.subject);
    assert_eq!(leaf.sans, vec![host.to_owned()]);
    assert_eq!((leaf.not_before, leaf.not_after), (NOW - BACKDATE, NOW + 90 * DAY));
    assert!(!leaf.is_ca);
    let der = pem_der(&cert);
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).expect("parses");
    let ca_der = pem_der(&ca.pem());
    let (_, ca_cert) = x509_parser::parse_x509_certificate(&ca_der).expect("ca parses");
    assert_eq!(parsed.issuer().as_raw(), ca_cert.subject().as_raw());
    let usage = parsed.extended_key_usage().expect("eku").expect("present");
    assert!(usage.value.server_auth);
    assert!(matches!(parsed.basic_constraints(), Ok(Some(constraints)) if !constraints.value.ca));
    assert!(parsed.verify_signature(Some(ca_cert.public_key())).is_ok());

    // The CA may be a bundle: its first certificate signs. The CA's validity bounds the start.
    let young = Ca::new("Young Root", NOW - 60, NOW + 400 * DAY);
    let (cert, _) =
        issue_with_ca(host, &format!("{}{}", young.pem(), ca.pem()), &young.key_pem(), 1, NOW).expect("issued");
    let info = parse_certificates(&cert).expect("cert").remove(0);
    assert_eq!(
        (info.not_before, info.not_after, info.issuer.as_str()),
        (NOW - 60, NOW + DAY, "O=Example, CN=Young Root")
    );
}

#[test]
fn issuing_refuses_what_cannot_work() {
    let ca = Ca::new("Example Root", NOW - DAY, NOW + 400 * DAY);
    let other = Ca::new("Other Root", NOW - DAY, NOW + 400 * DAY);
    let host = "registry.example.com";
    assert!(matches!(issue_with_ca(host, &ca.pem(), &other.key_pem(), 90, NOW), Err(PkiError::CaKeyMismatch)));
    assert!(matches!(issue_with_ca(host, &ca.pem(), &ca.key_pem(), 0, NOW), Err(PkiError::Days)));
    assert!(matches!(issue_with_ca(host, &ca.pem(), &ca.key_pem(), MAX_DAYS + 1, NOW), Err(PkiError::Days)));
    assert!(matches!(issue_with_ca("bad host", &ca.pem(), &ca.key_pem(), 90, NOW), Err(PkiError::Hostname(_))));
    assert!(matches!(issue_with_ca(host, "", &ca.key_pem(), 90, NOW), Err(PkiError::NoCertificate)));
    assert!(matches!(issue_with_ca(host, &ca.pem(), "junk", 90, NOW), Err(PkiError::Key(_))));
    let (leaf_pem, leaf_key) = leaf(&[host], NOW - DAY, NOW + 90 * DAY, None);
    assert!(matches!(issue_with_ca(host, &leaf_pem, &leaf_key, 90, NOW), Err(PkiError::NotCa)));
    let old = Ca::new("Old Root", NOW - 400 * DAY, NOW - DAY);
    let result = issue_with_ca(host, &old.pem(), &old.key_pem(), 90, NOW);
    assert!(matches!(result, Err(PkiError::CaExpired(ref day)) if day == "2026-09-20"), "{result:?}");
    // The error never carries the key.
    let message = issue_with_ca(host, &ca.pem(), &other.key_pem(), 90, NOW).map(|_| ()).err().map(|e| e.to_string());
    assert_eq!(message.as_deref(), Some("the CA key does not belong to the CA certificate"));
}

#[test]
fn ed25519_and_p384_cas_can_sign() {
    for alg in [&PKCS_ED25519, &PKCS_ECDSA_P384_SHA384] {
        let ca = Ca::with_key("Root", NOW - DAY, NOW + 400 * DAY, KeyPair::generate_for(alg).expect("key"));
        let (cert, key) = issue_with_ca("r.example.com", &ca.pem(), &ca.key_pem(), 30, NOW).expect("issued");
        assert_eq!(check_tls(FIELD, &cert, key.expose(), Some(&ca.pem()), Some("r.example.com"), NOW).findings, vec![]);
    }
}

// --- With the openssl command line, as users make their files ------------

fn openssl_available() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("note: `openssl` is not on PATH; skipping the OpenSSL-made key and certificate tests");
    }
    found
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("file written by openssl")
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Seed 004's certificate: `openssl req -newkey rsa:2048 -nodes -x509 -addext subjectAltName=...`.
#[test]
fn openssl_rsa_keys_match_in_pkcs8_and_pkcs1() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let host = "registry.example.com";
    let san = format!("subjectAltName=DNS:{host}");
    let subject = format!("/CN={host}");
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-x509", "-days", "365", "-keyout", "tls.key", "-out", "tls.crt",
            "-subj", &subject, "-addext", &san,
        ],
    );
    openssl(dir, &["rsa", "-in", "tls.key", "-traditional", "-out", "pkcs1.key"]);
    openssl(dir, &["genrsa", "-out", "other.key", "2048"]);
    openssl(dir, &["rsa", "-in", "other.key", "-traditional", "-out", "other-pkcs1.key"]);
    let cert = read(dir, "tls.crt");
    let (pkcs8, pkcs1) = (read(dir, "tls.key"), read(dir, "pkcs1.key"));
    assert!(pkcs8.contains("BEGIN PRIVATE KEY") && pkcs1.contains("BEGIN RSA PRIVATE KEY"));
    for key in [&pkcs8, &pkcs1] {
        assert_eq!(key_matches(cert.as_bytes(), key).ok(), Some(true));
        assert_eq!(check_tls(FIELD, &cert, key, None, Some(host), unix_now()).findings, vec![]);
    }
    for other in [read(dir, "other.key"), read(dir, "other-pkcs1.key")] {
        assert_eq!(key_matches(cert.as_bytes(), &other).ok(), Some(false));
        one(&check_tls(FIELD, &cert, &other, None, Some(host), unix_now()).findings, "tls.key_mismatch");
    }
    // A self-signed server certificate trusted as a CA: warned, not refused.
    let (_, findings) = check_ca_bundle("ca", &cert, unix_now());
    let openssl_marks_it_ca = parse_certificates(&cert).expect("cert")[0].is_ca;
    if !openssl_marks_it_ca {
        assert_eq!(findings[0].code, "ca.not_ca");
        assert!(!findings[0].is_error());
    }

    // Encrypted keys, new and legacy style, are invalid with a reason.
    openssl(dir, &["pkcs8", "-topk8", "-in", "tls.key", "-passout", "pass:secret", "-out", "enc8.key"]);
    openssl(dir, &["rsa", "-in", "tls.key", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "enc1.key"]);
    for name in ["enc8.key", "enc1.key"] {
        assert!(matches!(key_matches(cert.as_bytes(), &read(dir, name)), Err(PkiError::EncryptedKey)), "{name}");
        one(&check_tls(FIELD, &cert, &read(dir, name), None, None, unix_now()).findings, "tls.key_invalid");
    }
}

#[test]
fn openssl_ec_and_ed25519_keys_match_in_every_format() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    for curve in ["prime256v1", "secp384r1"] {
        // Without -noout, ecparam writes an EC PARAMETERS block before the key.
        openssl(dir, &["ecparam", "-name", curve, "-genkey", "-out", "sec1.key"]);
        openssl(dir, &["pkcs8", "-topk8", "-nocrypt", "-in", "sec1.key", "-out", "pkcs8.key"]);
        openssl(dir, &["ecparam", "-name", curve, "-genkey", "-noout", "-out", "other.key"]);
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-x509",
                "-key",
                "sec1.key",
                "-days",
                "30",
                "-subj",
                "/CN=ec.example.com",
                "-addext",
                "subjectAltName=DNS:ec.example.com",
                "-out",
                "ec.crt",
            ],
        );
        let cert = read(dir, "ec.crt");
        let sec1 = read(dir, "sec1.key");
        assert!(sec1.contains("EC PARAMETERS") && sec1.contains("EC PRIVATE KEY"));
        for key in [&sec1, &read(dir, "pkcs8.key")] {
            assert_eq!(key_matches(cert.as_bytes(), key).ok(), Some(true), "{curve}");
            assert_eq!(check_tls(FIELD, &cert, key, None, Some("ec.example.com"), unix_now()).findings, vec![]);
        }
        assert_eq!(key_matches(cert.as_bytes(), &read(dir, "other.key")).ok(), Some(false), "{curve}");
    }
    openssl(dir, &["genpkey", "-algorithm", "ed25519", "-out", "ed.key"]);
    openssl(dir, &["genpkey", "-algorithm", "ed25519", "-out", "ed-other.key"]);
    openssl(
        dir,
        &["req", "-new", "-x509", "-key", "ed.key", "-days", "30", "-subj", "/CN=ed.example.com", "-out", "ed.crt"],
    );
    let cert = read(dir, "ed.crt");
    assert_eq!(key_matches(cert.as_bytes(), &read(dir, "ed.key")).ok(), Some(true));
    assert_eq!(key_matches(cert.as_bytes(), &read(dir, "ed-other.key")).ok(), Some(false));
}

/// An RSA CA made by OpenSSL (PKCS#1 key) signs; OpenSSL verifies the result
/// for the host and TLS server use, and accepts our CSR.
#[test]
fn openssl_verifies_what_this_module_issues_and_requests() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let host = "registry.apps.example.com";
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-days",
            "30",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/C=CN/O=Example Corp/CN=Example Root CA",
        ],
    );
    openssl(dir, &["rsa", "-in", "ca.key", "-traditional", "-out", "ca-pkcs1.key"]);
    let ca = read(dir, "ca.crt");
    let now = unix_now();
    for ca_key in [read(dir, "ca.key"), read(dir, "ca-pkcs1.key")] {
        let (cert, key) = issue_with_ca(host, &ca, &ca_key, 30, now).expect("issued");
        std::fs::write(dir.join("leaf.crt"), &cert).expect("write");
        let verified = openssl(
            dir,
            &["verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "-verify_hostname", host, "leaf.crt"],
        );
        assert!(verified.contains("OK"), "{verified}");
        assert_eq!(check_tls(FIELD, &cert, key.expose(), Some(&ca), Some(host), now).findings, vec![]);
        std::fs::write(dir.join("leaf.key"), key.expose()).expect("write");
        let modulus = openssl(dir, &["pkey", "-in", "leaf.key", "-pubout"]);
        let from_cert = openssl(dir, &["x509", "-in", "leaf.crt", "-noout", "-pubkey"]);
        assert_eq!(modulus, from_cert);
    }

    let (_, csr) = generate_key_and_csr(host).expect("csr");
    std::fs::write(dir.join("req.csr"), &csr).expect("write");
    let text = openssl(dir, &["req", "-in", "req.csr", "-noout", "-verify", "-text"]);
    assert!(text.contains(&format!("DNS:{host}")), "{text}");
}
