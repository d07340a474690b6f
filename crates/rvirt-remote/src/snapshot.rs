//! Snapshot calls.

use crate::RemoteDriver;
use crate::wire::{nonnull_domain, nonnull_snapshot, refs, snapshot_ref, string};
use rvirt_driver::{DomainRef, SnapshotDriver, SnapshotRef};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::Result;
use rvirt_types::snapshot::*;

impl SnapshotDriver for RemoteDriver {
    async fn snapshot_create_xml(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainSnapshotCreateFlags,
    ) -> Result<SnapshotRef> {
        let args = DomainSnapshotCreateXmlArgs {
            dom: nonnull_domain(dom),
            xml_desc: string(xml)?,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotCreateXml>(&args)
            .await?;
        Ok(snapshot_ref(r.snap))
    }

    async fn domain_list_all_snapshots(
        &self,
        dom: &DomainRef,
        flags: DomainSnapshotListFlags,
    ) -> Result<Vec<SnapshotRef>> {
        let args = DomainListAllSnapshotsArgs {
            dom: nonnull_domain(dom),
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainListAllSnapshots>(&args)
            .await?;
        Ok(refs(r.snapshots, snapshot_ref))
    }

    async fn snapshot_list_all_children(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotListFlags,
    ) -> Result<Vec<SnapshotRef>> {
        let args = DomainSnapshotListAllChildrenArgs {
            snapshot: nonnull_snapshot(snap),
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotListAllChildren>(&args)
            .await?;
        Ok(refs(r.snapshots, snapshot_ref))
    }

    async fn domain_snapshot_num(
        &self,
        dom: &DomainRef,
        flags: DomainSnapshotListFlags,
    ) -> Result<i32> {
        let args = DomainSnapshotNumArgs {
            dom: nonnull_domain(dom),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainSnapshotNum>(&args)
            .await?
            .num)
    }

    async fn snapshot_lookup_by_name(
        &self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<SnapshotRef> {
        let args = DomainSnapshotLookupByNameArgs {
            dom: nonnull_domain(dom),
            name: string(name)?,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotLookupByName>(&args)
            .await?;
        Ok(snapshot_ref(r.snap))
    }

    async fn domain_has_current_snapshot(&self, dom: &DomainRef, flags: u32) -> Result<bool> {
        let args = DomainHasCurrentSnapshotArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainHasCurrentSnapshot>(&args)
            .await?;
        Ok(r.result != 0)
    }

    async fn snapshot_current(&self, dom: &DomainRef, flags: u32) -> Result<SnapshotRef> {
        let args = DomainSnapshotCurrentArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotCurrent>(&args)
            .await?;
        Ok(snapshot_ref(r.snap))
    }

    async fn snapshot_get_parent(&self, snap: &SnapshotRef, flags: u32) -> Result<SnapshotRef> {
        let args = DomainSnapshotGetParentArgs {
            snap: nonnull_snapshot(snap),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotGetParent>(&args)
            .await?;
        Ok(snapshot_ref(r.snap))
    }

    async fn snapshot_get_xml_desc(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotXMLFlags,
    ) -> Result<String> {
        let args = DomainSnapshotGetXmlDescArgs {
            snap: nonnull_snapshot(snap),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainSnapshotGetXmlDesc>(&args)
            .await?
            .xml
            .into_inner())
    }

    async fn snapshot_is_current(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        let args = DomainSnapshotIsCurrentArgs {
            snap: nonnull_snapshot(snap),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotIsCurrent>(&args)
            .await?;
        Ok(r.current != 0)
    }

    async fn snapshot_has_metadata(&self, snap: &SnapshotRef, flags: u32) -> Result<bool> {
        let args = DomainSnapshotHasMetadataArgs {
            snap: nonnull_snapshot(snap),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainSnapshotHasMetadata>(&args)
            .await?;
        Ok(r.metadata != 0)
    }

    async fn snapshot_revert(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotRevertFlags,
    ) -> Result<()> {
        let args = DomainRevertToSnapshotArgs {
            snap: nonnull_snapshot(snap),
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainRevertToSnapshot>(&args)
            .await
    }

    async fn snapshot_delete(
        &self,
        snap: &SnapshotRef,
        flags: DomainSnapshotDeleteFlags,
    ) -> Result<()> {
        let args = DomainSnapshotDeleteArgs {
            snap: nonnull_snapshot(snap),
            flags: flags.bits(),
        };
        self.client.call::<calls::DomainSnapshotDelete>(&args).await
    }
}
