//! The host's processors as libvirt's QEMU driver reports them: `virNodeGetInfo`'s topology and
//! clock (sysfs and `/proc/cpuinfo`), `virNodeGetCPUStats` (`/proc/stat`) and the most vCPUs
//! KVM takes (`virConnectGetMaxVcpus` for `kvm`).

use crate::hostmem;
use crate::udev::HostPaths;
use rvirt_types::records::{NodeInfo, NodeStat};
use rvirt_types::{Error, ErrorDomain, Result};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const FROM: ErrorDomain = ErrorDomain::NONE;

/// `VIR_NODE_CPU_STATS_ALL_CPUS`: the whole host's times rather than one CPU's.
pub const ALL_CPUS: i32 = -1;

/// A CPU list as the kernel writes it (`0-3,8,10-11`), or `None` when it does not parse.
pub fn parse_cpu_list(text: &str) -> Option<BTreeSet<u32>> {
    let mut set = BTreeSet::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?);
        if b < a || b - a > 1 << 16 {
            return None;
        }
        set.extend(a..=b);
    }
    Some(set)
}

/// The architecture name libvirt gives the host (`x86_64`, `aarch64`, `i686`…).
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86" => "i686",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        a => a,
    }
}

fn cpu_dir(paths: &HostPaths) -> std::path::PathBuf {
    paths.sys.join("devices/system/cpu")
}

fn read_cpu_list(paths: &HostPaths, name: &str) -> Result<BTreeSet<u32>> {
    let path = cpu_dir(paths).join(name);
    let text = fs::read_to_string(&path).map_err(|e| Error::system(FROM, path.display(), &e))?;
    parse_cpu_list(&text).ok_or_else(|| {
        Error::internal(
            FROM,
            format!(
                "Failed to parse bitmap '{}' in {}",
                text.trim(),
                path.display()
            ),
        )
    })
}

/// A number in a sysfs file of CPU `cpu` (`topology/core_id`…), `None` when the file is absent.
fn cpu_value(paths: &HostPaths, cpu: u32, file: &str) -> Option<i64> {
    fs::read_to_string(cpu_dir(paths).join(format!("cpu{cpu}/{file}")))
        .ok()
        .and_then(|t| t.trim().parse().ok())
}

/// The clock in MHz from `/proc/cpuinfo`: the last `cpu MHz` line's whole megahertz (x86; other
/// architectures have other labels, ARM none at all).
fn cpu_mhz(cpuinfo: &str, arch: &str) -> u32 {
    let prefix = match arch {
        "x86_64" | "i686" => "cpu MHz",
        a if a.starts_with("ppc") => "clock",
        "s390x" | "s390" => "cpu MHz dynamic",
        _ => return 0,
    };
    let mut mhz = 0;
    for line in cpuinfo.lines() {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        let digits = value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len());
        let tail_ok = value[digits..]
            .chars()
            .next()
            .is_none_or(|c| c == '.' || c.is_whitespace());
        // libvirt stops at a malformed line and keeps what it had (with a warning).
        match value[..digits].parse::<u32>() {
            Ok(v) if tail_ok => mhz = v,
            _ => break,
        }
    }
    mhz
}

/// The topology of one folder of `cpuN` entries (a NUMA node's, or all CPUs'):
/// (online processors, sockets, most cores in a socket, most threads in a core, offline).
fn parse_node(
    paths: &HostPaths,
    dir: &Path,
    present: &BTreeSet<u32>,
    online: &BTreeSet<u32>,
) -> Result<(u32, u32, u32, u32, u32)> {
    let entries = fs::read_dir(dir).map_err(|e| Error::system(FROM, dir.display(), &e))?;
    let mut cpus = BTreeSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix("cpu"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if present.contains(&n) {
            cpus.insert(n);
        }
    }
    let socket_of = |cpu| {
        cpu_value(paths, cpu, "topology/physical_package_id")
            .unwrap_or(0)
            .max(0)
    };
    let (mut processors, mut offline, mut threads) = (0, 0, 0);
    let mut cores: std::collections::BTreeMap<i64, BTreeSet<i64>> = Default::default();
    for &cpu in &cpus {
        if !online.contains(&cpu) {
            offline += 1;
            continue;
        }
        processors += 1;
        let core = cpu_value(paths, cpu, "topology/core_id").unwrap_or(0);
        cores.entry(socket_of(cpu)).or_default().insert(core);
        let siblings = match fs::read_to_string(
            cpu_dir(paths).join(format!("cpu{cpu}/topology/thread_siblings_list")),
        ) {
            Ok(t) => parse_cpu_list(&t).map(|s| s.len()).unwrap_or(0),
            Err(_) => 1,
        };
        if siblings == 0 {
            return Err(Error::internal(
                FROM,
                format!("cannot parse the thread siblings of CPU {cpu}"),
            ));
        }
        threads = threads.max(siblings as u32);
    }
    let max_cores = cores.values().map(|c| c.len() as u32).max().unwrap_or(0);
    Ok((processors, cores.len() as u32, max_cores, threads, offline))
}

