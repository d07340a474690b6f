//! Block jobs of running domains: commit (`block-commit`, active or not), pull (`block-stream`),
//! their progress (`query-block-jobs`), rate limit (`block-job-set-speed`), cancel and pivot
//! (`block-job-cancel`, `block-job-complete`), as libvirt drives them over QMP blockdev.
//!
//! A job is started with `auto-dismiss` off and recorded on the domain's process by disk
//! target. Its end arrives as a QMP event (`BLOCK_JOB_COMPLETED`, `BLOCK_JOB_CANCELLED`,
//! `BLOCK_JOB_READY` for an active commit that can pivot): the watcher then dismisses it,
//! rewrites the disk's backing chain in the live definition from QEMU's view of it (and, after
//! a pivot, the persistent disk source), deletes QEMU's nodes of the images the job dropped
//! from the chain (format node, then protocol node, by the node names rvirt gave them) and the
//! committed images when asked to, saves the status file and emits
//! `VIR_DOMAIN_EVENT_ID_BLOCK_JOB` and `VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2`.
//! Nothing here holds a lock across monitor I/O.

use crate::process::{Proc, qmp_error};
use crate::{FROM, QemuDriver};
use parking_lot::Mutex;
use rvirt_conf::domain::DiskDef;
use rvirt_conf::raw::{RawElement, RawNode};
use rvirt_driver::{DomainEvent, DomainObj, DomainRef, check_flags};
use rvirt_qmp::Monitor;
use rvirt_types::domain::*;
use rvirt_types::records::DomainBlockJobInfo;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use serde_json::{Value, json};
use std::sync::Arc;

const MIB: u64 = 1 << 20;
type Status = ConnectDomainEventBlockJobStatus;

/// How a client asked a job to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Abort,
    Pivot,
}

#[derive(Debug, Default)]
struct JobState {
    ready: bool,
    ending: Option<Ending>,
    error: Option<String>,
}

/// One block job under way on a disk.
#[derive(Debug)]
pub(crate) struct BlockJob {
    /// QEMU's job id (`commit-vda-libvirt-1-format`, as libvirt names them).
    name: String,
    /// The disk's target.
    disk: String,
    job_type: DomainBlockJobType,
    /// The node at the top of the disk once the job completes (the base, after an active
    /// commit's pivot).
    top_after: String,
    /// Images to delete once the job completes (`VIR_DOMAIN_BLOCK_COMMIT_DELETE`).
    delete: Vec<String>,
    /// The format nodes of the images that leave the chain when the job completes, by the
    /// node names QEMU knows them under. QEMU keeps the nodes it was given by `blockdev-add`
    /// until they are deleted, still holding the image below as their backing, which makes
    /// that image "busy" for a later `blockdev-snapshot`: they are deleted once the job
    /// completes, as libvirt detaches the chain it dropped.
    dropped: Vec<String>,
    state: Mutex<JobState>,
    /// The final `virConnectDomainEventBlockJobStatus`, once the job ended.
    done: tokio::sync::watch::Sender<Option<i32>>,
}

impl BlockJob {
    /// The job's disk target.
    pub(crate) fn disk(&self) -> &str {
        &self.disk
    }

    /// The job as a domain's status file records it (`<blockjob>`, at `indent`), so that a
    /// restarted driver knows the jobs QEMU still runs.
    pub(crate) fn status_xml(&self, indent: &str) -> String {
        let esc = |v: &str| {
            let mut o = String::new();
            rvirt_conf::xml::escape(v, &mut o);
            o
        };
        let st = self.state.lock();
        let mut out = format!(
            "{indent}<blockjob name='{}' disk='{}' type='{}' topAfter='{}' ready='{}'",
            esc(&self.name),
            esc(&self.disk),
            self.job_type.0,
            esc(&self.top_after),
            if st.ready { "yes" } else { "no" },
        );
        match st.ending {
            Some(Ending::Abort) => out.push_str(" ending='abort'"),
            Some(Ending::Pivot) => out.push_str(" ending='pivot'"),
            None => {}
        }
        out.push_str(">\n");
        for f in &self.delete {
            out.push_str(&format!("{indent}  <delete path='{}'/>\n", esc(f)));
        }
        for n in &self.dropped {
            out.push_str(&format!("{indent}  <dropped node='{}'/>\n", esc(n)));
        }
        out.push_str(&format!("{indent}</blockjob>\n"));
        out
    }

    /// A job read back from a status file's `<blockjob>`.
    pub(crate) fn from_status(node: roxmltree::Node<'_, '_>) -> Option<BlockJob> {
        let all = |child: &str, attr: &str| -> Vec<String> {
            node.children()
                .filter(|c| c.has_tag_name(child))
                .filter_map(|c| c.attribute(attr).map(str::to_string))
                .collect()
        };
        let ending = match node.attribute("ending") {
            Some("abort") => Some(Ending::Abort),
            Some("pivot") => Some(Ending::Pivot),
            _ => None,
        };
        Some(BlockJob {
            name: node.attribute("name")?.to_string(),
            disk: node.attribute("disk")?.to_string(),
            job_type: DomainBlockJobType(node.attribute("type")?.parse().ok()?),
            top_after: node.attribute("topAfter")?.to_string(),
            delete: all("delete", "path"),
            dropped: all("dropped", "node"),
            state: Mutex::new(JobState {
                ready: node.attribute("ready") == Some("yes"),
                ending,
                error: None,
            }),
            done: tokio::sync::watch::channel(None).0,
        })
    }
}

