//! The oracle: every scenario in `testdata/scenarios/*.json` is run twice, through rvirt (here,
//! in-process) and through the real libvirt's test driver (`tests/oracle/run_libvirt.py`, with
//! python3-libvirt), and the two lists of outcomes must be equal, step by step.
//!
//! Run one scenario with `ORACLE_SCENARIO=substring cargo test -p rvirt --test oracle`.
//!
//! # The scenario language
//!
//! A scenario is `{"description": "...", "xmls": {"NAME": "<domain…>"}, "read_only": false,
//! "steps": [STEP, ...]}`. Before the first step a connection `main` is opened to
//! `test:///default` (read-only if `read_only`). A step is an object with an `op` and these
//! optional fields: `conn` (which connection, default `main`), `dom` / `snap` (a variable holding
//! a domain / snapshot handle), `as` (the variable to bind a returned handle to), `flags` (an
//! integer; when present on `create`, `destroy`, `shutdown`, `undefine`, `define`, `set_memory`,
//! `set_vcpus`, `save`, `restore`, the `…Flags` variant of the call is used), `xml` (text, or
//! `@NAME` for an entry of `xmls`), `path` (a file name inside a per-run temporary directory,
//! which outcomes show as `$TMP`). Any other field (e.g. `note`) is ignored.
//!
//! Every step's outcome is `{"ok": VALUE}` or `{"err": [code, domain, message]}` (or
//! `{"harness_err": "..."}` when a step uses a variable no earlier step bound). Values:
//! a domain handle is `[name, id]`; a snapshot handle its name; names made of digits only (the
//! creation time libvirt names unnamed snapshots with) read `MASKED`, as do the creation time and
//! such names in snapshot XML. Listings are sorted. `get_info` compares `fields` (default: all
//! but `cpu_time`, which follows the wall clock). `block_stats`, `interface_stats` compare only
//! success or error; `get_cpu_stats` compares the parameter names. A step with
//! `"compare": "code"` compares only the code and domain of an error, not its message (for
//! parser errors, which libvirt words as libxml2 does).
//!
//! Ops: `open {as, read_only, uri}`, `close`; `define`, `create_xml`, `lookup_by_name {name}`,
//! `lookup_by_id {id}`, `lookup_by_uuid {uuid}`, `list_all`, `list_domains`, `list_defined`,
//! `num_of_domains`, `num_of_defined`, `restore`, `save_image_get_xml`, `save_image_define_xml`;
//! host: `node_info`, `capabilities`, `get_type`, `get_version`, `lib_version`,
//! `conn_max_vcpus {type}`, `cells_free_memory {start, max}`, `free_memory`, `cpu_map`,
//! `node_cpu_stats {cpu}`, `node_memory_stats {cell}`, `security_model`, `sysinfo`, `is_alive`,
//! `is_secure`, `is_encrypted`, `conn_hostname`, `get_uri`, `cpu_model_names {arch}`,
//! `baseline_cpu {cpus}` (each CPU's XML, or `@NAME`),
//! `free_pages {pages, start, count}` (`[[cell, [[size, count], ...]], ...]`); events: `events_on {ids}` (ids among
//! `lifecycle`, `reboot`, `metadata_change`; default lifecycle) and `events_check` (the events
//! since the last check, in order; one more check is added after the last step when events are
//! on); domain: `get_name`, `get_id`, `get_uuid`, `create`, `destroy`, `shutdown`, `undefine`,
//! `reboot`, `reset`, `suspend`, `resume`, `save`, `managed_save`, `has_managed_save`,
//! `managed_save_remove`, `managed_save_get_xml`, `set_autostart {value}`, `get_autostart`,
//! `set_memory {kib}`, `set_max_memory {kib}`, `get_max_memory`, `set_vcpus {n}`, `get_vcpus`,
//! `get_max_vcpus`, `screenshot {screen, chunk}` (`[mime, is a whole PNG]`, read to the end and
//! finished), `screenshot_abort` (`[mime, starts as a PNG]`, one read then abort),
//! `rename {new_name}` (the handle keeps its old name, in both), `set_metadata {kind, metadata, key, uri}`, `get_metadata {kind, uri}`,
//! `get_xml`, `is_active`, `is_persistent`, `is_updated`, `get_os_type`, `get_state`,
//! `get_info {fields}`, `get_hostname`, `get_time`, `memory_stats`, `block_stats {disk}`,
//! `interface_stats {device}`, `get_cpu_stats {total}`, `security_label`,
//! `interface_addresses {source}` (`[[name, hwaddr, [[type, addr, prefix], ...]], ...]`, sorted),
//! `fs_freeze {mountpoints}`, `fs_thaw {mountpoints}` (the count), `fs_trim {mountpoint, minimum}`,
//! `fs_info` (`[[mountpoint, name, fstype, [alias, ...]], ...]`), `set_user_password {user,
//! password}`, `guest_info {types}` (`[[field, value], ...]`, sorted), `set_guest_vcpus {cpumap,
//! state}`, `agent_set_timeout {timeout}`, `tuning_get {kind, device}` (`kind` one of `memory`,
//! `blkio`, `numa`, `interface`, `blkiotune`, `perf`, `sched`, `sched_flags`; sorted
//! `[[field, value], ...]`), `tuning_set {kind, device, params}` (typed as python3-libvirt types
//! them, from the getter), `sched_type`, `memory_peek {start, size}` (hex), `core_dump {path,
//! format}` (the file, hex), `send_process_signal {pid, signum}`, `send_key {codeset, holdtime,
//! keycodes}`;
//! snapshots:
//! `snapshot_create`, `snapshot_list`, `snapshot_num`, `snapshot_lookup {name}`,
//! `snapshot_current`, `has_current_snapshot`, `snapshot_revert`, `snapshot_delete`,
//! `snapshot_parent`, `snapshot_children`, `snapshot_xml`, `snapshot_is_current`,
//! `snapshot_has_metadata`; networks: the `net_*` ops of `tests/oracle/network.rs`; host
//! interfaces: the `iface_*` ops of `tests/oracle/interface.rs`; checkpoints: the
//! `checkpoint_*` ops of `tests/oracle/checkpoint.rs`; node devices: the `nodedev_*`
//! ops of `tests/nodedev_steps`.

#![allow(clippy::unwrap_used)] // a test may stop at the first failure

#[path = "oracle/checkpoint.rs"]
mod checkpoint;
#[path = "oracle/interface.rs"]
mod interface;
#[path = "oracle/network.rs"]
mod network;
mod nodedev_steps;
mod storage_steps;

use rvirt::blocking::{Connect, Domain, DomainSnapshot};
use rvirt::flags::*;
use rvirt::snapshot_flags::*;
use rvirt_testsupport::{Libvirtd, remote_uri};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

const PYTHON: &str = "/usr/bin/python3";

/// What a step binds.
enum Var {
    Dom(Domain),
    Snap(DomainSnapshot),
    Chk(rvirt::blocking::DomainCheckpoint),
    Net(rvirt::blocking::Network),
    Iface(rvirt::blocking::Interface),
}

