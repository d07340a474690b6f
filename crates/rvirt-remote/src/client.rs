//! The RPC engine of one connection.
//!
//! The connection's I/O runs on a thread of its own, driving a current-thread tokio runtime, so
//! callers need no runtime: a call encodes its packet, registers its serial, queues the packet
//! for the writer and awaits a oneshot that the reader completes with the reply of that serial.
//! Any executor can await it (`rvirt::blocking` uses pollster), and any number of calls may be
//! in flight at once. Event messages go to the event dispatcher; keepalive PINGs from the server
//! are answered at once, and the client's own PINGs detect a server that stopped answering.
//!
//! When the connection fails, every waiting call gets the failure and every later call gets
//! libvirt's `client socket is closed`; no call waits on a dead connection.

use crate::events::{self, Incoming};
use crate::keepalive::{Action, Keepalive};
pub use crate::stream::ClientStream;
use crate::target::Target;
use crate::transport::{self, Connection, Reader, Writer};
use parking_lot::Mutex;
use rvirt_driver::CloseCallback;
use rvirt_proto::remote::{self, Procedure};
use rvirt_proto::{
    FrameError, MessageStatus, MessageType, Packet, RemoteCall, RemoteError, keepalive,
};
use rvirt_types::host::ConnectCloseReason;
use rvirt_types::{Error, ErrorDomain, ErrorLevel, ErrorNumber, Result};
use rvirt_xdr::{XdrDecode, XdrEncode, XdrReader};
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, mpsc, oneshot};

/// How long opening the transport (socket connect, TCP handshake) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long closing waits for the reply to `CONNECT_CLOSE` before dropping the socket anyway.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

type Reply = oneshot::Sender<Result<Packet>>;
type ReplyRx = oneshot::Receiver<Result<Packet>>;
/// What closing asks of the I/O thread: the reply to `CONNECT_CLOSE` to wait for, if sent.
type CloseRequest = Option<ReplyRx>;

/// `client socket is closed`: what every call on a closed or failed connection answers.
pub fn closed_error() -> Error {
    Error::internal(ErrorDomain::RPC, "client socket is closed")
}

fn rpc_error(message: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::RPC, ErrorNumber::RPC, message)
}

/// What a failed read reports, as libvirt words it: with the ssh or ext process's stderr, if it
/// said anything, between the what and the why.
fn read_error(what: &str, err: &std::io::Error, stderr: Option<String>) -> Error {
    match stderr {
        Some(out) => Error::system(ErrorDomain::RPC, format!("{what}: {out}"), err),
        None => Error::system(ErrorDomain::RPC, what, err),
    }
}

/// What the ssh or ext process wrote to its stderr (the first KiB, as libvirt reads), without
/// trailing whitespace; `None` if nothing or no process.
async fn stderr_text(stderr: &mut Option<tokio::process::ChildStderr>) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let e = stderr.as_mut()?;
    let mut buf = Vec::new();
    // The process may still be writing as it exits: give it a moment, no more.
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        let mut chunk = [0u8; 1024];
        while buf.len() < 1024 {
            match e.read(&mut chunk[..1024 - buf.len()]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&buf).trim_end().to_string();
    (!text.is_empty()).then_some(text)
}

/// An error reply from the server, as libvirt's client raises it: unchanged, except that a
/// server lacking the procedure (`unknown procedure: N`) means `VIR_ERR_NO_SUPPORT`.
pub fn server_error(e: RemoteError) -> Error {
    let mut e = Error::from(e);
    if (e.domain == ErrorDomain::REMOTE || e.domain == ErrorDomain::RPC)
        && e.code == ErrorNumber::RPC
        && e.level == ErrorLevel::Error
        && e.message.starts_with("unknown procedure")
    {
        e.code = ErrorNumber::NO_SUPPORT;
    }
    e
}

