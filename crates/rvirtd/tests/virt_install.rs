//! Unmodified virt-install (Debian's virtinst) creates a real QEMU guest through rvirtd's
//! `qemu:///system`: it reads the capabilities and domain capabilities, makes a storage pool
//! for the disk's folder and a qcow2 volume in it, defines and starts the guest with a
//! host-model CPU (which the start resolves to a model), and virsh then finds it running.

#![allow(clippy::unwrap_used)]

mod common;

use common::QemuSystem;
use std::process::Command;

#[test]
fn virt_install_creates_and_starts_a_guest_through_rvirtd() {
    if !rvirt_testsupport::have_virsh_and_qemu() {
        return;
    }
    if !std::path::Path::new("/usr/bin/virt-install").exists() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "virt-install missing under CI"
        );
        eprintln!("skipped: apt-get install virtinst");
        return;
    }
    let s = QemuSystem::new();
    let disk = s.root.join("images/vi.qcow2");
    std::fs::create_dir_all(disk.parent().unwrap()).unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new("timeout")
            .args(["120", "virt-install", "--connect", &s.uri])
            .args(["--name", "vi", "--memory", "64", "--vcpus", "2"])
            .args(["--cpu", "host-model", "--install", "no_install=yes"])
            .args(["--osinfo", "detect=on,require=off"])
            .args(["--network", "none", "--graphics", "vnc", "--noautoconsole"])
            .arg("--disk")
            .arg(format!("path={},size=0.01,format=qcow2", disk.display()))
            .args(extra)
            .env("HOME", &s.root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virt-install {extra:?}: {}{}\nrvirtd log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            s.daemon.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // A dry run prints the domain it would define, from the driver's capabilities.
    let xml = run(&["--print-xml", "--dry-run"]);
    assert!(xml.contains("<cpu mode=\"host-model\"/>"), "{xml}");
    assert!(!disk.exists());

    run(&[]);
    assert_eq!(s.virsh(&["domstate", "vi"]).trim(), "running");
    let live = s.virsh(&["dumpxml", "vi"]);
    assert!(
        live.contains("<cpu mode='custom' match='exact' check='full'>")
            && live.contains("<model fallback='forbid'>"),
        "{live}"
    );
    assert!(
        s.virsh(&["domblklist", "vi"])
            .contains(&disk.display().to_string())
    );
    // The volume virt-install allocated in the pool it made for the disk's folder.
    let pools = s.virsh(&["pool-list", "--name"]);
    let pool = pools
        .lines()
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap();
    let vols = s.virsh(&["vol-list", pool]);
    assert!(vols.contains("vi.qcow2"), "{vols}");
    let info = Command::new("qemu-img")
        .args(["info", "-U", "--output=json"])
        .arg(&disk)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("\"format\": \"qcow2\""), "{info}");

    s.virsh(&["destroy", "vi"]);
    s.virsh(&["undefine", "vi", "--remove-all-storage"]);
    assert!(!disk.exists());
}
