//! The host's node devices and interfaces through rvirtd's `qemu:///system`, asked by Debian's
//! virsh on the read-write and the read-only socket: the names rvirt-host reads, each device's
//! XML, and libvirt's refusal of what a read-only connection may not do. (What the XML must
//! be is checked against libvirtd itself in rvirt-driver-qemu's `host_devices` test.)

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, have, virsh_on as virsh};

#[test]
fn virsh_lists_the_hosts_devices_and_interfaces() {
    if !have("virsh") {
        eprintln!("virsh is missing: apt-get install libvirt-clients");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let d = Daemon::start(&format!("rvirt_qemu_root = \"{}\"", root.path().display()));
    let rw = format!("qemu+unix:///system?socket={}", d.rw_socket().display());
    let ro = format!("qemu+unix:///system?socket={}", d.ro_socket().display());

    let mut want: Vec<String> = rvirt_host::nodedev::read_devices()
        .into_iter()
        .map(|d| d.name)
        .collect();
    want.sort();
    for uri in [&rw, &ro] {
        let (ok, out, err) = virsh(uri, &["nodedev-list"]);
        assert!(ok, "{err}");
        let got: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(got, want, "{uri}");
    }
    let (ok, out, err) = virsh(&ro, &["nodedev-dumpxml", "computer"]);
    assert!(
        ok && out.contains("<capability type='system'>"),
        "{out}{err}"
    );
    let (ok, _, err) = virsh(&ro, &["nodedev-detach", &want[want.len() - 1]]);
    assert!(!ok && err.contains("read only access prevents"), "{err}");

    let ifaces = rvirt_host::iface::list(&rvirt_host::udev::HostPaths::host());
    let (ok, out, err) = virsh(&rw, &["iface-list", "--all"]);
    assert!(ok, "{err}");
    for i in &ifaces {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(&i.name)),
            "{} missing from\n{out}",
            i.name
        );
    }
    if let Some(i) = ifaces.first() {
        let (ok, out, err) = virsh(&ro, &["iface-dumpxml", &i.name]);
        assert!(
            ok && out.contains(&format!("name='{}'", i.name)),
            "{out}{err}"
        );
    }
    let (ok, _, err) = virsh(&rw, &["iface-begin"]);
    assert!(
        !ok && err.contains("this function is not supported by the connection driver"),
        "{err}"
    );
}
