//! Connections: URI dispatch to a driver, read-only enforcement, host and listing calls.

use crate::{Domain, DomainEvent};
use rvirt_driver::{CallbackId, DomainDriver, DomainRef, FEATURE_FD_PASSING, HostDriver};
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, Uuid};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The drivers this build knows. Only this crate knows the set (cargo features); calls dispatch
/// with a `match`, so no call pays for dynamic dispatch or a boxed future.
pub(crate) enum Backend {
    #[cfg(feature = "test-driver")]
    Test(Arc<rvirt_driver_test::TestDriver>),
    #[cfg(feature = "remote-driver")]
    Remote(Arc<rvirt_remote::RemoteDriver>),
    #[cfg(feature = "qemu-driver")]
    Qemu(Arc<rvirt_driver_qemu::QemuDriver>),
}

/// Calls the same driver method on whichever driver backs the connection.
macro_rules! dispatch {
    ($conn:expr, $d:ident => $call:expr) => {
        match &$conn.inner.backend {
            #[cfg(feature = "test-driver")]
            crate::connect::Backend::Test($d) => $call.await,
            #[cfg(feature = "remote-driver")]
            crate::connect::Backend::Remote($d) => $call.await,
            #[cfg(feature = "qemu-driver")]
            crate::connect::Backend::Qemu($d) => $call.await,
        }
    };
}
pub(crate) use dispatch;

pub(crate) struct Inner {
    pub(crate) uri: String,
    pub(crate) read_only: bool,
    pub(crate) backend: Backend,
    /// The event callbacks registered through this connection: only it may remove them, and
    /// they go when it closes (a driver may be shared by several connections).
    pub(crate) callbacks: parking_lot::Mutex<Vec<CallbackId>>,
    /// Storage pool event callbacks registered through this connection.
    pub(crate) storage_callbacks: crate::storage::Callbacks,
}

impl Drop for Inner {
    fn drop(&mut self) {
        crate::storage::deregister_on_close(&self.backend, self.storage_callbacks.drain());
        for id in self.callbacks.get_mut().drain(..) {
            // The test driver answers at once; nothing to wait for.
            let _ = match &self.backend {
                #[cfg(feature = "test-driver")]
                Backend::Test(d) => pollster::block_on(d.connect_domain_event_deregister_any(id))
                    .or_else(|_| {
                        use rvirt_driver::NetworkDriver;
                        pollster::block_on(d.connect_network_event_deregister_any(id))
                    })
                    .or_else(|_| {
                        use rvirt_driver::NodeDeviceDriver;
                        pollster::block_on(d.connect_node_device_event_deregister_any(id))
                    }),
                // Closing the connection ends its registrations on the server.
                #[cfg(feature = "remote-driver")]
                Backend::Remote(_) => Ok(()),
                // The QEMU driver refuses domain and network callbacks for now.
                #[cfg(feature = "qemu-driver")]
                Backend::Qemu(_) => Ok(()),
            };
        }
    }
}

/// Whether `uri` names libvirt's test driver in this process: scheme `test` with no transport
/// and no host (`test:///default`, `test:///PATH.xml`).
fn is_local_test_uri(uri: &str) -> bool {
    match uri.strip_prefix("test:") {
        Some(rest) => !rest.starts_with("//") || rest.starts_with("///"),
        None => false,
    }
}

/// Set in a daemon serving libvirt clients: see [`set_inside_daemon`].
static INSIDE_DAEMON: AtomicBool = AtomicBool::new(false);

/// Marks this process as a daemon that serves libvirt clients (rvirtd), as libvirt's daemons
/// mark themselves: a URI then goes to the remote driver only if it names a host or a socket
/// (`?socket=`), never for a local hypervisor URI such as `qemu:///system`, so that a daemon
/// asked for a driver it does not have answers `VIR_ERR_NO_CONNECT` instead of connecting to
/// its own socket.
///
/// A daemon's calls are tasks of its own runtime that never block a worker, so the QEMU
/// driver then runs on that runtime: its QEMU processes, monitors and watchers when this is
/// called inside the runtime before the driver is first used, its monitor exchanges in any
/// case (see `rvirt_driver_qemu::process::run_monitor_calls_on_caller_runtime`).
pub fn set_inside_daemon(inside: bool) {
    INSIDE_DAEMON.store(inside, Ordering::Relaxed);
    #[cfg(feature = "qemu-driver")]
    rvirt_driver_qemu::process::run_monitor_calls_on_caller_runtime(inside);
}

