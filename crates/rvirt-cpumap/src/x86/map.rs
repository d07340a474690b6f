//! The x86 part of the CPU map, parsed as libvirt's `x86VendorParse`, `x86FeatureParse` and
//! `x86ModelParse` parse it: vendors as their CPUID leaf 0 strings, features as CPUID/MSR bits
//! (and whether they block migration), models as the bits of their ancestor and features, with
//! their signatures, vendor, removed features and decode permissions.

use super::data::{Data, Key};
use crate::cpu_error;
use crate::mapfile::{Kind, Loader};
use crate::xmlprop::{
    TRISTATE_BOOL, TRISTATE_SWITCH, children, first_child, parse_uint, prop, prop_enum, prop_uint,
    xpath_attr,
};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// A CPU vendor and the CPUID leaf 0 bits of its string.
pub(crate) struct Vendor {
    pub(crate) name: String,
    pub(crate) data: Data,
}

/// A CPU feature.
pub(crate) struct Feature {
    pub(crate) name: String,
    pub(crate) data: Data,
    /// `false` for features marked `migratable='no'`: they block migration.
    pub(crate) migratable: bool,
}

/// A family/model pair of a CPU model, with the steppings it covers (all when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signature {
    pub(crate) family: u32,
    pub(crate) model: u32,
    pub(crate) steppings: Option<u16>,
}

/// A CPU model.
pub(crate) struct Model {
    pub(crate) name: String,
    /// May describe a host CPU (the host's own, in capabilities).
    pub(crate) decode_host: bool,
    /// May describe a guest CPU: only such models are baseline candidates.
    pub(crate) decode_guest: bool,
    /// Index into [`Map::vendors`].
    pub(crate) vendor: Option<usize>,
    pub(crate) signatures: Option<Vec<Signature>>,
    pub(crate) data: Data,
    /// Features the model once had and lost: always listed, disabled, in a guest CPU of it.
    pub(crate) removed: Vec<String>,
}

impl Model {
    /// `virCPUx86SignaturesMatch`.
    pub(crate) fn matches_signature(&self, signature: u32) -> bool {
        let (family, model, stepping) = super::data::split_signature(signature);
        self.signatures.iter().flatten().any(|s| {
            s.family == family
                && s.model == model
                && s.steppings.is_none_or(|bits| bits & (1 << stepping) != 0)
        })
    }
}

/// The x86 CPU map, in the map's order.
#[derive(Default)]
pub(crate) struct Map {
    pub(crate) vendors: Vec<Vendor>,
    pub(crate) features: Vec<Feature>,
    pub(crate) models: Vec<Model>,
}

fn internal(detail: String) -> Error {
    cpu_error(ErrorNumber::INTERNAL_ERROR, detail)
}

impl Loader for Map {
    fn accepts(&self, _: Kind) -> bool {
        true
    }

    fn define(&mut self, kind: Kind, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
        match kind {
            Kind::Vendor => self.parse_vendor(node, name),
            Kind::Feature => self.parse_feature(node, name),
            Kind::Model => self.parse_model(node, name),
        }
    }
}

/// The CPUID leaf 0 bits of a 12-character vendor string (`virCPUx86VendorToData`).
pub(crate) fn vendor_data(string: &str) -> Option<Data> {
    let b = string.as_bytes();
    if b.len() != 12 {
        return None;
    }
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    // The string reads across ebx, edx, ecx.
    Some(Data::item(Key::Cpuid(0, 0), [0, word(0), word(8), word(4)]))
}

impl Map {
    pub(crate) fn vendor(&self, name: &str) -> Option<usize> {
        self.vendors.iter().position(|v| v.name == name)
    }

