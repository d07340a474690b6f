//! The XML rvirt's QEMU driver keeps for a defined guest, compared byte for byte with what
//! libvirt 9.0's QEMU driver keeps for the same input (Debian's libvirt, in-process through
//! python3-libvirt on `qemu:///embed`): implicit controllers and inputs, machine type, CPU,
//! memballoon, PCI addresses, added pci-bridges and pcie-root-ports, virtio-serial and USB
//! ports (and the USB hubs a define adds when they run out), serial and console ports, firmware (UEFI selection, loaders, variable stores), and
//! the errors for bad addresses. The corpus is
//! `testdata/qemu-xml`; generated MACs are masked. Then a few guests run under TCG, and
//! QEMU's own `query-pci` must show every PCI device where the XML puts it.
//!
//! Skipped (with a note) when QEMU, libvirt's QEMU driver or python3-libvirt are missing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, mask, mask_live, open};
use pollster::block_on;
use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_driver_qemu::QemuDriver;
use rvirt_testsupport::on_workers;
use rvirt_types::Error;
use rvirt_types::domain::{DomainCreateFlags, DomainDefineFlags, DomainXMLFlags};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The path the corpus names its disk images under; the test puts them in its own folder.
const CORPUS_DIR: &str = "/var/tmp/rvirt-qemu-xml";

/// Guests started in the second part (small: no disk or a 1 MiB one).
const STARTED: &[&str] = &[
    "virtio-disk",
    "nics",
    "minimal-q35",
    "channels",
    "full-bus",
    "nics-q35",
    "sound-rng-watchdog",
    "usb-devices",
    "usb-hubs",
    "usb-hubs-xhci",
    "usb-companions",
    "scsi",
    "serial-console",
    "q35-mixed",
    "backing-chain",
    "guest-agent",
    "filesystems",
    "panic-hyperv",
    "channel-guestfwd",
    "iommu-virtio",
    "usb-storage",
    "misc-devices",
    "features",
    "virtiofs",
    "tpm-emulator",
    "firmware-efi",
    "firmware-efi-insecure-pc",
    "firmware-loader-pflash",
    "firmware-loader-secure",
    "firmware-loader-rom",
    "numa-cells",
    "numa-dist",
    "numa-hmat",
    "numa-memfd",
    "numa-cpus-filled",
    "numatune-plain",
    "virtiofs-numa",
    "cpu-topology",
    "cpu-model-features",
    "cpu-maximum",
    "memory-align",
    "numatune-auto",
    "memory-dimm",
    "memory-dimms",
    "memory-devices",
    // libvirt 9.0 cannot start this one ("virtio-pmem memory device info is not handled
    // yet"): started, not compared live.
    "memory-pmem",
    "rng-rate",
    "chardev-sockets",
    "scsi-default",
    "rng-egd",
    "redirdev",
];

/// How many libvirt processes answer for the corpus, each for a share of its guests.
const ORACLES: usize = 4;

/// Guests also started in libvirt, whose live XML must be rvirt's (what differs by nature
/// masked, see [`mask_live`]).
const LIVE_COMPARED: &[&str] = &[
    "channels",
    "sound-rng-watchdog",
    "virtio-disk",
    "backing-chain",
    "guest-agent",
    "virtiofs",
    "tpm-emulator",
    "firmware-efi",
    "firmware-efi-insecure-pc",
    "firmware-loader-pflash",
    "firmware-loader-secure",
    "numa-dist",
    "numa-hmat",
    "numa-memfd",
    "virtiofs-numa",
    "cpu-topology",
    "cpu-model-features",
    "cpu-maximum",
    "memory-align",
    "numatune-auto",
    "memory-dimm",
    "memory-dimms",
    "memory-devices",
    "rng-rate",
    "chardev-sockets",
    "rng-egd",
    "redirdev",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/qemu-xml")
}

