//! `<cputune><cachetune>` and `<memorytune>`: resource-control groups (a set of vCPUs with
//! their cache and memory-bandwidth allocations and monitors), as libvirt models them. A
//! `<cachetune>` and a `<memorytune>` naming the same vCPUs share one group; groups may not
//! overlap. libvirt prints all cache allocations first, then all memory ones.

use super::format_cpuset;
use super::out::Out;
use crate::xml;
use roxmltree::Node;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// Cache types in libvirt's order.
const CACHE_TYPES: &[&str] = &["both", "code", "data"];

/// One resource-control group.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Resctrl {
    /// The vCPUs, ascending.
    pub vcpus: Vec<u32>,
    /// Cache allocations: (level, type index in both/code/data, cache id, bytes), sorted.
    pub caches: Vec<(u32, u8, u32, u64)>,
    /// Memory bandwidth per node: (node id, percent), sorted.
    pub bandwidth: Vec<(u32, u32)>,
    /// Monitors in document order: (cache monitor rather than memory-bandwidth one, vCPUs).
    pub monitors: Vec<(bool, Vec<u32>)>,
}

fn invalid_arg(detail: &str) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::INVALID_ARG, detail)
}

/// `virXMLPropUInt` with base 10, required.
fn required_u32(node: Node<'_, '_>, attr: &str) -> Result<u32> {
    Ok(xml::prop_u32(node, attr, true, false)?.unwrap_or(0))
}

/// The `vcpus` of a group or monitor, limited to the domain's vCPUs.
fn vcpus(node: Node<'_, '_>, vcpus_max: u32) -> Result<Vec<u32>> {
    let name = node.tag_name().name();
    let Some(s) = node.attribute("vcpus") else {
        return Err(xml::xml_error(format!("Missing {name} attribute 'vcpus'")));
    };
    let Some(set) = super::parse_bitmap(s).filter(|v| v.iter().all(|c| *c < 1024)) else {
        return Err(xml::xml_error(format!(
            "Invalid {name} attribute 'vcpus' value '{s}'"
        )));
    };
    Ok(set.into_iter().filter(|v| *v < vcpus_max).collect())
}

fn overlaps(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|v| b.contains(v))
}

/// Where a group with `vcpus` goes: `Some(i)` for the existing group with the same vCPUs;
/// an error when it overlaps another.
fn find_group(groups: &[Resctrl], vcpus: &[u32]) -> Result<Option<usize>> {
    for (i, g) in groups.iter().enumerate() {
        if g.vcpus == vcpus {
            return Ok(Some(i));
        }
        if overlaps(&g.vcpus, vcpus) {
            return Err(xml::xml_error("Overlapping vcpus in resctrls"));
        }
    }
    Ok(None)
}

/// A cache allocation's size in bytes (`size` scaled by `unit`, KiB by default).
fn cache_size(node: Node<'_, '_>) -> Result<u64> {
    let Some(v) = node.attribute("size") else {
        return Err(xml::xml_error("missing element or attribute './@size'"));
    };
    let Some(n) = crate::units::parse_ull(v) else {
        return Err(xml::xml_error(format!(
            "Invalid value '{v}' for element or attribute './@size'"
        )));
    };
    let unit = node.attribute("unit").unwrap_or("");
    let Some(scale) = crate::units::unit_scale(unit, 1024) else {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::INVALID_ARG,
            format!("unknown suffix '{unit}'"),
        ));
    };
    n.checked_mul(scale).ok_or_else(|| {
        Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::OVERFLOW,
            format!("value too large: {v}{unit}"),
        )
    })
}

/// Reads the monitors of a group (cache monitors need level 3) and checks them against the
/// group and its other monitors, as libvirt does.
fn parse_monitors(
    node: Node<'_, '_>,
    cache: bool,
    group: &mut Resctrl,
    vcpus_max: u32,
) -> Result<()> {
    for m in node.children().filter(|c| c.has_tag_name("monitor")) {
        if cache {
            let level = required_u32(m, "level")?;
            if level != 3 {
                return Err(xml::xml_error(format!(
                    "Invalid monitor cache level '{level}'"
                )));
            }
        }
        let set = vcpus(m, vcpus_max)?;
        if set.is_empty() {
            return Err(invalid_arg("vcpus is empty"));
        }
        if set.iter().any(|v| !group.vcpus.contains(v)) {
            return Err(invalid_arg("Monitor vcpus conflicts with allocation"));
        }
        let equal_to_group = set == group.vcpus;
        let default_alloc = group.caches.is_empty() && group.bandwidth.is_empty();
        let mut overlap_any = false;
        let mut overlap_not_group = false;
        for (kind, other) in &group.monitors {
            if *other == set {
                if *kind == cache {
                    return Err(invalid_arg("Identical vcpus found in same type monitors"));
                }
                continue;
            }
            let o = overlaps(&set, other);
            overlap_any |= o;
            if !(equal_to_group || *other == group.vcpus) {
                overlap_not_group |= o;
            }
        }
        if overlap_not_group || (default_alloc && overlap_any) {
            return Err(invalid_arg("vcpus overlaps in resctrl groups"));
        }
        group.monitors.push((cache, set));
    }
    Ok(())
}

