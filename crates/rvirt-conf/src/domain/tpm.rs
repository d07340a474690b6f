//! `<tpm>` as libvirt's parser models it: one backend, and for each backend type only what
//! that type has (a passthrough's device, `/dev/tpm0` unless named; an emulator's version,
//! `persistent_state='yes'`, encryption secret and active PCR banks; an external emulator's
//! unix socket). What libvirt's model has no place for is dropped, as libvirt drops it.

use crate::raw::{RawElement, RawNode};
use crate::xml;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// `virDomainTPMModel`.
const MODELS: &[&str] = &["tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy"];

/// `virDomainTPMPcrBank`, in libvirt's order.
const PCR_BANKS: &[&str] = &["sha1", "sha256", "sha384", "sha512"];

fn element(name: &str, attrs: Vec<(String, String)>) -> RawNode {
    RawNode::Element(RawElement {
        name: name.into(),
        attrs,
        children: Vec::new(),
    })
}

/// Puts a `<tpm>` element (already ordered by the generic rules) in libvirt's model.
pub(crate) fn canon(el: &mut RawElement) -> Result<()> {
    if let Some(m) = el.attr("model")
        && !MODELS.contains(&m)
    {
        return Err(xml::invalid_enum_attr("model", "tpm", m));
    }
    let backends = el
        .children
        .iter()
        .filter(|c| matches!(c, RawNode::Element(e) if e.name == "backend"))
        .count();
    match backends {
        0 => return Err(xml::xml_error("missing TPM device backend")),
        1 => {}
        _ => return Err(xml::xml_error("only one TPM backend is supported")),
    }
    let Some(b) = el.child_mut("backend") else {
        return Ok(());
    };
    let Some(kind) = b.attr("type").map(str::to_string) else {
        return Err(Error::with_detail(
            ErrorDomain::XML,
            ErrorNumber::XML_ERROR,
            "Missing required attribute 'type' in element 'backend'",
        ));
    };
    match kind.as_str() {
        "passthrough" => {
            let path = b
                .child("device")
                .and_then(|d| d.attr("path"))
                .unwrap_or("/dev/tpm0")
                .to_string();
            b.attrs.retain(|(k, _)| k == "type");
            b.children = vec![element("device", vec![("path".into(), path)])];
        }
        "emulator" => {
            if let Some(v) = b.attr("version")
                && v != "1.2"
                && v != "2.0"
            {
                return Err(xml::invalid_enum_attr("version", "backend", v));
            }
            match b.attr("persistent_state") {
                None | Some("yes") => {}
                Some("no") => b.attrs.retain(|(k, _)| k != "persistent_state"),
                Some(_) => {
                    return Err(xml::internal_error(
                        "Invalid persistent_state value, either 'yes' or 'no'",
                    ));
                }
            }
            b.attrs
                .retain(|(k, _)| matches!(k.as_str(), "type" | "version" | "persistent_state"));
            let mut children = Vec::new();
            if let Some(secret) = b.child("encryption").and_then(|e| e.attr("secret")) {
                let Ok(uuid) = rvirt_types::Uuid::parse(secret) else {
                    return Err(xml::internal_error(format!(
                        "Unable to parse secret uuid '{secret}'"
                    )));
                };
                children.push(element(
                    "encryption",
                    vec![("secret".into(), uuid.to_string())],
                ));
            }
            if let Some(banks) = b.child("active_pcr_banks") {
                let mut named = Vec::new();
                for c in &banks.children {
                    if let RawNode::Element(e) = c {
                        if !PCR_BANKS.contains(&e.name.as_str()) {
                            return Err(xml::config_unsupported(format!(
                                "Unsupported PCR banks '{}'",
                                e.name
                            )));
                        }
                        named.push(e.name.as_str());
                    }
                }
                let list: Vec<RawNode> = PCR_BANKS
                    .iter()
                    .filter(|p| named.contains(p))
                    .map(|p| element(p, Vec::new()))
                    .collect();
                if !list.is_empty() {
                    children.push(RawNode::Element(RawElement {
                        name: "active_pcr_banks".into(),
                        attrs: Vec::new(),
                        children: list,
                    }));
                }
            }
            b.children = children;
        }
        "external" => {
            let source = b.child("source");
            let Some(t) = source.and_then(|s| s.attr("type")) else {
                return Err(xml::xml_error("missing external TPM backend type"));
            };
            if !super::devices::CHR_TYPES.contains(&t) {
                return Err(xml::config_unsupported(format!(
                    "unknown backend type '{t}' for external TPM"
                )));
            }
            if t != "unix" {
                return Err(xml::xml_error(
                    "only source type 'unix' is supported for external TPM device",
                ));
            }
            if source.and_then(|s| s.attr("mode")) == Some("bind") {
                return Err(xml::xml_error(
                    "only 'client' mode is supported for external TPM device",
                ));
            }
            let Some(path) = source.and_then(|s| s.attr("path")).map(str::to_string) else {
                return Err(xml::xml_error(
                    "missing socket path for external TPM device",
                ));
            };
            b.attrs.retain(|(k, _)| k == "type");
            b.children = vec![element(
                "source",
                vec![
                    ("type".into(), "unix".into()),
                    ("mode".into(), "connect".into()),
                    ("path".into(), path),
                ],
            )];
        }
        // The generic rules refuse other types first.
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon_of(text: &str) -> Result<String> {
        let doc = roxmltree::Document::parse(text).unwrap();
        let mut el = RawElement::from_node(doc.root_element(), false);
        crate::domain::canon::canonicalize(&mut el, "tpm")?;
        canon(&mut el)?;
        let mut out = String::new();
        el.format_libvirt(&mut out, 0);
        Ok(out)
    }

    #[test]
    fn each_backend_keeps_what_libvirt_models() {
        assert_eq!(
            canon_of("<tpm><backend type='passthrough' version='2.0'/></tpm>").unwrap(),
            "<tpm>\n  <backend type='passthrough'>\n    <device path='/dev/tpm0'/>\n  \
             </backend>\n</tpm>\n"
        );
        assert_eq!(
            canon_of(
                "<tpm><backend persistent_state='no' type='emulator'><source type='unix' \
                 path='/x'/><active_pcr_banks/></backend></tpm>"
            )
            .unwrap(),
            "<tpm>\n  <backend type='emulator'/>\n</tpm>\n"
        );
        assert_eq!(
            canon_of(
                "<tpm><backend type='external'><source type='unix' path='/x'>\
                 <reconnect enabled='yes'/></source></backend></tpm>"
            )
            .unwrap(),
            "<tpm>\n  <backend type='external'>\n    <source type='unix' mode='connect' \
             path='/x'/>\n  </backend>\n</tpm>\n"
        );
    }

    #[test]
    fn libvirts_errors() {
        let err = |t: &str| canon_of(t).unwrap_err().message;
        assert_eq!(
            err("<tpm model='tpm-crb'/>"),
            "XML error: missing TPM device backend"
        );
        assert_eq!(
            err("<tpm><backend type='emulator' persistent_state='maybe'/></tpm>"),
            "internal error: Invalid persistent_state value, either 'yes' or 'no'"
        );
        assert_eq!(
            err(
                "<tpm><backend type='emulator'><active_pcr_banks><md5/></active_pcr_banks>\
                 </backend></tpm>"
            ),
            "unsupported configuration: Unsupported PCR banks 'md5'"
        );
        assert_eq!(
            err("<tpm><backend type='external'><source type='unix'/></backend></tpm>"),
            "XML error: missing socket path for external TPM device"
        );
        assert_eq!(
            err("<tpm><backend type='emulator' version='default'/></tpm>"),
            "XML error: Invalid value for attribute 'version' in element 'backend': 'default'."
        );
    }
}
