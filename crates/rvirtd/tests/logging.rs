//! libvirt-style logging settings (`log_level`, `log_filters`, `log_outputs`) through a real
//! daemon and a real client.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, PYTHON};
use std::process::Command;

fn connect_and_close(uri: &str) {
    rvirt_testsupport::output_ok(Command::new(PYTHON)
        .args([
            "-c",
            "import sys, libvirt\nc = libvirt.open(sys.argv[1])\nc.lookupByName('test').info()\nc.close()",
            uri,
        ]));
}

/// Waits until `log` (re-read) contains `what`.
fn wait_for(log: impl Fn() -> String, what: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let text = log();
        if text.contains(what) || start.elapsed() > std::time::Duration::from_secs(10) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_filter_raises_one_source_to_debug() {
    // 1:rpc: debug messages of the socket layer only; the rest stays at log_level 3 (warnings).
    let d = Daemon::start("log_filters = \"1:rpc\"");
    connect_and_close(&d.uri());
    let log = wait_for(|| d.log(), "client closed the connection");
    assert!(
        log.contains("DEBUG rvirtd::session: client closed the connection"),
        "{log}"
    );
    for line in log
        .lines()
        .filter(|l| l.contains("DEBUG") || l.contains("INFO"))
    {
        assert!(line.contains(" rvirtd::session"), "{line}\nin:\n{log}");
    }
}

#[test]
fn a_file_output_gets_the_lines_at_its_priority() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rvirtd.log");
    // The output's priority 2 (info) is the default level; 4:rpc silences the socket layer.
    let d = Daemon::start(&format!(
        "log_filters = \"4:rpc\"\nlog_outputs = \"2:file:{}\"",
        file.display()
    ));
    connect_and_close(&d.uri());
    let read = || std::fs::read_to_string(&file).unwrap_or_default();
    let log = wait_for(read, "ready");
    assert!(log.contains("INFO rvirtd::server: rvirtd"), "{log}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = read();
    assert!(!log.contains("DEBUG"), "{log}");
    assert!(!log.contains("rvirtd::session"), "{log}");
    // Nothing went to stderr.
    assert!(d.log().is_empty(), "{}", d.log());
}

#[test]
fn bad_settings_stop_the_daemon_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    for (line, expect) in [
        ("log_filters = \"9:rpc\"", "invalid log filter '9:rpc'"),
        ("log_filters = \"rpc\"", "invalid log filter 'rpc'"),
        ("log_level = 7", "invalid log_level 7"),
        ("log_outputs = \"1:syslog:rvirtd\"", "invalid log output"),
    ] {
        let conf = dir.path().join("rvirtd.conf");
        std::fs::write(
            &conf,
            format!(
                "unix_sock_dir = \"{}\"\n{line}\n",
                dir.path().join("sock").display()
            ),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_rvirtd"))
            .arg("-f")
            .arg(&conf)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{line}");
        assert!(err.contains(expect), "{line}: {err}");
        assert!(!dir.path().join("sock/libvirt-sock").exists(), "{line}");
    }
}