/// Why a step failed.
enum StepErr {
    Virt(rvirt::Error),
    Harness(String),
    /// python3-libvirt refused the arguments itself, without calling libvirt, and raised the
    /// error libvirt last reported on its thread (none after a call that succeeded).
    Stale(Option<rvirt::Error>),
}

impl From<rvirt::Error> for StepErr {
    fn from(e: rvirt::Error) -> Self {
        StepErr::Virt(e)
    }
}

type StepResult = Result<Value, StepErr>;

/// Python's names for `virDomainMemoryStatTags`, as `virDomain.memoryStats()` returns them.
fn memory_stat_name(tag: i32) -> String {
    match tag {
        0 => "swap_in",
        1 => "swap_out",
        2 => "major_fault",
        3 => "minor_fault",
        4 => "unused",
        5 => "available",
        6 => "actual",
        7 => "rss",
        8 => "usable",
        9 => "last_update",
        10 => "disk_caches",
        11 => "hugetlb_pgalloc",
        12 => "hugetlb_pgfail",
        n => return format!("tag{n}"),
    }
    .to_string()
}

/// Replaces the text of every `<tag>DIGITS</tag>` with `MASKED`.
fn mask_digits_in(text: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        out.push_str(&rest[..i + open.len()]);
        match after.find(&close) {
            Some(j) if j > 0 && after[..j].bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str("MASKED");
                rest = &after[j..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

fn mask_snapshot_xml(text: &str) -> String {
    mask_digits_in(&mask_digits_in(text, "creationTime"), "name")
}

fn mask_snapshot_name(name: &str) -> String {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        "MASKED".into()
    } else {
        name.into()
    }
}

/// What python's `getFreePages` makes of the counts: per cell (from `start`), per page size, the
/// count; as `[[cell, [[size, count], ...]], ...]`, sorted.
fn free_pages_out(pages: &[u32], start: i32, counts: &[u64]) -> Value {
    let mut cells: std::collections::BTreeMap<i64, std::collections::BTreeMap<u32, u64>> =
        Default::default();
    if !pages.is_empty() {
        for (k, &count) in counts.iter().enumerate() {
            let cell = i64::from(start) + (k / pages.len()) as i64;
            cells
                .entry(cell)
                .or_default()
                .insert(pages[k % pages.len()], count);
        }
    }
    json!(
        cells
            .iter()
            .map(|(c, sizes)| json!([
                c,
                sizes.iter().map(|(s, n)| json!([s, n])).collect::<Vec<_>>()
            ]))
            .collect::<Vec<_>>()
    )
}

struct Runner {
    xmls: serde_json::Map<String, Value>,
    tmpdir: PathBuf,
    conns: HashMap<String, Connect>,
    vars: HashMap<String, Var>,
    events: Arc<Mutex<Vec<Value>>>,
    events_on: bool,
    /// The daemon's socket when the scenario runs through the remote driver.
    remote_socket: Option<String>,
    /// The error of the last step that called libvirt, `None` if it succeeded: libvirt's
    /// per-thread last error, which python raises when its binding refuses arguments itself.
    last_error: Option<rvirt::Error>,
    /// Storage pool and volume handles (see `storage_steps`).
    storage: storage_steps::Vars,
    /// Node device handles (see `nodedev_steps`).
    nodedevs: nodedev_steps::Vars,
}

fn str_field<'a>(step: &'a Value, key: &str) -> Result<&'a str, StepErr> {
    step[key]
        .as_str()
        .ok_or_else(|| StepErr::Harness(format!("missing string field {key}")))
}

fn int_field(step: &Value, key: &str) -> Result<i64, StepErr> {
    step[key]
        .as_i64()
        .ok_or_else(|| StepErr::Harness(format!("missing integer field {key}")))
}

fn opt_str<'a>(step: &'a Value, key: &str) -> Option<&'a str> {
    step.get(key).and_then(Value::as_str)
}

/// A typed parameter's value as python's binding gives it.
fn typed_value_json(v: &rvirt::TypedParamValue) -> Value {
    use rvirt::TypedParamValue as V;
    match v {
        V::Int(i) => json!(i),
        V::UInt(u) => json!(u),
        V::LLong(l) => json!(l),
        V::ULLong(u) => json!(u),
        V::Double(d) => json!(d),
        V::Boolean(b) => json!(b),
        V::String(s) => json!(s),
    }
}

/// The parameters a `tuning_get` step reads, as python3-libvirt's getter of its `kind`.
fn tuning_get(d: &Domain, step: &Value, flags: u32) -> rvirt::Result<Vec<rvirt::TypedParam>> {
    let device = step.get("device").and_then(Value::as_str).unwrap_or("");
    match step.get("kind").and_then(Value::as_str).unwrap_or("") {
        "memory" => d.get_memory_parameters(flags),
        "blkio" => d.get_blkio_parameters(flags),
        "numa" => d.get_numa_parameters(flags),
        "interface" => d.get_interface_parameters(device, flags),
        "blkiotune" => d.get_block_io_tune(device, flags),
        "perf" => d.get_perf_events(flags),
        "sched" => {
            let (_, n) = d.get_scheduler_type()?;
            d.get_scheduler_parameters(n)
        }
        "sched_flags" => {
            let (_, n) = d.get_scheduler_type()?;
            d.get_scheduler_parameters_flags(n, flags)
        }
        k => panic!("unknown tuning kind {k}"),
    }
}

/// A `tuning_set` step as python3-libvirt makes it: each value takes the type the getter
/// gives the parameter of that name (perf events, which python sends without asking, are
/// booleans).
fn tuning_set(d: &Domain, step: &Value, flags: u32) -> rvirt::Result<()> {
    use rvirt::TypedParamValue as V;
    let kind = step.get("kind").and_then(Value::as_str).unwrap_or("");
    let device = step.get("device").and_then(Value::as_str).unwrap_or("");
    let current = if kind == "perf" {
        Vec::new()
    } else {
        let get_flags = if kind == "sched" { 0 } else { flags };
        tuning_get(d, step, get_flags)?
    };
    let mut params = Vec::new();
    for (name, v) in step["params"].as_object().expect("params").iter() {
        let like = current.iter().find(|p| p.field == *name).map(|p| &p.value);
        let value = match (like, v) {
            (_, Value::Bool(b)) => V::Boolean(*b),
            (Some(V::Int(_)), v) => V::Int(v.as_i64().unwrap_or(0) as i32),
            (Some(V::UInt(_)), v) => V::UInt(v.as_u64().unwrap_or(0) as u32),
            (Some(V::LLong(_)), v) => V::LLong(v.as_i64().unwrap_or(0)),
            (Some(V::ULLong(_)), v) => V::ULLong(v.as_u64().unwrap_or(0)),
            (_, Value::String(s)) => V::String(s.clone()),
            (_, v) => V::LLong(v.as_i64().unwrap_or(0)),
        };
        params.push(rvirt::TypedParam::new(name.clone(), value));
    }
    match kind {
        "memory" => d.set_memory_parameters(&params, flags),
        "blkio" => d.set_blkio_parameters(&params, flags),
        "numa" => d.set_numa_parameters(&params, flags),
        "interface" => d.set_interface_parameters(device, &params, flags),
        "blkiotune" => d.set_block_io_tune(device, &params, flags),
        "perf" => d.set_perf_events(&params, flags),
        "sched" => d.set_scheduler_parameters(&params),
        "sched_flags" => d.set_scheduler_parameters_flags(&params, flags),
        k => panic!("unknown tuning kind {k}"),
    }
}

