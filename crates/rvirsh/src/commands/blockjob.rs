//! `blockcommit`, `blockpull` and `blockjob` (Domain Management): a disk's block jobs, and
//! virsh's way of waiting for one (`--wait`: the job's events, polled job info, `--timeout` or
//! Ctrl-C abort).

use crate::cmd::{CmdDef, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::parse::Cmd;
use rvirt::blocking::Domain;
use rvirt::flags::{
    ConnectDomainEventBlockJobStatus as S, DomainBlockCommitFlags as C, DomainBlockJobAbortFlags,
    DomainBlockPullFlags, DomainBlockRebaseFlags, DomainEventID,
};
use rvirt::{DomainEvent, Error, ErrorNumber};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

const PATH: Opt = Opt::new("path", OptKind::Data, "fully-qualified path of disk").required();

/// `blockcommit`.
pub const BLOCKCOMMIT: CmdDef = CmdDef {
    name: "blockcommit",
    help: "Start a block commit operation.",
    desc: "Commit changes from a snapshot down to its backing image.",
    opts: &[
        Opt::DOMAIN,
        PATH,
        Opt::new("bandwidth", OptKind::Int, "bandwidth limit in MiB/s"),
        Opt::new(
            "base",
            OptKind::String,
            "path of base file to commit into (default bottom of chain)",
        ),
        Opt::new("shallow", OptKind::Bool, "use backing file of top as base"),
        Opt::new(
            "top",
            OptKind::String,
            "path of top file to commit from (default top of chain)",
        ),
        Opt::new(
            "active",
            OptKind::Bool,
            "trigger two-stage active commit of top file",
        ),
        Opt::new(
            "delete",
            OptKind::Bool,
            "delete files that were successfully committed",
        ),
        Opt::new(
            "wait",
            OptKind::Bool,
            "wait for job to complete (with --active, wait for job to sync)",
        ),
        Opt::new(
            "verbose",
            OptKind::Bool,
            "with --wait, display the progress",
        ),
        Opt::new(
            "timeout",
            OptKind::Int,
            "implies --wait, abort if copy exceeds timeout (in seconds)",
        ),
        Opt::new(
            "pivot",
            OptKind::Bool,
            "implies --active --wait, pivot when commit is synced",
        ),
        Opt::new(
            "keep-overlay",
            OptKind::Bool,
            "implies --active --wait, quit when commit is synced",
        ),
        Opt::new(
            "async",
            OptKind::Bool,
            "with --wait, don't wait for cancel to finish",
        ),
        Opt::new(
            "keep-relative",
            OptKind::Bool,
            "keep the backing chain relatively referenced",
        ),
        Opt::new(
            "bytes",
            OptKind::Bool,
            "the bandwidth limit is in bytes/s rather than MiB/s",
        ),
    ],
    ..CmdDef::new(cmd_blockcommit)
};

/// `blockjob`.
pub const BLOCKJOB: CmdDef = CmdDef {
    name: "blockjob",
    help: "Manage active block operations",
    desc: "Query, adjust speed, or cancel active block operations.",
    opts: &[
        Opt::DOMAIN,
        PATH,
        Opt::new(
            "abort",
            OptKind::Bool,
            "abort the active job on the specified disk",
        ),
        Opt::new(
            "async",
            OptKind::Bool,
            "implies --abort; request but don't wait for job end",
        ),
        Opt::new(
            "pivot",
            OptKind::Bool,
            "implies --abort; conclude and pivot a copy or commit job",
        ),
        Opt::new(
            "info",
            OptKind::Bool,
            "get active job information for the specified disk",
        ),
        Opt::new(
            "bytes",
            OptKind::Bool,
            "get/set bandwidth in bytes rather than MiB/s",
        ),
        Opt::new(
            "raw",
            OptKind::Bool,
            "implies --info; output details rather than human summary",
        ),
        Opt::new(
            "bandwidth",
            OptKind::Int,
            "set the bandwidth limit in MiB/s",
        ),
    ],
    ..CmdDef::new(cmd_blockjob)
};

/// `blockpull`.
pub const BLOCKPULL: CmdDef = CmdDef {
    name: "blockpull",
    help: "Populate a disk from its backing image.",
    desc: "Populate a disk from its backing image.",
    opts: &[
        Opt::DOMAIN,
        PATH,
        Opt::new("bandwidth", OptKind::Int, "bandwidth limit in MiB/s"),
        Opt::new(
            "base",
            OptKind::String,
            "path of backing file in chain for a partial pull",
        ),
        Opt::new("wait", OptKind::Bool, "wait for job to finish"),
        Opt::new(
            "verbose",
            OptKind::Bool,
            "with --wait, display the progress",
        ),
        Opt::new(
            "timeout",
            OptKind::Int,
            "with --wait, abort if pull exceeds timeout (in seconds)",
        ),
        Opt::new(
            "async",
            OptKind::Bool,
            "with --wait, don't wait for cancel to finish",
        ),
        Opt::new(
            "keep-relative",
            OptKind::Bool,
            "keep the backing chain relatively referenced",
        ),
        Opt::new(
            "bytes",
            OptKind::Bool,
            "the bandwidth limit is in bytes/s rather than MiB/s",
        ),
    ],
    ..CmdDef::new(cmd_blockpull)
};

/// virsh's names of `virDomainBlockJobType` values.
pub(crate) fn job_type_name(t: i32) -> &'static str {
    const NAMES: [&str; 6] = [
        "Unknown job",
        "Block Pull",
        "Block Copy",
        "Block Commit",
        "Active Block Commit",
        "Backup",
    ];
    usize::try_from(t)
        .ok()
        .and_then(|i| NAMES.get(i))
        .unwrap_or(&"Unknown job")
}

