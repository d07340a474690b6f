//! Reading a parsed document the way libvirt's XML layer reads it: the XPath lookups libvirt
//! writes (`./model[1]`, `string(...)`), `xmlGetProp`, and the typed attribute readers of
//! `virxml.c` (`virXMLPropUInt`, `virXMLPropInt`, `virXMLPropEnum`, ...) with their errors, which
//! libvirt raises from the XML utilities (`VIR_FROM_XML`).

use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

type Node<'a, 'i> = roxmltree::Node<'a, 'i>;

/// The child elements `./name` selects: XPath names without a prefix match elements in no
/// namespace only.
pub(crate) fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace().is_none()
    })
}

/// `./name[1]`.
pub(crate) fn first_child<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

/// XPath's string value of an element: all the text beneath it.
pub(crate) fn string_value(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// `virXPathString("string(./name[1])")`: the text of the first such child, `None` when there is
/// no such child or its text is empty.
pub(crate) fn child_string(node: Node<'_, '_>, name: &str) -> Option<String> {
    first_child(node, name)
        .map(string_value)
        .filter(|s| !s.is_empty())
}

/// `@name` in an XPath expression: the attribute in no namespace.
pub(crate) fn xpath_attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name && a.namespace().is_none())
        .map(|a| a.value())
}

/// `xmlGetProp`: the first attribute with this local name, whatever its namespace.
pub(crate) fn prop<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value())
}

/// An error of libvirt's XML utilities.
fn xml_error(detail: String) -> Error {
    Error::with_detail(ErrorDomain::XML, ErrorNumber::XML_ERROR, detail)
}

/// The attribute's value; its absence is an error when it is `required`.
fn present<'a>(node: Node<'a, '_>, attr: &str, required: bool) -> Result<Option<&'a str>> {
    match prop(node, attr) {
        None if required => Err(xml_error(format!(
            "Missing required attribute '{attr}' in element '{}'",
            node.tag_name().name()
        ))),
        v => Ok(v),
    }
}

fn zero_refused(node: Node<'_, '_>, attr: &str) -> Error {
    xml_error(format!(
        "Invalid value for attribute '{attr}' in element '{}': Zero is not permitted",
        node.tag_name().name()
    ))
}

/// What C's `strtoul`/`strtol` read from the whole of `s` (libvirt passes no end pointer, so a
/// number followed by anything is refused): whether a minus sign came first, and the magnitude.
/// `None` when there are no digits, something follows them, or the magnitude overflows.
fn c_integer(s: &str, base: u32) -> Option<(bool, u64)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        negative = b[i] == b'-';
        i += 1;
    }
    let hex_prefix = |i: usize| {
        b.get(i) == Some(&b'0')
            && matches!(b.get(i + 1), Some(b'x' | b'X'))
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    let base = match base {
        0 if hex_prefix(i) => {
            i += 2;
            16
        }
        0 if b.get(i) == Some(&b'0') => 8,
        0 => 10,
        16 if hex_prefix(i) => {
            i += 2;
            16
        }
        other => other,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    u64::from_str_radix(digits, base)
        .ok()
        .map(|v| (negative, v))
}

/// `virStrToLong_uip`: an `unsigned int`, no minus sign.
pub(crate) fn parse_uint(s: &str, base: u32) -> Option<u32> {
    match c_integer(s, base)? {
        (false, v) => u32::try_from(v).ok(),
        (true, _) => None,
    }
}

/// `virStrToLong_ullp`: an `unsigned long long`, no minus sign.
fn parse_ulonglong(s: &str, base: u32) -> Option<u64> {
    match c_integer(s, base)? {
        (false, v) => Some(v),
        (true, _) => None,
    }
}

/// `virStrToLong_i`: an `int`.
fn parse_int(s: &str, base: u32) -> Option<i32> {
    let (negative, v) = c_integer(s, base)?;
    let v = i64::try_from(v).ok()?;
    i32::try_from(if negative { -v } else { v }).ok()
}

/// `virXMLPropUInt`: `Ok(None)` when the attribute is absent and not `required`.
pub(crate) fn prop_uint(
    node: Node<'_, '_>,
    attr: &str,
    base: u32,
    required: bool,
    nonzero: bool,
) -> Result<Option<u32>> {
    let Some(v) = present(node, attr, required)? else {
        return Ok(None);
    };
    let n = parse_uint(v, base).ok_or_else(|| {
        xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{}': '{v}'. Expected non-negative \
             integer value",
            node.tag_name().name()
        ))
    })?;
    if nonzero && n == 0 {
        return Err(zero_refused(node, attr));
    }
    Ok(Some(n))
}

/// `virXMLPropULongLong` with base 10.
pub(crate) fn prop_ulonglong(
    node: Node<'_, '_>,
    attr: &str,
    required: bool,
) -> Result<Option<u64>> {
    let Some(v) = present(node, attr, required)? else {
        return Ok(None);
    };
    parse_ulonglong(v, 10).map(Some).ok_or_else(|| {
        xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{}': '{v}'. Expected non-negative \
             integer value",
            node.tag_name().name()
        ))
    })
}

