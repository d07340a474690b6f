//! Domains as real QEMU processes: a tiny guest (no disk, 64 MiB) under TCG and, where
//! /dev/kvm works, KVM.

#![allow(clippy::unwrap_used)]

mod common;

use common::{guest, open, pid_of, record, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::domain::*;
use std::time::{Duration, Instant};

fn lifecycle(virt: &str) {
    let root = common::Root::new();
    let d = open(root.path());
    let seen = record(&d);
    let caps = block_on(d.connect_get_capabilities()).unwrap();
    assert!(caps.contains("<domain type='qemu'/>"), "{caps}");
    let native =
        block_on(d.connect_domain_xml_to_native("qemu-argv", &guest("n", virt), 0)).unwrap();
    let accel = if virt == "kvm" {
        "-accel kvm"
    } else {
        "-accel tcg"
    };
    assert!(native.contains(accel), "{native}");

    let dom =
        block_on(d.domain_define_xml(&guest("g1", virt), DomainDefineFlags::empty())).unwrap();
    assert!(root.path().join("etc/qemu/g1.xml").is_file());
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(xml.contains("machine='pc-i440fx-"), "{xml}");
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );
    assert!(root.path().join("run/qemu/g1.xml").is_file());
    let dom = block_on(d.domain_lookup_by_name("g1")).unwrap();
    assert_eq!(dom.id, 1);
    block_on(d.domain_suspend(&dom)).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::PAUSED, DomainPausedReason::USER.0)
    );
    block_on(d.domain_resume(&dom)).unwrap();
    block_on(d.domain_reset(&dom, 0)).unwrap();
    block_on(d.domain_shutdown(&dom, DomainShutdownFlags::empty())).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let info = block_on(d.domain_get_info(&dom)).unwrap();
    assert!(info.cpu_time > 0);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::SHUTOFF, DomainShutoffReason::DESTROYED.0)
    );
    assert!(!root.path().join("run/qemu/g1.xml").exists());
    block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
    assert!(!root.path().join("etc/qemu/g1.xml").exists());
    let g = |e: DomainEventType, x: i32| ("g1".to_string(), e.0, x);
    assert_eq!(
        *seen.lock(),
        vec![
            g(
                DomainEventType::DEFINED,
                DomainEventDefinedDetailType::ADDED.0
            ),
            g(
                DomainEventType::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
            g(
                DomainEventType::STARTED,
                DomainEventStartedDetailType::BOOTED.0
            ),
            g(
                DomainEventType::SUSPENDED,
                DomainEventSuspendedDetailType::PAUSED.0
            ),
            g(
                DomainEventType::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0
            ),
            g(
                DomainEventType::STOPPED,
                DomainEventStoppedDetailType::DESTROYED.0
            ),
            g(
                DomainEventType::UNDEFINED,
                DomainEventUndefinedDetailType::REMOVED.0
            ),
        ]
    );
}

#[test]
fn lifecycle_tcg() {
    lifecycle("qemu");
}

#[test]
fn lifecycle_kvm() {
    if !rvirt_driver_qemu::caps::kvm_usable() {
        eprintln!("skipped: /dev/kvm does not work here");
        return;
    }
    lifecycle("kvm");
}

