//! qemu:///system inside rvirtd starts the domains marked autostart as the daemon starts (once
//! per host boot, as libvirtd), and real virsh reads a running QEMU guest's statistics and
//! changes its vCPUs through rvirtd.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, have, virsh_on as virsh};
use std::time::{Duration, Instant};

#[test]
fn autostart_domains_start_with_the_daemon() {
    if !have("virsh") || !have("qemu-system-x86_64") {
        eprintln!("virsh or qemu-system-x86_64 is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    {
        // Defined and marked through the embedded driver on the same state folder.
        let c = rvirt::blocking::Connect::open(&format!("qemu:///embed?root={}", state.display()))
            .unwrap();
        let dom = c
            .define_xml(
                "<domain type='qemu'><name>boot</name><memory unit='MiB'>64</memory>\
                 <vcpu current='1'>2</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
            )
            .unwrap();
        dom.set_autostart(true).unwrap();
    }
    // A new host boot: /run (and the driver's autostarted mark) is empty again.
    std::fs::remove_file(state.join("run/qemu/autostarted")).unwrap();
    let d = Daemon::start(&format!("rvirt_qemu_root = \"{}\"", state.display()));
    // No client has connected: the guest is started by the daemon alone.
    let t = Instant::now();
    while !state.join("run/qemu/boot.xml").exists() {
        assert!(t.elapsed() < Duration::from_secs(30), "not autostarted");
        std::thread::sleep(Duration::from_millis(50));
    }
    let uri = format!("qemu+unix:///system?socket={}", d.rw_socket().display());
    // A failed assertion must not leave the guest running (it outlives the daemon).
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = virsh(&self.0, &["destroy", "boot"]);
        }
    }
    let _cleanup = Cleanup(uri.clone());
    let (ok, out, err) = virsh(&uri, &["domstate", "boot"]);
    assert!(ok, "{err}");
    assert_eq!(out, "running\n\n");

    let (ok, out, err) = virsh(&uri, &["setvcpus", "boot", "2", "--live"]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = virsh(&uri, &["domstats", "boot", "--vcpu", "--cpu-total"]);
    assert!(ok, "{err}");
    for line in [
        "Domain: 'boot'\n",
        "  cpu.time=",
        "  vcpu.current=2\n  vcpu.maximum=2\n  vcpu.0.state=1\n  vcpu.0.time=",
        "  vcpu.1.state=1\n",
    ] {
        assert!(out.contains(line), "{line:?} not in {out}");
    }
    let (ok, out, err) = virsh(&uri, &["dommemstat", "boot"]);
    assert!(ok && out.contains("rss "), "{out}{err}");
    let (ok, _, err) = virsh(&uri, &["destroy", "boot"]);
    assert!(ok, "{err}");
}
