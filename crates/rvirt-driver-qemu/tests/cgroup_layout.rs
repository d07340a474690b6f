//! Control groups and CPU statistics beside libvirt's (its embedded QEMU driver, as root): the
//! same guest (two vCPUs, one online) under both, then for each hierarchy the groups its QEMU
//! threads sit in and the sub-groups of its domain group, the shape of `virDomainGetCPUStats`
//! (in all and per host CPU, or its error) and the `cpu.*` statistics, and after the destroy
//! the groups left (none).
//!
//! Compared: `cpu`, `cpuacct`, `cpuset`, `memory`, `blkio`, `freezer` and the unified
//! hierarchy, and the device filter libvirt attaches to a guest's unified group (its rules as
//! the kernel holds them); the version 1 `devices` hierarchy, which libvirt uses only where no
//! unified one filters devices, is not.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, open, pid_of, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, TuningDriver};
use rvirt_testsupport::{PYTHON, libvirt_embed_root, write_embed_conf};
use rvirt_types::domain::*;
use std::path::Path;
use std::time::Duration;

const GUEST: &str = "<domain type='qemu'><name>cgl</name><memory unit='MiB'>64</memory>\
                     <vcpu current='1'>2</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

/// The hierarchies compared, as `/proc/PID/cgroup` names them (`""`: the unified one).
const HIERARCHIES: [&str; 7] = ["cpu", "cpuacct", "cpuset", "memory", "blkio", "freezer", ""];

/// The path in hierarchy `h` (`cpu`, `cpuset`…; `""` for the unified one) that a
/// `/proc/…/cgroup` text `groups` gives.
fn hierarchy_path<'a>(groups: &'a str, h: &str) -> Option<&'a str> {
    groups.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
        names.split(',').any(|n| n == h).then_some(path)
    })
}

/// Where hierarchy `h` (`""`: the unified one) is mounted.
fn hierarchy_top(h: &str) -> std::path::PathBuf {
    let unified = Path::new("/sys/fs/cgroup/unified");
    match h {
        "" if unified.is_dir() => unified.to_path_buf(),
        h => Path::new("/sys/fs/cgroup").join(h),
    }
}

/// The sub-groups of the group `dir`, by name, sorted.
fn subgroups_of(dir: &Path) -> Vec<String> {
    let mut subs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    subs.sort();
    subs
}

/// Where thread `tid` of process `pid` sits in each hierarchy, relative to the domain's group
/// (`/` for the group itself, `-` outside any domain group), and the sub-groups of that group.
fn layout(pid: i32, tid: &str) -> Vec<String> {
    let groups = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/cgroup")).unwrap();
    let mut out = Vec::new();
    for h in HIERARCHIES {
        let path = hierarchy_path(&groups, h).unwrap_or("");
        // machine/<prefix>-<id>-<name>.<driver>-qemu[/sub]
        let label = if h.is_empty() { "unified" } else { h };
        let Some(at) = path.find("-qemu") else {
            out.push(format!("{label}: -"));
            continue;
        };
        let (group, sub) = path.split_at(at + "-qemu".len());
        let sub = if sub.is_empty() { "/" } else { sub };
        let subs = subgroups_of(&hierarchy_top(h).join(group.trim_start_matches('/')));
        out.push(format!("{label}: {sub} of [{}]", subs.join(" ")));
    }
    out
}

/// The layout of the main thread and of vCPU 0's thread.
fn threads_layout(pid: i32) -> Vec<String> {
    let vcpu = common::vcpu_thread(pid, 0);
    [
        layout(pid, &pid.to_string()),
        layout(pid, &vcpu)
            .into_iter()
            .map(|l| format!("vcpu {l}"))
            .collect(),
    ]
    .concat()
}

/// The groups a guest named `cgl` has in any hierarchy.
fn groups_left() -> Vec<String> {
    let mut left = Vec::new();
    for top in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        if let Ok(groups) = std::fs::read_dir(top.path().join("machine")) {
            left.extend(
                groups
                    .flatten()
                    .map(|g| g.file_name().into_string().unwrap())
                    .filter(|n| n.contains("-cgl.")),
            );
        }
    }
    left
}

