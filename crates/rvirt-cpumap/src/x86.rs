//! The x86 part of the CPU map (vendors, features as CPUID and MSR bits, models) and libvirt's
//! computations on CPUID data: a model's data, the intersection of several, and the choice of
//! the model that describes some data best.

use crate::{Feature, Policy, internal};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Where a group of bits lives: a CPUID leaf and sub-leaf, or an MSR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Cpuid(u32, u32),
    Msr(u32),
}

/// CPUID and MSR bits: for a CPUID key the registers eax, ebx, ecx, edx; for an MSR eax, edx.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Data(BTreeMap<Key, [u32; 4]>);

impl Data {
    fn add(&mut self, other: &Data) {
        for (k, v) in &other.0 {
            let e = self.0.entry(*k).or_default();
            for i in 0..4 {
                e[i] |= v[i];
            }
        }
    }

    fn subtract(&mut self, other: &Data) {
        for (k, v) in self.0.iter_mut() {
            if let Some(o) = other.0.get(k) {
                for i in 0..4 {
                    v[i] &= !o[i];
                }
            }
        }
    }

    /// Keeps the bits both have; a group `other` lacks is cleared.
    fn intersect(&mut self, other: &Data) {
        for (k, v) in self.0.iter_mut() {
            let o = other.0.get(k).copied().unwrap_or_default();
            for i in 0..4 {
                v[i] &= o[i];
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.0.values().all(|v| v.iter().all(|r| *r == 0))
    }

    /// Every bit of `sub` is set here (empty groups of `sub` ask for nothing).
    fn contains(&self, sub: &Data) -> bool {
        sub.0
            .iter()
            .filter(|(_, v)| v.iter().any(|r| *r != 0))
            .all(|(k, v)| {
                self.0
                    .get(k)
                    .is_some_and(|d| (0..4).all(|i| d[i] & v[i] == v[i]))
            })
    }
}

struct Vendor {
    name: String,
    data: Data,
}

struct FeatureDef {
    name: String,
    data: Data,
    migratable: bool,
}

struct Model {
    name: String,
    decode_guest: bool,
    vendor: Option<usize>,
    data: Data,
    removed: Vec<String>,
}

/// The x86 CPU map.
#[derive(Default)]
pub(crate) struct Map {
    vendors: Vec<Vendor>,
    features: Vec<FeatureDef>,
    models: Vec<Model>,
}

use rvirt_conf::xml::parse_uint_auto as number;

fn map_error(file: &Path, what: impl std::fmt::Display) -> Error {
    internal(format!("{}: {what}", file.display()))
}

impl Map {
    /// Reads the files `index.xml` of `dir` includes under `<arch name='x86'>`, in order.
    pub(crate) fn load(dir: &Path) -> Result<Map> {
        let index = dir.join("index.xml");
        let text = std::fs::read_to_string(&index).map_err(|e| {
            Error::system(
                ErrorDomain::CPU,
                format!("cannot read {}", index.display()),
                &e,
            )
        })?;
        let doc = roxmltree::Document::parse(&text).map_err(|e| map_error(&index, e))?;
        let mut map = Map::default();
        let arch = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name("arch") && n.attribute("name") == Some("x86"))
            .ok_or_else(|| map_error(&index, "no x86 architecture"))?;
        for inc in arch.children().filter(|n| n.has_tag_name("include")) {
            let Some(name) = inc.attribute("filename") else {
                continue;
            };
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::system(
                    ErrorDomain::CPU,
                    format!("cannot read {}", path.display()),
                    &e,
                )
            })?;
            let doc = roxmltree::Document::parse(&text).map_err(|e| map_error(&path, e))?;
            for n in doc.root_element().children().filter(|n| n.is_element()) {
                match n.tag_name().name() {
                    "vendor" => map.parse_vendor(n).map_err(|e| map_error(&path, e))?,
                    "feature" => map.parse_feature(n).map_err(|e| map_error(&path, e))?,
                    "model" => map.parse_model(n).map_err(|e| map_error(&path, e))?,
                    _ => {}
                }
            }
        }
        Ok(map)
    }

    fn parse_vendor(&mut self, n: roxmltree::Node<'_, '_>) -> std::result::Result<(), String> {
        let name = n.attribute("name").ok_or("vendor without a name")?;
        let s = n.attribute("string").unwrap_or("").as_bytes();
        if s.len() != 12 {
            return Err(format!("invalid vendor string of {name}"));
        }
        let word = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
        let mut data = Data::default();
        data.0
            .insert(Key::Cpuid(0, 0), [0, word(0), word(8), word(4)]);
        self.vendors.push(Vendor {
            name: name.to_string(),
            data,
        });
        Ok(())
    }

    fn parse_feature(&mut self, n: roxmltree::Node<'_, '_>) -> std::result::Result<(), String> {
        let name = n.attribute("name").ok_or("feature without a name")?;
        let mut data = Data::default();
        for item in n.children().filter(|c| c.is_element()) {
            let get = |a: &str| item.attribute(a).map(number);
            let reg = |a: &str| -> std::result::Result<u32, String> {
                match get(a) {
                    None => Ok(0),
                    Some(Some(v)) => Ok(v),
                    Some(None) => Err(format!("invalid {a} of feature {name}")),
                }
            };
            let (key, regs) = match item.tag_name().name() {
                "cpuid" => (
                    Key::Cpuid(reg("eax_in")?, reg("ecx_in")?),
                    [reg("eax")?, reg("ebx")?, reg("ecx")?, reg("edx")?],
                ),
                "msr" => (Key::Msr(reg("index")?), [reg("eax")?, 0, 0, reg("edx")?]),
                _ => continue,
            };
            let mut one = Data::default();
            one.0.insert(key, regs);
            data.add(&one);
        }
        self.features.push(FeatureDef {
            name: name.to_string(),
            data,
            migratable: n.attribute("migratable") != Some("no"),
        });
        Ok(())
    }

    fn parse_model(&mut self, n: roxmltree::Node<'_, '_>) -> std::result::Result<(), String> {
        let name = n.attribute("name").ok_or("model without a name")?;
        let child = |tag: &str| n.children().find(|c| c.has_tag_name(tag));
        let mut model = Model {
            name: name.to_string(),
            decode_guest: child("decode").and_then(|d| d.attribute("guest")) == Some("on"),
            vendor: None,
            data: Data::default(),
            removed: Vec::new(),
        };
        if let Some(anc) = child("model").and_then(|m| m.attribute("name")) {
            let a = self
                .model(anc)
                .ok_or_else(|| format!("ancestor {anc} of {name} not found"))?;
            model.vendor = a.vendor;
            model.data = a.data.clone();
        }
        if let Some(v) = child("vendor").and_then(|v| v.attribute("name")) {
            model.vendor = Some(
                self.vendors
                    .iter()
                    .position(|x| x.name == v)
                    .ok_or_else(|| format!("unknown vendor {v} of {name}"))?,
            );
        }
        for f in n.children().filter(|c| c.has_tag_name("feature")) {
            let fname = f.attribute("name").ok_or("feature without a name")?;
            let feat = self
                .feature(fname)
                .ok_or_else(|| format!("feature {fname} of {name} not found"))?;
            if f.attribute("removed") == Some("yes") {
                model.removed.push(fname.to_string());
            } else {
                let d = feat.data.clone();
                model.data.add(&d);
            }
        }
        self.models.push(model);
        Ok(())
    }

    fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    fn feature(&self, name: &str) -> Option<&FeatureDef> {
        self.features.iter().find(|f| f.name == name)
    }

    fn vendor(&self, name: &str) -> Option<usize> {
        self.vendors.iter().position(|v| v.name == name)
    }

    /// A host CPU's data: its model's, with its features added.
    fn host_data(&self, cpu: &crate::HostCpu) -> Result<(&Model, Data)> {
        let model = self
            .model(&cpu.model)
            .ok_or_else(|| internal(format!("Unknown CPU model {}", cpu.model)))?;
        let mut data = model.data.clone();
        for f in &cpu.features {
            let feat = self
                .feature(f)
                .ok_or_else(|| internal(format!("Unknown CPU feature {f}")))?;
            data.add(&feat.data);
        }
        Ok((model, data))
    }

    /// Moves every feature whose bits `data` has, in the map's order, into `out` with `policy`,
    /// taking its bits out of `data`.
    fn take_features(&self, data: &mut Data, policy: Policy, out: &mut Vec<Feature>) {
        for f in &self.features {
            if data.contains(&f.data) {
                data.subtract(&f.data);
                if !out.iter().any(|o| o.name == f.name) {
                    out.push(Feature {
                        policy,
                        name: f.name.clone(),
                    });
                }
            }
        }
    }

    /// `model` with the features that make `data` (its vendor bits already taken out): what
    /// `data` has beyond the model required, what the model has beyond `data` disabled, then
    /// the model's removed features disabled.
    fn describe(&self, data: &Data, model: &Model) -> Vec<Feature> {
        let mut extra = data.clone();
        extra.subtract(&model.data);
        let mut missing = model.data.clone();
        missing.subtract(data);
        let mut out = Vec::new();
        self.take_features(&mut extra, Policy::Require, &mut out);
        self.take_features(&mut missing, Policy::Disable, &mut out);
        disable_removed(&mut out, model);
        out
    }

    /// The vendor whose string `data` holds, its bits taken out of `data`.
    fn vendor_of(&self, data: &mut Data) -> Option<usize> {
        let i = self.vendors.iter().position(|v| data.contains(&v.data))?;
        data.subtract(&self.vendors[i].data);
        Some(i)
    }

    /// The model that describes `data` best, with its features, and the vendor: newest models
    /// first; a model named in `preferred` alone wins at once; otherwise fewer features wins,
    /// each disabled one counting more than the one before.
    fn decode(
        &self,
        data: &Data,
        preferred: &[String],
    ) -> Result<(&Model, Vec<Feature>, Option<&str>)> {
        let mut data = data.clone();
        let vendor = self.vendor_of(&mut data);
        let mut best: Option<(&Model, Vec<Feature>)> = None;
        for cand in self.models.iter().rev() {
            if let (Some(v), Some(cv)) = (vendor, cand.vendor)
                && v != cv
            {
                continue;
            }
            if !cand.decode_guest {
                continue;
            }
            let feats = self.describe(&data, cand);
            let is_preferred = preferred.contains(&cand.name);
            if is_preferred && preferred.len() == 1 {
                best = Some((cand, feats));
                break;
            }
            let better = match &best {
                None => true,
                Some((_, cur)) => {
                    let (c, cd) = weight(cur);
                    let (n, nd) = weight(&feats);
                    n < c || (n == c && nd < cd) || (is_preferred && nd < cd)
                }
            };
            if better {
                best = Some((cand, feats));
            }
        }
        let (model, feats) =
            best.ok_or_else(|| internal("Cannot find suitable CPU model for given data"))?;
        Ok((model, feats, vendor.map(|v| self.vendors[v].name.as_str())))
    }

    /// libvirt's x86 baseline of `cpus` (all parsed, at least one).
    pub(crate) fn baseline(
        &self,
        cpus: &[crate::HostCpu],
        migratable: bool,
    ) -> Result<crate::GuestCpu> {
        let failed =
            |m: String| Error::with_detail(ErrorDomain::CPU, ErrorNumber::OPERATION_FAILED, m);
        let first = &cpus[0];
        let (_, mut base) = self.host_data(first)?;
        let mut output_vendor = true;
        let mut vendor = match &first.vendor {
            None => {
                output_vendor = false;
                None
            }
            Some(v) => Some(
                self.vendor(v)
                    .ok_or_else(|| failed(format!("Unknown CPU vendor {v}")))?,
            ),
        };
        let mut names: Vec<String> = vec![first.model.clone()];
        for cpu in &cpus[1..] {
            if !names.contains(&cpu.model) {
                names.push(cpu.model.clone());
            }
            let (model, data) = self.host_data(cpu)?;
            let model_vendor = model.vendor.map(|v| self.vendors[v].name.as_str());
            if let (Some(v), Some(mv)) = (&cpu.vendor, model_vendor)
                && v != mv
            {
                return Err(failed(format!(
                    "CPU vendor {mv} of model {} differs from vendor {v}",
                    model.name
                )));
            }
            let named = match &cpu.vendor {
                Some(v) => Some(v.as_str()),
                None => {
                    output_vendor = false;
                    model_vendor
                }
            };
            if let Some(vn) = named {
                match vendor {
                    None => {
                        vendor = Some(
                            self.vendor(vn)
                                .ok_or_else(|| failed(format!("Unknown CPU vendor {vn}")))?,
                        )
                    }
                    Some(v) if self.vendors[v].name != vn => {
                        return Err(failed("CPU vendors do not match".into()));
                    }
                    Some(_) => {}
                }
            }
            base.intersect(&data);
        }
        if base.is_empty() {
            return Err(failed("CPUs are incompatible".into()));
        }
        if let Some(v) = vendor {
            base.add(&self.vendors[v].data);
        }
        let (model, mut features, found_vendor) = self.decode(&base, &names)?;
        if migratable {
            features.retain(|f| self.feature(&f.name).is_none_or(|d| d.migratable));
        }
        Ok(crate::GuestCpu {
            model: model.name.clone(),
            fallback_forbid: names.len() == 1 && model.name == names[0],
            vendor: found_vendor.filter(|_| output_vendor).map(str::to_string),
            features,
        })
    }

    /// Every feature of `cpu`'s model listed, `cpu`'s own policies kept over them
    /// (`virCPUExpandFeatures` before the sort by name).
    pub(crate) fn expand(&self, cpu: &mut crate::GuestCpu) -> Result<()> {
        let model = self
            .model(&cpu.model)
            .ok_or_else(|| internal(format!("unknown CPU model {}", cpu.model)))?;
        let mut data = model.data.clone();
        let mut out = Vec::new();
        self.take_features(&mut data, Policy::Require, &mut out);
        for f in &cpu.features {
            match out.iter_mut().find(|o| o.name == f.name) {
                Some(o) => o.policy = f.policy,
                None => out.push(f.clone()),
            }
        }
        disable_removed(&mut out, model);
        cpu.features = out;
        Ok(())
    }
}

