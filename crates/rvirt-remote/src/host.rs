//! Connection and host calls.

use crate::RemoteDriver;
use crate::wire::{list, one_call_methods, opt_string, remote_rpc, string, string_list};
use rvirt_driver::{CloseCallback, HostDriver};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::Result;
use rvirt_types::records::*;

/// `VIR_DRV_FEATURE_REMOTE` is answered by the client itself, as libvirt's does.
use rvirt_driver::FEATURE_REMOTE;
/// `REMOTE_NODE_MAX_CELLS`.
const NODE_MAX_CELLS: i32 = 1024;
/// `REMOTE_NODE_CPU_STATS_MAX` and `REMOTE_NODE_MEMORY_STATS_MAX`.
const NODE_STATS_MAX: usize = 16;

impl RemoteDriver {
    /// The `nparams` protocol of the node stats calls: ask how many with 0, then fetch that
    /// many, as libvirt's callers do.
    async fn node_stats<C, P>(
        &self,
        args: impl Fn(i32) -> C::Args,
        unpack: impl Fn(C::Ret) -> (Vec<P>, i32),
        function: &str,
    ) -> Result<Vec<NodeStat>>
    where
        C: rvirt_proto::RemoteCall,
        P: Into<NodeStat>,
    {
        let (_, n) = unpack(self.client.call::<C>(&args(0)).await?);
        if n <= 0 {
            return Ok(Vec::new());
        }
        let (params, _) = unpack(self.client.call::<C>(&args(n)).await?);
        if params.len() > NODE_STATS_MAX || params.len() > n as usize {
            return Err(remote_rpc(format!(
                "{function}: returned number of stats exceeds limit"
            )));
        }
        Ok(params.into_iter().map(Into::into).collect())
    }
}

impl HostDriver for RemoteDriver {
    async fn connect_get_type(&self) -> Result<String> {
        if let Some(t) = self.driver_type.get() {
            return Ok(t.clone());
        }
        let t = self
            .client
            .call::<calls::ConnectGetType>(&())
            .await?
            .r#type
            .into_inner();
        Ok(self.driver_type.get_or_init(|| t).clone())
    }

    async fn connect_get_version(&self) -> Result<u64> {
        Ok(self
            .client
            .call::<calls::ConnectGetVersion>(&())
            .await?
            .hv_ver)
    }

    async fn connect_get_hostname(&self) -> Result<String> {
        Ok(self
            .client
            .call::<calls::ConnectGetHostname>(&())
            .await?
            .hostname
            .into_inner())
    }

    /// The URI the caller opened, as libvirt's client answers without asking the server.
    async fn connect_get_uri(&self) -> Result<String> {
        Ok(self.uri.clone())
    }

    one_call_methods! {
        fn connect_get_max_vcpus(virt_type: Option<&str>) -> i32
            = ConnectGetMaxVcpus(ConnectGetMaxVcpusArgs {
                r#type: opt_string(virt_type)?,
            }) => |r| r.max_vcpus;
    }

    async fn connect_get_capabilities(&self) -> Result<String> {
        Ok(self
            .client
            .call::<calls::ConnectGetCapabilities>(&())
            .await?
            .capabilities
            .into_inner())
    }

    one_call_methods! {
        fn connect_domain_xml_to_native(format: &str, xml: &str, flags: u32) -> String
            = ConnectDomainXmlToNative(ConnectDomainXmlToNativeArgs {
                native_format: string(format)?,
                domain_xml: string(xml)?,
                flags,
            }) => |r| r.native_config.into_inner();
        fn connect_get_domain_capabilities(emulatorbin: Option<&str>, arch: Option<&str>, machine: Option<&str>, virttype: Option<&str>, flags: u32) -> String
            = ConnectGetDomainCapabilities(ConnectGetDomainCapabilitiesArgs {
                emulatorbin: opt_string(emulatorbin)?,
                arch: opt_string(arch)?,
                machine: opt_string(machine)?,
                virttype: opt_string(virttype)?,
                flags,
            }) => |r| r.capabilities.into_inner();
    }