fn dom_out(d: &Domain) -> Value {
    json!([d.get_name(), d.get_id()])
}

fn sorted_names<'a>(names: impl Iterator<Item = &'a str>) -> Value {
    let mut v: Vec<String> = names.map(mask_snapshot_name).collect();
    v.sort();
    json!(v)
}

impl Runner {
    fn conn(&self, step: &Value) -> Result<&Connect, StepErr> {
        let name = opt_str(step, "conn").unwrap_or("main");
        self.conns
            .get(name)
            .ok_or_else(|| StepErr::Harness(format!("unbound connection {name}")))
    }

    fn var(&self, step: &Value, key: &str) -> Result<&Var, StepErr> {
        let name = opt_str(step, key).unwrap_or("");
        self.vars
            .get(name)
            .ok_or_else(|| StepErr::Harness(format!("unbound variable {name}")))
    }

    fn dom(&self, step: &Value) -> Result<&Domain, StepErr> {
        match self.var(step, "dom")? {
            Var::Dom(d) => Ok(d),
            _ => Err(StepErr::Harness("not a domain".into())),
        }
    }

    fn snap(&self, step: &Value) -> Result<&DomainSnapshot, StepErr> {
        match self.var(step, "snap")? {
            Var::Snap(s) => Ok(s),
            _ => Err(StepErr::Harness("not a snapshot".into())),
        }
    }

    fn bind(&mut self, step: &Value, v: Var) {
        if let Some(name) = opt_str(step, "as") {
            self.vars.insert(name.to_string(), v);
        }
    }

    fn xml<'a>(&'a self, step: &'a Value) -> Option<&'a str> {
        let x = opt_str(step, "xml")?;
        match x.strip_prefix('@') {
            Some(name) => self.xmls.get(name).and_then(Value::as_str),
            None => Some(x),
        }
    }

    fn req_xml<'a>(&'a self, step: &'a Value) -> Result<&'a str, StepErr> {
        self.xml(step)
            .ok_or_else(|| StepErr::Harness("missing xml".into()))
    }

    fn path(&self, step: &Value) -> Result<String, StepErr> {
        Ok(self
            .tmpdir
            .join(str_field(step, "path")?)
            .to_string_lossy()
            .into_owned())
    }

    /// `test:///…` as the run sees it: in-process, or through the daemon.
    fn map_uri(&self, uri: &str) -> String {
        match &self.remote_socket {
            Some(sock) => remote_uri(uri, sock),
            None => uri.to_string(),
        }
    }

    fn drain_events(&self) -> Value {
        if self.remote_socket.is_some() {
            // A daemon sends events asynchronously: wait until none has arrived for a while, as
            // the python runner does.
            std::thread::sleep(std::time::Duration::from_millis(50));
            loop {
                let n = self.events.lock().unwrap().len();
                std::thread::sleep(std::time::Duration::from_millis(150));
                if self.events.lock().unwrap().len() == n {
                    break;
                }
            }
        }
        Value::Array(std::mem::take(&mut *self.events.lock().unwrap()))
    }

    fn record(events: &Arc<Mutex<Vec<Value>>>, v: Value) {
        events.lock().unwrap().push(v);
    }