/// `virXMLPropInt` with base 10 and `VIR_XML_PROP_NONNEGATIVE`, the attribute optional.
pub(crate) fn prop_nonnegative_int(node: Node<'_, '_>, attr: &str) -> Result<Option<i32>> {
    let Some(v) = prop(node, attr) else {
        return Ok(None);
    };
    let element = node.tag_name().name();
    let n = parse_int(v, 10).ok_or_else(|| {
        xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{element}': '{v}'. Expected integer \
             value"
        ))
    })?;
    if n < 0 {
        return Err(xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{element}': '{v}'. Expected \
             non-negative value"
        )));
    }
    Ok(Some(n))
}

/// `virXMLPropEnum`: the index of the attribute's value in `values`. With `nonzero` the first
/// value counts as invalid, as `virXMLPropTristateSwitch`/`Bool` treat `default`.
pub(crate) fn prop_enum(
    node: Node<'_, '_>,
    attr: &str,
    values: &[&str],
    required: bool,
    nonzero: bool,
) -> Result<Option<usize>> {
    let Some(v) = present(node, attr, required)? else {
        return Ok(None);
    };
    match values.iter().position(|x| *x == v) {
        Some(i) if !(nonzero && i == 0) => Ok(Some(i)),
        _ => Err(xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{}': '{v}'.",
            node.tag_name().name()
        ))),
    }
}

/// `virTristateSwitch`'s values.
pub(crate) const TRISTATE_SWITCH: &[&str] = &["default", "on", "off"];

/// `virTristateBool`'s values.
pub(crate) const TRISTATE_BOOL: &[&str] = &["default", "yes", "no"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_c_reads_them() {
        assert_eq!(parse_uint("12", 10), Some(12));
        assert_eq!(parse_uint(" +12", 10), Some(12));
        assert_eq!(parse_uint("12 ", 10), None);
        assert_eq!(parse_uint("-0", 10), None);
        assert_eq!(parse_uint("", 10), None);
        assert_eq!(parse_uint("4294967295", 10), Some(u32::MAX));
        assert_eq!(parse_uint("4294967296", 10), None);
        assert_eq!(parse_uint("0x1f", 0), Some(31));
        assert_eq!(parse_uint("0X1F", 0), Some(31));
        assert_eq!(parse_uint("010", 0), Some(8));
        assert_eq!(parse_uint("0", 0), Some(0));
        assert_eq!(parse_uint("0x", 0), None);
        assert_eq!(parse_uint("09", 0), None);
        assert_eq!(parse_uint("0x10", 10), None);
        assert_eq!(parse_uint("ffff0000", 16), Some(0xffff_0000));
        assert_eq!(parse_int("-3", 10), Some(-3));
        assert_eq!(parse_int("2147483648", 10), None);
        assert_eq!(parse_int("-2147483648", 10), Some(i32::MIN));
        assert_eq!(parse_ulonglong("18446744073709551615", 10), Some(u64::MAX));
        assert_eq!(parse_ulonglong("18446744073709551616", 10), None);
    }

    #[test]
    fn lookups_follow_xpath_and_xmlgetprop() {
        let text = "<cpu xmlns:n='urn:x'><n:arch>a</n:arch><arch>b<x>c</x></arch><arch>d</arch>\
                    <feature n:name='f'/><model></model></cpu>";
        let doc = roxmltree::Document::parse(text).expect("well-formed");
        let cpu = doc.root_element();
        assert_eq!(child_string(cpu, "arch").as_deref(), Some("bc"));
        assert_eq!(child_string(cpu, "model"), None);
        assert_eq!(child_string(cpu, "vendor"), None);
        let f = first_child(cpu, "feature").expect("feature");
        assert_eq!(prop(f, "name"), Some("f"));
        assert_eq!(xpath_attr(f, "name"), None);
    }

    #[test]
    fn typed_readers_raise_libvirts_errors() {
        let doc = roxmltree::Document::parse(
            "<t sockets='0' cores='x' level='-1' mode='default' big='-2'/>",
        )
        .expect("well-formed");
        let t = doc.root_element();
        let msg = |r: Result<Option<u32>>| r.expect_err("refused").message;
        assert_eq!(
            msg(prop_uint(t, "sockets", 10, true, true)),
            "XML error: Invalid value for attribute 'sockets' in element 't': Zero is not \
             permitted"
        );
        assert_eq!(
            msg(prop_uint(t, "cores", 10, true, true)),
            "XML error: Invalid value for attribute 'cores' in element 't': 'x'. Expected \
             non-negative integer value"
        );
        assert_eq!(
            msg(prop_uint(t, "threads", 10, true, true)),
            "XML error: Missing required attribute 'threads' in element 't'"
        );
        assert_eq!(prop_uint(t, "threads", 10, false, true), Ok(None));
        let e = prop_nonnegative_int(t, "level").expect_err("negative");
        assert_eq!(
            e.message,
            "XML error: Invalid value for attribute 'level' in element 't': '-1'. Expected \
             non-negative value"
        );
        assert_eq!(e.domain, ErrorDomain::XML);
        let e = prop_enum(t, "mode", TRISTATE_SWITCH, false, true).expect_err("default");
        assert_eq!(
            e.message,
            "XML error: Invalid value for attribute 'mode' in element 't': 'default'."
        );
        assert_eq!(
            prop_enum(t, "mode", TRISTATE_SWITCH, false, false),
            Ok(Some(0))
        );
        assert!(prop_ulonglong(t, "big", true).is_err());
    }
}
