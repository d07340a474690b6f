//! Device hotplug on a real QEMU (a tiny TCG guest with no OS): what QEMU shows after each call
//! (`query-block`, `query-pci`), the live and the persistent XML, and libvirt's errors.
//!
//! A guest without an OS never acknowledges a PCI unplug, so a live detach ends as libvirt's
//! does then: success after the unplug timeout, the device still there until the guest lets go.

#![allow(clippy::unwrap_used)]

mod common;

use common::open;
use pollster::block_on;
use rvirt_driver::DomainDriver;
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::{DomainDeviceModifyFlags as F, *};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ACPI: without it QEMU's PCI bus takes no hot-plugged devices (libvirt runs such a guest with
// -no-acpi too).
const GUEST: &str = "<domain type='qemu'><name>hp</name><memory unit='MiB'>64</memory>\
    <os><type arch='x86_64'>hvm</type></os><features><acpi/></features><devices>\
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>\
    </devices></domain>";

fn disk(path: &std::path::Path, dev: &str) -> String {
    format!(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{}'/><target dev='{dev}' bus='virtio'/></disk>",
        path.display()
    )
}

fn blocks(d: &QemuDriver, dom: &rvirt_driver::DomainRef) -> Vec<Value> {
    let v = block_on(d.monitor_command(dom, "query-block", None)).unwrap();
    v.as_array().unwrap().clone()
}

/// The qdev ids QEMU has on PCI bus 0.
fn pci_ids(d: &QemuDriver, dom: &rvirt_driver::DomainRef) -> Vec<String> {
    let v = block_on(d.monitor_command(dom, "query-pci", None)).unwrap();
    v[0]["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["qdev_id"].as_str().map(str::to_string))
        .filter(|s| !s.is_empty())
        .collect()
}

fn medium_of(blocks: &[Value], id: &str) -> Option<String> {
    blocks
        .iter()
        .find(|b| {
            b["qdev"]
                .as_str()
                .is_some_and(|q| q == id || q.contains(&format!("/{id}/")))
        })
        .and_then(|b| b["inserted"]["file"].as_str().map(str::to_string))
}

/// Records the reasons of every tray event of `d`.
fn record_trays(d: &QemuDriver) -> Arc<Mutex<Vec<i32>>> {
    let seen: Arc<Mutex<Vec<i32>>> = Default::default();
    let s = seen.clone();
    block_on(d.connect_domain_event_register_any(
        None,
        DomainEventID::TRAY_CHANGE,
        Arc::new(move |e| {
            if let rvirt_driver::DomainEvent::TrayChange { reason, .. } = e {
                s.lock().unwrap().push(*reason);
            }
        }),
    ))
    .unwrap();
    seen
}

fn code(r: rvirt_types::Result<()>) -> (ErrorNumber, String) {
    let e = r.unwrap_err();
    (e.code, e.message)
}

#[test]
fn disks_interfaces_and_media_live_and_in_the_config() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    // A failed assertion must not leave the guest running (Root and Cleanup stop it).
    let root = common::Root::new();
    let img = root.path().join("b.img");
    let iso = root.path().join("c.iso");
    std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    std::fs::write(&iso, vec![0u8; 1 << 20]).unwrap();
    rvirt_driver_qemu::hotplug::set_unplug_timeout(Duration::from_millis(1500));
    let d = open(root.path());
    let _cleanup = common::Cleanup(d.clone(), "hp");
    let dom = block_on(d.domain_define_xml(GUEST, DomainDefineFlags::empty())).unwrap();

    // Inactive: the current state is the config; live changes are refused.
    let (c, m) = code(block_on(d.domain_attach_device(&dom, &disk(&img, "vdb"))));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorNumber::OPERATION_INVALID,
            "Requested operation is not valid: domain is not running"
        )
    );
    block_on(d.domain_attach_device_flags(&dom, &disk(&img, "vdc"), F::empty())).unwrap();
    let conf = std::fs::read_to_string(root.path().join("etc/qemu/hp.xml")).unwrap();
    assert!(conf.contains("<target dev='vdc' bus='virtio'/>"), "{conf}");
    let (c, m) = code(block_on(d.domain_attach_device_flags(
        &dom,
        &disk(&img, "vdc"),
        F::CONFIG,
    )));
    assert_eq!(c, ErrorNumber::OPERATION_INVALID);
    assert!(m.ends_with("target vdc already exists"), "{m}");
    block_on(d.domain_detach_device_flags(&dom, &disk(&img, "vdc"), F::CONFIG)).unwrap();
    let conf = std::fs::read_to_string(root.path().join("etc/qemu/hp.xml")).unwrap();
    assert!(!conf.contains("vdc"), "{conf}");
    let (c, m) = code(block_on(d.domain_detach_device_flags(
        &dom,
        &disk(&img, "vdz"),
        F::CONFIG,
    )));
    assert_eq!(c, ErrorNumber::DEVICE_MISSING);
    assert!(m.ends_with("no target device vdz"), "{m}");
    let (c, m) = code(block_on(d.domain_attach_device_flags(
        &dom,
        &disk(&img, "vdb"),
        F::FORCE,
    )));
    assert_eq!(c, ErrorNumber::INVALID_ARG);
    assert!(
        m.contains("unsupported flags (0x4) in function qemuDomainAttachDeviceFlags"),
        "{m}"
    );

    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("hp")).unwrap();

    // A disk, live only: QEMU has the device and the medium, the live XML shows it.
    block_on(d.domain_attach_device(&dom, &disk(&img, "vdb"))).unwrap();
    assert_eq!(
        medium_of(&blocks(&d, &dom), "virtio-disk1").as_deref(),
        Some(img.to_str().unwrap())
    );
    assert!(pci_ids(&d, &dom).contains(&"virtio-disk1".to_string()));
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<target dev='vdb' bus='virtio'/>"), "{live}");
    // libvirt's storage index: the medium-less hdc had 1 since the start.
    let numbered = format!(
        "<source file='{}' index='2'/>\n      <backingStore/>\n      <target dev='vdb'",
        img.display()
    );
    assert!(live.contains(&numbered), "{live}");
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(!inactive.contains("vdb"), "{inactive}");
    let (c, m) = code(block_on(d.domain_attach_device(&dom, &disk(&img, "vdb"))));
    assert_eq!(c, ErrorNumber::XML_ERROR);
    assert!(
        m.contains("target 'vdb' duplicated for disk sources"),
        "{m}"
    );
    let (c, m) = code(block_on(
        d.domain_attach_device(&dom, "<sound model='ich6'/>"),
    ));
    assert_eq!(c, ErrorNumber::OPERATION_UNSUPPORTED);
    assert!(
        m.ends_with("live attach of device 'sound' is not supported"),
        "{m}"
    );

    // An interface, live and in the config.
    let nic = "<interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/></interface>";
    block_on(d.domain_attach_device_flags(&dom, nic, F::LIVE | F::CONFIG)).unwrap();
    assert!(pci_ids(&d, &dom).contains(&"net0".to_string()));
    let mac = block_on(d.monitor_command(
        &dom,
        "qom-get",
        Some(serde_json::json!({"path": "/machine/peripheral/net0", "property": "mac"})),
    ))
    .unwrap();
    assert_eq!(mac, "52:54:00:12:34:56");
    for flags in [DomainXMLFlags::empty(), DomainXMLFlags::INACTIVE] {
        let x = block_on(d.domain_get_xml_desc(&dom, flags)).unwrap();
        assert!(x.contains("<mac address='52:54:00:12:34:56'/>"), "{x}");
    }

    // CD-ROM media: inserted and ejected without the guest. Each change opens the tray and
    // shuts it again, with an event each way, as libvirt's does; the tray is shut after it.
    // The guest is paused first: its firmware probes the drive while it boots, and may move
    // the tray itself (seen when the machine is loaded). Events it caused before the pause
    // are let through and forgotten.
    block_on(d.domain_suspend(&dom)).unwrap();
    let trays = record_trays(&d);
    std::thread::sleep(Duration::from_millis(300));
    trays.lock().unwrap().clear();
    let cd = format!(
        "<disk type='file' device='cdrom'><source file='{}'/><target dev='hdc' bus='ide'/><readonly/></disk>",
        iso.display()
    );
    block_on(d.domain_update_device_flags(&dom, &cd, F::LIVE)).unwrap();
    assert_eq!(
        medium_of(&blocks(&d, &dom), "ide0-1-0").as_deref(),
        Some(iso.to_str().unwrap())
    );
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        live.contains(&format!("<source file='{}'/>", iso.display())),
        "{live}"
    );
    let eject = "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>";
    block_on(d.domain_update_device_flags(&dom, eject, F::LIVE)).unwrap();
    assert_eq!(medium_of(&blocks(&d, &dom), "ide0-1-0"), None);
    let (open, shut) = (
        DomainEventTrayChangeReason::OPEN.0,
        DomainEventTrayChangeReason::CLOSE.0,
    );
    wait_until(Duration::from_secs(5), "four tray events", || {
        trays.lock().unwrap().len() >= 4
    });
    assert_eq!(*trays.lock().unwrap(), [open, shut, open, shut]);
    let target = |d: &QemuDriver| {
        let x = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
        x.lines()
            .find(|l| l.contains("<target dev='hdc'"))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(target(&d), "<target dev='hdc' bus='ide'/>");
    // A tray opened behind the driver's back (as a guest would) shows in the live XML until
    // it is shut again.
    for (cmd, shown) in [
        (
            "blockdev-open-tray",
            "<target dev='hdc' bus='ide' tray='open'/>",
        ),
        ("blockdev-close-tray", "<target dev='hdc' bus='ide'/>"),
    ] {
        let args = serde_json::json!({"id": "ide0-1-0"});
        block_on(d.monitor_command(&dom, cmd, Some(args))).unwrap();
        wait_until(Duration::from_secs(5), cmd, || target(&d) == shown);
    }
    // The live XML changes a moment before the event goes out.
    wait_until(Duration::from_secs(5), "six tray events", || {
        trays.lock().unwrap().len() >= 6
    });
    assert_eq!(*trays.lock().unwrap(), [open, shut, open, shut, open, shut]);
    let (c, _) = code(block_on(d.domain_update_device_flags(
        &dom,
        &disk(&iso, "vdb"),
        F::LIVE,
    )));
    assert_eq!(c, ErrorNumber::CONFIG_UNSUPPORTED);

    // Live detach: the guest (paused, and without an OS) never releases the device; the call
    // returns after the unplug timeout and the device stays, in QEMU and in the live XML.
    let t = Instant::now();
    block_on(d.domain_detach_device(&dom, &disk(&img, "vdb"))).unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t.elapsed()
    );
    assert!(pci_ids(&d, &dom).contains(&"virtio-disk1".to_string()));
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<target dev='vdb' bus='virtio'/>"), "{live}");
    // libvirt's storage index: the medium-less hdc had 1 since the start.
    let numbered = format!(
        "<source file='{}' index='2'/>\n      <backingStore/>\n      <target dev='vdb'",
        img.display()
    );
    assert!(live.contains(&numbered), "{live}");
    let (c, m) = code(block_on(d.domain_detach_device(&dom, &disk(&img, "vdq"))));
    assert_eq!(c, ErrorNumber::DEVICE_MISSING);
    assert!(m.ends_with("disk vdq not found"), "{m}");
    let (c, _) = code(block_on(d.domain_detach_device(
        &dom,
        "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>",
    )));
    assert_eq!(c, ErrorNumber::OPERATION_UNSUPPORTED);

    // The interface leaves the config at once (the live one waits for the guest).
    block_on(d.domain_detach_device_flags(&dom, nic, F::CONFIG)).unwrap();
    let x = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(!x.contains("52:54:00:12:34:56"), "{x}");
    let (c, m) = code(block_on(d.domain_detach_device_flags(&dom, nic, F::CONFIG)));
    assert_eq!(c, ErrorNumber::DEVICE_MISSING);
    assert!(
        m.contains("matching MAC address '52:54:00:12:34:56'"),
        "{m}"
    );

    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

