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
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::runtime::Runtime;

type E = DomainEventType;

/// The runtime QEMU processes, monitors and watchers run on. Never dropped.
pub(crate) fn rt() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rvirt-qemu")
            .enable_all()
            .build()
            .expect("cannot start the QEMU driver's runtime")
    })
}

/// Runs `fut` on the driver's runtime and waits for it from any executor.
pub(crate) async fn on_rt<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt().spawn(fut)
        .await
        .map_err(|e| Error::internal(FROM, format!("QEMU driver task failed: {e}")))
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
    Error::with_detail(FROM, code, e.to_string())
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
    destroying: AtomicBool,
    /// The guest (or the host) shut the machine down: the exit is a shutdown, not a crash.
    got_shutdown: AtomicBool,
    /// The pause reason the next `STOP` event stands for.
    pause_reason: AtomicI32,
    exited: tokio::sync::watch::Sender<bool>,
    watcher: Mutex<Option<tokio::task::AbortHandle>>,
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

    fn monitor(&self) -> Result<Monitor> {
        self.monitor.lock().clone().ok_or_else(|| {
            Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                "QEMU monitor is not connected",
            )
        })
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
}

fn status_xml(st: &Status) -> String {
    let mut out = format!(
        "<domstatus state='{}' reason='{}' pid='{}'>\n  <monitor path='{}' type='unix'/>\n  \
         <process starttime='{}' privateDir='{}'/>\n",
        st.state.0,
        st.reason,
        st.pid,
        xml_escape(&st.monitor.display().to_string()),
        st.starttime,
        xml_escape(&st.private_dir.display().to_string()),
    );
    let def = st.def.format_xml(FormatOptions {
        id: Some(st.id),
        inactive: false,
        secure: true,
    });
    for line in def.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("</domstatus>\n");
    out
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
        def: DomainDef::parse_node(dom, ParseOptions { live: true }).ok()?,
    })
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

impl QemuDriver {
    fn status_path(&self, name: &str) -> PathBuf {
        self.dirs.qemu_state.join(format!("{name}.xml"))
    }

    fn monitor_options(&self) -> MonitorOptions {
        MonitorOptions {
            deadline: self.monitor_timeout(),
            ..MonitorOptions::default()
        }
    }

