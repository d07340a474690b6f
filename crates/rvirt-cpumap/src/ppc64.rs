//! libvirt's ppc64 CPU driver, as far as `virConnectBaselineCPU` needs it: the map's vendors
//! and models (`ppc64VendorParse`, `ppc64ModelParse`) and `virCPUppc64Baseline`, which compares
//! models by name only.

use crate::cpu_error;
use crate::guest::GuestCpu;
use crate::host::HostCpu;
use crate::mapfile::{Kind, Loader};
use crate::xmlprop::{children, first_child, prop_uint, xpath_attr};
use rvirt_types::{Error, ErrorNumber, Result};
use std::path::Path;

fn internal(detail: String) -> Error {
    cpu_error(ErrorNumber::INTERNAL_ERROR, detail)
}

fn failed(detail: impl Into<String>) -> Error {
    cpu_error(ErrorNumber::OPERATION_FAILED, detail)
}

struct Model {
    name: String,
    /// Index into [`Map::vendors`].
    vendor: Option<usize>,
}

/// The ppc64 part of the CPU map.
#[derive(Default)]
pub(crate) struct Map {
    vendors: Vec<String>,
    models: Vec<Model>,
}

impl Loader for Map {
    fn accepts(&self, kind: Kind) -> bool {
        kind != Kind::Feature
    }

    fn define(&mut self, kind: Kind, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
        match kind {
            Kind::Vendor => {
                if self.vendor(name).is_some() {
                    return Err(internal(format!("CPU vendor {name} already defined")));
                }
                self.vendors.push(name.to_string());
                Ok(())
            }
            Kind::Model => self.parse_model(node, name),
            Kind::Feature => Err(internal(format!("Unexpected feature {name}"))),
        }
    }
}

impl Map {
    /// The ppc64 part of the map in `dir`.
    pub(crate) fn load(dir: &Path) -> Result<Map> {
        let mut map = Map::default();
        crate::mapfile::load(dir, "ppc64", &mut map)?;
        Ok(map)
    }

    fn vendor(&self, name: &str) -> Option<usize> {
        self.vendors.iter().position(|v| v == name)
    }

    fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    fn vendor_name(&self, i: usize) -> &str {
        self.vendors.get(i).map_or("", String::as_str)
    }

    fn parse_model(&mut self, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
        if self.model(name).is_some() {
            return Err(internal(format!("CPU model {name} already defined")));
        }
        let mut vendor = None;
        if let Some(v) = first_child(node, "vendor") {
            let vname = xpath_attr(v, "name")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| internal(format!("Invalid vendor element in CPU model {name}")))?;
            vendor = Some(self.vendor(vname).ok_or_else(|| {
                internal(format!(
                    "Unknown vendor {vname} referenced by CPU model {name}"
                ))
            })?);
        }
        let mut pvrs = children(node, "pvr").peekable();
        if pvrs.peek().is_none() {
            return Err(internal(format!(
                "Missing PVR information for CPU model {name}"
            )));
        }
        for pvr in pvrs {
            prop_uint(pvr, "value", 16, true, false)?;
            prop_uint(pvr, "mask", 16, true, false)?;
        }
        self.models.push(Model {
            name: name.to_string(),
            vendor,
        });
        Ok(())
    }

    /// `virCPUppc64Baseline`: every CPU must be of the first one's model; the vendor is output
    /// only when the model does not name one.
    pub(crate) fn baseline(&self, cpus: &[HostCpu]) -> Result<GuestCpu> {
        let first = cpus
            .first()
            .ok_or_else(|| internal("no CPUs given".into()))?;
        let model = self
            .model(&first.model)
            .ok_or_else(|| internal(format!("Unknown CPU model {}", first.model)))?;
        let mut vendor = None;
        for cpu in cpus {
            if cpu.model != model.name {
                return Err(failed("CPUs are incompatible"));
            }
            let Some(v) = &cpu.vendor else {
                continue;
            };
            let vnd = self
                .vendor(v)
                .ok_or_else(|| failed(format!("Unknown CPU vendor {v}")))?;
            match (model.vendor, vendor) {
                (Some(mv), _) if mv != vnd => {
                    return Err(failed(format!(
                        "CPU vendor {} of model {} differs from vendor {}",
                        self.vendor_name(mv),
                        model.name,
                        self.vendor_name(vnd)
                    )));
                }
                (Some(_), _) => {}
                (None, Some(cur)) if cur != vnd => {
                    return Err(failed("CPU vendors do not match"));
                }
                (None, _) => vendor = Some(vnd),
            }
        }
        let mut cpu = GuestCpu::new(&model.name);
        cpu.vendor = vendor.map(|v| self.vendor_name(v).to_string());
        cpu.fallback_forbid = true;
        Ok(cpu)
    }
}
