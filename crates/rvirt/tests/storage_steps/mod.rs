//! Storage steps of the oracle's scenario language (the python side is
//! `tests/oracle/storage_steps.py`; the two must stay in step).
//!
//! Handles: a pool reads as its name, a volume as `[name, key]`; `pool`, `vol` and `from` name
//! variables holding them, `as` binds the handle a step returns. Listings are sorted.
//!
//! Ops: `pool_events_on {ids}` (among `lifecycle`, `refresh`; default both; events read
//! `["pool_lifecycle", name, event, detail]` and `["pool_refresh", name]` in `events_check`),
//! `pool_list_all {flags}`, `pool_list_active`, `pool_list_defined`, `pool_num_active`,
//! `pool_num_defined`, `pool_lookup {name}`, `pool_lookup_uuid {uuid}`, `pool_lookup_by_vol
//! {vol}`, `pool_define {xml, flags}`, `pool_create_xml {xml, flags}`, `find_pool_sources {type,
//! spec, flags}`; on a pool: `pool_build`, `pool_create`, `pool_destroy`, `pool_delete`,
//! `pool_undefine`, `pool_refresh`, `pool_info` (`[state, capacity, allocation, available]`),
//! `pool_xml`, `pool_get_autostart`, `pool_set_autostart {value}`, `pool_is_active`,
//! `pool_is_persistent`, `pool_name`, `pool_uuid`, `pool_num_volumes`, `pool_list_volumes`,
//! `pool_list_all_volumes`; volumes: `vol_create {pool, xml, flags}`, `vol_create_from {pool,
//! xml, from, flags}`, `vol_lookup {pool, name}`, `vol_lookup_key {key}`, `vol_lookup_path
//! {path}`, and on a volume: `vol_delete`, `vol_wipe`, `vol_wipe_pattern {algorithm}`,
//! `vol_resize {capacity}`, `vol_info` (`[type, capacity, allocation]`), `vol_info_flags`,
//! `vol_xml`, `vol_path`, `vol_name`, `vol_key`, `vol_download {offset, length}`, `vol_upload
//! {offset, length}`.

use super::{Runner, StepErr, StepResult, int_field, opt_str, str_field};
use rvirt::blocking::{StoragePool, StorageVol};
use rvirt::storage_flags::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The storage handles a scenario bound.
#[derive(Default)]
pub struct Vars {
    pools: HashMap<String, StoragePool>,
    vols: HashMap<String, StorageVol>,
}

/// Whether `op` is a storage step.
pub fn handles(op: &str) -> bool {
    op.starts_with("pool_") || op.starts_with("vol_") || op == "find_pool_sources"
}

fn vol_out(v: &StorageVol) -> Value {
    json!([v.get_name(), v.get_key()])
}

impl Runner {
    fn pool_var(&self, step: &Value, key: &str) -> Result<StoragePool, StepErr> {
        let name = opt_str(step, key).unwrap_or("");
        self.storage
            .pools
            .get(name)
            .cloned()
            .ok_or_else(|| StepErr::Harness(format!("unbound variable {name}")))
    }

    fn vol_var(&self, step: &Value, key: &str) -> Result<StorageVol, StepErr> {
        let name = opt_str(step, key).unwrap_or("");
        self.storage
            .vols
            .get(name)
            .cloned()
            .ok_or_else(|| StepErr::Harness(format!("unbound variable {name}")))
    }

    fn bind_pool(&mut self, step: &Value, p: StoragePool) -> StepResult {
        let out = json!(p.get_name());
        if let Some(name) = opt_str(step, "as") {
            self.storage.pools.insert(name.to_string(), p);
        }
        Ok(out)
    }

    fn bind_vol(&mut self, step: &Value, v: StorageVol) -> StepResult {
        let out = vol_out(&v);
        if let Some(name) = opt_str(step, "as") {
            self.storage.vols.insert(name.to_string(), v);
        }
        Ok(out)
    }

