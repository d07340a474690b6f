//! The monitor against a real `qemu-system-x86_64` (TCG, no guest OS, `-S`). Skipped, with a
//! message, when the binary is not installed.

// Test helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used)]

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rvirt_qmp::{
    DeadReason, Error, ErrorClass, EventKind, EventReceiver, ExitInfo, Monitor, MonitorOptions,
    Pidfd, RunState,
};
use serde_json::json;

const QEMU: &str = "qemu-system-x86_64";

fn qemu_path() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(QEMU))
        .find(|p| p.exists())
}

struct Qemu {
    proc: Pidfd,
    mon: Monitor,
    _dir: tempfile::TempDir,
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.proc.signal(libc::SIGCONT);
        let _ = self.proc.signal(libc::SIGKILL);
    }
}

async fn start(extra: &[&str]) -> Option<Qemu> {
    let Some(bin) = qemu_path() else {
        eprintln!("{QEMU} not installed: skipped");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("mon.sock");
    let chardev = format!("socket,id=mon,path={},server=on,wait=off", sock.display());
    let proc = Pidfd::spawn(
        Command::new(bin)
            .args(["-machine", "pc", "-accel", "tcg", "-m", "64", "-nodefaults"])
            .args(["-display", "none", "-S", "-no-user-config"])
            .args(["-chardev", &chardev, "-mon", "chardev=mon,mode=control"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    )
    .unwrap();
    let opts = MonitorOptions {
        deadline: Duration::from_secs(5),
        ..MonitorOptions::default()
    };
    let mon = Monitor::connect(&sock, Duration::from_secs(10), opts)
        .await
        .unwrap();
    Some(Qemu {
        proc,
        mon,
        _dir: dir,
    })
}

async fn next_event(events: &mut EventReceiver, name: &str) -> EventKind {
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let ev = events.recv().await.unwrap();
            if ev.name == name {
                return ev.kind();
            }
        }
    });
    found
        .await
        .unwrap_or_else(|_| panic!("no {name} event within 5 s"))
}

