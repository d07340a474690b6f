//! The computed CPU: a guest CPU of mode `custom` and match `exact`, its feature list kept as
//! libvirt's `virCPUDefAddFeature` family keeps it, and `virCPUDefFormat`'s output of it.

use crate::cpu_error;
use rvirt_types::{ErrorNumber, Result};

/// A feature policy the baseline can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    Require,
    Disable,
}

impl Policy {
    fn as_str(self) -> &'static str {
        match self {
            Policy::Require => "require",
            Policy::Disable => "disable",
        }
    }
}

/// One `<feature>` of a guest CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Feature {
    pub(crate) name: String,
    pub(crate) policy: Policy,
}

/// A guest CPU of mode `custom`, match `exact` (what every baseline is).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GuestCpu {
    pub(crate) model: String,
    pub(crate) fallback_forbid: bool,
    pub(crate) vendor: Option<String>,
    pub(crate) features: Vec<Feature>,
}

impl GuestCpu {
    /// A CPU of `model` with fallback allowed and nothing else.
    pub(crate) fn new(model: &str) -> GuestCpu {
        GuestCpu {
            model: model.to_string(),
            ..GuestCpu::default()
        }
    }

    fn find(&mut self, name: &str) -> Option<&mut Feature> {
        self.features.iter_mut().find(|f| f.name == name)
    }

    /// `virCPUDefAddFeature`: a feature named twice is an internal error.
    pub(crate) fn add_feature(&mut self, name: &str, policy: Policy) -> Result<()> {
        if self.find(name).is_some() {
            return Err(cpu_error(
                ErrorNumber::INTERNAL_ERROR,
                format!("CPU feature '{name}' specified more than once"),
            ));
        }
        self.push(name, policy);
        Ok(())
    }

    /// `virCPUDefUpdateFeature`: sets the policy, adding the feature if needed.
    pub(crate) fn update_feature(&mut self, name: &str, policy: Policy) {
        match self.find(name) {
            Some(f) => f.policy = policy,
            None => self.push(name, policy),
        }
    }

    /// `virCPUDefAddFeatureIfMissing`.
    pub(crate) fn add_feature_if_missing(&mut self, name: &str, policy: Policy) {
        if self.find(name).is_none() {
            self.push(name, policy);
        }
    }

    fn push(&mut self, name: &str, policy: Policy) {
        self.features.push(Feature {
            name: name.to_string(),
            policy,
        });
    }

    /// `virCPUDefFormat`. Feature names are written as they are, as libvirt writes them.
    pub(crate) fn format(&self) -> String {
        let mut out = String::from("<cpu mode='custom' match='exact'>\n");
        out.push_str("  <model fallback='");
        out.push_str(if self.fallback_forbid {
            "forbid"
        } else {
            "allow"
        });
        out.push_str("'>");
        rvirt_conf::xml::escape_string(&self.model, &mut out);
        out.push_str("</model>\n");
        if let Some(v) = &self.vendor {
            out.push_str("  <vendor>");
            rvirt_conf::xml::escape_string(v, &mut out);
            out.push_str("</vendor>\n");
        }
        for f in &self.features {
            out.push_str("  <feature policy='");
            out.push_str(f.policy.as_str());
            out.push_str("' name='");
            out.push_str(&f.name);
            out.push_str("'/>\n");
        }
        out.push_str("</cpu>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_virsh_prints() {
        let mut cpu = GuestCpu::new("a<b>&'\"\u{7}\tc");
        cpu.vendor = Some("Intel".into());
        cpu.add_feature("ss", Policy::Require).expect("new feature");
        cpu.add_feature_if_missing("ss", Policy::Disable);
        cpu.add_feature_if_missing("mpx", Policy::Disable);
        assert_eq!(
            cpu.format(),
            "<cpu mode='custom' match='exact'>\n  \
             <model fallback='allow'>a&lt;b&gt;&amp;&apos;&quot;\tc</model>\n  \
             <vendor>Intel</vendor>\n  <feature policy='require' name='ss'/>\n  \
             <feature policy='disable' name='mpx'/>\n</cpu>\n"
        );
        cpu.update_feature("ss", Policy::Disable);
        assert_eq!(cpu.features[0].policy, Policy::Disable);
        let e = cpu
            .add_feature("mpx", Policy::Require)
            .expect_err("named twice");
        assert_eq!(
            e.message,
            "internal error: CPU feature 'mpx' specified more than once"
        );
        let mut ppc = GuestCpu::new("POWER9");
        ppc.fallback_forbid = true;
        assert_eq!(
            ppc.format(),
            "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>POWER9</model>\n</cpu>\n"
        );
    }
}
