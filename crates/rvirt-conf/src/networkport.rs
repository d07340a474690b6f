//! The network port definition (`<networkport>`), as libvirt's `virnetworkportdef.c` reads and
//! writes it: the port's UUID, the domain that owns it, its MAC, portgroup, virtual port
//! profile, bandwidth (with a `floor` and the class ID of the network's QoS), VLAN, isolation,
//! guest RX filter trust, and how it is plugged (network or bridge, macvtap device, PCI
//! hostdev).
//!
//! `<virtualport>` and `<vlan>` are kept as written ([`RawElement`]), as the network parser
//! keeps them.

use crate::domain::{format_mac, parse_mac};
use crate::network::{BandwidthDef, format_bandwidth_class, parse_rate_values, tristate, yes_no};
use crate::raw::RawElement;
use crate::xml::{self, XmlWriter, child};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};

fn net_err(code: ErrorNumber, detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::NETWORK, code, detail)
}

fn internal(detail: impl Into<String>) -> Error {
    net_err(ErrorNumber::INTERNAL_ERROR, detail)
}

fn xml_err(detail: impl Into<String>) -> Error {
    net_err(ErrorNumber::XML_ERROR, detail)
}

/// The bridge MAC table managers a port may name (`virNetworkBridgeMACTableManager`, but
/// `default`).
const MAC_TABLE_MANAGERS: [&str; 2] = ["kernel", "libvirt"];

/// macvtap modes (`virNetDevMacVLanMode`); the first is the default.
const MACVLAN_MODES: [&str; 4] = ["vepa", "private", "bridge", "passthrough"];

/// Drivers of a PCI hostdev port (`virNetworkForwardDriverName`, but `default`).
const HOSTDEV_DRIVERS: [&str; 2] = ["kvm", "vfio"];

/// How a port is plugged into the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PortPlug {
    /// `none` (or no `<plug>`).
    #[default]
    None,
    /// `network` or `bridge`: the bridge and its MAC table manager.
    Bridge {
        /// `true` for `type='network'`, `false` for `type='bridge'`.
        network: bool,
        /// `bridge`.
        bridge: String,
        /// `macTableManager`.
        mac_table_manager: Option<&'static str>,
    },
    /// `direct`: a macvtap on `dev`.
    Direct {
        /// `dev`.
        dev: String,
        /// `mode`, `vepa` unless given.
        mode: &'static str,
    },
    /// `hostdev-pci`: a PCI device handed to the guest.
    HostdevPci {
        /// `managed`.
        managed: Option<bool>,
        /// `<driver name=…>`.
        driver: Option<&'static str>,
        /// `<address>`: domain, bus, slot, function.
        addr: [u32; 4],
    },
}

/// A network port definition (`virNetworkPortDef`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkPortDef {
    /// `<uuid>`.
    pub uuid: Uuid,
    /// `<owner><name>`.
    pub owner_name: String,
    /// `<owner><uuid>`.
    pub owner_uuid: Uuid,
    /// `<group>`: the portgroup.
    pub group: Option<String>,
    /// `<mac address=…>`.
    pub mac: [u8; 6],
    /// `<virtualport>`.
    pub virtualport: Option<RawElement>,
    /// `<bandwidth>` (only when it has a rate).
    pub bandwidth: Option<BandwidthDef>,
    /// `<bandwidth classID=…>` (0: none).
    pub class_id: u32,
    /// `<vlan>`.
    pub vlan: Option<RawElement>,
    /// `<port isolated=…>`.
    pub isolated: Option<bool>,
    /// `<rxfilters trustGuest=…>`.
    pub trust_guest_rx_filters: Option<bool>,
    /// `<plug>`.
    pub plug: PortPlug,
}

/// `string(PATH)` as libvirt reads it: the text of the first matching child, absent when empty.
fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    let c = child(node, name)?;
    let t: String = c
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    (!t.is_empty()).then_some(t)
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse(s.trim()).map_err(|_| internal(format!("Unable to parse UUID '{s}'")))
}

