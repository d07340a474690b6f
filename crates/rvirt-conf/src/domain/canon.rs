//! Canonical form of the device parts rvirt keeps as generic trees (`RawElement`): libvirt
//! re-formats them from its model, so attributes and children come out in its order, with its
//! defaults filled in, and values outside its enums are refused with its messages. One table
//! row per element, addressed by its path below the device (`watchdog`, `interface/bandwidth`).

use crate::raw::{RawElement, RawNode};
use crate::xml;
use rvirt_types::Result;

/// How libvirt reports a value outside an attribute's enum.
#[derive(Clone, Copy)]
enum Refusal {
    /// `virXMLPropEnum`: "Invalid value for attribute 'a' in element 'e': 'v'."
    Enum,
    /// A hand-written check: "unsupported configuration: <prefix> 'v'".
    Unknown(&'static str),
}

/// One attribute whose value must be one of a closed set.
struct Check {
    attr: &'static str,
    values: &'static [&'static str],
    refusal: Refusal,
}

/// libvirt's model of one element.
struct Rule {
    path: &'static str,
    attrs: &'static [&'static str],
    children: &'static [&'static str],
    defaults: &'static [(&'static str, &'static str)],
    checks: &'static [Check],
}

const fn rule(path: &'static str, attrs: &'static [&'static str]) -> Rule {
    Rule {
        path,
        attrs,
        children: &[],
        defaults: &[],
        checks: &[],
    }
}

const WATCHDOG_MODELS: &[&str] = &["i6300esb", "ib700", "diag288", "itco"];
const WATCHDOG_ACTIONS: &[&str] = &[
    "reset",
    "shutdown",
    "poweroff",
    "pause",
    "dump",
    "none",
    "inject-nmi",
];
const RNG_MODELS: &[&str] = &["virtio", "virtio-transitional", "virtio-non-transitional"];
const RNG_BACKENDS: &[&str] = &["random", "egd", "builtin"];
const PANIC_MODELS: &[&str] = &["isa", "pseries", "hyperv", "s390", "pvpanic"];
const SOUND_MODELS: &[&str] = &[
    "sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "ich7",
];
const CODEC_TYPES: &[&str] = &["duplex", "micro", "output"];
const HOSTDEV_SUBSYS: &[&str] = &["usb", "pci", "scsi", "scsi_host", "mdev"];

const ON_OFF: &[&str] = &["on", "off"];

/// A `<features>` child with a `state='on|off'`.
const fn state_rule(path: &'static str) -> Rule {
    Rule {
        checks: &[Check {
            attr: "state",
            values: ON_OFF,
            refusal: Refusal::Enum,
        }],
        ..rule(path, &["state"])
    }
}

static RULES: &[Rule] = &[
    Rule {
        checks: &[Check {
            attr: "eoi",
            values: ON_OFF,
            refusal: Refusal::Enum,
        }],
        ..rule("features/apic", &["eoi"])
    },
    Rule {
        checks: &[Check {
            attr: "version",
            values: &["2", "3", "host"],
            refusal: Refusal::Enum,
        }],
        ..rule("features/gic", &["version"])
    },
    state_rule("features/smm"),
    Rule {
        children: &[
            "relaxed",
            "vapic",
            "spinlocks",
            "vpindex",
            "runtime",
            "synic",
            "stimer",
            "reset",
            "vendor_id",
            "frequencies",
            "reenlightenment",
            "tlbflush",
            "ipi",
            "evmcs",
            "avic",
        ],
        defaults: &[("mode", "custom")],
        ..rule("features/hyperv", &["mode"])
    },
    Rule {
        checks: &[Check {
            attr: "state",
            values: ON_OFF,
            refusal: Refusal::Enum,
        }],
        ..rule("features/hyperv/spinlocks", &["state", "retries"])
    },
    Rule {
        checks: &[Check {
            attr: "state",
            values: ON_OFF,
            refusal: Refusal::Enum,
        }],
        ..rule("features/hyperv/vendor_id", &["state", "value"])
    },
    state_rule("features/hyperv/*"),
    state_rule("features/kvm/*"),
    Rule {
        checks: &[
            Check {
                attr: "model",
                values: WATCHDOG_MODELS,
                refusal: Refusal::Unknown("unknown watchdog model"),
            },
            Check {
                attr: "action",
                values: WATCHDOG_ACTIONS,
                refusal: Refusal::Unknown("unknown watchdog action"),
            },
        ],
        defaults: &[("action", "reset")],
        ..rule("watchdog", &["model", "action"])
    },
    Rule {
        children: &["rate", "backend"],
        checks: &[Check {
            attr: "model",
            values: RNG_MODELS,
            refusal: Refusal::Unknown("unknown RNG model"),
        }],
        ..rule("rng", &["model"])
    },
    rule("rng/rate", &["bytes", "period"]),
    Rule {
        children: &["source", "protocol"],
        checks: &[Check {
            attr: "model",
            values: RNG_BACKENDS,
            refusal: Refusal::Unknown("unknown RNG backend model"),
        }],
        ..rule("rng/backend", &["model", "type"])
    },
    Rule {
        checks: &[Check {
            attr: "model",
            values: PANIC_MODELS,
            refusal: Refusal::Unknown("unknown panic model"),
        }],
        ..rule("panic", &["model"])
    },
    Rule {
        checks: &[Check {
            attr: "model",
            values: SOUND_MODELS,
            refusal: Refusal::Enum,
        }],
        ..rule("sound", &["model"])
    },
    Rule {
        checks: &[Check {
            attr: "type",
            values: CODEC_TYPES,
            refusal: Refusal::Unknown("unknown codec type"),
        }],
        ..rule("sound/codec", &["type"])
    },
    Rule {
        checks: &[Check {
            attr: "type",
            values: &["usb"],
            refusal: Refusal::Unknown("unknown hub device type"),
        }],
        ..rule("hub", &["type"])
    },
    Rule {
        checks: &[Check {
            attr: "mode",
            values: &["host", "host-certificates", "passthrough"],
            refusal: Refusal::Enum,
        }],
        ..rule("smartcard", &["mode", "type"])
    },
    Rule {
        children: &["backend"],
        ..rule("tpm", &["model"])
    },
    Rule {
        checks: &[Check {
            attr: "type",
            values: &["passthrough", "emulator", "external"],
            refusal: Refusal::Enum,
        }],
        children: &["device", "encryption", "active_pcr_banks", "source"],
        ..rule("tpm/backend", &["type", "version", "persistent_state"])
    },
    Rule {
        children: &["sha1", "sha256", "sha384", "sha512"],
        ..rule("tpm/backend/active_pcr_banks", &[])
    },
    Rule {
        checks: &[Check {
            attr: "model",
            values: &["intel", "smmuv3", "virtio"],
            refusal: Refusal::Enum,
        }],
        ..rule("iommu", &["model"])
    },
    rule(
        "iommu/driver",
        &["intremap", "caching_mode", "eim", "iotlb", "aw_bits"],
    ),
    Rule {
        checks: &[Check {
            attr: "accessmode",
            values: &["passthrough", "mapped", "squash"],
            refusal: Refusal::Enum,
        }],
        ..rule("filesystem", &["type", "accessmode", "model", "multidevs"])
    },
    Rule {
        checks: &[
            Check {
                attr: "mode",
                values: &["subsystem", "capabilities"],
                refusal: Refusal::Unknown("unknown hostdev mode"),
            },
            Check {
                attr: "type",
                values: HOSTDEV_SUBSYS,
                refusal: Refusal::Unknown("unknown host device source address type"),
            },
        ],
        defaults: &[("managed", "no")],
        ..rule(
            "hostdev",
            &[
                "mode", "type", "managed", "sgio", "rawio", "model", "display", "ramfb",
            ],
        )
    },
    Rule {
        checks: &[Check {
            attr: "state",
            values: &["up", "down"],
            refusal: Refusal::Unknown("unknown interface link state"),
        }],
        ..rule("interface/link", &["state"])
    },
    Rule {
        children: &["inbound", "outbound"],
        ..rule("interface/bandwidth", &[])
    },
    rule(
        "interface/bandwidth/inbound",
        &["average", "peak", "floor", "burst"],
    ),
    rule(
        "interface/bandwidth/outbound",
        &["average", "peak", "floor", "burst"],
    ),
    rule(
        "interface/driver",
        &[
            "name",
            "txmode",
            "ioeventfd",
            "event_idx",
            "queues",
            "rx_queue_size",
            "tx_queue_size",
            "rss",
            "rss_hash_report",
        ],
    ),
    rule(
        "input/source",
        &["evdev", "dev", "grab", "grabToggle", "repeat"],
    ),
    rule(
        "disk/blockio",
        &[
            "logical_block_size",
            "physical_block_size",
            "discard_granularity",
        ],
    ),
    Rule {
        children: &super::params::IOTUNE_PARAMS,
        ..rule("disk/iotune", &[])
    },
    Rule {
        checks: &[Check {
            attr: "trans",
            values: &["none", "auto", "lba"],
            refusal: Refusal::Enum,
        }],
        ..rule("disk/geometry", &["cyls", "heads", "secs", "trans"])
    },
];

/// The rule for `path`, else the `parent/*` rule.
fn find(path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.path == path).or_else(|| {
        let (parent, _) = path.rsplit_once('/')?;
        RULES
            .iter()
            .find(|r| r.path.strip_suffix("/*") == Some(parent))
    })
}

