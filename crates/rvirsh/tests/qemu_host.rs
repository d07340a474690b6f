//! Host commands on a QEMU connection (`qemu:///embed`) beside real virsh on libvirt 9.0's own
//! embedded QEMU driver, on the same host: what does not move (topology, errors, models, the
//! capabilities' host section) must be equal byte for byte, and what moves between the two
//! runs (free memory, CPU times) must agree within what a host can change in a few seconds.

#![allow(clippy::unwrap_used)]

use rvirt_testsupport::libvirt_embed;
use std::path::Path;
use std::process::Command;

/// Exit code, stdout and stderr.
type Run = (i32, String, String);

fn rvirsh(root: &Path, line: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_rvirsh"))
        .args(["-q", "-c"])
        .arg(format!("qemu:///embed?root={}", root.display()))
        .arg(line)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// virsh's run of `line`, its log lines (timestamped warnings of libvirt's startup) left out.
fn virsh(root: &Path, line: &str) -> Option<Run> {
    let out = libvirt_embed(root, line)?;
    let err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("20"))
        .map(|l| format!("{l}\n"))
        .collect();
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        err,
    ))
}

/// Both runs of `line`, virsh's first; `None` (or a failure under CI) without libvirt.
fn both(lv: &Path, rv: &Path, line: &str) -> Option<(Run, Run)> {
    let Some(theirs) = virsh(lv, line) else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "libvirt's QEMU driver is missing and CI is set"
        );
        return None;
    };
    Some((theirs, rvirsh(rv, line)))
}

/// A line with its numbers replaced by `#`, and the numbers. A number right-aligned in a
/// column (two spaces or more before it) becomes `#` and the column's width, so that
/// `   9999304` and `  10004452` read alike while a column of another width does not.
fn split_numbers(line: &str) -> (String, Vec<u64>) {
    let (mut text, mut numbers, mut cur) = (String::new(), Vec::new(), String::new());
    for c in line.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            numbers.push(cur.parse().unwrap());
            let pad = text.len() - text.trim_end_matches(' ').len();
            if pad >= 2 {
                text.truncate(text.len() - pad);
                text.push_str(&format!(" #{}", pad + cur.len()));
            } else {
                text.push('#');
            }
            cur.clear();
        }
        text.push(c);
    }
    (text, numbers)
}

/// The two outputs have the same text, and each pair of numbers passes `close(line, a, b)`.
fn assert_close(line: &str, theirs: &str, ours: &str, close: impl Fn(&str, u64, u64) -> bool) {
    let (t, o): (Vec<_>, Vec<_>) = (theirs.lines().collect(), ours.lines().collect());
    assert_eq!(
        t.len(),
        o.len(),
        "{line}:\nvirsh:\n{theirs}\nrvirsh:\n{ours}"
    );
    for (a, b) in t.iter().zip(&o) {
        let ((ta, na), (tb, nb)) = (split_numbers(a), split_numbers(b));
        assert_eq!(ta, tb, "{line}:\nvirsh:\n{theirs}\nrvirsh:\n{ours}");
        for (x, y) in na.iter().zip(&nb) {
            assert!(
                close(a, *x, *y),
                "{line}: {a:?} beside {b:?}\nvirsh:\n{theirs}\nrvirsh:\n{ours}"
            );
        }
    }
}

fn mem_total_kib() -> u64 {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap();
    split_numbers(info.lines().next().unwrap()).1[0]
}

