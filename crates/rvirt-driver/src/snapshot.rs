//! What every driver's snapshots share: the tree of one domain's snapshots with its current
//! snapshot ([`SnapshotStore`]), libvirt's list filters, the removal of one snapshot with its
//! children moved to its parent, and the alignment of a new snapshot's disks with the domain's
//! (`virDomainSnapshotAlignDisks`).

use crate::moment::{MomentFilter, MomentList, MomentTree, no_moment};
use rvirt_conf::DomainDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_conf::snapshot::SnapshotDef;
use rvirt_types::domain::DomainState;
use rvirt_types::snapshot::DomainSnapshotListFlags as F;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The snapshots of one domain, in creation order, and which one is current: the moment tree
/// over snapshot definitions, with the snapshot filters on top ([`MomentList`]).
pub type SnapshotStore = MomentTree<SnapshotDef>;

/// `no domain snapshot with matching name 'NAME'` (`VIR_ERR_NO_DOMAIN_SNAPSHOT`), from `from`.
pub fn no_snapshot(from: ErrorDomain, name: &str) -> Error {
    no_moment::<SnapshotDef>(from, name)
}

impl MomentList for SnapshotDef {
    type ListFlags = F;
    const ALL_LIST_FLAGS: u32 = F::all().bits();
    fn list_bits(flags: F) -> u32 {
        flags.bits()
    }
    fn moment_filter(flags: F) -> Option<MomentFilter> {
        if flags & (F::METADATA | F::NO_METADATA) == F::NO_METADATA {
            return None;
        }
        let moment_flags = [F::DESCENDANTS, F::TOPOLOGICAL, F::LEAVES, F::NO_LEAVES];
        Some(MomentFilter::from_bits(
            flags.bits(),
            moment_flags.map(|f| f.bits()),
        ))
    }
    /// The state filters (INACTIVE, ACTIVE, DISK_ONLY; all three or none keep every snapshot)
    /// and the location filters (INTERNAL, EXTERNAL).
    fn passes(&self, flags: F) -> bool {
        let status = flags & (F::INACTIVE | F::ACTIVE | F::DISK_ONLY);
        if !status.is_empty() && status != F::INACTIVE | F::ACTIVE | F::DISK_ONLY {
            let ok = match self.state.as_deref().unwrap_or("") {
                "shutoff" => status.contains(F::INACTIVE),
                "disk-snapshot" => status.contains(F::DISK_ONLY),
                _ => status.contains(F::ACTIVE),
            };
            if !ok {
                return false;
            }
        }
        let location = flags & (F::INTERNAL | F::EXTERNAL);
        let external = is_external(self);
        !(location == F::INTERNAL && external || location == F::EXTERNAL && !external)
    }
}

/// Whether a snapshot keeps anything outside the domain's images (`virDomainSnapshotIsExternal`):
/// external memory or any external disk.
pub fn is_external(s: &SnapshotDef) -> bool {
    s.memory.as_deref() == Some("external")
        || s.disks
            .iter()
            .any(|d| d.attr("snapshot") == Some("external"))
}

/// The snapshot state name of a domain state (`virDomainSnapshotState`).
pub fn state_name(s: DomainState) -> &'static str {
    match s {
        DomainState::RUNNING => "running",
        DomainState::BLOCKED => "blocked",
        DomainState::PAUSED => "paused",
        DomainState::SHUTDOWN => "shutdown",
        DomainState::SHUTOFF => "shutoff",
        DomainState::CRASHED => "crashed",
        DomainState::PMSUSPENDED => "pmsuspended",
        _ => "nostate",
    }
}

/// One `<disk>` of a snapshot, read from its kept element.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotDisk {
    /// `name`: the domain disk's target.
    pub name: String,
    /// `snapshot`: `no`, `internal`, `external`, `manual` (empty when not given).
    pub location: String,
    /// `type` of the new image (`file`, `block`).
    pub src_type: Option<String>,
    /// `<driver type>`: the new image's format.
    pub format: Option<String>,
    /// `<source file|dev>`: the new image.
    pub path: Option<String>,
}

fn child<'a>(e: &'a RawElement, name: &str) -> Option<&'a RawElement> {
    e.children.iter().find_map(|c| match c {
        RawNode::Element(x) if x.name == name => Some(x),
        _ => None,
    })
}

