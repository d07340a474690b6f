//! Deleting an external disk-only snapshot together with its data, with libvirt 9.0's rules
//! (`qemuSnapshotDeleteExternalPrepare`, `qemuSnapshotDiscardExternal`,
//! `qemuSnapshotDiscardMetadata`):
//!
//! - each disk the snapshot covers must still have the snapshot's overlay in its chain, the
//!   image below it must be the one the snapshot's domain had, and the nearest older snapshot
//!   of that disk must not be internal;
//! - a running domain merges the overlay into the image below it with a block commit (an
//!   active commit, pivoted once ready, when the overlay is the disk's top) that deletes it;
//! - a shut-off domain gets the same result from `qemu-img commit` of the overlay, an unsafe
//!   `qemu-img rebase` of the image above it onto the image below, and the overlay's removal;
//!   the persistent definition then drops the overlay, and the BLOCK_JOB events libvirt's
//!   paused helper QEMU would have sent are emitted;
//! - the recorded domains of the snapshot's descendants forget the overlay as well.

use super::disk_format;
use crate::{FROM, QemuDriver, util};
use rvirt_conf::domain::DiskDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_conf::snapshot::SnapshotDef;
use rvirt_driver::snapshot::{SnapshotStore, is_external, snapshot_disks};
use rvirt_driver::{DomainObj, DomainRef};
use rvirt_types::domain::{ConnectDomainEventBlockJobStatus, DomainBlockJobType};
use rvirt_types::{Error, ErrorNumber, Result};
use std::sync::Arc;

/// What deleting one disk of an external snapshot does.
#[derive(Clone, Debug)]
pub(super) struct DiskPlan {
    /// The disk's target.
    target: String,
    /// The snapshot's overlay, merged into the image below it and deleted.
    overlay: String,
    /// The disk as the snapshot's domain had it: the overlay's backing image.
    parent: DiskDef,
    /// The overlay is the disk's top image (an active commit).
    top: bool,
}

fn failed(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::OPERATION_FAILED, detail)
}

/// The image a `<backingStore>` element names.
fn backing_path(e: &RawElement) -> Option<&str> {
    child(e, "source").and_then(|s| s.attr("file").or_else(|| s.attr("dev")))
}

fn child<'a>(e: &'a RawElement, name: &str) -> Option<&'a RawElement> {
    e.children.iter().find_map(|n| match n {
        RawNode::Element(c) if c.name == name => Some(c),
        _ => None,
    })
}

fn take_child(e: &mut RawElement, name: &str) -> Option<RawElement> {
    let i = e
        .children
        .iter()
        .position(|n| matches!(n, RawNode::Element(c) if c.name == name))?;
    match e.children.remove(i) {
        RawNode::Element(c) => Some(c),
        _ => None,
    }
}

/// The images of a disk as its definition describes them: its source, then each
/// `<backingStore>` below it.
fn def_chain(disk: &DiskDef) -> Vec<String> {
    let mut out: Vec<String> = disk.source_path().map(str::to_string).into_iter().collect();
    let mut next = disk.extra.iter().find(|e| e.name == "backingStore");
    while let Some(b) = next {
        let Some(p) = backing_path(b) else { break };
        out.push(p.to_string());
        next = child(b, "backingStore");
    }
    out
}