/// libvirt's side, over a python3-libvirt child: the layout once started, the statistics'
/// shapes, and the groups left after the destroy.
fn libvirt_report(root: &Path) -> Vec<String> {
    let script = r#"
import libvirt, sys, threading
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
c = libvirt.open("qemu:///embed?root=" + sys.argv[1])
d = c.createXML(sys.argv[2])
print(open(sys.argv[1] + "/run/qemu/cgl.pid").read().strip(), flush=True)
sys.stdin.readline()
print(" ".join(sorted(d.getCPUStats(True)[0])))
try:
    per = d.getCPUStats(False)
    print("%d cpus: %s" % (len(per), " ".join(sorted(per[0]))))
except libvirt.libvirtError as e:
    print("error %d: %s" % (e.get_error_code(), e.get_error_message()))
stats = c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_CPU_TOTAL)[0][1]
print(" ".join(sorted(k for k in stats if not k.startswith("cpu.haltpoll"))), flush=True)
d.destroy()
print("done", flush=True)
"#;
    let mut child = libvirt_child(root, script, &[GUEST.to_string()]);
    let pid: i32 = child.line().parse().unwrap();
    let mut report = threads_layout(pid);
    child.send("");
    for _ in 0..3 {
        report.push(child.line());
    }
    assert_eq!(child.line(), "done");
    child.finish();
    report.push(format!("left: {:?}", groups_left()));
    report
}

/// rvirt's side, the same steps under its embedded driver.
fn rvirt_report(root: &Path) -> Vec<String> {
    let d = open(root);
    let _guest = common::Cleanup(d.clone(), "cgl");
    let dom = block_on(d.domain_create_xml(GUEST, DomainCreateFlags::empty())).unwrap();
    let pid = pid_of(root, "cgl");
    // The threads move to their sub-groups in the background, soon after the start.
    let vcpu = common::vcpu_thread(pid, 0);
    wait_until(Duration::from_secs(2), "the vCPU in its groups", || {
        let now = layout(pid, &vcpu);
        // In its own group wherever the domain has one.
        ["cpu", "cpuacct", "cpuset", "unified"].iter().all(|h| {
            now.iter()
                .any(|l| *l == format!("{h}: -") || l.starts_with(&format!("{h}: /vcpu0")))
        })
    });
    let mut report = threads_layout(pid);
    let total = block_on(d.domain_get_cpu_stats(&dom, -1, 1, 0)).unwrap();
    let mut names: Vec<&str> = total[0].iter().map(|p| p.field.as_str()).collect();
    names.sort();
    report.push(names.join(" "));
    let ncpus = block_on(d.domain_get_cpu_stats(&dom, 0, 0, 0))
        .unwrap()
        .len() as u32;
    report.push(match block_on(d.domain_get_cpu_stats(&dom, 0, ncpus, 0)) {
        Ok(per) => {
            let mut names: Vec<&str> = per[0].iter().map(|p| p.field.as_str()).collect();
            names.sort();
            format!("{} cpus: {}", per.len(), names.join(" "))
        }
        Err(e) => format!("error {}: {}", e.code.0, e.message),
    });
    let stats = block_on(d.connect_get_all_domain_stats(
        Some(std::slice::from_ref(&dom)),
        DomainStatsTypes::CPU_TOTAL,
        ConnectGetAllDomainStatsFlags::empty(),
    ))
    .unwrap();
    let mut names: Vec<&str> = stats[0]
        .1
        .iter()
        .map(|p| p.field.as_str())
        .filter(|f| !f.starts_with("cpu.haltpoll"))
        .collect();
    names.sort();
    report.push(names.join(" "));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    // The groups go on the driver's cleaner thread, soon after the destroy.
    wait_until(Duration::from_secs(2), "the groups removed", || {
        groups_left().is_empty()
    });
    report.push(format!("left: {:?}", groups_left()));
    report
}

/// Whether this host can run a comparison that needs the cgroup files or folders `paths`: as
/// root, with them there (neither driver makes groups otherwise). CI runs as root on a host
/// with a unified hierarchy beside the version 1 controllers: a missing one fails it there.
fn host_has(paths: &[&str]) -> bool {
    // SAFETY: geteuid has no preconditions.
    let ok = unsafe { libc::geteuid() } == 0 && paths.iter().all(|p| Path::new(p).exists());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI runs as root on a host with {paths:?}"
    );
    ok
}

/// Runs `libvirt` on a root readied for libvirt's embedded driver, then `rvirt` on one for
/// rvirt's, and compares what they report (nothing to compare when libvirt's QEMU driver is
/// missing, which fails the test under CI).
fn compare(libvirt: impl FnOnce(&Path) -> Vec<String>, rvirt: impl FnOnce(&Path) -> Vec<String>) {
    let lv_root = Root::new();
    if !libvirt_embed_root(lv_root.path()) {
        return;
    }
    let want = libvirt(lv_root.path());
    let rv_root = Root::new();
    write_embed_conf(rv_root.path(), "");
    let got = rvirt(rv_root.path());
    assert_eq!(got, want);
}