/// The aliases of a domain XML in document order, as `element:alias` (the device element is
/// the last one opened at device depth before the `<alias>`).
fn aliases(xml: &str) -> Vec<String> {
    let mut device = "";
    let mut out = Vec::new();
    for line in xml.lines() {
        if line.starts_with("    <") && !line.starts_with("    </") {
            device = line.trim_start()[1..]
                .split([' ', '>', '/'])
                .next()
                .unwrap_or("");
        }
        if let Some(rest) = line.trim().strip_prefix("<alias name='") {
            out.push(format!("{device}:{}", rest.split('\'').next().unwrap()));
        }
    }
    out
}

/// The ids of the devices under QEMU's `/machine/peripheral`.
fn peripheral_ids(d: &QemuDriver, dom: &rvirt_driver::DomainRef) -> Vec<String> {
    let args = serde_json::json!({"path": "/machine/peripheral"});
    let v = block_on(d.monitor_command(dom, "qom-list", Some(args))).unwrap();
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("child<"))
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

const ALIASED: &str = "<domain type='qemu'><name>al</name><memory unit='MiB'>64</memory>\
    <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features><devices>\
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='IMG_A'/>\
      <target dev='vda' bus='virtio'/></disk>\
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='IMG_B'/>\
      <target dev='hdb' bus='ide'/><alias name='ua-mydisk'/></disk>\
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>\
    <controller type='usb' model='piix3-uhci'/>\
    <interface type='user'><mac address='52:54:00:11:22:33'/><model type='virtio'/></interface>\
    <interface type='user'><mac address='52:54:00:11:22:34'/><model type='e1000'/>\
      <alias name='ua-nic'/></interface>\
    <serial type='pty'/><console type='pty'/><console type='pty'><target type='virtio'/></console>\
    <video><model type='cirrus'/></video><memballoon model='virtio'/>\
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\
    </devices></domain>";

/// Real libvirt's QEMU driver (in-process in Debian's virsh, `qemu:///embed`) running `xml`:
/// its live XML, or `None` where it is not installed.
fn libvirt_live_xml(root: &std::path::Path, xml: &std::path::Path) -> Option<String> {
    let commands = format!("create {}; dumpxml al; destroy al", xml.display());
    let out = common::libvirt_embed(root, &commands)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("<domain"),
        "libvirt: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(text)
}

#[test]
fn device_aliases_name_qemu_devices_survive_a_restart_and_follow_hotplug() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    let root = common::Root::new();
    let (a, b, c) = (
        root.path().join("a.img"),
        root.path().join("b.img"),
        root.path().join("c.img"),
    );
    for f in [&a, &b, &c] {
        std::fs::write(f, vec![0u8; 1 << 20]).unwrap();
    }
    let xml = ALIASED
        .replace("IMG_A", a.to_str().unwrap())
        .replace("IMG_B", b.to_str().unwrap());
    let d = open(root.path());
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    let _cleanup = common::Cleanup(d.clone(), "al");
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    let expected = [
        "disk:virtio-disk0",
        "disk:ua-mydisk",
        "disk:ide0-1-0",
        "controller:usb",
        "controller:pci.0",
        "controller:ide",
        "controller:virtio-serial0",
        "interface:net0",
        "interface:ua-nic",
        "serial:serial0",
        "console:serial0",
        "console:console1",
        "input:input0",
        "input:input1",
        "video:video0",
        "memballoon:balloon0",
        "rng:rng0",
    ];
    assert_eq!(aliases(&live), expected, "{live}");
    // libvirt's position: after the target and the other settings, before the address.
    assert!(
        live.contains(
            "<target dev='hdb' bus='ide'/>\n      <alias name='ua-mydisk'/>\n      \
                       <address type='drive'"
        ),
        "{live}"
    );
    // The same guest under libvirt's own QEMU driver names its devices alike.
    // (Images of its own: QEMU locks those in use.)
    let (la, lb) = (root.path().join("la.img"), root.path().join("lb.img"));
    std::fs::copy(&a, &la).unwrap();
    std::fs::copy(&b, &lb).unwrap();
    let file = root.path().join("al.xml");
    let theirs = ALIASED
        .replace("IMG_A", la.to_str().unwrap())
        .replace("IMG_B", lb.to_str().unwrap());
    std::fs::write(&file, theirs).unwrap();
    if let Some(theirs) = libvirt_live_xml(&root.path().join("libvirt"), &file) {
        assert_eq!(aliases(&live), aliases(&theirs));
    }
    // The definition keeps only the user aliases.
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert_eq!(aliases(&inactive), ["disk:ua-mydisk", "interface:ua-nic"]);
    // The aliases are QEMU's device ids.
    let ids = peripheral_ids(&d, &dom);
    for want in [
        "virtio-disk0",
        "ua-mydisk",
        "ide0-1-0",
        "usb",
        "virtio-serial0",
        "net0",
        "ua-nic",
        "serial0",
        "console1",
        "video0",
        "balloon0",
        "rng0",
    ] {
        assert!(ids.iter().any(|i| i == want), "{want} not in {ids:?}");
    }
    let qdevs: Vec<String> = blocks(&d, &dom)
        .iter()
        .map(|b| b["qdev"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        qdevs,
        [
            "/machine/peripheral/virtio-disk0/virtio-backend",
            "ua-mydisk",
            "ide0-1-0"
        ]
    );
    assert!(pci_ids(&d, &dom).contains(&"net0".to_string()));

    // Hotplugged devices get the next free alias (user aliases do not count).
    let nic = "<interface type='user'><mac address='52:54:00:11:22:35'/></interface>";
    block_on(d.domain_attach_device(&dom, nic)).unwrap();
    let usb = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{}'/><target dev='sdb' bus='usb'/></disk>",
        c.display()
    );
    block_on(d.domain_attach_device(&dom, &usb)).unwrap();
    let ids = peripheral_ids(&d, &dom);
    assert!(ids.contains(&"net1".to_string()), "{ids:?}");
    assert!(ids.contains(&"usb-disk1".to_string()), "{ids:?}");
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    let now = aliases(&live);
    assert!(now.contains(&"interface:net1".to_string()), "{live}");
    assert!(now.contains(&"disk:usb-disk1".to_string()), "{live}");

    // The status file keeps them: a restarted driver shows the same live XML.
    drop(d);
    let d = open(root.path());
    let dom = block_on(d.domain_lookup_by_name("al")).unwrap();
    let again = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(again, live);

    // Detach by alias: the USB disk leaves at once (QEMU unplugs it without the guest).
    block_on(d.domain_detach_device_alias(&dom, "usb-disk1", F::LIVE)).unwrap();
    wait_until(Duration::from_secs(10), "the USB disk's removal", || {
        let x = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
        !x.contains("usb-disk1") && !peripheral_ids(&d, &dom).contains(&"usb-disk1".into())
    });
    let e = block_on(d.domain_detach_device_alias(&dom, "nosuch", F::LIVE)).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::INTERNAL_ERROR,
            "internal error: no device found with alias nosuch"
        )
    );
    let e = block_on(d.domain_detach_device_alias(&dom, "video0", F::LIVE)).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::OPERATION_UNSUPPORTED,
            "Operation not supported: live detach of device 'video' is not supported"
        )
    );
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    // Stopped, the domain shows its definition again: user aliases only.
    let off = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(aliases(&off), ["disk:ua-mydisk", "interface:ua-nic"]);
}