/// Removes `overlay` from the chain of `disk`: a top overlay gives way to the image below it
/// (its `<backingStore>` when the definition has one naming `parent`'s image, else `parent`'s
/// source without a chain); a deeper one is spliced out of the `<backingStore>` chain.
fn drop_layer(disk: &mut DiskDef, overlay: &str, parent: &DiskDef) {
    if disk.source_path() == Some(overlay) {
        let pos = disk.extra.iter().position(|e| e.name == "backingStore");
        let below = pos.map(|i| disk.extra.remove(i));
        let set_format =
            |disk: &mut DiskDef, f: String| match disk.driver.iter_mut().find(|(k, _)| k == "type")
            {
                Some(t) => t.1 = f,
                None => disk.driver.push(("type".into(), f)),
            };
        match below {
            Some(mut b) if backing_path(&b) == parent.source_path() => {
                let kind = b.attr("type").unwrap_or("file").to_string();
                let key = if kind == "block" { "dev" } else { "file" };
                let path = backing_path(&b).unwrap_or_default().to_string();
                let format = child(&b, "format")
                    .and_then(|f| f.attr("type"))
                    .unwrap_or_else(|| disk_format(parent))
                    .to_string();
                disk.disk_type = kind;
                disk.source = Some(vec![(key.into(), path)]);
                set_format(disk, format);
                if let Some(deeper) = take_child(&mut b, "backingStore") {
                    disk.extra.insert(pos.unwrap_or(0), deeper);
                }
            }
            _ => {
                disk.disk_type = parent.disk_type.clone();
                disk.source = parent.source.clone();
                set_format(disk, disk_format(parent).to_string());
            }
        }
        return;
    }
    let Some(mut at) = disk.extra.iter_mut().find(|e| e.name == "backingStore") else {
        return;
    };
    if backing_path(at) == Some(overlay) {
        match take_child(at, "backingStore") {
            Some(deeper) => *at = deeper,
            None => disk.extra.retain(|e| e.name != "backingStore"),
        }
        return;
    }
    loop {
        let Some(i) = at
            .children
            .iter()
            .position(|n| matches!(n, RawNode::Element(c) if c.name == "backingStore"))
        else {
            return;
        };
        let RawNode::Element(next) = &at.children[i] else {
            return;
        };
        if backing_path(next) == Some(overlay) {
            let RawNode::Element(mut gone) = at.children.remove(i) else {
                return;
            };
            if let Some(deeper) = take_child(&mut gone, "backingStore") {
                at.children.insert(i, RawNode::Element(deeper));
            }
            return;
        }
        let RawNode::Element(next) = &mut at.children[i] else {
            return;
        };
        at = next;
    }
}

/// libvirt's `qemuSnapshotUpdateDisksSingle`: a descendant's recorded domain `def` forgets
/// the overlay of disk `target`; an external descendant whose disk was the overlay gets the
/// deleted snapshot's image instead.
fn update_recorded_disk(
    def: &mut rvirt_conf::DomainDef,
    external: bool,
    target: &str,
    overlay: &str,
    parent: &rvirt_conf::DomainDef,
) {
    let Some(parent) = parent.devices.disks.iter().find(|d| d.target_dev == target) else {
        return;
    };
    let Some(disk) = def
        .devices
        .disks
        .iter_mut()
        .find(|d| d.target_dev == target)
    else {
        return;
    };
    if !external && disk.source_path() == Some(overlay) {
        return;
    }
    drop_layer(disk, overlay, parent);
}

