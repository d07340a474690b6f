//! The driver's end of a `virStream`: data that moves between a driver and the caller of an API
//! such as `virDomainScreenshot`, outside the call's own return value.
//!
//! A driver answers a streaming call with a [`StreamBackend`]; the public API attaches it to the
//! caller's stream. Backends are trait objects because one stream type serves every driver
//! (a file the test driver reads, a socket of the remote driver, later a QEMU console).

use rvirt_types::{Error, ErrorDomain, Result};
use std::future::Future;
use std::io::Read;
use std::pin::Pin;

/// A boxed future, as [`StreamBackend`]'s methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One end of a data stream.
pub trait StreamBackend: Send + Sync {
    /// `virStreamRecv`: up to `max` bytes; an empty vector at the end of the data.
    fn recv(&self, max: usize) -> BoxFuture<'_, Result<Vec<u8>>>;
    /// `virStreamSend`: all of `data`.
    fn send<'a>(&'a self, data: &'a [u8]) -> BoxFuture<'a, Result<()>>;
    /// `virStreamSend` of a buffer the caller gives away: a backend that queues data (a volume
    /// upload) keeps the buffer instead of copying it. By default, [`StreamBackend::send`].
    fn send_owned(&self, data: Vec<u8>) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.send(&data).await })
    }
    /// `virStreamFinish`: the transfer ended normally.
    fn finish(&self) -> BoxFuture<'_, Result<()>>;
    /// `virStreamAbort`: the transfer is abandoned.
    fn abort(&self) -> BoxFuture<'_, Result<()>>;
    /// What a call on the stream answers once it was finished or aborted. libvirt's local
    /// streams say `stream is not open`.
    fn closed_error(&self) -> Error {
        Error::with_detail(
            ErrorDomain::STREAMS,
            rvirt_types::ErrorNumber::INTERNAL_ERROR,
            "stream is not open",
        )
    }
}

/// A stream that reads data from a source it was given and refuses writes, as libvirt's file
/// streams opened read-only do.
pub struct ReadStream {
    source: parking_lot::Mutex<Box<dyn Read + Send>>,
}

impl ReadStream {
    /// A stream over `source`.
    pub fn new(source: impl Read + Send + 'static) -> ReadStream {
        ReadStream {
            source: parking_lot::Mutex::new(Box::new(source)),
        }
    }
}

impl StreamBackend for ReadStream {
    fn recv(&self, max: usize) -> BoxFuture<'_, Result<Vec<u8>>> {
        let mut buf = vec![0; max];
        let read = self.source.lock().read(&mut buf);
        Box::pin(async move {
            let n = read
                .map_err(|e| Error::system(ErrorDomain::STREAMS, "cannot read from stream", &e))?;
            buf.truncate(n);
            Ok(buf)
        })
    }

    fn send<'a>(&'a self, _data: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        let ebadf = std::io::Error::from_raw_os_error(libc::EBADF);
        Box::pin(async move {
            Err(Error::system(
                ErrorDomain::STREAMS,
                "cannot write to stream",
                &ebadf,
            ))
        })
    }

    fn finish(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn abort(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_chunks_then_ends() {
        let s = ReadStream::new(std::io::Cursor::new(b"abcdef".to_vec()));
        pollster_like(async {
            assert_eq!(s.recv(4).await.unwrap_or_default(), b"abcd");
            assert_eq!(s.recv(4).await.unwrap_or_default(), b"ef");
            assert!(s.recv(4).await.unwrap_or_default().is_empty());
            let e = s.send(b"x").await.err().map(|e| e.message);
            assert_eq!(
                e.as_deref(),
                Some("cannot write to stream: Bad file descriptor")
            );
        });
    }

    /// Drives a future that never waits.
    fn pollster_like(f: impl Future<Output = ()>) {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(f.as_mut().poll(&mut cx).is_ready());
    }
}
