//! rvirtd killed with SIGKILL and started again on the same `rvirt_qemu_root`: the guests it
//! ran keep running (the same QEMU processes), and the new daemon has reattached to them at
//! startup: python3-libvirt sees them running with their ids, suspends, resumes and destroys
//! them and gets their lifecycle events, and a QEMU killed afterwards is a crash within a
//! second (watched through pidfd_open: the QEMU is no longer the daemon's child).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, PYTHON, have};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn guest(name: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os></domain>"
    )
}

/// The QEMU pid a status file records.
fn pid_of(state: &Path, name: &str) -> i32 {
    let text = std::fs::read_to_string(state.join(format!("run/qemu/{name}.xml"))).unwrap();
    let at = text.find("pid='").unwrap() + 5;
    text[at..].split('\'').next().unwrap().parse().unwrap()
}

fn alive(pid: i32) -> bool {
    // A zombie waiting for PID 1 to reap it still has a pid: look at its state too.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()))
        .is_some_and(|r| !r.starts_with('Z'))
}

fn parent_of(pid: i32) -> i32 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = s.rsplit_once(')').unwrap();
    rest.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// How many pidfds a process holds.
fn pidfds_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy() == "anon_inode:[pidfd]")
        })
        .count()
}

/// Kills the QEMU processes this test started, whatever happens to the test.
struct Guests(Vec<i32>);

impl Drop for Guests {
    fn drop(&mut self) {
        for &pid in &self.0 {
            if alive(pid) {
                // SAFETY: kill(2) of a QEMU this test started (checked alive just above).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const START: &str = r#"
import libvirt, sys
c = libvirt.open(sys.argv[1])
p = c.defineXML(sys.argv[2])
p.create()
t = c.createXML(sys.argv[3], 0)
t.suspend()
print(p.ID(), t.ID())
"#;

const AFTER_RESTART: &str = r#"
import libvirt, os, signal, sys, threading, time
uri, p_pid = sys.argv[1], int(sys.argv[2])
libvirt.virEventRegisterDefaultImpl()
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
c = libvirt.open(uri)
seen = []
cond = threading.Condition()
def on_event(conn, dom, event, detail, opaque):
    with cond:
        seen.append((dom.name(), event, detail))
        cond.notify_all()
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_event, None)
def wait_for(ev, limit):
    t = time.monotonic()
    with cond:
        while ev not in seen:
            left = limit - (time.monotonic() - t)
            assert left > 0, ("no event", ev, seen)
            cond.wait(left)
    return time.monotonic() - t
doms = {d.name(): d for d in c.listAllDomains(0)}
assert sorted(doms) == ["p", "t"], sorted(doms)
p, t = doms["p"], doms["t"]
# The status file keeps the running reason, as libvirtd's does across its restarts.
assert p.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_BOOTED], p.state()
# And the reason of a pause made before the daemon died.
assert t.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER], t.state()
assert p.isPersistent() == 1 and t.isPersistent() == 0
print(p.ID(), t.ID())
p.suspend()
assert p.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER], p.state()
wait_for(("p", libvirt.VIR_DOMAIN_EVENT_SUSPENDED, libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED), 5)
p.resume()
assert p.state()[0] == libvirt.VIR_DOMAIN_RUNNING, p.state()
wait_for(("p", libvirt.VIR_DOMAIN_EVENT_RESUMED, libvirt.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED), 5)
t.destroy()
wait_for(("t", libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED), 5)
assert sorted(d.name() for d in c.listAllDomains(0)) == ["p"]
# The reattached QEMU is not the daemon's child: its end is seen through its pidfd.
os.kill(p_pid, signal.SIGKILL)
took = wait_for(("p", libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_STOPPED_FAILED), 1.0)
assert p.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_CRASHED], p.state()
print("crash seen after %.0f ms" % (took * 1000))
p.undefine()
"#;

#[test]
fn guests_survive_a_killed_daemon_and_are_reattached() {
    if !have(PYTHON) {
        eprintln!("skipped: {PYTHON} with python3-libvirt is missing");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let state: PathBuf = root.path().join("state");
    let conf = format!("rvirt_qemu_root = \"{}\"", state.display());
    let uri = |d: &Daemon| format!("qemu+unix:///system?socket={}", d.rw_socket().display());

    let first = Daemon::start(&conf);
    let ids = python(START, &[&uri(&first), &guest("p"), &guest("t")]);
    let pids = [pid_of(&state, "p"), pid_of(&state, "t")];
    let _guests = Guests(pids.to_vec());
    for pid in pids {
        assert_eq!(
            parent_of(pid),
            first.pid() as i32,
            "QEMU is rvirtd's own child"
        );
    }

    // The status file records t's pause (written after the call returned).
    let t0 = Instant::now();
    let status = state.join("run/qemu/t.xml");
    while !std::fs::read_to_string(&status).is_ok_and(|x| x.contains("state='3' reason='1'")) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the status file does not record the pause: {:?}",
            std::fs::read_to_string(&status)
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    // SIGKILL: the daemon gets no chance to clean up (dropping `first` reaps it).
    let daemon_pid = first.pid() as i32;
    // SAFETY: kill(2) of the daemon this test started.
    unsafe { libc::kill(daemon_pid, libc::SIGKILL) };
    drop(first);
    for pid in pids {
        assert!(alive(pid), "QEMU {pid} died with the daemon");
        assert_ne!(parent_of(pid), daemon_pid);
    }

    let second = Daemon::start(&conf);
    // Reattached at startup, before any client: the daemon holds a pidfd per guest.
    let t = Instant::now();
    while pidfds_of(second.pid()) < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no pidfds; log:\n{}",
            second.log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!([pid_of(&state, "p"), pid_of(&state, "t")], pids);
    let out = python(AFTER_RESTART, &[&uri(&second), &pids[0].to_string()]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), ids.lines().next(), "ids kept: {out}");
    assert!(
        lines.next().unwrap().starts_with("crash seen after"),
        "{out}"
    );
    assert!(second.log().is_empty(), "daemon log:\n{}", second.log());
    assert!(!state.join("run/qemu/p.xml").exists());
    assert!(!state.join("run/qemu/t.xml").exists());
}
