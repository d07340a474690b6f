//! The migratable XML of a domain (`VIR_DOMAIN_XML_MIGRATABLE`) as libvirt's QEMU driver
//! writes it (`qemuDomainDefFormatBufInternal`): a copy of the definition as another host
//! would read it (formatted inactive with its secrets, read back: no id, no automatic ports,
//! no runtime names), less what older libvirt could not read and would add by itself anyway:
//! the implicit USB controller and PCI root of an i440fx machine, the audio backend the
//! driver added, the channel socket paths the driver made up.

use crate::FROM;
use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use rvirt_types::{Error, Result};

/// Whether `machine` is one of QEMU's i440fx PCs (`qemuDomainMachineIsI440FX`).
fn is_i440fx(machine: &str) -> bool {
    machine == "pc"
        || ["pc-0.", "pc-1.", "pc-i440fx-", "rhel"]
            .iter()
            .any(|p| machine.starts_with(p))
}

/// Whether a channel socket path is one the driver made up for channel `name`
/// (`qemuDomainChrDefDropDefaultPath`'s pattern): under the channel folder with a dot in
/// its first component, or `.../domain-*/name`.
fn default_channel_path(path: &str, channel_dir: &str, name: &str) -> bool {
    let in_dir = path
        .strip_prefix(channel_dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|rest| rest.split('/').next().is_some_and(|c| c.contains('.')));
    let per_domain = path
        .strip_suffix(name)
        .and_then(|p| p.strip_suffix('/'))
        .and_then(|p| p.rsplit('/').next())
        .is_some_and(|c| c.starts_with("domain-") && c.len() > "domain-".len());
    in_dir || per_domain
}

/// `def` as libvirt's migratable XML has it. `channel_dir` is the folder of the driver's
/// channel sockets; `default_audio` the audio backend the driver adds to such a definition
/// (`None` when it adds none).
pub(crate) fn migratable_copy(
    def: &DomainDef,
    channel_dir: &str,
    default_audio: Option<&str>,
) -> Result<DomainDef> {
    let xml = def.format_xml(FormatOptions {
        id: None,
        inactive: true,
        secure: true,
        migratable: true,
        status: false,
    });
    let mut copy = DomainDef::parse_xml(&xml, ParseOptions::default())
        .map_err(|e| Error::internal(FROM, format!("cannot copy the definition: {e}")))?;
    // The CPU as the domain asked for it, not as QEMU made it (libvirt's origCPU).
    if let Some(orig) = &def.extras.orig_cpu {
        copy.extras.cpu = Some(orig.clone());
    }
    // The labels a driver added itself (the DAC driver's of a guest that gave none).
    let mut implicit = def
        .extras
        .seclabels
        .iter()
        .map(|s| s.implicit && matches!(s.model.as_deref(), Some("dac" | "none")));
    copy.extras
        .seclabels
        .retain(|_| !implicit.next().unwrap_or(false));
    let user_alias = |a: &Option<String>| a.as_deref().is_some_and(|a| a.starts_with("ua-"));
    let i440fx = copy
        .os
        .arch
        .as_deref()
        .is_none_or(|a| a == "x86_64" || a == "i686")
        && copy.os.machine.as_deref().is_some_and(is_i440fx);
    let only = |kind: &str, c: &[rvirt_conf::domain::ControllerDef]| {
        let mut of_kind = c.iter().enumerate().filter(|(_, c)| c.ctrl_type == kind);
        match (of_kind.next(), of_kind.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    };
    let ctrls = &copy.devices.controllers;
    let usb = only("usb", ctrls).filter(|&i| {
        let c = &ctrls[i];
        i440fx
            && c.index == 0
            && matches!(c.model.as_deref(), None | Some("piix3-uhci"))
            && !user_alias(&c.info.alias)
    });
    let pci = only("pci", ctrls).filter(|&i| {
        let c = &ctrls[i];
        c.index == 0
            && c.model.as_deref() == Some("pci-root")
            && !user_alias(&c.info.alias)
            && !c.extra.iter().any(|e| e.name == "pcihole64")
    });
    let mut drop: Vec<usize> = usb.into_iter().chain(pci).collect();
    drop.sort_unstable();
    for i in drop.into_iter().rev() {
        copy.devices.controllers.remove(i);
    }
    for c in &mut copy.devices.channels {
        let name = c
            .target_extra
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone());
        let made_up = c.target_type.as_deref() == Some("virtio")
            && c.source_type == "unix"
            && c.source.iter().any(|(k, v)| {
                k == "path" && default_channel_path(v, channel_dir, name.as_deref().unwrap_or(""))
            });
        if made_up {
            c.source.retain(|(k, _)| k != "path");
        }
    }
    // The audio backend the driver added by itself (the only one, and the default's twin).
    let audios: Vec<usize> = copy
        .devices
        .other
        .iter()
        .enumerate()
        .filter(|(_, (_, e))| e.name == "audio")
        .map(|(i, _)| i)
        .collect();
    if let ([i], Some(kind)) = (audios.as_slice(), default_audio) {
        let e = &copy.devices.other[*i].1;
        let default = e.attr("id") == Some("1")
            && e.attr("type") == Some(kind)
            && e.attrs.len() == 2
            && e.children.is_empty();
        if default {
            copy.devices.other.remove(*i);
        }
    }
    Ok(copy)
}

impl crate::QemuDriver {
    /// `def` in libvirt's migratable XML, inactive and with its secrets: what `dumpxml
    /// --migratable` prints and what a save image (or an external memory snapshot) stores for
    /// whichever libvirt restores it (`qemuDomainDefFormatLive` with `migratable`).
    pub(crate) fn migratable_xml(&self, def: &DomainDef) -> Result<String> {
        let channel_dir = self.dirs.qemu_lib.join("channel/target");
        let copy = migratable_copy(
            def,
            &channel_dir.display().to_string(),
            crate::defaults::default_audio(&def.devices.graphics, &self.config),
        )?;
        Ok(copy.format_xml(FormatOptions {
            id: None,
            inactive: true,
            secure: true,
            migratable: true,
            status: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_channel_paths_are_recognized() {
        let dir = "/r/lib/qemu/channel/target";
        assert!(default_channel_path(
            "/r/lib/qemu/channel/target/domain-3-g/org.qemu.guest_agent.0",
            dir,
            "org.qemu.guest_agent.0"
        ));
        assert!(default_channel_path(
            "/r/lib/qemu/channel/target/g.org.qemu.guest_agent.0",
            dir,
            "org.qemu.guest_agent.0"
        ));
        assert!(!default_channel_path(
            "/srv/sock/agent",
            dir,
            "org.qemu.guest_agent.0"
        ));
        assert!(is_i440fx("pc-i440fx-7.2") && is_i440fx("pc") && !is_i440fx("pc-q35-7.2"));
    }
}
