//! Unmodified virsh asks rvirtd's QEMU connection about the host (`qemu:///system`) and gets
//! what it gets from libvirt 9.0's own QEMU driver on the same host: the same fields, errors
//! and lists, by the same RPC calls (virsh first counts the CPU statistics, then reads them).

#![allow(clippy::unwrap_used)]

mod common;

use common::{QemuSystem, have};
use rvirt_testsupport::libvirt_embed;
use std::process::Command;

#[test]
fn virsh_host_commands_through_rvirtd_match_libvirt() {
    if !have("virsh") || !have("qemu-system-x86_64") {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "virsh or QEMU missing under CI"
        );
        eprintln!("skipped: apt-get install libvirt-clients qemu-system-x86");
        return;
    }
    let s = QemuSystem::new();
    let lv = tempfile::tempdir().unwrap();
    for line in [
        "nodeinfo",
        "nodecpustats --cpu 4096",
        "nodecpustats --cpu -2",
        "nodememstats --cell 4096",
        "freecell --cellno 4096",
        "freepages --cellno 0 --pagesize 3",
        "freepages --cellno 0 --pagesize 1G",
        "sysinfo",
        "maxvcpus --type qemu",
        "maxvcpus --type foo",
        "nodecpumap",
        "cpu-models x86_64",
        "cpu-models foo",
    ] {
        let Some(theirs) = libvirt_embed(lv.path(), line) else {
            assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()));
            return;
        };
        let ours = Command::new("timeout")
            .args(["60", "virsh", "-q", "-c", &s.uri, line])
            .output()
            .unwrap();
        let err = |o: &std::process::Output| -> String {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| !l.starts_with("20"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
        // The clock may move between the two reads of /proc/cpuinfo.
        let steady = |t: String| -> String {
            t.lines()
                .filter(|l| !l.starts_with("CPU frequency"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        assert_eq!(
            (ours.status.code(), steady(out(&ours)), err(&ours)),
            (theirs.status.code(), steady(out(&theirs)), err(&theirs)),
            "{line}\nrvirtd log:\n{}",
            s.daemon.log()
        );
    }
}
