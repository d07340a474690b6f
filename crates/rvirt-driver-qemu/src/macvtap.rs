//! macvtap devices for `<interface type='direct'>`, as libvirt's `virnetdevmacvlan.c` makes
//! them: a `macvtapN` link on the host device the interface names, in its mode (vepa unless
//! the definition says), carrying the guest's own MAC, made over rtnetlink; its tap character
//! device (`/dev/tap<ifindex>`) opened once per queue, with the virtio-net header for virtio
//! NICs. Unlike a tap device a macvtap link outlives its descriptors: it is deleted when the
//! guest stops.

use crate::tap::Tap;
use rvirt_types::{Error, ErrorDomain, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const NLMSG_ERROR: u16 = 2;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINK: u16 = 5;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_MACVLAN_MODE: u16 = 1;
/// `struct ifinfomsg`: family, pad, type, index, flags, change.
const IFINFOMSG_LEN: usize = 16;

/// The kernel's value of a libvirt macvtap mode (`<source mode>`); `None` for one it does not
/// have (`passthrough` is the kernel's `passthru`).
pub(crate) fn mode_value(mode: &str) -> Option<u32> {
    match mode {
        "private" => Some(1),
        "vepa" => Some(2),
        "bridge" => Some(4),
        "passthrough" => Some(8),
        _ => None,
    }
}

/// A netlink message under construction: header, `ifinfomsg`, attributes.
struct Message(Vec<u8>);

impl Message {
    fn new(kind: u16, flags: u16) -> Message {
        let mut m = Message(Vec::with_capacity(128));
        m.0.extend_from_slice(&[0; 16]);
        m.0[4..6].copy_from_slice(&kind.to_ne_bytes());
        let flags = flags | (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
        m.0[6..8].copy_from_slice(&flags.to_ne_bytes());
        m.0.extend_from_slice(&[0; IFINFOMSG_LEN]);
        m
    }

    fn pad(&mut self) {
        while self.0.len() % 4 != 0 {
            self.0.push(0);
        }
    }

    fn attr(&mut self, kind: u16, data: &[u8]) {
        let len = (4 + data.len()) as u16;
        self.0.extend_from_slice(&len.to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(data);
        self.pad();
    }

    /// Starts a nested attribute; `end_nest` writes its length.
    fn nest(&mut self, kind: u16) -> usize {
        let at = self.0.len();
        self.0.extend_from_slice(&[0, 0]);
        self.0.extend_from_slice(&kind.to_ne_bytes());
        at
    }

    fn end_nest(&mut self, at: usize) {
        let len = (self.0.len() - at) as u16;
        self.0[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        let len = self.0.len() as u32;
        self.0[0..4].copy_from_slice(&len.to_ne_bytes());
        self.0
    }
}

/// Sends one rtnetlink request and reads the kernel's answer: `Err` with the errno it gave.
fn request(msg: Vec<u8>) -> std::result::Result<(), std::io::Error> {
    // SAFETY: socket(2) with constant arguments; the result is checked.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: an all-zero sockaddr_nl addresses the kernel.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: `msg` and `kernel` outlive the call; lengths are theirs.
    let sent = unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let n = n as usize;
        if n < 20 {
            return Err(std::io::Error::other("short netlink answer"));
        }
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        if kind != NLMSG_ERROR {
            continue;
        }
        let errno = i32::from_ne_bytes([buf[16], buf[17], buf[18], buf[19]]);
        return if errno == 0 {
            Ok(())
        } else {
            Err(std::io::Error::from_raw_os_error(-errno))
        };
    }
}

fn ifindex(name: &str) -> Result<u32> {
    let c = std::ffi::CString::new(name).map_err(|_| {
        Error::system(
            ErrorDomain::NONE,
            format!("Unable to get index for interface {name}"),
            &std::io::Error::from_raw_os_error(libc::ENODEV),
        )
    })?;
    // SAFETY: a NUL-terminated name; the call only reads it.
    match unsafe { libc::if_nametoindex(c.as_ptr()) } {
        0 => Err(Error::system(
            ErrorDomain::NONE,
            format!("Unable to get index for interface {name}"),
            &std::io::Error::last_os_error(),
        )),
        i => Ok(i),
    }
}

/// Makes macvtap link `name` on host device `link` in mode `mode` with MAC `mac`, with
/// libvirt's error (`error creating macvtap interface NAME@LINK (MAC)`).
pub(crate) fn create(name: &str, link: &str, mode: u32, mac: [u8; 6]) -> Result<()> {
    let index = ifindex(link)?;
    let mut m = Message::new(RTM_NEWLINK, (libc::NLM_F_CREATE | libc::NLM_F_EXCL) as u16);
    m.attr(IFLA_LINK, &index.to_ne_bytes());
    let mut ifname = name.as_bytes().to_vec();
    ifname.push(0);
    m.attr(IFLA_IFNAME, &ifname);
    m.attr(IFLA_ADDRESS, &mac);
    let info = m.nest(IFLA_LINKINFO);
    m.attr(IFLA_INFO_KIND, b"macvtap");
    let data = m.nest(IFLA_INFO_DATA);
    m.attr(IFLA_MACVLAN_MODE, &mode.to_ne_bytes());
    m.end_nest(data);
    m.end_nest(info);
    request(m.finish()).map_err(|e| {
        let mac: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
        Error::system(
            ErrorDomain::NONE,
            format!(
                "error creating macvtap interface {name}@{link} ({})",
                mac.join(":")
            ),
            &e,
        )
    })
}

/// Deletes link `name` (`virNetlinkDelLink`).
pub(crate) fn delete(name: &str) -> Result<()> {
    let mut m = Message::new(RTM_DELLINK, 0);
    let mut ifname = name.as_bytes().to_vec();
    ifname.push(0);
    m.attr(IFLA_IFNAME, &ifname);
    request(m.finish()).map_err(|e| {
        Error::system(
            ErrorDomain::NONE,
            format!("error destroying network device {name}"),
            &e,
        )
    })
}

/// Opens the tap device of macvtap `name` `queues` times, sets the virtio-net header and the
/// multiqueue flag as asked (`virNetDevMacVLanTapOpen`, `virNetDevMacVLanTapSetup`).
pub(crate) fn open(name: &str, queues: usize, vnet_hdr: bool) -> Result<Tap> {
    let index = ifindex(name)?;
    let path = std::ffi::CString::new(format!("/dev/tap{index}")).unwrap_or_default();
    let mut fds = Vec::new();
    for _ in 0..queues.max(1) {
        let mut retries = 10;
        let fd = loop {
            // SAFETY: open(2) of a NUL-terminated path; the result is checked.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
            if fd >= 0 {
                // SAFETY: a fresh descriptor that nothing else owns.
                break unsafe { OwnedFd::from_raw_fd(fd) };
            }
            let e = std::io::Error::last_os_error();
            if retries == 0 {
                return Err(Error::system(
                    ErrorDomain::NONE,
                    format!("cannot open macvtap tap device /dev/tap{index}"),
                    &e,
                ));
            }
            // The node may wait for udev.
            retries -= 1;
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        fds.push(fd);
    }
    for fd in &fds {
        crate::tap::set_tap_flags(fd, queues > 1, vnet_hdr)?;
    }
    Ok(Tap {
        name: name.to_string(),
        fds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_laid_out_as_the_kernel_reads_them() {
        let mut m = Message::new(RTM_DELLINK, 0);
        m.attr(IFLA_IFNAME, b"mv0\0");
        let bytes = m.finish();
        assert_eq!(bytes.len(), 16 + IFINFOMSG_LEN + 8);
        assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 40);
        assert_eq!(
            u16::from_ne_bytes(bytes[4..6].try_into().unwrap()),
            RTM_DELLINK
        );
        // The attribute: length 8 (4 + "mv0\0"), type IFLA_IFNAME.
        assert_eq!(&bytes[32..36], &[8, 0, 3, 0]);
        assert_eq!(mode_value("vepa"), Some(2));
        assert_eq!(mode_value("bogus"), None);
    }

    #[test]
    fn a_missing_link_device_is_named_in_the_error() {
        let e = create("rvmvtst0", "no-such-dev0", 2, [0x52, 0x54, 0, 1, 2, 3])
            .expect_err("no such device");
        assert!(
            e.message
                .contains("Unable to get index for interface no-such-dev0"),
            "{e}"
        );
    }
}
