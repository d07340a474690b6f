//! File descriptors beside messages (`VIR_NET_CALL_WITH_FDS`, `VIR_NET_REPLY_WITH_FDS`), as
//! libvirt passes them on a unix socket: the packet goes first, its payload opening with the
//! number of descriptors (an XDR `unsigned int`) before the procedure's arguments; then each
//! descriptor follows on its own, attached (SCM_RIGHTS) to one byte of data that carries nothing
//! else. Only unix sockets can do this; TCP and TLS connections refuse such messages.
//!
//! The reader side is [`FdReader`]: a socket reader that keeps every descriptor the kernel hands
//! over in an [`FdQueue`], in the order of the bytes they came with. Once a message's marker bytes
//! have been read, their descriptors are at the front of that queue.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, Interest, ReadBuf};
use tokio::net::UnixStream;
use tokio::net::unix::OwnedReadHalf;

/// `VIR_NET_MESSAGE_NUM_FDS_MAX`: the most descriptors one message may carry.
pub const NUM_FDS_MAX: u32 = 32;

/// Descriptors received on one connection and not yet claimed by a message, oldest first.
pub type FdQueue = Arc<Mutex<VecDeque<OwnedFd>>>;

/// Why the descriptor count at the front of a payload is unusable.
#[derive(Debug, thiserror::Error)]
pub enum FdCountError {
    /// The payload is shorter than the count.
    #[error("Unable to decode number of FDs")]
    Missing,
    /// More than [`NUM_FDS_MAX`].
    #[error("Received too many FDs {0}, expected {max} maximum", max = NUM_FDS_MAX)]
    TooMany(u32),
}

/// Splits the payload of a message with descriptors into their number and the rest (the
/// procedure's arguments or return value).
pub fn split_fd_count(payload: &[u8]) -> Result<(u32, &[u8]), FdCountError> {
    let (word, rest) = payload
        .split_first_chunk::<4>()
        .ok_or(FdCountError::Missing)?;
    let n = u32::from_be_bytes(*word);
    if n > NUM_FDS_MAX {
        return Err(FdCountError::TooMany(n));
    }
    Ok((n, rest))
}

/// Room for the control data of one `recvmsg`: as many descriptors as one message may carry.
const CONTROL_WORDS: usize = (NUM_FDS_MAX as usize * 4 + 64) / 8;

/// One `recvmsg` into `buf`, queueing the descriptors that came with the bytes. Control data cut
/// short (descriptors the kernel had to drop) and a queue grown past [`NUM_FDS_MAX`] (a peer
/// sending descriptors no message asks for) are errors: the connection can no longer be trusted
/// to pair bytes and descriptors.
fn recv_with_fds(
    sock: RawFd,
    buf: &mut [std::mem::MaybeUninit<u8>],
    queue: &Mutex<VecDeque<OwnedFd>>,
) -> io::Result<usize> {
    let mut control = [0u64; CONTROL_WORDS];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is a valid empty message header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: msg points to a live iovec over `buf` and to `control`, both writable for the
    // lengths given; the kernel writes within them.
    let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC | libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut received = Vec::new();
    // SAFETY: the CMSG_* macros walk the control data the kernel filled in, bounded by
    // msg_controllen; each SCM_RIGHTS header holds (cmsg_len - CMSG_LEN(0)) / 4 descriptors that
    // are now ours.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let bytes = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                for i in 0..bytes / std::mem::size_of::<RawFd>() {
                    received.push(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::other("too many file descriptors sent at once"));
    }
    let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
    q.extend(received);
    if q.len() > NUM_FDS_MAX as usize {
        return Err(io::Error::other(
            "file descriptors received that no message announced",
        ));
    }
    Ok(n as usize)
}

/// The reading half of a unix socket that keeps the descriptors passed with its bytes.
pub struct FdReader {
    half: OwnedReadHalf,
    fds: FdQueue,
}

impl FdReader {
    /// Reads from `half`, queueing descriptors in `fds`.
    pub fn new(half: OwnedReadHalf, fds: FdQueue) -> FdReader {
        FdReader { half, fds }
    }
}

