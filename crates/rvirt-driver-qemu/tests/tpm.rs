//! TPM devices on real QEMU (a tiny TCG guest with no OS) with a real swtpm: the emulator
//! starts before QEMU and ends with it, its state is made once and kept across starts and a
//! save/restore, and it goes with the domain (undefine, the end of a transient domain) unless
//! kept; libvirt's errors for what cannot run.
//!
//! Skipped (with a note) when QEMU or swtpm is missing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, open, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, SnapshotDriver};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use rvirt_types::snapshot::{DomainSnapshotCreateFlags, DomainSnapshotRevertFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

const UUID: &str = "4d1b4a3c-4b8e-4d6a-9a59-7f3c2b1a0e01";

fn guest(name: &str, uuid: &str, tpm: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><uuid>{uuid}</uuid>\
         <memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>\
         <devices>{tpm}</devices></domain>"
    )
}

const CRB: &str = "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>";

fn available() -> bool {
    let ok = Path::new("/usr/bin/qemu-system-x86_64").exists()
        && Path::new("/usr/bin/swtpm").exists()
        && Path::new("/usr/bin/swtpm_setup").exists();
    if !ok {
        eprintln!(
            "skipped: needs qemu-system-x86_64 and swtpm (apt-get install qemu-system-x86 \
             swtpm swtpm-tools)"
        );
    }
    ok
}

/// The pid of the swtpm serving `socket`, if one runs.
fn swtpm_serving(socket: &Path) -> Option<i32> {
    let sock = socket.display().to_string();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        // A zombie has an empty command line: it no longer runs.
        (cmd.starts_with("/usr/bin/swtpm\0socket") && cmd.contains(&sock)).then_some(pid)
    })
}

/// How many times swtpm_setup made a TPM state, by its log.
fn manufactured(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("Starting vTPM manufacturing")
        .count()
}

fn query_tpm(d: &QemuDriver, dom: &rvirt_driver::DomainRef) -> serde_json::Value {
    block_on(d.monitor_command(dom, "query-tpm", None)).unwrap()
}

/// Waits until no swtpm serves `socket` any more.
fn wait_swtpm_gone(socket: &Path) {
    wait_until(Duration::from_secs(10), "swtpm ends with QEMU", || {
        swtpm_serving(socket).is_none()
    });
}

