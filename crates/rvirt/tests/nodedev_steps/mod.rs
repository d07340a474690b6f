//! Node device steps of the oracle's scenario language (the python side is
//! `tests/oracle/nodedev_steps.py`; the two must stay in step).
//!
//! A device handle reads as its name; `dev` names the variable holding one, `as` binds the
//! handle a step returns. Listings are sorted (libvirt lists node devices in hash order, which
//! its per-process random seed changes from run to run).
//!
//! Ops: `nodedev_events_on {ids}` (among `lifecycle`, `update`; default both; events read
//! `["nodedev_lifecycle", name, event, detail]` and `["nodedev_update", name]` in
//! `events_check`), `nodedev_list_all {flags}`, `nodedev_num {cap, flags}`, `nodedev_list {cap,
//! flags}`, `nodedev_lookup {name}`, `nodedev_lookup_wwn {wwnn, wwpn, flags}`,
//! `nodedev_create_xml {xml, flags}`, `nodedev_define_xml {xml, flags}`; on a device:
//! `nodedev_name`, `nodedev_xml {flags}`, `nodedev_parent` (null for a root device),
//! `nodedev_num_caps`, `nodedev_list_caps`, `nodedev_destroy`, `nodedev_detach`,
//! `nodedev_detach_flags {driver, flags}`, `nodedev_reattach`, `nodedev_reset`,
//! `nodedev_undefine {flags}`, `nodedev_create {flags}`, `nodedev_get_autostart`,
//! `nodedev_set_autostart {value}`, `nodedev_is_active`, `nodedev_is_persistent`.

use super::{Runner, StepErr, StepResult, opt_str, str_field};
use rvirt::blocking::NodeDevice;
use rvirt::nodedev_flags::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The node device handles a scenario bound.
#[derive(Default)]
pub struct Vars(HashMap<String, NodeDevice>);

/// Whether `op` is a node device step.
pub fn handles(op: &str) -> bool {
    op.starts_with("nodedev_")
}

fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    json!(v)
}

impl Runner {
    fn dev_var(&self, step: &Value) -> Result<NodeDevice, StepErr> {
        let name = opt_str(step, "dev").unwrap_or("");
        self.nodedevs
            .0
            .get(name)
            .cloned()
            .ok_or_else(|| StepErr::Harness(format!("unbound variable {name}")))
    }

    fn bind_dev(&mut self, step: &Value, d: NodeDevice) -> StepResult {
        let out = json!(d.get_name());
        if let Some(name) = opt_str(step, "as") {
            self.nodedevs.0.insert(name.to_string(), d);
        }
        Ok(out)
    }

    /// Runs a node device step (see the module's documentation).
    pub fn run_nodedev_step(&mut self, op: &str, step: &Value, flags: u32) -> StepResult {
        let null = Ok(Value::Null);
        let cap = opt_str(step, "cap");
        match op {
            "nodedev_events_on" => {
                let ids: Vec<String> = match step.get("ids").and_then(Value::as_array) {
                    Some(a) => a
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    None => vec!["lifecycle".into(), "update".into()],
                };
                for id in ids {
                    let events = self.events.clone();
                    let event_id = if id == "lifecycle" {
                        NodeDeviceEventID::LIFECYCLE
                    } else {
                        NodeDeviceEventID::UPDATE
                    };
                    self.conn(step)?.node_device_event_register_any(
                        None,
                        event_id,
                        move |_c, d, ev| {
                            let v = match ev {
                                rvirt::NodeDeviceEvent::Lifecycle { event, detail, .. } => {
                                    json!(["nodedev_lifecycle", d.get_name(), event.0, detail])
                                }
                                rvirt::NodeDeviceEvent::Update { .. } => {
                                    json!(["nodedev_update", d.get_name()])
                                }
                            };
                            Runner::record(&events, v);
                        },
                    )?;
                }
                self.events_on = true;
                null
            }
            "nodedev_list_all" => {
                let devs = self.conn(step)?.list_all_node_devices(
                    ConnectListAllNodeDevicesFlags::from_bits_retain(flags),
                )?;
                Ok(sorted(
                    devs.iter().map(|d| d.get_name().to_string()).collect(),
                ))
            }
            "nodedev_num" => Ok(json!(self.conn(step)?.node_num_of_devices(cap, flags)?)),
            "nodedev_list" => {
                // python lists as many names as virNodeNumOfDevices counts.
                let c = self.conn(step)?;
                let n = c.node_num_of_devices(cap, flags)?;
                Ok(sorted(c.node_list_devices(cap, n, flags)?))
            }
            "nodedev_lookup" => {
                let d = self
                    .conn(step)?
                    .node_device_lookup_by_name(str_field(step, "name")?)?;
                self.bind_dev(step, d)
            }
            "nodedev_lookup_wwn" => {
                let d = self.conn(step)?.node_device_lookup_scsi_host_by_wwn(
                    str_field(step, "wwnn")?,
                    str_field(step, "wwpn")?,
                    flags,
                )?;
                self.bind_dev(step, d)
            }
            "nodedev_create_xml" => {
                let xml = self.req_xml(step)?.to_string();
                let d = self.conn(step)?.node_device_create_xml(
                    &xml,
                    NodeDeviceCreateXMLFlags::from_bits_retain(flags),
                )?;
                self.bind_dev(step, d)
            }
            "nodedev_define_xml" => {
                let xml = self.req_xml(step)?.to_string();
                let d = self.conn(step)?.node_device_define_xml(
                    &xml,
                    NodeDeviceDefineXMLFlags::from_bits_retain(flags),
                )?;
                self.bind_dev(step, d)
            }
            _ => {
                let d = self.dev_var(step)?;
                match op {
                    "nodedev_name" => Ok(json!(d.get_name())),
                    "nodedev_xml" => Ok(json!(d.get_xml_desc(flags)?)),
                    "nodedev_parent" => Ok(json!(d.get_parent()?)),
                    "nodedev_num_caps" => Ok(json!(d.num_of_caps()?)),
                    "nodedev_list_caps" => {
                        let n = d.num_of_caps()?;
                        Ok(json!(d.list_caps(n)?))
                    }
                    "nodedev_destroy" => d.destroy().map(|_| Value::Null).map_err(Into::into),
                    "nodedev_detach" => d.dettach().map(|_| Value::Null).map_err(Into::into),
                    "nodedev_detach_flags" => d
                        .detach_flags(opt_str(step, "driver"), flags)
                        .map(|_| Value::Null)
                        .map_err(Into::into),
                    "nodedev_reattach" => d.re_attach().map(|_| Value::Null).map_err(Into::into),
                    "nodedev_reset" => d.reset().map(|_| Value::Null).map_err(Into::into),
                    "nodedev_undefine" => {
                        d.undefine(flags).map(|_| Value::Null).map_err(Into::into)
                    }
                    "nodedev_create" => d.create(flags).map(|_| Value::Null).map_err(Into::into),
                    "nodedev_get_autostart" => Ok(json!(d.get_autostart()?)),
                    "nodedev_set_autostart" => {
                        let v = step.get("value").and_then(Value::as_bool).unwrap_or(true);
                        d.set_autostart(v).map(|_| Value::Null).map_err(Into::into)
                    }
                    "nodedev_is_active" => Ok(json!(d.is_active()?)),
                    "nodedev_is_persistent" => Ok(json!(d.is_persistent()?)),
                    other => Err(StepErr::Harness(format!("unknown op {other}"))),
                }
            }
        }
    }
}