/// `virNodeGetInfo` on the real host: the architecture, memory in KiB, online CPUs, clock and
/// topology (nodes × sockets × cores × threads, or 1 × 1 × CPUs × 1 where the sysfs topology
/// does not add up, as libvirt reports it).
pub fn node_info(paths: &HostPaths) -> Result<NodeInfo> {
    let arch = host_arch();
    let cpuinfo_path = paths.proc.join("cpuinfo");
    let cpuinfo = fs::read_to_string(&cpuinfo_path)
        .map_err(|e| Error::system(FROM, format!("cannot open {}", cpuinfo_path.display()), &e))?;
    let present = read_cpu_list(paths, "present")?;
    let online = read_cpu_list(paths, "online")?;
    let (mut cpus, mut nodes, mut sockets, mut cores, mut threads, mut offline) =
        (0, 0, 0, 0, 0, 0);
    for node in hostmem::numa_nodes(paths) {
        let dir = hostmem::node_dir(paths, node);
        let (c, s, co, t, off) = parse_node(paths, &dir, &present, &online)?;
        nodes += 1;
        cpus += c;
        offline += off;
        sockets = sockets.max(s);
        cores = cores.max(co);
        threads = threads.max(t);
    }
    if cpus == 0 || nodes == 0 {
        let (c, s, co, t, off) = parse_node(paths, &cpu_dir(paths), &present, &online)?;
        (cpus, nodes, sockets, cores, threads, offline) = (c, 1, s, co, t, off);
    }
    for (n, what) in [(cpus, "CPUs"), (sockets, "sockets"), (threads, "threads")] {
        if n == 0 {
            return Err(Error::internal(FROM, format!("no {what} found")));
        }
    }
    if nodes * sockets * cores * threads != cpus + offline {
        (nodes, sockets, cores, threads) = (1, 1, cpus + offline, 1);
    }
    let (memory, _) = hostmem::memory_info(paths)?;
    Ok(NodeInfo {
        model: arch.to_string(),
        memory: memory / 1024,
        cpus,
        mhz: cpu_mhz(&cpuinfo, arch),
        nodes,
        sockets,
        cores,
        threads,
    })
}

/// The x86 host CPU's microcode revision from `/proc/cpuinfo` (libvirt's
/// `virHostCPUGetMicrocodeVersion`: the first `microcode` line; 0 when there is none).
pub fn microcode_version(paths: &HostPaths) -> u32 {
    let Ok(text) = fs::read_to_string(paths.proc.join("cpuinfo")) else {
        return 0;
    };
    let value = text
        .find("microcode")
        .and_then(|at| text[at..].split_once(':'))
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""));
    let Some(v) = value else { return 0 };
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).unwrap_or(0),
        None => v.parse().unwrap_or(0),
    }
}