    fn run_step(&mut self, step: &Value) -> StepResult {
        let op = str_field(step, "op")?;
        if let Some(r) = self.run_net_step(op, step) {
            return r;
        }
        if let Some(r) = self.run_iface_step(op, step) {
            return r;
        }
        if let Some(r) = self.run_checkpoint_step(op, step) {
            return r;
        }
        let flags = step.get("flags").and_then(Value::as_u64).unwrap_or(0) as u32;
        let has_flags = step.get("flags").is_some();
        let null = Ok(Value::Null);

        match op {
            "open" => {
                let uri = self.map_uri(opt_str(step, "uri").unwrap_or("test:///default"));
                let c = if step["read_only"].as_bool().unwrap_or(false) {
                    Connect::open_read_only(&uri)?
                } else {
                    Connect::open(&uri)?
                };
                self.conns
                    .insert(opt_str(step, "as").unwrap_or("main").to_string(), c);
                null
            }
            "close" => {
                self.conns.remove(opt_str(step, "conn").unwrap_or("main"));
                null
            }

            "define" => {
                let c = self.conn(step)?;
                let xml = self.req_xml(step)?;
                let d = if has_flags {
                    c.define_xml_flags(xml, DomainDefineFlags::from_bits_retain(flags))?
                } else {
                    c.define_xml(xml)?
                };
                let out = dom_out(&d);
                self.bind(step, Var::Dom(d));
                Ok(out)
            }
            "create_xml" => {
                let d = self.conn(step)?.create_xml(
                    self.req_xml(step)?,
                    DomainCreateFlags::from_bits_retain(flags),
                )?;
                let out = dom_out(&d);
                self.bind(step, Var::Dom(d));
                Ok(out)
            }
            "lookup_by_name" | "lookup_by_id" | "lookup_by_uuid" => {
                let c = self.conn(step)?;
                let d = match op {
                    "lookup_by_name" => c.lookup_by_name(str_field(step, "name")?)?,
                    "lookup_by_id" => c.lookup_by_id(int_field(step, "id")? as i32)?,
                    _ => c.lookup_by_uuid_string(str_field(step, "uuid")?)?,
                };
                let out = dom_out(&d);
                self.bind(step, Var::Dom(d));
                Ok(out)
            }
            "list_all" => {
                let doms = self
                    .conn(step)?
                    .list_all_domains(ConnectListAllDomainsFlags::from_bits_retain(flags))?;
                let mut names: Vec<&str> = doms.iter().map(|d| d.get_name()).collect();
                names.sort();
                Ok(json!(names))
            }
            "list_domains" => {
                // As python does: count, then list that many (none: no call).
                let c = self.conn(step)?;
                let n = c.num_of_domains()?;
                let mut ids = if n > 0 {
                    c.list_domains(n)?
                } else {
                    Vec::new()
                };
                ids.sort();
                Ok(json!(ids))
            }
            "list_defined" => {
                let c = self.conn(step)?;
                let n = c.num_of_defined_domains()?;
                let mut names = if n > 0 {
                    c.list_defined_domains(n)?
                } else {
                    Vec::new()
                };
                names.sort();
                Ok(json!(names))
            }
            "num_of_domains" => Ok(json!(self.conn(step)?.num_of_domains()?)),
            "num_of_defined" => Ok(json!(self.conn(step)?.num_of_defined_domains()?)),
            "restore" => {
                let c = self.conn(step)?;
                let path = self.path(step)?;
                if has_flags || step.get("xml").is_some() {
                    c.restore_flags(
                        &path,
                        self.xml(step),
                        DomainSaveRestoreFlags::from_bits_retain(flags),
                    )?;
                } else {
                    c.restore(&path)?;
                }
                null
            }
            "save_image_get_xml" => Ok(json!(self.conn(step)?.save_image_get_xml_desc(
                &self.path(step)?,
                DomainSaveImageXMLFlags::from_bits_retain(flags)
            )?)),
            "save_image_define_xml" => {
                self.conn(step)?.save_image_define_xml(
                    &self.path(step)?,
                    self.req_xml(step)?,
                    DomainSaveRestoreFlags::from_bits_retain(flags),
                )?;
                null
            }

            // Host calls.
            "node_info" => {
                let i = self.conn(step)?.node_get_info()?;
                // Python reports the memory in MiB.
                Ok(json!([
                    i.model,
                    i.memory >> 10,
                    i.cpus,
                    i.mhz,
                    i.nodes,
                    i.sockets,
                    i.cores,
                    i.threads
                ]))
            }
            "capabilities" => Ok(json!(self.conn(step)?.get_capabilities()?)),
            "get_type" => Ok(json!(self.conn(step)?.get_type()?)),
            "get_version" => Ok(json!(self.conn(step)?.get_version()?)),
            "lib_version" => Ok(json!(self.conn(step)?.get_lib_version()?)),
            "conn_max_vcpus" => Ok(json!(
                self.conn(step)?.get_max_vcpus(opt_str(step, "type"))?
            )),
            "cells_free_memory" => {
                let (start, max) = (int_field(step, "start")?, int_field(step, "max")?);
                // python's getCellsFreeMemory refuses these without calling libvirt.
                if start < 0 || max <= 0 || start + max > 10000 {
                    return Err(StepErr::Stale(self.last_error.clone()));
                }
                Ok(json!(
                    self.conn(step)?
                        .node_get_cells_free_memory(start as i32, max as i32)?
                ))
            }
            "free_memory" => Ok(json!(self.conn(step)?.node_get_free_memory()?)),
            "cpu_map" => {
                let m = self.conn(step)?.node_get_cpu_map(flags)?;
                let online: Vec<bool> = (0..m.cpus as usize)
                    .map(|i| m.map.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1))
                    .collect();
                Ok(json!([m.cpus, online, m.online]))
            }
            "node_cpu_stats" | "node_memory_stats" => {
                let c = self.conn(step)?;
                let mut stats = if op == "node_cpu_stats" {
                    c.node_get_cpu_stats(int_field(step, "cpu")? as i32, flags)?
                } else {
                    c.node_get_memory_stats(int_field(step, "cell")? as i32, flags)?
                };
                stats.sort_by(|a, b| a.field.cmp(&b.field));
                Ok(json!(
                    stats
                        .iter()
                        .map(|s| json!([s.field, s.value]))
                        .collect::<Vec<_>>()
                ))
            }
            "security_model" => {
                let m = self.conn(step)?.node_get_security_model()?;
                Ok(json!([m.model, m.doi]))
            }
            "sysinfo" => Ok(json!(self.conn(step)?.get_sysinfo(flags)?)),
            "is_alive" => Ok(json!(self.conn(step)?.is_alive()?)),
            "is_secure" => Ok(json!(self.conn(step)?.is_secure()?)),
            "is_encrypted" => Ok(json!(self.conn(step)?.is_encrypted()?)),
            "conn_hostname" => Ok(json!(self.conn(step)?.get_hostname()?)),
            "get_uri" => Ok(json!(self.conn(step)?.get_uri()?)),
            "cpu_model_names" => Ok(json!(
                self.conn(step)?
                    .get_cpu_model_names(str_field(step, "arch")?, flags)?
            )),
            "baseline_cpu" => {
                let cpus: Vec<String> = step["cpus"]
                    .as_array()
                    .ok_or_else(|| StepErr::Harness("missing array field cpus".into()))?
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|c| match c.strip_prefix('@') {
                        Some(name) => self.xmls[name].as_str().unwrap_or("").to_string(),
                        None => c.to_string(),
                    })
                    .collect();
                Ok(json!(self.conn(step)?.baseline_cpu(&cpus, flags)?))
            }
            "free_pages" => {
                let pages: Vec<u32> = step["pages"]
                    .as_array()
                    .ok_or_else(|| StepErr::Harness("missing array field pages".into()))?
                    .iter()
                    .filter_map(Value::as_u64)
                    .map(|p| p as u32)
                    .collect();
                let start = int_field(step, "start")? as i32;
                let count = int_field(step, "count")? as u32;
                let counts = self
                    .conn(step)?
                    .node_get_free_pages(&pages, start, count, flags)?;
                Ok(free_pages_out(&pages, start, &counts))
            }

