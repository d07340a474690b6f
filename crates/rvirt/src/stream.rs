//! `virStream`: data of a call that flows outside its return value (a screenshot, a volume
//! download or upload, a console).
//!
//! A stream is made with [`Connect::new_stream`] and handed to a streaming call
//! ([`crate::Domain::screenshot`]), which attaches the driver's end to it. The caller then
//! receives ([`Stream::recv`]) or sends ([`Stream::send`]) and ends the transfer with
//! [`Stream::finish`] or [`Stream::abort`]. A finished stream may be handed to another call.

use crate::Connect;
use rvirt_driver::StreamBackend;
use rvirt_types::{Error, ErrorDomain, Result};
use std::sync::Arc;

/// `VIR_STREAM_NONBLOCK`: accepted for compatibility; rvirt's calls are async, so a caller that
/// must not block awaits them instead.
pub const STREAM_NONBLOCK: u32 = 1;

enum State {
    /// Not attached to any call yet.
    Unused,
    /// Attached: the driver's end.
    Open(Arc<dyn StreamBackend>),
    /// Finished or aborted; the driver's end still says how later calls fail.
    Closed(Arc<dyn StreamBackend>),
}

/// A stream handle (`virStreamPtr`). Clones refer to the same stream.
#[derive(Clone)]
pub struct Stream {
    conn: Connect,
    flags: u32,
    state: Arc<parking_lot::Mutex<State>>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}

impl Stream {
    pub(crate) fn new(conn: Connect, flags: u32) -> Stream {
        Stream {
            conn,
            flags,
            state: Arc::new(parking_lot::Mutex::new(State::Unused)),
        }
    }

    /// The flags the stream was made with.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Whether the stream was made on `conn`, as a streaming call requires.
    pub(crate) fn belongs_to(&self, conn: &Connect) -> bool {
        Arc::ptr_eq(&self.conn.inner, &conn.inner)
    }

    /// Attaches the driver's end of a call that succeeded.
    pub(crate) fn attach(&self, backend: Box<dyn StreamBackend>) {
        *self.state.lock() = State::Open(Arc::from(backend));
    }

    /// The driver's end, or libvirt's error for a stream with none.
    fn backend(&self, function: &str) -> Result<Arc<dyn StreamBackend>> {
        match &*self.state.lock() {
            State::Open(b) => Ok(b.clone()),
            State::Unused => Err(Error::no_support(ErrorDomain::STREAMS, function)),
            State::Closed(b) => Err(b.closed_error()),
        }
    }

    /// `virStreamRecv`: at most `nbytes` bytes; an empty vector at the end of the data.
    pub async fn recv(&self, nbytes: usize) -> Result<Vec<u8>> {
        self.backend("virStreamRecv")?.recv(nbytes).await
    }

    /// `virStreamRecvAll`: every byte until the end of the data, given to `handler` as it comes.
    /// If the handler fails, the stream is aborted and its error returned.
    pub async fn recv_all(&self, mut handler: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let backend = self.backend("virStreamRecvAll")?;
        loop {
            let chunk = match backend.recv(RECV_ALL_CHUNK).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = self.abort().await;
                    return Err(e);
                }
            };
            if chunk.is_empty() {
                return Ok(());
            }
            if let Err(e) = handler(&chunk) {
                let _ = self.abort().await;
                return Err(e);
            }
        }
    }

    /// `virStreamSend`: sends all of `data`; returns how many bytes that was.
    pub async fn send(&self, data: &[u8]) -> Result<usize> {
        self.backend("virStreamSend")?.send(data).await?;
        Ok(data.len())
    }

    /// [`Stream::send`] of a buffer the caller no longer needs: a driver that queues the data
    /// takes the buffer as it is, without a copy.
    pub async fn send_owned(&self, data: Vec<u8>) -> Result<usize> {
        let n = data.len();
        self.backend("virStreamSend")?.send_owned(data).await?;
        Ok(n)
    }

    /// `virStreamFinish`: ends the transfer normally. The stream can then be given to another
    /// call.
    pub async fn finish(&self) -> Result<()> {
        let backend = self.backend("virStreamFinish")?;
        *self.state.lock() = State::Closed(backend.clone());
        backend.finish().await
    }

    /// `virStreamAbort`: abandons the transfer. Aborting a stream no call used does nothing.
    pub async fn abort(&self) -> Result<()> {
        let backend = match self.backend("virStreamAbort") {
            Ok(b) => b,
            Err(_) if matches!(*self.state.lock(), State::Unused) => return Ok(()),
            Err(e) => return Err(e),
        };
        *self.state.lock() = State::Closed(backend.clone());
        backend.abort().await
    }
}

/// How much `recv_all` asks for at a time: about what one stream packet carries.
const RECV_ALL_CHUNK: usize = 256 * 1024;

impl Connect {
    /// `virStreamNew`: a stream for a streaming call on this connection. `flags` may hold
    /// [`STREAM_NONBLOCK`].
    pub fn new_stream(&self, flags: u32) -> Stream {
        Stream::new(self.clone(), flags)
    }
}

#[cfg(all(test, feature = "test-driver"))]
mod tests {
    use crate::blocking::Connect;
    use rvirt_types::{ErrorDomain, ErrorNumber};

    #[test]
    fn a_stream_answers_as_libvirt_before_during_and_after_a_call() {
        let conn = Connect::open("test:///default").unwrap_or_else(|e| panic!("{e}"));
        let dom = conn
            .lookup_by_name("test")
            .unwrap_or_else(|e| panic!("{e}"));
        let st = conn.new_stream(0);
        // No call attached a driver yet.
        let e = st.recv(10).err().map(|e| (e.code, e.domain, e.message));
        assert_eq!(
            e,
            Some((
                ErrorNumber::NO_SUPPORT,
                ErrorDomain::STREAMS,
                "this function is not supported by the connection driver: virStreamRecv".into()
            ))
        );
        assert!(st.abort().is_ok(), "aborting an unused stream does nothing");

        assert_eq!(dom.screenshot(&st, 0, 0).ok().as_deref(), Some("image/png"));
        let e = st.send(b"x").err().map(|e| (e.code, e.message));
        assert_eq!(
            e,
            Some((
                ErrorNumber::SYSTEM_ERROR,
                "cannot write to stream: Bad file descriptor".into()
            ))
        );
        assert_eq!(st.recv(4).ok().as_deref(), Some(&b"\x89PNG"[..]));
        assert!(st.finish().is_ok());
        let e = st.recv(4).err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some("internal error: stream is not open"));

        // A finished stream serves another call.
        assert!(dom.screenshot(&st, 0, 0).is_ok());
        assert!(st.abort().is_ok());

        let other = Connect::open("test:///default").unwrap_or_else(|e| panic!("{e}"));
        let e = dom
            .screenshot(&other.new_stream(0), 0, 0)
            .err()
            .map(|e| e.code);
        assert_eq!(e, Some(ErrorNumber::INVALID_ARG));
        let ro = Connect::open_read_only("test:///default").unwrap_or_else(|e| panic!("{e}"));
        let rdom = ro.lookup_by_name("test").unwrap_or_else(|e| panic!("{e}"));
        let e = rdom
            .screenshot(&ro.new_stream(0), 0, 0)
            .err()
            .map(|e| e.code);
        assert_eq!(e, Some(ErrorNumber::OPERATION_DENIED));
    }
}