#[test]
fn an_emulated_tpm_lives_beside_qemu_and_its_state_with_the_domain() {
    if !available() {
        return;
    }
    let root = Root::new();
    // swtpm runs as the tss user (as libvirt runs it): it must reach its folders.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let d = open(root.path());
    let state: PathBuf = root.path().join(format!("lib/swtpm/{UUID}"));
    let log = root.path().join("log/swtpm/tpm-swtpm.log");

    // No Cleanup guard (it would keep the driver open across the reopen below): the Root
    // kills what a failed test leaves running, and swtpm ends with QEMU.
    let dom = block_on(d.domain_define_xml(&guest("tpm", UUID, CRB), Default::default())).unwrap();
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(
        xml.contains("<tpm model='tpm-crb'>\n      <backend type='emulator' version='2.0'/>"),
        "{xml}"
    );

    // First start: swtpm_setup makes the state, swtpm serves QEMU's TPM.
    block_on(d.domain_create(&dom, Default::default())).unwrap();
    let socket = root.path().join("run/swtpm/1-tpm-swtpm.sock");
    let tpm = query_tpm(&d, &dom);
    assert_eq!(tpm[0]["id"], "tpm-tpm0", "{tpm}");
    assert_eq!(tpm[0]["model"], "tpm-crb", "{tpm}");
    assert_eq!(tpm[0]["options"]["type"], "emulator", "{tpm}");
    assert_eq!(tpm[0]["options"]["data"]["chardev"], "chrtpm", "{tpm}");
    let pid = swtpm_serving(&socket).expect("no swtpm serves the guest");
    let pidfile = root.path().join("run/swtpm/1-tpm-swtpm.pid");
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        pid.to_string()
    );
    assert!(state.join("tpm2/tpm2-00.permall").is_file());
    assert_eq!(manufactured(&log), 1);
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<alias name='tpm0'/>"), "{live}");
    let qlog = std::fs::read_to_string(root.path().join("log/qemu/tpm.log")).unwrap();
    assert!(
        qlog.contains("Starting external device: TPM Emulator\n/usr/bin/swtpm socket --ctrl"),
        "{qlog}"
    );

    // Destroy: swtpm goes with QEMU, with its socket and pid file; the state stays.
    block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    wait_swtpm_gone(&socket);
    assert!(!socket.exists() && !pidfile.exists());
    assert!(state.join("tpm2/tpm2-00.permall").is_file());

    // Second start: the same state, no second manufacturing. A crash of QEMU ends swtpm too.
    block_on(d.domain_create(&dom, Default::default())).unwrap();
    let socket = root.path().join("run/swtpm/2-tpm-swtpm.sock");
    assert!(swtpm_serving(&socket).is_some());
    assert_eq!(manufactured(&log), 1, "swtpm_setup ran again");
    assert_eq!(query_tpm(&d, &dom)[0]["id"], "tpm-tpm0");
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(common::pid_of(root.path(), "tpm"), libc::SIGKILL) };
    wait_until(Duration::from_secs(10), "the crash is seen", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap()
            == (DomainState::SHUTOFF, DomainShutoffReason::CRASHED.0)
    });
    wait_swtpm_gone(&socket);
    assert!(!socket.exists());
    block_on(d.domain_create(&dom, Default::default())).unwrap();
    let socket = root.path().join("run/swtpm/3-tpm-swtpm.sock");
    assert!(swtpm_serving(&socket).is_some());

    // Save: QEMU's stream carries the TPM's state; swtpm ends with QEMU. Restore starts it on
    // the same state before QEMU loads the stream.
    let image = root.path().join("tpm.save");
    let image = image.to_str().unwrap();
    block_on(d.domain_save(&dom, image, None, DomainSaveRestoreFlags::empty())).unwrap();
    wait_swtpm_gone(&socket);
    block_on(d.domain_restore(image, None, DomainSaveRestoreFlags::empty())).unwrap();
    let (state_now, _) = block_on(d.domain_get_state(&dom, 0)).unwrap();
    assert_eq!(state_now, DomainState::RUNNING);
    let socket = root.path().join("run/swtpm/4-tpm-swtpm.sock");
    assert!(swtpm_serving(&socket).is_some(), "no swtpm after restore");
    assert_eq!(query_tpm(&d, &dom)[0]["model"], "tpm-crb");
    assert_eq!(manufactured(&log), 1);

    // Managed save, and the start that resumes it.
    block_on(d.domain_managed_save(&dom, DomainSaveRestoreFlags::empty())).unwrap();
    wait_swtpm_gone(&socket);
    block_on(d.domain_create(&dom, Default::default())).unwrap();
    let socket = root.path().join("run/swtpm/5-tpm-swtpm.sock");
    assert!(
        swtpm_serving(&socket).is_some(),
        "no swtpm after managed save"
    );
    assert!(!block_on(d.domain_has_managed_save_image(&dom, 0)).unwrap());

    // A restarted driver reattaches to QEMU; swtpm still goes when QEMU does.
    drop(d);
    let d = open(root.path());
    let dom = block_on(d.domain_lookup_by_name("tpm")).unwrap();
    assert_eq!(query_tpm(&d, &dom)[0]["model"], "tpm-crb");
    block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    wait_swtpm_gone(&socket);
    assert!(!socket.exists());

    // Undefine: both flags at once are refused; KEEP_TPM keeps the state; a plain undefine
    // of the domain defined again removes it.
    let e = block_on(d.domain_undefine(
        &dom,
        DomainUndefineFlags::TPM | DomainUndefineFlags::KEEP_TPM,
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert_eq!(
        e.message,
        "Requested operation is not valid: cannot both keep and delete TPM"
    );
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::KEEP_TPM)).unwrap();
    assert!(state.join("tpm2/tpm2-00.permall").is_file());
    let dom = block_on(d.domain_define_xml(&guest("tpm", UUID, CRB), Default::default())).unwrap();
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    assert!(!state.exists(), "undefine left the TPM state");
}

#[test]
fn a_transient_domains_tpm_state_goes_with_it_unless_persistent() {
    if !available() {
        return;
    }
    let root = Root::new();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let d = open(root.path());
    let uuid = "4d1b4a3c-4b8e-4d6a-9a59-7f3c2b1a0e02";
    let state = root.path().join(format!("lib/swtpm/{uuid}"));
    // TIS and no version: libvirt's defaults make it a TPM 1.2.
    let tis = "<tpm><backend type='emulator'/></tpm>";
    let dom = block_on(d.domain_create_xml(&guest("tr", uuid, tis), Default::default())).unwrap();
    let _guard = Cleanup(d.clone(), "tr");
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        live.contains("<tpm model='tpm-tis'>\n      <backend type='emulator' version='1.2'/>"),
        "{live}"
    );
    assert_eq!(query_tpm(&d, &dom)[0]["model"], "tpm-tis");
    assert!(state.join("tpm1.2").is_dir());
    block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    assert!(
        !state.exists(),
        "a transient domain's TPM state outlived it"
    );

    // persistent_state='yes' keeps it.
    let kept = "<tpm model='tpm-crb'><backend type='emulator' persistent_state='yes'/></tpm>";
    let dom = block_on(d.domain_create_xml(&guest("tr", uuid, kept), Default::default())).unwrap();
    block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    assert!(state.join("tpm2").is_dir());
}

