//! Connection and host procedures.

use super::internal;
use super::wire::opt;
use crate::session::Session;
use rvirt::NodeStat;
use rvirt::{Connect, Error, ErrorDomain, ErrorNumber, Result};
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use rvirt_xdr::{BoundedOpaque, BoundedVec};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// `VIR_CONNECT_RO`
const CONNECT_RO: u32 = 1;

use rvirt_driver::{
    FEATURE_FD_PASSING, FEATURE_PROGRAM_KEEPALIVE, FEATURE_REMOTE_CLOSE_CALLBACK,
    FEATURE_REMOTE_EVENT_CALLBACK,
};

/// Whether `uri` names a driver running here: no transport (`driver+transport:`) and no host.
/// A client must not make the daemon a client of something else: such URIs would reach the
/// remote driver inside the daemon, which runs commands and opens sockets on the client's word
/// (`?command=`, `?socket=`). libvirtd declines them when they lack a host; rvirtd declines them
/// all.
fn is_local(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        // No scheme: an alias or the default, resolved by the drivers.
        return !uri.contains('/');
    };
    if scheme.contains('+') {
        return false;
    }
    match rest.strip_prefix("//") {
        Some(after) => after.is_empty() || after.starts_with('/'),
        None => true,
    }
}

pub async fn connect_open(s: Arc<Session>, a: ConnectOpenArgs) -> Result<()> {
    if s.conn.lock().is_some() {
        return Err(internal("connection already open"));
    }
    let uri = opt(&a.name).unwrap_or("");
    if !is_local(uri) {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::NO_CONNECT,
            uri,
        ));
    }
    let read_only = s.from_ro_socket || a.flags & CONNECT_RO != 0;
    let conn = if read_only {
        Connect::open_read_only(uri).await?
    } else {
        Connect::open(uri).await?
    };
    let mut slot = s.conn.lock();
    if slot.is_some() {
        return Err(internal("connection already open"));
    }
    *slot = Some(conn);
    Ok(())
}

pub async fn connect_close(_s: Arc<Session>, _a: ()) -> Result<()> {
    // The connection goes when the client disconnects, as in libvirtd.
    Ok(())
}

/// Clients ask to hear when the hypervisor connection closes under them. rvirt's drivers never
/// close a connection by themselves, so there is nothing to send; the registration is accepted.
pub async fn register_close_callback(s: Arc<Session>, _a: ()) -> Result<()> {
    s.conn().map(|_| ())
}

/// See [`register_close_callback`].
pub async fn unregister_close_callback(s: Arc<Session>, _a: ()) -> Result<()> {
    s.conn().map(|_| ())
}

pub async fn auth_list(_s: Arc<Session>, _a: ()) -> Result<AuthListRet> {
    // Unix sockets need no authentication, and on TLS the client certificate checked before the
    // first call is the authentication (libvirtd's default `auth_tls = "none"`):
    // REMOTE_AUTH_NONE on every listener.
    Ok(AuthListRet {
        types: bounded([0]),
    })
}

pub async fn supports_feature(
    s: Arc<Session>,
    a: ConnectSupportsFeatureArgs,
) -> Result<ConnectSupportsFeatureRet> {
    let supported = match a.feature {
        FEATURE_PROGRAM_KEEPALIVE => {
            s.keepalive.store(true, Ordering::Relaxed);
            true
        }
        f => {
            let conn = s.conn()?;
            match f {
                // libvirtd claims these on every socket; a TCP or TLS client finds out that its
                // socket cannot carry descriptors when it tries.
                FEATURE_FD_PASSING
                | FEATURE_REMOTE_EVENT_CALLBACK
                | FEATURE_REMOTE_CLOSE_CALLBACK => true,
                _ => conn.supports_feature(f).await?,
            }
        }
    };
    Ok(ConnectSupportsFeatureRet {
        supported: i32::from(supported),
    })
}

pub async fn get_type(s: Arc<Session>, _a: ()) -> Result<ConnectGetTypeRet> {
    Ok(ConnectGetTypeRet {
        r#type: nonnull(&s.conn()?.get_type().await?),
    })
}