fn available() -> bool {
    let python_ok = std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import libvirt"])
        .output()
        .is_ok_and(|o| o.status.success());
    let ok = rvirt_driver_qemu::caps::emulator_for_arch("x86_64").is_some()
        && rvirt_testsupport::have_libvirt_qemu_driver()
        && python_ok;
    if !ok {
        eprintln!(
            "skipped: needs qemu-system-x86_64, libvirt's QEMU driver and python3-libvirt \
             (apt-get install qemu-system-x86 libvirt-daemon-driver-qemu python3-libvirt)"
        );
    }
    ok
}

/// The first differing line of two documents, for the failure message.
fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
    for i in 0..w.len().max(g.len()) {
        if w.get(i) != g.get(i) {
            return format!(
                "line {}: libvirt {:?}, rvirt {:?}",
                i + 1,
                w.get(i).unwrap_or(&"<end>"),
                g.get(i).unwrap_or(&"<end>")
            );
        }
    }
    String::new()
}

/// Every `<alias name>` with the PCI `<address>` next to it in a live XML: (alias, bus, slot,
/// function).
fn xml_layout(xml: &str) -> Vec<(String, u64, u64, u64)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let hex = |n: roxmltree::Node<'_, '_>, k: &str| {
        u64::from_str_radix(n.attribute(k).unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("address") && n.attribute("type") == Some("pci"))
        .filter_map(|a| {
            let dev = a.parent()?;
            // A USB companion controller shares its master's alias and has no id in QEMU.
            if dev.children().any(|c| c.has_tag_name("master")) {
                return None;
            }
            let alias = dev
                .children()
                .find(|c| c.has_tag_name("alias"))?
                .attribute("name")?;
            Some((
                alias.to_string(),
                hex(a, "bus"),
                hex(a, "slot"),
                hex(a, "function"),
            ))
        })
        .collect()
}

/// Every alias of the live XML that names a QEMU device of ours: not the root PCI bus, the
/// chipset's own IDE controller, the PS/2 inputs, the first console (the first serial port
/// again), guestfwd channels or the audio backends.
fn device_aliases(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("alias"))
        .filter_map(|a| {
            let dev = a.parent()?;
            let name = a.attribute("name")?;
            let builtin = match dev.tag_name().name() {
                "controller" => matches!(name, "pci.0" | "pcie.0" | "ide"),
                "input" => dev.attribute("bus") == Some("ps2"),
                "console" => name == "serial0",
                // A guestfwd channel is a netdev, not a device (checked apart).
                "channel" => dev
                    .children()
                    .any(|t| t.has_tag_name("target") && t.attribute("type") == Some("guestfwd")),
                _ => false,
            };
            (!builtin).then(|| name.to_string())
        })
        .collect()
}

