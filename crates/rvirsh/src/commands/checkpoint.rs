//! Checkpoint (help keyword `checkpoint`): create, list, inspect, edit and delete checkpoints.

use crate::cmd::{CmdDef, Complete, Group, Opt, OptKind};
use crate::commands::domain::{ask_reedit, edit_text};
use crate::commands::moment::{
    creation_time, delete, list_flags, local_time, print_created, print_tree, xml_field,
};
use crate::commands::virsh::{split_commas, xml_escape};
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::parse::Cmd;
use rvirt::ErrorNumber;
use rvirt::blocking::{Domain, DomainCheckpoint};
use rvirt::checkpoint_flags::{
    DomainCheckpointCreateFlags as C, DomainCheckpointDeleteFlags as D,
    DomainCheckpointListFlags as L, DomainCheckpointXMLFlags as X,
};

/// The group.
pub static GROUP: Group = Group {
    name: "Checkpoint",
    keyword: "checkpoint",
    commands: COMMANDS,
};

const CHECKPOINTNAME: Opt =
    Opt::new("checkpointname", OptKind::String, "checkpoint name").complete(Complete::Checkpoint);

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "checkpoint-create",
        help: "Create a checkpoint from XML",
        desc: "Create a checkpoint from XML for use in future incremental backups",
        opts: &[
            Opt::DOMAIN,
            Opt::new("xmlfile", OptKind::String, "domain checkpoint XML"),
            Opt::new(
                "redefine",
                OptKind::Bool,
                "redefine metadata for existing checkpoint",
            ),
            Opt::new(
                "redefine-validate",
                OptKind::Bool,
                "validate the redefined checkpoint",
            ),
            Opt::new("quiesce", OptKind::Bool, "quiesce guest's file systems"),
        ],
        ..CmdDef::new(cmd_checkpoint_create)
    },
    CmdDef {
        name: "checkpoint-create-as",
        help: "Create a checkpoint from a set of args",
        desc: "Create a checkpoint from arguments for use in future incremental backups",
        opts: &[
            Opt::DOMAIN,
            Opt::new("name", OptKind::String, "name of checkpoint"),
            Opt::new("description", OptKind::String, "description of checkpoint"),
            Opt::new(
                "print-xml",
                OptKind::Bool,
                "print XML document rather than create",
            ),
            Opt::new("quiesce", OptKind::Bool, "quiesce guest's file systems"),
            Opt::new(
                "diskspec",
                OptKind::Argv,
                "disk attributes: disk[,checkpoint=type][,bitmap=name]",
            ),
        ],
        ..CmdDef::new(cmd_checkpoint_create_as)
    },
    CmdDef {
        name: "checkpoint-delete",
        help: "Delete a domain checkpoint",
        desc: "Checkpoint Delete",
        opts: &[
            Opt::DOMAIN,
            CHECKPOINTNAME,
            Opt::new(
                "children",
                OptKind::Bool,
                "delete checkpoint and all children",
            ),
            Opt::new(
                "children-only",
                OptKind::Bool,
                "delete children but not checkpoint",
            ),
            Opt::new(
                "metadata",
                OptKind::Bool,
                "delete only libvirt metadata, leaving checkpoint contents behind",
            ),
        ],
        ..CmdDef::new(cmd_checkpoint_delete)
    },
    CmdDef {
        name: "checkpoint-dumpxml",
        help: "Dump XML for a domain checkpoint",
        desc: "Checkpoint Dump XML",
        opts: &[
            Opt::DOMAIN,
            CHECKPOINTNAME,
            Opt::new(
                "security-info",
                OptKind::Bool,
                "include security sensitive information in XML dump",
            ),
            Opt::new("no-domain", OptKind::Bool, "exclude <domain> from XML"),
            Opt::new(
                "size",
                OptKind::Bool,
                "include backup size estimate in XML dump",
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
        ..CmdDef::new(cmd_checkpoint_dumpxml)
    },
    CmdDef {
        name: "checkpoint-edit",
        help: "edit XML for a checkpoint",
        desc: "Edit the domain checkpoint XML for a named checkpoint",
        opts: &[Opt::DOMAIN, CHECKPOINTNAME],
        ..CmdDef::new(cmd_checkpoint_edit)
    },
    CmdDef {
        name: "checkpoint-info",
        help: "checkpoint information",
        desc: "Returns basic information about a checkpoint.",
        opts: &[Opt::DOMAIN, CHECKPOINTNAME],
        ..CmdDef::new(cmd_checkpoint_info)
    },
    CmdDef {
        name: "checkpoint-list",
        help: "List checkpoints for a domain",
        desc: "Checkpoint List",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "parent",
                OptKind::Bool,
                "add a column showing parent checkpoint",
            ),
            Opt::new(
                "roots",
                OptKind::Bool,
                "list only checkpoints without parents",
            ),
            Opt::new(
                "leaves",
                OptKind::Bool,
                "list only checkpoints without children",
            ),
            Opt::new(
                "no-leaves",
                OptKind::Bool,
                "list only checkpoints that are not leaves (with children)",
            ),
            Opt::new("tree", OptKind::Bool, "list checkpoints in a tree"),
            Opt::new(
                "from",
                OptKind::String,
                "limit list to children of given checkpoint",
            )
            .complete(Complete::Checkpoint),
            Opt::new(
                "descendants",
                OptKind::Bool,
                "with --from, list all descendants",
            ),
            Opt::new("name", OptKind::Bool, "list checkpoint names only"),
            Opt::new(
                "topological",
                OptKind::Bool,
                "sort list topologically rather than by name",
            ),
        ],
        ..CmdDef::new(cmd_checkpoint_list)
    },
    CmdDef {
        name: "checkpoint-parent",
        help: "Get the name of the parent of a checkpoint",
        desc: "Extract the checkpoint's parent, if any",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "checkpointname",
                OptKind::String,
                "find parent of checkpoint name",
            )
            .complete(Complete::Checkpoint),
        ],
        ..CmdDef::new(cmd_checkpoint_parent)
    },
];

