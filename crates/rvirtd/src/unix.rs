//! A unix socket client's connection, read and written through one `AsyncFd`, with the
//! descriptors the client passes kept in the order of their bytes.
//!
//! Each call costs one wake-up and two syscalls (a `recvmsg` and a `sendmsg`), which tokio's
//! `UnixStream` does not give: registered for reading and writing, it wakes its task a second
//! time when the client reads a reply and the socket signals the room freed; and reading
//! through its readiness leaves the socket marked readable after a read that emptied it, so the
//! next read fails with `EAGAIN` before the task waits. Here the socket is registered for
//! reading only, and a read that filled less than its buffer and brought no descriptors clears
//! the readiness at once: the socket is drained, and epoll reports the next bytes as a new
//! edge. (A read that brought descriptors proves nothing: the kernel ends a read right after
//! the bytes that carried them, however many more are waiting.) Room to write is waited for
//! only when a send finds none.

use rvirt_proto::fdpass::{FdQueue, recv_with_fds};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// One client's socket, shared by its reading and writing halves.
pub(crate) type Socket = Arc<AsyncFd<std::os::unix::net::UnixStream>>;

/// Registers `stream` with the current runtime, for [`Reader`] and [`Writer`].
pub(crate) fn socket(stream: std::os::unix::net::UnixStream) -> io::Result<Socket> {
    stream.set_nonblocking(true)?;
    // Readable only: a socket registered for writing too would wake its thread each time the
    // client reads a reply (the kernel signals the freed room), a second wake per call for
    // nothing. Room to write is waited for only when a write finds none (`Writer`).
    // SAFETY: the UnixStream owns its descriptor: it stays open, and the same, for as long as
    // the AsyncFd that owns the stream.
    let registered = unsafe { AsyncFd::register_with_interest(stream, Interest::READABLE) };
    Ok(Arc::new(registered.map_err(|e| e.into_parts().1)?))
}

/// The reading half: bytes, with the descriptors that came along queued in `fds`.
pub(crate) struct Reader {
    sock: Socket,
    fds: FdQueue,
}

impl Reader {
    /// Reads from `sock`, queueing passed descriptors in `fds`.
    pub(crate) fn new(sock: Socket, fds: FdQueue) -> Reader {
        Reader { sock, fds }
    }
}

