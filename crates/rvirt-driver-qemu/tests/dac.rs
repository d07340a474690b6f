//! The DAC security driver beside libvirt's (its embedded QEMU driver, run as root with QEMU's
//! user `libvirt-qemu`): one guest with a qcow2 disk on a backing image, a read-only disk, a
//! disk that asks not to be relabelled and a serial console to a file; then a USB disk
//! plugged in and out; then the guest destroyed. The capabilities' security models, then after
//! each step the owners and modes of the files, their recorded first owners (extended
//! attributes), QEMU's user, group and groups, its private folder and the live XML's
//! `<seclabel>` must be libvirt's.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, open, pid_of, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_testsupport::{PYTHON, have_libvirt_qemu_driver, qcow2_overlay};
use rvirt_types::domain::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

/// Both drivers' `qemu.conf`: QEMU as `libvirt-qemu` (which CI makes when the image lacks it),
/// files relabelled and their owners remembered.
const CONF: &str = "stdio_handler = \"file\"\nuser = \"libvirt-qemu\"\n\
                    group = \"libvirt-qemu\"\ndynamic_ownership = 1\nremember_owner = 1\n\
                    security_driver = \"none\"\n";

/// The files of the guest under `dir`, as named in the report.
const FILES: [&str; 6] = [
    "base.qcow2",
    "top.qcow2",
    "ro.raw",
    "keep.raw",
    "serial.log",
    "hot.qcow2",
];

/// The guest: its disks and console in `dir`.
fn guest(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "<domain type='qemu'><name>dac</name><memory unit='MiB'>32</memory>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{d}/top.qcow2'/><target dev='vda' bus='virtio'/></disk>\
         <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{d}/ro.raw'/><target dev='vdb' bus='virtio'/><readonly/></disk>\
         <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{d}/keep.raw'><seclabel model='dac' relabel='no'/></source>\
         <target dev='vdc' bus='virtio'/><readonly/></disk>\
         <serial type='file'><source path='{d}/serial.log'/></serial>\
         </devices></domain>"
    )
}

/// The disk plugged in and out.
fn hot_disk(dir: &Path) -> String {
    format!(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
         <source file='{}/hot.qcow2'/><target dev='sda' bus='usb'/></disk>",
        dir.display()
    )
}

/// Fresh files in a new folder QEMU's user can reach: the images owned by a user that is
/// neither root nor QEMU's (their owner must come back), the kept disk readable by all.
fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let img = |name: &str, fmt: &str| {
        rvirt_testsupport::output_ok(
            std::process::Command::new("qemu-img")
                .args(["create", "-q", "-f", fmt])
                .arg(p.join(name))
                .arg("1M"),
        );
    };
    img("base.qcow2", "qcow2");
    qcow2_overlay(&p.join("base.qcow2"), &p.join("top.qcow2"));
    img("ro.raw", "raw");
    img("keep.raw", "raw");
    img("hot.qcow2", "qcow2");
    for f in ["base.qcow2", "top.qcow2", "hot.qcow2"] {
        std::os::unix::fs::chown(p.join(f), Some(4321), Some(4322)).unwrap();
    }
    std::fs::set_permissions(p.join("keep.raw"), std::fs::Permissions::from_mode(0o644)).unwrap();
    dir
}

/// The value of extended attribute `name` of `path`, if it has it.
fn xattr(path: &Path, name: &str) -> Option<String> {
    let p = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let n = std::ffi::CString::new(name).unwrap();
    let mut buf = [0u8; 128];
    // SAFETY: both names are NUL-terminated; the buffer is valid for its length.
    let len = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (len >= 0).then(|| String::from_utf8_lossy(&buf[..len as usize]).into_owned())
}

/// Owner, mode and recorded owner (label, count, whether stamped) of each file.
fn files_report(dir: &Path) -> Vec<String> {
    FILES
        .iter()
        .map(|f| {
            let p = dir.join(f);
            let Ok(m) = std::fs::metadata(&p) else {
                return format!("{f}: missing");
            };
            let x = |n: &str| xattr(&p, &format!("trusted.libvirt.security.{n}"));
            format!(
                "{f}: {}:{} {:o} label={:?} ref={:?} stamped={}",
                m.uid(),
                m.gid(),
                m.mode() & 0o7777,
                x("dac"),
                x("ref_dac"),
                x("timestamp_dac").is_some()
            )
        })
        .collect()
}

