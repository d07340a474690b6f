//! Domain objects (definition + live state + lock) and the list that indexes them.
//!
//! Lock order: the list's lock before an object's lock. Listing holds the list's read lock for
//! the whole walk, so a listing is a consistent snapshot of membership: no domain shows twice and
//! none that existed throughout the call is missed, whatever other threads define or undefine.

use crate::DomainRef;
use parking_lot::{Mutex, MutexGuard, RwLock};
use rvirt_conf::DomainDef;
use rvirt_types::domain::{
    ConnectListAllDomainsFlags as L, DomainModificationImpact as Impact, DomainState,
};
use rvirt_types::{Error, ErrorDomain, Result, Uuid};
use std::collections::HashMap;
use std::sync::Arc;

/// The mutable part of a domain object.
#[derive(Debug)]
pub struct DomainObjState {
    /// The domain's name (shared with the handles made from it).
    pub name: Arc<str>,
    /// The definition in force: the live one while running, else the persistent one.
    pub def: Arc<DomainDef>,
    /// While a persistent domain runs: its persistent definition, which changes to the config
    /// alone go to and which takes over again when the domain stops.
    pub new_def: Option<Arc<DomainDef>>,
    /// The id while running, -1 otherwise.
    pub id: i32,
    /// The state.
    pub state: DomainState,
    /// The reason for the state (a value of the matching `Domain*Reason` enum).
    pub reason: i32,
    /// Whether a persistent configuration exists.
    pub persistent: bool,
    /// Whether the domain starts with the host.
    pub autostart: bool,
    /// Whether a managed save image exists.
    pub has_managed_save: bool,
    /// Number of snapshots.
    pub snapshot_count: usize,
    /// Number of checkpoints.
    pub checkpoint_count: usize,
}

impl DomainObjState {
    /// Whether the domain is running (in any state but shut off).
    pub fn is_active(&self) -> bool {
        self.id != -1
    }

    /// The persistent definition: `new_def` while running, else `def`.
    pub fn persistent_def(&self) -> &Arc<DomainDef> {
        self.new_def.as_ref().unwrap_or(&self.def)
    }

    /// libvirt's `virDomainObjUpdateModificationImpact`: which definitions a call with
    /// `VIR_DOMAIN_AFFECT_*` `flags` touches, as `(live, config)`. CURRENT means the live one on
    /// a running domain and the config otherwise; LIVE on an inactive domain and CONFIG on a
    /// transient one are errors. Bits other than LIVE and CONFIG are ignored.
    pub fn modification_impact(&self, flags: u32) -> Result<(bool, bool)> {
        let mut live = flags & Impact::LIVE.bits() != 0;
        let mut config = flags & Impact::CONFIG.bits() != 0;
        if !live && !config {
            live = self.is_active();
            config = !live;
        }
        if live && !self.is_active() {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "domain is not running",
            ));
        }
        if config && !self.persistent {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "transient domains do not have any persistent config",
            ));
        }
        Ok((live, config))
    }

    /// libvirt's `virDomainObjGetOneDefState`: which one definition a call reads or changes,
    /// as `(persistent, live)`: `persistent` when it is the persistent definition kept aside
    /// while running (`new_def`), `live` when it is the live one. LIVE and CONFIG together are
    /// an error.
    fn one_def_state(&self, flags: u32) -> Result<(bool, bool)> {
        let both = (Impact::LIVE | Impact::CONFIG).bits();
        if flags & both == both {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                "virDomainObjGetOneDefState",
                "flags",
                "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually \
                 exclusive"
                    .into(),
            ));
        }
        let (live, config) = self.modification_impact(flags)?;
        Ok((self.is_active() && config && self.new_def.is_some(), live))
    }

    /// libvirt's `virDomainObjGetOneDef`: the one definition a getter with
    /// `VIR_DOMAIN_AFFECT_*` `flags` reads.
    pub fn one_def(&self, flags: u32) -> Result<&Arc<DomainDef>> {
        let (persistent, _) = self.one_def_state(flags)?;
        Ok(match &self.new_def {
            Some(d) if persistent => d,
            _ => &self.def,
        })
    }

    /// The one definition a setter with `VIR_DOMAIN_AFFECT_*` `flags` changes (see
    /// [`DomainObjState::one_def`]), made unique for writing, and whether it is the live one.
    pub fn one_def_mut(&mut self, flags: u32) -> Result<(&mut DomainDef, bool)> {
        let (persistent, live) = self.one_def_state(flags)?;
        let target = match self.new_def.as_mut() {
            Some(d) if persistent => d,
            _ => &mut self.def,
        };
        Ok((Arc::make_mut(target), live))
    }

    /// The persistent definition (`new_def` while running, else `def`), made unique for
    /// writing: what a change to the config alone edits.
    pub fn persistent_def_mut(&mut self) -> &mut DomainDef {
        Arc::make_mut(self.new_def.as_mut().unwrap_or(&mut self.def))
    }

    /// A handle to this domain.
    pub fn to_ref(&self, uuid: Uuid) -> DomainRef {
        DomainRef {
            name: self.name.clone(),
            uuid,
            id: self.id,
        }
    }

    /// Whether the domain passes every group of `flags` (an empty group passes everything).
    pub fn matches(&self, flags: L) -> bool {
        fn group(flags: L, yes: L, no: L, is: bool) -> bool {
            let g = flags & (yes | no);
            g.is_empty() || g == yes | no || (is && g.contains(yes)) || (!is && g.contains(no))
        }
        let groups = [
            (L::ACTIVE, L::INACTIVE, self.is_active()),
            (L::PERSISTENT, L::TRANSIENT, self.persistent),
            (L::MANAGEDSAVE, L::NO_MANAGEDSAVE, self.has_managed_save),
            (L::AUTOSTART, L::NO_AUTOSTART, self.autostart),
            (L::HAS_SNAPSHOT, L::NO_SNAPSHOT, self.snapshot_count > 0),
            (
                L::HAS_CHECKPOINT,
                L::NO_CHECKPOINT,
                self.checkpoint_count > 0,
            ),
        ];
        if !groups
            .into_iter()
            .all(|(yes, no, is)| group(flags, yes, no, is))
        {
            return false;
        }
        let states = flags & (L::RUNNING | L::PAUSED | L::SHUTOFF | L::OTHER);
        if !states.is_empty() {
            let bit = match self.state {
                DomainState::RUNNING => L::RUNNING,
                DomainState::PAUSED => L::PAUSED,
                DomainState::SHUTOFF => L::SHUTOFF,
                _ => L::OTHER,
            };
            if !states.contains(bit) {
                return false;
            }
        }
        true
    }
}

