//! Node devices of the host, as libvirt's udev node device backend builds them
//! (`node_device_udev.c`) from the same sources: the device list of [`crate::udev`], each
//! device's type from its devtype or properties, its details from properties and sysfs
//! attributes, its name from `nodeDeviceGenerateName` (subsystem, sysname and maybe a suffix,
//! every character that is not a letter or digit made `_`), its parent the nearest device above
//! it in sysfs (`computer` when none).
//!
//! A device libvirt would discard (a property it needs is missing, a disk of no known type, a
//! partition) is left out here too. SCSI generic devices, mediated devices, channel I/O
//! (`ccw`, `css`), vDPA, AP devices, the mdev types and VPD of PCI devices are not read:
//! libvirt lists them on hosts that have them, and the machines rvirt is tested on have none
//! (no SCSI, DRM, mdev, vDPA, s390 or VPD-capable PCI devices, no kernel modules to add them),
//! so no reading of them could be compared with libvirtd's. [`HostDeviceList`] keeps the list
//! current from device events. Nothing here writes.

use crate::netdev;
use crate::udev::{HostPaths, UdevDevice, entries, link_base};
use crate::uevent::Uevent;
use rvirt_conf::nodedev::{
    FcHost, NodeDevCap, NodeDeviceDef, PciAddr, PciCap, PcieLink, StorageCap,
};
use rvirt_types::Uuid;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Subsystems libvirt does not enumerate (none of their devices is a node device).
const SKIPPED_SUBSYSTEMS: [&str; 4] = ["acpi", "tty", "vc", "i2c"];

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

/// What kind of node device a udev device is (`udevGetDeviceType`), `None` for the devices
/// libvirt ignores.
fn device_type(d: &UdevDevice) -> Option<&'static str> {
    if let Some(t) = &d.devtype {
        return match t.as_str() {
            "usb_device" => Some("usb_device"),
            "usb_interface" => Some("usb"),
            "scsi_host" => Some("scsi_host"),
            "scsi_target" => Some("scsi_target"),
            "scsi_device" => Some("scsi"),
            "disk" => Some("storage"),
            "wlan" => Some("net"),
            "drm_minor" => Some("drm"),
            _ => None,
        };
    }
    let mut t = None;
    if d.prop("PCI_CLASS").is_some() {
        t = Some("pci");
    }
    if d.prop("INTERFACE").is_some() {
        t = Some("net");
    }
    match d.prop("SUBSYSTEM") {
        // SCSI generic, mdev, ccw, css, vdpa, matrix and mtty devices are not read.
        Some("scsi_generic" | "mdev" | "ccw" | "css" | "vdpa" | "matrix" | "mtty") => None,
        _ => t,
    }
}

/// libvirt's `virStrToLong_ui` for sysfs values: optional `0x` in base 16, `-N` wrapping.
fn parse_uint(s: &str, base: u32) -> Option<u32> {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (t, base) = match base {
        16 => (
            t.strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t),
            16,
        ),
        0 if t.starts_with("0x") || t.starts_with("0X") => (&t[2..], 16),
        0 if t.len() > 1 && t.starts_with('0') => (&t[1..], 8),
        0 => (t, 10),
        b => (t, b),
    };
    let v = u64::from_str_radix(t, base).ok()?;
    let v = u32::try_from(v).ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

fn parse_int(s: &str, base: u32) -> Option<i32> {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let v = i64::from_str_radix(t, base).ok()?;
    let v = if neg { -v } else { v };
    i32::try_from(v).ok()
}

/// A sysfs attribute as `udevGetStringSysfsAttr` keeps it: control characters dropped, an
/// empty value absent.
fn attr_string(d: &UdevDevice, name: &str) -> Option<String> {
    let v: String = d.attr(name)?.chars().filter(|c| !c.is_control()).collect();
    (!v.is_empty()).then_some(v)
}

/// `udevGet*SysfsAttr`: `Ok(None)` when absent, `Err` when present but not a number (libvirt
/// then drops the device).
fn attr_uint(d: &UdevDevice, name: &str, base: u32) -> Result<Option<u32>, ()> {
    match d.attr(name) {
        None => Ok(None),
        Some(v) => parse_uint(&v, base).map(Some).ok_or(()),
    }
}

