//! Snapshot (help keyword `snapshot`): create, list, inspect, revert and delete snapshots.

use crate::cmd::{CmdDef, Complete, Group, Opt, OptKind};
use crate::commands::moment::{
    creation_time, delete, list_flags, local_time, print_created, print_tree, xml_field,
};
use crate::commands::virsh::{split_commas, xml_escape};
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::json::Json;
use crate::parse::Cmd;
use rvirt::ErrorNumber;
use rvirt::blocking::{Domain, DomainSnapshot};
use rvirt::snapshot_flags::{
    DomainSnapshotCreateFlags as C, DomainSnapshotListFlags as L, DomainSnapshotRevertFlags as R,
    DomainSnapshotXMLFlags as X,
};

/// The group.
pub static GROUP: Group = Group {
    name: "Snapshot",
    keyword: "snapshot",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "snapshot-create",
        help: "Create a snapshot from XML",
        desc: "Create a snapshot (disk and RAM) from XML",
        opts: &[
            Opt::DOMAIN,
            Opt::new("xmlfile", OptKind::String, "domain snapshot XML"),
            Opt::new(
                "redefine",
                OptKind::Bool,
                "redefine metadata for existing snapshot",
            ),
            Opt::new(
                "current",
                OptKind::Bool,
                "with redefine, set current snapshot",
            ),
            Opt::new(
                "no-metadata",
                OptKind::Bool,
                "take snapshot but create no metadata",
            ),
            Opt::new(
                "halt",
                OptKind::Bool,
                "halt domain after snapshot is created",
            ),
            Opt::new(
                "disk-only",
                OptKind::Bool,
                "capture disk state but not vm state",
            ),
            Opt::new(
                "reuse-external",
                OptKind::Bool,
                "reuse any existing external files",
            ),
            Opt::new("quiesce", OptKind::Bool, "quiesce guest's file systems"),
            Opt::new("atomic", OptKind::Bool, "require atomic operation"),
            Opt::new("live", OptKind::Bool, "take a live snapshot"),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_snapshot_create)
    },
    CmdDef {
        name: "snapshot-create-as",
        help: "Create a snapshot from a set of args",
        desc: "Create a snapshot (disk and RAM) from arguments",
        opts: &[
            Opt::DOMAIN,
            Opt::new("name", OptKind::String, "name of snapshot"),
            Opt::new("description", OptKind::String, "description of snapshot"),
            Opt::new(
                "print-xml",
                OptKind::Bool,
                "print XML document rather than create",
            ),
            Opt::new(
                "no-metadata",
                OptKind::Bool,
                "take snapshot but create no metadata",
            ),
            Opt::new(
                "halt",
                OptKind::Bool,
                "halt domain after snapshot is created",
            ),
            Opt::new(
                "disk-only",
                OptKind::Bool,
                "capture disk state but not vm state",
            ),
            Opt::new(
                "reuse-external",
                OptKind::Bool,
                "reuse any existing external files",
            ),
            Opt::new("quiesce", OptKind::Bool, "quiesce guest's file systems"),
            Opt::new("atomic", OptKind::Bool, "require atomic operation"),
            Opt::new("live", OptKind::Bool, "take a live snapshot"),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
            Opt::new(
                "memspec",
                OptKind::String,
                "memory attributes: [file=]name[,snapshot=type]",
            )
            .named_only(),
            Opt::new(
                "diskspec",
                OptKind::Argv,
                "disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]",
            ),
        ],
        ..CmdDef::new(cmd_snapshot_create_as)
    },
    CmdDef {
        name: "snapshot-current",
        help: "Get or set the current snapshot",
        desc: "Get or set the current snapshot",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "name",
                OptKind::Bool,
                "list the name, rather than the full xml",
            ),
            Opt::new(
                "security-info",
                OptKind::Bool,
                "include security sensitive information in XML dump",
            ),
            Opt::new(
                "snapshotname",
                OptKind::String,
                "name of existing snapshot to make current",
            )
            .complete(Complete::Snapshot),
        ],
        ..CmdDef::new(cmd_snapshot_current)
    },
    CmdDef {
        name: "snapshot-delete",
        help: "Delete a domain snapshot",
        desc: "Snapshot Delete",
        opts: &[
            Opt::DOMAIN,
            Opt::new("snapshotname", OptKind::String, "snapshot name").complete(Complete::Snapshot),
            Opt::new("current", OptKind::Bool, "delete current snapshot"),
            Opt::new(
                "children",
                OptKind::Bool,
                "delete snapshot and all children",
            ),
            Opt::new(
                "children-only",
                OptKind::Bool,
                "delete children but not snapshot",
            ),
            Opt::new(
                "metadata",
                OptKind::Bool,
                "delete only libvirt metadata, leaving snapshot contents behind",
            ),
        ],
        ..CmdDef::new(cmd_snapshot_delete)
    },
    CmdDef {
        name: "snapshot-dumpxml",
        help: "Dump XML for a domain snapshot",
        desc: "Snapshot Dump XML",
        opts: &[
            Opt::DOMAIN,
            Opt::new("snapshotname", OptKind::Data, "snapshot name")
                .required()
                .complete(Complete::Snapshot),
            Opt::new(
                "security-info",
                OptKind::Bool,
                "include security sensitive information in XML dump",
            ),
            Opt::new(
                "xpath",
                OptKind::String,
                "xpath expression to filter the XML document",
            )
            .named_only(),
            Opt::new(
                "wrap",
                OptKind::Bool,
                "wrap xpath results in an common root element",
            ),
        ],
        ..CmdDef::new(cmd_snapshot_dumpxml)
    },
    CmdDef {
        name: "snapshot-info",
        help: "snapshot information",
        desc: "Returns basic information about a snapshot.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("snapshotname", OptKind::String, "snapshot name").complete(Complete::Snapshot),
            Opt::new("current", OptKind::Bool, "info on current snapshot"),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_snapshot_info)
    },
    CmdDef {
        name: "snapshot-list",
        help: "List snapshots for a domain",
        desc: "Snapshot List",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "parent",
                OptKind::Bool,
                "add a column showing parent snapshot",
            ),
            Opt::new(
                "roots",
                OptKind::Bool,
                "list only snapshots without parents",
            ),
            Opt::new(
                "leaves",
                OptKind::Bool,
                "list only snapshots without children",
            ),
            Opt::new(
                "no-leaves",
                OptKind::Bool,
                "list only snapshots that are not leaves (with children)",
            ),
            Opt::new(
                "metadata",
                OptKind::Bool,
                "list only snapshots that have metadata that would prevent undefine",
            ),
            Opt::new(
                "no-metadata",
                OptKind::Bool,
                "list only snapshots that have no metadata managed by libvirt",
            ),
            Opt::new(
                "inactive",
                OptKind::Bool,
                "filter by snapshots taken while inactive",
            ),
            Opt::new(
                "active",
                OptKind::Bool,
                "filter by snapshots taken while active (full system snapshots)",
            ),
            Opt::new("disk-only", OptKind::Bool, "filter by disk-only snapshots"),
            Opt::new("internal", OptKind::Bool, "filter by internal snapshots"),
            Opt::new("external", OptKind::Bool, "filter by external snapshots"),
            Opt::new("tree", OptKind::Bool, "list snapshots in a tree"),
            Opt::new(
                "from",
                OptKind::String,
                "limit list to children of given snapshot",
            )
            .complete(Complete::Snapshot),
            Opt::new(
                "current",
                OptKind::Bool,
                "limit list to children of current snapshot",
            ),
            Opt::new(
                "descendants",
                OptKind::Bool,
                "with --from, list all descendants",
            ),
            Opt::new("name", OptKind::Bool, "list snapshot names only"),
            Opt::new(
                "topological",
                OptKind::Bool,
                "sort list topologically rather than by name",
            ),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_snapshot_list)
    },
    CmdDef {
        name: "snapshot-parent",
        help: "Get the name of the parent of a snapshot",
        desc: "Extract the snapshot's parent, if any",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "snapshotname",
                OptKind::String,
                "find parent of snapshot name",
            )
            .complete(Complete::Snapshot),
            Opt::new("current", OptKind::Bool, "find parent of current snapshot"),
        ],
        ..CmdDef::new(cmd_snapshot_parent)
    },
    CmdDef {
        name: "snapshot-revert",
        help: "Revert a domain to a snapshot",
        desc: "Revert domain to snapshot",
        opts: &[
            Opt::DOMAIN,
            Opt::new("snapshotname", OptKind::String, "snapshot name").complete(Complete::Snapshot),
            Opt::new("current", OptKind::Bool, "revert to current snapshot"),
            Opt::new(
                "running",
                OptKind::Bool,
                "after reverting, change state to running",
            ),
            Opt::new(
                "paused",
                OptKind::Bool,
                "after reverting, change state to paused",
            ),
            Opt::new("force", OptKind::Bool, "try harder on risky reverts"),
            Opt::new(
                "reset-nvram",
                OptKind::Bool,
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        ..CmdDef::new(cmd_snapshot_revert)
    },
];

/// The creation flags both create commands share.
fn create_flags(cmd: &Cmd) -> C {
    let mut flags = C::empty();
    for (o, f) in [
        ("redefine", C::REDEFINE),
        ("current", C::CURRENT),
        ("no-metadata", C::NO_METADATA),
        ("halt", C::HALT),
        ("disk-only", C::DISK_ONLY),
        ("reuse-external", C::REUSE_EXT),
        ("quiesce", C::QUIESCE),
        ("atomic", C::ATOMIC),
        ("live", C::LIVE),
        ("validate", C::VALIDATE),
    ] {
        if cmd.def.opt(o).is_some() && cmd.has(o) {
            flags |= f;
        }
    }
    flags
}

/// virshSnapshotCreate: creates, emulating `--halt` where the driver refuses it.
fn create(ctl: &mut Ctl, dom: &Domain, xml: &str, mut flags: C, from: Option<&str>) -> CmdResult {
    let mut r = dom.snapshot_create_xml(xml, flags);
    if let Err(e) = &r {
        if e.code == ErrorNumber::NO_SUPPORT && from.is_none() && flags.contains(C::VALIDATE) {
            flags.remove(C::VALIDATE);
            r = dom.snapshot_create_xml(xml, flags);
        }
    }
    let mut halt = false;
    if let Err(e) = &r {
        if e.code == ErrorNumber::INVALID_ARG && flags.contains(C::HALT) {
            let persistent = dom.is_persistent();
            let persistent = ctl.lib(persistent)?;
            if !persistent {
                return ctl.fail("cannot halt after snapshot of transient domain");
            }
            halt = dom.is_active().unwrap_or(false);
            flags.remove(C::HALT);
            r = dom.snapshot_create_xml(xml, flags);
        }
    }
    let snap = ctl.lib(r)?;
    if halt {
        let r = dom.destroy();
        if let Err(e) = r {
            ctl.last_error = Some(e);
            ctl.report_error();
            return Err(Failed);
        }
    }
    print_created(ctl, "snapshot", snap.get_name(), from);
    Ok(())
}

fn cmd_snapshot_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = create_flags(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let from = ctl.opt_str(cmd, "xmlfile")?;
    let xml = match from {
        None => "<domainsnapshot/>".to_string(),
        Some(f) => ctl.lib(read_file(f))?,
    };
    create(ctl, &dom, &xml, flags, from)
}

fn cmd_snapshot_create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = create_flags(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let name = ctl.opt_str(cmd, "name")?;
    let desc = ctl.opt_str(cmd, "description")?;
    let mut xml = String::from("<domainsnapshot>\n");
    if let Some(n) = name {
        xml.push_str(&format!("  <name>{}</name>\n", xml_escape(n)));
    }
    if let Some(d) = desc {
        xml.push_str(&format!("  <description>{}</description>\n", xml_escape(d)));
    }
    if let Some(spec) = ctl.opt_str(cmd, "memspec")? {
        match memspec_xml(spec) {
            Some(m) => xml.push_str(&m),
            None => return ctl.fail(&format!("unable to parse memspec: {spec}")),
        }
    }
    if cmd.has("diskspec") {
        xml.push_str("  <disks>\n");
        for spec in cmd.argv() {
            match diskspec_xml(spec) {
                Ok(d) => xml.push_str(&d),
                Err(msgs) => {
                    for m in msgs {
                        ctl.error(&m);
                    }
                    return Err(Failed);
                }
            }
        }
        xml.push_str("  </disks>\n");
    }
    xml.push_str("</domainsnapshot>\n");
    if cmd.has("print-xml") {
        ctl.print(&format!("{xml}\n"));
        return Ok(());
    }
    create(ctl, &dom, &xml, flags, None)
}

/// virsh's `--memspec [file=]PATH[,snapshot=TYPE]` as a `<memory>` element; `None` for a
/// spec virsh cannot parse.
fn memspec_xml(spec: &str) -> Option<String> {
    let (mut snapshot, mut file) = (None, None);
    for part in split_commas(spec) {
        if snapshot.is_none() && part.starts_with("snapshot=") {
            snapshot = Some(part["snapshot=".len()..].to_string());
        } else if file.is_none() && part.starts_with("file=") {
            file = Some(part["file=".len()..].to_string());
        } else if file.is_none() && part.starts_with('/') {
            file = Some(part);
        } else {
            return None;
        }
    }
    let mut out = String::from("  <memory");
    if let Some(s) = snapshot {
        out.push_str(&format!(" snapshot='{}'", xml_escape(&s)));
    }
    if let Some(f) = file {
        out.push_str(&format!(" file='{}'", xml_escape(&f)));
    }
    out.push_str("/>\n");
    Some(out)
}

/// virsh's `--diskspec DISK[,snapshot=TYPE][,driver=TYPE][,stype=TYPE][,file=NAME]` as a
/// `<disk>` element, or the errors virsh prints for it.
fn diskspec_xml(spec: &str) -> Result<String, Vec<String>> {
    let parse_error = || format!("unable to parse diskspec: {spec}");
    let parts = split_commas(spec);
    let Some((name, rest)) = parts.split_first() else {
        return Err(vec![parse_error()]);
    };
    let (mut snapshot, mut driver, mut stype, mut file) = (None, None, None, None);
    for part in rest {
        let field = |prefix: &str| part.strip_prefix(prefix).map(str::to_string);
        if snapshot.is_none() && part.starts_with("snapshot=") {
            snapshot = field("snapshot=");
        } else if driver.is_none() && part.starts_with("driver=") {
            driver = field("driver=");
        } else if stype.is_none() && part.starts_with("stype=") {
            stype = field("stype=");
        } else if file.is_none() && part.starts_with("file=") {
            file = field("file=");
        } else {
            return Err(vec![parse_error()]);
        }
    }
    let mut out = format!("    <disk name='{}'", xml_escape(name));
    if let Some(s) = &snapshot {
        // virsh writes these two unescaped.
        out.push_str(&format!(" snapshot='{s}'"));
    }
    let mut is_file = true;
    if let Some(t) = &stype {
        match t.as_str() {
            "block" => is_file = false,
            "file" => {}
            other => {
                return Err(vec![
                    format!("Unknown storage type: '{other}'"),
                    parse_error(),
                ]);
            }
        }
        out.push_str(&format!(" type='{t}'"));
    }
    if driver.is_none() && file.is_none() {
        out.push_str("/>\n");
        return Ok(out);
    }
    out.push_str(">\n");
    if let Some(d) = &driver {
        out.push_str(&format!("      <driver type='{d}'/>\n"));
    }
    if let Some(f) = &file {
        let attr = if is_file { "file" } else { "dev" };
        out.push_str(&format!("      <source {attr}='{}'/>\n", xml_escape(f)));
    }
    out.push_str("    </disk>\n");
    Ok(out)
}

fn cmd_snapshot_current(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let xml_flags = if cmd.has("security-info") {
        X::SECURE
    } else {
        X::empty()
    };
    if cmd.has("name") && cmd.has("snapshotname") {
        return ctl.fail("Options --name and --snapshotname are mutually exclusive");
    }
    let (dom, domname) = ctl.domain(cmd)?;
    let r = current_inner(ctl, cmd, &dom, domname, xml_flags);
    if r.is_err() {
        ctl.report_error();
    }
    r
}

fn current_inner(ctl: &mut Ctl, cmd: &Cmd, dom: &Domain, domname: &str, xml_flags: X) -> CmdResult {
    if let Some(name) = ctl.opt_str(cmd, "snapshotname")? {
        let r = dom.snapshot_lookup_by_name(name, 0);
        let snap = ctl.lib(r)?;
        let r = snap.get_xml_desc(X::SECURE);
        let xml = ctl.lib(r)?;
        let mut flags = C::REDEFINE | C::CURRENT;
        if xml.contains("<state>disk-snapshot</state>") {
            flags |= C::DISK_ONLY;
        }
        let r = dom.snapshot_create_xml(&xml, flags);
        ctl.lib(r)?;
        ctl.print_extra(&format!("Snapshot {name} set as current"));
        return Ok(());
    }
    let r = dom.has_current_snapshot(0);
    if !ctl.lib(r)? {
        return ctl.fail(&format!("domain '{domname}' has no current snapshot"));
    }
    let r = dom.snapshot_current(0);
    let snap = ctl.lib(r)?;
    if cmd.has("name") {
        ctl.print(snap.get_name());
    } else {
        let r = snap.get_xml_desc(xml_flags);
        let xml = ctl.lib(r)?;
        ctl.print(&xml);
    }
    Ok(())
}

/// virshLookupSnapshot: by the named option or `--current`; reports lookup errors at once.
fn lookup(ctl: &mut Ctl, cmd: &Cmd, arg: &str, dom: &Domain) -> Result<DomainSnapshot, Failed> {
    let current = cmd.has("current");
    let name = ctl.opt_str(cmd, arg)?;
    if current && name.is_some() {
        return ctl.fail(&format!("--{arg} and --current are mutually exclusive"));
    }
    let r = match (name, current) {
        (Some(n), _) => dom.snapshot_lookup_by_name(n, 0),
        (None, true) => dom.snapshot_current(0),
        (None, false) => return ctl.fail(&format!("--{arg} or --current is required")),
    };
    match r {
        Ok(s) => Ok(s),
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.report_error();
            Err(Failed)
        }
    }
}