    async fn connect_get_sysinfo(&self, flags: u32) -> Result<String> {
        Ok(self
            .client
            .call::<calls::ConnectGetSysinfo>(&ConnectGetSysinfoArgs { flags })
            .await?
            .sysinfo
            .into_inner())
    }

    /// Secure when both the transport and the server's own connection are.
    async fn connect_is_secure(&self) -> Result<bool> {
        let r = self.client.call::<calls::ConnectIsSecure>(&()).await?;
        Ok(self.secure && r.secure != 0)
    }

    /// Encrypted when the transport encrypts (only TLS does, which rvirt does not offer yet)
    /// and the server's connection is secure; the server is asked all the same, as libvirt
    /// asks it.
    async fn connect_is_encrypted(&self) -> Result<bool> {
        let _secure = self.client.call::<calls::ConnectIsSecure>(&()).await?;
        Ok(false)
    }

    async fn connect_is_alive(&self) -> Result<bool> {
        Ok(self.client.is_open())
    }

    async fn connect_set_keep_alive(&self, interval: i32, count: u32) -> Result<i32> {
        // As libvirt's remote driver: a server without keepalive is told apart by 1.
        let interval = u64::try_from(interval)
            .ok()
            .filter(|&i| i > 0)
            .map(std::time::Duration::from_secs);
        Ok(if self.set_keepalive(interval, count) {
            0
        } else {
            1
        })
    }

    async fn connect_register_close_callback(&self, callback: CloseCallback) -> Result<()> {
        self.client.check_close_callback_free()?;
        if self.server_close_callback {
            self.client
                .call::<calls::ConnectRegisterCloseCallback>(&())
                .await?;
        }
        self.client.set_close_callback(callback)
    }

    async fn connect_unregister_close_callback(&self) -> Result<()> {
        self.client.check_close_callback_set()?;
        if self.server_close_callback {
            self.client
                .call::<calls::ConnectUnregisterCloseCallback>(&())
                .await?;
        }
        self.client.clear_close_callback();
        Ok(())
    }

    async fn connect_supports_feature(&self, feature: i32) -> Result<bool> {
        if feature == FEATURE_REMOTE {
            return Ok(true);
        }
        let r = self
            .client
            .call::<calls::ConnectSupportsFeature>(&ConnectSupportsFeatureArgs { feature })
            .await?;
        Ok(r.supported != 0)
    }

    async fn node_get_info(&self) -> Result<NodeInfo> {
        Ok(self.client.call::<calls::NodeGetInfo>(&()).await?.into())
    }

    async fn node_get_cells_free_memory(&self, start: i32, max: i32) -> Result<Vec<u64>> {
        if max > NODE_MAX_CELLS {
            return Err(remote_rpc(format!(
                "too many NUMA cells: {max} > {NODE_MAX_CELLS}"
            )));
        }
        let args = NodeGetCellsFreeMemoryArgs {
            start_cell: start,
            maxcells: max,
        };
        Ok(self
            .client
            .call::<calls::NodeGetCellsFreeMemory>(&args)
            .await?
            .cells
            .into_inner())
    }

    async fn node_get_free_memory(&self) -> Result<u64> {
        Ok(self
            .client
            .call::<calls::NodeGetFreeMemory>(&())
            .await?
            .free_mem)
    }

    one_call_methods! {
        fn node_get_cpu_map(flags: u32) -> CpuMap
            = NodeGetCpuMap(NodeGetCpuMapArgs {
                need_map: 1,
                need_online: 1,
                flags,
            }) => |r| CpuMap { cpus: u32::try_from(r.ret).unwrap_or(0), map: r.cpumap.into_inner(), online: r.online, };
    }