/// Decodes a reply: the return value, or the server's error.
pub fn decode_reply<T: XdrDecode>(p: &Packet) -> Result<T> {
    // Like libvirt's XDR filters, bytes after the value are ignored.
    match p.header.status {
        MessageStatus::Ok => T::decode(&mut XdrReader::new(&p.payload))
            .map_err(|_| rpc_error("Unable to decode message payload")),
        MessageStatus::Error => {
            let e = RemoteError::decode(&mut XdrReader::new(&p.payload))
                .map_err(|_| rpc_error("Unable to decode message payload"))?;
            Err(server_error(e))
        }
        s => Err(rpc_error(format!(
            "Unexpected message status {}",
            s.to_i32()
        ))),
    }
}

struct State {
    pending: HashMap<u32, Reply>,
    /// Open streams by the serial of the call that opened them: their STREAM packets, and
    /// replies of that serial no call waits for (a refused finish), go there.
    streams: HashMap<u32, mpsc::UnboundedSender<Packet>>,
    /// Set once, when the connection fails or closes.
    dead: bool,
}

/// The connection's close callback (libvirt's `virConnectCloseCallbackData`). It is called at
/// most once; once called (or once the caller closed the connection) it stays registered, and
/// so blocks another registration, until it is unregistered.
#[derive(Default)]
struct CloseSlot {
    callback: Option<CloseCallback>,
    spent: bool,
}

/// What the caller side and the I/O thread share.
pub(crate) struct Shared {
    state: Mutex<State>,
    close_callback: Mutex<CloseSlot>,
    keepalive: Mutex<Keepalive>,
    keepalive_changed: Notify,
}

impl Shared {
    /// Registers a call waiting for the reply with `serial`.
    fn register(&self, serial: u32) -> Result<ReplyRx> {
        let mut st = self.state.lock();
        if st.dead {
            return Err(closed_error());
        }
        let (tx, rx) = oneshot::channel();
        st.pending.insert(serial, tx);
        Ok(rx)
    }

    fn complete(&self, serial: u32, result: Result<Packet>) {
        let mut st = self.state.lock();
        let waiter = st.pending.remove(&serial);
        match (waiter, result) {
            (Some(tx), result) => {
                drop(st);
                let _ = tx.send(result);
            }
            (None, Ok(packet)) => match st.streams.get(&serial) {
                Some(stream) => {
                    let _ = stream.send(packet);
                }
                None => tracing::debug!(serial, "reply for no waiting call"),
            },
            (None, Err(_)) => tracing::debug!(serial, "reply for no waiting call"),
        }
    }

    /// A STREAM packet: to the stream its serial names, or dropped (data may still arrive for a
    /// stream just closed, as libvirt allows).
    fn stream_packet(&self, packet: Packet) {
        let st = self.state.lock();
        match st.streams.get(&packet.header.serial) {
            Some(stream) => {
                let _ = stream.send(packet);
            }
            None => tracing::debug!(serial = packet.header.serial, "data for no open stream"),
        }
    }

    /// Ends the stream of `serial`: later packets for it are dropped.
    pub(crate) fn close_stream(&self, serial: u32) {
        self.state.lock().streams.remove(&serial);
    }

    /// Calls the close callback, if one is registered and was not called yet, on a thread of
    /// its own (it may call into the API, or take its time).
    fn fire_close_callback(&self, reason: ConnectCloseReason) {
        let callback = {
            let mut slot = self.close_callback.lock();
            if slot.spent {
                return;
            }
            slot.spent = true;
            slot.callback.clone()
        };
        if let Some(cb) = callback {
            let spawned = std::thread::Builder::new()
                .name("rvirt-remote-close".into())
                .spawn(move || cb(reason));
            if let Err(e) = spawned {
                tracing::warn!("cannot run the connection's close callback: {e}");
            }
        }
    }

