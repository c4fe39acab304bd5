//! PEM blocks (RFC 7468, plus the RFC 1421 headers of OpenSSL's legacy
//! encrypted keys). Text outside blocks is ignored, as OpenSSL does (it
//! writes "Bag Attributes" and `-text` dumps there). Decoded bytes live in
//! buffers zeroised on drop, since a block may be a private key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::PkiError;

pub(crate) struct Block {
    pub label: String,
    /// RFC 1421 `Proc-Type: 4,ENCRYPTED` header present.
    pub encrypted: bool,
    pub der: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block").field("label", &self.label).field("len", &self.der.len()).finish_non_exhaustive()
    }
}

/// Every block in `text`, in order.
pub(crate) fn blocks(text: &str) -> Result<Vec<Block>, PkiError> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line.trim().strip_prefix("-----BEGIN ").and_then(|rest| rest.strip_suffix("-----")) else {
            continue;
        };
        let end = format!("-----END {label}-----");
        // The base64 lines are borrowed first, so the one copy made of them
        // is allocated at its final size (a growing buffer would leave
        // copies of a key behind).
        let mut body_lines = Vec::new();
        let mut encrypted = false;
        let mut closed = false;
        for line in lines.by_ref() {
            let line = line.trim();
            if line == end {
                closed = true;
                break;
            }
            if line.starts_with("-----") {
                return Err(PkiError::Pem("a PEM block's END line is missing or does not match its BEGIN line"));
            }
            if line.contains(':') {
                // An RFC 1421 header such as `Proc-Type: 4,ENCRYPTED` or `DEK-Info: ...`.
                encrypted |= line.starts_with("Proc-Type:") && line.contains("ENCRYPTED");
                continue;
            }
            body_lines.push(line);
        }
        if !closed {
            return Err(PkiError::Pem("a PEM block's END line is missing"));
        }
        let mut body = Zeroizing::new(String::with_capacity(body_lines.iter().map(|line| line.len()).sum()));
        body_lines.iter().for_each(|line| body.push_str(line));
        let mut der = Zeroizing::new(Vec::with_capacity(body.len()));
        STANDARD.decode_vec(body.as_bytes(), &mut der).map_err(|_| PkiError::Pem("a PEM block is not valid base64"))?;
        if der.is_empty() && !encrypted {
            return Err(PkiError::Pem("a PEM block is empty"));
        }
        out.push(Block { label: label.to_owned(), encrypted, der });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_in_order_ignoring_text_around_them() {
        let text = "Bag Attributes\r\n-----BEGIN A-----\r\nAQID\r\n-----END A-----\r\nsubject=...\n  -----BEGIN B-----\nBAU=\n-----END B-----\n";
        let found = blocks(text).unwrap_or_default();
        let summary: Vec<(String, Vec<u8>)> = found.into_iter().map(|b| (b.label, b.der.to_vec())).collect();
        assert_eq!(summary, vec![("A".to_owned(), vec![1, 2, 3]), ("B".to_owned(), vec![4, 5])]);
    }

    #[test]
    fn refuses_unterminated_mismatched_bad_base64_and_empty_blocks() {
        assert!(blocks("-----BEGIN A-----\nAQID\n").is_err());
        assert!(blocks("-----BEGIN A-----\nAQID\n-----END B-----\n").is_err());
        assert!(blocks("-----BEGIN A-----\nAQ*D\n-----END A-----\n").is_err());
        assert!(blocks("-----BEGIN A-----\n-----END A-----\n").is_err());
        assert!(blocks("no pem here").is_ok_and(|found| found.is_empty()));
    }

    #[test]
    fn notices_legacy_encryption_headers() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n";
        assert!(blocks(text).is_ok_and(|found| found.len() == 1 && found[0].encrypted));
    }
}
