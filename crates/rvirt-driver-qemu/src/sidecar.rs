//! Helper processes a guest runs with beside QEMU (a TPM emulator, a virtio-fs daemon), as
//! libvirt's `qemuExtDevicesStart` starts them: before QEMU, each serving one device over a
//! unix socket QEMU connects to, and ending when QEMU lets go of it.
//!
//! The driver's children are reaped as soon as they end (a task on the driver's runtime waits
//! on each one's pidfd), so that no zombie stays behind in a long-running rvirtd. A start that
//! fails after a helper came up kills it ([`Sidecar`] does when dropped unless kept with
//! [`Sidecar::keep`]).

use crate::process::rt;
use rvirt_qmp::Pidfd;
use rvirt_types::{Error, ErrorDomain, Result};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FROM: ErrorDomain = ErrorDomain::QEMU;

/// A helper process the driver started: killed when dropped, unless [`Sidecar::keep`] says
/// it now lives as long as its guest.
#[derive(Debug)]
pub(crate) struct Sidecar {
    pidfd: Option<Arc<Pidfd>>,
    what: String,
}

impl Sidecar {
    /// Spawns `cmd` (stdin from /dev/null; its output where `cmd` sends it) as the driver's
    /// child, in a process group of its own (a terminal's ^C to the daemon does not reach it);
    /// `what` names it in errors (`swtpm`, `virtiofsd`).
    pub(crate) fn spawn(cmd: &mut Command, what: &str) -> Result<Sidecar> {
        use std::os::unix::process::CommandExt;
        cmd.stdin(std::process::Stdio::null()).process_group(0);
        // A pidfd registers with the driver's runtime.
        let _enter = rt().enter();
        let pidfd = Pidfd::spawn(cmd)
            .map_err(|e| Error::system(FROM, format!("cannot execute binary {what}"), &e))?;
        let pidfd = Arc::new(pidfd);
        let reaper = pidfd.clone();
        rt().spawn(async move {
            let _ = reaper.wait().await;
        });
        Ok(Sidecar {
            pidfd: Some(pidfd),
            what: what.to_string(),
        })
    }

    /// The process id.
    pub(crate) fn pid(&self) -> i32 {
        self.pidfd.as_ref().map_or(0, |p| p.pid())
    }

    /// Whether the process has ended.
    pub(crate) fn ended(&self) -> bool {
        self.pidfd
            .as_ref()
            .is_none_or(|p| matches!(p.try_wait(), Ok(Some(_))))
    }

    /// Waits until `path` is ready (the helper's socket listening, or its pid file there), at
    /// most `limit`; fails if the process ends first or the time runs out, with `log` (its log
    /// file, when it has one) quoted in the error.
    pub(crate) fn wait_for(&self, path: &Path, limit: Duration, log: Option<&Path>) -> Result<()> {
        let t = Instant::now();
        loop {
            if ready(path) {
                return Ok(());
            }
            let tail = || {
                log.and_then(|l| std::fs::read_to_string(l).ok())
                    .map(|s| {
                        let s = s.trim_end();
                        let start = s.len().saturating_sub(400);
                        let start = (start..=s.len())
                            .find(|&i| s.is_char_boundary(i))
                            .unwrap_or(s.len());
                        format!(": {}", &s[start..])
                    })
                    .unwrap_or_default()
            };
            if self.ended() {
                return Err(Error::internal(
                    FROM,
                    format!("{} exited while starting{}", self.what, tail()),
                ));
            }
            if t.elapsed() > limit {
                return Err(Error::internal(
                    FROM,
                    format!(
                        "{} did not create '{}' within {} s{}",
                        self.what,
                        path.display(),
                        limit.as_secs(),
                        tail()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// From now on the process lives as long as its guest (it ends when QEMU lets go of its
    /// socket); the reaper still collects it then.
    pub(crate) fn keep(mut self) {
        self.pidfd = None;
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if let Some(p) = self.pidfd.take() {
            let _ = p.signal(libc::SIGKILL);
        }
    }
}

/// Whether a helper's `path` is ready: a socket once it listens (a helper binds its socket
/// before it listens, and a QEMU connecting in between is refused), any other file once it
/// exists.
fn ready(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => listening(path),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Whether the unix socket bound at `path` listens: its `/proc/net/unix` entry has the
/// kernel's accepting flag (`__SO_ACCEPTCON`). True when the table cannot be read (the
/// socket's existence is all there is to go by then).
fn listening(path: &Path) -> bool {
    const ACCEPTING: u32 = 1 << 16;
    let Ok(table) = std::fs::read_to_string("/proc/net/unix") else {
        return true;
    };
    let want = path.to_string_lossy();
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 8
            && f[7..].join(" ") == want
            && u32::from_str_radix(f[3], 16).is_ok_and(|flags| flags & ACCEPTING != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_helper_is_killed_and_reaped() {
        let mut c = Command::new("sleep");
        c.arg("30");
        let a = Sidecar::spawn(&mut c, "sleep").unwrap();
        let pid = a.pid();
        assert!(!a.ended());
        drop(a);
        // Killed, then reaped by its task: /proc/PID goes (a zombie would keep it).
        let t = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() {
            assert!(t.elapsed() < Duration::from_secs(5), "pid {pid} not reaped");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn waiting_for_a_file_fails_when_the_helper_ends_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::write(&log, "no such state directory\n").unwrap();
        let mut c = Command::new("sh");
        c.args(["-c", "exit 3"]);
        let a = Sidecar::spawn(&mut c, "swtpm").unwrap();
        let e = a
            .wait_for(&dir.path().join("sock"), Duration::from_secs(5), Some(&log))
            .unwrap_err();
        assert_eq!(
            e.message,
            "internal error: swtpm exited while starting: no such state directory"
        );
        let mut c = Command::new("sleep");
        c.arg("30");
        let a = Sidecar::spawn(&mut c, "virtiofsd").unwrap();
        let e = a
            .wait_for(&dir.path().join("sock"), Duration::from_millis(50), None)
            .unwrap_err();
        assert!(
            e.message.contains("virtiofsd did not create"),
            "{}",
            e.message
        );
        std::fs::write(dir.path().join("sock"), "").unwrap();
        a.wait_for(&dir.path().join("sock"), Duration::from_millis(50), None)
            .unwrap();
    }

    #[test]
    fn a_socket_is_ready_once_it_listens() {
        let dir = tempfile::tempdir().unwrap();
        // Bound but never listening (a datagram socket), then a listening one.
        let bound = dir.path().join("bound");
        let _d = std::os::unix::net::UnixDatagram::bind(&bound).unwrap();
        assert!(!ready(&bound));
        let listening = dir.path().join("listening");
        let _l = std::os::unix::net::UnixListener::bind(&listening).unwrap();
        assert!(ready(&listening));
        assert!(!ready(&dir.path().join("missing")));
    }
}
