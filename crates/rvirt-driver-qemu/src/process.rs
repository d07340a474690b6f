//! Running domains: QEMU as this process's own child, watched through a pidfd; its monitor;
//! the status file that lets a restarted driver reattach; and the one place where a QEMU's
//! end becomes a shut-off domain and a lifecycle event.
//!
//! Every QEMU process, monitor and watcher lives on one runtime owned by the driver crate
//! ([`rt`]): the driver's own futures run under any executor (pollster in the blocking API,
//! tokio in rvirtd) and only wait on it. No domain lock is held across monitor I/O, so a
//! stuck QEMU fails its own calls at the monitor deadline and never slows other domains.
//!
//! A driver that is dropped detaches from its QEMU processes without stopping them: the next
//! driver opened on the same root reads the status files in `run/qemu`, checks each pid is
//! still the QEMU it started (its start time), watches it with `pidfd_open` and reconnects
//! its monitor.

use crate::{FROM, QemuDriver, util};
use parking_lot::Mutex;
use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use rvirt_driver::{DomainEvent, DomainObj};
use rvirt_qmp::{EventKind, Monitor, MonitorOptions, Pidfd};
use rvirt_types::domain::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

type E = DomainEventType;

/// The runtime QEMU processes, monitors and watchers run on: the daemon's own (see
/// [`run_monitor_calls_on_caller_runtime`]), or one the driver starts on first use and never
/// drops.
pub(crate) fn rt() -> &'static Handle {
    RT.get_or_init(|| {
        static OWN: OnceLock<Runtime> = OnceLock::new();
        OWN.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("rvirt-qemu")
                .enable_all()
                .build()
                .expect("cannot start the QEMU driver's runtime")
        })
        .handle()
        .clone()
    })
}

/// See [`rt`].
static RT: OnceLock<Handle> = OnceLock::new();

/// Set by [`run_monitor_calls_on_caller_runtime`].
static ON_CALLER_RUNTIME: AtomicBool = AtomicBool::new(false);

/// How long after a pause or resume the status file is rewritten
/// ([`QemuDriver::save_status_soon`]).
const STATUS_DELAY: Duration = Duration::from_millis(20);

/// Held while a status file is written or removed, so that a write racing with a domain's end
/// cannot put back the file the end removed, and writers take turns with the companion file
/// ([`util::write_replace`]).
static STATUS_FILES: Mutex<()> = Mutex::new(());

/// For a daemon whose calls into the driver run as tasks of its own multi-threaded tokio
/// runtime and never block its workers (rvirtd). Called from inside that runtime before the
/// driver is first used, it makes the driver run its QEMU processes, monitors and watchers on
/// that runtime instead of starting one of its own: a monitor's reply, its events and the
/// client's call are then handled by the same threads, most often by the one that read the
/// reply, with no wake-up of another runtime's thread on the way (measured on this machine:
/// about a tenth of a millisecond per call after the guest idled, and two threads fewer).
/// Later, or outside a multi-threaded runtime, a call's monitor exchange still runs as a task
/// of the caller's runtime instead of being handed to the driver's runtime and back. Either
/// way the exchange is a task of its own, so it completes even if the caller stops waiting.
/// Off by default: a program that blocks a runtime worker on a driver call (a blocking wrapper
/// called inside a task) could otherwise wait for a task that worker can never run.
pub fn run_monitor_calls_on_caller_runtime(on: bool) {
    ON_CALLER_RUNTIME.store(on, Ordering::Relaxed);
    if on && let Some(h) = current_multi_thread() {
        // A driver already running on its own runtime keeps it.
        let _ = RT.set(h);
    }
}

/// The multi-threaded tokio runtime the caller runs in, if it runs in one.
fn current_multi_thread() -> Option<Handle> {
    Handle::try_current()
        .ok()
        .filter(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread)
}

/// Runs `fut` on the driver's runtime and waits for it from any executor.
pub(crate) async fn on_rt<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    joined(rt().spawn(fut).await)
}

/// A driver task's outcome, its panic or cancellation as an internal error.
fn joined<T>(r: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    r.map_err(|e| Error::internal(FROM, format!("QEMU driver task failed: {e}")))
}

/// libvirt's error for a job whose QEMU ended under it.
pub(crate) fn guest_quit() -> Error {
    Error::internal(FROM, "guest unexpectedly quit")
}

/// `job`, unless the QEMU behind `exited` ([`Proc::exited_rx`]) ends first: then
/// [`guest_quit`].
pub(crate) async fn unless_quit<T>(
    exited: &mut tokio::sync::watch::Receiver<bool>,
    job: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        r = job => r,
        _ = exited.wait_for(|v| *v) => Err(guest_quit()),
    }
}

/// libvirt's error for a failed monitor command (see `rvirt_qmp::Error`'s mapping).
pub(crate) fn qmp_error(e: rvirt_qmp::Error) -> Error {
    use rvirt_qmp::ErrorClass as C;
    let code = match e.class() {
        C::Timeout => ErrorNumber::OPERATION_TIMEOUT,
        C::Failed => ErrorNumber::OPERATION_FAILED,
        C::Unsupported => ErrorNumber::OPERATION_UNSUPPORTED,
        C::Internal | C::QemuRefused => ErrorNumber::INTERNAL_ERROR,
    };
    let detail = match &e {
        // libvirt's words for a command QEMU refused.
        rvirt_qmp::Error::Qemu { command, desc, .. } => {
            format!("unable to execute QEMU command '{command}': {desc}")
        }
        other => other.to_string(),
    };
    Error::with_detail(FROM, code, detail)
}

/// A running domain's QEMU process.
pub struct Proc {
    /// The process id.
    pub pid: i32,
    /// Its start time (clock ticks since boot, `/proc/PID/stat`), which tells it from a later
    /// process that reuses the pid.
    pub starttime: u64,
    pidfd: Pidfd,
    monitor: Mutex<Option<Monitor>>,
    private_dir: PathBuf,
    /// A destroy is under way: the exit is the destroy's, not a crash.
    pub(crate) destroying: AtomicBool,
    /// The destroy is a snapshot's (revert, halt): the domain shuts off `from snapshot`.
    from_snapshot: AtomicBool,
    /// The destroy follows a core dump asked to crash the guest: the domain shuts off
    /// crashed.
    pub(crate) dump_crash: AtomicBool,
    /// The guest (or the host) shut the machine down: the exit is a shutdown, not a crash.
    got_shutdown: AtomicBool,
    /// The guest's state went to a save image: the exit is a save.
    pub(crate) saved: AtomicBool,
    /// A save is under way.
    pub(crate) saving: AtomicBool,
    /// The save under way, as a job that job info reports and a client can abort.
    pub(crate) save_job: Mutex<Option<crate::job::SaveJob>>,
    /// The block jobs (commit, pull) under way, by disk target.
    pub(crate) block_jobs: Mutex<HashMap<String, Arc<crate::blockjob::BlockJob>>>,
    /// The pause reason the next `STOP` event stands for.
    pub(crate) pause_reason: AtomicI32,
    /// The running reason the next `RESUME` event stands for.
    pub(crate) resume_reason: AtomicI32,
    /// A reboot asked for a fake reboot: the guest's next shutdown resets and resumes it
    /// (libvirt's `fakeReboot`).
    pub(crate) fake_reboot: AtomicBool,
    /// QEMU stopped at a shutdown that a fake reboot turns into a reset: its `STOP` is not a
    /// pause (libvirt's `pausedShutdown`).
    paused_shutdown: AtomicBool,
    /// The guest panicked and QEMU is pausing it: the `STOP` that follows pauses the domain,
    /// then its crash is handled (`crash.rs`), in libvirt's order of events.
    pub(crate) panicked: AtomicBool,
    /// A rewrite of the status file is scheduled ([`QemuDriver::save_status_soon`]).
    status_due: AtomicBool,
    exited: tokio::sync::watch::Sender<bool>,
    /// The number of the last monitor event the watcher handled (see
    /// [`QemuDriver::catch_up`]).
    handled: tokio::sync::watch::Sender<u64>,
    watcher: Mutex<Option<tokio::task::AbortHandle>>,
    /// The connection to the guest agent, made on first use (see `guest_agent.rs`).
    pub(crate) agent: Mutex<Option<Arc<rvirt_qmp::Agent>>>,
    /// libvirt's taint flags of this run (`virDomainTaintFlags` bits; see `control.rs`).
    pub(crate) taint: std::sync::atomic::AtomicU32,
    /// What of the domain's configuration QEMU deprecates (`machine type 'pc-i440fx-1.4'`).
    pub(crate) deprecations: Mutex<Vec<String>>,
    /// The domain's control groups.
    pub(crate) cgroup: crate::cgroup::Cgroup,
    /// The host perf counters of the perf events the domain has enabled.
    pub(crate) perf: Mutex<crate::perf::PerfEvents>,
}

impl Proc {
    /// Stops watching the process (it keeps running) and closes the monitor.
    pub(crate) fn detach(&self) {
        if let Some(w) = self.watcher.lock().take() {
            w.abort();
        }
        if let Some(m) = self.monitor.lock().take() {
            m.close();
        }
    }

    /// The domain's private folder (monitor socket, helpers' sockets, scratch files).
    pub(crate) fn private_dir(&self) -> &Path {
        &self.private_dir
    }

    pub(crate) fn monitor(&self) -> Result<Monitor> {
        self.monitor.lock().clone().ok_or_else(|| {
            Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                "QEMU monitor is not connected",
            )
        })
    }

    /// Removes what the ended process leaves on the host, its control groups (removing one
    /// waits for the kernel, milliseconds each) and its private folder, on the cleaner thread
    /// (see [`crate::cgroup::Cgroup::remove_later`]): not on the way of whoever waits for the
    /// end (a destroy, a save).
    fn remove_leftovers(&self) {
        let dir = self.private_dir.clone();
        self.cgroup.clone().remove_later(move || {
            // QEMU removes its monitor socket as it exits: most often the folder is empty.
            if std::fs::remove_dir(&dir).is_err() {
                let _ = std::fs::remove_dir_all(&dir);
            }
        });
    }

    /// A receiver that turns `true` once the watcher has handled the process's end.
    pub(crate) fn exited_rx(&self) -> tokio::sync::watch::Receiver<bool> {
        self.exited.subscribe()
    }

    /// CPU time used by the process, in nanoseconds.
    pub(crate) fn cpu_time(&self) -> u64 {
        proc_stat(self.pid).map_or(0, |s| {
            // SAFETY: sysconf has no memory effects.
            let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
            (s.utime + s.stime) * 1_000_000_000 / hz
        })
    }
}