/// virshCheckpointCreate.
fn create(ctl: &mut Ctl, dom: &Domain, xml: &str, flags: C, from: Option<&str>) -> CmdResult {
    let r = dom.checkpoint_create_xml(xml, flags);
    let chk = ctl.lib(r)?;
    print_created(ctl, "checkpoint", chk.get_name(), from);
    Ok(())
}

fn cmd_checkpoint_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if cmd.has("redefine-validate") && !cmd.has("redefine") {
        return ctl.fail("Option --redefine is required by option --redefine-validate");
    }
    let mut flags = C::empty();
    for (o, f) in [
        ("redefine", C::REDEFINE),
        ("redefine-validate", C::REDEFINE_VALIDATE),
        ("quiesce", C::QUIESCE),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let from = ctl.opt_str(cmd, "xmlfile")?;
    let xml = match from {
        None => "<domaincheckpoint/>".to_string(),
        Some(f) => ctl.lib(read_file(f))?,
    };
    create(ctl, &dom, &xml, flags, from)
}

/// virshParseCheckpointDiskspec: `disk[,checkpoint=TYPE][,bitmap=NAME]` as a `<disk>` line;
/// `None` for a spec virsh cannot parse.
fn diskspec_xml(spec: &str) -> Option<String> {
    let parts = split_commas(spec);
    let (name, rest) = parts.split_first()?;
    let (mut checkpoint, mut bitmap) = (None, None);
    for p in rest {
        if let (None, Some(v)) = (checkpoint, p.strip_prefix("checkpoint=")) {
            checkpoint = Some(v);
        } else if let (None, Some(v)) = (bitmap, p.strip_prefix("bitmap=")) {
            bitmap = Some(v);
        } else {
            return None;
        }
    }
    let mut line = format!("    <disk name='{}'", xml_escape(name));
    if let Some(c) = checkpoint {
        line.push_str(&format!(" checkpoint='{c}'"));
    }
    if let Some(b) = bitmap {
        line.push_str(&format!(" bitmap='{b}'"));
    }
    line.push_str("/>\n");
    Some(line)
}

fn cmd_checkpoint_create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("quiesce") {
        C::QUIESCE
    } else {
        C::empty()
    };
    let (dom, _) = ctl.domain(cmd)?;
    let name = ctl.opt_str(cmd, "name")?;
    let desc = ctl.opt_str(cmd, "description")?;
    let mut xml = String::from("<domaincheckpoint>\n");
    if let Some(n) = name {
        xml.push_str(&format!("  <name>{}</name>\n", xml_escape(n)));
    }
    if let Some(d) = desc {
        xml.push_str(&format!("  <description>{}</description>\n", xml_escape(d)));
    }
    if cmd.has("diskspec") {
        xml.push_str("  <disks>\n");
        for spec in cmd.argv() {
            match diskspec_xml(spec) {
                Some(d) => xml.push_str(&d),
                None => return ctl.fail(&format!("unable to parse diskspec: {spec}")),
            }
        }
        xml.push_str("  </disks>\n");
    }
    xml.push_str("</domaincheckpoint>\n");
    if cmd.has("print-xml") {
        ctl.print(&format!("{xml}\n"));
        return Ok(());
    }
    create(ctl, &dom, &xml, flags, None)
}

