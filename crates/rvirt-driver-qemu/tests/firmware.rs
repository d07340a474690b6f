//! UEFI guests on real QEMU with the host's OVMF (Debian's `ovmf` and its firmware
//! descriptors): `<os firmware='efi'>` boots the firmware libvirt would choose, whose own
//! output reaches the serial port; the variable store is made from its template (mode 0600)
//! and is the flash QEMU writes the firmware's variables to; `--reset-nvram` makes it anew at a
//! start and a restore; the live definition survives a save and restore and a driver restart;
//! internal snapshots are refused; undefine keeps or removes the store only when told. The
//! definitions and command lines themselves are compared with libvirt's in `qemu_xml.rs`.
//!
//! Skipped (with a note) when QEMU or OVMF is missing, except under CI.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, open, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, SnapshotDriver};
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use rvirt_types::snapshot::DomainSnapshotCreateFlags;
use std::path::Path;
use std::time::Duration;

/// The firmware libvirt 9.0 chooses for a q35 guest from Debian 12's descriptors (the first
/// by name: `40-edk2-x86_64-secure-enrolled.json`).
const CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd";
const TEMPLATE: &str = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";

fn available() -> bool {
    let ok = Path::new("/usr/bin/qemu-system-x86_64").exists()
        && Path::new(CODE).exists()
        && Path::new("/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json").exists();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "QEMU or OVMF missing under CI"
        );
        eprintln!(
            "skipped: needs qemu-system-x86_64 and ovmf (apt-get install qemu-system-x86 ovmf)"
        );
    }
    ok
}

/// A UEFI guest with a qcow2 disk and its serial port in `serial`.
fn efi_guest(disk: &Path, serial: &Path) -> String {
    format!(
        "<domain type='qemu'><name>uefi</name><memory unit='MiB'>64</memory>\
         <os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>\
         <features><acpi/></features><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
         <serial type='file'><source path='{}'/></serial></devices></domain>",
        disk.display(),
        serial.display()
    )
}

fn live_xml(d: &rvirt_driver_qemu::QemuDriver, dom: &rvirt_driver::DomainRef) -> String {
    block_on(d.domain_get_xml_desc(dom, DomainXMLFlags::empty())).unwrap()
}

