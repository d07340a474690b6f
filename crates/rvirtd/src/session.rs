//! One client connection: the reader loop, the writer task, keepalive and the client's state.

use crate::dispatch;
use crate::server::Shared;
use rvirt::Connect;
use rvirt_proto::fdpass::{self, FdQueue, FdReader};
use rvirt_proto::{Header, MessageType, Packet, PacketReader, keepalive};
use std::collections::{HashMap, VecDeque};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::{debug, info, warn};

/// The client's side of the socket to write to, shared by the reader (replies it answers itself)
/// and the writer task (everything else), one whole packet at a time.
type Writer = tokio::sync::Mutex<std::pin::Pin<Box<dyn AsyncWrite + Send>>>;

/// Bytes read from a client's socket at a time.
const READ_BUFFER: usize = 4096;

/// Stream packets a client's reader holds, once their streams' queues are full, before it
/// stops reading that client.
const BACKLOG: usize = 4;

/// Packets queued for one client before event delivery counts the client as stuck.
const OUT_QUEUE: usize = 256;

/// How long each of a closing client's unsent replies may take to leave, and how long all of them
/// may take once the calls in flight are done.
const FLUSH_DEADLINE: Duration = Duration::from_secs(5);

/// An event registration of one client: the id the client knows and the registration behind it.
pub(crate) struct EventRegistration {
    /// The connection's callback id.
    pub id: rvirt::CallbackId,
    /// Registered through the pre-callback protocol (`DOMAIN_EVENT_REGISTER_ANY`), whose events
    /// carry no callback id.
    pub legacy: bool,
    /// The `virDomainEventID` (or `virNetworkEventID`) registered for.
    pub event_id: i32,
    /// A network event registration (libvirtd keeps one list per object family).
    pub network: bool,
}

/// A packet queued for the client: its bytes in `head`, or, for stream data, its length word and
/// header in `head` and the data in `body`, written together with one `writev` so the data is
/// not copied into a packet of its own.
pub(crate) struct Outgoing {
    head: Vec<u8>,
    body: Vec<u8>,
    /// Held until the packet is written (or dropped unwritten): a stream counts its packets
    /// on their way to the client with it.
    _sending: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl From<Vec<u8>> for Outgoing {
    fn from(head: Vec<u8>) -> Outgoing {
        Outgoing {
            head,
            body: Vec::new(),
            _sending: None,
        }
    }
}

/// What the daemon knows about one client.
pub(crate) struct Session {
    /// Arrived on the read-only socket: the connection is forced read-only.
    pub from_ro_socket: bool,
    /// The hypervisor connection, once `CONNECT_OPEN` succeeded.
    pub conn: parking_lot::Mutex<Option<Connect>>,
    /// Event registrations by the id the client was given.
    pub events: parking_lot::Mutex<HashMap<i32, EventRegistration>>,
    /// Storage pool event registrations: the connection's callback id by the client's id.
    pub storage_events: parking_lot::Mutex<HashMap<i32, rvirt::CallbackId>>,
    /// Node device event registrations: the connection's callback id by the client's id.
    pub nodedev_events: parking_lot::Mutex<HashMap<i32, rvirt::CallbackId>>,
    /// The client asked for keepalive: the daemon probes it when idle.
    pub keepalive: AtomicBool,
    /// Streams of the client's calls, by the call's serial.
    pub streams: parking_lot::Mutex<HashMap<u32, crate::stream::Slot>>,
    out: mpsc::Sender<Outgoing>,
    close: watch::Sender<bool>,
    started: Instant,
    last_rx_ms: AtomicU64,
    /// Packets received so far: keepalive counts a probe answered when this moved.
    received: AtomicU64,
    pub shared: Arc<Shared>,
}

impl Session {
    /// The open connection, or libvirt's error for a call that needs one.
    pub fn conn(&self) -> rvirt::Result<Connect> {
        self.conn
            .lock()
            .clone()
            .ok_or_else(|| dispatch::internal("hypervisor connection not open"))
    }

    /// Queues a reply; waits while the client's queue is full (the client is slow to read, and
    /// only its own calls wait).
    pub async fn send(&self, packet: Vec<u8>) {
        let _ = self.out.send(packet.into()).await;
    }

    /// Queues a packet like [`Session::send`]; `false` when the connection is gone.
    pub async fn send_or_gone(&self, packet: Vec<u8>) -> bool {
        self.out.send(packet.into()).await.is_ok()
    }

