//! Device events of the host, straight from the kernel's `NETLINK_KOBJECT_UEVENT` socket (no
//! libudev): the kernel's own messages (`ACTION@DEVPATH` and `KEY=VALUE` lines, multicast
//! group 1) or udevd's re-sent ones once it has processed a device (a `libudev` header, then
//! the properties; group 2), which is what libvirt's udev node device backend listens to.
//!
//! Only messages from the kernel itself (group 1, sender port 0) or from root (group 2,
//! checked through `SCM_CREDENTIALS`) are believed: any other process could multicast to
//! udevd's group and make the host's device list lie.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Which multicast group of the uevent socket to listen to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UeventGroup {
    /// The kernel's messages, sent as a device changes (before udevd has seen it).
    Kernel = 1,
    /// udevd's messages, sent once udevd has processed the device and written its database.
    Udev = 2,
}

impl UeventGroup {
    /// The group libvirt's devices are consistent with on this host: udevd's when udevd runs
    /// (its database then holds properties the kernel's messages lack), the kernel's
    /// otherwise. (libudev, and so libvirt, then listens to udevd's group all the same and
    /// hears nothing: its device list stays as it was when it started.)
    ///
    /// udevd runs when its control socket takes a connection: the socket's file alone may be
    /// left from a udevd that is gone (or one in another container), and listening to its
    /// group would then hear nothing.
    pub fn for_host() -> UeventGroup {
        if accepts_connections(std::path::Path::new("/run/udev/control")) {
            UeventGroup::Udev
        } else {
            UeventGroup::Kernel
        }
    }
}

/// Whether a unix socket of type `SOCK_SEQPACKET` (udevd's control socket) at `path` takes a
/// connection; the connection is closed at once.
fn accepts_connections(path: &std::path::Path) -> bool {
    let Some(addr) = unix_addr(path) else {
        return false;
    };
    // SAFETY: socket(2) with constant arguments.
    let raw = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return false;
    }
    // SAFETY: `raw` is a descriptor just returned to us and owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: `addr` is a valid sockaddr_un and its size is passed with it.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            std::ptr::addr_of!(addr).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    };
    r == 0
}

/// The address of the unix socket at `path`; `None` for a path too long for one.
fn unix_addr(path: &std::path::Path) -> Option<libc::sockaddr_un> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: sockaddr_un is plain data; all zeroes is a valid (empty) address.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= addr.sun_path.len() {
        return None;
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    Some(addr)
}

/// One device event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uevent {
    /// `add`, `remove`, `change`, `move`, `bind`, `unbind`, `online`, `offline`.
    pub action: String,
    /// The device's path below sysfs, with its leading `/` (`/devices/virtual/net/lo`).
    pub devpath: String,
    /// Every `KEY=VALUE` property of the message (`ACTION`, `DEVPATH`, `SUBSYSTEM` included).
    pub props: BTreeMap<String, String>,
}

impl Uevent {
    /// A property.
    pub fn prop(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }
}

/// The magic number of udevd's messages (`0xfeedcafe`, big-endian on the wire).
const UDEV_MAGIC: u32 = 0xfeed_cafe;

/// Reads one message of either format; `None` for one that is neither, or lacks its action
/// or device path.
pub fn parse_message(buf: &[u8]) -> Option<Uevent> {
    let props_area = if let Some(hdr) = buf.strip_prefix(b"libudev\0") {
        let word = |o: usize| -> Option<[u8; 4]> { hdr.get(o..o + 4)?.try_into().ok() };
        if u32::from_be_bytes(word(0)?) != UDEV_MAGIC {
            return None;
        }
        // properties_off and properties_len, in the sender's byte order (ours).
        let off = u32::from_ne_bytes(word(8)?) as usize;
        let len = u32::from_ne_bytes(word(12)?) as usize;
        buf.get(off..off.checked_add(len)?)?
    } else {
        let end = buf.iter().position(|b| *b == 0)?;
        let head = std::str::from_utf8(&buf[..end]).ok()?;
        // The kernel's summary line `ACTION@DEVPATH`; the same facts follow as properties.
        head.split_once('@')?;
        &buf[end + 1..]
    };
    let mut ev = Uevent::default();
    for line in props_area.split(|b| *b == 0) {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        if let Some((k, v)) = line.split_once('=') {
            ev.props.insert(k.to_string(), v.to_string());
        }
    }
    ev.action = ev.props.get("ACTION")?.clone();
    ev.devpath = ev.props.get("DEVPATH")?.clone();
    if !ev.devpath.starts_with('/') || ev.devpath.split('/').any(|c| c == "..") {
        return None;
    }
    Some(ev)
}

