//! Snapshot procedures.

use crate::session::Session;
use rvirt::snapshot_flags::*;
use rvirt::{DomainSnapshot, Result};
use rvirt_proto::convert::{bounded, nonnull};
use rvirt_proto::remote::types::*;
use std::sync::Arc;

fn snap(s: &Session, w: &NonnullDomainSnapshot) -> Result<DomainSnapshot> {
    let d = super::wire::dom(&s.conn()?, &w.dom);
    Ok(d.snapshot_handle(w.name.as_str()))
}

fn wire(sn: &DomainSnapshot) -> NonnullDomainSnapshot {
    NonnullDomainSnapshot {
        name: nonnull(sn.get_name()),
        dom: super::wire::nonnull_domain(&sn.get_domain()),
    }
}

fn list_flags(flags: u32) -> DomainSnapshotListFlags {
    DomainSnapshotListFlags::from_bits_retain(flags)
}

pub async fn create_xml(
    s: Arc<Session>,
    a: DomainSnapshotCreateXmlArgs,
) -> Result<DomainSnapshotCreateXmlRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let sn = d
        .snapshot_create_xml(
            a.xml_desc.as_str(),
            DomainSnapshotCreateFlags::from_bits_retain(a.flags),
        )
        .await?;
    Ok(DomainSnapshotCreateXmlRet { snap: wire(&sn) })
}

pub async fn list_all(
    s: Arc<Session>,
    a: DomainListAllSnapshotsArgs,
) -> Result<DomainListAllSnapshotsRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let snaps = d.list_all_snapshots(list_flags(a.flags)).await?;
    Ok(DomainListAllSnapshotsRet {
        ret: snaps.len() as i32,
        snapshots: if a.need_results != 0 {
            bounded(snaps.iter().map(wire))
        } else {
            Default::default()
        },
    })
}

pub async fn list_all_children(
    s: Arc<Session>,
    a: DomainSnapshotListAllChildrenArgs,
) -> Result<DomainSnapshotListAllChildrenRet> {
    let snaps = snap(&s, &a.snapshot)?
        .list_all_children(list_flags(a.flags))
        .await?;
    Ok(DomainSnapshotListAllChildrenRet {
        ret: snaps.len() as i32,
        snapshots: if a.need_results != 0 {
            bounded(snaps.iter().map(wire))
        } else {
            Default::default()
        },
    })
}

pub async fn num_children(
    s: Arc<Session>,
    a: DomainSnapshotNumChildrenArgs,
) -> Result<DomainSnapshotNumChildrenRet> {
    Ok(DomainSnapshotNumChildrenRet {
        num: snap(&s, &a.snap)?.num_children(list_flags(a.flags)).await?,
    })
}

pub async fn list_children_names(
    s: Arc<Session>,
    a: DomainSnapshotListChildrenNamesArgs,
) -> Result<DomainSnapshotListChildrenNamesRet> {
    let names = snap(&s, &a.snap)?
        .list_children_names(a.maxnames, list_flags(a.flags))
        .await?;
    Ok(DomainSnapshotListChildrenNamesRet {
        names: bounded(names.iter().map(|n| nonnull(n))),
    })
}

pub async fn num(s: Arc<Session>, a: DomainSnapshotNumArgs) -> Result<DomainSnapshotNumRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    Ok(DomainSnapshotNumRet {
        num: d.snapshot_num(list_flags(a.flags)).await?,
    })
}

pub async fn list_names(
    s: Arc<Session>,
    a: DomainSnapshotListNamesArgs,
) -> Result<DomainSnapshotListNamesRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let snaps = d.list_all_snapshots(list_flags(a.flags)).await?;
    let max = usize::try_from(a.maxnames).unwrap_or(0);
    Ok(DomainSnapshotListNamesRet {
        names: bounded(snaps.iter().take(max).map(|sn| nonnull(sn.get_name()))),
    })
}

pub async fn lookup_by_name(
    s: Arc<Session>,
    a: DomainSnapshotLookupByNameArgs,
) -> Result<DomainSnapshotLookupByNameRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    let sn = d.snapshot_lookup_by_name(a.name.as_str(), a.flags).await?;
    Ok(DomainSnapshotLookupByNameRet { snap: wire(&sn) })
}

pub async fn has_current(
    s: Arc<Session>,
    a: DomainHasCurrentSnapshotArgs,
) -> Result<DomainHasCurrentSnapshotRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    Ok(DomainHasCurrentSnapshotRet {
        result: i32::from(d.has_current_snapshot(a.flags).await?),
    })
}

pub async fn current(
    s: Arc<Session>,
    a: DomainSnapshotCurrentArgs,
) -> Result<DomainSnapshotCurrentRet> {
    let d = super::wire::dom(&s.conn()?, &a.dom);
    Ok(DomainSnapshotCurrentRet {
        snap: wire(&d.snapshot_current(a.flags).await?),
    })
}

pub async fn get_parent(
    s: Arc<Session>,
    a: DomainSnapshotGetParentArgs,
) -> Result<DomainSnapshotGetParentRet> {
    Ok(DomainSnapshotGetParentRet {
        snap: wire(&snap(&s, &a.snap)?.get_parent(a.flags).await?),
    })
}

pub async fn get_xml_desc(
    s: Arc<Session>,
    a: DomainSnapshotGetXmlDescArgs,
) -> Result<DomainSnapshotGetXmlDescRet> {
    let xml = snap(&s, &a.snap)?
        .get_xml_desc(DomainSnapshotXMLFlags::from_bits_retain(a.flags))
        .await?;
    Ok(DomainSnapshotGetXmlDescRet { xml: nonnull(&xml) })
}

pub async fn is_current(
    s: Arc<Session>,
    a: DomainSnapshotIsCurrentArgs,
) -> Result<DomainSnapshotIsCurrentRet> {
    Ok(DomainSnapshotIsCurrentRet {
        current: i32::from(snap(&s, &a.snap)?.is_current(a.flags).await?),
    })
}

pub async fn has_metadata(
    s: Arc<Session>,
    a: DomainSnapshotHasMetadataArgs,
) -> Result<DomainSnapshotHasMetadataRet> {
    Ok(DomainSnapshotHasMetadataRet {
        metadata: i32::from(snap(&s, &a.snap)?.has_metadata(a.flags).await?),
    })
}

pub async fn revert(s: Arc<Session>, a: DomainRevertToSnapshotArgs) -> Result<()> {
    snap(&s, &a.snap)?
        .revert(DomainSnapshotRevertFlags::from_bits_retain(a.flags))
        .await
}

pub async fn delete(s: Arc<Session>, a: DomainSnapshotDeleteArgs) -> Result<()> {
    snap(&s, &a.snap)?
        .delete(DomainSnapshotDeleteFlags::from_bits_retain(a.flags))
        .await
}