fn attr_u64(d: &UdevDevice, name: &str) -> Result<Option<u64>, ()> {
    match d.attr(name) {
        None => Ok(None),
        Some(v) => {
            let t = v.trim_start();
            let r = if let Some(h) = t.strip_prefix("0x") {
                u64::from_str_radix(h, 16)
            } else {
                t.parse()
            };
            r.map(Some).map_err(|_| ())
        }
    }
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

/// Vendor and device names from the PCI ID database (`pci.ids`, as libpciaccess reads it).
fn pci_names(vendor: u32, product: u32) -> (Option<String>, Option<String>) {
    static DB: OnceLock<Option<String>> = OnceLock::new();
    let db = DB.get_or_init(|| {
        ["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids"]
            .iter()
            .find_map(|p| fs::read_to_string(p).ok())
    });
    let Some(db) = db else {
        return (None, None);
    };
    let (v, p) = (format!("{vendor:04x}"), format!("{product:04x}"));
    let mut vendor_name = None;
    for line in db.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if vendor_name.is_none() {
            if let Some(rest) = line.strip_prefix(v.as_str()) {
                if rest.starts_with("  ") {
                    vendor_name = Some(rest.trim().to_string());
                }
            }
            continue;
        }
        if !line.starts_with('\t') {
            break;
        }
        if let Some(rest) = line
            .strip_prefix('\t')
            .and_then(|l| l.strip_prefix(p.as_str()))
        {
            if rest.starts_with("  ") {
                return (vendor_name, Some(rest.trim().to_string()));
            }
        }
    }
    (vendor_name, None)
}

/// The PCI configuration space facts libvirt reads as root: header type and PCI Express
/// capability with its link.
fn pci_config(sysfs: &Path, pci: &mut PciCap) -> Result<(), ()> {
    let path = sysfs.join("config");
    let Ok(cfg) = fs::read(&path) else {
        return Err(());
    };
    let b8 = |o: usize| cfg.get(o).copied();
    let b16 = |o: usize| Some(u16::from_le_bytes([b8(o)?, b8(o + 1)?]));
    let b32 = |o: usize| {
        Some(u32::from_le_bytes([
            b8(o)?,
            b8(o + 1)?,
            b8(o + 2)?,
            b8(o + 3)?,
        ]))
    };
    pci.header_type = match b8(0x0e).ok_or(())? & 0x7f {
        0 => None,
        1 => Some("pci-bridge"),
        2 => Some("cardbus-bridge"),
        _ => return Err(()),
    };
    // The capability list (virPCIDeviceFindCapabilityOffset): a failure to walk it makes
    // libvirt guess from the size of the config file.
    let find = |id: u8| -> Option<usize> {
        let status = b16(0x06)?;
        if status & 0x10 == 0 {
            return None;
        }
        let mut pos = b8(0x34)? as usize;
        while pos >= 0x40 && pos != 0xff {
            if b8(pos)? == id {
                return Some(pos);
            }
            pos = b8(pos + 1)? as usize;
        }
        Some(0)
    };
    let exp = match find(0x10) {
        Some(p) => p,
        None => {
            if cfg.len() != 256 {
                pci.pci_express = Some((None, None));
            }
            return Ok(());
        }
    };
    if exp == 0 {
        return Ok(());
    }
    let flags = b16(exp + 2).unwrap_or(0);
    let kind = (flags & 0xf0) >> 4;
    // Root complex integrated endpoints and event collectors have no link.
    if kind == 0x9 || kind == 0xa {
        pci.pci_express = Some((None, None));
        return Ok(());
    }
    let cap = b32(exp + 0x0c).unwrap_or(0);
    let sta = b16(exp + 0x12).unwrap_or(0) as u32;
    let speed = |s: u32| if (s as usize) < 7 { s as usize } else { 0 };
    pci.pci_express = Some((
        Some(PcieLink {
            port: (cap >> 24) as i32,
            speed: speed(cap & 0xf),
            width: (cap & 0x3f0) >> 4,
        }),
        Some(PcieLink {
            port: -1,
            speed: speed(sta & 0xf),
            width: (sta & 0x3f0) >> 4,
        }),
    ));
    Ok(())
}

fn process_pci(
    paths: &HostPaths,
    d: &UdevDevice,
    privileged: bool,
    def: &mut NodeDeviceDef,
) -> Result<(), ()> {
    let class = parse_int(d.prop("PCI_CLASS").ok_or(())?, 16).ok_or(())?;
    let addr = parse_pci_addr(&d.sysname).ok_or(())?;
    let vendor = attr_uint(d, "vendor", 16)?.unwrap_or(0);
    let product = attr_uint(d, "device", 16)?.unwrap_or(0);
    let (vendor_name, product_name) = pci_names(vendor, product);
    let numa_node = match d.attr("numa_node") {
        None => -1,
        Some(v) => parse_int(&v, 10).ok_or(())?,
    };
    let mut pci = PciCap {
        class: Some(class as u32),
        addr,
        product,
        vendor,
        product_name,
        vendor_name,
        numa_node,
        ..PciCap::default()
    };
    // SR-IOV.
    pci.phys_function = link_base(&d.syspath.join("physfn")).and_then(|n| parse_pci_addr(&n));
    let mut vfs: Vec<(u32, PciAddr)> = entries(&d.syspath)
        .into_iter()
        .filter_map(|(n, p)| {
            let i = n.strip_prefix("virtfn")?.parse().ok()?;
            Some((i, parse_pci_addr(&link_base(&p)?)?))
        })
        .collect();
    vfs.sort_by_key(|(i, _)| *i);
    let max = d
        .attr("sriov_totalvfs")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    if !vfs.is_empty() || max > 0 {
        pci.virt_functions = Some((max, vfs.into_iter().map(|(_, a)| a).collect()));
    }
    // IOMMU group.
    if let Some(n) = link_base(&d.syspath.join("iommu_group")).and_then(|g| g.parse::<u32>().ok()) {
        let members: Vec<PciAddr> =
            entries(&paths.sys.join(format!("kernel/iommu_groups/{n}/devices")))
                .iter()
                .filter_map(|(m, _)| parse_pci_addr(m))
                .collect();
        if !members.is_empty() {
            pci.iommu_group = Some((n, members));
        }
    }
    if privileged {
        pci_config(&d.syspath, &mut pci)?;
    }
    def.name = device_name("pci", &d.sysname, None);
    def.caps = vec![NodeDevCap::Pci(Box::new(pci))];
    Ok(())
}

