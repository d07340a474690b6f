//! The host's memory as libvirt's QEMU driver reports it: per NUMA node from
//! `/sys/devices/system/node/nodeN/meminfo` (what libnuma reads), the whole host from
//! `/proc/meminfo`, huge pages from the nodes' `hugepages` folders. Behind
//! `virNodeGetMemoryStats`, `virNodeGetCellsFreeMemory`, `virNodeGetFreeMemory` and
//! `virNodeGetFreePages`.

use crate::udev::HostPaths;
use rvirt_types::records::NodeStat;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::fs;
use std::path::PathBuf;

const FROM: ErrorDomain = ErrorDomain::NONE;

/// `VIR_NODE_MEMORY_STATS_ALL_CELLS`: the whole host rather than one NUMA cell.
pub const ALL_CELLS: i32 = -1;

/// The folder of NUMA node `node` in sysfs.
pub fn node_dir(paths: &HostPaths, node: u32) -> PathBuf {
    paths.sys.join(format!("devices/system/node/node{node}"))
}

/// The host's NUMA nodes in ascending order; empty where the kernel has no NUMA support (no
/// `/sys/devices/system/node`).
pub fn numa_nodes(paths: &HostPaths) -> Vec<u32> {
    let Ok(dir) = fs::read_dir(paths.sys.join("devices/system/node")) else {
        return Vec::new();
    };
    let mut nodes: Vec<u32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("node")?.parse().ok())
        .collect();
    nodes.sort_unstable();
    nodes
}

/// The highest NUMA node number, `None` without NUMA.
pub fn max_node(paths: &HostPaths) -> Option<u32> {
    numa_nodes(paths).last().copied()
}

/// The `KEY: N kB` values of a meminfo file, in its order, the `Node N ` prefix of a node's
/// file stripped.
fn meminfo(text: &str) -> Vec<(&str, u64)> {
    text.lines()
        .filter_map(|line| {
            let mut line = line;
            if line.starts_with("Node ") {
                line = line.splitn(3, ' ').nth(2)?;
            }
            let mut f = line.split_whitespace();
            let key = f.next()?;
            let value = f.next()?.parse().ok()?;
            Some((key, value))
        })
        .collect()
}

fn read(path: PathBuf) -> Result<String> {
    fs::read_to_string(&path)
        .map_err(|e| Error::system(FROM, format!("cannot open {}", path.display()), &e))
}

/// Node `node`'s total and free memory in bytes, as libnuma's `numa_node_size64` reads them.
pub fn node_memory(paths: &HostPaths, node: u32) -> Result<(u64, u64)> {
    let text = read(node_dir(paths, node).join("meminfo"))?;
    let m = meminfo(&text);
    let get = |k: &str| m.iter().find(|(key, _)| *key == k).map(|(_, v)| v * 1024);
    Ok((get("MemTotal:").unwrap_or(0), get("MemFree:").unwrap_or(0)))
}

/// The host's total and free memory in bytes: the sum over the NUMA nodes, or
/// `/proc/meminfo`'s `MemTotal` and `MemAvailable` without NUMA.
pub fn memory_info(paths: &HostPaths) -> Result<(u64, u64)> {
    let nodes = numa_nodes(paths);
    if nodes.is_empty() {
        let text = read(paths.proc.join("meminfo"))?;
        let m = meminfo(&text);
        let get = |k: &str| m.iter().find(|(key, _)| *key == k).map(|(_, v)| v * 1024);
        return Ok((
            get("MemTotal:").unwrap_or(0),
            get("MemAvailable:").or(get("MemFree:")).unwrap_or(0),
        ));
    }
    let (mut total, mut free) = (0, 0);
    for n in nodes {
        let (t, f) = node_memory(paths, n)?;
        total += t;
        free += f;
    }
    Ok((total, free))
}

