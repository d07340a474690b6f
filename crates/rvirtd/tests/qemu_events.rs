//! Domain events and job monitoring of a real QEMU guest, seen by unmodified clients through
//! rvirtd (`qemu:///system`, state under `rvirt_qemu_root`): `virsh event --all --loop` prints
//! the device-added and device-removed events of a live attach and detach as it does for
//! libvirt.

#![allow(clippy::unwrap_used)]

mod common;

use common::{QemuSystem, have};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn have_tools() -> bool {
    for p in ["virsh", "qemu-system-x86_64", "qemu-img"] {
        if !have(p) {
            eprintln!("{p} is missing: apt-get install libvirt-clients qemu-system-x86 qemu-utils");
            return false;
        }
    }
    true
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn qcow2(s: &QemuSystem, name: &str) -> PathBuf {
    let img = s.root.join(name);
    let st = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", p(&img), "16M"])
        .status()
        .unwrap();
    assert!(st.success());
    img
}

/// Waits until `path` holds `want`, or 30 s.
fn wait_for_text(path: &Path, want: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(want) || start.elapsed() > Duration::from_secs(30) {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `virsh event --all --loop` on the daemon of `s`, printing into `log`, and gives it the
/// moment it takes to register its callbacks once connected.
fn watch_events(s: &QemuSystem, log: &Path) -> std::process::Child {
    let watcher = Command::new("timeout")
        .args(["60", "virsh", "-c", &s.uri, "event", "--all", "--loop"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    watcher
}

/// Interrupts the watcher once `log` holds `last` (or 30 s passed) and returns what it printed,
/// ending in one line end (virsh sometimes ends with an empty line after SIGINT, sometimes not).
fn stop_watching(mut watcher: std::process::Child, log: &Path, last: &str) -> String {
    let text = wait_for_text(log, last);
    // SAFETY: SIGINT to the virsh this test started: it prints its closing lines and exits.
    unsafe { libc::kill(watcher.id() as i32, libc::SIGINT) };
    let _ = watcher.wait();
    let text = std::fs::read_to_string(log).unwrap_or(text);
    format!("{}\n", text.trim_end_matches('\n'))
}

/// Defines and starts guest `name` from `xml`, runs the HMP command `hmp` on it while
/// `virsh event --all --loop` watches through rvirtd (from two seconds before), and returns what
/// virsh printed once it printed `last`.
fn events_of_hmp(s: &QemuSystem, name: &str, xml: &str, hmp: &str, last: &str) -> String {
    let file = s.write(&format!("{name}.xml"), xml);
    s.virsh(&["define", p(&file)]);
    s.virsh(&["start", name]);
    let log = s.root.join(format!("{name}-events.log"));
    let watcher = watch_events(s, &log);
    s.virsh(&["qemu-monitor-command", name, "--hmp", hmp]);
    stop_watching(watcher, &log, last)
}

#[test]
fn virsh_event_prints_device_added_and_removed() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    // A USB controller: QEMU removes a USB disk at once, with no guest OS to let go of it.
    let xml = s.write(
        "ev.xml",
        "<domain type='qemu'><name>ev</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os><features><acpi/></features>\
         <devices><controller type='usb' index='0' model='piix3-uhci'/></devices></domain>",
    );
    s.virsh(&["define", p(&xml)]);
    s.virsh(&["start", "ev"]);

    let log = s.root.join("events.log");
    let watcher = watch_events(&s, &log);

    let usb = qcow2(&s, "usb.qcow2");
    let usb_xml = s.write(
        "usb.xml",
        &format!(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='sda' bus='usb'/></disk>",
            p(&usb)
        ),
    );
    s.virsh(&["attach-device", "ev", p(&usb_xml), "--live"]);
    let live = s.virsh(&["domblklist", "ev"]);
    assert!(live.contains("sda"), "{live}");
    s.virsh(&["detach-device", "ev", p(&usb_xml), "--live"]);
    let want_removed = "event 'device-removed' for domain 'ev': usb-disk0\n";
    wait_for_text(&log, want_removed);
    // The disk left the live definition when QEMU let go of it.
    let live = s.virsh(&["domblklist", "ev"]);
    assert!(!live.contains("sda"), "{live}");
    assert_eq!(
        stop_watching(watcher, &log, want_removed),
        "event 'device-added' for domain 'ev': usb-disk0\n\
         event 'device-removed' for domain 'ev': usb-disk0\n\
         event loop interrupted\n\
         events received: 2\n",
        "rvirtd log:\n{}",
        s.daemon.log()
    );
    s.virsh(&["destroy", "ev"]);
}

#[test]
fn virsh_domblkstat_prints_the_typed_block_statistics() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    let img = qcow2(&s, "bs.qcow2");
    let xml = s.write(
        "bs.xml",
        &format!(
            "<domain type='qemu'><name>bs</name><memory unit='MiB'>64</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk></devices></domain>",
            p(&img)
        ),
    );
    s.virsh(&["define", p(&xml)]);
    s.virsh(&["start", "bs"]);
    // virsh prints what virDomainBlockStatsFlags gives, in its order: the QEMU driver's eight
    // counters (no error count), values as integers.
    let out = s.virsh(&["domblkstat", "bs", "vda"]);
    let names: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 3, "{l}");
            assert_eq!(f[0], "vda", "{l}");
            f[2].parse::<i64>().unwrap();
            f[1]
        })
        .collect();
    assert_eq!(
        names,
        [
            "rd_req",
            "rd_bytes",
            "wr_req",
            "wr_bytes",
            "flush_operations",
            "rd_total_times",
            "wr_total_times",
            "flush_total_times"
        ],
        "{out}"
    );
    let human = s.virsh(&["domblkstat", "bs", "--human"]);
    assert!(
        human.starts_with("Device: \n number of read operations:"),
        "{human}"
    );
    assert!(
        human.contains(" total duration of flushes (ns):"),
        "{human}"
    );
    let out = Command::new("virsh")
        .args(["-c", &s.uri, "domblkstat", "bs", "vdz"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid argument: invalid path: vdz\n"
    );
    s.virsh(&["destroy", "bs"]);
}

#[test]
fn virsh_event_prints_a_watchdog_and_the_pause_it_causes() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    // Armed with no time left, the ib700 fires at once.
    let printed = events_of_hmp(
        &s,
        "wd",
        "<domain type='qemu'><name>wd</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os>\
         <devices><watchdog model='ib700' action='pause'/></devices></domain>",
        "o /b 0x443 15",
        "event 'lifecycle' for domain 'wd': Suspended Watchdog\n",
    );
    assert_eq!(
        printed,
        "event 'watchdog' for domain 'wd': pause\n\
         event 'lifecycle' for domain 'wd': Suspended Watchdog\n\
         event loop interrupted\n\
         events received: 2\n",
        "rvirtd log:\n{}",
        s.daemon.log()
    );
    assert_eq!(
        s.virsh(&["domstate", "wd", "--reason"]).trim(),
        "paused (watchdog)"
    );
    s.virsh(&["destroy", "wd"]);
}

#[test]
fn virsh_event_prints_a_suspend_to_disk_and_the_shutdown_after_it() {
    if !have_tools() {
        return;
    }
    let s = QemuSystem::new();
    // S4 as a hibernating kernel asks for it: sleep type 2 with sleep enable in PM1a_CNT (set
    // up by SeaBIOS within the two seconds of watching before the command).
    let printed = events_of_hmp(
        &s,
        "s4",
        "<domain type='qemu'><name>s4</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os><features><acpi/></features></domain>",
        "o /w 0x604 0x2800",
        "event 'lifecycle' for domain 's4': Stopped Shutdown\n",
    );
    assert_eq!(
        printed,
        "event 'pm-suspend-disk' for domain 's4'\n\
         event 'lifecycle' for domain 's4': PMSuspended Disk\n\
         event 'lifecycle' for domain 's4': Shutdown Finished after guest request\n\
         event 'lifecycle' for domain 's4': Stopped Shutdown\n\
         event loop interrupted\n\
         events received: 4\n",
        "rvirtd log:\n{}",
        s.daemon.log()
    );
    assert_eq!(
        s.virsh(&["domstate", "s4", "--reason"]).trim(),
        "shut off (shutdown)"
    );
}
