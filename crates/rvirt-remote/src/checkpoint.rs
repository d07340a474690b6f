//! Checkpoint calls.

use crate::RemoteDriver;
use crate::wire::{checkpoint_ref, nonnull_checkpoint, nonnull_domain, refs, string};
use rvirt_driver::{CheckpointDriver, CheckpointRef, DomainRef};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::Result;
use rvirt_types::checkpoint::*;

impl CheckpointDriver for RemoteDriver {
    async fn checkpoint_create_xml(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainCheckpointCreateFlags,
    ) -> Result<CheckpointRef> {
        let args = DomainCheckpointCreateXmlArgs {
            dom: nonnull_domain(dom),
            xml_desc: string(xml)?,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainCheckpointCreateXml>(&args)
            .await?;
        Ok(checkpoint_ref(r.checkpoint))
    }

    async fn domain_list_all_checkpoints(
        &self,
        dom: &DomainRef,
        flags: DomainCheckpointListFlags,
    ) -> Result<Vec<CheckpointRef>> {
        let args = DomainListAllCheckpointsArgs {
            dom: nonnull_domain(dom),
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainListAllCheckpoints>(&args)
            .await?;
        Ok(refs(r.checkpoints, checkpoint_ref))
    }

    async fn checkpoint_list_all_children(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointListFlags,
    ) -> Result<Vec<CheckpointRef>> {
        let args = DomainCheckpointListAllChildrenArgs {
            checkpoint: nonnull_checkpoint(chk),
            need_results: 1,
            flags: flags.bits(),
        };
        let r = self
            .client
            .call::<calls::DomainCheckpointListAllChildren>(&args)
            .await?;
        Ok(refs(r.checkpoints, checkpoint_ref))
    }

    async fn checkpoint_lookup_by_name(
        &self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<CheckpointRef> {
        let args = DomainCheckpointLookupByNameArgs {
            dom: nonnull_domain(dom),
            name: string(name)?,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainCheckpointLookupByName>(&args)
            .await?;
        Ok(checkpoint_ref(r.checkpoint))
    }

    async fn checkpoint_get_parent(
        &self,
        chk: &CheckpointRef,
        flags: u32,
    ) -> Result<CheckpointRef> {
        let args = DomainCheckpointGetParentArgs {
            checkpoint: nonnull_checkpoint(chk),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainCheckpointGetParent>(&args)
            .await?;
        Ok(checkpoint_ref(r.parent))
    }

    async fn checkpoint_get_xml_desc(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointXMLFlags,
    ) -> Result<String> {
        let args = DomainCheckpointGetXmlDescArgs {
            checkpoint: nonnull_checkpoint(chk),
            flags: flags.bits(),
        };
        Ok(self
            .client
            .call::<calls::DomainCheckpointGetXmlDesc>(&args)
            .await?
            .xml
            .into_inner())
    }

    async fn checkpoint_delete(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointDeleteFlags,
    ) -> Result<()> {
        let args = DomainCheckpointDeleteArgs {
            checkpoint: nonnull_checkpoint(chk),
            flags: flags.bits(),
        };
        self.client
            .call::<calls::DomainCheckpointDelete>(&args)
            .await
    }
}
