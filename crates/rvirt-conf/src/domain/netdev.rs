//! An interface's `<vlan>` and `<virtualport>`: checked and re-formatted from libvirt's model
//! of them (tags, native mode and trunk; port profile type and parameters, with the
//! identifiers libvirt generates when they are missing).

use crate::raw::{RawElement, RawNode};
use crate::xml::{self, attr_enum, child, parse_uint_auto};
use rvirt_types::{Result, Uuid};

type Node<'a, 'i> = roxmltree::Node<'a, 'i>;

/// An element with these attributes and element children.
pub(super) fn element(
    name: &str,
    attrs: Vec<(String, String)>,
    children: Vec<RawElement>,
) -> RawElement {
    RawElement {
        name: name.to_string(),
        attrs,
        children: children.into_iter().map(RawNode::Element).collect(),
    }
}

/// An attribute.
pub(super) fn pair(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// `<vlan>`: at least one tag, ids up to 4095, at most one native tag, `trunk` yes (implied
/// by several tags) or no.
pub(crate) fn vlan(node: Node<'_, '_>) -> Result<RawElement> {
    let tags: Vec<Node<'_, '_>> = node.children().filter(|c| c.has_tag_name("tag")).collect();
    if tags.is_empty() {
        return Err(xml::xml_error(
            "missing tag id - each <vlan> must have at least one <tag id='n'/> subelement",
        ));
    }
    let mut ids = Vec::with_capacity(tags.len());
    let mut native: Option<(u32, &str)> = None;
    for t in &tags {
        let Some(v) = t.attribute("id") else {
            return Err(xml::xml_error(
                "Missing required attribute 'id' in element 'tag'",
            ));
        };
        let id: u32 = v.trim().parse().map_err(|_| {
            xml::xml_error(format!(
                "Invalid value for attribute 'id' in element 'tag': '{v}'. Expected non-negative integer value"
            ))
        })?;
        if id > 4095 {
            return Err(xml::xml_error(format!(
                "vlan tag id {id} too large (maximum 4095)"
            )));
        }
        if let Some(mode) = attr_enum(*t, "nativeMode", &["tagged", "untagged"])? {
            if native.is_some() {
                return Err(xml::xml_error("duplicate native vlan setting"));
            }
            native = Some((id, mode));
        }
        ids.push(id);
    }
    let mut trunk = ids.len() > 1;
    if let Some(v) = node.attribute("trunk") {
        trunk = v.eq_ignore_ascii_case("yes");
        if !trunk {
            if ids.len() > 1 {
                return Err(xml::xml_error(format!(
                    "invalid \"trunk='{v}'\" in <vlan> - trunk='yes' is required for more than one vlan tag"
                )));
            }
            if native.is_some() {
                return Err(xml::xml_error(
                    "invalid configuration in <vlan> - \"trunk='no'\" is not allowed with a native vlan id",
                ));
            }
            if !v.eq_ignore_ascii_case("no") {
                return Err(xml::xml_error(format!(
                    "invalid \"trunk='{v}'\" in <vlan> - must be yes or no"
                )));
            }
        }
    }
    let children = ids
        .iter()
        .map(|id| {
            let mut attrs = vec![pair("id", id.to_string())];
            if let Some((_, mode)) = native.filter(|(n, _)| n == id) {
                attrs.push(pair("nativeMode", mode));
            }
            element("tag", attrs, Vec::new())
        })
        .collect();
    let attrs = if trunk {
        vec![pair("trunk", "yes")]
    } else {
        Vec::new()
    };
    Ok(element("vlan", attrs, children))
}

/// How an interface type reads its `<virtualport>` (libvirt's `VIR_VPORT_XML_*` flags).
#[derive(Clone, Copy)]
pub(crate) struct VportFlags {
    /// Generate a missing instance id (802.1Qbg, untyped) and interface id (openvswitch,
    /// untyped).
    pub generate: bool,
    /// The type is required and every parameter it needs must be there.
    pub complete: bool,
}

const VPORT_TYPES: &[&str] = &["802.1Qbg", "802.1Qbh", "openvswitch", "midonet"];

/// `<virtualport>`: its type and parameters, checked and completed as libvirt does; `None`
/// when nothing is left to print.
pub(crate) fn virtualport(node: Node<'_, '_>, flags: VportFlags) -> Result<Option<RawElement>> {
    let vtype = match node.attribute("type") {
        None => None,
        Some(t) if VPORT_TYPES.contains(&t) => Some(t),
        Some(t) => {
            return Err(xml::config_unsupported(format!(
                "unknown virtualport type {t}"
            )));
        }
    };
    if vtype.is_none() && flags.complete {
        return Err(xml::xml_error("missing required virtualport type"));
    }
    let params = child(node, "parameters");
    let p = |k: &str| params.and_then(|n| n.attribute(k));
    let number = |k: &str, max: u32, range: &str| -> Result<Option<u32>> {
        match p(k) {
            None => Ok(None),
            Some(v) => {
                let n = parse_uint_auto(v).ok_or_else(|| {
                    xml::xml_error(format!("cannot parse value of {k} parameter"))
                })?;
                if n > max {
                    return Err(xml::xml_error(range.to_string()));
                }
                Ok(Some(n))
            }
        }
    };
    let manager = number("managerid", 0xff, "value of managerid out of range")?;
    let typeid = number("typeid", 0xff_ffff, "value for typeid out of range")?;
    let version = number("typeidversion", 0xff, "value of typeidversion out of range")?;
    let uuid = |k: &str| -> Result<Option<Uuid>> {
        match p(k) {
            None => Ok(None),
            Some(v) => Uuid::parse(v)
                .map(Some)
                .map_err(|_| xml::xml_error(format!("cannot parse {k} parameter as a uuid"))),
        }
    };
    let mut instance = uuid("instanceid")?;
    let profile = p("profileid").filter(|v| !v.is_empty());
    if profile.is_some_and(|v| v.len() > 39) {
        return Err(xml::xml_error("profileid parameter too long"));
    }
    let mut interface = uuid("interfaceid")?;
    if flags.generate {
        if instance.is_none() && matches!(vtype, Some("802.1Qbg") | None) {
            instance = Some(Uuid::generate());
        }
        if interface.is_none() && matches!(vtype, Some("openvswitch") | None) {
            interface = Some(Uuid::generate());
        }
    }
    if flags.complete {
        let missing = match vtype {
            Some("802.1Qbg") if manager.is_none() => Some("managerid"),
            Some("802.1Qbg") if typeid.is_none() => Some("typeid"),
            Some("802.1Qbg") if version.is_none() => Some("typeidversion"),
            Some("802.1Qbg") if instance.is_none() => Some("instanceid"),
            Some("802.1Qbh") if profile.is_none() => Some("profileid"),
            Some("openvswitch" | "midonet") if interface.is_none() => Some("interfaceid"),
            _ => None,
        };
        if let (Some(m), Some(t)) = (missing, vtype) {
            return Err(xml::xml_error(format!(
                "missing {m} in <virtualport type='{t}'>"
            )));
        }
    }
    let extra = match vtype {
        Some("802.1Qbg") if profile.is_some() => Some("profileid"),
        Some("802.1Qbg") if interface.is_some() => Some("interfaceid"),
        Some("802.1Qbh" | "openvswitch") if manager.is_some() => Some("managerid"),
        Some("802.1Qbh" | "openvswitch") if typeid.is_some() => Some("typeid"),
        Some("802.1Qbh" | "openvswitch") if version.is_some() => Some("typeidversion"),
        Some("802.1Qbh" | "openvswitch") if instance.is_some() => Some("instanceid"),
        Some("802.1Qbh") if interface.is_some() => Some("interfaceid"),
        _ => None,
    };
    if let (Some(e), Some(t)) = (extra, vtype) {
        return Err(xml::xml_error(format!(
            "extra {e} unsupported in <virtualport type='{t}'>"
        )));
    }
    let any = manager.is_some()
        || typeid.is_some()
        || version.is_some()
        || instance.is_some()
        || profile.is_some()
        || interface.is_some();
    let attrs: Vec<(String, String)> = vtype.map(|t| pair("type", t)).into_iter().collect();
    if !any {
        return Ok(vtype.map(|_| element("virtualport", attrs, Vec::new())));
    }
    // Which parameters each type prints.
    let qbg = matches!(vtype, Some("802.1Qbg") | None);
    let ovs = matches!(vtype, Some("openvswitch" | "midonet") | None);
    let qbh = matches!(vtype, Some("openvswitch" | "802.1Qbh") | None);
    let mut pa = Vec::new();
    if qbg {
        if let Some(n) = manager {
            pa.push(pair("managerid", n.to_string()));
        }
        if let Some(n) = typeid {
            pa.push(pair("typeid", n.to_string()));
        }
        if let Some(n) = version {
            pa.push(pair("typeidversion", n.to_string()));
        }
        if let Some(u) = instance {
            pa.push(pair("instanceid", u.to_string()));
        }
    }
    if let Some(u) = interface.filter(|_| ovs) {
        pa.push(pair("interfaceid", u.to_string()));
    }
    if let Some(v) = profile.filter(|_| qbh) {
        pa.push(pair("profileid", v));
    }
    Ok(Some(element(
        "virtualport",
        attrs,
        vec![element("parameters", pa, Vec::new())],
    )))
}
