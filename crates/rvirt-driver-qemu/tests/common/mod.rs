//! What the QEMU driver's integration tests share: opening a driver on a state root, tiny
//! guests, recording lifecycle events, waiting, and cleaning up the guests a test started.
//! Each test binary uses a part of it.

#![allow(dead_code)]

use parking_lot::Mutex;
use pollster::block_on;
use rvirt_driver::{DomainDriver, DomainEvent};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::domain::{DomainDestroyFlags, DomainEventID};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A QEMU driver embedded on the state root `root` (`qemu:///embed?root=ROOT`).
pub fn open(root: &Path) -> Arc<QemuDriver> {
    QemuDriver::open(&format!("qemu:///embed?root={}", root.display())).unwrap()
}

/// A tiny guest (64 MiB, no devices) of domain type `virt` (`qemu` or `kvm`).
pub fn guest(name: &str, virt: &str) -> String {
    format!(
        "<domain type='{virt}'><name>{name}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os></domain>"
    )
}

/// A tiny TCG guest (64 MiB) with `devices` (XML) in its `<devices>`.
pub fn guest_with(name: &str, devices: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>\
         <os><type arch='x86_64'>hvm</type></os><devices>{devices}</devices></domain>"
    )
}

/// What a recorder has seen so far.
pub type Seen<T> = Arc<Mutex<Vec<T>>>;

/// Records every lifecycle event of `d` as `entry(domain name, event, detail)`.
pub fn record_lifecycle<T: Send + 'static>(
    d: &QemuDriver,
    entry: fn(&str, i32, i32) -> T,
) -> Seen<T> {
    let seen: Seen<T> = Default::default();
    let s = seen.clone();
    block_on(d.connect_domain_event_register_any(
        None,
        DomainEventID::LIFECYCLE,
        Arc::new(move |e| {
            if let DomainEvent::Lifecycle { dom, event, detail } = e {
                s.lock().push(entry(&dom.name, event.0, *detail));
            }
        }),
    ))
    .unwrap();
    seen
}

/// Records every lifecycle event of `d` as (domain name, event, detail).
pub fn record(d: &QemuDriver) -> Seen<(String, i32, i32)> {
    record_lifecycle(d, |name, event, detail| (name.to_string(), event, detail))
}

/// The pid in the status file of the running domain `name` under `root`.
pub fn pid_of(root: &Path, name: &str) -> i32 {
    let text = std::fs::read_to_string(root.join(format!("run/qemu/{name}.xml"))).unwrap();
    let at = text.find("pid='").unwrap() + 5;
    text[at..].split('\'').next().unwrap().parse().unwrap()
}

/// Polls `f` until it holds and returns how long that took; fails naming `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    t.elapsed()
}

/// A state root that kills the QEMUs still recorded in it when dropped, so that a failing
/// test leaves no guest running (the driver leaves its guests running when dropped).
pub struct Root(tempfile::TempDir);

