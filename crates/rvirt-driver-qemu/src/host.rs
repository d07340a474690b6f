//! Host calls of a QEMU connection: what is cheap to answer without a running QEMU.

use crate::QemuDriver;
use rvirt_conf::cpu_map;
use rvirt_driver::HostDriver;
use rvirt_host::udev::HostPaths;
use rvirt_types::records::{NodeInfo, NodeStat, SecurityModel};
use rvirt_types::{Error, ErrorNumber, Result};
use std::sync::OnceLock;

/// The QEMU version as `virConnectGetVersion` reports it (major * 1,000,000 + minor * 1,000 +
/// micro), from `qemu-img --version` (the same package as the emulator here); 0 if unknown.
fn qemu_version() -> u64 {
    static V: OnceLock<u64> = OnceLock::new();
    *V.get_or_init(|| {
        let out = crate::util::host_command("qemu-img")
            .arg("--version")
            .output()
            .ok();
        let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        text.as_deref().and_then(parse_version).unwrap_or(0)
    })
}

/// `qemu-img version 7.2.22 (Debian …)` -> 7002022.
fn parse_version(text: &str) -> Option<u64> {
    let v = text
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)?;
    let mut parts = v.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let micro = parts.next().flatten().unwrap_or(0);
    Some(major * 1_000_000 + minor * 1_000 + micro)
}

impl HostDriver for QemuDriver {
    async fn connect_get_type(&self) -> Result<String> {
        Ok("QEMU".into())
    }

    async fn connect_get_version(&self) -> Result<u64> {
        Ok(qemu_version())
    }

    async fn connect_get_hostname(&self) -> Result<String> {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return Err(Error::system(
                crate::FROM,
                "failed to determine host name",
                &std::io::Error::last_os_error(),
            ));
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
    }

    async fn connect_get_uri(&self) -> Result<String> {
        Ok(self.uri.clone())
    }

    async fn connect_get_capabilities(&self) -> Result<String> {
        self.capabilities_xml().await
    }

    async fn connect_get_domain_capabilities(
        &self,
        emulatorbin: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        self.domain_capabilities(emulatorbin, arch, machine, virttype, flags)
            .await
    }

    async fn connect_compare_cpu(&self, xml: &str, flags: u32) -> Result<i32> {
        self.compare_cpu(xml, flags)
    }

    async fn connect_compare_hypervisor_cpu(
        &self,
        emulator: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        xml: &str,
        flags: u32,
    ) -> Result<i32> {
        self.compare_hypervisor_cpu(emulator, arch, machine, virttype, xml, flags)
            .await
    }

    async fn connect_baseline_hypervisor_cpu(
        &self,
        emulator: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        xml_cpus: &[String],
        flags: u32,
    ) -> Result<String> {
        self.baseline_hypervisor_cpu(emulator, arch, machine, virttype, xml_cpus, flags)
            .await
    }

    async fn connect_domain_xml_to_native(
        &self,
        format: &str,
        xml: &str,
        flags: u32,
    ) -> Result<String> {
        rvirt_driver::check_flags(crate::FROM, "qemuConnectDomainXMLToNative", flags, 0)?;
        if format != "qemu-argv" {
            return Err(Error::with_detail(
                crate::FROM,
                ErrorNumber::INVALID_ARG,
                format!("unsupported config type {format}"),
            ));
        }
        let mut def = rvirt_conf::DomainDef::parse_xml(xml, rvirt_conf::ParseOptions::default())?;
        self.fill_def(&mut def).await?;
        // The firmware a fresh start would choose.
        let fresh = crate::firmware::FillHow {
            new: true,
            reset_nvram: false,
        };
        crate::firmware::select(&mut def, &self.nvram_dir(), fresh)?;
        crate::memdev::align_sizes(&mut def);
        self.settle_guest_cpu(&mut def, true).await?;
        self.prepare_disk_sources(&mut def)?;
        let short = crate::util::short_name(-1, &def.name);
        let monitor = self
            .dirs
            .qemu_lib
            .join(format!("domain-{short}"))
            .join("monitor.sock");
        let channels = self
            .dirs
            .qemu_lib
            .join("channel/target")
            .join(format!("domain-{short}"));
        crate::startup::prepare_channels(&mut def, &channels);
        // Consoles as a start would set them up, with the ports a start would hand out.
        let lib_dir = monitor
            .parent()
            .unwrap_or(&self.dirs.qemu_lib)
            .to_path_buf();
        crate::graphics::setup_listens(&mut def, &self.config, &lib_dir, &|n| {
            self.graphics_network_address(n)
        })?;
        crate::ports::pretend_graphics_ports(&mut def, self.config.spice_tls);
        let emulator = crate::caps::emulator_for_arch("x86_64").unwrap_or_default();
        let cmd = crate::command::build(
            &def,
            &crate::command::CommandContext {
                monitor: &monitor,
                default_emulator: &emulator,
                taps: &[],
                tpm_socket: None,
                config: &self.config,
                auto_nodes: None,
            },
        )?;
        Ok(cmd.to_native())
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
        Ok(rvirt_driver::global_feature(feature).unwrap_or(false))
    }

