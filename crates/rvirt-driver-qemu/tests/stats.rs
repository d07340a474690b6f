//! Monitoring, memory and vCPU changes, reboot, pty paths and autostart on real QEMU guests
//! under TCG.
//!
//! The guest with a disk boots a 512-byte boot sector of our own (source below) from a raw
//! image: it arms the ACPI power button, writes itself to the disk's second sector (so the
//! block counters move, and a test that saw the write knows a press will be heard: QEMU drops
//! a press the guest has not enabled), then waits for a press and answers it with a soft
//! power-off (S5), as an operating system would. That makes `virDomainReboot`'s fake reboot
//! and a real guest shutdown observable without a guest OS.
//!
//! ```text
//! .code16                              # as --32; objcopy -O binary -j .text
//!   cli; xor %ax,%ax; mov %ax,%ds; mov %ax,%es; mov %ax,%ss; mov $0x7c00,%sp
//!   push %dx                                                             # boot drive
//!   mov $0x80000b40,%eax; mov $0xcf8,%dx; out %eax,%dx                   # PIIX4 PM base
//!   mov $0xcfc,%dx; in %dx,%eax; and $0xffc0,%ax; mov %ax,%si
//!   lea 2(%si),%dx; mov $0x100,%ax; out %ax,%dx                          # PM1_EN: PWRBTN
//!   pop %dx
//!   mov $0x0301,%ax; mov $2,%cx; xor %dh,%dh; mov $0x7c00,%bx; int $0x13   # write LBA 1
//!   sti
//! poll: hlt; mov %si,%dx; in %dx,%ax; test $0x100,%ax; jz poll           # PM1_STS
//!   out %ax,%dx; lea 4(%si),%dx; mov $0x2000,%ax; out %ax,%dx; jmp poll  # PM1_CNT: S5
//! ```

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Seen, open, wait_until};
use pollster::block_on;
use rvirt_driver::{DomainDriver, DomainEvent, DomainRef};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::domain::*;
use rvirt_types::{ErrorNumber, TypedParam, TypedParamValue};
use std::sync::Arc;
use std::time::Duration;

const BOOT_SECTOR: &str = "fa31c08ed88ec08ed0bc007c5266b8400b0080baf80c66efbafc0c66ed83e0c0\
                           89c68d5402b80001ef5ab80103b9020030f6bb007ccd13fbf489f2eda9000174f7\
                           ef8d5404b80020efebed";

/// A 1 MiB raw image that boots the sector above.
fn boot_disk(dir: &std::path::Path) -> std::path::PathBuf {
    let hex = BOOT_SECTOR.as_bytes();
    let mut img: Vec<u8> = (0..hex.len() / 2)
        .map(|i| {
            u8::from_str_radix(std::str::from_utf8(&hex[2 * i..2 * i + 2]).unwrap(), 16).unwrap()
        })
        .collect();
    img.resize(510, 0);
    img.extend_from_slice(&[0x55, 0xaa]);
    img.resize(1 << 20, 0);
    let path = dir.join("boot.img");
    std::fs::write(&path, img).unwrap();
    path
}

fn param<'a>(params: &'a [TypedParam], name: &str) -> Option<&'a TypedParamValue> {
    params.iter().find(|p| p.field == name).map(|p| &p.value)
}

fn ull(params: &[TypedParam], name: &str) -> u64 {
    match param(params, name) {
        Some(TypedParamValue::ULLong(v)) => *v,
        other => panic!("{name}: {other:?} in {params:?}"),
    }
}

/// `cpuacct.usage` of `group` (or of its sub-group `sub`), ns.
fn usage(group: &std::path::Path, sub: &str) -> u64 {
    let text = std::fs::read_to_string(group.join(sub).join("cpuacct.usage")).unwrap();
    text.trim().parse().unwrap()
}

/// `usage_usec`, `user_usec` and `system_usec` of the unified group's `cpu.stat`, ns.
fn cpu_stat(group: &std::path::Path) -> [u64; 3] {
    let text = std::fs::read_to_string(group.join("cpu.stat")).unwrap();
    let field = |name: &str| -> u64 {
        let us: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap();
        us * 1000
    };
    [
        field("usage_usec "),
        field("user_usec "),
        field("system_usec "),
    ]
}