/// `virNodeGetMemoryStats`: total, free, buffers and cached KiB of the whole host
/// ([`ALL_CELLS`]), or total and free of one NUMA cell.
pub fn memory_stats(paths: &HostPaths, cell: i32) -> Result<Vec<NodeStat>> {
    let max = max_node(paths);
    let cell = if max.is_none() && cell == 0 {
        ALL_CELLS
    } else {
        cell
    };
    let (text, wanted) = if cell == ALL_CELLS {
        (read(paths.proc.join("meminfo"))?, 4)
    } else {
        let Some(max) = max else {
            return Err(Error::internal(FROM, "NUMA isn't available on this host"));
        };
        if cell as i64 > max as i64 {
            return Err(Error::invalid_arg_raw(
                FROM,
                "virHostMemGetStats",
                "cellNum",
                format!("cellNum in virHostMemGetStats must be less than or equal to {max}"),
            ));
        }
        (read(node_dir(paths, cell as u32).join("meminfo"))?, 2)
    };
    const FIELDS: [(&str, &str); 4] = [
        ("MemTotal:", "total"),
        ("MemFree:", "free"),
        ("Buffers:", "buffers"),
        ("Cached:", "cached"),
    ];
    let stats: Vec<NodeStat> = meminfo(&text)
        .into_iter()
        .filter_map(|(key, value)| {
            let (_, field) = FIELDS.iter().find(|(k, _)| *k == key)?;
            Some(NodeStat {
                field: field.to_string(),
                value,
            })
        })
        .take(wanted)
        .collect();
    if stats.is_empty() {
        return Err(Error::internal(FROM, "no available memory line found"));
    }
    Ok(stats)
}

fn out_of_range(start: i64, last: i64) -> Error {
    Error::internal(FROM, format!("start cell {start} out of range (0-{last})"))
}

/// `virNodeGetCellsFreeMemory`: free bytes of up to `max_cells` NUMA cells from `start`.
pub fn cells_free(paths: &HostPaths, start: i32, max_cells: i32) -> Result<Vec<u64>> {
    let Some(max) = max_node(paths) else {
        if start != 0 {
            return Err(out_of_range(start.into(), 0));
        }
        return Ok(vec![memory_info(paths)?.1]);
    };
    if start as i64 > max as i64 {
        return Err(out_of_range(start.into(), max.into()));
    }
    let last = (start as i64 + max_cells as i64 - 1).min(max as i64);
    Ok((start as i64..=last)
        .map(|n| node_memory(paths, n as u32).map(|m| m.1).unwrap_or(0))
        .collect())
}

/// The page size in bytes.
pub fn system_page_size() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// The huge page sizes in KiB the kernel offers (its `hugepages-NkB` folders), ascending.
pub fn huge_page_sizes(paths: &HostPaths) -> Vec<u32> {
    let mut sizes: Vec<u32> = fs::read_dir(paths.sys.join("kernel/mm/hugepages"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse()
                .ok()
        })
        .collect();
    sizes.sort_unstable();
    sizes
}

/// How many pages of `page_kib` KiB node `node` has in all and free (`(avail, free)`): ordinary
/// pages from its memory, huge pages from its pool.
pub fn page_info(paths: &HostPaths, node: u32, page_kib: u32) -> Result<(u64, u64)> {
    let system = system_page_size();
    if u64::from(page_kib) * 1024 == system {
        let (total, free) = node_memory(paths, node)?;
        return Ok((total / system, free / system));
    }
    let dir = node_dir(paths, node).join(format!("hugepages/hugepages-{page_kib}kB"));
    if !dir.exists() {
        let detail = if node_dir(paths, node).exists() {
            format!("page size {page_kib} is not available on node {node}")
        } else {
            format!("NUMA node {node} is not available")
        };
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::OPERATION_FAILED,
            detail,
        ));
    }
    let number = |file: &str| -> Result<u64> {
        let text = read(dir.join(file))?;
        text.strip_suffix('\n')
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| Error::internal(FROM, format!("unable to parse: {text}")))
    };
    Ok((number("nr_hugepages")?, number("free_hugepages")?))
}

