//! A fake sysfs for the unit tests.

#![allow(clippy::unwrap_used)]

use crate::udev::HostPaths;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

pub(crate) struct FakeSys {
    pub(crate) paths: HostPaths,
}

impl FakeSys {
    pub(crate) fn new(root: &Path) -> FakeSys {
        FakeSys {
            paths: HostPaths::under(root),
        }
    }

    /// Writes `s` to `p` below sys.
    pub(crate) fn w(&self, p: &str, s: &str) {
        let p = self.paths.sys.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, s).unwrap();
    }

    /// A link at `at` to `to`, both below sys.
    pub(crate) fn link(&self, to: &str, at: &str) {
        let at = self.paths.sys.join(at);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(self.paths.sys.join(to), at).unwrap();
    }

    /// A device at `path` of `subsystem` (a bus, or a class for block and net) with `uevent`,
    /// listed where udev finds it.
    pub(crate) fn device(&self, subsystem: &str, path: &str, uevent: &str) {
        self.w(&format!("{path}/uevent"), uevent);
        let name = path.rsplit('/').next().unwrap();
        let (home, list) = match subsystem {
            "block" | "net" => (format!("class/{subsystem}"), format!("class/{subsystem}")),
            s => (format!("bus/{s}"), format!("bus/{s}/devices")),
        };
        fs::create_dir_all(self.paths.sys.join(&home)).unwrap();
        self.link(&home, &format!("{path}/subsystem"));
        self.link(path, &format!("{list}/{name}"));
    }

    /// A record of udev's database.
    pub(crate) fn udev(&self, id: &str, text: &str) {
        fs::create_dir_all(&self.paths.udev_data).unwrap();
        fs::write(self.paths.udev_data.join(id), text).unwrap();
    }

    /// An interface `name` (MAC `mac`, operstate `state`) below `dev`.
    pub(crate) fn net(&self, dev: &str, name: &str, mac: &str, state: &str) -> String {
        let p = format!("{dev}/net/{name}");
        self.device("net", &p, &format!("INTERFACE={name}\nIFINDEX=2\n"));
        self.w(&format!("{p}/address"), &format!("{mac}\n"));
        self.w(&format!("{p}/addr_len"), "6\n");
        self.w(&format!("{p}/operstate"), &format!("{state}\n"));
        self.w(&format!("{p}/speed"), "1000\n");
        self.w(&format!("{p}/mtu"), "1500\n");
        p
    }

    /// A PCI NIC at 0000:00:03.0 with interface ens99.
    pub(crate) fn nic(&self) {
        let nic = "devices/pci0000:00/0000:00:03.0";
        self.device("pci", nic, "DRIVER=e1000\nPCI_CLASS=20000\n");
        self.w(&format!("{nic}/vendor"), "0x8086\n");
        self.w(&format!("{nic}/device"), "0x100e\n");
        self.w(&format!("{nic}/numa_node"), "-1\n");
        let ens99 = self.net(nic, "ens99", "52:54:00:12:34:56", "up");
        self.link(nic, &format!("{ens99}/device"));
    }
}

/// Held by the tests that add interfaces to the real host and by those that compare its
/// interfaces with sysfs, so that neither sees the other half-way.
pub(crate) static REAL_HOST_NET: std::sync::Mutex<()> = std::sync::Mutex::new(());