fn wait_until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Devices attached to the persistent definition of a stopped guest get their PCI addresses
/// (and the root ports that hold them on Q35) as libvirt gives them: the inactive XML after
/// the same `attach-device --config` calls is libvirt's, byte for byte.
#[test]
fn config_attach_assigns_addresses_as_libvirt() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    let root = common::Root::new();
    let img = root.path().join("a.img");
    std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    let devices = [
        disk(&img, "vdb"),
        "<interface type='user'><mac address='52:54:00:11:22:33'/><model type='virtio'/></interface>"
            .to_string(),
        "<interface type='user'><mac address='52:54:00:11:22:34'/><model type='e1000'/></interface>"
            .to_string(),
    ];
    for (machine, name) in [("q35", "cq"), ("pc", "cp")] {
        let xml = format!(
            "<domain type='qemu'><name>{name}</name>\
             <uuid>00000000-0000-4000-8000-0000000000{}</uuid><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64' machine='{machine}'>hvm</type></os><devices>\
             <interface type='user'><mac address='52:54:00:11:22:30'/></interface>\
             </devices></domain>",
            if machine == "q35" { "a1" } else { "a2" }
        );
        let lv = root.path().join(format!("lv-{name}"));
        std::fs::create_dir_all(&lv).unwrap();
        let file = lv.join("dom.xml");
        std::fs::write(&file, &xml).unwrap();
        let mut commands = format!("define {}", file.display());
        for (i, dev) in devices.iter().enumerate() {
            let f = lv.join(format!("dev{i}.xml"));
            std::fs::write(&f, dev).unwrap();
            commands.push_str(&format!("; attach-device {name} {} --config", f.display()));
        }
        commands.push_str(&format!("; dumpxml --inactive {name}"));
        let Some(out) = common::libvirt_embed(&lv, &commands) else {
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let want = &text[text.find("<domain").unwrap_or_else(|| {
            panic!("libvirt: {text}{}", String::from_utf8_lossy(&out.stderr))
        })..];

        let d = open(&root.path().join(format!("rv-{name}")));
        let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
        for dev in &devices {
            block_on(d.domain_attach_device_flags(&dom, dev, F::CONFIG)).unwrap();
        }
        let got = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
        assert_eq!(want.trim_end(), got.trim_end(), "{machine}");
    }
}

/// A `<disk type='volume'>` attached live is found through its pool (libvirt's errors for a
/// missing pool or volume, also for a config-only attach), QEMU opens the volume's file, the
/// live XML keeps the pool and volume, and a later device change keeps the disk's path.
#[test]
fn volume_disks_attach_live_through_their_pool() {
    use rvirt_driver::StorageDriver;
    use rvirt_types::storage::*;
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    let root = common::Root::new();
    let pool_dir = root.path().join("pool");
    std::fs::create_dir(&pool_dir).unwrap();
    let d = open(root.path());
    let pool_xml = format!(
        "<pool type='dir'><name>p</name><target><path>{}</path></target></pool>",
        pool_dir.display()
    );
    let pool =
        block_on(d.storage_pool_create_xml(&pool_xml, StoragePoolCreateFlags::empty())).unwrap();
    for name in ["v.img", "w.img"] {
        let vol = format!(
            "<volume><name>{name}</name><capacity>1048576</capacity>\
             <target><format type='raw'/></target></volume>"
        );
        block_on(d.storage_vol_create_xml(&pool, &vol, Default::default())).unwrap();
    }
    let vol_disk = |pool: &str, vol: &str, dev: &str| {
        format!(
            "<disk type='volume' device='disk'><driver name='qemu' type='raw'/>\
             <source pool='{pool}' volume='{vol}'/><target dev='{dev}' bus='virtio'/></disk>"
        )
    };
    let dom = block_on(d.domain_define_xml(GUEST, DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();

    let (c, m) = code(block_on(
        d.domain_attach_device(&dom, &vol_disk("nope", "v.img", "vdb")),
    ));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorNumber::NO_STORAGE_POOL,
            "Storage pool not found: no storage pool with matching name 'nope'"
        )
    );
    let (c, m) = code(block_on(
        d.domain_attach_device(&dom, &vol_disk("p", "none.img", "vdb")),
    ));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorNumber::NO_STORAGE_VOL,
            "Storage volume not found: no storage vol with matching name 'none.img'"
        )
    );
    let (c, _) = code(block_on(d.domain_attach_device_flags(
        &dom,
        &vol_disk("nope", "v.img", "vdb"),
        F::CONFIG,
    )));
    assert_eq!(c, ErrorNumber::NO_STORAGE_POOL);
    assert!(medium_of(&blocks(&d, &dom), "virtio-disk1").is_none());

    block_on(d.domain_attach_device(&dom, &vol_disk("p", "v.img", "vdb"))).unwrap();
    let path = pool_dir.join("v.img").display().to_string();
    assert_eq!(
        medium_of(&blocks(&d, &dom), "virtio-disk1").as_deref(),
        Some(path.as_str())
    );
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        live.contains("<disk type='volume' device='disk'>")
            && live.contains("<source pool='p' volume='v.img' index=")
            && !live.contains(&path),
        "{live}"
    );
    // The next attach re-reads the live definition: the first disk keeps its path.
    block_on(d.domain_attach_device(&dom, &vol_disk("p", "w.img", "vdc"))).unwrap();
    block_on(d.domain_block_stats(&dom, &path)).unwrap();
    let w = pool_dir.join("w.img").display().to_string();
    block_on(d.domain_block_stats(&dom, &w)).unwrap();
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

/// Runs `commands` in virsh on libvirt's own QEMU driver (rooted at `lv`): the `count`
/// domain documents it printed and its error messages (without virsh's "Failed to …"
/// lines); `None` where libvirt's QEMU driver is not installed.
fn libvirt_documents(
    lv: &std::path::Path,
    commands: &str,
    count: usize,
) -> Option<(Vec<String>, Vec<String>)> {
    let out = common::libvirt_embed(lv, commands)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let docs: Vec<String> = stdout
        .split_inclusive("</domain>\n")
        .filter(|x| x.contains("<domain"))
        .map(|x| x.trim().to_string())
        .collect();
    assert_eq!(docs.len(), count, "libvirt: {stdout}{stderr}");
    let errors = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .filter(|l| !l.starts_with("Failed to"))
        .map(str::to_string)
        .collect();
    Some((docs, errors))
}

/// An attach or detach (`what`) of device `xml` with `flags`.
fn call(
    d: &QemuDriver,
    dom: &rvirt_driver::DomainRef,
    what: &str,
    xml: &str,
    flags: F,
) -> rvirt_types::Result<()> {
    match what {
        "attach" => block_on(d.domain_attach_device_flags(dom, xml, flags)),
        _ => block_on(d.domain_detach_device_flags(dom, xml, flags)),
    }
}

/// A NUMA guest with room for DIMMs, one of them plugged at start.
const DIMM_GUEST: &str = "<domain type='qemu'><name>mh</name>\
    <uuid>00000000-0000-4000-8000-0000000009a0</uuid>\
    <maxMemory slots='4' unit='MiB'>1024</maxMemory><vcpu>2</vcpu>\
    <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
    <cpu><numa><cell id='0' cpus='0' memory='32' unit='MiB'/>\
    <cell id='1' cpus='1' memory='32' unit='MiB'/></numa></cpu>\
    <devices><memory model='dimm'><target><size unit='MiB'>32</size><node>0</node></target>\
    </memory></devices></domain>";

fn dimm(mib: u32, node: u32) -> String {
    format!(
        "<memory model='dimm'><target><size unit='MiB'>{mib}</size><node>{node}</node>\
         </target></memory>"
    )
}

/// DIMMs plugged into a running guest and into a persistent definition, beside libvirt's
/// QEMU driver doing the same calls: the live XML after a live attach (the domain's memory
/// grown by it, the new DIMM's slot, alias and QEMU's base address), a live detach (which a
/// guest without an OS never completes, so the DIMM stays, as under libvirt), libvirt's
/// errors, and the inactive XML after config attach and detach. QEMU must have the DIMM too.
#[test]
fn dimms_plug_live_and_into_the_config_as_libvirt() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    rvirt_driver_qemu::hotplug::set_unplug_timeout(Duration::from_millis(1500));
    let root = common::Root::new();
    let lv = root.path().join("libvirt");
    std::fs::create_dir_all(&lv).unwrap();
    let file = |name: &str, text: &str| {
        let p = lv.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let (g, d1, d0) = (
        file("g.xml", DIMM_GUEST),
        file("d1.xml", &dimm(64, 1)),
        file("d0.xml", &dimm(32, 0)),
    );
    let (bad, big) = (
        file("bad.xml", &dimm(32, 5)),
        file("big.xml", &dimm(2048, 0)),
    );
    let commands = format!(
        "create {g}; attach-device mh {d1} --live; dumpxml mh; \
         detach-device mh {d1} --live; dumpxml mh; attach-device mh {bad} --live; \
         attach-device mh {big} --live; detach-device mh {big} --live; destroy mh; \
         define {g}; attach-device mh {d1} --config; detach-device mh {d0} --config; \
         dumpxml --inactive mh; attach-device mh {big} --config; \
         detach-device mh {d1} --config; detach-device mh {d1} --config"
    );
    let Some((theirs, their_errors)) = libvirt_documents(&lv, &commands, 3) else {
        return;
    };

    let d = open(&root.path().join("rvirt"));
    let mut errors = Vec::new();
    let mut note = |r: rvirt_types::Result<()>| {
        if let Err(e) = r {
            errors.push(e.message);
        }
    };
    let dom = block_on(d.domain_create_xml(DIMM_GUEST, DomainCreateFlags::empty())).unwrap();
    let _cleanup = common::Cleanup(d.clone(), "mh");
    let added: Arc<Mutex<Vec<String>>> = Default::default();
    let a2 = added.clone();
    block_on(d.connect_domain_event_register_any(
        None,
        DomainEventID::DEVICE_ADDED,
        Arc::new(move |e| {
            if let rvirt_driver::DomainEvent::DeviceAdded { alias, .. } = e {
                a2.lock().unwrap().push(alias.clone());
            }
        }),
    ))
    .unwrap();
    block_on(d.domain_attach_device_flags(&dom, &dimm(64, 1), F::LIVE)).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(common::mask_live(&live), common::mask_live(&theirs[0]));
    // QEMU has it, in its node, of its size.
    let devices = block_on(d.monitor_command(&dom, "query-memory-devices", None)).unwrap();
    let plugged = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["data"]["id"] == "dimm1")
        .unwrap_or_else(|| panic!("{devices}"));
    assert_eq!(plugged["data"]["node"], 1);
    assert_eq!(plugged["data"]["size"].as_u64(), Some(64 << 20));
    wait_until(Duration::from_secs(2), "the device-added event", || {
        !added.lock().unwrap().is_empty()
    });
    // libvirt announces the backend's alias.
    assert_eq!(*added.lock().unwrap(), ["memdimm1"]);
    note(call(&d, &dom, "detach", &dimm(64, 1), F::LIVE));
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(common::mask_live(&live), common::mask_live(&theirs[1]));
    note(call(&d, &dom, "attach", &dimm(32, 5), F::LIVE));
    note(call(&d, &dom, "attach", &dimm(2048, 0), F::LIVE));
    note(call(&d, &dom, "detach", &dimm(2048, 0), F::LIVE));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();

    let dom = block_on(d.domain_define_xml(DIMM_GUEST, DomainDefineFlags::empty())).unwrap();
    note(call(&d, &dom, "attach", &dimm(64, 1), F::CONFIG));
    note(call(&d, &dom, "detach", &dimm(32, 0), F::CONFIG));
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert_eq!(inactive.trim(), theirs[2]);
    note(call(&d, &dom, "attach", &dimm(2048, 0), F::CONFIG));
    note(call(&d, &dom, "detach", &dimm(64, 1), F::CONFIG));
    note(call(&d, &dom, "detach", &dimm(64, 1), F::CONFIG));
    assert_eq!(errors, their_errors);
}

