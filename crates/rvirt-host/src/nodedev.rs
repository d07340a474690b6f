//! Node devices of the host from sysfs, named as libvirt's udev backend names them
//! (`nodeDeviceGenerateName`: subsystem, sysname and maybe a suffix, every character that is not
//! a letter or digit made `_`): `computer`, `pci_0000_00_02_0`, `usb_1_1`, `usb_1_1_1_0`,
//! `net_eth0_52_54_00_12_34_56`, `scsi_host0`, `block_vda_SERIAL`.
//!
//! Everything is read below a root given by the caller (`/sys` on a real host), so tests can
//! hand it a tree of their own. Files that are missing or unreadable leave their field out, as
//! udev's missing properties do; nothing here writes.

use rvirt_conf::nodedev::{NodeDevCap, NodeDeviceDef, PciAddr, PciCap, StorageCap};
use rvirt_types::Uuid;
use std::fs;
use std::path::{Path, PathBuf};

/// libvirt's `nodeDeviceGenerateName`.
pub fn device_name(subsystem: &str, sysname: &str, suffix: Option<&str>) -> String {
    let mut name = format!("{subsystem}_{sysname}");
    if let Some(s) = suffix {
        name.push('_');
        name.push_str(s);
    }
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn read(path: &Path) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
        .filter(|s| !s.is_empty())
}

fn read_num(path: &Path, radix: u32) -> Option<u32> {
    let t = read(path)?;
    let t = t.trim();
    let t = if radix == 16 {
        t.strip_prefix("0x").unwrap_or(t)
    } else {
        t
    };
    u32::from_str_radix(t, radix).ok()
}

