//! Guest-agent calls through rvirtd from unmodified clients, on the real Linux guest running
//! the real `qemu-ga` (`rvirt_testsupport::agent_guest`): with virsh, SSH keys listed, added,
//! removed and reset in the guest's `/root/.ssh/authorized_keys`, over the remote protocol both
//! ways; with python3-libvirt, suspend to RAM and wake-up with their events.

#![allow(clippy::unwrap_used)]

mod common;

use common::QemuSystem;

const KEY_1: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1rvirtdkeyoneAAAAAAAAAAAAAAAAAAAAAAAAAA one@rvirtd";
const KEY_2: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2rvirtdkeytwoAAAAAAAAAAAAAAAAAAAAAAAAAA two@rvirtd";

#[test]
fn ssh_keys_through_rvirtd_reach_the_guest() {
    if !rvirt_testsupport::have_virsh_and_qemu() {
        return;
    }
    let s = QemuSystem::new();
    let console = s.root.join("console.log");
    let xml = s.write(
        "ga.xml",
        &rvirt_testsupport::agent_guest_xml("ga", &console.to_string_lossy(), ""),
    );
    let one = s.write("k1", KEY_1);
    let both = s.write("k12", &format!("{KEY_1}\n{KEY_2}"));
    s.virsh(&["create", &xml.to_string_lossy()]);
    let _stop = Destroy(&s);
    s.virsh(&[
        "event",
        "ga",
        "--event",
        "agent-lifecycle",
        "--timeout",
        "60",
    ]);
    // The guest's root has no authorized keys file yet: the agent's refusal comes back as
    // libvirt reports it.
    let err = s.virsh_fails(&["get-user-sshkeys", "ga", "root"]);
    assert!(
        err.contains(
            "error: internal error: unable to execute QEMU agent command \
             'guest-ssh-get-authorized-keys': failed to read '/root/.ssh/authorized_keys'"
        ),
        "{err}"
    );
    s.virsh(&[
        "set-user-sshkeys",
        "ga",
        "root",
        "--file",
        &both.to_string_lossy(),
    ]);
    let keys = s.virsh(&["get-user-sshkeys", "ga", "root"]);
    assert!(keys.contains(KEY_1) && keys.contains(KEY_2), "{keys}");
    s.virsh(&[
        "set-user-sshkeys",
        "ga",
        "root",
        "--remove",
        "--file",
        &one.to_string_lossy(),
    ]);
    let keys = s.virsh(&["get-user-sshkeys", "ga", "root"]);
    assert!(!keys.contains(KEY_1) && keys.contains(KEY_2), "{keys}");
    s.virsh(&["set-user-sshkeys", "ga", "root", "--reset"]);
    assert_eq!(s.virsh(&["get-user-sshkeys", "ga", "root"]).trim(), "");
    let err = s.virsh_fails(&["get-user-sshkeys", "ga", "nosuchuser"]);
    assert!(err.contains("'guest-ssh-get-authorized-keys'"), "{err}");

    // Suspend to RAM and wake up, watched by python3-libvirt's event callbacks.
    let out = std::process::Command::new("timeout")
        .args(["60", rvirt_testsupport::PYTHON, "-c", PM_SCRIPT, &s.uri])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pmsuspended (unknown), then running (wakeup); PMSUSPEND, lifecycle PMSUSPENDED/MEMORY,
    // PMWAKEUP, lifecycle STARTED/WAKEUP.
    assert_eq!(
        text,
        "[7, 0]\n[1, 8]\n[(12, 0), (0, 7, 0), (11, 0), (0, 2, 4)]\n"
    );
}

/// Suspends guest `ga` to RAM and wakes it up through `sys.argv[1]`; prints the state after
/// each, then the events seen: (id, reason) or (0, event, detail) for lifecycle ones.
const PM_SCRIPT: &str = r#"
import libvirt, sys, threading, time
libvirt.virEventRegisterDefaultImpl()
c = libvirt.open(sys.argv[1])
d = c.lookupByName('ga')
seen = []
def watch(ev):
    return lambda *a: seen.append((ev,) + tuple(a[2:-1]))
for ev in (libvirt.VIR_DOMAIN_EVENT_ID_PMSUSPEND, libvirt.VIR_DOMAIN_EVENT_ID_PMWAKEUP,
           libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE):
    c.domainEventRegisterAny(d, ev, watch(ev), None)
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
d.pMSuspendForDuration(libvirt.VIR_NODE_SUSPEND_TARGET_MEM, 0, 0)
print(list(d.state()))
d.pMWakeup(0)
end = time.time() + 30
while time.time() < end and d.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
    time.sleep(0.05)
time.sleep(0.5)
print(list(d.state()))
print(seen)
"#;

/// Destroys the test's guest at the end, passed or failed.
struct Destroy<'a>(&'a QemuSystem);

impl Drop for Destroy<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("virsh")
            .args(["-c", &self.0.uri, "destroy", "ga"])
            .output();
    }
}