/// `virNetDevBandwidthParse` with a class ID and a floor allowed on `<inbound>`.
fn parse_bandwidth(node: roxmltree::Node<'_, '_>) -> Result<(Option<BandwidthDef>, u32)> {
    let detail =
        |m: &str| Error::with_detail(ErrorDomain::NONE, ErrorNumber::XML_DETAIL, m.to_string());
    let class_id = match node.attribute("classID") {
        None => 0,
        Some(v) => v.trim().parse::<u32>().map_err(|_| {
            Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::INTERNAL_ERROR,
                format!("Unable to parse class id '{v}'"),
            )
        })?,
    };
    let (mut inbound, mut outbound) = (None, None);
    for c in node.children().filter(|c| c.is_element()) {
        match c.tag_name().name() {
            "inbound" if inbound.is_some() => {
                return Err(detail("Only one child <inbound> element allowed"));
            }
            "inbound" => inbound = Some(c),
            "outbound" if outbound.is_some() => {
                return Err(detail("Only one child <outbound> element allowed"));
            }
            "outbound" => outbound = Some(c),
            _ => {}
        }
    }
    let inbound = inbound.map(parse_rate_values).transpose()?;
    let outbound = outbound.map(parse_rate_values).transpose()?;
    if outbound.is_some_and(|o| o.floor != 0) {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::CONFIG_UNSUPPORTED,
            "'floor' attribute allowed only in <inbound> element",
        ));
    }
    let bw =
        (inbound.is_some() || outbound.is_some()).then_some(BandwidthDef { inbound, outbound });
    Ok((bw, class_id))
}

fn parse_plug(root: roxmltree::Node<'_, '_>) -> Result<PortPlug> {
    let Some(plug) = child(root, "plug") else {
        return Ok(PortPlug::None);
    };
    let kind = xml::attr_enum(
        plug,
        "type",
        &["none", "network", "bridge", "direct", "hostdev-pci"],
    )?;
    Ok(match kind.unwrap_or("none") {
        "network" | "bridge" => {
            let bridge = plug
                .attribute("bridge")
                .ok_or_else(|| xml_err("Missing network port bridge name"))?;
            let mac_table_manager = match plug.attribute("macTableManager") {
                None => None,
                Some(m) => Some(*MAC_TABLE_MANAGERS.iter().find(|x| **x == m).ok_or_else(
                    || {
                        xml_err(format!(
                            "Invalid macTableManager setting '{m}' in network port"
                        ))
                    },
                )?),
            };
            PortPlug::Bridge {
                network: kind == Some("network"),
                bridge: bridge.to_string(),
                mac_table_manager,
            }
        }
        "direct" => {
            let dev = plug
                .attribute("dev")
                .ok_or_else(|| xml_err("Missing network port link device name"))?;
            let mode = match plug.attribute("mode") {
                None => MACVLAN_MODES[0],
                Some(m) => MACVLAN_MODES.iter().find(|x| **x == m).ok_or_else(|| {
                    xml_err(format!("Invalid mode setting '{m}' in network port"))
                })?,
            };
            PortPlug::Direct {
                dev: dev.to_string(),
                mode,
            }
        }
        "hostdev-pci" => {
            let managed = tristate(plug, "managed")?;
            let driver = match child(plug, "driver").and_then(|d| d.attribute("name")) {
                None => None,
                Some(d) => Some(
                    *HOSTDEV_DRIVERS
                        .iter()
                        .find(|x| **x == d)
                        .ok_or_else(|| xml_err("Missing network port driver name"))?,
                ),
            };
            let address = child(plug, "address")
                .ok_or_else(|| xml_err("Missing network port PCI address"))?;
            PortPlug::HostdevPci {
                managed,
                driver,
                addr: parse_pci_address(address)?,
            }
        }
        _ => PortPlug::None,
    })
}

/// `virPCIDeviceAddressParseXML`: numbers in C's notations, checked against the PCI limits
/// unless domain, bus and slot are all 0.
fn parse_pci_address(address: roxmltree::Node<'_, '_>) -> Result<[u32; 4]> {
    let bad = |m: String| Error::with_detail(ErrorDomain::XML, ErrorNumber::XML_ERROR, m);
    let mut addr = [0u32; 4];
    for (slot, attr) in addr.iter_mut().zip(["domain", "bus", "slot", "function"]) {
        if let Some(v) = address.attribute(attr) {
            *slot = xml::parse_uint_auto(v).ok_or_else(|| {
                bad(format!(
                    "Invalid value for attribute '{attr}' in element 'address': '{v}'. \
                     Expected integer value"
                ))
            })?;
        }
    }
    let [domain, bus, slot, function] = addr;
    if domain != 0 || bus != 0 || slot != 0 {
        if bus > 0xff {
            return Err(bad(format!(
                "Invalid PCI address bus='{bus:#x}', must be <= 0xFF"
            )));
        }
        if slot > 0x1f {
            return Err(bad(format!(
                "Invalid PCI address slot='{slot:#x}', must be <= 0x1F"
            )));
        }
        if function > 7 {
            return Err(bad(format!(
                "Invalid PCI address function={function:#x}, must be <= 7"
            )));
        }
    }
    Ok(addr)
}