/// The user and system times of `cpuacct.stat` of `group`, ns (it counts clock ticks).
fn user_system(group: &std::path::Path) -> (u64, u64) {
    let text = std::fs::read_to_string(group.join("cpuacct.stat")).unwrap();
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap()
    };
    // SAFETY: sysconf has no memory effects.
    let tick = 1_000_000_000 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    (field("user ") * tick, field("system ") * tick)
}

fn stats_of(d: &QemuDriver, dom: &DomainRef) -> Vec<TypedParam> {
    let mut all = block_on(d.connect_get_all_domain_stats(
        Some(std::slice::from_ref(dom)),
        DomainStatsTypes::empty(),
        ConnectGetAllDomainStatsFlags::empty(),
    ))
    .unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0).1
}

/// Every lifecycle and reboot event of `d`, as text.
fn record(d: &QemuDriver) -> Seen<String> {
    let seen: Seen<String> = Default::default();
    for id in [DomainEventID::LIFECYCLE, DomainEventID::REBOOT] {
        let s = seen.clone();
        block_on(d.connect_domain_event_register_any(
            None,
            id,
            Arc::new(move |e| {
                s.lock().push(match e {
                    DomainEvent::Lifecycle { event, detail, .. } => {
                        format!("lifecycle {} {detail}", event.0)
                    }
                    DomainEvent::Reboot { .. } => "reboot".into(),
                    other => format!("{other:?}"),
                });
            }),
        ))
        .unwrap();
    }
    seen
}

