//! URLs, registry references, PEM blocks and IBM CRNs.

use super::dns::{is_hostname, is_ip, is_ipv4};

/// The parts of an `http`/`https` URL the rules look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
}

/// Parses `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`
/// with scheme `http` or `https` (any case) and a host name, IPv4 address or
/// bracketed IPv6 address; `None` otherwise.
pub fn parse_http_url(s: &str) -> Option<HttpUrl> {
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host_port)| host_port);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        if !host.contains(':') || !is_ip(host) {
            return None;
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if !is_hostname(host) && !is_ip(host) {
        return None;
    }
    let port = match port {
        Some(port) => Some(parse_port(port)?),
        None => None,
    };
    Some(HttpUrl { scheme, host: host.to_owned(), port })
}

/// A TCP port 1–65535 written in decimal.
pub fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().filter(|port| *port > 0)
}

/// What is wrong with a registry reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefProblem {
    /// Not `host[:port][/path]` (or `*.domain` where allowed).
    Invalid,
    /// Ends in `:tag` after a path.
    Tag,
    /// Contains `@sha256:…` or another digest.
    Digest,
}

/// Checks `host[:port][/path]`, the form of `registrySources` entries,
/// mirror sources and mirrors, and pull secret keys (REFERENCE §4); with
/// `wildcard`, `*.domain` too. The host is a host name (any case) or IPv4
/// address; path components are `[a-z0-9]+` joined by `.`, `_`, `__` or
/// `-`s, as in image names.
pub fn check_registry_ref(s: &str, wildcard: bool) -> Result<(), RefProblem> {
    if s.contains('@') {
        return Err(RefProblem::Digest);
    }
    if let Some(domain) = s.strip_prefix("*.") {
        return if wildcard && is_hostname(domain) { Ok(()) } else { Err(RefProblem::Invalid) };
    }
    let (host_port, path) = match s.split_once('/') {
        Some((host_port, path)) => (host_port, Some(path)),
        None => (s, None),
    };
    if !is_host_port(host_port) {
        return Err(RefProblem::Invalid);
    }
    let Some(path) = path else {
        return Ok(());
    };
    let components: Vec<&str> = path.split('/').collect();
    if let Some((name, tag)) = components.last().and_then(|last| last.split_once(':'))
        && !tag.is_empty()
        && is_path_component(name)
    {
        return Err(RefProblem::Tag);
    }
    if components.iter().all(|c| is_path_component(c)) { Ok(()) } else { Err(RefProblem::Invalid) }
}

/// `host[:port]` with a host name or IPv4 address and a port 1–65535.
pub fn is_host_port(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    let host_ok = is_hostname(host) || is_ipv4(host);
    let port_ok = port.is_none_or(|port| parse_port(port).is_some());
    host_ok && port_ok
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`: one component of an image path.
fn is_path_component(s: &str) -> bool {
    let bytes = s.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(|b| alnum(*b)) || !bytes.last().is_some_and(|b| alnum(*b)) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__`, or any number of `-`.
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Whether `pem` holds a `-----BEGIN CERTIFICATE-----` block with its end line.
pub fn has_certificate_block(pem: &str) -> bool {
    has_block(pem, |label| label == "CERTIFICATE")
}

/// Whether `pem` holds a private key block (`PRIVATE KEY`, `RSA PRIVATE KEY`,
/// `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, …) with its end line.
pub fn has_private_key_block(pem: &str) -> bool {
    has_block(pem, |label| label.ends_with("PRIVATE KEY"))
}

fn has_block(pem: &str, wanted: impl Fn(&str) -> bool) -> bool {
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            return false;
        };
        let label = &after[..label_end];
        let body = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        if let Some(end) = body.find(&end_marker) {
            if wanted(label) && !body[..end].trim().is_empty() {
                return true;
            }
            rest = &body[end + end_marker.len()..];
        } else {
            return false;
        }
    }
    false
}

/// Matches `s` against a pattern made of literal parts and `.+` wildcards
/// (any non-empty text, colons included), anchored at both ends, as in the
/// IBM COS CRN patterns of REFERENCE §1.2.
pub fn matches_wildcards(s: &str, parts: &[Option<&str>]) -> bool {
    match parts.split_first() {
        None => s.is_empty(),
        Some((Some(literal), rest)) => s.strip_prefix(literal).is_some_and(|s| matches_wildcards(s, rest)),
        Some((None, rest)) => {
            (1..=s.len()).filter(|i| s.is_char_boundary(*i)).any(|i| matches_wildcards(&s[i..], rest))
        }
    }
}

