//! Automatic NUMA placement, as libvirt's QEMU driver does it: a guest with
//! `<vcpu placement='auto'>` or `<numatune><memory placement='auto'>` asks numad, at each
//! start, which host nodes suit its vCPUs and memory (`numad -w VCPUS:MIB`). Its vCPUs and
//! emulator then run on those nodes' CPUs (unless pinned), and its memory is bound to those
//! of the nodes that have memory.

use rvirt_conf::DomainDef;
use rvirt_host::udev::HostPaths;
use rvirt_types::{Error, ErrorNumber, Result};

/// Where Debian's numad is.
const NUMAD: &str = "/usr/bin/numad";

/// numad's advice for one start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Advice {
    /// The advised nodes that have memory, as a node set (`0`, `0-1`).
    pub(crate) nodes: String,
    /// The CPUs of every advised node.
    pub(crate) cpus: Vec<u32>,
}

/// Whether the guest wants automatic placement.
pub(crate) fn wanted(def: &DomainDef) -> bool {
    def.vcpu_placement == "auto"
        || def
            .extras
            .numatune
            .as_ref()
            .is_some_and(|n| matches!(n.memory, Some((_, None))))
}

/// numad's advice for `def`'s vCPUs and memory (`None` when it asks for no automatic
/// placement), with libvirt's error when numad is missing or fails. numad takes its time
/// (two seconds of sampling): asked off the async threads.
pub(crate) async fn advise(def: &DomainDef) -> Result<Option<Advice>> {
    if !wanted(def) {
        return Ok(None);
    }
    let ask = format!(
        "{}:{}",
        def.vcpus_current.max(1),
        def.memory_kib.div_ceil(1024)
    );
    crate::util::off_thread(move || ask_numad(&ask))
        .await
        .map(Some)
}

fn ask_numad(ask: &str) -> Result<Advice> {
    let out = crate::util::host_command(NUMAD)
        .args(["-w", ask])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .ok_or_else(|| {
            Error::with_detail(
                crate::FROM,
                ErrorNumber::OPERATION_FAILED,
                "Failed to query numad for the advisory nodeset",
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let advised = rvirt_conf::domain::parse_cpuset(&text)
        .ok_or_else(|| Error::internal(crate::FROM, format!("Failed to parse bitmap '{text}'")))?;
    Ok(place(
        &advised,
        &rvirt_host::numa::cells(&HostPaths::host()),
    ))
}

/// The advice for nodes `advised` of a host with `cells`: every CPU of those nodes, and
/// those of the nodes that have memory (control groups refuse memory nodes without any).
fn place(advised: &[u32], cells: &[rvirt_host::numa::Cell]) -> Advice {
    let chosen = || cells.iter().filter(|c| advised.contains(&c.id));
    let mut cpus: Vec<u32> = chosen().flat_map(|c| c.cpus.iter().map(|p| p.id)).collect();
    cpus.sort_unstable();
    let nodes: Vec<u32> = chosen()
        .filter(|c| c.memory_kib > 0)
        .map(|c| c.id)
        .collect();
    Advice {
        nodes: rvirt_conf::domain::format_cpuset(&nodes),
        cpus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_host::numa::{Cell, CellCpu};

    fn cell(id: u32, memory_kib: u64, cpus: &[u32]) -> Cell {
        Cell {
            id,
            memory_kib,
            pages: Vec::new(),
            distances: Vec::new(),
            cpus: cpus
                .iter()
                .map(|&id| CellCpu {
                    id,
                    socket_id: 0,
                    die_id: 0,
                    core_id: id,
                    siblings: id.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn advice_takes_the_nodes_cpus_and_only_nodes_with_memory() {
        let cells = [
            cell(0, 1 << 20, &[0, 1]),
            cell(1, 0, &[2, 3]),
            cell(2, 1 << 20, &[4, 5]),
        ];
        let a = place(&[1, 2], &cells);
        assert_eq!(a.cpus, [2, 3, 4, 5]);
        assert_eq!(a.nodes, "2");
        assert_eq!(place(&[0, 2], &cells).nodes, "0,2");
    }

    #[test]
    fn only_automatic_placement_asks() {
        let def = |inner: &str| {
            DomainDef::parse_xml(
                &format!(
                    "<domain type='qemu'><name>t</name><memory>65536</memory>{inner}\
                     <os><type>hvm</type></os></domain>"
                ),
                rvirt_conf::ParseOptions::default(),
            )
            .unwrap()
        };
        assert!(!wanted(&def("<vcpu>1</vcpu>")));
        assert!(wanted(&def("<vcpu placement='auto'>1</vcpu>")));
        assert!(wanted(&def(
            "<numatune><memory mode='strict' placement='auto'/></numatune>"
        )));
        assert!(!wanted(&def(
            "<numatune><memory mode='strict' nodeset='0'/></numatune>"
        )));
    }
}
