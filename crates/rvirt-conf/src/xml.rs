//! XML plumbing shared by every definition: a parser front that refuses DTDs, typed attribute
//! readers that raise the same error for the same mistake, and a writer in libvirt's style.

use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// Parses `text` into a document. DTDs (and so external entities) are refused; malformed XML
/// answers `VIR_ERR_XML_DETAIL` naming the fault and where it is, as libvirt reports libxml2's
/// errors.
///
/// `domain` is the error domain libvirt reports the fault from: the object's (`Domain Config`
/// for domain XML, `Domain Snapshot` for snapshot XML).
pub fn parse_document<'a>(
    text: &'a str,
    what: &str,
    domain: ErrorDomain,
) -> Result<roxmltree::Document<'a>> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 1 << 20,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts).map_err(|e| {
        Error::with_detail(
            domain,
            ErrorNumber::XML_DETAIL,
            format!("{what}:{}: {e}", e.pos().row),
        )
    })
}

/// libvirt's error for a document whose root element is not the expected one (raised by its XML
/// layer, so from the `XML Util` error domain).
pub fn wrong_root(expected: &str, found: &str) -> Error {
    Error::with_detail(
        ErrorDomain::XML,
        ErrorNumber::XML_ERROR,
        format!("expecting root element of '{expected}', not '{found}'"),
    )
}

/// `VIR_ERR_XML_ERROR` with a detail, for a document that parses but does not describe a valid
/// object.
pub fn xml_error(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::XML_ERROR, detail)
}

/// `VIR_ERR_CONFIG_UNSUPPORTED` with a detail.
pub fn config_unsupported(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// The first child element of `node` named `name`.
pub fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The text of the first child element named `name`, if any.
pub fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).map(|c| c.text().unwrap_or(""))
}

/// Escapes text for an element body or a single-quoted attribute, as libxml2 escapes on output.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// libvirt's `virBufferEscapeString`: markup characters become entities and the control
/// characters libxml2 would refuse (0x01–0x19 but tab, newline and carriage return) are dropped.
pub fn escape_string(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{1}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{19}' => {}
            c => out.push(c),
        }
    }
}

/// A writer of libvirt-style XML: two-space indent, single-quoted attributes, elements without
/// content closed as `<x/>`.
#[derive(Default)]
pub struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    /// A writer starting at indentation level `depth`.
    pub fn with_depth(depth: usize) -> XmlWriter {
        XmlWriter {
            out: String::new(),
            depth,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn open_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("='");
            escape(v, &mut self.out);
            self.out.push('\'');
        }
    }

    /// `<name a='b'>` on its own line; the following elements are nested one level deeper.
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open_tag(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    /// `</name>` closing the element opened by the matching [`XmlWriter::start`].
    pub fn end(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name a='b'/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open_tag(name, attrs);
        self.out.push_str("/>\n");
    }

    /// `<name a='b'>text</name>`, escaped.
    pub fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open_tag(name, attrs);
        self.out.push('>');
        escape(text, &mut self.out);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// Raw, already formatted lines, indented to the current depth.
    pub fn raw_lines(&mut self, text: &str) {
        for line in text.lines() {
            self.indent();
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    /// Text already formatted at this writer's depth, written as it is.
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// An empty line, as libvirt leaves between sections of the capabilities document.
    pub fn blank_line(&mut self) {
        self.out.push('\n');
    }

    /// The document written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// `VIR_ERR_XML_ERROR` raised from the XML utilities (`VIR_FROM_XML`), as libvirt's typed
/// attribute readers report a value outside an enum.
pub fn invalid_enum_attr(attr: &str, element: &str, value: &str) -> Error {
    Error::with_detail(
        ErrorDomain::XML,
        ErrorNumber::XML_ERROR,
        format!("Invalid value for attribute '{attr}' in element '{element}': '{value}'."),
    )
}

/// Reads attribute `attr` of `node`, which must be one of `allowed` (libvirt's
/// `virXMLPropEnum`). `None` when absent.
pub fn attr_enum<'a>(
    node: roxmltree::Node<'a, '_>,
    attr: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>> {
    match node.attribute(attr) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        Some(v) => Err(invalid_enum_attr(attr, node.tag_name().name(), v)),
    }
}

/// Parses a hexadecimal number as libvirt's `virStrToLong_ullp` with base 16 does: leading
/// blanks, an optional `+`, an optional `0x`, then hex digits only.
pub fn parse_hex(s: &str) -> Option<u64> {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let h = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(h, 16).ok()
}

/// Parses a decimal number as libvirt's `virStrToLong_ullp` with base 10 does: leading
/// blanks, an optional `+`, then digits only.
pub fn parse_decimal(s: &str) -> Option<u64> {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Parses an `int` as libvirt's `virStrToLong_i` with base 10 does: leading blanks, an
/// optional sign, then digits only, within the type's range.
pub fn parse_int(s: &str) -> Option<i32> {
    let t = s.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    i32::try_from(if neg { -v } else { v }).ok()
}

/// Parses an unsigned integer as C's `strtoul` with base 0 does (`0x` hex, leading-zero octal).
pub fn parse_uint_auto(s: &str) -> Option<u32> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u32::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

/// `VIR_ERR_INTERNAL_ERROR` with a detail, from the domain configuration code.
pub fn internal_error(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::INTERNAL_ERROR, detail)
}

/// `VIR_ERR_XML_DETAIL` from the domain configuration code.
pub fn xml_detail(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::XML_DETAIL, detail)
}

/// Attribute `attr` of `node`; its absence refused in libvirt's words when `required`.
pub fn attr_value<'a>(
    node: roxmltree::Node<'a, '_>,
    attr: &str,
    required: bool,
) -> Result<Option<&'a str>> {
    match node.attribute(attr) {
        None if required => Err(xml_error(format!(
            "Missing required attribute '{attr}' in element '{}'",
            node.tag_name().name()
        ))),
        v => Ok(v),
    }
}