/// virsh's names of `virConnectDomainEventBlockJobStatus` values.
pub(crate) fn status_name(s: i32) -> &'static str {
    const NAMES: [&str; 4] = ["completed", "failed", "canceled", "ready"];
    usize::try_from(s)
        .ok()
        .and_then(|i| NAMES.get(i))
        .unwrap_or(&"unknown")
}

/// vshBlockJobOptionBandwidth: a plain number as given (negative ones wrap, as virsh's
/// `unsigned long`), or a scaled size (`10M`) in bytes, as MiB/s unless `bytes`.
fn bandwidth(ctl: &mut Ctl, cmd: &Cmd, bytes: bool) -> Result<u64, Failed> {
    let Some(v) = cmd.value("bandwidth") else {
        return Ok(0);
    };
    if let Some(n) = crate::parse::c_number(v)
        && !v.trim_start().starts_with('+')
        && (i64::MIN as i128..=u64::MAX as i128).contains(&n)
    {
        return Ok(n as u64);
    }
    match crate::parse::scaled_number(v, 1, u64::MAX) {
        Ok(bw) => Ok(if bytes { bw } else { bw >> 20 }),
        Err(_) => ctl.fail(&format!(
            "Scaled numeric value '{v}' for <--bandwidth> option is malformed or out of range"
        )),
    }
}

/// virshPrintJobProgress.
fn progress(ctl: &mut Ctl, label: &str, remaining: u64, total: u64) {
    let pct = if remaining == 0 {
        100
    } else {
        let p = (100.0 - remaining as f64 * 100.0 / total as f64) as i64;
        p.clamp(i64::MIN, 99)
    };
    ctl.flush();
    ctl.print_err(&format!("\r{label}: [{pct:>3} %]"));
}

/// What waiting for a job needs: the disk, the event callbacks and their result.
struct Wait {
    conn: rvirt::blocking::Connect,
    dom: Domain,
    path: String,
    label: &'static str,
    verbose: bool,
    timeout: Option<Duration>,
    async_abort: bool,
    status: Arc<AtomicI32>,
    ids: Vec<Option<i32>>,
}