struct ProcStat {
    /// The process has exited and waits to be reaped (a zombie).
    ended: bool,
    utime: u64,
    stime: u64,
    starttime: u64,
}

fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces and parentheses) start at field 3.
    let (_, rest) = text.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        ended: matches!(f.first(), Some(&("Z" | "X" | "x"))),
        utime: f.get(11)?.parse().ok()?,
        stime: f.get(12)?.parse().ok()?,
        starttime: f.get(19)?.parse().ok()?,
    })
}

/// What a status file records about a running domain.
struct Status {
    pid: i32,
    starttime: u64,
    monitor: PathBuf,
    private_dir: PathBuf,
    state: DomainState,
    reason: i32,
    def: DomainDef,
    id: i32,
    /// The block jobs under way.
    block_jobs: Vec<Arc<crate::blockjob::BlockJob>>,
    /// The taint flags of the running QEMU (a bit per `virDomainTaintFlags` value).
    taint: u32,
    /// The agent's response timeout set for the domain (`virDomainAgentSetResponseTimeout`).
    agent_timeout: Option<i32>,
    /// The deprecated parts of the configuration QEMU runs.
    deprecations: Vec<String>,
}

fn status_xml(st: &Status) -> String {
    let agent = st
        .agent_timeout
        .map(|t| format!(" agentTimeout='{t}'"))
        .unwrap_or_default();
    let mut out = format!(
        "<domstatus state='{}' reason='{}' pid='{}'>\n  <monitor path='{}' type='unix'/>\n  \
         <process starttime='{}' privateDir='{}' taint='{}'{agent}/>\n",
        st.state.0,
        st.reason,
        st.pid,
        xml_escape(&st.monitor.display().to_string()),
        st.starttime,
        xml_escape(&st.private_dir.display().to_string()),
        st.taint,
    );
    for d in &st.deprecations {
        out.push_str(&format!("  <deprecation>{}</deprecation>\n", xml_escape(d)));
    }
    if let Some(cpu) = &st.def.extras.orig_cpu {
        push_indented(&mut out, &cpu.to_xml());
    }
    if !st.block_jobs.is_empty() {
        out.push_str("  <blockjobs>\n");
        for j in &st.block_jobs {
            out.push_str(&j.status_xml("    "));
        }
        out.push_str("  </blockjobs>\n");
    }
    let def = st.def.format_xml(FormatOptions {
        id: Some(st.id),
        inactive: false,
        secure: true,
        migratable: false,
        status: true,
    });
    push_indented(&mut out, &def);
    out.push_str("</domstatus>\n");
    out
}

/// `text`'s lines, each indented one level, as children of `<domstatus>`.
fn push_indented(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('\'', "&apos;")
}

fn parse_status(text: &str) -> Option<Status> {
    let doc = roxmltree::Document::parse(text).ok()?;
    let root = doc.root_element();
    let child = |n: &str| root.children().find(|c| c.has_tag_name(n));
    let dom = child("domain")?;
    let process = child("process")?;
    Some(Status {
        pid: root.attribute("pid")?.parse().ok()?,
        state: DomainState(root.attribute("state")?.parse().ok()?),
        reason: root.attribute("reason")?.parse().ok()?,
        monitor: child("monitor")?.attribute("path")?.into(),
        starttime: process.attribute("starttime")?.parse().ok()?,
        private_dir: process.attribute("privateDir")?.into(),
        id: dom.attribute("id")?.parse().ok()?,
        def: {
            let mut def = DomainDef::parse_node(dom, ParseOptions { live: true }).ok()?;
            // The CPU as it was before QEMU's was written into it (libvirt's origCPU).
            def.extras.orig_cpu = child("cpu")
                .and_then(|c| rvirt_conf::domain::CpuDef::from_xml(&text[c.range()]).ok())
                .map(Box::new);
            def
        },
        block_jobs: child("blockjobs")
            .map(|b| {
                b.children()
                    .filter(|c| c.has_tag_name("blockjob"))
                    .filter_map(crate::blockjob::BlockJob::from_status)
                    .map(Arc::new)
                    .collect()
            })
            .unwrap_or_default(),
        // Files written before these were kept: the taint of a QEMU run as root, no timeout.
        taint: process
            .attribute("taint")
            .and_then(|t| t.parse().ok())
            .unwrap_or(1 << crate::control::TAINT_HIGH_PRIVILEGES),
        agent_timeout: process
            .attribute("agentTimeout")
            .and_then(|t| t.parse().ok()),
        deprecations: root
            .children()
            .filter(|c| c.has_tag_name("deprecation"))
            .filter_map(|c| c.text().map(str::to_string))
            .collect(),
    })
}

tokio::task_local! {
    /// Set while the watcher of a domain handles one of its events: a call made from there
    /// must not wait for the watcher to catch up with itself.
    static IN_WATCHER: ();
}

/// The longest a call waits for the watcher to handle the events its command caused (a
/// watcher stuck in a slow event handler must not hold a call up for long).
const CATCH_UP_LIMIT: Duration = Duration::from_millis(500);

/// A wait for the watcher of a domain to handle the events a command caused (see
/// [`QemuDriver::catch_up`]).
struct CatchUp {
    handled: tokio::sync::watch::Receiver<u64>,
    exited: tokio::sync::watch::Receiver<bool>,
}

impl CatchUp {
    /// `None` where there is nothing to wait for: inside the watcher itself, or before the
    /// watcher starts (it handles the queued events first thing once it does).
    fn new(p: &Proc) -> Option<CatchUp> {
        if IN_WATCHER.try_with(|_| ()).is_ok() || p.watcher.lock().is_none() {
            return None;
        }
        Some(CatchUp {
            handled: p.handled.subscribe(),
            exited: p.exited.subscribe(),
        })
    }

    /// Whether the watcher has handled every event `mon` published so far (or is gone).
    fn done(&self, mon: &Monitor) -> bool {
        *self.handled.borrow() >= mon.events_published() || *self.exited.borrow()
    }

    /// Waits, at most [`CATCH_UP_LIMIT`], until [`CatchUp::done`]. Runs on the driver's
    /// runtime (its timer).
    async fn wait(mut self, mon: &Monitor) {
        if self.done(mon) {
            return;
        }
        let target = mon.events_published();
        let wait = async {
            tokio::select! {
                _ = self.handled.wait_for(|&h| h >= target) => {}
                _ = self.exited.wait_for(|&gone| gone) => {}
            }
        };
        let _ = tokio::time::timeout(CATCH_UP_LIMIT, wait).await;
    }
}

/// Where a restored domain's state comes from.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The save image, positioned at the start of the migration stream.
    pub(crate) file: std::fs::File,
    /// The caller asked for a paused start (the SUSPENDED event says PAUSED, not RESTORED).
    pub(crate) start_paused: bool,
}

/// Feeds a QEMU started with `-incoming defer` the migration stream in `file` and waits until
/// it has loaded it (QEMU stays paused: it runs with `-S`). QEMU's `MIGRATION` events (turned
/// on when the monitor was connected, see [`enable_migration_events`]) say at once when the
/// load ends: the wait does not overshoot it by a poll period.
async fn load_state(mon: &Monitor, file: &std::fs::File) -> Result<()> {
    use std::os::fd::AsRawFd;
    mon.getfd("restore", file.as_raw_fd())
        .await
        .map_err(qmp_error)?;
    let events = mon.events();
    mon.execute(
        "migrate-incoming",
        Some(serde_json::json!({ "uri": "fd:restore" })),
    )
    .await
    .map_err(qmp_error)?;
    wait_migration(mon, "start", events).await.map(|_| ())
}

/// Turns on QEMU's `MIGRATION` events, as libvirt does on every monitor it connects: a wait
/// for a migration (save, restore, core dump) then ends when its event comes instead of at the
/// next poll. Without them (a QEMU that refuses, a domain reattached to) the waits poll.
pub(crate) async fn enable_migration_events(mon: &Monitor) {
    if let Err(e) = mon.migrate_set_capabilities(&[("events", true)]).await {
        tracing::debug!(error = %e, "QEMU keeps its migration events off");
    }
}

/// Whether `ev` says a migration reached an end (completed, failed, cancelled).
fn migration_ended(ev: &rvirt_qmp::Event) -> bool {
    matches!(
        ev.kind(),
        EventKind::Migration { status }
            if matches!(status.as_str(), "completed" | "failed" | "cancelled")
    )
}

/// Polls `query-migrate` until the migration (out or in) completes, and gives its last
/// statistics; libvirt's error, naming the job as libvirt does (`domain save`, `start`), when
/// it fails. `events` is a receiver subscribed before the migration started: a `MIGRATION`
/// event that says the migration ended makes the next poll at once instead of at the end of
/// the poll period (a QEMU without those events is simply polled).
pub(crate) async fn wait_migration(
    mon: &Monitor,
    job: &str,
    mut events: rvirt_qmp::EventReceiver,
) -> Result<rvirt_qmp::MigrationInfo> {
    // Every millisecond for the first 100 ms (a small guest's state is written in a few: a
    // doubling period would overshoot the end by as much again), then every 20 ms for a long
    // one.
    let started = std::time::Instant::now();
    loop {
        let info = mon.query_migrate().await.map_err(qmp_error)?;
        match info.status.as_deref() {
            Some("completed") => return Ok(info),
            Some("failed") => {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_FAILED,
                    match info.error_desc {
                        Some(why) => format!("job '{job}' failed: {why}"),
                        None => format!("job '{job}' unexpectedly failed"),
                    },
                ));
            }
            Some("cancelled") => {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_ABORTED,
                    format!("job '{job}' canceled by client"),
                ));
            }
            _ => {
                let pause = if started.elapsed() < Duration::from_millis(100) {
                    Duration::from_millis(1)
                } else {
                    Duration::from_millis(20)
                };
                let ended = async {
                    loop {
                        match events.recv().await {
                            Ok(ev) if migration_ended(&ev) => break,
                            Ok(_) => {}
                            // Missed events: the poll tells.
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                                std::future::pending::<()>().await
                            }
                        }
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = ended => {}
                }
            }
        }
    }
}