/// A guest with an NVDIMM and a virtio-mem device (on the PCI bus).
const VIRTIO_MEM_GUEST: &str = "<domain type='qemu'><name>vm</name>\
    <uuid>00000000-0000-4000-8000-0000000009a1</uuid>\
    <maxMemory slots='2' unit='MiB'>2048</maxMemory><vcpu>1</vcpu>\
    <os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features>\
    <cpu><numa><cell id='0' cpus='0' memory='64' unit='MiB'/></numa></cpu><devices>\
    <memory model='nvdimm'><source><path>NVDIMM</path></source><target><size unit='MiB'>16\
    </size><node>0</node></target></memory>\
    <memory model='virtio-mem'><target><size unit='MiB'>256</size><node>0</node>\
    <block unit='MiB'>2</block><requested unit='MiB'>0</requested></target></memory>\
    </devices></domain>";

/// The `<memory model='MODEL'>` element of `xml`.
fn memory_element(xml: &str, model: &str) -> String {
    let start = xml.find(&format!("<memory model='{model}'")).unwrap();
    let end = start + xml[start..].find("</memory>").unwrap() + "</memory>".len();
    xml[start..end].to_string()
}

/// A virtio-mem device's requested size changes while the guest runs and in the persistent
/// definition, and nothing else of a memory device does, as under libvirt's QEMU driver: the
/// same calls give the same live and inactive XML and errors, and QEMU's device has the new
/// requested size.
#[test]
fn virtio_mem_requested_size_changes_as_libvirt() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    let root = common::Root::new();
    let lv = root.path().join("libvirt");
    std::fs::create_dir_all(&lv).unwrap();
    let (ours, theirs_img) = (root.path().join("nv.img"), lv.join("nv.img"));
    for f in [&ours, &theirs_img] {
        std::fs::File::create(f).unwrap().set_len(16 << 20).unwrap();
    }
    let guest = |img: &std::path::Path| VIRTIO_MEM_GUEST.replace("NVDIMM", img.to_str().unwrap());
    let d = open(&root.path().join("rvirt"));
    // The devices as a define addresses them (libvirt gives the same addresses).
    let dom = block_on(d.domain_define_xml(&guest(&ours), DomainDefineFlags::empty())).unwrap();
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    let mem = memory_element(&inactive, "virtio-mem");
    let grown = mem.replace(
        "<requested unit='KiB'>0</requested>",
        "<requested unit='KiB'>131072</requested>",
    );
    assert_ne!(grown, mem);
    let resized = grown.replace(
        "<size unit='KiB'>262144</size>",
        "<size unit='KiB'>524288</size>",
    );
    let nvdimm = memory_element(&inactive, "nvdimm").replace(&*ours.to_string_lossy(), "X");
    let file = |name: &str, text: &str| {
        let p = lv.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let g = file("g.xml", &guest(&theirs_img));
    let (up, big, nv) = (
        file("up.xml", &grown),
        file("big.xml", &resized),
        file("nv.xml", &nvdimm),
    );
    let commands = format!(
        "create {g}; update-device vm {up} --live; dumpxml vm; update-device vm {big} --live; \
         update-device vm {nv} --live; destroy vm; define {g}; update-device vm {up} --config; \
         dumpxml --inactive vm"
    );
    let Some((theirs, their_errors)) = libvirt_documents(&lv, &commands, 2) else {
        return;
    };
    let theirs: Vec<String> = theirs
        .iter()
        .map(|x| x.replace(&*theirs_img.to_string_lossy(), "IMG"))
        .collect();

    let mut errors = Vec::new();
    let mut note = |r: rvirt_types::Result<()>| {
        if let Err(e) = r {
            errors.push(e.message);
        }
    };
    let dom = block_on(d.domain_create_xml(&guest(&ours), DomainCreateFlags::empty())).unwrap();
    let _cleanup = common::Cleanup(d.clone(), "vm");
    // libvirt 9.0 fails this one: it sets QEMU's property on the device the new XML names
    // by alias, which a user's XML has not ("Device '/machine/peripheral/(null)' not
    // found"). rvirt changes the device found at that address: its live XML is libvirt's but
    // for the requested size.
    assert!(their_errors[0].ends_with("Device '/machine/peripheral/(null)' not found"));
    block_on(d.domain_update_device_flags(&dom, &grown, F::LIVE)).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    let live = live.replace(&*ours.to_string_lossy(), "IMG");
    assert_eq!(
        common::mask_live(&live),
        common::mask_live(&theirs[0].replace(
            "<requested unit='KiB'>0</requested>",
            "<requested unit='KiB'>131072</requested>"
        ))
    );
    let args = serde_json::json!({"path": "/machine/peripheral/virtiomem0",
                                  "property": "requested-size"});
    let requested = block_on(d.monitor_command(&dom, "qom-get", Some(args))).unwrap();
    assert_eq!(requested.as_u64(), Some(128 << 20));
    note(block_on(d.domain_update_device_flags(
        &dom,
        &resized,
        F::LIVE,
    )));
    note(block_on(d.domain_update_device_flags(
        &dom,
        &nvdimm,
        F::LIVE,
    )));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    let dom = block_on(d.domain_define_xml(&guest(&ours), DomainDefineFlags::empty())).unwrap();
    note(block_on(d.domain_update_device_flags(
        &dom,
        &grown,
        F::CONFIG,
    )));
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert_eq!(
        inactive.trim().replace(&*ours.to_string_lossy(), "IMG"),
        theirs[1]
    );
    assert_eq!(errors, their_errors[1..]);
}

/// A guest started with an NVDIMM (so that its machine has NVDIMM support) and room for more
/// memory devices.
const MEMORY_HOTPLUG_GUEST: &str = "<domain type='qemu'><name>mp</name>\
    <uuid>00000000-0000-4000-8000-0000000009a2</uuid>\
    <maxMemory slots='4' unit='MiB'>2048</maxMemory><vcpu>1</vcpu>\
    <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
    <cpu><numa><cell id='0' cpus='0' memory='64' unit='MiB'/></numa></cpu><devices>\
    <memory model='nvdimm'><source><path>DIR/nv0.img</path></source><target><size unit='MiB'>16\
    </size><node>0</node></target></memory></devices></domain>";

/// The devices plugged into [`MEMORY_HOTPLUG_GUEST`] (`DIR` their files' folder), then a
/// model that cannot be.
const PLUGGED_MEMORY: [&str; 4] = [
    "<memory model='nvdimm'><source><path>DIR/nv1.img</path></source><target><size unit='MiB'>\
     16</size><node>0</node><readonly/></target></memory>",
    "<memory model='virtio-mem'><target><size unit='MiB'>128</size><node>0</node>\
     <block unit='MiB'>2</block><requested unit='MiB'>0</requested></target></memory>",
    "<memory model='virtio-pmem'><source><path>DIR/pmem.img</path></source><target><size \
     unit='MiB'>16</size></target></memory>",
    "<memory model='sgx-epc'><target><size unit='MiB'>16</size></target></memory>",
];