/// Checks that QEMU has every device of the running guest's live XML (by its id, under
/// `/machine/peripheral`), channels with their names, and every PCI device where the XML
/// says: the bus it sits on (QOM's `parent_bus`, named as the controller's alias) and its
/// devfn.
fn check_layout(d: &QemuDriver, dom: &rvirt_driver::DomainRef, name: &str) {
    let live = block_on(d.domain_get_xml_desc(dom, DomainXMLFlags::empty())).unwrap();
    let listed = block_on(d.monitor_command(
        dom,
        "qom-list",
        Some(serde_json::json!({"path": "/machine/peripheral"})),
    ))
    .unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for alias in device_aliases(&live) {
        assert!(
            ids.contains(&alias.as_str()),
            "{name}: QEMU has no device {alias} (it has {ids:?})\n{live}"
        );
    }
    let doc = roxmltree::Document::parse(&live).unwrap();
    for ch in doc.descendants().filter(|n| n.has_tag_name("channel")) {
        let target = ch.children().find(|c| c.has_tag_name("target")).unwrap();
        let alias = ch.children().find(|c| c.has_tag_name("alias")).unwrap();
        if target.attribute("type") == Some("guestfwd") {
            // Its user-mode netdev, named as the channel, forwards to the target address.
            let args = serde_json::json!({"command-line": "info network"});
            let info =
                block_on(d.monitor_command(dom, "human-monitor-command", Some(args))).unwrap();
            let alias = alias.attribute("name").unwrap();
            assert!(
                info.as_str()
                    .is_some_and(|t| t.lines().any(|l| l.contains(&format!("{alias}: ")))),
                "{name}: no netdev {alias} in {info}"
            );
            continue;
        }
        let args = serde_json::json!({"path": format!("/machine/peripheral/{}",
            alias.attribute("name").unwrap()), "property": "name"});
        let port_name = block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap();
        let want_name = target.attribute("name").unwrap_or("");
        assert_eq!(port_name.as_str(), Some(want_name), "{name}");
        // A unix channel's socket is where the XML says (QEMU listens when mode is bind).
        let source = ch.children().find(|c| c.has_tag_name("source"));
        if ch.attribute("type") == Some("unix")
            && let Some(path) = source.and_then(|s| s.attribute("path"))
        {
            use std::os::unix::fs::FileTypeExt;
            let meta = std::fs::metadata(path);
            assert!(
                meta.is_ok_and(|m| m.file_type().is_socket()),
                "{name}: no socket at {path}"
            );
        }
    }
    check_numa(d, dom, name, &doc);
    let q35 = live.contains("machine='pc-q35");
    let want = xml_layout(&live);
    assert!(!want.is_empty(), "{name}: no PCI devices in\n{live}");
    let qom = |alias: &str, prop: &str| {
        let args = serde_json::json!({"path": format!("/machine/peripheral/{alias}"),
                                      "property": prop});
        block_on(d.monitor_command(dom, "qom-get", Some(args))).unwrap()
    };
    // The chipset's own IDE/SATA controller is no -device of ours.
    for (alias, bus, slot, function) in want.into_iter().filter(|w| w.0 != "ide") {
        let parent = qom(&alias, "parent_bus");
        let parent = parent
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let want_bus = match bus {
            0 if q35 => "pcie.0".to_string(),
            n => format!("pci.{n}"),
        };
        let devfn = qom(&alias, "addr").as_u64().unwrap();
        assert_eq!(
            (parent, devfn),
            (want_bus, slot << 3 | function),
            "{name}: QEMU does not have device {alias} where the XML puts it"
        );
    }
}

