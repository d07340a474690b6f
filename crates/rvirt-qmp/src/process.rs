//! Watching a process through a pidfd: exit is noticed the moment it happens, for our own
//! children (whose exit status we then reap) and for processes we did not spawn (reattach after
//! a restart), and signals go to exactly that process even if its pid is later reused.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;

use tokio::io::unix::AsyncFd;

/// `waitid`'s id type for a pidfd (Linux 5.4+; not in every libc crate release).
const P_PIDFD: libc::idtype_t = 3;

/// Marks every open descriptor numbered `first` or above close-on-exec, so that a program
/// started afterwards gets none of them unless it is given them on purpose (libvirt starts its
/// children with nothing but what they are handed). Only changes descriptor flags and
/// allocates nothing: fit for a `pre_exec` hook between fork and exec.
pub fn close_on_exec_from(first: u32) {
    // SAFETY: close_range(2) with CLOSE_RANGE_CLOEXEC only sets flags on descriptors.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r == 0 {
        return;
    }
    // A kernel before 5.11: each possible descriptor in turn.
    // SAFETY: sysconf and fcntl on descriptor numbers (closed ones fail with EBADF).
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }.clamp(0, 1 << 16) as i32;
    for fd in first.min(i32::MAX as u32) as i32..max {
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
            unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) };
        }
    }
}

/// How a watched process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitInfo {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
    /// It is gone, but it was not our child, so its status belongs to someone else.
    Unknown,
}

/// A pidfd for one process, registered with tokio.
#[derive(Debug)]
pub struct Pidfd {
    fd: AsyncFd<OwnedFd>,
    pid: i32,
}

impl Pidfd {
    /// Opens a pidfd for `pid` (which must exist: `ESRCH` otherwise). Must be called inside a
    /// tokio runtime.
    ///
    /// For a process we did not spawn (reattach), the pid may have been reused between the
    /// moment it was recorded and this call: check the process's identity (start time in
    /// `/proc/PID/stat`, command line) after opening, not before. From then on the pidfd
    /// refers to that process only.
    pub fn open(pid: i32) -> io::Result<Pidfd> {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the syscall returned a fresh descriptor that nothing else owns.
        let owned = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        // SAFETY: `owned` is an open descriptor that the AsyncFd owns until it is dropped.
        let fd = unsafe { AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE)? };
        Ok(Pidfd { fd, pid })
    }

    /// Spawns `cmd` as our child and watches it. The child is reaped by [`Pidfd::wait`] (or
    /// [`Pidfd::try_wait`]); nothing else in the process may reap it (`waitpid(-1)`), or its
    /// exit status is lost and [`ExitInfo::Unknown`] is reported instead.
    pub fn spawn(cmd: &mut Command) -> io::Result<Pidfd> {
        let child = cmd.spawn()?;
        let pid = child.id() as i32;
        // Dropping a std Child neither kills nor reaps it; the pidfd takes over from here.
        drop(child);
        Pidfd::open(pid)
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Whether the process has exited, without waiting; reaps it when it is our child.
    pub fn try_wait(&self) -> io::Result<Option<ExitInfo>> {
        // SAFETY: an all-zero siginfo_t is a valid output buffer for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own pidfd with a valid siginfo buffer.
        let rc = unsafe {
            libc::waitid(
                P_PIDFD,
                self.fd.get_ref().as_raw_fd() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG,
            )
        };
        if rc < 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::ECHILD) {
                // Not our child: a readable pidfd is the only exit notice we get.
                return Ok(if self.is_readable_now() {
                    Some(ExitInfo::Unknown)
                } else {
                    None
                });
            }
            return Err(err);
        }
        // SAFETY: waitid filled `info` for a child state change (or left it zeroed).
        let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
        if pid == 0 {
            return Ok(None);
        }
        Ok(Some(match info.si_code {
            libc::CLD_EXITED => ExitInfo::Exited(status),
            libc::CLD_KILLED | libc::CLD_DUMPED => ExitInfo::Signaled(status),
            _ => ExitInfo::Unknown,
        }))
    }

    fn is_readable_now(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd.get_ref().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, zero timeout.
        let rc = unsafe { libc::poll(&mut pfd, 1, 0) };
        rc > 0 && pfd.revents & libc::POLLIN != 0
    }

    /// Waits until the process exits (the pidfd turns readable the moment it does, whoever its
    /// parent is), and reaps it when it is our child.
    pub async fn wait(&self) -> io::Result<ExitInfo> {
        loop {
            let mut guard = self.fd.readable().await?;
            match self.try_wait()? {
                Some(info) => return Ok(info),
                None => guard.clear_ready(),
            }
        }
    }

    /// Sends `signal` to exactly this process (pidfd_send_signal: no pid-reuse race).
    pub fn signal(&self, signal: i32) -> io::Result<()> {
        // SAFETY: pidfd_send_signal with our pidfd, a signal number, no siginfo and no flags.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.get_ref().as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn child_exit_status_is_reaped() {
        let p = Pidfd::spawn(Command::new("sh").args(["-c", "exit 7"])).unwrap();
        let info = tokio::time::timeout(Duration::from_secs(5), p.wait())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(info, ExitInfo::Exited(7));
    }

    /// SIGKILLs the process and says how it ended and how long noticing took.
    async fn kill_and_wait(p: &Pidfd) -> (ExitInfo, Duration) {
        let t = Instant::now();
        p.signal(libc::SIGKILL).unwrap();
        let info = tokio::time::timeout(Duration::from_secs(5), p.wait())
            .await
            .unwrap()
            .unwrap();
        (info, t.elapsed())
    }

    #[tokio::test]
    async fn sigkill_is_seen_at_once() {
        let p = Pidfd::spawn(Command::new("sleep").arg("30")).unwrap();
        assert_eq!(p.try_wait().unwrap(), None);
        let (info, took) = kill_and_wait(&p).await;
        assert_eq!(info, ExitInfo::Signaled(libc::SIGKILL));
        assert!(took < Duration::from_millis(500), "{took:?}");
    }

    #[tokio::test]
    async fn a_process_we_did_not_spawn() {
        // A grandchild: the shell prints its pid and exits; the sleeper is not our child.
        let out = Command::new("sh")
            .args(["-c", "sleep 30 >/dev/null 2>&1 & echo $!"])
            .output()
            .unwrap();
        let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let p = Pidfd::open(pid).unwrap();
        assert_eq!(p.try_wait().unwrap(), None);
        let (info, took) = kill_and_wait(&p).await;
        assert_eq!(info, ExitInfo::Unknown);
        assert!(took < Duration::from_millis(500), "{took:?}");
    }
}
