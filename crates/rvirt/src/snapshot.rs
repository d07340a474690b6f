//! Snapshot handles (`virDomainSnapshotPtr`).

use crate::connect::dispatch;
use crate::{Connect, Domain};
use rvirt_driver::{SnapshotDriver, SnapshotRef};
use rvirt_types::snapshot::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// A handle to a domain snapshot: its domain and its name.
#[derive(Clone)]
pub struct DomainSnapshot {
    pub(crate) conn: Connect,
    pub(crate) r: SnapshotRef,
}

impl std::fmt::Debug for DomainSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainSnapshot")
            .field("domain", &self.r.domain.name)
            .field("name", &self.r.name)
            .finish()
    }
}

impl DomainSnapshot {
    /// `virDomainSnapshotGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virDomainSnapshotGetDomain`.
    pub fn get_domain(&self) -> Domain {
        self.conn.domain(self.r.domain.clone())
    }

    fn wrap(&self, r: SnapshotRef) -> DomainSnapshot {
        DomainSnapshot {
            conn: self.conn.clone(),
            r,
        }
    }

    /// `virDomainSnapshotGetXMLDesc`.
    pub async fn get_xml_desc(&self, flags: DomainSnapshotXMLFlags) -> Result<String> {
        if self.conn.is_read_only() && flags.contains(DomainSnapshotXMLFlags::SECURE) {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN_SNAPSHOT,
                ErrorNumber::OPERATION_DENIED,
                "virDomainSnapshotGetXMLDesc with secure flag",
            ));
        }
        dispatch!(self.conn, d => d.snapshot_get_xml_desc(&self.r, flags))
    }

    /// `virDomainSnapshotGetParent`.
    pub async fn get_parent(&self, flags: u32) -> Result<DomainSnapshot> {
        let r = dispatch!(self.conn, d => d.snapshot_get_parent(&self.r, flags))?;
        Ok(self.wrap(r))
    }

    /// `virDomainSnapshotListAllChildren`.
    pub async fn list_all_children(
        &self,
        flags: DomainSnapshotListFlags,
    ) -> Result<Vec<DomainSnapshot>> {
        let refs = dispatch!(self.conn, d => d.snapshot_list_all_children(&self.r, flags))?;
        Ok(refs.into_iter().map(|r| self.wrap(r)).collect())
    }

    /// `virDomainSnapshotNumChildren`: how many children (or descendants) pass the filter flags.
    pub async fn num_children(&self, flags: DomainSnapshotListFlags) -> Result<i32> {
        let refs = dispatch!(self.conn, d => d.snapshot_list_all_children(&self.r, flags))?;
        Ok(refs.len() as i32)
    }

    /// `virDomainSnapshotListChildrenNames`: the names of at most `max_names` children.
    pub async fn list_children_names(
        &self,
        max_names: i32,
        flags: DomainSnapshotListFlags,
    ) -> Result<Vec<String>> {
        crate::args::non_negative(
            "virDomainSnapshotListChildrenNames",
            "maxnames",
            max_names.into(),
        )?;
        let refs = dispatch!(self.conn, d => d.snapshot_list_all_children(&self.r, flags))?;
        Ok(refs
            .into_iter()
            .take(max_names as usize)
            .map(|r| r.name.to_string())
            .collect())
    }

    /// `virDomainSnapshotIsCurrent`.
    pub async fn is_current(&self, flags: u32) -> Result<bool> {
        dispatch!(self.conn, d => d.snapshot_is_current(&self.r, flags))
    }

    /// `virDomainSnapshotHasMetadata`.
    pub async fn has_metadata(&self, flags: u32) -> Result<bool> {
        dispatch!(self.conn, d => d.snapshot_has_metadata(&self.r, flags))
    }

    /// `virDomainRevertToSnapshot`.
    pub async fn revert(&self, flags: DomainSnapshotRevertFlags) -> Result<()> {
        self.conn
            .check_rw_in(ErrorDomain::DOMAIN_SNAPSHOT, "virDomainRevertToSnapshot")?;
        crate::args::exclusive(
            ErrorDomain::DOMAIN_SNAPSHOT,
            "virDomainRevertToSnapshot",
            flags.bits(),
            (
                DomainSnapshotRevertFlags::RUNNING.bits(),
                "VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING",
            ),
            (
                DomainSnapshotRevertFlags::PAUSED.bits(),
                "VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED",
            ),
        )?;
        dispatch!(self.conn, d => d.snapshot_revert(&self.r, flags))
    }

    /// `virDomainSnapshotDelete`.
    pub async fn delete(&self, flags: DomainSnapshotDeleteFlags) -> Result<()> {
        self.conn
            .check_rw_in(ErrorDomain::DOMAIN_SNAPSHOT, "virDomainSnapshotDelete")?;
        crate::args::exclusive(
            ErrorDomain::DOMAIN_SNAPSHOT,
            "virDomainSnapshotDelete",
            flags.bits(),
            (
                DomainSnapshotDeleteFlags::CHILDREN.bits(),
                "VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN",
            ),
            (
                DomainSnapshotDeleteFlags::CHILDREN_ONLY.bits(),
                "VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY",
            ),
        )?;
        dispatch!(self.conn, d => d.snapshot_delete(&self.r, flags))
    }
}
