//! Snapshots of QEMU domains, with libvirt's rules (`qemu_snapshot.c`):
//!
//! - internal snapshots of qcow2 disks: `qemu-img snapshot -c` on each disk of a shut-off
//!   domain; for a running one a full system checkpoint (disks and memory) taken by QEMU's
//!   `snapshot-save` job with the CPUs stopped;
//! - external disk-only snapshots: a new qcow2 overlay per disk backed by the current image
//!   (`qemu-img create -b` offline; `blockdev-add` + `blockdev-snapshot` online), and the
//!   domain's definitions pointed at the overlays;
//! - revert to internal snapshots (QEMU restarted and the snapshot loaded with `snapshot-load`
//!   before its CPUs run, or `qemu-img snapshot -a` for a shut-off snapshot), delete (with
//!   children, children only, metadata only).
//!
//! Each snapshot's record is one XML file, `lib/qemu/snapshot/DOMAIN/NAME.xml` under the
//! driver's root (`/var/lib/libvirt/qemu/snapshot` for the system folders), written atomically
//! and read back when the driver opens; the current snapshot carries `<active>1</active>`.
//! Snapshot calls of one domain run one at a time.

mod delete;

use crate::process::{StartHow, on_rt, qmp_error};
use crate::{FROM, QemuDriver, util};
use rvirt_conf::DomainDef;
use rvirt_conf::FormatOptions;
use rvirt_conf::domain::DiskDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_conf::snapshot::{SnapshotDef, SnapshotParseOptions};
use rvirt_driver::snapshot::{
    SnapshotDisk, SnapshotStore, align_disks, is_external, snapshot_disks, state_name,
};
use rvirt_driver::{DomainEvent, DomainObj, DomainRef, SnapshotDriver, SnapshotRef, check_flags};
use rvirt_qmp::Monitor;
use rvirt_types::domain::*;
use rvirt_types::snapshot::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

type F = DomainSnapshotListFlags;
type E = DomainEventType;

/// How long a `snapshot-save` / `snapshot-load` / `snapshot-delete` job may take.
const JOB_DEADLINE: Duration = Duration::from_secs(120);

