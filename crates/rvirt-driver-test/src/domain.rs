//! Domain calls of the test hypervisor, with libvirt's test-driver rules, errors and events.

use crate::{FROM, TestDriver, err, save_image};
use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use rvirt_driver::domain_obj::AddConflict;
use rvirt_driver::{
    CallbackId, DomainDriver, DomainEvent, DomainEventCallback, DomainObj, DomainObjState,
    DomainRef, check_flags,
};
use rvirt_types::domain::*;
use rvirt_types::records::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, TypedParamValue, Uuid};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;

type E = DomainEventType;

/// The domain behind a handle, or libvirt's error for a handle whose domain is gone.
pub(crate) fn obj_from_ref(drv: &TestDriver, dom: &DomainRef) -> Result<Arc<DomainObj>> {
    drv.domains.find_by_uuid(&dom.uuid).ok_or_else(|| {
        err(
            ErrorNumber::NO_DOMAIN,
            format!("no domain with matching uuid '{}' ({})", dom.uuid, dom.name),
        )
    })
}

/// `VIR_ERR_OPERATION_INVALID: domain is not running` unless the domain runs.
pub(crate) fn check_active(st: &DomainObjState) -> Result<()> {
    if st.is_active() {
        Ok(())
    } else {
        Err(Error::operation_invalid(
            ErrorDomain::DOMAIN,
            "domain is not running",
        ))
    }
}

fn no_domain() -> Error {
    Error::new(FROM, ErrorNumber::NO_DOMAIN, None)
}

/// Running state: an id, the persistent definition kept aside for when it stops.
pub(crate) fn start_state(drv: &TestDriver, st: &mut DomainObjState, reason: DomainRunningReason) {
    st.state = DomainState::RUNNING;
    st.reason = reason.0;
    st.id = drv.next_id.fetch_add(1, Ordering::Relaxed);
    if st.persistent && st.new_def.is_none() {
        st.new_def = Some(st.def.clone());
    }
    st.has_managed_save = false;
}

