//! Network interface details libvirt reads for node devices and host interfaces: link state
//! and speed from sysfs (`virNetDevGetLinkInfo`) and offload features through ethtool ioctls
//! (`virNetDevGetFeatures`).

use crate::udev::HostPaths;
use std::fs;

/// libvirt's `virNetDevIfState` names; the index is the state's number.
pub use rvirt_conf::interface::LINK_STATES;

/// The state (index into [`LINK_STATES`]) and speed in Mbit/s (0 unless the link is up) of
/// interface `ifname`; `None` where libvirt fails: the interface is gone, or its `operstate`
/// is not a known state or lacks its newline.
pub fn link_info(paths: &HostPaths, ifname: &str) -> Option<(usize, u32)> {
    let dir = paths.sys.join("class/net").join(ifname);
    let buf = fs::read_to_string(dir.join("operstate")).ok()?;
    let (state, _) = buf.split_once('\n')?;
    let idx = LINK_STATES
        .iter()
        .position(|s| *s == state)
        .filter(|i| *i > 0)?;
    if LINK_STATES[idx] != "up" {
        return Some((idx, 0));
    }
    // Reading `speed` fails with EINVAL for devices that do not report one: no speed then.
    let Ok(buf) = fs::read_to_string(dir.join("speed")) else {
        return Some((idx, 0));
    };
    let (num, rest) = buf.split_at(buf.find('\n')?);
    debug_assert!(rest.starts_with('\n'));
    // virStrToLong_ui takes `-1` (what virtio and others report) as UINT_MAX.
    let speed = match num.strip_prefix('-') {
        Some(n) => n.parse::<u32>().ok()?.wrapping_neg(),
        None => num.parse::<u32>().ok()?,
    };
    Some((idx, speed))
}

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GRXCSUM: u32 = 0x14;
const ETHTOOL_GTXCSUM: u32 = 0x16;
const ETHTOOL_GSG: u32 = 0x18;
const ETHTOOL_GTSO: u32 = 0x1e;
const ETHTOOL_GGSO: u32 = 0x23;
const ETHTOOL_GFLAGS: u32 = 0x25;
const ETHTOOL_GGRO: u32 = 0x2b;
const ETHTOOL_GFEATURES: u32 = 0x3a;
/// The kernel's feature bit for UDP tunnel segmentation offload (`NETIF_F_GSO_UDP_TUNNEL`).
const TX_UDP_TNL_BIT: usize = 25;

#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

#[repr(C)]
struct Ifreq {
    name: [libc::c_char; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _pad: [u8; 16],
}

/// A socket for ethtool requests, closed when dropped.
struct Control(libc::c_int);

impl Drop for Control {
    fn drop(&mut self) {
        // SAFETY: closing the descriptor this value owns, once.
        unsafe { libc::close(self.0) };
    }
}

impl Control {
    fn open() -> Option<Control> {
        // SAFETY: socket(2) with constant arguments; the result is checked.
        let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        (fd >= 0).then_some(Control(fd))
    }

    /// One ethtool request on `ifname`, its answer written into `data`.
    fn ethtool(&self, ifname: &str, data: *mut libc::c_void) -> bool {
        let mut req = Ifreq {
            name: [0; libc::IFNAMSIZ],
            data,
            _pad: [0; 16],
        };
        if ifname.len() >= libc::IFNAMSIZ || ifname.contains('\0') {
            return false;
        }
        for (d, s) in req.name.iter_mut().zip(ifname.bytes()) {
            *d = s as libc::c_char;
        }
        // SAFETY: SIOCETHTOOL reads the interface name and the command `data` points at, and
        // writes no more than the command's own structure, which the caller sized for it.
        unsafe { libc::ioctl(self.0, SIOCETHTOOL as _, &mut req as *mut Ifreq) == 0 }
    }

    fn value(&self, ifname: &str, cmd: u32) -> Option<u32> {
        let mut v = EthtoolValue { cmd, data: 0 };
        self.ethtool(ifname, &mut v as *mut EthtoolValue as *mut libc::c_void)
            .then_some(v.data)
    }
}

/// The offload features of `ifname` as indexes into libvirt's feature names (`rx`, `tx`, `sg`,
/// `tso`, `gso`, `gro`, `lro`, `rxvlan`, `txvlan`, `ntuple`, `rxhash`, `rdma`, `txudptnl`), in
/// that order. Requests the device refuses leave their feature out, as in libvirt; switchdev
/// (asked over devlink netlink) is not read.
pub fn features(paths: &HostPaths, ifname: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(ctl) = Control::open() else {
        return out;
    };
    let legacy = [
        (ETHTOOL_GRXCSUM, 0),
        (ETHTOOL_GTXCSUM, 1),
        (ETHTOOL_GSG, 2),
        (ETHTOOL_GTSO, 3),
        (ETHTOOL_GGSO, 4),
        (ETHTOOL_GGRO, 5),
    ];
    for (cmd, feat) in legacy {
        if ctl.value(ifname, cmd).is_some_and(|v| v > 0) {
            out.push(feat);
        }
    }
    // ETH_FLAG_LRO, _RXVLAN, _TXVLAN, _NTUPLE, _RXHASH.
    let flags = [
        (1u32 << 15, 6),
        (1 << 8, 7),
        (1 << 7, 8),
        (1 << 27, 9),
        (1 << 28, 10),
    ];
    if let Some(v) = ctl.value(ifname, ETHTOOL_GFLAGS).filter(|v| *v > 0) {
        for (bit, feat) in flags {
            if v & bit != 0 {
                out.push(feat);
            }
        }
    }
    if rdma(paths, ifname) {
        out.push(11);
    }
    // struct ethtool_gfeatures with two blocks of {available, requested, active, never_changed}.
    let mut g = [0u32; 2 + 2 * 4];
    g[0] = ETHTOOL_GFEATURES;
    g[1] = 2;
    if ctl.ethtool(ifname, g.as_mut_ptr() as *mut libc::c_void) {
        let active = g[2 + (TX_UDP_TNL_BIT / 32) * 4 + 2];
        if active & (1 << (TX_UDP_TNL_BIT % 32)) != 0 {
            out.push(12);
        }
    }
    out.sort_unstable();
    out
}

/// Whether an InfiniBand device shares the interface's PCI resources (`virNetDevRDMAFeature`).
fn rdma(paths: &HostPaths, ifname: &str) -> bool {
    let ib = paths.sys.join("class/infiniband");
    let Ok(mine) = fs::read(
        paths
            .sys
            .join("class/net")
            .join(ifname)
            .join("device/resource"),
    ) else {
        return false;
    };
    crate::udev::entries(&ib)
        .iter()
        .any(|(_, p)| fs::read(p.join("device/resource")).is_ok_and(|r| r == mine))
}