impl Wait {
    /// virshBlockJobWaitInit: both block job events of the domain, matched on `path`.
    fn new(
        ctl: &mut Ctl,
        dom: &Domain,
        path: &str,
        label: &'static str,
        verbose: bool,
        timeout: Option<i32>,
        async_abort: bool,
    ) -> Result<Wait, Failed> {
        let conn = ctl.conn()?.clone();
        let status = Arc::new(AtomicI32::new(-1));
        let mut ids = Vec::new();
        for id in [DomainEventID::BLOCK_JOB, DomainEventID::BLOCK_JOB_2] {
            let (st, want) = (status.clone(), path.to_string());
            let r = conn.domain_event_register_any(Some(dom), id, move |_, _, e| {
                let (disk, s) = match e {
                    DomainEvent::BlockJob { path, status, .. } => (path, *status),
                    DomainEvent::BlockJob2 { dst, status, .. } => (dst, *status),
                    _ => return,
                };
                if *disk == want {
                    st.store(s, Ordering::SeqCst);
                }
            });
            ids.push(r.ok());
        }
        Ok(Wait {
            conn,
            dom: dom.clone(),
            path: path.to_string(),
            label,
            verbose,
            timeout: timeout.map(|ms| Duration::from_millis(ms as u64)),
            async_abort,
            status,
            ids,
        })
    }

