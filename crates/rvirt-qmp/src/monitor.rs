//! The monitor connection: greeting and negotiation, a reader task that routes replies to their
//! commands and events to subscribers, and `execute` with a deadline on every command.
//!
//! Wire cost: QEMU's monitor reads its socket one byte at a time, a pass of its I/O thread per
//! byte (about 2 µs each on the machines this was measured on), and a line end after a command
//! costs it a further ~0.1 ms before it answers. Commands therefore go out as compact JSON with
//! no line end and, except raw ones, no `id`: QEMU answers commands in the order it got them,
//! so an id-less reply belongs to the oldest id-less command still waiting. Raw commands
//! ([`Monitor::execute_raw`]) carry an id as libvirt's do and are matched by it.
//!
//! Failure model: the first fatal condition (a missed deadline, EOF, an I/O error, a protocol
//! violation) marks the monitor dead. Every command waiting at that moment gets the matching
//! error at once, the socket is shut down, and every later command fails immediately with
//! [`Error::Dead`] without touching the socket. A dead monitor is never revived: the owner
//! reconnects (or, usually, the domain is gone).
//!
//! Ordering: one reader handles QEMU's lines in the order they came, publishing events before
//! routing later replies. When a command returns, every event QEMU sent before its reply (the
//! `RESUME` of a `cont`, for example) is already in each subscriber's queue.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::{DeadReason, Error, Result};
use crate::event::Event;
use crate::wire::{DEFAULT_MAX_LINE, Greeting, LineSplitter, Message, parse_message};

/// The id prefix of commands sent with [`Monitor::execute_raw`]: `libvirt-N`, as libvirt names
/// its own (so a raw reply reads as it would from libvirt).
const RAW_ID_PREFIX: &str = "libvirt-";

/// What QEMU answers, without an id, to a command object that is not one it takes; `None`
/// for one it takes (its top-level members: `execute` or `exec-oob`, `arguments`, `id`).
fn qmp_input_error(v: &Value) -> Option<String> {
    let Value::Object(m) = v else {
        return Some("QMP input must be a JSON object".into());
    };
    for (k, val) in m {
        match k.as_str() {
            "execute" | "exec-oob" if !val.is_string() => {
                return Some(format!("QMP input member '{k}' must be a string"));
            }
            "arguments" if !val.is_object() => {
                return Some("QMP input member 'arguments' must be an object".into());
            }
            "execute" | "exec-oob" | "arguments" | "id" => {}
            other => return Some(format!("QMP input member '{other}' is unexpected")),
        }
    }
    if !m.contains_key("execute") && !m.contains_key("exec-oob") {
        return Some("QMP input lacks member 'execute'".into());
    }
    None
}

/// Tunables of one monitor connection.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// The deadline of commands sent with [`Monitor::execute`], and of the greeting.
    pub deadline: Duration,
    /// The longest line accepted from QEMU; a longer one kills the monitor.
    pub max_line: usize,
    /// How many events are buffered per subscriber before the oldest are dropped.
    pub event_capacity: usize,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        MonitorOptions {
            deadline: Duration::from_secs(30),
            max_line: DEFAULT_MAX_LINE,
            event_capacity: 1024,
        }
    }
}

/// What the reader hands to a waiting command.
enum Reply {
    Return(Value),
    Error {
        class: String,
        desc: String,
    },
    Dead(DeadReason),
    /// The reply line as QEMU sent it, for a command sent with [`Monitor::execute_raw`].
    Raw(String),
}

/// A command waiting for its reply, and its id when it was sent with one: only raw commands
/// are, and they want the reply line as QEMU sent it. A caller that stopped waiting leaves its
/// waiter in place (the reply still comes, in its turn) with a closed channel.
struct Waiter {
    tx: oneshot::Sender<Reply>,
    id: Option<u64>,
}

/// State shared by the reader task and the command side.
struct Shared {
    state: std::sync::Mutex<State>,
    dead_tx: watch::Sender<Option<DeadReason>>,
    fd: RawFd,
    /// Events published so far; each event carries its number.
    published: AtomicU64,
}

