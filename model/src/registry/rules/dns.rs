//! Kubernetes object names, label keys and values, host names and IP
//! addresses (apimachinery `validation.IsDNS1123Subdomain`, `IsDNS1123Label`,
//! `IsQualifiedName`, `IsValidLabelValue`).

use std::net::{IpAddr, Ipv4Addr};

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, any length (callers bound it).
fn is_lower_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            is_lower_alnum(*first) && is_lower_alnum(*last) && bytes.iter().all(|b| is_lower_alnum(*b) || *b == b'-')
        }
        _ => false,
    }
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// A DNS-1123 subdomain, the rule for most object names: at most 253
/// characters, lowercase letters, digits, `-` and `.`, each dot-separated
/// part starting and ending with a letter or digit.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_lower_label)
}

/// A DNS-1123 label, the rule for namespace names: at most 63 lowercase
/// letters, digits and `-`, starting and ending with a letter or digit.
pub fn is_dns_label(s: &str) -> bool {
    s.len() <= 63 && is_lower_label(s)
}

/// An RFC 1123 host name: at most 253 characters, dot-separated labels of
/// 1–63 letters (either case), digits and `-`, not starting or ending with
/// `-`. No wildcard, no trailing dot, no port.
pub fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= 63
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && bytes.first() != Some(&b'-')
                && bytes.last() != Some(&b'-')
        })
}

/// An IPv4 or IPv6 address, without brackets.
pub fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// A dotted-quad IPv4 address such as `192.168.0.1`.
pub fn is_ipv4(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok()
}

/// A host name or an IP address (IPv6 without brackets).
pub fn is_host_or_ip(s: &str) -> bool {
    is_hostname(s) || is_ip(s)
}

/// A label or annotation key: an optional DNS-subdomain prefix and `/`, then
/// a name of at most 63 characters `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, s),
    };
    if let Some(prefix) = prefix
        && !is_dns_subdomain(prefix)
    {
        return false;
    }
    !name.is_empty() && name.len() <= 63 && is_label_value(name)
}

/// A label value: empty, or at most 63 characters of letters, digits, `-`,
/// `_` and `.`, starting and ending with a letter or digit.
pub fn is_label_value(s: &str) -> bool {
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (None, _) | (_, None) => true,
        (Some(first), Some(last)) => {
            bytes.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains() {
        assert!(is_dns_subdomain("image-registry-storage"));
        assert!(is_dns_subdomain("a.b-c.d0"));
        assert!(is_dns_subdomain("0"));
        assert!(is_dns_subdomain(&"a".repeat(253)));
        assert!(!is_dns_subdomain(&"a".repeat(254)));
        assert!(!is_dns_subdomain(""));
        assert!(!is_dns_subdomain("Upper"));
        assert!(!is_dns_subdomain("-a"));
        assert!(!is_dns_subdomain("a-"));
        assert!(!is_dns_subdomain("a..b"));
        assert!(!is_dns_subdomain(".a"));
        assert!(!is_dns_subdomain("a_b"));
    }

    #[test]
    fn labels() {
        assert!(is_dns_label("team-b"));
        assert!(is_dns_label(&"a".repeat(63)));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(!is_dns_label("a.b"));
        assert!(!is_dns_label(""));
        assert!(!is_dns_label("A"));
    }

    #[test]
    fn hostnames_and_ips() {
        assert!(is_hostname("nfs01"));
        assert!(is_hostname("NFS01.Example.com"));
        assert!(is_hostname("10.0.0.1"));
        assert!(!is_hostname("*.example.com"));
        assert!(!is_hostname("a..b"));
        assert!(!is_hostname("example.com."));
        assert!(!is_hostname("host:5000"));
        assert!(!is_hostname(&format!("{}.com", "a".repeat(64))));
        assert!(is_host_or_ip("fd00::1"));
        assert!(!is_host_or_ip("[fd00::1]"));
        assert!(is_ipv4("192.168.5.4"));
        assert!(!is_ipv4("192.168.5"));
    }

    #[test]
    fn label_keys_and_values() {
        assert!(is_qualified_name("node-role.kubernetes.io/infra"));
        assert!(is_qualified_name("disktype"));
        assert!(!is_qualified_name("/infra"));
        assert!(!is_qualified_name("Bad_Prefix/x"));
        assert!(!is_qualified_name("a/"));
        assert!(!is_qualified_name(&"a".repeat(64)));
        assert!(is_label_value(""));
        assert!(is_label_value("ssd_1.x-y"));
        assert!(!is_label_value("-x"));
        assert!(!is_label_value("a b"));
    }
}