    /// virshBlockJobWait: a `virConnectDomainEventBlockJobStatus` value.
    fn wait(&self, ctl: &mut Ctl) -> Result<i32, Failed> {
        use crate::commands::events::{INTERRUPTED, on_sigint};
        let any_cb = self.ids.iter().any(Option::is_some);
        let all_cb = self.ids.iter().all(Option::is_some);
        let mut retries = 5;
        let start = Instant::now();
        let mut last = (0u64, 0u64);
        INTERRUPTED.store(false, Ordering::Relaxed);
        // SAFETY: the handler only stores into an atomic; the old one is put back below.
        let old =
            unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
        let r = loop {
            let info = match self.dom.get_block_job_info(&self.path, 0) {
                Ok(i) => i,
                Err(e) => {
                    break ctl.lib_fail(e, &format!("failed to query job for disk {}", self.path));
                }
            };
            let st = self.status.load(Ordering::SeqCst);
            if any_cb && st != -1 {
                break Ok(st);
            }
            if !all_cb {
                match info {
                    None => break Ok(S::COMPLETED.0),
                    Some(i)
                        if i.cur == i.end
                            && (!any_cb || {
                                retries -= 1;
                                retries == 0
                            }) =>
                    {
                        break Ok(S::READY.0);
                    }
                    _ => {}
                }
            }
            let (cur, end) = info.map_or((0, 0), |i| (i.cur, i.end));
            if self.verbose && (cur, end) != last {
                progress(ctl, self.label, end.saturating_sub(cur), end);
            }
            last = (cur, end);
            if INTERRUPTED.load(Ordering::Relaxed)
                || self.timeout.is_some_and(|t| start.elapsed() > t)
            {
                let flags = if self.async_abort {
                    DomainBlockJobAbortFlags::ASYNC.bits()
                } else {
                    0
                };
                if let Err(e) = self.dom.block_job_abort(&self.path, flags) {
                    break ctl
                        .lib_fail(e, &format!("failed to abort job for disk '{}'", self.path));
                }
                break Ok(S::CANCELED.0);
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        // SAFETY: restores the handler taken above.
        unsafe { libc::signal(libc::SIGINT, old) };
        if self.verbose && matches!(r, Ok(s) if s == S::COMPLETED.0 || s == S::READY.0) {
            progress(ctl, self.label, 0, 1);
        }
        r
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        for id in self.ids.iter().flatten() {
            let _ = self.conn.domain_event_deregister_any(*id);
        }
    }
}

fn cmd_blockcommit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let verbose = cmd.has("verbose");
    let pivot = cmd.has("pivot");
    let finish = cmd.has("keep-overlay");
    let active = cmd.has("active") || pivot || finish;
    let mut blocking = cmd.has("wait") || pivot || finish;
    let async_abort = cmd.has("async");
    let bytes = cmd.has("bytes");
    ctl.exclusive(cmd, &[("pivot", "keep-overlay")])?;
    let path = ctl.req_str(cmd, "path")?;
    let base = ctl.opt_str(cmd, "base")?;
    let top = ctl.opt_str(cmd, "top")?;
    let bw = bandwidth(ctl, cmd, bytes)?;
    let mut flags = C::empty();
    flags.set(C::BANDWIDTH_BYTES, bytes);
    flags.set(C::SHALLOW, cmd.has("shallow"));
    flags.set(C::DELETE, cmd.has("delete"));
    flags.set(C::ACTIVE, active);
    flags.set(C::RELATIVE, cmd.has("keep-relative"));
    let timeout = ctl.opt_timeout_ms(cmd)?;
    if timeout.is_some() {
        blocking = true;
    }
    if !blocking {
        if verbose {
            return ctl.fail(
                "--verbose requires at least one of --timeout, --wait, --pivot, or --keep-overlay",
            );
        }
        if async_abort {
            return ctl.fail(
                "--async requires at least one of --timeout, --wait, --pivot, or --keep-overlay",
            );
        }
    }
    let abort_flags = if async_abort {
        DomainBlockJobAbortFlags::ASYNC.bits()
    } else {
        0
    };
    let (dom, _) = ctl.domain(cmd)?;
    let wait = if blocking {
        Some(Wait::new(
            ctl,
            &dom,
            path,
            "Block commit",
            verbose,
            timeout,
            async_abort,
        )?)
    } else {
        None
    };
    ctl.lib(dom.block_commit(path, base, top, bw, flags.bits()))?;
    let Some(wait) = wait else {
        ctl.print_extra(if active {
            "Active Block Commit started"
        } else {
            "Block Commit started"
        });
        return Ok(());
    };
    match wait.wait(ctl)? {
        s if s == S::CANCELED.0 => {
            ctl.print_extra("\nCommit aborted");
            return Err(Failed);
        }
        s if s == S::FAILED.0 => {
            ctl.print_extra("\nCommit failed");
            return Err(Failed);
        }
        _ => {}
    }
    if !active {
        ctl.print_extra("\nCommit complete");
    } else if pivot {
        let flags = abort_flags | DomainBlockJobAbortFlags::PIVOT.bits();
        if let Err(e) = dom.block_job_abort(path, flags) {
            return ctl.lib_fail(e, &format!("failed to pivot job for disk {path}"));
        }
        ctl.print_extra("\nSuccessfully pivoted");
    } else if finish {
        if let Err(e) = dom.block_job_abort(path, abort_flags) {
            return ctl.lib_fail(e, &format!("failed to finish job for disk {path}"));
        }
        ctl.print_extra("\nCommit complete, overlay image kept");
    } else {
        ctl.print_extra("\nNow in synchronized phase");
    }
    Ok(())
}

fn cmd_blockpull(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let blocking = cmd.has("wait");
    let verbose = cmd.has("verbose");
    let async_abort = cmd.has("async");
    let bytes = cmd.has("bytes");
    for opt in ["verbose", "async"] {
        if cmd.has(opt) && !blocking {
            return ctl.fail(&format!("Option --wait is required by option --{opt}"));
        }
    }
    let path = ctl.req_str(cmd, "path")?;
    let base = ctl.opt_str(cmd, "base")?;
    let bw = bandwidth(ctl, cmd, bytes)?;
    let timeout = ctl.opt_timeout_ms(cmd)?;
    let mut flags = 0;
    if cmd.has("keep-relative") {
        flags |= DomainBlockRebaseFlags::RELATIVE.bits();
    }
    let (dom, _) = ctl.domain(cmd)?;
    let wait = if blocking {
        Some(Wait::new(
            ctl,
            &dom,
            path,
            "Block Pull",
            verbose,
            timeout,
            async_abort,
        )?)
    } else {
        None
    };
    if base.is_some() || flags != 0 {
        if bytes {
            flags |= DomainBlockRebaseFlags::BANDWIDTH_BYTES.bits();
        }
        ctl.lib(dom.block_rebase(path, base, bw, flags))?;
    } else {
        if bytes {
            flags |= DomainBlockPullFlags::BYTES.bits();
        }
        ctl.lib(dom.block_pull(path, bw, flags))?;
    }
    let Some(wait) = wait else {
        ctl.print_extra("Block Pull started");
        return Ok(());
    };
    match wait.wait(ctl)? {
        s if s == S::CANCELED.0 => {
            ctl.print_extra("\nPull aborted");
            Err(Failed)
        }
        s if s == S::FAILED.0 => {
            ctl.print_extra("\nPull failed");
            Err(Failed)
        }
        _ => {
            ctl.print_extra("\nPull complete");
            Ok(())
        }
    }
}

/// vshPrettyCapacity with `%-.3lf %s`.
fn pretty(val: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut i = 0;
    let mut div = 1f64;
    while i + 1 < UNITS.len() && val as f64 >= div * 1024.0 {
        div *= 1024.0;
        i += 1;
    }
    format!("{:.3} {}", val as f64 / div, UNITS[i])
}

fn cmd_blockjob(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let raw = cmd.has("raw");
    let bytes = cmd.has("bytes");
    let abort = cmd.has("abort");
    let pivot = cmd.has("pivot");
    let async_abort = cmd.has("async");
    let bw = cmd.has("bandwidth");
    ctl.exclusive(
        cmd,
        &[
            ("raw", "abort"),
            ("raw", "pivot"),
            ("raw", "async"),
            ("raw", "bandwidth"),
            ("info", "abort"),
            ("info", "pivot"),
            ("info", "async"),
            ("info", "bandwidth"),
            ("bytes", "abort"),
            ("bytes", "pivot"),
            ("bytes", "async"),
        ],
    )?;
    let (dom, _) = ctl.domain(cmd)?;
    let path = ctl.req_str(cmd, "path")?;
    if bw {
        let flags = if bytes {
            rvirt::flags::DomainBlockJobSetSpeedFlags::BYTES.bits()
        } else {
            0
        };
        let b = bandwidth(ctl, cmd, bytes)?;
        return ctl.lib(dom.block_job_set_speed(path, b, flags));
    }
    if abort || pivot || async_abort {
        let mut flags = 0;
        if async_abort {
            flags |= DomainBlockJobAbortFlags::ASYNC.bits();
        }
        if pivot {
            flags |= DomainBlockJobAbortFlags::PIVOT.bits();
        }
        return ctl.lib(dom.block_job_abort(path, flags));
    }
    // Bytes/s first unless --raw; MiB/s when the driver refuses it (as virsh falls back).
    let bytes_flag = rvirt::flags::DomainBlockJobInfoFlags::BYTES.bits();
    let mut got = None;
    let mut speed = 0;
    if bytes || !raw {
        match dom.get_block_job_info(path, bytes_flag) {
            Ok(i) => {
                speed = i.map_or(0, |i| i.bandwidth);
                got = Some(i);
            }
            Err(e)
                if !bytes && matches!(e.code, ErrorNumber::INVALID_ARG | ErrorNumber::OVERFLOW) => {
            }
            Err(e) => return ctl.lib(Err::<(), Error>(e)),
        }
    }
    let info = match got {
        Some(i) => i,
        None => {
            let i = ctl.lib(dom.get_block_job_info(path, 0))?;
            speed = i.map_or(0, |i| i.bandwidth);
            if !raw {
                speed <<= 20;
            }
            i
        }
    };
    let Some(info) = info else {
        if !raw {
            ctl.print_extra(&format!("No current block job for {path}"));
        }
        return Ok(());
    };
    if raw {
        ctl.print(&format!(
            " type={}\n bandwidth={}\n cur={}\n end={}\n",
            job_type_name(info.job_type),
            info.bandwidth,
            info.cur,
            info.end
        ));
    } else {
        progress(
            ctl,
            job_type_name(info.job_type),
            info.end.saturating_sub(info.cur),
            info.end,
        );
        if speed > 0 {
            ctl.print(&format!(
                "    Bandwidth limit: {speed} bytes/s ({}/s)",
                pretty(speed)
            ));
        }
        ctl.print("\n");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_as_virsh_prints_it() {
        assert_eq!(pretty(1 << 20), "1.000 MiB");
        assert_eq!(pretty(1536), "1.500 KiB");
        assert_eq!(pretty(100), "100.000 B");
    }

    #[test]
    fn names() {
        assert_eq!(job_type_name(4), "Active Block Commit");
        assert_eq!(job_type_name(9), "Unknown job");
        assert_eq!(status_name(3), "ready");
        assert_eq!(status_name(7), "unknown");
    }
}