/// libvirt's side of a comparison: `script` in python3-libvirt (its first argument the root,
/// then `args`), talking line by line, at most 120 s.
fn libvirt_child(root: &Path, script: &str, args: &[String]) -> common::LineChild {
    let mut cmd = std::process::Command::new("timeout");
    cmd.arg("120")
        .arg(PYTHON)
        .args(["-c", script])
        .arg(root)
        .args(args);
    common::LineChild::spawn(cmd, &root.join("libvirt.err"))
}

#[test]
fn groups_and_cpu_statistics_are_libvirts() {
    if host_has(&["/sys/fs/cgroup/cpu/cgroup.procs"]) {
        compare(libvirt_report, rvirt_report);
    }
}

/// The pinned guest: two vCPUs (one online), two I/O threads, the vCPU, the emulator and the
/// first I/O thread pinned (`first` and `last`: host CPUs).
fn pinned_guest(first: u32, last: u32) -> String {
    format!(
        "<domain type='qemu'><name>cgp</name><memory unit='MiB'>64</memory>\
         <vcpu current='1'>2</vcpu><iothreads>2</iothreads>\
         <cputune><vcpupin vcpu='0' cpuset='{last}'/><emulatorpin cpuset='{first}'/>\
         <iothreadpin iothread='1' cpuset='{last}'/></cputune>\
         <os><type arch='x86_64'>hvm</type></os></domain>"
    )
}

/// The host's first and last online CPUs.
fn first_and_last_cpu() -> (u32, u32) {
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    let cpus: Vec<u32> = online
        .trim()
        .split([',', '-'])
        .map(|n| n.parse().unwrap())
        .collect();
    (cpus[0], *cpus.last().unwrap())
}

/// The domain group in hierarchy `h` (`cpu`, `cpuset`; `""`: the unified one) of the QEMU
/// with process id `pid`.
fn domain_group(pid: i32, h: &str) -> std::path::PathBuf {
    let groups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path = hierarchy_path(&groups, h).unwrap();
    let at = path.find("-qemu").expect("QEMU in a domain group");
    hierarchy_top(h).join(path[..at + "-qemu".len()].trim_start_matches('/'))
}

/// The threads of the QEMU `pid` that get groups of their own (its main thread as `main`, the
/// vCPUs', the I/O threads'): the `cpuset` sub-group each sits in and the CPUs it may run on;
/// then for each sub-group, its `cpuset.cpus` and its `cpu` quota.
fn pinning_report(pid: i32) -> Vec<String> {
    let mut report = Vec::new();
    let mut tasks: Vec<(String, String)> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .filter_map(|t| {
            let tid = t.file_name().into_string().unwrap();
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            let comm = comm.trim();
            if tid == pid.to_string() {
                Some(("main".to_string(), tid))
            } else if comm.starts_with("CPU ") || comm.starts_with("IO iothread") {
                Some((comm.to_string(), tid))
            } else {
                None
            }
        })
        .collect();
    tasks.sort();
    for (name, tid) in tasks {
        let task = format!("/proc/{pid}/task/{tid}");
        let groups = std::fs::read_to_string(format!("{task}/cgroup")).unwrap_or_default();
        // A thread on its way out (an I/O thread just deleted) has left its groups (the
        // kernel shows none, or the root); every other thread is in the domain's.
        let cpuset = hierarchy_path(&groups, "cpuset");
        let Some((_, sub)) = cpuset.and_then(|l| l.rsplit_once("-qemu")) else {
            continue;
        };
        let status = std::fs::read_to_string(format!("{task}/status")).unwrap_or_default();
        let allowed = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap_or("?")
            .trim()
            .to_string();
        report.push(format!("{name}: in '{sub}', on {allowed}"));
    }
    let cpuset = domain_group(pid, "cpuset");
    let cpu = domain_group(pid, "cpu");
    for s in subgroups_of(&cpuset) {
        let read = |p: std::path::PathBuf| {
            std::fs::read_to_string(p)
                .map(|t| t.trim().to_string())
                .unwrap_or_else(|_| "-".into())
        };
        report.push(format!(
            "{s}: cpuset.cpus {}, cpu quota {}",
            read(cpuset.join(&s).join("cpuset.cpus")),
            read(cpu.join(&s).join("cpu.cfs_quota_us")),
        ));
    }
    report
}