/// The images of `top` as `qemu-img` reads them, top first, with their formats.
fn image_chain(top: &str) -> Result<Vec<(String, String)>> {
    let text = util::run(
        "qemu-img",
        &["info", "-U", "--backing-chain", "--output=json", top],
    )?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::internal(FROM, e.to_string()))?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    (
                        i["filename"].as_str().unwrap_or_default().to_string(),
                        i["format"].as_str().unwrap_or("raw").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Merges `overlay` (at `k` in `chain`) into the image below it, points the image above it
/// (if any) at that image, and deletes the overlay.
fn commit_offline(chain: &[(String, String)], k: usize) -> Result<()> {
    let (overlay, fmt) = &chain[k];
    let (base, base_fmt) = &chain[k + 1];
    util::run("qemu-img", &["commit", "-q", "-f", fmt, overlay])?;
    if let Some((above, above_fmt)) = k.checked_sub(1).map(|i| &chain[i]) {
        util::run(
            "qemu-img",
            &[
                "rebase", "-u", "-f", above_fmt, "-F", base_fmt, "-b", base, above,
            ],
        )?;
    }
    std::fs::remove_file(overlay)
        .map_err(|e| Error::system(FROM, format!("unable to remove '{overlay}'"), &e))
}

impl QemuDriver {
    /// libvirt's `qemuSnapshotDeleteExternalPrepare`: what deleting `snap`'s data does to each
    /// disk, or why it cannot be done.
    pub(super) async fn delete_external_prepare(
        &self,
        obj: &Arc<DomainObj>,
        snap: &SnapshotDef,
    ) -> Result<Vec<DiskPlan>> {
        let (active, def) = {
            let st = obj.lock();
            (st.is_active(), st.def.clone())
        };
        let proc = if active {
            Some(self.proc_of(&obj.uuid)?)
        } else {
            None
        };
        let mut plans = Vec::new();
        for sd in snapshot_disks(snap) {
            if sd.location == "no" {
                continue;
            }
            let Some(disk) = def.devices.disks.iter().find(|d| d.target_dev == sd.name) else {
                return Err(Error::invalid_arg(
                    FROM,
                    format!("disk '{}' not found in domain", sd.name),
                ));
            };
            let overlay = sd.path.clone().unwrap_or_default();
            // The chain libvirt looks in: the one QEMU has open, or the definition's.
            let chain = match &proc {
                Some(p) => self.open_chain(p, disk).await?,
                None => def_chain(disk),
            };
            let Some(k) = chain.iter().position(|c| *c == overlay) else {
                return Err(Error::invalid_arg(
                    FROM,
                    "could not find base disk source in disk source chain",
                ));
            };
            let Some(parent) = snap
                .domain
                .as_ref()
                .and_then(|d| d.devices.disks.iter().find(|d| d.target_dev == sd.name))
            else {
                return Err(failed(format!(
                    "failed to find disk '{}' in snapshot VM XML",
                    sd.name
                )));
            };
            let below = match &proc {
                Some(_) => chain.get(k + 1).cloned(),
                None => {
                    let top = chain[0].clone();
                    let images = util::off_thread(move || image_chain(&top)).await?;
                    images
                        .iter()
                        .position(|(p, _)| *p == overlay)
                        .and_then(|i| images.get(i + 1))
                        .map(|(p, _)| p.clone())
                }
            };
            let Some(below) = below else {
                return Err(failed("failed to find parent disk source in backing chain"));
            };
            if Some(below.as_str()) != parent.source_path() {
                return Err(failed(
                    "snapshot VM disk source and parent disk source are not the same",
                ));
            }
            let older = self.with_store(obj, |s| Ok(older_snapshot_of_disk(s, snap, &sd.name)))?;
            if older.is_some_and(|o| !is_external(&o)) {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "deleting external snapshot that has internal snapshot as parent not supported",
                ));
            }
            plans.push(DiskPlan {
                target: sd.name.clone(),
                overlay,
                parent: parent.clone(),
                top: k == 0,
            });
        }
        Ok(plans)
    }

    /// libvirt's `qemuSnapshotDiscardExternal`: merges each planned overlay into the image
    /// below it and deletes it, then the persistent definition drops it.
    pub(super) async fn delete_external_data(
        &self,
        dom: &DomainRef,
        obj: &Arc<DomainObj>,
        plans: &[DiskPlan],
    ) -> Result<()> {
        for plan in plans {
            let (active, persistent, before) = {
                let st = obj.lock();
                (
                    st.is_active(),
                    st.persistent,
                    st.persistent_def()
                        .devices
                        .disks
                        .iter()
                        .find(|d| d.target_dev == plan.target)
                        .cloned(),
                )
            };
            if active {
                self.commit_for_snapshot_delete(dom, &plan.target, &plan.overlay, plan.top)
                    .await?;
            } else {
                let top = def_chain_top(before.as_ref());
                let overlay = plan.overlay.clone();
                util::off_thread(move || {
                    let chain = image_chain(&top)?;
                    let k = chain
                        .iter()
                        .position(|(p, _)| *p == overlay)
                        .filter(|&k| k + 1 < chain.len())
                        .ok_or_else(|| {
                            failed("failed to find parent disk source in backing chain")
                        })?;
                    commit_offline(&chain, k)
                })
                .await?;
            }
            // The persistent disk forgets the overlay (an active domain's live disk already
            // follows QEMU's chain).
            if !persistent {
                continue;
            }
            let Some(mut disk) = before else { continue };
            drop_layer(&mut disk, &plan.overlay, &plan.parent);
            let def = {
                let mut st = obj.lock();
                let def = st.persistent_def_mut();
                if let Some(d) = def
                    .devices
                    .disks
                    .iter_mut()
                    .find(|d| d.target_dev == plan.target)
                {
                    *d = disk;
                }
                def.clone()
            };
            self.save_config(&def)?;
            if !active {
                // libvirt merges through a paused QEMU, whose block job reports these.
                type T = DomainBlockJobType;
                type S = ConnectDomainEventBlockJobStatus;
                if plan.top {
                    self.emit_block_job(obj, &plan.target, T::ACTIVE_COMMIT, S::READY);
                    self.emit_block_job(obj, &plan.target, T::ACTIVE_COMMIT, S::COMPLETED);
                } else {
                    self.emit_block_job(obj, &plan.target, T::COMMIT, S::COMPLETED);
                }
            }
        }
        Ok(())
    }

    /// libvirt's `qemuSnapshotDeleteUpdateDisks` over the descendants of `snap` (an external
    /// snapshot about to be forgotten): their recorded domains drop its overlays.
    pub(super) fn forget_overlays_in_descendants(
        &self,
        store: &mut SnapshotStore,
        snap: &SnapshotDef,
    ) -> Vec<String> {
        let Some(parent_dom) = snap.domain.as_ref() else {
            return Vec::new();
        };
        let parent_inactive = snap.inactive_domain.as_ref().unwrap_or(parent_dom);
        let overlays: Vec<(String, String)> = snapshot_disks(snap)
            .into_iter()
            .filter(|d| d.location == "external")
            .filter_map(|d| Some((d.name, d.path?)))
            .collect();
        if overlays.is_empty() {
            return Vec::new();
        }
        let names = store.descendants(&snap.name);
        for n in &names {
            let Some(mut s) = store.get(n).cloned() else {
                continue;
            };
            let external = is_external(&s);
            for (target, overlay) in &overlays {
                if let Some(d) = s.domain.as_mut() {
                    update_recorded_disk(d, external, target, overlay, parent_dom);
                }
                if let Some(d) = s.inactive_domain.as_mut() {
                    update_recorded_disk(d, external, target, overlay, parent_inactive);
                }
            }
            store.insert(s);
        }
        names
    }
}