fn element(name: &str, attrs: &[(&str, &str)], children: Vec<RawElement>) -> RawElement {
    RawElement {
        name: name.into(),
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        children: children.into_iter().map(RawNode::Element).collect(),
    }
}

impl SnapshotDisk {
    /// Reads a kept `<disk>` element.
    pub fn from_raw(e: &RawElement) -> SnapshotDisk {
        let source = child(e, "source");
        SnapshotDisk {
            name: e.attr("name").unwrap_or_default().to_string(),
            location: e.attr("snapshot").unwrap_or_default().to_string(),
            src_type: e.attr("type").map(str::to_string),
            format: child(e, "driver")
                .and_then(|d| d.attr("type"))
                .map(str::to_string),
            // libvirt's `src->path`: a network source's is its name.
            path: source
                .and_then(|s| match e.attr("type") {
                    Some("network") => s.attr("name"),
                    _ => s.attr("file").or_else(|| s.attr("dev")),
                })
                .map(str::to_string),
        }
    }

    /// The element libvirt prints for it (`virDomainSnapshotDiskDefFormat`).
    pub fn to_raw(&self) -> RawElement {
        let mut attrs = vec![("name", self.name.as_str())];
        if !self.location.is_empty() {
            attrs.push(("snapshot", &self.location));
        }
        let mut children = Vec::new();
        if self.path.is_some() || self.format.is_some() {
            let ty = self.src_type.as_deref().unwrap_or("file");
            attrs.push(("type", ty));
            if let Some(f) = &self.format {
                children.push(element("driver", &[("type", f)], vec![]));
            }
            if let Some(p) = &self.path {
                let key = if ty == "block" { "dev" } else { "file" };
                children.push(element("source", &[(key, p)], vec![]));
            }
        }
        element("disk", &attrs, children)
    }
}

/// The disks of a snapshot, typed.
pub fn snapshot_disks(s: &SnapshotDef) -> Vec<SnapshotDisk> {
    s.disks.iter().map(SnapshotDisk::from_raw).collect()
}

fn unsupported_config(detail: String) -> Error {
    Error::with_detail(
        ErrorDomain::DOMAIN_SNAPSHOT,
        ErrorNumber::CONFIG_UNSUPPORTED,
        detail,
    )
}

