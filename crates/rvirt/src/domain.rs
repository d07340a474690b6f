//! Domain handles (`virDomainPtr`).

mod device;
mod tuning;

use crate::connect::dispatch;
use crate::{Connect, DomainSnapshot};
use rvirt_driver::{DomainDriver, DomainRef, SnapshotDriver};
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::snapshot::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, Uuid};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// A handle to a domain: its connection, name, UUID and id. Like `virDomainPtr`, a handle
/// outlives the domain (calls on a handle whose domain is gone answer `VIR_ERR_NO_DOMAIN`), and
/// its id follows what is done through it: starting sets it, stopping resets it to -1.
pub struct Domain {
    pub(crate) conn: Connect,
    pub(crate) r: DomainRef,
    /// Shared by clones: a clone is another reference to the same handle, as a copied
    /// `virDomainPtr` is.
    id: Arc<AtomicI32>,
    /// The names a rename through this handle gave it (see [`Domain::rename`]); shared by clones.
    renames: Arc<Renames>,
}

/// The names a handle took, oldest first, in links that are only ever added: a name handed out
/// by [`Domain::get_name`] lives as long as the handle.
#[derive(Default)]
struct Renames(std::sync::OnceLock<Box<Rename>>);

struct Rename {
    name: Arc<str>,
    next: Renames,
}

impl Renames {
    fn latest(&self) -> Option<&Arc<str>> {
        let mut link = self.0.get()?;
        while let Some(next) = link.next.0.get() {
            link = next;
        }
        Some(&link.name)
    }

    fn push(&self, name: &str) {
        let mut at = self;
        loop {
            match at.0.get() {
                Some(link) => at = &link.next,
                None => {
                    let link = Box::new(Rename {
                        name: name.into(),
                        next: Renames::default(),
                    });
                    // Lost a race with another rename: append after it.
                    if at.0.set(link).is_ok() {
                        return;
                    }
                }
            }
        }
    }
}

impl Clone for Domain {
    fn clone(&self) -> Self {
        Domain {
            conn: self.conn.clone(),
            r: self.r.clone(),
            id: self.id.clone(),
            renames: self.renames.clone(),
        }
    }
}

impl std::fmt::Debug for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Domain")
            .field("name", &self.r.name)
            .field("uuid", &self.r.uuid)
            .field("id", &self.r.id)
            .finish()
    }
}

impl PartialEq for Domain {
    fn eq(&self, other: &Self) -> bool {
        self.r.uuid == other.r.uuid && std::sync::Arc::ptr_eq(&self.conn.inner, &other.conn.inner)
    }
}

impl Domain {
    pub(crate) fn new(conn: Connect, r: DomainRef) -> Domain {
        let id = Arc::new(AtomicI32::new(r.id));
        Domain {
            conn,
            r,
            id,
            renames: Arc::default(),
        }
    }

    /// After a call that may have stopped the domain: the id the handle has now. A driver in
    /// this process updates the handle it was called through, as libvirt's drivers do (a lookup
    /// gives the same answer). libvirt's remote client only resets the id to -1 after
    /// `virDomainDestroy`, `virDomainSave` and `virDomainManagedSave` (`remote_resets`) and
    /// leaves it as it was after the others.
    async fn after_stop(&self, remote_resets: bool) {
        if self.conn.handles_follow_driver() {
            self.refresh_id().await;
        } else if remote_resets {
            self.id.store(-1, Ordering::Relaxed);
        }
    }

    /// The id the domain has now, from the driver.
    async fn refresh_id(&self) {
        let id = match dispatch!(self.conn, d => d.domain_lookup_by_uuid(&self.r.uuid)) {
            Ok(r) => r.id,
            Err(_) => -1,
        };
        self.id.store(id, Ordering::Relaxed);
    }

    /// `virGetDomainSnapshot`: a handle for this domain's snapshot `name`, made without asking the
    /// driver (see [`Connect::domain_handle`]).
    pub fn snapshot_handle(&self, name: &str) -> DomainSnapshot {
        DomainSnapshot {
            conn: self.conn.clone(),
            r: rvirt_driver::SnapshotRef {
                domain: self.r.clone(),
                name: name.into(),
            },
        }
    }

    /// `virDomainGetName`.
    pub fn get_name(&self) -> &str {
        self.renames.latest().unwrap_or(&self.r.name)
    }

    /// `virDomainGetUUID`.
    pub fn get_uuid(&self) -> Uuid {
        self.r.uuid
    }

    /// `virDomainGetUUIDString`.
    pub fn get_uuid_string(&self) -> String {
        self.r.uuid.to_string()
    }

    /// `virDomainGetID`: the id the domain had when this handle was made; -1 if inactive then.
    pub fn get_id(&self) -> i32 {
        self.id.load(Ordering::Relaxed)
    }

    /// `virDomainGetConnect`.
    pub fn get_connect(&self) -> &Connect {
        &self.conn
    }

    pub(crate) fn rw(&self, function: &str) -> Result<()> {
        self.conn.check_rw(function)
    }

    /// `virDomainGetInfo`.
    pub async fn get_info(&self) -> Result<DomainInfo> {
        dispatch!(self.conn, d => d.domain_get_info(&self.r))
    }

    /// `virDomainGetState`: the state and the reason for it.
    pub async fn get_state(&self, flags: u32) -> Result<(DomainState, i32)> {
        dispatch!(self.conn, d => d.domain_get_state(&self.r, flags))
    }

