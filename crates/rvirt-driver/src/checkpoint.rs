//! Domain checkpoints: the handle ([`CheckpointRef`]), the driver calls ([`CheckpointDriver`],
//! each answering `VIR_ERR_NO_SUPPORT` by default, as libvirt does for a driver without
//! checkpoints), and what every driver's checkpoints share: the tree of one domain's
//! checkpoints with its current one ([`CheckpointStore`]) and libvirt's list filters.

use crate::DomainRef;
use rvirt_conf::checkpoint::CheckpointDef;
use rvirt_types::checkpoint::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
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
    Error::with_detail(
        from,
        ErrorNumber::NO_DOMAIN_CHECKPOINT,
        format!("no domain checkpoint with matching name '{name}'"),
    )
}

/// The checkpoints of one domain, in creation order, and which one is current (the parent of
/// the next checkpoint taken).
#[derive(Default, Debug, Clone)]
pub struct CheckpointStore {
    chks: Vec<CheckpointDef>,
    current: Option<String>,
}

impl CheckpointStore {
    /// The number of checkpoints.
    pub fn len(&self) -> usize {
        self.chks.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.chks.is_empty()
    }

    /// The checkpoint named `name`.
    pub fn get(&self, name: &str) -> Option<&CheckpointDef> {
        self.chks.iter().find(|c| c.name == name)
    }

    /// The checkpoint named `name`, or libvirt's error (from error domain `from`).
    pub fn find(&self, from: ErrorDomain, name: &str) -> Result<&CheckpointDef> {
        self.get(name).ok_or_else(|| no_checkpoint(from, name))
    }

    /// The name of the current checkpoint.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// Makes `name` (or none) the current checkpoint.
    pub fn set_current(&mut self, name: Option<String>) {
        self.current = name;
    }

    /// Adds `def`, or replaces the checkpoint of the same name in place (its children stay).
    pub fn insert(&mut self, def: CheckpointDef) {
        match self.chks.iter_mut().find(|c| c.name == def.name) {
            Some(slot) => *slot = def,
            None => self.chks.push(def),
        }
    }

    /// libvirt's `virDomainMomentCheckCycles` for a checkpoint being redefined: its parent
    /// exists, is not itself, and does not descend from it (errors from the domain layer).
    pub fn check_cycles(&self, def: &CheckpointDef) -> Result<()> {
        let invalid = |detail: String| {
            Error::with_detail(ErrorDomain::DOMAIN, ErrorNumber::INVALID_ARG, detail)
        };
        let Some(parent) = def.parent.as_deref() else {
            return Ok(());
        };
        if parent == def.name {
            return Err(invalid(format!(
                "cannot set moment {} as its own parent",
                def.name
            )));
        }
        let Some(mut other) = self.get(parent) else {
            return Err(invalid(format!(
                "parent {parent} for moment {} not found",
                def.name
            )));
        };
        // Bounded by the number of checkpoints: an inconsistent tree cannot loop forever.
        for _ in 0..=self.chks.len() {
            let Some(up) = other.parent.as_deref() else {
                break;
            };
            if up == def.name {
                return Err(invalid(format!(
                    "parent {} would create cycle to {}",
                    other.name, def.name
                )));
            }
            match self.get(up) {
                Some(o) => other = o,
                None => break,
            }
        }
        Ok(())
    }

    /// The children of `name`, or the roots with `None` (a checkpoint whose parent is gone
    /// counts as a root, as libvirt links it to the metaroot).
    fn children<'a>(&'a self, name: Option<&'a str>) -> impl Iterator<Item = &'a CheckpointDef> {
        self.chks.iter().filter(move |c| match name {
            Some(n) => c.parent.as_deref() == Some(n),
            None => c.parent.as_deref().is_none_or(|p| self.get(p).is_none()),
        })
    }

    fn has_children(&self, name: &str) -> bool {
        self.children(Some(name)).next().is_some()
    }

