//! Checkpoint handles (`virDomainCheckpointPtr`).

use crate::connect::dispatch;
use crate::{Connect, Domain};
use rvirt_driver::{CheckpointDriver, CheckpointRef};
use rvirt_types::checkpoint::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// A handle to a domain checkpoint: its domain and its name.
#[derive(Clone)]
pub struct DomainCheckpoint {
    pub(crate) conn: Connect,
    pub(crate) r: CheckpointRef,
}

impl std::fmt::Debug for DomainCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainCheckpoint")
            .field("domain", &self.r.domain.name)
            .field("name", &self.r.name)
            .finish()
    }
}

impl DomainCheckpoint {
    pub(crate) fn new(conn: &Connect, r: CheckpointRef) -> DomainCheckpoint {
        DomainCheckpoint {
            conn: conn.clone(),
            r,
        }
    }

    /// `virDomainCheckpointGetName`.
    pub fn get_name(&self) -> &str {
        &self.r.name
    }

    /// `virDomainCheckpointGetDomain`.
    pub fn get_domain(&self) -> Domain {
        self.conn.domain(self.r.domain.clone())
    }

    /// `virDomainCheckpointGetXMLDesc`; `SECURE` is refused on a read-only connection.
    pub async fn get_xml_desc(&self, flags: DomainCheckpointXMLFlags) -> Result<String> {
        if self.conn.is_read_only() && flags.contains(DomainCheckpointXMLFlags::SECURE) {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN_CHECKPOINT,
                ErrorNumber::OPERATION_DENIED,
                "virDomainCheckpointGetXMLDesc with secure flag",
            ));
        }
        dispatch!(self.conn, d => d.checkpoint_get_xml_desc(&self.r, flags))
    }

    /// `virDomainCheckpointGetParent`.
    pub async fn get_parent(&self, flags: u32) -> Result<DomainCheckpoint> {
        let r = dispatch!(self.conn, d => d.checkpoint_get_parent(&self.r, flags))?;
        Ok(DomainCheckpoint::new(&self.conn, r))
    }

    /// `virDomainCheckpointListAllChildren`.
    pub async fn list_all_children(
        &self,
        flags: DomainCheckpointListFlags,
    ) -> Result<Vec<DomainCheckpoint>> {
        let refs = dispatch!(self.conn, d => d.checkpoint_list_all_children(&self.r, flags))?;
        Ok(refs
            .into_iter()
            .map(|r| DomainCheckpoint::new(&self.conn, r))
            .collect())
    }

    /// `virDomainCheckpointDelete`.
    pub async fn delete(&self, flags: DomainCheckpointDeleteFlags) -> Result<()> {
        self.conn
            .check_rw_in(ErrorDomain::DOMAIN_CHECKPOINT, "virDomainCheckpointDelete")?;
        crate::args::exclusive(
            ErrorDomain::DOMAIN_CHECKPOINT,
            "virDomainCheckpointDelete",
            flags.bits(),
            (
                DomainCheckpointDeleteFlags::CHILDREN.bits(),
                "VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN",
            ),
            (
                DomainCheckpointDeleteFlags::CHILDREN_ONLY.bits(),
                "VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY",
            ),
        )?;
        dispatch!(self.conn, d => d.checkpoint_delete(&self.r, flags))
    }
}

impl Domain {
    /// `virGetDomainCheckpoint`: a handle for this domain's checkpoint `name`, made without
    /// asking the driver (see [`Connect::domain_handle`]).
    pub fn checkpoint_handle(&self, name: &str) -> DomainCheckpoint {
        DomainCheckpoint::new(&self.conn, CheckpointRef::new(&self.r, name))
    }

    /// `virDomainCheckpointCreateXML`: `REDEFINE` and `QUIESCE` exclude each other, and
    /// `REDEFINE_VALIDATE` needs `REDEFINE`.
    pub async fn checkpoint_create_xml(
        &self,
        xml: &str,
        flags: DomainCheckpointCreateFlags,
    ) -> Result<DomainCheckpoint> {
        use DomainCheckpointCreateFlags as C;
        let (d, function) = (
            ErrorDomain::DOMAIN_CHECKPOINT,
            "virDomainCheckpointCreateXML",
        );
        self.conn.check_rw_in(d, function)?;
        let redefine = (C::REDEFINE.bits(), "VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE");
        crate::args::exclusive(
            d,
            function,
            flags.bits(),
            redefine,
            (C::QUIESCE.bits(), "VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE"),
        )?;
        crate::args::require(
            d,
            function,
            flags.bits(),
            (
                C::REDEFINE_VALIDATE.bits(),
                "VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE",
            ),
            redefine,
        )?;
        let r = dispatch!(self.conn, dr => dr.checkpoint_create_xml(&self.r, xml, flags))?;
        Ok(DomainCheckpoint::new(&self.conn, r))
    }

    /// `virDomainListAllCheckpoints`.
    pub async fn list_all_checkpoints(
        &self,
        flags: DomainCheckpointListFlags,
    ) -> Result<Vec<DomainCheckpoint>> {
        let refs = dispatch!(self.conn, d => d.domain_list_all_checkpoints(&self.r, flags))?;
        Ok(refs
            .into_iter()
            .map(|r| DomainCheckpoint::new(&self.conn, r))
            .collect())
    }

    /// `virDomainCheckpointLookupByName`.
    pub async fn checkpoint_lookup_by_name(
        &self,
        name: &str,
        flags: u32,
    ) -> Result<DomainCheckpoint> {
        let r = dispatch!(self.conn, d => d.checkpoint_lookup_by_name(&self.r, name, flags))?;
        Ok(DomainCheckpoint::new(&self.conn, r))
    }
}
