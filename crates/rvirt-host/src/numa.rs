//! The host's NUMA cells as libvirt's capabilities describe them (`<host><topology><cells>`):
//! each cell's memory, page pools, distances to the other cells and CPUs with their place in
//! the socket/die/core topology; the page sizes of the whole host (`<host><cpu><pages>`); and
//! its shared caches (`<host><cache>`).

use crate::hostcpu::parse_cpu_list;
use crate::hostmem::{self, node_dir, system_page_size};
use crate::udev::HostPaths;
use rvirt_types::Result;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// One CPU of a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellCpu {
    /// The CPU's number.
    pub id: u32,
    /// `physical_package_id`.
    pub socket_id: u32,
    /// `die_id`.
    pub die_id: u32,
    /// `core_id`.
    pub core_id: u32,
    /// The CPUs sharing its core, as libvirt prints a CPU set (`0-1`, `0,4`).
    pub siblings: String,
}

/// One NUMA cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The node number.
    pub id: u32,
    /// Its memory in KiB.
    pub memory_kib: u64,
    /// `(page size in KiB, pages in the pool)` by ascending size; ordinary pages count the
    /// memory the huge page pools leave.
    pub pages: Vec<(u32, u64)>,
    /// `(node, distance)` to every cell, itself included.
    pub distances: Vec<(u32, u32)>,
    /// Its CPUs in ascending order.
    pub cpus: Vec<CellCpu>,
}

/// A CPU set as libvirt formats one: runs of consecutive CPUs as `a-b`, single CPUs alone,
/// joined by commas.
pub fn format_cpu_set(set: &BTreeSet<u32>) -> String {
    let mut parts = Vec::new();
    let mut it = set.iter().copied().peekable();
    while let Some(first) = it.next() {
        let mut last = first;
        while it.peek() == Some(&(last + 1)) {
            last = it.next().unwrap_or(last);
        }
        parts.push(if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        });
    }
    parts.join(",")
}

/// The page pools in `hugepages_dir` (a node's or the host's) with the ordinary pages of
/// `memory_bytes` left after them, by ascending size.
fn pools(hugepages_dir: &Path, memory_bytes: u64) -> Vec<(u32, u64)> {
    let mut pages = Vec::new();
    let mut huge_sum = 0;
    for entry in fs::read_dir(hugepages_dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(size) = name.to_str().and_then(|n| {
            n.strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse::<u32>()
                .ok()
        }) else {
            continue;
        };
        let avail = fs::read_to_string(entry.path().join("nr_hugepages"))
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(0);
        huge_sum += u64::from(size) * 1024 * avail;
        pages.push((size, avail));
    }
    let system = system_page_size();
    pages.push((
        (system / 1024) as u32,
        memory_bytes.saturating_sub(huge_sum) / system,
    ));
    pages.sort_unstable();
    pages
}

/// The page sizes of the whole host with their pool sizes (`<host><cpu><pages>` lists the
/// sizes).
pub fn host_pages(paths: &HostPaths) -> Result<Vec<(u32, u64)>> {
    let (total, _) = hostmem::memory_info(paths)?;
    Ok(pools(&paths.sys.join("kernel/mm/hugepages"), total))
}

fn number(path: &Path) -> u32 {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse::<i64>().ok())
        .map_or(0, |v| v.max(0) as u32)
}

/// The host's NUMA cells; empty without NUMA.
pub fn cells(paths: &HostPaths) -> Vec<Cell> {
    let nodes = hostmem::numa_nodes(paths);
    let cpu_dir = paths.sys.join("devices/system/cpu");
    nodes
        .iter()
        .map(|&id| {
            let dir = node_dir(paths, id);
            let memory = hostmem::node_memory(paths, id).map_or(0, |m| m.0);
            let distances = fs::read_to_string(dir.join("distance"))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|d| d.parse().ok())
                .zip(nodes.iter().copied())
                .map(|(d, n)| (n, d))
                .collect();
            let cpu_ids = fs::read_to_string(dir.join("cpulist"))
                .ok()
                .and_then(|t| parse_cpu_list(&t))
                .unwrap_or_default();
            let cpus = cpu_ids
                .into_iter()
                .map(|cpu| {
                    let topo = cpu_dir.join(format!("cpu{cpu}/topology"));
                    let siblings = fs::read_to_string(topo.join("thread_siblings_list"))
                        .ok()
                        .and_then(|t| parse_cpu_list(&t))
                        .unwrap_or_else(|| BTreeSet::from([cpu]));
                    CellCpu {
                        id: cpu,
                        socket_id: number(&topo.join("physical_package_id")),
                        die_id: number(&topo.join("die_id")),
                        core_id: number(&topo.join("core_id")),
                        siblings: format_cpu_set(&siblings),
                    }
                })
                .collect();
            Cell {
                id,
                memory_kib: memory / 1024,
                pages: pools(&dir.join("hugepages"), memory),
                distances,
                cpus,
            }
        })
        .collect()
}

/// One shared cache of level 3 or more (`<host><cache><bank>`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CacheBank {
    /// Its level.
    pub level: u32,
    /// The kernel's id of it.
    pub id: u32,
    /// `both`, `code` or `data`.
    pub kind: &'static str,
    /// Its size in bytes.
    pub size: u64,
    /// The CPUs sharing it, as libvirt prints a CPU set.
    pub cpus: String,
}