    /// Starts `def` (already filled by the capabilities) as domain `obj`: spawns QEMU stopped,
    /// connects its monitor, resumes it unless `paused`, records the status file, and emits
    /// STARTED (and SUSPENDED when paused).
    pub(crate) async fn start_domain(
        &self,
        obj: &Arc<DomainObj>,
        def: DomainDef,
        paused: bool,
    ) -> Result<()> {
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
        let res = self.spawn_and_connect(&def, paused).await;
        let (proc_, events, id) = match res {
            Ok(v) => v,
            Err(e) => {
                self.starting.lock().remove(&uuid);
                return Err(e);
            }
        };
        let proc_ = Arc::new(proc_);
        self.procs.lock().insert(uuid, proc_.clone());
        self.starting.lock().remove(&uuid);
        let def = Arc::new(def);
        let (dref, state, reason) = {
            let mut st = obj.lock();
            st.id = id;
            if st.persistent && st.new_def.is_none() {
                st.new_def = Some(st.def.clone());
            }
            st.def = def.clone();
            if paused {
                st.state = DomainState::PAUSED;
                st.reason = DomainPausedReason::USER.0;
            } else {
                st.state = DomainState::RUNNING;
                st.reason = DomainRunningReason::BOOTED.0;
            }
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
        };
        let _ = std::fs::create_dir_all(&self.dirs.qemu_state);
        if let Err(e) =
            util::write_atomic(&self.status_path(&def.name), status_xml(&status).as_bytes())
        {
            // Without a status file the domain could not be reattached: do not keep it.
            let _ = proc_.pidfd.signal(libc::SIGKILL);
            return Err(Error::system(
                FROM,
                format!("cannot save status file of domain '{}'", def.name),
                &e,
            ));
        }
        self.watch(uuid, proc_, Some(events));
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
        def: &DomainDef,
        paused: bool,
    ) -> Result<(Proc, rvirt_qmp::EventReceiver, i32)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let short: String = def.name.chars().take(20).collect();
        let private_dir = self.dirs.qemu_lib.join(format!("domain-{id}-{short}"));
        let sys = |what: String| move |e: std::io::Error| Error::system(FROM, what, &e);
        std::fs::create_dir_all(&private_dir)
            .map_err(sys(format!("cannot create '{}'", private_dir.display())))?;
        std::fs::create_dir_all(&self.dirs.qemu_log).map_err(sys(format!(
            "cannot create '{}'",
            self.dirs.qemu_log.display()
        )))?;
        let monitor = private_dir.join("monitor.sock");
        let _ = std::fs::remove_file(&monitor);
        let default_emulator = crate::caps::emulator_for_arch("x86_64").unwrap_or_default();
        let cmd = crate::command::build(
            def,
            &crate::command::CommandContext {
                monitor: &monitor,
                default_emulator: &default_emulator,
            },
        )?;
        let log_path = self.dirs.qemu_log.join(format!("{}.log", def.name));
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
            let _ = log.write_all(cmd.to_native().as_bytes());
            log.seek(std::io::SeekFrom::End(0)).unwrap_or(0)
        };
        let log_err = log
            .try_clone()
            .map_err(sys("cannot open the log file twice".into()))?;
        let opts = self.monitor_options();
        check_emulator(&cmd.binary)?;
        on_rt(async move {
            use std::os::unix::process::CommandExt;
            let mut c = std::process::Command::new(&cmd.binary);
            c.args(&cmd.args)
                .env_clear()
                .env("LC_ALL", "C")
                .env(
                    "PATH",
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                )
                .stdin(std::process::Stdio::null())
                .stdout(log)
                .stderr(log_err)
                // Its own process group: a terminal's ^C to the daemon does not reach guests.
                .process_group(0);
            let pidfd = Pidfd::spawn(&mut c).map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot execute binary {}", cmd.binary.display()),
                    &e,
                )
            })?;
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
            if !paused && let Err(e) = mon.cont().await {
                kill(&pidfd);
                let _ = pidfd.wait().await;
                return Err(qmp_error(e));
            }
            let starttime = proc_stat(pidfd.pid()).map_or(0, |s| s.starttime);
            Ok((
                Proc {
                    pid: pidfd.pid(),
                    starttime,
                    pidfd,
                    monitor: Mutex::new(Some(mon)),
                    private_dir,
                    destroying: AtomicBool::new(false),
                    got_shutdown: AtomicBool::new(false),
                    pause_reason: AtomicI32::new(DomainPausedReason::UNKNOWN.0),
                    exited: tokio::sync::watch::channel(false).0,
                    watcher: Mutex::new(None),
                },
                events,
                id,
            ))
        })
        .await?
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
                        let _ = p.exited.send(true);
                        return;
                    }
                    ev = ev => match ev {
                        Ok(ev) => {
                            if let Some(d) = drv.upgrade() {
                                d.qmp_event(uuid, &p, ev.kind()).await;
                            }
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
                self.set_paused(&obj, reason);
            }
            EventKind::Resume => self.set_resumed(&obj),
            EventKind::Shutdown { guest, .. } => {
                if p.destroying.load(Ordering::Relaxed) {
                    return;
                }
                p.got_shutdown.store(true, Ordering::Relaxed);
                let (ev, action) = {
                    let mut st = obj.lock();
                    st.state = DomainState::SHUTDOWN;
                    st.reason = DomainShutdownReason::USER.0;
                    let detail = if guest {
                        DomainEventShutdownDetailType::GUEST
                    } else {
                        DomainEventShutdownDetailType::HOST
                    };
                    (
                        DomainEvent::lifecycle(st.to_ref(uuid), E::SHUTDOWN, detail.0),
                        st.def.on_poweroff.clone(),
                    )
                };
                self.events.emit(ev);
                if action == "restart" || action == "rename-restart" {
                    // A fake reboot: QEMU paused at the shutdown; reset and run again.
                    p.got_shutdown.store(false, Ordering::Relaxed);
                    if let Ok(m) = p.monitor()
                        && m.system_reset().await.is_ok()
                        && m.cont().await.is_ok()
                    {
                        let mut st = obj.lock();
                        st.state = DomainState::RUNNING;
                        st.reason = DomainRunningReason::BOOTED.0;
                    }
                } else {
                    let _ = p.pidfd.signal(libc::SIGTERM);
                }
            }
            EventKind::Reset { .. } => {
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

    /// Paused → running (unpaused), with its event; nothing if not paused.
    pub(crate) fn set_resumed(&self, obj: &DomainObj) {
        let ev = {
            let mut st = obj.lock();
            if st.state != DomainState::PAUSED {
                return;
            }
            st.state = DomainState::RUNNING;
            st.reason = DomainRunningReason::UNPAUSED.0;
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
        let (reason, detail) = if p.destroying.load(Ordering::Relaxed) {
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
        let _ = std::fs::remove_dir_all(&p.private_dir);
        let Some(obj) = self.domains.find_by_uuid(&uuid) else {
            return;
        };
        let (ev, name, transient) = {
            let mut st = obj.lock();
            if let Some(d) = st.new_def.take() {
                st.def = d;
            }
            st.state = DomainState::SHUTOFF;
            st.reason = reason.0;
            st.id = -1;
            let ev = DomainEvent::lifecycle(st.to_ref(uuid), E::STOPPED, detail.0);
            (ev, st.name.clone(), !st.persistent)
        };
        // No fsync of the folder: a status file that outlives a host crash is harmless (the
        // reattach checks the pid's start time), and the destroy waits for this.
        let _ = std::fs::remove_file(self.status_path(&name));
        if transient {
            self.domains.edit(|list| {
                let gone = list.find_by_uuid(&uuid).is_some_and(|o| {
                    let st = o.lock();
                    !st.persistent && !st.is_active()
                });
                if gone {
                    list.remove(&uuid);
                }
            });
        }
        self.events.emit(ev);
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
    /// deadline, and maps its error.
    pub(crate) async fn qmp<T, F, Fut>(&self, p: &Proc, f: F) -> Result<T>
    where
        F: FnOnce(Monitor) -> Fut + Send + 'static,
        Fut: Future<Output = rvirt_qmp::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let mon = p.monitor()?;
        on_rt(f(mon)).await?.map_err(qmp_error)
    }

    /// Suspends a running domain (`stop`).
    pub(crate) async fn suspend(&self, obj: &DomainObj) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        p.pause_reason
            .store(DomainPausedReason::USER.0, Ordering::Relaxed);
        self.qmp(&p, |m| async move { m.stop().await }).await?;
        self.set_paused(obj, DomainPausedReason::USER.0);
        Ok(())
    }

    /// Resumes a paused domain (`cont`).
    pub(crate) async fn resume(&self, obj: &DomainObj) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        self.qmp(&p, |m| async move { m.cont().await }).await?;
        self.set_resumed(obj);
        Ok(())
    }

    /// Kills a domain's QEMU: SIGTERM, then (unless `graceful`) SIGKILL after 10 s; returns
    /// once the watcher has shut the domain off.
    pub(crate) async fn destroy(&self, uuid: &Uuid, graceful: bool) -> Result<()> {
        let p = self.proc_of(uuid)?;
        p.destroying.store(true, Ordering::Relaxed);
        let mut exited = p.exited.subscribe();
        let pid = p.pid;
        let p2 = p.clone();
        on_rt(async move {
            let _ = p2.pidfd.signal(libc::SIGTERM);
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
        .await?
    }

    /// Reattaches to every domain a status file says is running, after the persistent configs
    /// are loaded. A QEMU that is gone (or whose pid now belongs to another process) leaves
    /// its domain shut off (crashed).
    pub(crate) fn reattach_all(&self) {
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
                    let _ = std::fs::remove_file(&path);
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
                        if proc_stat(s.pid).map(|p| p.starttime) != Some(s.starttime) {
                            return None;
                        }
                        let mon = Monitor::connect(&s.monitor, Duration::from_secs(2), opts)
                            .await
                            .ok();
                        let events = mon.as_ref().map(|m| m.events());
                        let status = match &mon {
                            Some(m) => m.query_status().await.ok(),
                            None => None,
                        };
                        Some((s, pidfd, mon, events, status))
                    }),
                )
            })
            .collect();
        let results = std::thread::scope(|sc| {
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
        });
        for (path, r) in results {
            let Some((s, pidfd, mon, events, status)) = r else {
                self.reattach_failed(&path);
                continue;
            };
            let (state, reason) = match status {
                Some(q) if q.running => (DomainState::RUNNING, DomainRunningReason::UNKNOWN.0),
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
                got_shutdown: AtomicBool::new(false),
                pause_reason: AtomicI32::new(DomainPausedReason::UNKNOWN.0),
                exited: tokio::sync::watch::channel(false).0,
                watcher: Mutex::new(None),
            });
            let uuid = s.def.uuid;
            let live = Arc::new(s.def);
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
            self.watch(uuid, p, events);
        }
    }

    fn reattach_failed(&self, status_path: &Path) {
        let text = std::fs::read_to_string(status_path).ok();
        let _ = std::fs::remove_file(status_path);
        let Some(s) = text.as_deref().and_then(parse_status) else {
            return;
        };
        let _ = std::fs::remove_dir_all(&s.private_dir);
        if let Some(obj) = self.domains.find_by_uuid(&s.def.uuid) {
            let mut st = obj.lock();
            st.state = DomainState::SHUTOFF;
            st.reason = DomainShutoffReason::CRASHED.0;
        }
    }
}
