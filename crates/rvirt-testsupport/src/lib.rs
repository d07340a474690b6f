//! What rvirt's integration tests share. Only tests depend on this crate.
//!
//! The oracle of most tests is the real thing: [`Libvirtd`] starts Debian's libvirtd with only
//! its built-in test driver, its own config and its own sockets in a temporary folder, so tests
//! can run beside each other and beside a system libvirtd.

mod agent_guest;
pub mod x509;
pub use agent_guest::{
    AgentGuest, GUEST_HOSTNAME, GUEST_MOUNT, GUEST_READY, GUEST_ROOT, agent_guest, agent_guest_xml,
    build as build_agent_guest, ext4_disk,
};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's libvirt-daemon package puts libvirtd.
pub const LIBVIRTD: &str = "/usr/sbin/libvirtd";

/// Where Debian's libvirt-daemon-driver-* packages put libvirtd's loadable drivers.
pub const DRIVER_DIR: &str = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver";

/// The Python that has python3-libvirt (Debian's, not one from PATH).
pub const PYTHON: &str = "/usr/bin/python3";

/// Runs `cmd` to its end and returns what it printed; panics with its standard error unless it
/// exited with status 0 (for the tools tests lean on: python3, qemu-img, qemu-io, openssl…).
pub fn output_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Makes `overlay` a qcow2 image over the qcow2 image `backing` with `qemu-img`. The backing
/// name is recorded as given: a relative one names a file beside the overlay.
pub fn qcow2_overlay(backing: &Path, overlay: &Path) {
    output_ok(
        Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b"])
            .arg(backing)
            .arg(overlay),
    );
}

/// How many cases tests whose cases mostly wait run at once ([`on_workers`]).
pub const WORKERS: usize = 4;

