//! Node device lifecycle events of the real host through rvirtd's `qemu:///system`, with
//! Debian's libvirtd (its udev node device backend) as the oracle: python3-libvirt registers
//! for node device events on both daemons, an interface of type `ifb` is added, announced
//! again (`change` written to its `uevent` file), renamed and removed with `ip link`, and both
//! must report the same events (created `net_<name>_<mac>`; updated; on the rename deleted,
//! and created under the new name; deleted), list the device with the same XML at each step,
//! and no longer list it after.
//!
//! libvirt hears udevd's re-sent events, not the kernel's; on a host with no udevd (these CI
//! machines) `tests/oracle/udev_relay.py` plays udevd's part for libvirtd. rvirt listens to
//! the kernel there.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, Libvirtd, PYTHON, have};
use rvirt_host::uevent::UeventGroup;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const ORACLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/oracle");

/// A child process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the udevd stand-in and waits until it listens.
fn udev_relay() -> Killed {
    let mut child = Command::new(PYTHON)
        .arg(format!("{ORACLE}/udev_relay.py"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    Killed(child)
}

/// Whether this host lets root add an `ifb` interface (a kernel without the module does not).
fn can_add_ifb(name: &str) -> bool {
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    ip(&["link", "add", name, "type", "ifb"]) && ip(&["link", "del", name])
}

#[test]
fn an_interface_added_and_removed_raises_the_events_libvirtd_raises() {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !have("ip") {
        eprintln!("skipping: adding interfaces needs root and ip(8)");
        return;
    }
    let ifname = format!("rvt{}", std::process::id() % 100_000);
    if !can_add_ifb(&ifname) {
        eprintln!("skipping: `ip link add … type ifb` does not work here");
        return;
    }
    let libvirtd = match Libvirtd::try_start_with_host_drivers(&["nodedev"]) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: libvirtd with its node device driver cannot run here: {e}");
            return;
        }
    };
    let udevd_runs = UeventGroup::for_host() == UeventGroup::Udev;
    let _relay = (!udevd_runs).then(udev_relay);
    let root = tempfile::tempdir().unwrap();
    let rvirtd = Daemon::start(&format!("rvirt_qemu_root = \"{}\"", root.path().display()));
    let ours = format!(
        "qemu+unix:///system?socket={}",
        rvirtd.rw_socket().display()
    );
    let theirs = format!(
        "nodedev+unix:///system?socket={}",
        libvirtd.socket().display()
    );

    let out = Command::new("timeout")
        .arg("90")
        .arg(PYTHON)
        .arg(format!("{ORACLE}/nodedev_host_events.py"))
        .args([&ours, &theirs, &ifname])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\nrvirtd:\n{}\nlibvirtd:\n{}",
        String::from_utf8_lossy(&out.stderr),
        rvirtd.log(),
        libvirtd.log()
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mac = v["mac"].as_str().unwrap().replace(':', "_");
    let name = format!("net_{ifname}_{mac}");
    let renamed = format!("net_{ifname}r_{mac}");
    let (rvirt, libvirt) = (&v["results"][0], &v["results"][1]);

    // The oracle first: what libvirt does is what rvirt must do.
    assert_eq!(
        libvirt["events"],
        json!([
            ["lifecycle", name, 0, 0],
            ["update", name],
            ["lifecycle", name, 1, 0],
            ["lifecycle", renamed, 0, 0],
            ["lifecycle", renamed, 1, 0]
        ]),
        "libvirtd's events"
    );
    assert_eq!(rvirt["events"], libvirt["events"], "rvirtd's events");
    for (step, listed) in [("added", &name), ("renamed", &renamed)] {
        assert_eq!(
            rvirt[step].as_object().unwrap().keys().collect::<Vec<_>>(),
            [listed],
            "{step}"
        );
        assert_eq!(rvirt[step], libvirt[step], "the device's XML once {step}");
    }
    assert_eq!(rvirt["removed"], json!({}));
    assert_eq!(libvirt["removed"], json!({}));
}