/// Shut off: the persistent definition takes over again.
pub(crate) fn shutdown_state(st: &mut DomainObjState, reason: DomainShutoffReason) {
    if let Some(d) = st.new_def.take() {
        st.def = d;
    }
    st.state = DomainState::SHUTOFF;
    st.reason = reason.0;
    st.id = -1;
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

/// Adds a definition to be started at once (createXML, restore): libvirt's
/// `virDomainObjListAdd` with `ADD_LIVE | ADD_CHECK_LIVE`. Starts it and returns its handle.
fn add_live_and_start(
    drv: &TestDriver,
    def: DomainDef,
    reason: DomainRunningReason,
    paused: bool,
) -> Result<DomainRef> {
    let uuid = def.uuid;
    let name = def.name.clone();
    drv.domains.edit(|list| {
        let obj = match list
            .check_identity(&name, &uuid)
            .map_err(|c| conflict_error(c, &name, &uuid))?
        {
            Some(existing) => {
                let mut st = existing.lock();
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
                // Keep the persistent definition for when the domain stops.
                let old = std::mem::replace(&mut st.def, Arc::new(def));
                st.new_def = Some(old);
                drop(st);
                existing
            }
            None => {
                let obj = Arc::new(DomainObj::new(def, false));
                list.insert(obj.clone());
                obj
            }
        };
        let mut st = obj.lock();
        start_state(drv, &mut st, reason);
        if paused {
            st.state = DomainState::PAUSED;
            st.reason = DomainPausedReason::USER.0;
        }
        Ok(st.to_ref(uuid))
    })
}

/// Removes a domain that stopped and has no persistent configuration, if it is still so.
fn remove_if_transient(drv: &TestDriver, uuid: &Uuid) {
    drv.domains.edit(|list| {
        let gone = list.find_by_uuid(uuid).is_some_and(|o| {
            let st = o.lock();
            !st.persistent && !st.is_active()
        });
        if gone {
            list.remove(uuid);
            drv.forget(uuid);
        }
    });
}

/// Stops a running domain for `reason`, with its STOPPED event, removing it if transient.
fn stop(
    drv: &TestDriver,
    obj: &DomainObj,
    mut st: parking_lot::MutexGuard<'_, DomainObjState>,
    reason: DomainShutoffReason,
    detail: DomainEventStoppedDetailType,
) {
    shutdown_state(&mut st, reason);
    let ev = DomainEvent::lifecycle(st.to_ref(obj.uuid), E::STOPPED, detail.0);
    let transient = !st.persistent;
    drop(st);
    if transient {
        remove_if_transient(drv, &obj.uuid);
    }
    drv.events.emit(ev);
}

/// Carries out a lifecycle action (`on_poweroff`, `on_reboot`) on a running domain, and stops it
/// properly (event, transient removal) when the action shuts it off.
fn finish_lifecycle_action(
    drv: &TestDriver,
    obj: &DomainObj,
    mut st: parking_lot::MutexGuard<'_, DomainObjState>,
    action: &str,
) {
    if apply_lifecycle_action(&mut st, action) {
        stop(
            drv,
            obj,
            st,
            DomainShutoffReason::SHUTDOWN,
            DomainEventStoppedDetailType::SHUTDOWN,
        );
    }
}

/// What a lifecycle action (`on_poweroff`, `on_reboot`) does to a running test domain: true when
/// the domain ends up shut off.
fn apply_lifecycle_action(st: &mut DomainObjState, action: &str) -> bool {
    match action {
        "restart" | "rename-restart" => {
            st.state = DomainState::RUNNING;
            st.reason = DomainRunningReason::BOOTED.0;
            false
        }
        _ => {
            st.state = DomainState::SHUTOFF;
            st.reason = DomainShutoffReason::SHUTDOWN.0;
            true
        }
    }
}

/// Moves a domain to `state` for `reason` and returns the lifecycle event that says so.
fn transition(
    st: &mut DomainObjState,
    uuid: Uuid,
    state: DomainState,
    reason: i32,
    event: DomainEventType,
    detail: i32,
) -> DomainEvent {
    st.state = state;
    st.reason = reason;
    DomainEvent::lifecycle(st.to_ref(uuid), event, detail)
}

/// Seeds a domain from the machine description: persistent, and running if asked.
pub(crate) fn seed(drv: &TestDriver, mut def: DomainDef, running: bool) -> Result<DomainRef> {
    def.test_generate_ifnames();
    let uuid = def.uuid;
    let name = def.name.clone();
    drv.domains.edit(|list| {
        if let Err(c) = list.check_identity(&name, &uuid) {
            return Err(conflict_error(c, &name, &uuid));
        }
        let obj = Arc::new(DomainObj::new(def, true));
        list.insert(obj.clone());
        let mut st = obj.lock();
        if running {
            start_state(drv, &mut st, DomainRunningReason::UNKNOWN);
        }
        Ok(st.to_ref(uuid))
    })
}

fn parse_def(xml: &str) -> Result<DomainDef> {
    DomainDef::parse_xml(xml, ParseOptions::default())
}

impl TestDriver {
    fn modify<R>(
        &self,
        dom: &DomainRef,
        f: impl FnOnce(&mut DomainObjState) -> Result<(R, Option<DomainEvent>)>,
    ) -> Result<R> {
        let obj = obj_from_ref(self, dom)?;
        let mut st = obj.lock();
        let (r, ev) = f(&mut st)?;
        drop(st);
        if let Some(ev) = ev {
            self.events.emit(ev);
        }
        Ok(r)
    }

    fn read<R>(&self, dom: &DomainRef, f: impl FnOnce(&DomainObjState) -> Result<R>) -> Result<R> {
        let obj = obj_from_ref(self, dom)?;
        let st = obj.lock();
        f(&st)
    }

    /// Runs `f` on the domain's state for a change (for the driver's other modules).
    pub(crate) fn modify_domain<R>(
        &self,
        dom: &DomainRef,
        f: impl FnOnce(&mut DomainObjState) -> Result<R>,
    ) -> Result<R> {
        self.modify(dom, |st| Ok((f(st)?, None)))
    }

    /// Runs `f` on the domain's state (for the driver's other modules).
    pub(crate) fn read_domain<R>(
        &self,
        dom: &DomainRef,
        f: impl FnOnce(&DomainObjState) -> Result<R>,
    ) -> Result<R> {
        self.read(dom, f)
    }
}

impl DomainDriver for TestDriver {
    async fn connect_list_all_domains(
        &self,
        flags: ConnectListAllDomainsFlags,
    ) -> Result<Vec<DomainRef>> {
        check_flags(
            FROM,
            "testConnectListAllDomains",
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
        let obj = self.domains.find_by_id(id).ok_or_else(no_domain)?;
        Ok(obj.to_ref())
    }

    async fn domain_lookup_by_name(&self, name: &str) -> Result<DomainRef> {
        let obj = self.domains.find_by_name(name).ok_or_else(no_domain)?;
        Ok(obj.to_ref())
    }

    async fn domain_lookup_by_uuid(&self, uuid: &Uuid) -> Result<DomainRef> {
        let obj = self.domains.find_by_uuid(uuid).ok_or_else(no_domain)?;
        Ok(obj.to_ref())
    }

    async fn domain_define_xml(&self, xml: &str, flags: DomainDefineFlags) -> Result<DomainRef> {
        check_flags(
            FROM,
            "testDomainDefineXMLFlags",
            flags.bits(),
            DomainDefineFlags::VALIDATE.bits(),
        )?;
        if flags.contains(DomainDefineFlags::VALIDATE) {
            DomainDef::validate_xml(xml)?;
        }
        let mut def = parse_def(xml)?;
        if def.name.contains('\n') {
            return Err(Error::with_detail(
                ErrorDomain::XML,
                ErrorNumber::XML_DETAIL,
                format!("invalid name '{}': contains illegal characters", def.name),
            ));
        }
        def.test_generate_ifnames();
        let uuid = def.uuid;
        let name = def.name.clone();
        let (dref, detail) = self.domains.edit(|list| {
            match list
                .check_identity(&name, &uuid)
                .map_err(|c| conflict_error(c, &name, &uuid))?
            {
                Some(obj) => {
                    let mut st = obj.lock();
                    let had_old = if st.is_active() {
                        st.new_def.replace(Arc::new(def)).is_some()
                    } else {
                        st.def = Arc::new(def);
                        true
                    };
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
        let supported = DomainUndefineFlags::MANAGED_SAVE | DomainUndefineFlags::SNAPSHOTS_METADATA;
        check_flags(
            FROM,
            "testDomainUndefineFlags",
            flags.bits(),
            supported.bits(),
        )?;
        let obj = obj_from_ref(self, dom)?;
        let nsnap = self.snapshots.lock().get(&obj.uuid).map_or(0, |s| s.len());
        let ev = self.domains.edit(|list| {
            let mut st = obj.lock();
            if st.has_managed_save && !flags.contains(DomainUndefineFlags::MANAGED_SAVE) {
                return Err(Error::operation_invalid(
                    FROM,
                    "Refusing to undefine while domain managed save image exists",
                ));
            }
            if !st.is_active()
                && nsnap > 0
                && !flags.contains(DomainUndefineFlags::SNAPSHOTS_METADATA)
            {
                return Err(Error::operation_invalid(
                    FROM,
                    format!("cannot delete inactive domain with {nsnap} snapshots"),
                ));
            }
            let ev = DomainEvent::lifecycle(
                st.to_ref(obj.uuid),
                E::UNDEFINED,
                DomainEventUndefinedDetailType::REMOVED.0,
            );
            st.has_managed_save = false;
            if st.is_active() {
                st.persistent = false;
            } else {
                drop(st);
                list.remove(&obj.uuid);
                self.forget(&obj.uuid);
            }
            Ok(ev)
        })?;
        self.events.emit(ev);
        Ok(())
    }

    async fn domain_create(&self, dom: &DomainRef, flags: DomainCreateFlags) -> Result<DomainRef> {
        // libvirt's test driver takes no flags here, not even VIR_DOMAIN_START_PAUSED.
        check_flags(FROM, "testDomainCreateWithFlags", flags.bits(), 0)?;
        self.modify(dom, |st| {
            if st.state != DomainState::SHUTOFF {
                return Err(err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!("Domain '{}' is already running", st.name),
                ));
            }
            start_state(self, st, DomainRunningReason::BOOTED);
            let evs = DomainEvent::lifecycle(
                st.to_ref(dom.uuid),
                E::STARTED,
                DomainEventStartedDetailType::BOOTED.0,
            );
            Ok((st.to_ref(dom.uuid), Some(evs)))
        })
    }

    async fn domain_create_xml(&self, xml: &str, flags: DomainCreateFlags) -> Result<DomainRef> {
        // As libvirt's test driver: validation only, no VIR_DOMAIN_START_PAUSED.
        let supported = DomainCreateFlags::START_VALIDATE;
        check_flags(FROM, "testDomainCreateXML", flags.bits(), supported.bits())?;
        if flags.contains(DomainCreateFlags::START_VALIDATE) {
            DomainDef::validate_xml(xml)?;
        }
        let mut def = parse_def(xml)?;
        def.test_generate_ifnames();
        let r = add_live_and_start(self, def, DomainRunningReason::BOOTED, false)?;
        self.events.emit(DomainEvent::lifecycle(
            r.clone(),
            E::STARTED,
            DomainEventStartedDetailType::BOOTED.0,
        ));
        Ok(r)
    }

    async fn domain_create_xml_with_files(
        &self,
        xml: &str,
        _files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        // libvirt's test driver ignores the files (and never gets any: it does not claim fd
        // passing, so the public API refuses them first).
        self.domain_create_xml(xml, flags).await
    }

    async fn domain_create_with_files(
        &self,
        dom: &DomainRef,
        _files: &[BorrowedFd<'_>],
        flags: DomainCreateFlags,
    ) -> Result<DomainRef> {
        self.domain_create(dom, flags).await
    }

    async fn domain_shutdown(&self, dom: &DomainRef, flags: DomainShutdownFlags) -> Result<()> {
        check_flags(FROM, "testDomainShutdownFlags", flags.bits(), 0)?;
        let obj = obj_from_ref(self, dom)?;
        let st = obj.lock();
        if st.state == DomainState::SHUTOFF {
            return Err(err(
                ErrorNumber::INTERNAL_ERROR,
                format!("domain '{}' not running", st.name),
            ));
        }
        let action = st.def.on_poweroff.clone();
        finish_lifecycle_action(self, &obj, st, &action);
        Ok(())
    }

    async fn domain_reboot(&self, dom: &DomainRef, flags: DomainRebootFlags) -> Result<()> {
        check_flags(
            FROM,
            "testDomainReboot",
            flags.bits(),
            DomainRebootFlags::all().bits(),
        )?;
        let obj = obj_from_ref(self, dom)?;
        let st = obj.lock();
        check_active(&st)?;
        let action = st.def.on_reboot.clone();
        finish_lifecycle_action(self, &obj, st, &action);
        Ok(())
    }

    async fn domain_reset(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testDomainReset", flags, 0)?;
        self.read(dom, check_active)
    }

    async fn domain_destroy(&self, dom: &DomainRef, flags: DomainDestroyFlags) -> Result<()> {
        check_flags(
            FROM,
            "testDomainDestroyFlags",
            flags.bits(),
            DomainDestroyFlags::GRACEFUL.bits(),
        )?;
        let obj = obj_from_ref(self, dom)?;
        let st = obj.lock();
        check_active(&st)?;
        stop(
            self,
            &obj,
            st,
            DomainShutoffReason::DESTROYED,
            DomainEventStoppedDetailType::DESTROYED,
        );
        Ok(())
    }

    async fn domain_suspend(&self, dom: &DomainRef) -> Result<()> {
        self.modify(dom, |st| {
            if st.state == DomainState::SHUTOFF || st.state == DomainState::PAUSED {
                return Err(err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!("domain '{}' not running", st.name),
                ));
            }
            let ev = transition(
                st,
                dom.uuid,
                DomainState::PAUSED,
                DomainPausedReason::USER.0,
                E::SUSPENDED,
                DomainEventSuspendedDetailType::PAUSED.0,
            );
            Ok(((), Some(ev)))
        })
    }

    async fn domain_resume(&self, dom: &DomainRef) -> Result<()> {
        self.modify(dom, |st| {
            if st.state != DomainState::PAUSED {
                return Err(err(
                    ErrorNumber::INTERNAL_ERROR,
                    format!("domain '{}' not paused", st.name),
                ));
            }
            let ev = transition(
                st,
                dom.uuid,
                DomainState::RUNNING,
                DomainRunningReason::UNPAUSED.0,
                E::RESUMED,
                DomainEventResumedDetailType::UNPAUSED.0,
            );
            Ok(((), Some(ev)))
        })
    }

    async fn domain_save(
        &self,
        dom: &DomainRef,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        check_flags(FROM, "testDomainSaveFlags", flags.bits(), 0)?;
        if dxml.is_some() {
            return Err(err(
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "xml modification unsupported",
            ));
        }
        let obj = obj_from_ref(self, dom)?;
        let st = obj.lock();
        check_active(&st)?;
        save_image::write(path, &st.def)?;
        stop(
            self,
            &obj,
            st,
            DomainShutoffReason::SAVED,
            DomainEventStoppedDetailType::SAVED,
        );
        Ok(())
    }

    async fn domain_restore(
        &self,
        path: &str,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        check_flags(FROM, "testDomainRestoreFlags", flags.bits(), 0)?;
        if dxml.is_some() {
            return Err(err(
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "xml modification unsupported",
            ));
        }
        let mut def = save_image::read(path)?;
        def.test_generate_ifnames();
        let r = add_live_and_start(self, def, DomainRunningReason::RESTORED, false)?;
        self.events.emit(DomainEvent::lifecycle(
            r,
            E::STARTED,
            DomainEventStartedDetailType::RESTORED.0,
        ));
        Ok(())
    }

    async fn domain_save_image_get_xml_desc(
        &self,
        path: &str,
        flags: DomainSaveImageXMLFlags,
    ) -> Result<String> {
        check_flags(
            FROM,
            "testDomainSaveImageGetXMLDesc",
            flags.bits(),
            DomainSaveImageXMLFlags::SECURE.bits(),
        )?;
        let def = save_image::read(path)?;
        Ok(def.format_xml(FormatOptions {
            id: None,
            inactive: false,
            secure: true,
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
            "testDomainSaveImageDefineXML",
            flags.bits(),
            supported.bits(),
        )?;
        save_image::read(path)?;
        let def = parse_def(dxml)?;
        save_image::write(path, &def)
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
            "testDomainManagedSave",
            flags.bits(),
            supported.bits(),
        )?;
        let obj = obj_from_ref(self, dom)?;
        let mut st = obj.lock();
        check_active(&st)?;
        if !st.persistent {
            return Err(Error::operation_invalid(
                FROM,
                "cannot do managed save for transient domain",
            ));
        }
        st.has_managed_save = true;
        stop(
            self,
            &obj,
            st,
            DomainShutoffReason::SAVED,
            DomainEventStoppedDetailType::SAVED,
        );
        Ok(())
    }

    async fn domain_has_managed_save_image(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "testDomainHasManagedSaveImage", flags, 0)?;
        self.read(dom, |st| Ok(st.has_managed_save))
    }

    async fn domain_managed_save_remove(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testDomainManagedSaveRemove", flags, 0)?;
        self.modify(dom, |st| {
            st.has_managed_save = false;
            Ok(((), None))
        })
    }

    async fn domain_get_autostart(&self, dom: &DomainRef) -> Result<bool> {
        self.read(dom, |st| Ok(st.autostart))
    }

    async fn domain_set_autostart(&self, dom: &DomainRef, autostart: bool) -> Result<()> {
        self.modify(dom, |st| {
            st.autostart = autostart;
            Ok(((), None))
        })
    }

    async fn domain_set_memory(
        &self,
        dom: &DomainRef,
        kib: u64,
        flags: DomainMemoryModFlags,
    ) -> Result<()> {
        let supported = DomainMemoryModFlags::LIVE
            | DomainMemoryModFlags::CONFIG
            | DomainMemoryModFlags::MAXIMUM;
        check_flags(
            FROM,
            "testDomainSetMemoryFlags",
            flags.bits(),
            supported.bits(),
        )?;
        self.modify(dom, |st| {
            let (def, live) = st.one_def_mut(flags.bits())?;
            if flags.contains(DomainMemoryModFlags::MAXIMUM) {
                if live {
                    return Err(Error::operation_invalid(
                        FROM,
                        "cannot resize the maximum memory on an active domain",
                    ));
                }
                if def
                    .max_memory
                    .as_ref()
                    .is_some_and(|m| m.kib > 0 && m.kib < kib)
                {
                    return Err(Error::operation_invalid(
                        FROM,
                        "cannot set initial memory size greater than the maximum memory size",
                    ));
                }
                def.memory_kib = kib;
                if def.current_memory_kib > kib {
                    def.current_memory_kib = kib;
                }
            } else {
                if kib > def.memory_kib {
                    return Err(err(
                        ErrorNumber::INVALID_ARG,
                        "cannot set memory higher than max memory",
                    ));
                }
                def.current_memory_kib = kib;
            }
            Ok(((), None))
        })
    }

    async fn domain_set_memory_stats_period(
        &self,
        dom: &DomainRef,
        period: i32,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        let supported = DomainModificationImpact::LIVE | DomainModificationImpact::CONFIG;
        check_flags(
            FROM,
            "testDomainSetMemoryStatsPeriod",
            flags.bits(),
            supported.bits(),
        )?;
        self.modify(dom, |st| {
            let (def, _) = st.one_def_mut(flags.bits())?;
            let Some(balloon) = def
                .devices
                .memballoon
                .as_ref()
                .filter(|b| b.model != "none")
            else {
                return Err(err(
                    ErrorNumber::INTERNAL_ERROR,
                    "No memory balloon device configured, can not set the collection period",
                ));
            };
            let mut balloon = balloon.clone();
            // libvirt writes no <stats> element for a period of 0.
            balloon.stats_period = u32::try_from(period).ok().filter(|&p| p > 0);
            def.devices.memballoon = Some(balloon);
            Ok(((), None))
        })
    }

    async fn domain_set_max_memory(&self, dom: &DomainRef, kib: u64) -> Result<()> {
        self.domain_set_memory(dom, kib, DomainMemoryModFlags::MAXIMUM)
            .await
    }

    async fn domain_set_vcpus(
        &self,
        dom: &DomainRef,
        n: u32,
        flags: DomainVcpuFlags,
    ) -> Result<()> {
        let supported = DomainVcpuFlags::LIVE | DomainVcpuFlags::CONFIG | DomainVcpuFlags::MAXIMUM;
        check_flags(
            FROM,
            "testDomainSetVcpusFlags",
            flags.bits(),
            supported.bits(),
        )?;
        let max_supported = crate::host::MAX_VCPUS as u32;
        if n > max_supported {
            return Err(err(
                ErrorNumber::INVALID_ARG,
                format!(
                    "requested cpu amount exceeds maximum supported amount ({n} > {max_supported})"
                ),
            ));
        }
        self.modify(dom, |st| {
            let (live, config) = st.modification_impact(flags.bits())?;
            let maximum = flags.contains(DomainVcpuFlags::MAXIMUM);
            if live && st.def.vcpus_max < n {
                return Err(err(
                    ErrorNumber::INVALID_ARG,
                    format!(
                        "requested cpu amount exceeds maximum ({n} > {})",
                        st.def.vcpus_max
                    ),
                ));
            }
            let pers_max = st.persistent_def().vcpus_max;
            if config && !maximum && pers_max < n {
                return Err(err(
                    ErrorNumber::INVALID_ARG,
                    format!("requested cpu amount exceeds maximum ({n} > {pers_max})"),
                ));
            }
            if n == 0 {
                return Err(err(
                    ErrorNumber::INVALID_ARG,
                    "Number of vCPUs must be greater than 0",
                ));
            }
            if live {
                Arc::make_mut(&mut st.def).vcpus_current = n;
            }
            if config {
                let d = st.persistent_def_mut();
                if maximum {
                    d.vcpus_max = n;
                    d.vcpus_current = d.vcpus_current.min(n);
                } else {
                    d.vcpus_current = n;
                }
            }
            Ok(((), None))
        })
    }

    async fn domain_get_vcpus_flags(&self, dom: &DomainRef, flags: DomainVcpuFlags) -> Result<i32> {
        let supported = DomainVcpuFlags::LIVE | DomainVcpuFlags::CONFIG | DomainVcpuFlags::MAXIMUM;
        check_flags(
            FROM,
            "testDomainGetVcpusFlags",
            flags.bits(),
            supported.bits(),
        )?;
        self.read(dom, |st| {
            let def = st.one_def(flags.bits() & !DomainVcpuFlags::MAXIMUM.bits())?;
            let n = if flags.contains(DomainVcpuFlags::MAXIMUM) {
                def.vcpus_max
            } else {
                def.vcpus_current
            };
            Ok(n as i32)
        })
    }

    async fn domain_rename(
        &self,
        dom: &DomainRef,
        new_name: &str,
        flags: u32,
    ) -> Result<DomainRef> {
        check_flags(FROM, "testDomainRename", flags, 0)?;
        let obj = obj_from_ref(self, dom)?;
        let (evs, r) = self.domains.edit(|list| {
            let mut st = obj.lock();
            if st.is_active() {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot rename active domain",
                ));
            }
            if !st.persistent {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot rename a transient domain",
                ));
            }
            if st.state != DomainState::SHUTOFF {
                return Err(Error::operation_invalid(
                    FROM,
                    "domain has to be shutoff before renaming",
                ));
            }
            if &*st.name == new_name {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "Can't rename domain to itself",
                ));
            }
            if list.find_by_name(new_name).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    format!("domain with name '{new_name}' already exists"),
                ));
            }
            if new_name.contains('/') {
                return Err(err(
                    ErrorNumber::XML_ERROR,
                    format!("name {new_name} cannot contain '/'"),
                ));
            }
            let old = st.to_ref(obj.uuid);
            let new: Arc<str> = new_name.into();
            list.rename(&st.name.clone(), new.clone());
            st.name = new;
            Arc::make_mut(&mut st.def).name = new_name.to_string();
            let r = st.to_ref(obj.uuid);
            let evs = [
                DomainEvent::lifecycle(
                    old,
                    E::UNDEFINED,
                    DomainEventUndefinedDetailType::RENAMED.0,
                ),
                DomainEvent::lifecycle(
                    r.clone(),
                    E::DEFINED,
                    DomainEventDefinedDetailType::RENAMED.0,
                ),
            ];
            Ok((evs, r))
        })?;
        self.events.emit_all(evs);
        Ok(r)
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
        let supported = DomainModificationImpact::LIVE | DomainModificationImpact::CONFIG;
        check_flags(
            FROM,
            "testDomainSetMetadata",
            flags.bits(),
            supported.bits(),
        )?;
        self.modify(dom, |st| {
            let (live, config) = st.modification_impact(flags.bits())?;
            if live {
                Arc::make_mut(&mut st.def).set_metadata(kind, metadata, key, uri)?;
            }
            if config {
                // While running, the persistent definition is new_def; otherwise def, unless
                // the live pass above already changed it.
                match st.new_def.as_mut() {
                    Some(d) if st.id != -1 => {
                        Arc::make_mut(d).set_metadata(kind, metadata, key, uri)?
                    }
                    _ if !live => {
                        Arc::make_mut(&mut st.def).set_metadata(kind, metadata, key, uri)?
                    }
                    _ => {}
                }
            }
            let ev = DomainEvent::MetadataChange {
                dom: st.to_ref(dom.uuid),
                kind: kind.0,
                nsuri: uri.map(str::to_string),
            };
            Ok(((), Some(ev)))
        })
    }

    async fn domain_get_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<String> {
        let supported = DomainModificationImpact::LIVE | DomainModificationImpact::CONFIG;
        check_flags(
            FROM,
            "testDomainGetMetadata",
            flags.bits(),
            supported.bits(),
        )?;
        self.read(dom, |st| {
            let def = st.one_def(flags.bits())?;
            def.get_metadata(kind, uri)
        })
    }

    async fn domain_get_info(&self, dom: &DomainRef) -> Result<DomainInfo> {
        self.read(dom, |st| {
            Ok(DomainInfo {
                state: st.state,
                max_mem: st.def.memory_kib,
                memory: st.def.current_memory_kib,
                nr_virt_cpu: st.def.vcpus_current,
                cpu_time: now_nanos(),
            })
        })
    }

    async fn domain_get_state(&self, dom: &DomainRef, flags: u32) -> Result<(DomainState, i32)> {
        check_flags(FROM, "testDomainGetState", flags, 0)?;
        self.read(dom, |st| Ok((st.state, st.reason)))
    }

    async fn domain_get_xml_desc(&self, dom: &DomainRef, flags: DomainXMLFlags) -> Result<String> {
        let supported =
            DomainXMLFlags::SECURE | DomainXMLFlags::INACTIVE | DomainXMLFlags::MIGRATABLE;
        check_flags(FROM, "testDomainGetXMLDesc", flags.bits(), supported.bits())?;
        self.read(dom, |st| {
            let inactive = flags.contains(DomainXMLFlags::INACTIVE);
            let def = if inactive {
                st.persistent_def()
            } else {
                &st.def
            };
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

    async fn domain_is_updated(&self, _dom: &DomainRef) -> Result<bool> {
        Ok(false)
    }

    async fn domain_get_os_type(&self, _dom: &DomainRef) -> Result<String> {
        Ok("linux".into())
    }

    async fn domain_get_max_memory(&self, dom: &DomainRef) -> Result<u64> {
        self.read(dom, |st| Ok(st.def.memory_kib))
    }

    async fn domain_screenshot(
        &self,
        dom: &DomainRef,
        _screen: u32,
        flags: u32,
    ) -> Result<(String, Box<dyn rvirt_driver::StreamBackend>)> {
        check_flags(FROM, "testDomainScreenshot", flags, 0)?;
        // libvirt's test driver does not even look the domain up: any handle has a screen,
        // running, inactive or undefined.
        let _ = dom;
        let image = std::io::Cursor::new(crate::screenshot::png());
        Ok((
            "image/png".into(),
            Box::new(rvirt_driver::ReadStream::new(image)),
        ))
    }

    async fn domain_get_vcpus(
        &self,
        dom: &DomainRef,
        maxinfo: i32,
        maplen: i32,
    ) -> Result<(Vec<VcpuInfo>, Vec<u8>)> {
        let host_cpus = self.node.nodes * self.node.sockets * self.node.cores * self.node.threads;
        self.read(dom, |st| {
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "cannot list vcpus for an inactive domain",
                ));
            }
            let allowed: Vec<u32> = st
                .def
                .vcpu_cpuset
                .as_deref()
                .and_then(rvirt_conf::domain::parse_cpuset)
                .unwrap_or_else(|| (0..host_cpus).collect());
            let n = maxinfo.clamp(0, st.def.vcpus_current as i32) as usize;
            let maplen = maplen.max(0) as usize;
            // The test driver fakes an increasing CPU time from the clock, as libvirt's does.
            let now_us = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64);
            let mut maps = vec![0u8; n * maplen];
            let mut info = Vec::with_capacity(n);
            for i in 0..n {
                for &cpu in &allowed {
                    let byte = cpu as usize / 8;
                    if byte < maplen {
                        maps[i * maplen + byte] |= 1 << (cpu % 8);
                    }
                }
                info.push(VcpuInfo {
                    number: i as u32,
                    state: VcpuState::RUNNING.0,
                    cpu_time: now_us / 10,
                    cpu: allowed.last().map_or(-1, |&c| c as i32),
                });
            }
            Ok((info, maps))
        })
    }

    async fn domain_get_max_vcpus(&self, dom: &DomainRef) -> Result<i32> {
        self.read(dom, |st| {
            check_active(st)?;
            Ok(st.def.vcpus_max as i32)
        })
    }

    async fn domain_get_hostname(
        &self,
        dom: &DomainRef,
        flags: DomainGetHostnameFlags,
    ) -> Result<String> {
        check_flags(FROM, "testDomainGetHostname", flags.bits(), 0)?;
        self.read(dom, |st| {
            check_active(st)?;
            Ok(format!("{}host", dom.name))
        })
    }

    async fn domain_get_time(&self, dom: &DomainRef, flags: u32) -> Result<DomainTime> {
        check_flags(FROM, "testDomainGetTime", flags, 0)?;
        self.read(dom, |st| {
            if !st.is_active() {
                return Err(Error::operation_invalid(FROM, "domain is not running"));
            }
            Ok(DomainTime {
                seconds: 627319920,
                nseconds: 0,
            })
        })
    }

    async fn domain_pin_vcpu(
        &self,
        dom: &DomainRef,
        vcpu: u32,
        cpumap: &[u8],
        flags: u32,
    ) -> Result<()> {
        self.pin_vcpu(dom, vcpu, cpumap, flags)
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
        self.pin_emulator(dom, cpumap, flags)
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
        self.block_info(dom, disk, flags)
    }

    async fn domain_get_disk_errors(
        &self,
        dom: &DomainRef,
        maxerrors: u32,
        flags: u32,
    ) -> Result<(Vec<DomainDiskError>, i32)> {
        self.disk_errors(dom, maxerrors, flags)
    }

    async fn domain_get_iothread_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<DomainIOThreadInfo>> {
        self.iothread_info(dom, flags)
    }

    async fn domain_add_iothread(&self, dom: &DomainRef, id: u32, flags: u32) -> Result<()> {
        self.change_iothread(dom, id, true, flags)
    }

    async fn domain_del_iothread(&self, dom: &DomainRef, id: u32, flags: u32) -> Result<()> {
        self.change_iothread(dom, id, false, flags)
    }

    async fn domain_pin_iothread(
        &self,
        dom: &DomainRef,
        id: u32,
        cpumap: &[u8],
        flags: u32,
    ) -> Result<()> {
        self.pin_iothread(dom, id, cpumap, flags)
    }

    async fn domain_inject_nmi(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        self.inject_nmi(dom, flags)
    }

    async fn domain_send_key(
        &self,
        dom: &DomainRef,
        codeset: u32,
        _holdtime: u32,
        keycodes: &[u32],
        flags: u32,
    ) -> Result<()> {
        self.send_key(dom, codeset, keycodes, flags)
    }

    async fn domain_send_process_signal(
        &self,
        dom: &DomainRef,
        pid: i64,
        signum: u32,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "testDomainSendProcessSignal", flags, 0)?;
        if pid != 1 {
            return Err(Error::invalid_arg(
                FROM,
                "only sending a signal to pid 1 is supported",
            ));
        }
        // VIR_DOMAIN_PROCESS_SIGNAL_LAST: signals 0 to 64.
        if signum > 64 {
            return Err(Error::invalid_arg(
                FROM,
                format!("signum value {signum} is out of range"),
            ));
        }
        // Accepted, and nothing happens (not even a check that the domain runs).
        self.read(dom, |_| Ok(()))
    }

    async fn domain_core_dump(
        &self,
        dom: &DomainRef,
        to: &str,
        format: Option<u32>,
        flags: u32,
    ) -> Result<()> {
        let crash = DomainCoreDumpFlags::CRASH.bits();
        check_flags(FROM, "testDomainCoreDumpWithFormat", flags, crash)?;
        let obj = obj_from_ref(self, dom)?;
        let st = obj.lock();
        check_active(&st)?;
        save_image::write_core(to, &st.name)?;
        if format.unwrap_or(0) != 0 {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "kdump-compressed format is not supported here",
            ));
        }
        if flags & crash != 0 {
            stop(
                self,
                &obj,
                st,
                DomainShutoffReason::CRASHED,
                DomainEventStoppedDetailType::CRASHED,
            );
        }
        Ok(())
    }

    async fn domain_memory_peek(
        &self,
        dom: &DomainRef,
        start: u64,
        size: u32,
        flags: u32,
    ) -> Result<Vec<u8>> {
        rvirt_driver::check_peek_flags(FROM, "testDomainMemoryPeek", flags)?;
        self.read(dom, check_active)?;
        // The test guest's memory counts up from the low byte of the address.
        Ok((0..size)
            .map(|i| (start as u8).wrapping_add(i as u8))
            .collect())
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
        self.set_lifecycle_action(dom, kind, action, flags)
    }

    async fn domain_get_launch_security_info(
        &self,
        _dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        self.launch_security_info(flags)
    }

    async fn domain_fs_freeze(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        self.fs_freeze(dom, mountpoints, flags)
    }

    async fn domain_fs_thaw(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        self.fs_thaw(dom, mountpoints, flags)
    }

    async fn domain_fs_trim(
        &self,
        dom: &DomainRef,
        mountpoint: Option<&str>,
        _minimum: u64,
        flags: u32,
    ) -> Result<()> {
        self.fs_trim(dom, mountpoint, flags)
    }

    async fn domain_get_fs_info(&self, dom: &DomainRef, flags: u32) -> Result<Vec<DomainFSInfo>> {
        self.fs_info(dom, flags)
    }

    async fn domain_set_user_password(
        &self,
        dom: &DomainRef,
        _user: &str,
        _password: &str,
        flags: u32,
    ) -> Result<()> {
        self.set_user_password(dom, flags)
    }

    /// libvirt's test driver accepts any time (and `VIR_DOMAIN_TIME_SYNC`) and changes nothing.
    async fn domain_set_time(
        &self,
        dom: &DomainRef,
        _seconds: i64,
        _nseconds: u32,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "testDomainSetTime", flags, 1)?;
        self.read(dom, |_| Ok(()))
    }

    async fn domain_get_cpu_stats(
        &self,
        dom: &DomainRef,
        start: i32,
        ncpus: u32,
        flags: u32,
    ) -> Result<Vec<Vec<TypedParam>>> {
        check_flags(
            FROM,
            "testDomainGetCPUStats",
            flags,
            rvirt_types::typed_param::TYPED_PARAM_STRING_OKAY,
        )?;
        // libvirt's test driver spreads the domain's time over as many CPUs as the node has
        // cores, not over its CPUs.
        let total_cpus = self.node.cores as i32;
        self.read(dom, |st| {
            check_active(st)?;
            const TOTAL: u64 = 48772617035;
            let u = |f: &str, v: u64| TypedParam::new(f, TypedParamValue::ULLong(v));
            if start == -1 {
                return Ok(vec![vec![
                    u("cpu_time", TOTAL),
                    u("user_time", 5540000000),
                    u("system_time", 6460000000),
                ]]);
            }
            if ncpus == 0 {
                // The "how many CPUs" query: one empty group per CPU.
                return Ok(vec![Vec::new(); total_cpus as usize]);
            }
            if start >= total_cpus {
                return Err(err(
                    ErrorNumber::INVALID_ARG,
                    format!(
                        "start_cpu {start} larger than maximum of {}",
                        total_cpus - 1
                    ),
                ));
            }
            let per = TOTAL / total_cpus as u64;
            let end = total_cpus.min(start.saturating_add(ncpus as i32));
            Ok((start.max(0)..end)
                .map(|i| {
                    vec![
                        u("cpu_time", per + i as u64),
                        u("vcpu_time", (per + i as u64).wrapping_sub(1234567890)),
                    ]
                })
                .collect())
        })
    }

    async fn domain_block_stats(&self, dom: &DomainRef, disk: &str) -> Result<DomainBlockStats> {
        if disk.is_empty() {
            return Err(err(
                ErrorNumber::OPERATION_UNSUPPORTED,
                "summary statistics are not supported yet",
            ));
        }
        self.read(dom, |st| {
            check_active(st)?;
            if !st
                .def
                .devices
                .disks
                .iter()
                .any(|d| d.target_dev == disk || d.source_path() == Some(disk))
            {
                return Err(err(
                    ErrorNumber::INVALID_ARG,
                    format!("invalid path: {disk}"),
                ));
            }
            let base = now_micros();
            Ok(DomainBlockStats {
                rd_req: base / 10,
                rd_bytes: base / 20,
                wr_req: base / 30,
                wr_bytes: base / 40,
                errs: base / 2_000_000,
            })
        })
    }

    async fn domain_interface_stats(
        &self,
        dom: &DomainRef,
        device: &str,
    ) -> Result<DomainInterfaceStats> {
        self.read(dom, |st| {
            check_active(st)?;
            st.def.net_find(device)?;
            let base = now_micros();
            Ok(DomainInterfaceStats {
                rx_bytes: base / 10,
                rx_packets: base / 100,
                rx_errs: base / 1_000_000,
                rx_drop: base / 2_000_000,
                tx_bytes: base / 20,
                tx_packets: base / 110,
                tx_errs: base / 3_000_000,
                tx_drop: base / 4_000_000,
            })
        })
    }

    async fn domain_memory_stats(
        &self,
        dom: &DomainRef,
        nr_stats: u32,
        flags: u32,
    ) -> Result<Vec<DomainMemoryStat>> {
        check_flags(FROM, "testDomainMemoryStats", flags, 0)?;
        self.read(dom, |st| {
            check_active(st)?;
            let cur = st.def.current_memory_kib;
            let mut out = Vec::new();
            if st
                .def
                .devices
                .memballoon
                .as_ref()
                .is_some_and(|m| m.model != "none")
            {
                use DomainMemoryStatTags as T;
                for (tag, val) in [
                    (T::ACTUAL_BALLOON, cur),
                    (T::SWAP_IN, 0),
                    (T::SWAP_OUT, 0),
                    (T::MAJOR_FAULT, 0),
                    (T::MINOR_FAULT, 0),
                    (T::UNUSED, cur / 2),
                    (T::AVAILABLE, cur),
                    (T::USABLE, cur / 2),
                    (T::LAST_UPDATE, 627319920),
                    (T::DISK_CACHES, cur / 8),
                    (T::HUGETLB_PGALLOC, 0),
                    (T::HUGETLB_PGFAIL, 0),
                    (T::RSS, cur / 2),
                ] {
                    out.push(DomainMemoryStat { tag, val });
                }
            }
            out.truncate(nr_stats as usize);
            Ok(out)
        })
    }

    async fn connect_get_all_domain_stats(
        &self,
        doms: Option<&[DomainRef]>,
        stats: DomainStatsTypes,
        flags: ConnectGetAllDomainStatsFlags,
    ) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
        crate::stats::all_domain_stats(self, doms, stats, flags)
    }

    async fn domain_get_security_label(&self, dom: &DomainRef) -> Result<SecurityLabel> {
        self.read(dom, |st| {
            if st.is_active() {
                Ok(SecurityLabel {
                    label: "libvirt-test".into(),
                    enforcing: true,
                })
            } else {
                Ok(SecurityLabel::default())
            }
        })
    }

    async fn domain_interface_addresses(
        &self,
        dom: &DomainRef,
        source: DomainInterfaceAddressesSource,
        flags: u32,
    ) -> Result<Vec<DomainInterface>> {
        check_flags(FROM, "testDomainInterfaceAddresses", flags, 0)?;
        // The source travels as an unsigned number; libvirt prints it signed.
        if source.0 as u32 > DomainInterfaceAddressesSource::ARP.0 as u32 {
            return Err(err(
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                format!("Unknown IP address data source {}", source.0),
            ));
        }
        self.read(dom, |st| {
            check_active(st)?;
            self.interface_addresses(st)
        })
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

/// Wall-clock time in nanoseconds: the test driver reports it as a domain's CPU time.
pub(crate) fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64 * 1000)
        .unwrap_or(0)
}

fn now_micros() -> i64 {
    (now_nanos() / 1000) as i64
}