    /// Queues a packet made of `head` (length word and header) and `body` (the data that
    /// follows) like [`Session::send_or_gone`], holding `sending` until it is written; `false`
    /// when the connection is gone.
    pub(crate) async fn send_parts_or_gone(
        &self,
        head: Vec<u8>,
        body: Vec<u8>,
        sending: tokio::sync::OwnedSemaphorePermit,
    ) -> bool {
        let packet = Outgoing {
            head,
            body,
            _sending: Some(sending),
        };
        self.out.send(packet).await.is_ok()
    }

    /// Queues a message that must not wait (events, keepalive). A client whose queue is full
    /// has stopped reading: it is disconnected rather than allowed to hold the daemon's memory.
    pub fn send_now(&self, packet: Vec<u8>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.out.try_send(packet.into()) {
            warn!("client is not reading its messages; closing the connection");
            self.close();
        }
    }

    /// Asks the connection to close.
    pub fn close(&self) {
        let _ = self.close.send(true);
    }

    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.last_rx_ms.store(ms, Ordering::Relaxed);
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_rx_ms.load(Ordering::Relaxed)))
    }
}

/// Serves one client of a unix socket: the one transport that passes file descriptors.
pub(crate) async fn serve_unix(
    stream: tokio::net::UnixStream,
    from_ro_socket: bool,
    shared: Arc<Shared>,
) {
    let fds = FdQueue::default();
    let (rd, wr) = stream.into_split();
    let rd = FdReader::new(rd, fds.clone());
    serve_halves(rd, wr, Some(fds), from_ro_socket, shared, |_| {}).await
}

/// Serves one client of a TCP or TLS connection until it disconnects, misbehaves or the
/// daemon shuts down.
pub(crate) async fn serve<S>(stream: S, from_ro_socket: bool, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    serve_with(stream, from_ro_socket, shared, |_| {}).await
}

/// [`serve`], with `setup` run on the session before its first packet is read (tests give it
/// streams).
async fn serve_with<S>(
    stream: S,
    from_ro_socket: bool,
    shared: Arc<Shared>,
    setup: impl FnOnce(&Arc<Session>),
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rd, wr) = tokio::io::split(stream);
    serve_halves(rd, wr, None, from_ro_socket, shared, setup).await
}

