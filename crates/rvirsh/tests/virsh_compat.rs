//! rvirsh prints what virsh prints.
//!
//! Every line of `testdata/rvirsh/corpus.txt` is run as `virsh -c test:///default LINE` (the
//! real virsh, libvirt's test driver in process) and as `rvirsh -c test:///default LINE`, each
//! from a fresh default machine; exit code, stdout and stderr must be equal byte for byte once
//! run-varying values are masked. A line starting with `ARGS ` is split into separate
//! arguments (shell-style) instead of being passed as one command string.
//!
//! When an `rvirtd` binary sits beside `rvirsh` (after `cargo build -p rvirtd`), the corpus also
//! runs through that daemon (`test+unix:///default?socket=…`): virsh and rvirsh each through a
//! fresh rvirtd. (That rvirtd answers virsh as libvirtd would is `crates/rvirtd/tests/
//! virsh_corpus.rs`'s job.) Connection options such as `-k` behave differently in process and
//! through a daemon, for virsh as for rvirsh, so each side is compared on the same URI.

#![allow(clippy::unwrap_used)]

use rvirt_testsupport::{WORKERS, mask_datetimes, mask_uuids, on_workers};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const DOMAIN_XML: &str = "<domain type='test'><name>vm1</name><memory>1048576</memory>\
<vcpu>2</vcpu><os><type>hvm</type></os></domain>";
const SNAPSHOT_XML: &str = "<domainsnapshot><name>from-xml</name><description>made from XML</description></domainsnapshot>";
/// A checkpoint definition for the corpus (`$CHKXML`), with a creation time so that it may also
/// be redefined.
const CHECKPOINT_XML: &str = "<domaincheckpoint><name>fromfile</name><description>from a file</description><creationTime>1700000000</creationTime><disks><disk name='vda' bitmap='nightly'/></disks></domaincheckpoint>";
/// A storage pool definition for the corpus (`$POOLXML`).
const POOL_XML: &str = "<pool type='dir'>\n  <name>corpus-pool</name>\n  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n  <target>\n    <path>/corpus-pool</path>\n  </target>\n</pool>\n";

/// A storage volume definition for the corpus (`$VOLXML`).
const VOL_XML: &str = "<volume>\n  <name>corpus.qcow2</name>\n  <capacity unit='MiB'>64</capacity>\n  <target>\n    <format type='qcow2'/>\n  </target>\n</volume>\n";

/// A disk device for the device commands (`$DISKXML`).
const DISK_XML: &str = "<disk type='file' device='disk'>\n  <source file='/var/lib/corpus.img'/>\n  <target dev='vdb' bus='virtio'/>\n</disk>\n";

const BAD_XML: &str = "<domain type='test'><name>bad</name>";

