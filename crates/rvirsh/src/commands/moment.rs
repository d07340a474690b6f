//! What the snapshot and checkpoint commands share, as virsh's snapshot and checkpoint code
//! repeat it: the checks and flags of the list options, the `--tree` forest, the fields read
//! from a moment's XML, local times, and the lines printed after create and delete.

use crate::ctl::{CmdResult, Ctl, Failed};
use crate::parse::Cmd;
use rvirt::blocking::{DomainCheckpoint, DomainSnapshot};
use rvirt::checkpoint_flags::DomainCheckpointDeleteFlags;
use rvirt::snapshot_flags::DomainSnapshotDeleteFlags;

/// A snapshot or checkpoint handle, as the commands both kinds share use it.
pub(crate) trait MomentHandle {
    /// The kind as virsh's messages name it: `snapshot` or `checkpoint`.
    const KIND: &'static str;
    /// The moment's name.
    fn name(&self) -> &str;
    /// Deletes it, with the descendants (`children`), only them (`children_only`) or only
    /// the metadata (`metadata`).
    fn delete_as(&self, children: bool, children_only: bool, metadata: bool) -> rvirt::Result<()>;
}

/// Makes a handle a [`MomentHandle`], its delete flags named as for both kinds.
macro_rules! moment_handle {
    ($handle:ty, $flags:ty, $kind:literal) => {
        impl MomentHandle for $handle {
            const KIND: &'static str = $kind;
            fn name(&self) -> &str {
                self.get_name()
            }
            fn delete_as(&self, children: bool, only: bool, metadata: bool) -> rvirt::Result<()> {
                let mut flags = <$flags>::empty();
                flags.set(<$flags>::CHILDREN, children);
                flags.set(<$flags>::CHILDREN_ONLY, only);
                flags.set(<$flags>::METADATA_ONLY, metadata);
                self.delete(flags)
            }
        }
    };
}

moment_handle!(DomainSnapshot, DomainSnapshotDeleteFlags, "snapshot");
moment_handle!(DomainCheckpoint, DomainCheckpointDeleteFlags, "checkpoint");

/// `snapshot-delete` and `checkpoint-delete` once the moment is found: deletes it as the
/// `--children`, `--children-only` and `--metadata` options say and prints virsh's line.
pub(crate) fn delete<H: MomentHandle>(ctl: &mut Ctl, cmd: &Cmd, m: &H) -> CmdResult {
    let name = m.name().to_string();
    let children_only = cmd.has("children-only");
    if let Err(e) = m.delete_as(cmd.has("children"), children_only, cmd.has("metadata")) {
        return ctl.lib_fail(e, &format!("Failed to delete {} {name}", H::KIND));
    }
    print_deleted(ctl, H::KIND, &name, children_only);
    Ok(())
}

/// virsh's checks of the options both list commands have, and the flag bits they give:
/// `filters` (option, bit) are refused beside `--tree`, in that order; `plain` options just add
/// their bit; `--descendants` (bit `descendants`) needs `--from`, or `--current` where the
/// command has it.
pub(crate) fn list_flags(
    ctl: &mut Ctl,
    cmd: &Cmd,
    filters: &[(&str, u32)],
    plain: &[(&str, u32)],
    descendants: u32,
) -> Result<u32, Failed> {
    ctl.exclusive(
        cmd,
        &[
            ("tree", "name"),
            ("parent", "roots"),
            ("parent", "tree"),
            ("roots", "tree"),
            ("roots", "from"),
            ("roots", "current"),
        ],
    )?;
    let mut flags = 0;
    for (o, f) in filters {
        if cmd.has(o) {
            if cmd.has("tree") {
                return ctl.fail(&format!("--{o} and --tree are mutually exclusive"));
            }
            flags |= f;
        }
    }
    for (o, f) in plain {
        if cmd.has(o) {
            flags |= f;
        }
    }
    if cmd.has("descendants") {
        let has_current = cmd.def.opt("current").is_some();
        if !cmd.has("from") && !cmd.has("current") {
            return ctl.fail(if has_current {
                "--descendants requires either --from or --current"
            } else {
                "--descendants requires --from"
            });
        }
        flags |= descendants;
    }
    Ok(flags)
}

