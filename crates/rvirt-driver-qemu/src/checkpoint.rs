//! Checkpoints of QEMU domains, with libvirt's rules (`qemu_checkpoint.c`): a checkpoint of a
//! running domain adds a persistent dirty bitmap, named after it, to the qcow2 image of each
//! of its disks (one QMP transaction); its record (with the domain's definition) is kept under
//! `lib/qemu/checkpoint/DOM/NAME.xml`; deleting it removes the bitmaps (or only the record);
//! `--size` reports how much each disk changed since. Checkpoints are made and deleted only
//! while the domain runs; a redefinition only records.

use crate::{FROM, QemuDriver, util};
use rvirt_conf::checkpoint::{
    CheckpointDef, CheckpointFormatOptions, CheckpointParseOptions, CheckpointType,
};
use rvirt_driver::{
    CheckpointDriver, CheckpointRef, CheckpointStore, DomainObj, DomainRef, check_flags,
};
use rvirt_types::checkpoint::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

type F = DomainCheckpointListFlags;

fn unsupported(detail: &str) -> Error {
    Error::with_detail(FROM, ErrorNumber::OPERATION_UNSUPPORTED, detail)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl QemuDriver {
    fn checkpoint_root(&self) -> PathBuf {
        self.dirs.qemu_lib.join("checkpoint")
    }

    /// Runs `f` on the checkpoints of `obj`.
    fn with_checkpoints<R>(
        &self,
        obj: &DomainObj,
        f: impl FnOnce(&mut CheckpointStore) -> Result<R>,
    ) -> Result<R> {
        let _st = obj.lock();
        let mut all = self.checkpoints.lock();
        f(all.entry(obj.uuid).or_default())
    }

    /// Reads every domain's checkpoint records (after the domains are loaded); the newest
    /// leaf becomes current.
    pub(crate) fn load_checkpoints(&self) {
        for obj in self.domains.all() {
            let name = obj.lock().name.to_string();
            let Ok(dir) = std::fs::read_dir(self.checkpoint_root().join(&name)) else {
                continue;
            };
            let mut store = CheckpointStore::default();
            for e in dir.flatten() {
                let opts = CheckpointParseOptions {
                    redefine: true,
                    now: 0,
                };
                if let Some(def) = std::fs::read_to_string(e.path())
                    .ok()
                    .and_then(|t| CheckpointDef::parse_xml(&t, opts).ok())
                {
                    store.insert(def);
                }
            }
            let current = store
                .iter()
                .filter(|c| !store.has_children(&c.name))
                .max_by_key(|c| c.creation_time)
                .map(|c| c.name.clone());
            store.set_current(current);
            self.checkpoints.lock().insert(obj.uuid, store);
        }
    }

    fn write_checkpoint(&self, dom: &str, def: &CheckpointDef) -> Result<()> {
        let dir = self.checkpoint_root().join(dom);
        let path = dir.join(format!("{}.xml", def.name));
        let xml = def.format_xml(CheckpointFormatOptions {
            secure: true,
            no_domain: false,
            size: false,
        });
        std::fs::create_dir_all(&dir)
            .and_then(|()| util::write_atomic(&path, xml.as_bytes()))
            .map_err(|_| {
                Error::internal(
                    FROM,
                    format!("unable to save metadata for checkpoint {}", def.name),
                )
            })
    }

    /// The number of checkpoints of a domain.
    pub(crate) fn checkpoint_count(&self, uuid: &Uuid) -> usize {
        self.checkpoints
            .lock()
            .get(uuid)
            .map_or(0, CheckpointStore::len)
    }

    /// Forgets every checkpoint record of a domain (undefine with `CHECKPOINTS_METADATA`).
    pub(crate) fn discard_all_checkpoints(&self, uuid: &Uuid, name: &str) {
        self.checkpoints.lock().remove(uuid);
        let _ = std::fs::remove_dir_all(self.checkpoint_root().join(name));
    }

    /// The top qcow2 node of each disk of the running domain taking part in `def`, with the
    /// disk's target: `(target, node)`.
    async fn bitmap_nodes(
        &self,
        obj: &Arc<DomainObj>,
        def: &CheckpointDef,
    ) -> Result<Vec<(String, String, String)>> {
        let live = obj.lock().def.clone();
        let p = self.proc_of(&obj.uuid)?;
        let blocks = self
            .qmp(&p, |m| async move { m.query_block().await })
            .await?;
        let mut out = Vec::new();
        for d in def
            .disks
            .iter()
            .filter(|d| d.checkpoint == CheckpointType::Bitmap)
        {
            let Some(disk) = live.devices.disks.iter().find(|x| x.target_dev == d.name) else {
                continue;
            };
            let path = disk.source_path().unwrap_or_default().to_string();
            let node = blocks
                .iter()
                .filter_map(|b| b.inserted.as_ref())
                .find(|i| i.file == path)
                .and_then(|i| i.node_name.clone())
                .ok_or_else(|| {
                    Error::internal(
                        FROM,
                        format!("cannot find the block node of disk '{}'", d.name),
                    )
                })?;
            let bitmap = d.bitmap.clone().unwrap_or_else(|| def.name.clone());
            out.push((d.name.clone(), node, bitmap));
        }
        Ok(out)
    }

    async fn create_checkpoint(&self, obj: &Arc<DomainObj>, xml: &str) -> Result<String> {
        let (active, live) = {
            let st = obj.lock();
            (st.is_active(), st.def.clone())
        };
        if !active {
            return Err(unsupported("cannot create checkpoint for inactive domain"));
        }
        let mut def = CheckpointDef::parse_xml(
            xml,
            CheckpointParseOptions {
                redefine: false,
                now: now_secs(),
            },
        )?;
        // The domain's definition as a shut-off domain would have it.
        def.domain = Some((*live).clone());
        def.align_disks()?;
        for d in def
            .disks
            .iter()
            .filter(|d| d.checkpoint == CheckpointType::Bitmap)
        {
            if d.bitmap.as_deref().is_some_and(|b| b != def.name) {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!(
                        "bitmap for disk '{}' must match checkpoint name '{}'",
                        d.name, def.name
                    ),
                ));
            }
            let disk = live.devices.disks.iter().find(|x| x.target_dev == d.name);
            let format = disk.map_or("raw", crate::snapshot::disk_format);
            if format != "qcow2" {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!(
                        "checkpoint for disk {} unsupported for storage type {format}",
                        d.name
                    ),
                ));
            }
        }
        let exists = self.with_checkpoints(obj, |s| Ok(s.get(&def.name).is_some()))?;
        if exists {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::OPERATION_FAILED,
                format!("domain moment {} already exists", def.name),
            ));
        }
        let nodes = self.bitmap_nodes(obj, &def).await?;
        let actions: Vec<Value> = nodes
            .iter()
            .map(|(_, node, bitmap)| {
                json!({"type": "block-dirty-bitmap-add",
                       "data": {"node": node, "name": bitmap, "persistent": true}})
            })
            .collect();
        let p = self.proc_of(&obj.uuid)?;
        if !actions.is_empty() {
            self.qmp(&p, move |m| async move {
                m.execute("transaction", Some(json!({"actions": actions})))
                    .await
                    .map(|_| ())
            })
            .await?;
        }
        let dom = obj.lock().name.to_string();
        let name = def.name.clone();
        self.with_checkpoints(obj, |s| {
            def.parent = s.current().map(str::to_string);
            self.write_checkpoint(&dom, &def)?;
            s.insert(def);
            s.set_current(Some(name.clone()));
            Ok(())
        })?;
        Ok(name)
    }

    fn redefine_checkpoint(&self, obj: &Arc<DomainObj>, xml: &str) -> Result<String> {
        let mut def = CheckpointDef::parse_xml(
            xml,
            CheckpointParseOptions {
                redefine: true,
                now: now_secs(),
            },
        )?;
        let (uuid, dom) = {
            let st = obj.lock();
            (st.def.uuid, st.name.to_string())
        };
        if let Some(d) = &def.domain {
            if d.uuid != uuid {
                return Err(Error::with_detail(
                    ErrorDomain::DOMAIN_CHECKPOINT,
                    ErrorNumber::INVALID_ARG,
                    format!(
                        "definition for checkpoint {} must use uuid {uuid}",
                        def.name
                    ),
                ));
            }
            def.align_disks()?;
        } else {
            def.assign_bitmap_names();
        }
        let name = def.name.clone();
        self.with_checkpoints(obj, |s| {
            s.check_cycles(&def)?;
            self.write_checkpoint(&dom, &def)?;
            s.insert(def);
            Ok(())
        })?;
        Ok(name)
    }

    /// The dirty bytes each disk's bitmap of checkpoint `def` holds.
    async fn checkpoint_sizes(&self, obj: &Arc<DomainObj>, def: &mut CheckpointDef) -> Result<()> {
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "domain is not running",
            ));
        }
        let nodes = self.bitmap_nodes(obj, def).await?;
        let p = self.proc_of(&obj.uuid)?;
        let named: Value = self
            .qmp(&p, |m| async move {
                m.execute("query-named-block-nodes", Some(json!({"flat": true})))
                    .await
            })
            .await?;
        for (target, node, bitmap) in nodes {
            let count = named
                .as_array()
                .into_iter()
                .flatten()
                .find(|n| n["node-name"] == node.as_str())
                .and_then(|n| n["dirty-bitmaps"].as_array())
                .and_then(|b| b.iter().find(|x| x["name"] == bitmap.as_str()))
                .and_then(|x| x["count"].as_u64());
            if let Some(d) = def.disks.iter_mut().find(|d| d.name == target) {
                d.size = count;
            }
        }
        Ok(())
    }

    async fn delete_checkpoint(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointDeleteFlags,
    ) -> Result<()> {
        use DomainCheckpointDeleteFlags as D;
        let obj = self.obj(&chk.domain)?;
        let dom = obj.lock().name.to_string();
        let targets = self.with_checkpoints(&obj, |s| {
            s.find(FROM, &chk.name)?;
            let mut names: Vec<String> = Vec::new();
            if !flags.contains(D::CHILDREN_ONLY) {
                names.push(chk.name.to_string());
            }
            if flags.intersects(D::CHILDREN | D::CHILDREN_ONLY) {
                names.extend(s.descendants(&chk.name));
            }
            Ok(names
                .iter()
                .filter_map(|n| s.get(n).cloned())
                .collect::<Vec<CheckpointDef>>())
        })?;
        if !flags.contains(D::METADATA_ONLY) {
            if !obj.lock().is_active() {
                return Err(unsupported("cannot delete checkpoint for inactive domain"));
            }
            let mut actions = Vec::new();
            for def in &targets {
                for (_, node, bitmap) in self.bitmap_nodes(&obj, def).await? {
                    actions.push(json!({"type": "block-dirty-bitmap-remove",
                                        "data": {"node": node, "name": bitmap}}));
                }
            }
            if !actions.is_empty() {
                let p = self.proc_of(&obj.uuid)?;
                self.qmp(&p, move |m| async move {
                    m.execute("transaction", Some(json!({"actions": actions})))
                        .await
                        .map(|_| ())
                })
                .await?;
            }
        }
        self.with_checkpoints(&obj, |s| {
            s.delete(
                &chk.name,
                flags.intersects(D::CHILDREN | D::CHILDREN_ONLY),
                flags.contains(D::CHILDREN_ONLY),
            );
            for def in &targets {
                let _ = std::fs::remove_file(
                    self.checkpoint_root()
                        .join(&dom)
                        .join(format!("{}.xml", def.name)),
                );
            }
            // Children moved up to a new parent are recorded again.
            for c in s.iter() {
                let _ = self.write_checkpoint(&dom, c);
            }
            Ok(())
        })
    }
}

