//! Domain calls of the QEMU driver: persistent configs (one XML file per domain, written
//! atomically), lookups and listing from the shared object layer, lifecycle through
//! [`crate::process`].

use crate::process::StartHow;
use crate::{FROM, QemuDriver, util};
use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use rvirt_driver::domain_obj::AddConflict;
use rvirt_driver::{
    CallbackId, DomainDriver, DomainEvent, DomainEventCallback, DomainObj, DomainObjState,
    DomainRef, check_flags,
};
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, Uuid};
use std::path::{Path, PathBuf};
use std::sync::Arc;

type E = DomainEventType;

fn no_domain(what: String) -> Error {
    Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::NO_DOMAIN, what)
}

fn conflict_error(c: AddConflict, name: &str, uuid: &Uuid) -> Error {
    match c {
        AddConflict::NameTaken(other) => Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::OPERATION_FAILED,
            format!("domain '{name}' already exists with uuid {other}"),
        ),
        AddConflict::UuidTaken(existing) => Error::with_detail(
            ErrorDomain::DOMAIN,
            ErrorNumber::OPERATION_FAILED,
            format!("domain '{existing}' is already defined with uuid {uuid}"),
        ),
    }
}

fn check_active(st: &DomainObjState) -> Result<()> {
    if st.is_active() {
        Ok(())
    } else {
        Err(Error::operation_invalid(
            ErrorDomain::DOMAIN,
            "domain is not running",
        ))
    }
}

impl QemuDriver {
    pub(crate) fn config_path(&self, name: &str) -> PathBuf {
        self.dirs.qemu_config.join(format!("{name}.xml"))
    }

    pub(crate) fn autostart_path(&self, name: &str) -> PathBuf {
        self.dirs.qemu_autostart.join(format!("{name}.xml"))
    }

    /// Loads the persistent configs, then reattaches to the domains still running.
    pub(crate) fn load_domains(&self) -> Result<()> {
        if let Ok(dir) = std::fs::read_dir(&self.dirs.qemu_config) {
            for e in dir.flatten() {
                let path = e.path();
                if path.extension().is_none_or(|x| x != "xml") || !path.is_file() {
                    continue;
                }
                // A config that no longer parses is skipped, as libvirt skips it.
                let Some(def) = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| DomainDef::parse_xml(&t, ParseOptions::default()).ok())
                else {
                    continue;
                };
                let autostart = self.autostart_path(&def.name).exists();
                let managed_save = self.managed_save_path(&def.name).exists();
                let obj = Arc::new(DomainObj::new(def, true));
                {
                    let mut st = obj.lock();
                    st.autostart = autostart;
                    st.has_managed_save = managed_save;
                }
                self.domains.edit(|l| {
                    let (name, uuid) = {
                        let st = obj.lock();
                        (st.name.clone(), obj.uuid)
                    };
                    if l.check_identity(&name, &uuid).is_ok_and(|o| o.is_none()) {
                        l.insert(obj);
                    }
                });
            }
        }
        self.reattach_all();
        Ok(())
    }

    /// The domain object behind a handle, or libvirt's error for a domain that is gone.
    pub(crate) fn obj(&self, dom: &DomainRef) -> Result<Arc<DomainObj>> {
        self.domains.find_by_uuid(&dom.uuid).ok_or_else(|| {
            no_domain(format!(
                "no domain with matching uuid '{}' ({})",
                dom.uuid, dom.name
            ))
        })
    }

    fn read<R>(&self, dom: &DomainRef, f: impl FnOnce(&DomainObjState) -> Result<R>) -> Result<R> {
        let obj = self.obj(dom)?;
        let st = obj.lock();
        f(&st)
    }

    /// Parses a new domain XML for a define or a create: [`QemuDriver::parse_and_fill`], with
    /// the memory sizes a new definition may have updated (see `memdev::settle_sizes`).
    async fn parse_new(&self, xml: &str) -> Result<DomainDef> {
        let mut def = self.parse_and_fill(xml).await?;
        crate::memdev::settle_sizes(&mut def)?;
        Ok(def)
    }

    /// Parses a domain XML and fills what the capabilities decide (machine, emulator).
    pub(crate) async fn parse_and_fill(&self, xml: &str) -> Result<DomainDef> {
        let mut def = DomainDef::parse_xml(xml, ParseOptions::default())?;
        let user_controllers = roxmltree::Document::parse(xml).ok().map(|doc| {
            doc.root_element()
                .children()
                .filter(|c| c.has_tag_name("devices"))
                .flat_map(|d| d.children())
                .filter(|c| c.has_tag_name("controller"))
                .count()
        });
        self.fill_def_counted(&mut def, user_controllers).await?;
        Ok(def)
    }

    /// The object a live start of `def` goes into (as libvirt's list adds a live definition):
    /// the inactive persistent domain of the same name and UUID, or a new transient one. Refused
    /// when the name or UUID belongs to another domain, or the domain runs or is starting.
    pub(crate) fn add_live(&self, def: &DomainDef) -> Result<Arc<DomainObj>> {
        let (uuid, name) = (def.uuid, def.name.clone());
        self.domains.edit(|list| {
            match list
                .check_identity(&name, &uuid)
                .map_err(|c| conflict_error(c, &name, &uuid))?
            {
                Some(o) => {
                    let st = o.lock();
                    if st.is_active() {
                        return Err(Error::operation_invalid(
                            ErrorDomain::DOMAIN,
                            format!("domain '{name}' is already active"),
                        ));
                    }
                    if !st.persistent {
                        return Err(Error::operation_invalid(
                            ErrorDomain::DOMAIN,
                            format!("domain '{name}' is already being started"),
                        ));
                    }
                    drop(st);
                    Ok(o)
                }
                None => {
                    let o = Arc::new(DomainObj::new(def.clone(), false));
                    list.insert(o.clone());
                    Ok(o)
                }
            }
        })
    }

    /// Forgets `obj` if it is transient and not running (a live start of it failed).
    pub(crate) fn drop_if_transient_inactive(&self, obj: &DomainObj) {
        self.domains.edit(|list| {
            let st = obj.lock();
            if !st.persistent && !st.is_active() {
                let def = st.def.clone();
                drop(st);
                list.remove(&obj.uuid);
                crate::tpm::remove_state(&self.dirs, &def, Default::default());
            }
        });
    }

    /// The domain's XML with its CPU updated against the host model of its accelerator
    /// (`VIR_DOMAIN_XML_UPDATE_CPU`, libvirt's virCPUUpdate on a copy).
    async fn xml_with_updated_cpu(&self, dom: &DomainRef, flags: DomainXMLFlags) -> Result<String> {
        let inactive = flags.contains(DomainXMLFlags::INACTIVE);
        let migratable = flags.contains(DomainXMLFlags::MIGRATABLE);
        let (mut def, id) = self.read(dom, |st| {
            let def = if inactive {
                st.persistent_def()
            } else {
                &st.def
            };
            let id = (st.is_active() && !inactive).then_some(st.id);
            Ok((DomainDef::clone(def), id))
        })?;
        // The migratable CPU is the one the domain asked for: that is the one updated.
        if migratable && let Some(orig) = def.extras.orig_cpu.take() {
            def.extras.cpu = Some(orig);
        }
        self.update_cpu_for_xml(&mut def).await?;
        if migratable {
            return self.migratable_xml(&def);
        }
        Ok(def.format_xml(FormatOptions {
            id,
            inactive,
            secure: flags.contains(DomainXMLFlags::SECURE),
            migratable: false,
            status: false,
        }))
    }

    /// Writes the persistent config of `def`; the previous file stays intact on failure.
    pub(crate) fn save_config(&self, def: &DomainDef) -> Result<()> {
        let path = self.config_path(&def.name);
        let xml = def.format_xml(FormatOptions {
            id: None,
            inactive: true,
            secure: true,
            migratable: false,
            status: false,
        });
        std::fs::create_dir_all(&self.dirs.qemu_config)
            .and_then(|()| util::write_atomic(&path, xml.as_bytes()))
            .map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot save config file '{}'", path.display()),
                    &e,
                )
            })
    }
}