/// QEMU's guest has the XML's vCPU topology and NUMA cells: each cell's memory backend of its
/// size (shared when the cell is), and each vCPU in its cell.
fn check_numa(
    d: &QemuDriver,
    dom: &rvirt_driver::DomainRef,
    name: &str,
    doc: &roxmltree::Document<'_>,
) {
    let cpus = block_on(d.monitor_command(dom, "query-cpus-fast", None)).unwrap();
    let cpus = cpus.as_array().unwrap();
    let count = |key: &str| {
        cpus.iter()
            .filter_map(|c| c["props"][key].as_u64())
            .max()
            .map_or(1, |m| m + 1)
    };
    if let Some(t) = doc.descendants().find(|n| n.has_tag_name("topology")) {
        // The vCPUs present at start span the sockets, dies, cores and threads they fill.
        let vcpus = doc
            .descendants()
            .find(|n| n.has_tag_name("vcpu"))
            .and_then(|v| v.attribute("current").or(v.text()))
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap();
        assert_eq!(cpus.len() as u64, vcpus, "{name}: vCPUs {cpus:?}");
        let threads: u64 = t.attribute("threads").unwrap().parse().unwrap();
        assert_eq!(count("thread-id"), threads.min(vcpus), "{name}: {cpus:?}");
        let hotpluggable =
            block_on(d.monitor_command(dom, "query-hotpluggable-cpus", None)).unwrap();
        let slots = hotpluggable.as_array().unwrap();
        let max: u64 = ["sockets", "dies", "cores", "threads"]
            .iter()
            .map(|a| t.attribute(*a).unwrap().parse::<u64>().unwrap())
            .product();
        assert_eq!(slots.len() as u64, max, "{name}: {hotpluggable}");
        for a in ["socket-id", "die-id", "core-id", "thread-id"] {
            // QEMU leaves out the ids of a level with one member (dies).
            let most = slots
                .iter()
                .filter_map(|s| s["props"][a].as_u64())
                .max()
                .unwrap_or(0);
            let want: u64 = t
                .attribute(&*format!("{}s", a.trim_end_matches("-id")))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(most + 1, want, "{name}: {a} in {hotpluggable}");
        }
    }
    let memdevs = block_on(d.monitor_command(dom, "query-memdev", None)).unwrap();
    // The RAM is bound to the host nodes <numatune> names, or numad advised (cells without a
    // <memnode> of their own).
    let numatune = doc.descendants().find(|n| n.has_tag_name("numatune"));
    let memory = numatune.and_then(|n| n.children().find(|c| c.has_tag_name("memory")));
    if let Some(m) = memory.filter(|_| {
        !numatune
            .unwrap()
            .children()
            .any(|c| c.has_tag_name("memnode"))
    }) {
        let policy = match m.attribute("mode").unwrap() {
            "strict" => "bind",
            other => other,
        };
        for dev in memdevs.as_array().unwrap() {
            assert_eq!(dev["policy"], policy, "{name}: {dev}");
            assert!(
                dev["host-nodes"].as_array().is_some_and(|n| !n.is_empty()),
                "{name}: {dev}"
            );
        }
    }
    let cells: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("cell"))
        .collect();
    if cells.is_empty() {
        return;
    }
    for (i, cell) in cells.iter().enumerate() {
        let id = format!("ram-node{i}");
        let dev = memdevs
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{name}: QEMU has no backend {id}: {memdevs}"));
        let kib: u64 = cell.attribute("memory").unwrap().parse().unwrap();
        assert_eq!(dev["size"].as_u64(), Some(kib << 10), "{name}: {dev}");
        let shared = cell.attribute("memAccess") == Some("shared")
            || (cell.attribute("memAccess").is_none()
                && doc
                    .descendants()
                    .any(|n| n.has_tag_name("access") && n.attribute("mode") == Some("shared")));
        assert_eq!(dev["share"].as_bool(), Some(shared), "{name}: {dev}");
        let want: Vec<u64> = cell
            .attribute("cpus")
            .and_then(rvirt_conf::domain::parse_cpuset)
            .unwrap_or_default()
            .into_iter()
            .map(u64::from)
            .collect();
        let got: Vec<u64> = cpus
            .iter()
            .filter(|c| c["props"]["node-id"].as_u64() == Some(i as u64))
            .filter_map(|c| c["cpu-index"].as_u64())
            .collect();
        assert_eq!(got, want, "{name}: vCPUs of node {i}: {cpus:?}");
    }
}

/// The words of a command line as `domainXMLToNative` prints it (single-quoted words, no
/// escapes inside them).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.trim().chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}