#[test]
fn a_guest_with_a_disk_is_monitored_tuned_and_rebooted() {
    let dir = tempfile::tempdir().unwrap();
    let disk = boot_disk(dir.path());
    let root = dir.path().join("root");
    let d = open(&root);
    let _cleanup = Cleanup(d.clone(), "mon");
    let seen = record(&d);
    let xml = format!(
        "<domain type='qemu'><name>mon</name><memory unit='MiB'>64</memory>\
         <vcpu current='1'>2</vcpu><os><type arch='x86_64'>hvm</type></os>\
         <features><acpi/></features><devices>\
         <disk type='file' device='disk'><driver name='qemu' type='raw'/>\
         <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
         <interface type='user'><mac address='52:54:00:11:22:33'/><model type='e1000'/></interface>\
         <serial type='pty'/><console type='pty'/>\
         <memballoon model='virtio'><stats period='5'/></memballoon></devices></domain>",
        disk.display()
    );
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    // Before start: the listing reports the config, nothing live.
    let off = stats_of(&d, &dom);
    assert_eq!(param(&off, "state.state"), Some(&TypedParamValue::Int(5)));
    assert_eq!(ull(&off, "balloon.maximum"), 65536);
    // libvirt's quirk, kept: an inactive domain reports the daemon's own CPU times.
    assert!(param(&off, "cpu.time").is_some() && param(&off, "net.count").is_none());
    assert!(param(&off, "cpu.cache.monitor.count").is_none());
    assert_eq!(ull(&off, "block.0.capacity"), 1 << 20);
    let err = block_on(d.domain_get_vcpus(&dom, 4, 1)).unwrap_err();
    assert_eq!(
        err.message,
        "Requested operation is not valid: cannot retrieve vcpu information for inactive domain"
    );

    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    let dom = block_on(d.domain_lookup_by_name("mon")).unwrap();
    let t0 = block_on(d.domain_get_info(&dom)).unwrap().cpu_time;

    // The guest writes its sector once it has booted; the counters are QEMU's.
    let mut bs = Default::default();
    wait_until(Duration::from_secs(30), "the guest's write", || {
        bs = block_on(d.domain_block_stats(&dom, "vda")).unwrap();
        bs.wr_bytes >= 512
    });
    assert_eq!((bs.wr_req, bs.wr_bytes, bs.errs), (1, 512, -1));
    assert!(bs.rd_bytes >= 512 && bs.rd_req >= 1, "{bs:?}");
    let by_path = block_on(d.domain_block_stats(&dom, disk.to_str().unwrap())).unwrap();
    let total = block_on(d.domain_block_stats(&dom, "")).unwrap();
    assert_eq!(by_path, bs);
    assert_eq!(total, bs);
    let err = block_on(d.domain_block_stats(&dom, "vdb")).unwrap_err();
    assert_eq!(err.code, ErrorNumber::INVALID_ARG);
    assert_eq!(err.message, "invalid argument: invalid path: vdb");

    let st = stats_of(&d, &dom);
    assert_eq!(param(&st, "state.state"), Some(&TypedParamValue::Int(1)));
    assert_eq!(param(&st, "vcpu.current"), Some(&TypedParamValue::UInt(1)));
    assert_eq!(param(&st, "vcpu.maximum"), Some(&TypedParamValue::UInt(2)));
    assert!(param(&st, "vcpu.0.time").is_some() && param(&st, "vcpu.1.time").is_none());
    assert_eq!(param(&st, "net.count"), Some(&TypedParamValue::UInt(1)));
    assert_eq!(param(&st, "block.count"), Some(&TypedParamValue::UInt(1)));
    assert_eq!(
        param(&st, "block.0.name"),
        Some(&TypedParamValue::String("vda".into()))
    );
    assert_eq!(ull(&st, "block.0.rd.bytes"), bs.rd_bytes as u64);
    assert_eq!(
        param(&st, "block.0.backingIndex"),
        Some(&TypedParamValue::UInt(1))
    );
    assert_eq!(
        param(&st, "cpu.cache.monitor.count"),
        Some(&TypedParamValue::UInt(0))
    );
    // TCG has no halt polling: QEMU reports no vCPU counters, which sum to 0 (as libvirt).
    assert_eq!(ull(&st, "cpu.haltpoll.success.time"), 0);
    assert_eq!(ull(&st, "cpu.haltpoll.fail.time"), 0);
    assert_eq!(ull(&st, "block.0.wr.reqs"), 1);
    assert_eq!(ull(&st, "block.0.allocation"), 1024);
    assert_eq!(ull(&st, "block.0.capacity"), 1 << 20);
    assert_eq!(ull(&st, "balloon.current"), 65536);
    assert!(ull(&st, "balloon.rss") > 0);
    assert_eq!(
        param(&st, "dirtyrate.calc_status"),
        Some(&TypedParamValue::Int(0))
    );
    assert_eq!(
        param(&st, "dirtyrate.calc_mode"),
        Some(&TypedParamValue::String("page-sampling".into()))
    );
    // TCG has no counters of its own to report.
    assert!(!st.iter().any(|p| p.field.starts_with("vm.")), "{st:?}");
    let cpu1 = ull(&st, "cpu.time");
    let pid = common::pid_of(&root, "mon");
    let unified = common::group_of(pid, "unified");
    let acct = common::group_of(pid, "cpuacct");
    match (&unified, &acct) {
        // In the unified hierarchy, the figures of its `cpu.stat`, as libvirt reads them.
        (Some(group), _) => {
            let before = cpu_stat(group);
            let st = stats_of(&d, &dom);
            let after = cpu_stat(group);
            for (i, f) in ["cpu.time", "cpu.user", "cpu.system"].iter().enumerate() {
                let v = ull(&st, f);
                assert!(
                    before[i] <= v && v <= after[i],
                    "{f}: {before:?} {v} {after:?}"
                );
            }
        }
        // In version 1 groups, the cpuacct group's.
        (None, Some(group)) => {
            let (before, ticks_before) = (usage(group, ""), user_system(group));
            let st = stats_of(&d, &dom);
            let (after, ticks_after) = (usage(group, ""), user_system(group));
            let t = ull(&st, "cpu.time");
            assert!(before <= t && t <= after, "{before} {t} {after}");
            let (u, s) = (ull(&st, "cpu.user"), ull(&st, "cpu.system"));
            assert!(ticks_before.0 <= u && u <= ticks_after.0, "{st:?}");
            assert!(ticks_before.1 <= s && s <= ticks_after.1, "{st:?}");
        }
        // Otherwise the process's, from /proc.
        (None, None) => assert_eq!(cpu1, ull(&st, "cpu.user") + ull(&st, "cpu.system")),
    }

    // CPU time grows while the guest runs.
    wait_until(Duration::from_secs(20), "CPU time to grow", || {
        block_on(d.domain_get_info(&dom)).unwrap().cpu_time > t0.max(cpu1)
    });
    let (vcpus, maps) = block_on(d.domain_get_vcpus(&dom, 4, 1)).unwrap();
    assert_eq!(vcpus.len(), 1);
    assert_eq!((vcpus[0].number, vcpus[0].state), (0, 1));
    assert!(vcpus[0].cpu >= 0 && maps[0] != 0, "{vcpus:?} {maps:?}");
    // virDomainGetCPUStats reads the accounting group: in all, and (version 1 only) per host
    // CPU for all threads and for the vCPU threads (their own sub-groups).
    let ncpus = block_on(d.domain_get_cpu_stats(&dom, 0, 0, 0))
        .unwrap()
        .len();
    assert!(ncpus >= 1);
    match (&unified, &acct) {
        (Some(group), _) => {
            let before = cpu_stat(group);
            let total = block_on(d.domain_get_cpu_stats(&dom, -1, 1, 0)).unwrap();
            let after = cpu_stat(group);
            for (i, f) in ["cpu_time", "user_time", "system_time"].iter().enumerate() {
                let v = ull(&total[0], f);
                assert!(
                    before[i] <= v && v <= after[i],
                    "{f}: {before:?} {v} {after:?}"
                );
            }
            let e = block_on(d.domain_get_cpu_stats(&dom, 0, ncpus as u32, 0)).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "Operation not supported: operation 'getCpuacctPercpuUsage' not supported \
                     for backend 'cgroup V2'"
                )
            );
        }
        (None, Some(group)) => {
            let before = usage(group, "");
            let total = block_on(d.domain_get_cpu_stats(&dom, -1, 1, 0)).unwrap();
            let after = usage(group, "");
            let t = ull(&total[0], "cpu_time");
            assert!(before <= t && t <= after, "{before} {t} {after}");
            let (all_before, vcpu_before) = (usage(group, ""), usage(group, "vcpu0"));
            let per = block_on(d.domain_get_cpu_stats(&dom, 0, ncpus as u32, 0)).unwrap();
            let (all_after, vcpu_after) = (usage(group, ""), usage(group, "vcpu0"));
            let sum = |f: &str| per.iter().map(|p| ull(p, f)).sum::<u64>();
            assert!(all_before <= sum("cpu_time") && sum("cpu_time") <= all_after);
            // vcpu1 is offline: only vcpu0's group counts.
            assert!(vcpu_before > 0, "the vCPU thread has run");
            assert!(vcpu_before <= sum("vcpu_time") && sum("vcpu_time") <= vcpu_after);
            assert!(
                per.iter()
                    .all(|p| ull(p, "vcpu_time") <= ull(p, "cpu_time"))
            );
            // One CPU from the second on, as libvirt slices them; past the last, its error.
            let last = block_on(d.domain_get_cpu_stats(&dom, ncpus as i32 - 1, 4, 0)).unwrap();
            assert_eq!(last.len(), 1);
            let e = block_on(d.domain_get_cpu_stats(&dom, ncpus as i32, 1, 0)).unwrap_err();
            assert_eq!(
                e.message,
                format!(
                    "invalid argument: start_cpu {ncpus} larger than maximum of {}",
                    ncpus - 1
                )
            );
        }
        (None, None) => {
            let e = block_on(d.domain_get_cpu_stats(&dom, -1, 1, 0)).unwrap_err();
            assert_eq!(
                e.message,
                "Requested operation is not valid: cgroup CPUACCT controller is not mounted"
            );
        }
    }

    // Memory: the balloon's actual size and QEMU's RSS.
    let mem = block_on(d.domain_memory_stats(&dom, 13, 0)).unwrap();
    let tag = |t: DomainMemoryStatTags| mem.iter().find(|m| m.tag == t).map(|m| m.val);
    assert_eq!(tag(DomainMemoryStatTags::ACTUAL_BALLOON), Some(65536));
    assert!(tag(DomainMemoryStatTags::RSS).unwrap() > 0);
    assert_eq!(
        block_on(d.domain_memory_stats(&dom, 1, 0)).unwrap().len(),
        1
    );

    // Interfaces: user-mode networking has no host device to count on.
    let err = block_on(d.domain_interface_stats(&dom, "52:54:00:11:22:33")).unwrap_err();
    assert_eq!(err.code, ErrorNumber::INTERNAL_ERROR);
    assert_eq!(err.message, "internal error: Interface name not provided");
    let err = block_on(d.domain_interface_stats(&dom, "vnet9")).unwrap_err();
    assert_eq!(
        err.message,
        "invalid argument: 'vnet9' is not a known interface"
    );

    // setmem: the balloon takes a live size; the config keeps its own.
    block_on(d.domain_set_memory(&dom, 49152, DomainMemoryModFlags::LIVE)).unwrap();
    block_on(d.domain_set_memory(&dom, 40960, DomainMemoryModFlags::CONFIG)).unwrap();
    let inactive = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert!(
        inactive.contains("<currentMemory unit='KiB'>40960</currentMemory>"),
        "{inactive}"
    );
    let err = block_on(d.domain_set_memory(&dom, 1 << 20, DomainMemoryModFlags::LIVE)).unwrap_err();
    assert_eq!(err.code, ErrorNumber::INVALID_ARG);
    assert_eq!(
        err.message,
        "invalid argument: cannot set memory higher than max memory"
    );
    let err = block_on(d.domain_set_max_memory(&dom, 131072)).unwrap_err();
    assert_eq!(
        err.message,
        "Requested operation is not valid: cannot resize the maximum memory on an active domain"
    );
    block_on(d.domain_set_memory_stats_period(&dom, 2, DomainModificationImpact::LIVE)).unwrap();
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(live.contains("<stats period='2'/>"), "{live}");

    // setvcpus: a second vCPU is hot-plugged and runs on a thread of its own.
    block_on(d.domain_set_vcpus(&dom, 2, DomainVcpuFlags::LIVE)).unwrap();
    let (vcpus, _) = block_on(d.domain_get_vcpus(&dom, 4, 1)).unwrap();
    assert_eq!(vcpus.iter().map(|v| v.number).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(
        block_on(d.domain_get_vcpus_flags(&dom, DomainVcpuFlags::LIVE)).unwrap(),
        2
    );
    assert_eq!(
        block_on(d.domain_get_vcpus_flags(&dom, DomainVcpuFlags::CONFIG)).unwrap(),
        1
    );
    assert_eq!(block_on(d.domain_get_max_vcpus(&dom)).unwrap(), 2);
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        live.contains(
            "<vcpu placement='static'>2</vcpu>\n  <vcpus>\n    \
             <vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>\n    \
             <vcpu id='1' enabled='yes' hotpluggable='yes' order='2'/>\n  </vcpus>\n"
        ),
        "{live}"
    );
    let st = stats_of(&d, &dom);
    assert_eq!(param(&st, "vcpu.current"), Some(&TypedParamValue::UInt(2)));
    assert!(param(&st, "vcpu.1.time").is_some());
    let err = block_on(d.domain_set_vcpus(&dom, 3, DomainVcpuFlags::LIVE)).unwrap_err();
    assert_eq!(
        err.message,
        "invalid argument: requested vcpus is greater than max allowable vcpus for the live \
         domain: 3 > 2"
    );
    let err = block_on(d.domain_set_vcpus(&dom, 4, DomainVcpuFlags::MAXIMUM)).unwrap_err();
    assert_eq!(err.code, ErrorNumber::OPERATION_UNSUPPORTED);

    // The pty of the serial console is in the live XML, and it is a real terminal.
    let live = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    let start = live.find("<console type='pty' tty='").expect(&live) + 25;
    let pts = &live[start..start + live[start..].find('\'').unwrap()];
    assert!(pts.starts_with("/dev/pts/"), "{live}");
    assert!(live.contains(&format!("<source path='{pts}'/>")), "{live}");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(pts).unwrap().file_type().is_char_device());
    assert!(!inactive.contains("/dev/pts"));

    // A reboot: the guest powers off, and the driver resets and resumes it. Only a REBOOT
    // event shows, and the guest boots (and writes its sector) a second time.
    let err = block_on(d.domain_reboot(&dom, DomainRebootFlags::GUEST_AGENT)).unwrap_err();
    assert_eq!(err.code, ErrorNumber::ARGUMENT_UNSUPPORTED);
    assert_eq!(
        err.message,
        "argument unsupported: QEMU guest agent is not configured"
    );
    seen.lock().clear();
    block_on(d.domain_reboot(&dom, DomainRebootFlags::empty())).unwrap();
    wait_until(Duration::from_secs(30), "the second boot's write", || {
        block_on(d.domain_block_stats(&dom, "vda")).unwrap().wr_req == 2
    });
    // One REBOOT per machine reset: the driver's, and SeaBIOS's own resets on a warm boot.
    let events = std::mem::take(&mut *seen.lock());
    assert!(
        !events.is_empty() && events.iter().all(|e| e == "reboot"),
        "{events:?}"
    );
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::BOOTED.0)
    );

    // A shutdown is a real one: the guest powers off and the domain ends.
    block_on(d.domain_shutdown(&dom, DomainShutdownFlags::empty())).unwrap();
    let stopped = format!("lifecycle {} ", DomainEventType::STOPPED.0);
    wait_until(Duration::from_secs(30), "the guest's shutdown", || {
        seen.lock().iter().any(|e| e.starts_with(&stopped))
    });
    // A reset of the reboot above whose event was handed out late is not the shutdown's.
    seen.lock().retain(|e| e != "reboot");
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::SHUTOFF, DomainShutoffReason::SHUTDOWN.0)
    );
    assert_eq!(
        *seen.lock(),
        [
            format!(
                "lifecycle {} {}",
                DomainEventType::SHUTDOWN.0,
                DomainEventShutdownDetailType::GUEST.0
            ),
            format!(
                "lifecycle {} {}",
                DomainEventType::STOPPED.0,
                DomainEventStoppedDetailType::SHUTDOWN.0
            ),
        ]
    );
    // The config changes stay; the live ones went with the run.
    let xml = block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        xml.contains("<currentMemory unit='KiB'>40960</currentMemory>"),
        "{xml}"
    );
    assert!(
        xml.contains("<vcpu placement='static' current='1'>2</vcpu>"),
        "{xml}"
    );
}