/// Whether `uri` names a daemon elsewhere: a host, or a socket to proxy to.
#[cfg(feature = "remote-driver")]
fn names_another_daemon(uri: &str) -> bool {
    rvirt_remote::uri::Uri::parse(uri).is_ok_and(|u| {
        u.server.is_some()
            || u.params
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case("socket"))
    })
}

/// The QEMU driver for `uri`, if this process serves it: `qemu:///embed?root=DIR` always,
/// `qemu:///system` only inside a daemon (elsewhere it goes to the daemon, as libvirt's client
/// library sends it).
#[cfg(feature = "qemu-driver")]
fn open_qemu(uri: &str) -> Result<Option<Arc<rvirt_driver_qemu::QemuDriver>>> {
    use rvirt_driver_qemu::QemuUri;
    match rvirt_driver_qemu::parse_uri(uri) {
        Some(Ok(QemuUri::System)) if !INSIDE_DAEMON.load(Ordering::Relaxed) => Ok(None),
        Some(Ok(_)) => rvirt_driver_qemu::QemuDriver::open(uri).map(Some),
        Some(Err(e)) => Err(e),
        None => Ok(None),
    }
}

/// Puts the state of `qemu:///system`, as a daemon serves it, under `root` (laid out as
/// `qemu:///embed?root=` is) instead of libvirt's system folders; `None` restores those.
#[cfg(feature = "qemu-driver")]
pub fn set_qemu_system_root(root: Option<std::path::PathBuf>) {
    rvirt_driver_qemu::set_system_root(root);
}

/// For a daemon as it stops: waits until the QEMU driver has removed what ended guests left
/// on the host (control groups, private folders), which it does on a thread of its own.
#[cfg(feature = "qemu-driver")]
pub fn finish_background_work() {
    rvirt_driver_qemu::wait_for_cleanup();
}

/// For a daemon as it starts: opens `qemu:///system` when its state holds domains or pools
/// marked autostart (which start then, as libvirtd's driver initialization does) or domains a
/// previous daemon left running (which are reattached then). The daemon keeps the connection
/// (and so the driver) for its lifetime.
#[cfg(feature = "qemu-driver")]
pub async fn open_qemu_system_at_start() -> Result<Option<Connect>> {
    if !rvirt_driver_qemu::system_needs_opening_at_start() {
        return Ok(None);
    }
    Connect::open("qemu:///system").await.map(Some)
}

/// `VIR_ERR_NO_CONNECT`: no driver of this build takes `uri`.
fn no_driver(uri: &str) -> Error {
    Error::with_detail(ErrorDomain::NONE, rvirt_types::ErrorNumber::NO_CONNECT, uri)
}

/// A connection to a hypervisor (`virConnectPtr`). Cheap to clone; every clone is the same
/// connection.
#[derive(Clone)]
pub struct Connect {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("uri", &self.inner.uri)
            .field("read_only", &self.inner.read_only)
            .finish()
    }
}

impl Connect {
    /// `virConnectOpen`: a read-write connection to the hypervisor named by `uri`.
    pub async fn open(uri: &str) -> Result<Connect> {
        Connect::open_with(uri, false).await
    }

    /// `virConnectOpenReadOnly`: a connection that may look but not change anything; every
    /// mutating call answers `VIR_ERR_OPERATION_DENIED`.
    pub async fn open_read_only(uri: &str) -> Result<Connect> {
        Connect::open_with(uri, true).await
    }

    /// Picks the driver as libvirt does in a process without local hypervisor drivers:
    /// `test:` URIs without a host or transport run in-process, everything else goes to a
    /// daemon through the remote driver.
    async fn open_with(uri: &str, read_only: bool) -> Result<Connect> {
        #[cfg(feature = "qemu-driver")]
        if let Some(d) = open_qemu(uri)? {
            return Ok(Connect::with_backend(uri, read_only, Backend::Qemu(d)));
        }
        let backend = if is_local_test_uri(uri) {
            #[cfg(feature = "test-driver")]
            let b = Backend::Test(rvirt_driver_test::TestDriver::open(uri)?);
            #[cfg(not(feature = "test-driver"))]
            let b = return Err(no_driver(uri));
            b
        } else {
            #[cfg(feature = "remote-driver")]
            let b = {
                if INSIDE_DAEMON.load(Ordering::Relaxed) && !names_another_daemon(uri) {
                    return Err(no_driver(uri));
                }
                Backend::Remote(rvirt_remote::RemoteDriver::open(uri, read_only).await?)
            };
            #[cfg(not(feature = "remote-driver"))]
            let b = return Err(no_driver(uri));
            b
        };
        Ok(Connect::with_backend(uri, read_only, backend))
    }