/// `f` applied to every item on `workers` threads at once, the results in the items' order:
/// for tests whose cases are independent and spend their time waiting (a daemon starting,
/// libvirt's virsh, an event's timeout). `f` gets the worker's number too, so that workers
/// can keep apart (a socket folder each). A panic in `f` is the caller's panic.
pub fn on_workers<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for worker in 0..workers.max(1) {
            let (next, results, f) = (&next, &results, &f);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(worker, item);
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Whether a command exists; tests that need a Debian package say so when it is missing.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether real virsh and QEMU are installed, for a test that needs both: false (the test is
/// skipped, saying what to install) outside CI; under CI a missing one fails the test.
pub fn have_virsh_and_qemu() -> bool {
    if have("virsh") && have("qemu-system-x86_64") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "virsh or QEMU missing under CI"
    );
    eprintln!("skipped: apt-get install libvirt-clients qemu-system-x86");
    false
}

/// `uri` (a `test:///…` URI) through the daemon listening on `socket`.
pub fn remote_uri(uri: &str, socket: &str) -> String {
    let rest = uri.strip_prefix("test:///").unwrap_or(uri);
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!("test+unix:///{rest}{sep}socket={socket}")
}

/// A running libvirtd (test driver only: `LIBVIRT_DRIVER_DIR` points at an empty folder), with
/// its config, sockets, pid file and log in a temporary folder. Stopped (SIGTERM, then SIGKILL)
/// when dropped.
pub struct Libvirtd {
    child: Child,
    /// The daemon's folder: `sock/` holds its sockets, `libvirtd.log` its output.
    pub dir: tempfile::TempDir,
}

impl Libvirtd {
    /// Starts libvirtd listening on its unix sockets only and waits for its read-write socket;
    /// panics saying what is missing or what went wrong.
    pub fn start() -> Libvirtd {
        Libvirtd::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Libvirtd::start`], returning what went wrong instead of panicking.
    pub fn try_start() -> Result<Libvirtd, String> {
        Libvirtd::try_start_with("listen_tls = 0\nlisten_tcp = 0\n", &[])
    }

    /// Starts libvirtd with `listen` (config lines that say what to listen on: libvirt takes
    /// the first of a repeated key, so these are not in the base config) and command-line
    /// `args` (`--listen`), and waits for its read-write socket; panics on failure.
    pub fn start_with(listen: &str, args: &[&str]) -> Libvirtd {
        Libvirtd::try_start_with(listen, args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Libvirtd::start_with`], returning what went wrong instead of panicking.
    pub fn try_start_with(listen: &str, args: &[&str]) -> Result<Libvirtd, String> {
        Libvirtd::try_start_full(listen, args, &[])
    }

    /// Starts libvirtd with Debian's host drivers `drivers` loaded besides the test driver
    /// (`nodedev`, `interface`: their `libvirt_driver_NAME.so`), so that tests can compare
    /// what libvirt reads from this host with what rvirt reads. Such drivers lock a pid file
    /// under `/run/libvirt`, so the daemon runs in a mount namespace of its own with a private
    /// `/run/libvirt` (`unshare`, which needs root): it does not collide with a system libvirtd
    /// or with other tests.
    pub fn try_start_with_host_drivers(drivers: &[&str]) -> Result<Libvirtd, String> {
        Libvirtd::try_start_full("listen_tls = 0\nlisten_tcp = 0\n", &[], drivers)
    }

    fn try_start_full(listen: &str, args: &[&str], drivers: &[&str]) -> Result<Libvirtd, String> {
        if !Path::new(LIBVIRTD).exists() {
            return Err(format!(
                "{LIBVIRTD} is missing: install the libvirt-daemon package (apt-get install \
                 libvirt-daemon)"
            ));
        }
        let dir = tempfile::Builder::new()
            .prefix("rvirt-libvirtd-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary folder: {e}"))?;
        let sock = dir.path().join("sock");
        let nodrivers = dir.path().join("nodrivers");
        for d in [&sock, &nodrivers] {
            std::fs::create_dir(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        for d in drivers {
            let so = Path::new(DRIVER_DIR).join(format!("libvirt_driver_{d}.so"));
            if !so.exists() {
                return Err(format!(
                    "{} is missing: install the libvirt-daemon-driver package that has it",
                    so.display()
                ));
            }
            std::os::unix::fs::symlink(&so, nodrivers.join(so.file_name().unwrap_or_default()))
                .map_err(|e| format!("cannot link {}: {e}", so.display()))?;
        }
        // SAFETY: geteuid(2) has no preconditions.
        if !drivers.is_empty() && (unsafe { libc::geteuid() } != 0 || !have("unshare")) {
            return Err("libvirt's host drivers need root and unshare(1) here".into());
        }
        let conf = dir.path().join("libvirtd.conf");
        std::fs::write(
            &conf,
            format!(
                "unix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"none\"\n\
                 auth_unix_ro = \"none\"\n{listen}\n",
                sock.display()
            ),
        )
        .map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
        let log = std::fs::File::create(dir.path().join("libvirtd.log"))
            .map_err(|e| format!("cannot create the log: {e}"))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot share the log: {e}"))?;
        let mut cmd = if drivers.is_empty() {
            Command::new(LIBVIRTD)
        } else {
            let _ = std::fs::create_dir_all("/run/libvirt");
            let mut c = Command::new("unshare");
            c.args(["--mount", "--propagation", "private", "sh", "-c"])
                .arg("mount -t tmpfs rvirt-test /run/libvirt && exec \"$0\" \"$@\"")
                .arg(LIBVIRTD);
            c
        };
        let child = cmd
            .arg("-f")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("libvirtd.pid"))
            .args(args)
            .env("LIBVIRT_DRIVER_DIR", &nodrivers)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot run {LIBVIRTD}: {e}"))?;
        let mut d = Libvirtd { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::os::unix::net::UnixStream::connect(d.socket()).is_ok() {
                return Ok(d);
            }
            if let Ok(Some(status)) = d.child.try_wait() {
                return Err(format!(
                    "libvirtd exited ({status}) before opening its socket:\n{}",
                    d.log()
                ));
            }
            if Instant::now() > deadline {
                return Err(format!("libvirtd did not open its socket:\n{}", d.log()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The read-write socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("sock/libvirt-sock")
    }

    /// The read-write socket (the name the daemon tests use beside rvirtd's `rw_socket`).
    pub fn rw_socket(&self) -> PathBuf {
        self.socket()
    }

    /// `uri` (a `test:///…` URI) through this daemon.
    pub fn remote_uri(&self, uri: &str) -> String {
        remote_uri(uri, &self.socket().to_string_lossy())
    }

    /// What the daemon printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("libvirtd.log")).unwrap_or_default()
    }

    /// The daemon's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Libvirtd {
    fn drop(&mut self) {
        // A clean stop first, so the daemon removes its sockets and pid file.
        // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item once, results in order, on as many workers at once as asked (the first four
    /// items meet at a barrier: they would wait for ever on fewer), at least one.
    #[test]
    fn on_workers_keeps_order_and_runs_workers_at_once() {
        let items: Vec<u32> = (0..40).collect();
        let together = std::sync::Barrier::new(4);
        let out = on_workers(&items, 4, |_, n| {
            if *n < 4 {
                together.wait();
            }
            n * 2
        });
        assert_eq!(out, (0..40).map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(
            on_workers(&items[..3], 0, |w, n| (w, *n)),
            [(0, 0), (0, 1), (0, 2)]
        );
    }

    #[test]
    fn remote_uris_keep_their_query() {
        assert_eq!(
            remote_uri("test:///default", "/s"),
            "test+unix:///default?socket=/s"
        );
        assert_eq!(
            remote_uri("test:///x.xml?private=1", "/s"),
            "test+unix:///x.xml?private=1&socket=/s"
        );
    }

    #[test]
    fn a_missing_program_is_missing() {
        assert!(have("sh"));
        assert!(!have("no-such-program-rvirt"));
    }
}

/// The UUID of the test driver's default domain `test`: the one UUID in its output that is not
/// random.
pub const TEST_UUID: &str = "6695eb01-f6a4-8304-79aa-97f2502e193f";

/// Replaces every UUID in `line` except [`TEST_UUID`] with `UUID`.
pub fn mask_uuids(line: &str) -> String {
    let mut out = line.to_string();
    for start in 0..line.len().saturating_sub(35) {
        let Some(cand) = line.get(start..start + 36) else {
            continue;
        };
        let shape = cand.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
        if shape && cand != TEST_UUID {
            out = out.replace(cand, "UUID");
        }
    }
    out
}

/// Replaces every date and time shaped as virsh prints them (`2026-11-22 01:42:37 +0000`, as in
/// snapshot listings) with `DATETIME`: two runs of a command rarely fall in the same second.
pub fn mask_datetimes(line: &str) -> String {
    let shape = "0000-00-00 00:00:00 +0000";
    let b = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let fits = b.len() - i >= shape.len()
            && shape.bytes().zip(&b[i..]).all(|(s, c)| match s {
                b'0' => c.is_ascii_digit(),
                b'+' => *c == b'+' || *c == b'-',
                _ => s == *c,
            });
        if fits {
            out.push_str("DATETIME");
            i += shape.len();
        } else {
            let ch = line[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn masks_keep_the_default_uuid_and_hide_the_clock() {
        assert_eq!(
            mask_uuids(&format!("{TEST_UUID} 00000000-1111-2222-3333-444444444444")),
            format!("{TEST_UUID} UUID")
        );
        assert_eq!(
            mask_datetimes(" s1   2026-11-22 01:42:37 +0000   running"),
            " s1   DATETIME   running"
        );
    }
}

/// Whether libvirt's own QEMU driver is installed (a client can embed it).
pub fn have_libvirt_qemu_driver() -> bool {
    Path::new(DRIVER_DIR)
        .join("libvirt_driver_qemu.so")
        .exists()
}

/// The `qemu.conf` lines libvirt's QEMU driver embedded in a test needs: QEMU's output to a
/// file (no virtlogd), and no user or label changes.
pub const EMBED_QEMU_CONF: &str = "stdio_handler = \"file\"\nuser = \"root\"\n\
                                   group = \"root\"\ndynamic_ownership = 0\n\
                                   security_driver = \"none\"\n";

/// Writes the `qemu.conf` of a QEMU driver embedded at `root` (`qemu:///embed?root=`, libvirt's
/// or rvirt's): [`EMBED_QEMU_CONF`], then `extra`.
pub fn write_embed_conf(root: &Path, extra: &str) {
    std::fs::create_dir_all(root.join("etc")).expect("the embedded driver's etc folder");
    std::fs::write(
        root.join("etc/qemu.conf"),
        format!("{EMBED_QEMU_CONF}{extra}"),
    )
    .expect("qemu.conf of the embedded driver");
}

/// Readies `root` for libvirt's QEMU driver embedded in a client such as python3-libvirt
/// (see [`write_embed_conf`]). False when that driver is not installed, which fails the test
/// under CI.
pub fn libvirt_embed_root(root: &Path) -> bool {
    if !have_libvirt_qemu_driver() {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "libvirt's QEMU driver missing under CI"
        );
        return false;
    }
    write_embed_conf(root, "");
    true
}

/// Runs `commands` in real virsh on libvirt's own QEMU driver in-process (`qemu:///embed` rooted
/// at `root`, QEMU's output to files, no user or label changes); `None` when libvirt's QEMU
/// driver is not installed.
pub fn libvirt_embed(root: &Path, commands: &str) -> Option<std::process::Output> {
    libvirt_embed_conf(root, "", commands)
}

/// [`libvirt_embed`] with `extra` lines added to the embedded driver's `qemu.conf`.
pub fn libvirt_embed_conf(
    root: &Path,
    extra: &str,
    commands: &str,
) -> Option<std::process::Output> {
    if !have_libvirt_qemu_driver() || !Path::new("/usr/bin/virsh").exists() {
        eprintln!(
            "skipped: libvirt's QEMU driver is missing (apt-get install libvirt-daemon-driver-qemu)"
        );
        return None;
    }
    write_embed_conf(root, extra);
    Some(
        std::process::Command::new("timeout")
            .args(["120", "virsh", "-q", "-c"])
            .arg(format!("qemu:///embed?root={}", root.display()))
            .arg(commands)
            .output()
            .expect("timeout runs virsh"),
    )
}
