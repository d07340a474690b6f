//! Guest-agent calls through rvirtd from unmodified virsh, on the real Linux guest running
//! the real `qemu-ga` (`rvirt_testsupport::agent_guest`): SSH keys listed, added, removed and
//! reset in the guest's `/root/.ssh/authorized_keys`, over the remote protocol both ways.

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
}

/// Destroys the test's guest at the end, passed or failed.
struct Destroy<'a>(&'a QemuSystem);

impl Drop for Destroy<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("virsh")
            .args(["-c", &self.0.uri, "destroy", "ga"])
            .output();
    }
}