fn config_err(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The image format of a disk (`<driver type>`); raw when unset, as the command line assumes.
pub(crate) fn disk_format(d: &DiskDef) -> &str {
    d.driver
        .iter()
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("raw")
}

/// Runs a QEMU job started by `start` to its end: polls `query-jobs` until the job concludes,
/// dismisses it, and reports its error. Runs on the driver's runtime.
async fn run_job(
    mon: &Monitor,
    job_id: &str,
    start: impl std::future::Future<Output = rvirt_qmp::Result<()>>,
) -> Result<()> {
    start.await.map_err(qmp_error)?;
    let t0 = Instant::now();
    loop {
        let jobs = mon.query_jobs().await.map_err(qmp_error)?;
        let Some(job) = jobs.into_iter().find(|j| j.id == job_id) else {
            return Err(Error::internal(FROM, format!("job '{job_id}' vanished")));
        };
        if job.status == "concluded" {
            let _ = mon.job_dismiss(job_id).await;
            return match job.error {
                Some(e) => Err(Error::with_detail(FROM, ErrorNumber::OPERATION_FAILED, e)),
                None => Ok(()),
            };
        }
        if t0.elapsed() > JOB_DEADLINE {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_TIMEOUT,
                format!("job '{job_id}' did not finish within {JOB_DEADLINE:?}"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The writable qcow2 nodes at the top of the guest's disks: where an internal snapshot goes
/// (the first one also holds the memory state).
async fn snapshot_nodes(mon: &Monitor) -> Result<Vec<String>> {
    let blocks = mon.query_block().await.map_err(qmp_error)?;
    Ok(blocks
        .into_iter()
        .filter_map(|b| b.inserted)
        .filter(|i| i.drv == "qcow2" && !i.ro)
        .filter_map(|i| i.node_name)
        .collect())
}

/// The node at the top of the disk whose image is `path`.
async fn top_node(mon: &Monitor, path: &str) -> Result<Option<String>> {
    let blocks = mon.query_block().await.map_err(qmp_error)?;
    Ok(blocks
        .into_iter()
        .filter_map(|b| b.inserted)
        .find(|i| i.file == path)
        .and_then(|i| i.node_name))
}

/// Loads internal snapshot `tag` into a QEMU whose CPUs have not run yet (a revert).
pub(crate) async fn load_internal(mon: &Monitor, tag: &str) -> Result<()> {
    let nodes = snapshot_nodes(mon).await?;
    let Some(vmstate) = nodes.first().cloned() else {
        return Err(config_err(format!(
            "no qcow2 disk holds the state of snapshot '{tag}'"
        )));
    };
    let devices: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let job = rvirt_qmp::SnapshotJob {
        job_id: "rvirt-snapshot-load",
        tag,
        vmstate: &vmstate,
        devices: &devices,
    };
    run_job(mon, job.job_id, mon.snapshot_load(&job)).await
}

/// Points `disk` at a new qcow2 `overlay` whose backing image is the disk's current source;
/// with `chain` the old source is kept as the disk's `<backingStore>`, as libvirt shows a
/// running domain's chain.
fn point_at_overlay(disk: &mut DiskDef, overlay: &str, chain: bool) {
    let old_type = disk.disk_type.clone();
    let old_format = disk_format(disk).to_string();
    let old_path = disk.source_path().map(str::to_string);
    let old_volume: Option<Vec<(String, String)>> = disk.volume_source().map(|(pool, vol, _)| {
        vec![
            ("pool".to_string(), pool.to_string()),
            ("volume".to_string(), vol.to_string()),
        ]
    });
    disk.disk_type = "file".into();
    disk.source = Some(vec![("file".into(), overlay.into())]);
    match disk.driver.iter_mut().find(|(k, _)| k == "type") {
        Some(t) => t.1 = "qcow2".into(),
        None => disk.driver.push(("type".into(), "qcow2".into())),
    }
    let old_backing = disk
        .extra
        .iter()
        .position(|e| e.name == "backingStore")
        .map(|i| disk.extra.remove(i));
    if !chain {
        return;
    }
    let Some(old_path) = old_path else { return };
    let el = |name: &str, attrs: Vec<(String, String)>, children: Vec<RawElement>| RawElement {
        name: name.into(),
        attrs,
        children: children.into_iter().map(RawNode::Element).collect(),
    };
    // A volume disk's image stays named by its pool and volume below the overlay.
    let source = match old_volume {
        Some(attrs) => attrs,
        None => {
            let key = if old_type == "block" { "dev" } else { "file" };
            vec![(key.into(), old_path)]
        }
    };
    let mut children = vec![
        el("format", vec![("type".into(), old_format)], vec![]),
        el("source", source, vec![]),
    ];
    children.extend(old_backing);
    disk.extra.insert(
        0,
        el("backingStore", vec![("type".into(), old_type)], children),
    );
}

/// Removes files this call created, on the way out of a failed snapshot.
fn unlink_all(paths: &[String]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// What [`QemuDriver::prepare`] learnt about a new snapshot.
struct Prepared {
    /// It writes new overlays (disk-only, possibly of a shut-off domain).
    external: bool,
}

impl QemuDriver {
    pub(crate) fn snapshot_root(&self) -> PathBuf {
        self.dirs.qemu_lib.join("snapshot")
    }

    fn snapshot_file(&self, dom: &str, snap: &str) -> PathBuf {
        self.snapshot_root().join(dom).join(format!("{snap}.xml"))
    }

    /// The lock that runs one domain's snapshot calls one at a time.
    fn snapshot_job(&self, uuid: &Uuid) -> Arc<tokio::sync::Mutex<()>> {
        self.snapshot_jobs.lock().entry(*uuid).or_default().clone()
    }

    /// Reads every domain's snapshot records (after the domains are loaded). A record that
    /// does not parse is skipped, as libvirt skips it.
    pub(crate) fn load_snapshots(&self) {
        for obj in self.domains.all() {
            let name = obj.lock().name.to_string();
            let Ok(dir) = std::fs::read_dir(self.snapshot_root().join(&name)) else {
                continue;
            };
            let mut store = SnapshotStore::default();
            for e in dir.flatten() {
                let path = e.path();
                if path.extension().is_none_or(|x| x != "xml") {
                    continue;
                }
                let opts = SnapshotParseOptions {
                    redefine: true,
                    now: 0,
                };
                let Some(mut def) = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| SnapshotDef::parse_xml(&t, opts).ok())
                else {
                    continue;
                };
                if def.active.take() == Some(true) {
                    store.set_current(Some(def.name.clone()));
                }
                store.insert(def);
            }
            obj.lock().snapshot_count = store.len();
            self.snapshots.lock().insert(obj.uuid, store);
        }
    }

    /// Writes the record of snapshot `name` of domain `dom` from `store`.
    fn write_snapshot(&self, dom: &str, store: &SnapshotStore, name: &str) -> Result<()> {
        let Some(s) = store.get(name) else {
            return Ok(());
        };
        let mut s = s.clone();
        s.active = Some(store.current() == Some(name));
        let xml = s.format_xml(
            FormatOptions {
                id: None,
                inactive: true,
                secure: true,
                migratable: false,
                status: false,
            },
            true,
        );
        let path = self.snapshot_file(dom, name);
        let dir = self.snapshot_root().join(dom);
        std::fs::create_dir_all(&dir)
            .map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot create snapshot directory '{}'", dir.display()),
                    &e,
                )
            })
            .and_then(|()| {
                util::write_atomic(&path, xml.as_bytes()).map_err(|e| {
                    Error::internal(
                        FROM,
                        format!("unable to save metadata for snapshot {name}: {e}"),
                    )
                })
            })
    }

    /// Runs `f` on the snapshots of `obj` (domain lock, then the snapshot map), and keeps the
    /// domain's snapshot count in step.
    fn with_store<R>(
        &self,
        obj: &DomainObj,
        f: impl FnOnce(&mut SnapshotStore) -> Result<R>,
    ) -> Result<R> {
        let mut st = obj.lock();
        let mut all = self.snapshots.lock();
        let store = all.entry(obj.uuid).or_default();
        let r = f(store);
        st.snapshot_count = store.len();
        r
    }

    /// Makes `name` current and rewrites the records whose `<active>` changed.
    fn set_current(&self, obj: &DomainObj, name: Option<&str>) -> Result<()> {
        let dom = obj.lock().name.to_string();
        self.with_store(obj, |store| {
            let old = store.current().map(str::to_string);
            store.set_current(name.map(str::to_string));
            if let Some(old) = old.filter(|o| Some(o.as_str()) != name) {
                let _ = self.write_snapshot(&dom, store, &old);
            }
            match name {
                Some(n) => self.write_snapshot(&dom, store, n),
                None => Ok(()),
            }
        })
    }

    /// Forgets every snapshot record of a domain (undefine with `SNAPSHOTS_METADATA`, or a
    /// transient domain gone).
    pub(crate) fn discard_all_snapshots(&self, uuid: &Uuid, name: &str) {
        self.snapshots.lock().remove(uuid);
        self.snapshot_jobs.lock().remove(uuid);
        let _ = std::fs::remove_dir_all(self.snapshot_root().join(name));
    }

    /// The number of snapshots of a domain.
    pub(crate) fn snapshot_count(&self, uuid: &Uuid) -> usize {
        self.snapshots
            .lock()
            .get(uuid)
            .map_or(0, SnapshotStore::len)
    }

    /// libvirt's `qemuSnapshotPrepare`: checks the aligned disks of a new snapshot against the
    /// domain and the kind of snapshot asked for.
    fn prepare(
        &self,
        def: &mut SnapshotDef,
        dom: &DomainDef,
        active: bool,
        reuse: bool,
    ) -> Result<Prepared> {
        let mut found_internal = false;
        let mut forbid_internal = false;
        let mut external = 0;
        let mut disks = snapshot_disks(def);
        for (sd, dd) in disks.iter_mut().zip(&dom.devices.disks) {
            match sd.location.as_str() {
                "internal" => {
                    found_internal = true;
                    if def.state.as_deref() == Some("disk-snapshot") && active {
                        return Err(config_err(format!(
                            "active qemu domains require external disk snapshots; disk {} requested internal",
                            sd.name
                        )));
                    }
                    let actual = dd.actual_type();
                    if !active && actual != "file" && actual != "block" {
                        return Err(Error::internal(
                            FROM,
                            format!(
                                "internal inactive snapshots are not supported on '{actual}' disks"
                            ),
                        ));
                    }
                    let format = disk_format(dd);
                    if format != "qcow2" {
                        return Err(config_err(format!(
                            "internal snapshot for disk {} unsupported for storage type {format}",
                            sd.name
                        )));
                    }
                }
                "external" => {
                    match sd.format.as_deref() {
                        None => sd.format = Some("qcow2".into()),
                        Some("qcow2") => {}
                        Some(other) => {
                            return Err(config_err(format!(
                                "external snapshot format for disk {} is unsupported: {other}",
                                sd.name
                            )));
                        }
                    }
                    let actual = dd.actual_type();
                    if !active && actual != "file" && actual != "block" {
                        return Err(Error::internal(
                            FROM,
                            format!(
                                "external inactive snapshots are not supported on '{actual}' disks"
                            ),
                        ));
                    }
                    let path = sd.path.clone().unwrap_or_default();
                    match std::fs::metadata(&path) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(Error::system(
                                FROM,
                                format!("unable to stat for disk {}: {path}", sd.name),
                                &e,
                            ));
                        }
                        Err(e) if reuse => {
                            return Err(Error::system(
                                FROM,
                                format!("missing existing file for disk {}: {path}", sd.name),
                                &e,
                            ));
                        }
                        Err(_) => {}
                        Ok(m) => {
                            if !m.is_file() {
                                return Err(config_err(format!(
                                    "mismatch between configured type for snapshot disk '{}' and the type of existing file '{path}'",
                                    sd.name
                                )));
                            }
                            if !reuse && m.len() > 0 {
                                return Err(config_err(format!(
                                    "external snapshot file for disk {} already exists and is not a block device: {path}",
                                    sd.name
                                )));
                            }
                        }
                    }
                    external += 1;
                }
                "manual" => forbid_internal = true,
                _ => {
                    if dd.source_path().is_some() && !dd.readonly {
                        forbid_internal = true;
                    }
                }
            }
        }
        def.disks = disks.iter().map(SnapshotDisk::to_raw).collect();
        let memory = def.memory.as_deref().unwrap_or("no");
        if !found_internal && external == 0 && memory == "no" {
            return Err(config_err("nothing selected for snapshot"));
        }
        if (memory == "internal" && !found_internal) || (found_internal && forbid_internal) {
            return Err(config_err(
                "internal and full system snapshots require all disks to be selected for snapshot",
            ));
        }
        if def.state.as_deref() == Some("disk-snapshot") && external == 0 {
            return Err(config_err(
                "disk-only snapshots require at least one disk to be selected for snapshot",
            ));
        }
        if (external > 0 && (found_internal || memory == "internal"))
            || (memory == "external" && found_internal)
        {
            return Err(config_err(
                "mixing internal and external targets for a snapshot is not yet supported",
            ));
        }
        // libvirt forbids them: a raw variable store cannot take one, and a qcow2 one would
        // take the guest's state too.
        if found_internal && crate::firmware::is_pflash(dom) {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "internal snapshots of a VM with pflash based firmware are not supported",
            ));
        }
        Ok(Prepared {
            external: external > 0,
        })
    }

    /// `qemu-img snapshot OP NAME IMAGE` on every internal qcow2 disk of `dom` in `snap`. With
    /// `try_all` a failing disk is skipped (the answer says whether any was); otherwise a
    /// failed `-c` removes what earlier disks got.
    fn for_each_qcow2(
        dom: &DomainDef,
        snap: &SnapshotDef,
        op: &str,
        try_all: bool,
    ) -> Result<bool> {
        let disks = snapshot_disks(snap);
        let mut skipped = false;
        let mut done: Vec<&str> = Vec::new();
        for (d, sd) in dom.devices.disks.iter().zip(&disks) {
            if d.device != "disk" || sd.location != "internal" {
                continue;
            }
            let Some(path) = d.source_path() else {
                continue;
            };
            let res = if disk_format(d) != "qcow2" {
                Err(Error::operation_invalid(
                    FROM,
                    format!(
                        "Disk device '{}' does not support snapshotting",
                        d.target_dev
                    ),
                ))
            } else {
                util::run("qemu-img", &["snapshot", op, &snap.name, path]).map(|_| ())
            };
            match res {
                Ok(()) => done.push(path),
                Err(_) if try_all => skipped = true,
                Err(e) => {
                    if op == "-c" {
                        for p in done {
                            let _ = util::run("qemu-img", &["snapshot", "-d", &snap.name, p]);
                        }
                    }
                    return Err(e);
                }
            }
        }
        Ok(skipped)
    }

    /// Disk-only snapshot of a shut-off domain: a qcow2 overlay per external disk, and the
    /// persistent definition pointed at them.
    async fn create_inactive_external(
        &self,
        obj: &Arc<DomainObj>,
        mut def: DomainDef,
        snap: &SnapshotDef,
        reuse: bool,
    ) -> Result<()> {
        let disks = snapshot_disks(snap);
        let jobs: Vec<(usize, String, String, String)> = def
            .devices
            .disks
            .iter()
            .enumerate()
            .zip(&disks)
            .filter(|(_, sd)| sd.location == "external")
            .filter_map(|((i, d), sd)| {
                Some((
                    i,
                    d.source_path()?.to_string(),
                    disk_format(d).to_string(),
                    sd.path.clone()?,
                ))
            })
            .collect();
        let todo = jobs.clone();
        let created = util::off_thread(move || {
            let mut created = Vec::new();
            for (_, backing, fmt, overlay) in todo.iter().filter(|_| !reuse) {
                let existed = std::path::Path::new(overlay).exists();
                let opt = format!(
                    "backing_fmt={fmt},backing_file={}",
                    backing.replace(',', ",,")
                );
                if let Err(e) = util::run(
                    "qemu-img",
                    &[
                        "create",
                        "-f",
                        "qcow2",
                        "-o",
                        &opt,
                        &overlay.replace(',', ",,"),
                    ],
                ) {
                    unlink_all(&created);
                    return Err(e);
                }
                if !existed {
                    created.push(overlay.clone());
                }
            }
            Ok(created)
        })
        .await?;
        for (i, _, _, overlay) in &jobs {
            point_at_overlay(&mut def.devices.disks[*i], overlay, false);
        }
        if let Err(e) = self.save_config(&def) {
            unlink_all(&created);
            return Err(e);
        }
        let mut st = obj.lock();
        if st.is_active() {
            st.new_def = Some(Arc::new(def));
        } else {
            st.def = Arc::new(def);
        }
        Ok(())
    }

    /// Disk-only snapshot of a running domain: for each external disk a new qcow2 image backed
    /// by the current one, attached with `blockdev-add` and made the disk's top with one
    /// `transaction` of `blockdev-snapshot`s; then the live and persistent definitions follow.
    async fn create_active_external(
        &self,
        obj: &Arc<DomainObj>,
        snap: &SnapshotDef,
        reuse: bool,
    ) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let live = (*obj.lock().def).clone();
        let disks = snapshot_disks(snap);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64 & 0x00ff_ffff_ffff);
        let jobs: Vec<(usize, String, String, String)> = live
            .devices
            .disks
            .iter()
            .enumerate()
            .zip(&disks)
            .filter(|(_, sd)| sd.location == "external")
            .filter_map(|((i, d), sd)| {
                Some((
                    i,
                    d.source_path()?.to_string(),
                    disk_format(d).to_string(),
                    sd.path.clone()?,
                ))
            })
            .collect();
        // The images: the backing file is in use by QEMU, so its size comes from a shared read.
        let todo = jobs.clone();
        let created = util::off_thread(move || {
            let mut created = Vec::new();
            for (_, backing, fmt, overlay) in todo.iter().filter(|_| !reuse) {
                let info = util::run("qemu-img", &["info", "-U", "--output=json", backing])
                    .and_then(|t| {
                        serde_json::from_str::<serde_json::Value>(&t)
                            .map_err(|e| Error::internal(FROM, e.to_string()))
                    });
                let size = match info {
                    Ok(v) => v["virtual-size"].as_u64().unwrap_or(0).to_string(),
                    Err(e) => {
                        unlink_all(&created);
                        return Err(e);
                    }
                };
                if let Err(e) = util::run(
                    "qemu-img",
                    &[
                        "create", "-f", "qcow2", "-u", "-F", fmt, "-b", backing, overlay, &size,
                    ],
                ) {
                    unlink_all(&created);
                    return Err(e);
                }
                created.push(overlay.clone());
            }
            Ok(created)
        })
        .await?;
        // QEMU's user gets the overlays it is to write.
        let given = |upto: usize| jobs[..upto].iter().map(|j| std::path::Path::new(&j.3));
        for (n, (_, _, _, overlay)) in jobs.iter().enumerate() {
            if let Err(e) = self.dac.set_image(&live, std::path::Path::new(overlay)) {
                given(n).for_each(|o| self.dac.restore_image(&live, o));
                unlink_all(&created);
                return Err(e);
            }
        }
        // And may open those that are device nodes (an overlay on a block device).
        let overlay_rules = crate::device_rules::image_rules(given(jobs.len()));
        if let Err(e) = overlay_rules.and_then(|r| p.cgroup.allow_devices(&r)) {
            given(jobs.len()).for_each(|o| self.dac.restore_image(&live, o));
            unlink_all(&created);
            return Err(e);
        }
        let mon = p.monitor()?;
        let plan: Vec<(String, String, String)> = jobs
            .iter()
            .map(|(i, backing, _, overlay)| {
                (backing.clone(), overlay.clone(), format!("ov{stamp:x}-{i}"))
            })
            .collect();
        let res = on_rt(async move {
            let mut added: Vec<String> = Vec::new();
            let mut actions = Vec::new();
            let mut fail = None;
            for (backing, overlay, node) in &plan {
                let top = match top_node(&mon, backing).await {
                    Ok(Some(t)) => t,
                    Ok(None) => {
                        fail = Some(Error::internal(
                            FROM,
                            format!("cannot find the block node of '{backing}'"),
                        ));
                        break;
                    }
                    Err(e) => {
                        fail = Some(e);
                        break;
                    }
                };
                let file = format!("{node}-s");
                let fmt = format!("{node}-f");
                let r = mon
                    .blockdev_add(json!({"driver": "file", "filename": overlay,
                                         "node-name": file}))
                    .await;
                if let Err(e) = r {
                    fail = Some(qmp_error(e));
                    break;
                }
                added.push(file.clone());
                let r = mon
                    .blockdev_add(json!({"driver": "qcow2", "node-name": fmt, "file": file,
                                         "backing": null}))
                    .await;
                if let Err(e) = r {
                    fail = Some(qmp_error(e));
                    break;
                }
                added.push(fmt.clone());
                actions.push(json!({"type": "blockdev-snapshot",
                                    "data": {"node": top, "overlay": fmt}}));
            }
            if fail.is_none()
                && let Err(e) = mon
                    .execute("transaction", Some(json!({ "actions": actions })))
                    .await
            {
                fail = Some(qmp_error(e));
            }
            if let Some(e) = fail {
                for n in added.iter().rev() {
                    let _ = mon.blockdev_del(n).await;
                }
                return Err(e);
            }
            Ok(())
        })
        .await?;
        if let Err(e) = res {
            given(jobs.len()).for_each(|o| self.dac.restore_image(&live, o));
            unlink_all(&created);
            return Err(e);
        }
        let persistent = {
            let mut st = obj.lock();
            let mut live = (*st.def).clone();
            let mut next = st.new_def.as_ref().map(|d| (**d).clone());
            for (i, backing, _, overlay) in &jobs {
                let volume = live.devices.disks[*i]
                    .volume_source()
                    .map(|(p, v, _)| (p.to_string(), v.to_string()));
                point_at_overlay(&mut live.devices.disks[*i], overlay, true);
                // The config names the image by path, or (a volume disk) by pool and volume.
                let same = |d: &DiskDef| match &volume {
                    Some((p, v)) => d
                        .volume_source()
                        .is_some_and(|(dp, dv, _)| (dp, dv) == (p, v)),
                    None => d.source_path() == Some(backing.as_str()),
                };
                if let Some(n) = next.as_mut()
                    && let Some(d) = n.devices.disks.iter_mut().find(|d| same(d))
                {
                    point_at_overlay(d, overlay, true);
                }
            }
            st.def = Arc::new(live);
            if let Some(n) = next {
                st.new_def = Some(Arc::new(n));
            }
            st.new_def.clone()
        };
        self.save_status(obj)?;
        if let Some(n) = persistent {
            self.save_config(&n)?;
        }
        Ok(())
    }

    /// External full system snapshot of a running domain (libvirt's
    /// `qemuSnapshotCreateActiveExternal` with memory): the CPUs stop (unless `live`, where
    /// QEMU stops them as the migration ends), the memory goes to the snapshot's file as a
    /// save image (header with the domain XML, then QEMU's migration stream), the external
    /// disks switch to their overlays, and a guest that ran runs again.
    async fn create_active_full_external(
        &self,
        obj: &Arc<DomainObj>,
        snap: &SnapshotDef,
        reuse: bool,
        live: bool,
    ) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let Some(file) = snap.memory_file.clone() else {
            return Err(config_err("external memory snapshots require a filename"));
        };
        let path = std::path::PathBuf::from(&file);
        let (resume, xml) = {
            let st = obj.lock();
            crate::virtiofs::check_migratable(&st.def)?;
            (
                st.state == DomainState::RUNNING,
                self.migratable_xml(&st.def)?,
            )
        };
        let compression = crate::save::Compression::of(
            self.config.snapshot_image_format.as_deref(),
            "snapshot",
            false,
        )?;
        p.pause_reason
            .store(DomainPausedReason::SNAPSHOT.0, Ordering::Relaxed);
        if resume && !live {
            self.suspend_for(obj, DomainPausedReason::SNAPSHOT.0)
                .await?;
        }
        let existed = path.exists();
        let mut res = self
            .write_image(&p, &path, &xml, resume, compression)
            .await
            .map(|_| ());
        if res.is_ok() {
            // QEMU paused the guest as a live migration ended.
            self.set_paused(obj, DomainPausedReason::SNAPSHOT.0);
            if snapshot_disks(snap)
                .iter()
                .any(|d| d.location == "external")
            {
                res = self.create_active_external(obj, snap, reuse).await;
            }
        }
        if res.is_err() && !existed {
            let _ = std::fs::remove_file(&path);
        }
        if resume && obj.lock().is_active() {
            let r = self.resume(obj).await;
            if r.is_err() {
                self.emit_now(
                    obj,
                    E::SUSPENDED,
                    DomainEventSuspendedDetailType::API_ERROR.0,
                );
            }
            if res.is_ok() {
                r?;
            }
        }
        res
    }

    /// Full system checkpoint of a running domain: CPUs stopped (if running), `snapshot-save`
    /// of every qcow2 disk with the memory state in the first, CPUs running again.
    async fn create_active_internal(&self, obj: &Arc<DomainObj>, name: &str) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let resume = {
            let st = obj.lock();
            crate::virtiofs::check_migratable(&st.def)?;
            st.state == DomainState::RUNNING
        };
        if resume {
            self.suspend_for(obj, DomainPausedReason::SAVE.0).await?;
        }
        let mon = p.monitor()?;
        let tag = name.to_string();
        let res = on_rt(async move {
            let nodes = snapshot_nodes(&mon).await?;
            let Some(vmstate) = nodes.first().cloned() else {
                return Err(config_err(
                    "internal and full system snapshots require all disks to be selected for snapshot",
                ));
            };
            let devices: Vec<&str> = nodes.iter().map(String::as_str).collect();
            let job = rvirt_qmp::SnapshotJob {
                job_id: "rvirt-snapshot-save",
                tag: &tag,
                vmstate: &vmstate,
                devices: &devices,
            };
            run_job(&mon, job.job_id, mon.snapshot_save(&job)).await
        })
        .await
        .and_then(|r| r);
        if resume && obj.lock().is_active() {
            let r = self.resume(obj).await;
            if res.is_ok() {
                r?;
            }
        }
        res
    }

    /// Deletes the internal snapshot `name` from a running domain's disks (errors ignored, as
    /// libvirt continues past them).
    async fn delete_active_internal(&self, obj: &DomainObj, name: &str) {
        let Ok(p) = self.proc_of(&obj.uuid) else {
            return;
        };
        let Ok(mon) = p.monitor() else { return };
        let tag = name.to_string();
        let _ = on_rt(async move {
            let nodes = snapshot_nodes(&mon).await?;
            let devices: Vec<&str> = nodes.iter().map(String::as_str).collect();
            let job = rvirt_qmp::SnapshotJob {
                job_id: "rvirt-snapshot-delete",
                tag: &tag,
                vmstate: "",
                devices: &devices,
            };
            run_job(&mon, job.job_id, mon.snapshot_delete(&job)).await
        })
        .await;
    }

    async fn create(
        &self,
        dom: &DomainRef,
        obj: &Arc<DomainObj>,
        mut def: SnapshotDef,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<SnapshotRef> {
        use DomainSnapshotCreateFlags as C;
        let (active, state, live) = {
            let st = obj.lock();
            (st.is_active(), st.state, (*st.def).clone())
        };
        if self.with_store(obj, |s| Ok(s.get(&def.name).is_some()))? {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::OPERATION_FAILED,
                format!("domain moment {} already exists", def.name),
            ));
        }
        let mut flags = flags;
        let default = if flags.contains(C::DISK_ONLY) {
            def.state = Some(if active { "disk-snapshot" } else { "shutoff" }.into());
            def.memory = Some("no".into());
            "external"
        } else if def.memory.as_deref() == Some("external") {
            // A full system snapshot: memory to a file, disks to overlays.
            def.state = Some(state_name(state).into());
            "external"
        } else {
            let s = state_name(state);
            def.state = Some(s.into());
            if active && def.memory.as_deref() == Some("no") {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "internal snapshot of a running VM must include the memory state",
                ));
            }
            def.memory = Some(if s == "shutoff" { "no" } else { "internal" }.into());
            "internal"
        };
        align_disks(&mut def, &live, default, true)?;
        let mut live = live;
        if !active {
            // The images of a shut-off domain's volume disks are found through their pools
            // (a running domain's were found when it started).
            for (d, sd) in live.devices.disks.iter_mut().zip(&snapshot_disks(&def)) {
                if sd.location == "internal" || sd.location == "external" {
                    self.translate_disk(d)?;
                }
            }
        }
        let reuse = flags.contains(C::REUSE_EXT);
        let prepared = self.prepare(&mut def, &live, active, reuse)?;
        if prepared.external && !active {
            flags |= C::DISK_ONLY;
        }
        // The definition to go back to, without the names QEMU's devices had (as libvirt
        // keeps it).
        let mut rollback = live.clone();
        rollback.drop_runtime_aliases();
        def.domain = Some(rollback);
        def.parent = self.with_store(obj, |s| Ok(s.current().map(str::to_string)))?;
        if active {
            if def.memory.as_deref() == Some("external") {
                self.create_active_full_external(obj, &def, reuse, flags.contains(C::LIVE))
                    .await?;
            } else if flags.contains(C::DISK_ONLY) {
                self.create_active_external(obj, &def, reuse).await?;
            } else {
                self.create_active_internal(obj, &def.name).await?;
            }
            if flags.contains(C::HALT) && obj.lock().is_active() {
                self.destroy_for(&obj.uuid, false, true).await?;
            }
        } else if flags.contains(C::DISK_ONLY) {
            self.create_inactive_external(obj, live.clone(), &def, reuse)
                .await?;
        } else {
            let (d, s) = (live.clone(), def.clone());
            util::off_thread(move || Self::for_each_qcow2(&d, &s, "-c", false).map(|_| ())).await?;
        }
        let name = def.name.clone();
        if !flags.contains(C::NO_METADATA) {
            self.with_store(obj, |s| {
                s.insert(def);
                Ok(())
            })?;
            if let Err(e) = self.set_current(obj, Some(&name)) {
                self.with_store(obj, |s| {
                    s.remove(&name);
                    Ok(())
                })?;
                return Err(e);
            }
        }
        Ok(SnapshotRef::new(dom, &name))
    }

    async fn redefine(
        &self,
        dom: &DomainRef,
        obj: &Arc<DomainObj>,
        mut def: SnapshotDef,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<SnapshotRef> {
        let name = def.name.clone();
        let dom_name = obj.lock().name.to_string();
        if def.domain.is_none() {
            def.domain = Some((**obj.lock().persistent_def()).clone());
        }
        let current = flags.contains(DomainSnapshotCreateFlags::CURRENT);
        self.with_store(obj, |s| {
            s.insert(def);
            self.write_snapshot(&dom_name, s, &name)
        })?;
        if current {
            self.set_current(obj, Some(&name))?;
        }
        Ok(SnapshotRef::new(dom, &name))
    }

    fn snapshot_of(&self, snap: &SnapshotRef) -> Result<(Arc<DomainObj>, SnapshotDef)> {
        let obj = self.obj(&snap.domain)?;
        let s = self.with_store(&obj, |s| s.find(FROM, &snap.name).cloned())?;
        Ok((obj, s))
    }

    /// Emits a lifecycle event of `obj` as it is now.
    fn emit_now(&self, obj: &DomainObj, event: DomainEventType, detail: i32) {
        let r = obj.lock().to_ref(obj.uuid);
        self.events.emit(DomainEvent::lifecycle(r, event, detail));
    }

    /// The events of a domain a revert started, as libvirt emits them: a QEMU that loaded a
    /// running snapshot reports STARTED then RESUMED or SUSPENDED, all `from snapshot`; a plain
    /// start (an inactive snapshot with RUNNING or PAUSED) reports its first `cont` (RESUMED
    /// unpaused) before STARTED, or SUSPENDED after it.
    fn emit_started(&self, obj: &DomainObj, paused: bool, loaded: bool) {
        if !paused && !loaded {
            self.emit_now(obj, E::RESUMED, DomainEventResumedDetailType::UNPAUSED.0);
        }
        self.emit_now(
            obj,
            E::STARTED,
            DomainEventStartedDetailType::FROM_SNAPSHOT.0,
        );
        if paused {
            self.emit_now(
                obj,
                E::SUSPENDED,
                DomainEventSuspendedDetailType::FROM_SNAPSHOT.0,
            );
        } else if loaded {
            self.emit_now(
                obj,
                E::RESUMED,
                DomainEventResumedDetailType::FROM_SNAPSHOT.0,
            );
        }
    }

    async fn revert(
        &self,
        obj: &Arc<DomainObj>,
        snap: SnapshotDef,
        flags: DomainSnapshotRevertFlags,
    ) -> Result<()> {
        use DomainSnapshotRevertFlags as R;
        let (persistent, dom_name) = {
            let st = obj.lock();
            (st.persistent, st.name.to_string())
        };
        let state = snap.state.clone().unwrap_or_default();
        let run_state = state == "running" || state == "paused";
        if !persistent && !run_state && !flags.intersects(R::RUNNING | R::PAUSED) {
            return Err(Error::operation_invalid(
                FROM,
                "transient domain needs to request run or pause to revert to inactive snapshot",
            ));
        }
        if is_external(&snap) {
            return Err(config_err("revert to external snapshot not supported yet"));
        }
        let Some(mut config) = snap.domain.clone() else {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::SNAPSHOT_REVERT_RISKY,
                format!(
                    "snapshot '{}' lacks domain '{dom_name}' rollback info",
                    snap.name
                ),
            ));
        };
        config.name = dom_name.clone();
        match state.as_str() {
            "running" | "paused" | "shutdown" | "shutoff" | "crashed" => {}
            "pmsuspended" => {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "qemu doesn't support reversion of snapshot taken in PMSUSPENDED state",
                ));
            }
            other => {
                return Err(Error::internal(
                    FROM,
                    format!("Invalid target domain state '{other}'. Refusing snapshot reversion"),
                ));
            }
        }
        self.fill_def(&mut config).await?;
        if obj.lock().is_active() {
            self.destroy_for(&obj.uuid, false, true).await?;
        }
        // The snapshot's definition becomes the domain's (persistent) definition.
        let assign = |config: &DomainDef| {
            let mut st = obj.lock();
            st.def = Arc::new(config.clone());
            st.new_def = None;
        };
        if run_state {
            assign(&config);
            let paused =
                !flags.contains(R::RUNNING) && (state == "paused" || flags.contains(R::PAUSED));
            let how = StartHow {
                paused,
                from_snapshot: true,
                load: Some(snap.name.clone()),
                incoming: None,
                reset_nvram: flags.contains(R::RESET_NVRAM),
            };
            self.start_domain_how(obj, config.clone(), how).await?;
            self.emit_started(obj, paused, true);
        } else {
            let (mut d, s) = (config.clone(), snap.clone());
            self.retranslate_disks(&mut d);
            let skipped = util::off_thread(move || Self::for_each_qcow2(&d, &s, "-a", true)).await;
            if !matches!(skipped, Ok(false)) {
                if !persistent {
                    self.remove_inactive_transient(obj);
                }
                return Err(skipped.err().unwrap_or_else(|| {
                    Error::with_detail(
                        FROM,
                        ErrorNumber::OPERATION_FAILED,
                        format!("cannot revert every disk to snapshot '{}'", snap.name),
                    )
                }));
            }
            assign(&config);
            if flags.intersects(R::RUNNING | R::PAUSED) {
                let paused = flags.contains(R::PAUSED);
                let how = StartHow {
                    paused,
                    from_snapshot: true,
                    load: None,
                    incoming: None,
                    reset_nvram: flags.contains(R::RESET_NVRAM),
                };
                if let Err(e) = self.start_domain_how(obj, config.clone(), how).await {
                    if !persistent {
                        self.remove_inactive_transient(obj);
                    }
                    return Err(e);
                }
                self.emit_started(obj, paused, false);
            }
        }
        self.set_current(obj, Some(&snap.name))?;
        if persistent {
            self.save_config(&config)?;
            self.emit_now(
                obj,
                E::DEFINED,
                DomainEventDefinedDetailType::FROM_SNAPSHOT.0,
            );
        }
        Ok(())
    }

    fn remove_inactive_transient(&self, obj: &DomainObj) {
        let name = obj.lock().name.to_string();
        self.domains.edit(|list| {
            let gone = {
                let st = obj.lock();
                !st.persistent && !st.is_active()
            };
            if gone {
                list.remove(&obj.uuid);
                let def = obj.lock().def.clone();
                crate::tpm::remove_state(&self.dirs, &def, Default::default());
            }
        });
        self.discard_all_snapshots(&obj.uuid, &name);
    }

    /// Discards one snapshot: its data (unless `metadata_only`) and its record, its children
    /// moved to its parent.
    async fn discard(&self, obj: &Arc<DomainObj>, name: &str, metadata_only: bool) -> Result<()> {
        let Some(snap) = self.with_store(obj, |s| Ok(s.get(name).cloned()))? else {
            return Ok(());
        };
        if !metadata_only && !is_external(&snap) {
            let (active, cur) = {
                let st = obj.lock();
                (st.is_active(), (*st.def).clone())
            };
            if active {
                self.delete_active_internal(obj, name).await;
            } else {
                let mut d = snap.domain.clone().unwrap_or(cur);
                self.retranslate_disks(&mut d);
                let s = snap.clone();
                util::off_thread(move || Self::for_each_qcow2(&d, &s, "-d", true)).await?;
            }
        }
        let dom_name = obj.lock().name.to_string();
        self.with_store(obj, |s| {
            let mut changed = self.forget_overlays_in_descendants(s, &snap);
            changed.extend(s.remove_reparenting(name));
            changed.sort();
            changed.dedup();
            for changed in changed {
                let _ = self.write_snapshot(&dom_name, s, &changed);
            }
            Ok(())
        })?;
        let _ = util::remove_durably(&self.snapshot_file(&dom_name, name));
        Ok(())
    }

    /// libvirt's `qemuSnapshotDeleteValidate`.
    fn delete_validate(
        &self,
        obj: &DomainObj,
        snap: &SnapshotDef,
        flags: DomainSnapshotDeleteFlags,
    ) -> Result<()> {
        use DomainSnapshotDeleteFlags as D;
        let (active, live) = {
            let st = obj.lock();
            (st.is_active(), st.def.clone())
        };
        let external = is_external(snap);
        if !external && active {
            let disks = snapshot_disks(snap);
            for sd in &disks {
                let now = live
                    .devices
                    .disks
                    .iter()
                    .find(|d| d.target_dev == sd.name)
                    .and_then(|d| d.source_path());
                let then = snap
                    .domain
                    .as_ref()
                    .and_then(|d| d.devices.disks.iter().find(|d| d.target_dev == sd.name))
                    .and_then(|d| d.source_path());
                if now != then {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        format!(
                            "disk image '{}' for internal snapshot '{}' is not the same as disk image currently used by VM",
                            sd.name, snap.name
                        ),
                    ));
                }
            }
        }
        if flags.intersects(D::CHILDREN | D::CHILDREN_ONLY) {
            let (ext, int) = self.with_store(obj, |s| {
                let names = s.descendants(&snap.name);
                let ext = names
                    .iter()
                    .filter(|n| s.get(n).is_some_and(is_external))
                    .count();
                Ok((ext, names.len() - ext))
            })?;
            if ext > 0 && int > 0 {
                return Err(config_err(
                    "deletion of external and internal children disk snapshots not supported",
                ));
            }
            if ext > 0 {
                return Err(config_err(
                    "deletion of external children disk snapshots not supported",
                ));
            }
        }
        if external
            && self
                .proc_of(&obj.uuid)
                .is_ok_and(|p| !p.block_jobs.lock().is_empty())
        {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "cannot delete external snapshots when there is another active block job",
            ));
        }
        if external && flags.contains(D::CHILDREN) {
            return Err(config_err(
                "deletion of external disk snapshots with children not supported",
            ));
        }
        Ok(())
    }
}

