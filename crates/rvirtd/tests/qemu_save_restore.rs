//! Real clients save and restore a real QEMU guest through rvirtd (`qemu:///system`, state
//! under `rvirt_qemu_root`): unmodified virsh and python3-libvirt start, suspend, save,
//! restore, resume, managed-save and destroy a tiny TCG guest, checking state and output at
//! each step.

#![allow(clippy::unwrap_used)]

mod common;

use common::{PYTHON, QemuSystem, have};
use std::path::{Path, PathBuf};
use std::process::Command;

fn have_tools() -> bool {
    for p in [PYTHON, "virsh", "qemu-system-x86_64"] {
        if !have(p) {
            eprintln!(
                "{p} is missing: apt-get install python3-libvirt libvirt-clients qemu-system-x86"
            );
            return false;
        }
    }
    true
}

/// A 64 MiB guest without disk named `name`, written to a scratch file; its path.
fn guest_xml(s: &QemuSystem, name: &str) -> PathBuf {
    s.write(
        &format!("{name}.xml"),
        &format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os></domain>"
        ),
    )
}

fn domstate(s: &QemuSystem, name: &str) -> String {
    s.virsh(&["domstate", name, "--reason"]).trim().to_string()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn virsh_saves_and_restores_a_qemu_guest() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    let xml = guest_xml(&s, "vg");
    s.virsh(&["define", p(&xml)]);
    s.virsh(&["start", "vg"]);
    assert_eq!(domstate(&s, "vg"), "running (booted)");
    s.virsh(&["suspend", "vg"]);
    assert_eq!(domstate(&s, "vg"), "paused (user)");
    let img = s.root.join("vg.save");
    let out = s.virsh(&["save", "vg", p(&img)]);
    assert!(
        out.contains(&format!("Domain 'vg' saved to {}", p(&img))),
        "{out}"
    );
    assert_eq!(domstate(&s, "vg"), "shut off (saved)");
    let dumped = s.virsh(&["save-image-dumpxml", p(&img)]);
    assert!(dumped.contains("<name>vg</name>"), "{dumped}");
    let out = s.virsh(&["restore", p(&img)]);
    assert!(
        out.contains(&format!("Domain restored from {}", p(&img))),
        "{out}"
    );
    assert_eq!(domstate(&s, "vg"), "paused (migrating)");
    s.virsh(&["resume", "vg"]);
    assert_eq!(domstate(&s, "vg"), "running (unpaused)");

    // Saved running, restored running; --paused overrides.
    s.virsh(&["save", "vg", p(&img)]);
    s.virsh(&["restore", p(&img)]);
    assert_eq!(domstate(&s, "vg"), "running (restored)");
    s.virsh(&["save", "vg", p(&img)]);
    s.virsh(&["restore", p(&img), "--paused"]);
    assert_eq!(domstate(&s, "vg"), "paused (migrating)");
    s.virsh(&["resume", "vg"]);

    // Managed save: dominfo, list --managed-save, start resumes it.
    let info = s.virsh(&["dominfo", "vg"]);
    assert!(info.contains("Managed save:   no"), "{info}");
    s.virsh(&["managedsave", "vg"]);
    let info = s.virsh(&["dominfo", "vg"]);
    assert!(info.contains("Managed save:   yes"), "{info}");
    let list = s.virsh(&["list", "--all", "--managed-save"]);
    assert!(
        list.lines()
            .any(|l| l.contains("vg") && l.contains("saved")),
        "{list}"
    );
    let err = s.virsh_fails(&["undefine", "vg"]);
    assert!(
        err.contains("Refusing to undefine while domain managed save image exists"),
        "{err}"
    );
    assert!(
        s.root.join("state/lib/qemu/save/vg.save").is_file(),
        "libvirt's embed layout"
    );
    s.virsh(&["start", "vg"]);
    assert_eq!(domstate(&s, "vg"), "running (restored)");
    let info = s.virsh(&["dominfo", "vg"]);
    assert!(info.contains("Managed save:   no"), "{info}");

    // Bad images: libvirt's words, and nothing starts.
    let empty = s.root.join("empty.save");
    std::fs::write(&empty, b"").unwrap();
    let err = s.virsh_fails(&["restore", p(&empty)]);
    assert!(
        err.contains("operation failed: failed to read qemu header"),
        "{err}"
    );
    let junk = s.root.join("junk.save");
    std::fs::write(&junk, vec![0x5au8; 4096]).unwrap();
    let err = s.virsh_fails(&["restore", p(&junk)]);
    assert!(
        err.contains("operation failed: image magic is incorrect"),
        "{err}"
    );

    s.virsh(&["destroy", "vg"]);
    assert_eq!(domstate(&s, "vg"), "shut off (destroyed)");
    s.virsh(&["undefine", "vg"]);
}