/// The last lines QEMU printed, for an error about a QEMU that would not start.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// What QEMU printed since `from` (this start's output, after the command line we logged), for
/// an error about a QEMU that would not start: as libvirt reads it, the last 1024 bytes at
/// most, from a line start where one is near, without the final newline.
fn log_since(path: &Path, from: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.seek(SeekFrom::Start(from));
        let _ = f.read_to_end(&mut text);
    }
    let text = String::from_utf8_lossy(&text);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    const MAX: usize = 1024;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut skip = text.len() - MAX;
    while !text.is_char_boundary(skip) {
        skip += 1;
    }
    let tail = &text[skip..];
    // Start at the next whole line, unless that leaves nothing.
    match tail.split_once('\n') {
        Some((_, rest)) if !text[..skip].ends_with('\n') && !rest.trim().is_empty() => {
            rest.to_string()
        }
        _ => tail.to_string(),
    }
}

/// libvirt's error for a QEMU that ended before its monitor answered: `internal error:
/// process exited while connecting to monitor: OUTPUT` (no `: OUTPUT` when it printed nothing).
fn exited_while_connecting(output: &str) -> Error {
    const PREFIX: &str = "process exited while connecting to monitor";
    Error::internal(
        FROM,
        if output.trim().is_empty() {
            PREFIX.to_string()
        } else {
            format!("{PREFIX}: {output}")
        },
    )
}

/// libvirt's check of an emulator before it runs or probes one: `Cannot check QEMU binary
/// PATH: ERRNO` when it cannot be found, `QEMU binary PATH is not executable` otherwise.
pub(crate) fn check_emulator(binary: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(binary).map_err(|e| {
        Error::system(
            FROM,
            format!("Cannot check QEMU binary {}", binary.display()),
            &e,
        )
    })?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(Error::system(
            FROM,
            format!("QEMU binary {} is not executable", binary.display()),
            &std::io::Error::from_raw_os_error(libc::EACCES),
        ));
    }
    Ok(())
}

/// How [`QemuDriver::start_domain_how`] starts a domain.
#[derive(Debug, Default)]
pub(crate) struct StartHow {
    /// Leave the CPUs stopped.
    pub(crate) paused: bool,
    /// Started by a snapshot revert.
    pub(crate) from_snapshot: bool,
    /// The internal snapshot (tag) to load before the CPUs first run.
    pub(crate) load: Option<String>,
    /// The save image to restore the domain's state from.
    pub(crate) incoming: Option<Incoming>,
    /// The UEFI variable store is made anew from its template (`--reset-nvram`).
    pub(crate) reset_nvram: bool,
}

impl StartHow {
    /// A fresh start: neither a restore nor the load of a snapshot's state (where the
    /// firmware was chosen by the start that made them).
    fn is_new(&self) -> bool {
        self.incoming.is_none() && self.load.is_none()
    }
}

impl QemuDriver {
    fn status_path(&self, name: &str) -> PathBuf {
        self.dirs.qemu_state.join(format!("{name}.xml"))
    }

    /// Writes the status file of domain `name`.
    fn write_status(&self, name: &str, status: &Status) -> std::io::Result<()> {
        let _writing = STATUS_FILES.lock();
        util::write_replace(&self.status_path(name), status_xml(status).as_bytes())
    }

    /// Removes the status file of domain `name` (a file already gone is fine).
    fn remove_status(&self, name: &str) {
        let _writing = STATUS_FILES.lock();
        util::remove_replaced(&self.status_path(name));
    }

    fn monitor_options(&self) -> MonitorOptions {
        MonitorOptions {
            deadline: self.monitor_timeout(),
            ..MonitorOptions::default()
        }
    }

    /// Starts `def` (already filled by the capabilities) as domain `obj`: spawns QEMU stopped,
    /// connects its monitor, resumes it unless `paused`, records the status file, and emits
    /// what libvirt emits: RESUMED then STARTED, or STARTED then SUSPENDED when paused.
    pub(crate) async fn start_domain(
        &self,
        obj: &Arc<DomainObj>,
        def: DomainDef,
        paused: bool,
    ) -> Result<()> {
        self.start_domain_how(
            obj,
            def,
            StartHow {
                paused,
                ..StartHow::default()
            },
        )
        .await
    }

    /// Starts domain `obj` as [`QemuDriver::start_domain`] does, or, with `incoming`, from a
    /// save image: QEMU waits for its state (`-incoming defer`), loads the stream, and runs
    /// unless `paused`; then STARTED/RESTORED and, as libvirt's RESUME handler words it,
    /// RESUMED/FROM_SNAPSHOT, or SUSPENDED (PAUSED when the caller asked for a paused start,
    /// else RESTORED).
    pub(crate) async fn launch(
        &self,
        obj: &Arc<DomainObj>,
        def: DomainDef,
        paused: bool,
        incoming: Option<Incoming>,
        reset_nvram: bool,
    ) -> Result<()> {
        let how = StartHow {
            paused,
            incoming,
            reset_nvram,
            ..StartHow::default()
        };
        self.start_domain_how(obj, def, how).await
    }