fn prop_uint(d: &UdevDevice, key: &str, base: u32) -> Result<u32, ()> {
    parse_uint(d.prop(key).ok_or(())?, base).ok_or(())
}

fn process_usb_device(d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    let bus = prop_uint(d, "BUSNUM", 10)?;
    let device = prop_uint(d, "DEVNUM", 10)?;
    let vendor = prop_uint(d, "ID_VENDOR_ID", 16)?;
    let vendor_name = d
        .prop("ID_VENDOR_FROM_DATABASE")
        .map(str::to_string)
        .or_else(|| attr_string(d, "manufacturer"));
    let product = prop_uint(d, "ID_MODEL_ID", 16)?;
    let product_name = d
        .prop("ID_MODEL_FROM_DATABASE")
        .map(str::to_string)
        .or_else(|| attr_string(d, "product"));
    def.name = device_name(d.subsystem.as_deref().unwrap_or("usb"), &d.sysname, None);
    def.caps = vec![NodeDevCap::UsbDev {
        bus,
        device,
        vendor,
        product,
        vendor_name,
        product_name,
    }];
    Ok(())
}

fn process_usb_interface(d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    def.caps = vec![NodeDevCap::UsbInterface {
        number: attr_uint(d, "bInterfaceNumber", 16)?.unwrap_or(0),
        class: attr_uint(d, "bInterfaceClass", 16)?.unwrap_or(0),
        subclass: attr_uint(d, "bInterfaceSubClass", 16)?.unwrap_or(0),
        protocol: attr_uint(d, "bInterfaceProtocol", 16)?.unwrap_or(0),
        description: None,
    }];
    def.name = device_name(d.subsystem.as_deref().unwrap_or("usb"), &d.sysname, None);
    Ok(())
}

fn process_net(paths: &HostPaths, d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    let subtype = if d.devtype.as_deref() == Some("wlan") {
        "80211"
    } else {
        "80203"
    };
    let ifname = d.prop("INTERFACE").map(str::to_string).unwrap_or_default();
    let address = attr_string(d, "address");
    attr_uint(d, "addr_len", 0)?;
    def.name = device_name(
        d.subsystem.as_deref().unwrap_or("net"),
        &d.sysname,
        address.as_deref(),
    );
    let (state, speed) = netdev::link_info(paths, &ifname).ok_or(())?;
    let features = netdev::features(paths, &ifname);
    def.caps = vec![NodeDevCap::Net {
        ifname,
        address,
        link_speed: speed,
        link_state: Some(netdev::LINK_STATES[state]),
        features,
        subtype: Some(subtype),
    }];
    Ok(())
}

/// What an FC host offers: its WWNs, and its vport limits (max, in use) when it can make vHBAs.
type FcCaps = (Option<FcHost>, Option<(i32, i32)>);

/// A value of `/sys/class/fc_host/hostN/NAME` without its `0x` (`virVHBAGetConfig`).
fn fc_value(paths: &HostPaths, host: u32, name: &str) -> Option<String> {
    let v = fs::read_to_string(paths.sys.join(format!("class/fc_host/host{host}/{name}"))).ok()?;
    let v = v.trim_end_matches('\n');
    Some(v.strip_prefix("0x").unwrap_or(v).to_string())
}