struct State {
    /// Commands sent and not answered yet, in the order they were written.
    pending: VecDeque<Waiter>,
    dead: Option<DeadReason>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves consistent data (plain inserts and removals).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Declares the monitor dead (first reason wins), fails every waiting command and shuts the
    /// socket down so a writer blocked on a full buffer wakes up and QEMU sees the close.
    fn kill(&self, reason: DeadReason) {
        let pending = {
            let mut st = self.lock();
            if st.dead.is_some() {
                return;
            }
            st.dead = Some(reason.clone());
            std::mem::take(&mut st.pending)
        };
        tracing::debug!(%reason, "QMP monitor declared dead");
        for w in pending {
            let _ = w.tx.send(Reply::Dead(reason.clone()));
        }
        // SAFETY: `fd` belongs to the stream whose halves are still alive (the write half is
        // owned by the `Inner` that owns this `Shared`'s other reference, the read half by the
        // reader); shutdown(2) neither closes nor reuses the descriptor.
        unsafe {
            libc::shutdown(self.fd, libc::SHUT_RDWR);
        }
        self.dead_tx.send_replace(Some(reason));
    }

    /// Hands a reply to its command: one with an id to the command sent with that id, one
    /// without to the oldest command sent without one. A reply no command was sent for kills
    /// the monitor.
    fn route(&self, id: Option<Value>, reply: Reply, line: &[u8]) {
        // A raw command's id is `libvirt-N`, as libvirt names its commands.
        let number = |v: &Value| v.as_str()?.strip_prefix(RAW_ID_PREFIX)?.parse::<u64>().ok();
        let waiter = {
            let mut st = self.lock();
            let wanted = id.as_ref().map(number);
            let at = st.pending.iter().position(|w| match wanted {
                None => w.id.is_none(),
                Some(n) => n.is_some() && w.id == n,
            });
            at.and_then(|i| st.pending.remove(i))
        };
        let Some(waiter) = waiter else {
            self.kill(DeadReason::Protocol(match id {
                Some(v) => format!("reply with an id we never sent: {v}"),
                None => "reply to no command we sent".into(),
            }));
            return;
        };
        // A send fails only when the caller gave up waiting: nothing to do then.
        let _ = match waiter.id {
            Some(_) => waiter
                .tx
                .send(Reply::Raw(String::from_utf8_lossy(line).into_owned())),
            None => waiter.tx.send(reply),
        };
    }
}

struct Inner {
    shared: Arc<Shared>,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    next_id: AtomicU64,
    events: broadcast::WeakSender<Event>,
    first_events: std::sync::Mutex<Option<broadcast::Receiver<Event>>>,
    reader: JoinHandle<()>,
    greeting: Greeting,
    opts: MonitorOptions,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shared.kill(DeadReason::Closed);
        self.reader.abort();
    }
}

/// A connected, negotiated QMP monitor. Cheap to clone; every clone talks to the same QEMU.
/// Dropping the last clone closes the socket.
#[derive(Clone)]
pub struct Monitor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("version", &self.inner.greeting.version)
            .field("dead", &self.dead_reason())
            .finish()
    }
}

/// What a subscriber receives: events in order, or notice that some were dropped.
pub type EventReceiver = broadcast::Receiver<Event>;

impl Monitor {
    /// Connects to a monitor socket QEMU listens on, retrying while the socket does not exist
    /// yet or refuses connections (QEMU still starting), until `connect_deadline` has passed.
    pub async fn connect(
        path: impl AsRef<Path>,
        connect_deadline: Duration,
        opts: MonitorOptions,
    ) -> Result<Monitor> {
        let path = path.as_ref();
        let until = Instant::now() + connect_deadline;
        let stream = loop {
            match UnixStream::connect(path).await {
                Ok(s) => break s,
                Err(e)
                    if Instant::now() < until
                        && matches!(
                            e.kind(),
                            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                        ) =>
                {
                    // QEMU opens its socket tens of milliseconds after it starts: a short
                    // period costs a few idle connects and saves up to a period on every start.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(source) => {
                    return Err(Error::Connect {
                        path: path.display().to_string(),
                        source,
                    });
                }
            }
        };
        Monitor::from_stream(stream, opts).await
    }

