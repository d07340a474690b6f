//! Checkpoint calls.

use crate::RemoteDriver;
use crate::wire::{
    checkpoint_ref, nonnull_checkpoint, nonnull_domain, one_call_methods, refs, string,
};
use rvirt_driver::{CheckpointDriver, CheckpointRef, DomainRef};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::Result;
use rvirt_types::checkpoint::*;

impl CheckpointDriver for RemoteDriver {
    one_call_methods! {
        fn checkpoint_create_xml(dom: &DomainRef, xml: &str, flags: DomainCheckpointCreateFlags) -> CheckpointRef
            = DomainCheckpointCreateXml(DomainCheckpointCreateXmlArgs {
                dom: nonnull_domain(dom),
                xml_desc: string(xml)?,
                flags: flags.bits(),
            }) => |r| checkpoint_ref(r.checkpoint);
        fn domain_list_all_checkpoints(dom: &DomainRef, flags: DomainCheckpointListFlags) -> Vec<CheckpointRef>
            = DomainListAllCheckpoints(DomainListAllCheckpointsArgs {
                dom: nonnull_domain(dom),
                need_results: 1,
                flags: flags.bits(),
            }) => |r| refs(r.checkpoints, checkpoint_ref);
        fn checkpoint_list_all_children(chk: &CheckpointRef, flags: DomainCheckpointListFlags) -> Vec<CheckpointRef>
            = DomainCheckpointListAllChildren(DomainCheckpointListAllChildrenArgs {
                checkpoint: nonnull_checkpoint(chk),
                need_results: 1,
                flags: flags.bits(),
            }) => |r| refs(r.checkpoints, checkpoint_ref);
        fn checkpoint_lookup_by_name(dom: &DomainRef, name: &str, flags: u32) -> CheckpointRef
            = DomainCheckpointLookupByName(DomainCheckpointLookupByNameArgs {
                dom: nonnull_domain(dom),
                name: string(name)?,
                flags,
            }) => |r| checkpoint_ref(r.checkpoint);
        fn checkpoint_get_parent(chk: &CheckpointRef, flags: u32) -> CheckpointRef
            = DomainCheckpointGetParent(DomainCheckpointGetParentArgs {
                checkpoint: nonnull_checkpoint(chk),
                flags,
            }) => |r| checkpoint_ref(r.parent);
        fn checkpoint_get_xml_desc(chk: &CheckpointRef, flags: DomainCheckpointXMLFlags) -> String
            = DomainCheckpointGetXmlDesc(DomainCheckpointGetXmlDescArgs {
                checkpoint: nonnull_checkpoint(chk),
                flags: flags.bits(),
            }) => |r| r.xml.into_inner();
        fn checkpoint_delete(chk: &CheckpointRef, flags: DomainCheckpointDeleteFlags) -> ()
            = DomainCheckpointDelete(DomainCheckpointDeleteArgs {
                checkpoint: nonnull_checkpoint(chk),
                flags: flags.bits(),
            });
    }
}
