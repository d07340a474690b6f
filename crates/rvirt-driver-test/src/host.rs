//! Host calls of the test hypervisor: a fixed fake host, as libvirt's test driver describes it.

use crate::{FROM, TestDriver, err};
use rvirt_conf::cpu_map;
use rvirt_conf::xml::XmlWriter;
use rvirt_driver::{HostDriver, check_flags};
use rvirt_types::host::ConnectBaselineCPUFlags;
use rvirt_types::records::*;
use rvirt_types::{ErrorNumber, Result};

/// The most vCPUs a test domain may have (`virConnectGetMaxVcpus`).
pub(crate) const MAX_VCPUS: i32 = 32;

/// The test hypervisor's version, 2.0.0, as libvirt's test driver reports it.
const VERSION: u64 = 2;

/// Page sizes of the fake host in KiB.
const PAGE_SIZES: [u64; 4] = [4, 8, 2048, 1024 * 1024];

const SYSINFO: &str = "<sysinfo type='smbios'>\n  <bios>\n    <entry name='vendor'>LENOVO</entry>\n    <entry name='version'>G4ETA1WW (2.61 )</entry>\n    <entry name='date'>05/07/2014</entry>\n    <entry name='release'>2.61</entry>\n  </bios>\n</sysinfo>\n";

impl TestDriver {
    /// The capabilities document of the fake host.
    pub(crate) fn capabilities_xml(&self) -> String {
        let mut w = XmlWriter::default();
        w.start("capabilities", &[]);
        w.blank_line();
        w.start("host", &[]);
        w.start("cpu", &[]);
        w.text("arch", &[], "i686");
        w.start("features", &[]);
        w.empty("pae", &[]);
        w.empty("nonpae", &[]);
        w.end("features");
        for size in PAGE_SIZES {
            w.empty("pages", &[("unit", "KiB"), ("size", &size.to_string())]);
        }
        w.end("cpu");
        w.empty("power_management", &[]);
        // As libvirt's test driver, this reports the real host's IOMMU.
        w.empty(
            "iommu",
            &[(
                "support",
                if rvirt_host::iommu::host_has_iommu() {
                    "yes"
                } else {
                    "no"
                },
            )],
        );
        // Printed even without cells (a node file's host), as libvirt does.
        w.start("topology", &[]);
        w.start("cells", &[("num", &self.cells.len().to_string())]);
        let mut cpu_id = 0u32;
        for (i, cell) in self.cells.iter().enumerate() {
            w.start("cell", &[("id", &i.to_string())]);
            w.text("memory", &[("unit", "KiB")], &cell.mem.to_string());
            // The first page size of cell 1 is 8 KiB, of the others 4 KiB.
            let first = if i == 1 { PAGE_SIZES[1] } else { PAGE_SIZES[0] };
            w.text(
                "pages",
                &[("unit", "KiB"), ("size", &first.to_string())],
                &(cell.mem / first).to_string(),
            );
            for size in &PAGE_SIZES[2..] {
                w.text(
                    "pages",
                    &[("unit", "KiB"), ("size", &size.to_string())],
                    "0",
                );
            }
            w.start("cpus", &[("num", &cell.num_cpus.to_string())]);
            for _ in 0..cell.num_cpus {
                let id = cpu_id.to_string();
                let socket = (cpu_id / 8).to_string();
                let core = (cpu_id % 8).to_string();
                w.empty(
                    "cpu",
                    &[
                        ("id", &id),
                        ("socket_id", &socket),
                        ("die_id", "0"),
                        ("core_id", &core),
                        ("siblings", &id),
                    ],
                );
                cpu_id += 1;
            }
            w.end("cpus");
            w.end("cell");
        }
        w.end("cells");
        w.end("topology");
        w.start("secmodel", &[]);
        w.text("model", &[], "testSecurity");
        w.text("doi", &[], "");
        w.end("secmodel");
        w.end("host");
        for os_type in ["hvm", "xen"] {
            w.blank_line();
            w.start("guest", &[]);
            w.text("os_type", &[], os_type);
            w.start("arch", &[("name", "i686")]);
            w.text("wordsize", &[], "32");
            w.text("emulator", &[], "/usr/bin/test-hv");
            w.empty("domain", &[("type", "test")]);
            w.end("arch");
            w.start("features", &[]);
            w.empty("pae", &[]);
            w.empty("nonpae", &[]);
            w.end("features");
            w.end("guest");
        }
        w.blank_line();
        w.end("capabilities");
        w.finish()
    }
}

