//! Snapshot calls.

use crate::RemoteDriver;
use crate::wire::{nonnull_domain, nonnull_snapshot, one_call_methods, refs, snapshot_ref, string};
use rvirt_driver::{DomainRef, SnapshotDriver, SnapshotRef};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::Result;
use rvirt_types::snapshot::*;

impl SnapshotDriver for RemoteDriver {
    one_call_methods! {
        fn snapshot_create_xml(dom: &DomainRef, xml: &str, flags: DomainSnapshotCreateFlags) -> SnapshotRef
            = DomainSnapshotCreateXml(DomainSnapshotCreateXmlArgs {
                dom: nonnull_domain(dom),
                xml_desc: string(xml)?,
                flags: flags.bits(),
            }) => |r| snapshot_ref(r.snap);
        fn domain_list_all_snapshots(dom: &DomainRef, flags: DomainSnapshotListFlags) -> Vec<SnapshotRef>
            = DomainListAllSnapshots(DomainListAllSnapshotsArgs {
                dom: nonnull_domain(dom),
                need_results: 1,
                flags: flags.bits(),
            }) => |r| refs(r.snapshots, snapshot_ref);
        fn snapshot_list_all_children(snap: &SnapshotRef, flags: DomainSnapshotListFlags) -> Vec<SnapshotRef>
            = DomainSnapshotListAllChildren(DomainSnapshotListAllChildrenArgs {
                snapshot: nonnull_snapshot(snap),
                need_results: 1,
                flags: flags.bits(),
            }) => |r| refs(r.snapshots, snapshot_ref);
        fn domain_snapshot_num(dom: &DomainRef, flags: DomainSnapshotListFlags) -> i32
            = DomainSnapshotNum(DomainSnapshotNumArgs {
                dom: nonnull_domain(dom),
                flags: flags.bits(),
            }) => |r| r.num;
        fn snapshot_lookup_by_name(dom: &DomainRef, name: &str, flags: u32) -> SnapshotRef
            = DomainSnapshotLookupByName(DomainSnapshotLookupByNameArgs {
                dom: nonnull_domain(dom),
                name: string(name)?,
                flags,
            }) => |r| snapshot_ref(r.snap);
        fn domain_has_current_snapshot(dom: &DomainRef, flags: u32) -> bool
            = DomainHasCurrentSnapshot(DomainHasCurrentSnapshotArgs {
                dom: nonnull_domain(dom),
                flags,
            }) => |r| r.result != 0;
        fn snapshot_current(dom: &DomainRef, flags: u32) -> SnapshotRef
            = DomainSnapshotCurrent(DomainSnapshotCurrentArgs {
                dom: nonnull_domain(dom),
                flags,
            }) => |r| snapshot_ref(r.snap);
        fn snapshot_get_parent(snap: &SnapshotRef, flags: u32) -> SnapshotRef
            = DomainSnapshotGetParent(DomainSnapshotGetParentArgs {
                snap: nonnull_snapshot(snap),
                flags,
            }) => |r| snapshot_ref(r.snap);
        fn snapshot_get_xml_desc(snap: &SnapshotRef, flags: DomainSnapshotXMLFlags) -> String
            = DomainSnapshotGetXmlDesc(DomainSnapshotGetXmlDescArgs {
                snap: nonnull_snapshot(snap),
                flags: flags.bits(),
            }) => |r| r.xml.into_inner();
        fn snapshot_is_current(snap: &SnapshotRef, flags: u32) -> bool
            = DomainSnapshotIsCurrent(DomainSnapshotIsCurrentArgs {
                snap: nonnull_snapshot(snap),
                flags,
            }) => |r| r.current != 0;
        fn snapshot_has_metadata(snap: &SnapshotRef, flags: u32) -> bool
            = DomainSnapshotHasMetadata(DomainSnapshotHasMetadataArgs {
                snap: nonnull_snapshot(snap),
                flags,
            }) => |r| r.metadata != 0;
        fn snapshot_revert(snap: &SnapshotRef, flags: DomainSnapshotRevertFlags) -> ()
            = DomainRevertToSnapshot(DomainRevertToSnapshotArgs {
                snap: nonnull_snapshot(snap),
                flags: flags.bits(),
            });
        fn snapshot_delete(snap: &SnapshotRef, flags: DomainSnapshotDeleteFlags) -> ()
            = DomainSnapshotDelete(DomainSnapshotDeleteArgs {
                snap: nonnull_snapshot(snap),
                flags: flags.bits(),
            });
    }
}