fn process_scsi_host(paths: &HostPaths, d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    let host = d
        .sysname
        .strip_prefix("host")
        .and_then(|n| parse_uint(n, 0))
        .ok_or(())?;
    let unique_id = fs::read_to_string(
        paths
            .sys
            .join(format!("class/scsi_host/host{host}/unique_id")),
    )
    .ok()
    .and_then(|u| u.trim().parse::<i32>().ok())
    .filter(|u| *u >= 0)
    .unwrap_or(-1);
    let fc = paths.sys.join(format!("class/fc_host/host{host}"));
    let mut fc_host = None;
    let (mut vport_ops, mut max_vports, mut vports) = (false, 0, 0);
    // libvirt drops both FC capabilities when one value is unreadable.
    let fc_caps = || -> Option<FcCaps> {
        let mut f = None;
        if fc.exists() {
            f = Some(FcHost {
                wwpn: fc_value(paths, host, "port_name")?,
                wwnn: fc_value(paths, host, "node_name")?,
                fabric_wwn: fc_value(paths, host, "fabric_name"),
            });
        }
        let mut v = None;
        if fc.join("vport_create").exists() {
            v = Some((
                fc_value(paths, host, "max_npiv_vports")?.parse().ok()?,
                fc_value(paths, host, "npiv_vports_inuse")?.parse().ok()?,
            ));
        }
        Some((f, v))
    };
    if let Some((f, v)) = fc_caps() {
        fc_host = f;
        if let Some((m, n)) = v {
            (vport_ops, max_vports, vports) = (true, m, n);
        }
    }
    def.caps = vec![NodeDevCap::ScsiHost {
        host,
        unique_id,
        fc_host,
        vport_ops,
        max_vports,
        vports,
    }];
    def.name = device_name(
        d.subsystem.as_deref().unwrap_or("scsi_host"),
        &d.sysname,
        None,
    );
    Ok(())
}

fn process_scsi_target(paths: &HostPaths, d: &UdevDevice, def: &mut NodeDeviceDef) {
    // An FC target sits below its remote port `rport-H:B-N`, whose WWPN libvirt shows.
    let rport = d
        .syspath
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rport-"))
        .and_then(|rp| {
            let path = paths
                .sys
                .join(format!("class/fc_remote_ports/{rp}/port_name"));
            let v = fs::read_to_string(path).ok()?;
            let v = v.trim_end_matches('\n');
            Some((rp, v.strip_prefix("0x").unwrap_or(v).to_string()))
        });
    def.caps = vec![NodeDevCap::ScsiTarget {
        name: d.sysname.clone(),
        rport,
    }];
    def.name = device_name(d.subsystem.as_deref().unwrap_or("scsi"), &d.sysname, None);
}

fn process_scsi_device(d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    let mut it = d.sysname.split(':').map(|n| n.parse::<u32>().ok());
    let (Some(Some(host)), Some(Some(bus)), Some(Some(target)), Some(Some(lun))) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(());
    };
    let kind = match attr_uint(d, "type", 0)? {
        None => None,
        Some(t) => match t {
            0 => Some("disk"),
            1 => Some("tape"),
            3 => Some("processor"),
            4 => Some("worm"),
            5 => Some("cdrom"),
            6 => Some("scanner"),
            7 => Some("mod"),
            8 => Some("changer"),
            0xd => Some("enclosure"),
            0xc => Some("raid"),
            _ => None,
        },
    };
    def.caps = vec![NodeDevCap::Scsi {
        host,
        bus,
        target,
        lun,
        kind: kind.map(str::to_string),
    }];
    def.name = device_name(d.subsystem.as_deref().unwrap_or("scsi"), &d.sysname, None);
    Ok(())
}

fn process_storage(d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    let block = d.devnode.clone().ok_or(())?;
    let mut s = StorageCap {
        block,
        bus: d.prop("ID_BUS").map(str::to_string),
        serial: d.prop("ID_SERIAL").map(str::to_string),
        vendor: attr_string(d, "device/vendor").map(|v| v.trim().to_string()),
        model: attr_string(d, "device/model").map(|v| v.trim().to_string()),
        drive_type: d.prop("ID_TYPE").map(str::to_string),
        ..StorageCap::default()
    };
    if s.drive_type.is_none() || s.drive_type.as_deref() == Some("generic") {
        s.drive_type = if d.prop("ID_DRIVE_FLOPPY").is_some() {
            Some("floppy".into())
        } else if d.prop("ID_CDROM").is_some() {
            Some("cd".into())
        } else if d.prop("ID_DRIVE_FLASH_SD").is_some() {
            Some("sd".into())
        } else {
            // udevKludgeStorageType.
            let guess = [
                ("/dev/vd", "disk"),
                ("/dev/dasd", "dasd"),
                ("/dev/nvme", "disk"),
            ]
            .iter()
            .find(|(p, _)| s.block.starts_with(p))
            .ok_or(())?;
            Some(guess.1.into())
        };
    }
    let counts = |s: &mut StorageCap| -> Result<(), ()> {
        s.num_blocks = attr_u64(d, "size")?.unwrap_or(0);
        s.logical_block_size = attr_u64(d, "queue/logical_block_size")?.unwrap_or(0);
        Ok(())
    };
    let removable = |s: &mut StorageCap, has_media: bool| -> Result<(), ()> {
        let r = match d.attr("removable") {
            None => 0,
            Some(v) => parse_int(&v, 10).ok_or(())?,
        };
        s.removable = r == 1;
        if has_media {
            s.media_available = true;
            s.media_label = d.prop("ID_FS_LABEL").map(str::to_string);
            counts(s)?;
            s.media_size = s.num_blocks * s.logical_block_size;
        }
        Ok(())
    };
    match s.drive_type.as_deref().unwrap_or("") {
        "cd" | "cd/dvd" => {
            s.drive_type = Some("cdrom".into());
            let media = match d.prop("ID_CDROM_MEDIA") {
                None => 0,
                Some(v) => parse_int(v, 10).ok_or(())?,
            };
            removable(&mut s, media != 0)?;
        }
        "disk" | "sd" => {
            counts(&mut s)?;
            s.size = s.num_blocks * s.logical_block_size;
        }
        "floppy" => removable(&mut s, d.prop("ID_FS_LABEL").is_some())?,
        "dasd" => {
            s.serial = attr_string(d, "device/uid");
            counts(&mut s)?;
            s.size = s.num_blocks * s.logical_block_size;
        }
        _ => return Err(()),
    }
    def.name = device_name(
        d.subsystem.as_deref().unwrap_or("block"),
        &d.sysname,
        s.serial.as_deref(),
    );
    def.caps = vec![NodeDevCap::Storage(Box::new(s))];
    Ok(())
}