/// Gives every disk of `dom` an entry in `snap`, in the domain's order, as libvirt's
/// `virDomainSnapshotAlignDisks` does: requested disks are checked (known, named once, a file
/// only with external mode, and with `uniform_internal` and an internal default every disk
/// internal), the others get their own `snapshot` attribute or `default`, empty drives `no`, and
/// external disks without a file get one named after the source and the snapshot.
pub fn align_disks(
    snap: &mut SnapshotDef,
    dom: &DomainDef,
    default: &str,
    uniform_internal: bool,
) -> Result<()> {
    let disks = &dom.devices.disks;
    if snap.disks.len() > disks.len() {
        return Err(unsupported_config(
            "too many disk snapshot requests for domain".into(),
        ));
    }
    let require_match = uniform_internal && default == "internal";
    if disks.is_empty() {
        return Ok(());
    }
    // The disk's own mode; read-only and vhost-user disks default to none, as libvirt's
    // domain post-parse sets it.
    let own = |d: &rvirt_conf::domain::DiskDef| {
        d.extra_attrs
            .iter()
            .find(|(k, _)| k == "snapshot")
            .map(|(_, v)| v.clone())
            .or_else(|| (d.readonly || d.disk_type == "vhostuser").then(|| "no".to_string()))
    };
    // The requested disks, each with its domain disk's index and its kept element.
    let mut requested: Vec<(usize, SnapshotDisk, RawElement)> = Vec::new();
    for raw in &snap.disks {
        let mut sd = SnapshotDisk::from_raw(raw);
        // A disk is named by its target or by its source (`virDomainDiskByName`).
        let Some(idx) = disks
            .iter()
            .position(|d| d.target_dev == sd.name)
            .or_else(|| {
                disks
                    .iter()
                    .position(|d| d.source_path() == Some(sd.name.as_str()))
            })
        else {
            return Err(unsupported_config(format!("no disk named '{}'", sd.name)));
        };
        let dd = &disks[idx];
        if requested.iter().any(|(i, ..)| *i == idx) {
            return Err(unsupported_config(format!(
                "disk '{}' specified twice",
                sd.name
            )));
        }
        let dom_loc = own(dd);
        // A disk given a file or a format but no mode is external, as libvirt's parser reads it.
        if sd.location.is_empty() && (sd.path.is_some() || sd.format.is_some()) {
            sd.location = "external".into();
        }
        if sd.location.is_empty() {
            sd.location = match dom_loc {
                Some(l) if !require_match || l == "no" => l,
                _ => default.to_string(),
            };
        } else if require_match
            && sd.location != default
            && !(sd.location == "no" && dom_loc.as_deref() == Some("no"))
        {
            return Err(unsupported_config(format!(
                "disk '{}' must use snapshot mode '{default}'",
                sd.name
            )));
        }
        if let Some(p) = &sd.path
            && sd.location != "external"
        {
            return Err(unsupported_config(format!(
                "file '{p}' for disk '{}' requires use of external snapshot mode",
                sd.name
            )));
        }
        sd.name = dd.target_dev.clone();
        let mut kept = raw.clone();
        set_attr(&mut kept, "name", &sd.name);
        set_attr(&mut kept, "snapshot", &sd.location);
        requested.push((idx, sd, kept));
    }
    let mut out: Vec<SnapshotDisk> = Vec::with_capacity(disks.len());
    let mut elements: Vec<Option<RawElement>> = Vec::with_capacity(disks.len());
    for (i, d) in disks.iter().enumerate() {
        if let Some((_, sd, kept)) = requested.iter().find(|(idx, ..)| *idx == i) {
            out.push(sd.clone());
            elements.push(Some(kept.clone()));
            continue;
        }
        let location = if d.source_path().is_none() {
            "no".to_string()
        } else {
            own(d).unwrap_or_else(|| default.to_string())
        };
        out.push(SnapshotDisk {
            name: d.target_dev.clone(),
            location,
            ..SnapshotDisk::default()
        });
        elements.push(None);
    }
    // Default file names for external disks: the source without its suffix, then `.NAME`.
    for i in 0..out.len() {
        if out[i].location != "external" || out[i].path.is_some() {
            continue;
        }
        let name = out[i].name.clone();
        if out[i].src_type.as_deref().is_some_and(|t| t != "file") {
            return Err(unsupported_config(format!(
                "cannot generate external snapshot name for disk '{name}' on a '{}' device",
                out[i].src_type.as_deref().unwrap_or_default()
            )));
        }
        let Some(orig) = disks[i].source_path() else {
            return Err(unsupported_config(format!(
                "cannot generate external snapshot name for disk '{name}' without source"
            )));
        };
        if !std::fs::metadata(orig).is_ok_and(|m| m.is_file()) {
            return Err(unsupported_config(format!(
                "source for disk '{name}' is not a regular file; refusing to generate external snapshot name"
            )));
        }
        let stem = match orig.rfind('.') {
            Some(dot) if !orig[dot..].contains('/') => &orig[..dot],
            _ => orig,
        };
        let path = format!("{stem}.{}", snap.name);
        if let Some(other) = out[..i].iter().find(|o| o.path.as_deref() == Some(&*path)) {
            return Err(unsupported_config(format!(
                "cannot generate external snapshot name for disk '{name}': collision with disk '{}'",
                other.name
            )));
        }
        out[i].path = Some(path);
        elements[i] = None;
    }
    snap.disks = out
        .iter()
        .zip(elements)
        .map(|(d, kept)| kept.unwrap_or_else(|| d.to_raw()))
        .collect();
    Ok(())
}

/// Sets attribute `name` of `e`, in place when present, else after the others.
fn set_attr(e: &mut RawElement, name: &str, value: &str) {
    match e.attrs.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = value.to_string(),
        None => {
            // `snapshot` follows `name`, as libvirt prints them.
            let at = if name == "snapshot" {
                1.min(e.attrs.len())
            } else {
                e.attrs.len()
            };
            e.attrs.insert(at, (name.to_string(), value.to_string()));
        }
    }
}

