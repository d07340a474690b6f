//! Host perf counters of a running guest's QEMU (libvirt's `virperf`): `<perf><event>` in the
//! domain XML, `virDomainSetPerfEvents` on a running domain, the `perf.*` domain statistics.
//!
//! An event is counted on every thread QEMU has when it is enabled, each counter inherited by
//! the threads that thread starts later (vCPUs plugged, I/O threads), and read as their sum.
//! libvirt opens its counter on the QEMU process before it runs when the event is enabled at
//! start (every thread is that one's child then), but on the main thread alone when a running
//! domain's event is enabled; rvirt counts the whole guest either way.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use rvirt_types::error::{Error, ErrorDomain, ErrorNumber, Result};

const FROM: ErrorDomain = ErrorDomain::PERF;

/// `PERF_TYPE_HARDWARE` and `PERF_TYPE_SOFTWARE` of `linux/perf_event.h`.
const HARDWARE: u32 = 0;
const SOFTWARE: u32 = 1;

/// What the kernel counts for each of libvirt's events (`perf_event_attr` type and config);
/// `None` for the cache and memory bandwidth events of Intel's RDT, whose type the host's
/// `intel_cqm` PMU gives.
fn kind(name: &str) -> Option<(u32, u64)> {
    Some(match name {
        "cpu_cycles" => (HARDWARE, 0),
        "instructions" => (HARDWARE, 1),
        "cache_references" => (HARDWARE, 2),
        "cache_misses" => (HARDWARE, 3),
        "branch_instructions" => (HARDWARE, 4),
        "branch_misses" => (HARDWARE, 5),
        "bus_cycles" => (HARDWARE, 6),
        "stalled_cycles_frontend" => (HARDWARE, 7),
        "stalled_cycles_backend" => (HARDWARE, 8),
        "ref_cpu_cycles" => (HARDWARE, 9),
        "cpu_clock" => (SOFTWARE, 0),
        "task_clock" => (SOFTWARE, 1),
        "page_faults" => (SOFTWARE, 2),
        "context_switches" => (SOFTWARE, 3),
        "cpu_migrations" => (SOFTWARE, 4),
        "page_faults_min" => (SOFTWARE, 5),
        "page_faults_maj" => (SOFTWARE, 6),
        "alignment_faults" => (SOFTWARE, 7),
        "emulation_faults" => (SOFTWARE, 8),
        _ => return None,
    })
}

/// The RDT events' PMU: its perf type and the occupancy's scale (`cmt` only).
const CQM: &str = "/sys/devices/intel_cqm";

fn rdt_kind(name: &str) -> Result<(u32, u64, u64)> {
    let config = match name {
        "cmt" => 1,
        "mbmt" => 2,
        "mbml" => 3,
        _ => {
            return Err(Error::internal(
                FROM,
                format!("Event '{name}' is not supported"),
            ));
        }
    };
    let read = |file: &str| -> Option<u64> {
        std::fs::read_to_string(format!("{CQM}/{file}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let Some(ty) = read("type").filter(|t| *t != 0) else {
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::ARGUMENT_UNSUPPORTED,
            format!("unable to enable host cpu perf event for {name}"),
        ));
    };
    let scale = if name == "cmt" {
        read("events/llc_occupancy.scale").ok_or_else(|| {
            Error::system(
                FROM,
                "failed to get cmt scaling factor",
                &std::io::Error::from_raw_os_error(libc::EINVAL),
            )
        })?
    } else {
        1
    };
    Ok((ty as u32, config, scale))
}

/// `struct perf_event_attr`, as far as rvirt sets it (`PERF_ATTR_SIZE_VER5`; the kernel takes
/// the size it is told).
#[repr(C)]
#[derive(Default)]
struct Attr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved: u16,
}

/// `disabled` and `inherit`, the first two bits of the attribute's flags.
const DISABLED: u64 = 1;
const INHERIT: u64 = 1 << 1;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
/// `PERF_EVENT_IOC_ENABLE`: `_IO('$', 0)`.
const IOC_ENABLE: libc::c_ulong = 0x2400;