impl AsyncRead for FdReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let sock: &UnixStream = this.half.as_ref();
        loop {
            ready!(sock.poll_read_ready(cx))?;
            // The kernel writes into the buffer's uninitialised part directly: a large read (a
            // stream packet's payload) is not zeroed first.
            // SAFETY: recv_with_fds only writes into `unfilled`, never de-initialises it.
            let unfilled = unsafe { buf.unfilled_mut() };
            let fds = &this.fds;
            match sock.try_io(Interest::READABLE, || {
                recv_with_fds(sock.as_raw_fd(), unfilled, fds)
            }) {
                Ok(n) => {
                    // SAFETY: recvmsg wrote the first `n` bytes of the unfilled part.
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

/// Sends `fd` the way libvirt sends each descriptor of a message: one byte of data with the
/// descriptor attached. Never blocks: `WouldBlock` when the socket's buffer is full.
pub fn send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    let mut byte = 0u8;
    let mut control = [0u64; 4];
    let mut iov = libc::iovec {
        iov_base: (&raw mut byte).cast(),
        iov_len: 1,
    };
    // SAFETY: an all-zero msghdr is a valid empty message header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is a pure computation on a length.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as _;
    // SAFETY: `control` (32 bytes, u64-aligned) holds one header with one descriptor, so
    // CMSG_FIRSTHDR is non-null and CMSG_DATA has room for it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        libc::CMSG_DATA(cmsg).cast::<RawFd>().write_unaligned(raw);
    }
    // SAFETY: `msg` and everything it points to outlive the call; the kernel only reads them.
    let n = unsafe {
        libc::sendmsg(
            sock.as_raw_fd(),
            &msg,
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    };
    match n {
        1 => Ok(()),
        n if n < 0 => Err(io::Error::last_os_error()),
        _ => Err(io::Error::other("file descriptor not sent")),
    }
}

/// Takes `n` descriptors from the front of `queue`, or `None` if fewer arrived (their marker
/// bytes came without them: the peer did not attach what it announced).
pub fn take_fds(queue: &FdQueue, n: usize) -> Option<Vec<OwnedFd>> {
    let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
    if q.len() < n {
        return None;
    }
    Some(q.drain(..n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};
    use tokio::io::AsyncReadExt;

    #[test]
    fn the_count_comes_first_and_is_bounded() {
        let mut p = 3u32.to_be_bytes().to_vec();
        p.extend_from_slice(b"args");
        let (n, rest) = split_fd_count(&p).unwrap();
        assert_eq!((n, rest), (3, &b"args"[..]));
        assert!(matches!(
            split_fd_count(&[0, 0]),
            Err(FdCountError::Missing)
        ));
        let too_many = 33u32.to_be_bytes();
        let e = split_fd_count(&too_many).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Received too many FDs 33, expected 32 maximum"
        );
    }

    #[tokio::test]
    async fn descriptors_arrive_with_their_bytes_in_order() {
        let (a, b) = UnixStream::pair().unwrap();
        let (r, _w) = b.into_split();
        let queue = FdQueue::default();
        let mut reader = FdReader::new(r, queue.clone());
        let mut files = Vec::new();
        for text in ["first", "second"] {
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(text.as_bytes()).unwrap();
            files.push(f);
        }
        let a = a.into_std().unwrap();
        (&a).write_all(b"packet").unwrap();
        for f in &files {
            send_fd(std::os::fd::AsFd::as_fd(&a), std::os::fd::AsFd::as_fd(f)).unwrap();
        }
        let mut got = [0u8; 8];
        reader.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"packet\0\0");
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
    async fn unannounced_descriptors_beyond_the_maximum_end_the_connection() {
        let (a, b) = UnixStream::pair().unwrap();
        let (r, _w) = b.into_split();
        let mut reader = FdReader::new(r, FdQueue::default());
        let a = a.into_std().unwrap();
        let f = tempfile::tempfile().unwrap();
        for _ in 0..=NUM_FDS_MAX {
            send_fd(std::os::fd::AsFd::as_fd(&a), std::os::fd::AsFd::as_fd(&f)).unwrap();
        }
        let mut sink = vec![0u8; 64];
        let mut err = None;
        for _ in 0..=NUM_FDS_MAX {
            if let Err(e) = reader.read(&mut sink).await {
                err = Some(e);
                break;
            }
        }
        let e = err.expect("the reader refuses the 33rd descriptor");
        assert!(e.to_string().contains("no message announced"), "{e}");
    }
}