fn refuse(check: &Check, element: &str, value: &str) -> rvirt_types::Error {
    match check.refusal {
        Refusal::Enum => xml::invalid_enum_attr(check.attr, element, value),
        Refusal::Unknown(prefix) => xml::config_unsupported(format!("{prefix} '{value}'")),
    }
}

/// Validates `el` (found at `path`) and its subtree, fills libvirt's defaults and orders
/// attributes and children as libvirt prints them.
pub(crate) fn canonicalize(el: &mut RawElement, path: &str) -> Result<()> {
    if let Some(rule) = find(path) {
        for check in rule.checks {
            if let Some(v) = el.attr(check.attr) {
                if !check.values.contains(&v) {
                    return Err(refuse(check, &el.name, v));
                }
            }
        }
        for (k, v) in rule.defaults {
            if el.attr(k).is_none() {
                el.attrs.push(((*k).to_string(), (*v).to_string()));
            }
        }
        el.attrs.sort_by_key(|(k, _)| {
            rule.attrs
                .iter()
                .position(|o| o == k)
                .unwrap_or(rule.attrs.len())
        });
        if !rule.children.is_empty() {
            el.children.sort_by_key(|c| match c {
                RawNode::Element(e) => rule
                    .children
                    .iter()
                    .position(|o| *o == e.name)
                    .unwrap_or(rule.children.len()),
                RawNode::Text(_) | RawNode::Markup(_) => 0,
            });
        }
    }
    for c in &mut el.children {
        if let RawNode::Element(e) = c {
            let sub = format!("{path}/{}", e.name);
            canonicalize(e, &sub)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawElement {
        let doc = roxmltree::Document::parse(text).expect("xml");
        RawElement::from_node(doc.root_element(), false)
    }

    #[test]
    fn watchdog_defaults_and_order() {
        let mut w = raw("<watchdog action='poweroff' model='ib700'/>");
        canonicalize(&mut w, "watchdog").expect("valid");
        assert_eq!(w.attrs[0].0, "model");
        let mut w = raw("<watchdog model='ib700'/>");
        canonicalize(&mut w, "watchdog").expect("valid");
        assert_eq!(w.attr("action"), Some("reset"));
        let mut w = raw("<watchdog model='x'/>");
        let e = canonicalize(&mut w, "watchdog").expect_err("invalid");
        assert_eq!(
            e.message,
            "unsupported configuration: unknown watchdog model 'x'"
        );
    }
}