/// virshLookupCheckpoint: by the named option, which is required; lookup errors are reported
/// at once.
fn lookup(ctl: &mut Ctl, cmd: &Cmd, arg: &str, dom: &Domain) -> Result<DomainCheckpoint, Failed> {
    let Some(name) = ctl.opt_str(cmd, arg)? else {
        return ctl.fail(&format!("--{arg} is required"));
    };
    match dom.checkpoint_lookup_by_name(name, 0) {
        Ok(c) => Ok(c),
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.report_error();
            Err(Failed)
        }
    }
}

/// virshGetCheckpointParent: the parent's name, `None` for a root; other errors are reported
/// with virsh's line.
fn parent_of(ctl: &mut Ctl, chk: &DomainCheckpoint) -> Result<Option<String>, Failed> {
    match chk.get_parent(0) {
        Ok(p) => Ok(Some(p.get_name().to_string())),
        Err(e) if e.code == ErrorNumber::NO_DOMAIN_CHECKPOINT => Ok(None),
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.report_error();
            ctl.fail("unable to determine if checkpoint has parent")
        }
    }
}

fn cmd_checkpoint_delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let chk = lookup(ctl, cmd, "checkpointname", &dom)?;
    delete(ctl, cmd, &chk)
}

fn cmd_checkpoint_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = X::empty();
    for (o, f) in [
        ("security-info", X::SECURE),
        ("no-domain", X::NO_DOMAIN),
        ("size", X::SIZE),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let chk = lookup(ctl, cmd, "checkpointname", &dom)?;
    let r = chk.get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_checkpoint_edit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let chk = lookup(ctl, cmd, "checkpointname", &dom)?;
    let name = chk.get_name().to_string();
    let r = edit_loop(ctl, &dom, &chk, &name);
    if r.is_err() {
        ctl.error(&format!("Failed to update {name}"));
    }
    r
}

/// virsh-edit.c for a checkpoint: edit its secure XML, redefine it, retry on a terminal.
fn edit_loop(ctl: &mut Ctl, dom: &Domain, chk: &DomainCheckpoint, name: &str) -> CmdResult {
    let get = |ctl: &mut Ctl| {
        let r = chk.get_xml_desc(X::SECURE);
        ctl.lib(r)
    };
    let mut doc = get(ctl)?;
    let not_changed = |ctl: &mut Ctl| {
        ctl.print_extra(&format!(
            "Checkpoint {name} XML configuration not changed.\n"
        ));
        Ok(())
    };
    // An editor that fails is reported before virsh's closing line, as vshEditFile does.
    let edit = |ctl: &mut Ctl, text: &str| edit_text(ctl, text).inspect_err(|_| ctl.report_error());
    let mut edited = edit(ctl, &doc)?;
    if edited == doc {
        return not_changed(ctl);
    }
    let new = loop {
        let reread = get(ctl)?;
        let msg = if reread != doc {
            doc = reread;
            "The XML configuration was changed by another user."
        } else {
            match dom.checkpoint_create_xml(&edited, C::REDEFINE) {
                Ok(c) => break c,
                Err(e) => {
                    ctl.last_error = Some(e);
                    "Failed."
                }
            }
        };
        match ask_reedit(ctl, msg, false) {
            Some(b'y') => {
                edited = edit(ctl, &edited)?;
                if edited == doc {
                    return not_changed(ctl);
                }
            }
            Some(b'f') => {}
            Some(_) => return Err(Failed),
            None => return ctl.fail(msg),
        }
    };
    let new_name = new.get_name().to_string();
    if new_name == name {
        ctl.print_extra(&format!("Checkpoint {name} edited.\n"));
        return Ok(());
    }
    if let Err(e) = new.delete(D::METADATA_ONLY) {
        ctl.last_error = Some(e);
        ctl.report_error();
        return ctl.fail(&format!("Failed to clean up {new_name}"));
    }
    ctl.fail(&format!("Cannot rename checkpoint {name} to {new_name}"))
}