/// A start makes monitor calls of its own before the domain's event watcher runs
/// (`query-chardev` for a pty, the balloon's setup); each once waited out the whole bound of
/// the wait for the watcher (it could never catch up: it did not run yet), 0.5 s apiece.
#[test]
fn a_start_with_a_pty_and_a_balloon_does_not_wait_for_its_own_watcher() {
    let root = common::Root::new();
    let d = open(root.path());
    let seen = record(&d);
    let xml = common::guest_with(
        "pty",
        "<serial type='pty'><target port='0'/></serial>\
         <memballoon model='virtio'><stats period='5'/></memballoon>",
    );
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
        fastest = fastest.min(t.elapsed());
        // The start's own work still happened: the live XML names the pty QEMU opened.
        let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
        assert!(live.contains("<source path='/dev/pts/"), "{live}");
        block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    }
    // Two such calls cost 1 s or more each time before; a TCG start takes well under that.
    assert!(
        fastest < Duration::from_millis(900),
        "fastest start {fastest:?}"
    );
    let g = |e: DomainEventType, x: i32| ("pty".to_string(), e.0, x);
    let one_round = [
        g(
            DomainEventType::RESUMED,
            DomainEventResumedDetailType::UNPAUSED.0,
        ),
        g(
            DomainEventType::STARTED,
            DomainEventStartedDetailType::BOOTED.0,
        ),
        g(
            DomainEventType::STOPPED,
            DomainEventStoppedDetailType::DESTROYED.0,
        ),
    ];
    let seen = seen.lock().clone();
    let rounds: Vec<_> = (0..3).flat_map(|_| one_round.iter().cloned()).collect();
    assert_eq!(seen[1..], rounds, "{seen:?}");
}

#[test]
fn qemu_gets_no_descriptor_it_was_not_given() {
    // A descriptor the calling program holds open without close-on-exec (as a daemon may
    // inherit one, or an embedding program keep one for children of its own).
    let mut ends = [0; 2];
    // SAFETY: pipe(2) into a local array.
    assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
    let ours = std::fs::read_link(format!("/proc/self/fd/{}", ends[0])).unwrap();
    let root = common::Root::new();
    let d = open(root.path());
    let dom =
        block_on(d.domain_define_xml(&guest("fds", "qemu"), DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "fds");
    let held: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .collect();
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    // SAFETY: closing the two ends this test opened.
    unsafe {
        libc::close(ends[0]);
        libc::close(ends[1]);
    }
    assert!(!held.is_empty());
    assert!(!held.contains(&ours), "QEMU holds {ours:?}: {held:?}");
}

#[test]
fn sigkill_is_a_crash_within_a_second() {
    let root = common::Root::new();
    let d = open(root.path());
    let seen = record(&d);
    let dom =
        block_on(d.domain_define_xml(&guest("k", "qemu"), DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "k");
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let took = wait_until(Duration::from_secs(1), "the crash", || {
        block_on(d.domain_get_state(&dom, 0)).unwrap().0 == DomainState::SHUTOFF
    });
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::SHUTOFF, DomainShutoffReason::CRASHED.0),
        "after {took:?}"
    );
    let crashed = (
        "k".to_string(),
        DomainEventType::STOPPED.0,
        DomainEventStoppedDetailType::FAILED.0,
    );
    wait_until(Duration::from_millis(200), "the crash's event", || {
        seen.lock().last() == Some(&crashed)
    });

    // A transient domain started paused disappears when it ends.
    let t = block_on(d.domain_create_xml(&guest("t", "qemu"), DomainCreateFlags::START_PAUSED))
        .unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&t, 0)).unwrap(),
        (DomainState::PAUSED, DomainPausedReason::USER.0)
    );
    block_on(d.domain_destroy(&t, DomainDestroyFlags::empty())).unwrap();
    let e = block_on(d.domain_lookup_by_name("t")).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_DOMAIN);
}