            // Events.
            "events_on" => {
                let c = self.conn(step)?.clone();
                let ids: Vec<String> = match step.get("ids").and_then(Value::as_array) {
                    Some(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                    None => vec!["lifecycle".into()],
                };
                for id in ids {
                    let events = self.events.clone();
                    let event_id = match id.as_str() {
                        "lifecycle" => DomainEventID::LIFECYCLE,
                        "reboot" => DomainEventID::REBOOT,
                        "metadata_change" => DomainEventID::METADATA_CHANGE,
                        other => return Err(StepErr::Harness(format!("unknown event id {other}"))),
                    };
                    c.domain_event_register_any(None, event_id, move |_c, d, ev| {
                        let v = match ev {
                            rvirt::DomainEvent::Lifecycle { event, detail, .. } => {
                                json!(["lifecycle", d.get_name(), event.0, detail])
                            }
                            rvirt::DomainEvent::Reboot { .. } => json!(["reboot", d.get_name()]),
                            rvirt::DomainEvent::Watchdog { action, .. } => {
                                json!(["watchdog", d.get_name(), action])
                            }
                            rvirt::DomainEvent::PmWakeup { reason, .. } => {
                                json!(["pm_wakeup", d.get_name(), reason])
                            }
                            rvirt::DomainEvent::PmSuspend { reason, .. } => {
                                json!(["pm_suspend", d.get_name(), reason])
                            }
                            rvirt::DomainEvent::PmSuspendDisk { reason, .. } => {
                                json!(["pm_suspend_disk", d.get_name(), reason])
                            }
                            rvirt::DomainEvent::MetadataChange { kind, nsuri, .. } => {
                                json!(["metadata_change", d.get_name(), kind, nsuri])
                            }
                            rvirt::DomainEvent::BalloonChange { actual, .. } => {
                                json!(["balloon_change", d.get_name(), actual])
                            }
                            rvirt::DomainEvent::DeviceRemoved { alias, .. } => {
                                json!(["device_removed", d.get_name(), alias])
                            }
                            rvirt::DomainEvent::DeviceAdded { alias, .. } => {
                                json!(["device_added", d.get_name(), alias])
                            }
                            rvirt::DomainEvent::BlockJob {
                                path,
                                job_type,
                                status,
                                ..
                            } => json!(["block_job", d.get_name(), path, job_type, status]),
                            rvirt::DomainEvent::BlockJob2 {
                                dst,
                                job_type,
                                status,
                                ..
                            } => json!(["block_job_2", d.get_name(), dst, job_type, status]),
                            rvirt::DomainEvent::TrayChange {
                                dev_alias, reason, ..
                            } => json!(["tray_change", d.get_name(), dev_alias, reason]),
                            rvirt::DomainEvent::AgentLifecycle { state, reason, .. } => {
                                json!(["agent_lifecycle", d.get_name(), state, reason])
                            }
                            rvirt::DomainEvent::Tunable { params, .. } => {
                                let p: Vec<Value> = params
                                    .iter()
                                    .map(|p| json!([p.field, typed_value_json(&p.value)]))
                                    .collect();
                                json!(["tunable", d.get_name(), p])
                            }
                            rvirt::DomainEvent::MemoryDeviceSizeChange { alias, size, .. } => {
                                json!(["memory_device_size_change", d.get_name(), alias, size])
                            }
                        };
                        Runner::record(&events, v);
                    })?;
                }
                self.events_on = true;
                null
            }
            "events_check" => Ok(self.drain_events()),

            // Snapshot calls.
            "snapshot_revert" => {
                self.snap(step)?
                    .revert(DomainSnapshotRevertFlags::from_bits_retain(flags))?;
                null
            }
            "snapshot_delete" => {
                self.snap(step)?
                    .delete(DomainSnapshotDeleteFlags::from_bits_retain(flags))?;
                null
            }
            "snapshot_parent" => {
                let s = self.snap(step)?.get_parent(flags)?;
                let out = json!(mask_snapshot_name(s.get_name()));
                self.bind(step, Var::Snap(s));
                Ok(out)
            }
            "snapshot_children" => {
                let kids = self
                    .snap(step)?
                    .list_all_children(DomainSnapshotListFlags::from_bits_retain(flags))?;
                Ok(sorted_names(kids.iter().map(|s| s.get_name())))
            }
            "snapshot_xml" => {
                Ok(json!(mask_snapshot_xml(&self.snap(step)?.get_xml_desc(
                    DomainSnapshotXMLFlags::from_bits_retain(flags)
                )?)))
            }
            "snapshot_is_current" => Ok(json!(self.snap(step)?.is_current(flags)?)),
            "snapshot_has_metadata" => Ok(json!(self.snap(step)?.has_metadata(flags)?)),

            op if storage_steps::handles(op) => self.run_storage_step(op, step, flags),
            op if nodedev_steps::handles(op) => self.run_nodedev_step(op, step, flags),
            _ => self.run_domain_step(op, step, flags, has_flags),
        }
    }

    fn run_domain_step(
        &mut self,
        op: &str,
        step: &Value,
        flags: u32,
        has_flags: bool,
    ) -> StepResult {
        let d = self.dom(step)?.clone();
        let null = Ok(Value::Null);
        match op {
            "get_name" => Ok(json!(d.get_name())),
            "get_id" => Ok(json!(d.get_id())),
            "get_uuid" => Ok(json!(d.get_uuid_string())),
            "create" => {
                if has_flags {
                    d.create_with_flags(DomainCreateFlags::from_bits_retain(flags))?
                } else {
                    d.create()?
                }
                null
            }
            "destroy" => {
                if has_flags {
                    d.destroy_flags(DomainDestroyFlags::from_bits_retain(flags))?
                } else {
                    d.destroy()?
                }
                null
            }
            "shutdown" => {
                if has_flags {
                    d.shutdown_flags(DomainShutdownFlags::from_bits_retain(flags))?
                } else {
                    d.shutdown()?
                }
                null
            }
            "undefine" => {
                if has_flags {
                    d.undefine_flags(DomainUndefineFlags::from_bits_retain(flags))?
                } else {
                    d.undefine()?
                }
                null
            }
            "reboot" => {
                d.reboot(DomainRebootFlags::from_bits_retain(flags))?;
                null
            }
            "reset" => {
                d.reset(flags)?;
                null
            }
            "suspend" => {
                d.suspend()?;
                null
            }
            "resume" => {
                d.resume()?;
                null
            }
            "save" => {
                let path = self.path(step)?;
                if has_flags || step.get("xml").is_some() {
                    d.save_flags(
                        &path,
                        self.xml(step),
                        DomainSaveRestoreFlags::from_bits_retain(flags),
                    )?
                } else {
                    d.save(&path)?
                }
                null
            }
            "managed_save" => {
                d.managed_save(DomainSaveRestoreFlags::from_bits_retain(flags))?;
                null
            }
            "has_managed_save" => Ok(json!(d.has_managed_save_image(flags)?)),
            "managed_save_remove" => {
                d.managed_save_remove(flags)?;
                null
            }
            "managed_save_get_xml" => Ok(json!(
                d.managed_save_get_xml_desc(DomainSaveImageXMLFlags::from_bits_retain(flags))?
            )),
            "set_autostart" => {
                d.set_autostart(step["value"].as_bool().unwrap_or(false))?;
                null
            }
            "get_autostart" => Ok(json!(d.get_autostart()?)),
            "set_memory" => {
                let kib = int_field(step, "kib")? as u64;
                if has_flags {
                    d.set_memory_flags(kib, DomainMemoryModFlags::from_bits_retain(flags))?
                } else {
                    d.set_memory(kib)?
                }
                null
            }
            "set_max_memory" => {
                d.set_max_memory(int_field(step, "kib")? as u64)?;
                null
            }
            "get_max_memory" => Ok(json!(d.get_max_memory()?)),
            "set_vcpus" => {
                let n = int_field(step, "n")? as u32;
                if has_flags {
                    d.set_vcpus_flags(n, DomainVcpuFlags::from_bits_retain(flags))?
                } else {
                    d.set_vcpus(n)?
                }
                null
            }
            "get_vcpus" => Ok(json!(
                d.get_vcpus_flags(DomainVcpuFlags::from_bits_retain(flags))?
            )),
            "screenshot" => {
                let conn = rvirt::blocking::Connect(d.0.get_connect().clone());
                let st = conn.new_stream(0);
                let screen = step.get("screen").and_then(Value::as_u64).unwrap_or(0) as u32;
                let mime = d.screenshot(&st, screen, flags)?;
                let chunk = step.get("chunk").and_then(Value::as_u64).unwrap_or(65536) as usize;
                let mut data = Vec::new();
                loop {
                    let c = st.recv(chunk)?;
                    if c.is_empty() {
                        break;
                    }
                    data.extend_from_slice(&c);
                }
                st.finish()?;
                let png = data.starts_with(b"\x89PNG\r\n\x1a\n")
                    && data.len() >= 8
                    && &data[data.len() - 8..data.len() - 4] == b"IEND";
                Ok(json!([mime, png]))
            }
            "screenshot_abort" => {
                let conn = rvirt::blocking::Connect(d.0.get_connect().clone());
                let st = conn.new_stream(0);
                let mime = d.screenshot(&st, 0, flags)?;
                let first = st.recv(16)?;
                st.abort()?;
                Ok(json!([mime, first.starts_with(b"\x89PNG\r\n\x1a\n")]))
            }
            "get_max_vcpus" => Ok(json!(d.get_max_vcpus()?)),
            "rename" => {
                // Like libvirt's handle, `d` keeps the old name; python has no renamed handle to
                // bind, so neither is the one rvirt returns.
                d.rename(str_field(step, "new_name")?, flags)?;
                null
            }
            "set_metadata" => {
                d.set_metadata(
                    DomainMetadataType(int_field(step, "kind")? as i32),
                    opt_str(step, "metadata"),
                    opt_str(step, "key"),
                    opt_str(step, "uri"),
                    DomainModificationImpact::from_bits_retain(flags),
                )?;
                null
            }
            "get_metadata" => Ok(json!(d.get_metadata(
                DomainMetadataType(int_field(step, "kind")? as i32),
                opt_str(step, "uri"),
                DomainModificationImpact::from_bits_retain(flags)
            )?)),
            "get_xml" => Ok(json!(
                d.get_xml_desc(DomainXMLFlags::from_bits_retain(flags))?
            )),
            "is_active" => Ok(json!(d.is_active()?)),
            "is_persistent" => Ok(json!(d.is_persistent()?)),
            "is_updated" => Ok(json!(d.is_updated()?)),
            "get_os_type" => Ok(json!(d.get_os_type()?)),
            "get_state" => {
                let (s, r) = d.get_state(flags)?;
                Ok(json!([s.0, r]))
            }
            "get_info" => {
                let i = d.get_info()?;
                let all = json!({"state": i.state.0, "max_mem": i.max_mem, "memory": i.memory, "nr_virt_cpu": i.nr_virt_cpu});
                let fields: Vec<String> = match step.get("fields").and_then(Value::as_array) {
                    Some(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                    None => ["state", "max_mem", "memory", "nr_virt_cpu"]
                        .map(String::from)
                        .to_vec(),
                };
                let mut out = serde_json::Map::new();
                for f in fields {
                    out.insert(f.clone(), all[&f].clone());
                }
                Ok(Value::Object(out))
            }
            "get_hostname" => Ok(json!(
                d.get_hostname(DomainGetHostnameFlags::from_bits_retain(flags))?
            )),
            "get_time" => {
                let t = d.get_time(flags)?;
                Ok(json!([t.seconds, t.nseconds]))
            }
            "memory_stats" => {
                let mut stats: Vec<(String, u64)> = d
                    .memory_stats(DomainMemoryStatTags::NR.0 as u32, flags)?
                    .iter()
                    .map(|s| (memory_stat_name(s.tag.0), s.val))
                    .collect();
                stats.sort();
                Ok(json!(
                    stats.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>()
                ))
            }
            "block_stats" => {
                d.block_stats(str_field(step, "disk")?)?;
                null
            }
            "interface_stats" => {
                d.interface_stats(str_field(step, "device")?)?;
                null
            }
            "get_cpu_stats" => {
                let stats = if step["total"].as_bool().unwrap_or(true) {
                    d.get_cpu_stats(-1, 1, flags)?
                } else {
                    // As python does: one row per host CPU.
                    let conn = Connect(d.0.get_connect().clone());
                    let ncpus = conn.node_get_cpu_map(0)?.cpus;
                    d.get_cpu_stats(0, ncpus, flags)?
                };
                Ok(json!(
                    stats
                        .iter()
                        .map(|row| {
                            let mut names: Vec<&str> =
                                row.iter().map(|p| p.field.as_str()).collect();
                            names.sort();
                            names
                        })
                        .collect::<Vec<_>>()
                ))
            }
            "security_label" => {
                let l = d.get_security_label()?;
                Ok(json!([l.label, l.enforcing]))
            }
            "interface_addresses" => {
                let source = DomainInterfaceAddressesSource(int_field(step, "source")? as i32);
                let mut ifaces: Vec<Value> = d
                    .interface_addresses(source, flags)?
                    .iter()
                    .map(|i| {
                        let addrs: Vec<Value> = i
                            .addrs
                            .iter()
                            .map(|a| json!([a.addr_type.0, a.addr, a.prefix]))
                            .collect();
                        json!([i.name, i.hwaddr, addrs])
                    })
                    .collect();
                ifaces.sort_by_key(|v| v.to_string());
                Ok(json!(ifaces))
            }
            "fs_freeze" | "fs_thaw" => {
                let list: Vec<String> = step
                    .get("mountpoints")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(json!(if op == "fs_freeze" {
                    d.fs_freeze(&list, flags)?
                } else {
                    d.fs_thaw(&list, flags)?
                }))
            }
            "fs_trim" => {
                let minimum = step.get("minimum").and_then(Value::as_u64).unwrap_or(0);
                d.fs_trim(opt_str(step, "mountpoint"), minimum, flags)?;
                null
            }
            "fs_info" => Ok(json!(
                d.get_fs_info(flags)?
                    .iter()
                    .map(|f| json!([f.mountpoint, f.name, f.fstype, f.dev_aliases]))
                    .collect::<Vec<_>>()
            )),
            "set_user_password" => {
                d.set_user_password(
                    str_field(step, "user")?,
                    str_field(step, "password")?,
                    flags,
                )?;
                null
            }
            "tuning_get" => {
                let mut params: Vec<Value> = tuning_get(&d, step, flags)?
                    .iter()
                    .map(|p| json!([p.field, typed_value_json(&p.value)]))
                    .collect();
                params.sort_by_key(|v| v.to_string());
                Ok(json!(params))
            }
            "tuning_set" => {
                tuning_set(&d, step, flags)?;
                null
            }
            "sched_type" => {
                let (name, n) = d.get_scheduler_type()?;
                Ok(json!([name, n]))
            }
            "memory_peek" => {
                let start = int_field(step, "start")? as u64;
                let size = int_field(step, "size")? as u32;
                let bytes = d.memory_peek(start, size, flags)?;
                Ok(json!(
                    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
                ))
            }
            "core_dump" => {
                let path = self.path(step)?;
                match step.get("format").and_then(Value::as_u64) {
                    Some(f) => d.core_dump_with_format(&path, f as u32, flags)?,
                    None => d.core_dump(&path, flags)?,
                }
                let bytes = std::fs::read(&path).unwrap_or_default();
                Ok(json!(
                    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
                ))
            }
            "send_key" => {
                let keys: Vec<u32> = step
                    .get("keycodes")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_u64)
                            .map(|k| k as u32)
                            .collect()
                    })
                    .unwrap_or_default();
                let holdtime = step.get("holdtime").and_then(Value::as_u64).unwrap_or(0);
                d.send_key(
                    int_field(step, "codeset")? as u32,
                    holdtime as u32,
                    &keys,
                    flags,
                )?;
                null
            }
            "send_process_signal" => {
                d.send_process_signal(
                    int_field(step, "pid")?,
                    int_field(step, "signum")? as u32,
                    flags,
                )?;
                null
            }
            "guest_info" => {
                let types = step.get("types").and_then(Value::as_u64).unwrap_or(0) as u32;
                let mut params: Vec<Value> = d
                    .get_guest_info(types, flags)?
                    .iter()
                    .map(|p| json!([p.field, typed_value_json(&p.value)]))
                    .collect();
                params.sort_by_key(|v| v.to_string());
                Ok(json!(params))
            }
            "set_guest_vcpus" => {
                d.set_guest_vcpus(
                    str_field(step, "cpumap")?,
                    int_field(step, "state")? as i32,
                    flags,
                )?;
                null
            }
            "agent_set_timeout" => {
                d.agent_set_response_timeout(int_field(step, "timeout")? as i32, flags)?;
                null
            }
            "snapshot_create" => {
                let s = d.snapshot_create_xml(
                    self.req_xml(step)?,
                    DomainSnapshotCreateFlags::from_bits_retain(flags),
                )?;
                let out = json!(mask_snapshot_name(s.get_name()));
                self.bind(step, Var::Snap(s));
                Ok(out)
            }
            "snapshot_list" => {
                let snaps =
                    d.list_all_snapshots(DomainSnapshotListFlags::from_bits_retain(flags))?;
                Ok(sorted_names(snaps.iter().map(|s| s.get_name())))
            }
            "snapshot_num" => Ok(json!(
                d.snapshot_num(DomainSnapshotListFlags::from_bits_retain(flags))?
            )),
            "snapshot_lookup" | "snapshot_current" => {
                let s = if op == "snapshot_lookup" {
                    d.snapshot_lookup_by_name(str_field(step, "name")?, flags)?
                } else {
                    d.snapshot_current(flags)?
                };
                let out = json!(mask_snapshot_name(s.get_name()));
                self.bind(step, Var::Snap(s));
                Ok(out)
            }
            "has_current_snapshot" => Ok(json!(d.has_current_snapshot(flags)?)),
            other => Err(StepErr::Harness(format!("unknown op {other}"))),
        }
    }

    fn outcome(&mut self, step: &Value) -> Value {
        let err_out = |e: &rvirt::Error| json!({ "err": [e.code.0, e.domain.0, e.message] });
        let out = match self.run_step(step) {
            Ok(v) => {
                self.last_error = None;
                json!({ "ok": v })
            }
            Err(StepErr::Virt(e)) => {
                let out = err_out(&e);
                self.last_error = Some(e);
                out
            }
            Err(StepErr::Stale(Some(e))) => err_out(&e),
            Err(StepErr::Stale(None)) => json!({ "err": [null, null, null] }),
            Err(StepErr::Harness(m)) => json!({ "harness_err": m }),
        };
        let tmp = self.tmpdir.to_string_lossy().into_owned();
        let mut text = out.to_string().replace(&tmp, "$TMP");
        if let Some(sock) = &self.remote_socket {
            text = text.replace(sock.as_str(), "$SOCK");
        }
        serde_json::from_str(&text).unwrap()
    }
}