/// One image of a disk's backing chain as QEMU has it open.
#[derive(Clone, Debug)]
struct Layer {
    path: String,
    format: String,
    node: String,
    /// The backing file name written in this image, as written (relative or not).
    backing_raw: Option<String>,
}

fn job_type_name(t: DomainBlockJobType) -> &'static str {
    match t {
        DomainBlockJobType::PULL => "pull",
        DomainBlockJobType::COPY => "copy",
        DomainBlockJobType::COMMIT => "commit",
        DomainBlockJobType::ACTIVE_COMMIT => "active-commit",
        DomainBlockJobType::BACKUP => "backup",
        _ => "",
    }
}

fn invalid(detail: String) -> Error {
    Error::with_detail(FROM, ErrorNumber::INVALID_ARG, detail)
}

fn no_job(disk: &str) -> Error {
    invalid(format!("disk {disk} does not have an active block job"))
}

/// MiB/s to bytes/s unless the bandwidth is in bytes already, with libvirt's overflow error.
fn speed_bytes(bandwidth: u64, bytes: bool) -> Result<u64> {
    if bytes {
        return Ok(bandwidth);
    }
    let max = (i64::MAX as u64) >> 20;
    if bandwidth > max {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::OVERFLOW,
            format!("bandwidth must be less than {max}"),
        ));
    }
    Ok(bandwidth << 20)
}

/// A job id QEMU accepts: letters, digits, `-`, `.`, `_` (auto-generated node names start
/// with `#`).
fn job_name(kind: &str, disk: &str, node: &str) -> String {
    let node: String = node
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect();
    format!("{kind}-{disk}-{node}")
}

/// The backing string that reaches `layers[to]` from the image above `layers[from]` through
/// the relative names written in the images between, as libvirt composes it for
/// `VIR_DOMAIN_BLOCK_*_RELATIVE`; `None` when one of them is absolute or missing.
fn relative_backing(layers: &[Layer], from: usize, to: usize) -> Option<String> {
    let mut acc: Option<String> = None;
    for l in &layers[from.checked_sub(1)?..to] {
        let rel = l.backing_raw.as_deref()?;
        if rel.starts_with('/') {
            return None;
        }
        acc = Some(match acc {
            None => rel.to_string(),
            Some(prev) => match prev.rfind('/') {
                Some(i) => format!("{}/{rel}", &prev[..i]),
                None => rel.to_string(),
            },
        });
    }
    acc
}

/// The chain of the disk whose top node `pick` chooses from `query-block`, top first.
async fn chain_of(
    mon: &Monitor,
    pick: impl Fn(&rvirt_qmp::BlockInserted) -> bool,
) -> Result<Vec<Layer>> {
    let blocks = mon.query_block().await.map_err(qmp_error)?;
    let Some(ins) = blocks
        .into_iter()
        .filter_map(|b| b.inserted)
        .find(|i| pick(i))
    else {
        return Err(Error::internal(FROM, "cannot find the disk's block node"));
    };
    let nodes = mon
        .execute("query-named-block-nodes", Some(json!({"flat": true})))
        .await
        .map_err(qmp_error)?;
    let nodes = nodes.as_array().cloned().unwrap_or_default();
    let mut layers = Vec::new();
    let mut image = ins.image.clone();
    while let Some(img) = image {
        let path = img["filename"].as_str().unwrap_or_default().to_string();
        let format = img["format"].as_str().unwrap_or("raw").to_string();
        let node = if layers.is_empty() {
            ins.node_name.clone().unwrap_or_default()
        } else {
            nodes
                .iter()
                .find(|n| n["file"].as_str() == Some(&path) && n["drv"].as_str() == Some(&format))
                .and_then(|n| n["node-name"].as_str())
                .unwrap_or_default()
                .to_string()
        };
        layers.push(Layer {
            path,
            format,
            node,
            backing_raw: img["backing-filename"].as_str().map(str::to_string),
        });
        image = img.get("backing-image").cloned();
    }
    Ok(layers)
}

/// The protocol node below the format node `format`, by the names rvirt gives the pair when
/// it opens an image (`libvirt-N-format` over `libvirt-N-storage` at start and hotplug,
/// `ovX-N-f` over `ovX-N-s` for a snapshot overlay); `None` for a node QEMU named itself
/// (`#blockN`, a backing image it opened on its own), which goes away with its last user.
fn storage_node_of(format: &str) -> Option<String> {
    if let Some(stem) = format.strip_suffix("-format") {
        return Some(format!("{stem}-storage"));
    }
    if let Some(stem) = format.strip_suffix("-f")
        && !format.starts_with('#')
    {
        return Some(format!("{stem}-s"));
    }
    None
}