#[test]
fn what_cannot_run_is_refused_as_libvirt_refuses_it() {
    if !available() {
        return;
    }
    let root = Root::new();
    let d = open(root.path());
    let e = block_on(d.domain_define_xml(
        &guest(
            "bad",
            UUID,
            "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>",
        ),
        Default::default(),
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    assert_eq!(
        e.message,
        "unsupported configuration: Unsupported interface 'tpm-crb' for TPM 1.2"
    );
    // swtpm (as tss, when root) cannot reach a state root only root may enter: the start
    // fails with libvirt's error, and leaves no state, no emulator and no QEMU behind.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let dom =
            block_on(d.domain_define_xml(&guest("locked", UUID, CRB), Default::default())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let e = block_on(d.domain_create(&dom, Default::default())).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR, "{}", e.message);
        assert_eq!(
            e.message,
            format!(
                "internal error: Could not run '/usr/bin/swtpm_setup'. exitstatus: 1; Check \
                 error log '{}/log/swtpm/locked-swtpm.log' for details.",
                root.path().display()
            )
        );
        assert!(!root.path().join(format!("lib/swtpm/{UUID}")).exists());
        assert!(swtpm_serving(&root.path().join("run/swtpm/1-locked-swtpm.sock")).is_none());
        let (st, _) = block_on(d.domain_get_state(&dom, 0)).unwrap();
        assert_eq!(st, DomainState::SHUTOFF);
        assert!(!root.path().join("run/qemu/locked.xml").exists());
        block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    }
    // A host TPM: defined, but the start needs the device (none on test machines).
    if !Path::new("/dev/tpm0").exists() {
        let dom = block_on(d.domain_define_xml(
            &guest(
                "pt",
                UUID,
                "<tpm model='tpm-tis'><backend type='passthrough'>\
                 <device path='/dev/tpm0'/></backend></tpm>",
            ),
            Default::default(),
        ))
        .unwrap();
        let e = block_on(d.domain_create(&dom, Default::default())).unwrap_err();
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
        assert_eq!(
            e.message,
            "Could not open TPM device /dev/tpm0: No such file or directory"
        );
        let (st, _) = block_on(d.domain_get_state(&dom, 0)).unwrap();
        assert_eq!(st, DomainState::SHUTOFF);
    }
}

#[test]
fn a_full_system_snapshot_of_a_guest_with_a_tpm_reverts_with_swtpm() {
    if !available() {
        return;
    }
    let root = Root::new();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let disk = root.path().join("s.qcow2");
    let out = std::process::Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&disk)
        .arg("1M")
        .output()
        .unwrap();
    assert!(out.status.success());
    let d = open(root.path());
    let uuid = "4d1b4a3c-4b8e-4d6a-9a59-7f3c2b1a0e03";
    let devices = format!(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>{CRB}",
        disk.display()
    );
    let dom =
        block_on(d.domain_define_xml(&guest("snap", uuid, &devices), Default::default())).unwrap();
    let _guard = Cleanup(d.clone(), "snap");
    block_on(d.domain_create(&dom, Default::default())).unwrap();
    // libvirt 9.0 takes snapshots of guests with an emulated TPM as of any other (QEMU's
    // state holds the TPM's).
    let snap = block_on(d.snapshot_create_xml(
        &dom,
        "<domainsnapshot><name>s1</name></domainsnapshot>",
        DomainSnapshotCreateFlags::empty(),
    ))
    .unwrap();
    block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    wait_swtpm_gone(&root.path().join("run/swtpm/1-snap-swtpm.sock"));
    block_on(d.snapshot_revert(&snap, DomainSnapshotRevertFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("snap")).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::FROM_SNAPSHOT.0)
    );
    assert!(swtpm_serving(&root.path().join("run/swtpm/2-snap-swtpm.sock")).is_some());
    assert_eq!(query_tpm(&d, &dom)[0]["model"], "tpm-crb");
}
