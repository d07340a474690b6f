//! A QEMU domain's own descriptive data: `virDomainSetMetadata`/`virDomainGetMetadata` (title,
//! description and namespaced `<metadata>` elements, live and in the config) and
//! `virDomainRename` (config file, autostart link and snapshot records follow the name).

use crate::{FROM, QemuDriver, util};
use rvirt_driver::events::DomainEvent;
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::domain::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::sync::Arc;

const LIVE: u32 = DomainModificationImpact::LIVE.bits();
const CONFIG: u32 = DomainModificationImpact::CONFIG.bits();

impl QemuDriver {
    /// `virDomainSetMetadata`: changes the running definition (status file rewritten), the
    /// persistent one (config file rewritten), or both, then emits a metadata-change event.
    pub(crate) async fn set_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        metadata: Option<&str>,
        key: Option<&str>,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetMetadata", flags.bits(), LIVE | CONFIG)?;
        let obj = self.obj(dom)?;
        let (live, config, reference) = {
            let mut st = obj.lock();
            let (live, config) = st.modification_impact(flags.bits())?;
            // Both are checked before either changes: a bad element leaves both as they were.
            let mut live_def = (*st.def).clone();
            let mut pers_def = (**st.persistent_def()).clone();
            if live {
                live_def.set_metadata(kind, metadata, key, uri)?;
            }
            if config {
                pers_def.set_metadata(kind, metadata, key, uri)?;
            }
            if live {
                st.def = Arc::new(live_def);
            }
            if config {
                *st.persistent_def_mut() = pers_def;
            }
            (live, config, st.to_ref(obj.uuid))
        };
        if config {
            let def = obj.lock().persistent_def().clone();
            self.save_config(&def)?;
        }
        if live {
            let _ = self.save_status(&obj);
        }
        self.events.emit(DomainEvent::MetadataChange {
            dom: reference,
            kind: kind.0,
            nsuri: uri.map(str::to_string),
        });
        Ok(())
    }

    /// `virDomainGetMetadata` from the definition `flags` select.
    pub(crate) fn get_metadata(
        &self,
        dom: &DomainRef,
        kind: DomainMetadataType,
        uri: Option<&str>,
        flags: DomainModificationImpact,
    ) -> Result<String> {
        check_flags(FROM, "qemuDomainGetMetadata", flags.bits(), LIVE | CONFIG)?;
        let obj = self.obj(dom)?;
        let st = obj.lock();
        st.one_def(flags.bits())?.get_metadata(kind, uri)
    }

    /// `virDomainRename` of a persistent, shut-off domain without a managed save image.
    pub(crate) async fn rename(
        &self,
        dom: &DomainRef,
        new_name: &str,
        flags: u32,
    ) -> Result<DomainRef> {
        check_flags(FROM, "qemuDomainRename", flags, 0)?;
        let obj = self.obj(dom)?;
        {
            let st = obj.lock();
            let refuse = |m: &str| Err(Error::operation_invalid(FROM, m));
            if st.is_active() {
                return refuse("cannot rename active domain");
            }
            if !st.persistent {
                return refuse("cannot rename a transient domain");
            }
            if st.has_managed_save {
                return refuse("domain with a managed saved state can't be renamed");
            }
            if st.state != DomainState::SHUTOFF {
                return refuse("domain has to be shutoff before renaming");
            }
        }
        let (old_ref, new_ref) = self.domains.edit(|list| -> Result<_> {
            let mut st = obj.lock();
            let old_name = st.name.clone();
            if &*old_name == new_name {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "Can't rename domain to itself",
                ));
            }
            if list.find_by_name(new_name).is_some() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    format!("domain with name '{new_name}' already exists"),
                ));
            }
            if new_name.contains('/') {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::XML_ERROR,
                    format!("name {new_name} cannot contain '/'"),
                ));
            }
            let mut def = (*st.def).clone();
            def.name = new_name.to_string();
            // The new config first: a failure here leaves the domain as it was.
            self.save_config(&def)?;
            let new_link = self.autostart_path(new_name);
            if st.autostart {
                let _ = std::fs::remove_file(&new_link);
                if let Err(e) = std::os::unix::fs::symlink(self.config_path(new_name), &new_link) {
                    let _ = util::remove_durably(&self.config_path(new_name));
                    return Err(Error::system(
                        FROM,
                        format!(
                            "Failed to create symlink '{} to '{}'",
                            new_link.display(),
                            self.config_path(new_name).display()
                        ),
                        &e,
                    ));
                }
            }
            let snapshots = self.snapshot_root();
            if snapshots.join(&*old_name).exists() {
                let _ = std::fs::rename(snapshots.join(&*old_name), snapshots.join(new_name));
            }
            let _ = util::remove_durably(&self.config_path(&old_name));
            let _ = std::fs::remove_file(self.autostart_path(&old_name));
            let old_ref = st.to_ref(obj.uuid);
            let new: Arc<str> = new_name.into();
            list.rename(&old_name, new.clone());
            st.name = new;
            st.def = Arc::new(def);
            Ok((old_ref, st.to_ref(obj.uuid)))
        })?;
        self.events.emit(DomainEvent::lifecycle(
            old_ref,
            DomainEventType::UNDEFINED,
            DomainEventUndefinedDetailType::RENAMED.0,
        ));
        self.events.emit(DomainEvent::lifecycle(
            new_ref.clone(),
            DomainEventType::DEFINED,
            DomainEventDefinedDetailType::RENAMED.0,
        ));
        Ok(new_ref)
    }
}
