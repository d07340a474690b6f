//! Calls through rvirtd from unmodified clients on the real Linux guest running the real
//! `qemu-ga` (`rvirt_testsupport::agent_guest`): with virsh, SSH keys listed, added, removed
//! and reset in the guest's `/root/.ssh/authorized_keys`, over the remote protocol both ways;
//! with python3-libvirt, suspend to RAM and wake-up with their events, and the guest's own
//! virtio-mem driver plugging and unplugging memory, beside libvirt's QEMU driver.

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

/// The agent guest (named `mem`) with guest NUMA, room for memory devices and a virtio-mem
/// device of 256 MiB that starts with nothing plugged; its console goes to `console`.
fn virtio_mem_guest(console: &std::path::Path) -> String {
    let xml = rvirt_testsupport::agent_guest_xml(
        "mem",
        &console.to_string_lossy(),
        "<memory model='virtio-mem'><target><size unit='MiB'>256</size><node>0</node>\
         <block unit='MiB'>2</block><requested unit='MiB'>0</requested></target></memory>",
    );
    let fixed = xml
        .replacen(
            "<memory unit='MiB'>256</memory>",
            "<maxMemory slots='2' unit='MiB'>1024</maxMemory><memory unit='MiB'>512</memory>",
            1,
        )
        .replacen(
            "</features>",
            "</features><cpu><numa><cell id='0' cpus='0-1' memory='256' unit='MiB'/></numa>\
             </cpu>",
            1,
        );
    assert_eq!(fixed.matches("<cpu>").count(), 1, "{fixed}");
    fixed
}

/// Starts the guest of `sys.argv[2]` on `sys.argv[1]`, asks its virtio-mem device for 128 MiB
/// and then for none; after each, once the memory-device-size-change event reports the size
/// asked for, prints the last event, the (domain, alias) pairs of all events so far, the
/// device's live `<current>` and the domain's `<currentMemory>`. Destroys the guest at the end.
const VIRTIO_MEM_SCRIPT: &str = r#"
import libvirt, re, sys, threading, time
libvirt.virEventRegisterDefaultImpl()
c = libvirt.open(sys.argv[1])
d = c.createXML(open(sys.argv[2]).read(), 0)
seen = []
c.domainEventRegisterAny(d, libvirt.VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
                         lambda c, dom, alias, size, o: seen.append((dom.name(), alias, size)),
                         None)
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
def pick(pattern):
    return int(re.search(pattern, d.XMLDesc(0)).group(1))
try:
    for kib in (131072, 0):
        dev = re.search(r"<memory model='virtio-mem'>.*?</memory>", d.XMLDesc(0), re.S).group(0)
        dev = re.sub(r"<requested unit='KiB'>\d+</requested>",
                     "<requested unit='KiB'>%d</requested>" % kib, dev)
        d.updateDeviceFlags(dev, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        end = time.time() + 90
        while time.time() < end and (not seen or seen[-1][2] != kib):
            time.sleep(0.05)
        print(seen[-1] if seen else None, sorted(set(s[:2] for s in seen)))
        print(pick(r"<current unit='KiB'>(\d+)</current>"),
              pick(r"<currentMemory unit='KiB'>(\d+)</currentMemory>"))
finally:
    d.destroy()
"#;

/// The guest's own virtio-mem driver plugs the memory its device is asked for, and unplugs it
/// again: python3-libvirt through rvirtd sees the memory-device-size-change events, the
/// device's live `<current>` and the domain's current memory that libvirt's QEMU driver gives
/// for the same guest and calls.
#[test]
fn virtio_mem_plugged_by_the_guest_is_reported_as_by_libvirt() {
    if !rvirt_testsupport::have_virsh_and_qemu() {
        return;
    }
    let s = QemuSystem::new();
    let lv = tempfile::tempdir().unwrap();
    let libvirt = rvirt_testsupport::libvirt_embed_root(lv.path());
    let run = |uri: &str, dir: &std::path::Path| {
        let xml = dir.join("mem.xml");
        std::fs::write(&xml, virtio_mem_guest(&dir.join("console.log"))).unwrap();
        let out = std::process::Command::new("timeout")
            .args([
                "240",
                rvirt_testsupport::PYTHON,
                "-c",
                VIRTIO_MEM_SCRIPT,
                uri,
            ])
            .arg(&xml)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{uri}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let embed = format!("qemu:///embed?root={}", lv.path().display());
    let (ours, theirs) = std::thread::scope(|t| {
        let theirs = t.spawn(|| libvirt.then(|| run(&embed, lv.path())));
        (run(&s.uri, &s.root), theirs.join().unwrap())
    });
    // 256 MiB of NUMA memory (the balloon, whose driver the guest does not load) and what the
    // device has plugged.
    assert_eq!(
        ours,
        "('mem', 'virtiomem0', 131072) [('mem', 'virtiomem0')]\n131072 393216\n\
         ('mem', 'virtiomem0', 0) [('mem', 'virtiomem0')]\n0 262144\n"
    );
    if let Some(theirs) = theirs {
        assert_eq!(ours, theirs);
    }
}