impl Root {
    /// A fresh root in a temporary folder.
    pub fn new() -> Root {
        Root(tempfile::tempdir().unwrap())
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let Ok(dir) = std::fs::read_dir(self.path().join("run/qemu")) else {
            return;
        };
        for e in dir.flatten() {
            let pid = std::fs::read_to_string(e.path()).ok().and_then(|t| {
                let at = t.find("pid='")? + 5;
                t[at..].split('\'').next()?.parse::<i32>().ok()
            });
            if let Some(pid) = pid.filter(|p| *p > 0) {
                // Its control groups go too once it is gone: no driver is left to remove
                // them when a failed assertion ends the test first.
                let groups = groups_of(pid);
                // SAFETY: kill(2) of a QEMU this test started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
                while std::time::Instant::now() < deadline {
                    // SAFETY: reaps the QEMU (if it is this process's child) without waiting.
                    unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                    if !Path::new(&format!("/proc/{pid}")).exists() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                // A group may stay busy a moment after its last process is gone.
                for g in groups {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
                    while g.exists() && std::time::Instant::now() < deadline {
                        remove_group(&g);
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                }
            }
        }
    }
}

/// Removes control group `dir` and the groups below it (a group's files go with it).
fn remove_group(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_group(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Destroys a test's guest when the test ends, passed or failed: a failed assertion must not
/// leave a QEMU running.
pub struct Cleanup(pub Arc<QemuDriver>, pub &'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(dom) = block_on(self.0.domain_lookup_by_name(self.1)) {
            let _ = block_on(self.0.domain_destroy(&dom, DomainDestroyFlags::empty()));
        }
    }
}

#[allow(unused_imports)]
pub use rvirt_testsupport::libvirt_embed;

/// The control groups of the domain whose QEMU is process `pid`, one per controller that has
/// one (cpu, cpuacct, cpuset, memory, blkio, freezer and the unified hierarchy:
/// `/sys/fs/cgroup/<controller>/machine/qemu-embed-<hash>-<id>-<name>.rvirt-qemu`), as
/// `/proc/<pid>/cgroup` names them: groups other runs left behind with the same domain name
/// are not taken for this one's.
pub fn groups_of(pid: i32) -> Vec<std::path::PathBuf> {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/cgroup")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        // The domain's own group: the process's thread may sit in a sub-group of it.
        let Some(at) = path.find(".rvirt-qemu") else {
            continue;
        };
        let group = &path[..at + ".rvirt-qemu".len()];
        if controllers.is_empty() {
            // The unified hierarchy (`0::/…`): a hybrid host's `unified`, or the only one.
            let top = Path::new("/sys/fs/cgroup/unified");
            let top = if top.is_dir() {
                top
            } else {
                Path::new("/sys/fs/cgroup")
            };
            found.push(top.join(group.trim_start_matches('/')));
            continue;
        }
        for c in controllers.split(',') {
            if ["cpu", "cpuacct", "cpuset", "memory", "blkio", "freezer"].contains(&c) {
                found.push(std::path::PathBuf::from(format!(
                    "/sys/fs/cgroup/{c}{group}"
                )));
            }
        }
    }
    found
}

/// The `cpu` control group of the domain whose QEMU is process `pid`, if the host gives it one.
pub fn cpu_group_of(pid: i32) -> Option<std::path::PathBuf> {
    group_of(pid, "cpu")
}

/// The control group in hierarchy `controller` (`unified` for the version 2 one) of the
/// domain whose QEMU is process `pid`, if the host gives it one.
pub fn group_of(pid: i32, controller: &str) -> Option<std::path::PathBuf> {
    let top = Path::new("/sys/fs/cgroup").join(controller);
    let groups = groups_of(pid);
    let unified_is_top = controller == "unified" && !top.is_dir();
    groups.into_iter().find(|p| {
        if unified_is_top {
            p.parent().and_then(Path::parent) == Some(Path::new("/sys/fs/cgroup"))
        } else {
            p.starts_with(&top)
        }
    })
}

/// The thread id of vCPU `n` of the QEMU with process id `pid` (its thread is named
/// `CPU n/TCG` or `CPU n/KVM`).
pub fn vcpu_thread(pid: i32, n: u32) -> String {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .find(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.starts_with(&format!("CPU {n}/")))
        })
        .map(|t| t.file_name().into_string().unwrap())
        .expect("QEMU's vCPU thread")
}

/// Whether thread `tid` is in the sub-group `sub` of `group` (its `tasks`, or in the unified
/// hierarchy its `cgroup.threads`).
pub fn group_holds(group: &Path, sub: &str, tid: &str) -> bool {
    ["tasks", "cgroup.threads"].iter().any(|f| {
        std::fs::read_to_string(group.join(sub).join(f)).is_ok_and(|t| t.lines().any(|l| l == tid))
    })
}

/// A child process driven line by line (a python3-libvirt script playing libvirt's side): lines
/// written to its standard input, answers read from its standard output, its standard error in
/// a file that any failure shows.
pub struct LineChild {
    child: std::process::Child,
    input: Option<std::process::ChildStdin>,
    output: std::io::BufReader<std::process::ChildStdout>,
    errors: std::path::PathBuf,
}

impl LineChild {
    /// Starts `cmd` with its standard error going to `errors`.
    pub fn spawn(mut cmd: std::process::Command, errors: &Path) -> LineChild {
        use std::process::Stdio;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(errors).unwrap())
            .spawn()
            .unwrap();
        LineChild {
            input: child.stdin.take(),
            output: std::io::BufReader::new(child.stdout.take().unwrap()),
            child,
            errors: errors.to_path_buf(),
        }
    }

    /// What the child wrote to its standard error so far.
    pub fn logged(&self) -> String {
        std::fs::read_to_string(&self.errors).unwrap_or_default()
    }

    /// Writes `line` to the child.
    pub fn send(&mut self, line: &str) {
        use std::io::Write;
        writeln!(self.input.as_mut().unwrap(), "{line}").unwrap();
    }

    /// The child's next line, without its line end; fails, with what the child logged, if it
    /// ended instead.
    pub fn line(&mut self) -> String {
        use std::io::BufRead;
        let mut l = String::new();
        self.output.read_line(&mut l).unwrap();
        assert!(l.ends_with('\n'), "the child ended: {}", self.logged());
        l.trim_end().to_string()
    }

    /// Closes the child's input, waits for it to end and fails unless it succeeded; returns
    /// what it logged.
    pub fn finish(mut self) -> String {
        drop(self.input.take());
        let ok = self.child.wait().unwrap().success();
        let logged = self.logged();
        assert!(ok, "{logged}");
        logged
    }
}

