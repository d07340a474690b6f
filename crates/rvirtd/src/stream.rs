//! Streams of a client's calls: the data of a streaming call (a screenshot today; volume upload
//! and download, consoles later) moves in STREAM packets that carry the call's serial.
//!
//! A streaming call's handler leaves its [`rvirt::Stream`] with the session; once the call's
//! reply has gone out, [`start`] runs a task that moves the data: from the driver to the client
//! for a download (then an empty data packet marks the end), from the client to the driver for an
//! upload. The client ends the transfer with an OK packet (finish) or an ERROR packet (abort);
//! the daemon confirms with an empty OK, or answers a failed finish with an error reply.
//! Closing the connection aborts its streams.

use crate::session::Session;
use rvirt_proto::{Header, MessageStatus, RawPayload, RemoteError, STREAM_CHUNK, StreamDirection};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::debug;

/// A stream packet from the client: its status and its data.
pub(crate) type Incoming = (MessageStatus, Vec<u8>);

/// Packets of one stream queued between the connection's reader and the stream's task. When the
/// task is behind (the driver is slow to take the data: a volume upload waits for the disk), the
/// reader waits and stops reading the socket, so the client is held back by its socket buffers
/// instead of the daemon buffering its data: a stream holds at most this many packets here, plus
/// the one its task is handing to the driver.
const INBOX: usize = 2;

/// Data packets of one download queued for the client or being written to it. The driver reads
/// ahead on its own; more here would only hold the daemon's memory: with the connection's whole
/// queue (256 packets of 256 KiB) to fill, a download faster than its client kept 64 MiB of
/// packets queued, and the first download after the daemon started spent half its CPU time in
/// the kernel zeroing the fresh heap pages they took. A few packets keep the socket fed and
/// reuse the same memory.
const SENDING: usize = 4;

/// A stream of the session, by the serial of the call that opened it.
pub(crate) enum Slot {
    /// The call succeeded; its reply is on its way and the data may not move before it.
    Starting(rvirt::Stream, StreamDirection),
    /// Moving data: packets from the client go to its task.
    Running(mpsc::Sender<Incoming>),
}

/// Starts moving the data of the call `call` began, if that call opened a stream. Called once
/// the call's reply has been written or queued, so that the reply leaves first.
pub(crate) fn start(session: &Arc<Session>, call: &Header) {
    let mut streams = session.streams.lock();
    let Some(Slot::Starting(..)) = streams.get(&call.serial) else {
        return;
    };
    let (tx, rx) = mpsc::channel(INBOX);
    let Some(Slot::Starting(stream, direction)) = streams.insert(call.serial, Slot::Running(tx))
    else {
        return;
    };
    drop(streams);
    tokio::spawn(run(session.clone(), *call, stream, direction, rx));
}

/// Where a STREAM packet from the client goes: the queue of its stream, which the reader awaits
/// room in. `None` for streams that are not open: their packets are dropped, as libvirtd drops
/// them, since data may still be in flight when a stream ends.
pub(crate) fn inbox(session: &Session, header: &Header) -> Option<mpsc::Sender<Incoming>> {
    match session.streams.lock().get(&header.serial) {
        Some(Slot::Running(tx)) => Some(tx.clone()),
        _ => {
            debug!(?header, "ignoring data for a stream that is not open");
            None
        }
    }
}

/// Writes one data packet of a download, `data` after the header as it is (not copied), once
/// fewer than [`SENDING`] of the download's packets are on their way (`sending` counts them);
/// `false` once the client's connection is gone.
async fn post_data(
    session: &Session,
    sending: &Arc<tokio::sync::Semaphore>,
    header: Header,
    data: Vec<u8>,
) -> bool {
    let mut head = Vec::with_capacity(rvirt_proto::packet::LEN_WORD + rvirt_proto::HEADER_LEN);
    if rvirt_proto::packet::encode_head(&mut head, &header, data.len()).is_err() {
        return false;
    }
    let Ok(permit) = sending.clone().acquire_owned().await else {
        return false;
    };
    session.send_parts_or_gone(head, data, permit).await
}

/// Writes one stream packet; `false` once the client's connection is gone.
async fn post(
    session: &Session,
    header: Header,
    body: &(impl rvirt_xdr::XdrEncode + ?Sized),
) -> bool {
    let mut packet = Vec::new();
    if rvirt_proto::encode_packet(&mut packet, &header, body).is_err() {
        return false;
    }
    session.send_or_gone(packet).await
}

async fn run(
    session: Arc<Session>,
    call: Header,
    stream: rvirt::Stream,
    direction: StreamDirection,
    mut inbox: mpsc::Receiver<Incoming>,
) {
    let mut sending = direction == StreamDirection::Read;
    let on_the_way = Arc::new(tokio::sync::Semaphore::new(SENDING));
    loop {
        tokio::select! {
            packet = inbox.recv() => match packet {
                // The connection closed: abandon the transfer.
                None => {
                    let _ = stream.abort().await;
                    break;
                }
                Some((MessageStatus::Ok, _)) => {
                    match stream.finish().await {
                        Ok(()) => post(&session, call.stream(MessageStatus::Ok), &RawPayload(&[])).await,
                        Err(e) => post(&session, call.reply(MessageStatus::Error), &RemoteError::from(&e)).await,
                    };
                    break;
                }
                Some((MessageStatus::Continue, data)) => {
                    if direction == StreamDirection::Write
                        && let Err(e) = stream.send_owned(data).await
                    {
                        let _ = stream.abort().await;
                        post(&session, call.stream(MessageStatus::Error), &RemoteError::from(&e)).await;
                        break;
                    }
                }
                Some((_, _)) => {
                    let _ = stream.abort().await;
                    post(&session, call.stream(MessageStatus::Ok), &RawPayload(&[])).await;
                    break;
                }
            },
            chunk = stream.recv(STREAM_CHUNK), if sending => match chunk {
                Ok(data) => {
                    // An empty data packet tells the client the data is at its end (an empty
                    // OK packet is only ever the confirmation of a finish or abort).
                    sending = !data.is_empty();
                    if !post_data(&session, &on_the_way, call.stream(MessageStatus::Continue), data).await {
                        let _ = stream.abort().await;
                        break;
                    }
                }
                Err(e) => {
                    let _ = stream.abort().await;
                    post(&session, call.stream(MessageStatus::Error), &RemoteError::from(&e)).await;
                    break;
                }
            },
        }
    }
    session.streams.lock().remove(&call.serial);
}