/// The devices, chardevs, 9p fsdevs, memory backends other than plain RAM, audio backends, watchdog action, machine, CPU, clock and timer
/// options of a command line, by id, as comparable values: what must be the same in libvirt's command line and rvirt's for one
/// guest. The monitor (its path) and the netdevs (libvirt hands tap descriptors) differ by
/// nature and are left out; so are PCI placements (libvirt's domxml-to-native re-creates the
/// interfaces without their addresses; the XML comparison and QEMU's own layout check them),
/// generated MACs, and the numbers in block node names (libvirt counts them from the last
/// disk and its backing chains).
fn argv_devices(line: &str) -> std::collections::BTreeMap<String, Value> {
    let words = shell_words(line);
    // libvirt gives plain RAM as a memory-backend-ram object on the machine, where rvirt gives
    // -m alone: left out. A backend with more to it (shared, bound to host nodes, on huge
    // pages) is compared.
    let plain_ram = words.windows(2).any(|w| {
        w[0] == "-object"
            && serde_json::from_str::<Value>(&w[1]).is_ok_and(|v| {
                v["id"] == "pc.ram"
                    && v["qom-type"] == "memory-backend-ram"
                    && v.as_object().is_some_and(|o| o.len() == 3)
            })
    });
    let mut out = std::collections::BTreeMap::new();
    for flag in ["-no-hpet", "-no-acpi", "-no-reboot", "-no-shutdown", "-S"] {
        if words.iter().any(|w| w == flag) {
            out.insert(flag.into(), Value::Bool(true));
        }
    }
    for w in words.windows(2) {
        let (opt, arg) = (w[0].as_str(), w[1].as_str());
        // A guestfwd channel's netdev is compared; the interfaces' netdevs are left out
        // (libvirt's domxml-to-native makes every interface a tap with a descriptor).
        // The firmware's flash nodes are compared; disks' nodes are numbered apart.
        let json = matches!(opt, "-device" | "-audiodev" | "-object")
            || (opt == "-netdev" && arg.contains("guestfwd"))
            || (opt == "-blockdev" && arg.contains("\"node-name\":\"libvirt-pflash"));
        match opt {
            _ if json => {
                let mut v: Value = serde_json::from_str(arg).unwrap_or(Value::String(arg.into()));
                if let Some(o) = v.as_object_mut() {
                    // Removed keeping the order of the others (which is compared).
                    if o.shift_remove("addr").is_some() {
                        o.shift_remove("bus");
                        o.shift_remove("multifunction");
                    }
                    if o.contains_key("mac") {
                        o.insert("mac".into(), "masked".into());
                    }
                    // libvirt's domxml-to-native re-creates each interface from its model,
                    // MAC, boot order and script only (qemuConnectDomainXMLToNativePrepareHost):
                    // a virtio NIC's queues, MTU and failover are not on its line.
                    if o.get("driver").and_then(Value::as_str) == Some("virtio-net-pci") {
                        for k in ["mq", "vectors", "host_mtu", "failover"] {
                            o.shift_remove(k);
                        }
                    }
                    if let Some(Value::String(drive)) = o.get_mut("drive") {
                        drive.retain(|c| !c.is_ascii_digit());
                    }
                }
                let id = v["id"]
                    .as_str()
                    .or_else(|| v["node-name"].as_str())
                    .unwrap_or(arg)
                    .to_string();
                if id != "masterKey0" && !(id == "pc.ram" && plain_ram) {
                    out.insert(format!("{opt} {id}"), v);
                }
            }
            "-chardev" | "-fsdev" => {
                let id = arg
                    .split(',')
                    .find_map(|kv| kv.strip_prefix("id="))
                    .unwrap_or(arg);
                if id != "charmonitor" {
                    out.insert(format!("{opt} {id}"), Value::String(arg.into()));
                }
            }
            "-watchdog-action" | "-cpu" | "-rtc" | "-global" | "-bios" | "-overcommit" | "-smp"
            | "-m" => {
                out.insert(opt.into(), Value::String(arg.into()));
            }
            // NUMA nodes, distances and HMAT tables: all of them, in order.
            "-numa" => {
                let all = out
                    .entry("-numa".into())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(v) = all {
                    v.push(Value::String(arg.into()));
                }
            }
            "-machine" => {
                let arg = if plain_ram {
                    arg.replace(",memory-backend=pc.ram", "")
                } else {
                    arg.to_string()
                };
                out.insert(opt.into(), Value::String(arg));
            }
            _ => {}
        }
    }
    out
}

/// The differences between libvirt's command line and rvirt's for one guest.
fn argv_differences(libvirt: &str, rvirt: &str) -> Vec<String> {
    let (want, got) = (argv_devices(libvirt), argv_devices(rvirt));
    let mut diffs = Vec::new();
    for (k, w) in &want {
        match got.get(k) {
            // The same properties in the same order (libvirt's, which QEMU's JSON keeps).
            Some(g) if g == w && serde_json::to_string(g).ok() == serde_json::to_string(w).ok() => {
            }
            Some(g) => diffs.push(format!("{k}: libvirt {w}, rvirt {g}")),
            None => diffs.push(format!("{k}: libvirt {w}, rvirt has none")),
        }
    }
    for (k, g) in &got {
        if !want.contains_key(k) {
            diffs.push(format!("{k}: rvirt {g}, libvirt has none"));
        }
    }
    diffs
}

/// rvirt's side of a guest of the corpus: once defined, its inactive XML and the command
/// line for it (or why there is none); or why it cannot be defined.
type Documents = Result<(String, Result<String, Error>), Error>;