const PYTHON_SCRIPT: &str = r#"
import libvirt, sys
uri, xmlpath, img, empty = sys.argv[1:5]
c = libvirt.open(uri)
assert c.getType() == "QEMU", c.getType()
d = c.defineXML(open(xmlpath).read())
d.create()
assert d.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_BOOTED], d.state()
d.suspend()
assert d.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER], d.state()
uuid = d.UUIDString()
d.save(img)
assert d.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_SAVED], d.state()
assert not d.isActive()
assert "<name>pg</name>" in c.saveImageGetXMLDesc(img, 0)
c.restore(img)
d = c.lookupByName("pg")
assert d.UUIDString() == uuid
assert d.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_MIGRATION], d.state()
d.resume()
assert d.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_UNPAUSED], d.state()
d.saveFlags(img, None, libvirt.VIR_DOMAIN_SAVE_PAUSED)
c.restoreFlags(img, None, libvirt.VIR_DOMAIN_SAVE_RUNNING)
d = c.lookupByName("pg")
assert d.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_RESTORED], d.state()
d.managedSave(0)
assert d.hasManagedSaveImage(0) == 1
assert [x.name() for x in c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)] == ["pg"]
assert "<name>pg</name>" in d.managedSaveGetXMLDesc(0)
d.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
assert d.hasManagedSaveImage(0) == 0
assert d.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_MIGRATION], d.state()
try:
    c.restore(empty)
    raise SystemExit("restored an empty file")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_FAILED, e.get_error_code()
    assert e.get_error_domain() == libvirt.VIR_FROM_QEMU, e.get_error_domain()
    print(e)
d.save(img)
try:
    d.managedSave(0)
    raise SystemExit("saved a domain that is not running")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, e.get_error_code()
    print(e)
c.restore(img)
d = c.lookupByName("pg")
d.destroy()
assert d.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED], d.state()
d.undefine()
print("done")
"#;

#[test]
fn python_saves_and_restores_a_qemu_guest() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    let xml = guest_xml(&s, "pg");
    let img = s.root.join("pg.save");
    let empty = s.root.join("empty.save");
    std::fs::write(&empty, b"").unwrap();
    let out = Command::new(PYTHON)
        .args(["-c", PYTHON_SCRIPT, &s.uri, p(&xml), p(&img), p(&empty)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}\nrvirtd log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.daemon.log()
    );
    assert!(
        text.contains("operation failed: failed to read qemu header"),
        "{text}"
    );
    assert!(
        text.contains("Requested operation is not valid: domain is not running"),
        "{text}"
    );
    assert!(text.ends_with("done\n"), "{text}");
}

const PYTHON_JOB_STATS: &str = r#"
import libvirt, sys
d = libvirt.open(sys.argv[1]).lookupByName(sys.argv[2])
s = d.jobStats()
i = d.jobInfo()
assert s["type"] == libvirt.VIR_DOMAIN_JOB_UNBOUNDED, s
assert s["operation"] == libvirt.VIR_DOMAIN_JOB_OPERATION_SAVE, s
assert s["memory_total"] > 0 and s["memory_processed"] > 0, s
assert s["data_total"] == s["memory_total"], s
assert i[0] == libvirt.VIR_DOMAIN_JOB_UNBOUNDED and i[6] > 0 and i[3] == i[6], i
print("stats ok")
"#;

