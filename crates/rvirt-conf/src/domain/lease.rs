//! `<lease>`: a lock a lock manager holds for the guest (a key in a lockspace, at an offset of
//! a file), read with libvirt's checks and kept in libvirt's form: `<lockspace>`, `<key>`, then
//! `<target path>` with its `offset` when it is not 0.

use crate::raw::{RawElement, RawNode};
use crate::xml::{self, child};
use roxmltree::Node;
use rvirt_types::Result;

/// The text of child element `name` of `node` (all of it, as XPath's `string()` reads it);
/// `None` when there is no such element or it is empty.
fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    let text: String = child(node, name)?
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    (!text.is_empty()).then_some(text)
}

/// An element holding only `text`.
fn text_element(name: &str, text: String) -> RawElement {
    RawElement {
        name: name.into(),
        attrs: Vec::new(),
        children: vec![RawNode::Text(text)],
    }
}

/// Reads a `<lease>` element: its key, lockspace and target path are required (libvirt's
/// errors; libvirt 9.0 fails a lease without a lockspace with no message at all, rvirt names
/// what is missing), its offset a non-negative integer.
pub(crate) fn parse(node: Node<'_, '_>) -> Result<RawElement> {
    let Some(key) = child_text(node, "key") else {
        return Err(xml::xml_error("Missing 'key' element for lease"));
    };
    let Some(lockspace) = child_text(node, "lockspace") else {
        return Err(xml::xml_error("Missing 'lockspace' element for lease"));
    };
    let Some(target) = child(node, "target") else {
        return Err(xml::xml_error("Missing 'target' element for lease"));
    };
    let Some(path) = target.attribute("path") else {
        return Err(xml::xml_error(
            "Missing 'path' attribute to 'target' element for lease",
        ));
    };
    let offset = xml::prop_uint(target, "offset", false, false, u64::MAX)?.unwrap_or(0);
    let mut attrs = vec![("path".to_string(), path.to_string())];
    if offset != 0 {
        attrs.push(("offset".to_string(), offset.to_string()));
    }
    Ok(RawElement {
        name: "lease".into(),
        attrs: Vec::new(),
        children: vec![
            RawNode::Element(text_element("lockspace", lockspace)),
            RawNode::Element(text_element("key", key)),
            RawNode::Element(RawElement {
                name: "target".into(),
                attrs,
                children: Vec::new(),
            }),
        ],
    })
}

/// A lease's lockspace and key (as [`parse`] keeps them).
pub fn lease_id(e: &RawElement) -> (Option<&str>, Option<&str>) {
    let text = |name: &str| e.child(name).and_then(RawElement::text);
    (text("lockspace"), text("key"))
}

/// Whether two leases are the same lock (libvirt's `virDomainLeaseIndex`): the same key in
/// the same lockspace.
pub fn same_lease(a: &RawElement, b: &RawElement) -> bool {
    a.name == "lease" && b.name == "lease" && lease_id(a) == lease_id(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Result<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let mut out = String::new();
        parse(doc.root_element())?.format_libvirt(&mut out, 0);
        Ok(out)
    }

    #[test]
    fn leases_in_libvirts_form() {
        assert_eq!(
            read(
                "<lease><target offset='0' path='/l'/><key>k</key><lockspace>a</lockspace></lease>"
            )
            .unwrap(),
            "<lease>\n  <lockspace>a</lockspace>\n  <key>k</key>\n  <target path='/l'/>\n</lease>\n"
        );
        assert!(
            read("<lease><lockspace>a</lockspace><key>k</key><target path='/l' offset='1024'/></lease>")
                .unwrap()
                .contains("<target path='/l' offset='1024'/>")
        );
    }

    #[test]
    fn libvirts_errors() {
        for (xml, want) in [
            (
                "<lease><lockspace>a</lockspace><target path='/l'/></lease>",
                "XML error: Missing 'key' element for lease",
            ),
            (
                "<lease><lockspace>a</lockspace><key></key><target path='/l'/></lease>",
                "XML error: Missing 'key' element for lease",
            ),
            (
                "<lease><key>k</key><target path='/l'/></lease>",
                "XML error: Missing 'lockspace' element for lease",
            ),
            (
                "<lease><lockspace>a</lockspace><key>k</key></lease>",
                "XML error: Missing 'target' element for lease",
            ),
            (
                "<lease><lockspace>a</lockspace><key>k</key><target offset='1'/></lease>",
                "XML error: Missing 'path' attribute to 'target' element for lease",
            ),
            (
                "<lease><lockspace>a</lockspace><key>k</key><target path='/x' offset='x1'/></lease>",
                "XML error: Invalid value for attribute 'offset' in element 'target': 'x1'. \
                 Expected non-negative integer value",
            ),
        ] {
            assert_eq!(read(xml).unwrap_err().to_string(), want, "{xml}");
        }
    }

    #[test]
    fn the_same_lease_is_the_same_key_in_the_same_lockspace() {
        let doc = |x: &str| {
            let d = roxmltree::Document::parse(x).unwrap();
            parse(d.root_element()).unwrap()
        };
        let a = doc("<lease><lockspace>a</lockspace><key>k</key><target path='/1'/></lease>");
        let b = doc("<lease><lockspace>a</lockspace><key>k</key><target path='/2'/></lease>");
        let c = doc("<lease><lockspace>b</lockspace><key>k</key><target path='/1'/></lease>");
        assert!(same_lease(&a, &b));
        assert!(!same_lease(&a, &c));
    }
}