fn process_drm(d: &UdevDevice, def: &mut NodeDeviceDef) -> Result<(), ()> {
    let minor = parse_int(d.prop("MINOR").ok_or(())?, 10).ok_or(())?;
    let kind = (minor >> 6) as usize;
    if minor < 0 || kind > 2 {
        return Err(());
    }
    def.name = device_name(d.subsystem.as_deref().unwrap_or("drm"), &d.sysname, None);
    def.caps = vec![NodeDevCap::Drm(kind)];
    Ok(())
}

/// The node device of one udev device, without its parent; `None` for a device libvirt skips.
fn node_device(paths: &HostPaths, d: &UdevDevice, privileged: bool) -> Option<NodeDeviceDef> {
    let kind = device_type(d)?;
    let mut def = NodeDeviceDef {
        sysfs_path: Some(d.syspath.display().to_string()),
        driver: d.prop("DRIVER").map(str::to_string),
        devnode: d.devnode.clone(),
        devlinks: d.devlinks.clone(),
        ..NodeDeviceDef::default()
    };
    let ok = match kind {
        "pci" => process_pci(paths, d, privileged, &mut def),
        "usb_device" => process_usb_device(d, &mut def),
        "usb" => process_usb_interface(d, &mut def),
        "net" => process_net(paths, d, &mut def),
        "scsi_host" => process_scsi_host(paths, d, &mut def),
        "scsi_target" => {
            process_scsi_target(paths, d, &mut def);
            Ok(())
        }
        "scsi" => process_scsi_device(d, &mut def),
        "storage" => process_storage(d, &mut def),
        "drm" => process_drm(d, &mut def),
        _ => Err(()),
    };
    ok.ok().map(|()| def)
}

/// The host UUID libvirt reports when it has none configured: the SMBIOS one when valid,
/// otherwise one made up once per process.
fn host_uuid(paths: &HostPaths) -> Uuid {
    static RANDOM: OnceLock<Uuid> = OnceLock::new();
    for p in [
        "devices/virtual/dmi/id/product_uuid",
        "class/dmi/id/product_uuid",
    ] {
        if let Ok(s) = fs::read_to_string(paths.sys.join(p)) {
            if let Ok(u) = Uuid::parse(s.trim()) {
                let b = u.as_bytes();
                // virUUIDIsValid: not one byte repeated.
                if b.iter().any(|x| *x != b[0]) {
                    return u;
                }
            }
        }
    }
    *RANDOM.get_or_init(Uuid::generate)
}

/// The `computer` device: DMI data when the host has a DMI device (`udevGetDMIData`),
/// otherwise a UUID of zeros and nothing else, as libvirt shows it then.
fn computer(paths: &HostPaths) -> NodeDeviceDef {
    let cap = match UdevDevice::from_syspath(paths, &paths.sys.join("devices/virtual/dmi/id")) {
        Some(dmi) => NodeDevCap::System {
            product: attr_string(&dmi, "product_name"),
            hw_vendor: attr_string(&dmi, "sys_vendor"),
            hw_version: attr_string(&dmi, "product_version"),
            hw_serial: attr_string(&dmi, "product_serial"),
            uuid: host_uuid(paths),
            fw_vendor: attr_string(&dmi, "bios_vendor"),
            fw_version: attr_string(&dmi, "bios_version"),
            fw_release_date: attr_string(&dmi, "bios_date"),
        },
        None => NodeDevCap::System {
            product: None,
            hw_vendor: None,
            hw_version: None,
            hw_serial: None,
            uuid: Uuid::from_bytes([0; 16]),
            fw_vendor: None,
            fw_version: None,
            fw_release_date: None,
        },
    };
    NodeDeviceDef {
        name: "computer".into(),
        caps: vec![cap],
        ..NodeDeviceDef::default()
    }
}