/// Serves one client; `fds` holds the descriptors its socket passed, on unix sockets.
async fn serve_halves<R, W>(
    rd: R,
    wr: W,
    fds: Option<FdQueue>,
    from_ro_socket: bool,
    shared: Arc<Shared>,
    setup: impl FnOnce(&Arc<Session>),
) where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + 'static,
{
    // One read syscall brings in a whole small call, length word and all.
    let mut rd = tokio::io::BufReader::with_capacity(READ_BUFFER, rd);
    let wr: Arc<Writer> = Arc::new(tokio::sync::Mutex::new(Box::pin(wr)));
    let (out, out_rx) = mpsc::channel(OUT_QUEUE);
    let (close, mut close_rx) = watch::channel(false);
    let session = Arc::new(Session {
        from_ro_socket,
        conn: parking_lot::Mutex::new(None),
        events: parking_lot::Mutex::new(HashMap::new()),
        storage_events: parking_lot::Mutex::new(HashMap::new()),
        nodedev_events: parking_lot::Mutex::new(HashMap::new()),
        keepalive: AtomicBool::new(false),
        streams: parking_lot::Mutex::new(HashMap::new()),
        out,
        close,
        started: Instant::now(),
        last_rx_ms: AtomicU64::new(0),
        received: AtomicU64::new(0),
        shared: shared.clone(),
    });
    let (draining, draining_rx) = watch::channel(false);
    let mut writer = tokio::spawn(write_loop(
        wr.clone(),
        out_rx,
        session.close.subscribe(),
        draining_rx,
    ));
    setup(&session);
    let prober = tokio::spawn(keepalive_loop(Arc::downgrade(&session)));
    let max_requests = shared.config.max_client_requests;
    let in_flight = Arc::new(Semaphore::new(max_requests));
    let mut shutdown = shared.shutdown.clone();

    // Stream packets whose stream's queue is full, oldest first, and a call read behind them.
    // While they wait the reader keeps reading, so a keepalive PING is answered however long the
    // stream takes; but it stops once BACKLOG packets (or a call) wait, so a client still waits
    // in its socket rather than in the daemon's memory (libvirtd too stops reading a client
    // whose max_client_requests messages are all queued).
    let mut backlog: VecDeque<(
        mpsc::Sender<crate::stream::Incoming>,
        crate::stream::Incoming,
    )> = VecDeque::new();
    let mut parked: Option<(Packet, Vec<OwnedFd>)> = None;
    let mut packets = PacketReader::default();
    loop {
        let mut unparked_files = None;
        let packet = if backlog.is_empty()
            && let Some((p, files)) = parked.take()
        {
            unparked_files = Some(files);
            Ok(Some(p))
        } else {
            let front = backlog.front().map(|(tx, _)| tx.clone());
            let can_read = parked.is_none() && backlog.len() < BACKLOG;
            tokio::select! {
                biased;
                _ = close_rx.changed() => break,
                _ = shutdown.wait_for(|&down| down) => break,
                room = async {
                    match front {
                        Some(tx) => tx.reserve_owned().await.ok(),
                        None => std::future::pending().await,
                    }
                }, if !backlog.is_empty() => {
                    if let Some((_, item)) = backlog.pop_front() {
                        // A closed queue (the stream just ended) drops the packet.
                        if let Some(permit) = room {
                            permit.send(item);
                        }
                    }
                    continue;
                }
                // The reader keeps a packet's first bytes when the stream branch wins.
                p = packets.next(&mut rd), if can_read => p,
            }
        };
        let packet = match packet {
            Ok(Some(p)) => p,
            Ok(None) => {
                debug!("client closed the connection");
                break;
            }
            Err(e) => {
                info!("dropping client: {e}");
                break;
            }
        };
        session.touch();
        let Packet {
            header,
            mut payload,
        } = packet;
        if header.program == keepalive::PROGRAM {
            handle_keepalive(&session, &header);
            continue;
        }
        if header.kind == MessageType::Stream && header.program == rvirt_proto::REMOTE_PROGRAM {
            // A full queue means the stream is behind: the packet waits in the backlog (behind
            // any already there, so each stream's data stays in order). A closed queue (the
            // stream just ended) drops the packet.
            if let Some(inbox) = crate::stream::inbox(&session, &header) {
                let item = (header.status, payload);
                if !backlog.is_empty() {
                    backlog.push_back((inbox, item));
                } else if let Err(mpsc::error::TrySendError::Full(item)) = inbox.try_send(item) {
                    backlog.push_back((inbox, item));
                }
            }
            continue;
        }
        if !matches!(header.kind, MessageType::Call | MessageType::CallWithFds) {
            // Stray replies or messages: libvirtd drops these too.
            debug!(?header, "ignoring a packet that is not a call");
            continue;
        }
        // A call with descriptors: their number opens the payload, and one marker byte per
        // descriptor follows the packet, each bringing its descriptor along. They are read
        // at once, even for a call that then waits behind stream data.
        let files = match unparked_files {
            Some(files) => files,
            None if header.kind == MessageType::CallWithFds => {
                let received = tokio::select! {
                    biased;
                    _ = close_rx.changed() => break,
                    _ = shutdown.wait_for(|&down| down) => break,
                    r = receive_fds(&mut rd, fds.as_ref(), &payload) => r,
                };
                match received {
                    Ok((got, skip)) => {
                        payload.drain(..skip);
                        got
                    }
                    Err(e) => {
                        info!("dropping client: {e}");
                        break;
                    }
                }
            }
            None => Vec::new(),
        };
        if !backlog.is_empty() {
            // A call waits for the stream data sent before it (a call may depend on it).
            parked = Some((Packet { header, payload }, files));
            continue;
        }
        // At most max_client_requests calls per client: when they are all busy, stop reading
        // from this client (its socket buffers fill and it waits), as libvirtd does.
        let permit = tokio::select! {
            biased;
            _ = close_rx.changed() => break,
            _ = shutdown.wait_for(|&down| down) => break,
            p = in_flight.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        if in_flight.available_permits() + 1 == max_requests {
            // Nothing else of this client's is running: answer here, in the reader's task, and
            // write the reply straight to the socket. A client that waits for each reply (most
            // do) gets its answer without a single hand-over between tasks.
            let reply = dispatch::call(&session, header, payload, files).await;
            let written = tokio::select! {
                biased;
                _ = close_rx.changed() => break,
                _ = shutdown.wait_for(|&down| down) => break,
                w = async { wr.lock().await.write_all(&reply).await } => w,
            };
            drop(permit);
            if written.is_err() {
                break;
            }
            crate::stream::start(&session, &header);
            continue;
        }
        let s = session.clone();
        tokio::spawn(async move {
            let reply = dispatch::call(&s, header, payload, files).await;
            s.send(reply).await;
            crate::stream::start(&s, &header);
            drop(permit);
        });
    }

    // Let the calls in flight finish and their replies leave, then tear down. A client that
    // does not read its replies gets FLUSH_DEADLINE for each: then the writer gives up, and the
    // calls waiting to queue a reply behind it stop waiting. Closing the connection deregisters
    // its event callbacks.
    let _ = draining.send(true);
    let _ = in_flight.acquire_many(max_requests as u32).await;
    session.events.lock().clear();
    // Dropping the streams' channels makes their tasks abort the transfers.
    session.streams.lock().clear();
    session.conn.lock().take();
    prober.abort();
    drop(session);
    if tokio::time::timeout(FLUSH_DEADLINE, &mut writer)
        .await
        .is_err()
    {
        // Still trickling replies out: the socket closes now rather than whenever the client
        // gets round to reading.
        writer.abort();
    }
}

/// Reads the descriptors announced at the front of `payload`: their marker bytes from the
/// socket, the descriptors from the queue they arrived in. Returns them and how many payload
/// bytes the count took. Any mismatch (no descriptor with a marker byte, a count over the limit,
/// a socket that cannot pass descriptors) ends the connection, as libvirtd ends it.
async fn receive_fds<R: AsyncRead + Unpin>(
    rd: &mut R,
    queue: Option<&FdQueue>,
    payload: &[u8],
) -> std::io::Result<(Vec<std::os::fd::OwnedFd>, usize)> {
    let Some(queue) = queue else {
        return Err(std::io::Error::other(
            "Receiving file descriptors is not supported on this socket",
        ));
    };
    let (count, _) = fdpass::split_fd_count(payload).map_err(std::io::Error::other)?;
    let mut markers = [0u8; fdpass::NUM_FDS_MAX as usize];
    rd.read_exact(&mut markers[..count as usize]).await?;
    let fds = fdpass::take_fds(queue, count as usize)
        .ok_or_else(|| std::io::Error::other("a file descriptor was announced but not passed"))?;
    Ok((fds, 4))
}

fn handle_keepalive(session: &Session, header: &Header) {
    if header.procedure == keepalive::PROC_PING && header.kind == MessageType::Message {
        let mut pong = Vec::with_capacity(28);
        if rvirt_proto::encode_packet(&mut pong, &keepalive::header(keepalive::PROC_PONG), &())
            .is_ok()
        {
            session.send_now(pong);
        }
    }
}

/// Writes the client's packets in order until the session ends or the connection is closed.
/// Once the session is `draining` (its reader has stopped), a packet the client does not take
/// within [`FLUSH_DEADLINE`] ends the writer: a client that stopped reading cannot hold its
/// connection, or the daemon's shutdown, open.
async fn write_loop(
    wr: Arc<Writer>,
    mut rx: mpsc::Receiver<Outgoing>,
    mut close: watch::Receiver<bool>,
    mut draining: watch::Receiver<bool>,
) {
    loop {
        let packet = tokio::select! {
            biased;
            p = rx.recv() => match p {
                Some(p) => p,
                None => break,
            },
            _ = close.changed() => break,
        };
        let deadline = async {
            let _ = draining.wait_for(|&d| d).await;
            tokio::time::sleep(FLUSH_DEADLINE).await;
        };
        let written = tokio::select! {
            r = async { write_parts(&mut *wr.lock().await, &packet.head, &packet.body).await } => r,
            _ = close.changed() => break,
            _ = deadline => {
                info!("client is not reading its replies; closing the connection");
                break;
            }
        };
        if written.is_err() {
            break;
        }
    }
    let _ = wr.lock().await.shutdown().await;
}

/// Writes `head` then `body`, with as few `writev`s as the socket allows.
async fn write_parts<W: AsyncWrite + Unpin + ?Sized>(
    w: &mut W,
    head: &[u8],
    body: &[u8],
) -> std::io::Result<()> {
    if body.is_empty() {
        return w.write_all(head).await;
    }
    let mut bufs = [std::io::IoSlice::new(head), std::io::IoSlice::new(body)];
    let mut left = &mut bufs[..];
    while !left.is_empty() {
        match w.write_vectored(left).await? {
            0 => return Err(std::io::ErrorKind::WriteZero.into()),
            n => std::io::IoSlice::advance_slices(&mut left, n),
        }
    }
    Ok(())
}

/// Probes an idle client that asked for keepalive: a ping every `keepalive_interval` seconds of
/// silence, and a disconnect after `keepalive_count` unanswered pings. As in libvirt's
/// virkeepalive.c, anything received from the client (a PONG or any other packet) answers the
/// probes sent before it.
async fn keepalive_loop(session: std::sync::Weak<Session>) {
    let (interval, count) = match session.upgrade() {
        Some(s) => (
            s.shared.config.keepalive_interval,
            s.shared.config.keepalive_count,
        ),
        None => return,
    };
    if interval <= 0 {
        return;
    }
    let interval = Duration::from_secs(interval as u64);
    let mut unanswered = 0;
    let mut heard = 0;
    loop {
        tokio::time::sleep(interval).await;
        let Some(s) = session.upgrade() else { return };
        if !s.keepalive.load(Ordering::Relaxed) {
            continue;
        }
        // Whether the client was silent is told by what arrived, not by the clock alone: a PONG
        // that came a moment less than an interval ago answers the last ping even though the
        // client has been idle for a whole interval by the time this wakes again.
        let received = s.received.load(Ordering::Relaxed);
        if received != heard {
            heard = received;
            unanswered = 0;
        }
        if s.idle() < interval {
            continue;
        }
        if unanswered >= count {
            info!("client did not answer {count} keepalive probes; closing the connection");
            s.close();
            return;
        }
        let mut ping = Vec::with_capacity(28);
        if rvirt_proto::encode_packet(&mut ping, &keepalive::header(keepalive::PROC_PING), &())
            .is_ok()
        {
            s.send_now(ping);
        }
        unanswered += 1;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rvirt_proto::read_packet;
    use rvirt_proto::{MessageStatus, RawPayload, encode_packet};
    use tokio::io::AsyncWriteExt;

    /// A stream packet of the call with serial 7.
    fn data(i: u8) -> Vec<u8> {
        let h = Header {
            program: rvirt_proto::REMOTE_PROGRAM,
            version: 1,
            procedure: 208,
            kind: MessageType::Stream,
            serial: 7,
            status: MessageStatus::Continue,
        };
        let mut out = Vec::new();
        encode_packet(&mut out, &h, &RawPayload(&[i; 1000])).unwrap();
        out
    }

    fn ping() -> Vec<u8> {
        let mut out = Vec::new();
        encode_packet(&mut out, &keepalive::header(keepalive::PROC_PING), &()).unwrap();
        out
    }

    /// A stream whose queue is full (its task takes nothing): a PING sent behind a few more of
    /// its packets is answered at once; a PING behind more than the backlog holds is answered
    /// only once the stream takes its data, which then arrives whole and in order.
    #[tokio::test]
    async fn pings_are_answered_while_a_stream_is_behind() {
        let (_stop, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared {
            config: crate::config::Config::default(),
            workers: Arc::new(Semaphore::new(4)),
            shutdown,
        });
        let (client, server) = tokio::io::duplex(1 << 20);
        let (tx, mut rx) = mpsc::channel(1);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(serve_with(server, false, shared, move |s| {
            s.streams.lock().insert(7, crate::stream::Slot::Running(tx));
            let _ = ready_tx.send(());
        }));
        ready_rx.await.unwrap();
        let (mut crd, mut cwr) = tokio::io::split(client);
        let pong = |r: Option<Packet>| {
            let p = r.unwrap();
            assert_eq!(p.header.program, keepalive::PROGRAM);
            assert_eq!(p.header.procedure, keepalive::PROC_PONG);
        };
        // One packet fills the queue, two more wait in the backlog; the PING is read.
        for i in 0..3 {
            cwr.write_all(&data(i)).await.unwrap();
        }
        cwr.write_all(&ping()).await.unwrap();
        let r = tokio::time::timeout(Duration::from_secs(10), read_packet(&mut crd)).await;
        pong(r.expect("no PONG while the stream is behind").unwrap());
        // More packets than the backlog holds: the reader stops, the PING behind them waits.
        for i in 3..(3 + BACKLOG as u8) {
            cwr.write_all(&data(i)).await.unwrap();
        }
        cwr.write_all(&ping()).await.unwrap();
        let early = tokio::time::timeout(Duration::from_millis(300), read_packet(&mut crd)).await;
        assert!(early.is_err(), "the reader went past a full backlog");
        // The stream catches up: every packet, in order, then the PONG.
        for i in 0..(3 + BACKLOG as u8) {
            let (status, payload) = rx.recv().await.unwrap();
            assert_eq!(status, MessageStatus::Continue);
            assert_eq!(payload, vec![i; 1000], "packet {i}");
        }
        let r = tokio::time::timeout(Duration::from_secs(10), read_packet(&mut crd)).await;
        pong(r.unwrap().unwrap());
    }
}