/// Deletes the nodes of images that left a disk's chain: each format node, then the protocol
/// node under it, as libvirt detaches a chain. Nodes QEMU opened itself, or that are gone
/// already, are skipped; a format node QEMU refuses to delete keeps its protocol node.
async fn detach_nodes(mon: &Monitor, formats: &[String]) {
    let names: Vec<String> = match mon
        .execute("query-named-block-nodes", Some(json!({"flat": true})))
        .await
    {
        Ok(Value::Array(nodes)) => nodes
            .iter()
            .filter_map(|n| n["node-name"].as_str().map(str::to_string))
            .collect(),
        _ => return,
    };
    let known = |n: &str| names.iter().any(|k| k == n);
    for format in formats.iter().filter(|f| known(f) && !f.starts_with('#')) {
        if let Err(e) = mon.blockdev_del(format).await {
            tracing::debug!("blockdev-del {format}: {e}");
            continue;
        }
        if let Some(storage) = storage_node_of(format).filter(|s| known(s))
            && let Err(e) = mon.blockdev_del(&storage).await
        {
            tracing::debug!("blockdev-del {storage}: {e}");
        }
    }
}

/// Finds `name` in the chain as libvirt's chain lookup does: by path, or `vda[N]` by index;
/// searching below `below` when given.
fn lookup(layers: &[Layer], target: &str, name: &str, below: Option<usize>) -> Result<usize> {
    let start = below.map_or(0, |b| b + 1);
    let by_index = name
        .strip_suffix(']')
        .and_then(|n| n.split_once('['))
        .and_then(|(t, i)| Some((t, i.parse::<usize>().ok()?)));
    if let Some((t, _)) = by_index
        && t != target
    {
        return Err(invalid(format!(
            "requested target '{t}' does not match target '{target}'"
        )));
    }
    let found = (start..layers.len()).find(|&i| match by_index {
        Some((_, idx)) => idx == i,
        None => layers[i].path == name,
    });
    found.ok_or_else(|| match below {
        Some(b) => invalid(format!(
            "could not find image '{name}' beneath '{}' in chain for '{target}'",
            layers[b].path
        )),
        None => invalid(format!(
            "could not find image '{name}' in chain for '{target}'"
        )),
    })
}

fn file_type(path: &str) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_block_device() => "block",
        _ => "file",
    }
}

/// Points `disk` at `layers[0]` with the rest as its `<backingStore>` chain.
fn set_chain(disk: &mut DiskDef, layers: &[(String, String)]) {
    let Some((top, format)) = layers.first() else {
        return;
    };
    let kind = file_type(top);
    disk.disk_type = kind.into();
    let key = if kind == "block" { "dev" } else { "file" };
    disk.source = Some(vec![(key.into(), top.clone())]);
    match disk.driver.iter_mut().find(|(k, _)| k == "type") {
        Some(t) => t.1 = format.clone(),
        None => disk.driver.push(("type".into(), format.clone())),
    }
    disk.extra.retain(|e| e.name != "backingStore");
    let el = |name: &str, attrs: Vec<(String, String)>, children: Vec<RawElement>| RawElement {
        name: name.into(),
        attrs,
        children: children.into_iter().map(RawNode::Element).collect(),
    };
    let mut below: Option<RawElement> = None;
    for (path, format) in layers[1..].iter().rev() {
        let kind = file_type(path);
        let key = if kind == "block" { "dev" } else { "file" };
        let mut children = vec![
            el("format", vec![("type".into(), format.clone())], vec![]),
            el("source", vec![(key.into(), path.clone())], vec![]),
        ];
        children.extend(below.take());
        below = Some(el(
            "backingStore",
            vec![("type".into(), kind.into())],
            children,
        ));
    }
    if let Some(b) = below {
        disk.extra.insert(0, b);
    }
}

