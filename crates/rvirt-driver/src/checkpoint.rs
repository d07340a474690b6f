//! Domain checkpoints: the handle ([`CheckpointRef`]), the driver calls ([`CheckpointDriver`],
//! each answering `VIR_ERR_NO_SUPPORT` by default, as libvirt does for a driver without
//! checkpoints), and what every driver's checkpoints share: the tree of one domain's
//! checkpoints with its current one ([`CheckpointStore`], a [`MomentTree`]) and libvirt's list
//! filters.

use crate::DomainRef;
use crate::moment::{MomentFilter, MomentList, MomentTree, no_moment};
use rvirt_conf::checkpoint::CheckpointDef;
use rvirt_types::checkpoint::*;
use rvirt_types::{Error, ErrorDomain, Result};
use std::sync::Arc;

/// What a checkpoint handle carries: its domain and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckpointRef {
    /// The domain the checkpoint belongs to.
    pub domain: DomainRef,
    /// The checkpoint's name.
    pub name: Arc<str>,
}

impl CheckpointRef {
    /// A handle to the checkpoint `name` of `domain`.
    pub fn new(domain: &DomainRef, name: &str) -> CheckpointRef {
        CheckpointRef {
            domain: domain.clone(),
            name: name.into(),
        }
    }
}

/// `VIR_ERR_NO_SUPPORT` for a checkpoint call the driver lacks (from libvirt's checkpoint API).
fn unsupported<T>(function: &str) -> Result<T> {
    Err(Error::no_support(ErrorDomain::DOMAIN_CHECKPOINT, function))
}

/// Checkpoint calls (`virDomainCheckpoint*`).
pub trait CheckpointDriver {
    /// `virDomainCheckpointCreateXML`.
    async fn checkpoint_create_xml(
        &self,
        _dom: &DomainRef,
        _xml: &str,
        _flags: DomainCheckpointCreateFlags,
    ) -> Result<CheckpointRef> {
        unsupported("virDomainCheckpointCreateXML")
    }
    /// `virDomainListAllCheckpoints`.
    async fn domain_list_all_checkpoints(
        &self,
        _dom: &DomainRef,
        _flags: DomainCheckpointListFlags,
    ) -> Result<Vec<CheckpointRef>> {
        unsupported("virDomainListAllCheckpoints")
    }
    /// `virDomainCheckpointListAllChildren`.
    async fn checkpoint_list_all_children(
        &self,
        _chk: &CheckpointRef,
        _flags: DomainCheckpointListFlags,
    ) -> Result<Vec<CheckpointRef>> {
        unsupported("virDomainCheckpointListAllChildren")
    }
    /// `virDomainCheckpointLookupByName`.
    async fn checkpoint_lookup_by_name(
        &self,
        _dom: &DomainRef,
        _name: &str,
        _flags: u32,
    ) -> Result<CheckpointRef> {
        unsupported("virDomainCheckpointLookupByName")
    }
    /// `virDomainCheckpointGetParent`.
    async fn checkpoint_get_parent(
        &self,
        _chk: &CheckpointRef,
        _flags: u32,
    ) -> Result<CheckpointRef> {
        unsupported("virDomainCheckpointGetParent")
    }
    /// `virDomainCheckpointGetXMLDesc`.
    async fn checkpoint_get_xml_desc(
        &self,
        _chk: &CheckpointRef,
        _flags: DomainCheckpointXMLFlags,
    ) -> Result<String> {
        unsupported("virDomainCheckpointGetXMLDesc")
    }
    /// `virDomainCheckpointDelete`.
    async fn checkpoint_delete(
        &self,
        _chk: &CheckpointRef,
        _flags: DomainCheckpointDeleteFlags,
    ) -> Result<()> {
        unsupported("virDomainCheckpointDelete")
    }
}

/// `no domain checkpoint with matching name 'NAME'` (`VIR_ERR_NO_DOMAIN_CHECKPOINT`), from
/// `from`.
pub fn no_checkpoint(from: ErrorDomain, name: &str) -> Error {
    no_moment::<CheckpointDef>(from, name)
}

/// The checkpoints of one domain, in creation order, and which one is current (the parent of
/// the next checkpoint taken): the moment tree over checkpoint definitions.
pub type CheckpointStore = MomentTree<CheckpointDef>;

impl MomentList for CheckpointDef {
    type ListFlags = DomainCheckpointListFlags;
    const ALL_LIST_FLAGS: u32 = DomainCheckpointListFlags::all().bits();
    fn list_bits(flags: DomainCheckpointListFlags) -> u32 {
        flags.bits()
    }
    /// libvirt's checkpoint listing (`virDomainListCheckpoints`) has only the moment filters.
    fn moment_filter(flags: DomainCheckpointListFlags) -> Option<MomentFilter> {
        type F = DomainCheckpointListFlags;
        let moment_flags = [F::DESCENDANTS, F::TOPOLOGICAL, F::LEAVES, F::NO_LEAVES];
        Some(MomentFilter::from_bits(
            flags.bits(),
            moment_flags.map(|f| f.bits()),
        ))
    }
    fn passes(&self, _flags: DomainCheckpointListFlags) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::moment::tests::chk;
    type F = DomainCheckpointListFlags;

    fn names(st: &CheckpointStore, of: Option<&str>, flags: F) -> Vec<String> {
        let dom = DomainRef {
            name: "d".into(),
            uuid: rvirt_types::Uuid::default(),
            id: 1,
        };
        st.list_refs(ErrorDomain::TEST, &dom, of, flags)
            .expect("list")
            .into_iter()
            .map(|r| r.name.to_string())
            .collect()
    }

    #[test]
    fn listing_and_deleting_follow_libvirt() {
        let mut st = CheckpointStore::default();
        // Created out of order, as a redefinition may: c's parent comes after it.
        st.insert(chk("c", Some("b")));
        st.insert(chk("a", None));
        st.insert(chk("b", Some("a")));
        st.insert(chk("d", Some("b")));
        st.set_current(Some("d".into()));
        assert_eq!(names(&st, None, F::empty()), ["c", "a", "b", "d"]);
        assert_eq!(names(&st, None, F::TOPOLOGICAL), ["a", "b", "c", "d"]);
        assert_eq!(names(&st, None, F::ROOTS), ["a"]);
        assert_eq!(names(&st, None, F::LEAVES), ["c", "d"]);
        assert_eq!(names(&st, None, F::NO_LEAVES), ["a", "b"]);
        assert_eq!(names(&st, Some("a"), F::empty()), ["b"]);
        assert_eq!(names(&st, Some("a"), F::DESCENDANTS), ["b", "c", "d"]);
        let mut cycle = chk("a", Some("c"));
        cycle.creation_time = 1;
        let e = st.check_cycles(&cycle).expect_err("cycle");
        assert_eq!(
            e.message,
            "invalid argument: parent b would create cycle to a"
        );
        st.delete("b", false, false);
        assert_eq!(names(&st, Some("a"), F::empty()), ["c", "d"]);
        st.delete("a", true, true);
        assert_eq!(names(&st, None, F::empty()), ["a"]);
        assert_eq!(st.current(), Some("a"));
        st.delete("a", false, false);
        assert!(st.is_empty());
        assert_eq!(st.current(), None);
    }
}
