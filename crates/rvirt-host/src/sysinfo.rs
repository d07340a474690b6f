//! The host's SMBIOS data as libvirt reports it (`virConnectGetSysinfo`): what `dmidecode`
//! prints for the BIOS, system, base boards, chassis, processors, memory devices and OEM
//! strings, as a `<sysinfo type='smbios'>` document.

use std::process::{Command, Stdio};

/// One `<sysinfo>` section: its element name and its `<entry name>` values in order.
pub type Section = (&'static str, Vec<(&'static str, String)>);

/// The host's SMBIOS data, section by section in libvirt's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostSysinfo {
    /// `bios`, `system`, `baseBoard`…, `chassis`, `processor`…, `memory_device`…
    pub sections: Vec<Section>,
    /// `<oemStrings>` entries.
    pub oem_strings: Vec<String>,
}

/// Reads the host's SMBIOS tables through `dmidecode`, as libvirt does when its QEMU driver
/// starts; `None` when dmidecode is missing or fails (no DMI tables, no `/dev/mem`), which
/// libvirt reports as "Host SMBIOS information is not available".
pub fn read_host() -> Option<HostSysinfo> {
    let out = ["/usr/sbin/dmidecode", "/sbin/dmidecode", "dmidecode"]
        .iter()
        .find_map(|bin| {
            Command::new(bin)
                .args(["-q", "-t", "0,1,2,3,4,11,17"])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .ok()
        })?;
    if !out.status.success() {
        return None;
    }
    Some(parse_dmidecode(&String::from_utf8_lossy(&out.stdout)))
}

/// The value after `key` at its first place in `text` from `from` on (libvirt looks past the
/// end of a section when the section lacks the key), up to the end of its line with trailing
/// spaces cut; `None` when the key is absent or its line has no end.
fn value_after(text: &str, from: usize, key: &str) -> Option<String> {
    let at = text[from..].find(key)? + from + key.len();
    let end = text[at..].find('\n')? + at;
    Some(text[at..end].trim_end().to_string())
}