impl DomainDriver for QemuDriver {
    async fn domain_qemu_monitor_command(
        &self,
        dom: &DomainRef,
        cmd: &str,
        flags: u32,
    ) -> Result<String> {
        self.qemu_monitor_command(dom, cmd, flags).await
    }

    async fn domain_qemu_agent_command(
        &self,
        dom: &DomainRef,
        cmd: &str,
        timeout: i32,
        flags: u32,
    ) -> Result<Option<String>> {
        check_flags(FROM, "qemuDomainQemuAgentCommand", flags, 0)?;
        self.qemu_agent_command(dom, cmd, timeout).await
    }

    async fn connect_list_all_domains(
        &self,
        flags: ConnectListAllDomainsFlags,
    ) -> Result<Vec<DomainRef>> {
        check_flags(
            FROM,
            "qemuConnectListAllDomains",
            flags.bits(),
            ConnectListAllDomainsFlags::all().bits(),
        )?;
        Ok(self.domains.list(flags))
    }

    async fn connect_list_domains(&self, max: i32) -> Result<Vec<i32>> {
        Ok(self.domains.active_ids(max))
    }

    async fn connect_num_of_domains(&self) -> Result<i32> {
        Ok(self.domains.count_where_active(true))
    }

    async fn connect_list_defined_domains(&self, max: i32) -> Result<Vec<String>> {
        Ok(self.domains.inactive_names(max))
    }

    async fn connect_num_of_defined_domains(&self) -> Result<i32> {
        Ok(self.domains.count_where_active(false))
    }

    async fn domain_lookup_by_id(&self, id: i32) -> Result<DomainRef> {
        let obj = self
            .domains
            .find_by_id(id)
            .ok_or_else(|| no_domain(format!("no domain with matching id {id}")))?;
        Ok(obj.to_ref())
    }