#[test]
fn host_commands_match_libvirts_qemu_driver() {
    if !Path::new("/usr/bin/qemu-system-x86_64").exists() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "no QEMU under CI"
        );
        eprintln!("skipped: no qemu-system-x86_64");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (lv, rv) = (dir.path().join("libvirt"), dir.path().join("rvirt"));

    // Equal byte for byte, errors included.
    for line in [
        "nodecpustats --cpu 4096",
        "nodecpustats --cpu -2",
        "nodememstats --cell 4096",
        "nodememstats --cell -3",
        "freecell --cellno 4096",
        "freepages --cellno 0 --pagesize 3",
        "freepages --cellno 4096 --pagesize 4",
        "freepages --cellno 0",
        "sysinfo",
        "maxvcpus",
        "maxvcpus --type kvm",
        "maxvcpus --type qemu",
        "maxvcpus --type foo",
        "nodecpumap",
        "nodecpumap --pretty",
        "cpu-models x86_64",
        "cpu-models foo",
    ] {
        let Some((theirs, ours)) = both(&lv, &rv, line) else {
            return;
        };
        assert_eq!(ours, theirs, "{line}");
    }

    // The clock may move between two reads of /proc/cpuinfo; the rest of nodeinfo may not.
    let (theirs, ours) = both(&lv, &rv, "nodeinfo").unwrap();
    assert_eq!(ours.0, 0, "{}", ours.2);
    assert_close("nodeinfo", &theirs.1, &ours.1, |l, a, b| {
        if l.starts_with("CPU frequency") {
            a.abs_diff(b) <= a / 5
        } else {
            a == b
        }
    });

    // Memory that may move by a tenth of the host's between the runs; totals that may not.
    let slack = mem_total_kib() / 10;
    for line in [
        "nodememstats",
        "nodememstats --cell 0",
        "freecell",
        "freecell --all",
    ] {
        let (theirs, ours) = both(&lv, &rv, line).unwrap();
        assert_eq!(ours.0, 0, "{line}: {}", ours.2);
        assert_close(line, &theirs.1, &ours.1, |l, a, b| {
            if l.starts_with("total") {
                a == b
            } else {
                a.abs_diff(b) <= slack
            }
        });
    }
    let (theirs, ours) = both(&lv, &rv, "freepages --all").unwrap();
    assert_eq!(ours.0, 0, "{}", ours.2);
    assert_close("freepages --all", &theirs.1, &ours.1, |l, a, b| {
        if l.starts_with("4KiB") && a > 4096 {
            a.abs_diff(b) <= slack / 4
        } else {
            a == b
        }
    });

    // CPU times only grow, by at most a minute of every CPU between the runs.
    let cpus = std::thread::available_parallelism().unwrap().get() as u64;
    for line in ["nodecpustats", "nodecpustats --cpu 0"] {
        let (theirs, ours) = both(&lv, &rv, line).unwrap();
        assert_eq!(ours.0, 0, "{line}: {}", ours.2);
        assert_close(line, &theirs.1, &ours.1, |_, a, b| {
            b >= a && b - a <= 60_000_000_000 * cpus
        });
    }

    // The capabilities' host section: libvirt's, less the host CPU model it derives from CPUID
    // (model, vendor, microcode, signature, counter, address size, features) and the UUID it
    // makes up when the firmware has none.
    let host = |caps: &str| -> String {
        let start = caps.find("<host>").unwrap();
        let end = caps.find("</host>").unwrap();
        caps[start..end]
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                ![
                    "<uuid>",
                    "<model>",
                    "<vendor>",
                    "<microcode",
                    "<signature",
                    "<counter",
                    "<maxphysaddr",
                    "<feature ",
                ]
                .iter()
                .any(|p| l.starts_with(p))
                    || l.starts_with("<model>none") | l.starts_with("<model>dac")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let (theirs, ours) = both(&lv, &rv, "capabilities").unwrap();
    assert_eq!(ours.0, 0, "{}", ours.2);
    assert_eq!(host(&ours.1), host(&theirs.1));
}

#[test]
fn numbers_in_columns_compare_by_column_width() {
    let (a, na) = split_numbers("    0:    9999304 KiB");
    let (b, nb) = split_numbers("    0:   10004452 KiB");
    assert_eq!(a, b);
    assert_eq!((na, nb), (vec![0, 9999304], vec![0, 10004452]));
    assert_ne!(a, split_numbers("    0:  9999304 KiB").0);
    // A number after a single space is not in a column: its digits may vary.
    assert_eq!(split_numbers("Total: 12").0, split_numbers("Total: 123").0);
}