/// NVDIMMs, virtio-mem and virtio-pmem devices plugged into a running guest, beside libvirt's
/// QEMU driver doing the same: the live XML after them (each with its slot or PCI address,
/// its alias, the domain's memory grown), libvirt's error for a model that cannot be
/// plugged, and QEMU has every device, of its size.
#[test]
fn nvdimm_virtio_mem_and_pmem_plug_live_as_libvirt() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
        return;
    }
    let root = common::Root::new();
    let (lv, ours) = (root.path().join("libvirt"), root.path().join("files"));
    for dir in [&lv, &ours] {
        std::fs::create_dir_all(dir).unwrap();
        for f in ["nv0.img", "nv1.img", "pmem.img"] {
            let img = std::fs::File::create(dir.join(f)).unwrap();
            img.set_len(16 << 20).unwrap();
        }
    }
    let in_dir = |text: &str, dir: &std::path::Path| text.replace("DIR", dir.to_str().unwrap());
    let file = |name: &str, text: &str| {
        let p = lv.join(name);
        std::fs::write(&p, in_dir(text, &lv)).unwrap();
        p.display().to_string()
    };
    let g = file("g.xml", MEMORY_HOTPLUG_GUEST);
    let mut commands = format!("create {g}; ");
    for (i, m) in PLUGGED_MEMORY.iter().enumerate() {
        let f = file(&format!("m{i}.xml"), m);
        commands.push_str(&format!("attach-device mp {f} --live; "));
    }
    commands.push_str("dumpxml mp; destroy mp");
    let Some((theirs, their_errors)) = libvirt_documents(&lv, &commands, 1) else {
        return;
    };

    let d = open(&root.path().join("rvirt"));
    let guest = in_dir(MEMORY_HOTPLUG_GUEST, &ours);
    let dom = block_on(d.domain_create_xml(&guest, DomainCreateFlags::empty())).unwrap();
    let _cleanup = common::Cleanup(d.clone(), "mp");
    let mut errors = Vec::new();
    for m in PLUGGED_MEMORY {
        if let Err(e) = call(&d, &dom, "attach", &in_dir(m, &ours), F::LIVE) {
            errors.push(e.message);
        }
    }
    assert_eq!(errors, their_errors);
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(
        common::mask_live(&live.replace(ours.to_str().unwrap(), "DIR")),
        common::mask_live(&theirs[0].replace(lv.to_str().unwrap(), "DIR"))
    );
    // QEMU has each device, of its size.
    let devices = block_on(d.monitor_command(&dom, "query-memory-devices", None)).unwrap();
    let size_of = |id: &str| {
        let found =
            devices.as_array().unwrap().iter().find(|m| {
                m["data"]["id"] == id || m["data"]["memdev"] == format!("/objects/mem{id}")
            });
        found.and_then(|m| m["data"]["size"].as_u64())
    };
    assert_eq!(size_of("nvdimm1"), Some(16 << 20), "{devices}");
    assert_eq!(size_of("virtiomem0"), Some(0), "{devices}");
    assert_eq!(size_of("virtiopmem0"), Some(16 << 20), "{devices}");
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

/// One step of a hot-plug comparison with libvirt, done alike through virsh on libvirt's QEMU
/// driver and through rvirt's driver.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Start the guest (transient).
    Create,
    /// Define the guest.
    Define,
    /// Stop the running guest.
    Destroy,
    /// Attach, detach or update device N with flags.
    Attach(usize, F),
    Detach(usize, F),
    Update(usize, F),
    /// Compare the live XML.
    Live,
    /// Compare the inactive XML.
    Inactive,
    /// rvirt's checks number N of the running guest (no virsh command).
    Check(usize),
}

/// What a comparison whose documents need no mask does to them: nothing.
fn unmasked(x: &str) -> String {
    x.to_string()
}

/// A hot-plug comparison: guest `guest` named `name`, the devices its steps name (as libvirt's
/// and rvirt's sides each write them: their files differ), and `mask` applied to every
/// document of both sides (such file names).
struct Plugging<'a> {
    name: &'static str,
    guest: &'a str,
    libvirt_devices: Vec<String>,
    rvirt_devices: Vec<String>,
    mask: &'a dyn Fn(&str) -> String,
}

impl<'a> Plugging<'a> {
    /// A comparison whose devices both sides write alike.
    fn new(name: &'static str, guest: &'static str, devices: &[&str]) -> Plugging<'static> {
        let devices: Vec<String> = devices.iter().map(|x| x.to_string()).collect();
        Plugging {
            name,
            guest,
            libvirt_devices: devices.clone(),
            rvirt_devices: devices,
            mask: &|x| x.to_string(),
        }
    }

    /// A comparison whose devices (owned text) both sides write alike.
    fn same(name: &'static str, guest: &'a str, devices: &[String]) -> Plugging<'a> {
        Plugging {
            name,
            guest,
            libvirt_devices: devices.to_vec(),
            rvirt_devices: devices.to_vec(),
            mask: &unmasked,
        }
    }

    /// Runs `steps` under libvirt then under a fresh rvirt driver (which `prepare` sees first):
    /// each live and inactive document and the errors must be libvirt's; `check(n, d, dom)`
    /// runs at each `Check(n)`. Returns without comparing where QEMU or libvirt's QEMU driver
    /// is missing.
    fn run(
        &self,
        steps: &[Step],
        prepare: impl FnOnce(&Arc<QemuDriver>),
        mut check: impl FnMut(usize, &QemuDriver, &rvirt_driver::DomainRef),
    ) {
        if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
            eprintln!("SKIPPED: qemu-system-x86_64 is not installed");
            return;
        }
        rvirt_driver_qemu::hotplug::set_unplug_timeout(Duration::from_millis(1500));
        let root = common::Root::new();
        let lv = root.path().join("libvirt");
        std::fs::create_dir_all(&lv).unwrap();
        let d = &open(&root.path().join("rvirt"));
        prepare(d);
        let lv = lv.as_path();
        let file = |name: &str, text: &str| {
            let p = lv.join(name);
            std::fs::write(&p, text).unwrap();
            p.display().to_string()
        };
        let g = file("guest.xml", self.guest);
        let devs: Vec<String> = (self.libvirt_devices.iter().enumerate())
            .map(|(i, x)| file(&format!("dev{i}.xml"), x))
            .collect();
        let flag = |f: F| if f == F::LIVE { "--live" } else { "--config" };
        let n = self.name;
        let commands: Vec<String> = steps
            .iter()
            .filter_map(|s| {
                Some(match *s {
                    Step::Create => format!("create {g}"),
                    Step::Define => format!("define {g}"),
                    Step::Destroy => format!("destroy {n}"),
                    Step::Attach(i, f) => format!("attach-device {n} {} {}", devs[i], flag(f)),
                    Step::Detach(i, f) => format!("detach-device {n} {} {}", devs[i], flag(f)),
                    Step::Update(i, f) => format!("update-device {n} {} {}", devs[i], flag(f)),
                    Step::Live => format!("dumpxml {n}"),
                    Step::Inactive => format!("dumpxml --inactive {n}"),
                    Step::Check(_) => return None,
                })
            })
            .collect();
        let documents = steps
            .iter()
            .filter(|s| matches!(s, Step::Live | Step::Inactive))
            .count();
        // libvirt's side runs while rvirt's does (most of either is waiting for QEMU).
        let (ours, errors, theirs) = std::thread::scope(|t| {
            let theirs = t.spawn(|| libvirt_documents(lv, &commands.join("; "), documents));
            let (ours, errors) = self.rvirt_side(d, steps, &mut check);
            (ours, errors, theirs.join().unwrap())
        });
        let Some((theirs, their_errors)) = theirs else {
            return;
        };
        assert_eq!(ours.len(), theirs.len());
        for ((step, ours), want) in ours.into_iter().zip(theirs) {
            let want = (self.mask)(&want);
            let (ours, want) = match step {
                Step::Live => (common::mask_live(&ours), common::mask_live(&want)),
                _ => (ours, want),
            };
            assert_eq!(ours, want, "after {step:?}");
        }
        assert_eq!(errors, their_errors);
    }

    /// The steps on rvirt's driver `d`: the documents of its `Live` and `Inactive` steps
    /// (masked; each with its step) and its error messages.
    fn rvirt_side(
        &self,
        d: &Arc<QemuDriver>,
        steps: &[Step],
        check: &mut impl FnMut(usize, &QemuDriver, &rvirt_driver::DomainRef),
    ) -> (Vec<(Step, String)>, Vec<String>) {
        let n = self.name;
        let mut documents = Vec::new();
        let mut errors = Vec::new();
        let mut dom = None;
        let mut _cleanup = None;
        for step in steps {
            let dev = |i: usize| self.rvirt_devices[i].as_str();
            let result = match *step {
                Step::Create | Step::Define => {
                    let made = if matches!(step, Step::Create) {
                        block_on(d.domain_create_xml(self.guest, DomainCreateFlags::empty()))
                    } else {
                        block_on(d.domain_define_xml(self.guest, DomainDefineFlags::empty()))
                    };
                    dom = Some(made.unwrap());
                    _cleanup = Some(common::Cleanup(d.clone(), n));
                    Ok(())
                }
                _ => {
                    let dom = dom.as_ref().unwrap();
                    match *step {
                        Step::Destroy => block_on(d.domain_destroy(dom, Default::default())),
                        Step::Attach(i, f) => call(d, dom, "attach", dev(i), f),
                        Step::Detach(i, f) => call(d, dom, "detach", dev(i), f),
                        Step::Update(i, f) => {
                            block_on(d.domain_update_device_flags(dom, dev(i), f))
                        }
                        Step::Live | Step::Inactive => {
                            let flags = match step {
                                Step::Live => DomainXMLFlags::empty(),
                                _ => DomainXMLFlags::INACTIVE,
                            };
                            let ours = block_on(d.domain_get_xml_desc(dom, flags)).unwrap();
                            documents.push((*step, (self.mask)(ours.trim())));
                            Ok(())
                        }
                        Step::Check(k) => {
                            check(k, d, dom);
                            Ok(())
                        }
                        Step::Create | Step::Define => unreachable!(),
                    }
                }
            };
            if let Err(e) = result {
                errors.push(e.message);
            }
        }
        (documents, errors)
    }
}