    /// Takes an already-connected socket (for example one accepted on a listening socket
    /// handed to QEMU, or one end of a socketpair), reads the greeting and negotiates.
    pub async fn from_stream(stream: UnixStream, opts: MonitorOptions) -> Result<Monitor> {
        let fd = stream.as_raw_fd();
        let (mut rd, wr) = stream.into_split();
        let mut splitter = LineSplitter::new(opts.max_line);
        let (greeting, early) =
            tokio::time::timeout(opts.deadline, read_greeting(&mut rd, &mut splitter))
                .await
                .map_err(|_| Error::Timeout {
                    command: "(greeting)".into(),
                    after: opts.deadline,
                })??;

        let (dead_tx, _) = watch::channel(None);
        let shared = Arc::new(Shared {
            state: std::sync::Mutex::new(State {
                pending: VecDeque::new(),
                dead: None,
            }),
            dead_tx,
            fd,
            published: AtomicU64::new(0),
        });
        let (ev_tx, ev_rx) = broadcast::channel(opts.event_capacity.max(1));
        let events = ev_tx.downgrade();
        let reader = tokio::spawn(reader_loop(rd, splitter, early, shared.clone(), ev_tx));
        let mon = Monitor {
            inner: Arc::new(Inner {
                shared,
                writer: tokio::sync::Mutex::new(wr),
                next_id: AtomicU64::new(1),
                events,
                first_events: std::sync::Mutex::new(Some(ev_rx)),
                reader,
                greeting,
                opts,
            }),
        };
        mon.execute("qmp_capabilities", None).await?;
        Ok(mon)
    }

    /// Takes a connected blocking std socket (see [`Monitor::from_stream`]).
    pub async fn from_std(
        stream: std::os::unix::net::UnixStream,
        opts: MonitorOptions,
    ) -> Result<Monitor> {
        stream.set_nonblocking(true)?;
        Monitor::from_stream(UnixStream::from_std(stream)?, opts).await
    }

    /// The greeting QEMU sent (version, capabilities).
    pub fn greeting(&self) -> &Greeting {
        &self.inner.greeting
    }

    /// The deadline [`Monitor::execute`] gives each command.
    pub fn default_deadline(&self) -> Duration {
        self.inner.opts.deadline
    }

    /// Why the monitor is dead, or `None` while it is usable.
    pub fn dead_reason(&self) -> Option<DeadReason> {
        self.inner.shared.lock().dead.clone()
    }

    /// Waits until the monitor dies (QEMU exits, a deadline is missed...) and says why.
    pub async fn closed(&self) -> DeadReason {
        let mut rx = self.inner.shared.dead_tx.subscribe();
        loop {
            if let Some(r) = rx.borrow_and_update().clone() {
                return r;
            }
            if rx.changed().await.is_err() {
                return DeadReason::Closed;
            }
        }
    }

    /// Closes the monitor: waiting and later commands fail with [`DeadReason::Closed`].
    pub fn close(&self) {
        self.inner.shared.kill(DeadReason::Closed);
    }

    /// How many events the monitor has published. QEMU sends an event caused by a command
    /// before the command's reply, and they are read in order: once a command returned, every
    /// event it caused has a number at most this. A subscriber that records the last number it
    /// handled lets a caller wait until the events its command caused were handled.
    pub fn events_published(&self) -> u64 {
        self.inner.shared.published.load(Ordering::SeqCst)
    }

    /// The event stream. The first call gets a receiver that has seen every event since the
    /// connection was negotiated; later calls get a receiver that starts now.
    ///
    /// Lagging: the reader task never waits for a subscriber (a slow consumer must not delay
    /// command replies into false timeouts). Each subscriber buffers
    /// [`MonitorOptions::event_capacity`] events; past that the oldest are dropped and the
    /// subscriber's next `recv` returns `RecvError::Lagged(n)`. A subscriber that lagged should
    /// resynchronise from queries (`query-status`, `query-block-jobs`...). The stream ends
    /// (`RecvError::Closed`) when the monitor dies.
    pub fn events(&self) -> EventReceiver {
        let first = self
            .inner
            .first_events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(rx) = first {
            return rx;
        }
        match self.inner.events.upgrade() {
            Some(tx) => tx.subscribe(),
            None => broadcast::channel(1).1,
        }
    }

    /// Runs a command with the default deadline ([`MonitorOptions::deadline`]).
    pub async fn execute(&self, command: &str, arguments: Option<Value>) -> Result<Value> {
        self.execute_with(command, arguments, &[], self.inner.opts.deadline)
            .await
    }

    /// Runs a command with its own deadline, optionally passing file descriptors to QEMU with
    /// the command (SCM_RIGHTS; QEMU's `getfd` and `add-fd` take the last one received).
    ///
    /// A missed deadline returns [`Error::Timeout`] and kills the monitor.
    pub async fn execute_with(
        &self,
        command: &str,
        arguments: Option<Value>,
        fds: &[RawFd],
        deadline: Duration,
    ) -> Result<Value> {
        let mut msg = serde_json::Map::new();
        msg.insert("execute".into(), Value::from(command));
        if let Some(a) = arguments {
            msg.insert("arguments".into(), a);
        }
        match self
            .round_trip(None, Value::Object(msg), fds, deadline, command)
            .await?
        {
            Reply::Return(v) => Ok(v),
            Reply::Error { class, desc } => Err(Error::Qemu {
                command: command.to_string(),
                class,
                desc,
            }),
            Reply::Dead(r) => Err(dead_to_error(r)),
            Reply::Raw(_) => Err(Error::Protocol("a raw reply to a parsed command".into())),
        }
    }

