//! Socket activation as systemd does it (`LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`), driven
//! by systemd's own `systemd-socket-activate`: rvirtd serves the sockets it is handed, read-only
//! or with TLS where the name says so, makes none of its own, and leaves the handed ones in place when it
//! stops, as libvirtd does.

#![allow(clippy::unwrap_used)]

mod common;

use common::have;
use common::pki::{Pki, free_port};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ACTIVATE: &str = "/usr/bin/systemd-socket-activate";

fn virsh(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new("virsh").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn wait_for(p: &Path) {
    let start = Instant::now();
    while !p.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no {}",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn rvirtd_serves_the_sockets_systemd_hands_it() {
    if !have(ACTIVATE) || !have("virsh") {
        eprintln!("skipped: needs {ACTIVATE} and virsh");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own");
    let conf = dir.path().join("rvirtd.conf");
    let pki = Pki::new();
    std::fs::write(
        &conf,
        format!(
            "unix_sock_dir = \"{}\"\n{}",
            own.display(),
            pki.server_config("server")
        ),
    )
    .unwrap();
    let port = free_port();
    let rw = dir.path().join("rw.sock");
    let ro = dir.path().join("ro.sock");
    let mut activator = Command::new(ACTIVATE)
        .arg("-l")
        .arg(&rw)
        .arg("-l")
        .arg(&ro)
        .arg("-l")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--fdname=rvirtd.socket:rvirtd-ro.socket:rvirtd-tls.socket")
        .arg(env!("CARGO_BIN_EXE_rvirtd"))
        .arg("-f")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&rw);
    wait_for(&ro);

    // The first connection starts the daemon, which then serves both sockets.
    let rw_uri = format!("test+unix:///default?socket={}", rw.display());
    let ro_uri = format!("test+unix:///default?socket={}", ro.display());
    let want = virsh(&["-c", "test:///default", "list", "--all"]);
    assert_eq!(virsh(&["-c", &rw_uri, "list", "--all"]), want);
    assert_eq!(virsh(&["-c", &ro_uri, "list", "--all"]), want);
    let (code, _, err) = virsh(&["-c", &ro_uri, "suspend", "test"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("read only access prevents virDomainSuspend"),
        "{err}"
    );
    let (code, out, _) = virsh(&["-c", &rw_uri, "suspend", "test"]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "Domain 'test' suspended\n\n")
    );
    assert!(
        !own.join("libvirt-sock").exists(),
        "made a socket of its own"
    );
    // The TCP socket named like rvirtd-tls.socket is served with TLS. (Each virsh is a connection
    // of its own, and test:///default starts afresh once its last connection closes.)
    let tls_uri = format!(
        "test+tls://localhost:{port}/default?pkipath={}",
        pki.path("client").display()
    );
    let (code, out, err) = virsh(&["-c", &tls_uri, "domstate", "test"]);
    assert_eq!((code, out.as_str()), (Some(0), "running\n\n"), "{err}");

    // SIGTERM stops the daemon (it took the activator's place); the sockets systemd made stay.
    // SAFETY: signalling a child of this test.
    unsafe { libc::kill(activator.id() as i32, libc::SIGTERM) };
    let start = Instant::now();
    while activator.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "rvirtd did not stop"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(rw.exists() && ro.exists());
}
