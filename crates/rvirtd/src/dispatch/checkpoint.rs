//! Checkpoint procedures.

use crate::session::Session;
use rvirt::checkpoint_flags::*;
use rvirt::{DomainCheckpoint, Result};
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use std::sync::Arc;

fn chk(s: &Session, w: &NonnullDomainCheckpoint) -> Result<DomainCheckpoint> {
    let d = super::wire::dom(&s.conn()?, &w.dom);
    Ok(d.checkpoint_handle(w.name.as_str()))
}

fn wire(c: &DomainCheckpoint) -> NonnullDomainCheckpoint {
    NonnullDomainCheckpoint {
        name: nonnull(c.get_name()),
        dom: super::wire::nonnull_domain(&c.get_domain()),
    }
}

fn list_flags(flags: u32) -> DomainCheckpointListFlags {
    DomainCheckpointListFlags::from_bits_retain(flags)
}

pub async fn create_xml(
    s: Arc<Session>,
    a: DomainCheckpointCreateXmlArgs,
) -> Result<DomainCheckpointCreateXmlRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let c = d
        .checkpoint_create_xml(
            a.xml_desc.as_str(),
            DomainCheckpointCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(DomainCheckpointCreateXmlRet {
        checkpoint: wire(&c),
    })
}

pub async fn list_all(
    s: Arc<Session>,
    a: DomainListAllCheckpointsArgs,
) -> Result<DomainListAllCheckpointsRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let chks = d.list_all_checkpoints(list_flags(a.flags)).await?;
    Ok(DomainListAllCheckpointsRet {
        ret: chks.len() as i32,
        checkpoints: if a.need_results != 0 {
            bounded(chks.iter().map(wire))
        } else {
            Default::default()
        },
    })
}

pub async fn list_all_children(
    s: Arc<Session>,
    a: DomainCheckpointListAllChildrenArgs,
) -> Result<DomainCheckpointListAllChildrenRet> {
    let chks = chk(&s, &a.checkpoint)?
        .list_all_children(list_flags(a.flags))
        .await?;
    Ok(DomainCheckpointListAllChildrenRet {
        ret: chks.len() as i32,
        checkpoints: if a.need_results != 0 {
            bounded(chks.iter().map(wire))
        } else {
            Default::default()
        },
    })
}

pub async fn lookup_by_name(
    s: Arc<Session>,
    a: DomainCheckpointLookupByNameArgs,
) -> Result<DomainCheckpointLookupByNameRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let c = d
        .checkpoint_lookup_by_name(a.name.as_str(), a.flags)
        .await?;
    Ok(DomainCheckpointLookupByNameRet {
        checkpoint: wire(&c),
    })
}

pub async fn get_parent(
    s: Arc<Session>,
    a: DomainCheckpointGetParentArgs,
) -> Result<DomainCheckpointGetParentRet> {
    Ok(DomainCheckpointGetParentRet {
        parent: wire(&chk(&s, &a.checkpoint)?.get_parent(a.flags).await?),
    })
}

pub async fn get_xml_desc(
    s: Arc<Session>,
    a: DomainCheckpointGetXmlDescArgs,
) -> Result<DomainCheckpointGetXmlDescRet> {
    let xml = chk(&s, &a.checkpoint)?
        .get_xml_desc(DomainCheckpointXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainCheckpointGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn delete(s: Arc<Session>, a: DomainCheckpointDeleteArgs) -> Result<()> {
    chk(&s, &a.checkpoint)?
        .delete(DomainCheckpointDeleteFlags::from_bits_retain(a.flags))
        .await
}
