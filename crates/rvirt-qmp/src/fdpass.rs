//! Sending file descriptors over a unix socket (SCM_RIGHTS), as QEMU's `getfd` and `add-fd`
//! expect them: attached to the bytes of the command that names them.

use std::os::fd::RawFd;

/// Sends `data` (at least its first byte) with `fds` attached, without blocking. Returns how
/// many bytes went out; the caller writes the rest normally.
pub(crate) fn send_with_fds(sock: RawFd, data: &[u8], fds: &[RawFd]) -> std::io::Result<usize> {
    if fds.is_empty() || fds.len() > 16 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "between 1 and 16 descriptors can be passed with one command",
        ));
    }
    let payload = std::mem::size_of_val(fds);
    // Room for the header and the descriptors, aligned as the kernel wants (u64 alignment).
    // SAFETY: CMSG_SPACE is a pure computation on a length.
    let space = unsafe { libc::CMSG_SPACE(payload as u32) } as usize;
    let mut cbuf = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: an all-zero msghdr is a valid empty message header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: msg_control points to `space` writable, aligned bytes, enough for one header
    // carrying `payload` bytes; CMSG_FIRSTHDR is therefore non-null and CMSG_DATA in bounds.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(payload as u32) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr().cast::<u8>(), libc::CMSG_DATA(cmsg), payload);
    }
    // SAFETY: `msg` and everything it points to outlive the call; the kernel only reads them.
    let n = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}