/// A domain object: its UUID (never changes) and its state behind a lock.
#[derive(Debug)]
pub struct DomainObj {
    /// The domain's UUID.
    pub uuid: Uuid,
    state: Mutex<DomainObjState>,
}

impl DomainObj {
    /// A new object for `def`, shut off.
    pub fn new(def: DomainDef, persistent: bool) -> DomainObj {
        DomainObj {
            uuid: def.uuid,
            state: Mutex::new(DomainObjState {
                name: def.name.as_str().into(),
                def: Arc::new(def),
                new_def: None,
                id: -1,
                state: DomainState::SHUTOFF,
                reason: 0,
                persistent,
                autostart: false,
                has_managed_save: false,
                snapshot_count: 0,
                checkpoint_count: 0,
            }),
        }
    }

    /// Locks the object's state.
    pub fn lock(&self) -> MutexGuard<'_, DomainObjState> {
        self.state.lock()
    }

    /// A handle to the domain as it is now (locks the state for the moment it takes).
    pub fn to_ref(&self) -> DomainRef {
        self.lock().to_ref(self.uuid)
    }
}

#[derive(Default)]
struct Index {
    by_uuid: HashMap<Uuid, Arc<DomainObj>>,
    by_name: HashMap<Arc<str>, Arc<DomainObj>>,
}

/// Every domain of a driver, indexed by UUID and name.
#[derive(Default)]
pub struct DomainObjList {
    index: RwLock<Index>,
}

/// Why [`DomainObjList::add`] refused a definition.
#[derive(Debug)]
pub enum AddConflict {
    /// Another domain has the name (its UUID is given).
    NameTaken(Uuid),
    /// A domain with this UUID exists under another name (that name is given).
    UuidTaken(Arc<str>),
}

impl DomainObjList {
    /// The object with this UUID.
    pub fn find_by_uuid(&self, uuid: &Uuid) -> Option<Arc<DomainObj>> {
        self.index.read().by_uuid.get(uuid).cloned()
    }

    /// The object with this name.
    pub fn find_by_name(&self, name: &str) -> Option<Arc<DomainObj>> {
        self.index.read().by_name.get(name).cloned()
    }

    /// The running object with this id.
    pub fn find_by_id(&self, id: i32) -> Option<Arc<DomainObj>> {
        if id < 0 {
            return None;
        }
        let idx = self.index.read();
        idx.by_uuid.values().find(|o| o.lock().id == id).cloned()
    }