impl NetworkPortDef {
    /// `virNetworkPortDefParse`: reads a `<networkport>` document with libvirt's checks.
    pub fn parse_xml(text: &str) -> Result<NetworkPortDef> {
        let doc = xml::parse_document(text, "(networkport_definition)", ErrorDomain::NETWORK)?;
        let root = doc.root_element();
        if root.tag_name().name() != "networkport" {
            return Err(xml::wrong_root("networkport", root.tag_name().name()));
        }
        let uuid = text_of(root, "uuid").ok_or_else(|| internal("network port has no uuid"))?;
        let uuid = parse_uuid(&uuid)?;
        let owner = child(root, "owner");
        let owner_name = owner
            .and_then(|o| text_of(o, "name"))
            .ok_or_else(|| internal("network port has no owner name"))?;
        let owner_uuid = owner
            .and_then(|o| text_of(o, "uuid"))
            .ok_or_else(|| internal("network port has no owner UUID"))?;
        let owner_uuid = parse_uuid(&owner_uuid)?;
        let group = text_of(root, "group");
        let virtualport = child(root, "virtualport").map(|v| RawElement::from_node(v, false));
        let mac = child(root, "mac")
            .and_then(|m| m.attribute("address"))
            .ok_or_else(|| internal("network port has no mac"))?;
        let mac = parse_mac(mac).ok_or_else(|| internal(format!("Unable to parse MAC '{mac}'")))?;
        let (bandwidth, class_id) = match child(root, "bandwidth") {
            Some(b) => parse_bandwidth(b)?,
            None => (None, 0),
        };
        let vlan = child(root, "vlan").map(|v| RawElement::from_node(v, false));
        let isolated = match child(root, "port") {
            Some(p) => tristate(p, "isolated")?,
            None => None,
        };
        let trust_guest_rx_filters = match child(root, "rxfilters") {
            Some(r) => tristate(r, "trustGuest")?,
            None => None,
        };
        let plug = parse_plug(root)?;
        Ok(NetworkPortDef {
            uuid,
            owner_name,
            owner_uuid,
            group,
            mac,
            virtualport,
            bandwidth,
            class_id,
            vlan,
            isolated,
            trust_guest_rx_filters,
            plug,
        })
    }

