#![allow(clippy::unwrap_used)]
//! The Python examples of the "Libvirt Application Development Guide Using Python" that
//! libvirt's test driver can serve print the same through rvirtd as through libvirtd.
//!
//! `tests/guide/*.py` are our own programs, one per guide example (or per section that describes
//! calls without an example program: the `CC_sNNN_*` files); each names the section and example
//! it follows in its docstring, makes the same libvirt calls in the same order and prints the
//! same information. A script takes the connection URI as its first argument and a scratch
//! folder as its second. Each script runs twice through python3-libvirt: against a fresh real
//! libvirtd (Debian's, test driver only) and against a fresh rvirtd. Exit status, stdout and
//! stderr must be equal byte for byte once each daemon's socket path reads `$SOCKET` and the
//! scratch folder `$SCRATCH`; clock-derived figures are masked by the scripts themselves. Every
//! mismatch is collected and the test fails listing them all.
//!
//! Run some scripts only with `GUIDE_SCRIPT=substring cargo test -p rvirtd --test guide_examples`.
//!
//! Guide examples without a script here, and why:
//! - 3.5 "Connecting to a local QEMU hypervisor" is the program of 3.1: `03_01_open.py` covers
//!   both.
//! - 3.6 (qemu+tls://host2/system) needs a TLS listener on another host with x509 certificates;
//!   every script already connects through a remote URI (test+unix).
//! - 3.8, 4.26, 4.45, 4.47, 4.49, 4.51 are XML samples, not programs (4.26 is the
//!   configuration `04_27_kernel_boot_transient.py` boots; 4.35's fragment is defined and read
//!   back by `04_35_boot_mode.py`). The samples 5.11 and 7.1-7.4 are defined and read back by
//!   `05_11_volume_xml.py` and `07_s72_xml_samples.py`.
//! - 4.31-4.33 (migrate, migrateToURI) need a second host; the test driver cannot migrate and
//!   rvirt has no migration.
//! - 4.52 (PCI hostdev passthrough) needs a host PCI device to detach and a running QEMU guest;
//!   the test driver has neither.
//! - 4.53 (block jobs: blockPull, blockJobInfo) needs qemu-img, disk images and a QEMU guest; the
//!   test driver has no block jobs.
//! - 8.1 is the definition of the libvirtError class, not a program.
//! - 9.1's console (newStream, openConsole, a raw terminal, virEventAddHandle on stdin) needs a
//!   guest console and a terminal; its event handling is `09_01_lifecycle_console.py`.
//! - 9.2 (timers) has no program, and timers live in the client alone (the event scripts use
//!   one to bound the loop); chapter 10 has no program; 11.1 is a virsh command line.
//!
//! Chapters 5-7 use the guide's names where the test driver has them, else its own: the pool
//! "default" is "default-pool", the interfaces "eth0", "eth2" and "br0" are "eth1". Where an
//! example lists an empty pool, the script creates volumes first. Example 7.17 prints 7.13's
//! program again under the title "Temporarily bring down eth2, then bring it back up":
//! `07_17_interface_down_up.py` does what the title and sections 7.5.1-7.5.2 say (destroy,
//! then create). Every chapter 5-7 example has a script.
//!
//! Some scripts follow examples the test driver refuses (3.20 compareCPU, 3.23
//! getMemoryParameters, 3.24 getMemoryStats; 5.9 and 5.10 wipe; the INACTIVE flag of a pool's
//! and an interface's XMLDesc in 5.3 and 7.10; 5.4's undefine of a running pool; 7.14 and 7.16
//! without a change transaction): there rvirtd must refuse the same way.

mod common;

use common::{Daemon, Libvirtd, PYTHON};
use rvirt_testsupport::{WORKERS, on_workers};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a script may run: they finish in well under a second (an event script that misses
/// all its events waits 2 s per step).
const SCRIPT_DEADLINE: Duration = Duration::from_secs(20);

fn guide_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/guide")
        .canonicalize()
        .unwrap()
}

/// What one run of a script showed.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: String,
    stdout: String,
    stderr: String,
}