fn cmd_snapshot_delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    delete(ctl, cmd, &snap)
}

fn cmd_snapshot_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("security-info") {
        X::SECURE
    } else {
        X::empty()
    };
    let (dom, _) = ctl.domain(cmd)?;
    let name = ctl.req_str(cmd, "snapshotname")?;
    let r = dom.snapshot_lookup_by_name(name, 0);
    let snap = ctl.lib(r)?;
    let r = snap.get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_snapshot_info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    let name = snap.get_name().to_string();
    let current = snap.is_current(0).unwrap_or(false);
    let mut lines: Vec<(&str, String)> = vec![
        ("Name:", name.clone()),
        ("Domain:", dom.get_name().to_string()),
        ("Current:", yes_no(current)),
    ];
    let r = snap.get_xml_desc(X::empty());
    let xml = ctl.lib(r)?;
    let Ok(doc) = roxmltree::Document::parse(&xml) else {
        return ctl.fail("unexpected problem reading snapshot xml");
    };
    let Some(state) = xml_field(&doc, &["state"]) else {
        return ctl.fail("unexpected problem reading snapshot xml");
    };
    let root = doc.root_element();
    let memory = root.children().find(|c| c.has_tag_name("memory"));
    let external = match memory {
        Some(m) => {
            m.attribute("snapshot") == Some("external")
                || root
                    .children()
                    .filter(|c| c.has_tag_name("disks"))
                    .flat_map(|d| d.children())
                    .any(|d| d.has_tag_name("disk") && d.attribute("snapshot") == Some("external"))
        }
        None => state == "disk-snapshot",
    };
    let parent = xml_field(&doc, &["parent", "name"]);
    lines.push(("State:", state.clone()));
    lines.push((
        "Location:",
        if external { "external" } else { "internal" }.into(),
    ));
    lines.push(("Parent:", parent.clone().unwrap_or_else(|| "-".into())));
    let r = snap.num_children(L::empty());
    let children = ctl.lib(r)?;
    let r = snap.num_children(L::DESCENDANTS);
    let descendants = ctl.lib(r)?;
    lines.push(("Children:", children.to_string()));
    lines.push(("Descendants:", descendants.to_string()));
    let metadata = snap.has_metadata(0).ok();
    if let Some(m) = metadata {
        lines.push(("Metadata:", yes_no(m)));
    }
    if cmd.has("json") {
        let j = Json::obj([
            ("name", Json::from(name)),
            ("domain", Json::from(dom.get_name())),
            ("current", Json::from(current)),
            ("state", Json::from(state)),
            (
                "location",
                Json::from(if external { "external" } else { "internal" }),
            ),
            ("parent", Json::from(parent)),
            ("children", Json::from(children)),
            ("descendants", Json::from(descendants)),
            ("metadata", Json::from(metadata)),
        ]);
        ctl.print(&j.line());
        return Ok(());
    }
    let mut out = String::new();
    for (k, v) in lines {
        out.push_str(&format!("{k:<15} {v}\n"));
    }
    ctl.print(&out);
    Ok(())
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn cmd_snapshot_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (tree_mode, name_only, parent) = (cmd.has("tree"), cmd.has("name"), cmd.has("parent"));
    let filters = [
        ("leaves", L::LEAVES),
        ("no-leaves", L::NO_LEAVES),
        ("inactive", L::INACTIVE),
        ("active", L::ACTIVE),
        ("disk-only", L::DISK_ONLY),
        ("internal", L::INTERNAL),
        ("external", L::EXTERNAL),
    ]
    .map(|(o, f)| (o, f.bits()));
    let plain = [
        ("topological", L::TOPOLOGICAL),
        ("roots", L::ROOTS),
        ("metadata", L::METADATA),
        ("no-metadata", L::NO_METADATA),
    ]
    .map(|(o, f)| (o, f.bits()));
    let bits = list_flags(ctl, cmd, &filters, &plain, L::DESCENDANTS.bits())?;
    let flags = L::from_bits_retain(bits);
    let topological = flags.contains(L::TOPOLOGICAL);
    let (dom, _) = ctl.domain(cmd)?;
    let start = if cmd.has("from") || cmd.has("current") {
        Some(lookup(ctl, cmd, "from", &dom)?)
    } else {
        None
    };
    let r = match &start {
        Some(s) => s.list_all_children(flags),
        None => dom.list_all_snapshots(flags),
    };
    let mut snaps = ctl.lib(r)?;
    if !topological {
        snaps.sort_by_key(|s| s.get_name().to_ascii_lowercase());
    }
    if tree_mode {
        let mut items = Vec::new();
        for s in &snaps {
            let p = match s.get_parent(0) {
                Ok(p) => Some(p.get_name().to_string()),
                Err(e) if e.code == ErrorNumber::NO_DOMAIN_SNAPSHOT => None,
                Err(e) => {
                    ctl.last_error = Some(e);
                    return Err(Failed);
                }
            };
            items.push((s.get_name().to_string(), p));
        }
        let start = start.map(|s| s.get_name().to_string());
        return print_tree(ctl, items, start, topological);
    }
    let json = cmd.has("json");
    if name_only && !json {
        let out: String = snaps
            .iter()
            .map(|s| format!("{}\n", s.get_name()))
            .collect();
        ctl.print(&out);
        return Ok(());
    }
    let mut t = if parent {
        Table::new(&["Name", "Creation Time", "State", "Parent"])
    } else {
        Table::new(&["Name", "Creation Time", "State"])
    };
    let mut items = Vec::new();
    for s in &snaps {
        let Ok(xml) = s.get_xml_desc(X::empty()) else {
            continue;
        };
        let Ok(doc) = roxmltree::Document::parse(&xml) else {
            continue;
        };
        let Some(state) = xml_field(&doc, &["state"]) else {
            continue;
        };
        let Some(created) = creation_time(&doc) else {
            continue;
        };
        let par = xml_field(&doc, &["parent", "name"]);
        items.push(Json::obj([
            ("name", Json::from(s.get_name())),
            ("creation_time", Json::from(created)),
            ("state", Json::from(state.as_str())),
            ("parent", Json::from(par.clone())),
        ]));
        let mut row = vec![s.get_name().to_string(), local_time(created), state];
        if parent {
            row.push(par.unwrap_or_default());
        }
        t.row(row);
    }
    if json {
        ctl.print(&Json::Arr(items).line());
    } else {
        let quiet = ctl.quiet;
        ctl.print(&t.render(!quiet));
    }
    Ok(())
}

