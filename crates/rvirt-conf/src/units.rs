//! Scaled integers as libvirt reads them (`<memory unit='MiB'>512</memory>`).

use crate::xml;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The multiplier of a unit suffix; `default` applies when there is none. `None` for a suffix
/// libvirt does not know.
pub fn unit_scale(suffix: &str, default: u64) -> Option<u64> {
    if suffix.is_empty() {
        return Some(default);
    }
    let lower = suffix.to_ascii_lowercase();
    if lower == "b" || lower == "byte" || lower == "bytes" {
        return Some(1);
    }
    let mut chars = suffix.chars();
    let first = chars.next()?.to_ascii_lowercase();
    let rest = chars.as_str();
    let base: u64 = if rest.is_empty() || rest.eq_ignore_ascii_case("iB") {
        1024
    } else if rest.eq_ignore_ascii_case("B") {
        1000
    } else {
        return None;
    };
    let power = match first {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        'e' => 6,
        _ => return None,
    };
    Some(base.pow(power))
}

/// Parses the text of a libvirt integer element: blanks around it are allowed, a sign is not.
pub fn parse_ull(text: &str) -> Option<u64> {
    let t = text.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.starts_with('-') {
        return None;
    }
    t.trim_end().parse().ok()
}

/// Reads a memory element (`<memory unit=…>N</memory>`, N defaulting to KiB) as KiB, rounded
/// up, with libvirt's errors. `xpath` names the element in error messages (`./memory[1]`).
/// `None` when the element is absent.
pub fn parse_memory_kib(node: Option<roxmltree::Node<'_, '_>>, xpath: &str) -> Result<Option<u64>> {
    let Some(node) = node else { return Ok(None) };
    let text = node.text().unwrap_or("");
    let unit = node.attribute("unit").unwrap_or("");
    memory_kib(text, unit, xpath).map(Some)
}

/// Reads a memory size held in attribute `value_attr` of `node` with its unit in `unit_attr`
/// (`<bandwidth value='…' unit='…'/>`), as [`parse_memory_kib`] reads an element. `None` when
/// the attribute is absent.
pub fn parse_memory_kib_attrs(
    node: roxmltree::Node<'_, '_>,
    value_attr: &str,
    unit_attr: &str,
    xpath: &str,
) -> Result<Option<u64>> {
    let Some(text) = node.attribute(value_attr) else {
        return Ok(None);
    };
    let unit = node.attribute(unit_attr).unwrap_or("");
    memory_kib(text, unit, xpath).map(Some)
}

fn memory_kib(text: &str, unit: &str, xpath: &str) -> Result<u64> {
    let Some(value) = parse_ull(text) else {
        return Err(Error::with_detail(
            ErrorDomain::XML,
            ErrorNumber::XML_ERROR,
            format!("Invalid value '{text}' for element or attribute '{xpath}'"),
        ));
    };
    let Some(scale) = unit_scale(unit, 1024) else {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::INVALID_ARG,
            format!("unknown suffix '{unit}'"),
        ));
    };
    let overflow = || {
        Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::OVERFLOW,
            format!("value too large: {text}{unit}"),
        )
    };
    let bytes = value.checked_mul(scale).ok_or_else(overflow)?;
    let kib = bytes.div_ceil(1024);
    // libvirt caps memory sizes at what fits in a long long of bytes.
    if kib > (i64::MAX as u64) >> 10 {
        return Err(xml::xml_error(format!("size {kib} KiB is too large")));
    }
    Ok(kib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        assert_eq!(unit_scale("", 1024), Some(1024));
        assert_eq!(unit_scale("bytes", 1024), Some(1));
        assert_eq!(unit_scale("KB", 1024), Some(1000));
        assert_eq!(unit_scale("MiB", 1024), Some(1 << 20));
        assert_eq!(unit_scale("g", 1024), Some(1 << 30));
        assert_eq!(unit_scale("E", 1024), Some(1 << 60));
        assert_eq!(unit_scale("zz", 1024), None);
        assert_eq!(parse_ull(" 12 "), Some(12));
        assert_eq!(parse_ull("-1"), None);
    }
}