/// Every node device libvirt's udev backend lists on the host at `paths`: `computer` first,
/// then the others in sysfs order, each with its parent. `privileged` is whether the caller
/// may read PCI configuration space (libvirt reads header types and PCI Express links only
/// then).
pub fn read_devices_at(paths: &HostPaths, privileged: bool) -> Vec<NodeDeviceDef> {
    HostDeviceList::read(paths, privileged).devs
}

/// What a device event did to the list of node devices, by device name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceChange {
    /// A device appeared (`VIR_NODE_DEVICE_EVENT_CREATED`).
    Created(String),
    /// A device went away (`VIR_NODE_DEVICE_EVENT_DELETED`).
    Deleted(String),
    /// A known device was added or changed again (`VIR_NODE_DEVICE_EVENT_ID_UPDATE`).
    Updated(String),
}

/// The host's node devices kept current from device events, as libvirt's udev backend keeps
/// its list: the name a device had is still known when it is removed and sysfs no longer
/// shows it.
#[derive(Clone, Debug)]
pub struct HostDeviceList {
    paths: HostPaths,
    privileged: bool,
    devs: Vec<NodeDeviceDef>,
    /// The name of the device at each sysfs path.
    by_path: HashMap<PathBuf, String>,
}

impl HostDeviceList {
    /// The devices of the host at `paths` now (see [`read_devices_at`]).
    pub fn read(paths: &HostPaths, privileged: bool) -> HostDeviceList {
        let mut list = HostDeviceList {
            paths: paths.clone(),
            privileged,
            devs: vec![computer(paths)],
            by_path: HashMap::new(),
        };
        for d in crate::udev::enumerate(paths, &SKIPPED_SUBSYSTEMS) {
            list.add(&d);
        }
        list
    }

    /// The devices, `computer` first.
    pub fn devices(&self) -> &[NodeDeviceDef] {
        &self.devs
    }

    /// Adds `d`, or replaces the device of its name (`udevAddOneDevice`); `None` when libvirt
    /// would discard it.
    fn add(&mut self, d: &UdevDevice) -> Option<DeviceChange> {
        if d.subsystem
            .as_deref()
            .is_some_and(|s| SKIPPED_SUBSYSTEMS.contains(&s))
        {
            return None;
        }
        let mut def = node_device(&self.paths, d, self.privileged)?;
        let parent = d
            .ancestors()
            .iter()
            .find_map(|a| self.by_path.get(a).cloned());
        def.parent = Some(parent.unwrap_or_else(|| "computer".to_string()));
        let name = def.name.clone();
        // A device of the same name replaces the earlier one (virNodeDeviceObjListAssignDef).
        let change = if let Some(i) = self.devs.iter().position(|o| o.name == name) {
            self.by_path.retain(|_, n| *n != name);
            self.devs[i] = def;
            DeviceChange::Updated(name.clone())
        } else {
            self.devs.push(def);
            DeviceChange::Created(name.clone())
        };
        self.by_path.insert(d.syspath.clone(), name);
        Some(change)
    }

    /// Removes the device at `syspath` (`udevRemoveOneDeviceSysPath`).
    fn remove(&mut self, syspath: &Path) -> Option<DeviceChange> {
        let name = self.by_path.remove(syspath)?;
        self.devs.retain(|d| d.name != name);
        Some(DeviceChange::Deleted(name))
    }

    /// Applies one device event as libvirt's udev backend does (`udevHandleOneDevice`): `add`
    /// and `change` (re)read the device, `remove` drops it, `move` does both; the other
    /// actions (`bind`, `online`…) change nothing.
    pub fn apply(&mut self, ev: &Uevent) -> Vec<DeviceChange> {
        let sys = self.paths.sys.clone();
        let syspath = |devpath: &str| sys.join(devpath.trim_start_matches('/'));
        let mut out = Vec::new();
        match ev.action.as_str() {
            "add" | "change" => {
                if let Some(d) = UdevDevice::from_syspath(&self.paths, &syspath(&ev.devpath)) {
                    out.extend(self.add(&d));
                }
            }
            "remove" => out.extend(self.remove(&syspath(&ev.devpath))),
            "move" => {
                if let Some(old) = ev.prop("DEVPATH_OLD") {
                    out.extend(self.remove(&syspath(old)));
                }
                if let Some(d) = UdevDevice::from_syspath(&self.paths, &syspath(&ev.devpath)) {
                    out.extend(self.add(&d));
                }
            }
            _ => {}
        }
        out
    }