/// One counter on one thread, started.
fn open_counter(kind: u32, config: u64, tid: i32) -> std::io::Result<OwnedFd> {
    let attr = Attr {
        kind,
        size: std::mem::size_of::<Attr>() as u32,
        config,
        flags: DISABLED | INHERIT,
        ..Default::default()
    };
    // SAFETY: `attr` is a valid perf_event_attr of the size it states, alive for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const Attr,
            tid,
            -1,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave this descriptor to us alone.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    // SAFETY: an ioctl with no argument on a perf event descriptor we own.
    if unsafe { libc::ioctl(fd.as_raw_fd(), IOC_ENABLE as _, 0) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

/// QEMU's threads: its main thread first.
fn threads(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.retain(|t| *t != pid);
    tids.insert(0, pid);
    tids
}

/// One enabled event: a counter per thread, and the factor its sum is scaled by.
struct Event {
    counters: Vec<OwnedFd>,
    scale: u64,
}

/// The perf events enabled on one running guest, by libvirt's name.
#[derive(Default)]
pub(crate) struct PerfEvents {
    enabled: BTreeMap<&'static str, Event>,
}

impl PerfEvents {
    /// Starts counting `name` (one of libvirt's `virPerfEvent` names) on QEMU process `pid`,
    /// refused in libvirt's words where the host cannot count it. Counting an event already
    /// counted does nothing.
    pub(crate) fn enable(&mut self, name: &str, pid: i32) -> Result<()> {
        let Some(&key) = rvirt_conf::domain::perf_event_names()
            .iter()
            .find(|n| **n == name)
        else {
            return Err(Error::internal(
                FROM,
                format!("Event '{name}' is not supported"),
            ));
        };
        if self.enabled.contains_key(key) {
            return Ok(());
        }
        let (kind, config, scale) = match kind(name) {
            Some((k, c)) => (k, c, 1),
            None => rdt_kind(name)?,
        };
        let mut counters = Vec::new();
        for (i, tid) in threads(pid).into_iter().enumerate() {
            match open_counter(kind, config, tid) {
                Ok(fd) => counters.push(fd),
                // A thread that ended since the list was read.
                Err(e) if i > 0 && e.raw_os_error() == Some(libc::ESRCH) => {}
                Err(e) => {
                    return Err(Error::system(
                        FROM,
                        format!("unable to open host cpu perf event for {name}"),
                        &e,
                    ));
                }
            }
        }
        self.enabled.insert(key, Event { counters, scale });
        Ok(())
    }

    /// Stops counting `name` (its counters close).
    pub(crate) fn disable(&mut self, name: &str) {
        self.enabled.remove(name);
    }

    /// Each enabled event's count so far, in libvirt's order of events; an event whose
    /// counters cannot be read is left out, as libvirt leaves it out.
    pub(crate) fn read(&self) -> Vec<(&'static str, u64)> {
        let order = rvirt_conf::domain::perf_event_names();
        let mut out: Vec<(&'static str, u64)> = self
            .enabled
            .iter()
            .filter_map(|(name, ev)| {
                let mut sum = 0u64;
                for fd in &ev.counters {
                    let mut v = 0u64;
                    // SAFETY: reads 8 bytes into `v` from a descriptor we own.
                    let n = unsafe { libc::read(fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
                    if n != 8 {
                        return None;
                    }
                    sum = sum.wrapping_add(v);
                }
                Some((*name, sum.wrapping_mul(ev.scale)))
            })
            .collect();
        out.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
        out
    }

    /// Counters for each of `names` (the events a domain enables), as a start or a reattach
    /// sets them up; the first the host refuses fails it.
    pub(crate) fn start(names: &[&str], pid: i32) -> Result<Self> {
        let mut p = PerfEvents::default();
        for name in names {
            p.enable(name, pid)?;
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_events_count_a_process_and_its_threads() {
        let mut p = PerfEvents::default();
        let me = std::process::id() as i32;
        p.enable("task_clock", me).unwrap();
        // A thread started after the event: its time counts through the inherited counter.
        // It runs until it has had 30 ms of CPU (however busy the machine's other threads).
        std::thread::spawn(|| {
            let cpu_ns = || {
                let mut t = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                // SAFETY: fills `t`, which outlives the call.
                unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
                t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
            };
            while cpu_ns() < 30_000_000 {
                std::hint::black_box(0u64);
            }
        })
        .join()
        .unwrap();
        let got = p.read();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "task_clock");
        assert!(got[0].1 >= 30_000_000, "{got:?}");
        p.disable("task_clock");
        assert!(p.read().is_empty());
    }

    #[test]
    fn events_the_host_cannot_count_are_refused_in_libvirts_words() {
        let mut p = PerfEvents::default();
        let me = std::process::id() as i32;
        if !std::path::Path::new(CQM).exists() {
            let e = p.enable("cmt", me).unwrap_err();
            assert_eq!(e.code, ErrorNumber::ARGUMENT_UNSUPPORTED);
            assert_eq!(
                e.message,
                "argument unsupported: unable to enable host cpu perf event for cmt"
            );
        }
        let e = p.enable("nonsense", me).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
    }
}