/// The host's physical address width in bits from `/proc/cpuinfo`'s `address sizes` (libvirt's
/// `virHostCPUGetPhysAddrSize`), or `None` when it has none.
pub fn phys_addr_bits(paths: &HostPaths) -> Option<u32> {
    let text = fs::read_to_string(paths.proc.join("cpuinfo")).ok()?;
    let line = text.lines().find(|l| l.starts_with("address sizes"))?;
    let (_, rest) = line.split_once(':')?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The TSC as KVM runs it for a guest: its frequency in Hz and whether KVM can scale it
/// (libvirt's `virHostCPUGetTscInfo`: a scratch VM and vCPU asked), or `None` without KVM.
pub fn tsc_info() -> Option<(u64, bool)> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    const KVM_CREATE_VM: libc::c_ulong = 0xae01;
    const KVM_CHECK_EXTENSION: libc::c_ulong = 0xae03;
    const KVM_CREATE_VCPU: libc::c_ulong = 0xae41;
    const KVM_GET_TSC_KHZ: libc::c_ulong = 0xaea3;
    const KVM_CAP_TSC_CONTROL: libc::c_ulong = 60;
    let kvm = fs::File::open("/dev/kvm").ok()?;
    let own = |fd: libc::c_int| {
        // SAFETY: a descriptor the ioctl just returned, owned by nothing else.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    };
    // SAFETY: KVM ioctls on descriptors open for the calls' length, with integer arguments.
    let vm = own(unsafe { libc::ioctl(kvm.as_raw_fd(), KVM_CREATE_VM, 0) })?;
    // SAFETY: as above.
    let vcpu = own(unsafe { libc::ioctl(vm.as_raw_fd(), KVM_CREATE_VCPU, 0) })?;
    // SAFETY: as above.
    let khz = unsafe { libc::ioctl(vcpu.as_raw_fd(), KVM_GET_TSC_KHZ) };
    // SAFETY: as above.
    let scaling = unsafe { libc::ioctl(kvm.as_raw_fd(), KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) };
    if khz < 0 || scaling < 0 {
        return None;
    }
    Some((u64::try_from(khz).ok()? * 1000, scaling > 0))
}

/// `virNodeGetCPUStats` on the real host: kernel, user, idle and iowait time in nanoseconds
/// for CPU `cpu`, or for all of them with [`ALL_CPUS`].
pub fn cpu_stats(paths: &HostPaths, cpu: i32) -> Result<Vec<NodeStat>> {
    let path = paths.proc.join("stat");
    let text = fs::read_to_string(&path)
        .map_err(|e| Error::system(FROM, format!("cannot open {}", path.display()), &e))?;
    let header = if cpu == ALL_CPUS {
        "cpu ".to_string()
    } else {
        format!("cpu{cpu} ")
    };
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let tick = 1_000_000_000 / hz;
    for line in text.lines().filter(|l| l.starts_with(&header)) {
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map_while(|f| f.parse().ok())
            .collect();
        if v.len() < 4 {
            continue;
        }
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        let stat = |field: &str, ticks: u64| NodeStat {
            field: field.into(),
            value: ticks.saturating_mul(tick),
        };
        return Ok(vec![
            stat("kernel", at(2) + at(5) + at(6)),
            stat("user", at(0) + at(1)),
            stat("idle", at(3)),
            stat("iowait", at(4)),
        ]);
    }
    Err(Error::invalid_arg_raw(
        FROM,
        "virHostCPUGetStatsLinux",
        "cpuNum",
        "Invalid cpuNum in virHostCPUGetStatsLinux".into(),
    ))
}

/// The most vCPUs a KVM guest may have on this host (`KVM_CAP_MAX_VCPUS`, else
/// `KVM_CAP_NR_VCPUS`, else 4), or libvirt's error when `/dev/kvm` does not open.
pub fn kvm_max_vcpus() -> Result<i32> {
    const KVM_CHECK_EXTENSION: libc::c_ulong = 0xAE03;
    const KVM_CAP_NR_VCPUS: libc::c_ulong = 9;
    const KVM_CAP_MAX_VCPUS: libc::c_ulong = 66;
    let kvm = fs::File::open("/dev/kvm")
        .map_err(|e| Error::system(FROM, "Unable to open /dev/kvm", &e))?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&kvm);
    for cap in [KVM_CAP_MAX_VCPUS, KVM_CAP_NR_VCPUS] {
        // SAFETY: KVM_CHECK_EXTENSION takes an integer and returns one; `fd` is open.
        let n = unsafe { libc::ioctl(fd, KVM_CHECK_EXTENSION as _, cap) };
        if n > 0 {
            return Ok(n);
        }
    }
    Ok(4)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testsys::FakeSys;

    #[test]
    fn cpu_lists() {
        assert_eq!(
            parse_cpu_list("0-2,5,7-8\n")
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            [0, 1, 2, 5, 7, 8]
        );
        assert!(parse_cpu_list("").unwrap().is_empty());
        assert!(parse_cpu_list("3-1").is_none());
        assert!(parse_cpu_list("x").is_none());
    }

    #[test]
    fn clock_from_cpuinfo() {
        let info = "processor\t: 0\ncpu MHz\t\t: 2994.372\nprocessor\t: 1\ncpu MHz\t\t: 3100.000\n";
        assert_eq!(cpu_mhz(info, "x86_64"), 3100);
        assert_eq!(cpu_mhz("cpu MHz : 12x\n", "x86_64"), 0);
        assert_eq!(cpu_mhz(info, "aarch64"), 0);
    }

    /// Two nodes of one socket each, two cores of two threads per socket, one CPU offline.
    fn fake_host(sys: &FakeSys) {
        sys.w("devices/system/cpu/present", "0-7\n");
        sys.w("devices/system/cpu/online", "0-6\n");
        for cpu in 0..8u32 {
            let node = cpu / 4;
            let core = (cpu % 4) / 2;
            let first = cpu - cpu % 2;
            sys.w(
                &format!("devices/system/cpu/cpu{cpu}/topology/core_id"),
                &format!("{core}\n"),
            );
            sys.w(
                &format!("devices/system/cpu/cpu{cpu}/topology/physical_package_id"),
                &format!("{node}\n"),
            );
            sys.w(
                &format!("devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"),
                &format!("{first}-{}\n", first + 1),
            );
            sys.link(
                &format!("devices/system/cpu/cpu{cpu}"),
                &format!("devices/system/node/node{node}/cpu{cpu}"),
            );
        }
        for node in 0..2 {
            sys.w(
                &format!("devices/system/node/node{node}/meminfo"),
                &format!(
                    "Node {node} MemTotal:       1048576 kB\nNode {node} MemFree:         524288 kB\n"
                ),
            );
        }
        let proc = sys.paths.proc.clone();
        fs::create_dir_all(&proc).unwrap();
        fs::write(proc.join("cpuinfo"), "cpu MHz\t\t: 2400.000\n").unwrap();
        fs::write(
            proc.join("stat"),
            "cpu  10 2 30 400 5 6 7 8 0 0\ncpu0 1 1 1 1 1 1 1 0 0 0\nintr 1\n",
        )
        .unwrap();
    }

    #[test]
    fn microcode_and_address_width_from_cpuinfo() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        assert_eq!(
            (microcode_version(&sys.paths), phys_addr_bits(&sys.paths)),
            (0, None)
        );
        let cpuinfo = sys.paths.proc.join("cpuinfo");
        fs::create_dir_all(cpuinfo.parent().unwrap()).unwrap();
        fs::write(
            &cpuinfo,
            "processor\t: 0\nmicrocode\t: 0x2b000461\naddress sizes\t: 46 bits physical, \
             57 bits virtual\nprocessor\t: 1\nmicrocode\t: 0x1\n",
        )
        .unwrap();
        assert_eq!(microcode_version(&sys.paths), 0x2b00_0461);
        assert_eq!(phys_addr_bits(&sys.paths), Some(46));
        fs::write(&cpuinfo, "microcode : 17\naddress sizes : x bits\n").unwrap();
        assert_eq!(
            (microcode_version(&sys.paths), phys_addr_bits(&sys.paths)),
            (17, None)
        );
    }

    #[test]
    fn topology_from_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        fake_host(&sys);
        let info = node_info(&sys.paths).unwrap();
        assert_eq!(
            (
                info.cpus,
                info.nodes,
                info.sockets,
                info.cores,
                info.threads
            ),
            (7, 2, 1, 2, 2)
        );
        assert_eq!((info.memory, info.mhz), (2 * 1024 * 1024, 2400));
        // A topology that does not add up is reported flat, as libvirt does.
        fs::remove_file(
            sys.paths
                .sys
                .join("devices/system/cpu/cpu7/topology/thread_siblings_list"),
        )
        .unwrap();
        sys.w("devices/system/cpu/cpu3/topology/core_id", "5\n");
        let info = node_info(&sys.paths).unwrap();
        assert_eq!(
            (
                info.cpus,
                info.nodes,
                info.sockets,
                info.cores,
                info.threads
            ),
            (7, 1, 1, 8, 1)
        );
    }

    #[test]
    fn stats_from_proc() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        fake_host(&sys);
        let tick = 1_000_000_000 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        let all = cpu_stats(&sys.paths, ALL_CPUS).unwrap();
        let v: Vec<_> = all
            .iter()
            .map(|s| (s.field.as_str(), s.value / tick))
            .collect();
        assert_eq!(
            v,
            [("kernel", 43), ("user", 12), ("idle", 400), ("iowait", 5)]
        );
        assert_eq!(cpu_stats(&sys.paths, 0).unwrap()[0].value, 3 * tick);
        let e = cpu_stats(&sys.paths, 1).unwrap_err();
        assert_eq!(e.code, rvirt_types::ErrorNumber::INVALID_ARG);
        assert_eq!(e.message, "Invalid cpuNum in virHostCPUGetStatsLinux");
    }
}