    fn with_backend(uri: &str, read_only: bool, backend: Backend) -> Connect {
        Connect {
            inner: Arc::new(Inner {
                uri: uri.to_string(),
                read_only,
                backend,
                callbacks: parking_lot::Mutex::new(Vec::new()),
                storage_callbacks: Default::default(),
            }),
        }
    }

    /// Refuses `function` on a read-only connection, as libvirt's public API does.
    pub(crate) fn check_rw(&self, function: &str) -> Result<()> {
        self.check_rw_in(ErrorDomain::DOMAIN, function)
    }

    /// [`Connect::check_rw`] for a function of another module (snapshots report from their own
    /// error domain).
    pub(crate) fn check_rw_in(&self, domain: ErrorDomain, function: &str) -> Result<()> {
        if self.inner.read_only {
            Err(Error::read_only(domain, function))
        } else {
            Ok(())
        }
    }

    /// libvirt's internal `virConnectSupportsFeature`: whether the driver has the optional
    /// behaviour `feature` (a `VIR_DRV_FEATURE_*` value). Daemons answer clients' feature
    /// queries with it.
    pub async fn supports_feature(&self, feature: i32) -> Result<bool> {
        dispatch!(self, d => d.connect_supports_feature(feature))
    }

    /// Whether calls update the handles they go through as libvirt's drivers in a process do
    /// (a stopped domain's handle says -1), rather than as libvirt's remote client does (which
    /// resets the id after some calls only, and renames the handle a rename went through).
    pub(crate) fn handles_follow_driver(&self) -> bool {
        match &self.inner.backend {
            #[cfg(feature = "test-driver")]
            Backend::Test(_) => true,
            #[cfg(feature = "remote-driver")]
            Backend::Remote(_) => false,
            #[cfg(feature = "qemu-driver")]
            Backend::Qemu(_) => true,
        }
    }

    /// Whether the connection is read-only.
    pub fn is_read_only(&self) -> bool {
        self.inner.read_only
    }

    /// `virGetDomain`: a handle for a domain known by name, UUID and id, made without asking the
    /// driver. This is how a daemon turns a domain reference received from a client back into a
    /// handle; calls through it answer `VIR_ERR_NO_DOMAIN` if no such domain exists.
    pub fn domain_handle(&self, name: &str, uuid: Uuid, id: i32) -> Domain {
        self.domain(DomainRef {
            name: name.into(),
            uuid,
            id,
        })
    }

    pub(crate) fn domain(&self, r: DomainRef) -> Domain {
        Domain::new(self.clone(), r)
    }

    fn domains(&self, refs: Vec<DomainRef>) -> Vec<Domain> {
        refs.into_iter().map(|r| self.domain(r)).collect()
    }

    /// `virConnectGetType`: the driver's name, e.g. `TEST`.
    pub async fn get_type(&self) -> Result<String> {
        dispatch!(self, d => d.connect_get_type())
    }

    /// `virConnectGetVersion`: the hypervisor's version number.
    pub async fn get_version(&self) -> Result<u64> {
        dispatch!(self, d => d.connect_get_version())
    }

    /// `virConnectGetLibVersion`: the libvirt API version this library implements.
    pub async fn get_lib_version(&self) -> Result<u64> {
        Ok(crate::LIBVIRT_API_VERSION)
    }

    /// `virConnectGetHostname`.
    pub async fn get_hostname(&self) -> Result<String> {
        dispatch!(self, d => d.connect_get_hostname())
    }

    /// `virConnectGetURI`.
    pub async fn get_uri(&self) -> Result<String> {
        dispatch!(self, d => d.connect_get_uri())
    }

    /// `virConnectGetMaxVcpus` for a domain type (`None` for the default).
    pub async fn get_max_vcpus(&self, virt_type: Option<&str>) -> Result<i32> {
        dispatch!(self, d => d.connect_get_max_vcpus(virt_type))
    }

    /// `virConnectGetCapabilities`: the capabilities XML.
    pub async fn get_capabilities(&self) -> Result<String> {
        dispatch!(self, d => d.connect_get_capabilities())
    }