    /// The names of `from`'s descendants (the whole tree with `None`), each parent before its
    /// children, depth first.
    pub fn descendants(&self, from: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack: Vec<String> = self
            .children(from)
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        while let Some(n) = stack.pop() {
            if out.len() > self.chks.len() {
                break;
            }
            let kids: Vec<String> = self.children(Some(&n)).map(|c| c.name.clone()).collect();
            out.push(n);
            stack.extend(kids.into_iter().rev());
        }
        out
    }

    /// libvirt's checkpoint listing (`virDomainListCheckpoints`): from the domain (`of ==
    /// None`: every checkpoint, or the roots with `ROOTS`) or from the checkpoint `of` (its
    /// children, or all its descendants with `DESCENDANTS`), which must exist; `LEAVES` and
    /// `NO_LEAVES` filter; `TOPOLOGICAL` puts parents before children.
    pub fn list_refs(
        &self,
        from: ErrorDomain,
        dom: &DomainRef,
        of: Option<&str>,
        flags: DomainCheckpointListFlags,
    ) -> Result<Vec<CheckpointRef>> {
        type F = DomainCheckpointListFlags;
        if let Some(name) = of {
            self.find(from, name)?;
        }
        // ROOTS and DESCENDANTS share a bit, with opposite meanings at the top and below.
        let deep = flags.contains(F::DESCENDANTS) != of.is_none();
        let names: Vec<String> = match (of, deep) {
            (None, true) if !flags.contains(F::TOPOLOGICAL) => {
                self.chks.iter().map(|c| c.name.clone()).collect()
            }
            (_, true) => self.descendants(of),
            (_, false) => self.children(of).map(|c| c.name.clone()).collect(),
        };
        Ok(names
            .into_iter()
            .filter(|n| {
                let leaf = !self.has_children(n);
                !(flags.contains(F::LEAVES) && !leaf || flags.contains(F::NO_LEAVES) && leaf)
            })
            .map(|n| CheckpointRef::new(dom, &n))
            .collect())
    }

    /// A handle to the parent of `chk`, or libvirt's error when `chk` is missing or a root.
    pub fn parent_ref(&self, from: ErrorDomain, chk: &CheckpointRef) -> Result<CheckpointRef> {
        let c = self.find(from, &chk.name)?;
        match &c.parent {
            Some(p) => Ok(CheckpointRef::new(&chk.domain, p)),
            None => Err(Error::with_detail(
                from,
                ErrorNumber::NO_DOMAIN_CHECKPOINT,
                format!("checkpoint '{}' does not have a parent", c.name),
            )),
        }
    }

    /// Deletes `name` as libvirt's test driver does: with `children` (CHILDREN or
    /// CHILDREN_ONLY) its descendants go too, and if one of them was current `name` becomes
    /// current; otherwise its children move to its parent. Unless `children_only`, `name` itself
    /// goes, and if it was current its parent (if any) becomes current.
    pub fn delete(&mut self, name: &str, children: bool, children_only: bool) {
        let Some(parent) = self.get(name).map(|c| c.parent.clone()) else {
            return;
        };
        let parent = parent.filter(|p| self.get(p).is_some());
        if children {
            let gone = self.descendants(Some(name));
            if self.current.as_ref().is_some_and(|c| gone.contains(c)) {
                self.current = Some(name.to_string());
            }
            self.chks.retain(|c| !gone.contains(&c.name));
        } else {
            for c in self
                .chks
                .iter_mut()
                .filter(|c| c.parent.as_deref() == Some(name))
            {
                c.parent = parent.clone();
            }
        }
        if !children_only {
            if self.current.as_deref() == Some(name) {
                self.current = parent;
            }
            self.chks.retain(|c| c.name != name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::checkpoint::CheckpointParseOptions;
    type F = DomainCheckpointListFlags;

    fn chk(name: &str, parent: Option<&str>) -> CheckpointDef {
        let mut c = CheckpointDef::parse_xml(
            &format!("<domaincheckpoint><name>{name}</name></domaincheckpoint>"),
            CheckpointParseOptions::default(),
        )
        .expect("parse");
        c.parent = parent.map(str::to_string);
        c
    }

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