/// Random number generators plugged into a running guest and into a persistent definition,
/// beside libvirt's QEMU driver doing the same calls: the live XML after two live attaches
/// (aliases, PCI addresses, rate) and after a live detach (which a guest without an OS never
/// completes), libvirt's errors (a generator the guest lacks, an update), and the inactive XML
/// after a config attach and detach. The attaches are announced, and QEMU has each device with
/// its backend.
#[test]
fn random_number_generators_plug_as_libvirt() {
    let guest = "<domain type='qemu'><name>rg</name>\
        <uuid>00000000-0000-4000-8000-0000000009a3</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices><rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\
        </devices></domain>";
    let devices = [
        "<rng model='virtio'><rate bytes='4096' period='2000'/>\
         <backend model='random'>/dev/random</backend></rng>",
        "<rng model='virtio'><backend model='builtin'/></rng>",
        "<rng model='virtio'><backend model='random'>/dev/hwrng-none</backend></rng>",
    ];
    let added: Arc<Mutex<Vec<String>>> = Default::default();
    let a2 = added.clone();
    let record_added = |d: &Arc<QemuDriver>| {
        block_on(d.connect_domain_event_register_any(
            None,
            DomainEventID::DEVICE_ADDED,
            Arc::new(move |e| {
                if let rvirt_driver::DomainEvent::DeviceAdded { alias, .. } = e {
                    a2.lock().unwrap().push(alias.clone());
                }
            }),
        ))
        .unwrap();
    };
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(1, F::LIVE),
        Live,
        Check(0),
        Detach(1, F::LIVE),
        Live,
        Detach(2, F::LIVE),
        Update(0, F::LIVE),
        Destroy,
        Define,
        Attach(1, F::CONFIG),
        Inactive,
        Detach(2, F::CONFIG),
        Detach(1, F::CONFIG),
        Update(0, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::new("rg", guest, &devices);
    plugging.run(&steps, record_added, |_, d, dom| {
        wait_until(Duration::from_secs(2), "the device-added events", || {
            added.lock().unwrap().len() == 2
        });
        assert_eq!(*added.lock().unwrap(), ["rng1", "rng2"]);
        // QEMU has both devices, each on its backend object.
        let args = serde_json::json!({"path": "/objects"});
        let objects = block_on(d.monitor_command(dom, "qom-list", Some(args))).unwrap();
        for (id, backend) in [("rng1", "rng-random"), ("rng2", "rng-builtin")] {
            let args = serde_json::json!({"path": format!("/machine/peripheral/{id}"),
                                          "property": "rng"});
            let link = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
            assert_eq!(link, format!("/objects/obj{id}"));
            let obj = objects
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == format!("obj{id}"))
                .unwrap_or_else(|| panic!("{objects}"));
            assert_eq!(obj["type"], format!("child<{backend}>"));
        }
    });
}

/// A watchdog plugged into a running guest and into a persistent definition, beside libvirt's
/// QEMU driver doing the same calls: the live XML after a live attach and after a live detach
/// (which libvirt refuses for a watchdog XML without the live one's address), libvirt's
/// errors (a second watchdog, a model QEMU cannot plug, one the guest does not have, an
/// update), and the inactive XML after config attach and detach. QEMU must have the device.
#[test]
fn a_watchdog_plugs_as_libvirt() {
    let guest = "<domain type='qemu'><name>wd</name>\
        <uuid>00000000-0000-4000-8000-0000000009a4</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices/></domain>";
    let devices = [
        "<watchdog model='i6300esb' action='poweroff'/>",
        "<watchdog model='ib700' action='pause'/>",
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(1, F::LIVE),
        Attach(0, F::LIVE),
        Live,
        Check(0),
        Attach(0, F::LIVE),
        Detach(1, F::LIVE),
        Detach(0, F::LIVE),
        Live,
        Update(0, F::LIVE),
        Destroy,
        Define,
        Detach(1, F::CONFIG),
        Attach(1, F::CONFIG),
        Attach(0, F::CONFIG),
        Inactive,
        Detach(0, F::CONFIG),
        Update(0, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::new("wd", guest, &devices);
    plugging.run(
        &steps,
        |_| {},
        |_, d, dom| {
            let args =
                serde_json::json!({"path": "/machine/peripheral/watchdog0", "property": "type"});
            let kind = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
            assert_eq!(kind, "i6300esb");
        },
    );
}

/// Lock leases plugged into a running guest and into a persistent definition, beside libvirt's
/// QEMU driver (with no lock manager) doing the same calls: the live XML after live attaches
/// (a lease the guest holds already is taken again there) and after a live detach (the first
/// of two alike goes), libvirt's errors (a lease plugged twice into the config, one the guest
/// does not hold, one without a key, an update), and the inactive XML after config attach and
/// detach.
#[test]
fn leases_plug_as_libvirt() {
    let guest = "<domain type='qemu'><name>ls</name>\
        <uuid>00000000-0000-4000-8000-0000000009b1</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices><lease><lockspace>area</lockspace><key>k0</key><target path='/tmp/lease0'/>\
        </lease></devices></domain>";
    let devices = [
        "<lease><target path='/tmp/lease1' offset='1024'/><key>k1</key>\
         <lockspace>area</lockspace></lease>",
        "<lease><lockspace>area</lockspace><key>k0</key><target path='/tmp/other'/></lease>",
        "<lease><lockspace>area</lockspace><key>k9</key><target path='/tmp/lease9'/></lease>",
        "<lease><lockspace>area</lockspace><target path='/tmp/lease9'/></lease>",
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(1, F::LIVE),
        Attach(3, F::LIVE),
        Live,
        Detach(2, F::LIVE),
        Detach(1, F::LIVE),
        Live,
        Update(0, F::LIVE),
        Destroy,
        Define,
        Attach(0, F::CONFIG),
        Attach(1, F::CONFIG),
        Detach(2, F::CONFIG),
        Inactive,
        Detach(1, F::CONFIG),
        Update(0, F::CONFIG),
        Inactive,
    ];
    Plugging::new("ls", guest, &devices).run(&steps, |_| {}, |_, _, _| {});
}

/// Input devices plugged into a running guest and into a persistent definition, beside
/// libvirt's QEMU driver doing the same calls: the live XML after live attaches (aliases, a
/// USB port, a PCI address) and after live detaches (QEMU lets a USB device go at once; a
/// virtio one waits for a guest that never answers), libvirt's errors (PS/2, a missing input,
/// an update), and the inactive XML after config attach and detach. QEMU must have the
/// devices.
#[test]
fn inputs_plug_as_libvirt() {
    let guest = "<domain type='qemu'><name>in</name>\
        <uuid>00000000-0000-4000-8000-0000000009a5</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices><controller type='usb' model='qemu-xhci'/></devices></domain>";
    let devices = [
        "<input type='tablet' bus='usb'/>",
        "<input type='keyboard' bus='virtio'/>",
        "<input type='mouse' bus='ps2'/>",
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(1, F::LIVE),
        Attach(2, F::LIVE),
        Live,
        Check(0),
        Detach(0, F::LIVE),
        Detach(1, F::LIVE),
        Detach(2, F::LIVE),
        Check(1),
        Live,
        Update(0, F::LIVE),
        Destroy,
        Define,
        Attach(0, F::CONFIG),
        Attach(1, F::CONFIG),
        Inactive,
        Detach(0, F::CONFIG),
        Detach(0, F::CONFIG),
        Update(1, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::new("in", guest, &devices);
    plugging.run(
        &steps,
        |_| {},
        |k, d, dom| {
            if k == 0 {
                let ids = peripheral_ids(d, dom);
                assert!(
                    ["input2", "input3"]
                        .iter()
                        .all(|i| ids.contains(&i.to_string())),
                    "{ids:?}"
                );
            } else {
                // QEMU lets the USB tablet go: the guest has the virtio keyboard alone.
                wait_until(Duration::from_secs(5), "the tablet's removal", || {
                    !peripheral_ids(d, dom).contains(&"input2".to_string())
                });
            }
        },
    );
}

/// Shared memory plugged into a running guest and into a persistent definition, beside
/// libvirt's QEMU driver doing the same calls: the live XML after a live attach and a live
/// detach (which a guest without an OS never completes), libvirt's errors (one the guest does
/// not have, a second of the same, an update), and the inactive XML after config attach and
/// detach. QEMU must have the device on its shared file.
#[test]
fn shared_memory_plugs_as_libvirt() {
    let guest = "<domain type='qemu'><name>sh</name>\
        <uuid>00000000-0000-4000-8000-0000000009a6</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices/></domain>";
    // Files under /dev/shm, a set per side (QEMU makes them and nothing removes them).
    let prefix = format!("rvirt-hotplug-{}", std::process::id());
    let names = [format!("{prefix}-lv"), format!("{prefix}-rv")];
    struct ShmFiles<'a>(&'a [String; 2]);
    impl Drop for ShmFiles<'_> {
        fn drop(&mut self) {
            for name in self.0 {
                for x in ["a", "b"] {
                    let _ = std::fs::remove_file(format!("/dev/shm/{name}-{x}"));
                }
            }
        }
    }
    let _files = ShmFiles(&names);
    let devices = |name: &str| -> Vec<String> {
        ["a", "b"]
            .map(|x| {
                format!(
                    "<shmem name='{name}-{x}'><model type='ivshmem-plain'/>\
                     <size unit='M'>2</size></shmem>"
                )
            })
            .into()
    };
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Live,
        Check(0),
        Detach(1, F::LIVE),
        Detach(0, F::LIVE),
        Live,
        Update(0, F::LIVE),
        Destroy,
        Define,
        Attach(0, F::CONFIG),
        Attach(0, F::CONFIG),
        Attach(1, F::CONFIG),
        Inactive,
        Detach(0, F::CONFIG),
        Detach(0, F::CONFIG),
        Inactive,
    ];
    let mask = |x: &str| x.replace(&names[0], "NAME").replace(&names[1], "NAME");
    let plugging = Plugging {
        name: "sh",
        guest,
        libvirt_devices: devices(&names[0]),
        rvirt_devices: devices(&names[1]),
        mask: &mask,
    };
    plugging.run(
        &steps,
        |_| {},
        |_, d, dom| {
            let args =
                serde_json::json!({"path": "/objects/shmmem-shmem0", "property": "mem-path"});
            let path = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
            assert_eq!(path, format!("/dev/shm/{}-a", names[1]));
        },
    );
}

/// Disks and interfaces plugged into a running guest beside libvirt's QEMU driver doing the
/// same calls: each gets the PCI slot (or, a USB disk, the port) libvirt gives it, an address
/// the XML names is kept, one taken already is refused in libvirt's words, and QEMU has each
/// device where the live XML says.
#[test]
fn disks_and_interfaces_plug_at_libvirt_addresses() {
    let guest = "<domain type='qemu'><name>da</name>\
        <uuid>00000000-0000-4000-8000-0000000009a7</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices><controller type='usb' model='piix3-uhci'/>\
        <interface type='user'><mac address='52:54:00:aa:bb:00'/><model type='virtio'/>\
        </interface></devices></domain>";
    // Images both sides share: libvirt's guest is gone before rvirt's starts.
    let dir = tempfile::tempdir().unwrap();
    let image = |name: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, vec![0u8; 1 << 20]).unwrap();
        p
    };
    let (a, b, c) = (image("a.img"), image("b.img"), image("c.img"));
    let disk_at = |path: &std::path::Path, dev: &str, bus: &str, address: &str| {
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{}'/><target dev='{dev}' bus='{bus}'/>{address}</disk>",
            path.display()
        )
    };
    let slot = |n: u32| {
        format!("<address type='pci' domain='0x0000' bus='0x00' slot='{n:#04x}' function='0x0'/>")
    };
    let devices = [
        disk_at(&a, "vdb", "virtio", ""),
        "<interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/>\
         </interface>"
            .to_string(),
        "<interface type='user'><mac address='52:54:00:aa:bb:02'/><model type='e1000'/>\
         </interface>"
            .to_string(),
        disk_at(&b, "sdb", "usb", ""),
        disk_at(&c, "vdc", "virtio", &slot(9)),
        // The slot of the first disk plugged.
        disk_at(&c, "vdd", "virtio", &slot(4)),
        "<interface type='user'><mac address='52:54:00:aa:bb:03'/><model type='virtio'/>\
         </interface>"
            .replace("</interface>", &format!("{}</interface>", slot(9))),
        // The USB port of the USB disk plugged.
        disk_at(&c, "sdc", "usb", "<address type='usb' bus='0' port='1'/>"),
    ];
    let devices: Vec<&str> = devices.iter().map(String::as_str).collect();
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(1, F::LIVE),
        Attach(2, F::LIVE),
        Attach(3, F::LIVE),
        Attach(4, F::LIVE),
        Attach(5, F::LIVE),
        Attach(6, F::LIVE),
        Attach(7, F::LIVE),
        Live,
        Check(0),
        Destroy,
    ];
    let devices: Vec<String> = devices.iter().map(|x| x.to_string()).collect();
    let plugging = Plugging::same("da", guest, &devices);
    plugging.run(
        &steps,
        |_| {},
        |_, d, dom| {
            // QEMU's own view of bus 0: each device in the slot the live XML gives it.
            let v = block_on(d.monitor_command(dom, "query-pci", None)).unwrap();
            let slots: Vec<(String, u64)> = v[0]["devices"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|x| Some((x["qdev_id"].as_str()?.to_string(), x["slot"].as_u64()?)))
                .filter(|(id, _)| !id.is_empty())
                .collect();
            let xml = block_on(d.domain_get_xml_desc(dom, DomainXMLFlags::empty())).unwrap();
            for (id, slot) in &slots {
                let alias = format!("<alias name='{id}'/>");
                let at = xml.find(&alias).unwrap_or_else(|| panic!("{id} in {xml}"));
                let rest = &xml[at..];
                let addr = &rest[rest.find("slot='").unwrap() + 6..];
                let want = u64::from_str_radix(addr[2..].split('\'').next().unwrap(), 16);
                assert_eq!(want.unwrap(), *slot, "{id}");
            }
            assert!(
                slots.iter().any(|(id, _)| id == "virtio-disk1"),
                "{slots:?}"
            );
        },
    );
}

