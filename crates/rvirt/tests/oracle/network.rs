//! The network ops of the scenario language (see `tests/oracle/run_libvirt.py`'s `net_step`,
//! which must stay in step): every op starts with `net_`; a network handle is bound with `as`
//! and named with `net`.
//!
//! Connection ops: `net_define {xml, flags}`, `net_create_xml {xml, flags}` (without `flags` the
//! flag-less call), `net_lookup {name}`, `net_lookup_uuid {uuid}` (each binding `as`, outcome the
//! name), `net_list_all {flags}`, `net_list {max}`, `net_list_defined {max}` (sorted names),
//! `net_num`, `net_num_defined`, `net_events_on` (records `["network_lifecycle", name, event,
//! detail]` for `events_check`). Handle ops: `net_get_name`, `net_get_uuid`, `net_xml {flags}`,
//! `net_bridge`, `net_start`, `net_destroy`, `net_undefine`, `net_is_active`,
//! `net_is_persistent`, `net_get_autostart`, `net_set_autostart {value}`,
//! `net_update {command, section, index, xml, flags}`, `net_dhcp_leases`; ports (outcome the
//! port UUIDs, sorted): `net_port_list {flags}`, `net_port_create {xml, flags}`,
//! `net_port_lookup {uuid}`.

use super::{Runner, StepErr, StepResult, Var, int_field, opt_str, str_field};
use rvirt::blocking::Network;
use rvirt::network_flags::*;
use serde_json::{Value, json};

fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    json!(v)
}

impl Runner {
    fn net(&self, step: &Value) -> Result<&Network, StepErr> {
        match self.var(step, "net")? {
            Var::Net(n) => Ok(n),
            _ => Err(StepErr::Harness("not a network".into())),
        }
    }

    fn bind_net(&mut self, step: &Value, n: Network) -> Value {
        let name = json!(n.get_name());
        self.bind(step, Var::Net(n));
        name
    }

    /// Runs a network op; `None` if `op` is not one.
    pub(super) fn run_net_step(&mut self, op: &str, step: &Value) -> Option<StepResult> {
        op.starts_with("net_").then(|| self.net_step(op, step))
    }

    fn net_step(&mut self, op: &str, step: &Value) -> StepResult {
        let flags = step.get("flags").and_then(Value::as_u64).unwrap_or(0) as u32;
        let has_flags = step.get("flags").is_some();
        let null = Ok(Value::Null);
        match op {
            "net_define" => {
                let c = self.conn(step)?;
                let xml = self.req_xml(step)?;
                let n = if has_flags {
                    c.network_define_xml_flags(xml, NetworkDefineFlags::from_bits_retain(flags))?
                } else {
                    c.network_define_xml(xml)?
                };
                Ok(self.bind_net(step, n))
            }
            "net_create_xml" => {
                let c = self.conn(step)?;
                let xml = self.req_xml(step)?;
                let n = if has_flags {
                    c.network_create_xml_flags(xml, NetworkCreateFlags::from_bits_retain(flags))?
                } else {
                    c.network_create_xml(xml)?
                };
                Ok(self.bind_net(step, n))
            }
            "net_lookup" => {
                let n = self
                    .conn(step)?
                    .network_lookup_by_name(str_field(step, "name")?)?;
                Ok(self.bind_net(step, n))
            }
            "net_lookup_uuid" => {
                let n = self
                    .conn(step)?
                    .network_lookup_by_uuid_string(str_field(step, "uuid")?)?;
                Ok(self.bind_net(step, n))
            }
            "net_list_all" => {
                let nets = self
                    .conn(step)?
                    .list_all_networks(ConnectListAllNetworksFlags::from_bits_retain(flags))?;
                Ok(sorted(
                    nets.iter().map(|n| n.get_name().to_string()).collect(),
                ))
            }
            "net_list" => Ok(sorted(self.conn(step)?.list_networks(
                step.get("max").and_then(Value::as_i64).unwrap_or(1024) as i32,
            )?)),
            "net_list_defined" => Ok(sorted(self.conn(step)?.list_defined_networks(
                step.get("max").and_then(Value::as_i64).unwrap_or(1024) as i32,
            )?)),
            "net_num" => Ok(json!(self.conn(step)?.num_of_networks()?)),
            "net_num_defined" => Ok(json!(self.conn(step)?.num_of_defined_networks()?)),
            "net_events_on" => {
                let events = self.events.clone();
                self.conn(step)?.network_event_register_any(
                    None,
                    NetworkEventID::LIFECYCLE,
                    move |_c, n, ev| {
                        let rvirt::NetworkEvent::Lifecycle { event, detail, .. } = ev;
                        Runner::record(
                            &events,
                            json!(["network_lifecycle", n.get_name(), event.0, detail]),
                        );
                    },
                )?;
                self.events_on = true;
                null
            }
            "net_get_name" => Ok(json!(self.net(step)?.get_name())),
            "net_get_uuid" => Ok(json!(self.net(step)?.get_uuid_string())),
            "net_xml" => Ok(json!(
                self.net(step)?
                    .get_xml_desc(NetworkXMLFlags::from_bits_retain(flags))?
            )),
            "net_bridge" => Ok(json!(self.net(step)?.get_bridge_name()?)),
            "net_start" => {
                self.net(step)?.create()?;
                null
            }
            "net_destroy" => {
                self.net(step)?.destroy()?;
                null
            }
            "net_undefine" => {
                self.net(step)?.undefine()?;
                null
            }
            "net_is_active" => Ok(json!(self.net(step)?.is_active()?)),
            "net_is_persistent" => Ok(json!(self.net(step)?.is_persistent()?)),
            "net_get_autostart" => Ok(json!(self.net(step)?.get_autostart()?)),
            "net_set_autostart" => {
                let v = step.get("value").and_then(Value::as_bool).unwrap_or(true);
                self.net(step)?.set_autostart(v)?;
                null
            }
            "net_update" => {
                let xml = self.req_xml(step)?;
                self.net(step)?.update(
                    NetworkUpdateCommand(int_field(step, "command")? as i32),
                    NetworkUpdateSection(int_field(step, "section")? as i32),
                    step.get("index").and_then(Value::as_i64).unwrap_or(-1) as i32,
                    xml,
                    NetworkUpdateFlags::from_bits_retain(flags),
                )?;
                null
            }
            "net_dhcp_leases" => {
                let leases = self
                    .net(step)?
                    .get_dhcp_leases(opt_str(step, "mac"), flags)?;
                Ok(json!(
                    leases
                        .iter()
                        .map(|l| json!([l.ipaddr, l.prefix, l.mac]))
                        .collect::<Vec<_>>()
                ))
            }
            "net_port_list" => {
                let ports = self.net(step)?.list_all_ports(flags)?;
                Ok(sorted(ports.iter().map(|p| p.get_uuid_string()).collect()))
            }
            "net_port_create" => {
                let xml = self.req_xml(step)?;
                let p = self
                    .net(step)?
                    .port_create_xml(xml, NetworkPortCreateFlags::from_bits_retain(flags))?;
                Ok(json!(p.get_uuid_string()))
            }
            "net_port_lookup" => {
                let p = self
                    .net(step)?
                    .port_lookup_by_uuid_string(str_field(step, "uuid")?)?;
                Ok(json!(p.get_uuid_string()))
            }
            other => Err(StepErr::Harness(format!("unknown op {other}"))),
        }
    }
}