/// `virNodeGetFreePages`: for each cell from `start` (at most `count` of them, none past
/// `last_cell`), the free pages of each size in `pages` (KiB).
pub fn free_pages(
    paths: &HostPaths,
    pages: &[u32],
    start: i32,
    count: u32,
    last_cell: i32,
) -> Result<Vec<u64>> {
    if start > last_cell {
        return Err(out_of_range(start.into(), last_cell.into()));
    }
    let last = (last_cell as i64).min(start as i64 + count as i64 - 1);
    let mut counts = Vec::new();
    for cell in start as i64..=last {
        for &size in pages {
            counts.push(page_info(paths, cell.max(0) as u32, size)?.1);
        }
    }
    if counts.is_empty() {
        return Err(Error::internal(FROM, "no suitable info found"));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testsys::FakeSys;

    fn fake(sys: &FakeSys) {
        for node in 0..2 {
            sys.w(
                &format!("devices/system/node/node{node}/meminfo"),
                &format!(
                    "Node {node} MemTotal:       2097152 kB\nNode {node} MemFree:        1048576 kB\nNode {node} MemUsed:         1048576 kB\n"
                ),
            );
            sys.w(
                &format!("devices/system/node/node{node}/hugepages/hugepages-2048kB/nr_hugepages"),
                "8\n",
            );
            sys.w(
                &format!(
                    "devices/system/node/node{node}/hugepages/hugepages-2048kB/free_hugepages"
                ),
                &format!("{}\n", 3 + node),
            );
        }
        let proc = sys.paths.proc.clone();
        fs::create_dir_all(&proc).unwrap();
        fs::write(
            proc.join("meminfo"),
            "MemTotal:        4194304 kB\nMemFree:         2097152 kB\nMemAvailable:    3000000 kB\nBuffers:           1000 kB\nCached:           20000 kB\nSwapCached:            0 kB\n",
        )
        .unwrap();
    }

    #[test]
    fn stats_of_host_and_cells() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        fake(&sys);
        let all: Vec<_> = memory_stats(&sys.paths, ALL_CELLS)
            .unwrap()
            .into_iter()
            .map(|s| (s.field, s.value))
            .collect();
        assert_eq!(
            all,
            [
                ("total".into(), 4194304),
                ("free".into(), 2097152),
                ("buffers".into(), 1000),
                ("cached".into(), 20000)
            ]
        );
        let cell: Vec<_> = memory_stats(&sys.paths, 1)
            .unwrap()
            .into_iter()
            .map(|s| s.value)
            .collect();
        assert_eq!(cell, [2097152, 1048576]);
        let e = memory_stats(&sys.paths, 2).unwrap_err();
        assert_eq!(
            e.message,
            "cellNum in virHostMemGetStats must be less than or equal to 1"
        );
    }

    #[test]
    fn free_memory_per_cell() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        fake(&sys);
        assert_eq!(cells_free(&sys.paths, 0, 8).unwrap(), [1 << 30, 1 << 30]);
        assert_eq!(cells_free(&sys.paths, 1, 1).unwrap(), [1 << 30]);
        let e = cells_free(&sys.paths, 2, 1).unwrap_err();
        assert_eq!(e.message, "internal error: start cell 2 out of range (0-1)");
        assert_eq!(memory_info(&sys.paths).unwrap(), (4 << 30, 2 << 30));
    }

    #[test]
    fn pages_per_cell() {
        let dir = tempfile::tempdir().unwrap();
        let sys = FakeSys::new(dir.path());
        fake(&sys);
        let small = (system_page_size() / 1024) as u32;
        assert_eq!(
            free_pages(&sys.paths, &[small, 2048], 0, 2, 1).unwrap(),
            [
                (1 << 30) / system_page_size(),
                3,
                (1 << 30) / system_page_size(),
                4
            ]
        );
        let e = free_pages(&sys.paths, &[1048576], 0, 1, 1).unwrap_err();
        assert_eq!(e.code, ErrorNumber::OPERATION_FAILED);
        assert_eq!(
            e.message,
            "operation failed: page size 1048576 is not available on node 0"
        );
        let e = free_pages(&sys.paths, &[2048], 3, 1, 1).unwrap_err();
        assert_eq!(e.message, "internal error: start cell 3 out of range (0-1)");
    }
}
