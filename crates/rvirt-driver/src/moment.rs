//! What snapshots and checkpoints share, as libvirt's `virDomainMomentObjList` serves both: the
//! tree of one domain's named moments ([`MomentTree`]) with its current one, lookup, the
//! ROOTS / DESCENDANTS / TOPOLOGICAL / LEAVES / NO_LEAVES listing, deletion with or without
//! children (the children of a deleted moment move to its parent), and the cycle check of a
//! redefinition. [`SnapshotStore`](crate::SnapshotStore) and
//! [`CheckpointStore`](crate::CheckpointStore) are this tree over their definitions.

use crate::{CheckpointRef, DomainRef, SnapshotRef};
use rvirt_conf::checkpoint::CheckpointDef;
use rvirt_conf::snapshot::SnapshotDef;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// One node of a [`MomentTree`]: a definition with a name and maybe a parent, and the handle
/// drivers give out for it.
pub trait Moment {
    /// The kind as libvirt's messages name it: `snapshot` or `checkpoint`.
    const KIND: &'static str;
    /// The error number of a missing moment (`VIR_ERR_NO_DOMAIN_SNAPSHOT`, …).
    const NO_SUCH: ErrorNumber;
    /// The handle of a moment (`SnapshotRef`, `CheckpointRef`).
    type Ref;
    /// The moment's name, unique in its tree.
    fn name(&self) -> &str;
    /// The name of its parent, if any.
    fn parent(&self) -> Option<&str>;
    /// Gives it another parent (or none).
    fn set_parent(&mut self, parent: Option<String>);
    /// A handle to the moment `name` of `dom`.
    fn make_ref(dom: &DomainRef, name: &str) -> Self::Ref;
    /// The domain and the name a handle carries.
    fn ref_parts(r: &Self::Ref) -> (&DomainRef, &str);
}

/// Makes a definition with `name` and `parent` fields a [`Moment`] with handle `$handle`.
macro_rules! moment {
    ($def:ty, $handle:ident, $kind:literal, $no_such:ident) => {
        impl Moment for $def {
            const KIND: &'static str = $kind;
            const NO_SUCH: ErrorNumber = ErrorNumber::$no_such;
            type Ref = $handle;
            fn name(&self) -> &str {
                &self.name
            }
            fn parent(&self) -> Option<&str> {
                self.parent.as_deref()
            }
            fn set_parent(&mut self, parent: Option<String>) {
                self.parent = parent;
            }
            fn make_ref(dom: &DomainRef, name: &str) -> $handle {
                $handle::new(dom, name)
            }
            fn ref_parts(r: &$handle) -> (&DomainRef, &str) {
                (&r.domain, &r.name)
            }
        }
    };
}

moment!(SnapshotDef, SnapshotRef, "snapshot", NO_DOMAIN_SNAPSHOT);
moment!(
    CheckpointDef,
    CheckpointRef,
    "checkpoint",
    NO_DOMAIN_CHECKPOINT
);

/// `no domain KIND with matching name 'NAME'` (`VIR_ERR_NO_DOMAIN_SNAPSHOT` or `_CHECKPOINT`),
/// from `from`.
pub fn no_moment<T: Moment>(from: ErrorDomain, name: &str) -> Error {
    Error::with_detail(
        from,
        T::NO_SUCH,
        format!("no domain {} with matching name '{name}'", T::KIND),
    )
}

/// The listing flags every kind of moment shares (libvirt's `VIR_DOMAIN_MOMENT_LIST_*`), read
/// from a snapshot's or a checkpoint's own flag type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MomentFilter {
    /// The ROOTS / DESCENDANTS bit: the roots when listing from the domain, every descendant
    /// when listing from a moment.
    pub roots_or_descendants: bool,
    /// TOPOLOGICAL: parents before their children.
    pub topological: bool,
    /// LEAVES: only moments without children.
    pub leaves: bool,
    /// NO_LEAVES: only moments with children.
    pub no_leaves: bool,
}

/// A kind of moment with its own listing flags (`virDomainSnapshotListFlags`,
/// `virDomainCheckpointListFlags`): which of them are the shared moment filters, and the filters
/// only this kind has.
pub trait MomentList: Moment {
    /// The kind's listing flags.
    type ListFlags: Copy;
    /// Every listing flag the kind knows, as bits (what a driver accepts).
    const ALL_LIST_FLAGS: u32;
    /// `flags` as bits.
    fn list_bits(flags: Self::ListFlags) -> u32;
    /// The moment filters in `flags`, or `None` when `flags` leave nothing to list (a snapshot
    /// listing asking for NO_METADATA only: every moment here has metadata).
    fn moment_filter(flags: Self::ListFlags) -> Option<MomentFilter>;
    /// Whether this moment passes the filters only its kind has (a snapshot's state and
    /// location).
    fn passes(&self, flags: Self::ListFlags) -> bool;
}

