//! The checkpoint ops of the scenario language (see `tests/oracle/run_libvirt.py`, which must
//! stay in step): every op starts with `checkpoint_`; a checkpoint handle is bound with `as` and
//! named with `chk`, and reads as its name (masked when made of the clock).
//!
//! Domain ops: `checkpoint_create {xml, flags}`, `checkpoint_lookup {name}` (each binding `as`),
//! `checkpoint_list {flags}`. Handle ops: `checkpoint_parent` (binding `as`),
//! `checkpoint_children {flags}`, `checkpoint_xml {flags}` (creation time, clock names and
//! bitmaps named after them masked), `checkpoint_delete {flags}`. Listings are sorted names;
//! with `VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL` they read `{names, topological}`, the second
//! saying whether every listed parent came before its children.

use super::{Runner, StepErr, StepResult, Var, mask_snapshot_name, mask_snapshot_xml, str_field};
use rvirt::blocking::DomainCheckpoint;
use rvirt::checkpoint_flags::*;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Masks `bitmap='DIGITS'` as the python runner does.
fn mask_bitmaps(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("bitmap='") {
        let from = i + "bitmap='".len();
        out.push_str(&rest[..from]);
        rest = &rest[from..];
        let end = rest.find('\'').unwrap_or(rest.len());
        let value = &rest[..end];
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("MASKED");
        } else {
            out.push_str(value);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn names(chks: &[DomainCheckpoint], flags: DomainCheckpointListFlags) -> Value {
    let mut v: Vec<String> = chks
        .iter()
        .map(|c| mask_snapshot_name(c.get_name()))
        .collect();
    v.sort();
    if !flags.contains(DomainCheckpointListFlags::TOPOLOGICAL) {
        return json!(v);
    }
    let listed: HashSet<&str> = chks.iter().map(|c| c.get_name()).collect();
    let mut seen = HashSet::new();
    let mut ordered = true;
    for c in chks {
        let parent = c.get_parent(0).ok();
        if let Some(p) = parent.as_ref().map(|p| p.get_name())
            && listed.contains(p)
            && !seen.contains(p)
        {
            ordered = false;
        }
        seen.insert(c.get_name().to_string());
    }
    json!({"names": v, "topological": ordered})
}

impl Runner {
    fn chk(&self, step: &Value) -> Result<&DomainCheckpoint, StepErr> {
        match self.var(step, "chk")? {
            Var::Chk(c) => Ok(c),
            _ => Err(StepErr::Harness("not a checkpoint".into())),
        }
    }

    fn bind_chk(&mut self, step: &Value, c: DomainCheckpoint) -> Value {
        let out = json!(mask_snapshot_name(c.get_name()));
        self.bind(step, Var::Chk(c));
        out
    }

    /// Runs a checkpoint op; `None` if `op` is not one.
    pub(super) fn run_checkpoint_step(&mut self, op: &str, step: &Value) -> Option<StepResult> {
        op.starts_with("checkpoint_")
            .then(|| self.checkpoint_step(op, step))
    }

    fn checkpoint_step(&mut self, op: &str, step: &Value) -> StepResult {
        let flags = step.get("flags").and_then(Value::as_u64).unwrap_or(0) as u32;
        let list = DomainCheckpointListFlags::from_bits_retain(flags);
        match op {
            "checkpoint_create" => {
                let c = self.dom(step)?.checkpoint_create_xml(
                    self.req_xml(step)?,
                    DomainCheckpointCreateFlags::from_bits_retain(flags),
                )?;
                Ok(self.bind_chk(step, c))
            }
            "checkpoint_lookup" => {
                let c = self
                    .dom(step)?
                    .checkpoint_lookup_by_name(str_field(step, "name")?, flags)?;
                Ok(self.bind_chk(step, c))
            }
            "checkpoint_list" => Ok(names(&self.dom(step)?.list_all_checkpoints(list)?, list)),
            "checkpoint_parent" => {
                let c = self.chk(step)?.get_parent(flags)?;
                Ok(self.bind_chk(step, c))
            }
            "checkpoint_children" => Ok(names(&self.chk(step)?.list_all_children(list)?, list)),
            "checkpoint_xml" => Ok(json!(mask_bitmaps(&mask_snapshot_xml(
                &self
                    .chk(step)?
                    .get_xml_desc(DomainCheckpointXMLFlags::from_bits_retain(flags))?
            )))),
            "checkpoint_delete" => {
                self.chk(step)?
                    .delete(DomainCheckpointDeleteFlags::from_bits_retain(flags))?;
                Ok(Value::Null)
            }
            other => Err(StepErr::Harness(format!("unknown op {other}"))),
        }
    }
}