/// Checks a snapshot being redefined against the domain and its snapshots and aligns its disks,
/// as libvirt's `virDomainSnapshotRedefinePrep` does: its parent exists and makes no cycle; its
/// domain definition (if any) is the domain's (`uuid`); a snapshot it replaces stays online or
/// offline, disk-only or full; `disk_only` (`VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY`) needs the
/// disk-snapshot state. Disks align with its own domain definition or the replaced snapshot's.
pub fn redefine_prep(
    store: &SnapshotStore,
    def: &mut SnapshotDef,
    uuid: &str,
    disk_only: bool,
) -> Result<()> {
    store.check_cycles(def)?;
    let snap_invalid = |detail: String| {
        Error::with_detail(
            ErrorDomain::DOMAIN_SNAPSHOT,
            ErrorNumber::INVALID_ARG,
            detail,
        )
    };
    let state = def.state.as_deref().unwrap_or_default();
    if disk_only && state != "disk-snapshot" {
        return Err(snap_invalid(format!(
            "disk-only flag for snapshot {} requires disk-snapshot state",
            def.name
        )));
    }
    if let Some(d) = &def.domain
        && d.uuid.to_string() != uuid
    {
        return Err(snap_invalid(format!(
            "definition for snapshot {} must use uuid {uuid}",
            def.name
        )));
    }
    let other = store.get(&def.name);
    if let Some(o) = other {
        let online = |s: Option<&str>| matches!(s, Some("running" | "paused"));
        let other_state = o.state.as_deref();
        if online(other_state) != online(Some(state)) {
            return Err(snap_invalid(format!(
                "cannot change between online and offline snapshot state in snapshot {}",
                def.name
            )));
        }
        if (other_state == Some("disk-snapshot")) != (state == "disk-snapshot") {
            return Err(snap_invalid(format!(
                "cannot change between disk only and full system in snapshot {}",
                def.name
            )));
        }
    }
    let location = if state == "disk-snapshot" || is_external(def) {
        "external"
    } else {
        "internal"
    };
    let Some(dom) = def
        .domain
        .clone()
        .or_else(|| other.and_then(|o| o.domain.clone()))
    else {
        return Err(Error::with_detail(
            ErrorDomain::DOMAIN_SNAPSHOT,
            ErrorNumber::INTERNAL_ERROR,
            "missing domain in snapshot",
        ));
    };
    align_disks(def, &dom, location, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(name: &str, parent: Option<&str>) -> SnapshotDef {
        let mut s = crate::moment::tests::snap(name, parent);
        s.state = Some("shutoff".into());
        s
    }

    #[test]
    fn removal_moves_children_to_the_parent_and_current_up() {
        let mut st = SnapshotStore::default();
        st.insert(snap("a", None));
        st.insert(snap("b", Some("a")));
        st.insert(snap("c", Some("b")));
        st.insert(snap("d", Some("b")));
        st.set_current(Some("b".into()));
        assert_eq!(st.descendants("a"), vec!["b", "c", "d"]);
        assert_eq!(st.list(None, F::LEAVES), vec!["c", "d"]);
        let mut changed = st.remove_reparenting("b");
        changed.sort();
        assert_eq!(changed, vec!["a", "c", "d"]);
        assert_eq!(st.current(), Some("a"));
        assert_eq!(st.get("c").and_then(|s| s.parent.as_deref()), Some("a"));
        assert_eq!(st.list(None, F::ROOTS), vec!["a"]);
    }

    #[test]
    fn disk_round_trip() {
        let d = SnapshotDisk {
            name: "vda".into(),
            location: "external".into(),
            src_type: None,
            format: Some("qcow2".into()),
            path: Some("/i/a.s1".into()),
        };
        let raw = d.to_raw();
        let mut out = String::new();
        raw.format_libvirt(&mut out, 0);
        assert_eq!(
            out,
            "<disk name='vda' snapshot='external' type='file'>\n  <driver type='qcow2'/>\n  \
             <source file='/i/a.s1'/>\n</disk>\n"
        );
        let back = SnapshotDisk::from_raw(&raw);
        assert_eq!(back.path, d.path);
        assert_eq!(back.format, d.format);
    }
}