/// A uevent socket bound to one group.
#[derive(Debug)]
pub struct UeventSocket {
    fd: OwnedFd,
    group: UeventGroup,
    /// Where messages are read into.
    buf: Vec<u8>,
}

/// The largest message read: the kernel's are at most 2 KiB, udevd's a few KiB.
const MAX_MESSAGE: usize = 64 * 1024;

fn setsockopt_int(fd: i32, opt: i32, value: i32) -> io::Result<()> {
    // SAFETY: `value` outlives the call and its size is passed along.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            opt,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl UeventSocket {
    /// A socket that hears `group`'s messages.
    pub fn open(group: UeventGroup) -> io::Result<UeventSocket> {
        // SAFETY: socket(2) with constant arguments; the descriptor is owned at once.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_KOBJECT_UEVENT,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        setsockopt_int(raw, libc::SO_PASSCRED, 1)?;
        // A burst of events (a disk with many partitions appearing) must not overflow the
        // queue: as udev, ask for a large buffer, beyond the limit when privileged.
        if setsockopt_int(raw, libc::SO_RCVBUFFORCE, 8 << 20).is_err() {
            let _ = setsockopt_int(raw, libc::SO_RCVBUF, 8 << 20);
        }
        // SAFETY: an all-zero sockaddr_nl is valid; its fields are set below.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_groups = group as u32;
        // SAFETY: `addr` is a sockaddr_nl of the size passed.
        let r = unsafe {
            libc::bind(
                raw,
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(UeventSocket {
            fd,
            group,
            buf: vec![0; MAX_MESSAGE],
        })
    }

    /// The next believable event, waiting at most `timeout` (for ever when `None`):
    /// `Ok(None)` when none came in time. `ENOBUFS` means events were lost (the queue
    /// overflowed): whoever keeps a device list must read it afresh.
    pub fn recv(&mut self, timeout: Option<Duration>) -> io::Result<Option<Uevent>> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            let wait_ms = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    left.as_millis().clamp(1, i32::MAX as u128) as i32
                }
            };
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, wait_ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                continue;
            }
            if let Some(ev) = self.recv_one()? {
                return Ok(Some(ev));
            }
        }
    }

    /// Reads one message; `None` for one that is not believed or not understood.
    fn recv_one(&mut self) -> io::Result<Option<Uevent>> {
        let buf = &mut self.buf;
        // SAFETY: zeroed sockaddr_nl and msghdr are valid; the pointers set below stay valid
        // for the call.
        let mut sender: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        let mut cbuf = [0u64; 8];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: as above.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut sender as *mut libc::sockaddr_nl).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cbuf) as _;
        // SAFETY: `msg` describes live buffers.
        let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock => Ok(None),
                _ => Err(e),
            };
        }
        if msg.msg_flags & libc::MSG_TRUNC != 0 {
            return Ok(None);
        }
        let mut uid = None;
        // SAFETY: walking the control messages recvmsg filled in, with libc's macros.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_CREDENTIALS {
                    let cred = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::ucred>());
                    uid = Some(cred.uid);
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        let trusted = match self.group {
            UeventGroup::Kernel => sender.nl_pid == 0,
            UeventGroup::Udev => uid == Some(0),
        };
        if !trusted {
            return Ok(None);
        }
        let msg = &buf[..n as usize];
        // The kernel's messages carry no header; udevd's do. Each group gets only its own.
        let is_udev = msg.starts_with(b"libudev\0");
        if is_udev != (self.group == UeventGroup::Udev) {
            return Ok(None);
        }
        Ok(parse_message(msg))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_the_kernels_format() {
        let m = b"add@/devices/virtual/net/rv0\0ACTION=add\0DEVPATH=/devices/virtual/net/rv0\0\
                  SUBSYSTEM=net\0INTERFACE=rv0\0IFINDEX=9\0SEQNUM=17\0";
        let ev = parse_message(m).unwrap();
        assert_eq!(ev.action, "add");
        assert_eq!(ev.devpath, "/devices/virtual/net/rv0");
        assert_eq!(ev.prop("INTERFACE"), Some("rv0"));
        assert_eq!(ev.prop("SEQNUM"), Some("17"));
        // No summary line, no action, a path that climbs: refused.
        assert_eq!(parse_message(b"ACTION=add\0DEVPATH=/x\0"), None);
        assert_eq!(parse_message(b"add@/x\0DEVPATH=/x\0"), None);
        assert_eq!(
            parse_message(b"add@/x\0ACTION=add\0DEVPATH=/devices/../../etc\0"),
            None
        );
    }

    #[test]
    fn reads_udevds_format() {
        let body = b"ACTION=remove\0DEVPATH=/devices/virtual/block/loop3\0SUBSYSTEM=block\0\
                     ID_FS_TYPE=ext4\0";
        let mut m = b"libudev\0".to_vec();
        m.extend(UDEV_MAGIC.to_be_bytes());
        m.extend(40u32.to_ne_bytes());
        m.extend(40u32.to_ne_bytes());
        m.extend((body.len() as u32).to_ne_bytes());
        m.extend([0u8; 16]);
        m.extend(body);
        let ev = parse_message(&m).unwrap();
        assert_eq!(ev.action, "remove");
        assert_eq!(ev.devpath, "/devices/virtual/block/loop3");
        assert_eq!(ev.prop("ID_FS_TYPE"), Some("ext4"));
        // A wrong magic, properties past the end: refused.
        let mut bad = m.clone();
        bad[8] ^= 1;
        assert_eq!(parse_message(&bad), None);
        let mut short = m.clone();
        short.truncate(m.len() - 1 - body.len() / 2);
        assert_eq!(parse_message(&short), None);
    }

    proptest::proptest! {
        /// Whatever the bytes (the `uevent_message` fuzz target's function): no panic, and a
        /// message read has its action and a device path that does not climb.
        #[test]
        fn any_bytes_parse_or_not_without_panic(
            head in proptest::prop_oneof![
                proptest::strategy::Just(Vec::new()),
                proptest::strategy::Just(b"libudev\0\xfe\xed\xca\xfe".to_vec()),
                proptest::strategy::Just(b"add@/devices/x\0".to_vec()),
            ],
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        ) {
            let mut m = head;
            m.extend(tail);
            if let Some(ev) = parse_message(&m) {
                proptest::prop_assert_eq!(ev.prop("ACTION"), Some(ev.action.as_str()));
                proptest::prop_assert!(ev.devpath.starts_with('/'));
                proptest::prop_assert!(!ev.devpath.split('/').any(|c| c == ".."));
            }
        }
    }

    /// Sends `msg` to the multicast `group` from a socket of this process.
    fn multicast(group: u32, msg: &[u8]) {
        // SAFETY: as in `UeventSocket::open`; the descriptor is owned at once.
        let fd = unsafe {
            OwnedFd::from_raw_fd(libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_KOBJECT_UEVENT,
            ))
        };
        // SAFETY: an all-zero sockaddr_nl is valid.
        let mut to: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        to.nl_groups = group;
        // SAFETY: `msg` and `to` are live for the call, with their sizes.
        let n = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&to as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        assert_eq!(n, msg.len() as isize, "{}", io::Error::last_os_error());
    }

    /// The next event about `devpath` within half a second.
    fn next_about(sock: &mut UeventSocket, devpath: &str) -> Option<Uevent> {
        let deadline = std::time::Instant::now() + Duration::from_millis(500);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let ev = sock.recv(Some(left)).unwrap()?;
            if ev.devpath == devpath {
                return Some(ev);
            }
        }
    }

    /// As root, through real sockets: udevd's group believes root's messages in udevd's
    /// format and nothing else; the kernel's group believes no process. (The device path is
    /// of no device, so that other listeners on this host ignore these messages.)
    #[test]
    fn only_trusted_senders_are_believed() {
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping: sending to uevent groups needs root");
            return;
        }
        let mut udev = UeventSocket::open(UeventGroup::Udev).unwrap();
        let mut kernel = UeventSocket::open(UeventGroup::Kernel).unwrap();
        let devpath = format!("/devices/virtual/rvirt-test/none{}", std::process::id());
        let body = format!("ACTION=add\0DEVPATH={devpath}\0SUBSYSTEM=rvirt_test\0SEQNUM=1\0");
        let plain = format!("add@{devpath}\0{body}");
        let mut framed = b"libudev\0".to_vec();
        framed.extend(UDEV_MAGIC.to_be_bytes());
        for v in [40, 40, body.len() as u32, 0, 0, 0, 0] {
            framed.extend(v.to_ne_bytes());
        }
        framed.extend(body.as_bytes());

        multicast(UeventGroup::Udev as u32, plain.as_bytes());
        multicast(UeventGroup::Kernel as u32, plain.as_bytes());
        multicast(UeventGroup::Udev as u32, &framed);
        let ev = next_about(&mut udev, &devpath).expect("root's message in udevd's format");
        assert_eq!(ev.prop("SUBSYSTEM"), Some("rvirt_test"));
        assert_eq!(next_about(&mut udev, &devpath), None);
        assert_eq!(next_about(&mut kernel, &devpath), None);
    }

    /// A socket file with no listener behind it, or no file at all, is not a running udevd;
    /// a listening one is.
    #[test]
    fn a_control_socket_counts_only_while_it_listens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control");
        assert!(!accepts_connections(&path));
        // SAFETY: socket(2) with constant arguments.
        let raw = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET, 0) };
        assert!(raw >= 0);
        // SAFETY: a descriptor just returned to us.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let addr = unix_addr(&path).unwrap();
        let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
        // SAFETY: a valid address and its size.
        let bound = unsafe { libc::bind(fd.as_raw_fd(), std::ptr::addr_of!(addr).cast(), len) };
        assert_eq!(bound, 0);
        assert!(path.exists());
        assert!(!accepts_connections(&path), "bound but not listening");
        // SAFETY: listen(2) on our own socket.
        assert_eq!(unsafe { libc::listen(fd.as_raw_fd(), 1) }, 0);
        assert!(accepts_connections(&path));
        drop(fd);
        assert!(path.exists());
        assert!(
            !accepts_connections(&path),
            "the listener is gone, its file is left"
        );
    }

    /// As root with interfaces of type `ifb` available: the kernel's group reports an
    /// interface made and removed with `ip link`.
    #[test]
    fn the_kernel_reports_an_interface_coming_and_going() {
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping: needs root to add interfaces");
            return;
        }
        let _host = crate::testsys::REAL_HOST_NET
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut sock = UeventSocket::open(UeventGroup::Kernel).unwrap();
        let name = format!("rvu{}", std::process::id() % 100_000);
        let ip = |args: &[&str]| {
            std::process::Command::new("ip")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ip(&["link", "add", &name, "type", "ifb"]) {
            eprintln!("skipping: `ip link add … type ifb` does not work here");
            return;
        }
        /// Removes the interface however the test ends.
        struct Link<'a>(&'a str);
        impl Drop for Link<'_> {
            fn drop(&mut self) {
                let _ = std::process::Command::new("ip")
                    .args(["link", "del", self.0])
                    .status();
            }
        }
        let link = Link(&name);
        let path = format!("/devices/virtual/net/{name}");
        let mut wait_for = |action: &str| {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                let ev = sock.recv(Some(left)).unwrap();
                let ev = ev.unwrap_or_else(|| panic!("no {action} event for {path}"));
                if ev.devpath == path && ev.action == action {
                    return ev;
                }
            }
        };
        let added = wait_for("add");
        drop(link);
        assert_eq!(added.prop("INTERFACE"), Some(name.as_str()));
        assert_eq!(added.prop("SUBSYSTEM"), Some("net"));
        let removed = wait_for("remove");
        assert_eq!(removed.prop("INTERFACE"), Some(name.as_str()));
    }
}
