//! Unmodified virsh asks rvirtd's QEMU connection about the host (`qemu:///system`) and gets
//! what it gets from libvirt 9.0's own QEMU driver on the same host: the same fields, errors
//! and lists, by the same RPC calls (virsh first counts the CPU statistics, then reads them).

#![allow(clippy::unwrap_used)]

mod common;

use common::{QemuSystem, have};
use rvirt_testsupport::libvirt_embed;
use std::process::Command;

#[test]
fn virsh_host_commands_through_rvirtd_match_libvirt() {
    if !rvirt_testsupport::have_virsh_and_qemu() {
        return;
    }
    let s = QemuSystem::new();
    let lv = tempfile::tempdir().unwrap();
    // CPU documents for the comparisons (the same path in both drivers' messages).
    let cpu = lv.path().join("cpu.xml");
    std::fs::write(&cpu, "<cpu><model>qemu64</model></cpu>").unwrap();
    let strict = lv.path().join("strict.xml");
    std::fs::write(&strict, "<cpu match='strict'><model>qemu64</model></cpu>").unwrap();
    let (cpu, strict) = (cpu.display(), strict.display());
    let cpu_lines = [
        format!("cpu-compare {cpu}"),
        format!("cpu-compare {strict} --error"),
        format!("hypervisor-cpu-compare {cpu} --virttype qemu"),
        format!("hypervisor-cpu-compare {strict} --virttype qemu --error"),
        format!("hypervisor-cpu-baseline {cpu} --virttype qemu --features"),
        "hypervisor-cpu-baseline --model Nehalem --virttype qemu --migratable".to_string(),
        "domcapabilities --virttype qemu".to_string(),
    ];
    for line in [
        "nodeinfo",
        "nodecpustats --cpu 4096",
        "nodecpustats --cpu -2",
        "nodememstats --cell 4096",
        "freecell --cellno 4096",
        "freepages --cellno 0 --pagesize 3",
        "freepages --cellno 0 --pagesize 1G",
        "sysinfo",
        "maxvcpus --type qemu",
        "maxvcpus --type foo",
        "nodecpumap",
        "cpu-models x86_64",
        "cpu-models foo",
    ]
    .into_iter()
    .chain(cpu_lines.iter().map(String::as_str))
    {
        let Some(theirs) = libvirt_embed(lv.path(), line) else {
            assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()));
            return;
        };
        let ours = Command::new("timeout")
            .args(["60", "virsh", "-q", "-c", &s.uri, line])
            .output()
            .unwrap();
        let err = |o: &std::process::Output| -> String {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| !l.starts_with("20"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        let out = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
        // The clock may move between the two reads of /proc/cpuinfo.
        let steady = |t: String| -> String {
            t.lines()
                .filter(|l| !l.starts_with("CPU frequency"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        assert_eq!(
            (ours.status.code(), steady(out(&ours)), err(&ours)),
            (theirs.status.code(), steady(out(&theirs)), err(&theirs)),
            "{line}\nrvirtd log:\n{}",
            s.daemon.log()
        );
    }
}

/// Unmodified virsh manages a virtual network of rvirtd's QEMU connection: define (bridge and
/// MAC assigned), autostart, start (the bridge appears on the host), list, info, dumpxml,
/// destroy and undefine, with libvirt's words for a network that is not running.
/// python3-libvirt's CPU calls (compareCPU, compareHypervisorCPU, baselineHypervisorCPU with
/// its flags, getDomainCapabilities' host model) through rvirtd's QEMU connection answer as
/// they do on libvirt's own embedded QEMU driver.
#[test]
fn python_cpu_calls_through_rvirtd_match_libvirt() {
    if !rvirt_testsupport::have_virsh_and_qemu() {
        return;
    }
    let s = QemuSystem::new();
    let lv = tempfile::tempdir().unwrap();
    rvirt_testsupport::write_embed_conf(lv.path(), "");
    let script = r#"
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
c = libvirt.open(sys.argv[1])
guest = "<cpu><model>Nehalem</model><feature policy='require' name='aes'/></cpu>"
host = "<cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor></cpu>"
def show(f):
    try:
        print(f())
    except libvirt.libvirtError as e:
        print("error", e.get_error_code(), e.get_error_domain(), e.get_error_message())
show(lambda: c.compareCPU(guest, 0))
show(lambda: c.compareCPU(host, libvirt.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE))
show(lambda: c.compareHypervisorCPU(None, None, None, "qemu", guest, 0))
show(lambda: c.compareHypervisorCPU(None, "x86_64", "pc", "qemu", "<cpu><model>Bogus</model></cpu>", 0))
show(lambda: c.baselineHypervisorCPU(None, None, None, "qemu", [guest, host], 0))
show(lambda: c.baselineHypervisorCPU(None, None, None, "qemu", [guest],
    libvirt.VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES | libvirt.VIR_CONNECT_BASELINE_CPU_MIGRATABLE))
show(lambda: c.baselineHypervisorCPU(None, None, None, "qemu", [guest], 64))
caps = c.getDomainCapabilities(None, None, None, "qemu", 0)
print(caps[caps.index("<mode name='host-model'"):caps.index("<mode name='custom'")])
"#;
    let run = |uri: &str| {
        let out = Command::new("timeout")
            .args(["60", rvirt_testsupport::PYTHON, "-c", script, uri])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let theirs = run(&format!("qemu:///embed?root={}", lv.path().display()));
    let ours = run(&s.uri);
    assert_eq!(ours, theirs);
    assert!(ours.contains("<model fallback='forbid'>"), "{ours}");
}

#[test]
fn virsh_manages_a_virtual_network_through_rvirtd() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root
        || !have("virsh")
        || !have("dnsmasq")
        || !std::path::Path::new("/usr/sbin/iptables").exists()
    {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "root, virsh, dnsmasq and iptables are needed under CI"
        );
        eprintln!("skipped: needs root, virsh, dnsmasq-base and iptables");
        return;
    }
    let s = QemuSystem::new();
    let pid = std::process::id() % 100_000;
    let (name, br) = (format!("rvd{pid}"), format!("rvdb{pid}"));
    let net = format!("10.{}.{}", 200 + pid % 50, pid % 250);
    let xml = s.write(
        "net.xml",
        &format!(
            "<network><name>{name}</name><bridge name='{br}'/>\
             <ip address='{net}.1' prefix='24'><dhcp><range start='{net}.10' end='{net}.20'/>\
             </dhcp></ip></network>"
        ),
    );
    let out = s.virsh(&["net-define", xml.to_str().unwrap()]);
    assert_eq!(
        out,
        format!("Network {name} defined from {}\n\n", xml.display())
    );
    s.virsh(&["net-autostart", &name]);
    s.virsh(&["net-start", &name]);
    let exists = || std::path::Path::new(&format!("/sys/class/net/{br}")).exists();
    let up = exists();
    let list = s.virsh(&["net-list", "--all"]);
    let info = s.virsh(&["net-info", &name]);
    let dump = s.virsh(&["net-dumpxml", &name]);
    s.virsh(&["net-destroy", &name]);
    let gone = !exists();
    let err = s.virsh_fails(&["net-destroy", &name]);
    s.virsh(&["net-undefine", &name]);
    assert!(up, "the bridge was not made");
    assert!(gone, "the bridge was left");
    let row = list
        .lines()
        .find(|l| l.contains(&name))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [name.as_str(), "active", "yes", "yes"],
        "{list}"
    );
    assert!(info.contains(&format!("Bridge:         {br}\n")), "{info}");
    assert!(info.contains("Active:         yes\n"), "{info}");
    assert!(info.contains("Autostart:      yes\n"), "{info}");
    assert!(dump.contains("<mac address='52:54:00:"), "{dump}");
    assert!(
        dump.contains(&format!("<bridge name='{br}' stp='on' delay='0'/>")),
        "{dump}"
    );
    assert_eq!(
        err,
        format!(
            "error: Failed to destroy network {name}\nerror: Requested operation is not valid: network '{name}' is not active\n"
        )
    );
}