#[test]
fn reattach_after_reopen() {
    let root = common::Root::new();
    let d = open(root.path());
    let dom =
        block_on(d.domain_define_xml(&guest("r", "qemu"), DomainDefineFlags::empty())).unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let t =
        block_on(d.domain_create_xml(&guest("rt", "qemu"), DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "r");
    // Each vCPU thread in its own group in the cpu, cpuset and CPU accounting hierarchies
    // (cpuacct, or the unified one where it is mounted), every other thread in `emulator`
    // (moved there in the background, soon after the start).
    for controller in ["cpu", "cpuset", "cpuacct", "unified"] {
        let Some(group) = common::group_of(pid, controller) else {
            continue;
        };
        let vcpu = common::vcpu_thread(pid, 0);
        let holds = |sub: &str, tid: &str| common::group_holds(&group, sub, tid);
        wait_until(
            Duration::from_secs(1),
            "the threads in their groups",
            || holds("vcpu0", &vcpu) && holds("emulator", &pid.to_string()),
        );
        assert!(!holds("emulator", &vcpu), "{controller}");
    }
    // What the status file keeps beside the definition: the taint of a monitor command, the
    // agent's timeout.
    block_on(d.domain_qemu_monitor_command(&dom, r#"{"execute":"query-status"}"#, 0)).unwrap();
    block_on(d.domain_agent_set_response_timeout(&dom, 10, 0)).unwrap();
    let before = block_on(d.domain_get_messages(&dom, 0)).unwrap();
    assert_eq!(before.len(), 2, "{before:?}");
    drop(d);
    // The "restart": a new driver on the same root.
    let d = open(root.path());
    let dom = block_on(d.domain_lookup_by_name("r")).unwrap();
    assert_eq!(dom.id, 1);
    assert_eq!(block_on(d.domain_get_messages(&dom, 0)).unwrap(), before);
    let status = std::fs::read_to_string(root.path().join("run/qemu/r.xml")).unwrap();
    assert!(status.contains("agentTimeout='10'"), "{status}");
    // The domain's control groups are found again: CPU shares read live.
    if std::path::Path::new("/sys/fs/cgroup/cpu/cpu.shares").exists() {
        let live = rvirt_types::domain::DomainModificationImpact::LIVE.bits();
        let sched = block_on(rvirt_driver::TuningDriver::domain_get_scheduler_parameters(
            &*d, &dom, 1, live,
        ))
        .unwrap();
        assert_eq!(sched[0].value, rvirt_types::TypedParamValue::ULLong(1024));
    }
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap().0,
        DomainState::RUNNING
    );
    assert!(block_on(d.domain_is_persistent(&dom)).unwrap());
    let t2 = block_on(d.domain_lookup_by_name("rt")).unwrap();
    assert_eq!(t2.uuid, t.uuid);
    assert!(!block_on(d.domain_is_persistent(&t2)).unwrap());
    assert_eq!(pid_of(root.path(), "r"), pid);
    // Controllable: suspend, resume, and a crash is still noticed.
    block_on(d.domain_suspend(&dom)).unwrap();
    block_on(d.domain_resume(&dom)).unwrap();
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_until(
        Duration::from_secs(1),
        "the crash after reattaching",
        || {
            block_on(d.domain_get_state(&dom, 0)).unwrap()
                == (DomainState::SHUTOFF, DomainShutoffReason::CRASHED.0)
        },
    );
    // A guest that ends while no driver is open: a zombie until someone reaps it. The next
    // driver finds it shut off (a transient one gone) and removes its control groups.
    let rt_pid = pid_of(root.path(), "rt");
    let rt_groups = common::groups_of(rt_pid);
    drop(d);
    // SAFETY: kill of the QEMU this test started.
    unsafe { libc::kill(rt_pid, libc::SIGKILL) };
    wait_until(Duration::from_secs(1), "the zombie", || {
        std::fs::read_to_string(format!("/proc/{rt_pid}/status")).is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("State:") && l.contains("zombie"))
        })
    });
    let d = open(root.path());
    assert!(block_on(d.domain_lookup_by_name("rt")).is_err());
    drop(d);
    // Until it is reaped (on these machines init reaps orphans every two seconds or so) the
    // zombie holds its groups; the next driver to open removes them.
    // SAFETY: reaps the QEMU this test started and killed.
    unsafe { libc::waitpid(rt_pid, std::ptr::null_mut(), 0) };
    let d = open(root.path());
    for g in rt_groups {
        assert!(!g.exists(), "{} is left", g.display());
    }
    drop(d);
}