/// A save whose reader is slow is a job that clients watch and abort: virsh domjobinfo and
/// python3-libvirt see it under way with QEMU's figures, domjobabort cancels it, the save fails
/// as libvirt's does and the guest runs on. The image goes into a FIFO the test reads, so the
/// save waits on it for as long as the test needs (a real disk is too fast to watch).
#[test]
fn virsh_watches_and_aborts_a_save() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    let xml = guest_xml(&s, "jg");
    s.virsh(&["define", p(&xml)]);
    s.virsh(&["start", "jg"]);
    // Idle: no job, and nothing to abort.
    let out = s.virsh(&["domjobinfo", "jg"]);
    assert_eq!(out, "Job type:         None        \n\n");
    let err = s.virsh_fails(&["domjobabort", "jg"]);
    assert!(
        err.contains("Requested operation is not valid: no job is active on the domain"),
        "{err}"
    );

    let fifo = s.root.join("jg.fifo");
    let c = std::ffi::CString::new(p(&fifo)).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (go_on, wait) = std::sync::mpsc::channel::<()>();
    let reader_path = fifo.clone();
    // Reads the image's start, then stops until told to go on, then drains it. Not joined: it
    // ends when the last writer closes the FIFO.
    std::thread::spawn(move || {
        use std::io::Read;
        let mut f = std::fs::File::open(reader_path).unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        while got < 64 * 1024 {
            match f.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
        let _ = wait.recv();
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    });
    let save = Command::new("timeout")
        .args(["60", "virsh", "-c", &s.uri, "save", "jg", p(&fifo)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let info = loop {
        let out = s.virsh(&["domjobinfo", "jg"]);
        if out.contains("Memory processed:") {
            break out;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no save seen: {out}\nrvirtd log:\n{}",
            s.daemon.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let lines: Vec<&str> = info.lines().collect();
    assert_eq!(lines[0], "Job type:         Unbounded   ", "{info}");
    assert_eq!(lines[1], "Operation:        Save        ", "{info}");
    assert!(lines[2].starts_with("Time elapsed:     "), "{info}");
    for label in [
        "Memory total:",
        "Page size:        4096         bytes",
        "Iteration:",
    ] {
        assert!(info.contains(label), "{label}: {info}");
    }
    assert!(
        s.virsh(&["domjobinfo", "jg", "--rawstats"])
            .starts_with("Job type: 2\n\noperation: 2\ntime_elapsed: "),
    );
    let out = Command::new(PYTHON)
        .args(["-c", PYTHON_JOB_STATS, &s.uri, "jg"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing completed yet.
    let out = s.virsh(&["domjobinfo", "jg", "--completed"]);
    assert_eq!(out, "Job type:         None        \n\n");

    s.virsh(&["domjobabort", "jg"]);
    go_on.send(()).unwrap();
    let out = save.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("operation aborted: job 'domain save' canceled by client"),
        "{err}\nrvirtd log:\n{}",
        s.daemon.log()
    );
    assert_eq!(domstate(&s, "jg"), "running (save canceled)");
    assert_eq!(
        s.virsh(&["domjobinfo", "jg"]),
        "Job type:         None        \n\n"
    );

    // A save that completes leaves its statistics for --completed, read once unless kept.
    let img = s.root.join("jg.save");
    s.virsh(&["save", "jg", p(&img)]);
    let args = ["domjobinfo", "jg", "--completed", "--keep-completed"];
    let done = s.virsh(&args);
    assert!(
        done.starts_with(
            "Job type:         Completed   \nOperation:        Save        \nTime elapsed:"
        ),
        "{done}"
    );
    assert!(done.contains("Memory total:"), "{done}");
    assert_eq!(s.virsh(&args), done);
    assert_eq!(s.virsh(&["domjobinfo", "jg", "--completed"]), done);
    assert_eq!(
        s.virsh(&["domjobinfo", "jg", "--completed"]),
        "Job type:         None        \n\n"
    );
    s.virsh(&["undefine", "jg"]);
}

const PYTHON_MONITOR: &str = r#"
import libvirt, libvirt_qemu, json, sys
libvirt.registerErrorHandler(lambda *a: None, None)
uri, ro_uri = sys.argv[1:3]
d = libvirt.open(uri).lookupByName("mc")
reply = libvirt_qemu.qemuMonitorCommand(d, '{"execute":"query-name"}', 0)
assert reply.startswith('{"return":{"name":"mc"},"id":"libvirt-'), reply
assert json.loads(reply)["return"] == {"name": "mc"}, reply
hmp = libvirt_qemu.qemuMonitorCommand(d, "info status", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
assert hmp.startswith("VM status: running"), repr(hmp)
# QEMU's own errors are replies, as in libvirt.
err = json.loads(libvirt_qemu.qemuMonitorCommand(d, '{"execute":"no-such"}', 0))
assert err["error"]["class"] == "CommandNotFound", err
try:
    libvirt_qemu.qemuAgentCommand(d, '{"execute":"guest-ping"}', 5, 0)
    raise SystemExit("the agent command should fail")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, e.get_error_code()
    assert "QEMU guest agent is not configured" in str(e), str(e)
try:
    libvirt_qemu.qemuMonitorCommand(libvirt.openReadOnly(ro_uri).lookupByName("mc"), '{"execute":"query-name"}', 0)
    raise SystemExit("a read-only connection should be refused")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED, e.get_error_code()
print("ok")
"#;

/// libvirt-qemu's calls (the QEMU program of the RPC protocol) through rvirtd: real virsh's
/// `qemu-monitor-command` (QMP, HMP, `--pretty`, `--return-value`) and python3-libvirt's
/// `libvirt_qemu`, answered by the guest's QEMU.
#[test]
fn monitor_commands_reach_qemu_through_rvirtd() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    let xml = guest_xml(&s, "mc");
    s.virsh(&["create", p(&xml)]);
    let out = s.virsh(&[
        "qemu-monitor-command",
        "mc",
        r#"{"execute":"query-status"}"#,
    ]);
    assert!(
        out.starts_with(
            r#"{"return":{"status":"running","singlestep":false,"running":true},"id":"libvirt-"#
        ),
        "{out}"
    );
    let out = s.virsh(&["qemu-monitor-command", "mc", "--hmp", "info", "status"]);
    assert!(out.starts_with("VM status: running"), "{out}");
    let out = s.virsh(&[
        "qemu-monitor-command",
        "mc",
        "--pretty",
        "--return-value",
        "query-name",
    ]);
    assert_eq!(out, "{\n  \"name\": \"mc\"\n}\n");
    let err = s.virsh_fails(&["qemu-agent-command", "mc", r#"{"execute":"guest-ping"}"#]);
    assert_eq!(
        err,
        "error: argument unsupported: QEMU guest agent is not configured\n"
    );
    let ro = format!(
        "qemu+unix:///system?socket={}",
        s.daemon.ro_socket().display()
    );
    let out = Command::new(PYTHON)
        .args(["-c", PYTHON_MONITOR, &s.uri, &ro])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout) == "ok\n",
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    s.virsh(&["destroy", "mc"]);
}
