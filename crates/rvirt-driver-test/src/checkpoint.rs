//! Checkpoints of the test hypervisor: a tree per domain with a current checkpoint, libvirt's
//! list filters, and create / redefine / delete with the test driver's rules (checkpoints only
//! of running domains, never beside snapshots; nothing to track on the fake disks).

use crate::domain::check_active;
use crate::moment::now_secs;
use crate::{FROM, TestDriver, err};
use rvirt_conf::checkpoint::{CheckpointDef, CheckpointParseOptions};
use rvirt_driver::check_flags;
use rvirt_driver::{CheckpointDriver, CheckpointRef, CheckpointStore, DomainObjState, DomainRef};
use rvirt_types::checkpoint::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

type F = DomainCheckpointListFlags;

/// Creates or redefines a checkpoint in `store` (`testDomainCheckpointCreateXML` after its
/// flag check).
fn create(
    st: &DomainObjState,
    store: &mut CheckpointStore,
    xml: &str,
    redefine: bool,
) -> Result<String> {
    if st.snapshot_count > 0 {
        return Err(err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "cannot create checkpoint while snapshot exists",
        ));
    }
    if !st.is_active() {
        return Err(err(
            ErrorNumber::OPERATION_UNSUPPORTED,
            "cannot create checkpoint for inactive domain",
        ));
    }
    let mut def = CheckpointDef::parse_xml(
        xml,
        CheckpointParseOptions {
            redefine,
            now: now_secs(),
        },
    )?;
    let mut update_current = !redefine;
    if redefine {
        // virDomainCheckpointRedefinePrep.
        store.check_cycles(&def)?;
        if let Some(d) = &def.domain {
            if d.uuid != st.def.uuid {
                return Err(Error::with_detail(
                    ErrorDomain::DOMAIN_CHECKPOINT,
                    ErrorNumber::INVALID_ARG,
                    format!(
                        "definition for checkpoint {} must use uuid {}",
                        def.name, st.def.uuid
                    ),
                ));
            }
            def.align_disks()?;
        } else {
            def.assign_bitmap_names();
        }
        let current = store.current();
        if current.is_none()
            || def
                .parent
                .as_deref()
                .is_some_and(|p| store.get(p).is_some() && current == Some(p))
        {
            update_current = true;
        }
    } else {
        def.domain = Some((*st.def).clone());
        def.align_disks()?;
        if store.get(&def.name).is_some() {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::OPERATION_FAILED,
                format!("domain moment {} already exists", def.name),
            ));
        }
        def.parent = store.current().map(str::to_string);
    }
    let name = def.name.clone();
    store.insert(def);
    if update_current {
        store.set_current(Some(name.clone()));
    }
    Ok(name)
}

impl CheckpointDriver for TestDriver {
    async fn checkpoint_create_xml(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainCheckpointCreateFlags,
    ) -> Result<CheckpointRef> {
        use DomainCheckpointCreateFlags as C;
        check_flags(
            FROM,
            "testDomainCheckpointCreateXML",
            flags.bits(),
            (C::REDEFINE | C::QUIESCE).bits(),
        )?;
        // QUIESCE: the test driver has no guest agent to ask and takes the checkpoint anyway.
        self.with_moments::<CheckpointDef, _>(dom, |st, store| {
            create(st, store, xml, flags.contains(C::REDEFINE))
                .map(|name| CheckpointRef::new(dom, &name))
        })
    }

    async fn domain_list_all_checkpoints(
        &self,
        dom: &DomainRef,
        flags: F,
    ) -> Result<Vec<CheckpointRef>> {
        self.moment_list::<CheckpointDef>("testDomainListAllCheckpoints", dom, None, flags)
    }

    async fn checkpoint_list_all_children(
        &self,
        chk: &CheckpointRef,
        flags: F,
    ) -> Result<Vec<CheckpointRef>> {
        let function = "testDomainCheckpointListAllChildren";
        self.moment_list::<CheckpointDef>(function, &chk.domain, Some(&chk.name), flags)
    }

    async fn checkpoint_lookup_by_name(
        &self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<CheckpointRef> {
        self.moment_lookup::<CheckpointDef>("testDomainCheckpointLookupByName", dom, name, flags)
    }

    async fn checkpoint_get_parent(
        &self,
        chk: &CheckpointRef,
        flags: u32,
    ) -> Result<CheckpointRef> {
        self.moment_parent::<CheckpointDef>("testDomainCheckpointGetParent", chk, flags)
    }

    async fn checkpoint_get_xml_desc(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointXMLFlags,
    ) -> Result<String> {
        use DomainCheckpointXMLFlags as X;
        check_flags(
            FROM,
            "testDomainCheckpointGetXMLDesc",
            flags.bits(),
            X::all().bits(),
        )?;
        self.with_moments::<CheckpointDef, _>(&chk.domain, |st, store| {
            let c = store.find(FROM, &chk.name)?;
            if flags.contains(X::SIZE) {
                // libvirt's test driver checks the domain runs, then reports no size after all.
                check_active(st)?;
            }
            Ok(c.format_xml(flags.into()))
        })
    }

    async fn checkpoint_delete(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointDeleteFlags,
    ) -> Result<()> {
        use DomainCheckpointDeleteFlags as D;
        check_flags(
            FROM,
            "testDomainCheckpointDelete",
            flags.bits(),
            D::all().bits(),
        )?;
        self.with_moments::<CheckpointDef, _>(&chk.domain, |_, store| {
            store.find(FROM, &chk.name)?;
            store.delete(
                &chk.name,
                flags.intersects(D::CHILDREN | D::CHILDREN_ONLY),
                flags.contains(D::CHILDREN_ONLY),
            );
            Ok(())
        })
    }
}