/// Fills a section from `text` at `from`: `(dmidecode key, entry name)` pairs.
fn section(
    text: &str,
    from: usize,
    name: &'static str,
    keys: &[(&str, &'static str)],
) -> Option<Section> {
    let entries: Vec<(&'static str, String)> = keys
        .iter()
        .filter_map(|(key, entry)| Some((*entry, value_after(text, from, key)?)))
        .collect();
    (!entries.is_empty()).then_some((name, entries))
}

/// Every start of `header` in `text`.
fn starts<'a>(text: &'a str, header: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(header).map(|(i, _)| i)
}

/// Parses `dmidecode -q` output the way libvirt's SMBIOS reader does.
pub fn parse_dmidecode(text: &str) -> HostSysinfo {
    let mut s = HostSysinfo::default();
    let one = |header: &str, name, keys: &[(&str, &'static str)]| {
        text.find(header)
            .and_then(|at| section(text, at, name, keys))
    };
    let bios = one(
        "BIOS Information",
        "bios",
        &[
            ("Vendor: ", "vendor"),
            ("Version: ", "version"),
            ("Release Date: ", "date"),
            ("BIOS Revision: ", "release"),
        ],
    );
    let system = one(
        "System Information",
        "system",
        &[
            ("Manufacturer: ", "manufacturer"),
            ("Product Name: ", "product"),
            ("Version: ", "version"),
            ("Serial Number: ", "serial"),
            ("UUID: ", "uuid"),
            ("SKU Number: ", "sku"),
            ("Family: ", "family"),
        ],
    );
    let chassis = one(
        "Chassis Information",
        "chassis",
        &[
            ("Manufacturer: ", "manufacturer"),
            ("Version: ", "version"),
            ("Serial Number: ", "serial"),
            ("Asset Tag: ", "asset"),
            ("SKU Number: ", "sku"),
        ],
    );
    s.sections.extend(bios);
    s.sections.extend(system);
    for at in starts(text, "Base Board Information") {
        s.sections.extend(section(
            text,
            at + "Base Board Information".len(),
            "baseBoard",
            &[
                ("Manufacturer: ", "manufacturer"),
                ("Product Name: ", "product"),
                ("Version: ", "version"),
                ("Serial Number: ", "serial"),
                ("Asset Tag: ", "asset"),
                ("Location In Chassis: ", "location"),
            ],
        ));
    }
    s.sections.extend(chassis);
    for at in starts(text, "Processor Information") {
        s.sections.extend(section(
            text,
            at,
            "processor",
            &[
                ("Socket Designation: ", "socket_destination"),
                ("Type: ", "type"),
                ("Family: ", "family"),
                ("Manufacturer: ", "manufacturer"),
                ("Signature: ", "signature"),
                ("Version: ", "version"),
                ("External Clock: ", "external_clock"),
                ("Max Speed: ", "max_speed"),
                ("Status: ", "status"),
                ("Serial Number: ", "serial_number"),
                ("Part Number: ", "part_number"),
            ],
        ));
    }
    for at in starts(text, "Memory Device") {
        // An empty slot is left out whole.
        if value_after(text, at, "Size: ").as_deref() == Some("No Module Installed") {
            continue;
        }
        s.sections.extend(section(
            text,
            at,
            "memory_device",
            &[
                ("Size: ", "size"),
                ("Form Factor: ", "form_factor"),
                ("Locator: ", "locator"),
                ("Bank Locator: ", "bank_locator"),
                ("Type: ", "type"),
                ("Type Detail: ", "type_detail"),
                ("Speed: ", "speed"),
                ("Manufacturer: ", "manufacturer"),
                ("Serial Number: ", "serial_number"),
                ("Part Number: ", "part_number"),
            ],
        ));
    }
    if let Some(at) = text.find("OEM Strings") {
        let mut rest = &text[at..];
        while let Some(i) = rest.find("String ") {
            rest = &rest[i + "String ".len()..];
            let Some(eol) = rest.find('\n') else { break };
            let line = &rest[..eol];
            let Some(value) = line
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .strip_prefix(": ")
            else {
                break;
            };
            s.oem_strings.push(value.trim_end().to_string());
            rest = &rest[eol..];
        }
    }
    s
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    rvirt_conf::xml::escape(text, &mut out);
    out
}

impl HostSysinfo {
    /// The `<sysinfo type='smbios'>` document libvirt's `virConnectGetSysinfo` returns.
    pub fn to_xml(&self) -> String {
        if self.sections.is_empty() && self.oem_strings.is_empty() {
            return "<sysinfo type='smbios'/>\n".into();
        }
        let mut x = String::from("<sysinfo type='smbios'>\n");
        for (name, entries) in &self.sections {
            x.push_str(&format!("  <{name}>\n"));
            for (entry, value) in entries {
                x.push_str(&format!(
                    "    <entry name='{entry}'>{}</entry>\n",
                    escape(value)
                ));
            }
            x.push_str(&format!("  </{name}>\n"));
        }
        if !self.oem_strings.is_empty() {
            x.push_str("  <oemStrings>\n");
            for v in &self.oem_strings {
                x.push_str(&format!("    <entry>{}</entry>\n", escape(v)));
            }
            x.push_str("  </oemStrings>\n");
        }
        x.push_str("</sysinfo>\n");
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "BIOS Information\n\tVendor: SeaBIOS\n\tVersion: 1.16.2-debian-1.16.2-1\n\tRelease Date: 04/01/2014\n\tAddress: 0xE8000\n\tBIOS Revision: 0.0\n\nSystem Information\n\tManufacturer: QEMU\n\tProduct Name: Standard PC (i440FX + PIIX, 1996)\n\tVersion: pc-i440fx-7.2\n\tSerial Number: Not Specified\n\tUUID: 1c9c1d2e-0000-0000-0000-000000000001\n\tWake-up Type: Power Switch\n\tSKU Number: Not Specified\n\tFamily: Not Specified\n\nChassis Information\n\tManufacturer: QEMU\n\tType: Other\n\tLock: Not Present\n\tVersion: pc-i440fx-7.2\n\tSerial Number: Not Specified\n\tAsset Tag: Not Specified\n\tSKU Number: Not Specified\n\nProcessor Information\n\tSocket Designation: CPU 0\n\tType: Central Processor\n\tFamily: Other\n\tManufacturer: QEMU\n\tID: 63 06 00 00 FD FB 8B 07\n\tVersion: pc-i440fx-7.2\n\tVoltage: Unknown\n\tExternal Clock: Unknown\n\tMax Speed: 2000 MHz\n\tCurrent Speed: 2000 MHz\n\tStatus: Populated, Enabled\n\tSerial Number: Not Specified\n\tAsset Tag: Not Specified\n\tPart Number: Not Specified\n\nOEM Strings\n\tString 1: first <one>\n\tString 2: second\n\nMemory Device\n\tArray Handle: 0x1000\n\tSize: 1 GB\n\tForm Factor: DIMM\n\tSet: None\n\tLocator: DIMM 0\n\tBank Locator: Not Specified\n\tType: RAM\n\tType Detail: Other\n\tSpeed: Unknown\n\tManufacturer: QEMU\n\tSerial Number: Not Specified\n\tPart Number: Not Specified\n\nMemory Device\n\tSize: No Module Installed\n\tLocator: DIMM 1\n";

    #[test]
    fn dmidecode_output_becomes_libvirts_document() {
        let info = parse_dmidecode(SAMPLE);
        let names: Vec<_> = info.sections.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["bios", "system", "chassis", "processor", "memory_device"]
        );
        assert_eq!(
            info.sections[0].1,
            [
                ("vendor", "SeaBIOS".to_string()),
                ("version", "1.16.2-debian-1.16.2-1".into()),
                ("date", "04/01/2014".into()),
                ("release", "0.0".into())
            ]
        );
        // The processor's "Type" is its own; a memory device takes "Locator" from its line.
        assert_eq!(info.sections[3].1[1], ("type", "Central Processor".into()));
        assert_eq!(info.sections[4].1[2], ("locator", "DIMM 0".into()));
        assert_eq!(info.oem_strings, ["first <one>", "second"]);
        let xml = info.to_xml();
        assert!(xml.starts_with(
            "<sysinfo type='smbios'>\n  <bios>\n    <entry name='vendor'>SeaBIOS</entry>\n"
        ));
        assert!(xml.contains("  <oemStrings>\n    <entry>first &lt;one&gt;</entry>\n"));
        assert!(xml.ends_with("  </oemStrings>\n</sysinfo>\n"));
        assert_eq!(
            HostSysinfo::default().to_xml(),
            "<sysinfo type='smbios'/>\n"
        );
    }
}