    /// Sends `command`, a QMP command object written by someone else (libvirt's
    /// `virDomainQemuMonitorCommand`), with the default deadline, and returns QEMU's reply line
    /// as it came, errors included: `{"return": ..., "id": "libvirt-N"}` (the command's own
    /// `id`, if any, is replaced by one of ours of that form).
    ///
    /// Input QEMU would answer without an id (not an object, no `execute`, an unknown member)
    /// is not sent: such a reply could not be told from another command's. The answer is then
    /// the one QEMU gives, `{"error": {"class": "GenericError", "desc": ...}}`.
    pub async fn execute_raw(&self, command: &Value) -> Result<String> {
        if let Some(desc) = qmp_input_error(command) {
            return Ok(
                serde_json::json!({"error": {"class": "GenericError", "desc": desc}}).to_string(),
            );
        }
        let mut msg = command.clone();
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        if let Value::Object(m) = &mut msg {
            m.insert("id".into(), Value::from(format!("{RAW_ID_PREFIX}{id}")));
        }
        let name = command["execute"].as_str().unwrap_or_default().to_string();
        match self
            .round_trip(Some(id), msg, &[], self.inner.opts.deadline, &name)
            .await?
        {
            Reply::Raw(line) => Ok(line),
            Reply::Dead(r) => Err(dead_to_error(r)),
            _ => Err(Error::Protocol("a parsed reply to a raw command".into())),
        }
    }

    /// Sends `msg` (carrying `id`, if any: a raw command, answered with QEMU's line) and waits
    /// for its reply until `deadline`.
    async fn round_trip(
        &self,
        id: Option<u64>,
        msg: Value,
        fds: &[RawFd],
        deadline: Duration,
        command: &str,
    ) -> Result<Reply> {
        let shared = &self.inner.shared;
        if let Some(r) = &shared.lock().dead {
            return Err(Error::Dead(r.clone()));
        }
        let (tx, rx) = oneshot::channel();
        // No line end: QEMU's parser takes the command at its closing brace (see the module
        // documentation for what each extra byte costs).
        let line = serde_json::to_vec(&msg)
            .map_err(|e| Error::Protocol(format!("cannot encode command: {e}")))?;
        let exchange = async {
            {
                let mut w = self.inner.writer.lock().await;
                // Queued under the writer's lock: the waiters are in the order of the writes,
                // which is the order of QEMU's replies.
                {
                    let mut st = shared.lock();
                    if let Some(r) = &st.dead {
                        return Ok(Reply::Dead(r.clone()));
                    }
                    st.pending.push_back(Waiter { tx, id });
                }
                // A write abandoned half-way (the caller dropped this future) would leave a
                // partial line that corrupts the next command: the guard kills the monitor then.
                let unfinished = UnfinishedWrite {
                    shared: Some(shared),
                };
                let written = write_with_fds(&mut w, &line, fds).await;
                unfinished.done();
                written?;
            }
            rx.await
                .map_err(|_| std::io::Error::other("reply channel dropped"))
        };
        // The exchange stays alive until the deadline is recorded, so that a write it abandons
        // does not record itself as the cause of death first.
        tokio::pin!(exchange);
        let outcome = tokio::select! {
            r = &mut exchange => Ok(r),
            _ = tokio::time::sleep(deadline) => Err(()),
        };
        match outcome {
            Err(()) => {
                shared.kill(DeadReason::TimedOut {
                    command: command.to_string(),
                });
                Err(Error::Timeout {
                    command: command.to_string(),
                    after: deadline,
                })
            }
            Ok(Err(e)) => {
                // A write failed (QEMU closed its end), or the reply channel vanished.
                let reason = shared.lock().dead.clone();
                match reason {
                    Some(r) => Err(dead_to_error(r)),
                    None => {
                        let reason = io_reason(&e);
                        shared.kill(reason.clone());
                        Err(dead_to_error(reason))
                    }
                }
            }
            Ok(Ok(reply)) => Ok(reply),
        }
    }
}

