//! The host's node devices watched for changes: one thread per process listens to the uevent
//! socket ([`crate::uevent`]), keeps a [`HostDeviceList`] current and tells every listener
//! what each event created, deleted or updated, as libvirt's udev node device backend raises
//! its node device events.

use crate::nodedev::{DeviceChange, HostDeviceList};
use crate::udev::HostPaths;
use crate::uevent::{UeventGroup, UeventSocket};
use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// A listener: called on the watching thread for each change, in order; it returns `false`
/// once it wants no more (its owner is gone) and is then dropped.
pub type DeviceListener = Box<dyn FnMut(&DeviceChange) -> bool + Send>;

/// The listeners of the process's watching thread, once it runs.
static LISTENERS: OnceLock<Arc<Mutex<Vec<DeviceListener>>>> = OnceLock::new();

/// Starts the process's watching thread unless it runs, then adds `listener`. Fails with the
/// system's error when the uevent socket cannot be opened or the thread not started; a later
/// call tries again.
pub fn watch_host_devices(listener: DeviceListener) -> io::Result<()> {
    static START: Mutex<()> = Mutex::new(());
    let _one_at_a_time = START.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(l) = LISTENERS.get() {
        l.lock().unwrap_or_else(|p| p.into_inner()).push(listener);
        return Ok(());
    }
    // The socket is bound before the list is read: a device that appears in between is then
    // both read and reported, never missed.
    let sock = UeventSocket::open(UeventGroup::for_host())?;
    // SAFETY: geteuid(2) has no preconditions.
    let privileged = unsafe { libc::geteuid() } == 0;
    let list = HostDeviceList::read(&HostPaths::host(), privileged);
    let listeners = Arc::new(Mutex::new(vec![listener]));
    let shared = listeners.clone();
    std::thread::Builder::new()
        .name("rvirt-uevents".into())
        .spawn(move || watch(sock, list, shared))?;
    let _ = LISTENERS.set(listeners);
    Ok(())
}

/// The watching thread: for ever, each event applied to `list` and its changes handed out.
fn watch(
    mut sock: UeventSocket,
    mut list: HostDeviceList,
    listeners: Arc<Mutex<Vec<DeviceListener>>>,
) {
    loop {
        let changes = match sock.recv(None) {
            Ok(Some(ev)) => list.apply(&ev),
            Ok(None) => continue,
            // The queue overflowed: events were lost, so read the host afresh.
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => list.rescan(),
            Err(_) => {
                // Not expected from a bound netlink socket; do not spin on it.
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if changes.is_empty() {
            continue;
        }
        // Called with the list unlocked: a listener may add another (a client's callback
        // registering on a second connection) without deadlocking.
        let mut called = std::mem::take(&mut *listeners.lock().unwrap_or_else(|p| p.into_inner()));
        for c in &changes {
            // A listener that panics is dropped; the others, and the thread, go on.
            called.retain_mut(|f| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(c))).unwrap_or(false)
            });
        }
        let mut l = listeners.lock().unwrap_or_else(|p| p.into_inner());
        called.append(&mut l);
        *l = called;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::mpsc;

    /// As root with `ifb` interfaces: an interface added and removed reaches a listener as
    /// created then deleted, a listener that adds another listener from its call (no
    /// deadlock) has it hear the rest, and one that panics silences only itself.
    #[test]
    fn listeners_hear_an_interface_come_and_go() {
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping: needs root to add interfaces");
            return;
        }
        let _host = crate::testsys::REAL_HOST_NET
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let name = format!("rvw{}", std::process::id() % 100_000);
        let prefix = format!("net_{name}_");
        let (tx, rx) = mpsc::channel::<(u8, DeviceChange)>();
        let ours = move |c: &DeviceChange| match c {
            DeviceChange::Created(n) | DeviceChange::Deleted(n) | DeviceChange::Updated(n) => {
                n.starts_with(&prefix)
            }
        };
        let (first_tx, second_tx) = (tx.clone(), tx);
        let mut second = Some(Box::new({
            let ours = ours.clone();
            move |c: &DeviceChange| {
                if ours(c) {
                    let _ = second_tx.send((2, c.clone()));
                }
                true
            }
        }) as DeviceListener);
        let doomed = ours.clone();
        watch_host_devices(Box::new(move |c| {
            assert!(!doomed(c), "a listener that panics");
            true
        }))
        .unwrap();
        watch_host_devices(Box::new(move |c| {
            if ours(c) {
                let _ = first_tx.send((1, c.clone()));
                if let Some(l) = second.take() {
                    watch_host_devices(l).unwrap();
                }
            }
            true
        }))
        .unwrap();
        let ip = |args: &[&str]| {
            std::process::Command::new("ip")
                .args(args)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ip(&["link", "add", &name, "type", "ifb"]) {
            eprintln!("skipping: `ip link add … type ifb` does not work here");
            return;
        }
        /// Removes the interface however the test ends.
        struct Link<'a>(&'a str);
        impl Drop for Link<'_> {
            fn drop(&mut self) {
                let _ = std::process::Command::new("ip")
                    .args(["link", "del", self.0])
                    .stderr(std::process::Stdio::null())
                    .status();
            }
        }
        let link = Link(&name);
        let mac = std::fs::read_to_string(format!("/sys/class/net/{name}/address")).unwrap();
        let dev = format!("net_{name}_{}", mac.trim().replace(':', "_"));
        let next = || rx.recv_timeout(Duration::from_secs(20)).unwrap();
        // The interface stays until its creation is heard: the watching thread reads a new
        // device from sysfs, and one already gone by then is never known, so never deleted.
        let mut got = vec![next()];
        drop(link);
        got.extend([next(), next()]);
        assert_eq!(
            got,
            [
                (1, DeviceChange::Created(dev.clone())),
                (1, DeviceChange::Deleted(dev.clone())),
                (2, DeviceChange::Deleted(dev)),
            ]
        );
    }
}