#[test]
fn hot_unplug_needs_the_guest() {
    // A guest without <acpi/> has no ACPI (libvirt's -no-acpi), so QEMU itself refuses to
    // unplug; vCPUs present from the start cannot be unplugged at all.
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path());
    let _cleanup = Cleanup(d.clone(), "hp");
    let xml = "<domain type='qemu'><name>hp</name><memory unit='MiB'>64</memory>\
               <vcpu current='1'>2</vcpu><cputune><quota>50000</quota></cputune>\
               <os><type arch='x86_64'>hvm</type></os></domain>";
    let dom = block_on(d.domain_create_xml(xml, DomainCreateFlags::empty())).unwrap();
    block_on(d.domain_set_vcpus(&dom, 2, DomainVcpuFlags::empty())).unwrap();
    // The plugged vCPU's thread is in a control group of its own, as the others.
    let pid = common::pid_of(dir.path(), "hp");
    if let Some(cpu) = common::cpu_group_of(pid) {
        let tid = common::vcpu_thread(pid, 1);
        assert!(common::group_holds(&cpu, "vcpu1", &tid));
        assert!(!common::group_holds(&cpu, "emulator", &tid));
        let quota = std::fs::read_to_string(cpu.join("vcpu1/cpu.cfs_quota_us")).unwrap();
        assert_eq!(quota.trim(), "50000");
    }
    let err = block_on(d.domain_set_vcpus(&dom, 1, DomainVcpuFlags::LIVE)).unwrap_err();
    assert_eq!(err.code, ErrorNumber::INTERNAL_ERROR, "{err}");
    // Word for word what libvirt 9.0 reports for the same guest.
    assert_eq!(
        err.message,
        "internal error: unable to execute QEMU command 'device_del': CPU hot unplug not \
         supported without ACPI"
    );
    assert_eq!(
        block_on(d.domain_get_vcpus_flags(&dom, DomainVcpuFlags::LIVE)).unwrap(),
        2
    );
    let err = block_on(d.domain_set_vcpus(&dom, 0, DomainVcpuFlags::LIVE)).unwrap_err();
    assert_eq!(err.code, ErrorNumber::CONFIG_UNSUPPORTED, "{err}");
    // Transient: no config to change.
    let err = block_on(d.domain_set_vcpus(&dom, 1, DomainVcpuFlags::CONFIG)).unwrap_err();
    assert_eq!(
        err.message,
        "Requested operation is not valid: transient domains do not have any persistent config"
    );
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn autostart_happens_once_per_boot_when_the_driver_opens() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let xml = "<domain type='qemu'><name>auto</name><memory unit='MiB'>64</memory>\
               <os><type arch='x86_64'>hvm</type></os></domain>";
    {
        let d = open(root);
        let dom = block_on(d.domain_define_xml(xml, DomainDefineFlags::empty())).unwrap();
        block_on(d.domain_set_autostart(&dom, true)).unwrap();
        // Offline changes to the config.
        block_on(d.domain_set_max_memory(&dom, 131072)).unwrap();
        block_on(d.domain_set_memory(&dom, 65536, DomainMemoryModFlags::empty())).unwrap();
        block_on(d.domain_set_vcpus(&dom, 2, DomainVcpuFlags::MAXIMUM)).unwrap();
        block_on(d.domain_set_vcpus(&dom, 2, DomainVcpuFlags::CONFIG)).unwrap();
        let err =
            block_on(d.domain_set_memory(&dom, 65536, DomainMemoryModFlags::LIVE)).unwrap_err();
        assert_eq!(
            err.message,
            "Requested operation is not valid: domain is not running"
        );
    }
    assert!(root.join("run/qemu/autostarted").exists());
    // A driver opened again in the same boot starts nothing (libvirt's autostarted mark).
    {
        let d = open(root);
        std::thread::sleep(Duration::from_millis(500));
        let dom = block_on(d.domain_lookup_by_name("auto")).unwrap();
        assert!(!block_on(d.domain_is_active(&dom)).unwrap());
    }
    // After a host reboot (the mark is gone with /run) the next open starts it.
    std::fs::remove_file(root.join("run/qemu/autostarted")).unwrap();
    let d = open(root);
    let _cleanup = Cleanup(d.clone(), "auto");
    let dom = block_on(d.domain_lookup_by_name("auto")).unwrap();
    wait_until(Duration::from_secs(30), "autostart", || {
        block_on(d.domain_is_active(&dom)).unwrap()
    });
    let dom = block_on(d.domain_lookup_by_name("auto")).unwrap();
    assert_eq!(block_on(d.domain_get_info(&dom)).unwrap().nr_virt_cpu, 2);
    // The listing's filters, and libvirt's error for groups it does not know when enforced.
    let names = |flags: ConnectGetAllDomainStatsFlags| -> Vec<String> {
        block_on(d.connect_get_all_domain_stats(None, DomainStatsTypes::STATE, flags))
            .unwrap()
            .into_iter()
            .map(|(r, p)| {
                assert_eq!(p.len(), 2, "{p:?}");
                r.name.to_string()
            })
            .collect()
    };
    assert_eq!(names(ConnectGetAllDomainStatsFlags::ACTIVE), ["auto"]);
    assert!(names(ConnectGetAllDomainStatsFlags::INACTIVE).is_empty());
    assert!(names(ConnectGetAllDomainStatsFlags::TRANSIENT).is_empty());
    let err = block_on(d.connect_get_all_domain_stats(
        None,
        DomainStatsTypes::from_bits_retain(0x1000),
        ConnectGetAllDomainStatsFlags::ENFORCE_STATS,
    ))
    .unwrap_err();
    assert_eq!(
        err.message,
        "argument unsupported: Stats types bits 0x1000 are not supported by this daemon or QEMU"
    );
    assert_eq!(block_on(d.domain_get_max_memory(&dom)).unwrap(), 131072);
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn kvm_guests_report_kvms_own_counters() {
    if !rvirt_driver_qemu::caps::kvm_usable() {
        eprintln!("skipped: /dev/kvm does not work here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = open(dir.path());
    let _cleanup = Cleanup(d.clone(), "k");
    let xml = "<domain type='kvm'><name>k</name><memory unit='MiB'>64</memory>\
               <os><type arch='x86_64'>hvm</type></os></domain>";
    let dom = block_on(d.domain_create_xml(xml, DomainCreateFlags::empty())).unwrap();
    let st = stats_of(&d, &dom);
    // query-stats through query-stats-schemas: cumulative counters are `.sum`, booleans stay
    // booleans, per vCPU by its QOM path.
    assert!(matches!(
        param(&st, "vm.mmu_cache_miss.sum"),
        Some(TypedParamValue::ULLong(_))
    ));
    assert!(param(&st, "vm.pages_4k.cur").is_some(), "{st:?}");
    assert!(param(&st, "cpu.haltpoll.success.time").is_some(), "{st:?}");
    assert!(param(&st, "vcpu.0.insn_emulation.sum").is_some(), "{st:?}");
    assert!(matches!(
        param(&st, "vcpu.0.guest_mode.cur"),
        Some(TypedParamValue::Boolean(_))
    ));
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}