pub async fn get_version(s: Arc<Session>, _a: ()) -> Result<ConnectGetVersionRet> {
    Ok(ConnectGetVersionRet {
        hv_ver: s.conn()?.get_version().await?,
    })
}

pub async fn get_lib_version(s: Arc<Session>, _a: ()) -> Result<ConnectGetLibVersionRet> {
    Ok(ConnectGetLibVersionRet {
        lib_ver: s.conn()?.get_lib_version().await?,
    })
}

pub async fn get_hostname(s: Arc<Session>, _a: ()) -> Result<ConnectGetHostnameRet> {
    Ok(ConnectGetHostnameRet {
        hostname: nonnull(&s.conn()?.get_hostname().await?),
    })
}

pub async fn get_uri(s: Arc<Session>, _a: ()) -> Result<ConnectGetUriRet> {
    Ok(ConnectGetUriRet {
        uri: nonnull(&s.conn()?.get_uri().await?),
    })
}

pub async fn get_max_vcpus(
    s: Arc<Session>,
    a: ConnectGetMaxVcpusArgs,
) -> Result<ConnectGetMaxVcpusRet> {
    Ok(ConnectGetMaxVcpusRet {
        max_vcpus: s.conn()?.get_max_vcpus(opt(&a.r#type)).await?,
    })
}

pub async fn get_capabilities(s: Arc<Session>, _a: ()) -> Result<ConnectGetCapabilitiesRet> {
    Ok(ConnectGetCapabilitiesRet {
        capabilities: nonnull(&s.conn()?.get_capabilities().await?),
    })
}

pub async fn get_domain_capabilities(
    s: Arc<Session>,
    a: ConnectGetDomainCapabilitiesArgs,
) -> Result<ConnectGetDomainCapabilitiesRet> {
    let caps = s
        .conn()?
        .get_domain_capabilities(
            opt(&a.emulatorbin),
            opt(&a.arch),
            opt(&a.machine),
            opt(&a.virttype),
            a.flags,
        )
        .await?;
    Ok(ConnectGetDomainCapabilitiesRet {
        capabilities: nonnull(&caps),
    })
}

pub async fn get_sysinfo(
    s: Arc<Session>,
    a: ConnectGetSysinfoArgs,
) -> Result<ConnectGetSysinfoRet> {
    Ok(ConnectGetSysinfoRet {
        sysinfo: nonnull(&s.conn()?.get_sysinfo(a.flags).await?),
    })
}

pub async fn domain_xml_to_native(
    s: Arc<Session>,
    a: ConnectDomainXmlToNativeArgs,
) -> Result<ConnectDomainXmlToNativeRet> {
    let native = s
        .conn()?
        .domain_xml_to_native(&a.native_format, &a.domain_xml, a.flags)
        .await?;
    Ok(ConnectDomainXmlToNativeRet {
        native_config: nonnull(&native),
    })
}

pub async fn is_secure(s: Arc<Session>, _a: ()) -> Result<ConnectIsSecureRet> {
    Ok(ConnectIsSecureRet {
        secure: i32::from(s.conn()?.is_secure().await?),
    })
}

pub async fn node_get_info(s: Arc<Session>, _a: ()) -> Result<NodeGetInfoRet> {
    Ok((&s.conn()?.node_get_info().await?).into())
}

/// `REMOTE_NODE_MAX_CELLS`.
const NODE_MAX_CELLS: u32 = 1024;

pub async fn node_get_cells_free_memory(
    s: Arc<Session>,
    a: NodeGetCellsFreeMemoryArgs,
) -> Result<NodeGetCellsFreeMemoryRet> {
    if a.maxcells > NODE_MAX_CELLS as i32 {
        return Err(internal("maxCells > REMOTE_NODE_MAX_CELLS"));
    }
    let cells = s
        .conn()?
        .node_get_cells_free_memory(a.start_cell, a.maxcells)
        .await?;
    Ok(NodeGetCellsFreeMemoryRet {
        cells: bounded(cells),
    })
}

pub async fn node_get_free_memory(s: Arc<Session>, _a: ()) -> Result<NodeGetFreeMemoryRet> {
    Ok(NodeGetFreeMemoryRet {
        free_mem: s.conn()?.node_get_free_memory().await?,
    })
}

pub async fn node_get_cpu_map(s: Arc<Session>, a: NodeGetCpuMapArgs) -> Result<NodeGetCpuMapRet> {
    let m = s.conn()?.node_get_cpu_map(a.flags).await?;
    Ok(NodeGetCpuMapRet {
        cpumap: if a.need_map != 0 {
            BoundedOpaque::new(m.map).map_err(|_| internal("cpumap too large"))?
        } else {
            BoundedOpaque::default()
        },
        online: if a.need_online != 0 { m.online } else { 0 },
        ret: m.cpus as i32,
    })
}

/// The `nparams` protocol of the stats calls: 0 asks how many there are.
fn check_nparams(nparams: i32) -> Result<usize> {
    if !(0..=16).contains(&nparams) {
        return Err(internal("nparams too large"));
    }
    Ok(nparams as usize)
}

/// The reply to a node stats call asking for `want` parameters: with 0, none and how many there
/// are; otherwise at most `want` of them and how many were sent.
fn stats_reply<T>(stats: &[NodeStat], want: usize) -> (BoundedVec<T, 16>, i32)
where
    T: for<'a> From<&'a NodeStat>,
{
    if want == 0 {
        return (BoundedVec::default(), stats.len() as i32);
    }
    let params: BoundedVec<T, 16> = bounded(stats.iter().take(want).map(Into::into));
    let n = params.len() as i32;
    (params, n)
}

pub async fn node_get_cpu_stats(
    s: Arc<Session>,
    a: NodeGetCpuStatsArgs,
) -> Result<NodeGetCpuStatsRet> {
    let want = check_nparams(a.nparams)?;
    // Counting the fields does not depend on the CPU, and libvirt's drivers do not check the
    // CPU number until the values are read: ask for the total when only counting.
    let cpu = if want == 0 && a.cpu_num >= 0 {
        -1
    } else {
        a.cpu_num
    };
    let stats = s.conn()?.node_get_cpu_stats(cpu, a.flags).await?;
    let (params, nparams) = stats_reply(&stats, want);
    Ok(NodeGetCpuStatsRet { params, nparams })
}

pub async fn node_get_memory_stats(
    s: Arc<Session>,
    a: NodeGetMemoryStatsArgs,
) -> Result<NodeGetMemoryStatsRet> {
    let want = check_nparams(a.nparams)?;
    let stats = s.conn()?.node_get_memory_stats(a.cell_num, a.flags).await?;
    let (params, nparams) = stats_reply(&stats, want);
    Ok(NodeGetMemoryStatsRet { params, nparams })
}

pub async fn node_get_security_model(s: Arc<Session>, _a: ()) -> Result<NodeGetSecurityModelRet> {
    Ok((&s.conn()?.node_get_security_model().await?).into())
}

/// The CPU documents of a baseline call. libvirtd decodes an empty list as a NULL one, which
/// libvirt's public API (`function`) refuses before any driver sees it.
fn cpu_list(
    list: BoundedVec<rvirt_xdr::RemoteNonnullString, 256>,
    function: &str,
) -> Result<Vec<String>> {
    let cpus: Vec<String> = list
        .into_inner()
        .into_iter()
        .map(|c| c.into_inner())
        .collect();
    if cpus.is_empty() {
        return Err(Error::invalid_arg_raw(
            ErrorDomain::DOMAIN,
            function,
            "xmlCPUs",
            format!("xmlCPUs in {function} must not be NULL"),
        ));
    }
    Ok(cpus)
}

pub async fn baseline_cpu(
    s: Arc<Session>,
    a: ConnectBaselineCpuArgs,
) -> Result<ConnectBaselineCpuRet> {
    let cpus = cpu_list(a.xml_cp_us, "virConnectBaselineCPU")?;
    let cpu = s.conn()?.baseline_cpu(&cpus, a.flags).await?;
    Ok(ConnectBaselineCpuRet { cpu: nonnull(&cpu) })
}

pub async fn compare_cpu(
    s: Arc<Session>,
    a: ConnectCompareCpuArgs,
) -> Result<ConnectCompareCpuRet> {
    let result = s.conn()?.compare_cpu(&a.xml.into_inner(), a.flags).await?;
    Ok(ConnectCompareCpuRet { result })
}

pub async fn compare_hypervisor_cpu(
    s: Arc<Session>,
    a: ConnectCompareHypervisorCpuArgs,
) -> Result<ConnectCompareHypervisorCpuRet> {
    let result = s
        .conn()?
        .compare_hypervisor_cpu(
            opt(&a.emulator),
            opt(&a.arch),
            opt(&a.machine),
            opt(&a.virttype),
            &a.xml_cpu.into_inner(),
            a.flags,
        )
        .await?;
    Ok(ConnectCompareHypervisorCpuRet { result })
}

pub async fn baseline_hypervisor_cpu(
    s: Arc<Session>,
    a: ConnectBaselineHypervisorCpuArgs,
) -> Result<ConnectBaselineHypervisorCpuRet> {
    let cpus = cpu_list(a.xml_cp_us, "virConnectBaselineHypervisorCPU")?;
    let cpu = s
        .conn()?
        .baseline_hypervisor_cpu(
            opt(&a.emulator),
            opt(&a.arch),
            opt(&a.machine),
            opt(&a.virttype),
            &cpus,
            a.flags,
        )
        .await?;
    Ok(ConnectBaselineHypervisorCpuRet { cpu: nonnull(&cpu) })
}

/// `REMOTE_CONNECT_CPU_MODELS_MAX`.
const CPU_MODELS_MAX: usize = 8192;

pub async fn get_cpu_model_names(
    s: Arc<Session>,
    a: ConnectGetCpuModelNamesArgs,
) -> Result<ConnectGetCpuModelNamesRet> {
    let models = s
        .conn()?
        .get_cpu_model_names(a.arch.as_str(), a.flags)
        .await?;
    if models.len() > CPU_MODELS_MAX {
        return Err(Error::with_detail(
            ErrorDomain::RPC,
            ErrorNumber::RPC,
            format!(
                "Too many CPU models '{}' for limit '{CPU_MODELS_MAX}'",
                models.len()
            ),
        ));
    }
    Ok(ConnectGetCpuModelNamesRet {
        ret: models.len() as i32,
        models: if a.need_results != 0 {
            bounded(models.iter().map(|m| nonnull(m)))
        } else {
            Default::default()
        },
    })
}

pub async fn node_get_free_pages(
    s: Arc<Session>,
    a: NodeGetFreePagesArgs,
) -> Result<NodeGetFreePagesRet> {
    // libvirtd multiplies in unsigned 32-bit arithmetic.
    if (a.pages.len() as u32).wrapping_mul(a.cell_count) > NODE_MAX_CELLS {
        return Err(internal("the result won't fit into REMOTE_NODE_MAX_CELLS"));
    }
    let counts = s
        .conn()?
        .node_get_free_pages(&a.pages, a.start_cell, a.cell_count, a.flags)
        .await?;
    if counts.is_empty() {
        // libvirtd takes a call that filled no counts for a failure, though no error was
        // raised, and answers with its stock error for that.
        return Err(super::unset_error());
    }
    Ok(NodeGetFreePagesRet {
        counts: bounded(counts),
    })
}

#[cfg(test)]
mod tests {
    use super::is_local;

    #[test]
    fn only_local_uris_are_opened() {
        for uri in [
            "test:///default",
            "test:///tmp/node.xml",
            "qemu:///system",
            "",
        ] {
            assert!(is_local(uri), "{uri}");
        }
        for uri in [
            "test+ext:///default?command=/bin/sh",
            "test+unix:///default?socket=/run/other",
            "qemu://host/system",
            "qemu+ssh://root@host/system",
            "test://x/default",
        ] {
            assert!(!is_local(uri), "{uri}");
        }
    }
}
