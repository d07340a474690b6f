//! Character devices as device calls see them: one read on its own and numbered against a
//! domain, found in a domain by libvirt's rules of sameness, added and taken out with the
//! first console that stands for the first serial port.

use super::DomainDef;
use super::devices::{ChrDef, Devices};
use rvirt_types::Result;

/// The kind of a character device, by its element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChrKind {
    /// `<serial>`.
    Serial,
    /// `<parallel>`.
    Parallel,
    /// `<console>`.
    Console,
    /// `<channel>`.
    Channel,
}

impl ChrKind {
    /// Every kind, in libvirt's order of character devices (`virDomainChrDefForeach`).
    pub const ALL: [ChrKind; 4] = [
        ChrKind::Serial,
        ChrKind::Parallel,
        ChrKind::Channel,
        ChrKind::Console,
    ];

    /// The kind an element name is (`serial`, `parallel`, `console`, `channel`).
    pub fn from_element(name: &str) -> Option<ChrKind> {
        Some(match name {
            "serial" => ChrKind::Serial,
            "parallel" => ChrKind::Parallel,
            "console" => ChrKind::Console,
            "channel" => ChrKind::Channel,
            _ => return None,
        })
    }

    /// The element name, as libvirt's errors name the kind.
    pub fn name(self) -> &'static str {
        match self {
            ChrKind::Serial => "serial",
            ChrKind::Parallel => "parallel",
            ChrKind::Console => "console",
            ChrKind::Channel => "channel",
        }
    }
}

impl ChrDef {
    /// A character device of source type `source_type` with `source`'s attributes, and
    /// nothing else (no target, alias or address yet).
    pub fn new(source_type: &str, source: Vec<(String, String)>) -> ChrDef {
        ChrDef {
            source_type: source_type.into(),
            source,
            udp_connect: None,
            protocol: None,
            target_type: None,
            target_port: None,
            target_extra: Vec::new(),
            target_model: None,
            reconnect: None,
            log: None,
            tls_from_config: false,
            info: super::DeviceInfo::default(),
        }
    }

    /// A character device source kept inside another device's element (`node`: a random
    /// number generator's `egd` `<backend type=…>`), read as a character device's source.
    pub fn parse_backend(node: roxmltree::Node<'_, '_>) -> Result<ChrDef> {
        ChrDef::parse(node, true)
    }

    /// Whether this is a console standing for the first serial port (target type `serial`,
    /// or none given).
    pub fn is_serial_console(&self) -> bool {
        matches!(self.target_type.as_deref(), None | Some("serial"))
    }

