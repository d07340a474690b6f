//! `<devices><memory>`: memory devices (DIMM, NVDIMM, virtio-pmem, virtio-mem, SGX EPC) in
//! libvirt's model: sizes in KiB, the source and target children each model reads, libvirt's
//! order, and its per-device validation. Kept as a tree ([`RawElement`]) among the other
//! devices.

use super::devices::DeviceInfo;
use crate::raw::{RawElement, RawNode};
use crate::units::parse_memory_kib;
use crate::xml::{self, attr_enum, child};
use roxmltree::Node;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};

const MODELS: &[&str] = &["dimm", "nvdimm", "virtio-pmem", "virtio-mem", "sgx-epc"];

/// Transparent huge page size libvirt falls back to when the host does not tell (KiB).
const DEFAULT_THP_KIB: u64 = 2048;

fn el(name: &str, attrs: Vec<(String, String)>, children: Vec<RawNode>) -> RawElement {
    RawElement {
        name: name.to_string(),
        attrs,
        children,
    }
}

fn text_el(name: &str, attrs: Vec<(String, String)>, text: String) -> RawNode {
    RawNode::Element(el(name, attrs, vec![RawNode::Text(text)]))
}

fn kib_el(name: &str, kib: u64) -> RawNode {
    text_el(
        name,
        vec![("unit".to_string(), "KiB".to_string())],
        kib.to_string(),
    )
}

/// An optional size element, in KiB (0 when absent).
fn size_of(parent: Node<'_, '_>, name: &str, xpath: &str) -> Result<u64> {
    Ok(parse_memory_kib(child(parent, name), xpath)?.unwrap_or(0))
}

/// libvirt's `virXPathString`: the element's text, `None` when absent or empty.
fn text_of<'a>(parent: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(parent, name)
        .and_then(|c| c.text())
        .filter(|t| !t.is_empty())
}

/// A `<nodemask>` as libvirt formats it back.
fn nodemask(source: Node<'_, '_>) -> Result<Option<String>> {
    let Some(text) = text_of(source, "nodemask") else {
        return Ok(None);
    };
    let set = super::bitmap(text)?;
    if set.is_empty() {
        return Err(xml::config_unsupported(format!(
            "Invalid value of 'nodemask': {text}"
        )));
    }
    Ok(Some(super::format_cpuset(&set)))
}

/// Parses a `<memory>` device into libvirt's canonical form.
pub(crate) fn parse(node: Node<'_, '_>) -> Result<RawElement> {
    let Some(model) = node.attribute("model") else {
        return Err(xml::xml_error(
            "Missing required attribute 'model' in element 'memory'",
        ));
    };
    if !MODELS.contains(&model) {
        return Err(xml::invalid_enum_attr("model", "memory", model));
    }
    // virtio-pmem needs guest writes to reach the file: shared unless said otherwise.
    let access = attr_enum(node, "access", &["shared", "private"])?
        .or(Some("shared").filter(|_| model == "virtio-pmem"));
    let discard = attr_enum(node, "discard", &["yes", "no"])?;
    let mut attrs = vec![("model".to_string(), model.to_string())];
    if let Some(a) = access {
        attrs.push(("access".to_string(), a.to_string()));
    }
    if let Some(d) = discard {
        attrs.push(("discard".to_string(), d.to_string()));
    }
    let mut children = Vec::new();
    if model == "nvdimm" {
        if let Some(u) = xml::child_text(node, "uuid").filter(|u| !u.is_empty()) {
            let uuid = Uuid::parse(u).map_err(|_| xml::internal_error("malformed uuid element"))?;
            children.push(text_el("uuid", Vec::new(), uuid.to_string()));
        }
    }
    let mut source = Vec::new();
    if let Some(s) = child(node, "source") {
        match model {
            "dimm" | "virtio-mem" => {
                let pagesize = size_of(s, "pagesize", "./pagesize")?;
                if let Some(mask) = nodemask(s)? {
                    source.push(text_el("nodemask", Vec::new(), mask));
                }
                if pagesize > 0 {
                    source.push(kib_el("pagesize", pagesize));
                }
            }
            "nvdimm" => {
                let path = text_of(s, "path");
                let align = size_of(s, "alignsize", "./alignsize")?;
                if let Some(p) = path {
                    source.push(text_el("path", Vec::new(), p.to_string()));
                }
                if align > 0 {
                    source.push(kib_el("alignsize", align));
                }
                if child(s, "pmem").is_some() {
                    source.push(RawNode::Element(el("pmem", Vec::new(), Vec::new())));
                }
            }
            "virtio-pmem" => {
                if let Some(p) = text_of(s, "path") {
                    source.push(text_el("path", Vec::new(), p.to_string()));
                }
            }
            _ => {
                if let Some(mask) = nodemask(s)? {
                    source.push(text_el("nodemask", Vec::new(), mask));
                }
            }
        }
    }
    let Some(t) = child(node, "target") else {
        return Err(xml::xml_error(
            "missing <target> element for <memory> device",
        ));
    };
    let target_node = match text_of(t, "node") {
        None => None,
        Some(v) => match v.trim_start().parse::<i32>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(xml::xml_error("invalid value of memory device node")),
        },
    };
    let Some(size) = parse_memory_kib(child(t, "size"), "./size")? else {
        return Err(xml::xml_error("missing element or attribute './size'"));
    };
    let mut target = vec![kib_el("size", size)];
    if let Some(n) = target_node {
        target.push(text_el("node", Vec::new(), n.to_string()));
    }
    match model {
        "nvdimm" => {
            let label = match child(t, "label") {
                Some(l) => size_of(l, "size", "./label/size")?,
                None => 0,
            };
            if label > 0 && label < 128 {
                return Err(xml::xml_error("nvdimm label must be at least 128KiB"));
            }
            if label >= size {
                return Err(xml::xml_error(
                    "label size must be smaller than NVDIMM size",
                ));
            }
            if label > 0 {
                target.push(RawNode::Element(el(
                    "label",
                    Vec::new(),
                    vec![kib_el("size", label)],
                )));
            }
            if child(t, "readonly").is_some() {
                target.push(RawNode::Element(el("readonly", Vec::new(), Vec::new())));
            }
        }
        "virtio-mem" => {
            let block = size_of(t, "block", "./block")?;
            let requested = size_of(t, "requested", "./requested")?;
            if block > 0 {
                target.push(kib_el("block", block));
                target.push(kib_el("requested", requested));
                // What the guest has plugged, in a running domain's status (an inactive
                // definition leaves it out).
                if child(t, "current").is_some() {
                    target.push(kib_el("current", size_of(t, "current", "./current")?));
                }
            }
        }
        _ => {}
    }
    if !source.is_empty() {
        children.push(RawNode::Element(el("source", Vec::new(), source)));
    }
    children.push(RawNode::Element(el("target", Vec::new(), target)));
    let info = DeviceInfo::parse(node, false)?;
    children.extend(info.to_raw(None).into_iter().map(RawNode::Element));
    Ok(el("memory", attrs, children))
}

