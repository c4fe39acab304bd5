//! The little DER this module reads and writes itself: private key
//! structures (PKCS#1, SEC1, PKCS#8), which x509-parser does not cover, and
//! the PKCS#8 wrapping that lets ring load PKCS#1 and SEC1 keys. Definite
//! lengths and low tag numbers only, which is all DER allows for these types.

use zeroize::Zeroizing;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
/// `[0]` constructed, context-specific.
pub(crate) const CONTEXT_0: u8 = 0xa0;
/// `[1]` constructed, context-specific.
pub(crate) const CONTEXT_1: u8 = 0xa1;

/// Malformed DER; says what was expected, never the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DerError(pub &'static str);

/// One tag-length-value.
#[derive(Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
}

/// Reads TLVs one after the other from a byte string.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    pub fn read(&mut self) -> Result<Tlv<'a>, DerError> {
        let (&tag, rest) = self.rest.split_first().ok_or(DerError("unexpected end of data"))?;
        if tag & 0x1f == 0x1f {
            return Err(DerError("high tag numbers are not expected here"));
        }
        let (&first, mut rest) = rest.split_first().ok_or(DerError("unexpected end of data"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 {
                return Err(DerError("indefinite length is not DER"));
            }
            if count > 4 || rest.len() < count {
                return Err(DerError("length out of range"));
            }
            let (bytes, tail) = rest.split_at(count);
            rest = tail;
            bytes.iter().fold(0usize, |len, byte| (len << 8) | usize::from(*byte))
        };
        if rest.len() < len {
            return Err(DerError("length beyond the end of data"));
        }
        let (value, rest) = rest.split_at(len);
        self.rest = rest;
        Ok(Tlv { tag, value })
    }

    /// The next TLV's value, which must carry `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], DerError> {
        let tlv = self.read()?;
        if tlv.tag != tag {
            return Err(DerError(what));
        }
        Ok(tlv.value)
    }

    /// The next TLV's value if it carries `tag`, else nothing is consumed.
    pub fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, DerError> {
        if self.peek_tag() == Some(tag) { self.read().map(|tlv| Some(tlv.value)) } else { Ok(None) }
    }

    /// A non-negative INTEGER, without its sign-padding zero bytes.
    pub fn unsigned(&mut self, what: &'static str) -> Result<&'a [u8], DerError> {
        let value = self.expect(INTEGER, what)?;
        match value.first() {
            None => Err(DerError(what)),
            Some(byte) if byte & 0x80 != 0 => Err(DerError(what)),
            Some(_) => Ok(strip_zeros(value)),
        }
    }

    /// A small non-negative INTEGER (versions).
    pub fn small(&mut self, what: &'static str) -> Result<u64, DerError> {
        let value = self.unsigned(what)?;
        if value.len() > 8 {
            return Err(DerError(what));
        }
        Ok(value.iter().fold(0u64, |n, byte| (n << 8) | u64::from(*byte)))
    }

    /// Nothing may follow.
    pub fn finish(&self, what: &'static str) -> Result<(), DerError> {
        if self.is_empty() { Ok(()) } else { Err(DerError(what)) }
    }
}

/// Big-endian magnitude without leading zero bytes (`0` becomes empty).
pub(crate) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|byte| **byte == 0).count();
    &bytes[zeros..]
}

/// A tag and a DER length.
pub(crate) fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let significant = &bytes[bytes.iter().take_while(|byte| **byte == 0).count()..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out
}

/// A complete TLV (for public values only: the copy is not zeroised).
pub(crate) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = header(tag, value.len());
    out.extend_from_slice(value);
    out
}

/// `AlgorithmIdentifier { rsaEncryption, NULL }`.
pub(crate) fn rsa_algorithm() -> Vec<u8> {
    let mut content = tlv(OID, super::key::OID_RSA);
    content.extend_from_slice(&[NULL, 0]);
    tlv(SEQUENCE, &content)
}

/// `AlgorithmIdentifier { id-ecPublicKey, namedCurve }`.
pub(crate) fn ec_algorithm(curve: &[u8]) -> Vec<u8> {
    let mut content = tlv(OID, super::key::OID_EC_PUBLIC_KEY);
    content.extend_from_slice(&tlv(OID, curve));
    tlv(SEQUENCE, &content)
}

/// PKCS#8 v1 `PrivateKeyInfo { 0, algorithm, OCTET STRING inner }`, written
/// straight into a buffer that is zeroised on drop.
pub(crate) fn wrap_pkcs8(algorithm: &[u8], inner: &[u8]) -> Zeroizing<Vec<u8>> {
    const VERSION: [u8; 3] = [INTEGER, 1, 0];
    let octet = header(OCTET_STRING, inner.len());
    let content_len = VERSION.len() + algorithm.len() + octet.len() + inner.len();
    let outer = header(SEQUENCE, content_len);
    let mut out = Zeroizing::new(Vec::with_capacity(outer.len() + content_len));
    out.extend_from_slice(&outer);
    out.extend_from_slice(&VERSION);
    out.extend_from_slice(algorithm);
    out.extend_from_slice(&octet);
    out.extend_from_slice(inner);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_including_long_lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let value = vec![7u8; len];
            let encoded = tlv(OCTET_STRING, &value);
            let mut reader = Reader::new(&encoded);
            let read = reader.read().map_err(|e| e.0);
            assert_eq!(read.map(|tlv| (tlv.tag, tlv.value.len())), Ok((OCTET_STRING, len)));
            assert!(reader.is_empty());
        }
    }

    #[test]
    fn rejects_truncated_and_indefinite_lengths() {
        assert!(Reader::new(&[SEQUENCE]).read().is_err());
        assert!(Reader::new(&[SEQUENCE, 0x80]).read().is_err());
        assert!(Reader::new(&[SEQUENCE, 5, 1, 2]).read().is_err());
        assert!(Reader::new(&[SEQUENCE, 0x85, 1, 1, 1, 1, 1]).read().is_err());
        assert!(Reader::new(&[0x1f, 1, 0]).read().is_err());
    }

    #[test]
    fn unsigned_strips_sign_padding_and_refuses_negatives() {
        assert_eq!(Reader::new(&[INTEGER, 2, 0, 0x80]).unsigned("n"), Ok(&[0x80u8][..]));
        assert!(Reader::new(&[INTEGER, 1, 0x80]).unsigned("n").is_err());
        assert_eq!(Reader::new(&[INTEGER, 1, 1]).small("v"), Ok(1));
    }
}