fn link_name(path: &Path) -> Option<String> {
    fs::read_link(path)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// The entries of a directory, sorted by name (sysfs lists in creation order).
fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `DDDD:BB:SS.F`.
fn parse_pci_addr(s: &str) -> Option<PciAddr> {
    let (dom, rest) = s.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (slot, func) = rest.split_once('.')?;
    Some(PciAddr {
        domain: u32::from_str_radix(dom, 16).ok()?,
        bus: u32::from_str_radix(bus, 16).ok()?,
        slot: u32::from_str_radix(slot, 16).ok()?,
        function: u32::from_str_radix(func, 16).ok()?,
    })
}

/// The node device name of the sysfs device at `real` (a canonical path under `devices/`),
/// for the kinds this module reads; `computer` for anything else.
fn parent_name(real: &Path) -> String {
    let mut p = real.parent();
    while let Some(dir) = p {
        let base = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if parse_pci_addr(&base).is_some() {
            return device_name("pci", &base, None);
        }
        if dir.join("idVendor").exists() || dir.join("bInterfaceNumber").exists() {
            return device_name("usb", &base, None);
        }
        p = dir.parent();
    }
    "computer".to_string()
}

/// The `computer` device: DMI data where readable (the UUID needs privileges; without it the
/// machine id stands in).
fn computer(sys: &Path) -> NodeDeviceDef {
    let dmi = sys.join("class/dmi/id");
    let uuid = read(&dmi.join("product_uuid"))
        .and_then(|u| Uuid::parse(&u).ok())
        .or_else(|| read(Path::new("/etc/machine-id")).and_then(|m| Uuid::parse(m.trim()).ok()))
        .unwrap_or_else(|| Uuid::from_bytes([0; 16]));
    NodeDeviceDef {
        name: "computer".into(),
        caps: vec![NodeDevCap::System {
            product: read(&dmi.join("product_name")),
            hw_vendor: read(&dmi.join("sys_vendor")),
            hw_version: read(&dmi.join("product_version")),
            hw_serial: read(&dmi.join("product_serial")),
            uuid,
            fw_vendor: read(&dmi.join("bios_vendor")),
            fw_version: read(&dmi.join("bios_version")),
            fw_release_date: read(&dmi.join("bios_date")),
        }],
        ..NodeDeviceDef::default()
    }
}

fn pci_devices(sys: &Path, out: &mut Vec<NodeDeviceDef>) {
    for (sysname, path) in entries(&sys.join("bus/pci/devices")) {
        let Some(addr) = parse_pci_addr(&sysname) else {
            continue;
        };
        let real = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let iommu_group = link_name(&path.join("iommu_group"))
            .and_then(|g| g.parse::<u32>().ok())
            .map(|n| {
                let members = entries(&sys.join(format!("kernel/iommu_groups/{n}/devices")))
                    .iter()
                    .filter_map(|(m, _)| parse_pci_addr(m))
                    .collect();
                (n, members)
            });
        let pci = PciCap {
            class: read_num(&path.join("class"), 16),
            addr,
            product: read_num(&path.join("device"), 16).unwrap_or(0),
            vendor: read_num(&path.join("vendor"), 16).unwrap_or(0),
            iommu_group,
            numa_node: read(&path.join("numa_node"))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(-1),
            ..PciCap::default()
        };
        out.push(NodeDeviceDef {
            name: device_name("pci", &sysname, None),
            sysfs_path: Some(real.display().to_string()),
            parent: Some(parent_name(&real)),
            driver: link_name(&path.join("driver")),
            caps: vec![NodeDevCap::Pci(Box::new(pci))],
            ..NodeDeviceDef::default()
        });
    }
}

fn usb_devices(sys: &Path, out: &mut Vec<NodeDeviceDef>) {
    for (sysname, path) in entries(&sys.join("bus/usb/devices")) {
        let real = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let cap = if sysname.contains(':') {
            NodeDevCap::UsbInterface {
                number: read_num(&path.join("bInterfaceNumber"), 16).unwrap_or(0),
                class: read_num(&path.join("bInterfaceClass"), 16).unwrap_or(0),
                subclass: read_num(&path.join("bInterfaceSubClass"), 16).unwrap_or(0),
                protocol: read_num(&path.join("bInterfaceProtocol"), 16).unwrap_or(0),
                description: read(&path.join("interface")),
            }
        } else {
            NodeDevCap::UsbDev {
                bus: read_num(&path.join("busnum"), 10).unwrap_or(0),
                device: read_num(&path.join("devnum"), 10).unwrap_or(0),
                vendor: read_num(&path.join("idVendor"), 16).unwrap_or(0),
                product: read_num(&path.join("idProduct"), 16).unwrap_or(0),
                vendor_name: read(&path.join("manufacturer")),
                product_name: read(&path.join("product")),
            }
        };
        out.push(NodeDeviceDef {
            name: device_name("usb", &sysname, None),
            sysfs_path: Some(real.display().to_string()),
            parent: Some(parent_name(&real)),
            driver: link_name(&path.join("driver")),
            caps: vec![cap],
            ..NodeDeviceDef::default()
        });
    }
}

fn net_devices(sys: &Path, out: &mut Vec<NodeDeviceDef>) {
    const STATES: [&str; 7] = [
        "unknown",
        "notpresent",
        "down",
        "lowerlayerdown",
        "testing",
        "dormant",
        "up",
    ];
    for (ifname, path) in entries(&sys.join("class/net")) {
        let real = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let address = read(&path.join("address"));
        let wireless = path.join("wireless").exists() || path.join("phy80211").exists();
        let state = read(&path.join("operstate"));
        let link_state = STATES
            .iter()
            .copied()
            .find(|s| Some(*s) == state.as_deref());
        // `speed` is -1 or unreadable for links that are down.
        let link_speed = read(&path.join("speed"))
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|s| *s > 0)
            .map(|s| s as u32)
            .unwrap_or(0);
        let parent = fs::canonicalize(path.join("device"))
            .ok()
            .map(|d| {
                let base = d
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if parse_pci_addr(&base).is_some() {
                    device_name("pci", &base, None)
                } else {
                    parent_name(&d.join("x"))
                }
            })
            .unwrap_or_else(|| "computer".to_string());
        out.push(NodeDeviceDef {
            name: device_name("net", &ifname, address.as_deref()),
            sysfs_path: Some(real.display().to_string()),
            parent: Some(parent),
            caps: vec![NodeDevCap::Net {
                ifname,
                address,
                link_speed,
                link_state,
                features: Vec::new(),
                subtype: Some(if wireless { "80211" } else { "80203" }),
            }],
            ..NodeDeviceDef::default()
        });
    }
}

