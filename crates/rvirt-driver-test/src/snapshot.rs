//! Snapshots of the test hypervisor: a tree per domain with a current snapshot, libvirt's list
//! filters, and create / revert / delete with the test driver's rules.

use crate::domain::{shutdown_state, start_state};
use crate::moment::now_secs;
use crate::{FROM, TestDriver, err};
use rvirt_conf::snapshot::{SnapshotDef, SnapshotParseOptions};
use rvirt_conf::{DomainDef, FormatOptions};
use rvirt_driver::snapshot::{align_disks, redefine_prep, snapshot_disks, state_name};
use rvirt_driver::{
    DomainEvent, DomainObjState, DomainRef, SnapshotDriver, SnapshotRef, check_flags,
};
use rvirt_types::domain::*;
use rvirt_types::snapshot::*;
use rvirt_types::{Error, ErrorNumber, Result};
use std::sync::Arc;

type F = DomainSnapshotListFlags;

impl SnapshotDriver for TestDriver {
    async fn snapshot_create_xml(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<SnapshotRef> {
        use DomainSnapshotCreateFlags as C;
        let supported =
            C::REDEFINE | C::CURRENT | C::HALT | C::QUIESCE | C::ATOMIC | C::LIVE | C::VALIDATE;
        check_flags(
            FROM,
            "testDomainSnapshotCreateXML",
            flags.bits(),
            supported.bits(),
        )?;
        let redefine = flags.contains(C::REDEFINE);
        let mut events = Vec::new();
        let r = self.with_moments::<SnapshotDef, _>(dom, |st, store| {
            if st.checkpoint_count > 0 {
                return Err(err(
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "cannot create snapshot while checkpoint exists",
                ));
            }
            if !st.persistent && flags.contains(C::HALT) {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot halt after transient domain snapshot",
                ));
            }
            if flags.contains(C::VALIDATE) {
                SnapshotDef::validate_xml(xml)?;
            }
            let mut def = SnapshotDef::parse_xml(
                xml,
                SnapshotParseOptions {
                    redefine,
                    now: now_secs(),
                },
            )?;
            if redefine {
                let uuid = st.def.uuid.to_string();
                redefine_prep(store, &mut def, &uuid, false)?;
                let name = def.name.clone();
                store.insert(def);
                if flags.contains(C::CURRENT) {
                    store.set_current(Some(name.clone()));
                }
                return Ok(SnapshotRef::new(dom, &name));
            }
            if store.get(&def.name).is_some() {
                return Err(Error::with_detail(
                    rvirt_types::ErrorDomain::DOMAIN,
                    ErrorNumber::OPERATION_FAILED,
                    format!("domain moment {} already exists", def.name),
                ));
            }
            if snapshot_disks(&def).iter().any(|d| d.location == "manual") {
                return Err(err(
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "'manual' snapshot mode is not supported by the test driver",
                ));
            }
            let domdef: DomainDef = (*st.def).clone();
            let default_location = if flags.contains(C::DISK_ONLY) {
                def.state = Some(
                    if st.is_active() {
                        "disk-snapshot"
                    } else {
                        "shutoff"
                    }
                    .into(),
                );
                def.memory = Some("no".into());
                "external"
            } else if def.memory.as_deref() == Some("external") {
                def.state = Some(state_name(st.state).into());
                "external"
            } else {
                let s = state_name(st.state);
                def.state = Some(s.into());
                def.memory = Some(if s == "shutoff" { "no" } else { "internal" }.into());
                "internal"
            };
            align_disks(&mut def, &domdef, default_location, true)?;
            def.domain = Some(domdef);
            def.parent = store.current().map(str::to_string);
            let name = def.name.clone();
            store.insert(def);
            if flags.contains(C::HALT) && st.is_active() {
                shutdown_state(st, DomainShutoffReason::FROM_SNAPSHOT);
                events.push(DomainEvent::lifecycle(
                    st.to_ref(dom.uuid),
                    DomainEventType::STOPPED,
                    DomainEventStoppedDetailType::FROM_SNAPSHOT.0,
                ));
            }
            store.set_current(Some(name.clone()));
            Ok(SnapshotRef::new(dom, &name))
        })?;
        self.events.emit_all(events);
        Ok(r)
    }

    async fn domain_list_all_snapshots(
        &self,
        dom: &DomainRef,
        flags: F,
    ) -> Result<Vec<SnapshotRef>> {
        self.moment_list::<SnapshotDef>("testDomainListAllSnapshots", dom, None, flags)
    }

    async fn snapshot_list_all_children(
        &self,
        snap: &SnapshotRef,
        flags: F,
    ) -> Result<Vec<SnapshotRef>> {
        let function = "testDomainSnapshotListAllChildren";
        self.moment_list::<SnapshotDef>(function, &snap.domain, Some(&snap.name), flags)
    }

    async fn domain_snapshot_num(&self, dom: &DomainRef, flags: F) -> Result<i32> {
        check_flags(FROM, "testDomainSnapshotNum", flags.bits(), F::all().bits())?;
        self.with_moments::<SnapshotDef, _>(
            dom,
            |_, store| Ok(store.list(None, flags).len() as i32),
        )
    }

    async fn snapshot_lookup_by_name(
        &self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<SnapshotRef> {
        self.moment_lookup::<SnapshotDef>("testDomainSnapshotLookupByName", dom, name, flags)
    }

    async fn domain_has_current_snapshot(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "testDomainHasCurrentSnapshot", flags, 0)?;
        self.with_moments::<SnapshotDef, _>(dom, |_, store| Ok(store.current().is_some()))
    }

    async fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        check_flags(FROM, "testDomainSnapshotCurrent", flags, 0)?;
        self.with_moments::<SnapshotDef, _>(dom, |_, store| store.current_ref(FROM, dom))
    }

    async fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        self.moment_parent::<SnapshotDef>("testDomainSnapshotGetParent", snap, flags)
    }

    async fn snapshot_get_xml_desc(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotXMLFlags,
    ) -> Result<String> {
        check_flags(
            FROM,
            "testDomainSnapshotGetXMLDesc",
            flags.bits(),
            DomainSnapshotXMLFlags::SECURE.bits(),
        )?;
        self.with_moments::<SnapshotDef, _>(&snap.domain, |_, store| {
            let s = store.find(FROM, &snap.name)?;
            let opts = FormatOptions {
                id: None,
                inactive: false,
                secure: flags.contains(DomainSnapshotXMLFlags::SECURE),
                migratable: false,
                status: false,
            };
            Ok(s.format_xml_for(opts, false, Some(&snap.domain.uuid.to_string())))
        })
    }

    async fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "testDomainSnapshotIsCurrent", flags, 0)?;
        self.with_moments::<SnapshotDef, _>(&snap.domain, |_, store| {
            store.is_current(FROM, &snap.name)
        })
    }

    async fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        check_flags(FROM, "testDomainSnapshotHasMetadata", flags, 0)?;
        self.with_moments::<SnapshotDef, _>(&snap.domain, |_, store| {
            store.find(FROM, &snap.name).map(|_| true)
        })
    }

    async fn snapshot_revert(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotRevertFlags,
    ) -> Result<()> {
        use DomainSnapshotRevertFlags as R;
        check_flags(
            FROM,
            "testDomainRevertToSnapshot",
            flags.bits(),
            (R::RUNNING | R::PAUSED | R::FORCE).bits(),
        )?;
        let mut events = Vec::new();
        self.with_moments::<SnapshotDef, _>(&snap.domain, |st, store| {
            let s = store.find(FROM, &snap.name)?;
            let state = s.state.clone().unwrap_or_default();
            let run_state = state == "running" || state == "paused";
            if !st.persistent && !run_state && !flags.intersects(R::RUNNING | R::PAUSED) {
                return Err(Error::operation_invalid(
                    FROM,
                    "transient domain needs to request run or pause to revert to inactive snapshot",
                ));
            }
            let config = s.domain.clone().ok_or_else(|| {
                err(
                    ErrorNumber::SNAPSHOT_REVERT_RISKY,
                    format!(
                        "snapshot '{}' lacks domain '{}' rollback info",
                        s.name, st.name
                    ),
                )
            })?;
            let me = st.to_ref(snap.domain.uuid);
            let ev = |st: &DomainObjState, e: DomainEventType, d: i32| {
                DomainEvent::lifecycle(st.to_ref(me.uuid), e, d)
            };
            let stop =
                |st: &mut DomainObjState| shutdown_state(st, DomainShutoffReason::FROM_SNAPSHOT);
            // libvirt's virDomainObjAssignDef(vm, config, live = false).
            let assign = |st: &mut DomainObjState, config: DomainDef| {
                if st.is_active() {
                    st.new_def = Some(Arc::new(config));
                } else {
                    st.def = Arc::new(config);
                }
            };
            if run_state {
                if st.is_active() {
                    stop(st);
                    events.push(ev(
                        st,
                        DomainEventType::STOPPED,
                        DomainEventStoppedDetailType::FROM_SNAPSHOT.0,
                    ));
                }
                assign(st, config);
                start_state(self, st, DomainRunningReason::FROM_SNAPSHOT);
                events.push(ev(
                    st,
                    DomainEventType::STARTED,
                    DomainEventStartedDetailType::FROM_SNAPSHOT.0,
                ));
                if !flags.contains(R::RUNNING) && (state == "paused" || flags.contains(R::PAUSED)) {
                    st.state = DomainState::PAUSED;
                    st.reason = DomainPausedReason::FROM_SNAPSHOT.0;
                    events.push(ev(
                        st,
                        DomainEventType::SUSPENDED,
                        DomainEventSuspendedDetailType::FROM_SNAPSHOT.0,
                    ));
                }
            } else {
                assign(st, config);
                if st.is_active() {
                    stop(st);
                    events.push(ev(
                        st,
                        DomainEventType::STOPPED,
                        DomainEventStoppedDetailType::FROM_SNAPSHOT.0,
                    ));
                }
                if flags.intersects(R::RUNNING | R::PAUSED) {
                    // As in libvirt's test driver: the events say started, the state stays.
                    events.push(ev(
                        st,
                        DomainEventType::STARTED,
                        DomainEventStartedDetailType::FROM_SNAPSHOT.0,
                    ));
                    if flags.contains(R::PAUSED) {
                        events.push(ev(
                            st,
                            DomainEventType::SUSPENDED,
                            DomainEventSuspendedDetailType::FROM_SNAPSHOT.0,
                        ));
                    }
                }
            }
            store.set_current(Some(snap.name.to_string()));
            Ok(())
        })?;
        self.events.emit_all(events);
        Ok(())
    }

    async fn snapshot_delete(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotDeleteFlags,
    ) -> Result<()> {
        use DomainSnapshotDeleteFlags as D;
        check_flags(
            FROM,
            "testDomainSnapshotDelete",
            flags.bits(),
            (D::CHILDREN | D::CHILDREN_ONLY).bits(),
        )?;
        self.with_moments::<SnapshotDef, _>(&snap.domain, |_, store| {
            store.find(FROM, &snap.name)?;
            store.delete(
                &snap.name,
                flags.intersects(D::CHILDREN | D::CHILDREN_ONLY),
                flags.contains(D::CHILDREN_ONLY),
            );
            Ok(())
        })
    }
}
