//! Host network devices for a guest's interfaces: tap devices (`/dev/net/tun`), their MAC
//! address, MTU and link state, and their place on a Linux bridge. The kernel calls libvirt's
//! `virnetdevtap.c` and `virnetdevbridge.c` make, with errors worded as libvirt words them
//! (`VIR_ERR_SYSTEM_ERROR` from no particular driver, the interface named).

use rvirt_types::{Error, ErrorDomain, Result};
use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// `SIOCBRADDIF` and `SIOCBRDELIF` (linux/sockios.h), which the libc crate has for Android
/// only.
const SIOCBRADDIF: libc::c_ulong = 0x89a2;
const SIOCBRDELIF: libc::c_ulong = 0x89a3;
const SIOCBRADDBR: libc::c_ulong = 0x89a0;
const SIOCBRDELBR: libc::c_ulong = 0x89a1;

/// `struct ifreq`: a name and, for the requests made here, a flags word, an index, an MTU or a
/// hardware address (the union is 24 bytes on 64-bit Linux).
#[repr(C)]
struct Ifreq {
    name: [libc::c_char; libc::IFNAMSIZ],
    data: [u8; 24],
}

impl Ifreq {
    fn new(ifname: &str) -> Result<Ifreq> {
        if ifname.is_empty() || ifname.len() >= libc::IFNAMSIZ || ifname.contains('\0') {
            return Err(Error::system(
                ErrorDomain::NONE,
                format!("Network interface name '{ifname}' is too long"),
                &std::io::Error::from_raw_os_error(libc::ERANGE),
            ));
        }
        let mut r = Ifreq {
            name: [0; libc::IFNAMSIZ],
            data: [0; 24],
        };
        for (d, s) in r.name.iter_mut().zip(ifname.bytes()) {
            *d = s as libc::c_char;
        }
        Ok(r)
    }