    pub(crate) fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    pub(crate) fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    fn parse_vendor(&mut self, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
        if self.vendor(name).is_some() {
            return Err(internal(format!("CPU vendor {name} already defined")));
        }
        let string = xpath_attr(node, "string")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| internal(format!("Missing vendor string for CPU vendor {name}")))?;
        let data = vendor_data(string)
            .ok_or_else(|| internal(format!("Invalid CPU vendor string '{string}'")))?;
        self.vendors.push(Vendor {
            name: name.to_string(),
            data,
        });
        Ok(())
    }

    fn parse_feature(&mut self, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
        if self.feature(name).is_some() {
            return Err(internal(format!("CPU feature {name} already defined")));
        }
        let migratable = xpath_attr(node, "migratable") != Some("no");
        let mut data = Data::default();
        let mut items = node.children().filter(|c| c.is_element()).peekable();
        if items.peek().is_none() {
            return Err(internal("no x86 CPU data found".into()));
        }
        for (i, item) in items.filter(|c| c.tag_name().name() != "alias").enumerate() {
            let reg = |attr: &str, required: bool| prop_uint(item, attr, 0, required, false);
            let parsed = if item.tag_name().name() == "cpuid" {
                (|| -> Result<Data> {
                    let leaf = reg("eax_in", true)?.unwrap_or(0);
                    let sub = reg("ecx_in", false)?.unwrap_or(0);
                    let mut regs = [0; 4];
                    for (r, attr) in regs.iter_mut().zip(["eax", "ebx", "ecx", "edx"]) {
                        *r = reg(attr, false)?.unwrap_or(0);
                    }
                    Ok(Data::item(Key::Cpuid(leaf, sub), regs))
                })()
                .map_err(|_| internal(format!("Invalid cpuid[{i}]")))?
            } else {
                (|| -> Result<Data> {
                    let index = reg("index", true)?.unwrap_or(0);
                    let eax = reg("eax", true)?.unwrap_or(0);
                    let edx = reg("edx", true)?.unwrap_or(0);
                    Ok(Data::item(Key::Msr(index), [eax, 0, 0, edx]))
                })()
                .map_err(|_| internal(format!("Invalid msr[{i}]")))?
            };
            data.add(&parsed);
        }
        self.features.push(Feature {
            name: name.to_string(),
            data,
            migratable,
        });
        Ok(())
    }

    fn parse_model(&mut self, node: roxmltree::Node<'_, '_>, name: &str) -> Result<()> {
        if self.model(name).is_some() {
            return Err(internal(format!(
                "Multiple definitions of CPU model '{name}'"
            )));
        }
        let decode = first_child(node, "decode")
            .ok_or_else(|| internal(format!("missing decode element in CPU model {name}")))?;
        let on = |attr| prop_enum(decode, attr, TRISTATE_SWITCH, true, true).map(|v| v == Some(1));
        let mut model = Model {
            name: name.to_string(),
            decode_host: on("host")?,
            decode_guest: on("guest")?,
            vendor: None,
            signatures: None,
            data: Data::default(),
            removed: Vec::new(),
        };

        if let Some(anc) = first_child(node, "model") {
            let anc_name = xpath_attr(anc, "name")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| internal(format!("Missing ancestor's name in CPU model {name}")))?;
            let ancestor = self.model(anc_name).ok_or_else(|| {
                internal(format!(
                    "Ancestor model {anc_name} not found for CPU model {name}"
                ))
            })?;
            model.vendor = ancestor.vendor;
            model.signatures = ancestor.signatures.clone();
            model.data = ancestor.data.clone();
        }

        let sigs = children(node, "signature")
            .map(|s| parse_signature(s, name))
            .collect::<Result<Vec<_>>>()?;
        if !sigs.is_empty() {
            model.signatures = Some(sigs);
        }

        if let Some(v) = first_child(node, "vendor") {
            let vendor = xpath_attr(v, "name")
                .filter(|s| !s.is_empty())
                .ok_or_else(|| internal(format!("Invalid vendor element in CPU model {name}")))?;
            model.vendor = Some(self.vendor(vendor).ok_or_else(|| {
                internal(format!(
                    "Unknown vendor {vendor} referenced by CPU model {name}"
                ))
            })?);
        }

        for f in children(node, "feature") {
            let fname = prop(f, "name")
                .ok_or_else(|| internal(format!("Missing feature name for CPU model {name}")))?;
            let feature = self.feature(fname).ok_or_else(|| {
                internal(format!(
                    "Feature {fname} required by CPU model {name} not found"
                ))
            })?;
            if prop_enum(f, "removed", TRISTATE_BOOL, false, true)? == Some(1) {
                model.removed.push(fname.to_string());
            } else {
                model.data.add(&feature.data);
            }
        }

        self.models.push(model);
        Ok(())
    }
}

/// One `<signature family='…' model='…' stepping='…'/>` of model `name`.
fn parse_signature(node: roxmltree::Node<'_, '_>, name: &str) -> Result<Signature> {
    let number = |attr| xpath_attr(node, attr).and_then(|v| parse_uint(v, 10));
    let family = number("family")
        .filter(|f| *f != 0)
        .ok_or_else(|| internal(format!("Invalid CPU signature family in model {name}")))?;
    let model = number("model")
        .ok_or_else(|| internal(format!("Invalid CPU signature model in model {name}")))?;
    let steppings = match xpath_attr(node, "stepping").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_steppings(s).ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INVALID_ARG,
                format!("Failed to parse bitmap '{s}'"),
            )
        })?),
    };
    Ok(Signature {
        family,
        model,
        steppings,
    })
}

/// `virBitmapParse` of a stepping list (`0-4`, `5,7`, `0-9,^3`) into a 16-bit set.
fn parse_steppings(s: &str) -> Option<u16> {
    let mut bits = 0u16;
    for item in s.split(',') {
        let item = item.trim();
        let bit = |n: &str| {
            let n = n.trim();
            if !n.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                return None;
            }
            n.parse::<u32>().ok().filter(|n| *n < 16)
        };
        if let Some(n) = item.strip_prefix('^') {
            bits &= !(1 << bit(n)?);
        } else if let Some((a, b)) = item.split_once('-') {
            let (a, b) = (bit(a)?, bit(b)?);
            if b < a {
                return None;
            }
            for i in a..=b {
                bits |= 1 << i;
            }
        } else {
            bits |= 1 << bit(item)?;
        }
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steppings_parse_as_bitmaps() {
        assert_eq!(parse_steppings("0-4"), Some(0b1_1111));
        assert_eq!(parse_steppings("10-11"), Some(0b1100_0000_0000));
        assert_eq!(parse_steppings("1, 3"), Some(0b1010));
        assert_eq!(parse_steppings("0-3,^2"), Some(0b1011));
        assert_eq!(parse_steppings("16"), None);
        assert_eq!(parse_steppings("3-1"), None);
        assert_eq!(parse_steppings("x"), None);
        assert_eq!(parse_steppings(""), None);
    }

    #[test]
    fn signatures_match_family_model_and_stepping() {
        let m = Model {
            name: "m".into(),
            decode_host: true,
            decode_guest: true,
            vendor: None,
            signatures: Some(vec![
                Signature {
                    family: 6,
                    model: 85,
                    steppings: Some(0b1_1111),
                },
                Signature {
                    family: 6,
                    model: 94,
                    steppings: None,
                },
            ]),
            data: Data::default(),
            removed: Vec::new(),
        };
        assert!(m.matches_signature(0x0005_0654));
        assert!(!m.matches_signature(0x0005_0655));
        assert!(m.matches_signature(0x0005_06e9));
        assert!(!m.matches_signature(0));
    }
}