/// `crn:.+:.+:.+:cloud-object-storage:.+:.+:.+`, the part both IBM COS CRNs share.
const COS_CRN: [Option<&str>; 12] = [
    Some("crn:"),
    None,
    Some(":"),
    None,
    Some(":"),
    None,
    Some(":cloud-object-storage:"),
    None,
    Some(":"),
    None,
    Some(":"),
    None,
];

/// `^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+:resource-key:.+$`
pub fn is_resource_key_crn(s: &str) -> bool {
    matches_wildcards(s, &[&COS_CRN[..], &[Some(":resource-key:"), None]].concat())
}

/// `^crn:.+:.+:.+:cloud-object-storage:.+:.+:.+::$`
pub fn is_service_instance_crn(s: &str) -> bool {
    matches_wildcards(s, &[&COS_CRN[..], &[Some("::")]].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = parse_http_url("https://rgw.example.com:8080/path?x#y").expect("url");
        assert_eq!(url, HttpUrl { scheme: "https".into(), host: "rgw.example.com".into(), port: Some(8080) });
        assert_eq!(parse_http_url("HTTP://10.0.0.1").map(|u| u.port), Some(None));
        assert_eq!(parse_http_url("http://user:p%40ss@proxy.corp:3128").map(|u| u.host), Some("proxy.corp".into()));
        assert_eq!(parse_http_url("http://[fd00::1]:80").map(|u| u.port), Some(Some(80)));
        for bad in ["", "rgw.example.com:8080", "ftp://x", "https://", "https://x:0", "https://x:99999", "https://a b"]
        {
            assert_eq!(parse_http_url(bad), None, "{bad:?}");
        }
        assert_eq!(parse_http_url("https://[nonsense]"), None);
    }

    #[test]
    fn registry_refs() {
        for ok in ["quay.io", "registry.redhat.io", "reg.example.com:5000/team/app", "localhost:5000", "10.0.0.1:5000"]
        {
            assert_eq!(check_registry_ref(ok, false), Ok(()), "{ok:?}");
        }
        assert_eq!(check_registry_ref("*.example.com", true), Ok(()));
        assert_eq!(check_registry_ref("*.example.com", false), Err(RefProblem::Invalid));
        assert_eq!(check_registry_ref("quay.io/app:latest", false), Err(RefProblem::Tag));
        assert_eq!(check_registry_ref("quay.io/app@sha256:abc", false), Err(RefProblem::Digest));
        for bad in ["", "quay.io/", "quay.io//x", "quay.io/Upper", "host:port", "*", "*.", "https://quay.io", "a b"] {
            assert_eq!(check_registry_ref(bad, true), Err(RefProblem::Invalid), "{bad:?}");
        }
        assert_eq!(check_registry_ref("quay.io/a__b.c--d", false), Ok(()));
        assert_eq!(check_registry_ref("quay.io/a___b", false), Err(RefProblem::Invalid));
        assert!(is_host_port("h:1"));
        assert!(!is_host_port("h:"));
        assert!(!is_host_port("h/x"));
    }

    #[test]
    fn pem_blocks() {
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----";
        assert!(has_certificate_block(cert));
        assert!(has_certificate_block(&format!("{key}\n{cert}")));
        assert!(!has_certificate_block(key));
        assert!(has_private_key_block(key));
        assert!(has_private_key_block("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----"));
        assert!(!has_private_key_block(cert));
        assert!(!has_certificate_block("-----BEGIN CERTIFICATE-----\nMIIB\n"));
        assert!(!has_certificate_block("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"));
        assert!(!has_certificate_block("MIIB"));
    }

    #[test]
    fn crns() {
        assert!(is_resource_key_crn("crn:v1:bluemix:public:cloud-object-storage:global:a/123:456:resource-key:789"));
        assert!(!is_resource_key_crn("crn:v1:bluemix:public:cloud-object-storage:global:a/123:456:resource-key:"));
        assert!(!is_resource_key_crn("crn:v1:bluemix:public:kms:global:a/123:456:resource-key:789"));
        assert!(is_service_instance_crn("crn:v1:bluemix:public:cloud-object-storage:global:a/123:456::"));
        assert!(!is_service_instance_crn("crn:v1:bluemix:public:cloud-object-storage:global:a/123:456:x:"));
        assert!(!is_service_instance_crn("crn:v1::public:cloud-object-storage:global:a/123:456::"));
    }
}