/// The machine's host name, as `gethostname` gives it.
fn hostname() -> Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length and gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Err(rvirt_types::Error::system(
            FROM,
            "cannot get hostname",
            &std::io::Error::last_os_error(),
        ));
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

impl HostDriver for TestDriver {
    async fn connect_get_type(&self) -> Result<String> {
        Ok("TEST".into())
    }

    async fn connect_get_version(&self) -> Result<u64> {
        Ok(VERSION)
    }

    async fn connect_get_hostname(&self) -> Result<String> {
        hostname()
    }

    async fn connect_get_uri(&self) -> Result<String> {
        Ok(self.uri().to_string())
    }

    async fn connect_get_max_vcpus(&self, _virt_type: Option<&str>) -> Result<i32> {
        Ok(MAX_VCPUS)
    }

    async fn connect_get_capabilities(&self) -> Result<String> {
        Ok(self.capabilities_xml())
    }

    async fn connect_get_sysinfo(&self, flags: u32) -> Result<String> {
        check_flags(FROM, "testConnectGetSysinfo", flags, 0)?;
        Ok(SYSINFO.into())
    }

    async fn connect_is_secure(&self) -> Result<bool> {
        Ok(true)
    }

    async fn connect_is_encrypted(&self) -> Result<bool> {
        Ok(false)
    }

    async fn connect_is_alive(&self) -> Result<bool> {
        Ok(true)
    }

    async fn connect_supports_feature(&self, feature: i32) -> Result<bool> {
        // libvirt's test driver claims only what every driver claims.
        Ok(rvirt_driver::global_feature(feature).unwrap_or(false))
    }

    async fn node_get_info(&self) -> Result<NodeInfo> {
        Ok(self.node.clone())
    }

    async fn node_get_cells_free_memory(&self, start: i32, max: i32) -> Result<Vec<u64>> {
        if start < 0 || start as usize >= self.cells.len() {
            return Err(err(
                ErrorNumber::INVALID_ARG,
                "Range exceeds available cells",
            ));
        }
        Ok(self
            .cells
            .iter()
            .skip(start as usize)
            .take(max.max(0) as usize)
            .map(|c| c.mem)
            .collect())
    }

    async fn node_get_free_memory(&self) -> Result<u64> {
        Ok(self.cells.iter().map(|c| c.free_mem).sum())
    }

    async fn node_get_cpu_map(&self, flags: u32) -> Result<CpuMap> {
        check_flags(FROM, "testNodeGetCPUMap", flags, 0)?;
        // libvirt's test host: 8 CPUs, of which 0, 2 and 4 are online.
        Ok(CpuMap {
            cpus: 8,
            map: vec![0x15],
            online: 3,
        })
    }

    async fn node_get_cpu_stats(&self, _cpu: i32, flags: u32) -> Result<Vec<NodeStat>> {
        check_flags(FROM, "testNodeGetCPUStats", flags, 0)?;
        Ok([
            ("user", 9797400000),
            ("kernel", 34678723400000),
            ("idle", 87264900000),
            ("iowait", 763600000),
        ]
        .into_iter()
        .map(|(f, v)| NodeStat {
            field: f.into(),
            value: v,
        })
        .collect())
    }

    async fn node_get_security_model(&self) -> Result<SecurityModel> {
        Ok(SecurityModel {
            model: "testSecurity".into(),
            doi: String::new(),
        })
    }

    async fn connect_get_cpu_model_names(&self, arch: &str, flags: u32) -> Result<Vec<String>> {
        check_flags(FROM, "testConnectGetCPUModelNames", flags, 0)?;
        if !cpu_map::is_known_arch(arch) {
            return Err(err(
                ErrorNumber::INVALID_ARG,
                format!("cannot find architecture {arch}"),
            ));
        }
        Ok(cpu_map::cpu_models(arch)?
            .iter()
            .map(|m| m.to_string())
            .collect())
    }

    async fn connect_baseline_cpu(&self, xml_cpus: &[String], flags: u32) -> Result<String> {
        let expand = ConnectBaselineCPUFlags::EXPAND_FEATURES;
        check_flags(FROM, "testConnectBaselineCPU", flags, expand.bits())?;
        rvirt_cpumap::baseline(xml_cpus, flags & expand.bits() != 0, false)
    }

    /// libvirt's test driver fills the counts with a made-up series but reports that it filled
    /// none, so callers see no counts at all.
    async fn node_get_free_pages(
        &self,
        _pages: &[u32],
        _start_cell: i32,
        _cell_count: u32,
        flags: u32,
    ) -> Result<Vec<u64>> {
        check_flags(FROM, "testNodeGetFreePages", flags, 0)?;
        Ok(Vec::new())
    }
}