    /// The XML, as `virNetworkPortDefFormat` writes it.
    pub fn format(&self) -> String {
        let mut w = XmlWriter::default();
        w.start("networkport", &[]);
        w.text("uuid", &[], &self.uuid.to_string());
        w.start("owner", &[]);
        w.text("name", &[], &self.owner_name);
        w.text("uuid", &[], &self.owner_uuid.to_string());
        w.end("owner");
        if let Some(g) = &self.group {
            w.text("group", &[], g);
        }
        w.empty("mac", &[("address", &format_mac(&self.mac))]);
        let mut out = w.finish();
        if let Some(v) = &self.virtualport {
            v.format_libvirt(&mut out, 1);
        }
        let mut w = XmlWriter::with_depth(1);
        if let Some(b) = &self.bandwidth {
            format_bandwidth_class(&mut w, b, self.class_id);
        }
        out.push_str(&w.finish());
        if let Some(v) = &self.vlan {
            v.format_libvirt(&mut out, 1);
        }
        let mut w = XmlWriter::with_depth(1);
        if let Some(i) = self.isolated {
            w.empty("port", &[("isolated", yes_no(i))]);
        }
        if let Some(t) = self.trust_guest_rx_filters {
            w.empty("rxfilters", &[("trustGuest", yes_no(t))]);
        }
        match &self.plug {
            PortPlug::None => {}
            PortPlug::Bridge {
                network,
                bridge,
                mac_table_manager,
            } => {
                let kind = if *network { "network" } else { "bridge" };
                let mut a = vec![("type", kind), ("bridge", bridge.as_str())];
                if let Some(m) = mac_table_manager {
                    a.push(("macTableManager", m));
                }
                w.empty("plug", &a);
            }
            PortPlug::Direct { dev, mode } => {
                w.empty(
                    "plug",
                    &[("type", "direct"), ("dev", dev.as_str()), ("mode", mode)],
                );
            }
            PortPlug::HostdevPci {
                managed,
                driver,
                addr,
            } => {
                let mut a = vec![("type", "hostdev-pci")];
                if let Some(m) = managed {
                    a.push(("managed", yes_no(*m)));
                }
                w.start("plug", &a);
                if let Some(d) = driver {
                    w.empty("driver", &[("name", d)]);
                }
                let (d, b, s, f) = (
                    format!("0x{:04x}", addr[0]),
                    format!("0x{:02x}", addr[1]),
                    format!("0x{:02x}", addr[2]),
                    format!("0x{}", addr[3]),
                );
                w.empty(
                    "address",
                    &[("domain", &d), ("bus", &b), ("slot", &s), ("function", &f)],
                );
                w.end("plug");
            }
        }
        out.push_str(&w.finish());
        out.push_str("</networkport>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use std::path::Path;

    const SCHEMA: &str = "/usr/share/libvirt/schemas/networkport.rng";

    fn testdata() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/networkport-xml")
    }

    /// Every `NAME.in.xml` formats as `NAME.out.xml`, which formats as itself and which
    /// libvirt's schema (xmllint, where installed) accepts.
    #[test]
    fn testdata_formats_as_expected_and_validates() {
        let mut n = 0;
        let mut outs = Vec::new();
        for e in std::fs::read_dir(testdata()).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".in.xml") else {
                continue;
            };
            let out_path = testdata().join(format!("{stem}.out.xml"));
            let want = std::fs::read_to_string(&out_path).unwrap();
            let got = NetworkPortDef::parse_xml(&std::fs::read_to_string(&p).unwrap())
                .unwrap()
                .format();
            assert_eq!(got, want, "{name}");
            let again = NetworkPortDef::parse_xml(&got).unwrap().format();
            assert_eq!(again, got, "{name}: not a fixed point");
            outs.push(out_path);
            n += 1;
        }
        assert!(n >= 5);
        if !Path::new(SCHEMA).exists() {
            eprintln!("{SCHEMA} is missing: apt-get install libvirt-daemon-system");
            return;
        }
        let Ok(out) = std::process::Command::new("xmllint")
            .args(["--noout", "--relaxng", SCHEMA])
            .args(&outs)
            .output()
        else {
            eprintln!("xmllint is missing: apt-get install libxml2-utils");
            return;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.lines().filter(|l| l.ends_with(" validates")).count(),
            outs.len(),
            "{stderr}"
        );
    }

    fn port(body: &str) -> String {
        format!(
            "<networkport><uuid>0f6e3a51-8c2d-4b7e-9a10-3c4d5e6f7a81</uuid><owner><name>g</name>\
             <uuid>a1b2c3d4-e5f6-4718-8293-a4b5c6d7e8f9</uuid></owner>{body}</networkport>"
        )
    }

    /// libvirt's errors, with its codes and words.
    #[test]
    fn bad_ports_fail_as_in_libvirt() {
        let mac = "<mac address='52:54:00:00:00:01'/>";
        let cases: Vec<(String, ErrorNumber, &str)> = vec![
            (
                "<networkport/>".into(),
                ErrorNumber::INTERNAL_ERROR,
                "network port has no uuid",
            ),
            (
                "<networkport><uuid>x</uuid></networkport>".into(),
                ErrorNumber::INTERNAL_ERROR,
                "Unable to parse UUID 'x'",
            ),
            (
                "<networkport><uuid>0f6e3a51-8c2d-4b7e-9a10-3c4d5e6f7a81</uuid></networkport>"
                    .into(),
                ErrorNumber::INTERNAL_ERROR,
                "network port has no owner name",
            ),
            (
                port(""),
                ErrorNumber::INTERNAL_ERROR,
                "network port has no mac",
            ),
            (
                port("<mac address='52:54:00:00:00'/>"),
                ErrorNumber::INTERNAL_ERROR,
                "Unable to parse MAC '52:54:00:00:00'",
            ),
            (
                port(&format!("{mac}<plug type='bridge'/>")),
                ErrorNumber::XML_ERROR,
                "Missing network port bridge name",
            ),
            (
                port(&format!(
                    "{mac}<plug type='network' bridge='b' macTableManager='default'/>"
                )),
                ErrorNumber::XML_ERROR,
                "Invalid macTableManager setting 'default' in network port",
            ),
            (
                port(&format!("{mac}<plug type='direct'/>")),
                ErrorNumber::XML_ERROR,
                "Missing network port link device name",
            ),
            (
                port(&format!("{mac}<plug type='direct' dev='e' mode='x'/>")),
                ErrorNumber::XML_ERROR,
                "Invalid mode setting 'x' in network port",
            ),
            (
                port(&format!("{mac}<plug type='hostdev-pci'/>")),
                ErrorNumber::XML_ERROR,
                "Missing network port PCI address",
            ),
            (
                port(&format!(
                    "{mac}<plug type='hostdev-pci'><driver name='default'/><address/></plug>"
                )),
                ErrorNumber::XML_ERROR,
                "Missing network port driver name",
            ),
            (
                port(&format!("{mac}<plug type='tap'/>")),
                ErrorNumber::XML_ERROR,
                "Invalid value for attribute 'type' in element 'plug': 'tap'.",
            ),
            (
                port(&format!(
                    "{mac}<bandwidth><outbound average='1' floor='2'/></bandwidth>"
                )),
                ErrorNumber::CONFIG_UNSUPPORTED,
                "'floor' attribute allowed only in <inbound> element",
            ),
            (
                port(&format!(
                    "{mac}<bandwidth><inbound average='1'/><inbound average='2'/></bandwidth>"
                )),
                ErrorNumber::XML_DETAIL,
                "Only one child <inbound> element allowed",
            ),
            (
                "<network/>".into(),
                ErrorNumber::XML_ERROR,
                "expecting root element of 'networkport', not 'network'",
            ),
        ];
        for (xml, code, detail) in cases {
            let e = NetworkPortDef::parse_xml(&xml).unwrap_err();
            assert_eq!(e.code, code, "{xml}: {e}");
            assert!(e.message.contains(detail), "{xml}: {}", e.message);
        }
    }

    proptest! {
        /// Whatever combination of parts a port has, its XML reads back to the same port.
        #[test]
        fn round_trip(
            group in proptest::option::of("[a-z][a-z0-9 &<>'-]{0,10}"),
            mac in any::<[u8; 6]>(),
            inbound in proptest::option::of((1u64..100_000, 0u64..100_000, 0u64..1000)),
            outbound in proptest::option::of(1u64..100_000),
            class_id in 0u32..10,
            isolated in proptest::option::of(any::<bool>()),
            trust in proptest::option::of(any::<bool>()),
            plug in 0usize..6,
            addr in any::<[u8; 4]>(),
        ) {
            let plug = match plug {
                0 => PortPlug::None,
                1 => PortPlug::Bridge { network: true, bridge: "virbr0".into(), mac_table_manager: Some("kernel") },
                2 => PortPlug::Bridge { network: false, bridge: "br0".into(), mac_table_manager: None },
                3 => PortPlug::Direct { dev: "eth0".into(), mode: MACVLAN_MODES[addr[0] as usize % 4] },
                4 => PortPlug::HostdevPci { managed: isolated, driver: Some("vfio"), addr: [addr[0] as u32, addr[1] as u32, (addr[2] % 32) as u32, (addr[3] % 8) as u32] },
                _ => PortPlug::HostdevPci { managed: None, driver: None, addr: [0, 0, 1, 0] },
            };
            let bandwidth = (inbound.is_some() || outbound.is_some()).then(|| BandwidthDef {
                inbound: inbound.map(|(average, peak, floor)| crate::network::BandwidthRate { average, peak, floor, burst: 0 }),
                outbound: outbound.map(|average| crate::network::BandwidthRate { average, ..Default::default() }),
            });
            let def = NetworkPortDef {
                uuid: Uuid::generate(),
                owner_name: "guest".into(),
                owner_uuid: Uuid::generate(),
                group: group.filter(|g| !g.trim().is_empty() && g.trim() == g),
                mac,
                virtualport: None,
                class_id: if bandwidth.is_some() { class_id } else { 0 },
                bandwidth,
                vlan: None,
                isolated,
                trust_guest_rx_filters: trust,
                plug,
            };
            let xml = def.format();
            let back = NetworkPortDef::parse_xml(&xml).unwrap();
            prop_assert_eq!(&back, &def);
            prop_assert_eq!(back.format(), xml);
        }
    }
}
