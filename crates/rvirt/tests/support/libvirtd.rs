//! A real libvirtd (Debian's `/usr/sbin/libvirtd`) with only its built-in test driver, on
//! sockets in a temporary folder, for tests that talk to the real daemon. It stops (by its pid)
//! when the guard drops, also when a test panics.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the daemon.
pub const LIBVIRTD: &str = "/usr/sbin/libvirtd";

/// A running libvirtd.
pub struct Libvirtd {
    child: Child,
    dir: tempfile::TempDir,
}

impl Libvirtd {
    /// Starts a libvirtd that loads no driver module (so it has only the test driver and
    /// touches no host state), allows unauthenticated access to its sockets and listens on no
    /// network port; waits until its read-write socket accepts connections.
    pub fn start() -> Result<Libvirtd, String> {
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
        let conf = dir.path().join("libvirtd.conf");
        std::fs::write(
            &conf,
            format!(
                "unix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0777\"\nauth_unix_rw = \"none\"\n\
                 auth_unix_ro = \"none\"\nlisten_tls = 0\nlisten_tcp = 0\n",
                sock.display()
            ),
        )
        .map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
        let log = std::fs::File::create(dir.path().join("libvirtd.log"))
            .map_err(|e| format!("cannot create the log: {e}"))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot share the log: {e}"))?;
        let child = Command::new(LIBVIRTD)
            .arg("-f")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("libvirtd.pid"))
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

    /// `uri` (a `test:///…` URI) as a URI that reaches this daemon.
    pub fn remote_uri(&self, uri: &str) -> String {
        remote_uri(uri, &self.socket().to_string_lossy())
    }

    /// What the daemon logged.
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
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: signalling our own child, which we have not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
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

/// `uri` (a `test:///…` URI) through the daemon listening on `socket`:
/// `test+unix:///…?socket=SOCKET`.
pub fn remote_uri(uri: &str, socket: &str) -> String {
    let rest = uri.strip_prefix("test:///").unwrap_or(uri);
    let sep = if rest.contains('?') { '&' } else { '?' };
    format!("test+unix:///{rest}{sep}socket={socket}")
}