/// MACs libvirt or rvirt generated differ by nature: masked.
pub fn mask(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("<mac address='52:54:00:") {
        let end = at + "<mac address='52:54:00:".len();
        out.push_str(&rest[..end]);
        out.push_str("xx:xx:xx");
        rest = &rest[end + 8..];
    }
    out.push_str(rest);
    out
}

/// What differs by nature between two runs of one guest's live XML: domain ids, pty paths.
/// And what libvirt's live XML has that rvirt leaves out by design or does not do yet:
/// - `<resource><partition>`: libvirt names the cgroup partition it puts QEMU in; rvirt
///   starts QEMU in no cgroup of its own.
pub fn mask_live(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut skip: Option<&str> = None;
    for line in mask(xml).lines() {
        let t = line.trim_start();
        if let Some(end) = skip {
            if t == end {
                skip = None;
            }
            continue;
        }
        if t == "<resource>" {
            skip = Some("</resource>");
            continue;
        }
        let mut l = mask_ptys(line);
        if let Some(at) = l.find("/domain-") {
            let digits = l[at + 8..].find(|c: char| !c.is_ascii_digit());
            if let Some(n) = digits.filter(|n| *n > 0) {
                l.replace_range(at + 8..at + 8 + n, "N");
            }
        }
        if l.starts_with("<domain ")
            && let Some(at) = l.find(" id='")
        {
            let end = l[at + 5..].find('\'').unwrap() + at + 6;
            l.replace_range(at..end, " id='N'");
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// `/dev/pts/N` for every pty path of a line.
pub fn mask_ptys(l: &str) -> String {
    match l.find("/dev/pts/") {
        None => l.to_string(),
        Some(at) => {
            let end = l[at + 9..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(l.len(), |e| at + 9 + e);
            format!("{}/dev/pts/N{}", &l[..at], mask_ptys(&l[end..]))
        }
    }
}

/// libvirt 9.0's QEMU driver embedded at `lv_root` through python3-libvirt (`qemu_xml.py`):
/// for each guest XML file, its inactive XML and command line or its error, and the live XML
/// or start error of those `args` name with `--start=NAME` (`--conf=LINE` adds qemu.conf
/// lines). Fails the test when the script does not finish within `limit_secs`.
pub fn libvirt_oracle(
    lv_root: &Path,
    files: impl IntoIterator<Item = std::path::PathBuf>,
    args: impl IntoIterator<Item = String>,
    limit_secs: u32,
) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/qemu_xml.py");
    let out = std::process::Command::new("timeout")
        .arg(limit_secs.to_string())
        .arg("/usr/bin/python3")
        .arg(&script)
        .arg(lv_root)
        .args(files)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "libvirt oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs the python3-libvirt `script` on `args` (two minutes at most) and returns what it
/// printed; fails the test when the script fails or does not finish.
pub fn run_python(
    script: &str,
    args: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>,
) -> Vec<u8> {
    let out = std::process::Command::new("timeout")
        .args(["120", "/usr/bin/python3", "-c", script])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Whether rvirt's error `e` is libvirt's `want` (`[code, message]` from the oracle): the same
/// code, and rvirt's message ending as libvirt's does after its prefix.
pub fn same_error(e: &rvirt_types::Error, want: &serde_json::Value) -> bool {
    let msg = want[1].as_str().unwrap_or("");
    i64::from(e.code.0) == want[0].as_i64().unwrap_or(-1)
        && e.to_string()
            .ends_with(msg.split_once(": ").map_or(msg, |m| m.1))
}

/// The pids of the virtiofsd processes serving `dir` (found by their command line, whoever
/// started them).
pub fn virtiofsd_pids(dir: &std::path::Path) -> Vec<i32> {
    let want = format!("source={}", dir.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let args: Vec<String> = c
                    .split(|b| *b == 0)
                    .map(|a| String::from_utf8_lossy(a).to_string())
                    .collect();
                args.first().is_some_and(|a| a.ends_with("virtiofsd"))
                    && args.iter().any(|a| a.split(',').next() == Some(&want))
            })
        })
        .filter(|pid| {
            // A zombie is gone for our purpose (its parent reaps it soon).
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.rsplit(')').next().is_some_and(|r| !r.starts_with(" Z")))
        })
        .collect()
}