fn have_virsh() -> bool {
    Command::new("virsh")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a program with a deadline (libvirt's in-process test driver occasionally hangs).
fn run(prog: &Path, uri: &str, args: &[String], env: &[(&str, &str)]) -> Option<Output> {
    let mut cmd = Command::new(prog);
    cmd.args(["-c", uri])
        .args(args)
        .env_remove("LIBVIRT_DEFAULT_URI")
        .env_remove("VISUAL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Masks what differs between runs: the scratch folder, random UUIDs, CPU times, the URI,
/// and long numbers (the test driver derives statistics and snapshot names from the clock).
fn mask(text: &[u8], tmp: &Path, uri: &str) -> String {
    let s = String::from_utf8_lossy(text)
        .replace(&tmp.display().to_string(), "$TMP")
        .replace(uri, "test:///default");
    let s: String = s
        .split('\n')
        .map(|l| {
            if l.starts_with("CPU time:") {
                "CPU time: MASKED".to_string()
            } else {
                mask_datetimes(&mask_uuids(l))
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(s.len());
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let before_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if run >= 9 && before_ok {
            out.push_str("NUM");
            i += run;
        } else if run > 0 {
            out.extend(&b[i..i + run]);
            i += run;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Splits an `ARGS` line as a shell would (single and double quotes, no escapes).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut any = false;
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (None, ' ') => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}

fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/rvirsh/corpus.txt"),
    )
    .unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The folder `name` of `testdata`: `$NETDIR` the network XML pairs of `network-xml`,
/// `$CPUDIR` the host CPU descriptions of `cpu-xml`.
fn testdata_dir(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

struct Scratch {
    dir: tempfile::TempDir,
    keep: Vec<PathBuf>,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let mut keep = Vec::new();
        for (name, text) in [
            ("vm1.xml", DOMAIN_XML),
            ("snap.xml", SNAPSHOT_XML),
            ("bad.xml", BAD_XML),
            ("pool.xml", POOL_XML),
            ("vol.xml", VOL_XML),
            ("disk.xml", DISK_XML),
            ("checkpoint.xml", CHECKPOINT_XML),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            keep.push(p);
        }
        Scratch { dir, keep }
    }

    fn expand(&self, line: &str) -> Vec<String> {
        let p = |n: usize| self.keep[n].display().to_string();
        let line = line
            .replace("$XML", &p(0))
            .replace("$SNAPXML", &p(1))
            .replace("$BADXML", &p(2))
            .replace("$NETDIR", &testdata_dir("network-xml"))
            .replace("$CPUDIR", &testdata_dir("cpu-xml"))
            .replace("$POOLXML", &p(3))
            .replace("$VOLXML", &p(4))
            .replace("$DISKXML", &p(5))
            .replace("$CHKXML", &p(6))
            .replace("$TMP", &self.dir.path().display().to_string());
        match line.strip_prefix("ARGS ") {
            Some(rest) => shell_words(rest),
            None => vec![line],
        }
    }

    /// Removes what a run made (save images), so the next run starts from the same files.
    fn reset(&self) {
        for e in std::fs::read_dir(self.dir.path()).unwrap() {
            let p = e.unwrap().path();
            if !self.keep.contains(&p) {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

fn show(o: &Output, tmp: &Path, uri: &str) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}\n",
        o.status.code(),
        mask(&o.stdout, tmp, uri),
        mask(&o.stderr, tmp, uri)
    )
}

/// Runs every corpus line with virsh and with rvirsh, each against a fresh machine from
/// `machine` (a URI and, for a daemon, its process; called with the worker's number, so that
/// workers keep apart), and lists the lines whose output differs, in corpus order.
fn compare(machine: &(dyn Fn(usize) -> (String, Option<Child>) + Sync)) -> (Vec<String>, usize) {
    let filter = std::env::var("RVIRSH_CORPUS").unwrap_or_default();
    let lines: Vec<String> = corpus()
        .into_iter()
        .filter(|l| l.contains(&filter))
        .collect();
    let results = on_workers(&lines, WORKERS, |worker, line| {
        compare_line(line, &|| machine(worker))
    });
    let compared = results.iter().filter(|r| r.is_some()).count();
    let failures = results.into_iter().filter_map(|r| r?.err()).collect();
    (failures, compared)
}

/// Runs one corpus line with virsh and with rvirsh: `None` when virsh hung (not compared),
/// else whether the outputs agree (`Err` shows both).
fn compare_line(
    line: &str,
    machine: &dyn Fn() -> (String, Option<Child>),
) -> Option<Result<(), String>> {
    let rvirsh = PathBuf::from(env!("CARGO_BIN_EXE_rvirsh"));
    // `edit` runs an editor that changes nothing: both programs see the same file back.
    let env = [("EDITOR", "true")];
    let scratch = Scratch::new();
    let args = scratch.expand(line);
    let (virsh_uri, mut daemon) = machine();
    let expected = run(Path::new("virsh"), &virsh_uri, &args, &env);
    stop(&mut daemon);
    let Some(expected) = expected else {
        eprintln!("skipped (libvirt's virsh hung): {line}");
        return None;
    };
    scratch.reset();
    let (uri, mut daemon) = machine();
    let got = run(&rvirsh, &uri, &args, &env);
    stop(&mut daemon);
    let got = got.unwrap_or_else(|| panic!("rvirsh hung: {line}"));
    let tmp = scratch.dir.path();
    let (e, g) = (show(&expected, tmp, &virsh_uri), show(&got, tmp, &uri));
    Some(if e == g {
        Ok(())
    } else {
        Err(format!("\"{line}\"\n=== virsh\n{e}=== rvirsh\n{g}"))
    })
}

/// Stops a daemon started for one run.
fn stop(daemon: &mut Option<Child>) {
    if let Some(d) = daemon.as_mut() {
        let _ = d.kill();
        let _ = d.wait();
    }
}

#[test]
fn rvirsh_prints_what_virsh_prints() {
    if !have_virsh() {
        eprintln!("SKIPPED: virsh is not installed (apt-get install libvirt-clients)");
        return;
    }
    assert!(
        corpus().len() >= 80,
        "the corpus has {} lines",
        corpus().len()
    );
    let (failures, compared) = compare(&|_| ("test:///default".to_string(), None));
    assert!(
        failures.is_empty(),
        "{} of {compared} command lines differ:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} command lines: rvirsh prints what virsh prints");
}

/// Runs a program with `args` and no connection, returning stdout.
fn stdout_of(prog: &Path, args: &[&str]) -> String {
    let o = Command::new(prog)
        .args(args)
        .env_remove("LIBVIRT_DEFAULT_URI")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{} {args:?} failed", prog.display());
    String::from_utf8(o.stdout).unwrap()
}

/// virsh's listing cut down to the groups and commands `known` holds: a group header line
/// (` Title (help keyword 'k'):`) is kept with its blank line when `k` is known, a command line
/// when its command is.
fn restrict(listing: &str, groups: &[String], commands: &[String]) -> String {
    let mut out = String::new();
    let mut keep_group = true;
    let mut in_groups = false;
    for line in listing.split_inclusive('\n') {
        let t = line.trim_end();
        if let Some(k) = t.split("(help keyword '").nth(1) {
            let k = k.split('\'').next().unwrap_or_default();
            keep_group = groups.iter().any(|g| g == k);
            in_groups = true;
            if keep_group {
                out.push_str(line);
            }
        } else if in_groups && t.starts_with("    ") {
            let name = t.split_whitespace().next().unwrap_or_default();
            if keep_group && commands.iter().any(|c| c == name) {
                out.push_str(line);
            }
        } else if keep_group || !t.is_empty() {
            out.push_str(line);
        }
    }
    out
}

#[test]
fn help_listings_are_virshs_restricted_to_rvirshs_commands() {
    if !have_virsh() {
        eprintln!("SKIPPED: virsh is not installed (apt-get install libvirt-clients)");
        return;
    }
    let rvirsh = PathBuf::from(env!("CARGO_BIN_EXE_rvirsh"));
    let virsh = Path::new("virsh");
    let ours = stdout_of(&rvirsh, &["help"]);
    let groups: Vec<String> = ours
        .lines()
        .filter_map(|l| l.split("(help keyword '").nth(1))
        .map(|k| k.split('\'').next().unwrap_or_default().to_string())
        .collect();
    let commands: Vec<String> = ours
        .lines()
        .filter(|l| l.starts_with("    "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(
        groups.len() >= 6 && commands.len() >= 60,
        "{groups:?} {commands:?}"
    );
    assert_eq!(
        ours,
        restrict(&stdout_of(virsh, &["help"]), &groups, &commands)
    );
    for g in &groups {
        assert_eq!(
            stdout_of(&rvirsh, &["help", g]),
            restrict(&stdout_of(virsh, &["help", g]), &groups, &commands),
            "help {g}"
        );
    }
    // `-h`: the same usage text, with the program's own name.
    let usage = restrict(&stdout_of(virsh, &["-h"]), &groups, &commands)
        .replace("virsh [options]", "rvirsh [options]");
    assert_eq!(stdout_of(&rvirsh, &["-h"]), usage);
    // Every command's own help is virsh's, byte for byte.
    for c in &commands {
        assert_eq!(
            stdout_of(&rvirsh, &["help", c]),
            stdout_of(virsh, &["help", c]),
            "help {c}"
        );
    }
}

/// rvirtd beside the rvirsh binary, if it was built.
fn rvirtd_binary() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_BIN_EXE_rvirsh")).with_file_name("rvirtd");
    p.exists().then_some(p)
}

/// Starts rvirtd in a scratch folder; returns its URI and process.
fn start_rvirtd(bin: &Path, dir: &Path) -> (String, Child) {
    std::fs::create_dir_all(dir).unwrap();
    let sock = dir.join("sock");
    let conf = dir.join("rvirtd.conf");
    std::fs::write(
        &conf,
        format!(
            "unix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0777\"\nlisten_tls = 0\n",
            sock.display()
        ),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&sock);
    let child = Command::new(bin)
        .arg("-f")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rw = sock.join("libvirt-sock");
    let start = Instant::now();
    while !rw.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    (
        format!("test+unix:///default?socket={}", rw.display()),
        child,
    )
}

#[test]
fn rvirsh_through_rvirtd_prints_what_virsh_prints() {
    if !have_virsh() {
        eprintln!("SKIPPED: virsh is not installed (apt-get install libvirt-clients)");
        return;
    }
    let Some(bin) = rvirtd_binary() else {
        eprintln!("SKIPPED: no rvirtd beside rvirsh (cargo build -p rvirtd)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (failures, compared) = compare(&|worker| {
        let (uri, child) = start_rvirtd(&bin, &dir.path().join(worker.to_string()));
        (uri, Some(child))
    });
    assert!(
        failures.is_empty(),
        "through rvirtd, {} of {compared} command lines differ:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} command lines through rvirtd: rvirsh prints what virsh prints");
}

#[test]
fn masking_keeps_what_is_stable() {
    let tmp = Path::new("/tmp/x");
    assert_eq!(
        mask(b"vda rd_req 179529912583975\n/tmp/x/a 12 abc", tmp, "u"),
        "vda rd_req NUM\n$TMP/a 12 abc"
    );
    assert_eq!(shell_words("a 'b c' \"\" d"), vec!["a", "b c", "", "d"]);
}