#[test]
fn a_stuck_qemu_times_out_alone() {
    let root = common::Root::new();
    let d = open(root.path());
    d.set_monitor_timeout(Duration::from_secs(1));
    let a = block_on(d.domain_create_xml(&guest("a", "qemu"), DomainCreateFlags::empty())).unwrap();
    let b = block_on(d.domain_create_xml(&guest("b", "qemu"), DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root.path(), "a");
    // SAFETY: stops the QEMU this test started.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let d2 = d.clone();
    let a2 = a.clone();
    let stuck = std::thread::spawn(move || block_on(d2.domain_suspend(&a2)));
    std::thread::sleep(Duration::from_millis(100));
    // Each call answers while the other domain's monitor is stuck: well within the 1 s a call
    // that waited on it would take (a loose bound: the suite runs tests side by side).
    let timed = |what: &str, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{what}: {:?}",
            t.elapsed()
        );
    };
    for _ in 0..5 {
        timed("list_all_domains", &mut || {
            let all =
                block_on(d.connect_list_all_domains(ConnectListAllDomainsFlags::empty())).unwrap();
            assert_eq!(all.len(), 2);
        });
        timed("suspend b", &mut || block_on(d.domain_suspend(&b)).unwrap());
        timed("resume b", &mut || block_on(d.domain_resume(&b)).unwrap());
        timed("get_state a", &mut || {
            block_on(d.domain_get_state(&a, 0)).unwrap();
        });
    }
    let e = stuck.join().unwrap().unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_TIMEOUT, "{e}");
    // Later calls fail at once, with the same error.
    let t = Instant::now();
    let e = block_on(d.domain_reset(&a, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_TIMEOUT, "{e}");
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    block_on(d.domain_destroy(&a, DomainDestroyFlags::empty())).unwrap();
    block_on(d.domain_destroy(&b, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn a_failed_config_write_keeps_the_old_config() {
    let root = common::Root::new();
    let d = open(root.path());
    let first = guest("c", "qemu").replace(
        "<name>c</name>",
        "<name>c</name><uuid>5f4e3c2a-1b0d-4e8f-9a7b-6c5d4e3f2a1b</uuid>",
    );
    block_on(d.domain_define_xml(&first, DomainDefineFlags::empty())).unwrap();
    let path = root.path().join("etc/qemu/c.xml");
    let before = std::fs::read_to_string(&path).unwrap();
    // Root ignores permissions: block the temporary file's name with a folder instead.
    std::fs::create_dir(root.path().join("etc/qemu/.c.xml.new")).unwrap();
    std::fs::write(root.path().join("etc/qemu/.c.xml.new/x"), "").unwrap();
    let changed = first.replace(">64<", ">128<");
    let e = block_on(d.domain_define_xml(&changed, DomainDefineFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
    assert!(e.to_string().contains("cannot save config file"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    let dom = block_on(d.domain_lookup_by_name("c")).unwrap();
    assert_eq!(block_on(d.domain_get_max_memory(&dom)).unwrap(), 65536);
}

/// A mount made for one test, undone when dropped (also when the test fails).
struct Mounted(std::path::PathBuf);

impl Mounted {
    fn mount(src: &str, target: &std::path::Path, fstype: &str, flags: u64, data: &str) -> Self {
        use std::ffi::CString;
        let c = |s: &str| CString::new(s).unwrap();
        let target_c = c(target.to_str().unwrap());
        let (src_c, fstype_c, data_c) = (c(src), c(fstype), c(data));
        // SAFETY: mount(2) with valid NUL-terminated strings.
        let rc = unsafe {
            libc::mount(
                src_c.as_ptr(),
                target_c.as_ptr(),
                fstype_c.as_ptr(),
                flags as libc::c_ulong,
                data_c.as_ptr().cast(),
            )
        };
        assert_eq!(
            rc,
            0,
            "mount on {}: {}",
            target.display(),
            std::io::Error::last_os_error()
        );
        Mounted(target.to_path_buf())
    }
}

impl Mounted {
    /// Makes a bind mount read-only (`mount -o remount,bind,ro`).
    fn remount_read_only(&self) {
        let t = std::ffi::CString::new(self.0.to_str().unwrap()).unwrap();
        let flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY;
        // SAFETY: mount(2) remounting our own bind mount; null source, type and data are
        // allowed for a remount.
        let rc = unsafe {
            libc::mount(
                std::ptr::null(),
                t.as_ptr(),
                std::ptr::null(),
                flags,
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "remount: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let t = std::ffi::CString::new(self.0.to_str().unwrap()).unwrap();
        // SAFETY: umount2(2) of the mount this guard made; lazy so that an open file does not
        // keep it.
        unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Mounting needs root (CI runs as root); elsewhere the fault tests say why they skip.
fn can_mount() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a tmpfs or a read-only bind mount needs root");
        return false;
    }
    true
}

const CONFIG_UUID: &str = "7a1c0e55-3b9d-4f21-8e6a-2d4c6b8f0a13";

/// Defines domain `c` (64 MiB) and returns the changed definition (128 MiB) a second define
/// will try to save.
fn define_first(d: &QemuDriver) -> String {
    let first = guest("c", "qemu").replace(
        "<name>c</name>",
        &format!("<name>c</name><uuid>{CONFIG_UUID}</uuid>"),
    );
    block_on(d.domain_define_xml(&first, DomainDefineFlags::empty())).unwrap();
    first.replace(">64<", ">128<")
}

/// The names in a folder, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The failed define left everything as it was: the error names the file and the cause, the
/// old config is byte-identical, no temporary file is left, the domain keeps its old memory.
fn assert_define_failed_cleanly(
    d: &QemuDriver,
    changed: &str,
    config_dir: &std::path::Path,
    before: &[u8],
    cause: &str,
) {
    let e = block_on(d.domain_define_xml(changed, DomainDefineFlags::empty())).unwrap_err();
    let path = config_dir.join("c.xml");
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR, "{e}");
    assert_eq!(
        e.message,
        format!("cannot save config file '{}': {cause}", path.display())
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(
        !names_in(config_dir).iter().any(|n| n.starts_with('.')),
        "temporary file left: {:?}",
        names_in(config_dir)
    );
    let dom = block_on(d.domain_lookup_by_name("c")).unwrap();
    assert_eq!(block_on(d.domain_get_max_memory(&dom)).unwrap(), 65536);
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(xml.contains("<memory unit='KiB'>65536</memory>"), "{xml}");
}

#[test]
fn a_full_disk_fails_define_and_keeps_the_old_config() {
    if !can_mount() {
        return;
    }
    let root = common::Root::new();
    let config_dir = root.path().join("etc/qemu");
    std::fs::create_dir_all(&config_dir).unwrap();
    let _m = Mounted::mount("tmpfs", &config_dir, "tmpfs", 0, "size=64k,mode=0755");
    let d = open(root.path());
    let changed = define_first(&d);
    let before = std::fs::read(config_dir.join("c.xml")).unwrap();
    // Fill the file system to its last byte.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(config_dir.join("filler")).unwrap();
        let block = [0x5au8; 4096];
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
    }
    assert_define_failed_cleanly(
        &d,
        &changed,
        &config_dir,
        &before,
        "No space left on device",
    );
    // Space again: the same define goes through.
    std::fs::remove_file(config_dir.join("filler")).unwrap();
    block_on(d.domain_define_xml(&changed, DomainDefineFlags::empty())).unwrap();
    assert!(
        std::fs::read_to_string(config_dir.join("c.xml"))
            .unwrap()
            .contains("131072")
    );
}

#[test]
fn a_read_only_config_folder_fails_define_and_keeps_the_old_config() {
    if !can_mount() {
        return;
    }
    let root = common::Root::new();
    let config_dir = root.path().join("etc/qemu");
    let d = open(root.path());
    let changed = define_first(&d);
    let before = std::fs::read(config_dir.join("c.xml")).unwrap();
    let dir = config_dir.to_str().unwrap();
    let m = Mounted::mount(dir, &config_dir, "", libc::MS_BIND, "");
    m.remount_read_only();
    assert_define_failed_cleanly(&d, &changed, &config_dir, &before, "Read-only file system");
    // Undefine cannot remove the file either, and says so; the domain stays defined.
    let dom = block_on(d.domain_lookup_by_name("c")).unwrap();
    let e = block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR, "{e}");
    assert!(e.message.contains("Read-only file system"), "{e}");
    assert_eq!(std::fs::read(config_dir.join("c.xml")).unwrap(), before);
    assert!(block_on(d.domain_lookup_by_name("c")).is_ok());
}

#[test]
fn start_errors_read_like_libvirt() {
    let root = common::Root::new();
    let d = open(root.path());
    // A serial log in a folder that does not exist: the driver creates the file before QEMU
    // starts, as libvirt does, and says it cannot.
    let missing = root.path().join("no/such/folder/serial.log");
    let xml = guest("nofolder", "qemu").replace(
        "</os>",
        &format!(
            "</os><devices><serial type='file'><source path='{}'/><target port='0'/></serial>\
             </devices>",
            missing.display()
        ),
    );
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    let e = block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR, "{e}");
    assert_eq!(
        e.message,
        format!(
            "Failed to create file '{}': No such file or directory",
            missing.display()
        )
    );

    // QEMU refuses a device the driver accepts: a serial port connecting to a port nothing
    // listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let xml = guest("bad", "qemu").replace(
        "</os>",
        &format!(
            "</os><devices><serial type='tcp'><source mode='connect' host='127.0.0.1' \
             service='{port}'/><protocol type='raw'/><target port='0'/></serial></devices>"
        ),
    );
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    let e = block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR, "{e}");
    let prefix = "internal error: process exited while connecting to monitor: ";
    assert!(e.message.starts_with(prefix), "{e}");
    // Only what QEMU printed this time (with its timestamp, as QEMU runs with
    // `-msg timestamp=on`), not the command line the log starts with.
    let said = &e.message[prefix.len()..];
    let (stamp, said) = said.split_once(' ').unwrap();
    assert!(stamp.ends_with('Z') && stamp.contains('T'), "{e}");
    assert!(
        said.starts_with("qemu-system-x86_64: -chardev socket,"),
        "{e}"
    );
    assert!(!said.contains('\n') && !said.contains("LC_ALL"), "{e}");
    assert!(said.ends_with("Connection refused"), "{e}");
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::SHUTOFF, DomainShutoffReason::UNKNOWN.0)
    );
    assert!(!root.path().join("run/qemu/bad.xml").exists());
    // A second failure reports its own output only.
    let e2 = block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
    assert_eq!(e2.message.matches("Connection refused").count(), 1, "{e2}");

    // An emulator that does not exist: refused at define, as libvirt's capability lookup does.
    let xml = guest("noemu", "qemu").replace(
        "</os>",
        "</os><devices><emulator>/nonexistent/qemu-system-x86_64</emulator></devices>",
    );
    let e = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR, "{e}");
    assert_eq!(
        e.message,
        "Cannot check QEMU binary /nonexistent/qemu-system-x86_64: No such file or directory"
    );
    // One that is not executable.
    let plain = root.path().join("qemu-not-executable");
    std::fs::write(&plain, "").unwrap();
    let xml = xml.replace("/nonexistent/qemu-system-x86_64", plain.to_str().unwrap());
    let e = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "QEMU binary {} is not executable: Permission denied",
            plain.display()
        )
    );
}