/// Serial ports, consoles and channels plugged into a running guest with a serial port and
/// into a persistent definition, beside libvirt's QEMU driver doing the same calls: the live
/// XML after live attaches (pty paths from QEMU, aliases, port numbers, virtio-serial ports,
/// a USB port and a PCI slot, the guest agent's socket in the channel folder, a guestfwd
/// channel) and after live detaches (a pty device named without its path
/// is not found; a unix channel and a guestfwd channel go at once), libvirt's errors (ISA
/// ports QEMU cannot plug, a console of target type serial, a second guest agent channel),
/// and the inactive XML after config attaches and detaches. QEMU has each device on its
/// chardev, and a pty's path in the live XML is QEMU's.
#[test]
fn character_devices_plug_as_libvirt() {
    let guest = "<domain type='qemu'><name>ch</name>\
        <uuid>00000000-0000-4000-8000-0000000009a8</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices><controller type='virtio-serial'/><serial type='pty'/></devices></domain>";
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let devices = [
        "<serial type='pty'><target type='usb-serial'/></serial>".to_string(),
        "<serial type='pty'/>".to_string(),
        "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
            .to_string(),
        "<console type='pty'><target type='virtio'/></console>".to_string(),
        "<console type='pty'/>".to_string(),
        format!(
            "<serial type='file'><source path='{}'/><target type='pci-serial'/></serial>",
            path("serial.log")
        ),
        "<channel type='pty'><target type='virtio' name='x.y'/></channel>".to_string(),
        format!(
            "<channel type='unix'><source mode='bind' path='{}'/>\
             <target type='virtio' name='x.z'/></channel>",
            path("x.sock")
        ),
        "<channel type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/>\
         <target type='guestfwd' address='10.0.2.1' port='4600'/></channel>"
            .to_string(),
        "<parallel type='pty'/>".to_string(),
        "<serial type='pty'><target type='usb-serial' port='1'/></serial>".to_string(),
    ];
    use Step::*;
    let mut steps = vec![Create];
    steps.extend((0..10).map(|i| Attach(i, F::LIVE)));
    steps.extend([
        Attach(2, F::LIVE),
        Live,
        Check(0),
        Detach(6, F::LIVE),
        Detach(7, F::LIVE),
        Detach(8, F::LIVE),
        Detach(2, F::LIVE),
        Update(3, F::LIVE),
        Live,
        Destroy,
        Define,
        Attach(0, F::CONFIG),
        Attach(2, F::CONFIG),
        Attach(3, F::CONFIG),
        Attach(4, F::CONFIG),
        Attach(2, F::CONFIG),
        Attach(8, F::CONFIG),
        Inactive,
        Detach(0, F::CONFIG),
        Detach(4, F::CONFIG),
        Detach(10, F::CONFIG),
        Detach(2, F::CONFIG),
        Detach(8, F::CONFIG),
        Update(3, F::CONFIG),
        Inactive,
    ]);
    // The channel folder is under each side's own state root.
    let mask = |x: &str| {
        x.replace("/libvirt/lib/qemu/", "/ROOT/lib/qemu/")
            .replace("/rvirt/lib/qemu/", "/ROOT/lib/qemu/")
    };
    let plugging = Plugging {
        name: "ch",
        guest,
        libvirt_devices: devices.to_vec(),
        rvirt_devices: devices.to_vec(),
        mask: &mask,
    };
    plugging.run(
        &steps,
        |_| {},
        |_, d, dom| {
            let args = serde_json::json!({"path": "/machine/peripheral"});
            let list = block_on(d.monitor_command(dom, "qom-list", Some(args))).unwrap();
            let ids: Vec<&str> = (list.as_array().unwrap().iter())
                .filter_map(|x| x["name"].as_str())
                .collect();
            let plugged = [
                "serial1", "serial2", "channel0", "channel1", "channel2", "console1",
            ];
            for id in plugged {
                assert!(ids.contains(&id), "{id} in {ids:?}");
            }
            // The pty of serial0 is the one the live XML shows.
            let chardevs = block_on(d.monitor_command(dom, "query-chardev", None)).unwrap();
            let pty = (chardevs.as_array().unwrap().iter())
                .find(|c| c["label"] == "charserial0")
                .and_then(|c| c["filename"].as_str()?.strip_prefix("pty:"))
                .unwrap()
                .to_string();
            let xml = block_on(d.domain_get_xml_desc(dom, DomainXMLFlags::empty())).unwrap();
            assert!(xml.contains(&format!("<source path='{pty}'/>")), "{xml}");
            // The file port writes its file.
            assert!(dir.path().join("serial.log").exists());
        },
    );
}