    /// `virConnectGetDomainCapabilities`: what a domain of type `virttype` for architecture
    /// `arch` and machine type `machine`, run by emulator `emulatorbin`, can use (`None` picks
    /// the driver's default for each), as a `<domainCapabilities>` document. Refused on a
    /// read-only connection, as in libvirt.
    pub async fn get_domain_capabilities(
        &self,
        emulatorbin: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        self.check_rw("virConnectGetDomainCapabilities")?;
        dispatch!(self, d => d.connect_get_domain_capabilities(emulatorbin, arch, machine, virttype, flags))
    }

    /// `virConnectDomainXMLToNative`: what the hypervisor would run for domain `xml`, in
    /// `format` (the QEMU driver's `qemu-argv`: the command line).
    pub async fn domain_xml_to_native(
        &self,
        format: &str,
        xml: &str,
        flags: u32,
    ) -> Result<String> {
        self.check_rw("virConnectDomainXMLToNative")?;
        dispatch!(self, d => d.connect_domain_xml_to_native(format, xml, flags))
    }

    /// `virConnectGetSysinfo`: the host's SMBIOS data as XML.
    pub async fn get_sysinfo(&self, flags: u32) -> Result<String> {
        dispatch!(self, d => d.connect_get_sysinfo(flags))
    }

    /// `virConnectIsSecure`.
    pub async fn is_secure(&self) -> Result<bool> {
        dispatch!(self, d => d.connect_is_secure())
    }

    /// `virConnectIsEncrypted`.
    pub async fn is_encrypted(&self) -> Result<bool> {
        dispatch!(self, d => d.connect_is_encrypted())
    }

    /// `virConnectIsAlive`.
    pub async fn is_alive(&self) -> Result<bool> {
        dispatch!(self, d => d.connect_is_alive())
    }

    /// `virConnectSetKeepAlive`: for a connection to a daemon, probe it after `interval` seconds
    /// of silence and close the connection after `count` unanswered probes; `interval <= 0`
    /// stops probing. Returns 0, or 1 when the daemon does not support keepalive. Local drivers
    /// answer `VIR_ERR_NO_SUPPORT`, as libvirt's do.
    pub async fn set_keep_alive(&self, interval: i32, count: u32) -> Result<i32> {
        dispatch!(self, d => d.connect_set_keep_alive(interval, count))
    }

    /// `virConnectRegisterCloseCallback`: `callback` is called once, with the reason, when the
    /// connection closes other than by the caller dropping it (the daemon went
    /// away, a read failed, keepalive gave up). `VIR_ERR_OPERATION_INVALID` if one is
    /// registered already. Local drivers accept it and never call it, as libvirt's do.
    pub async fn register_close_callback(
        &self,
        callback: impl Fn(rvirt_types::host::ConnectCloseReason) + Send + Sync + 'static,
    ) -> Result<()> {
        let callback: rvirt_driver::CloseCallback = std::sync::Arc::new(callback);
        dispatch!(self, d => d.connect_register_close_callback(callback.clone()))
    }

    /// `virConnectUnregisterCloseCallback`: forgets the close callback;
    /// `VIR_ERR_OPERATION_INVALID` if the connection has none.
    pub async fn unregister_close_callback(&self) -> Result<()> {
        dispatch!(self, d => d.connect_unregister_close_callback())
    }

    /// `virNodeGetInfo`.
    pub async fn node_get_info(&self) -> Result<NodeInfo> {
        dispatch!(self, d => d.node_get_info())
    }

    /// `virNodeGetCellsFreeMemory`.
    pub async fn node_get_cells_free_memory(
        &self,
        start_cell: i32,
        max_cells: i32,
    ) -> Result<Vec<u64>> {
        let function = "virNodeGetCellsFreeMemory";
        crate::args::positive(function, "maxCells", max_cells.into())?;
        crate::args::non_negative(function, "startCell", start_cell.into())?;
        dispatch!(self, d => d.node_get_cells_free_memory(start_cell, max_cells))
    }

    /// `virNodeGetFreeMemory`.
    pub async fn node_get_free_memory(&self) -> Result<u64> {
        dispatch!(self, d => d.node_get_free_memory())
    }

    /// `virNodeGetCPUMap`.
    pub async fn node_get_cpu_map(&self, flags: u32) -> Result<CpuMap> {
        dispatch!(self, d => d.node_get_cpu_map(flags))
    }

