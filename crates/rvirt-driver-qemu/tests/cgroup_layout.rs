//! Control groups and CPU statistics beside libvirt's (its embedded QEMU driver, as root): the
//! same guest (two vCPUs, one online) under both, then for each hierarchy the groups its QEMU
//! threads sit in and the sub-groups of its domain group, the shape of `virDomainGetCPUStats`
//! (in all and per host CPU, or its error) and the `cpu.*` statistics, and after the destroy
//! the groups left (none).
//!
//! Compared: `cpu`, `cpuacct`, `cpuset`, `memory`, `blkio` and the unified hierarchy;
//! `freezer`, `devices` and the others libvirt may use are not.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Root, open, pid_of, wait_until};
use pollster::block_on;
use rvirt_driver::DomainDriver;
use rvirt_testsupport::{PYTHON, libvirt_embed_root, write_embed_conf};
use rvirt_types::domain::*;
use std::path::Path;
use std::time::Duration;

const GUEST: &str = "<domain type='qemu'><name>cgl</name><memory unit='MiB'>64</memory>\
                     <vcpu current='1'>2</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

/// The hierarchies compared, as `/proc/PID/cgroup` names them (`""`: the unified one).
const HIERARCHIES: [&str; 6] = ["cpu", "cpuacct", "cpuset", "memory", "blkio", ""];

/// Where thread `tid` of process `pid` sits in each hierarchy, relative to the domain's group
/// (`/` for the group itself, `-` outside any domain group), and the sub-groups of that group.
fn layout(pid: i32, tid: &str) -> Vec<String> {
    let groups = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/cgroup")).unwrap();
    let mut out = Vec::new();
    for h in HIERARCHIES {
        let path = groups
            .lines()
            .find_map(|l| {
                let mut parts = l.splitn(3, ':');
                let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
                names.split(',').any(|n| n == h).then_some(path)
            })
            .unwrap_or("");
        // machine/<prefix>-<id>-<name>.<driver>-qemu[/sub]
        let label = if h.is_empty() { "unified" } else { h };
        let Some(at) = path.find("-qemu") else {
            out.push(format!("{label}: -"));
            continue;
        };
        let (group, sub) = path.split_at(at + "-qemu".len());
        let sub = if sub.is_empty() { "/" } else { sub };
        let top = match h {
            "" if Path::new("/sys/fs/cgroup/unified").is_dir() => "/sys/fs/cgroup/unified".into(),
            "" => "/sys/fs/cgroup".to_string(),
            h => format!("/sys/fs/cgroup/{h}"),
        };
        let mut subs: Vec<String> = std::fs::read_dir(format!("{top}{group}"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        subs.sort();
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
    let mut cmd = std::process::Command::new("timeout");
    cmd.arg("120")
        .arg(PYTHON)
        .args(["-c", script])
        .arg(root)
        .arg(GUEST);
    let mut child = common::LineChild::spawn(cmd, &root.join("libvirt.err"));
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

#[test]
fn groups_and_cpu_statistics_are_libvirts() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/sys/fs/cgroup/cpu/cgroup.procs").exists() {
        // Unprivileged, or no version 1 cpu controller: neither driver makes groups.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root on a host with cgroup v1 controllers"
        );
        return;
    }
    let lv_root = Root::new();
    if !libvirt_embed_root(lv_root.path()) {
        return;
    }
    let want = libvirt_report(lv_root.path());
    let rv_root = Root::new();
    write_embed_conf(rv_root.path(), "");
    let got = rvirt_report(rv_root.path());
    assert_eq!(got, want);
}