/// libvirt's side of the pinning comparison: the report at start, then after live pinning of
/// the vCPU, the emulator and I/O thread 1, I/O thread 3 added and 2 removed, and an I/O
/// thread quota set; the scheduler's I/O thread figures.
fn libvirt_pinning(root: &Path, first: u32, last: u32) -> Vec<String> {
    let script = r#"
import libvirt, sys, threading
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
c = libvirt.open("qemu:///embed?root=" + sys.argv[1])
first, last = int(sys.argv[3]), int(sys.argv[4])
n = c.getCPUMap()[0]
on = lambda cpu: tuple(i == cpu for i in range(n))
L = libvirt.VIR_DOMAIN_AFFECT_LIVE
d = c.createXML(sys.argv[2])
print(open(sys.argv[1] + "/run/qemu/cgp.pid").read().strip(), flush=True)
sys.stdin.readline()
d.pinVcpuFlags(0, on(first), L)
d.pinEmulator(on(last), L)
d.pinIOThread(1, on(first), L)
d.addIOThread(3, L)
d.delIOThread(2, L)
d.setSchedulerParametersFlags({"iothread_quota": 50000}, L)
s = d.schedulerParametersFlags(L)
print("iothread_period %d, iothread_quota %d" % (s["iothread_period"], s["iothread_quota"]), flush=True)
sys.stdin.readline()
d.destroy()
print("done", flush=True)
"#;
    let args = [
        pinned_guest(first, last),
        first.to_string(),
        last.to_string(),
    ];
    let mut child = libvirt_child(root, script, &args);
    let pid: i32 = child.line().parse().unwrap();
    let mut report = pinning_report(pid);
    child.send("");
    report.push(child.line());
    report.extend(pinning_report(pid));
    child.send("");
    assert_eq!(child.line(), "done");
    child.finish();
    report
}

/// A cpumap with host CPU `cpu` alone.
fn cpumap_of(cpu: u32) -> Vec<u8> {
    let mut map = vec![0u8; cpu as usize / 8 + 1];
    map[cpu as usize / 8] |= 1 << (cpu % 8);
    map
}

/// rvirt's side, the same steps under its embedded driver.
fn rvirt_pinning(root: &Path, first: u32, last: u32) -> Vec<String> {
    let d = open(root);
    let _guest = common::Cleanup(d.clone(), "cgp");
    let dom = block_on(d.domain_create_xml(&pinned_guest(first, last), DomainCreateFlags::empty()))
        .unwrap();
    let pid = pid_of(root, "cgp");
    // The threads move to their sub-groups in the background, soon after the start.
    wait_until(
        Duration::from_secs(2),
        "the threads in their groups",
        || {
            pinning_report(pid)
                .iter()
                .filter(|l| l.starts_with("CPU ") || l.starts_with("IO "))
                .all(|l| !l.contains("in ''") && !l.contains("in '/emulator'"))
        },
    );
    let mut report = pinning_report(pid);
    let live = DomainModificationImpact::LIVE.bits();
    block_on(d.domain_pin_vcpu(&dom, 0, &cpumap_of(first), live)).unwrap();
    block_on(d.domain_pin_emulator(&dom, &cpumap_of(last), live)).unwrap();
    block_on(d.domain_pin_iothread(&dom, 1, &cpumap_of(first), live)).unwrap();
    block_on(d.domain_add_iothread(&dom, 3, live)).unwrap();
    block_on(d.domain_del_iothread(&dom, 2, live)).unwrap();
    let quota =
        rvirt_types::TypedParam::new("iothread_quota", rvirt_types::TypedParamValue::LLong(50000));
    block_on(d.domain_set_scheduler_parameters(&dom, &[quota], live)).unwrap();
    let sched = block_on(d.domain_get_scheduler_parameters(&dom, 9, live)).unwrap();
    let figure = |name: &str| {
        let p = sched.iter().find(|p| p.field == name).unwrap();
        match p.value {
            rvirt_types::TypedParamValue::ULLong(v) => v as i64,
            rvirt_types::TypedParamValue::LLong(v) => v,
            ref v => panic!("{name}: {v:?}"),
        }
    };
    report.push(format!(
        "iothread_period {}, iothread_quota {}",
        figure("iothread_period"),
        figure("iothread_quota")
    ));
    report.extend(pinning_report(pid));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    report
}