impl SnapshotDriver for QemuDriver {
    async fn snapshot_create_xml(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<SnapshotRef> {
        use DomainSnapshotCreateFlags as C;
        check_flags(
            FROM,
            "qemuDomainSnapshotCreateXML",
            flags.bits(),
            C::all().bits(),
        )?;
        if flags.contains(C::QUIESCE) && !flags.contains(C::DISK_ONLY) {
            // VIR_REQUIRE_FLAG_RET: libvirt's invalid-argument error, without a prefix.
            return Err(Error::invalid_arg_raw(
                FROM,
                "qemuSnapshotCreateXML",
                "ctl",
                "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY' is required by flag \
                 'VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE'"
                    .into(),
            ));
        }
        if flags.contains(C::LIVE) && flags.contains(C::REDEFINE) {
            return Err(Error::invalid_arg_raw(
                FROM,
                "qemuSnapshotCreateXML",
                "ctl",
                "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_LIVE' and 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' \
                 are mutually exclusive"
                    .into(),
            ));
        }
        let obj = self.obj(dom)?;
        let (active, persistent, state) = {
            let st = obj.lock();
            (st.is_active(), st.persistent, st.state)
        };
        if !persistent && flags.contains(C::HALT) {
            return Err(Error::operation_invalid(
                FROM,
                "cannot halt after transient domain snapshot",
            ));
        }
        let redefine = flags.contains(C::REDEFINE);
        let def = SnapshotDef::parse_xml(
            xml,
            SnapshotParseOptions {
                redefine,
                now: now_secs(),
            },
        )?;
        if !flags.contains(C::NO_METADATA) {
            if def.name.contains('/') {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::XML_DETAIL,
                    format!(
                        "invalid snapshot name '{}': name can't contain '/'",
                        def.name
                    ),
                ));
            }
            if def.name.starts_with('.') {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::XML_DETAIL,
                    format!(
                        "invalid snapshot name '{}': name can't start with '.'",
                        def.name
                    ),
                ));
            }
        }
        // What libvirt's parser refuses for an inactive domain or a disk-only snapshot.
        if !redefine
            && (flags.contains(C::DISK_ONLY) || !active)
            && def.memory.as_deref().is_some_and(|m| m != "no")
        {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN_SNAPSHOT,
                ErrorNumber::XML_ERROR,
                "memory state cannot be saved with offline or disk-only snapshot",
            ));
        }
        if flags.contains(C::LIVE) && (!active || def.memory.as_deref() != Some("external")) {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "live snapshot creation is supported only during full system snapshots",
            ));
        }
        let st_name = if redefine {
            def.state.clone().unwrap_or_default()
        } else {
            state_name(state).to_string()
        };
        match st_name.as_str() {
            "running" | "paused" | "shutdown" | "shutoff" | "crashed" => {}
            "disk-snapshot" if redefine => {}
            "pmsuspended" => {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "qemu doesn't support taking snapshots of PMSUSPENDED guests",
                ));
            }
            other => {
                return Err(Error::internal(
                    FROM,
                    format!("Invalid domain state {other}"),
                ));
            }
        }
        let quiesce = flags.contains(C::QUIESCE);
        if quiesce && !obj.lock().is_active() {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "QEMU guest agent is not configured",
            ));
        }
        let job = self.snapshot_job(&obj.uuid);
        let _guard = job.lock().await;
        if redefine {
            self.redefine(dom, &obj, def, flags).await
        } else if quiesce {
            // The guest's file systems frozen through its agent for the snapshot, thawed after
            // (a thaw error counts only when the snapshot itself worked), as libvirt does.
            let frozen = self.agent_fs_freeze(dom, &[], 0).await?;
            let res = self.create(dom, &obj, def, flags).await;
            if frozen > 0 && obj.lock().is_active() {
                let thawed = self.agent_fs_thaw(dom, &[], 0).await;
                if res.is_ok() {
                    thawed?;
                }
            }
            res
        } else {
            self.create(dom, &obj, def, flags).await
        }
    }

    async fn domain_list_all_snapshots(
        &self,
        dom: &DomainRef,
        flags: F,
    ) -> Result<Vec<SnapshotRef>> {
        check_flags(
            FROM,
            "qemuDomainListAllSnapshots",
            flags.bits(),
            F::all().bits(),
        )?;
        let obj = self.obj(dom)?;
        self.with_store(&obj, |s| s.list_refs(FROM, dom, None, flags))
    }

    async fn snapshot_list_all_children(
        &self,
        snap: &SnapshotRef,
        flags: F,
    ) -> Result<Vec<SnapshotRef>> {
        check_flags(
            FROM,
            "qemuDomainSnapshotListAllChildren",
            flags.bits(),
            F::all().bits(),
        )?;
        let obj = self.obj(&snap.domain)?;
        self.with_store(&obj, |s| {
            s.list_refs(FROM, &snap.domain, Some(&snap.name), flags)
        })
    }

    async fn domain_snapshot_num(&self, dom: &DomainRef, flags: F) -> Result<i32> {
        check_flags(FROM, "qemuDomainSnapshotNum", flags.bits(), F::all().bits())?;
        let obj = self.obj(dom)?;
        self.with_store(&obj, |s| Ok(s.list(None, flags).len() as i32))
    }

    async fn snapshot_lookup_by_name(
        &self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<SnapshotRef> {
        check_flags(FROM, "qemuDomainSnapshotLookupByName", flags, 0)?;
        let obj = self.obj(dom)?;
        self.with_store(&obj, |s| {
            s.find(FROM, name).map(|x| SnapshotRef::new(dom, &x.name))
        })
    }

    async fn domain_has_current_snapshot(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "qemuDomainHasCurrentSnapshot", flags, 0)?;
        let obj = self.obj(dom)?;
        self.with_store(&obj, |s| Ok(s.current().is_some()))
    }

    async fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        check_flags(FROM, "qemuDomainSnapshotCurrent", flags, 0)?;
        let obj = self.obj(dom)?;
        self.with_store(&obj, |s| s.current_ref(FROM, dom))
    }

    async fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        check_flags(FROM, "qemuDomainSnapshotGetParent", flags, 0)?;
        let obj = self.obj(&snap.domain)?;
        self.with_store(&obj, |s| s.parent_ref(FROM, snap))
    }

    async fn snapshot_get_xml_desc(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotXMLFlags,
    ) -> Result<String> {
        check_flags(
            FROM,
            "qemuDomainSnapshotGetXMLDesc",
            flags.bits(),
            DomainSnapshotXMLFlags::SECURE.bits(),
        )?;
        let (_, s) = self.snapshot_of(snap)?;
        Ok(s.format_xml(
            FormatOptions {
                id: None,
                inactive: true,
                secure: flags.contains(DomainSnapshotXMLFlags::SECURE),
                migratable: false,
                status: false,
            },
            false,
        ))
    }

    async fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "qemuDomainSnapshotIsCurrent", flags, 0)?;
        let obj = self.obj(&snap.domain)?;
        self.with_store(&obj, |s| s.is_current(FROM, &snap.name))
    }

    async fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "qemuDomainSnapshotHasMetadata", flags, 0)?;
        self.snapshot_of(snap).map(|_| true)
    }

    async fn snapshot_revert(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotRevertFlags,
    ) -> Result<()> {
        use DomainSnapshotRevertFlags as R;
        check_flags(
            FROM,
            "qemuDomainRevertToSnapshot",
            flags.bits(),
            (R::RUNNING | R::PAUSED | R::FORCE | R::RESET_NVRAM).bits(),
        )?;
        let obj = self.obj(&snap.domain)?;
        let job = self.snapshot_job(&obj.uuid);
        let _guard = job.lock().await;
        let (_, s) = self.snapshot_of(snap)?;
        self.revert(&obj, s, flags).await
    }

    async fn snapshot_delete(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotDeleteFlags,
    ) -> Result<()> {
        use DomainSnapshotDeleteFlags as D;
        check_flags(
            FROM,
            "qemuDomainSnapshotDelete",
            flags.bits(),
            (D::CHILDREN | D::METADATA_ONLY | D::CHILDREN_ONLY).bits(),
        )?;
        let obj = self.obj(&snap.domain)?;
        let job = self.snapshot_job(&obj.uuid);
        let _guard = job.lock().await;
        let (_, s) = self.snapshot_of(snap)?;
        let metadata_only = flags.contains(D::METADATA_ONLY);
        let mut plans = None;
        if !metadata_only {
            self.delete_validate(&obj, &s, flags)?;
            if is_external(&s) && !flags.intersects(D::CHILDREN | D::CHILDREN_ONLY) {
                plans = Some(self.delete_external_prepare(&obj, &s).await?);
            }
        }
        if let Some(plans) = plans {
            self.delete_external_data(&snap.domain, &obj, &plans)
                .await?;
            return self.discard(&obj, &s.name, true).await;
        }
        if flags.intersects(D::CHILDREN | D::CHILDREN_ONLY) {
            let names = self.with_store(&obj, |st| Ok(st.descendants(&s.name)))?;
            for n in names.iter().rev() {
                self.discard(&obj, n, metadata_only).await?;
            }
        }
        if !flags.contains(D::CHILDREN_ONLY) {
            self.discard(&obj, &s.name, metadata_only).await?;
        }
        Ok(())
    }
}