/// Prints `--tree`: `items` (name, parent) and the moment listed from, if any, sorted by name
/// unless `topological`, each root with its descendants as vshTreePrint draws them.
pub(crate) fn print_tree(
    ctl: &mut Ctl,
    mut items: Vec<(String, Option<String>)>,
    start: Option<String>,
    topological: bool,
) -> CmdResult {
    items.extend(start.map(|s| (s, None)));
    if !topological {
        items.sort_by_key(|i| i.0.to_ascii_lowercase());
    }
    let mut out = String::new();
    for i in 0..items.len() {
        if items[i].1.is_none() {
            tree(&mut out, &items, i, Some(i), true, &mut String::new());
        }
    }
    ctl.print(&out);
    Ok(())
}

/// The text of the element at `path` below the root (`["state"]`, `["parent", "name"]`).
pub(crate) fn xml_field(doc: &roxmltree::Document, path: &[&str]) -> Option<String> {
    let mut node = doc.root_element();
    for p in path {
        node = node.children().find(|c| c.has_tag_name(*p))?;
    }
    Some(node.text().unwrap_or_default().to_string())
}

/// The `<creationTime>` of a moment's XML.
pub(crate) fn creation_time(doc: &roxmltree::Document) -> Option<i64> {
    xml_field(doc, &["creationTime"]).and_then(|t| t.trim().parse::<i64>().ok())
}

/// `Domain KIND NAME created[ from 'FILE']`.
pub(crate) fn print_created(ctl: &mut Ctl, kind: &str, name: &str, from: Option<&str>) {
    match from {
        Some(f) => ctl.print_extra(&format!("Domain {kind} {name} created from '{f}'")),
        None => ctl.print_extra(&format!("Domain {kind} {name} created")),
    }
}

/// `Domain KIND NAME [children ]deleted`.
fn print_deleted(ctl: &mut Ctl, kind: &str, name: &str, children_only: bool) {
    if children_only {
        ctl.print_extra(&format!("Domain {kind} {name} children deleted\n"));
    } else {
        ctl.print_extra(&format!("Domain {kind} {name} deleted\n"));
    }
}

/// `%Y-%m-%d %H:%M:%S %z` of a Unix time in local time, as GLib formats it.
pub(crate) fn local_time(t: i64) -> String {
    // SAFETY: tm is plain data that localtime_r fills.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let tt: libc::time_t = t;
    // SAFETY: valid pointers to a time_t and a tm.
    if unsafe { libc::localtime_r(&tt, &mut tm) }.is_null() {
        return String::new();
    }
    let off = tm.tm_gmtoff;
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        off / 3600,
        off % 3600 / 60
    )
}

/// vshTreePrint: the forest under `root`, drawn as virsh draws it.
pub(crate) fn tree(
    out: &mut String,
    items: &[(String, Option<String>)],
    dev: usize,
    lastdev: Option<usize>,
    root: bool,
    indent: &mut String,
) {
    let name = &items[dev].0;
    out.push_str(&format!(
        "{indent}{}{name}\n",
        if root { "" } else { "+- " }
    ));
    if !root {
        indent.push(if Some(dev) == lastdev { ' ' } else { '|' });
        indent.push(' ');
    }
    let children: Vec<usize> = (0..items.len())
        .filter(|i| items[*i].1.as_deref() == Some(name.as_str()))
        .collect();
    let nextlast = children.last().copied();
    if nextlast.is_some() {
        out.push_str(&format!("{indent}  |\n"));
    }
    indent.push_str("  ");
    for c in children {
        tree(out, items, c, nextlast, false, indent);
    }
    indent.truncate(indent.len() - 2);
    if nextlast.is_none() && Some(dev) == lastdev {
        out.push_str(&format!("{indent}\n"));
    }
    if !root {
        indent.truncate(indent.len() - 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_as_vsh_draws_it() {
        let items = vec![
            ("s1".to_string(), None),
            ("s2".to_string(), Some("s1".to_string())),
            ("s3".to_string(), Some("s1".to_string())),
        ];
        let mut out = String::new();
        tree(&mut out, &items, 0, Some(0), true, &mut String::new());
        assert_eq!(out, "s1\n  |\n  +- s2\n  +- s3\n    \n");
    }

    #[test]
    fn times_are_formatted_with_an_offset() {
        let s = local_time(0);
        assert_eq!(s.len(), "1970-01-01 00:00:00 +0000".len(), "{s}");
    }
}