    async fn node_get_cpu_map(&self, flags: u32) -> Result<rvirt_types::records::CpuMap> {
        rvirt_driver::check_flags(crate::FROM, "qemuNodeGetCPUMap", flags, 0)?;
        crate::stats::node_cpu_map()
    }

    async fn connect_get_max_vcpus(&self, virt_type: Option<&str>) -> Result<i32> {
        match virt_type {
            None => Ok(16),
            Some(t) if t.eq_ignore_ascii_case("qemu") => Ok(16),
            Some(t) if t.eq_ignore_ascii_case("kvm") => rvirt_host::hostcpu::kvm_max_vcpus(),
            Some(t) => Err(Error::invalid_arg(
                crate::FROM,
                format!("unknown type '{t}'"),
            )),
        }
    }

    async fn connect_get_sysinfo(&self, flags: u32) -> Result<String> {
        rvirt_driver::check_flags(crate::FROM, "qemuConnectGetSysinfo", flags, 0)?;
        // libvirt reads the SMBIOS tables once, when the driver starts.
        static SYSINFO: OnceLock<Option<rvirt_host::sysinfo::HostSysinfo>> = OnceLock::new();
        match SYSINFO.get_or_init(rvirt_host::sysinfo::read_host) {
            Some(info) => Ok(info.to_xml()),
            None => Err(Error::with_detail(
                crate::FROM,
                ErrorNumber::CONFIG_UNSUPPORTED,
                "Host SMBIOS information is not available",
            )),
        }
    }

    async fn node_get_info(&self) -> Result<NodeInfo> {
        rvirt_host::hostcpu::node_info(&HostPaths::host())
    }

    async fn node_get_cpu_stats(&self, cpu: i32, flags: u32) -> Result<Vec<NodeStat>> {
        rvirt_driver::check_flags(crate::FROM, "virHostCPUGetStats", flags, 0)?;
        rvirt_host::hostcpu::cpu_stats(&HostPaths::host(), cpu)
    }

    async fn node_get_memory_stats(&self, cell: i32, flags: u32) -> Result<Vec<NodeStat>> {
        rvirt_driver::check_flags(crate::FROM, "virHostMemGetStats", flags, 0)?;
        rvirt_host::hostmem::memory_stats(&HostPaths::host(), cell)
    }

    async fn node_get_cells_free_memory(&self, start: i32, max: i32) -> Result<Vec<u64>> {
        rvirt_host::hostmem::cells_free(&HostPaths::host(), start, max)
    }

    async fn node_get_free_memory(&self) -> Result<u64> {
        // libvirt answers 0 when it cannot tell.
        Ok(rvirt_host::hostmem::memory_info(&HostPaths::host()).map_or(0, |m| m.1))
    }

    async fn node_get_free_pages(
        &self,
        pages: &[u32],
        start_cell: i32,
        cell_count: u32,
        flags: u32,
    ) -> Result<Vec<u64>> {
        rvirt_driver::check_flags(crate::FROM, "qemuNodeGetFreePages", flags, 0)?;
        let paths = HostPaths::host();
        let last = rvirt_host::hostmem::max_node(&paths).unwrap_or(0);
        rvirt_host::hostmem::free_pages(&paths, pages, start_cell, cell_count, last as i32)
    }

    async fn node_get_security_model(&self) -> Result<SecurityModel> {
        // The capabilities' first <secmodel>, the primary model: `none`, with DAC stacked
        // under it, as libvirt has it with `security_driver = "none"`.
        Ok(SecurityModel {
            model: "none".into(),
            doi: "0".into(),
        })
    }

    async fn connect_get_cpu_model_names(&self, arch: &str, flags: u32) -> Result<Vec<String>> {
        rvirt_driver::check_flags(crate::FROM, "qemuConnectGetCPUModelNames", flags, 0)?;
        if !cpu_map::is_known_arch(arch) {
            return Err(Error::invalid_arg(
                crate::FROM,
                format!("cannot find architecture {arch}"),
            ));
        }
        Ok(cpu_map::cpu_models(arch)?
            .iter()
            .map(|m| m.to_string())
            .collect())
    }

    async fn connect_baseline_cpu(&self, xml_cpus: &[String], flags: u32) -> Result<String> {
        use rvirt_types::host::ConnectBaselineCPUFlags as F;
        let known = F::EXPAND_FEATURES | F::MIGRATABLE;
        rvirt_driver::check_flags(crate::FROM, "qemuConnectBaselineCPU", flags, known.bits())?;
        let flags = F::from_bits_truncate(flags);
        rvirt_cpumap::baseline_for_qemu(
            xml_cpus,
            flags.contains(F::EXPAND_FEATURES),
            flags.contains(F::MIGRATABLE),
        )
    }

    async fn connect_set_keep_alive(&self, _interval: i32, _count: u32) -> Result<i32> {
        Err(Error::with_detail(
            crate::FROM,
            ErrorNumber::NO_SUPPORT,
            "virConnectSetKeepAlive",
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_text() {
        assert_eq!(
            super::parse_version("qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7)\n"),
            Some(7_002_022)
        );
        assert_eq!(super::parse_version("nothing"), None);
    }
}
