//! Kubernetes resource quantities as byte counts, for claim and volume sizes.

/// Bytes in a quantity such as `100Gi`, `1.5Ti`, `500M`, `1e9` or `1048576`;
/// a fraction of a byte rounds up, as Kubernetes does. `None` for anything
/// Kubernetes would refuse, for negatives, and for the sub-unit suffixes
/// `m`, `u`, `n` that make no sense for bytes.
pub fn parse_quantity_bytes(s: &str) -> Option<u128> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let number_len = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    // value = mantissa / 10^scale * multiplier
    let mantissa: u128 = format!("{whole}{fraction}").parse().ok()?;
    let scale = u32::try_from(fraction.len()).ok()?;
    let (multiplier, exponent): (u128, i32) = match suffix {
        "" => (1, 0),
        "Ki" => (1 << 10, 0),
        "Mi" => (1 << 20, 0),
        "Gi" => (1 << 30, 0),
        "Ti" => (1 << 40, 0),
        "Pi" => (1 << 50, 0),
        "Ei" => (1 << 60, 0),
        "k" => (1, 3),
        "M" => (1, 6),
        "G" => (1, 9),
        "T" => (1, 12),
        "P" => (1, 15),
        "E" => (1, 18),
        _ => {
            // Decimal exponent: `1e9`, `5E3`.
            let digits = suffix.strip_prefix(['e', 'E'])?;
            let digits = digits.strip_prefix('+').unwrap_or(digits);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (1, digits.parse().ok().filter(|e: &i32| *e <= 30)?)
        }
    };
    let numerator =
        mantissa.checked_mul(multiplier)?.checked_mul(10u128.checked_pow(u32::try_from(exponent).ok()?)?)?;
    let denominator = 10u128.checked_pow(scale)?;
    Some(numerator.div_ceil(denominator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity_bytes("100Gi"), Some(100 << 30));
        assert_eq!(parse_quantity_bytes("1.5Ki"), Some(1536));
        assert_eq!(parse_quantity_bytes("500M"), Some(500_000_000));
        assert_eq!(parse_quantity_bytes("1k"), Some(1000));
        assert_eq!(parse_quantity_bytes("1e9"), Some(1_000_000_000));
        assert_eq!(parse_quantity_bytes("1048576"), Some(1 << 20));
        assert_eq!(parse_quantity_bytes("0.5"), Some(1));
        assert_eq!(parse_quantity_bytes(".5Ki"), Some(512));
        assert_eq!(parse_quantity_bytes("+2Ei"), Some(2 << 60));
        assert_eq!(parse_quantity_bytes("0"), Some(0));
        for bad in ["", "Gi", "100GB", "100gi", "-1Gi", "1.2.3", "100 Gi", "100m", "1e", "1e-3", "12Kib", "."] {
            assert_eq!(parse_quantity_bytes(bad), None, "{bad:?}");
        }
    }
}