/// libvirt's `virXMLPropUInt`/`virXMLPropULongLong` with base 10: `None` when the attribute
/// is absent and not `required`; zero refused with `nonzero`; values above `max` refused as
/// not a number of the type.
pub fn prop_uint(
    node: roxmltree::Node<'_, '_>,
    attr: &str,
    required: bool,
    nonzero: bool,
    max: u64,
) -> Result<Option<u64>> {
    let element = node.tag_name().name();
    let Some(v) = attr_value(node, attr, required)? else {
        return Ok(None);
    };
    let t = v.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let n = t
        .parse::<u64>()
        .ok()
        .filter(|n| t.bytes().all(|b| b.is_ascii_digit()) && *n <= max)
        .ok_or_else(|| {
            xml_error(format!(
                "Invalid value for attribute '{attr}' in element '{element}': '{v}'. \
                 Expected non-negative integer value"
            ))
        })?;
    if nonzero && n == 0 {
        return Err(xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{element}': Zero is not permitted"
        )));
    }
    Ok(Some(n))
}

/// libvirt's `virXMLPropInt` with base 10: `None` when the attribute is absent and not
/// `required`; a value that is not an `int` refused in its words.
pub fn prop_int(node: roxmltree::Node<'_, '_>, attr: &str, required: bool) -> Result<Option<i32>> {
    let element = node.tag_name().name();
    let Some(v) = attr_value(node, attr, required)? else {
        return Ok(None);
    };
    parse_int(v).map(Some).ok_or_else(|| {
        xml_error(format!(
            "Invalid value for attribute '{attr}' in element '{element}': '{v}'. \
                 Expected integer value"
        ))
    })
}

/// [`prop_uint`] for an `unsigned int`.
pub fn prop_u32(
    node: roxmltree::Node<'_, '_>,
    attr: &str,
    required: bool,
    nonzero: bool,
) -> Result<Option<u32>> {
    Ok(prop_uint(node, attr, required, nonzero, u64::from(u32::MAX))?.map(|n| n as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `int` attribute as libvirt's virXMLPropInt reads it.
    #[test]
    fn int_attributes_as_libvirt_reads_them() {
        let doc = roxmltree::Document::parse(
            "<r><s port=' +05'/><s port='-7'/><s port='x'/><s port='2147483648'/><s/></r>",
        )
        .unwrap();
        let s: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .collect();
        assert_eq!(prop_int(s[0], "port", true).unwrap(), Some(5));
        assert_eq!(prop_int(s[1], "port", true).unwrap(), Some(-7));
        for bad in &s[2..4] {
            let e = prop_int(*bad, "port", true).unwrap_err();
            assert!(
                e.message.ends_with("Expected integer value"),
                "{}",
                e.message
            );
        }
        assert_eq!(prop_int(s[4], "port", false).unwrap(), None);
        let e = prop_int(s[4], "port", true).unwrap_err();
        assert!(
            e.message
                .ends_with("Missing required attribute 'port' in element 's'")
        );
    }

    /// Base 16 as libvirt reads it: blanks, a `+` and `0x` may lead; nothing else may.
    #[test]
    fn hex_as_libvirt_reads_it() {
        assert_eq!(parse_hex("1000"), Some(0x1000));
        assert_eq!(parse_hex(" +0x1F"), Some(0x1f));
        assert_eq!(parse_hex("0X100000000"), Some(1 << 32));
        for bad in ["", "0x", "0x+1", "-1", "0x1g", "1 ", "++1"] {
            assert_eq!(parse_hex(bad), None, "{bad:?}");
        }
    }
}