    async fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        let obj = self
            .domains
            .find_by_name(name)
            .ok_or_else(|| no_domain(format!("no domain with matching name '{name}'")))?;
        Ok(obj.to_ref())
    }

    async fn domain_lookup_by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        let obj = self
            .domains
            .find_by_uuid(uuid)
            .ok_or_else(|| no_domain(format!("no domain with matching uuid '{uuid}'")))?;
        Ok(obj.to_ref())
    }

    async fn domain_define_xml(&self, xml: &str, flags: DomainDefineFlags) -> Result<DomainRef> {
        check_flags(
            FROM,
            "qemuDomainDefineXMLFlags",
            flags.bits(),
            DomainDefineFlags::VALIDATE.bits(),
        )?;
        if flags.contains(DomainDefineFlags::VALIDATE) {
            rvirt_conf::DomainDef::validate_xml(xml)?;
        }
        let def = self.parse_new(xml).await?;
        let (uuid, name) = (def.uuid, def.name.clone());
        self.domains
            .edit(|l| l.check_identity(&name, &uuid).map(|_| ()))
            .map_err(|c| conflict_error(c, &name, &uuid))?;
        // The file first: a failed write leaves both the old file and the old object.
        self.save_config(&def)?;
        let (dref, detail) = self.domains.edit(|list| {
            match list
                .check_identity(&name, &uuid)
                .map_err(|c| conflict_error(c, &name, &uuid))?
            {
                Some(obj) => {
                    let mut st = obj.lock();
                    let had_old = st.persistent;
                    if st.is_active() {
                        st.new_def = Some(Arc::new(def));
                    } else {
                        st.def = Arc::new(def);
                    }
                    st.persistent = true;
                    let detail = if had_old {
                        DomainEventDefinedDetailType::UPDATED
                    } else {
                        DomainEventDefinedDetailType::ADDED
                    };
                    Ok((st.to_ref(uuid), detail))
                }
                None => {
                    let obj = Arc::new(DomainObj::new(def, true));
                    let r = obj.lock().to_ref(uuid);
                    list.insert(obj);
                    Ok((r, DomainEventDefinedDetailType::ADDED))
                }
            }
        })?;
        self.events
            .emit(DomainEvent::lifecycle(dref.clone(), E::DEFINED, detail.0));
        Ok(dref)
    }

    async fn domain_undefine(&self, dom: &DomainRef, flags: DomainUndefineFlags) -> Result<()> {
        let supported = DomainUndefineFlags::MANAGED_SAVE
            | DomainUndefineFlags::SNAPSHOTS_METADATA
            | DomainUndefineFlags::CHECKPOINTS_METADATA
            | DomainUndefineFlags::TPM
            | DomainUndefineFlags::KEEP_TPM
            | DomainUndefineFlags::NVRAM
            | DomainUndefineFlags::KEEP_NVRAM;
        check_flags(
            FROM,
            "qemuDomainUndefineFlags",
            flags.bits(),
            supported.bits(),
        )?;
        if flags.contains(DomainUndefineFlags::NVRAM | DomainUndefineFlags::KEEP_NVRAM) {
            return Err(Error::operation_invalid(
                FROM,
                "cannot both keep and delete nvram",
            ));
        }
        if flags.contains(DomainUndefineFlags::TPM | DomainUndefineFlags::KEEP_TPM) {
            return Err(Error::operation_invalid(
                FROM,
                "cannot both keep and delete TPM",
            ));
        }
        let obj = self.obj(dom)?;
        let (name, active) = {
            let st = obj.lock();
            if !st.persistent {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "cannot undefine transient domain",
                ));
            }
            (st.name.clone(), st.is_active())
        };
        let nchk = self.checkpoint_count(&obj.uuid);
        if !active && nchk > 0 {
            if !flags.contains(DomainUndefineFlags::CHECKPOINTS_METADATA) {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("cannot delete inactive domain with {nchk} checkpoints"),
                ));
            }
            self.discard_all_checkpoints(&obj.uuid, &name);
        }
        let nsnap = self.snapshot_count(&obj.uuid);
        if !active && nsnap > 0 {
            if !flags.contains(DomainUndefineFlags::SNAPSHOTS_METADATA) {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("cannot delete inactive domain with {nsnap} snapshots"),
                ));
            }
            self.discard_all_snapshots(&obj.uuid, &name);
            obj.lock().snapshot_count = 0;
        }
        let image = self.managed_save_path(&name);
        if image.exists() {
            if !flags.contains(DomainUndefineFlags::MANAGED_SAVE) {
                return Err(Error::operation_invalid(
                    FROM,
                    "Refusing to undefine while domain managed save image exists",
                ));
            }
            util::remove_durably(&image)
                .map_err(|_| Error::internal(FROM, "Failed to remove domain managed save image"))?;
            obj.lock().has_managed_save = false;
        }
        // The UEFI variable store goes only when asked, and is kept only when asked.
        let nvram = crate::firmware::undefine_nvram_path(&obj.lock().def, &self.nvram_dir());
        if let Some(nvram) = nvram
            && nvram.exists()
        {
            if flags.contains(DomainUndefineFlags::NVRAM) {
                std::fs::remove_file(&nvram).map_err(|e| {
                    Error::system(
                        FROM,
                        format!("failed to remove nvram: {}", nvram.display()),
                        &e,
                    )
                })?;
            } else if !flags.contains(DomainUndefineFlags::KEEP_NVRAM) {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot undefine domain with nvram",
                ));
            }
        }
        let path = self.config_path(&name);
        util::remove_durably(&path).map_err(|e| {
            Error::system(FROM, format!("cannot remove config {}", path.display()), &e)
        })?;
        let _ = util::remove_durably(&self.autostart_path(&name));
        let ev = self.domains.edit(|list| {
            let mut st = obj.lock();
            let ev = DomainEvent::lifecycle(
                st.to_ref(obj.uuid),
                E::UNDEFINED,
                DomainEventUndefinedDetailType::REMOVED.0,
            );
            st.autostart = false;
            if st.is_active() {
                // The TPM's state goes (or stays) when it ends, as a transient domain's.
                st.persistent = false;
                st.new_def = None;
            } else {
                let def = st.def.clone();
                drop(st);
                list.remove(&obj.uuid);
                crate::tpm::remove_state(&self.dirs, &def, flags);
            }
            ev
        });
        self.events.emit(ev);
        Ok(())
    }

    async fn domain_create(&self, dom: &DomainRef, flags: DomainCreateFlags) -> Result<DomainRef> {
        // BYPASS_CACHE is accepted: images are read through the page cache all the same.
        let supported = DomainCreateFlags::START_PAUSED
            | DomainCreateFlags::START_BYPASS_CACHE
            | DomainCreateFlags::START_FORCE_BOOT
            | DomainCreateFlags::START_RESET_NVRAM;
        check_flags(
            FROM,
            "qemuDomainCreateWithFlags",
            flags.bits(),
            supported.bits(),
        )?;
        let obj = self.obj(dom)?;
        let (def, name) = {
            let st = obj.lock();
            if st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is already running",
                ));
            }
            ((*st.def).clone(), st.name.clone())
        };
        let paused = flags.contains(DomainCreateFlags::START_PAUSED);
        let reset_nvram = flags.contains(DomainCreateFlags::START_RESET_NVRAM);
        if flags.contains(DomainCreateFlags::START_FORCE_BOOT) {
            let image = self.managed_save_path(&name);
            util::remove_durably(&image).map_err(|e| {
                Error::system(
                    FROM,
                    format!("cannot remove managed save file {}", image.display()),
                    &e,
                )
            })?;
            obj.lock().has_managed_save = false;
        } else if self
            .start_from_managed_save(&obj, paused, reset_nvram)
            .await?
        {
            return Ok(obj.to_ref());
        }
        let how = StartHow {
            paused,
            reset_nvram,
            ..StartHow::default()
        };
        self.start_domain_how(&obj, def, how).await?;
        Ok(obj.to_ref())
    }

    async fn domain_create_xml(&self, xml: &str, flags: DomainCreateFlags) -> Result<DomainRef> {
        check_flags(
            FROM,
            "qemuDomainCreateXML",
            flags.bits(),
            (DomainCreateFlags::START_PAUSED
                | DomainCreateFlags::START_VALIDATE
                | DomainCreateFlags::START_RESET_NVRAM)
                .bits(),
        )?;
        if flags.contains(DomainCreateFlags::START_VALIDATE) {
            rvirt_conf::DomainDef::validate_xml(xml)?;
        }
        let def = self.parse_new(xml).await?;
        let obj = self.add_live(&def)?;
        let how = StartHow {
            paused: flags.contains(DomainCreateFlags::START_PAUSED),
            reset_nvram: flags.contains(DomainCreateFlags::START_RESET_NVRAM),
            ..StartHow::default()
        };
        let res = self.start_domain_how(&obj, def, how).await;
        if let Err(e) = res {
            self.drop_if_transient_inactive(&obj);
            return Err(e);
        }
        Ok(obj.to_ref())
    }

    async fn domain_shutdown(&self, dom: &DomainRef, flags: DomainShutdownFlags) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainShutdownFlags",
            flags.bits(),
            (DomainShutdownFlags::ACPI_POWER_BTN | DomainShutdownFlags::GUEST_AGENT).bits(),
        )?;
        let obj = self.obj(dom)?;
        self.read(dom, check_active)?;
        // libvirt's choice: the agent when asked for, or by default when it is connected;
        // ACPI when not asked for the agent alone and the agent failed.
        let agent_req = flags.contains(DomainShutdownFlags::GUEST_AGENT);
        let acpi_req = flags.contains(DomainShutdownFlags::ACPI_POWER_BTN);
        let use_agent = agent_req || (flags.is_empty() && self.agent_connected(dom));
        let mut res = Ok(());
        if use_agent {
            res = self.agent_shutdown(dom, false).await;
            if res.is_err() && agent_req && !acpi_req {
                return res;
            }
        }
        if !use_agent || (res.is_err() && (acpi_req || flags.is_empty())) {
            if use_agent && !obj.lock().is_active() {
                return Ok(());
            }
            self.read(dom, check_active)?;
            let p = self.proc_of(&obj.uuid)?;
            res = self
                .qmp(&p, |m| async move { m.system_powerdown().await })
                .await;
        }
        res
    }

    async fn domain_reboot(&self, dom: &DomainRef, flags: DomainRebootFlags) -> Result<()> {
        self.reboot(dom, flags).await
    }

    async fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "qemuDomainReset", flags, 0)?;
        self.read(dom, check_active)?;
        let p = self.proc_of(&dom.uuid)?;
        self.qmp(&p, |m| async move { m.system_reset().await })
            .await
    }

    async fn domain_destroy(&self, dom: &DomainRef, flags: DomainDestroyFlags) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainDestroyFlags",
            flags.bits(),
            DomainDestroyFlags::GRACEFUL.bits(),
        )?;
        self.read(dom, check_active)?;
        self.destroy(&dom.uuid, flags.contains(DomainDestroyFlags::GRACEFUL))
            .await
    }

    async fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        let obj = self.obj(dom)?;
        {
            let st = obj.lock();
            check_active(&st)?;
            if st.state == DomainState::PAUSED {
                return Ok(());
            }
        }
        self.suspend(&obj).await
    }

    async fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        let obj = self.obj(dom)?;
        {
            // libvirt's checks: a paused guest or a panicked one (kept by `<on_crash>
            // preserve`) runs again; a running one is refused, other states left as they are.
            let st = obj.lock();
            check_active(&st)?;
            let refusal = match st.state {
                DomainState::PMSUSPENDED => "domain is pmsuspended",
                DomainState::RUNNING => "domain is already running",
                DomainState::PAUSED => "",
                DomainState::CRASHED if st.reason == DomainCrashedReason::PANICKED.0 => "",
                _ => return Ok(()),
            };
            if !refusal.is_empty() {
                return Err(Error::operation_invalid(FROM, refusal));
            }
        }
        self.resume(&obj).await
    }

    async fn domain_save(
        &self,
        dom: &DomainRef,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let supported = DomainSaveRestoreFlags::BYPASS_CACHE
            | DomainSaveRestoreFlags::RUNNING
            | DomainSaveRestoreFlags::PAUSED;
        check_flags(FROM, "qemuDomainSaveFlags", flags.bits(), supported.bits())?;
        let obj = self.obj(dom)?;
        check_active(&obj.lock())?;
        self.save_to(&obj, Path::new(path), dxml, flags).await
    }

    async fn domain_restore(
        &self,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let supported = DomainSaveRestoreFlags::BYPASS_CACHE
            | DomainSaveRestoreFlags::RUNNING
            | DomainSaveRestoreFlags::PAUSED
            | DomainSaveRestoreFlags::RESET_NVRAM;
        check_flags(
            FROM,
            "qemuDomainRestoreFlags",
            flags.bits(),
            supported.bits(),
        )?;
        self.restore_from(Path::new(path), dxml, flags).await
    }

    async fn domain_save_image_get_xml_desc(
        &self,
        path: &str,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        check_flags(
            FROM,
            "qemuDomainSaveImageGetXMLDesc",
            flags.bits(),
            DomainSaveImageXMLFlags::SECURE.bits(),
        )?;
        let def = self.image_def(Path::new(path)).await?;
        Ok(def.format_xml(FormatOptions {
            id: None,
            inactive: false,
            secure: flags.contains(DomainSaveImageXMLFlags::SECURE),
            migratable: false,
            status: false,
        }))
    }

    async fn domain_save_image_define_xml(
        &self,
        path: &str,
        dxml: &str,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let supported = DomainSaveRestoreFlags::RUNNING | DomainSaveRestoreFlags::PAUSED;
        check_flags(
            FROM,
            "qemuDomainSaveImageDefineXML",
            flags.bits(),
            supported.bits(),
        )?;
        self.redefine_image(Path::new(path), dxml, flags).await
    }

    async fn domain_managed_save(
        &self,
        dom: &DomainRef,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let supported = DomainSaveRestoreFlags::BYPASS_CACHE
            | DomainSaveRestoreFlags::RUNNING
            | DomainSaveRestoreFlags::PAUSED;
        check_flags(
            FROM,
            "qemuDomainManagedSave",
            flags.bits(),
            supported.bits(),
        )?;
        let obj = self.obj(dom)?;
        let name = {
            let st = obj.lock();
            check_active(&st)?;
            if !st.persistent {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot do managed save for transient domain",
                ));
            }
            st.name.clone()
        };
        std::fs::create_dir_all(&self.dirs.qemu_save).map_err(|e| {
            Error::system(
                FROM,
                format!("cannot create '{}'", self.dirs.qemu_save.display()),
                &e,
            )
        })?;
        let path = self.managed_save_path(&name);
        self.save_to(&obj, &path, None, flags).await?;
        obj.lock().has_managed_save = true;
        Ok(())
    }

    async fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "qemuDomainHasManagedSaveImage", flags, 0)?;
        self.read(dom, |st| Ok(st.has_managed_save))
    }

    async fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "qemuDomainManagedSaveRemove", flags, 0)?;
        let obj = self.obj(dom)?;
        let path = self.managed_save_path(&obj.lock().name);
        std::fs::remove_file(&path).map_err(|e| {
            Error::system(
                FROM,
                format!("Failed to remove managed save file '{}'", path.display()),
                &e,
            )
        })?;
        obj.lock().has_managed_save = false;
        Ok(())
    }

    async fn domain_managed_save_get_xml_desc(
        &self,
        dom: &DomainRef,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        check_flags(
            FROM,
            "qemuDomainManagedSaveGetXMLDesc",
            flags.bits(),
            DomainSaveImageXMLFlags::SECURE.bits(),
        )?;
        let obj = self.obj(dom)?;
        let path = self.managed_save_path(&obj.lock().name);
        if !path.exists() {
            return Err(Error::operation_invalid(
                FROM,
                "domain does not have managed save image",
            ));
        }
        self.domain_save_image_get_xml_desc(&path.to_string_lossy(), flags)
            .await
    }

    async fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        self.read(dom, |st| Ok(st.autostart))
    }

    async fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        let obj = self.obj(dom)?;
        let name = {
            let st = obj.lock();
            if !st.persistent {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "cannot set autostart for transient domain",
                ));
            }
            st.name.clone()
        };
        let link = self.autostart_path(&name);
        if autostart {
            let target = self.config_path(&name);
            let _ = std::fs::create_dir_all(&self.dirs.qemu_autostart);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&target, &link).map_err(|e| {
                Error::system(
                    FROM,
                    format!(
                        "Failed to create symlink '{}' to '{}'",
                        link.display(),
                        target.display()
                    ),
                    &e,
                )
            })?;
        } else {
            util::remove_durably(&link).map_err(|e| {
                Error::system(
                    FROM,
                    format!("Failed to delete symlink '{}'", link.display()),
                    &e,
                )
            })?;
        }
        obj.lock().autostart = autostart;
        Ok(())
    }

    async fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        let obj = self.obj(dom)?;
        let (mut info, active) = {
            let st = obj.lock();
            (
                DomainInfo {
                    state: st.state,
                    max_mem: st.def.memory_kib,
                    memory: st.def.current_memory_kib,
                    nr_virt_cpu: st.def.vcpus_current,
                    cpu_time: 0,
                },
                st.is_active(),
            )
        };
        if active && let Ok(p) = self.proc_of(&obj.uuid) {
            info.cpu_time = p.cpu_time();
        }
        Ok(info)
    }

    async fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(DomainState, i32)> {
        check_flags(FROM, "qemuDomainGetState", flags, 0)?;
        self.read(dom, |st| Ok((st.state, st.reason)))
    }

    async fn domain_get_xml_desc(&self, dom: &DomainRef, flags: DomainXMLFlags) -> Result<String> {
        let supported = DomainXMLFlags::SECURE
            | DomainXMLFlags::INACTIVE
            | DomainXMLFlags::UPDATE_CPU
            | DomainXMLFlags::MIGRATABLE;
        check_flags(FROM, "qemuDomainGetXMLDesc", flags.bits(), supported.bits())?;
        if flags.contains(DomainXMLFlags::UPDATE_CPU) {
            return self.xml_with_updated_cpu(dom, flags).await;
        }
        self.read(dom, |st| {
            let inactive = flags.contains(DomainXMLFlags::INACTIVE);
            let def = if inactive {
                st.persistent_def()
            } else {
                &st.def
            };
            if flags.contains(DomainXMLFlags::MIGRATABLE) {
                return self.migratable_xml(def);
            }
            Ok(def.format_xml(FormatOptions {
                id: (st.is_active() && !inactive).then_some(st.id),
                inactive,
                secure: flags.contains(DomainXMLFlags::SECURE),
                migratable: flags.contains(DomainXMLFlags::MIGRATABLE),
                status: false,
            }))
        })
    }

    async fn domain_is_active(&self, dom: &DomainRef) -> Result<bool> {
        self.read(dom, |st| Ok(st.is_active()))
    }

    async fn domain_is_persistent(&self, dom: &DomainRef) -> Result<bool> {
        self.read(dom, |st| Ok(st.persistent))
    }

    async fn domain_is_updated(&self, dom: &DomainRef) -> Result<bool> {
        self.read(dom, |st| {
            Ok(st
                .new_def
                .as_ref()
                .is_some_and(|n| !Arc::ptr_eq(n, &st.def) && **n != *st.def))
        })
    }

    async fn domain_set_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        metadata: Option<&str>,
        key: Option<&str>,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        self.set_metadata(dom, kind, metadata, key, uri, flags)
            .await
    }

    async fn domain_get_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<String> {
        self.get_metadata(dom, kind, uri, flags)
    }

    async fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: DomainInterfaceAddressesSource,
        flags: u32,
    ) -> Result<Vec<DomainInterface>> {
        self.interface_addresses(dom, source, flags).await
    }

    async fn domain_get_hostname(
        &self,
        dom: &DomainRef,
        flags: DomainGetHostnameFlags,
    ) -> Result<String> {
        self.hostname(dom, flags).await
    }

    async fn domain_get_time(&self, dom: &DomainRef, flags: u32) -> Result<DomainTime> {
        self.agent_get_time(dom, flags).await
    }

    async fn domain_set_time(
        &self,
        dom: &DomainRef,
        seconds: i64,
        nseconds: u32,
        flags: u32,
    ) -> Result<()> {
        self.agent_set_time(dom, seconds, nseconds, flags).await
    }

    async fn domain_pin_vcpu(
        &self,
        dom: &DomainRef,
        vcpu: u32,
        cpumap: &[u8],
        flags: u32,
    ) -> Result<()> {
        self.pin_vcpu(dom, vcpu, cpumap, flags).await
    }

    async fn domain_get_vcpu_pin_info(
        &self,
        dom: &DomainRef,
        ncpumaps: i32,
        maplen: i32,
        flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        self.vcpu_pin_info(dom, ncpumaps, maplen, flags)
    }

    async fn domain_pin_emulator(&self, dom: &DomainRef, cpumap: &[u8], flags: u32) -> Result<()> {
        self.pin_emulator(dom, cpumap, flags).await
    }

    async fn domain_get_emulator_pin_info(
        &self,
        dom: &DomainRef,
        maplen: i32,
        flags: u32,
    ) -> Result<(Vec<u8>, i32)> {
        self.emulator_pin_info(dom, maplen, flags)
    }

    async fn domain_get_messages(&self, dom: &DomainRef, flags: u32) -> Result<Vec<String>> {
        self.messages(dom, flags)
    }

    async fn domain_get_block_info(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<DomainBlockInfo> {
        self.block_info(dom, disk, flags).await
    }

    async fn domain_get_disk_errors(
        &self,
        dom: &DomainRef,
        maxerrors: u32,
        flags: u32,
    ) -> Result<(Vec<DomainDiskError>, i32)> {
        self.disk_errors(dom, maxerrors, flags).await
    }

    async fn domain_get_iothread_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<DomainIOThreadInfo>> {
        self.iothread_info(dom, flags).await
    }

    async fn domain_add_iothread(&self, dom: &DomainRef, id: u32, flags: u32) -> Result<()> {
        self.change_iothread(dom, id, true, flags).await
    }

    async fn domain_del_iothread(&self, dom: &DomainRef, id: u32, flags: u32) -> Result<()> {
        self.change_iothread(dom, id, false, flags).await
    }

    async fn domain_pin_iothread(
        &self,
        dom: &DomainRef,
        id: u32,
        cpumap: &[u8],
        flags: u32,
    ) -> Result<()> {
        self.pin_iothread(dom, id, cpumap, flags).await
    }

    async fn domain_inject_nmi(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.inject_nmi(dom, flags).await
    }

    async fn domain_pm_suspend_for_duration(
        &self,
        dom: &DomainRef,
        target: u32,
        duration: u64,
        flags: u32,
    ) -> Result<()> {
        self.pm_suspend(dom, target, duration, flags).await
    }

    async fn domain_pm_wakeup(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.pm_wakeup(dom, flags).await
    }

    async fn domain_send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        self.send_key(dom, codeset, holdtime, keycodes, flags).await
    }

    async fn domain_core_dump(
        &self,
        dom: &DomainRef,
        to: &str,
        format: Option<u32>,
        flags: u32,
    ) -> Result<()> {
        self.core_dump(dom, to, format, flags).await
    }

    async fn domain_memory_peek(
        &self,
        dom: &DomainRef,
        start: u64,
        size: u32,
        flags: u32,
    ) -> Result<Vec<u8>> {
        self.memory_peek(dom, start, size, flags).await
    }

    async fn domain_get_control_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<DomainControlInfo> {
        self.control_info(dom, flags)
    }

    async fn domain_set_lifecycle_action(
        &self,
        dom: &DomainRef,
        kind: u32,
        action: u32,
        flags: u32,
    ) -> Result<()> {
        self.set_lifecycle_action(dom, kind, action, flags).await
    }

    async fn domain_get_launch_security_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        self.launch_security_info(dom, flags)
    }

    async fn domain_fs_freeze(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        self.agent_fs_freeze(dom, mountpoints, flags).await
    }

    async fn domain_fs_thaw(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        self.agent_fs_thaw(dom, mountpoints, flags).await
    }

    async fn domain_fs_trim(
        &self,
        dom: &DomainRef,
        mountpoint: Option<&str>,
        minimum: u64,
        flags: u32,
    ) -> Result<()> {
        self.agent_fs_trim(dom, mountpoint, minimum, flags).await
    }

    async fn domain_get_fs_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<rvirt_types::records::DomainFSInfo>> {
        Ok(self
            .agent_fs_info(dom, flags)
            .await?
            .into_iter()
            .map(|f| rvirt_types::records::DomainFSInfo {
                mountpoint: f.mountpoint,
                name: f.name,
                fstype: f.fstype,
                dev_aliases: f.disks,
            })
            .collect())
    }

    async fn domain_set_user_password(
        &self,
        dom: &DomainRef,
        user: &str,
        password: &str,
        flags: u32,
    ) -> Result<()> {
        self.agent_set_user_password(dom, user, password, flags)
            .await
    }

    async fn domain_authorized_ssh_keys_get(
        &self,
        dom: &DomainRef,
        user: &str,
        flags: u32,
    ) -> Result<Vec<String>> {
        self.agent_ssh_keys_get(dom, user, flags).await
    }

    async fn domain_authorized_ssh_keys_set(
        &self,
        dom: &DomainRef,
        user: &str,
        keys: &[String],
        flags: u32,
    ) -> Result<()> {
        self.agent_ssh_keys_set(dom, user, keys, flags).await
    }

    async fn domain_get_guest_info(
        &self,
        dom: &DomainRef,
        types: u32,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        self.guest_info(dom, types, flags).await
    }

    async fn domain_get_guest_vcpus(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        self.agent_guest_vcpus(dom, flags).await
    }

    async fn domain_set_guest_vcpus(
        &self,
        dom: &DomainRef,
        cpumap: &str,
        state: i32,
        flags: u32,
    ) -> Result<()> {
        self.agent_set_guest_vcpus(dom, cpumap, state, flags).await
    }

    async fn domain_agent_set_response_timeout(
        &self,
        dom: &DomainRef,
        timeout: i32,
        flags: u32,
    ) -> Result<()> {
        self.agent_set_timeout(dom, timeout, flags)
    }

    async fn domain_screenshot(
        &self,
        dom: &DomainRef,
        screen: u32,
        flags: u32,
    ) -> Result<(String, Box<dyn rvirt_driver::StreamBackend>)> {
        self.screenshot(dom, screen, flags).await
    }

    async fn domain_rename(
        &self,
        dom: &DomainRef,
        new_name: &str,
        flags: u32,
    ) -> Result<DomainRef> {
        self.rename(dom, new_name, flags).await
    }

    /// The driver applies no security model (the capabilities' first is `none`), so a domain's
    /// label is empty, running or not, as libvirt's is under `security_driver = "none"`.
    async fn domain_get_security_label(&self, dom: &DomainRef) -> Result<SecurityLabel> {
        self.read(dom, |_| Ok(SecurityLabel::default()))
    }

    async fn domain_get_os_type(&self, dom: &DomainRef) -> Result<String> {
        self.read(dom, |st| Ok(st.def.os.os_type.to_string()))
    }

    async fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        self.read(dom, |st| Ok(st.def.memory_kib))
    }

    async fn domain_attach_device(&self, dom: &DomainRef, xml: &str) -> Result<()> {
        self.attach_device(dom, xml, DomainDeviceModifyFlags::LIVE)
            .await
    }

    async fn domain_attach_device_flags(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.attach_device(dom, xml, flags).await
    }

    async fn domain_detach_device(&self, dom: &DomainRef, xml: &str) -> Result<()> {
        self.detach_device(dom, xml, DomainDeviceModifyFlags::LIVE)
            .await
    }

    async fn domain_detach_device_flags(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.detach_device(dom, xml, flags).await
    }

    async fn domain_update_device_flags(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.update_device(dom, xml, flags).await
    }

    async fn domain_detach_device_alias(
        &self,
        dom: &DomainRef,
        alias: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.detach_device_alias(dom, alias, flags).await
    }

    async fn domain_set_memory(
        &self,
        dom: &DomainRef,
        kib: u64,
        flags: DomainMemoryModFlags,
    ) -> Result<()> {
        self.set_memory(dom, kib, flags).await
    }

    async fn domain_set_max_memory(&self, dom: &DomainRef, kib: u64) -> Result<()> {
        self.set_memory(dom, kib, DomainMemoryModFlags::MAXIMUM)
            .await
    }

    async fn domain_set_memory_stats_period(
        &self,
        dom: &DomainRef,
        period: i32,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        self.set_memory_stats_period(dom, period, flags).await
    }

    async fn domain_set_vcpus(
        &self,
        dom: &DomainRef,
        n: u32,
        flags: DomainVcpuFlags,
    ) -> Result<()> {
        self.set_vcpus(dom, n, flags).await
    }

    async fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: DomainVcpuFlags) -> Result<i32> {
        self.get_vcpus_flags(dom, flags).await
    }

    async fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        self.get_vcpus_flags(dom, DomainVcpuFlags::LIVE | DomainVcpuFlags::MAXIMUM)
            .await
    }

    async fn domain_get_vcpus(
        &self,
        dom: &DomainRef,
        maxinfo: i32,
        maplen: i32,
    ) -> Result<(Vec<VcpuInfo>, Vec<u8>)> {
        self.get_vcpus(dom, maxinfo, maplen).await
    }

    async fn domain_get_cpu_stats(
        &self,
        dom: &DomainRef,
        start: i32,
        ncpus: u32,
        flags: u32,
    ) -> Result<Vec<Vec<rvirt_types::TypedParam>>> {
        self.cpu_stats(dom, start, ncpus, flags).await
    }

    async fn domain_block_stats(&self, dom: &DomainRef, disk: &str) -> Result<DomainBlockStats> {
        self.block_stats(dom, disk).await
    }

    async fn domain_block_commit(
        &self,
        dom: &DomainRef,
        disk: &str,
        base: Option<&str>,
        top: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        self.block_commit(dom, disk, base, top, bandwidth, flags)
            .await
    }

    async fn domain_block_pull(
        &self,
        dom: &DomainRef,
        disk: &str,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        self.block_pull(dom, disk, None, bandwidth, flags, false)
            .await
    }

    async fn domain_block_rebase(
        &self,
        dom: &DomainRef,
        disk: &str,
        base: Option<&str>,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        self.block_pull(dom, disk, base, bandwidth, flags, true)
            .await
    }

    async fn domain_get_block_job_info(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<Option<DomainBlockJobInfo>> {
        self.block_job_info(dom, disk, flags).await
    }

    async fn domain_block_job_abort(&self, dom: &DomainRef, disk: &str, flags: u32) -> Result<()> {
        self.block_job_abort(dom, disk, flags).await
    }

    async fn domain_block_job_set_speed(
        &self,
        dom: &DomainRef,
        disk: &str,
        bandwidth: u64,
        flags: u32,
    ) -> Result<()> {
        self.block_job_set_speed(dom, disk, bandwidth, flags).await
    }

    async fn domain_get_job_info(&self, dom: &DomainRef) -> Result<DomainJobInfo> {
        self.job_info(dom).await
    }

    async fn domain_get_job_stats(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<(i32, Vec<rvirt_types::TypedParam>)> {
        self.job_stats(dom, flags).await
    }

    async fn domain_abort_job(&self, dom: &DomainRef) -> Result<()> {
        self.abort_job(dom, 0).await
    }

    async fn domain_abort_job_flags(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.abort_job(dom, flags).await
    }

    async fn domain_block_stats_flags(
        &self,
        dom: &DomainRef,
        disk: &str,
        flags: u32,
    ) -> Result<Vec<rvirt_types::TypedParam>> {
        self.block_stats_flags(dom, disk, flags).await
    }

    async fn domain_interface_stats(
        &self,
        dom: &DomainRef,
        device: &str,
    ) -> Result<DomainInterfaceStats> {
        self.interface_stats(dom, device).await
    }

    async fn domain_memory_stats(
        &self,
        dom: &DomainRef,
        nr_stats: u32,
        flags: u32,
    ) -> Result<Vec<DomainMemoryStat>> {
        self.memory_stats(dom, nr_stats, flags).await
    }

    async fn connect_get_all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: DomainStatsTypes,
        flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(DomainRef, Vec<rvirt_types::TypedParam>)>> {
        self.all_domain_stats(doms, stats, flags).await
    }

    async fn connect_domain_event_register_any(
        &self,
        dom: Option<&DomainRef>,
        event_id: DomainEventID,
        cb: DomainEventCallback,
    ) -> Result<CallbackId> {
        self.events.register(dom.map(|d| d.uuid), event_id, cb)
    }

    async fn connect_domain_event_deregister_any(&self, id: CallbackId) -> Result<()> {
        self.events.deregister(id)
    }
}