impl MomentFilter {
    /// The filters set in `bits`, given the kind's bits for DESCENDANTS (= ROOTS), TOPOLOGICAL,
    /// LEAVES and NO_LEAVES.
    pub fn from_bits(bits: u32, [descendants, topological, leaves, no_leaves]: [u32; 4]) -> Self {
        MomentFilter {
            roots_or_descendants: bits & descendants != 0,
            topological: bits & topological != 0,
            leaves: bits & leaves != 0,
            no_leaves: bits & no_leaves != 0,
        }
    }
}

/// The moments of one domain, in creation order, and which one is current (the parent of the
/// next one taken).
#[derive(Debug, Clone)]
pub struct MomentTree<T> {
    items: Vec<T>,
    current: Option<String>,
}

impl<T> Default for MomentTree<T> {
    fn default() -> Self {
        MomentTree {
            items: Vec::new(),
            current: None,
        }
    }
}

impl<T: Moment> MomentTree<T> {
    /// The number of moments.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every moment, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// The moment named `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.items.iter().find(|m| m.name() == name)
    }

    /// The moment named `name`, or libvirt's error (from error domain `from`).
    pub fn find(&self, from: ErrorDomain, name: &str) -> Result<&T> {
        self.get(name).ok_or_else(|| no_moment::<T>(from, name))
    }

    /// The name of the current moment.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Makes `name` (or none) the current moment.
    pub fn set_current(&mut self, name: Option<String>) {
        self.current = name;
    }

    /// Adds `def`, or replaces the moment of the same name in place (its children stay).
    pub fn insert(&mut self, def: T) {
        match self.items.iter_mut().find(|m| m.name() == def.name()) {
            Some(slot) => *slot = def,
            None => self.items.push(def),
        }
    }

    /// Removes `name` without touching its children or the current moment.
    pub fn remove(&mut self, name: &str) -> Option<T> {
        let i = self.items.iter().position(|m| m.name() == name)?;
        Some(self.items.remove(i))
    }

    /// Whether `m` is a child of `name`, or a root with `None` (a moment whose parent is gone
    /// counts as a root, as libvirt links it to the metaroot).
    fn is_child_of(&self, m: &T, name: Option<&str>) -> bool {
        match name {
            Some(n) => m.parent() == Some(n),
            None => m.parent().is_none_or(|p| self.get(p).is_none()),
        }
    }

    /// The children of `name`, or the roots with `None` (a moment whose parent is gone counts
    /// as a root, as libvirt links it to the metaroot).
    pub fn children<'a>(&'a self, name: Option<&'a str>) -> impl Iterator<Item = &'a T> + 'a {
        self.items.iter().filter(move |m| self.is_child_of(m, name))
    }

    /// Whether `name` has children.
    pub fn has_children(&self, name: &str) -> bool {
        self.children(Some(name)).next().is_some()
    }

    /// The names of the descendants of `from` (the whole tree with `None`), each parent before
    /// its children, depth first.
    fn walk(&self, from: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack: Vec<String> = self.children(from).map(|m| m.name().to_string()).collect();
        stack.reverse();
        while let Some(n) = stack.pop() {
            // Bounded by the number of moments: an inconsistent tree cannot loop forever.
            if out.len() > self.items.len() {
                break;
            }
            let mut kids: Vec<String> = self
                .children(Some(&n))
                .map(|m| m.name().to_string())
                .collect();
            kids.reverse();
            out.push(n);
            stack.extend(kids);
        }
        out
    }

    /// The names of `from`'s descendants, each parent before its children, depth first.
    pub fn descendants(&self, from: &str) -> Vec<String> {
        self.walk(Some(from))
    }

    /// The ancestors of `m` in the tree, its parent first, up to a root or a parent that is gone.
    pub fn ancestors<'a>(&'a self, m: &'a T) -> impl Iterator<Item = &'a T> + 'a {
        let first = m.parent().and_then(|p| self.get(p));
        // Bounded by the number of moments: an inconsistent tree cannot loop forever.
        std::iter::successors(first, |a| a.parent().and_then(|p| self.get(p))).take(self.len() + 1)
    }

    /// libvirt's `virDomainMomentCheckCycles` for a moment being redefined: its parent exists,
    /// is not itself, and does not descend from it (errors from the domain layer).
    pub fn check_cycles(&self, def: &T) -> Result<()> {
        let invalid = |detail: String| {
            Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::INVALID_ARG, detail)
        };
        let Some(parent) = def.parent() else {
            return Ok(());
        };
        let name = def.name();
        if parent == name {
            return Err(invalid(format!(
                "cannot set moment {name} as its own parent"
            )));
        }
        if self.get(parent).is_none() {
            return Err(invalid(format!(
                "parent {parent} for moment {name} not found"
            )));
        }
        match self.ancestors(def).find(|a| a.parent() == Some(name)) {
            Some(other) => Err(invalid(format!(
                "parent {} would create cycle to {name}",
                other.name()
            ))),
            None => Ok(()),
        }
    }

    /// Removes `name` as libvirt discards a moment's metadata: its children move to its
    /// parent, and if it was current its parent becomes current. Returns the names of the
    /// moments whose records changed (reparented children, the new current one).
    pub fn remove_reparenting(&mut self, name: &str) -> Vec<String> {
        let Some(parent) = self.get(name).map(|m| m.parent().map(str::to_string)) else {
            return Vec::new();
        };
        let parent = parent.filter(|p| self.get(p).is_some());
        let mut changed = Vec::new();
        for m in self.items.iter_mut().filter(|m| m.parent() == Some(name)) {
            m.set_parent(parent.clone());
            changed.push(m.name().to_string());
        }
        if self.current.as_deref() == Some(name) {
            self.current = parent.clone();
            changed.extend(parent);
        }
        self.remove(name);
        changed
    }

    /// Deletes `name` as libvirt's test driver does: with `children` (CHILDREN or
    /// CHILDREN_ONLY) its descendants go too, and if one of them was current `name` becomes
    /// current; otherwise its children move to its parent. Unless `children_only`, `name` itself
    /// goes, and if it was current its parent (if any) becomes current.
    pub fn delete(&mut self, name: &str, children: bool, children_only: bool) {
        if self.get(name).is_none() {
            return;
        }
        if children {
            for d in self.descendants(name) {
                self.remove_reparenting(&d);
            }
        }
        if !children_only {
            self.remove_reparenting(name);
        }
    }

    /// libvirt's moment listing: from the domain (`of == None`: every moment, or the roots) or
    /// from the moment `of` (its children, or all its descendants), which must exist (libvirt's
    /// error from `from` if not); TOPOLOGICAL puts parents before children; LEAVES and
    /// NO_LEAVES filter.
    pub fn select(&self, from: ErrorDomain, of: Option<&str>, f: MomentFilter) -> Result<Vec<&T>> {
        if let Some(name) = of {
            self.find(from, name)?;
        }
        // ROOTS and DESCENDANTS share a bit, with opposite meanings at the top and below.
        let deep = f.roots_or_descendants != of.is_none();
        let found: Vec<&T> = match (of, deep) {
            (None, true) if !f.topological => self.items.iter().collect(),
            (_, true) => self.walk(of).iter().filter_map(|n| self.get(n)).collect(),
            (_, false) => self
                .items
                .iter()
                .filter(|m| self.is_child_of(m, of))
                .collect(),
        };
        Ok(found
            .into_iter()
            .filter(|m| {
                let leaf = !self.has_children(m.name());
                !(f.leaves && !leaf || f.no_leaves && leaf)
            })
            .collect())
    }

    /// libvirt's listing of a kind of moment, as names: [`MomentTree::select`] with the kind's
    /// own filters after (nothing when `of` is missing).
    pub fn list(&self, of: Option<&str>, flags: T::ListFlags) -> Vec<String>
    where
        T: MomentList,
    {
        let Some(filter) = T::moment_filter(flags) else {
            return Vec::new();
        };
        let Ok(found) = self.select(ErrorDomain::DOMAIN, of, filter) else {
            return Vec::new();
        };
        found
            .into_iter()
            .filter(|m| m.passes(flags))
            .map(|m| m.name().to_string())
            .collect()
    }

    /// The handles [`MomentTree::list`] names: the domain's moments (`of == None`) or those
    /// below the moment `of`, which must exist (libvirt's error from `from` if not).
    pub fn list_refs(
        &self,
        from: ErrorDomain,
        dom: &DomainRef,
        of: Option<&str>,
        flags: T::ListFlags,
    ) -> Result<Vec<T::Ref>>
    where
        T: MomentList,
    {
        if let Some(name) = of {
            self.find(from, name)?;
        }
        Ok(self
            .list(of, flags)
            .iter()
            .map(|n| T::make_ref(dom, n))
            .collect())
    }

    /// A handle to the current moment, or libvirt's error when there is none.
    pub fn current_ref(&self, from: ErrorDomain, dom: &DomainRef) -> Result<T::Ref> {
        match self.current() {
            Some(c) => Ok(T::make_ref(dom, c)),
            None => Err(Error::with_detail(
                from,
                T::NO_SUCH,
                format!("the domain does not have a current {}", T::KIND),
            )),
        }
    }

    /// A handle to the parent of `r`, or libvirt's error when `r` is missing or a root.
    pub fn parent_ref(&self, from: ErrorDomain, r: &T::Ref) -> Result<T::Ref> {
        let (dom, name) = T::ref_parts(r);
        let m = self.find(from, name)?;
        match m.parent() {
            Some(p) => Ok(T::make_ref(dom, p)),
            None => Err(Error::with_detail(
                from,
                T::NO_SUCH,
                format!("{} '{}' does not have a parent", T::KIND, m.name()),
            )),
        }
    }

    /// Whether `name` is the current moment (libvirt's error if there is no such moment).
    pub fn is_current(&self, from: ErrorDomain, name: &str) -> Result<bool> {
        self.find(from, name)?;
        Ok(self.current() == Some(name))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rvirt_conf::checkpoint::CheckpointParseOptions;
    use rvirt_conf::snapshot::SnapshotParseOptions;

    /// A checkpoint `name` below `parent`, for the tests of the trees.
    pub(crate) fn chk(name: &str, parent: Option<&str>) -> CheckpointDef {
        let mut c = CheckpointDef::parse_xml(
            &format!("<domaincheckpoint><name>{name}</name></domaincheckpoint>"),
            CheckpointParseOptions::default(),
        )
        .expect("parse");
        c.parent = parent.map(str::to_string);
        c
    }

    /// A snapshot `name` below `parent`, for the tests of the trees.
    pub(crate) fn snap(name: &str, parent: Option<&str>) -> SnapshotDef {
        let mut s = SnapshotDef::parse_xml(
            &format!("<domainsnapshot><name>{name}</name></domainsnapshot>"),
            SnapshotParseOptions::default(),
        )
        .expect("parse");
        s.parent = parent.map(str::to_string);
        s
    }

    fn names(found: Vec<&SnapshotDef>) -> Vec<&str> {
        found.into_iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn walks_select_and_delete_follow_the_tree() {
        let mut t = MomentTree::default();
        // c was created before its sibling's child d; e's parent is gone.
        for (n, p) in [
            ("a", None),
            ("b", Some("a")),
            ("c", Some("a")),
            ("d", Some("b")),
            ("e", Some("x")),
        ] {
            t.insert(snap(n, p));
        }
        let from = ErrorDomain::TEST;
        // DESCENDANTS (= ROOTS) 1, TOPOLOGICAL 2, LEAVES 4, NO_LEAVES 8.
        let filter = |bits| MomentFilter::from_bits(bits, [1, 2, 4, 8]);
        let (all, roots, topo) = (filter(0), filter(1), filter(2));
        assert_eq!(
            names(t.select(from, None, all).unwrap()),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(
            names(t.select(from, None, topo).unwrap()),
            ["a", "b", "d", "c", "e"]
        );
        assert_eq!(names(t.select(from, None, roots).unwrap()), ["a", "e"]);
        assert_eq!(
            names(t.select(from, Some("a"), roots).unwrap()),
            ["b", "d", "c"]
        );
        let d = t.get("d").unwrap();
        assert_eq!(names(t.ancestors(d).collect()), ["b", "a"]);
        let e = t.select(from, Some("x"), all).expect_err("no x");
        assert_eq!(e.code, ErrorNumber::NO_DOMAIN_SNAPSHOT);
        t.set_current(Some("d".into()));
        t.delete("a", true, true);
        assert_eq!(t.current(), Some("a"));
        assert_eq!(names(t.iter().collect()), ["a", "e"]);
    }
}
