//! `virConnectRegisterCloseCallback` through the remote driver. libvirt's own client
//! (python3-libvirt) against libvirtd is the oracle: rvirt's remote driver and rvirtd, in every
//! pairing with the real ones, give the same registration answers and the same close reason when
//! the daemon is killed.

#![allow(clippy::unwrap_used)]

mod common;

use common::Daemon;
use rvirt_testsupport::{Libvirtd, PYTHON};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/oracle/close_callback.py"
);

/// What `close_callback.py` prints for `uri`, with `kill` run once it is ready.
fn python_transcript(uri: &str, kill: impl FnOnce()) -> String {
    let mut child = Command::new(PYTHON)
        .arg(SCRIPT)
        .env("URI", uri)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut transcript = String::new();
    loop {
        let mut line = String::new();
        assert_ne!(out.read_line(&mut line).unwrap(), 0, "{transcript}");
        transcript.push_str(&line);
        if line == "ready\n" {
            break;
        }
    }
    kill();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    child.wait().unwrap();
    transcript + &rest
}

/// The same steps through rvirt's API, printed the same way.
fn rvirt_transcript(uri: &str, kill: impl FnOnce()) -> String {
    let c = rvirt::blocking::Connect::open(uri).unwrap();
    let show = |r: rvirt::Result<()>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{} {} {}", e.code.0, e.domain.0, e.message),
    };
    let (tx, rx) = mpsc::channel();
    let mut t = format!("unregister-none {}\n", show(c.unregister_close_callback()));
    let tx2 = tx.clone();
    t += &format!(
        "register {}\n",
        show(c.register_close_callback(move |r| tx.send(r.0).unwrap()))
    );
    t += &format!(
        "register-again {}\n",
        show(c.register_close_callback(move |r| tx2.send(r.0).unwrap()))
    );
    t += "ready\n";
    kill();
    let got: Vec<i32> = rx
        .recv_timeout(Duration::from_secs(20))
        .into_iter()
        .collect();
    t + &format!("reason {got:?}\n")
}

fn sigkill(pid: u32) {
    // SAFETY: kill(2) on the pid of a daemon this test started and has not reaped.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
}

#[test]
fn the_close_callback_reports_a_killed_daemon_as_libvirt_does() {
    let uri =
        |socket: &std::path::Path| format!("test+unix:///default?socket={}", socket.display());
    let want = {
        let l = Libvirtd::start();
        python_transcript(&uri(&l.rw_socket()), || sigkill(l.pid()))
    };
    // libvirt registers one callback, refuses a second, and reports end of file.
    assert!(want.contains("register-again 55 "), "{want}");
    assert!(want.ends_with("reason [1]\n"), "{want}");

    let d = Daemon::start("");
    assert_eq!(python_transcript(&d.uri(), || sigkill(d.pid())), want);
    let d = Daemon::start("");
    assert_eq!(rvirt_transcript(&d.uri(), || sigkill(d.pid())), want);
    let l = Libvirtd::start();
    assert_eq!(
        rvirt_transcript(&uri(&l.rw_socket()), || sigkill(l.pid())),
        want
    );
}

#[test]
fn local_drivers_accept_a_close_callback_and_never_call_it() {
    let c = rvirt::blocking::Connect::open("test:///default").unwrap();
    c.unregister_close_callback().unwrap();
    c.register_close_callback(|_| panic!("called")).unwrap();
    c.register_close_callback(|_| panic!("called")).unwrap();
    c.unregister_close_callback().unwrap();
}