fn cmd_snapshot_parent(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    match snap.get_parent(0) {
        Ok(p) => {
            ctl.print(p.get_name());
            Ok(())
        }
        Err(e) if e.code == ErrorNumber::NO_DOMAIN_SNAPSHOT => {
            ctl.fail(&format!("snapshot '{}' has no parent", snap.get_name()))
        }
        Err(e) => {
            ctl.last_error = Some(e);
            Err(Failed)
        }
    }
}

fn cmd_snapshot_revert(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = R::empty();
    for (o, f) in [
        ("running", R::RUNNING),
        ("paused", R::PAUSED),
        ("reset-nvram", R::RESET_NVRAM),
    ] {
        if cmd.def.opt(o).is_some() && cmd.has(o) {
            flags |= f;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let snap = lookup(ctl, cmd, "snapshotname", &dom)?;
    let name = snap.get_name().to_string();
    let mut r = snap.revert(flags);
    if let Err(e) = &r {
        if cmd.has("force") && e.code == ErrorNumber::SNAPSHOT_REVERT_RISKY {
            r = snap.revert(flags | R::FORCE);
        }
    }
    if let Err(e) = r {
        ctl.last_error = Some(e);
        return ctl.fail(&format!("Failed to revert snapshot {name}"));
    }
    ctl.print_extra(&format!("Domain snapshot {name} reverted\n"));
    Ok(())
}