fn cmd_checkpoint_info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let chk = lookup(ctl, cmd, "checkpointname", &dom)?;
    let line = |k: &str, v: &str| format!("{k:<15} {v}\n");
    let mut out = line("Name:", chk.get_name());
    out.push_str(&line("Domain:", dom.get_name()));
    ctl.print(&out);
    let Ok(parent) = parent_of(ctl, &chk) else {
        return ctl.fail("unexpected problem querying checkpoint state");
    };
    ctl.print(&line("Parent:", parent.as_deref().unwrap_or("-")));
    let count = match chk.list_all_children(L::empty()) {
        Ok(c) => c.len(),
        Err(e) if e.code == ErrorNumber::NO_SUPPORT => return Ok(()),
        Err(e) => {
            ctl.last_error = Some(e);
            return Err(Failed);
        }
    };
    ctl.print(&line("Children:", &count.to_string()));
    let r = chk.list_all_children(L::DESCENDANTS);
    let count = ctl.lib(r)?.len();
    ctl.print(&line("Descendants:", &count.to_string()));
    Ok(())
}

fn cmd_checkpoint_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (tree_mode, name_only, parent) = (cmd.has("tree"), cmd.has("name"), cmd.has("parent"));
    let filters = [("leaves", L::LEAVES), ("no-leaves", L::NO_LEAVES)].map(|(o, f)| (o, f.bits()));
    let plain = [("topological", L::TOPOLOGICAL), ("roots", L::ROOTS)].map(|(o, f)| (o, f.bits()));
    let bits = list_flags(ctl, cmd, &filters, &plain, L::DESCENDANTS.bits())?;
    let flags = L::from_bits_retain(bits);
    let topological = flags.contains(L::TOPOLOGICAL);
    let (dom, _) = ctl.domain(cmd)?;
    let start = if cmd.has("from") {
        Some(lookup(ctl, cmd, "from", &dom)?)
    } else {
        None
    };
    let r = match &start {
        Some(s) => s.list_all_children(flags),
        None => dom.list_all_checkpoints(flags),
    };
    let mut chks = match r {
        Ok(c) => c,
        Err(e) => return ctl.lib_fail(e, "unexpected problem querying checkpoints"),
    };
    if tree_mode {
        let mut items = Vec::new();
        for c in &chks {
            items.push((c.get_name().to_string(), parent_of(ctl, c)?));
        }
        let start = start.map(|s| s.get_name().to_string());
        return print_tree(ctl, items, start, topological);
    }
    if !topological {
        chks.sort_by_key(|c| c.get_name().to_ascii_lowercase());
    }
    if name_only {
        let out: String = chks.iter().map(|c| format!("{}\n", c.get_name())).collect();
        ctl.print(&out);
        return Ok(());
    }
    let mut t = if parent {
        Table::new(&["Name", "Creation Time", "Parent"])
    } else {
        Table::new(&["Name", "Creation Time"])
    };
    for c in &chks {
        let Ok(xml) = c.get_xml_desc(X::empty()) else {
            continue;
        };
        let Ok(doc) = roxmltree::Document::parse(&xml) else {
            continue;
        };
        let Some(created) = creation_time(&doc) else {
            continue;
        };
        let mut row = vec![c.get_name().to_string(), local_time(created)];
        if parent {
            row.push(xml_field(&doc, &["parent", "name"]).unwrap_or_default());
        }
        t.row(row);
    }
    let quiet = ctl.quiet;
    ctl.print(&t.render(!quiet));
    Ok(())
}

fn cmd_checkpoint_parent(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let chk = lookup(ctl, cmd, "checkpointname", &dom)?;
    match parent_of(ctl, &chk)? {
        Some(p) => {
            ctl.print(&p);
            Ok(())
        }
        None => ctl.fail(&format!("checkpoint '{}' has no parent", chk.get_name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diskspecs_as_virsh_writes_them() {
        assert_eq!(
            diskspec_xml("vda,checkpoint=bitmap,bitmap=b1").as_deref(),
            Some("    <disk name='vda' checkpoint='bitmap' bitmap='b1'/>\n")
        );
        assert_eq!(
            diskspec_xml("a,,b'c").as_deref(),
            Some("    <disk name='a,b&apos;c'/>\n")
        );
        assert_eq!(diskspec_xml("vda,checkpoint=no,checkpoint=no"), None);
        assert_eq!(diskspec_xml("vda,size=1"), None);
    }
}