    /// [`QemuDriver::start_domain`] as `how` says: for a snapshot revert no event is emitted
    /// (the caller emits what libvirt emits for it), and an internal snapshot may be loaded
    /// before the CPUs first run (the domain then runs or pauses `from snapshot`); a save image
    /// may be loaded instead (see [`QemuDriver::launch`]).
    pub(crate) async fn start_domain_how(
        &self,
        obj: &Arc<DomainObj>,
        mut def: DomainDef,
        how: StartHow,
    ) -> Result<()> {
        // The firmware, as libvirt selects it for this start.
        let fill = crate::firmware::FillHow {
            new: how.is_new(),
            reset_nvram: how.reset_nvram,
        };
        crate::firmware::select(&mut def, &self.nvram_dir(), fill)?;
        // The live definition names every device as its QEMU id (libvirt's aliases).
        crate::alias::assign(&mut def);
        self.prepare_disk_sources(&mut def)?;
        crate::disk_index::assign(&mut def);
        self.dac.gen_label(&mut def)?;
        let paused = how.paused;
        let uuid = obj.uuid;
        {
            // Mark the domain as starting, so that a second start fails at once.
            let mut starting = self.starting.lock();
            if self.procs.lock().contains_key(&uuid)
                || obj.lock().is_active()
                || !starting.insert(uuid)
            {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is already running",
                ));
            }
        }
        let restore = how.incoming.as_ref().map(|i| i.start_paused);
        let res = self.spawn_and_connect(&mut def, &how).await;
        let (proc_, events, id, cpu_live) = match res {
            Ok(v) => v,
            Err(e) => {
                self.starting.lock().remove(&uuid);
                // Ports taken on virtual networks go back with the failed start.
                for n in &def.devices.interfaces {
                    self.release_network_interface(n);
                }
                return Err(e);
            }
        };
        let extras = &mut *def.extras;
        if let (Some(features), Some(cpu)) = (cpu_live, extras.cpu.as_deref_mut()) {
            crate::cpu_live::apply(cpu, features, &mut extras.orig_cpu);
        }
        let proc_ = Arc::new(proc_);
        self.procs.lock().insert(uuid, proc_.clone());
        self.starting.lock().remove(&uuid);
        self.check_deprecations(&proc_, &def).await;
        // A fresh start reads the balloon back (a restore or a snapshot's load keeps the
        // size the image had).
        let fresh = how.incoming.is_none() && how.load.is_none();
        let mut def = self.after_start(&proc_, def, fresh).await;
        // A guest in control groups is in libvirt's default partition, as its live XML says.
        if proc_.cgroup.any() && def.extras.partition.is_none() {
            def.extras.partition = Some("/machine".into());
        }
        let def = Arc::new(def);
        let (dref, state, reason) = {
            let mut st = obj.lock();
            st.id = id;
            if st.persistent && st.new_def.is_none() {
                st.new_def = Some(st.def.clone());
            }
            st.def = def.clone();
            (st.state, st.reason) = match (paused, restore.is_some(), how.load.is_some()) {
                (true, true, _) => (DomainState::PAUSED, DomainPausedReason::MIGRATION.0),
                (true, false, true) => (DomainState::PAUSED, DomainPausedReason::FROM_SNAPSHOT.0),
                (true, false, false) => (DomainState::PAUSED, DomainPausedReason::USER.0),
                (false, true, _) => (DomainState::RUNNING, DomainRunningReason::RESTORED.0),
                (false, false, true) => {
                    (DomainState::RUNNING, DomainRunningReason::FROM_SNAPSHOT.0)
                }
                (false, false, false) => (DomainState::RUNNING, DomainRunningReason::BOOTED.0),
            };
            (st.to_ref(uuid), st.state, st.reason)
        };
        let status = Status {
            pid: proc_.pid,
            starttime: proc_.starttime,
            monitor: proc_.private_dir.join("monitor.sock"),
            private_dir: proc_.private_dir.clone(),
            state,
            reason,
            def: (*def).clone(),
            id,
            block_jobs: Vec::new(),
            taint: proc_.taint.load(Ordering::Relaxed),
            agent_timeout: self.agent_timeouts.lock().get(&uuid).copied(),
            deprecations: proc_.deprecations.lock().clone(),
        };
        let _ = std::fs::create_dir_all(&self.dirs.qemu_state);
        if let Err(e) = self.write_status(&def.name, &status) {
            // Without a status file the domain could not be reattached: do not keep it.
            let _ = proc_.pidfd.signal(libc::SIGKILL);
            return Err(Error::system(
                FROM,
                format!("cannot save status file of domain '{}'", def.name),
                &e,
            ));
        }
        self.watch(uuid, proc_.clone(), Some(events));
        // The start's own `cont` (its RESUME) is handled before anything else changes state.
        self.catch_up(&proc_).await;
        if how.from_snapshot {
            return Ok(());
        }
        if let Some(start_paused) = restore {
            self.events.emit(DomainEvent::lifecycle(
                dref.clone(),
                E::STARTED,
                DomainEventStartedDetailType::RESTORED.0,
            ));
            let (event, detail) = match (paused, start_paused) {
                (true, true) => (E::SUSPENDED, DomainEventSuspendedDetailType::PAUSED.0),
                (true, false) => (E::SUSPENDED, DomainEventSuspendedDetailType::RESTORED.0),
                (false, _) => (E::RESUMED, DomainEventResumedDetailType::FROM_SNAPSHOT.0),
            };
            self.events
                .emit(DomainEvent::lifecycle(dref, event, detail));
            return Ok(());
        }
        if !paused {
            // libvirt reports the first `cont` (its RESUME event) before the start itself.
            self.events.emit(DomainEvent::lifecycle(
                dref.clone(),
                E::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0,
            ));
        }
        self.events.emit(DomainEvent::lifecycle(
            dref.clone(),
            E::STARTED,
            DomainEventStartedDetailType::BOOTED.0,
        ));
        if paused {
            self.events.emit(DomainEvent::lifecycle(
                dref,
                E::SUSPENDED,
                DomainEventSuspendedDetailType::PAUSED.0,
            ));
        }
        Ok(())
    }

    async fn spawn_and_connect(
        &self,
        def: &mut DomainDef,
        how: &StartHow,
    ) -> Result<(
        Proc,
        rvirt_qmp::EventReceiver,
        i32,
        Option<Vec<(String, String)>>,
    )> {
        let paused = how.paused;
        let load = how.load.clone();
        // The image's own descriptor shares its position: the stream starts where the header
        // ended.
        let incoming = match &how.incoming {
            Some(i) => Some(i.file.try_clone().map_err(|e| {
                Error::system(FROM, "cannot duplicate the save image's descriptor", &e)
            })?),
            None => None,
        };
        // The guest CPU as QEMU is to run it (libvirt's qemuProcessUpdateGuestCPU), settled
        // against the host model of the guest's accelerator.
        let fresh = how.incoming.is_none() && how.load.is_none();
        self.settle_guest_cpu(def, fresh).await?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A fresh start gives QEMU aligned memory sizes, and the live definition says so
        // (a restored or reverted guest keeps its image's).
        if how.incoming.is_none() && how.load.is_none() {
            crate::memdev::align_sizes(def);
        }
        // numad's nodes for a guest placed automatically (asked at each start, as libvirt).
        let advice = crate::numad::advise(def).await?;
        // Automatic console ports, held until QEMU listens on them (the end of this call).
        // A start they fail has used up its id, as with libvirt.
        let _ports = crate::ports::assign_graphics_ports(def, &self.config)?;
        let short = util::short_name(id, &def.name);
        let private_dir = self.dirs.qemu_lib.join(format!("domain-{short}"));
        let sys = |what: String| move |e: std::io::Error| Error::system(FROM, what, &e);
        std::fs::create_dir_all(&private_dir)
            .map_err(sys(format!("cannot create '{}'", private_dir.display())))?;
        std::fs::create_dir_all(&self.dirs.qemu_log).map_err(sys(format!(
            "cannot create '{}'",
            self.dirs.qemu_log.display()
        )))?;
        // A UEFI guest's variable store, from its template when it has none yet.
        crate::firmware::prepare_nvram(
            def,
            &self.config.nvram,
            how.reset_nvram,
            self.dac.qemu_ids(),
        )?;
        // Unix channels without a path (the guest agent's, as usually written) get one in the
        // domain's channel folder, as libvirt's qemuDomainPrepareChannel gives them.
        let channel_dir = self
            .dirs
            .qemu_lib
            .join("channel/target")
            .join(format!("domain-{short}"));
        crate::startup::prepare_chardevs_tls(def);
        if crate::startup::prepare_channels(def, &channel_dir) {
            std::fs::create_dir_all(&channel_dir)
                .map_err(sys(format!("cannot create '{}'", channel_dir.display())))?;
        }
        let monitor = private_dir.join("monitor.sock");
        let _ = std::fs::remove_file(&monitor);
        // Where the consoles listen, filled in as the live definition shows it; their
        // passwords go to QEMU over the monitor before the guest runs.
        crate::graphics::setup_listens(def, &self.config, &private_dir, &|n| {
            self.graphics_network_address(n)
        })?;
        let passwords = crate::graphics::passwords(def, &self.config);
        let default_emulator = crate::caps::emulator_for_arch("x86_64").unwrap_or_default();
        // virtiofsd for each virtio-fs share (and the shared RAM's folder) before QEMU, which
        // connects to them; stopped again if the start fails.
        let fs_daemons = crate::virtiofs::start(def, &self.dirs, &self.config, &private_dir)?;
        // Tap devices: their names go into the live definition, their descriptors to QEMU
        // (and, should the start fail, they go away with them).
        let owner = (def.name.clone(), def.uuid);
        for i in 0..def.devices.interfaces.len() {
            if let Err(e) =
                self.resolve_network_interface(&mut def.devices.interfaces[i], (&owner.0, owner.1))
            {
                for done in &def.devices.interfaces[..i] {
                    self.release_network_interface(done);
                }
                return Err(e);
            }
        }
        // macvtap links are deleted should the start fail from here on.
        let (taps, links) = crate::nethost::connect_all(def, &self.dirs.qemu_state)?;
        // Bandwidth limits on the host side of the interfaces, before the guest can send.
        for n in def
            .devices
            .interfaces
            .iter()
            .filter(|n| crate::qos::supported(n))
        {
            if let Some(ifname) = n.target_dev.as_deref()
                && n.extra.iter().any(|e| e.name == "bandwidth")
            {
                crate::qos::set(ifname, n)?;
            }
        }
        let tap_fds: Vec<(String, Vec<i32>)> = taps
            .iter()
            .map(|(alias, t)| {
                use std::os::fd::AsRawFd;
                (alias.clone(), t.fds.iter().map(|f| f.as_raw_fd()).collect())
            })
            .collect();
        let log_path = self.dirs.qemu_log.join(format!("{}.log", def.name));
        // The TPM emulator, before QEMU connects to it (killed if the start fails).
        let tpm = crate::tpm::start_blocking(
            &self.dirs,
            def,
            id,
            incoming.is_some(),
            self.dac.swtpm_ids(),
            &log_path,
        )
        .await?;
        let mut cmd = crate::command::build(
            def,
            &crate::command::CommandContext {
                monitor: &monitor,
                default_emulator: &default_emulator,
                taps: &tap_fds,
                tpm_socket: tpm.as_ref().map(|t| t.socket.as_path()),
                config: &self.config,
                auto_nodes: advice.as_ref().map(|a| a.nodes.as_str()),
            },
        )?;
        let inherited: Vec<i32> = tap_fds.iter().flat_map(|(_, f)| f.clone()).collect();
        // NICs whose link starts down (`<link state='down'/>`), by QEMU id.
        let pins = crate::pin::StartPins::of(def, advice.as_ref().map(|a| &a.cpus[..]));
        let group = crate::cgroup::group_name(&self.dirs.cgroup_prefix, id, &def.name);
        let tuning = crate::params::StartTuning::of(def, advice.as_ref().map(|a| a.nodes.as_str()));
        let links_down: Vec<String> = def
            .devices
            .interfaces
            .iter()
            .filter(|n| crate::nethost::link_down(n))
            .filter_map(|n| n.info.alias.clone())
            .collect();
        if incoming.is_some() {
            // The state comes over the monitor once it is connected (`migrate-incoming`).
            cmd.args
                .extend(["-incoming".to_string(), "defer".to_string()]);
        }
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(sys(format!(
                "cannot open log file '{}'",
                log_path.display()
            )))?;
        let log_start = {
            use std::io::{Seek, Write};
            let _ = log.write_all(format!("{}\n", cmd.to_native()).as_bytes());
            log.seek(std::io::SeekFrom::End(0)).unwrap_or(0)
        };
        let log_err = log
            .try_clone()
            .map_err(sys("cannot open the log file twice".into()))?;
        let opts = self.monitor_options();
        let limits = crate::config::Limits::of(&self.config, def);
        limits.check()?;
        let controllers = self.config.cgroup_controllers.clone();
        // The devices QEMU may open once in its groups (checked before it starts: a device
        // node the definition names that cannot be looked at fails the start, as in libvirt).
        let device_rules = crate::device_rules::start_rules(def, &self.config)?;
        check_emulator(&cmd.binary)?;
        // QEMU's user gets its folders, and (with dynamic ownership) the files it opens.
        let label = self.dac.label_of(def)?;
        let creds = label.map(|l| {
            let (uid, gid) = l.process;
            (uid, gid, crate::dac::group_list(uid, gid))
        });
        if label.is_some() {
            // The private folder is the guest's alone, as libvirt makes it.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&private_dir, std::fs::Permissions::from_mode(0o750))
                .map_err(sys(format!(
                    "cannot set mode of '{}'",
                    private_dir.display()
                )))?;
            for dir in [&private_dir, &channel_dir] {
                if dir.exists() {
                    self.dac.give_path(def, dir)?;
                }
            }
            if let Some(t) = &tpm {
                if let Some(dir) = t.socket.parent() {
                    self.dac.give_folder(def, dir)?;
                }
                self.dac.give_path(def, &t.socket)?;
            }
            for p in fs_daemons.paths_for_qemu() {
                self.dac.give_path(def, p)?;
            }
        }
        crate::startup::create_chardev_files(def)?;
        self.dac.set_all(def)?;
        let perf_events = def.enabled_perf_events();
        let cpu = def.extras.cpu.clone();
        let x86 = crate::defaults::is_x86(def);
        let started = on_rt(async move {
            use std::os::unix::process::CommandExt;
            // QEMU gets the descriptors it is given (the taps, kept alive below, and stdio),
            // none of the others the calling process has open without close-on-exec (a
            // daemon's inherited pipe, an embedding program's sockets).
            let mut c = crate::util::host_command(&cmd.binary);
            c.args(&cmd.args)
                .env_clear()
                .env("LC_ALL", "C")
                .env(
                    "PATH",
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                )
                .envs(cmd.env.iter().map(|(k, v)| (k, v)))
                .stdin(std::process::Stdio::null())
                .stdout(log)
                .stderr(log_err)
                // Its own process group: a terminal's ^C to the daemon does not reach guests.
                .process_group(0);
            // SAFETY: between fork and exec the closure only changes descriptor flags,
            // resource limits and ids of this process, and allocates nothing.
            unsafe {
                c.pre_exec(move || {
                    limits.apply()?;
                    for &fd in &inherited {
                        crate::util::pass_on_exec(fd)?;
                    }
                    // Last: the limits above may need root.
                    if let Some((uid, gid, groups)) = &creds {
                        crate::dac::become_ids(*uid, *gid, groups)?;
                    }
                    Ok(())
                });
            }
            let spawned = Pidfd::spawn(&mut c);
            // QEMU has its own copies now; ours close (a tap device then lives as long as
            // QEMU holds it).
            drop(taps);
            let pidfd = spawned.map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot execute binary {}", cmd.binary.display()),
                    &e,
                )
            })?;
            // Into its control groups while it starts up.
            let placing = crate::cgroup::Placing::start(
                group.clone(),
                pidfd.pid(),
                controllers,
                device_rules,
            );
            let kill = |pidfd: &Pidfd| {
                let _ = pidfd.signal(libc::SIGKILL);
            };
            let mon = tokio::select! {
                m = Monitor::connect(&monitor, Duration::from_secs(30), opts) => m,
                _ = pidfd.wait() => {
                    return Err(exited_while_connecting(&log_since(&log_path, log_start)));
                }
            };
            let mon = match mon {
                Ok(m) => m,
                // QEMU closes the monitor as it ends, a moment before its exit shows.
                Err(_)
                    if tokio::time::timeout(Duration::from_millis(500), pidfd.wait())
                        .await
                        .is_ok() =>
                {
                    return Err(exited_while_connecting(&log_since(&log_path, log_start)));
                }
                Err(e) => {
                    kill(&pidfd);
                    let _ = pidfd.wait().await;
                    return Err(qmp_error(e));
                }
            };
            let events = mon.events();
            enable_migration_events(&mon).await;
            // The memory is allocated: the threads that did it on its host nodes can go.
            for id in &cmd.thread_contexts {
                let args = serde_json::json!({ "id": id });
                if let Err(e) = mon.execute("object-del", Some(args)).await {
                    kill(&pidfd);
                    let _ = pidfd.wait().await;
                    return Err(qmp_error(e));
                }
            }
            if let Some(file) = &incoming {
                let loaded = tokio::select! {
                    r = load_state(&mon, file) => r,
                    _ = pidfd.wait() => Err(Error::internal(
                        FROM,
                        format!("qemu unexpectedly closed the monitor: {}", log_tail(&log_path)),
                    )),
                };
                if let Err(e) = loaded {
                    kill(&pidfd);
                    let _ = pidfd.wait().await;
                    return Err(e);
                }
            }
            if let Some(tag) = &load
                && let Err(e) = crate::snapshot::load_internal(&mon, tag).await
            {
                kill(&pidfd);
                let _ = pidfd.wait().await;
                return Err(e);
            }
            if let Err(e) = crate::graphics::set_passwords(&mon, &passwords).await {
                kill(&pidfd);
                let _ = pidfd.wait().await;
                return Err(e);
            }
            for alias in &links_down {
                let args = serde_json::json!({"name": alias, "up": false});
                if let Err(e) = mon.execute("set_link", Some(args)).await {
                    kill(&pidfd);
                    let _ = pidfd.wait().await;
                    return Err(qmp_error(e));
                }
            }
            let mut threads = crate::pin::StartThreads::new(&mon);
            if let Err(e) = pins.apply(&mut threads, pidfd.pid()).await {
                kill(&pidfd);
                let _ = pidfd.wait().await;
                return Err(e);
            }
            let placed = crate::params::apply_at_start(
                &mon,
                pidfd.pid(),
                placing,
                &tuning,
                &pins,
                &mut threads,
            );
            let cgroup = match placed.await {
                Ok(c) => c,
                Err((e, c)) => {
                    kill(&pidfd);
                    let _ = pidfd.wait().await;
                    c.remove();
                    return Err(e);
                }
            };
            // Before the guest runs: the CPU QEMU made of the domain's (libvirt's
            // qemuProcessUpdateAndVerifyCPU), and host counters for the perf events the
            // domain enables (qemuProcessEnablePerf: an event the host cannot count fails the
            // start).
            let cpu_and_perf = crate::cpu_live::read_back(&mon, cpu.as_deref(), x86)
                .await
                .and_then(|c| {
                    crate::perf::PerfEvents::start(&perf_events, pidfd.pid()).map(|p| (c, p))
                });
            let (cpu_live, perf) = match cpu_and_perf {
                Ok(v) => v,
                Err(e) => {
                    kill(&pidfd);
                    let _ = pidfd.wait().await;
                    cgroup.remove();
                    return Err(e);
                }
            };
            if !paused && let Err(e) = mon.cont().await {
                kill(&pidfd);
                let _ = pidfd.wait().await;
                return Err(qmp_error(e));
            }
            let starttime = proc_stat(pidfd.pid()).map_or(0, |s| s.starttime);
            fs_daemons.keep();
            links.keep();
            if let Some(t) = tpm {
                t.swtpm.keep();
            }
            Ok((
                Proc {
                    pid: pidfd.pid(),
                    starttime,
                    pidfd,
                    monitor: Mutex::new(Some(mon)),
                    private_dir,
                    destroying: AtomicBool::new(false),
                    from_snapshot: AtomicBool::new(false),
                    dump_crash: AtomicBool::new(false),
                    got_shutdown: AtomicBool::new(false),
                    saved: AtomicBool::new(false),
                    saving: AtomicBool::new(false),
                    save_job: Mutex::new(None),
                    block_jobs: Mutex::new(HashMap::new()),
                    pause_reason: AtomicI32::new(DomainPausedReason::UNKNOWN.0),
                    resume_reason: AtomicI32::new(DomainRunningReason::UNPAUSED.0),
                    fake_reboot: AtomicBool::new(false),
                    panicked: AtomicBool::new(false),
                    paused_shutdown: AtomicBool::new(false),
                    status_due: AtomicBool::new(false),
                    exited: tokio::sync::watch::channel(false).0,
                    handled: tokio::sync::watch::channel(0).0,
                    watcher: Mutex::new(None),
                    agent: Mutex::new(None),
                    taint: crate::control::initial_taint(),
                    deprecations: Mutex::new(Vec::new()),
                    cgroup,
                    perf: Mutex::new(perf),
                },
                events,
                id,
                cpu_live,
            ))
        })
        .await
        .and_then(|r| r);
        if started.is_err() {
            self.dac.restore_all(def);
        }
        started
    }

    /// Watches a running domain: its QMP events and its exit.
    fn watch(&self, uuid: Uuid, p: Arc<Proc>, events: Option<rvirt_qmp::EventReceiver>) {
        let drv = self.weak();
        let p2 = p.clone();
        let task = rt().spawn(async move {
            let p = p2;
            let mut events = events;
            loop {
                let ev = async {
                    match events.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    exit = p.pidfd.wait() => {
                        let _ = exit;
                        if let Some(d) = drv.upgrade() {
                            d.process_ended(uuid, &p);
                        }
                        // Queued before the end is told: a driver closed right after
                        // waits for it (see `cgroup::wait_for_background`).
                        p.remove_leftovers();
                        let _ = p.exited.send(true);
                        return;
                    }
                    ev = ev => match ev {
                        Ok(ev) => {
                            if let Some(d) = drv.upgrade() {
                                IN_WATCHER.scope((), d.qmp_event(uuid, &p, ev.kind())).await;
                            }
                            p.handled.send_replace(ev.seq);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => events = None,
                    }
                }
            }
        });
        *p.watcher.lock() = Some(task.abort_handle());
    }

    /// A QMP event of a running domain becomes its state change and lifecycle event.
    async fn qmp_event(&self, uuid: Uuid, p: &Arc<Proc>, kind: EventKind) {
        let Some(obj) = self.domains.find_by_uuid(&uuid) else {
            return;
        };
        match kind {
            EventKind::Stop => {
                let reason = p
                    .pause_reason
                    .swap(DomainPausedReason::UNKNOWN.0, Ordering::Relaxed);
                // The stop at a shutdown that becomes a reboot is no pause.
                if !p.paused_shutdown.load(Ordering::Relaxed) {
                    self.set_paused(&obj, reason);
                    self.save_status_soon(uuid, p);
                }
                if p.panicked.swap(false, Ordering::Relaxed) {
                    self.guest_panicked(&obj, uuid, p);
                }
            }
            EventKind::Resume => {
                p.paused_shutdown.store(false, Ordering::Relaxed);
                let reason = p
                    .resume_reason
                    .swap(DomainRunningReason::UNPAUSED.0, Ordering::Relaxed);
                self.set_resumed(&obj, reason);
                self.save_status_soon(uuid, p);
            }
            EventKind::Suspend | EventKind::SuspendDisk => {
                // The guest suspended itself to memory (S3) or to disk (S4: pmsuspended until
                // the SHUTDOWN that follows, as libvirt records it).
                let disk = matches!(kind, EventKind::SuspendDisk);
                let dom = obj.lock().to_ref(uuid);
                self.events.emit(if disk {
                    DomainEvent::PmSuspendDisk { dom, reason: 0 }
                } else {
                    DomainEvent::PmSuspend { dom, reason: 0 }
                });
                let detail = if disk {
                    DomainEventPMSuspendedDetailType::DISK
                } else {
                    DomainEventPMSuspendedDetailType::MEMORY
                };
                self.pm_transition(
                    &obj,
                    p,
                    DomainState::RUNNING,
                    (DomainState::PMSUSPENDED, DomainPMSuspendedReason::UNKNOWN.0),
                    (E::PMSUSPENDED, detail.0),
                );
            }
            EventKind::Wakeup => {
                self.events.emit(DomainEvent::PmWakeup {
                    dom: obj.lock().to_ref(uuid),
                    reason: 0,
                });
                self.pm_transition(
                    &obj,
                    p,
                    DomainState::PMSUSPENDED,
                    (DomainState::RUNNING, DomainRunningReason::WAKEUP.0),
                    (E::STARTED, DomainEventStartedDetailType::WAKEUP.0),
                );
            }
            EventKind::BalloonChange { actual } => {
                // libvirt reports the size in KiB, rounded up; the current memory it keeps
                // counts what virtio-mem devices have plugged too (QEMU's balloon does not).
                let kib = actual.div_ceil(1024);
                let dref = {
                    let mut st = obj.lock();
                    let def = Arc::make_mut(&mut st.def);
                    def.current_memory_kib = kib + crate::memdev::plugged_kib(def);
                    st.to_ref(uuid)
                };
                let _ = self.save_status(&obj);
                self.events.emit(DomainEvent::BalloonChange {
                    dom: dref,
                    actual: kib,
                });
            }
            EventKind::MemoryDeviceSizeChange { id, size } => {
                let found = {
                    let mut st = obj.lock();
                    let dref = st.to_ref(uuid);
                    crate::memdev::set_plugged(Arc::make_mut(&mut st.def), &id, size)
                        .map(|kib| (dref, kib))
                };
                if let Some((dom, size)) = found {
                    let _ = self.save_status(&obj);
                    self.events.emit(DomainEvent::MemoryDeviceSizeChange {
                        dom,
                        alias: id,
                        size,
                    });
                }
            }
            EventKind::Shutdown { guest, .. } => {
                if p.destroying.load(Ordering::Relaxed) {
                    return;
                }
                let restart = p.fake_reboot.load(Ordering::Relaxed) || {
                    let st = obj.lock();
                    st.def.on_poweroff == "restart"
                };
                if restart {
                    // A fake reboot: the shutdown is transient (no state change, no event);
                    // QEMU, stopped there by -no-shutdown, is reset and resumed.
                    p.paused_shutdown.store(true, Ordering::Relaxed);
                    self.fake_reboot(uuid, p.clone());
                    return;
                }
                let ev = {
                    let mut st = obj.lock();
                    if st.state == DomainState::SHUTDOWN {
                        return;
                    }
                    p.got_shutdown.store(true, Ordering::Relaxed);
                    st.state = DomainState::SHUTDOWN;
                    st.reason = DomainShutdownReason::UNKNOWN.0;
                    let detail = if guest {
                        DomainEventShutdownDetailType::GUEST
                    } else {
                        DomainEventShutdownDetailType::HOST
                    };
                    DomainEvent::lifecycle(st.to_ref(uuid), E::SHUTDOWN, detail.0)
                };
                self.events.emit(ev);
                let _ = p.pidfd.signal(libc::SIGTERM);
            }
            EventKind::DeviceDeleted {
                device: Some(id), ..
            } => self.device_deleted(&obj, p, &id).await,
            EventKind::BlockJobReady(job) => self.block_job_ready(&obj, p, &job.device),
            EventKind::BlockJobCompleted(job) => {
                self.block_job_ended(&obj, p, &job.device, false, job.error)
                    .await
            }
            EventKind::BlockJobCancelled(job) => {
                self.block_job_ended(&obj, p, &job.device, true, None).await
            }
            EventKind::VserportChange { id, open } => {
                // The guest opened or closed a virtio channel: its live state follows.
                let (changed, agent, dref) = {
                    let mut st = obj.lock();
                    let def = Arc::make_mut(&mut st.def);
                    let changed = crate::startup::set_channel_state(def, &id, open);
                    let agent = def.devices.channels.iter().any(|c| {
                        c.info.alias.as_deref() == Some(id.as_str())
                            && c.target_extra
                                .iter()
                                .any(|(k, v)| k == "name" && v == crate::guest_agent::AGENT_CHANNEL)
                    });
                    (changed, agent, st.to_ref(uuid))
                };
                if changed {
                    let _ = self.save_status(&obj);
                }
                if agent {
                    // A new agent (or none): the next call connects and syncs again.
                    let old = p.agent.lock().take();
                    if let Some(a) = old {
                        a.close().await;
                    }
                    // libvirt's states: 1 connected, 2 disconnected; reason 2: channel event.
                    self.events.emit(DomainEvent::AgentLifecycle {
                        dom: dref,
                        state: if open { 1 } else { 2 },
                        reason: 2,
                    });
                }
            }
            EventKind::TrayMoved { device, id, open } => {
                // The drive is named by its device id (with -blockdev its backend name is
                // empty), or by its drive's name, `drive-` and the alias.
                let named = |alias: &str| {
                    id.as_deref() == Some(alias)
                        || device.as_deref().and_then(|d| d.strip_prefix("drive-")) == Some(alias)
                };
                let found = {
                    let mut st = obj.lock();
                    // The definition is copied (when shared) only for a drive it has.
                    let hit = st.def.devices.disks.iter().enumerate().find_map(|(i, d)| {
                        let alias = crate::command::disk_device_id(d);
                        named(&alias).then_some((i, alias))
                    });
                    hit.map(|(i, alias)| {
                        let dref = st.to_ref(uuid);
                        crate::startup::set_tray(
                            &mut Arc::make_mut(&mut st.def).devices.disks[i],
                            open,
                        );
                        (alias, dref)
                    })
                };
                if let Some((dev_alias, dom)) = found {
                    let _ = self.save_status(&obj);
                    self.events.emit(DomainEvent::TrayChange {
                        dom,
                        dev_alias,
                        reason: if open {
                            DomainEventTrayChangeReason::OPEN.0
                        } else {
                            DomainEventTrayChangeReason::CLOSE.0
                        },
                    });
                }
            }
            // QEMU pauses a panicked guest (-no-shutdown) and says so first: the crash is
            // handled after the pause, as libvirt handles it after the STOP event.
            EventKind::GuestPanicked { action } if action == "pause" => {
                p.panicked.store(true, Ordering::Relaxed);
            }
            EventKind::GuestPanicked { .. } => self.guest_panicked(&obj, uuid, p),
            EventKind::Watchdog { action } => self.watchdog_fired(&obj, uuid, p, &action),
            EventKind::Reset { .. } => {
                p.fake_reboot.store(false, Ordering::Relaxed);
                let dref = obj.lock().to_ref(uuid);
                self.events.emit(DomainEvent::Reboot { dom: dref });
            }
            _ => {}
        }
    }

    /// Running → paused for `reason`, with its event; nothing if not running (idempotent, so
    /// the call and the `STOP` event may both apply it).
    pub(crate) fn set_paused(&self, obj: &DomainObj, reason: i32) {
        let ev = {
            let mut st = obj.lock();
            if st.state != DomainState::RUNNING {
                return;
            }
            st.state = DomainState::PAUSED;
            st.reason = reason;
            DomainEvent::lifecycle(
                st.to_ref(obj.uuid),
                E::SUSPENDED,
                DomainEventSuspendedDetailType::PAUSED.0,
            )
        };
        self.events.emit(ev);
    }

    /// A power-management change of state: `from` → `to` (state, reason), with the lifecycle
    /// `event` (type, detail) and the status file rewritten soon; nothing when the domain is
    /// not in `from` (libvirt ignores a wake-up of a guest it did not see suspend).
    fn pm_transition(
        &self,
        obj: &DomainObj,
        p: &Arc<Proc>,
        from: DomainState,
        to: (DomainState, i32),
        event: (DomainEventType, i32),
    ) {
        let ev = {
            let mut st = obj.lock();
            if st.state != from {
                return;
            }
            (st.state, st.reason) = to;
            DomainEvent::lifecycle(st.to_ref(obj.uuid), event.0, event.1)
        };
        self.events.emit(ev);
        self.save_status_soon(obj.uuid, p);
    }

    /// Paused (or crashed, a panicked guest run again) → running for `reason`, with its event
    /// (RESUMED/UNPAUSED); nothing in another state.
    pub(crate) fn set_resumed(&self, obj: &DomainObj, reason: i32) {
        let ev = {
            let mut st = obj.lock();
            if st.state != DomainState::PAUSED && st.state != DomainState::CRASHED {
                return;
            }
            st.state = DomainState::RUNNING;
            st.reason = reason;
            DomainEvent::lifecycle(
                st.to_ref(obj.uuid),
                E::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0,
            )
        };
        self.events.emit(ev);
    }

    /// QEMU is gone: the domain shuts off for the reason its end says (destroyed, shut down,
    /// or crashed), its status file and private folder go, a transient domain disappears, and
    /// STOPPED is emitted.
    fn process_ended(&self, uuid: Uuid, p: &Arc<Proc>) {
        {
            let mut procs = self.procs.lock();
            if procs.get(&uuid).is_some_and(|q| Arc::ptr_eq(q, p)) {
                procs.remove(&uuid);
            }
        }
        if let Some(m) = p.monitor.lock().take() {
            m.close();
        }
        let (reason, detail) = if p.dump_crash.load(Ordering::Relaxed) {
            (
                DomainShutoffReason::CRASHED,
                DomainEventStoppedDetailType::CRASHED,
            )
        } else if p.saved.load(Ordering::Relaxed) {
            (
                DomainShutoffReason::SAVED,
                DomainEventStoppedDetailType::SAVED,
            )
        } else if p.from_snapshot.load(Ordering::Relaxed) {
            (
                DomainShutoffReason::FROM_SNAPSHOT,
                DomainEventStoppedDetailType::FROM_SNAPSHOT,
            )
        } else if p.destroying.load(Ordering::Relaxed) {
            (
                DomainShutoffReason::DESTROYED,
                DomainEventStoppedDetailType::DESTROYED,
            )
        } else if p.got_shutdown.load(Ordering::Relaxed) {
            (
                DomainShutoffReason::SHUTDOWN,
                DomainEventStoppedDetailType::SHUTDOWN,
            )
        } else {
            (
                DomainShutoffReason::CRASHED,
                DomainEventStoppedDetailType::FAILED,
            )
        };
        let Some(obj) = self.domains.find_by_uuid(&uuid) else {
            return;
        };
        let (ev, name, transient, live, id) = {
            let mut st = obj.lock();
            let live = st.def.clone();
            let id = st.id;
            if let Some(d) = st.new_def.take() {
                st.def = d;
            }
            st.state = DomainState::SHUTOFF;
            st.reason = reason.0;
            st.id = -1;
            let ev = DomainEvent::lifecycle(st.to_ref(uuid), E::STOPPED, detail.0);
            (ev, st.name.clone(), !st.persistent, live, id)
        };
        for n in &live.devices.interfaces {
            crate::nethost::disconnect(n, &self.dirs.qemu_state);
            self.release_network_interface(n);
        }
        crate::virtiofs::stop(&self.dirs, &self.config, &p.private_dir, &live);
        crate::tpm::stop(&self.dirs, &live, id);
        self.dac.restore_all(&live);
        // No fsync of the folder: a status file that outlives a host crash is harmless (the
        // reattach checks the pid's start time), and the destroy waits for this.
        self.remove_status(&name);
        // A snapshot revert restarts a transient domain itself: it must not vanish meanwhile.
        if transient && !p.from_snapshot.load(Ordering::Relaxed) {
            let gone = self.domains.edit(|list| {
                let gone = list.find_by_uuid(&uuid).is_some_and(|o| {
                    let st = o.lock();
                    !st.persistent && !st.is_active()
                });
                if gone {
                    list.remove(&uuid);
                }
                gone
            });
            if gone {
                self.discard_all_snapshots(&uuid, &name);
                crate::tpm::remove_state(&self.dirs, &live, Default::default());
            }
        }
        self.events.emit(ev);
    }

    /// Rewrites the status file of a running domain from its live state, after a live change (a
    /// reattaching driver reads the live definition from it).
    pub(crate) fn save_status(&self, obj: &DomainObj) -> Result<()> {
        let _writing = STATUS_FILES.lock();
        let p = self.proc_of(&obj.uuid)?;
        let (status, name) = {
            let st = obj.lock();
            let status = Status {
                pid: p.pid,
                starttime: p.starttime,
                monitor: p.private_dir.join("monitor.sock"),
                private_dir: p.private_dir.clone(),
                state: st.state,
                reason: st.reason,
                def: (*st.def).clone(),
                id: st.id,
                block_jobs: p.block_jobs.lock().values().cloned().collect(),
                taint: p.taint.load(Ordering::Relaxed),
                agent_timeout: self.agent_timeouts.lock().get(&obj.uuid).copied(),
                deprecations: p.deprecations.lock().clone(),
            };
            (status, st.name.clone())
        };
        util::write_replace(&self.status_path(&name), status_xml(&status).as_bytes()).map_err(|e| {
            Error::system(
                FROM,
                format!("cannot save status file of domain '{name}'"),
                &e,
            )
        })
    }

    /// Rewrites the status file of a running domain whose state just changed (paused or
    /// resumed), [`STATUS_DELAY`] later and off the path of the call that changed it: a
    /// blocking task writes the live state as it is when the task runs, so the changes of a
    /// burst (a suspend and the resume right after it) make one write, of the latest state. A
    /// daemon restarted after a crash then finds a pause with its reason (user, I/O error…), as
    /// libvirt's finds it in its status XML; one killed within the delay finds the state of the
    /// write before, and takes the state itself from QEMU (`query-status`, as libvirt's
    /// reconnect does), with an unknown reason.
    ///
    /// Written at once, the file (its XML, a file swap, a thread woken for it) cost a suspend
    /// through rvirtd 0.15–0.3 ms on this 2-vCPU machine, where the whole call takes 0.7 ms:
    /// the writer took the CPU that QEMU and the client needed just then.
    fn save_status_soon(&self, uuid: Uuid, p: &Arc<Proc>) {
        if p.status_due.swap(true, Ordering::AcqRel) {
            // The write already scheduled reads the state when it runs.
            return;
        }
        let drv = self.weak();
        let p = p.clone();
        rt().spawn(async move {
            tokio::time::sleep(STATUS_DELAY).await;
            let _ = tokio::task::spawn_blocking(move || {
                // Cleared before the state is read: a change made after this schedules a
                // write of its own.
                p.status_due.store(false, Ordering::Release);
                if let Some(d) = drv.upgrade()
                    && let Some(obj) = d.domains.find_by_uuid(&uuid)
                    && obj.lock().state != DomainState::SHUTOFF
                {
                    let _ = d.save_status(&obj);
                }
            })
            .await;
        });
    }

    /// The second half of a fake reboot (libvirt's `qemuProcessFakeReboot`): reset the
    /// machine and run its CPUs again, as a task of its own so that the watcher goes on
    /// reading the events this causes; a QEMU that will not is killed.
    pub(crate) fn fake_reboot(&self, uuid: Uuid, p: Arc<Proc>) {
        let drv = self.weak();
        rt().spawn(async move {
            // A crashed guest runs again for that reason (the RESUME event takes it).
            let crashed = drv
                .upgrade()
                .and_then(|d| d.domains.find_by_uuid(&uuid))
                .is_some_and(|o| o.lock().state == DomainState::CRASHED);
            if crashed {
                p.resume_reason
                    .store(DomainRunningReason::CRASHED.0, Ordering::Relaxed);
            }
            let ok = match p.monitor() {
                Ok(m) => m.system_reset().await.is_ok() && m.cont().await.is_ok(),
                Err(_) => false,
            };
            p.fake_reboot.store(false, Ordering::Relaxed);
            let Some(d) = drv.upgrade() else { return };
            let Some(obj) = d.domains.find_by_uuid(&uuid) else {
                return;
            };
            if !ok {
                let _ = p.pidfd.signal(libc::SIGKILL);
                return;
            }
            let reason = if crashed {
                DomainRunningReason::CRASHED
            } else {
                DomainRunningReason::BOOTED
            };
            // Whichever comes first, this or the watcher's handling of the RESUME event, takes
            // a crashed guest to running with its event.
            d.set_resumed(&obj, reason.0);
            {
                let mut st = obj.lock();
                st.state = DomainState::RUNNING;
                st.reason = reason.0;
            }
            let _ = d.save_status(&obj);
        });
    }

    /// The process of a running domain, or `domain is not running`.
    pub(crate) fn proc_of(&self, uuid: &Uuid) -> Result<Arc<Proc>> {
        self.procs
            .lock()
            .get(uuid)
            .cloned()
            .ok_or_else(|| Error::operation_invalid(ErrorDomain::DOMAIN, "domain is not running"))
    }

    /// Runs a monitor command of a running domain on the driver's runtime, with the monitor's
    /// deadline, and maps its error; then waits for the events the command caused to be handled
    /// ([`QemuDriver::catch_up`]), in the same task: one hand-over to the runtime and back per
    /// call, not two.
    pub(crate) async fn qmp<T, F, Fut>(&self, p: &Proc, f: F) -> Result<T>
    where
        F: FnOnce(Monitor) -> Fut + Send + 'static,
        Fut: Future<Output = rvirt_qmp::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let mon = p.monitor()?;
        let catch_up = CatchUp::new(p);
        let exchange = async move {
            let r = f(mon.clone()).await;
            if let Some(c) = catch_up {
                c.wait(&mon).await;
            }
            r
        };
        let caller = current_multi_thread().filter(|_| ON_CALLER_RUNTIME.load(Ordering::Relaxed));
        let r = match caller {
            Some(h) => joined(h.spawn(exchange).await)?,
            None => on_rt(exchange).await?,
        };
        r.map_err(qmp_error)
    }

    /// Waits until the watcher of `p` has handled every event QEMU sent before the reply to
    /// the command just made. A call that changes the state itself (suspend, resume, start,
    /// save) then never sees an older event (the boot's RESUME, say) handled after its own
    /// change and reported again: as in libvirt, which handles events and replies in the
    /// order QEMU sent them. Bounded, and a no-op inside the watcher itself and before the
    /// watcher starts (a start's own commands, such as `query-chardev`, come before it: the
    /// watcher then handles their events first thing, and the start catches up once it runs).
    pub(crate) async fn catch_up(&self, p: &Proc) {
        let Some(c) = CatchUp::new(p) else { return };
        let Ok(mon) = p.monitor() else { return };
        if c.done(&mon) {
            return;
        }
        let _ = on_rt(async move { c.wait(&mon).await }).await;
    }

    /// Suspends a running domain (`stop`).
    pub(crate) async fn suspend(&self, obj: &DomainObj) -> Result<()> {
        self.suspend_for(obj, DomainPausedReason::USER.0).await
    }

    /// Suspends a running domain (`stop`), recording `reason` as the pause reason.
    pub(crate) async fn suspend_for(&self, obj: &DomainObj, reason: i32) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        p.pause_reason.store(reason, Ordering::Relaxed);
        self.qmp(&p, |m| async move { m.stop().await }).await?;
        self.set_paused(obj, reason);
        Ok(())
    }

    /// Resumes a paused domain (`cont`).
    pub(crate) async fn resume(&self, obj: &DomainObj) -> Result<()> {
        self.resume_for(obj, DomainRunningReason::UNPAUSED).await
    }

    /// Resumes a paused domain (`cont`), running for `reason` from then on.
    pub(crate) async fn resume_for(
        &self,
        obj: &DomainObj,
        reason: DomainRunningReason,
    ) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        p.resume_reason.store(reason.0, Ordering::Relaxed);
        let res = self.qmp(&p, |m| async move { m.cont().await }).await;
        if res.is_err() {
            p.resume_reason
                .store(DomainRunningReason::UNPAUSED.0, Ordering::Relaxed);
        }
        res?;
        self.set_resumed(obj, reason.0);
        Ok(())
    }

    /// Kills a domain's QEMU: SIGTERM, then (unless `graceful`) SIGKILL after 10 s; returns
    /// once the watcher has shut the domain off.
    pub(crate) async fn destroy(&self, uuid: &Uuid, graceful: bool) -> Result<()> {
        self.destroy_for(uuid, graceful, false).await
    }

    /// [`QemuDriver::destroy`]; with `from_snapshot` the domain shuts off `from snapshot`
    /// (a revert or a snapshot with HALT), as libvirt records it.
    pub(crate) async fn destroy_for(
        &self,
        uuid: &Uuid,
        graceful: bool,
        from_snapshot: bool,
    ) -> Result<()> {
        let p = self.proc_of(uuid)?;
        p.from_snapshot.store(from_snapshot, Ordering::Relaxed);
        p.destroying.store(true, Ordering::Relaxed);
        let obj = self.domains.find_by_uuid(uuid);
        self.terminate_with(&p, graceful, obj.as_deref()).await
    }

    /// Ends `p` (SIGTERM, then unless `graceful` SIGKILL after 10 s) and returns once the
    /// watcher has shut its domain off for the reason its flags give.
    pub(crate) async fn terminate(&self, p: &Arc<Proc>, graceful: bool) -> Result<()> {
        self.terminate_with(p, graceful, None).await
    }

    /// [`QemuDriver::terminate`]; the status file of `obj` (the domain `p` runs) goes while
    /// QEMU exits, which takes it milliseconds, instead of after the exit on the way to the
    /// caller (the watcher removes it then too, as for any end). Should the process outlive
    /// the wait, the status file is written again. A driver restarted in between finds no
    /// QEMU to reattach to, while the one it would have found was already ending.
    async fn terminate_with(
        &self,
        p: &Arc<Proc>,
        graceful: bool,
        obj: Option<&DomainObj>,
    ) -> Result<()> {
        let mut exited = p.exited.subscribe();
        let pid = p.pid;
        // Signalled from the caller's thread: QEMU starts its exit while the wait below is
        // handed to the driver's runtime, not after (the floor's destroy is a kill and a wait).
        let _ = p.pidfd.signal(libc::SIGTERM);
        if let Some(obj) = obj {
            let name = obj.lock().name.clone();
            self.remove_status(&name);
        }
        let p2 = p.clone();
        let ended = on_rt(async move {
            let t = Duration::from_secs(10);
            if tokio::time::timeout(t, exited.wait_for(|v| *v))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if graceful {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_FAILED,
                    format!("Failed to terminate process {pid} with SIGTERM"),
                ));
            }
            let _ = p2.pidfd.signal(libc::SIGKILL);
            match tokio::time::timeout(t, exited.wait_for(|v| *v)).await {
                Ok(_) => Ok(()),
                Err(_) => Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_FAILED,
                    format!("Failed to kill process {pid}"),
                )),
            }
        })
        .await?;
        if ended.is_err()
            && let Some(obj) = obj
        {
            let _ = self.save_status(obj);
        }
        ended
    }

    /// Reattaches to every domain a status file says is running, after the persistent configs
    /// are loaded. A QEMU that is gone (or whose pid now belongs to another process) leaves
    /// its domain shut off (crashed).
    pub(crate) fn reattach_all(&self) {
        self.reattach_running();
        // Groups of guests that ended while no driver on this root was there to remove them.
        let procs: Vec<_> = self.procs.lock().values().cloned().collect();
        let keep: Vec<_> = procs.iter().filter_map(|p| p.cgroup.name()).collect();
        crate::cgroup::sweep(&self.dirs.cgroup_prefix, &keep);
    }

    /// Reattaches to the guests the status files list as running.
    fn reattach_running(&self) {
        let Ok(dir) = std::fs::read_dir(&self.dirs.qemu_state) else {
            return;
        };
        let mut found = Vec::new();
        for e in dir.flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "xml") {
                continue;
            }
            match std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| parse_status(&t))
            {
                Some(s) => found.push((path, s)),
                None => {
                    util::remove_replaced(&path);
                }
            }
        }
        if found.is_empty() {
            return;
        }
        let opts = MonitorOptions {
            deadline: self.monitor_timeout().min(Duration::from_secs(5)),
            ..MonitorOptions::default()
        };
        // Connect every monitor at once, on a thread of its own (the caller may be inside a
        // runtime, where blocking on another one is not allowed).
        let jobs: Vec<_> = found
            .into_iter()
            .map(|(path, s)| {
                let opts = opts.clone();
                (
                    path,
                    rt().spawn(async move {
                        let pidfd = Pidfd::open(s.pid).ok()?;
                        // A zombie is a QEMU that ended while no driver watched it (its
                        // parent gone, it waits for init to reap it).
                        let stat = proc_stat(s.pid)?;
                        if stat.starttime != s.starttime || stat.ended {
                            return None;
                        }
                        let mon = Monitor::connect(&s.monitor, Duration::from_secs(2), opts)
                            .await
                            .ok();
                        let events = mon.as_ref().map(|m| m.events());
                        let status = match &mon {
                            Some(m) => {
                                enable_migration_events(m).await;
                                m.query_status().await.ok()
                            }
                            None => None,
                        };
                        Some((s, pidfd, mon, events, status))
                    }),
                )
            })
            .collect();
        let wait = || {
            std::thread::scope(|sc| {
                sc.spawn(|| {
                    rt().block_on(async {
                        let mut out = Vec::new();
                        for (path, j) in jobs {
                            out.push((path, j.await.ok().flatten()));
                        }
                        out
                    })
                })
                .join()
                .unwrap_or_default()
            })
        };
        // On the daemon's runtime (see `run_monitor_calls_on_caller_runtime`) the jobs are
        // tasks of the runtime this worker belongs to: it hands its tasks to another thread
        // while it waits, so that even a single worker cannot wait for itself.
        let results = match current_multi_thread() {
            Some(_) => tokio::task::block_in_place(wait),
            None => wait(),
        };
        for (path, r) in results {
            let Some((s, pidfd, mon, events, status)) = r else {
                self.reattach_failed(&path);
                continue;
            };
            let (state, reason) = match status {
                // A domain still in the state its file records keeps its reason, as libvirt's
                // reconnect does; only a changed state gets an unknown reason.
                Some(q) if q.running && s.state == DomainState::RUNNING => (s.state, s.reason),
                Some(q) if q.running => (DomainState::RUNNING, DomainRunningReason::UNKNOWN.0),
                // Suspended to RAM while no driver watched (libvirt's reconnect says so too).
                Some(q)
                    if q.status == rvirt_qmp::RunState::Suspended
                        && s.state != DomainState::PMSUSPENDED =>
                {
                    (DomainState::PMSUSPENDED, DomainPMSuspendedReason::UNKNOWN.0)
                }
                Some(_) if s.state == DomainState::RUNNING => {
                    (DomainState::PAUSED, DomainPausedReason::UNKNOWN.0)
                }
                _ => (s.state, s.reason),
            };
            let p = Arc::new(Proc {
                pid: s.pid,
                starttime: s.starttime,
                pidfd,
                monitor: Mutex::new(mon),
                private_dir: s.private_dir.clone(),
                destroying: AtomicBool::new(false),
                from_snapshot: AtomicBool::new(false),
                dump_crash: AtomicBool::new(false),
                got_shutdown: AtomicBool::new(false),
                saved: AtomicBool::new(false),
                saving: AtomicBool::new(false),
                save_job: Mutex::new(None),
                block_jobs: Mutex::new(
                    s.block_jobs
                        .iter()
                        .map(|j| (j.disk().to_string(), j.clone()))
                        .collect(),
                ),
                pause_reason: AtomicI32::new(DomainPausedReason::UNKNOWN.0),
                resume_reason: AtomicI32::new(DomainRunningReason::UNPAUSED.0),
                fake_reboot: AtomicBool::new(false),
                panicked: AtomicBool::new(false),
                paused_shutdown: AtomicBool::new(false),
                status_due: AtomicBool::new(false),
                exited: tokio::sync::watch::channel(false).0,
                handled: tokio::sync::watch::channel(0).0,
                watcher: Mutex::new(None),
                agent: Mutex::new(None),
                taint: std::sync::atomic::AtomicU32::new(s.taint),
                deprecations: Mutex::new(s.deprecations.clone()),
                cgroup: crate::cgroup::Cgroup::find(&crate::cgroup::group_name(
                    &self.dirs.cgroup_prefix,
                    s.id,
                    &s.def.name,
                )),
                // Counted again from now, as libvirt's reconnect does (qemuDomainPerfRestart).
                perf: Mutex::new(
                    crate::perf::PerfEvents::start(&s.def.enabled_perf_events(), s.pid)
                        .unwrap_or_else(|e| {
                            tracing::warn!("domain {}: perf events not counted: {e}", s.def.name);
                            Default::default()
                        }),
                ),
            });
            let uuid = s.def.uuid;
            if let Some(t) = s.agent_timeout {
                self.agent_timeouts.lock().insert(uuid, t);
            }
            let has_jobs = !s.block_jobs.is_empty();
            let mut def = s.def;
            self.retranslate_disks(&mut def);
            let live = Arc::new(def);
            let obj = self.domains.edit(|list| match list.find_by_uuid(&uuid) {
                Some(o) => o,
                None => {
                    let o = Arc::new(DomainObj::new((*live).clone(), false));
                    list.insert(o.clone());
                    o
                }
            });
            {
                let mut st = obj.lock();
                if st.persistent {
                    st.new_def = Some(st.def.clone());
                }
                st.def = live;
                st.id = s.id;
                st.state = state;
                st.reason = reason;
            }
            self.next_id.fetch_max(s.id + 1, Ordering::Relaxed);
            self.procs.lock().insert(uuid, p.clone());
            self.watch(uuid, p.clone(), events);
            if has_jobs {
                let drv = self.weak();
                rt().spawn(async move {
                    if let Some(drv) = drv.upgrade() {
                        drv.reconcile_block_jobs(&obj, &p).await;
                    }
                });
            }
        }
    }

    fn reattach_failed(&self, status_path: &Path) {
        let text = std::fs::read_to_string(status_path).ok();
        util::remove_replaced(status_path);
        let Some(s) = text.as_deref().and_then(parse_status) else {
            return;
        };
        let _ = std::fs::remove_dir_all(&s.private_dir);
        crate::virtiofs::stop(&self.dirs, &self.config, &s.private_dir, &s.def);
        if let Some(obj) = self.domains.find_by_uuid(&s.def.uuid) {
            let mut st = obj.lock();
            st.state = DomainState::SHUTOFF;
            st.reason = DomainShutoffReason::CRASHED.0;
        }
    }
}