/// Runs a scenario through rvirt: in-process, or through the remote driver to the daemon on
/// `remote_socket`.
fn run_rvirt(scenario: &Value, remote_socket: Option<&str>) -> Vec<Value> {
    let tmp = tempfile::Builder::new()
        .prefix("rvirt-oracle-")
        .tempdir()
        .unwrap();
    let mut r = Runner {
        xmls: scenario
            .get("xmls")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        tmpdir: tmp.path().to_path_buf(),
        conns: HashMap::new(),
        vars: HashMap::new(),
        events: Arc::new(Mutex::new(Vec::new())),
        events_on: false,
        remote_socket: remote_socket.map(String::from),
        last_error: None,
        storage: Default::default(),
        nodedevs: Default::default(),
    };
    if scenario["open"].as_bool().unwrap_or(true) {
        let uri = r.map_uri("test:///default");
        let c = if scenario["read_only"].as_bool().unwrap_or(false) {
            Connect::open_read_only(&uri)
        } else {
            Connect::open(&uri)
        };
        r.conns.insert(
            "main".into(),
            c.unwrap_or_else(|e| panic!("rvirt cannot open {uri}: {e}")),
        );
    }
    let mut outcomes: Vec<Value> = scenario["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| r.outcome(s))
        .collect();
    if r.events_on {
        outcomes.push(r.outcome(&json!({"op": "events_check"})));
    }
    outcomes
}

/// Runs a scenario through libvirt, in a python subprocess.
fn run_libvirt(root: &Path, file: &Path) -> Result<Vec<Value>, String> {
    let mut cmd = Command::new(PYTHON);
    cmd.arg(root.join("tests/oracle/run_libvirt.py")).arg(file);
    run_python(root, cmd)
}

/// `run_libvirt.py` unchanged, with `libvirt.open` and `libvirt.openReadOnly` sending every
/// `test:///X` URI to the daemon on `sys.argv[1]`.
const REMOTE_WRAPPER: &str = r#"
import runpy, sys
import libvirt
sock, script, scenario = sys.argv[1:4]
def remote(uri):
    if uri is not None and uri.startswith("test:///"):
        rest = uri[len("test:///"):]
        return "test+unix:///" + rest + ("&" if "?" in rest else "?") + "socket=" + sock
    return uri
_open, _open_ro = libvirt.open, libvirt.openReadOnly
libvirt.open = lambda uri=None: _open(remote(uri))
libvirt.openReadOnly = lambda uri=None: _open_ro(remote(uri))
sys.argv = [script, scenario]
runpy.run_path(script, run_name="__main__")
"#;

/// Runs a scenario through python3-libvirt's remote driver to `daemon`.
fn run_libvirt_remote(root: &Path, file: &Path, daemon: &Libvirtd) -> Result<Vec<Value>, String> {
    let socket = daemon.socket().to_string_lossy().into_owned();
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-c", REMOTE_WRAPPER, &socket])
        .arg(root.join("tests/oracle/run_libvirt.py"))
        .arg(file);
    let outcomes = run_python(root, cmd)?;
    let text = Value::Array(outcomes).to_string().replace(&socket, "$SOCK");
    match serde_json::from_str(&text) {
        Ok(Value::Array(a)) => Ok(a),
        _ => Err("cannot re-read the outcomes".into()),
    }
}

fn run_python(root: &Path, mut cmd: Command) -> Result<Vec<Value>, String> {
    let out = cmd
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run {PYTHON}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "run_libvirt.py failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("run_libvirt.py printed bad JSON: {e}"))?;
    Ok(v["outcomes"].as_array().cloned().unwrap_or_default())
}

/// A line diff (longest common subsequence) of two texts, for XML outcomes.
fn line_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("        {}\n", a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("  rvirt+ {}\n", b[j]);
            j += 1;
        } else {
            out += &format!("libvirt- {}\n", a[i]);
            i += 1;
        }
    }
    out
}