    fn name(&self) -> String {
        // SAFETY: the kernel and `new` leave the name NUL-terminated within IFNAMSIZ.
        unsafe { CStr::from_ptr(self.name.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    fn set_short(&mut self, v: i16) {
        self.data[..2].copy_from_slice(&v.to_ne_bytes());
    }

    fn short(&self) -> i16 {
        i16::from_ne_bytes([self.data[0], self.data[1]])
    }

    fn set_int(&mut self, v: i32) {
        self.data[..4].copy_from_slice(&v.to_ne_bytes());
    }

    fn int(&self) -> i32 {
        i32::from_ne_bytes([self.data[0], self.data[1], self.data[2], self.data[3]])
    }

    /// `ioctl(fd, req, self)`.
    fn ioctl(&mut self, fd: libc::c_int, req: libc::c_ulong) -> std::io::Result<()> {
        // SAFETY: every request made here reads and writes a `struct ifreq`, which `self` is,
        // laid out as the kernel's (name, then a 24-byte union); SIOCETHTOOL's union holds a
        // pointer to a live ethtool struct of the command's type (set_coalesce_rx_frames).
        let rc = unsafe { libc::ioctl(fd, req as _, self as *mut Ifreq) };
        if rc < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

fn sys(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::system(ErrorDomain::NONE, what, &e)
}

/// A datagram socket for interface requests, closed when dropped.
fn control_socket() -> Result<OwnedFd> {
    // SAFETY: socket(2) with constant arguments; the result is checked.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(Error::system(
            ErrorDomain::NONE,
            "Unable to open control socket",
            &std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether a network device called `ifname` exists on the host.
pub(crate) fn exists(ifname: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(ifname) else {
        return false;
    };
    // SAFETY: a NUL-terminated name; the call only reads it.
    unsafe { libc::if_nametoindex(c.as_ptr()) != 0 }
}

/// A tap device this process opened: its name and one descriptor per queue. A tap device
/// that is not persistent goes away when the last descriptor of it closes (QEMU's, once it
/// has inherited them and the driver dropped these).
#[derive(Debug)]
pub(crate) struct Tap {
    /// The device's name (`vnet0`, or the one the definition gives).
    pub(crate) name: String,
    /// One open descriptor per queue (close-on-exec: a child gets them only on purpose).
    pub(crate) fds: Vec<OwnedFd>,
}

/// Opens (creating it if it does not exist) the tap device `ifname` with `queues` queues
/// (`IFF_MULTI_QUEUE` when more than one) and, for virtio NICs, the virtio-net header.
pub(crate) fn open_tap(ifname: &str, queues: usize, vnet_hdr: bool) -> Result<Tap> {
    open_tap_at(TUN, ifname, queues, vnet_hdr)
}

/// The tun/tap clone device.
pub(crate) const TUN: &str = "/dev/net/tun";

/// [`open_tap`] through the clone device at `tunpath` (an interface's `<backend tap>`).
pub(crate) fn open_tap_at(
    tunpath: &str,
    ifname: &str,
    queues: usize,
    vnet_hdr: bool,
) -> Result<Tap> {
    let mut fds = Vec::with_capacity(queues.max(1));
    let mut name = ifname.to_string();
    let opening = || format!("Unable to open {tunpath}, is tun module loaded?");
    for _ in 0..queues.max(1) {
        let fd = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(tunpath)
            .map_err(|e| Error::system(ErrorDomain::NONE, opening(), &e))?;
        let fd = OwnedFd::from(fd);
        let mut r = Ifreq::new(&name)?;
        let mut flags = libc::IFF_TAP | libc::IFF_NO_PI;
        if queues > 1 {
            flags |= libc::IFF_MULTI_QUEUE;
        }
        if vnet_hdr {
            flags |= libc::IFF_VNET_HDR;
        }
        r.set_short(flags as i16);
        r.ioctl(fd.as_raw_fd(), libc::TUNSETIFF as libc::c_ulong)
            .map_err(sys(format!("Unable to create tap device {name}")))?;
        name = r.name();
        fds.push(fd);
    }
    Ok(Tap { name, fds })
}

/// Sets the multiqueue flag and, where the device has it, the virtio-net header on an open
/// macvtap tap (libvirt's `virNetDevMacVLanTapSetup`), with libvirt's errors.
pub(crate) fn set_tap_flags(fd: &OwnedFd, multi_queue: bool, vnet_hdr: bool) -> Result<()> {
    let mut r = Ifreq {
        name: [0; libc::IFNAMSIZ],
        data: [0; 24],
    };
    r.ioctl(fd.as_raw_fd(), libc::TUNGETIFF as libc::c_ulong)
        .map_err(sys("cannot get interface flags on macvtap tap".into()))?;
    let old = r.short();
    let mut flags = old;
    if vnet_hdr {
        let mut features: libc::c_uint = 0;
        // SAFETY: TUNGETFEATURES writes one unsigned int, which `features` is.
        let rc = unsafe {
            libc::ioctl(
                fd.as_raw_fd(),
                libc::TUNGETFEATURES as _,
                &mut features as *mut libc::c_uint,
            )
        };
        if rc < 0 {
            return Err(Error::system(
                ErrorDomain::NONE,
                "cannot get feature flags on macvtap tap",
                &std::io::Error::last_os_error(),
            ));
        }
        if features & libc::IFF_VNET_HDR as libc::c_uint != 0 {
            flags |= libc::IFF_VNET_HDR as i16;
        }
    } else {
        flags &= !(libc::IFF_VNET_HDR as i16);
    }
    if multi_queue {
        flags |= libc::IFF_MULTI_QUEUE as i16;
    } else {
        flags &= !(libc::IFF_MULTI_QUEUE as i16);
    }
    if flags != old {
        r.set_short(flags);
        r.ioctl(fd.as_raw_fd(), libc::TUNSETIFF as libc::c_ulong)
            .map_err(sys(
                "unable to set vnet or multiqueue flags on macvtap".into()
            ))?;
    }
    Ok(())
}

/// Makes the tap device `ifname` not persistent, so that it goes away with its last
/// descriptor (libvirt's `virNetDevTapDelete`).
pub(crate) fn delete_tap(ifname: &str) -> Result<()> {
    let tap = open_tap(ifname, 1, false)?;
    // SAFETY: TUNSETPERSIST takes its argument by value; the descriptor is the tap's.
    let rc = unsafe { libc::ioctl(tap.fds[0].as_raw_fd(), libc::TUNSETPERSIST as _, 0) };
    if rc < 0 {
        return Err(Error::system(
            ErrorDomain::NONE,
            "Unable to make TAP device non-persistent",
            &std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Sets the hardware address of `ifname`.
pub(crate) fn set_mac(ifname: &str, mac: [u8; 6]) -> Result<()> {
    let s = control_socket()?;
    let mut r = Ifreq::new(ifname)?;
    // A sockaddr: the family (ARPHRD_ETHER), then the address.
    r.data[..2].copy_from_slice(&libc::ARPHRD_ETHER.to_ne_bytes());
    r.data[2..8].copy_from_slice(&mac);
    r.ioctl(s.as_raw_fd(), libc::SIOCSIFHWADDR)
        .map_err(sys(format!("Cannot set interface MAC on '{ifname}'")))
}

/// The MTU of `ifname`.
pub(crate) fn mtu(ifname: &str) -> Result<u32> {
    let s = control_socket()?;
    let mut r = Ifreq::new(ifname)?;
    r.ioctl(s.as_raw_fd(), libc::SIOCGIFMTU)
        .map_err(sys(format!("Cannot get interface MTU on '{ifname}'")))?;
    Ok(r.int().max(0) as u32)
}

/// Sets the MTU of `ifname`.
pub(crate) fn set_mtu(ifname: &str, mtu: u32) -> Result<()> {
    let s = control_socket()?;
    let mut r = Ifreq::new(ifname)?;
    r.set_int(mtu.min(i32::MAX as u32) as i32);
    r.ioctl(s.as_raw_fd(), libc::SIOCSIFMTU)
        .map_err(sys(format!("Cannot set interface MTU on '{ifname}'")))
}

/// Brings `ifname` up.
pub(crate) fn set_up(ifname: &str) -> Result<()> {
    let s = control_socket()?;
    let mut r = Ifreq::new(ifname)?;
    r.ioctl(s.as_raw_fd(), libc::SIOCGIFFLAGS)
        .map_err(sys(format!("Cannot get interface flags on '{ifname}'")))?;
    let flags = r.short() | libc::IFF_UP as i16;
    r.set_short(flags);
    r.ioctl(s.as_raw_fd(), libc::SIOCSIFFLAGS)
        .map_err(sys(format!("Cannot set interface flags on '{ifname}'")))
}

/// Takes `ifname` down.
pub(crate) fn set_down(ifname: &str) -> Result<()> {
    let s = control_socket()?;
    let mut r = Ifreq::new(ifname)?;
    r.ioctl(s.as_raw_fd(), libc::SIOCGIFFLAGS)
        .map_err(sys(format!("Cannot get interface flags on '{ifname}'")))?;
    let flags = r.short() & !(libc::IFF_UP as i16);
    r.set_short(flags);
    r.ioctl(s.as_raw_fd(), libc::SIOCSIFFLAGS)
        .map_err(sys(format!("Cannot set interface flags on '{ifname}'")))
}

/// Makes the Linux bridge `name` (libvirt's `virNetDevBridgeCreate`).
pub(crate) fn bridge_create(name: &str) -> Result<()> {
    bridge_request(name, SIOCBRADDBR, "Unable to create bridge")
}

/// Deletes the Linux bridge `name` (down first, as the kernel wants it).
pub(crate) fn bridge_delete(name: &str) -> Result<()> {
    let _ = set_down(name);
    bridge_request(name, SIOCBRDELBR, "Unable to delete bridge")
}

fn bridge_request(name: &str, req: libc::c_ulong, what: &str) -> Result<()> {
    Ifreq::new(name)?;
    let s = control_socket()?;
    let c = std::ffi::CString::new(name)
        .map_err(|_| Error::internal(ErrorDomain::NONE, format!("bad bridge name '{name}'")))?;
    // SAFETY: SIOCBRADDBR/SIOCBRDELBR read a NUL-terminated name.
    let rc = unsafe { libc::ioctl(s.as_raw_fd(), req as _, c.as_ptr()) };
    if rc < 0 {
        return Err(Error::system(
            ErrorDomain::NONE,
            format!("{what} {name}"),
            &std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Adds `ifname` to the Linux bridge `bridge` as a port.
pub(crate) fn bridge_add_port(bridge: &str, ifname: &str) -> Result<()> {
    bridge_port(bridge, ifname, SIOCBRADDIF, "add")
}

/// Takes `ifname` off the Linux bridge `bridge`.
pub(crate) fn bridge_remove_port(bridge: &str, ifname: &str) -> Result<()> {
    bridge_port(bridge, ifname, SIOCBRDELIF, "remove")
}

/// Sets the bridge port option `param` of `ifname` on `bridge` (its `brif` file in sysfs), as
/// libvirt's `virNetDevBridgePortSet`.
pub(crate) fn bridge_port_set(bridge: &str, ifname: &str, param: &str, value: u64) -> Result<()> {
    let path = format!("/sys/class/net/{bridge}/brif/{ifname}/{param}");
    let r = if Path::new(&path).exists() {
        std::fs::write(&path, value.to_string())
    } else {
        Err(std::io::Error::from_raw_os_error(libc::EINVAL))
    };
    r.map_err(sys(format!(
        "Unable to set bridge {bridge} port {ifname} {param} to {value}"
    )))
}

/// `struct ethtool_coalesce` (linux/ethtool.h): a command and 22 counts.
#[repr(C)]
#[derive(Default)]
struct EthtoolCoalesce {
    cmd: u32,
    rx_coalesce_usecs: u32,
    rx_max_coalesced_frames: u32,
    rest: [u32; 20],
}

const ETHTOOL_GCOALESCE: u32 = 0x0e;
const ETHTOOL_SCOALESCE: u32 = 0x0f;

/// Sets how many received frames `ifname` coalesces (libvirt's `virNetDevSetCoalesce` with
/// the one count its XML has, every other count 0) and returns what the device took (a tap
/// caps it at 64), as libvirt reads it back into the live definition.
pub(crate) fn set_coalesce_rx_frames(ifname: &str, frames: u32) -> Result<u32> {
    let s = control_socket()?;
    // SIOCETHTOOL reads and writes the ethtool_coalesce `ifr_data` points to.
    let ethtool = |coal: &mut EthtoolCoalesce| -> std::io::Result<()> {
        let mut r =
            Ifreq::new(ifname).map_err(|_| std::io::Error::from_raw_os_error(libc::ERANGE))?;
        let ptr = std::ptr::from_mut(coal) as usize;
        r.data[..size_of::<usize>()].copy_from_slice(&ptr.to_ne_bytes());
        r.ioctl(s.as_raw_fd(), libc::SIOCETHTOOL)
    };
    Ifreq::new(ifname)?;
    let mut set = EthtoolCoalesce {
        cmd: ETHTOOL_SCOALESCE,
        rx_max_coalesced_frames: frames,
        ..EthtoolCoalesce::default()
    };
    ethtool(&mut set).map_err(sys(format!("Cannot set coalesce info on '{ifname}'")))?;
    let mut got = EthtoolCoalesce {
        cmd: ETHTOOL_GCOALESCE,
        ..EthtoolCoalesce::default()
    };
    // Not failing when the read back fails, as libvirt.
    Ok(match ethtool(&mut got) {
        Ok(()) => got.rx_max_coalesced_frames,
        Err(_) => frames,
    })
}

fn bridge_port(bridge: &str, ifname: &str, req: libc::c_ulong, verb: &str) -> Result<()> {
    let s = control_socket()?;
    let what = || format!("Unable to {verb} bridge {bridge} port {ifname}");
    let mut idx = Ifreq::new(ifname)?;
    idx.ioctl(s.as_raw_fd(), libc::SIOCGIFINDEX)
        .map_err(sys(what()))?;
    let mut r = Ifreq::new(bridge)?;
    r.set_int(idx.int());
    r.ioctl(s.as_raw_fd(), req).map_err(sys(what()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_kernel_cannot_take_are_refused_with_libvirts_words() {
        let e = Ifreq::new("a-name-longer-than-15").err().unwrap();
        assert_eq!(e.code, rvirt_types::ErrorNumber::SYSTEM_ERROR);
        assert!(
            e.message
                .starts_with("Network interface name 'a-name-longer-than-15' is too long"),
            "{}",
            e.message
        );
        assert!(Ifreq::new("").is_err());
        assert_eq!(Ifreq::new("vnet0").unwrap().name(), "vnet0");
    }

    #[test]
    fn a_missing_device_is_named_in_the_error() {
        let e = mtu("rvirt-nodev0").unwrap_err();
        assert_eq!(
            e.message,
            "Cannot get interface MTU on 'rvirt-nodev0': No such device"
        );
        assert!(!exists("rvirt-nodev0"));
        assert!(exists("lo"));
        assert_eq!(mtu("lo").unwrap(), 65536);
    }
}