/// QEMU's ids, its private folder and the live XML's DAC label.
fn guest_report(root: &Path, xml: &str) -> Vec<String> {
    let pid = pid_of_any(root);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mut out: Vec<String> = status
        .lines()
        .filter(|l| l.starts_with("Uid:") || l.starts_with("Gid:") || l.starts_with("Groups:"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let private = root.join("lib/qemu/domain-1-dac");
    let m = std::fs::metadata(&private).unwrap();
    out.push(format!(
        "private: {}:{} {:o}",
        m.uid(),
        m.gid(),
        m.mode() & 0o7777
    ));
    let at = xml
        .find("<seclabel type='dynamic' model='dac'")
        .expect("a DAC label");
    let end = xml[at..].find("</seclabel>").unwrap() + at;
    out.push(
        xml[at..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    );
    out
}

/// The `<secmodel>` elements of a capabilities document, a line each.
fn secmodels(caps: &str) -> Vec<String> {
    caps.split("<secmodel>")
        .skip(1)
        .map(|s| {
            let end = s.find("</secmodel>").unwrap();
            s[..end].split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// The uid of QEMU's user, `libvirt-qemu`.
fn qemu_user_uid() -> String {
    let out =
        rvirt_testsupport::output_ok(std::process::Command::new("id").args(["-u", "libvirt-qemu"]));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The real, effective, saved and file-system uids of process `pid`.
fn uids_of(pid: &str) -> Vec<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .map(|u| u.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The pid of the guest `dac` under `root` (libvirt's pid file, or rvirt's status file).
fn pid_of_any(root: &Path) -> i32 {
    match std::fs::read_to_string(root.join("run/qemu/dac.pid")) {
        Ok(t) => t.trim().parse().unwrap(),
        Err(_) => pid_of(root, "dac"),
    }
}

/// Makes swtpm's local CA (which signs every emulator's certificates) as `tss` when the host
/// has none yet. Whoever first runs `swtpm_setup` makes its files, readable by their owner
/// only: made by this test's emulator, which runs as root, they would stop every later `tss`
/// emulator (libvirt's, in other tests) from signing ("Could not run swtpm_setup"). Root can
/// use a CA of `tss`'s, and keeps its files `tss`'s when it updates them.
fn local_ca_of_tss() {
    if Path::new("/var/lib/swtpm-localca/signkey.pem").exists() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let chown = std::process::Command::new("chown")
        .arg("tss")
        .arg(state.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let made = std::process::Command::new("runuser")
        .args([
            "-u",
            "tss",
            "--",
            "swtpm_setup",
            "--tpm2",
            "--create-ek-cert",
            "--tpmstate",
        ])
        .arg(state.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "swtpm_setup as tss");
}

/// A root of an embedded driver with [`CONF`], reachable by QEMU's user.
fn root_with_conf(root: &Path) {
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/qemu.conf"), CONF).unwrap();
}

/// The steps under libvirt's embedded driver, driven line by line over a python3-libvirt
/// child: the report after each, and what libvirt logged.
fn libvirt_reports(root: &Path, dir: &Path) -> (Vec<Vec<String>>, String) {
    root_with_conf(root);
    let script = r#"
import libvirt, struct, sys, threading, time
# A utmp boot record with the kernel's boot time (in this process's own /run, see below).
btime = int([l for l in open("/proc/stat") if l.startswith("btime ")][0].split()[1])
open("/run/utmp", "wb").write(struct.pack("<hxxi32s4s32s256shhiii4i20s", 2, 0, b"~", b"~~",
    b"reboot", b"", 0, 0, 0, btime, 0, 0, 0, 0, 0, b""))
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
c = libvirt.open("qemu:///embed?root=" + sys.argv[1])
d = None
for line in sys.stdin:
    cmd, _, arg = line.rstrip("\n").partition(" ")
    if cmd == "start":
        d = c.createXML(arg)
    elif cmd == "attach":
        d.attachDevice(arg)
    elif cmd == "detach":
        d.detachDevice(arg)
        t = time.time()
        while "hot.qcow2" in d.XMLDesc() and time.time() - t < 10:
            time.sleep(0.05)
    elif cmd == "destroy":
        d.destroy()
        print(flush=True)
        continue
    elif cmd == "caps":
        print(c.getCapabilities().replace("\n", " "), flush=True)
        continue
    print(d.XMLDesc().replace("\n", " "), flush=True)
"#;
    // libvirt 9.0 stamps its records with the host's boot time: the utmp boot record's, or,
    // on a host without one (as here), the current second less the uptime, worked out afresh
    // in each forked helper and so a second apart now and then, when libvirt takes its own
    // records for stale and gives the files to root ("Invalid XATTR timestamp detected").
    // Its side runs in a mount namespace of its own whose /run (a fresh tmpfs) holds a utmp
    // boot record of the kernel's boot time (`btime`), which rvirt stamps: the host's /run is
    // not touched.
    // In that namespace too, QEMU's user may use /dev/kvm (a node of the same device, group
    // libvirt-qemu, bound over it), as Debian's kvm group lets it: libvirt probes QEMU with
    // KVM as root, then finds KVM unusable by QEMU's user on every later look and probes
    // again and again (40 s for one start here) on a host whose /dev/kvm is root's alone.
    // (Where the node cannot be made, the test is only slower.)
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(
            "mount -t tmpfs rvirt-test-run /run || exit 1; \
             if [ -c /dev/kvm ]; then \
               { mknod -m 660 /run/kvm c $((0x$(stat -c %t /dev/kvm))) $((0x$(stat -c %T /dev/kvm))) \
                 && chgrp libvirt-qemu /run/kvm && mount --bind /run/kvm /dev/kvm; } || true; \
             fi; exec \"$@\"",
        )
        .args(["sh", "timeout", "120"])
        .arg(PYTHON)
        .arg("-c")
        .arg(script)
        .arg(root);
    let mut child = common::LineChild::spawn(cmd, &root.join("libvirt.err"));
    let mut step = |cmd: String| {
        child.send(&cmd);
        child.line()
    };
    let mut reports = vec![secmodels(&step("caps".into()))];
    let xml = step(format!("start {}", guest(dir)));
    reports.push([files_report(dir), guest_report(root, &xml)].concat());
    step(format!("attach {}", hot_disk(dir)));
    reports.push(files_report(dir));
    step(format!("detach {}", hot_disk(dir)));
    reports.push(files_report(dir));
    step("destroy".into());
    reports.push(files_report(dir));
    let logged = child.finish();
    (reports, logged)
}

/// The same steps under rvirt's embedded driver.
fn rvirt_reports(root: &Path, dir: &Path) -> Vec<Vec<String>> {
    root_with_conf(root);
    let d = open(root);
    let _guests = common::Cleanup(d.clone(), "dac");
    let flags = DomainDeviceModifyFlags::empty();
    let mut reports = vec![secmodels(&block_on(d.connect_get_capabilities()).unwrap())];
    let dom = block_on(d.domain_create_xml(&guest(dir), DomainCreateFlags::empty())).unwrap();
    let xml = || block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    reports.push([files_report(dir), guest_report(root, &xml())].concat());
    block_on(d.domain_attach_device_flags(&dom, &hot_disk(dir), flags)).unwrap();
    reports.push(files_report(dir));
    block_on(d.domain_detach_device_flags(&dom, &hot_disk(dir), flags)).unwrap();
    wait_until(Duration::from_secs(10), "the USB disk unplugged", || {
        !xml().contains("hot.qcow2")
    });
    reports.push(files_report(dir));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    reports.push(files_report(dir));
    reports
}

#[test]
fn files_and_process_change_owner_as_with_libvirt() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !rvirt_testsupport::have_virsh_and_qemu() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "the DAC test needs root and QEMU under CI"
        );
        eprintln!("skipped: needs root and QEMU");
        return;
    }
    if !have_libvirt_qemu_driver() {
        assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()));
        return;
    }
    let (libvirt_root, libvirt_dir) = (Root::new(), files());
    let (theirs, logged) = libvirt_reports(libvirt_root.path(), libvirt_dir.path());
    assert!(!logged.contains("Invalid XATTR timestamp"), "{logged}");
    let rvirt_root = Root::new();
    let rvirt_dir = files();
    let ours = rvirt_reports(rvirt_root.path(), rvirt_dir.path());
    let masked = |r: Vec<Vec<String>>, dir: &Path| -> Vec<Vec<String>> {
        r.into_iter()
            .map(|s| {
                s.into_iter()
                    .map(|l| l.replace(&dir.display().to_string(), "D"))
                    .collect()
            })
            .collect()
    };
    let (theirs, ours) = (
        masked(theirs, libvirt_dir.path()),
        masked(ours, rvirt_dir.path()),
    );
    // What the test stands on, whatever libvirt does: QEMU ran as libvirt-qemu, and the
    // images went back to their first owner.
    let qemu_uid = qemu_user_uid();
    assert!(
        ours[1]
            .iter()
            .any(|l| l.starts_with(&format!("Uid: {qemu_uid} "))),
        "{ours:#?}"
    );
    assert!(ours[4][1].starts_with("top.qcow2: 4321:4322 "), "{ours:#?}");
    for (step, (t, o)) in ["opened", "started", "plugged", "unplugged", "destroyed"]
        .iter()
        .zip(theirs.iter().zip(&ours))
    {
        assert_eq!(t, o, "after the guest was {step}");
    }
}

/// What QEMU reaches besides images, run as `libvirt-qemu`: a TPM emulator's socket (the
/// emulator run as `swtpm_user` says), a
/// virtio-fs daemon's socket and the shared RAM's folder, the guest agent channel's folder,
/// then a screenshot and a memory peek (files QEMU writes); the guest starts, QEMU runs as
/// that user, and both calls answer.
#[test]
fn sidecars_and_qemu_written_files_reach_qemus_user() {
    let virtiofsd = Path::new("/usr/lib/qemu/virtiofsd");
    // SAFETY: geteuid has no preconditions.
    let root_user = unsafe { libc::geteuid() } == 0;
    if !root_user
        || !rvirt_testsupport::have_virsh_and_qemu()
        || !virtiofsd.exists()
        || !Path::new("/usr/bin/swtpm").exists()
    {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "the DAC test needs root, QEMU, virtiofsd and swtpm under CI"
        );
        eprintln!("skipped: needs root, QEMU, virtiofsd and swtpm");
        return;
    }
    let root = Root::new();
    root_with_conf(root.path());
    local_ca_of_tss();
    // The TPM emulator as root rather than `tss` (another user may not use swtpm's local CA,
    // whose folder is `tss`'s).
    let conf = root.path().join("etc/qemu.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        format!("{text}swtpm_user = \"root\"\nswtpm_group = \"root\"\n"),
    )
    .unwrap();
    let share = files();
    let d = open(root.path());
    let _guests = common::Cleanup(d.clone(), "sidecars");
    let xml = format!(
        "<domain type='qemu'><name>sidecars</name><memory unit='MiB'>64</memory>\
         <memoryBacking><access mode='shared'/></memoryBacking>\
         <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
         <filesystem type='mount'><driver type='virtiofs'/><source dir='{}'/>\
         <target dir='share'/></filesystem>\
         <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\
         <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>\
         <graphics type='vnc'/><video><model type='vga'/></video>\
         </devices></domain>",
        share.path().display()
    );
    let dom = block_on(d.domain_create_xml(&xml, DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "sidecars");
    let uid = qemu_user_uid();
    assert_eq!(uids_of(&pid.to_string()), vec![uid; 4]);
    let root_path = root.path().display().to_string();
    let swtpm = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .find(|e| {
            std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.starts_with("/usr/bin/swtpm\0socket") && c.contains(&root_path)
            })
        })
        .expect("the guest's swtpm");
    assert_eq!(
        uids_of(&swtpm.file_name().to_string_lossy())
            .first()
            .map(String::as_str),
        Some("0")
    );
    let (mime, stream) = block_on(d.domain_screenshot(&dom, 0, 0)).unwrap();
    assert_eq!(mime, "image/png");
    let png = block_on(stream.recv(1 << 20)).unwrap();
    assert!(
        png.starts_with(b"\x89PNG"),
        "{:?}",
        &png[..png.len().min(8)]
    );
    let bytes = block_on(d.domain_memory_peek(&dom, 0, 512, 2)).unwrap();
    assert_eq!(bytes.len(), 512);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}