    /// Runs a storage step (see the module's documentation).
    pub fn run_storage_step(&mut self, op: &str, step: &Value, flags: u32) -> StepResult {
        let null = Ok(Value::Null);
        let sorted = |mut v: Vec<String>| {
            v.sort();
            json!(v)
        };
        match op {
            "pool_events_on" => {
                let c = self.conn(step)?.clone();
                let ids: Vec<String> = match step.get("ids").and_then(Value::as_array) {
                    Some(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                    None => vec!["lifecycle".into(), "refresh".into()],
                };
                for id in ids {
                    let events = self.events.clone();
                    let event_id = match id.as_str() {
                        "lifecycle" => StoragePoolEventID::LIFECYCLE,
                        "refresh" => StoragePoolEventID::REFRESH,
                        other => return Err(StepErr::Harness(format!("unknown event id {other}"))),
                    };
                    c.storage_pool_event_register_any(None, event_id, move |_c, p, ev| {
                        let v = match ev {
                            rvirt::StoragePoolEvent::Lifecycle { event, detail, .. } => {
                                json!(["pool_lifecycle", p.get_name(), event.0, detail])
                            }
                            rvirt::StoragePoolEvent::Refresh { .. } => {
                                json!(["pool_refresh", p.get_name()])
                            }
                        };
                        Runner::record(&events, v);
                    })?;
                }
                self.events_on = true;
                null
            }
            "pool_list_all" => {
                let pools = self.conn(step)?.list_all_storage_pools(
                    ConnectListAllStoragePoolsFlags::from_bits_retain(flags),
                )?;
                Ok(sorted(
                    pools.iter().map(|p| p.get_name().to_string()).collect(),
                ))
            }
            "pool_list_active" => {
                let c = self.conn(step)?;
                let n = c.num_of_storage_pools()?;
                Ok(sorted(c.list_storage_pools(n)?))
            }
            "pool_list_defined" => {
                let c = self.conn(step)?;
                let n = c.num_of_defined_storage_pools()?;
                Ok(sorted(c.list_defined_storage_pools(n)?))
            }
            "pool_num_active" => Ok(json!(self.conn(step)?.num_of_storage_pools()?)),
            "pool_num_defined" => Ok(json!(self.conn(step)?.num_of_defined_storage_pools()?)),
            "pool_lookup" => {
                let p = self
                    .conn(step)?
                    .storage_pool_lookup_by_name(str_field(step, "name")?)?;
                self.bind_pool(step, p)
            }
            "pool_lookup_uuid" => {
                let p = self
                    .conn(step)?
                    .storage_pool_lookup_by_uuid_string(str_field(step, "uuid")?)?;
                self.bind_pool(step, p)
            }
            "pool_lookup_by_vol" => {
                let p = self.vol_var(step, "vol")?.lookup_pool()?;
                self.bind_pool(step, p)
            }
            "pool_define" => {
                let xml = self.req_xml(step)?.to_string();
                let p = self.conn(step)?.storage_pool_define_xml(
                    &xml,
                    StoragePoolDefineFlags::from_bits_retain(flags),
                )?;
                self.bind_pool(step, p)
            }
            "pool_create_xml" => {
                let xml = self.req_xml(step)?.to_string();
                let p = self.conn(step)?.storage_pool_create_xml(
                    &xml,
                    StoragePoolCreateFlags::from_bits_retain(flags),
                )?;
                self.bind_pool(step, p)
            }
            "find_pool_sources" => Ok(json!(self.conn(step)?.find_storage_pool_sources(
                str_field(step, "type")?,
                opt_str(step, "spec"),
                flags
            )?)),
            "vol_lookup_key" => {
                let v = self
                    .conn(step)?
                    .storage_vol_lookup_by_key(str_field(step, "key")?)?;
                self.bind_vol(step, v)
            }
            "vol_lookup_path" => {
                let v = self
                    .conn(step)?
                    .storage_vol_lookup_by_path(str_field(step, "path")?)?;
                self.bind_vol(step, v)
            }
            "vol_create" => {
                let xml = self.req_xml(step)?.to_string();
                let v = self
                    .pool_var(step, "pool")?
                    .storage_vol_create_xml(&xml, StorageVolCreateFlags::from_bits_retain(flags))?;
                self.bind_vol(step, v)
            }
            "vol_create_from" => {
                let xml = self.req_xml(step)?.to_string();
                let from = self.vol_var(step, "from")?;
                let v = self.pool_var(step, "pool")?.storage_vol_create_xml_from(
                    &xml,
                    &from,
                    StorageVolCreateFlags::from_bits_retain(flags),
                )?;
                self.bind_vol(step, v)
            }
            "vol_lookup" => {
                let v = self
                    .pool_var(step, "pool")?
                    .storage_vol_lookup_by_name(str_field(step, "name")?)?;
                self.bind_vol(step, v)
            }
            op if op.starts_with("pool_") => self.run_pool_step(op, step, flags),
            _ => self.run_vol_step(op, step, flags),
        }
    }

    fn run_pool_step(&mut self, op: &str, step: &Value, flags: u32) -> StepResult {
        let p = self.pool_var(step, "pool")?;
        let null = Ok(Value::Null);
        match op {
            "pool_build" => {
                p.build(StoragePoolBuildFlags::from_bits_retain(flags))?;
                null
            }
            "pool_create" => {
                p.create(StoragePoolCreateFlags::from_bits_retain(flags))?;
                null
            }
            "pool_destroy" => {
                p.destroy()?;
                null
            }
            "pool_delete" => {
                p.delete(StoragePoolDeleteFlags::from_bits_retain(flags))?;
                null
            }
            "pool_undefine" => {
                p.undefine()?;
                null
            }
            "pool_refresh" => {
                p.refresh(flags)?;
                null
            }
            "pool_info" => {
                let i = p.get_info()?;
                Ok(json!([i.state.0, i.capacity, i.allocation, i.available]))
            }
            "pool_xml" => Ok(json!(
                p.get_xml_desc(StorageXMLFlags::from_bits_retain(flags))?
            )),
            "pool_get_autostart" => Ok(json!(p.get_autostart()?)),
            "pool_set_autostart" => {
                p.set_autostart(int_field(step, "value")? != 0)?;
                null
            }
            "pool_is_active" => Ok(json!(p.is_active()?)),
            "pool_is_persistent" => Ok(json!(p.is_persistent()?)),
            "pool_name" => Ok(json!(p.get_name())),
            "pool_uuid" => Ok(json!(p.get_uuid_string())),
            "pool_num_volumes" => Ok(json!(p.num_of_volumes()?)),
            "pool_list_volumes" => {
                let n = p.num_of_volumes()?;
                let mut v = p.list_volumes(n)?;
                v.sort();
                Ok(json!(v))
            }
            "pool_list_all_volumes" => {
                let mut v: Vec<Value> = p.list_all_volumes(flags)?.iter().map(vol_out).collect();
                v.sort_by_key(|x| x.to_string());
                Ok(json!(v))
            }
            other => Err(StepErr::Harness(format!("unknown op {other}"))),
        }
    }

    fn run_vol_step(&mut self, op: &str, step: &Value, flags: u32) -> StepResult {
        let v = self.vol_var(step, "vol")?;
        let null = Ok(Value::Null);
        let offset = step.get("offset").and_then(Value::as_u64).unwrap_or(0);
        let length = step.get("length").and_then(Value::as_u64).unwrap_or(0);
        match op {
            "vol_delete" => {
                v.delete(StorageVolDeleteFlags::from_bits_retain(flags))?;
                null
            }
            "vol_wipe" => {
                v.wipe(flags)?;
                null
            }
            "vol_wipe_pattern" => {
                let alg = int_field(step, "algorithm")? as i32;
                v.wipe_pattern(StorageVolWipeAlgorithm(alg), flags)?;
                null
            }
            "vol_resize" => {
                let cap = step.get("capacity").and_then(Value::as_u64).unwrap_or(0);
                v.resize(cap, StorageVolResizeFlags::from_bits_retain(flags))?;
                null
            }
            "vol_info" => {
                let i = v.get_info()?;
                Ok(json!([i.vol_type.0, i.capacity, i.allocation]))
            }
            "vol_info_flags" => {
                let i = v.get_info_flags(StorageVolInfoFlags::from_bits_retain(flags))?;
                Ok(json!([i.vol_type.0, i.capacity, i.allocation]))
            }
            "vol_xml" => Ok(json!(v.get_xml_desc(flags)?)),
            "vol_path" => Ok(json!(v.get_path()?)),
            "vol_name" => Ok(json!(v.get_name())),
            "vol_key" => Ok(json!(v.get_key())),
            "vol_download" | "vol_upload" => {
                let st = self.conn(step)?.new_stream(0);
                let f = StorageVolStreamFlags::from_bits_retain(flags);
                if op == "vol_download" {
                    v.download(&st, offset, length, f)?;
                } else {
                    v.upload(&st, offset, length, f)?;
                }
                null
            }
            other => Err(StepErr::Harness(format!("unknown op {other}"))),
        }
    }
}