/// Defines every guest of `names` (their files under `inputs`) and reads back its documents.
fn rvirt_documents(d: &QemuDriver, names: &[String], inputs: &Path) -> Vec<Documents> {
    names
        .iter()
        .map(|name| {
            let xml = std::fs::read_to_string(inputs.join(format!("{name}.xml"))).unwrap();
            let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty()))?;
            let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
            let argv = block_on(d.connect_domain_xml_to_native("qemu-argv", &inactive, 0));
            Ok((inactive, argv))
        })
        .collect()
}

/// Starts every guest of [`STARTED`] (defined by [`rvirt_documents`]), checks that QEMU has
/// its devices where the XML puts them ([`check_layout`]), and keeps the live XML of those of
/// [`LIVE_COMPARED`].
fn rvirt_live_documents(d: &Arc<QemuDriver>) -> Vec<(&'static str, String)> {
    let mut live = Vec::new();
    for name in STARTED {
        if *name == "numatune-auto" && !Path::new("/usr/bin/numad").exists() {
            eprintln!("{name}: not started: automatic placement needs numad");
            continue;
        }
        // One rvirt could not define is the comparison's to report.
        let Ok(dom) = block_on(d.domain_lookup_by_name(name)) else {
            continue;
        };
        let _guard = Cleanup(d.clone(), name);
        block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
        check_layout(d, &dom, name);
        if LIVE_COMPARED.contains(name) {
            live.push((
                *name,
                block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap(),
            ));
        }
        block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    }
    live
}