/// SCSI disks and controllers plugged into a running guest and into a persistent definition,
/// beside libvirt's QEMU driver doing the same calls: a SCSI disk brings the controllers it
/// needs (LSI Logic's model first, then the last one's), a controller takes the first unused
/// index, the live XML after the attaches and after detaches (a SCSI disk leaves at once; a
/// busy controller stays), libvirt's errors (an index taken, a controller type that cannot be
/// plugged, one named without an index), and the inactive XML after config attaches and
/// detaches. QEMU has each controller and disk by its alias.
#[test]
fn scsi_disks_and_controllers_plug_as_libvirt() {
    let guest = "<domain type='qemu'><name>sc</name>\
        <uuid>00000000-0000-4000-8000-0000000009a9</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices/></domain>";
    // Images both sides share: libvirt's guest is gone before rvirt's starts.
    let dir = tempfile::tempdir().unwrap();
    let image = |name: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, vec![0u8; 1 << 20]).unwrap();
        p.display().to_string()
    };
    let (a, b) = (image("a.img"), image("b.img"));
    let devices = [
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{a}'/><target dev='sdb' bus='scsi'/></disk>"
        ),
        "<controller type='scsi' model='virtio-scsi'/>".to_string(),
        "<controller type='scsi' index='0'/>".to_string(),
        "<controller type='usb' model='qemu-xhci' index='1'/>".to_string(),
        format!(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>\
             <source file='{b}'/><target dev='sdc' bus='scsi'/>\
             <address type='drive' controller='2' bus='0' target='0' unit='0'/></disk>"
        ),
        "<controller type='scsi'/>".to_string(),
        "<controller type='scsi' index='2'/>".to_string(),
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(1, F::LIVE),
        Attach(2, F::LIVE),
        Attach(3, F::LIVE),
        Attach(4, F::LIVE),
        Attach(4, F::LIVE),
        Live,
        Check(0),
        Detach(6, F::LIVE),
        Detach(5, F::LIVE),
        Detach(0, F::LIVE),
        Detach(3, F::LIVE),
        Update(1, F::LIVE),
        Live,
        Check(1),
        Destroy,
        Define,
        Attach(1, F::CONFIG),
        Attach(2, F::CONFIG),
        Attach(5, F::CONFIG),
        Attach(3, F::CONFIG),
        Inactive,
        Detach(2, F::CONFIG),
        Detach(5, F::CONFIG),
        Detach(3, F::CONFIG),
        Update(1, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::same("sc", guest, &devices);
    let peripherals = |d: &QemuDriver, dom: &rvirt_driver::DomainRef| -> Vec<String> {
        let args = serde_json::json!({"path": "/machine/peripheral"});
        let list = block_on(d.monitor_command(dom, "qom-list", Some(args))).unwrap();
        (list.as_array().unwrap().iter())
            .filter_map(|x| Some(x["name"].as_str()?.to_string()))
            .collect()
    };
    plugging.run(
        &steps,
        |_| {},
        |n, d, dom| {
            let ids = peripherals(d, dom);
            let want: &[&str] = match n {
                0 => &["scsi0", "scsi1", "scsi2", "scsi0-0-1", "scsi2-0-0-0"],
                // The disk went; the controllers stay (a guest without an OS keeps them).
                _ => &["scsi0", "scsi1", "scsi2", "scsi2-0-0-0"],
            };
            for id in want {
                assert!(ids.iter().any(|x| x == id), "{id} in {ids:?}");
            }
            if n == 1 {
                assert!(!ids.iter().any(|x| x == "scsi0-0-1"), "{ids:?}");
            }
        },
    );
}

/// A generator reading an EGD daemon's socket, plugged into a running guest and into a
/// persistent definition beside libvirt's QEMU driver doing the same calls: the live XML
/// after the attach and after a detach (a guest without an OS keeps the PCI device), a second
/// one on the same socket, one on a TCP daemon (its source marked `tls='no'` live, as the
/// guest's TCP generator from the start is), and the inactive XML after a config attach. QEMU
/// reads the socket through the generator's chardev.
#[test]
fn an_egd_generator_plugs_as_libvirt() {
    // The EGD daemons: sockets that take QEMU's connections.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("egd.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_rng = format!(
        "<rng model='virtio'><backend model='egd' type='tcp'>\
         <source mode='connect' host='127.0.0.1' service='{}'/></backend></rng>",
        tcp.local_addr().unwrap().port()
    );
    let guest = format!(
        "<domain type='qemu'><name>eg</name>\
        <uuid>00000000-0000-4000-8000-0000000009aa</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices>{tcp_rng}</devices></domain>"
    );
    let devices = [
        format!(
            "<rng model='virtio'><backend model='egd' type='unix'>\
             <source mode='connect' path='{}'/></backend></rng>",
            socket.display()
        ),
        tcp_rng.clone(),
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Live,
        Check(0),
        Attach(0, F::LIVE),
        Detach(0, F::LIVE),
        Attach(1, F::LIVE),
        Live,
        Destroy,
        Define,
        Attach(0, F::CONFIG),
        Inactive,
        Detach(0, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::same("eg", &guest, &devices);
    plugging.run(
        &steps,
        |_| {},
        |_, d, dom| {
            let chardevs = block_on(d.monitor_command(dom, "query-chardev", None)).unwrap();
            let rng = (chardevs.as_array().unwrap().iter())
                .find(|c| c["label"] == "charrng1")
                .unwrap_or_else(|| panic!("charrng1 in {chardevs}"));
            assert_eq!(rng["frontend-open"], true, "{rng}");
            // QEMU connected to the daemon's socket (libvirt's did too, earlier).
            listener.set_nonblocking(true).unwrap();
            let connected = std::iter::from_fn(|| listener.accept().ok()).count();
            assert!(connected >= 1, "no connection to the EGD socket");
            let args = serde_json::json!({"path": "/objects/objrng1", "property": "chardev"});
            let link = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
            assert_eq!(link, "charrng1");
        },
    );
    drop((listener, tcp));
}

/// A virtio-fs share plugged into a running guest with shared memory and into a persistent
/// definition, beside libvirt's QEMU driver doing the same calls: the live XML after the
/// attach (alias, PCI address, the daemon's binary) and after a detach (a guest without an OS
/// keeps the PCI device), libvirt's errors (a 9p share cannot be plugged, a target taken, a
/// share the guest lacks), and the inactive XML after config attach and detach. A `virtiofsd`
/// serves the folder while the guest runs, and none after. Needs root and QEMU's virtiofsd.
#[test]
fn a_virtiofs_share_plugs_as_libvirt() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root || !std::path::Path::new("/usr/lib/qemu/virtiofsd").exists() {
        eprintln!(
            "SKIPPED: needs root and /usr/lib/qemu/virtiofsd (apt-get install qemu-system-x86)"
        );
        return;
    }
    let guest = "<domain type='qemu'><name>vf</name>\
        <uuid>00000000-0000-4000-8000-0000000009ab</uuid><memory unit='MiB'>64</memory>\
        <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices/></domain>";
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let devices = [
        format!(
            "<filesystem type='mount'><driver type='virtiofs'/><source dir='{}'/>\
             <target dir='tag1'/></filesystem>",
            shared.display()
        ),
        format!(
            "<filesystem type='mount'><source dir='{}'/><target dir='tag9p'/></filesystem>",
            shared.display()
        ),
        "<filesystem type='mount'><driver type='virtiofs'/><source dir='/nonexistent'/>\
         <target dir='other'/></filesystem>"
            .to_string(),
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(1, F::LIVE),
        Live,
        Check(0),
        Detach(2, F::LIVE),
        Detach(0, F::LIVE),
        Update(0, F::LIVE),
        Live,
        Destroy,
        Check(1),
        Define,
        Attach(0, F::CONFIG),
        Attach(0, F::CONFIG),
        Inactive,
        Detach(0, F::CONFIG),
        Detach(0, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::same("vf", guest, &devices);
    plugging.run(
        &steps,
        |_| {},
        |n, d, dom| {
            if n == 0 {
                let args =
                    serde_json::json!({"path": "/machine/peripheral/fs0", "property": "tag"});
                let tag = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
                assert_eq!(tag, "tag1");
                assert!(!common::virtiofsd_pids(&shared).is_empty());
            } else {
                wait_until(Duration::from_secs(5), "virtiofsd gone", || {
                    common::virtiofsd_pids(&shared).is_empty()
                });
            }
        },
    );
}

/// A redirected USB device plugged into a running guest with a USB filter and into a
/// persistent definition, beside libvirt's QEMU driver doing the same calls: the live XML
/// after the attach (alias, USB port) and after the detach (USB devices leave at once) and a
/// TCP one's attach (its source marked `tls='no'`), libvirt's errors (a USB port taken, a
/// device the guest lacks, an update), and the inactive XML after config attaches and
/// detaches. QEMU's device
/// connects to the socket and has the guest's filter.
#[test]
fn a_redirected_usb_device_plugs_as_libvirt() {
    let guest = "<domain type='qemu'><name>rd</name>\
        <uuid>00000000-0000-4000-8000-0000000009ac</uuid><memory unit='MiB'>64</memory>\
        <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>\
        <devices><controller type='usb' model='qemu-xhci'/><redirfilter>\
        <usbdev class='0x08' vendor='0x1234' product='0xbeef' version='2.00' allow='yes'/>\
        <usbdev allow='no'/></redirfilter></devices></domain>";
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("usbredir.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let devices = [
        format!(
            "<redirdev bus='usb' type='unix'><source mode='connect' path='{}'/></redirdev>",
            socket.display()
        ),
        "<redirdev bus='usb' type='unix'><source mode='connect' path='/nonexistent.sock'/>\
         </redirdev>"
            .to_string(),
        format!(
            "<redirdev bus='usb' type='tcp'><source mode='connect' host='127.0.0.1' \
             service='{}'/></redirdev>",
            tcp.local_addr().unwrap().port()
        ),
        "<redirdev bus='usb' type='unix'><source mode='connect' path='/nonexistent.sock'/>\
         <address type='usb' bus='0' port='1'/></redirdev>"
            .to_string(),
    ];
    use Step::*;
    let steps = [
        Create,
        Attach(0, F::LIVE),
        Attach(3, F::LIVE),
        Live,
        Check(0),
        Detach(1, F::LIVE),
        Detach(0, F::LIVE),
        Update(0, F::LIVE),
        Attach(2, F::LIVE),
        Live,
        Destroy,
        Define,
        Attach(0, F::CONFIG),
        Attach(0, F::CONFIG),
        Inactive,
        Detach(1, F::CONFIG),
        Detach(0, F::CONFIG),
        Inactive,
    ];
    let plugging = Plugging::same("rd", guest, &devices);
    plugging.run(
        &steps,
        |_| {},
        |_, d, dom| {
            let args = serde_json::json!({"path": "/machine/peripheral/redir0",
                                          "property": "filter"});
            let filter = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
            assert_eq!(filter, "0x08:0x1234:0xBEEF:0x0200:1|-1:-1:-1:-1:0");
            listener.set_nonblocking(true).unwrap();
            let connected = std::iter::from_fn(|| listener.accept().ok()).count();
            assert!(connected >= 1, "no connection to the redirection socket");
        },
    );
}