/// Reads a child's pipe to the end on its own thread, so a chatty script never blocks.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Runs `script` against the daemon listening on `socket`, with a fresh scratch folder, and
/// masks the socket path and the scratch folder in what it printed.
fn run(script: &Path, socket: &Path) -> Outcome {
    let scratch = tempfile::tempdir().unwrap();
    let uri = format!("test+unix:///default?socket={}", socket.display());
    let mut child = Command::new(PYTHON)
        .arg(script)
        .arg(&uri)
        .arg(scratch.path())
        .current_dir(guide_dir())
        .env_remove("LIBVIRT_DEFAULT_URI")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break format!("{st}");
        }
        if start.elapsed() > SCRIPT_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break format!("killed after {SCRIPT_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mask = |bytes: Vec<u8>| {
        String::from_utf8_lossy(&bytes)
            .replace(&socket.display().to_string(), "$SOCKET")
            .replace(&scratch.path().display().to_string(), "$SCRATCH")
    };
    Outcome {
        status,
        stdout: mask(out.join().unwrap()),
        stderr: mask(err.join().unwrap()),
    }
}

/// The first line where `expected` and `got` part, with a little context.
fn first_difference(expected: &str, got: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let at = e
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(e.len().min(g.len()));
    let show = |lines: &[&str]| {
        let shown: Vec<String> = lines
            .iter()
            .skip(at.saturating_sub(1))
            .take(6)
            .map(|l| format!("      | {l}"))
            .collect();
        if shown.is_empty() {
            "      (nothing)".to_string()
        } else {
            shown.join("\n")
        }
    };
    format!(
        "    from line {}:\n    libvirtd:\n{}\n    rvirtd:\n{}",
        at + 1,
        show(&e),
        show(&g)
    )
}

/// How `got` differs from `expected`, stream by stream; empty when they agree.
fn differences(expected: &Outcome, got: &Outcome) -> Vec<String> {
    let mut d = Vec::new();
    if expected.status != got.status {
        d.push(format!(
            "  exit status: libvirtd {}, rvirtd {}",
            expected.status, got.status
        ));
    }
    for (name, e, g) in [
        ("stdout", &expected.stdout, &got.stdout),
        ("stderr", &expected.stderr, &got.stderr),
    ] {
        if e != g {
            d.push(format!("  {name}:\n{}", first_difference(e, g)));
        }
    }
    d
}

/// Scripts whose calls rvirt does not serve yet, with the call; each must still differ, so that
/// this list shrinks as the calls arrive.
const KNOWN_GAPS: &[(&str, &str)] = &[];

/// One script through a fresh libvirtd and a fresh rvirtd: what is wrong, if anything (a
/// difference, or a known gap that is one no longer).
fn script_failure(script: &Path) -> Option<String> {
    // Fresh daemons per script: every script starts from the default machine.
    let libvirtd = Libvirtd::start();
    let expected = run(script, &libvirtd.rw_socket());
    drop(libvirtd);
    let daemon = Daemon::start("");
    let got = run(script, &daemon.rw_socket());
    let diff = differences(&expected, &got);
    let name = script.file_name().unwrap().to_string_lossy().to_string();
    let gap = KNOWN_GAPS.iter().find(|(n, _)| *n == name);
    match (diff.is_empty(), gap) {
        (true, None) | (false, Some(_)) => None,
        (false, None) => Some(format!("{name}:\n{}", diff.join("\n"))),
        (true, Some((_, call))) => Some(format!(
            "{name} now matches libvirtd: {call} works; take it off KNOWN_GAPS"
        )),
    }
}

#[test]
fn guide_examples_print_the_same_through_rvirtd_as_through_libvirtd() {
    if Command::new(PYTHON)
        .args(["-c", "import libvirt"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        panic!("{PYTHON} cannot import libvirt: apt-get install python3-libvirt");
    }
    let filter = std::env::var("GUIDE_SCRIPT").unwrap_or_default();
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(guide_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no script matches {filter:?}");
    // Scripts are independent (fresh daemons each) and mostly wait on them: four at once.
    let failures: Vec<String> = on_workers(&scripts, WORKERS, |_, script| script_failure(script))
        .into_iter()
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} guide scripts print differently through rvirtd:\n\n{}",
        failures.len(),
        scripts.len(),
        failures.join("\n\n")
    );
    eprintln!(
        "{} guide scripts print the same through rvirtd as through libvirtd",
        scripts.len()
    );
}
