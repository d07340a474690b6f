//! Starting and stopping a real rvirtd for a test.

#![allow(dead_code)] // each test file uses its own part of this

pub mod pki;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has python3-libvirt (Debian's, not one from PATH).
pub const PYTHON: &str = "/usr/bin/python3";

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
                "unix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0777\"\nlisten_tls = 0\n{extra}\n",
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

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                start.elapsed() < Duration::from_secs(40),
                "rvirtd ignored SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a command exists; tests that need a Debian package say so when it is missing.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A real libvirtd (Debian's) with only its built-in test driver (`LIBVIRT_DRIVER_DIR` points at
/// an empty folder) and its own config and sockets; killed on drop.
pub struct Libvirtd {
    child: Child,
    pub dir: tempfile::TempDir,
}

impl Libvirtd {
    /// Starts libvirtd and waits for its read-write socket.
    pub fn start() -> Libvirtd {
        Libvirtd::start_with("listen_tls = 0\nlisten_tcp = 0\n", &[])
    }

    /// Starts libvirtd with `listen` (config lines that say what to listen on: libvirt takes
    /// the first of a repeated key, so these are not in the base config) and command-line
    /// `args`, and waits for its read-write socket.
    pub fn start_with(listen: &str, args: &[&str]) -> Libvirtd {
        assert!(
            Path::new("/usr/sbin/libvirtd").exists(),
            "this test compares with the real libvirtd: apt-get install libvirt-daemon"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("nodrivers")).unwrap();
        std::fs::create_dir_all(p.join("sock")).unwrap();
        std::fs::write(
            p.join("libvirtd.conf"),
            format!(
                "unix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"none\"\n\
                 auth_unix_ro = \"none\"\n{listen}\n",
                p.join("sock").display()
            ),
        )
        .unwrap();
        let child = Command::new("/usr/sbin/libvirtd")
            .arg("-f")
            .arg(p.join("libvirtd.conf"))
            .arg("-p")
            .arg(p.join("pid"))
            .args(args)
            .env("LIBVIRT_DRIVER_DIR", p.join("nodrivers"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let l = Libvirtd { child, dir };
        let sock = l.rw_socket();
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(&sock).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "libvirtd did not create {}",
                sock.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        l
    }

    /// The read-write socket.
    pub fn rw_socket(&self) -> PathBuf {
        self.dir.path().join("sock/libvirt-sock")
    }
}

impl Drop for Libvirtd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