fn describe(step: Option<&Value>) -> String {
    match step {
        Some(s) => {
            let mut s = s.clone();
            if let Some(o) = s.as_object_mut() {
                if let Some(x) = o.get("xml").and_then(Value::as_str) {
                    if !x.starts_with('@') && x.len() > 60 {
                        o.insert("xml".into(), json!(format!("{}…", &x[..60])));
                    }
                }
            }
            s.to_string()
        }
        None => "{\"op\":\"events_check\"} (after the last step)".into(),
    }
}

/// An error outcome with its message left out.
fn without_message(outcome: &Value) -> Value {
    match outcome["err"].as_array() {
        Some(e) if e.len() == 3 => json!({ "err": [e[0], e[1], "(message not compared)"] }),
        _ => outcome.clone(),
    }
}

fn compare(name: &str, scenario: &Value, libvirt: &[Value], rvirt: &[Value]) -> Vec<String> {
    let steps = scenario["steps"].as_array().unwrap();
    let mut problems = Vec::new();
    if libvirt.len() != rvirt.len() {
        problems.push(format!(
            "{name}: {} outcomes from libvirt, {} from rvirt",
            libvirt.len(),
            rvirt.len()
        ));
    }
    for (i, (l, r)) in libvirt.iter().zip(rvirt).enumerate() {
        let codes_only = steps.get(i).is_some_and(|s| s["compare"] == "code");
        let (l, r) = if codes_only {
            (without_message(l), without_message(r))
        } else {
            (l.clone(), r.clone())
        };
        if l == r {
            continue;
        }
        let mut p = format!(
            "{name} step {i} {}\n  libvirt: {l}\n  rvirt:   {r}\n",
            describe(steps.get(i))
        );
        if let (Some(ls), Some(rs)) = (l["ok"].as_str(), r["ok"].as_str()) {
            if ls.contains('\n') || rs.contains('\n') {
                p += &line_diff(ls, rs);
            }
        }
        problems.push(p);
    }
    problems
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Panics with what to install when python3-libvirt is missing.
fn require_python_libvirt() {
    let probe = Command::new(PYTHON).args(["-c", "import libvirt"]).output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "{PYTHON} cannot import libvirt; the oracle needs the real libvirt: install python3-libvirt \
             (apt-get install python3-libvirt)\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "cannot run {PYTHON} ({e}); the oracle needs python3 with python3-libvirt installed"
        ),
    }
}