impl CheckpointDriver for QemuDriver {
    async fn checkpoint_create_xml(
        &self,
        dom: &DomainRef,
        xml: &str,
        flags: DomainCheckpointCreateFlags,
    ) -> Result<CheckpointRef> {
        use DomainCheckpointCreateFlags as C;
        check_flags(
            FROM,
            "qemuDomainCheckpointCreateXML",
            flags.bits(),
            (C::REDEFINE | C::REDEFINE_VALIDATE).bits(),
        )?;
        let obj = self.obj(dom)?;
        let name = if flags.contains(C::REDEFINE) {
            self.redefine_checkpoint(&obj, xml)?
        } else {
            self.create_checkpoint(&obj, xml).await?
        };
        Ok(CheckpointRef::new(dom, &name))
    }

    async fn domain_list_all_checkpoints(
        &self,
        dom: &DomainRef,
        flags: F,
    ) -> Result<Vec<CheckpointRef>> {
        check_flags(
            FROM,
            "qemuDomainListAllCheckpoints",
            flags.bits(),
            F::all().bits(),
        )?;
        let obj = self.obj(dom)?;
        self.with_checkpoints(&obj, |s| s.list_refs(FROM, dom, None, flags))
    }

    async fn checkpoint_list_all_children(
        &self,
        chk: &CheckpointRef,
        flags: F,
    ) -> Result<Vec<CheckpointRef>> {
        check_flags(
            FROM,
            "qemuDomainCheckpointListAllChildren",
            flags.bits(),
            F::all().bits(),
        )?;
        let obj = self.obj(&chk.domain)?;
        self.with_checkpoints(&obj, |s| {
            s.list_refs(FROM, &chk.domain, Some(&chk.name), flags)
        })
    }

