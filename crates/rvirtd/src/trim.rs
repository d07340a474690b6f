//! Giving freed memory back to the system.
//!
//! glibc's allocator keeps memory that was freed in the middle of its heap: after a client defines
//! and then undefines thousands of domains, the daemon would keep their memory forever (libvirtd
//! does). When a burst of calls ends, rvirtd asks the allocator to return its free pages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Calls answered since the daemon started.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// Counts one answered call.
pub(crate) fn note_call() {
    CALLS.fetch_add(1, Ordering::Relaxed);
}

/// Runs forever: once a second, if calls were answered before the last tick but none since, the
/// burst is over and free memory is returned.
pub(crate) async fn trim_after_bursts() {
    let mut seen = CALLS.load(Ordering::Relaxed);
    let mut busy = false;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = CALLS.load(Ordering::Relaxed);
        if now != seen {
            busy = true;
            seen = now;
        } else if busy {
            busy = false;
            release_free_memory();
        }
    }
}

#[cfg(target_env = "gnu")]
fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(target_env = "gnu"))]
fn release_free_memory() {}