/// The scenario files, those matching `ORACLE_SCENARIO` only if it is set.
fn scenario_files(root: &Path) -> Vec<PathBuf> {
    let filter = std::env::var("ORACLE_SCENARIO").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("testdata/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no scenario matches ORACLE_SCENARIO={filter:?}"
    );
    files
}

fn load(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn stem(file: &Path) -> String {
    file.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn rvirt_matches_libvirt_test_driver() {
    let root = workspace_root();
    require_python_libvirt();
    let files = scenario_files(&root);

    // The python runs are slow to start: run a few at a time beside the rvirt runs.
    let queue = Mutex::new(files.iter().enumerate().collect::<Vec<_>>());
    let libvirt_results: Mutex<HashMap<usize, Result<Vec<Value>, String>>> =
        Mutex::new(HashMap::new());
    let mut rvirt_results = Vec::new();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let Some((i, f)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let r = run_libvirt(&root, f);
                    libvirt_results.lock().unwrap().insert(i, r);
                }
            });
        }
        for f in &files {
            let scenario = load(f);
            rvirt_results.push((scenario.clone(), run_rvirt(&scenario, None)));
        }
    });

    let libvirt_results = libvirt_results.into_inner().unwrap();
    let (mut problems, mut steps, mut passed) = (Vec::new(), 0, 0);
    for (i, f) in files.iter().enumerate() {
        let name = stem(f);
        let (scenario, rvirt) = &rvirt_results[i];
        steps += rvirt.len();
        match &libvirt_results[&i] {
            Err(e) => problems.push(format!("{name}: {e}")),
            Ok(libvirt) => {
                let p = compare(&name, scenario, libvirt, rvirt);
                if p.is_empty() {
                    passed += 1;
                }
                problems.extend(p);
            }
        }
    }
    eprintln!(
        "oracle: {passed}/{} scenarios agree with libvirt ({steps} steps)",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} mismatches between rvirt and libvirt:\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A runner's outcomes, or why it could not run.
type Outcomes = Result<Vec<Value>, String>;

/// Where a python run of the remote oracle talks to libvirt.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum PythonRun {
    /// libvirt's test driver in the python process.
    InProcess,
    /// A fresh real libvirtd, through libvirt's remote driver.
    Remote,
}

/// The remote oracle: every scenario runs through rvirt's remote driver to a real libvirtd
/// (fresh per scenario, so the shared `test:///default` starts from the default machine),
/// with every `test:///X` URI rewritten to `test+unix:///X?socket=SOCKET`. rvirt's outcomes
/// must equal python3-libvirt's through its own remote driver to its own fresh libvirtd,
/// step by step. Where that differs from libvirt in-process (the URI, the handle a rename
/// went through), the difference is libvirt's own and is listed.
#[test]
fn rvirt_over_remote_matches_libvirt_over_remote() {
    let root = workspace_root();
    require_python_libvirt();
    let files = scenario_files(&root);

    let jobs: Vec<(usize, PythonRun)> = (0..files.len())
        .flat_map(|i| [(i, PythonRun::Remote), (i, PythonRun::InProcess)])
        .collect();
    let queue = Mutex::new(jobs);
    let python: Mutex<HashMap<(usize, PythonRun), Outcomes>> = Mutex::new(HashMap::new());
    let mut rvirt_results = Vec::new();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let Some((i, kind)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let r = match kind {
                        PythonRun::InProcess => run_libvirt(&root, &files[i]),
                        PythonRun::Remote => Libvirtd::try_start()
                            .and_then(|d| run_libvirt_remote(&root, &files[i], &d)),
                    };
                    python.lock().unwrap().insert((i, kind), r);
                }
            });
        }
        for f in &files {
            let scenario = load(f);
            let daemon = Libvirtd::start();
            let socket = daemon.socket().to_string_lossy().into_owned();
            let outcomes = run_rvirt(&scenario, Some(&socket));
            drop(daemon);
            rvirt_results.push((scenario, outcomes));
        }
    });

    let python = python.into_inner().unwrap();
    let (mut problems, mut steps, mut passed) = (Vec::new(), 0, 0);
    let mut differences = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = stem(f);
        let (scenario, rvirt) = &rvirt_results[i];
        steps += rvirt.len();
        let (remote, local) = match (
            &python[&(i, PythonRun::Remote)],
            &python[&(i, PythonRun::InProcess)],
        ) {
            (Ok(r), Ok(l)) => (r, l),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let p = compare(&name, scenario, remote, rvirt);
        if p.is_empty() {
            passed += 1;
        }
        problems.extend(p);
        let step_list = scenario["steps"].as_array().unwrap();
        for (k, (r, l)) in remote.iter().zip(local).enumerate() {
            if r != l {
                differences.push(format!(
                    "{name} step {k} {}\n  in-process: {l}\n  remote:     {r}",
                    describe(step_list.get(k))
                ));
            }
        }
    }
    eprintln!(
        "remote oracle: {passed}/{} scenarios through a real libvirtd agree with python3-libvirt \
         through the same kind of daemon ({steps} steps); {} steps where libvirt itself answers \
         differently over remote than in-process, rvirt answering as libvirt over remote:\n{}",
        files.len(),
        differences.len(),
        differences.join("\n")
    );
    assert!(
        problems.is_empty(),
        "{} mismatches between rvirt and libvirt over remote:\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}