    /// `virNodeGetCPUStats` for one CPU, or the total with -1.
    pub async fn node_get_cpu_stats(&self, cpu: i32, flags: u32) -> Result<Vec<NodeStat>> {
        crate::args::minus_one_or_more("virNodeGetCPUStats", "cpuNum", "cpuNum", cpu)?;
        dispatch!(self, d => d.node_get_cpu_stats(cpu, flags))
    }

    /// `virNodeGetMemoryStats` for one cell, or the total with -1.
    pub async fn node_get_memory_stats(&self, cell: i32, flags: u32) -> Result<Vec<NodeStat>> {
        crate::args::minus_one_or_more("virNodeGetMemoryStats", "cellNum", "cpuNum", cell)?;
        dispatch!(self, d => d.node_get_memory_stats(cell, flags))
    }

    /// `virNodeGetSecurityModel`.
    pub async fn node_get_security_model(&self) -> Result<SecurityModel> {
        dispatch!(self, d => d.node_get_security_model())
    }

    /// `virNodeGetFreePages`: how many pages of each size in `pages` (KiB) are free on cells
    /// `start_cell..start_cell+cell_count`, all sizes of one cell before the next cell. Holds as
    /// many counts as the driver filled, which may be fewer than asked for.
    pub async fn node_get_free_pages(
        &self,
        pages: &[u32],
        start_cell: i32,
        cell_count: u32,
        flags: u32,
    ) -> Result<Vec<u64>> {
        let function = "virNodeGetFreePages";
        crate::args::non_zero(function, "npages", pages.len() as u64)?;
        crate::args::non_zero(function, "cellCount", cell_count.into())?;
        dispatch!(self, d => d.node_get_free_pages(pages, start_cell, cell_count, flags))
    }

    /// `virConnectGetCPUModelNames`: the CPU models the hypervisor knows for architecture `arch`
    /// (an empty list when it accepts any model).
    pub async fn get_cpu_model_names(&self, arch: &str, flags: u32) -> Result<Vec<String>> {
        dispatch!(self, d => d.connect_get_cpu_model_names(arch, flags))
    }

    /// `virConnectBaselineCPU`: the guest CPU that every host CPU of `xml_cpus` (one `<cpu>`
    /// document each) can run, as CPU XML (`flags`: `VIR_CONNECT_BASELINE_CPU_*`).
    pub async fn baseline_cpu(&self, xml_cpus: &[String], flags: u32) -> Result<String> {
        dispatch!(self, d => d.connect_baseline_cpu(xml_cpus, flags))
    }

    /// `virConnectCompareCPU`: how the host's CPU compares with CPU `xml` (a `<cpu>`
    /// document): `VIR_CPU_COMPARE_*` (0 incompatible, 1 identical, 2 the host's a superset);
    /// `flags`: `VIR_CONNECT_COMPARE_CPU_*`.
    pub async fn compare_cpu(&self, xml: &str, flags: u32) -> Result<i32> {
        dispatch!(self, d => d.connect_compare_cpu(xml, flags))
    }

    /// `virConnectCompareHypervisorCPU`: how the CPU the hypervisor can give a domain (of type
    /// `virttype`, architecture `arch`, machine type `machine`, run by `emulator`; `None`
    /// picks the driver's default for each) compares with CPU `xml`. Refused on a read-only
    /// connection, as in libvirt.
    pub async fn compare_hypervisor_cpu(
        &self,
        emulator: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        xml: &str,
        flags: u32,
    ) -> Result<i32> {
        self.check_rw("virConnectCompareHypervisorCPU")?;
        dispatch!(self, d => d.connect_compare_hypervisor_cpu(emulator, arch, machine, virttype, xml, flags))
    }

    /// `virConnectBaselineHypervisorCPU`: the guest CPU every CPU of `xml_cpus` can run, of
    /// the models the hypervisor (chosen as for [`Connect::compare_hypervisor_cpu`]) offers,
    /// as CPU XML. Refused on a read-only connection, as in libvirt.
    pub async fn baseline_hypervisor_cpu(
        &self,
        emulator: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        xml_cpus: &[String],
        flags: u32,
    ) -> Result<String> {
        self.check_rw("virConnectBaselineHypervisorCPU")?;
        dispatch!(self, d => d.connect_baseline_hypervisor_cpu(emulator, arch, machine, virttype, xml_cpus, flags))
    }

