//! File descriptors beside messages (`VIR_NET_CALL_WITH_FDS`, `VIR_NET_REPLY_WITH_FDS`), as
//! libvirt passes them on a unix socket: the packet goes first, its payload opening with the
//! number of descriptors (an XDR `unsigned int`) before the procedure's arguments; then each
//! descriptor follows on its own, attached (SCM_RIGHTS) to one byte of data that carries nothing
//! else. Only unix sockets can do this; TCP and TLS connections refuse such messages.
//!
//! The reader side is [`recv_with_fds`]: a read that keeps every descriptor the kernel hands over
//! in an [`FdQueue`], in the order of the bytes they came with. Once a message's marker bytes have
//! been read, their descriptors are at the front of that queue.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};

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
/// to pair bytes and descriptors. `MSG_DONTWAIT` is set: the call never blocks.
pub fn recv_with_fds(
    sock: RawFd,
    buf: &mut [std::mem::MaybeUninit<u8>],
    queue: &Mutex<VecDeque<OwnedFd>>,
) -> io::Result<Received> {
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
    let fds = received.len();
    let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
    q.extend(received);
    if q.len() > NUM_FDS_MAX as usize {
        return Err(io::Error::other(
            "file descriptors received that no message announced",
        ));
    }
    Ok(Received {
        bytes: n as usize,
        fds,
    })
}

/// What one [`recv_with_fds`] brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written to the front of the buffer.
    pub bytes: usize,
    /// Descriptors queued with them. The kernel ends a read right after bytes that carried
    /// descriptors, so a read that brought some and filled less than the buffer does not show
    /// that the socket is empty; one that brought none does.
    pub fds: usize,
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
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

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

    #[test]
    fn a_read_stops_after_the_bytes_that_carried_descriptors() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"passed").unwrap();
        (&a).write_all(b"packet").unwrap();
        send_fd(a.as_fd(), f.as_fd()).unwrap();
        (&a).write_all(b"next").unwrap();
        let queue = FdQueue::default();
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
        let first = recv_with_fds(b.as_raw_fd(), &mut buf, &queue).unwrap();
        assert_eq!(first, Received { bytes: 7, fds: 1 });
        let second = recv_with_fds(b.as_raw_fd(), &mut buf, &queue).unwrap();
        assert_eq!(second, Received { bytes: 4, fds: 0 });
        let e = recv_with_fds(b.as_raw_fd(), &mut buf, &queue).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        let mut got = std::fs::File::from(take_fds(&queue, 1).unwrap().remove(0));
        got.rewind().unwrap();
        let mut s = String::new();
        got.read_to_string(&mut s).unwrap();
        assert_eq!(s, "passed");
    }

    #[test]
    fn descriptors_beyond_the_maximum_are_refused() {
        let (a, b) = UnixStream::pair().unwrap();
        let f = tempfile::tempfile().unwrap();
        for _ in 0..=NUM_FDS_MAX {
            send_fd(a.as_fd(), f.as_fd()).unwrap();
        }
        let queue = FdQueue::default();
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 64];
        let err = (0..=NUM_FDS_MAX)
            .find_map(|_| recv_with_fds(b.as_raw_fd(), &mut buf, &queue).err())
            .expect("the 33rd descriptor is refused");
        assert!(err.to_string().contains("no message announced"), "{err}");
    }
}