    /// `virDomainGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: DomainXMLFlags) -> Result<String> {
        if self.conn.is_read_only()
            && flags.intersects(DomainXMLFlags::SECURE | DomainXMLFlags::MIGRATABLE)
        {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::OPERATION_DENIED,
                "virDomainGetXMLDesc with secure flag",
            ));
        }
        dispatch!(self.conn, d => d.domain_get_xml_desc(&self.r, flags))
    }

    /// `virDomainCreate`: starts a defined domain.
    pub async fn create(&self) -> Result<()> {
        self.rw("virDomainCreate")?;
        self.create_with_flags(DomainCreateFlags::empty()).await
    }

    /// `virDomainCreateWithFlags`.
    pub async fn create_with_flags(&self, flags: DomainCreateFlags) -> Result<()> {
        self.rw("virDomainCreateWithFlags")?;
        let r = dispatch!(self.conn, d => d.domain_create(&self.r, flags))?;
        self.id.store(r.id, Ordering::Relaxed);
        Ok(())
    }

    /// `virDomainCreateWithFiles`: starts a defined domain, handing `files` to the guest; see
    /// [`crate::Connect::create_xml_with_files`].
    pub async fn create_with_files(
        &self,
        files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<()> {
        self.rw("virDomainCreateWithFiles")?;
        self.conn.check_fd_passing(files).await?;
        let r = dispatch!(self.conn, d => d.domain_create_with_files(&self.r, files, flags))?;
        self.id.store(r.id, Ordering::Relaxed);
        Ok(())
    }

    /// `virDomainUndefine`.
    pub async fn undefine(&self) -> Result<()> {
        self.rw("virDomainUndefine")?;
        self.undefine_flags(DomainUndefineFlags::empty()).await
    }

    /// `virDomainUndefineFlags`.
    pub async fn undefine_flags(&self, flags: DomainUndefineFlags) -> Result<()> {
        self.rw("virDomainUndefineFlags")?;
        dispatch!(self.conn, d => d.domain_undefine(&self.r, flags))
    }

    /// `virDomainShutdown`.
    pub async fn shutdown(&self) -> Result<()> {
        self.rw("virDomainShutdown")?;
        self.shutdown_flags(DomainShutdownFlags::empty()).await
    }

    /// `virDomainShutdownFlags`.
    pub async fn shutdown_flags(&self, flags: DomainShutdownFlags) -> Result<()> {
        self.rw("virDomainShutdownFlags")?;
        dispatch!(self.conn, d => d.domain_shutdown(&self.r, flags))?;
        self.after_stop(false).await;
        Ok(())
    }

    /// `virDomainReboot`.
    pub async fn reboot(&self, flags: DomainRebootFlags) -> Result<()> {
        self.rw("virDomainReboot")?;
        dispatch!(self.conn, d => d.domain_reboot(&self.r, flags))?;
        self.after_stop(false).await;
        Ok(())
    }

    /// `virDomainReset`.
    pub async fn reset(&self, flags: u32) -> Result<()> {
        self.rw("virDomainReset")?;
        dispatch!(self.conn, d => d.domain_reset(&self.r, flags))
    }

    /// `virDomainDestroy`.
    pub async fn destroy(&self) -> Result<()> {
        self.rw("virDomainDestroy")?;
        dispatch!(self.conn, d => d.domain_destroy(&self.r, DomainDestroyFlags::empty()))?;
        self.after_stop(true).await;
        Ok(())
    }

    /// `virDomainDestroyFlags`.
    pub async fn destroy_flags(&self, flags: DomainDestroyFlags) -> Result<()> {
        self.rw("virDomainDestroyFlags")?;
        dispatch!(self.conn, d => d.domain_destroy(&self.r, flags))?;
        self.after_stop(false).await;
        Ok(())
    }

    /// `virDomainSuspend`.
    pub async fn suspend(&self) -> Result<()> {
        self.rw("virDomainSuspend")?;
        dispatch!(self.conn, d => d.domain_suspend(&self.r))
    }

    /// `virDomainResume`.
    pub async fn resume(&self) -> Result<()> {
        self.rw("virDomainResume")?;
        dispatch!(self.conn, d => d.domain_resume(&self.r))
    }

    /// `virDomainSave`: saves the running domain's state to `path` and stops it.
    pub async fn save(&self, path: &str) -> Result<()> {
        self.rw("virDomainSave")?;
        let flags = DomainSaveRestoreFlags::empty();
        dispatch!(self.conn, d => d.domain_save(&self.r, path, None, flags))?;
        self.after_stop(true).await;
        Ok(())
    }

    /// `virDomainSaveFlags`.
    pub async fn save_flags(
        &self,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        self.rw("virDomainSaveFlags")?;
        crate::args::save_flags("virDomainSaveFlags", flags.bits())?;
        dispatch!(self.conn, d => d.domain_save(&self.r, path, dxml, flags))?;
        self.after_stop(false).await;
        Ok(())
    }

    /// `virDomainManagedSave`.
    pub async fn managed_save(&self, flags: DomainSaveRestoreFlags) -> Result<()> {
        self.rw("virDomainManagedSave")?;
        crate::args::save_flags("virDomainManagedSave", flags.bits())?;
        dispatch!(self.conn, d => d.domain_managed_save(&self.r, flags))?;
        self.after_stop(true).await;
        Ok(())
    }

    /// `virDomainHasManagedSaveImage`.
    pub async fn has_managed_save_image(&self, flags: u32) -> Result<bool> {
        dispatch!(self.conn, d => d.domain_has_managed_save_image(&self.r, flags))
    }

    /// `virDomainManagedSaveRemove`.
    pub async fn managed_save_remove(&self, flags: u32) -> Result<()> {
        self.rw("virDomainManagedSaveRemove")?;
        dispatch!(self.conn, d => d.domain_managed_save_remove(&self.r, flags))
    }

    /// `virDomainManagedSaveGetXMLDesc`.
    pub async fn managed_save_get_xml_desc(
        &self,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        if self.conn.is_read_only() && flags.contains(DomainSaveImageXMLFlags::SECURE) {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::OPERATION_DENIED,
                "virDomainManagedSaveGetXMLDesc with secure flag",
            ));
        }
        dispatch!(self.conn, d => d.domain_managed_save_get_xml_desc(&self.r, flags))
    }

    /// `virDomainGetAutostart`.
    pub async fn get_autostart(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.domain_get_autostart(&self.r))
    }

    /// `virDomainSetAutostart`.
    pub async fn set_autostart(&self, autostart: bool) -> Result<()> {
        self.rw("virDomainSetAutostart")?;
        dispatch!(self.conn, d => d.domain_set_autostart(&self.r, autostart))
    }

    /// `virDomainSetMemory` (KiB, live).
    pub async fn set_memory(&self, kib: u64) -> Result<()> {
        self.rw("virDomainSetMemory")?;
        crate::args::non_zero("virDomainSetMemory", "memory", kib)?;
        dispatch!(self.conn, d => d.domain_set_memory(&self.r, kib, DomainMemoryModFlags::LIVE))
    }

    /// `virDomainSetMemoryFlags` (KiB).
    pub async fn set_memory_flags(&self, kib: u64, flags: DomainMemoryModFlags) -> Result<()> {
        self.rw("virDomainSetMemoryFlags")?;
        crate::args::non_zero("virDomainSetMemoryFlags", "memory", kib)?;
        dispatch!(self.conn, d => d.domain_set_memory(&self.r, kib, flags))
    }

    /// `virDomainSetMemoryStatsPeriod`: how often, in seconds, the balloon driver collects
    /// memory statistics (0 stops it).
    pub async fn set_memory_stats_period(
        &self,
        period: i32,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        self.rw("virDomainSetMemoryStatsPeriod")?;
        crate::args::non_negative("virDomainSetMemoryStatsPeriod", "period", period.into())?;
        dispatch!(self.conn, d => d.domain_set_memory_stats_period(&self.r, period, flags))
    }

    /// `virDomainSetMaxMemory` (KiB).
    pub async fn set_max_memory(&self, kib: u64) -> Result<()> {
        self.rw("virDomainSetMaxMemory")?;
        crate::args::non_zero("virDomainSetMaxMemory", "memory", kib)?;
        dispatch!(self.conn, d => d.domain_set_max_memory(&self.r, kib))
    }

    /// `virDomainSetVcpus`.
    pub async fn set_vcpus(&self, n: u32) -> Result<()> {
        self.rw("virDomainSetVcpus")?;
        crate::args::non_zero("virDomainSetVcpus", "nvcpus", n.into())?;
        self.set_vcpus_flags(n, DomainVcpuFlags::LIVE).await
    }

    /// `virDomainSetVcpusFlags`.
    pub async fn set_vcpus_flags(&self, n: u32, flags: DomainVcpuFlags) -> Result<()> {
        self.rw("virDomainSetVcpusFlags")?;
        let f = flags.bits();
        let (max, guest) = (
            DomainVcpuFlags::MAXIMUM.bits(),
            DomainVcpuFlags::GUEST.bits(),
        );
        let config = DomainVcpuFlags::CONFIG.bits();
        let function = "virDomainSetVcpusFlags";
        crate::args::require(
            ErrorDomain::DOMAIN,
            function,
            f,
            (max, "VIR_DOMAIN_VCPU_MAXIMUM"),
            (config, "VIR_DOMAIN_AFFECT_CONFIG"),
        )?;
        crate::args::exclusive(
            ErrorDomain::DOMAIN,
            function,
            f,
            (guest, "VIR_DOMAIN_VCPU_GUEST"),
            (config, "VIR_DOMAIN_AFFECT_CONFIG"),
        )?;
        crate::args::non_zero(function, "nvcpus", n.into())?;
        dispatch!(self.conn, d => d.domain_set_vcpus(&self.r, n, flags))
    }

    /// `virDomainGetVcpusFlags`.
    pub async fn get_vcpus_flags(&self, flags: DomainVcpuFlags) -> Result<i32> {
        if flags.contains(DomainVcpuFlags::GUEST) {
            self.rw("virDomainGetVcpusFlags")?;
        }
        crate::args::exclusive(
            ErrorDomain::DOMAIN,
            "virDomainGetVcpusFlags",
            flags.bits(),
            (DomainVcpuFlags::LIVE.bits(), "VIR_DOMAIN_AFFECT_LIVE"),
            (DomainVcpuFlags::CONFIG.bits(), "VIR_DOMAIN_AFFECT_CONFIG"),
        )?;
        dispatch!(self.conn, d => d.domain_get_vcpus_flags(&self.r, flags))
    }

    /// `virDomainGetMaxVcpus`.
    pub async fn get_max_vcpus(&self) -> Result<i32> {
        dispatch!(self.conn, d => d.domain_get_max_vcpus(&self.r))
    }

    /// `virDomainGetMaxMemory` (KiB).
    pub async fn get_max_memory(&self) -> Result<u64> {
        dispatch!(self.conn, d => d.domain_get_max_memory(&self.r))
    }

    /// `virDomainRename`. The returned handle has the new name. As in libvirt, this handle
    /// keeps the old one with a driver in this process, and takes the new one through the
    /// remote driver.
    pub async fn rename(&self, new_name: &str, flags: u32) -> Result<Domain> {
        // libvirt checks the name before the connection's access.
        crate::args::non_empty("virDomainRename", "new_name", new_name)?;
        self.rw("virDomainRename")?;
        let r = dispatch!(self.conn, d => d.domain_rename(&self.r, new_name, flags))?;
        if !self.conn.handles_follow_driver() {
            self.renames.push(new_name);
        }
        Ok(self.conn.domain(r))
    }

    /// `virDomainSetMetadata`.
    pub async fn set_metadata(
        &self,
        kind: DomainMetadataType,
        metadata: Option<&str>,
        key: Option<&str>,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        self.rw("virDomainSetMetadata")?;
        let function = "virDomainSetMetadata";
        match kind {
            DomainMetadataType::TITLE | DomainMetadataType::DESCRIPTION => {
                if kind == DomainMetadataType::TITLE && metadata.is_some_and(|m| m.contains('\n')) {
                    return Err(Error::invalid_arg_raw(
                        ErrorDomain::DOMAIN,
                        function,
                        "metadata",
                        "metadata title can't contain newlines".into(),
                    ));
                }
                crate::args::presence(function, "uri", uri.is_some(), false)?;
                crate::args::presence(function, "key", key.is_some(), false)?;
            }
            DomainMetadataType::ELEMENT => {
                crate::args::presence(function, "uri", uri.is_some(), true)?;
                if metadata.is_some() {
                    crate::args::presence(function, "key", key.is_some(), true)?;
                }
            }
            _ => {}
        }
        dispatch!(self.conn, d => d.domain_set_metadata(&self.r, kind, metadata, key, uri, flags))
    }

    /// `virDomainGetMetadata`.
    pub async fn get_metadata(
        &self,
        kind: DomainMetadataType,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<String> {
        crate::args::live_or_config("virDomainGetMetadata", flags.bits())?;
        match kind {
            DomainMetadataType::TITLE | DomainMetadataType::DESCRIPTION => {
                crate::args::presence("virDomainGetMetadata", "uri", uri.is_some(), false)?;
            }
            DomainMetadataType::ELEMENT => {
                crate::args::presence("virDomainGetMetadata", "uri", uri.is_some(), true)?;
            }
            _ => {}
        }
        dispatch!(self.conn, d => d.domain_get_metadata(&self.r, kind, uri, flags))
    }

    /// `virDomainIsActive`.
    pub async fn is_active(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.domain_is_active(&self.r))
    }

    /// `virDomainIsPersistent`.
    pub async fn is_persistent(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.domain_is_persistent(&self.r))
    }

    /// `virDomainIsUpdated`.
    pub async fn is_updated(&self) -> Result<bool> {
        dispatch!(self.conn, d => d.domain_is_updated(&self.r))
    }

    /// `virDomainGetOSType`.
    pub async fn get_os_type(&self) -> Result<String> {
        dispatch!(self.conn, d => d.domain_get_os_type(&self.r))
    }

    /// `virDomainGetHostname`.
    pub async fn get_hostname(&self, flags: DomainGetHostnameFlags) -> Result<String> {
        self.rw("virDomainGetHostname")?;
        dispatch!(self.conn, d => d.domain_get_hostname(&self.r, flags))
    }

    /// `virDomainQemuMonitorCommand` (libvirt-qemu): `cmd`, a QMP command object (or with
    /// flag `VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP`, 1, a human monitor command line), run on the
    /// domain's QEMU monitor; the reply as text. QEMU drivers only.
    pub async fn qemu_monitor_command(&self, cmd: &str, flags: u32) -> Result<String> {
        self.rw("virDomainQemuMonitorCommand")?;
        dispatch!(self.conn, d => d.domain_qemu_monitor_command(&self.r, cmd, flags))
    }

    /// `virDomainQemuAgentCommand` (libvirt-qemu): `cmd` run by the guest agent within
    /// `timeout` seconds (-2 libvirt's default, -1 blocking, 0 no wait); its reply.
    pub async fn qemu_agent_command(
        &self,
        cmd: &str,
        timeout: i32,
        flags: u32,
    ) -> Result<Option<String>> {
        self.rw("virDomainQemuAgentCommand")?;
        dispatch!(self.conn, d => d.domain_qemu_agent_command(&self.r, cmd, timeout, flags))
    }

    /// `virDomainGetTime`.
    pub async fn get_time(&self, flags: u32) -> Result<DomainTime> {
        self.rw("virDomainGetTime")?;
        dispatch!(self.conn, d => d.domain_get_time(&self.r, flags))
    }

    /// `virDomainSetTime`: the guest's clock to `seconds`.`nseconds`, or with
    /// `VIR_DOMAIN_TIME_SYNC` from its RTC.
    pub async fn set_time(&self, seconds: i64, nseconds: u32, flags: u32) -> Result<()> {
        self.rw("virDomainSetTime")?;
        dispatch!(self.conn, d => d.domain_set_time(&self.r, seconds, nseconds, flags))
    }

    /// `virDomainPinVcpuFlags`: vCPU `vcpu` may run only on the host CPUs set in `cpumap`.
    pub async fn pin_vcpu_flags(&self, vcpu: u32, cpumap: &[u8], flags: u32) -> Result<()> {
        self.rw("virDomainPinVcpuFlags")?;
        crate::args::positive("virDomainPinVcpuFlags", "maplen", cpumap.len() as i64)?;
        dispatch!(self.conn, d => d.domain_pin_vcpu(&self.r, vcpu, cpumap, flags))
    }

    /// `virDomainPinVcpu`: [`Domain::pin_vcpu_flags`] on the running domain.
    pub async fn pin_vcpu(&self, vcpu: u32, cpumap: &[u8]) -> Result<()> {
        self.rw("virDomainPinVcpu")?;
        crate::args::positive("virDomainPinVcpu", "maplen", cpumap.len() as i64)?;
        dispatch!(self.conn, d => d.domain_pin_vcpu(&self.r, vcpu, cpumap, 0))
    }

    /// `virDomainGetVcpuPinInfo`: the host CPUs each of the first `ncpumaps` vCPUs may run on,
    /// `maplen` bytes each, and how many maps were filled.
    pub async fn get_vcpu_pin_info(
        &self,
        ncpumaps: i32,
        maplen: i32,
        flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        let f = "virDomainGetVcpuPinInfo";
        crate::args::positive(f, "ncpumaps", ncpumaps.into())?;
        crate::args::positive(f, "maplen", maplen.into())?;
        if ncpumaps.checked_mul(maplen).is_none() {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::OVERFLOW,
                format!("input too large: {ncpumaps} * {maplen}"),
            ));
        }
        crate::args::live_or_config(f, flags)?;
        dispatch!(self.conn, d => d.domain_get_vcpu_pin_info(&self.r, ncpumaps, maplen, flags))
    }

    /// `virDomainPinEmulator`: the emulator threads may run only on the CPUs in `cpumap`.
    pub async fn pin_emulator(&self, cpumap: &[u8], flags: u32) -> Result<()> {
        self.rw("virDomainPinEmulator")?;
        crate::args::positive("virDomainPinEmulator", "maplen", cpumap.len() as i64)?;
        dispatch!(self.conn, d => d.domain_pin_emulator(&self.r, cpumap, flags))
    }

    /// `virDomainGetEmulatorPinInfo`: the CPUs the emulator threads may run on, and 1.
    pub async fn get_emulator_pin_info(&self, maplen: i32, flags: u32) -> Result<(Vec<u8>, i32)> {
        let f = "virDomainGetEmulatorPinInfo";
        crate::args::positive(f, "maplen", maplen.into())?;
        crate::args::live_or_config(f, flags)?;
        dispatch!(self.conn, d => d.domain_get_emulator_pin_info(&self.r, maplen, flags))
    }

    /// `virDomainGetMessages`: the domain's taint and deprecation messages.
    pub async fn get_messages(&self, flags: u32) -> Result<Vec<String>> {
        dispatch!(self.conn, d => d.domain_get_messages(&self.r, flags))
    }

    /// `virDomainGetBlockInfo`: the sizes of the disk named by target or source path.
    pub async fn get_block_info(&self, disk: &str, flags: u32) -> Result<DomainBlockInfo> {
        crate::args::non_empty("virDomainGetBlockInfo", "disk", disk)?;
        dispatch!(self.conn, d => d.domain_get_block_info(&self.r, disk, flags))
    }

    /// `virDomainGetDiskErrors`: the disks with I/O errors (at most `maxerrors`) and their
    /// number; with `maxerrors` 0, the number of disks to ask about.
    pub async fn get_disk_errors(
        &self,
        maxerrors: u32,
        flags: u32,
    ) -> Result<(Vec<DomainDiskError>, i32)> {
        dispatch!(self.conn, d => d.domain_get_disk_errors(&self.r, maxerrors, flags))
    }

    /// `virDomainGetIOThreadInfo`: the domain's I/O threads and where they may run.
    pub async fn get_iothread_info(&self, flags: u32) -> Result<Vec<DomainIOThreadInfo>> {
        crate::args::live_or_config("virDomainGetIOThreadInfo", flags)?;
        dispatch!(self.conn, d => d.domain_get_iothread_info(&self.r, flags))
    }

    /// `virDomainAddIOThread`: a new I/O thread `id`.
    pub async fn add_iothread(&self, id: u32, flags: u32) -> Result<()> {
        self.rw("virDomainAddIOThread")?;
        dispatch!(self.conn, d => d.domain_add_iothread(&self.r, id, flags))
    }

    /// `virDomainDelIOThread`: removes I/O thread `id`.
    pub async fn del_iothread(&self, id: u32, flags: u32) -> Result<()> {
        self.rw("virDomainDelIOThread")?;
        crate::args::non_zero("virDomainDelIOThread", "iothread_id", id.into())?;
        dispatch!(self.conn, d => d.domain_del_iothread(&self.r, id, flags))
    }

    /// `virDomainPinIOThread`: I/O thread `id` may run only on the CPUs in `cpumap`.
    pub async fn pin_iothread(&self, id: u32, cpumap: &[u8], flags: u32) -> Result<()> {
        self.rw("virDomainPinIOThread")?;
        crate::args::positive("virDomainPinIOThread", "maplen", cpumap.len() as i64)?;
        dispatch!(self.conn, d => d.domain_pin_iothread(&self.r, id, cpumap, flags))
    }

    /// `virDomainPMSuspendForDuration`: the guest suspends itself to memory, disk or both
    /// (`target`, a `virNodeSuspendTarget`), for `duration` seconds (0: until woken).
    pub async fn pm_suspend_for_duration(
        &self,
        target: u32,
        duration: u64,
        flags: u32,
    ) -> Result<()> {
        self.rw("virDomainPMSuspendForDuration")?;
        dispatch!(self.conn, d => d.domain_pm_suspend_for_duration(&self.r, target, duration, flags))
    }

    /// `virDomainPMWakeup`: wakes a guest suspended to memory.
    pub async fn pm_wakeup(&self, flags: u32) -> Result<()> {
        self.rw("virDomainPMWakeup")?;
        dispatch!(self.conn, d => d.domain_pm_wakeup(&self.r, flags))
    }

    /// `virDomainInjectNMI`: a non-maskable interrupt for the guest.
    pub async fn inject_nmi(&self, flags: u32) -> Result<()> {
        self.rw("virDomainInjectNMI")?;
        dispatch!(self.conn, d => d.domain_inject_nmi(&self.r, flags))
    }

    /// `virDomainSendKey`: press `keycodes` (1 to 16 codes of `codeset`, a `virKeycodeSet`
    /// value) together, hold them `holdtime` ms (0: the hypervisor's default), release them.
    pub async fn send_key(
        &self,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        let f = "virDomainSendKey";
        self.rw(f)?;
        crate::args::positive(f, "nkeycodes", keycodes.len() as i64)?;
        if codeset >= rvirt_keycode::CODESET_NAMES.len() as u32 {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                f,
                "codeset",
                format!("Unsupported codeset '{codeset}'"),
            ));
        }
        if keycodes.len() > SEND_KEY_MAX_KEYS {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                f,
                "nkeycodes",
                format!("nkeycodes must be <= {SEND_KEY_MAX_KEYS}"),
            ));
        }
        dispatch!(self.conn, d => d.domain_send_key(&self.r, codeset, holdtime, keycodes, flags))
    }

    /// `virDomainSendProcessSignal`: signal `signum` (a `virDomainProcessSignal` number) to
    /// process `pid` in the guest.
    pub async fn send_process_signal(&self, pid: i64, signum: u32, flags: u32) -> Result<()> {
        let f = "virDomainSendProcessSignal";
        crate::args::non_zero(f, "pid_value", pid as u64)?;
        self.rw(f)?;
        dispatch!(self.conn, d => d.domain_send_process_signal(&self.r, pid, signum, flags))
    }

    /// `virDomainCoreDump`: the guest's core to `to` (made absolute here, as libvirt does).
    pub async fn core_dump(&self, to: &str, flags: u32) -> Result<()> {
        self.core_dump_checked("virDomainCoreDump", to, None, flags)
            .await
    }

    /// `virDomainCoreDumpWithFormat`: `format` a `virDomainCoreDumpFormat` value.
    pub async fn core_dump_with_format(&self, to: &str, format: u32, flags: u32) -> Result<()> {
        let f = "virDomainCoreDumpWithFormat";
        if format >= 5 {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                f,
                "flags",
                format!("dumpformat '{format}' is not supported"),
            ));
        }
        self.core_dump_checked(f, to, Some(format), flags).await
    }

    async fn core_dump_checked(
        &self,
        f: &str,
        to: &str,
        format: Option<u32>,
        flags: u32,
    ) -> Result<()> {
        self.rw(f)?;
        // VIR_DUMP_CRASH, VIR_DUMP_LIVE and VIR_DUMP_RESET exclude one another.
        for (a, b) in [
            ((1, "VIR_DUMP_CRASH"), (2, "VIR_DUMP_LIVE")),
            ((1, "VIR_DUMP_CRASH"), (8, "VIR_DUMP_RESET")),
            ((2, "VIR_DUMP_LIVE"), (8, "VIR_DUMP_RESET")),
        ] {
            crate::args::exclusive(ErrorDomain::DOMAIN, f, flags, a, b)?;
        }
        let to = crate::args::absolute_path(to);
        dispatch!(self.conn, d => d.domain_core_dump(&self.r, &to, format, flags))?;
        if flags & 1 != 0 {
            self.after_stop(false).await;
        }
        Ok(())
    }

    /// `virDomainMemoryPeek`: `size` bytes of guest memory from `start` (`flags`
    /// `VIR_MEMORY_VIRTUAL` 1 or `VIR_MEMORY_PHYSICAL` 2).
    pub async fn memory_peek(&self, start: u64, size: u32, flags: u32) -> Result<Vec<u8>> {
        let f = "virDomainMemoryPeek";
        self.rw(f)?;
        crate::args::exclusive(
            ErrorDomain::DOMAIN,
            f,
            flags,
            (1, "VIR_MEMORY_VIRTUAL"),
            (2, "VIR_MEMORY_PHYSICAL"),
        )?;
        dispatch!(self.conn, d => d.domain_memory_peek(&self.r, start, size, flags))
    }

    /// `virDomainGetControlInfo`: the state of the hypervisor's control of the domain.
    pub async fn get_control_info(&self, flags: u32) -> Result<DomainControlInfo> {
        dispatch!(self.conn, d => d.domain_get_control_info(&self.r, flags))
    }

    /// `virDomainSetLifecycleAction`: what the domain does on power-off, reboot or crash.
    pub async fn set_lifecycle_action(&self, kind: u32, action: u32, flags: u32) -> Result<()> {
        self.rw("virDomainSetLifecycleAction")?;
        if kind > DomainLifecycle::CRASH.0 as u32 {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::INVALID_ARG,
                format!("invalid lifecycle type '{kind}'"),
            ));
        }
        if action > DomainLifecycleAction::COREDUMP_RESTART.0 as u32 {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::INVALID_ARG,
                format!("invalid lifecycle action '{action}'"),
            ));
        }
        dispatch!(self.conn, d => d.domain_set_lifecycle_action(&self.r, kind, action, flags))
    }

    /// `virDomainGetLaunchSecurityInfo`: the launch measurement of a confidential guest.
    pub async fn get_launch_security_info(&self, flags: u32) -> Result<Vec<TypedParam>> {
        self.rw("virDomainGetLaunchSecurityInfo")?;
        let mut flags = flags;
        if self
            .conn
            .supports_feature(rvirt_driver::FEATURE_TYPED_PARAM_STRING)
            .await?
        {
            flags |= rvirt_types::typed_param::TYPED_PARAM_STRING_OKAY;
        }
        dispatch!(self.conn, d => d.domain_get_launch_security_info(&self.r, flags))
    }

    /// `virDomainFSFreeze`: freezes the guest's file systems (those mounted at `mountpoints`,
    /// or all) through its agent; how many were frozen.
    pub async fn fs_freeze(&self, mountpoints: &[String], flags: u32) -> Result<i32> {
        self.rw("virDomainFSFreeze")?;
        dispatch!(self.conn, d => d.domain_fs_freeze(&self.r, mountpoints, flags))
    }

    /// `virDomainFSThaw`: thaws frozen file systems; how many.
    pub async fn fs_thaw(&self, mountpoints: &[String], flags: u32) -> Result<i32> {
        self.rw("virDomainFSThaw")?;
        dispatch!(self.conn, d => d.domain_fs_thaw(&self.r, mountpoints, flags))
    }

    /// `virDomainFSTrim`: discards the unused blocks of the guest's file systems (free extents
    /// of `minimum` bytes and more), all or the one at `mountpoint`.
    pub async fn fs_trim(&self, mountpoint: Option<&str>, minimum: u64, flags: u32) -> Result<()> {
        self.rw("virDomainFSTrim")?;
        dispatch!(self.conn, d => d.domain_fs_trim(&self.r, mountpoint, minimum, flags))
    }

    /// `virDomainGetFSInfo`: the guest's mounted file systems and the disks under them.
    pub async fn get_fs_info(&self, flags: u32) -> Result<Vec<DomainFSInfo>> {
        self.rw("virDomainGetFSInfo")?;
        dispatch!(self.conn, d => d.domain_get_fs_info(&self.r, flags))
    }

    /// `virDomainSetUserPassword`: `user`'s password in the guest (`flags` 1: `password` is
    /// already crypted).
    pub async fn set_user_password(&self, user: &str, password: &str, flags: u32) -> Result<()> {
        self.rw("virDomainSetUserPassword")?;
        dispatch!(self.conn, d => d.domain_set_user_password(&self.r, user, password, flags))
    }

    /// `virDomainAuthorizedSSHKeysGet`: the keys in `user`'s authorized keys file in the
    /// guest.
    pub async fn authorized_ssh_keys_get(&self, user: &str, flags: u32) -> Result<Vec<String>> {
        self.rw("virDomainAuthorizedSSHKeysGet")?;
        dispatch!(self.conn, d => d.domain_authorized_ssh_keys_get(&self.r, user, flags))
    }

    /// `virDomainAuthorizedSSHKeysSet`: `keys` replace `user`'s authorized keys in the guest,
    /// or are added (`VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND`) or removed (`…_REMOVE`).
    pub async fn authorized_ssh_keys_set(
        &self,
        user: &str,
        keys: &[String],
        flags: u32,
    ) -> Result<()> {
        let f = "virDomainAuthorizedSSHKeysSet";
        crate::args::exclusive(
            ErrorDomain::DOMAIN,
            f,
            flags,
            (
                DomainAuthorizedSSHKeysSetFlags::APPEND.bits(),
                "VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND",
            ),
            (
                DomainAuthorizedSSHKeysSetFlags::REMOVE.bits(),
                "VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE",
            ),
        )?;
        self.rw(f)?;
        dispatch!(self.conn, d => d.domain_authorized_ssh_keys_set(&self.r, user, keys, flags))
    }

    /// `virDomainGetGuestInfo`: what the guest agent knows of the guest (the
    /// `VIR_DOMAIN_GUEST_INFO_*` `types`, all with 0) as typed parameters.
    pub async fn get_guest_info(&self, types: u32, flags: u32) -> Result<Vec<TypedParam>> {
        self.rw("virDomainGetGuestInfo")?;
        dispatch!(self.conn, d => d.domain_get_guest_info(&self.r, types, flags))
    }

    /// `virDomainGetGuestVcpus`: the guest's vCPUs, those online and those it can take
    /// offline (`vcpus`, `online`, `offlinable`, as CPU lists).
    pub async fn get_guest_vcpus(&self, flags: u32) -> Result<Vec<TypedParam>> {
        self.rw("virDomainGetGuestVcpus")?;
        dispatch!(self.conn, d => d.domain_get_guest_vcpus(&self.r, flags))
    }

    /// `virDomainSetGuestVcpus`: the guest's vCPUs in the list `cpumap` online (`state` 1) or
    /// offline (0).
    pub async fn set_guest_vcpus(&self, cpumap: &str, state: i32, flags: u32) -> Result<()> {
        self.rw("virDomainSetGuestVcpus")?;
        dispatch!(self.conn, d => d.domain_set_guest_vcpus(&self.r, cpumap, state, flags))
    }

    /// `virDomainAgentSetResponseTimeout`: how long the domain's agent calls wait (seconds;
    /// -2 block, -1 default, 0 no wait).
    pub async fn agent_set_response_timeout(&self, timeout: i32, flags: u32) -> Result<()> {
        self.rw("virDomainAgentSetResponseTimeout")?;
        dispatch!(self.conn, d => d.domain_agent_set_response_timeout(&self.r, timeout, flags))
    }

    /// `virDomainGetCPUStats`: per CPU `start_cpu..start_cpu+ncpus`, or the total with
    /// `start_cpu == -1`. With `ncpus == 0` it answers libvirt's "how many CPUs" query: one empty
    /// group per CPU the statistics cover.
    pub async fn get_cpu_stats(
        &self,
        start_cpu: i32,
        ncpus: u32,
        flags: u32,
    ) -> Result<Vec<Vec<TypedParam>>> {
        if start_cpu == -1 {
            if ncpus != 1 {
                return Err(Error::invalid_arg_raw(
                    ErrorDomain::DOMAIN,
                    "virDomainGetCPUStats",
                    "start_cpu",
                    "ncpus must be 1 when start_cpu is -1".into(),
                ));
            }
        } else {
            crate::args::non_negative("virDomainGetCPUStats", "start_cpu", start_cpu.into())?;
        }
        let mut flags = flags;
        if self
            .conn
            .supports_feature(rvirt_driver::FEATURE_TYPED_PARAM_STRING)
            .await?
        {
            flags |= rvirt_types::typed_param::TYPED_PARAM_STRING_OKAY;
        }
        dispatch!(self.conn, d => d.domain_get_cpu_stats(&self.r, start_cpu, ncpus, flags))
    }

    /// `virDomainGetVcpus`: at most `maxinfo` vCPUs with, for each, a `maplen`-byte map of the
    /// host CPUs it may use (concatenated; empty when `maplen` is 0).
    pub async fn get_vcpus(&self, maxinfo: i32, maplen: i32) -> Result<(Vec<VcpuInfo>, Vec<u8>)> {
        if maxinfo < 1 {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                "virDomainGetVcpus",
                "maxinfo",
                "maxinfo in virDomainGetVcpus must be greater than zero".into(),
            ));
        }
        crate::args::non_negative("virDomainGetVcpus", "maplen", maplen.into())?;
        dispatch!(self.conn, d => d.domain_get_vcpus(&self.r, maxinfo, maplen))
    }

    /// `virDomainScreenshot`: takes a picture of `screen` of the domain's display. The image
    /// comes through `stream` (made on this domain's connection); the MIME type is returned.
    pub async fn screenshot(
        &self,
        stream: &crate::Stream,
        screen: u32,
        flags: u32,
    ) -> Result<String> {
        self.rw("virDomainScreenshot")?;
        if !stream.belongs_to(&self.conn) {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                "virDomainScreenshot",
                "stream",
                format!(
                    "stream must match connection of domain '{}'",
                    self.get_name()
                ),
            ));
        }
        let (mime, backend) =
            dispatch!(self.conn, d => d.domain_screenshot(&self.r, screen, flags))?;
        stream.attach(backend);
        Ok(mime)
    }

    /// `virDomainGetJobInfo`: the progress of the domain's background job (type
    /// `VIR_DOMAIN_JOB_NONE` when there is none).
    pub async fn get_job_info(&self) -> Result<DomainJobInfo> {
        dispatch!(self.conn, d => d.domain_get_job_info(&self.r))
    }

    /// `virDomainGetJobStats`: the job's type (a `virDomainJobType` value) and statistics;
    /// `VIR_DOMAIN_JOB_STATS_COMPLETED` asks for the last completed job's, and
    /// `VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED` (which needs it) keeps them for later calls.
    pub async fn get_job_stats(&self, flags: u32) -> Result<(i32, Vec<TypedParam>)> {
        crate::args::require(
            ErrorDomain::DOMAIN,
            "virDomainGetJobStats",
            flags,
            (
                DomainGetJobStatsFlags::KEEP_COMPLETED.bits(),
                "VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED",
            ),
            (
                DomainGetJobStatsFlags::COMPLETED.bits(),
                "VIR_DOMAIN_JOB_STATS_COMPLETED",
            ),
        )?;
        dispatch!(self.conn, d => d.domain_get_job_stats(&self.r, flags))
    }

    /// `virDomainAbortJob`: cancels the domain's background job.
    pub async fn abort_job(&self) -> Result<()> {
        self.rw("virDomainAbortJob")?;
        dispatch!(self.conn, d => d.domain_abort_job(&self.r))
    }

    /// `virDomainAbortJobFlags`: [`Domain::abort_job`] with `virDomainAbortJobFlagsValues`
    /// (`VIR_DOMAIN_ABORT_JOB_POSTCOPY` interrupts a migration in post-copy).
    pub async fn abort_job_flags(&self, flags: u32) -> Result<()> {
        self.rw("virDomainAbortJobFlags")?;
        dispatch!(self.conn, d => d.domain_abort_job_flags(&self.r, flags))
    }

    /// `virDomainBlockCommit`: starts merging a disk's images from `top` (the active image
    /// when `None`) down into `base` (the bottom of the chain when `None`).
    pub async fn block_commit(
        &self,
        disk: &str,
        base: Option<&str>,
        top: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        self.rw("virDomainBlockCommit")?;
        dispatch!(self.conn, d => d.domain_block_commit(&self.r, disk, base, top, bandwidth, flags))
    }

    /// `virDomainBlockPull`: starts copying a disk's whole backing chain into its active image.
    pub async fn block_pull(&self, disk: &str, bandwidth: u64, flags: u32) -> Result<()> {
        self.rw("virDomainBlockPull")?;
        dispatch!(self.conn, d => d.domain_block_pull(&self.r, disk, bandwidth, flags))
    }

    /// `virDomainBlockRebase`: a pull down to `base`, or a copy with
    /// `VIR_DOMAIN_BLOCK_REBASE_COPY` (the copy-only flags need it, as libvirt checks).
    pub async fn block_rebase(
        &self,
        disk: &str,
        base: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        self.rw("virDomainBlockRebase")?;
        let copy_only = DomainBlockRebaseFlags::SHALLOW
            | DomainBlockRebaseFlags::REUSE_EXT
            | DomainBlockRebaseFlags::COPY_RAW
            | DomainBlockRebaseFlags::COPY_DEV;
        if flags & DomainBlockRebaseFlags::COPY.bits() != 0 {
            crate::args::presence("virDomainBlockRebase", "base", base.is_some(), true)?;
        } else if flags & copy_only.bits() != 0 {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                "virDomainBlockRebase",
                "flags",
                "use of flags requires a copy job".into(),
            ));
        }
        dispatch!(self.conn, d => d.domain_block_rebase(&self.r, disk, base, bandwidth, flags))
    }

    /// `virDomainGetBlockJobInfo`: the disk's block job, `None` when it has none.
    pub async fn get_block_job_info(
        &self,
        disk: &str,
        flags: u32,
    ) -> Result<Option<DomainBlockJobInfo>> {
        dispatch!(self.conn, d => d.domain_get_block_job_info(&self.r, disk, flags))
    }

    /// `virDomainBlockJobAbort`: cancels the disk's block job (waiting for it to end unless
    /// `VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC`), or pivots a ready one with
    /// `VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT`.
    pub async fn block_job_abort(&self, disk: &str, flags: u32) -> Result<()> {
        self.rw("virDomainBlockJobAbort")?;
        dispatch!(self.conn, d => d.domain_block_job_abort(&self.r, disk, flags))
    }

    /// `virDomainBlockJobSetSpeed`: the rate limit of the disk's block job (MiB/s, or bytes/s
    /// with `VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES`).
    pub async fn block_job_set_speed(&self, disk: &str, bandwidth: u64, flags: u32) -> Result<()> {
        self.rw("virDomainBlockJobSetSpeed")?;
        dispatch!(self.conn, d => d.domain_block_job_set_speed(&self.r, disk, bandwidth, flags))
    }

    /// `virDomainBlockStats` for a disk by target (`vda`) or source path.
    pub async fn block_stats(&self, disk: &str) -> Result<DomainBlockStats> {
        dispatch!(self.conn, d => d.domain_block_stats(&self.r, disk))
    }

    /// `virDomainBlockStatsFlags`: a disk's counters (by target or source path; the sum over
    /// every disk for an empty name) as typed parameters.
    pub async fn block_stats_flags(&self, disk: &str, flags: u32) -> Result<Vec<TypedParam>> {
        dispatch!(self.conn, d => d.domain_block_stats_flags(&self.r, disk, flags))
    }

    /// `virDomainInterfaceStats` for an interface by target name or MAC.
    pub async fn interface_stats(&self, device: &str) -> Result<DomainInterfaceStats> {
        dispatch!(self.conn, d => d.domain_interface_stats(&self.r, device))
    }

    /// `virDomainMemoryStats`: at most `nr_stats` statistics.
    pub async fn memory_stats(&self, nr_stats: u32, flags: u32) -> Result<Vec<DomainMemoryStat>> {
        dispatch!(self.conn, d => d.domain_memory_stats(&self.r, nr_stats, flags))
    }

    /// `virDomainGetSecurityLabel`.
    pub async fn get_security_label(&self) -> Result<SecurityLabel> {
        dispatch!(self.conn, d => d.domain_get_security_label(&self.r))
    }

    /// `virDomainInterfaceAddresses`: the guest's network interfaces and their addresses, from
    /// DHCP leases, the guest agent or the host's ARP table. Asking the agent needs a read-write
    /// connection.
    pub async fn interface_addresses(
        &self,
        source: DomainInterfaceAddressesSource,
        flags: u32,
    ) -> Result<Vec<DomainInterface>> {
        if source == DomainInterfaceAddressesSource::AGENT {
            self.rw("virDomainInterfaceAddresses")?;
        }
        dispatch!(self.conn, d => d.domain_interface_addresses(&self.r, source, flags))
    }

    /// `virDomainSnapshotCreateXML`.
    pub async fn snapshot_create_xml(
        &self,
        xml: &str,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<DomainSnapshot> {
        self.conn
            .check_rw_in(ErrorDomain::DOMAIN_SNAPSHOT, "virDomainSnapshotCreateXML")?;
        {
            use DomainSnapshotCreateFlags as C;
            let (f, d, function) = (
                flags.bits(),
                ErrorDomain::DOMAIN_SNAPSHOT,
                "virDomainSnapshotCreateXML",
            );
            let redefine = (C::REDEFINE.bits(), "VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE");
            crate::args::require(
                d,
                function,
                f,
                (C::CURRENT.bits(), "VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT"),
                redefine,
            )?;
            crate::args::exclusive(
                d,
                function,
                f,
                redefine,
                (
                    C::NO_METADATA.bits(),
                    "VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA",
                ),
            )?;
            crate::args::exclusive(
                d,
                function,
                f,
                redefine,
                (C::HALT.bits(), "VIR_DOMAIN_SNAPSHOT_CREATE_HALT"),
            )?;
        }
        let r = dispatch!(self.conn, d => d.snapshot_create_xml(&self.r, xml, flags))?;
        Ok(DomainSnapshot {
            conn: self.conn.clone(),
            r,
        })
    }

    /// `virDomainListAllSnapshots`.
    pub async fn list_all_snapshots(
        &self,
        flags: DomainSnapshotListFlags,
    ) -> Result<Vec<DomainSnapshot>> {
        let refs = dispatch!(self.conn, d => d.domain_list_all_snapshots(&self.r, flags))?;
        Ok(refs
            .into_iter()
            .map(|r| DomainSnapshot {
                conn: self.conn.clone(),
                r,
            })
            .collect())
    }

    /// `virDomainSnapshotNum`.
    pub async fn snapshot_num(&self, flags: DomainSnapshotListFlags) -> Result<i32> {
        dispatch!(self.conn, d => d.domain_snapshot_num(&self.r, flags))
    }

    /// `virDomainSnapshotLookupByName`.
    pub async fn snapshot_lookup_by_name(&self, name: &str, flags: u32) -> Result<DomainSnapshot> {
        let r = dispatch!(self.conn, d => d.snapshot_lookup_by_name(&self.r, name, flags))?;
        Ok(DomainSnapshot {
            conn: self.conn.clone(),
            r,
        })
    }

    /// `virDomainHasCurrentSnapshot`.
    pub async fn has_current_snapshot(&self, flags: u32) -> Result<bool> {
        dispatch!(self.conn, d => d.domain_has_current_snapshot(&self.r, flags))
    }

    /// `virDomainSnapshotCurrent`.
    pub async fn snapshot_current(&self, flags: u32) -> Result<DomainSnapshot> {
        let r = dispatch!(self.conn, d => d.snapshot_current(&self.r, flags))?;
        Ok(DomainSnapshot {
            conn: self.conn.clone(),
            r,
        })
    }
}