/// A size with a `K`/`M`/`G` suffix (sysfs cache sizes) in bytes.
fn scaled(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let shift = match unit {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        _ => return None,
    };
    digits.parse::<u64>().ok().map(|v| v << shift)
}

/// The host's caches of level 3 and above, once each, sorted by level then id (what libvirt
/// puts in its capabilities; lower levels are per core and left out).
pub fn cache_banks(paths: &HostPaths) -> Vec<CacheBank> {
    let cpu_dir = paths.sys.join("devices/system/cpu");
    let online = fs::read_to_string(cpu_dir.join("online"))
        .ok()
        .and_then(|t| parse_cpu_list(&t))
        .unwrap_or_default();
    let mut banks = BTreeSet::new();
    for cpu in online {
        let dir = cpu_dir.join(format!("cpu{cpu}/cache"));
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if !entry.file_name().to_string_lossy().starts_with("index") {
                continue;
            }
            let read = |f: &str| fs::read_to_string(entry.path().join(f)).ok();
            let Some(level) = read("level").and_then(|t| t.trim().parse::<u32>().ok()) else {
                continue;
            };
            if level < 3 {
                continue;
            }
            let (Some(id), Some(kind), Some(size), Some(cpus)) = (
                read("id").and_then(|t| t.trim().parse().ok()),
                read("type"),
                read("size").and_then(|t| scaled(&t)),
                read("shared_cpu_list").and_then(|t| parse_cpu_list(&t)),
            ) else {
                continue;
            };
            let kind = match kind.trim() {
                "Unified" => "both",
                "Instruction" => "code",
                "Data" => "data",
                _ => continue,
            };
            banks.insert(CacheBank {
                level,
                id,
                kind,
                size,
                cpus: format_cpu_set(&cpus),
            });
        }
    }
    banks.into_iter().collect()
}

/// A byte count in the largest unit that divides it (`32 MiB`), as libvirt prints sizes.
pub fn pretty_size(bytes: u64) -> (u64, &'static str) {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let (mut v, mut i) = (bytes, 0);
    while v != 0 && v % 1024 == 0 && i + 1 < UNITS.len() {
        v /= 1024;
        i += 1;
    }
    (v, UNITS[i])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testsys::FakeSys;

    #[test]
    fn caches_of_level_three() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        sys.w("devices/system/cpu/online", "0-1\n");
        for cpu in 0..2 {
            let c = format!("devices/system/cpu/cpu{cpu}/cache");
            for (i, level, kind, size) in [(0, 1, "Data", "48K"), (3, 3, "Unified", "32768K")] {
                sys.w(&format!("{c}/index{i}/level"), &format!("{level}\n"));
                sys.w(&format!("{c}/index{i}/type"), &format!("{kind}\n"));
                sys.w(&format!("{c}/index{i}/size"), &format!("{size}\n"));
                sys.w(&format!("{c}/index{i}/id"), "0\n");
                sys.w(&format!("{c}/index{i}/shared_cpu_list"), "0-1\n");
            }
        }
        let banks = cache_banks(&sys.paths);
        assert_eq!(banks.len(), 1);
        assert_eq!((banks[0].kind, banks[0].cpus.as_str()), ("both", "0-1"));
        assert_eq!(pretty_size(banks[0].size), (32, "MiB"));
        assert_eq!(pretty_size(1536 * 1024), (1536, "KiB"));
    }

    #[test]
    fn cpu_sets_as_libvirt_prints_them() {
        let set = |v: &[u32]| v.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(format_cpu_set(&set(&[0, 1, 2, 4, 6, 7])), "0-2,4,6-7");
        assert_eq!(format_cpu_set(&set(&[3])), "3");
        assert_eq!(format_cpu_set(&set(&[])), "");
    }

    #[test]
    fn cells_from_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        sys.w(
            "devices/system/node/node0/meminfo",
            "Node 0 MemTotal:       1048576 kB\nNode 0 MemFree:    1000 kB\n",
        );
        sys.w("devices/system/node/node0/distance", "10 21\n");
        sys.w("devices/system/node/node0/cpulist", "0-1\n");
        sys.w(
            "devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
            "16\n",
        );
        sys.w(
            "devices/system/node/node1/meminfo",
            "Node 1 MemTotal: 0 kB\n",
        );
        sys.w("devices/system/node/node1/distance", "21 10\n");
        sys.w("devices/system/node/node1/cpulist", "\n");
        for cpu in 0..2 {
            sys.w(
                &format!("devices/system/cpu/cpu{cpu}/topology/core_id"),
                "0\n",
            );
            sys.w(
                &format!("devices/system/cpu/cpu{cpu}/topology/physical_package_id"),
                "0\n",
            );
            sys.w(
                &format!("devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"),
                "0-1\n",
            );
        }
        let cells = cells(&sys.paths);
        assert_eq!(cells.len(), 2);
        let c = &cells[0];
        assert_eq!(c.memory_kib, 1048576);
        assert_eq!(c.distances, [(0, 10), (1, 21)]);
        let small = (system_page_size() / 1024) as u32;
        assert_eq!(
            c.pages,
            [
                (
                    small,
                    ((1u64 << 30) - 16 * 2048 * 1024) / system_page_size()
                ),
                (2048, 16)
            ]
        );
        assert_eq!(c.cpus[1].siblings, "0-1");
        assert!(cells[1].cpus.is_empty());
    }
}