impl QemuDriver {
    /// The running domain, its process and the index of its disk `path` (target or source).
    fn block_disk(
        &self,
        dom: &DomainRef,
        path: &str,
    ) -> Result<(Arc<DomainObj>, Arc<Proc>, DiskDef)> {
        let obj = self.obj(dom)?;
        let disk = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is not running",
                ));
            }
            st.def
                .devices
                .disks
                .iter()
                .find(|d| d.target_dev == path || d.source_path() == Some(path))
                .cloned()
                .ok_or_else(|| invalid(format!("disk '{path}' not found in domain")))?
        };
        let p = self.proc_of(&obj.uuid)?;
        Ok((obj, p, disk))
    }

    /// Refuses a second job on a disk, as libvirt does.
    fn check_no_job(p: &Proc, disk: &DiskDef) -> Result<()> {
        match p.block_jobs.lock().get(&disk.target_dev) {
            None => Ok(()),
            Some(j) => {
                let code = if j.job_type == DomainBlockJobType::ACTIVE_COMMIT {
                    ErrorNumber::BLOCK_COPY_ACTIVE
                } else {
                    ErrorNumber::OPERATION_UNSUPPORTED
                };
                Err(Error::with_detail(
                    FROM,
                    code,
                    format!("disk '{}' already in active block job", disk.target_dev),
                ))
            }
        }
    }

    /// The disk's chain as QEMU has it open.
    async fn disk_chain(&self, p: &Proc, disk: &DiskDef) -> Result<Vec<Layer>> {
        let Some(src) = disk.source_path().map(str::to_string) else {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!(
                    "disk {} has no source file to be committed",
                    disk.target_dev
                ),
            ));
        };
        self.qmp(p, move |m| async move {
            Ok(chain_of(&m, |i| i.file == src).await)
        })
        .await?
    }

    /// The images of the running domain's disk `target` as QEMU has them open, top first.
    pub(crate) async fn open_chain(&self, p: &Proc, disk: &DiskDef) -> Result<Vec<String>> {
        Ok(self
            .disk_chain(p, disk)
            .await?
            .into_iter()
            .map(|l| l.path)
            .collect())
    }

    /// Records `job` on the process and runs `command`; the record goes again if QEMU refuses.
    async fn start_block_job(
        &self,
        obj: &DomainObj,
        p: &Arc<Proc>,
        job: BlockJob,
        command: &'static str,
        args: Value,
    ) -> Result<()> {
        let disk = job.disk.clone();
        p.block_jobs.lock().insert(disk.clone(), Arc::new(job));
        let r = self
            .qmp(
                p,
                move |m| async move { m.execute(command, Some(args)).await },
            )
            .await;
        if let Err(e) = r {
            p.block_jobs.lock().remove(&disk);
            return Err(e);
        }
        // A daemon restarted while the job runs finds it in the status file.
        let _ = self.save_status(obj);
        Ok(())
    }

    /// `virDomainBlockCommit`.
    pub(crate) async fn block_commit(
        &self,
        dom: &DomainRef,
        path: &str,
        base: Option<&str>,
        top: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        type F = DomainBlockCommitFlags;
        check_flags(FROM, "qemuDomainBlockCommit", flags, F::all().bits())?;
        let flags = F::from_bits_retain(flags);
        let speed = speed_bytes(bandwidth, flags.contains(F::BANDWIDTH_BYTES))?;
        let (obj, p, disk) = self.block_disk(dom, path)?;
        let target = disk.target_dev.clone();
        Self::check_no_job(&p, &disk)?;
        let layers = self.disk_chain(&p, &disk).await?;
        let t = match top {
            None => 0,
            Some(t) if t == target => 0,
            Some(t) => lookup(
                &layers,
                &target,
                &crate::disk_index::index_to_position(&disk, t),
                None,
            )?,
        };
        let b = match base {
            None if flags.contains(F::SHALLOW) => t + 1,
            None if t + 1 < layers.len() => layers.len() - 1,
            None => {
                return Err(invalid(format!(
                    "could not find base image in chain for '{target}'"
                )));
            }
            Some(b) => lookup(
                &layers,
                &target,
                &crate::disk_index::index_to_position(&disk, b),
                Some(t),
            )?,
        };
        if t == 0 && !flags.contains(F::ACTIVE) {
            return Err(invalid(format!(
                "commit of '{target}' active layer requires active flag"
            )));
        }
        if t != 0 && flags.contains(F::ACTIVE) {
            return Err(invalid(format!(
                "active commit requested but '{}' is not active",
                layers[t].path
            )));
        }
        if t + 1 >= layers.len() {
            return Err(invalid(format!(
                "top '{}' in chain for '{}' has no backing file",
                layers[t].path, layers[0].path
            )));
        }
        if flags.contains(F::SHALLOW) && b != t + 1 {
            return Err(invalid(format!(
                "base '{}' is not immediately below '{}' in chain for '{}'",
                layers[b].path, layers[t].path, layers[0].path
            )));
        }
        let backing = if t == 0 {
            None
        } else if flags.contains(F::RELATIVE) {
            Some(relative_backing(&layers, t, b).ok_or_else(|| {
                Error::operation_invalid(FROM, "can't keep relative backing relationship")
            })?)
        } else {
            Some(layers[b].path.clone())
        };
        let job_type = if t == 0 {
            DomainBlockJobType::ACTIVE_COMMIT
        } else {
            DomainBlockJobType::COMMIT
        };
        let name = job_name("commit", &target, &layers[t].node);
        let mut args = json!({
            "job-id": name, "device": layers[0].node, "top-node": layers[t].node,
            "base-node": layers[b].node, "auto-finalize": true, "auto-dismiss": false,
        });
        if let Some(bf) = backing {
            args["backing-file"] = json!(bf);
        }
        if speed > 0 {
            args["speed"] = json!(speed);
        }
        let delete = if flags.contains(F::DELETE) {
            layers[t..b].iter().map(|l| l.path.clone()).collect()
        } else {
            Vec::new()
        };
        let top_after = if t == 0 {
            layers[b].node.clone()
        } else {
            layers[0].node.clone()
        };
        let job = BlockJob {
            name,
            disk: target,
            job_type,
            top_after,
            delete,
            dropped: layers[t..b].iter().map(|l| l.node.clone()).collect(),
            state: Mutex::new(JobState::default()),
            done: tokio::sync::watch::channel(None).0,
        };
        self.start_block_job(&obj, &p, job, "block-commit", args)
            .await
    }

    /// `virDomainBlockPull` and the pull of `virDomainBlockRebase`.
    pub(crate) async fn block_pull(
        &self,
        dom: &DomainRef,
        path: &str,
        base: Option<&str>,
        bandwidth: u64,
        flags: u32,
        rebase: bool,
    ) -> Result<()> {
        if rebase {
            type R = DomainBlockRebaseFlags;
            if flags & R::COPY.bits() != 0 {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "block copy is not supported by rvirt yet",
                ));
            }
            check_flags(
                FROM,
                "qemuDomainBlockRebase",
                flags,
                (R::RELATIVE | R::BANDWIDTH_BYTES).bits(),
            )?;
            if flags & R::RELATIVE.bits() != 0 && base.is_none() {
                return Err(invalid(
                    "flag VIR_DOMAIN_BLOCK_REBASE_RELATIVE is valid only with non-null base".into(),
                ));
            }
        } else {
            check_flags(
                FROM,
                "qemuDomainBlockPull",
                flags,
                DomainBlockPullFlags::BYTES.bits(),
            )?;
        }
        // BANDWIDTH_BYTES has the same value for pull and rebase.
        let bytes = flags & DomainBlockPullFlags::BYTES.bits() != 0;
        let relative = rebase && flags & DomainBlockRebaseFlags::RELATIVE.bits() != 0;
        let (obj, p, disk) = self.block_disk(dom, path)?;
        let target = disk.target_dev.clone();
        Self::check_no_job(&p, &disk)?;
        let layers = self.disk_chain(&p, &disk).await?;
        let b = base
            .map(|b| {
                let b = crate::disk_index::index_to_position(&disk, b);
                lookup(&layers, &target, &b, Some(0))
            })
            .transpose()?;
        let backing = match b {
            None => None,
            Some(b) if relative => Some(relative_backing(&layers, 1, b).ok_or_else(|| {
                Error::operation_invalid(FROM, "can't keep relative backing relationship")
            })?),
            Some(b) => Some(layers[b].path.clone()),
        };
        let speed = speed_bytes(bandwidth, bytes)?;
        let name = job_name("pull", &target, &layers[0].node);
        let mut args = json!({
            "job-id": name, "device": layers[0].node,
            "auto-finalize": true, "auto-dismiss": false,
        });
        if let Some(b) = b {
            args["base-node"] = json!(layers[b].node);
        }
        if let Some(bf) = backing {
            args["backing-file"] = json!(bf);
        }
        if speed > 0 {
            args["speed"] = json!(speed);
        }
        let job = BlockJob {
            name,
            disk: target,
            job_type: DomainBlockJobType::PULL,
            top_after: layers[0].node.clone(),
            delete: Vec::new(),
            dropped: layers[1..b.unwrap_or(layers.len())]
                .iter()
                .map(|l| l.node.clone())
                .collect(),
            state: Mutex::new(JobState::default()),
            done: tokio::sync::watch::channel(None).0,
        };
        self.start_block_job(&obj, &p, job, "block-stream", args)
            .await
    }

    /// `virDomainGetBlockJobInfo`.
    pub(crate) async fn block_job_info(
        &self,
        dom: &DomainRef,
        path: &str,
        flags: u32,
    ) -> Result<Option<DomainBlockJobInfo>> {
        type F = DomainBlockJobInfoFlags;
        check_flags(FROM, "qemuDomainGetBlockJobInfo", flags, F::all().bits())?;
        let (_obj, p, disk) = self.block_disk(dom, path)?;
        let Some(job) = p.block_jobs.lock().get(&disk.target_dev).cloned() else {
            return Ok(None);
        };
        let jobs = self
            .qmp(&p, |m| async move { m.query_block_jobs().await })
            .await?;
        let mut info = DomainBlockJobInfo {
            job_type: job.job_type.0,
            bandwidth: 0,
            cur: 0,
            end: 1,
        };
        let Some(raw) = jobs.into_iter().find(|j| j.device == job.name) else {
            return Ok(Some(info));
        };
        info.cur = raw.offset;
        info.end = raw.len;
        // Never report a job that is not ready as done (cur == end), nor a job QEMU has not
        // sized yet as done; a ready one is.
        if info.cur == 0 && info.end == 0 {
            info.end = 1;
            if raw.ready {
                info.cur = 1;
            }
        }
        if !raw.ready && info.cur == info.end && info.cur > 0 {
            info.cur -= 1;
        }
        info.bandwidth = if flags & F::BYTES.bits() != 0 {
            raw.speed
        } else {
            raw.speed.div_ceil(MIB)
        };
        Ok(Some(info))
    }

    /// `virDomainBlockJobSetSpeed`.
    pub(crate) async fn block_job_set_speed(
        &self,
        dom: &DomainRef,
        path: &str,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        type F = DomainBlockJobSetSpeedFlags;
        check_flags(FROM, "qemuDomainBlockJobSetSpeed", flags, F::all().bits())?;
        let speed = speed_bytes(bandwidth, flags & F::BYTES.bits() != 0)?;
        let (_obj, p, disk) = self.block_disk(dom, path)?;
        let Some(job) = p.block_jobs.lock().get(&disk.target_dev).cloned() else {
            return Err(no_job(&disk.target_dev));
        };
        let name = job.name.clone();
        self.qmp(&p, move |m| async move {
            m.execute(
                "block-job-set-speed",
                Some(json!({"device": name, "speed": speed})),
            )
            .await
        })
        .await
        .map(|_| ())
    }

    /// `virDomainBlockJobAbort`: cancel, or pivot a ready active commit; waits for the job's
    /// end unless `ASYNC`.
    pub(crate) async fn block_job_abort(
        &self,
        dom: &DomainRef,
        path: &str,
        flags: u32,
    ) -> Result<()> {
        type F = DomainBlockJobAbortFlags;
        check_flags(FROM, "qemuDomainBlockJobAbort", flags, F::all().bits())?;
        let flags = F::from_bits_retain(flags);
        let (obj, p, disk) = self.block_disk(dom, path)?;
        let Some(job) = p.block_jobs.lock().get(&disk.target_dev).cloned() else {
            return Err(no_job(&disk.target_dev));
        };
        let pivot = flags.contains(F::PIVOT);
        {
            let mut st = job.state.lock();
            if st.ending.is_some() {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("block job on disk '{}' is still being ended", job.disk),
                ));
            }
            if pivot {
                if !matches!(
                    job.job_type,
                    DomainBlockJobType::ACTIVE_COMMIT | DomainBlockJobType::COPY
                ) {
                    return Err(Error::operation_invalid(
                        FROM,
                        format!(
                            "job type '{}' does not support pivot",
                            job_type_name(job.job_type)
                        ),
                    ));
                }
                if !st.ready {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::BLOCK_COPY_ACTIVE,
                        format!("block job '{}' not ready for pivot yet", job.name),
                    ));
                }
            }
            st.ending = Some(if pivot { Ending::Pivot } else { Ending::Abort });
        }
        let mut done = job.done.subscribe();
        let name = job.name.clone();
        let r = self
            .qmp(&p, move |m| async move {
                if pivot {
                    m.block_job_complete(&name).await
                } else {
                    m.block_job_cancel(&name, false).await
                }
            })
            .await;
        if let Err(e) = r {
            job.state.lock().ending = None;
            return Err(e);
        }
        // How the job was asked to end decides its final event, after a restart too.
        let _ = self.save_status(&obj);
        if flags.contains(F::ASYNC) {
            return Ok(());
        }
        let mut exited = p.exited_rx();
        let status = crate::process::on_rt(async move {
            tokio::select! {
                r = done.wait_for(|s| s.is_some()) => r.ok().and_then(|s| *s),
                _ = exited.wait_for(|&gone| gone) => None,
            }
        })
        .await?;
        if pivot && status == Some(Status::FAILED.0) {
            let msg = job.state.lock().error.clone();
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                match msg {
                    Some(m) => format!("block job '{}' failed while pivoting: {m}", job.name),
                    None => format!("block job '{}' failed while pivoting", job.name),
                },
            ));
        }
        Ok(())
    }

    /// Commits the image `top` of disk `target` into the image right below it, deleting
    /// `top` afterwards, and waits for the job's end; an active commit (`top` is the disk's
    /// top) is pivoted once ready. This is how libvirt removes an external snapshot's overlay
    /// from a running domain; its failure carries libvirt's wording for that case.
    pub(crate) async fn commit_for_snapshot_delete(
        &self,
        dom: &DomainRef,
        target: &str,
        top: &str,
        active: bool,
    ) -> Result<()> {
        type F = DomainBlockCommitFlags;
        let mut flags = F::DELETE | F::SHALLOW;
        if active {
            flags |= F::ACTIVE;
        }
        self.block_commit(dom, target, None, Some(top), 0, flags.bits())
            .await?;
        let p = self.proc_of(&self.obj(dom)?.uuid)?;
        let Some(job) = p.block_jobs.lock().get(target).cloned() else {
            return Ok(());
        };
        let failed = |job: &BlockJob, phase: &str| {
            let msg = job.state.lock().error.clone().unwrap_or_default();
            Error::internal(
                FROM,
                format!("{phase} failed while deleting disk '{target}' snapshot: '{msg}'"),
            )
        };
        // Wait until the job is ready (an active commit) or over.
        let mut exited = p.exited_rx();
        let mut done = job.done.subscribe();
        let waited = job.clone();
        let status = crate::process::on_rt(async move {
            loop {
                if let Some(s) = *done.borrow() {
                    return Some(s);
                }
                if waited.state.lock().ready {
                    return None;
                }
                tokio::select! {
                    _ = done.changed() => {}
                    _ = exited.wait_for(|&gone| gone) => return Some(Status::FAILED.0),
                    _ = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                }
            }
        })
        .await?;
        match status {
            Some(s) if s == Status::COMPLETED.0 => return Ok(()),
            Some(_) => return Err(failed(&job, "block commit")),
            None => {}
        }
        self.block_job_abort(dom, target, DomainBlockJobAbortFlags::PIVOT.bits())
            .await
            .map_err(|_| failed(&job, "finishing block job"))?;
        match *job.done.borrow() {
            Some(s) if s == Status::COMPLETED.0 => Ok(()),
            _ => Err(failed(&job, "finishing block job")),
        }
    }

    /// Emits both block job events for the disk `target`, naming it by its current source.
    pub(crate) fn emit_block_job(
        &self,
        obj: &DomainObj,
        target: &str,
        job_type: DomainBlockJobType,
        status: Status,
    ) {
        let (dref, path) = {
            let st = obj.lock();
            let path = st
                .def
                .devices
                .disks
                .iter()
                .find(|d| d.target_dev == target)
                .and_then(|d| d.source_path().map(str::to_string));
            (st.to_ref(obj.uuid), path)
        };
        if let Some(path) = path {
            self.events.emit(DomainEvent::BlockJob {
                dom: dref.clone(),
                path,
                job_type: job_type.0,
                status: status.0,
            });
        }
        self.events.emit(DomainEvent::BlockJob2 {
            dom: dref,
            dst: target.to_string(),
            job_type: job_type.0,
            status: status.0,
        });
    }

    /// `BLOCK_JOB_READY`: an active commit can now pivot.
    pub(crate) fn block_job_ready(&self, obj: &DomainObj, p: &Proc, name: &str) {
        let job = p
            .block_jobs
            .lock()
            .values()
            .find(|j| j.name == name)
            .cloned();
        let Some(job) = job else { return };
        {
            let mut st = job.state.lock();
            if st.ready {
                return;
            }
            st.ready = true;
        }
        let _ = self.save_status(obj);
        self.emit_block_job(obj, &job.disk, job.job_type, Status::READY);
    }

    /// `BLOCK_JOB_COMPLETED` (with `error` when it failed) or `BLOCK_JOB_CANCELLED`: the job
    /// is dismissed, the definitions follow QEMU's new chain, the job's events go out, and
    /// waiting aborts return.
    pub(crate) async fn block_job_ended(
        &self,
        obj: &DomainObj,
        p: &Arc<Proc>,
        name: &str,
        cancelled: bool,
        error: Option<String>,
    ) {
        let job = p
            .block_jobs
            .lock()
            .values()
            .find(|j| j.name == name)
            .cloned();
        let Some(job) = job else { return };
        let n = name.to_string();
        let _ = self
            .qmp(p, move |m| async move { m.job_dismiss(&n).await })
            .await;
        let ending = {
            let mut st = job.state.lock();
            st.error = error.clone();
            st.ending
        };
        let status = if cancelled {
            Status::CANCELED
        } else if error.is_some() {
            Status::FAILED
        } else if job.job_type == DomainBlockJobType::ACTIVE_COMMIT && ending != Some(Ending::Pivot)
        {
            // A ready active commit that is cancelled completes without pivoting.
            Status::CANCELED
        } else {
            Status::COMPLETED
        };
        if status == Status::COMPLETED {
            self.follow_chain(obj, p, &job).await;
        }
        p.block_jobs.lock().remove(&job.disk);
        let _ = self.save_status(obj);
        self.emit_block_job(obj, &job.disk, job.job_type, status);
        job.done.send_replace(Some(status.0));
    }

    /// After a reattach: what became of the jobs the status file recorded while no driver
    /// watched them. QEMU keeps a job that ended (they run with `auto-dismiss` off), so its
    /// end is handled now, with its events; a ready one gets its READY; a job QEMU no longer
    /// knows is forgotten.
    pub(crate) async fn reconcile_block_jobs(&self, obj: &DomainObj, p: &Arc<Proc>) {
        let names: Vec<String> = p
            .block_jobs
            .lock()
            .values()
            .map(|j| j.name.clone())
            .collect();
        if names.is_empty() {
            return;
        }
        let Ok(jobs) = self
            .qmp(p, |m| async move { m.execute("query-jobs", None).await })
            .await
        else {
            return;
        };
        for name in names {
            let found = jobs
                .as_array()
                .and_then(|a| a.iter().find(|j| j["id"].as_str() == Some(name.as_str())))
                .cloned();
            let Some(q) = found else {
                p.block_jobs.lock().retain(|_, j| j.name != name);
                let _ = self.save_status(obj);
                continue;
            };
            match q["status"].as_str().unwrap_or("") {
                "concluded" | "aborting" => {
                    let aborted =
                        p.block_jobs.lock().values().any(|j| {
                            j.name == name && j.state.lock().ending == Some(Ending::Abort)
                        });
                    let error = q["error"].as_str().map(str::to_string);
                    let cancelled = aborted && error.is_some();
                    let error = if cancelled { None } else { error };
                    self.block_job_ended(obj, p, &name, cancelled, error).await;
                }
                "ready" => self.block_job_ready(obj, p, &name),
                _ => {}
            }
        }
    }

    /// After a completed job: the live disk gets QEMU's chain, the persistent disk the new top
    /// after a pivot, committed images are deleted when asked, and the status file is saved.
    async fn follow_chain(&self, obj: &DomainObj, p: &Arc<Proc>, job: &BlockJob) {
        let top = job.top_after.clone();
        let layers = self
            .qmp(p, move |m| async move {
                Ok(chain_of(&m, |i| i.node_name.as_deref() == Some(top.as_str())).await)
            })
            .await;
        let layers = match layers {
            Ok(Ok(l)) => l,
            _ => Vec::new(),
        };
        // Only once QEMU's new chain is known: a node still in it is never deleted.
        if !layers.is_empty() {
            let dropped: Vec<String> = job
                .dropped
                .iter()
                .filter(|d| !d.is_empty() && !layers.iter().any(|l| &l.node == *d))
                .cloned()
                .collect();
            if !dropped.is_empty() {
                let _ = self
                    .qmp(p, move |m| async move {
                        detach_nodes(&m, &dropped).await;
                        Ok(())
                    })
                    .await;
            }
        }
        let layers: Vec<(String, String)> =
            layers.into_iter().map(|l| (l.path, l.format)).collect();
        let persistent = {
            let mut st = obj.lock();
            let mut live = (*st.def).clone();
            let mut old_top = None;
            if let Some(d) = live
                .devices
                .disks
                .iter_mut()
                .find(|d| d.target_dev == job.disk)
            {
                old_top = d.source_path().map(str::to_string);
                set_chain(d, &layers);
            }
            st.def = Arc::new(live);
            let mut changed = None;
            if job.job_type == DomainBlockJobType::ACTIVE_COMMIT
                && let Some(next) = st.new_def.as_ref()
                && let Some(first) = layers.first()
            {
                let mut next = (**next).clone();
                if let Some(d) = next
                    .devices
                    .disks
                    .iter_mut()
                    .find(|d| d.target_dev == job.disk && d.source_path() == old_top.as_deref())
                {
                    set_chain(d, std::slice::from_ref(first));
                    let next = Arc::new(next);
                    st.new_def = Some(next.clone());
                    changed = Some(next);
                }
            }
            changed
        };
        for f in &job.delete {
            let _ = std::fs::remove_file(f);
        }
        let _ = self.save_status(obj);
        if let Some(n) = persistent {
            let _ = self.save_config(&n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(path: &str, raw: Option<&str>) -> Layer {
        Layer {
            path: path.into(),
            format: "qcow2".into(),
            node: String::new(),
            backing_raw: raw.map(str::to_string),
        }
    }

    #[test]
    fn relative_backing_composes_the_names_between() {
        let l = [
            layer("/a/top", Some("mid")),
            layer("/a/mid", Some("sub/base")),
            layer("/a/sub/base", Some("low")),
            layer("/a/sub/low", None),
        ];
        assert_eq!(relative_backing(&l, 1, 2).as_deref(), Some("sub/base"));
        assert_eq!(relative_backing(&l, 1, 3).as_deref(), Some("sub/low"));
        let abs = [layer("/a/top", Some("/a/mid")), layer("/a/mid", None)];
        assert_eq!(relative_backing(&abs, 1, 1), None);
    }

    #[test]
    fn lookup_by_path_and_index() {
        let l = [layer("/t", None), layer("/m", None), layer("/b", None)];
        assert_eq!(lookup(&l, "vda", "/b", Some(0)).unwrap(), 2);
        assert_eq!(lookup(&l, "vda", "vda[1]", None).unwrap(), 1);
        let e = lookup(&l, "vda", "/t", Some(0)).unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: could not find image '/t' beneath '/t' in chain for 'vda'"
        );
        let e = lookup(&l, "vda", "vdb[1]", None).unwrap_err();
        assert!(
            e.message
                .contains("requested target 'vdb' does not match target 'vda'")
        );
    }

    #[test]
    fn storage_nodes_pair_with_rvirts_format_nodes() {
        assert_eq!(
            storage_node_of("libvirt-3-format").as_deref(),
            Some("libvirt-3-storage")
        );
        assert_eq!(storage_node_of("ov1a2b-0-f").as_deref(), Some("ov1a2b-0-s"));
        assert_eq!(storage_node_of("#block123"), None);
        assert_eq!(storage_node_of("#block12-f"), None);
    }

    #[test]
    fn job_names_are_valid_qemu_ids() {
        assert_eq!(
            job_name("commit", "vda", "#block123"),
            "commit-vda-block123"
        );
    }
}