#[test]
fn defined_and_running_guests_match_libvirt() {
    if !available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    // libvirt and rvirt run swtpm as the tss user when root: it must reach their state roots.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    rvirt_testsupport::output_ok(
        std::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .arg(dir.join("disk.qcow2"))
            .arg("1M"),
    );
    std::fs::write(dir.join("disk.raw"), vec![0u8; 1 << 20]).unwrap();
    // usb-hubs' USB disk (its own: libvirt's and rvirt's guests run side by side).
    std::fs::write(dir.join("usb.raw"), vec![0u8; 1 << 20]).unwrap();
    // The files memory-devices' NVDIMMs and virtio-pmem device map (sparse).
    for (name, mib) in [("nvdimm.img", 32), ("nvdimm-ro.img", 16), ("pmem.img", 64)] {
        let f = std::fs::File::create(dir.join(name)).unwrap();
        f.set_len(mib << 20).unwrap();
    }
    // The EGD daemon rng-egd's generator reads through (its QEMUs connect; nothing answers).
    let _egd = std::os::unix::net::UnixListener::bind(dir.join("egd.sock")).unwrap();
    // An overlay on disk.qcow2 (named relative to the overlay's folder): the live XML shows
    // the chain.
    rvirt_testsupport::qcow2_overlay(Path::new("disk.qcow2"), &dir.join("overlay.qcow2"));
    let inputs = dir.join("in");
    std::fs::create_dir(&inputs).unwrap();
    let mut names = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    entries.sort();
    for p in &entries {
        let text = std::fs::read_to_string(p)
            .unwrap()
            .replace(CORPUS_DIR, &dir.display().to_string());
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        std::fs::write(inputs.join(format!("{name}.xml")), text).unwrap();
        names.push(name);
    }
    assert!(names.len() >= 20, "corpus too small: {names:?}");

    let root = Root::new();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let d = open(root.path());
    // libvirt's answers, from a few processes (each a state root of its own, `ROOTS[i]`) at
    // once, while rvirt defines its guests; rvirt starts its own once libvirt's are done (they
    // share disk images, which QEMU locks).
    let chunks: Vec<&[String]> = names.chunks(names.len().div_ceil(ORACLES)).collect();
    let lv_roots: Vec<PathBuf> = (0..chunks.len())
        .map(|i| dir.join(format!("libvirt-{i}")))
        .collect();
    let (answers, ours, live) = std::thread::scope(|s| {
        let answers = s.spawn(|| {
            let indices: Vec<usize> = (0..chunks.len()).collect();
            on_workers(&indices, ORACLES, |_, &i| {
                let chunk = chunks[i];
                let starts = chunk.iter().filter(|n| LIVE_COMPARED.contains(&n.as_str()));
                common::libvirt_oracle(
                    &lv_roots[i],
                    chunk.iter().map(|n| inputs.join(format!("{n}.xml"))),
                    starts.map(|n| format!("--start={n}")),
                    300,
                )
            })
        });
        let ours = rvirt_documents(&d, &names, &inputs);
        let answers = answers.join().unwrap();
        (answers, ours, rvirt_live_documents(&d))
    });
    // Each guest's answer, with the paths under its state root (default variable stores,
    // chardev sockets) named as under rvirt's.
    let oracle: std::collections::BTreeMap<&str, Value> = chunks
        .iter()
        .zip(&answers)
        .zip(&lv_roots)
        .flat_map(|((chunk, answer), lv_root)| {
            let lv_root = lv_root.display().to_string();
            chunk.iter().map(move |n| {
                let text = answer[n.as_str()].to_string().replace(&lv_root, "ROOT");
                (n.as_str(), serde_json::from_str(&text).unwrap())
            })
        })
        .collect();
    let root_text = root.path().display().to_string();

    let mut failures = Vec::new();
    for (name, got) in names.iter().zip(ours) {
        let want = &oracle[name.as_str()];
        match (want.get("xml").and_then(Value::as_str), got) {
            (Some(w), Ok((inactive, ours))) => {
                // Paths under the state folders (default variable stores) differ by folder.
                let g = inactive.replace(&root_text, "ROOT");
                let (w, g) = (mask(w), mask(&g));
                if w != g {
                    failures.push(format!("{name}: {}", first_difference(&w, &g)));
                }
                // The command line: every device libvirt gives QEMU, rvirt gives it alike.
                match (want.get("argv").and_then(Value::as_str), ours) {
                    (Some(w), Ok(o)) => {
                        // Paths under the state folders (chardev sockets) differ by folder.
                        let o = o.replace(&root_text, "ROOT");
                        for diff in argv_differences(w, &o) {
                            failures.push(format!("{name}: command line: {diff}"));
                        }
                    }
                    (Some(_), Err(e)) => {
                        failures.push(format!("{name}: libvirt has a command line, rvirt: {e}"))
                    }
                    (None, Ok(_)) => failures.push(format!(
                        "{name}: libvirt has no command line ({}), rvirt has one",
                        want["argv_error"]
                    )),
                    (None, Err(e)) => {
                        if !common::same_error(&e, &want["argv_error"]) {
                            failures.push(format!(
                                "{name}: libvirt's command line fails with {}, rvirt's with {} {e}",
                                want["argv_error"], e.code.0
                            ));
                        }
                    }
                }
            }
            (None, Err(e)) => {
                if !common::same_error(&e, &want["error"]) {
                    failures.push(format!(
                        "{name}: libvirt fails with {}, rvirt with {} {e}",
                        want["error"], e.code.0
                    ));
                }
            }
            (Some(_), Err(e)) => failures.push(format!("{name}: libvirt defines it, rvirt: {e}")),
            (None, Ok(_)) => failures.push(format!(
                "{name}: libvirt refuses it ({}), rvirt defines it",
                want["error"]
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} guests differ from libvirt:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );

    // Running guests: the live XML is libvirt's.
    let mut live_failures = Vec::new();
    for (name, got) in live {
        // The state folders differ (and the domain ids in paths under them).
        let want = oracle[name]["live"].as_str().unwrap();
        let want = mask_live(want);
        let got = mask_live(&got.replace(&root_text, "ROOT"));
        if want != got {
            live_failures.push(format!("{name}: {}", first_difference(&want, &got)));
        }
    }
    // QEMU made misc-devices' shared memory file; nothing removes it for us.
    let _ = std::fs::remove_file("/dev/shm/rvirt-qemu-xml-test");
    assert!(
        live_failures.is_empty(),
        "live XML differs from libvirt's:\n{}",
        live_failures.join("\n")
    );
}