    async fn node_get_cpu_stats(&self, cpu: i32, flags: u32) -> Result<Vec<NodeStat>> {
        self.node_stats::<calls::NodeGetCpuStats, _>(
            |nparams| NodeGetCpuStatsArgs {
                cpu_num: cpu,
                nparams,
                flags,
            },
            |r| (r.params.into_inner(), r.nparams),
            "remoteNodeGetCPUStats",
        )
        .await
    }

    async fn node_get_memory_stats(&self, cell: i32, flags: u32) -> Result<Vec<NodeStat>> {
        self.node_stats::<calls::NodeGetMemoryStats, _>(
            |nparams| NodeGetMemoryStatsArgs {
                nparams,
                cell_num: cell,
                flags,
            },
            |r| (r.params.into_inner(), r.nparams),
            "remoteNodeGetMemoryStats",
        )
        .await
    }

    async fn node_get_security_model(&self) -> Result<SecurityModel> {
        Ok(self
            .client
            .call::<calls::NodeGetSecurityModel>(&())
            .await?
            .into())
    }

    one_call_methods! {
        fn connect_get_cpu_model_names(arch: &str, flags: u32) -> Vec<String>
            = ConnectGetCpuModelNames(ConnectGetCpuModelNamesArgs {
                arch: string(arch)?,
                need_results: 1,
                flags,
            }) => |r| r.models .into_inner() .into_iter() .map(|m| m.into_inner()) .collect();
        fn connect_baseline_cpu(xml_cpus: &[String], flags: u32) -> String
            = ConnectBaselineCpu(ConnectBaselineCpuArgs {
                xml_cp_us: string_list("xmlCPUs", xml_cpus)?,
                flags,
            }) => |r| r.cpu.into_inner();
        fn connect_compare_cpu(xml: &str, flags: u32) -> i32
            = ConnectCompareCpu(ConnectCompareCpuArgs {
                xml: string(xml)?,
                flags,
            }) => |r| r.result;
        fn connect_compare_hypervisor_cpu(emulator: Option<&str>, arch: Option<&str>, machine: Option<&str>, virttype: Option<&str>, xml: &str, flags: u32) -> i32
            = ConnectCompareHypervisorCpu(ConnectCompareHypervisorCpuArgs {
                emulator: opt_string(emulator)?,
                arch: opt_string(arch)?,
                machine: opt_string(machine)?,
                virttype: opt_string(virttype)?,
                xml_cpu: string(xml)?,
                flags,
            }) => |r| r.result;
        fn connect_baseline_hypervisor_cpu(emulator: Option<&str>, arch: Option<&str>, machine: Option<&str>, virttype: Option<&str>, xml_cpus: &[String], flags: u32) -> String
            = ConnectBaselineHypervisorCpu(ConnectBaselineHypervisorCpuArgs {
                emulator: opt_string(emulator)?,
                arch: opt_string(arch)?,
                machine: opt_string(machine)?,
                virttype: opt_string(virttype)?,
                xml_cp_us: string_list("xmlCPUs", xml_cpus)?,
                flags,
            }) => |r| r.cpu.into_inner();
    }

    async fn node_get_free_pages(
        &self,
        pages: &[u32],
        start_cell: i32,
        cell_count: u32,
        flags: u32,
    ) -> Result<Vec<u64>> {
        // libvirt's client multiplies in unsigned 32-bit arithmetic and prints the product
        // signed.
        let cells = (pages.len() as u32).wrapping_mul(cell_count);
        if cells > NODE_MAX_CELLS as u32 {
            return Err(remote_rpc(format!(
                "too many NUMA cells: {} > {NODE_MAX_CELLS}",
                cells as i32
            )));
        }
        let args = NodeGetFreePagesArgs {
            pages: list(pages.to_vec())?,
            start_cell,
            cell_count,
            flags,
        };
        Ok(self
            .client
            .call::<calls::NodeGetFreePages>(&args)
            .await?
            .counts
            .into_inner())
    }
}