    /// The connection is gone: every waiting call gets `cause`.
    fn fail_all(&self, cause: &Error) {
        let waiters: Vec<Reply> = {
            let mut st = self.state.lock();
            st.dead = true;
            // Dropping the streams' senders tells each stream the connection is gone.
            st.streams.clear();
            st.pending.drain().map(|(_, tx)| tx).collect()
        };
        for tx in waiters {
            let _ = tx.send(Err(cause.clone()));
        }
    }
}

/// The client side of one connection. Dropping it closes the connection (see
/// [`Client::close`]).
pub struct Client {
    shared: Arc<Shared>,
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    /// Calls that pass file descriptors, written whole (packet, then each descriptor) by the
    /// same writer as everything else.
    fd_outbox: mpsc::UnboundedSender<WithFds>,
    /// The transport is a unix socket, which can carry descriptors.
    passes_fds: bool,
    serial: AtomicU32,
    runtime: tokio::runtime::Handle,
    close: Mutex<Option<oneshot::Sender<CloseRequest>>>,
    finished: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl Client {
    /// Opens the transport of `target` on a new I/O thread. Event messages go to `events`.
    pub async fn connect(
        target: Target,
        events: std::sync::mpsc::Sender<Incoming>,
    ) -> Result<Client> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pending: HashMap::new(),
                streams: HashMap::new(),
                dead: false,
            }),
            close_callback: Mutex::new(CloseSlot::default()),
            keepalive: Mutex::new(Keepalive::new(Instant::now())),
            keepalive_changed: Notify::new(),
        });
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(tokio::runtime::Handle, bool)>>();
        let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
        let (fd_outbox_tx, fd_outbox_rx) = mpsc::unbounded_channel();
        let (close_tx, close_rx) = oneshot::channel();
        let (finished_tx, finished_rx) = std::sync::mpsc::channel::<()>();
        let io_shared = shared.clone();
        let io_outbox = outbox_tx.clone();
        std::thread::Builder::new()
            .name("rvirt-remote-io".into())
            .spawn(move || {
                // Dropped when the thread ends: tells a closing caller the socket is gone.
                let _finished = finished_tx;
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(Error::system(
                            ErrorDomain::RPC,
                            "cannot start the connection's event loop",
                            &e,
                        )));
                        return;
                    }
                };
                rt.block_on(async move {
                    let conn =
                        match tokio::time::timeout(CONNECT_TIMEOUT, transport::connect(&target))
                            .await
                        {
                            Ok(Ok(c)) => c,
                            Ok(Err(e)) => {
                                let _ = ready_tx.send(Err(e));
                                return;
                            }
                            Err(_) => {
                                let _ = ready_tx.send(Err(Error::with_detail(
                                    ErrorDomain::RPC,
                                    ErrorNumber::OPERATION_TIMEOUT,
                                    format!(
                                        "cannot reach the daemon within {} seconds",
                                        CONNECT_TIMEOUT.as_secs()
                                    ),
                                )));
                                return;
                            }
                        };
                    let passes_fds = conn.fd_socket.is_some();
                    let _ = ready_tx.send(Ok((tokio::runtime::Handle::current(), passes_fds)));
                    let outboxes = Outboxes {
                        packets: outbox_rx,
                        with_fds: fd_outbox_rx,
                    };
                    run(conn, outboxes, io_outbox, io_shared, events, close_rx).await;
                });
            })
            .map_err(|e| {
                Error::system(ErrorDomain::RPC, "cannot start the connection's thread", &e)
            })?;
        let (runtime, passes_fds) = ready_rx.await.map_err(|_| closed_error())??;
        Ok(Client {
            shared,
            outbox: outbox_tx,
            fd_outbox: fd_outbox_tx,
            passes_fds,
            serial: AtomicU32::new(0),
            runtime,
            close: Mutex::new(Some(close_tx)),
            finished: Mutex::new(Some(finished_rx)),
        })
    }

    /// Calls procedure `C` and waits for its reply as long as the connection lives.
    pub async fn call<C: RemoteCall>(&self, args: &C::Args) -> Result<C::Ret> {
        self.call_within::<C>(args, None).await
    }

    /// Calls procedure `C`; with a `deadline`, gives up (`VIR_ERR_OPERATION_TIMEOUT`) if no
    /// reply came in that time.
    pub async fn call_within<C: RemoteCall>(
        &self,
        args: &C::Args,
        deadline: Option<Duration>,
    ) -> Result<C::Ret> {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        self.call_serial::<C>(serial, args, deadline).await
    }

    async fn call_serial<C: RemoteCall>(
        &self,
        serial: u32,
        args: &C::Args,
        deadline: Option<Duration>,
    ) -> Result<C::Ret> {
        let mut packet = Vec::new();
        rvirt_proto::encode_packet(
            &mut packet,
            &remote::call_header(C::PROCEDURE, serial),
            args,
        )
        .map_err(|_| rpc_error("Unable to encode message payload"))?;
        let rx = self.send(serial, packet)?;
        if let Some(d) = deadline {
            let shared = self.shared.clone();
            let procedure = C::PROCEDURE;
            self.runtime.spawn(async move {
                tokio::time::sleep(d).await;
                shared.complete(
                    serial,
                    Err(Error::with_detail(
                        ErrorDomain::RPC,
                        ErrorNumber::OPERATION_TIMEOUT,
                        format!(
                            "no reply to {} within {} seconds",
                            procedure.name(),
                            d.as_secs()
                        ),
                    )),
                );
            });
        }
        let reply = rx.await.map_err(|_| closed_error())??;
        decode_reply(&reply)
    }

    /// Calls procedure `procedure` of the QEMU program (libvirt-qemu's calls).
    pub async fn call_qemu<A: XdrEncode, R: XdrDecode>(
        &self,
        procedure: i32,
        args: &A,
    ) -> Result<R> {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut packet = Vec::new();
        rvirt_proto::encode_packet(
            &mut packet,
            &rvirt_proto::qemu::call_header(procedure, serial),
            args,
        )
        .map_err(|_| rpc_error("Unable to encode message payload"))?;
        let rx = self.send(serial, packet)?;
        let reply = rx.await.map_err(|_| closed_error())??;
        decode_reply(&reply)
    }

    /// Calls procedure `C` passing `fds` beside it (`VIR_NET_CALL_WITH_FDS`): the packet's
    /// payload opens with their number, and each follows the packet attached to a byte of its
    /// own. Only unix sockets carry descriptors.
    pub async fn call_with_fds<C: RemoteCall>(
        &self,
        args: &C::Args,
        fds: Vec<OwnedFd>,
    ) -> Result<C::Ret> {
        if fds.is_empty() {
            return self.call::<C>(args).await;
        }
        if !self.passes_fds {
            return Err(no_fd_passing());
        }
        let count = u32::try_from(fds.len())
            .ok()
            .filter(|&n| n <= rvirt_proto::fdpass::NUM_FDS_MAX)
            .ok_or_else(|| {
                rpc_error(format!(
                    "Too many FDs to send {}, expected {} maximum",
                    fds.len(),
                    rvirt_proto::fdpass::NUM_FDS_MAX
                ))
            })?;
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut header = remote::call_header(C::PROCEDURE, serial);
        header.kind = MessageType::CallWithFds;
        let mut packet = Vec::new();
        rvirt_proto::encode_packet(&mut packet, &header, &CountedArgs(count, args))
            .map_err(|_| rpc_error("Unable to encode message payload"))?;
        let rx = self.shared.register(serial)?;
        if self.fd_outbox.send(WithFds { packet, fds }).is_err() {
            self.shared.state.lock().pending.remove(&serial);
            return Err(closed_error());
        }
        let reply = rx.await.map_err(|_| closed_error())??;
        decode_reply(&reply)
    }

    /// Calls procedure `C`, whose data then flows over a stream (`virNetClientStream`): the
    /// stream is open before the call leaves, so no packet of it can be missed.
    pub async fn call_with_stream<C: RemoteCall>(
        &self,
        args: &C::Args,
    ) -> Result<(C::Ret, ClientStream)> {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        self.shared.state.lock().streams.insert(serial, tx);
        let stream = ClientStream::new(
            remote::call_header(C::PROCEDURE, serial),
            rx,
            self.outbox.clone(),
            self.shared.clone(),
        );
        match self.call_serial::<C>(serial, args, None).await {
            Ok(ret) => Ok((ret, stream)),
            Err(e) => {
                // The server opened nothing: nothing to abort.
                stream.discard();
                Err(e)
            }
        }
    }

    fn send(&self, serial: u32, packet: Vec<u8>) -> Result<ReplyRx> {
        let rx = self.shared.register(serial)?;
        if self.outbox.send(packet).is_err() {
            self.shared.state.lock().pending.remove(&serial);
            return Err(closed_error());
        }
        Ok(rx)
    }

    /// Whether the connection is still open (`virNetClientIsOpen`).
    pub fn is_open(&self) -> bool {
        !self.shared.state.lock().dead
    }

    /// Starts, changes or (with `None`) stops the client's keepalive PINGs.
    pub fn set_keepalive(&self, interval: Option<Duration>, count: u32) {
        self.shared
            .keepalive
            .lock()
            .start(interval, count, Instant::now());
        self.shared.keepalive_changed.notify_one();
    }

    /// `VIR_ERR_OPERATION_INVALID` if a close callback is registered already.
    pub fn check_close_callback_free(&self) -> Result<()> {
        if self.shared.close_callback.lock().callback.is_some() {
            return Err(Error::with_detail(
                ErrorDomain::REMOTE,
                ErrorNumber::OPERATION_INVALID,
                "A close callback is already registered",
            ));
        }
        Ok(())
    }

    /// Records `callback` as the connection's close callback (the caller has told the server,
    /// if it takes part); see [`Client::check_close_callback_free`].
    pub fn set_close_callback(&self, callback: CloseCallback) -> Result<()> {
        self.check_close_callback_free()?;
        self.shared.close_callback.lock().callback = Some(callback);
        Ok(())
    }

    /// `VIR_ERR_OPERATION_INVALID` unless a close callback is registered.
    pub fn check_close_callback_set(&self) -> Result<()> {
        if self.shared.close_callback.lock().callback.is_none() {
            return Err(Error::with_detail(
                ErrorDomain::REMOTE,
                ErrorNumber::OPERATION_INVALID,
                "A different callback was requested",
            ));
        }
        Ok(())
    }

    /// Forgets the close callback.
    pub fn clear_close_callback(&self) {
        *self.shared.close_callback.lock() = CloseSlot::default();
    }

    /// Calls the close callback as the server asked (`CONNECT_EVENT_CONNECTION_CLOSED`).
    pub(crate) fn server_closed(shared: &Shared, reason: ConnectCloseReason) {
        shared.fire_close_callback(reason);
    }

    /// Sends `CONNECT_CLOSE`, waits (at most [`CLOSE_TIMEOUT`]) for its reply, and closes the
    /// socket (or ends the ssh process). Returns once the connection's thread is done, or the
    /// wait ran out; a second call does nothing.
    pub fn close(&self) {
        let Some(tx) = self.close.lock().take() else {
            return;
        };
        // The caller's own close never calls the close callback.
        self.shared.close_callback.lock().spent = true;
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut packet = Vec::new();
        let reply = rvirt_proto::encode_packet(
            &mut packet,
            &remote::call_header(Procedure::ConnectClose, serial),
            &(),
        )
        .ok()
        .and_then(|()| self.send(serial, packet).ok());
        let _ = tx.send(reply);
        if let Some(finished) = self.finished.lock().take() {
            let _ = finished.recv_timeout(CLOSE_TIMEOUT + Duration::from_secs(1));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.close();
    }
}