    /// Runs `f` with the index locked for writing, for a change of membership (define, undefine,
    /// rename). `f` gets an editor that keeps both indexes in step.
    pub fn edit<R>(&self, f: impl FnOnce(&mut ListEditor<'_>) -> R) -> R {
        let mut idx = self.index.write();
        f(&mut ListEditor { idx: &mut idx })
    }

    /// Every object, in no particular order.
    pub fn all(&self) -> Vec<Arc<DomainObj>> {
        self.index.read().by_uuid.values().cloned().collect()
    }

    /// Handles to every domain passing `flags`, from one consistent snapshot of membership.
    pub fn list(&self, flags: L) -> Vec<DomainRef> {
        let idx = self.index.read();
        let mut out = Vec::with_capacity(idx.by_uuid.len());
        for obj in idx.by_uuid.values() {
            let st = obj.lock();
            if st.matches(flags) {
                out.push(st.to_ref(obj.uuid));
            }
        }
        out
    }

    /// Calls `f` for every object with its state locked, under one snapshot of membership.
    pub fn for_each(&self, mut f: impl FnMut(&DomainObj, &DomainObjState)) {
        let idx = self.index.read();
        for obj in idx.by_uuid.values() {
            let st = obj.lock();
            f(obj, &st);
        }
    }

    /// The ids of the running domains, ascending, at most `max` of them (the legacy
    /// `virConnectListDomains`).
    pub fn active_ids(&self, max: i32) -> Vec<i32> {
        let mut ids = Vec::new();
        self.for_each(|_, st| {
            if st.is_active() {
                ids.push(st.id);
            }
        });
        ids.sort_unstable();
        ids.truncate(usize::try_from(max).unwrap_or(0));
        ids
    }

    /// The names of the inactive domains, sorted, at most `max` of them (the legacy
    /// `virConnectListDefinedDomains`).
    pub fn inactive_names(&self, max: i32) -> Vec<String> {
        let mut names = Vec::new();
        self.for_each(|_, st| {
            if !st.is_active() {
                names.push(st.name.to_string());
            }
        });
        names.sort();
        names.truncate(usize::try_from(max).unwrap_or(0));
        names
    }

    /// How many domains are running (`active`) or not.
    pub fn count_where_active(&self, active: bool) -> i32 {
        let mut n = 0;
        self.for_each(|_, st| n += i32::from(st.is_active() == active));
        n
    }

    /// The number of domains.
    pub fn len(&self) -> usize {
        self.index.read().by_uuid.len()
    }

    /// Whether there are no domains.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Changes the list's membership under its write lock.
pub struct ListEditor<'a> {
    idx: &'a mut Index,
}

impl ListEditor<'_> {
    /// The object with this UUID.
    pub fn find_by_uuid(&self, uuid: &Uuid) -> Option<Arc<DomainObj>> {
        self.idx.by_uuid.get(uuid).cloned()
    }

    /// The object with this name.
    pub fn find_by_name(&self, name: &str) -> Option<Arc<DomainObj>> {
        self.idx.by_name.get(name).cloned()
    }

    /// Checks that `name` and `uuid` can belong to one domain: libvirt's rule that a UUID keeps
    /// its name and a name its UUID. Returns the existing object with that UUID, if any.
    pub fn check_identity(
        &self,
        name: &str,
        uuid: &Uuid,
    ) -> Result<Option<Arc<DomainObj>>, AddConflict> {
        if let Some(existing) = self.idx.by_uuid.get(uuid) {
            let n = existing.lock().name.clone();
            if &*n != name {
                return Err(AddConflict::UuidTaken(n));
            }
            return Ok(Some(existing.clone()));
        }
        if let Some(other) = self.idx.by_name.get(name) {
            return Err(AddConflict::NameTaken(other.uuid));
        }
        Ok(None)
    }

    /// Inserts a new object.
    pub fn insert(&mut self, obj: Arc<DomainObj>) {
        let name = obj.lock().name.clone();
        self.idx.by_name.insert(name, obj.clone());
        self.idx.by_uuid.insert(obj.uuid, obj);
    }

    /// Removes the object with this UUID.
    pub fn remove(&mut self, uuid: &Uuid) -> Option<Arc<DomainObj>> {
        let obj = self.idx.by_uuid.remove(uuid)?;
        let name = obj.lock().name.clone();
        self.idx.by_name.remove(&name);
        Some(obj)
    }

    /// Moves an object's name index entry from `old` to `new` (the caller updates the state).
    pub fn rename(&mut self, old: &str, new: Arc<str>) {
        if let Some(obj) = self.idx.by_name.remove(old) {
            self.idx.by_name.insert(new, obj);
        }
    }
}
