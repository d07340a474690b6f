//! Memory a client makes the daemon use is given back when the objects go.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, PYTHON};
use std::process::Command;
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

fn python(uri: &str, code: &str) {
    let out = Command::new(PYTHON)
        .args(["-c", code, uri])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn undefined_domains_return_their_memory() {
    let d = Daemon::start("");
    // Warm up: one connection and a few calls, so the baseline includes what any client costs.
    python(
        &d.uri(),
        "import sys, libvirt; c = libvirt.open(sys.argv[1]); c.listAllDomains(0); c.close()",
    );
    std::thread::sleep(Duration::from_millis(1500));
    let baseline = rss_kib(d.pid());
    python(
        &d.uri(),
        "import sys, libvirt\n\
         c = libvirt.open(sys.argv[1])\n\
         x = \"<domain type='test'><name>m%d</name><memory>1048576</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>\"\n\
         doms = [c.defineXML(x % i) for i in range(5000)]\n\
         assert len(c.listAllDomains(0)) == 5001\n\
         for d in doms: d.undefine()\n\
         c.close()",
    );
    let peak_ok = rss_kib(d.pid());
    // Within a few seconds of the burst, the daemon is back near where it started.
    let start = Instant::now();
    loop {
        let now = rss_kib(d.pid());
        if now <= baseline + 2048 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "RSS {now} KiB after undefining 5,000 domains (baseline {baseline} KiB, right after {peak_ok} KiB)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