/// libvirt's error for descriptors on a socket that cannot carry them (TCP, TLS, ssh).
fn no_fd_passing() -> Error {
    Error::with_detail(
        ErrorDomain::RPC,
        ErrorNumber::INTERNAL_ERROR,
        "Sending file descriptors is not supported on this socket",
    )
}

/// A payload that opens with the number of descriptors passed beside it.
struct CountedArgs<'a, T>(u32, &'a T);

impl<T: XdrEncode> XdrEncode for CountedArgs<'_, T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

/// A call packet and the descriptors that follow it.
struct WithFds {
    packet: Vec<u8>,
    fds: Vec<OwnedFd>,
}

/// What the writer takes packets from.
struct Outboxes {
    packets: mpsc::UnboundedReceiver<Vec<u8>>,
    with_fds: mpsc::UnboundedReceiver<WithFds>,
}

/// How long a descriptor may wait for room in the socket before the connection counts as stuck.
const FD_SEND_DEADLINE: Duration = Duration::from_secs(30);

/// Sends `fds` one by one as libvirt does, each attached to a byte of its own. The socket is
/// non-blocking: a full buffer is waited out in short sleeps (descriptors are rare and few).
async fn send_fds(sock: Option<&OwnedFd>, fds: &[OwnedFd]) -> std::result::Result<(), Error> {
    let Some(sock) = sock else {
        return Err(no_fd_passing());
    };
    for fd in fds {
        let started = Instant::now();
        loop {
            match rvirt_proto::fdpass::send_fd(sock.as_fd(), fd.as_fd()) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if started.elapsed() > FD_SEND_DEADLINE {
                        return Err(Error::system(ErrorDomain::RPC, "Cannot send FD", &e));
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(e) => {
                    return Err(Error::system(
                        ErrorDomain::RPC,
                        "Failed to send file descriptor",
                        &e,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The connection's life on the I/O thread: read, write and keep alive until one fails or the
/// client closes.
async fn run(
    conn: Connection,
    mut outboxes: Outboxes,
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    shared: Arc<Shared>,
    events: std::sync::mpsc::Sender<Incoming>,
    mut close_rx: oneshot::Receiver<CloseRequest>,
) {
    let Connection {
        mut reader,
        mut writer,
        child,
        mut stderr,
        fd_socket,
    } = conn;
    let (cause, reason) = {
        let reading = read_loop(&mut reader, &mut stderr, &shared, &outbox, &events);
        let writing = write_loop(&mut writer, &mut outboxes, fd_socket.as_ref());
        let keeping = keepalive_loop(&shared, &outbox);
        tokio::pin!(reading, writing, keeping);
        let mut closing: Option<Pin<Box<dyn Future<Output = ()> + Send>>> = None;
        let mut close_requested = false;
        loop {
            let close_done = async {
                match &mut closing {
                    Some(f) => f.await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                e = &mut reading => break e,
                e = &mut writing => break (e, ConnectCloseReason::ERROR),
                e = &mut keeping => break (e, ConnectCloseReason::KEEPALIVE),
                request = &mut close_rx, if !close_requested => {
                    close_requested = true;
                    closing = Some(match request {
                        Ok(Some(reply)) => Box::pin(async move {
                            let _ = tokio::time::timeout(CLOSE_TIMEOUT, reply).await;
                        }),
                        // Nothing to wait for: close at once.
                        _ => Box::pin(async {}),
                    });
                }
                () = close_done => break (closed_error(), ConnectCloseReason::CLIENT),
            }
        }
    };
    shared.fail_all(&cause);
    shared.fire_close_callback(reason);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer.shutdown()).await;
    drop(writer);
    drop(reader);
    // kill_on_drop ends an ssh or ext process that is still running.
    drop(child);
}

async fn read_loop(
    reader: &mut Reader,
    stderr: &mut Option<tokio::process::ChildStderr>,
    shared: &Shared,
    outbox: &mpsc::UnboundedSender<Vec<u8>>,
    events: &std::sync::mpsc::Sender<Incoming>,
) -> (Error, ConnectCloseReason) {
    loop {
        let packet = match rvirt_proto::read_packet(reader).await {
            Ok(Some(p)) => p,
            Ok(None) | Err(FrameError::Truncated) => {
                let eio = std::io::Error::from_raw_os_error(libc::EIO);
                let e = read_error(
                    "End of file while reading data",
                    &eio,
                    stderr_text(stderr).await,
                );
                return (e, ConnectCloseReason::EOF);
            }
            Err(FrameError::Io(e)) => {
                let e = read_error("Cannot recv data", &e, stderr_text(stderr).await);
                return (e, ConnectCloseReason::ERROR);
            }
            Err(e) => return (rpc_error(e.to_string()), ConnectCloseReason::ERROR),
        };
        shared.keepalive.lock().received(Instant::now());
        let h = packet.header;
        match (h.program, h.kind) {
            (
                remote::PROGRAM | rvirt_proto::qemu::PROGRAM,
                MessageType::Reply | MessageType::ReplyWithFds,
            ) => {
                shared.complete(h.serial, Ok(packet));
            }
            (remote::PROGRAM, MessageType::Stream) => shared.stream_packet(packet),
            (remote::PROGRAM, MessageType::Message)
                if h.procedure == Procedure::ConnectEventConnectionClosed as i32 =>
            {
                let reason = XdrReader::new(&packet.payload).read::<i32>().unwrap_or(0);
                Client::server_closed(shared, ConnectCloseReason(reason));
            }
            (remote::PROGRAM, MessageType::Message) => {
                if let Some(incoming) = events::decode(h.procedure, &packet.payload) {
                    let _ = events.send(incoming);
                }
            }
            (keepalive::PROGRAM, MessageType::Message) if h.procedure == keepalive::PROC_PING => {
                let _ = outbox.send(keepalive_packet(keepalive::PROC_PONG));
            }
            // PONGs only matter as proof of life, recorded above.
            (keepalive::PROGRAM, _) => {}
            _ => tracing::debug!(?h, "ignoring an unexpected packet"),
        }
    }
}

fn keepalive_packet(procedure: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(28);
    // A header alone always fits a packet.
    let _ = rvirt_proto::encode_packet(&mut out, &keepalive::header(procedure), &());
    out
}

async fn write_loop(
    writer: &mut Writer,
    outboxes: &mut Outboxes,
    fd_socket: Option<&OwnedFd>,
) -> Error {
    loop {
        let (packet, fds) = tokio::select! {
            p = outboxes.packets.recv() => match p {
                Some(p) => (p, Vec::new()),
                None => break,
            },
            Some(w) = outboxes.with_fds.recv() => (w.packet, w.fds),
        };
        if let Err(e) = writer.write_all(&packet).await {
            return Error::system(ErrorDomain::RPC, "Cannot write data", &e);
        }
        if let Err(e) = writer.flush().await {
            return Error::system(ErrorDomain::RPC, "Cannot write data", &e);
        }
        if !fds.is_empty()
            && let Err(e) = send_fds(fd_socket, &fds).await
        {
            return e;
        }
    }
    closed_error()
}

async fn keepalive_loop(shared: &Shared, outbox: &mpsc::UnboundedSender<Vec<u8>>) -> Error {
    loop {
        let wake = shared.keepalive.lock().next_wake();
        match wake {
            None => {
                shared.keepalive_changed.notified().await;
                continue;
            }
            Some(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {}
                    () = shared.keepalive_changed.notified() => continue,
                }
            }
        }
        let action = shared.keepalive.lock().on_timer(Instant::now());
        match action {
            Action::Ping => {
                let _ = outbox.send(keepalive_packet(keepalive::PROC_PING));
            }
            Action::Dead => {
                return Error::internal(
                    ErrorDomain::RPC,
                    "connection closed due to keepalive timeout",
                );
            }
            Action::Wait => {}
        }
    }
}