/// Parses the `<cachetune>` and `<memorytune>` children of `<cputune>` into groups.
pub(crate) fn parse(cputune: Node<'_, '_>, vcpus_max: u32) -> Result<Vec<Resctrl>> {
    let mut groups: Vec<Resctrl> = Vec::new();
    for ct in cputune.children().filter(|c| c.has_tag_name("cachetune")) {
        let set = vcpus(ct, vcpus_max)?;
        if set.is_empty() {
            continue;
        }
        if find_group(&groups, &set)?.is_some() {
            return Err(xml::xml_error("Identical vcpus in cachetunes found"));
        }
        let mut group = Resctrl {
            vcpus: set,
            ..Resctrl::default()
        };
        for c in ct.children().filter(|c| c.has_tag_name("cache")) {
            let id = required_u32(c, "id")?;
            let level = required_u32(c, "level")?;
            let Some(kind) = c.attribute("type") else {
                return Err(xml::xml_error(
                    "Missing required attribute 'type' in element 'cache'",
                ));
            };
            let Some(kind) = CACHE_TYPES.iter().position(|t| *t == kind) else {
                return Err(xml::invalid_enum_attr("type", "cache", kind));
            };
            let size = cache_size(c)?;
            // An allocation for "both" collides with any other for the same cache.
            let collides = group.caches.iter().any(|(l, k, i, _)| {
                *l == level && *i == id && (*k == 0 || kind == 0 || usize::from(*k) == kind)
            });
            if collides {
                return Err(xml::xml_error(format!(
                    "Colliding cache allocations for cache level '{level}' id '{id}', type '{}'",
                    CACHE_TYPES[kind]
                )));
            }
            group.caches.push((level, kind as u8, id, size));
        }
        group.caches.sort_unstable();
        parse_monitors(ct, true, &mut group, vcpus_max)?;
        if !group.caches.is_empty() || !group.monitors.is_empty() {
            groups.push(group);
        }
    }
    for mt in cputune.children().filter(|c| c.has_tag_name("memorytune")) {
        let set = vcpus(mt, vcpus_max)?;
        if set.is_empty() {
            continue;
        }
        let existing = find_group(&groups, &set)?;
        let mut group = match existing {
            Some(i) => std::mem::take(&mut groups[i]),
            None => Resctrl {
                vcpus: set,
                ..Resctrl::default()
            },
        };
        let mut nodes = 0;
        for n in mt.children().filter(|c| c.has_tag_name("node")) {
            nodes += 1;
            let id = required_u32(n, "id")?;
            let bandwidth = required_u32(n, "bandwidth")?;
            if bandwidth > 100 {
                return Err(xml::xml_error(
                    "Memory Bandwidth value exceeding 100 is invalid.",
                ));
            }
            if group.bandwidth.iter().any(|(i, _)| *i == id) {
                return Err(xml::xml_error(format!(
                    "Memory Bandwidth already defined for node {id}"
                )));
            }
            group.bandwidth.push((id, bandwidth));
        }
        group.bandwidth.sort_unstable();
        let monitors_before = group.monitors.len();
        parse_monitors(mt, false, &mut group, vcpus_max)?;
        match existing {
            Some(i) => groups[i] = group,
            None if nodes > 0 || group.monitors.len() > monitors_before => groups.push(group),
            None => {}
        }
    }
    Ok(groups)
}

/// A size with the largest binary unit that divides it, as libvirt's `virFormatIntPretty`.
fn pretty_size(bytes: u64) -> (u64, &'static str) {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while unit + 1 < UNITS.len() && value != 0 && value % 1024 == 0 {
        value /= 1024;
        unit += 1;
    }
    (value, UNITS[unit])
}

/// Writes the `<cachetune>` elements, then the `<memorytune>` ones.
pub(crate) fn format(groups: &[Resctrl], o: &mut Out) {
    for g in groups {
        let monitors: Vec<&Vec<u32>> = g
            .monitors
            .iter()
            .filter(|(cache, _)| *cache)
            .map(|(_, v)| v)
            .collect();
        if g.caches.is_empty() && monitors.is_empty() {
            continue;
        }
        o.open("cachetune");
        o.attr("vcpus", &format_cpuset(&g.vcpus));
        o.start_children();
        for (level, kind, id, bytes) in &g.caches {
            let (size, unit) = pretty_size(*bytes);
            o.open("cache");
            o.attr("id", &id.to_string());
            o.attr("level", &level.to_string());
            o.attr("type", CACHE_TYPES[usize::from(*kind)]);
            o.attr("size", &size.to_string());
            o.attr("unit", unit);
            o.close_empty();
        }
        for m in monitors {
            o.open("monitor");
            o.attr("level", "3");
            o.attr("vcpus", &format_cpuset(m));
            o.close_empty();
        }
        o.end("cachetune");
    }
    for g in groups {
        let monitors: Vec<&Vec<u32>> = g
            .monitors
            .iter()
            .filter(|(cache, _)| !*cache)
            .map(|(_, v)| v)
            .collect();
        if g.bandwidth.is_empty() && monitors.is_empty() {
            continue;
        }
        o.open("memorytune");
        o.attr("vcpus", &format_cpuset(&g.vcpus));
        o.start_children();
        for (id, bw) in &g.bandwidth {
            o.open("node");
            o.attr("id", &id.to_string());
            o.attr("bandwidth", &bw.to_string());
            o.close_empty();
        }
        for m in monitors {
            o.open("monitor");
            o.attr("vcpus", &format_cpuset(m));
            o.close_empty();
        }
        o.end("memorytune");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_the_largest_exact_unit() {
        assert_eq!(pretty_size(3 << 20), (3, "MiB"));
        assert_eq!(pretty_size(1536 << 10), (1536, "KiB"));
        assert_eq!(pretty_size(2048), (2, "KiB"));
        assert_eq!(pretty_size(1000), (1000, "B"));
        assert_eq!(pretty_size(0), (0, "B"));
    }
}
