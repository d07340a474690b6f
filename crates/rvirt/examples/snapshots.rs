//! Domain snapshots: take a few, list them as a tree, find the current one, revert to an older
//! one, and delete a subtree.
//!
//! `cargo run -p rvirt --example snapshots [URI [DOMAIN]]` (defaults `test:///default`, `test`).

use rvirt::blocking::{Domain, DomainSnapshot};
use rvirt::snapshot_flags::{
    DomainSnapshotCreateFlags, DomainSnapshotDeleteFlags, DomainSnapshotListFlags,
    DomainSnapshotRevertFlags,
};
use std::io::Write;

fn snapshot(dom: &Domain, name: &str, description: &str) -> rvirt::Result<DomainSnapshot> {
    let xml = format!(
        "<domainsnapshot><name>{name}</name><description>{description}</description></domainsnapshot>"
    );
    dom.snapshot_create_xml(&xml, DomainSnapshotCreateFlags::empty())
}

fn print_tree(
    snap: &DomainSnapshot,
    depth: usize,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let current = if snap.is_current(0)? {
        " (current)"
    } else {
        ""
    };
    writeln!(out, "  {}{}{current}", "  ".repeat(depth), snap.get_name())?;
    let mut children = snap.list_all_children(DomainSnapshotListFlags::empty())?;
    children.sort_by(|a, b| a.get_name().cmp(b.get_name()));
    for child in &children {
        print_tree(child, depth + 1, out)?;
    }
    Ok(())
}

fn print_snapshots(dom: &Domain, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    writeln!(
        out,
        "Snapshots of {} ({}):",
        dom.get_name(),
        dom.snapshot_num(DomainSnapshotListFlags::empty())?
    )?;
    let mut roots = dom.list_all_snapshots(DomainSnapshotListFlags::ROOTS)?;
    roots.sort_by(|a, b| a.get_name().cmp(b.get_name()));
    if roots.is_empty() {
        writeln!(out, "  None")?;
    }
    for root in &roots {
        print_tree(root, 0, out)?;
    }
    Ok(())
}

/// Walks domain `name` at `uri` through snapshot creation, revert and deletion.
pub fn run(uri: &str, name: &str, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let conn = rvirt::blocking::Connect::open(uri)?;
    let dom = conn.lookup_by_name(name)?;

    let base = snapshot(&dom, "base", "before any change")?;
    writeln!(out, "Created snapshot {}", base.get_name())?;
    let updated = snapshot(&dom, "updated", "after the update")?;
    writeln!(out, "Created snapshot {}", updated.get_name())?;

    base.revert(DomainSnapshotRevertFlags::empty())?;
    writeln!(out, "Reverted to {}", base.get_name())?;
    let experiment = snapshot(&dom, "experiment", "a branch from base")?;
    writeln!(out, "Created snapshot {}", experiment.get_name())?;
    writeln!(
        out,
        "Parent of {} is {}",
        experiment.get_name(),
        experiment.get_parent(0)?.get_name()
    )?;
    print_snapshots(&dom, out)?;

    let current = dom.snapshot_current(0)?;
    writeln!(out, "The current snapshot is {}", current.get_name())?;

    base.delete(DomainSnapshotDeleteFlags::CHILDREN_ONLY)?;
    writeln!(out, "Deleted the children of {}", base.get_name())?;
    print_snapshots(&dom, out)?;

    base.delete(DomainSnapshotDeleteFlags::empty())?;
    writeln!(out, "Deleted {}", base.get_name())?;
    writeln!(
        out,
        "The value of the current snapshot flag is {}",
        dom.has_current_snapshot(0)?
    )?;
    Ok(())
}

#[allow(dead_code)]
fn main() {
    let mut args = std::env::args().skip(1);
    let uri = args.next().unwrap_or_else(|| "test:///default".to_string());
    let name = args.next().unwrap_or_else(|| "test".to_string());
    if let Err(e) = run(&uri, &name, &mut std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