fn scsi_hosts(sys: &Path, out: &mut Vec<NodeDeviceDef>) {
    for (sysname, path) in entries(&sys.join("class/scsi_host")) {
        let Some(host) = sysname
            .strip_prefix("host")
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let real = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        out.push(NodeDeviceDef {
            name: format!("scsi_host{host}"),
            sysfs_path: Some(real.display().to_string()),
            parent: Some(parent_name(&real)),
            caps: vec![NodeDevCap::ScsiHost {
                host,
                unique_id: read(&path.join("unique_id"))
                    .and_then(|u| u.trim().parse().ok())
                    .unwrap_or(-1),
                fc_host: None,
                vport_ops: false,
                max_vports: 0,
                vports: 0,
            }],
            ..NodeDeviceDef::default()
        });
    }
}

/// Disks: the block devices backed by a device (loop, ram and zram devices have none).
fn disks(sys: &Path, out: &mut Vec<NodeDeviceDef>) {
    for (sysname, path) in entries(&sys.join("block")) {
        let dev = path.join("device");
        if !dev.exists() {
            continue;
        }
        let real = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let serial = read(&path.join("serial")).or_else(|| read(&dev.join("serial")));
        let removable = read(&path.join("removable")).as_deref() == Some("1");
        let sectors: u64 = read(&path.join("size"))
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let storage = StorageCap {
            block: format!("/dev/{sysname}"),
            model: read(&dev.join("model")).map(|m| m.trim().to_string()),
            vendor: read(&dev.join("vendor")).map(|m| m.trim().to_string()),
            serial: serial.clone(),
            drive_type: if sysname.starts_with("sr") {
                Some("cdrom".to_string())
            } else if removable {
                None
            } else {
                Some("disk".to_string())
            },
            size: sectors * 512,
            removable,
            media_size: if removable { sectors * 512 } else { 0 },
            media_available: removable && sectors > 0,
            ..StorageCap::default()
        };
        out.push(NodeDeviceDef {
            name: device_name("block", &sysname, serial.as_deref()),
            sysfs_path: Some(real.display().to_string()),
            devnode: Some(format!("/dev/{sysname}")),
            parent: Some(parent_name(&real)),
            caps: vec![NodeDevCap::Storage(Box::new(storage))],
            ..NodeDeviceDef::default()
        });
    }
}