#[tokio::test]
async fn lifecycle_and_queries() {
    let Some(q) = start(&["-device", "virtio-balloon-pci,id=balloon0", "-smp", "2"]).await else {
        return;
    };
    let mon = &q.mon;
    let mut events = mon.events();
    assert!(mon.greeting().version.major >= 7);
    let st = mon.query_status().await.unwrap();
    assert_eq!((st.running, st.status), (false, RunState::Prelaunch));

    mon.cont().await.unwrap();
    assert_eq!(next_event(&mut events, "RESUME").await, EventKind::Resume);
    assert_eq!(mon.query_status().await.unwrap().status, RunState::Running);
    mon.stop().await.unwrap();
    assert_eq!(next_event(&mut events, "STOP").await, EventKind::Stop);
    assert_eq!(mon.query_status().await.unwrap().status, RunState::Paused);
    mon.system_reset().await.unwrap();
    assert!(matches!(
        next_event(&mut events, "RESET").await,
        EventKind::Reset { guest: false, .. }
    ));

    let cpus = mon.query_cpus_fast().await.unwrap();
    assert_eq!(cpus.len(), 2);
    assert_eq!(cpus[0].target, "x86_64");
    assert!(cpus.iter().all(|c| c.thread_id > 0));
    assert_eq!(mon.query_target().await.unwrap(), "x86_64");
    assert_eq!(
        mon.query_version().await.unwrap().qemu,
        mon.greeting().version
    );
    assert!(
        mon.query_commands()
            .await
            .unwrap()
            .iter()
            .any(|c| c == "query-status")
    );
    assert!(!mon.query_kvm().await.unwrap().enabled);
    assert!(mon.query_jobs().await.unwrap().is_empty());
    assert!(mon.query_block_jobs().await.unwrap().is_empty());
    let err = mon.block_job_cancel("nojob", false).await.unwrap_err();
    assert!(
        matches!(&err, Error::Qemu { class, .. } if class == "DeviceNotActive"),
        "{err}"
    );
    mon.inject_nmi().await.unwrap();
    assert!(matches!(mon.system_wakeup().await, Err(Error::Qemu { .. })));
    let hmp = mon.human_monitor_command("info version").await.unwrap();
    assert!(
        hmp.starts_with(&mon.greeting().version.major.to_string()),
        "{hmp}"
    );

    // Balloon: size, and the statistics polling knobs on the device's QOM path.
    assert_eq!(mon.query_balloon().await.unwrap().actual, 64 << 20);
    let path = "/machine/peripheral/balloon0";
    mon.set_balloon_stats_period(path, 5).await.unwrap();
    assert_eq!(
        mon.qom_get(path, "guest-stats-polling-interval")
            .await
            .unwrap(),
        json!(5)
    );
    let stats = mon.balloon_stats(path).await.unwrap();
    assert_eq!(stats.last_update, 0);
    assert!(stats.stats.contains_key("stat-free-memory"));
    assert_eq!(stats.stat("stat-free-memory"), None);

    // Block nodes, with stats that see them.
    mon.blockdev_add(json!({"driver": "null-co", "node-name": "null0", "size": 1048576}))
        .await
        .unwrap();
    let err = mon
        .blockdev_add(json!({"driver": "null-co", "node-name": "null0"}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Qemu { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::QemuRefused);
    assert!(mon.dead_reason().is_none());
    mon.blockdev_del("null0").await.unwrap();
    assert!(mon.query_block().await.unwrap().is_empty());

    // fd sets.
    let f = std::fs::File::open("/dev/null").unwrap();
    let added = mon.add_fd(None, Some("test"), f.as_raw_fd()).await.unwrap();
    assert!(added.fd >= 0);
    mon.remove_fd(added.fdset_id, None).await.unwrap();

    mon.quit().await.unwrap();
    assert!(matches!(
        next_event(&mut events, "SHUTDOWN").await,
        EventKind::Shutdown { guest: false, .. }
    ));
    let exit = tokio::time::timeout(Duration::from_secs(5), q.proc.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit, ExitInfo::Exited(0));
    assert_eq!(mon.closed().await, DeadReason::Eof);
}

#[tokio::test]
async fn a_stopped_qemu_times_out_while_another_answers() {
    let (Some(stuck), Some(good)) = (start(&[]).await, start(&[]).await) else {
        return;
    };
    stuck.proc.signal(libc::SIGSTOP).unwrap();
    let stuck_mon = stuck.mon.clone();
    let stuck_call = tokio::spawn(async move {
        let t = Instant::now();
        let r = stuck_mon
            .execute_within("query-status", None, Duration::from_millis(500))
            .await;
        (r, t.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..10 {
        let t = Instant::now();
        good.mon.query_status().await.unwrap();
        // Not held up by the stuck QEMU's 500 ms (loosely, as tests run side by side).
        assert!(
            t.elapsed() < Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
    }
    let (r, waited) = stuck_call.await.unwrap();
    let err = r.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(waited < Duration::from_millis(1000), "{waited:?}");
    let t = Instant::now();
    let again = stuck.mon.query_status().await.unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(again.class(), ErrorClass::Timeout);
}

#[tokio::test]
async fn sigkill_is_noticed_within_a_second() {
    let Some(q) = start(&[]).await else { return };
    q.mon.cont().await.unwrap();
    let t = Instant::now();
    q.proc.signal(libc::SIGKILL).unwrap();
    let (reason, exit) = tokio::time::timeout(Duration::from_secs(1), async {
        tokio::join!(q.mon.closed(), q.proc.wait())
    })
    .await
    .expect("EOF and exit within 1 s");
    assert_eq!(reason, DeadReason::Eof);
    assert_eq!(exit.unwrap(), ExitInfo::Signaled(libc::SIGKILL));
    eprintln!("SIGKILL noticed after {:?}", t.elapsed());
    let err = q.mon.query_status().await.unwrap_err();
    assert!(matches!(err, Error::Dead(DeadReason::Eof)), "{err}");
    assert_eq!(err.class(), ErrorClass::Failed);
}

async fn wait_migration(mon: &Monitor) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let info = mon.query_migrate().await.unwrap();
        match info.status.as_deref() {
            Some("completed") => {
                assert!(info.ram.unwrap().transferred > 0);
                return;
            }
            Some("failed") => panic!("migration failed: {:?}", info.error_desc),
            _ => {}
        }
        assert!(Instant::now() < until, "migration still {:?}", info.status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn migrate_to_a_file_through_getfd() {
    let Some(q) = start(&[]).await else { return };
    let mon = &q.mon;
    let mut events = mon.events();
    mon.migrate_set_capabilities(&[("events", true)])
        .await
        .unwrap();
    mon.migrate_set_parameters(json!({"max-bandwidth": 1u64 << 30}))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let by_fd = dir.path().join("by-fd.img");
    let file = std::fs::File::create(&by_fd).unwrap();
    mon.getfd("migrate", file.as_raw_fd()).await.unwrap();
    drop(file);
    mon.migrate("fd:migrate").await.unwrap();
    wait_migration(mon).await;
    loop {
        if next_event(&mut events, "MIGRATION").await
            == (EventKind::Migration {
                status: "completed".into(),
            })
        {
            break;
        }
    }
    assert!(std::fs::metadata(&by_fd).unwrap().len() > 0);
    let err = mon.closefd("migrate").await.unwrap_err();
    assert!(
        matches!(err, Error::Qemu { .. }),
        "migrate consumed the fd: {err}"
    );
    assert_eq!(
        mon.query_status().await.unwrap().status,
        RunState::Postmigrate
    );
}

#[tokio::test]
async fn migrate_to_a_file_through_exec() {
    let Some(q) = start(&[]).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let by_exec = dir.path().join("by-exec.img");
    q.mon
        .migrate(&format!("exec:cat > {}", by_exec.display()))
        .await
        .unwrap();
    wait_migration(&q.mon).await;
    assert!(std::fs::metadata(&by_exec).unwrap().len() > 0);
}

#[tokio::test]
async fn probe_reports_machines_and_cpus_and_caches_them() {
    let Some(bin) = qemu_path() else {
        eprintln!("{QEMU} not installed: skipped");
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let p = rvirt_qmp::probe_cached(&bin, cache.path(), Duration::from_secs(10))
        .await
        .unwrap();
    let first = t.elapsed();
    assert_eq!(p.arch, "x86_64");
    assert!(p.version.major >= 7);
    let pc = p.machine("pc").expect("pc alias");
    assert!(pc.name.starts_with("pc-i440fx-"));
    assert!(pc.hotpluggable_cpus);
    let q35 = p.machine("q35").expect("q35 alias");
    assert!(q35.name.starts_with("pc-q35-"));
    assert!(p.default_machine().is_some());
    assert!(p.cpus.cpu_definitions.iter().any(|c| c.name == "qemu64"));
    assert!(p.has_command("query-status") && p.has_command("migrate"));
    assert_eq!(p.kvm_present, Path::new("/dev/kvm").exists());
    // Both accelerators' CPUs: KVM's host CPU (when it works) and TCG's maximum one.
    let tcg = p.accel_cpus(false).expect("TCG always works");
    assert_eq!(tcg.host_cpu.as_ref().unwrap().model, "max");
    assert!(tcg.cpu_definitions.iter().any(|c| c.name == "qemu64"));
    assert_eq!(p.accel_cpus(true).is_some(), p.kvm_enabled);
    if let Some(kvm) = p.accel_cpus(true) {
        assert_eq!(kvm.host_cpu.as_ref().unwrap().model, "host");
    }
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);

    let t = Instant::now();
    let again = rvirt_qmp::probe_cached(&bin, cache.path(), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(again, p);
    assert!(
        t.elapsed() < first,
        "cache hit {:?} vs probe {first:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn probe_of_a_binary_that_exits_says_so() {
    let err = rvirt_qmp::probe(Path::new("/bin/false"), Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, rvirt_qmp::ProbeError::EarlyExit { .. }),
        "{err}"
    );
}

async fn wait_job(mon: &Monitor, id: &str) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let jobs = mon.query_jobs().await.unwrap();
        let job = jobs.iter().find(|j| j.id == id).expect("job listed");
        if job.status == "concluded" {
            assert_eq!(job.error, None, "job {id} failed");
            mon.job_dismiss(id).await.unwrap();
            return;
        }
        assert!(Instant::now() < until, "job {id} still {}", job.status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn internal_snapshots_through_jobs() {
    if qemu_path().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("disk.qcow2");
    let made = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&img)
        .arg("16M")
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("qemu-img not usable: skipped");
        return;
    }
    let blockdev = format!(
        "driver=qcow2,node-name=disk0,file.driver=file,file.filename={}",
        img.display()
    );
    let q = start(&["-blockdev", &blockdev]).await.unwrap();
    let mon = &q.mon;
    let mut events = mon.events();
    let devices = ["disk0"];
    let job = |id| rvirt_qmp::SnapshotJob {
        job_id: id,
        tag: "s1",
        vmstate: "disk0",
        devices: &devices,
    };
    mon.snapshot_save(&job("save")).await.unwrap();
    wait_job(mon, "save").await;
    assert!(matches!(
        next_event(&mut events, "JOB_STATUS_CHANGE").await,
        EventKind::JobStatusChange { .. }
    ));
    let listing = mon.human_monitor_command("info snapshots").await.unwrap();
    assert!(listing.contains("s1"), "{listing}");
    mon.snapshot_load(&job("load")).await.unwrap();
    wait_job(mon, "load").await;
    mon.snapshot_delete(&job("delete")).await.unwrap();
    wait_job(mon, "delete").await;
    let listing = mon.human_monitor_command("info snapshots").await.unwrap();
    assert!(!listing.contains("s1"), "{listing}");
    assert!(mon.query_jobs().await.unwrap().is_empty());
}

#[tokio::test]
async fn devices_and_passwords() {
    let Some(q) = start(&["-vnc", "none,password=on"]).await else {
        return;
    };
    let mon = &q.mon;
    mon.device_add(json!({"driver": "virtio-rng-pci", "id": "rng0"}))
        .await
        .unwrap();
    let ty = mon
        .qom_get("/machine/peripheral/rng0", "type")
        .await
        .unwrap();
    assert_eq!(ty, json!("virtio-rng-pci"));
    let err = mon
        .device_add(json!({"driver": "no-such-device", "id": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Qemu { .. }), "{err}");
    mon.device_del("rng0").await.unwrap();
    mon.set_password("vnc", "secret", None).await.unwrap();
    mon.expire_password("vnc", "+60").await.unwrap();
    mon.expire_password("vnc", "never").await.unwrap();
}

/// libvirt's way: the monitor socket is bound and listening before QEMU starts and handed to
/// it as a descriptor, so the client connects once, with no retry loop and no path race.
#[tokio::test]
async fn monitor_on_a_listening_socket_handed_to_qemu() {
    let Some(bin) = qemu_path() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("mon.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let fd = listener.as_raw_fd();
    let chardev = format!("socket,id=mon,fd={fd},server=on,wait=off");
    let mut cmd = Command::new(bin);
    cmd.args(["-machine", "none", "-nodefaults", "-display", "none", "-S"])
        .args(["-chardev", &chardev, "-mon", "chardev=mon,mode=control"])
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    // SAFETY: only async-signal-safe fcntl calls between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let proc = Pidfd::spawn(&mut cmd).unwrap();
    drop(listener);
    let t = Instant::now();
    let stream = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let mon = Monitor::from_std(stream, MonitorOptions::default())
        .await
        .unwrap();
    eprintln!("negotiated {:?} after spawn", t.elapsed());
    assert_eq!(
        mon.query_status().await.unwrap().status,
        RunState::Prelaunch
    );
    mon.quit().await.unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(5), proc.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit, ExitInfo::Exited(0));
}

#[tokio::test]
async fn raw_commands_get_qemus_own_reply_lines() {
    let Some(q) = start(&[]).await else { return };
    let line = q
        .mon
        .execute_raw(&json!({"execute": "query-status", "id": "theirs"}))
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["return"]["status"], "prelaunch", "{line}");
    // The id is ours, in libvirt's form, and the line keeps QEMU's own member order.
    let id = v["id"].as_str().unwrap();
    assert!(id.starts_with("libvirt-"), "{line}");
    assert!(line.starts_with(r#"{"return": {"#), "{line}");
    // QEMU's errors come back as lines too.
    let line = q
        .mon
        .execute_raw(&json!({"execute": "no-such-command"}))
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["error"]["class"], "CommandNotFound", "{line}");
    // Input QEMU would answer without an id is answered as QEMU would, and not sent: the
    // monitor goes on working.
    for (input, desc) in [
        (json!({"foo": 1}), "QMP input member 'foo' is unexpected"),
        (json!([1]), "QMP input must be a JSON object"),
        (json!({"arguments": {}}), "QMP input lacks member 'execute'"),
    ] {
        let line = q.mon.execute_raw(&input).await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["error"]["desc"], desc, "{line}");
        assert_eq!(v.get("id"), None);
    }
    let Error::Qemu { .. } = q.mon.execute("no-such", None).await.unwrap_err() else {
        panic!("the monitor should still answer")
    };
    assert!(q.mon.dead_reason().is_none());
}