    async fn checkpoint_lookup_by_name(
        &self,
        dom: &DomainRef,
        name: &str,
        flags: u32,
    ) -> Result<CheckpointRef> {
        check_flags(FROM, "qemuDomainCheckpointLookupByName", flags, 0)?;
        let obj = self.obj(dom)?;
        self.with_checkpoints(&obj, |s| {
            s.find(FROM, name).map(|c| CheckpointRef::new(dom, &c.name))
        })
    }

    async fn checkpoint_get_parent(
        &self,
        chk: &CheckpointRef,
        flags: u32,
    ) -> Result<CheckpointRef> {
        check_flags(FROM, "qemuDomainCheckpointGetParent", flags, 0)?;
        let obj = self.obj(&chk.domain)?;
        self.with_checkpoints(&obj, |s| s.parent_ref(FROM, chk))
    }

    async fn checkpoint_get_xml_desc(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointXMLFlags,
    ) -> Result<String> {
        use DomainCheckpointXMLFlags as X;
        check_flags(
            FROM,
            "qemuDomainCheckpointGetXMLDesc",
            flags.bits(),
            X::all().bits(),
        )?;
        let obj = self.obj(&chk.domain)?;
        let mut def = self.with_checkpoints(&obj, |s| s.find(FROM, &chk.name).cloned())?;
        if flags.contains(X::SIZE) {
            self.checkpoint_sizes(&obj, &mut def).await?;
        }
        Ok(def.format_xml(flags.into()))
    }

    async fn checkpoint_delete(
        &self,
        chk: &CheckpointRef,
        flags: DomainCheckpointDeleteFlags,
    ) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainCheckpointDelete",
            flags.bits(),
            DomainCheckpointDeleteFlags::all().bits(),
        )?;
        self.delete_checkpoint(chk, flags).await
    }
}
