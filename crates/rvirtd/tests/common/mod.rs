//! Starting and stopping a real rvirtd for a test.

#![allow(dead_code)] // each test file uses its own part of this

pub mod pki;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(unused_imports)] // each test file uses its own part of this
pub use rvirt_testsupport::{Libvirtd, PYTHON, have};

/// An rvirtd process with its own config and sockets in a temporary folder; killed on drop.
pub struct Daemon {
    child: Child,
    pub dir: tempfile::TempDir,
}

impl Daemon {
    /// Starts rvirtd with `extra` config lines and waits for its sockets.
    pub fn start(extra: &str) -> Daemon {
        Daemon::start_with_args(extra, &[])
    }

    /// Starts rvirtd with `extra` config lines and command-line `args` (`--listen`, say) and
    /// waits for its sockets.
    pub fn start_with_args(extra: &str, args: &[&str]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("sock");
        let conf = dir.path().join("rvirtd.conf");
        std::fs::write(
            &conf,
            format!(
                // The first entry of a setting wins, as in libvirtd: `extra` before the
                // defaults of the tests.
                "{extra}\nunix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0777\"\nlisten_tls = 0\n",
                sock.display()
            ),
        )
        .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_rvirtd"))
            .arg("-f")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("pid"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let d = Daemon { child, dir };
        d.wait_for(&d.rw_socket());
        d.wait_for(&d.ro_socket());
        d
    }

    fn wait_for(&self, p: &Path) {
        let start = Instant::now();
        while !p.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "rvirtd did not create {}; log:\n{}",
                p.display(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The read-write socket.
    pub fn rw_socket(&self) -> PathBuf {
        self.dir.path().join("sock/libvirt-sock")
    }

    /// The read-only socket.
    pub fn ro_socket(&self) -> PathBuf {
        self.dir.path().join("sock/libvirt-sock-ro")
    }

    /// `test+unix:///default?socket=…` for the read-write socket.
    pub fn uri(&self) -> String {
        format!("test+unix:///default?socket={}", self.rw_socket().display())
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the daemon logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Kills the daemon with SIGKILL and waits for its end (its guests keep running).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        self.stop_within(Duration::from_secs(40))
            .expect("rvirtd ignored SIGTERM")
    }

    /// Sends SIGTERM (unless the daemon already ended) and waits up to `limit` for its exit
    /// status.
    fn stop_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        if let Ok(Some(st)) = self.child.try_wait() {
            return Some(st);
        }
        // SAFETY: kill(2) on our own child's pid, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

impl Drop for Daemon {
    /// Stops the daemon as a service manager would, SIGTERM, so that it finishes what it
    /// queued (the removal of the control groups of guests that just ended); SIGKILL after
    /// 5 s.
    fn drop(&mut self) {
        if self.stop_within(Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Debian's virsh on `uri` with `args`: whether it succeeded, its stdout and its stderr.
pub fn virsh_on(uri: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// rvirtd serving `qemu:///system` from a state root of its own; on drop, any QEMU a failed
/// test left running is killed (the daemon leaves its guests running when it stops).
pub struct QemuSystem {
    /// The daemon.
    pub daemon: Daemon,
    /// `qemu+unix:///system?socket=…` for its read-write socket.
    pub uri: String,
    /// A scratch folder; the daemon's state is under `state/`.
    pub root: PathBuf,
}

impl QemuSystem {
    /// Starts the daemon with `rvirt_qemu_root` in a fresh folder.
    pub fn new() -> QemuSystem {
        let root = tempfile::tempdir().unwrap().keep();
        let daemon = Daemon::start(&format!(
            "rvirt_qemu_root = \"{}\"",
            root.join("state").display()
        ));
        let uri = format!(
            "qemu+unix:///system?socket={}",
            daemon.rw_socket().display()
        );
        QemuSystem { daemon, uri, root }
    }

    /// Kills the daemon with SIGKILL and starts a new one on the same state root (a new
    /// socket, so `uri` changes); it reattaches to the guests that kept running.
    pub fn kill_and_restart(&mut self) {
        self.daemon.kill();
        self.daemon = Daemon::start(&format!(
            "rvirt_qemu_root = \"{}\"",
            self.root.join("state").display()
        ));
        self.uri = format!(
            "qemu+unix:///system?socket={}",
            self.daemon.rw_socket().display()
        );
    }

    /// Writes `text` to the scratch file `name`; its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Real virsh on the daemon (at most 60 s), which must succeed; its stdout.
    pub fn virsh(&self, args: &[&str]) -> String {
        let out = Command::new("timeout")
            .args(["60", "virsh", "-c", &self.uri])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "virsh {args:?}: {}{}\nrvirtd log:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.daemon.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Real virsh on the daemon (at most 60 s), which must fail; its stderr.
    pub fn virsh_fails(&self, args: &[&str]) -> String {
        let out = Command::new("timeout")
            .args(["60", "virsh", "-c", &self.uri])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "virsh {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// An external disk-only snapshot `name` of domain `dom`'s vda into `file`.
    pub fn disk_only_snapshot(&self, dom: &str, name: &str, file: &Path) {
        let spec = format!("vda,snapshot=external,file={}", file.display());
        self.virsh(&[
            "snapshot-create-as",
            dom,
            name,
            "--disk-only",
            "--diskspec",
            &spec,
        ]);
    }

    /// The pid of the QEMU running domain `name`, from the daemon's status file.
    pub fn qemu_pid(&self, name: &str) -> u32 {
        let path = self.root.join(format!("state/run/qemu/{name}.xml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find("pid='").unwrap() + 5;
        text[at..].split('\'').next().unwrap().parse().unwrap()
    }

    /// The files under the scratch folder that domain `name`'s QEMU holds open, sorted and
    /// without repeats, as the kernel names them (` (deleted)` after an unlinked one): every
    /// block node QEMU keeps holds its image open, so this is QEMU's own view of which images
    /// it still uses, whatever the daemon believes.
    pub fn open_files(&self, name: &str) -> Vec<String> {
        let fds = PathBuf::from(format!("/proc/{}/fd", self.qemu_pid(name)));
        let mut files: Vec<String> = std::fs::read_dir(fds)
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .map(|l| l.display().to_string())
            .filter(|l| l.starts_with(&*self.root.to_string_lossy()) && !l.contains("/state/"))
            .collect();
        files.sort();
        files.dedup();
        files
    }
}

impl Drop for QemuSystem {
    fn drop(&mut self) {
        if let Ok(dir) = std::fs::read_dir(self.root.join("state/run/qemu")) {
            for e in dir.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                if let Some(at) = text.find("pid='") {
                    let pid: i32 = text[at + 5..]
                        .split('\'')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    if pid > 0 {
                        // SAFETY: kill(2) of a QEMU this test's daemon started.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                    }
                }
            }
        }
        // The daemon notices each end, removes the guest's status file and queues the removal
        // of its control groups, which its stop (when `daemon` drops, after this) waits for:
        // stopped before it noticed, it would leave the groups behind.
        let status = self.root.join("state/run/qemu");
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until
            && std::fs::read_dir(&status).is_ok_and(|d| {
                d.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "xml"))
            })
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The images of the disk whose top image is `top`, top first, as `qemu-img info
/// --backing-chain` sees them.
pub fn backing_chain(top: &Path) -> Vec<String> {
    let out = rvirt_testsupport::output_ok(
        Command::new("qemu-img")
            .args(["info", "-U", "--backing-chain", "--output=json"])
            .arg(top),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["filename"].as_str().unwrap().to_string())
        .collect()
}

/// The chain of the first disk in domain XML `xml`: its source, then each backingStore's.
pub fn xml_disk_chain(xml: &str) -> Vec<String> {
    let disk = &xml[xml.find("<disk").unwrap()..xml.find("</disk>").unwrap()];
    disk.match_indices("<source file='")
        .map(|(i, m)| {
            let rest = &disk[i + m.len()..];
            rest[..rest.find('\'').unwrap()].to_string()
        })
        .collect()
}

/// A python3-libvirt script (argv: URI, event count) that prints `ready`, waits for that many
/// BLOCK_JOB (`v1`) and BLOCK_JOB_2 (`v2`) events (at most 120 s) and prints one line each:
/// `v1|v2 DOMAIN DISK TYPE STATUS`.
pub const BLOCK_JOB_WATCHER: &str = r#"
import sys, threading, libvirt
libvirt.virEventRegisterDefaultImpl()
c = libvirt.open(sys.argv[1])
want = int(sys.argv[2])
seen = []
done = threading.Event()
def cb(conn, dom, disk, typ, status, opaque):
    seen.append("%s %s %s %d %d" % (opaque, dom.name(), disk, typ, status))
    if len(seen) >= want:
        done.set()
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_BLOCK_JOB, cb, "v1")
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, cb, "v2")
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
print("ready", flush=True)
done.wait(120)
for s in seen:
    print(s)
"#;
