//! The client side of a stream (`virNetClientStream`): data of one call (a screenshot, a volume
//! download or upload) that flows in STREAM packets carrying the call's serial.
//!
//! Data packets go both ways without replies; an empty one marks the end of the sender's data.
//! The end of the stream is a handshake: the client sends a STREAM packet with status OK to
//! finish (or ERROR to abort), and the server confirms with an empty OK, or refuses with an
//! error.

use crate::client::{Shared, closed_error, server_error};
use rvirt_driver::{BoxFuture, StreamBackend};
use rvirt_proto::{Header, MessageStatus, MessageType, Packet, RawPayload, RemoteError};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use rvirt_xdr::{XdrDecode, XdrReader};
use std::sync::Arc;
use tokio::sync::mpsc;

/// One open stream of a connection.
pub struct ClientStream {
    /// The header of the call that opened the stream; its packets reuse it.
    call: Header,
    inbox: tokio::sync::Mutex<Inbox>,
    outbox: mpsc::UnboundedSender<Vec<u8>>,
    shared: Arc<Shared>,
    /// Set once the stream was finished or aborted.
    done: std::sync::atomic::AtomicBool,
}

struct Inbox {
    rx: mpsc::UnboundedReceiver<Packet>,
    /// Data received and not yet handed out, from `pos`.
    pending: Vec<u8>,
    pos: usize,
    /// The server said the data is at its end.
    eof: bool,
}

/// What one received packet means to the stream.
enum Received {
    Data(Vec<u8>),
    /// An empty data packet: the sender's data is at its end.
    Eof,
    /// An empty OK packet: the confirmation of a finish or abort.
    End,
    Failed(Error),
    Ignored,
}

fn classify(p: Packet) -> Received {
    match (p.header.kind, p.header.status) {
        (MessageType::Stream, MessageStatus::Continue) if p.payload.is_empty() => Received::Eof,
        (MessageType::Stream, MessageStatus::Continue) => Received::Data(p.payload),
        (MessageType::Stream, MessageStatus::Ok) => Received::End,
        (MessageType::Stream | MessageType::Reply, MessageStatus::Error) => {
            match RemoteError::decode(&mut XdrReader::new(&p.payload)) {
                Ok(e) => Received::Failed(server_error(e)),
                Err(_) => Received::Failed(Error::with_detail(
                    ErrorDomain::RPC,
                    ErrorNumber::RPC,
                    "Unable to decode message payload",
                )),
            }
        }
        _ => Received::Ignored,
    }
}

impl ClientStream {
    pub(crate) fn new(
        call: Header,
        rx: mpsc::UnboundedReceiver<Packet>,
        outbox: mpsc::UnboundedSender<Vec<u8>>,
        shared: Arc<Shared>,
    ) -> ClientStream {
        ClientStream {
            call,
            inbox: tokio::sync::Mutex::new(Inbox {
                rx,
                pending: Vec::new(),
                pos: 0,
                eof: false,
            }),
            outbox,
            shared,
            done: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Forgets a stream the server never opened (its call failed).
    pub(crate) fn discard(self) {
        self.done.store(true, std::sync::atomic::Ordering::Release);
    }

    fn post(&self, status: MessageStatus, data: &[u8]) -> Result<()> {
        let mut packet = Vec::with_capacity(28 + data.len());
        rvirt_proto::encode_packet(&mut packet, &self.call.stream(status), &RawPayload(data))
            .map_err(|e| Error::with_detail(ErrorDomain::RPC, ErrorNumber::RPC, e.to_string()))?;
        self.outbox.send(packet).map_err(|_| closed_error())
    }

    /// Sends the end of the stream (`status` OK to finish, ERROR to abort) and waits for the
    /// server's confirmation.
    async fn end(&self, status: MessageStatus) -> Result<()> {
        if self.done.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return Ok(());
        }
        let result = async {
            self.post(status, &[])?;
            let mut inbox = self.inbox.lock().await;
            loop {
                match inbox.rx.recv().await.map(classify) {
                    None => return Err(closed_error()),
                    Some(Received::End) => return Ok(()),
                    Some(Received::Failed(e)) => return Err(e),
                    // Data the server sent before it saw the end.
                    Some(Received::Data(_) | Received::Eof | Received::Ignored) => {}
                }
            }
        }
        .await;
        self.shared.close_stream(self.call.serial);
        result
    }
}

impl StreamBackend for ClientStream {
    fn recv(&self, max: usize) -> BoxFuture<'_, Result<Vec<u8>>> {
        Box::pin(async move {
            let mut inbox = self.inbox.lock().await;
            loop {
                if inbox.pos < inbox.pending.len() {
                    let end = inbox.pending.len().min(inbox.pos + max);
                    let out = inbox.pending[inbox.pos..end].to_vec();
                    inbox.pos = end;
                    return Ok(out);
                }
                if inbox.eof {
                    return Ok(Vec::new());
                }
                match inbox.rx.recv().await.map(classify) {
                    None => return Err(closed_error()),
                    Some(Received::Data(data)) => {
                        inbox.pending = data;
                        inbox.pos = 0;
                    }
                    Some(Received::Eof | Received::End) => inbox.eof = true,
                    Some(Received::Failed(e)) => return Err(e),
                    Some(Received::Ignored) => {}
                }
            }
        })
    }

    fn send<'a>(&'a self, data: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // A server that gave up on the stream said so with an error packet.
            if let Ok(mut inbox) = self.inbox.try_lock() {
                while let Ok(p) = inbox.rx.try_recv() {
                    match classify(p) {
                        Received::Failed(e) => return Err(e),
                        Received::End => inbox.eof = true,
                        Received::Data(_) | Received::Eof | Received::Ignored => {}
                    }
                }
            }
            for chunk in data.chunks(rvirt_proto::STREAM_CHUNK) {
                self.post(MessageStatus::Continue, chunk)?;
            }
            Ok(())
        })
    }

    fn finish(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.end(MessageStatus::Ok))
    }

    fn abort(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.end(MessageStatus::Error))
    }

    fn closed_error(&self) -> Error {
        Error::with_detail(
            ErrorDomain::RPC,
            ErrorNumber::OPERATION_FAILED,
            "stream is closed",
        )
    }
}

impl Drop for ClientStream {
    fn drop(&mut self) {
        // A stream let go without finishing is abandoned: tell the server, as it would otherwise
        // keep it until the connection closes.
        if !self.done.swap(true, std::sync::atomic::Ordering::AcqRel) {
            let _ = self.post(MessageStatus::Error, &[]);
        }
        self.shared.close_stream(self.call.serial);
    }
}