impl AsyncRead for Reader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let mut guard = ready!(this.sock.poll_read_ready(cx))?;
            // SAFETY: recv_with_fds only writes into `unfilled`, never de-initialises it.
            let unfilled = unsafe { buf.unfilled_mut() };
            let room = unfilled.len();
            match recv_with_fds(this.sock.as_raw_fd(), unfilled, &this.fds) {
                Ok(got) => {
                    if got.bytes > 0 && got.bytes < room && got.fds == 0 {
                        // The socket is empty now: wait for the next edge without asking it.
                        // (A read that brought descriptors stops right after their bytes
                        // however many more wait: it proves nothing.)
                        guard.clear_ready();
                    }
                    // SAFETY: recvmsg wrote the first `got.bytes` bytes of the unfilled part.
                    unsafe { buf.assume_init(got.bytes) };
                    buf.advance(got.bytes);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

/// The writing half. A write goes straight to the socket; only when the socket is full (the
/// client is not reading) does it wait for room, through a second registration of the socket
/// (a duplicate descriptor, for writing only) that lasts until the write goes through.
pub(crate) struct Writer {
    sock: Socket,
    room: Option<AsyncFd<OwnedFd>>,
}

impl Writer {
    /// Writes to `sock`.
    pub(crate) fn new(sock: Socket) -> Writer {
        Writer { sock, room: None }
    }
}

impl Writer {
    /// Runs `op` (one non-blocking send) until it goes through, waiting for room when the
    /// socket is full.
    fn poll_io(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(RawFd) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match op(self.sock.as_raw_fd()) {
                Ok(n) => {
                    // Deregistered: the socket's room no longer wakes anyone.
                    self.room = None;
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            let room = match &mut self.room {
                Some(room) => room,
                None => {
                    let dup = self.sock.get_ref().as_fd().try_clone_to_owned()?;
                    // SAFETY: the AsyncFd owns the duplicate descriptor until it is dropped.
                    let registered =
                        unsafe { AsyncFd::register_with_interest(dup, Interest::WRITABLE) };
                    self.room.insert(registered.map_err(|e| e.into_parts().1)?)
                }
            };
            // Registering reports room that is already there, so none is missed between the
            // failed send and the registration.
            let mut guard = ready!(room.poll_write_ready(cx))?;
            guard.clear_ready();
        }
    }
}

impl AsyncWrite for Writer {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_io(cx, |fd| send(fd, &[io::IoSlice::new(data)]))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_io(cx, |fd| send(fd, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.sock.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

/// One `sendmsg` of `bufs` that never blocks and never raises SIGPIPE.
fn send(fd: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is a valid empty message header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with iovec; the kernel only reads through it.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast();
    msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
    // SAFETY: msg points to `bufs`, readable for their lengths.
    let n = unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_proto::fdpass::{send_fd, take_fds};
    use std::io::{Read, Seek, Write};
    use std::os::unix::net::UnixStream;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn pair() -> (UnixStream, Socket) {
        let (a, b) = UnixStream::pair().unwrap();
        (a, socket(b).unwrap())
    }

    #[tokio::test]
    async fn descriptors_arrive_with_their_bytes_in_order_and_the_bytes_behind_them_too() {
        let (a, sock) = pair();
        let queue = FdQueue::default();
        let mut reader = Reader::new(sock, queue.clone());
        let mut files = Vec::new();
        for text in ["first", "second"] {
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(text.as_bytes()).unwrap();
            files.push(f);
        }
        (&a).write_all(b"packet").unwrap();
        for f in &files {
            send_fd(a.as_fd(), f.as_fd()).unwrap();
        }
        (&a).write_all(b"next").unwrap();
        // Everything is queued before the first read; each read with descriptors stops after
        // their byte, and the bytes behind must still be read without a new edge.
        let mut got = [0u8; 12];
        tokio::time::timeout(Duration::from_secs(5), reader.read_exact(&mut got))
            .await
            .expect("the bytes behind the descriptors are read")
            .unwrap();
        assert_eq!(&got, b"packet\0\0next");
        let fds = take_fds(&queue, 2).unwrap();
        assert!(take_fds(&queue, 1).is_none());
        for (fd, want) in fds.into_iter().zip(["first", "second"]) {
            let mut f = std::fs::File::from(fd);
            f.rewind().unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            assert_eq!(s, want);
        }
    }

    #[tokio::test]
    async fn a_drained_socket_is_read_again_when_more_bytes_come() {
        let (a, sock) = pair();
        let mut reader = Reader::new(sock, FdQueue::default());
        let mut buf = [0u8; 64];
        (&a).write_all(b"one").unwrap();
        assert_eq!(reader.read(&mut buf).await.unwrap(), 3);
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            (&a).write_all(b"two").unwrap();
            a
        });
        let n = tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buf))
            .await
            .expect("the late bytes wake the reader")
            .unwrap();
        assert_eq!(&buf[..n], b"two");
        drop(late.join().unwrap());
        assert_eq!(reader.read(&mut buf).await.unwrap(), 0, "end of stream");
    }

    #[tokio::test]
    async fn a_full_socket_makes_the_writer_wait_for_room_and_vectors_go_out_whole() {
        let (a, sock) = pair();
        let mut writer = Writer::new(sock);
        let big = vec![7u8; 4 << 20];
        let reader = std::thread::spawn(move || {
            // Start reading only once the writer has filled the socket.
            std::thread::sleep(Duration::from_millis(100));
            let mut all = Vec::new();
            (&a).read_to_end(&mut all).unwrap();
            all
        });
        let head = b"head".to_vec();
        let mut bufs = [io::IoSlice::new(&head), io::IoSlice::new(&big)];
        let mut left = &mut bufs[..];
        while !left.is_empty() {
            let n = writer.write_vectored(left).await.unwrap();
            io::IoSlice::advance_slices(&mut left, n);
        }
        writer.shutdown().await.unwrap();
        let all = reader.join().unwrap();
        assert_eq!(all.len(), 4 + big.len());
        assert_eq!(&all[..4], b"head");
        assert!(all[4..].iter().all(|&b| b == 7));
    }
}
