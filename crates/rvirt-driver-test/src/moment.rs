//! What the test driver's snapshots and checkpoints share: one moment tree per domain in a map
//! of its own, locked after the domain, with the domain's count of them kept in step; and the
//! calls that read a tree the same way for both (lookup, parent, listing).

use crate::domain::obj_from_ref;
use crate::{FROM, TestDriver};
use parking_lot::Mutex;
use rvirt_conf::checkpoint::CheckpointDef;
use rvirt_conf::snapshot::SnapshotDef;
use rvirt_driver::{DomainObjState, DomainRef, Moment, MomentList, MomentTree, check_flags};
use rvirt_types::{Result, Uuid};
use std::collections::HashMap;

/// A kind of moment the test driver keeps: where its trees live and which count of the domain
/// follows them.
pub(crate) trait TestMoment: Moment + Sized {
    /// Every domain's tree of this kind, by the domain's UUID.
    fn trees(d: &TestDriver) -> &Mutex<HashMap<Uuid, MomentTree<Self>>>;
    /// The domain's count of this kind (the listing filters' HAS_SNAPSHOT / HAS_CHECKPOINT).
    fn count(st: &mut DomainObjState) -> &mut usize;
}

impl TestMoment for SnapshotDef {
    fn trees(d: &TestDriver) -> &Mutex<HashMap<Uuid, MomentTree<Self>>> {
        &d.snapshots
    }
    fn count(st: &mut DomainObjState) -> &mut usize {
        &mut st.snapshot_count
    }
}

impl TestMoment for CheckpointDef {
    fn trees(d: &TestDriver) -> &Mutex<HashMap<Uuid, MomentTree<Self>>> {
        &d.checkpoints
    }
    fn count(st: &mut DomainObjState) -> &mut usize {
        &mut st.checkpoint_count
    }
}

/// The time of a new moment, in seconds since the epoch.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl TestDriver {
    /// Runs `f` with the domain's state and its tree of `T` locked (domain first), and keeps
    /// the domain's count of them in step.
    pub(crate) fn with_moments<T: TestMoment, R>(
        &self,
        dom: &DomainRef,
        f: impl FnOnce(&mut DomainObjState, &mut MomentTree<T>) -> Result<R>,
    ) -> Result<R> {
        let obj = obj_from_ref(self, dom)?;
        let mut st = obj.lock();
        let mut all = T::trees(self).lock();
        let store = all.entry(obj.uuid).or_default();
        let r = f(&mut st, store);
        *T::count(&mut st) = store.len();
        r
    }

    /// Checks `flags` of call `function` against `allowed`, then reads the tree of `T` of
    /// `dom` with `f`.
    pub(crate) fn read_moments<T: TestMoment, R>(
        &self,
        function: &str,
        dom: &DomainRef,
        (flags, allowed): (u32, u32),
        f: impl FnOnce(&MomentTree<T>) -> Result<R>,
    ) -> Result<R> {
        check_flags(FROM, function, flags, allowed)?;
        self.with_moments(dom, |_, store| f(store))
    }

    /// A listing from the domain (`of == None`) or from the moment `of`
    /// (`virDomainListAllSnapshots`, `virDomainSnapshotListAllChildren`, and the checkpoint
    /// ones), every listing flag of the kind accepted.
    pub(crate) fn moment_list<T: TestMoment + MomentList>(
        &self,
        function: &str,
        dom: &DomainRef,
        of: Option<&str>,
        flags: T::ListFlags,
    ) -> Result<Vec<T::Ref>> {
        let checked = (T::list_bits(flags), T::ALL_LIST_FLAGS);
        self.read_moments(function, dom, checked, |store: &MomentTree<T>| {
            store.list_refs(FROM, dom, of, flags)
        })
    }

    /// A lookup by name (`virDomainSnapshotLookupByName`, `virDomainCheckpointLookupByName`).
    pub(crate) fn moment_lookup<T: TestMoment>(
        &self,
        function: &str,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<T::Ref> {
        self.read_moments(function, dom, (flags, 0), |store: &MomentTree<T>| {
            store.find(FROM, name).map(|m| T::make_ref(dom, m.name()))
        })
    }

    /// The parent of a moment (`virDomainSnapshotGetParent`, `virDomainCheckpointGetParent`).
    pub(crate) fn moment_parent<T: TestMoment>(
        &self,
        function: &str,
        r: &T::Ref,
        flags: u32,
    ) -> Result<T::Ref> {
        let dom = T::ref_parts(r).0;
        self.read_moments(function, dom, (flags, 0), |store: &MomentTree<T>| {
            store.parent_ref(FROM, r)
        })
    }
}