    /// `virConnectListAllDomains`: every domain passing every flag group (an empty group passes
    /// everything), from one consistent snapshot.
    pub async fn list_all_domains(&self, flags: ConnectListAllDomainsFlags) -> Result<Vec<Domain>> {
        let refs = dispatch!(self, d => d.connect_list_all_domains(flags))?;
        Ok(self.domains(refs))
    }

    /// `virConnectListDomains`: the ids of running domains, at most `max_ids`.
    pub async fn list_domains(&self, max_ids: i32) -> Result<Vec<i32>> {
        dispatch!(self, d => d.connect_list_domains(max_ids))
    }

    /// `virConnectNumOfDomains`: the number of running domains.
    pub async fn num_of_domains(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_domains())
    }

    /// `virConnectListDefinedDomains`: names of inactive domains, at most `max_names`.
    pub async fn list_defined_domains(&self, max_names: i32) -> Result<Vec<String>> {
        dispatch!(self, d => d.connect_list_defined_domains(max_names))
    }

    /// `virConnectNumOfDefinedDomains`: the number of inactive domains.
    pub async fn num_of_defined_domains(&self) -> Result<i32> {
        dispatch!(self, d => d.connect_num_of_defined_domains())
    }

    /// `virDomainLookupByID`.
    pub async fn lookup_by_id(&self, id: i32) -> Result<Domain> {
        crate::args::non_negative("virDomainLookupByID", "id", id.into())?;
        let r = dispatch!(self, d => d.domain_lookup_by_id(id))?;
        Ok(self.domain(r))
    }

    /// `virDomainLookupByName`.
    pub async fn lookup_by_name(&self, name: &str) -> Result<Domain> {
        let r = dispatch!(self, d => d.domain_lookup_by_name(name))?;
        Ok(self.domain(r))
    }

    /// `virDomainLookupByUUID`.
    pub async fn lookup_by_uuid(&self, uuid: &Uuid) -> Result<Domain> {
        let r = dispatch!(self, d => d.domain_lookup_by_uuid(uuid))?;
        Ok(self.domain(r))
    }

    /// `virDomainLookupByUUIDString`.
    pub async fn lookup_by_uuid_string(&self, uuid: &str) -> Result<Domain> {
        let u = Uuid::parse(uuid).map_err(|_| {
            Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                "virDomainLookupByUUIDString",
                "uuidstr",
                "Invalid UUID".into(),
            )
        })?;
        self.lookup_by_uuid(&u).await
    }

    /// `virDomainDefineXML`.
    pub async fn define_xml(&self, xml: &str) -> Result<Domain> {
        self.check_rw("virDomainDefineXML")?;
        self.define_xml_flags(xml, DomainDefineFlags::empty()).await
    }

    /// `virDomainDefineXMLFlags`.
    pub async fn define_xml_flags(&self, xml: &str, flags: DomainDefineFlags) -> Result<Domain> {
        self.check_rw("virDomainDefineXMLFlags")?;
        let r = dispatch!(self, d => d.domain_define_xml(xml, flags))?;
        Ok(self.domain(r))
    }

    /// `virDomainCreateXML`: starts a transient domain.
    pub async fn create_xml(&self, xml: &str, flags: DomainCreateFlags) -> Result<Domain> {
        self.check_rw("virDomainCreateXML")?;
        let r = dispatch!(self, d => d.domain_create_xml(xml, flags))?;
        Ok(self.domain(r))
    }

    /// `virDomainCreateXMLWithFiles`: starts a transient domain, handing `files` to the guest
    /// (libvirt's QEMU driver passes them on for socket activation). Descriptors need a driver
    /// that takes them: with any, a connection whose driver does not is refused
    /// (`VIR_ERR_ARGUMENT_UNSUPPORTED`) before the call.
    pub async fn create_xml_with_files(
        &self,
        xml: &str,
        files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<Domain> {
        self.check_rw("virDomainCreateXMLWithFiles")?;
        self.check_fd_passing(files).await?;
        let r = dispatch!(self, d => d.domain_create_xml_with_files(xml, files, flags))?;
        Ok(self.domain(r))
    }

    /// libvirt's check before a call that passes descriptors: the driver must claim
    /// `VIR_DRV_FEATURE_FD_PASSING`.
    pub(crate) async fn check_fd_passing(&self, files: &[BorrowedFd<'_>]) -> Result<()> {
        if files.is_empty() || self.supports_feature(FEATURE_FD_PASSING).await? {
            return Ok(());
        }
        Err(Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::ARGUMENT_UNSUPPORTED,
            "fd passing is not supported by this connection",
        ))
    }

    /// `virDomainRestore`.
    pub async fn restore(&self, path: &str) -> Result<()> {
        self.check_rw("virDomainRestore")?;
        dispatch!(self, d => d.domain_restore(path, None, DomainSaveRestoreFlags::empty()))
    }

    /// `virDomainRestoreFlags`.
    pub async fn restore_flags(
        &self,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        self.check_rw("virDomainRestoreFlags")?;
        crate::args::save_flags("virDomainRestoreFlags", flags.bits())?;
        dispatch!(self, d => d.domain_restore(path, dxml, flags))
    }

    /// `virDomainSaveImageGetXMLDesc`.
    pub async fn save_image_get_xml_desc(
        &self,
        path: &str,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        self.check_rw("virDomainSaveImageGetXMLDesc")?;
        dispatch!(self, d => d.domain_save_image_get_xml_desc(path, flags))
    }

    /// `virDomainSaveImageDefineXML`.
    pub async fn save_image_define_xml(
        &self,
        path: &str,
        dxml: &str,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        self.check_rw("virDomainSaveImageDefineXML")?;
        crate::args::save_flags("virDomainSaveImageDefineXML", flags.bits())?;
        dispatch!(self, d => d.domain_save_image_define_xml(path, dxml, flags))
    }

    /// `virConnectGetAllDomainStats`: stats of every domain passing the filter flags.
    pub async fn get_all_domain_stats(
        &self,
        stats: DomainStatsTypes,
        flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(Domain, Vec<TypedParam>)>> {
        let recs = dispatch!(self, d => d.connect_get_all_domain_stats(None, stats, flags))?;
        Ok(recs.into_iter().map(|(r, p)| (self.domain(r), p)).collect())
    }

    /// `virDomainListGetStats`: stats of the given domains.
    pub async fn domain_list_get_stats(
        &self,
        doms: &[Domain],
        stats: DomainStatsTypes,
        flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(Domain, Vec<TypedParam>)>> {
        let refs: Vec<DomainRef> = doms.iter().map(|d| d.r.clone()).collect();
        let recs = dispatch!(self, d => d.connect_get_all_domain_stats(Some(&refs), stats, flags))?;
        Ok(recs.into_iter().map(|(r, p)| (self.domain(r), p)).collect())
    }

    /// `virConnectDomainEventRegisterAny`: calls `callback` with this connection, the domain
    /// and the event, for every event of `event_id` (about `dom` only, if given). Callbacks run
    /// after the transition, with no lock held, so they may call the API.
    pub async fn domain_event_register_any(
        &self,
        dom: Option<&Domain>,
        event_id: DomainEventID,
        callback: impl Fn(&Connect, &Domain, &DomainEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        // The callback holds the connection weakly: a registration must not keep it open.
        let weak = Arc::downgrade(&self.inner);
        let cb: rvirt_driver::DomainEventCallback = Arc::new(move |ev: &DomainEvent| {
            if let Some(inner) = weak.upgrade() {
                let conn = Connect { inner };
                let dom = conn.domain(ev.domain().clone());
                callback(&conn, &dom, ev);
            }
        });
        let r = dom.map(|d| &d.r);
        let id =
            dispatch!(self, d => d.connect_domain_event_register_any(r, event_id, cb.clone()))?;
        self.inner.callbacks.lock().push(id);
        Ok(id)
    }

    /// `virConnectDomainEventDeregisterAny`: removes a callback this connection registered.
    pub async fn domain_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.forget_callback(id)?;
        dispatch!(self, d => d.connect_domain_event_deregister_any(id))
    }

    /// Removes `id` from the callbacks this connection registered (of any object family);
    /// `VIR_ERR_INVALID_ARG` if it did not register it.
    pub(crate) fn forget_callback(&self, id: CallbackId) -> Result<()> {
        let mut ids = self.inner.callbacks.lock();
        let before = ids.len();
        ids.retain(|&i| i != id);
        if ids.len() == before {
            return Err(Error::invalid_arg(
                ErrorDomain::NONE,
                format!("could not find event callback {id} for deletion"),
            ));
        }
        Ok(())
    }
}