    /// Reads the host afresh after events were lost: a device no longer there is deleted, a
    /// new one created.
    pub fn rescan(&mut self) -> Vec<DeviceChange> {
        let fresh = HostDeviceList::read(&self.paths, self.privileged);
        let mut out: Vec<DeviceChange> = self
            .devs
            .iter()
            .filter(|d| !fresh.devs.iter().any(|f| f.name == d.name))
            .map(|d| DeviceChange::Deleted(d.name.clone()))
            .collect();
        out.extend(
            fresh
                .devs
                .iter()
                .filter(|f| !self.devs.iter().any(|d| d.name == f.name))
                .map(|f| DeviceChange::Created(f.name.clone())),
        );
        *self = fresh;
        out
    }
}

/// [`read_devices_at`] on the real host, privileged when running as root.
pub fn read_devices() -> Vec<NodeDeviceDef> {
    // SAFETY: geteuid(2) has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    read_devices_at(&HostPaths::host(), root)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testsys::FakeSys;

    #[test]
    fn names_follow_libvirt() {
        assert_eq!(device_name("pci", "0000:00:02.0", None), "pci_0000_00_02_0");
        assert_eq!(
            device_name("net", "ens99", Some("52:54:00:12:34:56")),
            "net_ens99_52_54_00_12_34_56"
        );
        assert_eq!(device_name("usb", "1-1:1.0", None), "usb_1_1_1_0");
        assert_eq!(parse_uint("-1", 10), Some(u32::MAX));
        assert_eq!(parse_uint("0x1af4", 16), Some(0x1af4));
    }

    /// A small sysfs: a PCI NIC and its interface, a virtio disk with a udev record, its
    /// partition, a loop device, a USB device without udev's properties.
    #[test]
    fn reads_a_fake_sysfs() {
        let t = tempfile::tempdir().unwrap();
        let f = FakeSys::new(t.path());
        f.nic();
        let disk = "devices/pci0000:00/0000:00:05.0/virtio2/block/vda";
        f.device(
            "pci",
            "devices/pci0000:00/0000:00:05.0",
            "PCI_CLASS=10000\n",
        );
        f.w("devices/pci0000:00/0000:00:05.0/vendor", "0x1af4\n");
        f.w("devices/pci0000:00/0000:00:05.0/device", "0x1001\n");
        f.w("devices/pci0000:00/0000:00:05.0/virtio2/vendor", "0x1af4\n");
        f.device(
            "block",
            disk,
            "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n",
        );
        f.w(&format!("{disk}/size"), "2048\n");
        f.w(&format!("{disk}/queue/logical_block_size"), "512\n");
        f.link(
            "devices/pci0000:00/0000:00:05.0/virtio2",
            &format!("{disk}/device"),
        );
        f.udev("b254:0", "E:ID_SERIAL=D1\nS:disk/by-id/virtio-D1\n");
        f.device(
            "block",
            &format!("{disk}/vda1"),
            "MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\n",
        );
        f.device(
            "block",
            "devices/virtual/block/loop0",
            "MAJOR=7\nMINOR=0\nDEVNAME=loop0\nDEVTYPE=disk\n",
        );
        f.device(
            "usb",
            "devices/pci0000:00/0000:00:03.0/usb1/1-1",
            "DEVTYPE=usb_device\nBUSNUM=001\nDEVNUM=002\n",
        );

        let devs = read_devices_at(&f.paths, false);
        let names: Vec<&str> = devs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "computer",
                "pci_0000_00_03_0",
                "net_ens99_52_54_00_12_34_56",
                "pci_0000_00_05_0",
                "block_vda_D1"
            ]
        );
        let nic = devs[1].format();
        assert!(nic.contains("<class>0x020000</class>"), "{nic}");
        // Named when the host has a PCI ID database (hwdata), as libvirt names it.
        let vendor = match pci_names(0x8086, 0x100e).0 {
            Some(name) => format!("<vendor id='0x8086'>{name}</vendor>"),
            None => "<vendor id='0x8086'/>".to_string(),
        };
        assert!(nic.contains(&vendor), "{nic}");
        assert!(nic.contains("<name>e1000</name>"), "{nic}");
        assert!(nic.contains("<parent>computer</parent>"), "{nic}");
        let net = devs[2].format();
        assert!(net.contains("<parent>pci_0000_00_03_0</parent>"), "{net}");
        assert!(net.contains("<link speed='1000' state='up'/>"), "{net}");
        let disk = devs[4].format();
        assert!(disk.contains("<size>1048576</size>"), "{disk}");
        assert!(disk.contains("<num_blocks>2048</num_blocks>"), "{disk}");
        assert!(disk.contains("<serial>D1</serial>"), "{disk}");
        assert!(disk.contains("<vendor>0x1af4</vendor>"), "{disk}");
        assert!(disk.contains("<parent>pci_0000_00_05_0</parent>"), "{disk}");
        assert!(
            disk.contains("<devnode type='link'>/dev/disk/by-id/virtio-D1</devnode>"),
            "{disk}"
        );
        let computer = devs[0].format();
        assert!(
            computer.contains("<uuid>00000000-0000-0000-0000-000000000000</uuid>"),
            "{computer}"
        );
    }

    fn event(action: &str, devpath: &str, extra: &[(&str, &str)]) -> Uevent {
        let mut props: std::collections::BTreeMap<String, String> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        props.insert("ACTION".into(), action.into());
        props.insert("DEVPATH".into(), devpath.into());
        Uevent {
            action: action.into(),
            devpath: devpath.into(),
            props,
        }
    }

    /// Events on a fake sysfs: an interface added below a known NIC gets it as parent and is
    /// created, added again it is updated, renamed (`move`) it is deleted under its old name
    /// and created under the new, removed it is deleted; events about devices libvirt ignores
    /// or does not know change nothing.
    #[test]
    fn events_keep_the_list_current() {
        let t = tempfile::tempdir().unwrap();
        let f = FakeSys::new(t.path());
        f.nic();
        let nic = "devices/pci0000:00/0000:00:03.0";
        let mut list = HostDeviceList::read(&f.paths, false);
        assert_eq!(list.devices().len(), 3);

        let p = f.net(nic, "ens5", "52:54:00:00:00:05", "down");
        let devpath = format!("/{p}");
        let name = "net_ens5_52_54_00_00_00_05";
        assert_eq!(
            list.apply(&event("add", &devpath, &[])),
            [DeviceChange::Created(name.into())]
        );
        let dev = list.devices().iter().find(|d| d.name == name).unwrap();
        assert_eq!(dev.parent.as_deref(), Some("pci_0000_00_03_0"));
        assert_eq!(
            list.apply(&event("change", &devpath, &[])),
            [DeviceChange::Updated(name.into())]
        );
        assert!(list.apply(&event("bind", &devpath, &[])).is_empty());
        // A queue of the interface is no node device.
        f.device("queues", &format!("{p}/queues/rx-0"), "");
        assert!(
            list.apply(&event("add", &format!("{devpath}/queues/rx-0"), &[]))
                .is_empty()
        );

        // Renamed: the kernel moves the folder and tells the old path.
        let p2 = f.net(nic, "ens6", "52:54:00:00:00:05", "down");
        fs::remove_dir_all(f.paths.sys.join(&p)).unwrap();
        let renamed = "net_ens6_52_54_00_00_00_05";
        assert_eq!(
            list.apply(&event(
                "move",
                &format!("/{p2}"),
                &[("DEVPATH_OLD", &devpath)]
            )),
            [
                DeviceChange::Deleted(name.into()),
                DeviceChange::Created(renamed.into())
            ]
        );
        fs::remove_dir_all(f.paths.sys.join(&p2)).unwrap();
        assert_eq!(
            list.apply(&event("remove", &format!("/{p2}"), &[])),
            [DeviceChange::Deleted(renamed.into())]
        );
        assert!(
            list.apply(&event("remove", "/devices/nosuch", &[]))
                .is_empty()
        );
        assert_eq!(
            list.devices()
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>(),
            [
                "computer",
                "pci_0000_00_03_0",
                "net_ens99_52_54_00_12_34_56"
            ]
        );

        // Lost events: a fresh read tells what differs.
        f.net(nic, "ens7", "52:54:00:00:00:07", "up");
        assert_eq!(
            list.rescan(),
            [DeviceChange::Created("net_ens7_52_54_00_00_00_07".into())]
        );
    }

    /// On this machine: one `pci_…` device per entry of /sys/bus/pci/devices, one `net_…` per
    /// /sys/class/net entry, each disk libvirt can type.
    #[test]
    fn the_real_host_has_the_devices_sysfs_shows() {
        let _host = crate::testsys::REAL_HOST_NET
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let devs = read_devices();
        let names: Vec<&str> = devs.iter().map(|d| d.name.as_str()).collect();
        let pci: Vec<String> = entries(Path::new("/sys/bus/pci/devices"))
            .into_iter()
            .map(|(n, _)| device_name("pci", &n, None))
            .collect();
        let ours: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with("pci_"))
            .collect();
        assert_eq!(ours, pci);
        for (ifname, p) in entries(Path::new("/sys/class/net")) {
            // Bridges, VLANs, bonds… have a DEVTYPE libvirt does not list (wlan aside).
            let uevent = std::fs::read_to_string(p.join("uevent")).unwrap_or_default();
            if uevent
                .lines()
                .any(|l| l.starts_with("DEVTYPE=") && l != "DEVTYPE=wlan")
            {
                continue;
            }
            let prefix = device_name("net", &ifname, None);
            assert!(
                names.iter().any(|n| n.starts_with(&prefix)),
                "{ifname} missing from {names:?}"
            );
        }
        for (disk, _) in entries(Path::new("/sys/block")) {
            if disk.starts_with("vd") || disk.starts_with("nvme") {
                let prefix = device_name("block", &disk, None);
                assert!(names.iter().any(|n| n.starts_with(&prefix)), "{disk}");
            }
        }
        assert_eq!(names[0], "computer");
    }
}
