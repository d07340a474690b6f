//! The host interface ops of the scenario language (see `tests/oracle/run_libvirt.py`'s
//! `iface_step`, which must stay in step): every op starts with `iface_`; an interface handle is
//! bound with `as` and named with `iface`, and reads `[name, mac]`.
//!
//! Connection ops: `iface_define {xml, flags}`, `iface_lookup {name}`, `iface_lookup_mac {mac}`
//! (each binding `as`), `iface_list_all {flags}` (sorted handles), `iface_list`,
//! `iface_list_defined` (sorted names), `iface_num`, `iface_num_defined`, `iface_begin`,
//! `iface_commit`, `iface_rollback` (each with `flags`). Handle ops: `iface_name`, `iface_mac`,
//! `iface_xml {flags}`, `iface_start {flags}`, `iface_destroy {flags}`, `iface_undefine`,
//! `iface_is_active`.

use super::{Runner, StepErr, StepResult, Var, str_field};
use rvirt::blocking::Interface;
use rvirt::interface_flags::*;
use serde_json::{Value, json};

fn handle(i: &Interface) -> Value {
    json!([i.get_name(), i.get_mac_string()])
}

fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    json!(v)
}

impl Runner {
    fn iface(&self, step: &Value) -> Result<&Interface, StepErr> {
        match self.var(step, "iface")? {
            Var::Iface(i) => Ok(i),
            _ => Err(StepErr::Harness("not an interface".into())),
        }
    }

    fn bind_iface(&mut self, step: &Value, i: Interface) -> Value {
        let out = handle(&i);
        self.bind(step, Var::Iface(i));
        out
    }

    /// Runs an interface op; `None` if `op` is not one.
    pub(super) fn run_iface_step(&mut self, op: &str, step: &Value) -> Option<StepResult> {
        op.starts_with("iface_").then(|| self.iface_step(op, step))
    }

    fn iface_step(&mut self, op: &str, step: &Value) -> StepResult {
        let flags = step.get("flags").and_then(Value::as_u64).unwrap_or(0) as u32;
        let null = Ok(Value::Null);
        match op {
            "iface_define" => {
                let xml = self.req_xml(step)?;
                let i = self
                    .conn(step)?
                    .interface_define_xml(xml, InterfaceDefineFlags::from_bits_retain(flags))?;
                Ok(self.bind_iface(step, i))
            }
            "iface_lookup" => {
                let i = self
                    .conn(step)?
                    .interface_lookup_by_name(str_field(step, "name")?)?;
                Ok(self.bind_iface(step, i))
            }
            "iface_lookup_mac" => {
                let i = self
                    .conn(step)?
                    .interface_lookup_by_mac_string(str_field(step, "mac")?)?;
                Ok(self.bind_iface(step, i))
            }
            "iface_list_all" => {
                let all = self
                    .conn(step)?
                    .list_all_interfaces(ConnectListAllInterfacesFlags::from_bits_retain(flags))?;
                let mut v: Vec<Value> = all.iter().map(handle).collect();
                v.sort_by_key(|h| h.to_string());
                Ok(json!(v))
            }
            "iface_list" => {
                let c = self.conn(step)?;
                let n = c.num_of_interfaces()?;
                Ok(sorted(c.list_interfaces(n)?))
            }
            "iface_list_defined" => {
                let c = self.conn(step)?;
                let n = c.num_of_defined_interfaces()?;
                Ok(sorted(c.list_defined_interfaces(n)?))
            }
            "iface_num" => Ok(json!(self.conn(step)?.num_of_interfaces()?)),
            "iface_num_defined" => Ok(json!(self.conn(step)?.num_of_defined_interfaces()?)),
            "iface_begin" => {
                self.conn(step)?.interface_change_begin(flags)?;
                null
            }
            "iface_commit" => {
                self.conn(step)?.interface_change_commit(flags)?;
                null
            }
            "iface_rollback" => {
                self.conn(step)?.interface_change_rollback(flags)?;
                null
            }
            "iface_name" => Ok(json!(self.iface(step)?.get_name())),
            "iface_mac" => Ok(json!(self.iface(step)?.get_mac_string())),
            "iface_xml" => Ok(json!(
                self.iface(step)?
                    .get_xml_desc(InterfaceXMLFlags::from_bits_retain(flags))?
            )),
            "iface_start" => {
                self.iface(step)?.create(flags)?;
                null
            }
            "iface_destroy" => {
                self.iface(step)?.destroy(flags)?;
                null
            }
            "iface_undefine" => {
                self.iface(step)?.undefine()?;
                null
            }
            "iface_is_active" => Ok(json!(self.iface(step)?.is_active()?)),
            _ => Err(StepErr::Harness(format!("unknown op {op}"))),
        }
    }
}