/// The block nodes QEMU has open, by node name, with their files.
fn flash_files(d: &rvirt_driver_qemu::QemuDriver, dom: &rvirt_driver::DomainRef) -> Vec<String> {
    let out =
        block_on(d.domain_qemu_monitor_command(dom, r#"{"execute":"query-named-block-nodes"}"#, 0))
            .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut found: Vec<String> = v["return"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["node-name"]
                .as_str()
                .is_some_and(|s| s.starts_with("libvirt-pflash") && s.ends_with("-format"))
        })
        .map(|n| {
            format!(
                "{} {} ro={}",
                n["node-name"].as_str().unwrap(),
                n["file"].as_str().unwrap(),
                n["ro"]
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn uefi_guests_boot_ovmf_with_their_own_variable_store() {
    if !available() {
        return;
    }
    let root = Root::new();
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk.qcow2");
    rvirt_testsupport::output_ok(
        std::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&disk)
            .arg("1M"),
    );
    let serial = dir.path().join("serial.log");
    // Root kills the guest should the test fail before the driver restart below.
    let d = open(root.path());
    let dom = block_on(d.domain_define_xml(&efi_guest(&disk, &serial), DomainDefineFlags::empty()))
        .unwrap();
    let nvram = root.path().join("lib/qemu/nvram/uefi_VARS.fd");
    // The inactive definition keeps the request; nothing is made before a start.
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(inactive.contains("<os firmware='efi'>"), "{inactive}");
    assert!(!nvram.exists());

    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let live = live_xml(&d, &dom);
    assert!(
        live.contains(&format!(
            "<loader readonly='yes' secure='yes' type='pflash'>{CODE}</loader>"
        )) && live.contains(&format!(
            "<nvram template='{TEMPLATE}'>{}</nvram>",
            nvram.display()
        )) && live.contains("<smm state='on'/>")
            && !live.contains("firmware='efi'"),
        "{live}"
    );
    // QEMU runs the code read-only and the guest's own store read-write, made from the
    // template, for QEMU's user alone.
    assert_eq!(
        flash_files(&d, &dom),
        [
            format!("libvirt-pflash0-format {CODE} ro=true"),
            format!("libvirt-pflash1-format {} ro=false", nvram.display()),
        ]
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&nvram).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let template = std::fs::read(TEMPLATE).unwrap();
    // The firmware runs: its boot manager reports on the serial port, and it has written its
    // boot variables to the store.
    wait_until(Duration::from_secs(60), "OVMF's boot manager", || {
        std::fs::read(&serial).is_ok_and(|b| b.windows(7).any(|w| w == b"BdsDxe:"))
    });
    wait_until(Duration::from_secs(30), "the firmware's variables", || {
        std::fs::read(&nvram).unwrap() != template
    });

    // Internal snapshots are refused with a pflash loader, as libvirt refuses them.
    let err = block_on(d.snapshot_create_xml(
        &dom,
        "<domainsnapshot><name>s1</name></domainsnapshot>",
        DomainSnapshotCreateFlags::empty(),
    ))
    .unwrap_err();
    assert_eq!(err.code, ErrorNumber::OPERATION_UNSUPPORTED, "{err}");
    assert!(
        err.to_string()
            .ends_with("internal snapshots of a VM with pflash based firmware are not supported"),
        "{err}"
    );

    // A driver restart finds the guest with its firmware.
    let live_before = live;
    drop(d);
    let d = open(root.path());
    let _guard = Cleanup(d.clone(), "uefi");
    let dom = block_on(d.domain_lookup_by_name("uefi")).unwrap();
    let live = live_xml(&d, &dom);
    assert!(
        live.contains(&format!(
            "<loader readonly='yes' secure='yes' type='pflash'>{CODE}</loader>"
        )),
        "{live}"
    );
    assert!(live_before.contains("<smm state='on'/>") && live.contains("<smm state='on'/>"));

    // Saved and restored: the image keeps the chosen firmware; the store is kept as the
    // firmware left it, unless a reset is asked for.
    let image = dir.path().join("uefi.save");
    let image_s = image.to_str().unwrap();
    block_on(d.domain_save(&dom, image_s, None, DomainSaveRestoreFlags::empty())).unwrap();
    let written = std::fs::read(&nvram).unwrap();
    assert_ne!(written, template);
    block_on(d.domain_restore(image_s, None, DomainSaveRestoreFlags::PAUSED)).unwrap();
    assert_eq!(std::fs::read(&nvram).unwrap(), written);
    assert_eq!(flash_files(&d, &dom).len(), 2);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    block_on(d.domain_restore(
        image_s,
        None,
        DomainSaveRestoreFlags::PAUSED | DomainSaveRestoreFlags::RESET_NVRAM,
    ))
    .unwrap();
    assert_eq!(std::fs::read(&nvram).unwrap(), template);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();

    // A start keeps the store; --reset-nvram makes it anew (checked before the CPUs run).
    std::fs::write(&nvram, b"scribbled").unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::START_PAUSED)).unwrap_err();
    std::fs::write(&nvram, &written).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::START_PAUSED)).unwrap();
    assert_eq!(std::fs::read(&nvram).unwrap(), written);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    block_on(d.domain_create(
        &dom,
        DomainCreateFlags::START_PAUSED | DomainCreateFlags::START_RESET_NVRAM,
    ))
    .unwrap();
    assert_eq!(std::fs::read(&nvram).unwrap(), template);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();

    // Undefine: refused while the store exists, unless told to keep or remove it.
    let err = block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap_err();
    assert_eq!(err.code, ErrorNumber::OPERATION_INVALID);
    assert!(
        err.to_string()
            .ends_with("cannot undefine domain with nvram"),
        "{err}"
    );
    let both = DomainUndefineFlags::NVRAM | DomainUndefineFlags::KEEP_NVRAM;
    let err = block_on(d.domain_undefine(&dom, both)).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("cannot both keep and delete nvram"),
        "{err}"
    );
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::KEEP_NVRAM)).unwrap();
    assert!(nvram.exists());
    let dom = block_on(d.domain_define_xml(&efi_guest(&disk, &serial), DomainDefineFlags::empty()))
        .unwrap();
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::NVRAM)).unwrap();
    assert!(!nvram.exists());
}

#[test]
fn firmware_selection_fails_as_libvirts_does() {
    if !available() {
        return;
    }
    let root = Root::new();
    let d = open(root.path());
    let def = |name: &str, os: &str, loader: &str, features: &str| {
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
             <os{os}><type arch='x86_64' machine='q35'>hvm</type>{loader}</os>\
             <features><acpi/>{features}</features></domain>"
        )
    };
    let start_fails = |name: &str, os: &str, loader: &str, features: &str, code, msg: &str| {
        let xml = def(name, os, loader, features);
        let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
        let err = block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
        assert_eq!(err.code, code, "{name}: {err}");
        assert!(err.to_string().ends_with(msg), "{name}: {err}");
    };
    // Secure boot on q35 comes only with SMM: turned off, no firmware will do.
    start_fails(
        "nosmm",
        " firmware='efi'",
        "",
        "<smm state='off'/>",
        ErrorNumber::OPERATION_INVALID,
        "domain has SMM turned off but chosen firmware requires it",
    );
    // A stateless loader: Debian has no such firmware.
    start_fails(
        "stateless",
        " firmware='efi'",
        "<loader stateless='yes'/>",
        "",
        ErrorNumber::OPERATION_FAILED,
        "Unable to find any firmware to satisfy 'efi'",
    );
    // A loader by path with a store but no template that the descriptors do not know.
    start_fails(
        "unknown",
        "",
        "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>",
        "",
        ErrorNumber::OPERATION_FAILED,
        "unable to find any master var store for loader: /usr/share/OVMF/OVMF_CODE.fd",
    );
    assert!(!root.path().join("lib/qemu/nvram/unknown_VARS.fd").exists());
}