/// The top image of a persistent disk (empty when it has none).
fn def_chain_top(disk: Option<&DiskDef>) -> String {
    disk.and_then(|d| d.source_path())
        .unwrap_or_default()
        .to_string()
}

/// libvirt's `qemuSnapshotFindParentSnapForDisk`: the nearest ancestor of `snap` that has
/// disk `target` in it.
fn older_snapshot_of_disk(
    store: &SnapshotStore,
    snap: &SnapshotDef,
    target: &str,
) -> Option<SnapshotDef> {
    store
        .ancestors(snap)
        .find(|s| {
            snapshot_disks(s)
                .iter()
                .any(|d| d.name == target && d.location != "no")
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(xml: &str) -> DiskDef {
        let d = rvirt_conf::DomainDef::parse_xml(
            &format!(
                "<domain type='qemu'><name>t</name><memory>65536</memory>\
                 <os><type>hvm</type></os><devices>{xml}</devices></domain>"
            ),
            rvirt_conf::domain::ParseOptions::default(),
        )
        .unwrap();
        d.devices.disks[0].clone()
    }

    #[test]
    fn layers_leave_the_chain_from_the_top_and_the_middle() {
        let parent = disk(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='/i/base'/><target dev='vda'/></disk>",
        );
        let chained = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='/i/s2'/><backingStore type='file'><format type='qcow2'/>\
             <source file='/i/s1'/><backingStore type='file'><format type='raw'/>\
             <source file='/i/base'/></backingStore></backingStore><target dev='vda'/></disk>";
        let mut d = disk(chained);
        assert_eq!(def_chain(&d), ["/i/s2", "/i/s1", "/i/base"]);
        drop_layer(&mut d, "/i/s1", &parent);
        assert_eq!(def_chain(&d), ["/i/s2", "/i/base"]);
        drop_layer(&mut d, "/i/s2", &parent);
        assert_eq!(def_chain(&d), ["/i/base"]);
        assert_eq!(disk_format(&d), "raw");

        let mut bare = disk(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='/i/s1'/><target dev='vda'/></disk>",
        );
        drop_layer(&mut bare, "/i/s1", &parent);
        assert_eq!(def_chain(&bare), ["/i/base"]);
        assert_eq!(disk_format(&bare), "raw");
    }
}