    /// The value of the source's attribute `k` (`path`, `mode`, `host`…).
    pub fn source_attr(&self, k: &str) -> Option<&str> {
        self.source
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// The value of attribute `k` of a udp device's `connect` source (`host`, `service`).
    pub fn udp_connect_attr(&self, k: &str) -> Option<&str> {
        self.udp_connect
            .as_ref()?
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the target's attribute `k` other than its type and port (`name`,
    /// `address`, `state`).
    fn target_attr(&self, k: &str) -> Option<&str> {
        self.target_extra
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the two sources are the same one, by what matters for their type (libvirt's
    /// `virDomainChrSourceDefIsEqual`).
    pub fn same_source(&self, other: &ChrDef) -> bool {
        if self.source_type != other.source_type {
            return false;
        }
        let same = |k: &str| self.source_attr(k) == other.source_attr(k);
        let listens = |c: &ChrDef| c.source_attr("mode") == Some("bind");
        match self.source_type.as_str() {
            "file" => {
                same("path")
                    && self.source_attr("append").unwrap_or("default")
                        == other.source_attr("append").unwrap_or("default")
            }
            "pty" | "dev" | "pipe" => same("path"),
            "udp" => same("host") && same("service") && self.udp_connect == other.udp_connect,
            "tcp" => {
                listens(self) == listens(other)
                    && self.protocol == other.protocol
                    && same("host")
                    && same("service")
                    && self.reconnect == other.reconnect
            }
            "unix" => {
                listens(self) == listens(other) && same("path") && self.reconnect == other.reconnect
            }
            "spiceport" => same("channel"),
            _ => true,
        }
    }

    /// Whether `other`, a device of kind `kind` too, is this one (libvirt's
    /// `virDomainChrEquals`): the same source, and the same target as the kind counts it (a
    /// channel's name or guest address, a port's number).
    pub fn same_device(&self, other: &ChrDef, kind: ChrKind) -> bool {
        if !self.same_source(other) {
            return false;
        }
        match kind {
            ChrKind::Channel => {
                self.target_type == other.target_type
                    && match self.target_type.as_deref() {
                        Some("guestfwd") => {
                            self.target_attr("address") == other.target_attr("address")
                                && self.target_port == other.target_port
                        }
                        _ => self.target_attr("name") == other.target_attr("name"),
                    }
            }
            ChrKind::Serial => {
                self.target_type == other.target_type && self.target_port == other.target_port
            }
            ChrKind::Console | ChrKind::Parallel => self.target_port == other.target_port,
        }
    }
}

impl Devices {
    /// The character devices of kind `kind`.
    pub fn chr_list(&self, kind: ChrKind) -> &Vec<ChrDef> {
        match kind {
            ChrKind::Serial => &self.serials,
            ChrKind::Parallel => &self.parallels,
            ChrKind::Console => &self.consoles,
            ChrKind::Channel => &self.channels,
        }
    }

    /// The character devices of kind `kind`, to change.
    fn chr_list_mut(&mut self, kind: ChrKind) -> &mut Vec<ChrDef> {
        match kind {
            ChrKind::Serial => &mut self.serials,
            ChrKind::Parallel => &mut self.parallels,
            ChrKind::Console => &mut self.consoles,
            ChrKind::Channel => &mut self.channels,
        }
    }

    /// Calls `f` on every character device, in libvirt's order (serial ports, parallel
    /// ports, channels, consoles).
    pub fn for_each_chr_mut(&mut self, mut f: impl FnMut(&mut ChrDef)) {
        for kind in ChrKind::ALL {
            self.chr_list_mut(kind).iter_mut().for_each(&mut f);
        }
    }

    /// Where the device of kind `kind` that is `chr` (see [`ChrDef::same_device`]) is.
    pub fn find_chr(&self, kind: ChrKind, chr: &ChrDef) -> Option<usize> {
        self.chr_list(kind)
            .iter()
            .position(|c| c.same_device(chr, kind))
    }

    /// Adds `chr` after the devices of its kind; the first serial port of a guest with no
    /// serial port and no console gets its console too (libvirt's `qemuDomainChrInsert`,
    /// whose checks are the caller's).
    pub fn insert_chr(&mut self, kind: ChrKind, chr: ChrDef) {
        let compat = kind == ChrKind::Serial && self.serials.is_empty() && self.consoles.is_empty();
        self.chr_list_mut(kind).push(chr);
        if compat {
            self.consoles.push(super::devices::serial_alias());
        }
    }

    /// Takes out the device of kind `kind` that is `chr`, with the first console when that
    /// stood for it (libvirt's `qemuDomainChrRemove`, whose checks are the caller's).
    pub fn remove_chr(&mut self, kind: ChrKind, chr: &ChrDef) -> Option<ChrDef> {
        let at = self.find_chr(kind, chr)?;
        let compat = kind == ChrKind::Serial
            && at == 0
            && self.consoles.first().is_some_and(ChrDef::is_serial_console);
        let removed = self.chr_list_mut(kind).remove(at);
        if compat {
            self.consoles.remove(0);
        }
        Some(removed)
    }

    /// Removes the character device whose alias is `alias` (with the console standing for
    /// it); its kind and itself.
    pub fn remove_chr_by_alias(&mut self, alias: &str) -> Option<(ChrKind, ChrDef)> {
        let (kind, at) = self.find_chr_by_alias(alias)?;
        let chr = self.chr_list(kind)[at].clone();
        self.remove_chr(kind, &chr).map(|c| (kind, c))
    }

    /// The kind of the character device whose alias is `alias`, and where it is in the
    /// devices of that kind.
    pub fn find_chr_by_alias(&self, alias: &str) -> Option<(ChrKind, usize)> {
        ChrKind::ALL.into_iter().find_map(|kind| {
            let list = self.chr_list(kind);
            let at = list
                .iter()
                .position(|c| c.info.alias.as_deref() == Some(alias))?;
            Some((kind, at))
        })
    }
}

impl DomainDef {
    /// A character device element (`node`, a `<serial>`, `<parallel>`, `<console>` or
    /// `<channel>`) read as a device call reads it against this domain: a console's target
    /// type `serial` when none is given, a port's number one past the highest of its kind
    /// here when none is given. `live` keeps a pty's path (a detach names the device by it).
    pub fn parse_chr_device(
        &self,
        node: roxmltree::Node<'_, '_>,
        live: bool,
    ) -> Result<(ChrKind, ChrDef)> {
        let Some(kind) = ChrKind::from_element(node.tag_name().name()) else {
            return Err(crate::xml::xml_error(format!(
                "unknown character device '{}'",
                node.tag_name().name()
            )));
        };
        let mut chr = ChrDef::parse(node, live)?;
        if kind == ChrKind::Console && chr.target_type.is_none() {
            chr.target_type = Some("serial".into());
        }
        if chr.target_port.is_none() && kind != ChrKind::Channel {
            // The console standing for the first serial port has no number of its own.
            let max = self
                .devices
                .chr_list(kind)
                .iter()
                .filter_map(|c| c.target_port)
                .max();
            chr.target_port = Some(max.map_or(0, |m| m.saturating_add(1)));
        }
        Ok((kind, chr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOptions;

    fn domain(devices: &str) -> DomainDef {
        let xml = format!(
            "<domain type='qemu'><name>c</name><memory unit='KiB'>1024</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>{devices}</devices></domain>"
        );
        DomainDef::parse_xml(&xml, ParseOptions::default()).expect("domain")
    }

    fn device(def: &DomainDef, xml: &str, live: bool) -> (ChrKind, ChrDef) {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        def.parse_chr_device(doc.root_element(), live)
            .expect("device")
    }

    #[test]
    fn ports_are_numbered_past_the_highest_of_their_kind() {
        let d = domain("<serial type='pty'/><serial type='null'><target port='4'/></serial>");
        // The first port took 5 (past the 4 given further down), the next one 6.
        let ports: Vec<_> = d.devices.serials.iter().map(|s| s.target_port).collect();
        assert_eq!(ports, [Some(5), Some(4)]);
        let (kind, s) = device(&d, "<serial type='pty'/>", false);
        assert_eq!((kind, s.target_port), (ChrKind::Serial, Some(6)));
        // A stand-in console has no number: a virtio console takes 0.
        let (kind, c) = device(
            &d,
            "<console type='pty'><target type='virtio'/></console>",
            false,
        );
        assert_eq!((kind, c.target_port), (ChrKind::Console, Some(0)));
        // A console without a target type stands for a serial port.
        assert!(
            device(&d, "<console type='pty'/>", false)
                .1
                .is_serial_console()
        );
        // Channels have no port numbers.
        let (_, ch) = device(
            &d,
            "<channel type='pty'><target type='virtio'/></channel>",
            false,
        );
        assert_eq!(ch.target_port, None);
    }

    #[test]
    fn devices_are_the_same_by_source_and_target() {
        let d = domain(
            "<channel type='unix'><source mode='bind' path='/a'/>\
             <target type='virtio' name='n'/></channel>\
             <serial type='file'><source path='/f'/></serial>",
        );
        let find = |xml: &str| {
            let (kind, c) = device(&d, xml, true);
            d.devices.find_chr(kind, &c)
        };
        let channel = "<channel type='unix'><source mode='bind' path='/a'/>\
                       <target type='virtio' name='n'/></channel>";
        assert_eq!(find(channel), Some(0));
        assert_eq!(find(&channel.replace("name='n'", "name='m'")), None);
        assert_eq!(find(&channel.replace("bind", "connect")), None);
        assert_eq!(find(&channel.replace("/a", "/b")), None);
        // A port is its number too: given, or one past the highest (so no match).
        assert_eq!(
            find("<serial type='file'><source path='/f'/><target port='0'/></serial>"),
            Some(0)
        );
        assert_eq!(
            find("<serial type='file'><source path='/f'/></serial>"),
            None
        );
    }

    #[test]
    fn the_first_serial_port_brings_and_takes_its_console() {
        let mut d = domain("");
        let (kind, s) = device(&d, "<serial type='pty'/>", false);
        d.devices.insert_chr(kind, s.clone());
        assert_eq!(d.devices.consoles.len(), 1);
        assert!(d.devices.consoles[0].is_serial_console());
        // A second one does not.
        let (_, s2) = device(&d, "<serial type='null'/>", false);
        d.devices.insert_chr(kind, s2.clone());
        assert_eq!(d.devices.consoles.len(), 1);
        // The first one out takes its console along; the second does not.
        assert!(d.devices.remove_chr(kind, &s).is_some());
        assert!(d.devices.consoles.is_empty());
        assert_eq!(d.devices.serials, vec![s2.clone()]);
        assert!(d.devices.remove_chr(kind, &s).is_none());
        let alias = |c: &mut ChrDef, a: &str| c.info.alias = Some(a.into());
        alias(&mut d.devices.serials[0], "serial1");
        assert_eq!(
            d.devices.remove_chr_by_alias("serial1").map(|(k, _)| k),
            Some(ChrKind::Serial)
        );
        assert!(d.devices.serials.is_empty());
    }
}