/// The size of a memory device in KiB.
pub(crate) fn size_kib(mem: &RawElement) -> u64 {
    kib_child(mem.child("target"), "size")
}

fn kib_child(parent: Option<&RawElement>, name: &str) -> u64 {
    parent
        .and_then(|p| p.child(name))
        .and_then(RawElement::text)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// libvirt's checks of one memory device against the domain (`cells` guest NUMA nodes,
/// `ppc64` for the architecture that needs NVDIMM labels).
pub(crate) fn validate(mem: &RawElement, cells: usize, ppc64: bool) -> Result<()> {
    let detail = |m: String| Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::XML_DETAIL, m);
    let target = mem.child("target");
    let node = target
        .and_then(|t| t.child("node"))
        .and_then(RawElement::text)
        .and_then(|t| t.parse::<usize>().ok());
    if let Some(node) = node {
        if cells == 0 {
            return Err(detail(
                "can't add memory backend as guest has no NUMA nodes configured".into(),
            ));
        }
        if node >= cells {
            return Err(detail(format!(
                "can't add memory backend for guest node '{node}' as the guest has only \
                 '{cells}' NUMA nodes configured"
            )));
        }
    }
    let model = mem.attr("model").unwrap_or("");
    let has_path = mem.child("source").and_then(|s| s.child("path")).is_some();
    let discard = mem.attr("discard") == Some("yes");
    match model {
        "nvdimm" => {
            if !has_path {
                return Err(detail("path is required for model 'nvdimm'".into()));
            }
            if discard {
                return Err(xml::config_unsupported(
                    "discard is not supported for nvdimms",
                ));
            }
            let label = kib_child(target.and_then(|t| t.child("label")), "size");
            if ppc64 {
                if label == 0 {
                    return Err(xml::config_unsupported(
                        "label size is required for NVDIMM device",
                    ));
                }
            } else if mem.child("uuid").is_some() {
                return Err(xml::config_unsupported(
                    "UUID is not supported for NVDIMM device",
                ));
            }
        }
        "virtio-pmem" => {
            if !has_path {
                return Err(detail(format!("path is required for model '{model}'")));
            }
            if discard {
                return Err(xml::config_unsupported(format!(
                    "discard is not supported for model '{model}'"
                )));
            }
            if mem.attr("access") != Some("shared") {
                return Err(xml::config_unsupported(
                    "shared access mode required for virtio-pmem device",
                ));
            }
            if node.is_some() {
                return Err(xml::config_unsupported(
                    "virtio-pmem does not support NUMA nodes",
                ));
            }
        }
        "virtio-mem" => {
            let size = kib_child(target, "size");
            let block = kib_child(target, "block");
            let requested = kib_child(target, "requested");
            if requested > size {
                return Err(detail(format!(
                    "requested size must be smaller than or equal to @size ({size}KiB)"
                )));
            }
            if !block.is_power_of_two() {
                return Err(detail("block size must be a power of two".into()));
            }
            let thp = host_thp_kib();
            if block < thp {
                return Err(detail(format!(
                    "block size too small, must be at least {thp}KiB"
                )));
            }
            if requested % block != 0 {
                return Err(detail(
                    "requested size must be an integer multiple of block size".into(),
                ));
            }
        }
        "sgx-epc" if mem.child("address").is_some() => {
            return Err(xml::config_unsupported(format!(
                "memory device address is not supported for model '{model}'"
            )));
        }
        _ => {}
    }
    Ok(())
}

/// The host's transparent huge page size in KiB, as libvirt reads it (2 MiB when unknown).
fn host_thp_kib() -> u64 {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(DEFAULT_THP_KIB, |b| b / 1024)
}