/// Every node device this module reads below `sys` (`/sys` on a real host): `computer` first,
/// then PCI devices, USB devices and interfaces, network interfaces, SCSI hosts and disks.
pub fn read_devices(sys: &Path) -> Vec<NodeDeviceDef> {
    let mut out = vec![computer(sys)];
    pci_devices(sys, &mut out);
    usb_devices(sys, &mut out);
    net_devices(sys, &mut out);
    scsi_hosts(sys, &mut out);
    disks(sys, &mut out);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn names_follow_libvirt() {
        assert_eq!(device_name("pci", "0000:00:02.0", None), "pci_0000_00_02_0");
        assert_eq!(
            device_name("net", "eth0", Some("52:54:00:12:34:56")),
            "net_eth0_52_54_00_12_34_56"
        );
        assert_eq!(device_name("usb", "1-1:1.0", None), "usb_1_1_1_0");
    }

    /// A small sysfs: one PCI NIC with its interface, one virtio disk, a loop device.
    #[test]
    fn reads_a_fake_sysfs() {
        let t = tempfile::tempdir().unwrap();
        let sys = t.path();
        let w = |p: &str, s: &str| {
            let p = sys.join(p);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, s).unwrap();
        };
        let nic = "devices/pci0000:00/0000:00:03.0";
        w(&format!("{nic}/class"), "0x020000\n");
        w(&format!("{nic}/vendor"), "0x8086\n");
        w(&format!("{nic}/device"), "0x100e\n");
        w(&format!("{nic}/numa_node"), "-1\n");
        w(&format!("{nic}/net/eth0/address"), "52:54:00:12:34:56\n");
        w(&format!("{nic}/net/eth0/operstate"), "up\n");
        w(&format!("{nic}/net/eth0/speed"), "1000\n");
        fs::create_dir_all(sys.join("bus/pci/devices")).unwrap();
        symlink(sys.join(nic), sys.join("bus/pci/devices/0000:00:03.0")).unwrap();
        symlink(sys.join(nic), sys.join(format!("{nic}/net/eth0/device"))).unwrap();
        fs::create_dir_all(sys.join("class/net")).unwrap();
        symlink(
            sys.join(format!("{nic}/net/eth0")),
            sys.join("class/net/eth0"),
        )
        .unwrap();
        let disk = "devices/pci0000:00/0000:00:05.0/virtio2/block/vda";
        w(&format!("{disk}/size"), "2048\n");
        w(&format!("{disk}/removable"), "0\n");
        w(&format!("{disk}/serial"), "D1\n");
        w("devices/virtual/block/loop0/size", "0\n");
        fs::create_dir_all(sys.join("block")).unwrap();
        symlink(sys.join(disk), sys.join("block/vda")).unwrap();
        symlink(
            sys.join("devices/pci0000:00/0000:00:05.0/virtio2"),
            sys.join(format!("{disk}/device")),
        )
        .unwrap();
        symlink(
            sys.join("devices/virtual/block/loop0"),
            sys.join("block/loop0"),
        )
        .unwrap();

        let devs = read_devices(sys);
        let names: Vec<&str> = devs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "computer",
                "pci_0000_00_03_0",
                "net_eth0_52_54_00_12_34_56",
                "block_vda_D1"
            ]
        );
        let nic = devs[1].format();
        assert!(nic.contains("<class>0x020000</class>"), "{nic}");
        assert!(nic.contains("<vendor id='0x8086'/>"), "{nic}");
        assert!(nic.contains("<parent>computer</parent>"), "{nic}");
        let net = devs[2].format();
        assert!(net.contains("<parent>pci_0000_00_03_0</parent>"), "{net}");
        assert!(net.contains("<link speed='1000' state='up'/>"), "{net}");
        let disk = devs[3].format();
        assert!(disk.contains("<size>1048576</size>"), "{disk}");
        assert!(disk.contains("<parent>pci_0000_00_05_0</parent>"), "{disk}");
        // What it prints reads back the same.
        for d in &devs {
            let again =
                NodeDeviceDef::parse_xml(&d.format(), rvirt_conf::nodedev::ParseMode::Existing)
                    .unwrap();
            assert_eq!(again.format(), d.format());
        }
    }

    /// On this machine: one `pci_…` device per entry of /sys/bus/pci/devices (and per line of
    /// `lspci -D` where lspci is installed), one `net_…` per /sys/class/net entry.
    #[test]
    fn the_real_host_has_the_devices_sysfs_and_lspci_show() {
        let sys = Path::new("/sys");
        let devs = read_devices(sys);
        let names: Vec<&str> = devs.iter().map(|d| d.name.as_str()).collect();
        let mut pci: Vec<String> = entries(&sys.join("bus/pci/devices"))
            .into_iter()
            .map(|(n, _)| device_name("pci", &n, None))
            .collect();
        if let Ok(out) = std::process::Command::new("lspci").arg("-D").output() {
            if out.status.success() {
                let mut from_lspci: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| l.split_whitespace().next())
                    .map(|a| device_name("pci", a, None))
                    .collect();
                from_lspci.sort();
                pci.sort();
                assert_eq!(from_lspci, pci);
            }
        }
        let ours: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with("pci_"))
            .collect();
        assert_eq!(ours, pci);
        for (ifname, _) in entries(&sys.join("class/net")) {
            let prefix = device_name("net", &ifname, None);
            assert!(
                names.iter().any(|n| n.starts_with(&prefix)),
                "{ifname} missing from {names:?}"
            );
        }
        assert_eq!(names[0], "computer");
    }
}