/// A reset or broken connection means QEMU went away, the same as EOF.
fn io_reason(e: &std::io::Error) -> DeadReason {
    match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => DeadReason::Eof,
        _ => DeadReason::Io(e.to_string()),
    }
}

/// The error a command that was waiting when the monitor died gets.
fn dead_to_error(r: DeadReason) -> Error {
    match r {
        DeadReason::Eof => Error::Eof,
        DeadReason::Protocol(m) => Error::Protocol(m),
        DeadReason::Io(m) => Error::Io(std::io::Error::other(m)),
        other => Error::Dead(other),
    }
}

/// Kills the monitor unless [`UnfinishedWrite::done`] is called: see `execute_with`.
struct UnfinishedWrite<'a> {
    shared: Option<&'a Shared>,
}

impl UnfinishedWrite<'_> {
    fn done(mut self) {
        self.shared = None;
    }
}

impl Drop for UnfinishedWrite<'_> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared {
            shared.kill(DeadReason::Protocol(
                "a command was abandoned half-written".into(),
            ));
        }
    }
}

/// Reads up to and including the greeting line; returns it with any complete lines that came
/// in the same reads (the reader handles those first; partial ones stay in the splitter).
async fn read_greeting(
    rd: &mut OwnedReadHalf,
    splitter: &mut LineSplitter,
) -> Result<(Greeting, Vec<Vec<u8>>)> {
    let mut buf = [0u8; 4096];
    loop {
        let n = rd.read(&mut buf).await?;
        if n == 0 {
            return Err(Error::Eof);
        }
        let mut lines = splitter
            .push(&buf[..n])
            .map_err(|e| Error::Protocol(format!("greeting longer than {} bytes", e.max)))?
            .into_iter();
        if let Some(line) = lines.next() {
            return match parse_message(&line).map_err(Error::Protocol)? {
                Message::Greeting(g) => Ok((g, lines.collect())),
                other => Err(Error::Protocol(format!(
                    "expected the QMP greeting, got {other:?}"
                ))),
            };
        }
    }
}

async fn reader_loop(
    mut rd: OwnedReadHalf,
    mut splitter: LineSplitter,
    early: Vec<Vec<u8>>,
    shared: Arc<Shared>,
    events: broadcast::Sender<Event>,
) {
    if !handle_lines(early, &shared, &events) {
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) => return shared.kill(DeadReason::Eof),
            Ok(n) => n,
            Err(e) => return shared.kill(io_reason(&e)),
        };
        let lines = match splitter.push(&buf[..n]) {
            Ok(l) => l,
            Err(e) => {
                return shared.kill(DeadReason::Protocol(format!(
                    "QEMU sent a line longer than {} bytes",
                    e.max
                )));
            }
        };
        if !handle_lines(lines, &shared, &events) {
            return;
        }
    }
}

/// Routes replies and publishes events; false once the monitor was killed for a bad line.
fn handle_lines(lines: Vec<Vec<u8>>, shared: &Shared, events: &broadcast::Sender<Event>) -> bool {
    for line in lines {
        match parse_message(&line) {
            Err(m) => {
                shared.kill(DeadReason::Protocol(m));
                return false;
            }
            Ok(Message::Greeting(_)) => {
                shared.kill(DeadReason::Protocol("a second greeting".into()));
                return false;
            }
            Ok(Message::Event(mut e)) => {
                e.seq = shared.published.fetch_add(1, Ordering::SeqCst) + 1;
                // No subscriber is not an error: events are then simply not wanted.
                let _ = events.send(e);
            }
            Ok(Message::Return { id, value }) => shared.route(id, Reply::Return(value), &line),
            Ok(Message::Error { id, class, desc }) => {
                shared.route(id, Reply::Error { class, desc }, &line)
            }
        }
    }
    shared.lock().dead.is_none()
}

/// Writes one command line, attaching `fds` to its first bytes with SCM_RIGHTS.
async fn write_with_fds(w: &mut OwnedWriteHalf, data: &[u8], fds: &[RawFd]) -> std::io::Result<()> {
    if fds.is_empty() {
        return w.write_all(data).await;
    }
    let sent = {
        let stream: &UnixStream = w.as_ref();
        loop {
            stream.writable().await?;
            match stream.try_io(tokio::io::Interest::WRITABLE, || {
                crate::fdpass::send_with_fds(stream.as_raw_fd(), data, fds)
            }) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    };
    w.write_all(&data[sent..]).await
}
