//! Real virsh through rvirtd prints what it prints on libvirt's own test driver.
//!
//! Every line of `testdata/virsh/corpus.txt` is run with the Debian `virsh` twice: as
//! `virsh -c test:///default LINE` (libvirt's test driver, in process) and as
//! `virsh -c test+unix:///default?socket=RVIRTD LINE` against a fresh rvirtd. Exit code, stdout
//! and stderr must be equal, byte for byte, once the clock is masked.

#![allow(clippy::unwrap_used)]

mod common;

use common::Daemon;
use rvirt_testsupport::{WORKERS, mask_datetimes, mask_uuids, on_workers};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const DOMAIN_XML: &str = "<domain type='test'><name>vm1</name><memory>1048576</memory>\
<vcpu>2</vcpu><os><type>hvm</type></os></domain>";
const SNAPSHOT_XML: &str = "<domainsnapshot><name>from-xml</name><description>made from XML</description></domainsnapshot>";
/// A checkpoint definition for the corpus (`$CHKXML`), with a creation time so that it may also
/// be redefined.
const CHECKPOINT_XML: &str = "<domaincheckpoint><name>fromfile</name><description>from a file</description><creationTime>1700000000</creationTime><disks><disk name='vda' bitmap='nightly'/></disks></domaincheckpoint>";

/// Runs virsh with a deadline: libvirt's in-process test driver occasionally hangs in virsh.
fn virsh(uri: &str, line: &str) -> Option<Output> {
    let mut child = Command::new("virsh")
        .args(["-c", uri, line])
        .env_remove("LIBVIRT_DEFAULT_URI")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Masks what differs between runs: the scratch folder, random UUIDs of new domains, CPU times
/// (the test driver derives them from the clock), the URI virsh connected with (`virsh uri`
/// prints the client's URI) and ten-digit clock values.
fn mask(text: &[u8], tmp: &Path, uri: &str) -> String {
    let s = String::from_utf8_lossy(text)
        .replace(&tmp.display().to_string(), "$TMP")
        .replace(uri, "test:///default");
    let s: String = s
        .lines()
        .map(|l| {
            let l = if l.starts_with("CPU time:") {
                "CPU time: MASKED".to_string()
            } else {
                l.to_string()
            };
            mask_datetimes(&mask_uuids(&l))
        })
        .collect::<Vec<_>>()
        .join("\n");
    // Unix times: unnamed snapshots are named after the clock, and snapshot XML records it.
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let before_ok = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if run == 10 && before_ok {
            out.push_str("TIME");
            i += run;
        } else if run > 0 {
            out.extend(&chars[i..i + run]);
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// One corpus line through libvirt's in-process virsh and through virsh against a fresh
/// rvirtd: `None` when libvirt's virsh hung (not compared), else whether they agree (`Err`
/// shows both).
fn compare_line(line: &str) -> Option<Result<(), String>> {
    let tmp = tempfile::tempdir().unwrap();
    let xml = tmp.path().join("vm1.xml");
    std::fs::write(&xml, DOMAIN_XML).unwrap();
    let snap = tmp.path().join("snap.xml");
    std::fs::write(&snap, SNAPSHOT_XML).unwrap();
    let chk = tmp.path().join("checkpoint.xml");
    std::fs::write(&chk, CHECKPOINT_XML).unwrap();
    let cmd = line
        .replace("$XML", &xml.display().to_string())
        .replace("$SNAPXML", &snap.display().to_string())
        .replace("$CHKXML", &chk.display().to_string())
        .replace(
            "$NETDIR",
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/network-xml")
                .display()
                .to_string(),
        )
        .replace("$TMP", &tmp.path().display().to_string());

    let Some(expected) = virsh("test:///default", &cmd) else {
        eprintln!("skipped (libvirt's in-process virsh hung): {line}");
        return None;
    };
    // Files the first run made (save images) must not be seen by the second.
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let p = e.unwrap().path();
        if p != xml && p != snap && p != chk {
            std::fs::remove_file(p).unwrap();
        }
    }
    let daemon = Daemon::start("");
    let got = virsh(&daemon.uri(), &cmd)
        .unwrap_or_else(|| panic!("virsh hung against rvirtd: {line}\n{}", daemon.log()));
    let show = |o: &Output, uri: &str| {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}\n",
            o.status.code(),
            mask(&o.stdout, tmp.path(), uri),
            mask(&o.stderr, tmp.path(), uri)
        )
    };
    let (e, g) = (
        show(&expected, "test:///default"),
        show(&got, &daemon.uri()),
    );
    Some(if e == g {
        Ok(())
    } else {
        Err(format!("virsh \"{line}\"\n=== libvirt\n{e}=== rvirtd\n{g}"))
    })
}

#[test]
fn virsh_through_rvirtd_matches_libvirt() {
    assert!(
        common::have("virsh"),
        "this test runs the real virsh: apt-get install libvirt-clients"
    );
    let corpus = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/virsh/corpus.txt"),
    )
    .unwrap();
    let lines: Vec<&str> = corpus
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(lines.len() >= 80, "the corpus has {} lines", lines.len());
    let filter = std::env::var("VIRSH_CORPUS").unwrap_or_default();
    let lines: Vec<&str> = lines.into_iter().filter(|l| l.contains(&filter)).collect();
    // Lines are independent (a fresh daemon each) and mostly wait: four at once.
    let results = on_workers(&lines, WORKERS, |_, line| compare_line(line));
    let compared = results.iter().filter(|r| r.is_some()).count();
    let failures: Vec<String> = results.into_iter().filter_map(|r| r?.err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {compared} command lines differ:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} virsh command lines: same output through rvirtd");
}