#[test]
fn pinned_threads_get_libvirts_cpuset_groups() {
    if host_has(&[
        "/sys/fs/cgroup/cpuset/cgroup.procs",
        "/sys/fs/cgroup/cpu/cgroup.procs",
    ]) {
        let (first, last) = first_and_last_cpu();
        compare(
            |root| libvirt_pinning(root, first, last),
            |root| rvirt_pinning(root, first, last),
        );
    }
}

/// A loop device over a small file of its own, detached when dropped.
struct Loop(String);

impl Loop {
    fn new(dir: &Path, name: &str) -> Loop {
        let file = dir.join(name);
        std::fs::write(&file, vec![0u8; 1 << 20]).unwrap();
        let out = std::process::Command::new("losetup")
            .args(["-f", "--show"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "losetup: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Loop(String::from_utf8(out.stdout).unwrap().trim().to_string())
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup")
            .args(["-d", &self.0])
            .status();
    }
}

/// The guest of the device filter comparison: a read-only disk on block device `disk`, an
/// empty CD-ROM drive, a serial port on a pseudo-terminal and a random number generator.
fn filtered_guest(disk: &str) -> String {
    format!(
        "<domain type='qemu'><name>cgd</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64'>hvm</type></os><features><acpi/></features><devices>\
         <disk type='block' device='disk'><source dev='{disk}'/><target dev='vda' bus='virtio'/>\
         <readonly/></disk>{}<serial type='pty'/>\
         <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\
         </devices></domain>",
        cdrom(None)
    )
}

/// The disk plugged: writable, on block device `dev`.
fn plugged_disk(dev: &str) -> String {
    format!(
        "<disk type='block' device='disk'><source dev='{dev}'/>\
         <target dev='vdb' bus='virtio'/></disk>"
    )
}

/// The CD-ROM drive with block device `media` in it, or empty.
fn cdrom(media: Option<&str>) -> String {
    let source = media.map_or(String::new(), |m| format!("<source dev='{m}'/>"));
    format!(
        "<disk type='block' device='cdrom'>{source}<target dev='hdc' bus='ide'/><readonly/></disk>"
    )
}
/// Runs bpftool with `args`, its JSON output.
fn bpftool(args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new("bpftool")
        .args(args)
        .arg("-j")
        .output()
        .expect("bpftool (Debian's bpftool package)");
    assert!(
        out.status.success(),
        "bpftool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A little-endian number from bpftool's hex bytes.
fn le(bytes: &serde_json::Value) -> u64 {
    bytes.as_array().unwrap().iter().rev().fold(0, |n, b| {
        (n << 8) | u64::from_str_radix(b.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    })
}

/// The device filter on the unified group of the QEMU with process id `pid`, as bpftool reads
/// it from the kernel: the programs attached (their type) and each rule of the map, as
/// `major:minor kind access` (`*` for any), sorted.
fn device_filter(pid: i32) -> Vec<String> {
    let group = domain_group(pid, "");
    let progs = bpftool(&["cgroup", "show", group.to_str().unwrap()]);
    let mut report = Vec::new();
    for p in progs.as_array().unwrap() {
        report.push(format!("program: {}", p["attach_type"].as_str().unwrap()));
        let info = bpftool(&["prog", "show", "id", &p["id"].to_string()]);
        for m in info["map_ids"].as_array().unwrap() {
            let mut rules = Vec::new();
            for e in bpftool(&["map", "dump", "id", &m.to_string()])
                .as_array()
                .unwrap()
            {
                let key = le(&e["key"]);
                let value = le(&e["value"]);
                let part = |n: u64| {
                    if n == 0xffff_ffff {
                        "*".to_string()
                    } else {
                        n.to_string()
                    }
                };
                let kind = match value & 3 {
                    1 => "b",
                    2 => "c",
                    _ => "a",
                };
                let access: String = [(1, 'm'), (2, 'r'), (4, 'w')]
                    .iter()
                    .filter(|(bit, _)| (value >> 16) & bit != 0)
                    .map(|(_, c)| *c)
                    .collect();
                rules.push(format!(
                    "{}:{} {kind} {access}",
                    part(key >> 32),
                    part(key & 0xffff_ffff)
                ));
            }
            rules.sort();
            report.extend(rules);
        }
    }
    report
}

/// libvirt's side of the device filter comparison: the filter once started, after a disk on
/// `plug` is plugged, after `media` goes into the CD-ROM drive, and after it is ejected. The
/// guest stays paused: a running BIOS may hold the drive's tray shut, and libvirt's media
/// change then fails now and then.
fn libvirt_devices(root: &Path, disk: &str, plug: &str, media: &str) -> Vec<String> {
    let script = r#"
import libvirt, sys, threading, time
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
c = libvirt.open("qemu:///embed?root=" + sys.argv[1])
L = libvirt.VIR_DOMAIN_AFFECT_LIVE
d = c.createXML(sys.argv[2], libvirt.VIR_DOMAIN_START_PAUSED)
print(open(sys.argv[1] + "/run/qemu/cgd.pid").read().strip(), flush=True)
sys.stdin.readline()
d.attachDeviceFlags(sys.argv[3], L)
print("plugged", flush=True)
sys.stdin.readline()
d.updateDeviceFlags(sys.argv[4], L)
print("inserted", flush=True)
sys.stdin.readline()
d.updateDeviceFlags(sys.argv[5], L)
print("ejected", flush=True)
sys.stdin.readline()
d.destroy()
print("done", flush=True)
"#;
    let args = [
        filtered_guest(disk),
        plugged_disk(plug),
        cdrom(Some(media)),
        cdrom(None),
    ];
    let mut child = libvirt_child(root, script, &args);
    let pid: i32 = child.line().parse().unwrap();
    let mut report = device_filter(pid);
    for step in ["plugged", "inserted", "ejected"] {
        child.send("");
        assert_eq!(child.line(), step);
        report.push(step.to_string());
        report.extend(device_filter(pid));
    }
    child.send("");
    assert_eq!(child.line(), "done");
    child.finish();
    report
}

/// rvirt's side, the same steps; before the plug, QEMU itself is refused the device. The
/// driver restarts after the plug: the next steps change the filter a new driver found (the
/// root's guard kills the guest should a step before that fail).
fn rvirt_devices(root: &Path, disk: &str, plug: &str, media: &str) -> Vec<String> {
    let d = open(root);
    let dom = block_on(d.domain_create_xml(&filtered_guest(disk), DomainCreateFlags::START_PAUSED))
        .unwrap();
    let pid = pid_of(root, "cgd");
    let mut report = device_filter(pid);
    let probe = |node: &str| {
        let cmd = serde_json::json!({"execute": "blockdev-add", "arguments": {
            "driver": "host_device", "filename": plug, "node-name": node, "read-only": true}});
        block_on(d.domain_qemu_monitor_command(&dom, &cmd.to_string(), 0)).unwrap()
    };
    // The kernel refuses QEMU a device no rule allows.
    let refused = probe("probe1");
    assert!(refused.contains("Operation not permitted"), "{refused}");
    let live = DomainDeviceModifyFlags::LIVE;
    block_on(d.domain_attach_device_flags(&dom, &plugged_disk(plug), live)).unwrap();
    report.push("plugged".into());
    report.extend(device_filter(pid));
    // Allowed now.
    let opened = probe("probe2");
    assert!(!opened.contains("error"), "{opened}");
    let del = r#"{"execute": "blockdev-del", "arguments": {"node-name": "probe2"}}"#;
    block_on(d.domain_qemu_monitor_command(&dom, del, 0)).unwrap();
    drop(d);
    let d = open(root);
    let _guest = common::Cleanup(d.clone(), "cgd");
    let dom = block_on(d.domain_lookup_by_name("cgd")).unwrap();
    block_on(d.domain_update_device_flags(&dom, &cdrom(Some(media)), live)).unwrap();
    report.push("inserted".into());
    report.extend(device_filter(pid));
    block_on(d.domain_update_device_flags(&dom, &cdrom(None), live)).unwrap();
    report.push("ejected".into());
    report.extend(device_filter(pid));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
    report
}

#[test]
fn devices_are_filtered_as_libvirt_filters_them() {
    // Where a unified hierarchy sits beside the version 1 ones, as on CI's hosts.
    if !host_has(&["/sys/fs/cgroup/unified"]) {
        return;
    }
    let work = Root::new();
    let disk = Loop::new(work.path(), "disk.img");
    let plug = Loop::new(work.path(), "plug.img");
    let media = Loop::new(work.path(), "media.img");
    compare(
        |root| libvirt_devices(root, &disk.0, &plug.0, &media.0),
        |root| rvirt_devices(root, &disk.0, &plug.0, &media.0),
    );
}