/// The features a model dropped, disabled unless named already.
fn disable_removed(out: &mut Vec<Feature>, model: &Model) {
    for r in &model.removed {
        if !out.iter().any(|o| &o.name == r) {
            out.push(Feature {
                policy: Policy::Disable,
                name: r.clone(),
            });
        }
    }
}

/// A candidate's weight, with the disabled part on its own: enabled features count one each,
/// disabled ones 2, 3, 4… in turn. As in libvirt, the scan stops at the count of enabled
/// features so far (each disabled one lowers it), so the last features may go uncounted.
fn weight(features: &[Feature]) -> (usize, usize) {
    let mut enabled = features.len();
    let mut disabled = 0;
    let mut penalty = 2;
    let mut i = 0;
    while i < enabled {
        if features[i].policy == Policy::Disable {
            enabled -= 1;
            disabled += penalty;
            penalty += 1;
        }
        i += 1;
    }
    (enabled + disabled, disabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(items: &[(Key, [u32; 4])]) -> Data {
        Data(items.iter().copied().collect())
    }

    #[test]
    fn bit_operations_follow_libvirts() {
        let a = data(&[
            (Key::Cpuid(1, 0), [0, 0, 0b0110, 0b1]),
            (Key::Msr(0xcf), [0x20, 0, 0, 0]),
        ]);
        let b = data(&[(Key::Cpuid(1, 0), [0, 0, 0b0100, 0])]);
        let mut i = a.clone();
        i.intersect(&b);
        assert_eq!(
            i,
            data(&[
                (Key::Cpuid(1, 0), [0, 0, 0b0100, 0]),
                (Key::Msr(0xcf), [0; 4])
            ])
        );
        assert!(a.contains(&b) && !b.contains(&a));
        assert!(a.contains(&data(&[(Key::Cpuid(7, 0), [0; 4])])));
        let mut s = a.clone();
        s.subtract(&b);
        assert!(!s.contains(&b));
        assert!(!s.is_empty());
        s.intersect(&Data::default());
        assert!(s.is_empty());
        assert_eq!(number("0x01"), Some(1));
        assert_eq!(number("010"), Some(8));
        assert_eq!(number("12"), Some(12));
        assert_eq!(number("0"), Some(0));
        assert_eq!(number("x"), None);
    }

    #[test]
    fn weights_count_disabled_features_more() {
        let f = |p, n: &str| Feature {
            policy: p,
            name: n.into(),
        };
        let feats = [
            f(Policy::Require, "a"),
            f(Policy::Disable, "b"),
            f(Policy::Disable, "c"),
        ];
        // The scan stops at index 1 (3 features, less the one disabled): c goes uncounted.
        assert_eq!(weight(&feats), (2 + 2, 2));
        assert_eq!(weight(&feats[..2]), (1 + 2, 2));
        assert_eq!(weight(&[]), (0, 0));
    }
}
