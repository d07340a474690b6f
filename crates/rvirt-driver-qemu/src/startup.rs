//! What happens between QEMU's start and the domain's first status file, as libvirt's
//! `qemuProcessLaunch` / `qemuProcessFinishStartup` do it: the paths of `pty` character devices
//! go into the live definition (from `query-chardev`), and the balloon gets its target and its
//! statistics period.

use crate::process::Proc;
use crate::stats::BALLOON_PATH;
use crate::{QemuDriver, command};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{Address, ChrDef};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Sets `path` as the source of a `pty` device.
fn set_pty_path(c: &mut ChrDef, path: &str) {
    c.source.retain(|(k, _)| k != "path");
    c.source.push(("path".into(), path.into()));
}

/// Creates the missing files of `file` character devices (mode 0600), as libvirt creates them
/// before QEMU starts: a folder that does not exist fails the start with libvirt's error, and
/// the owner of the file can change before QEMU, running as another user, writes it.
pub(crate) fn create_chardev_files(def: &DomainDef) -> rvirt_types::Result<()> {
    def.devices
        .character_devices()
        .try_for_each(create_chardev_file)
}

/// Creates the file of a `file` character device when missing (see
/// [`create_chardev_files`]).
pub(crate) fn create_chardev_file(c: &ChrDef) -> rvirt_types::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if c.source_type != "file" {
        return Ok(());
    }
    let Some(path) = c.source_attr("path") else {
        return Ok(());
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            rvirt_types::Error::system(crate::FROM, format!("Failed to create file '{path}'"), &e)
        })?;
    Ok(())
}

/// Gives every virtio channel with a unix source and no path one in `dir`: the channel's
/// target name, or `vioser-CC-BB-PP.sock` by its virtio-serial address. Whether any did.
pub(crate) fn prepare_channels(def: &mut DomainDef, dir: &Path) -> bool {
    let mut any = false;
    for c in &mut def.devices.channels {
        any |= prepare_channel(c, dir);
    }
    any
}

/// [`prepare_channels`] for one channel: whether it got a path.
pub(crate) fn prepare_channel(c: &mut ChrDef, dir: &Path) -> bool {
    let needs_path = c.target_type.as_deref() == Some("virtio")
        && c.source_type == "unix"
        && !c.source.iter().any(|(k, _)| k == "path");
    if needs_path {
        let file = match c.target_extra.iter().find(|(k, _)| k == "name") {
            Some((_, name)) => name.clone(),
            None => {
                let (ctrl, bus, port) = match c.info.address {
                    Some(Address::VirtioSerial {
                        controller,
                        bus,
                        port,
                    }) => (controller, bus, port),
                    _ => (0, 0, 0),
                };
                format!("vioser-{ctrl:02}-{bus:02}-{port:02}.sock")
            }
        };
        // QEMU listens there, whatever mode the definition gave.
        c.source.retain(|(k, _)| k != "mode");
        c.source.insert(0, ("mode".into(), "bind".into()));
        c.source
            .insert(1, ("path".into(), dir.join(file).display().to_string()));
    }
    needs_path
}

/// Marks a tcp character device whose source does not say whether it uses TLS as not
/// using it, as libvirt's driver does from qemu.conf (`chardev_tls`, which rvirt does not
/// honour: its TLS is off); the live XML shows `tls='no'`.
pub(crate) fn prepare_chardev_tls(c: &mut ChrDef) {
    if c.source_type == "tcp" && !c.source.iter().any(|(k, _)| k == "tls") {
        c.source.push(("tls".into(), "no".into()));
        c.tls_from_config = true;
    }
}

/// [`prepare_chardev_tls`] for every character device of `def`.
pub(crate) fn prepare_chardevs_tls(def: &mut DomainDef) {
    def.devices.for_each_chr_mut(prepare_chardev_tls);
    // EGD generators' and redirected USB devices' tcp sources too.
    for (_, e) in def.devices.other.iter_mut() {
        rvirt_conf::domain::mark_raw_tls_from_config(e);
    }
}

fn set_state(c: &mut ChrDef, open: bool) {
    let state = if open { "connected" } else { "disconnected" };
    c.target_extra.retain(|(k, _)| k != "state");
    c.target_extra.push(("state".into(), state.into()));
}

/// The state of the virtio channel whose device id is `id` after the guest opened or closed
/// it (`VSERPORT_CHANGE`); whether there is such a channel.
pub(crate) fn set_channel_state(def: &mut DomainDef, id: &str, open: bool) -> bool {
    let found = def.devices.channels.iter_mut().find(|c| {
        c.target_type.as_deref() == Some("virtio") && c.info.alias.as_deref() == Some(id)
    });
    match found {
        Some(c) => {
            set_state(c, open);
            true
        }
        None => false,
    }
}

/// The tray of a removable drive as libvirt's live XML shows it: `tray='open'` on its
/// `<target>` while open, nothing while shut.
pub(crate) fn set_tray(disk: &mut rvirt_conf::domain::DiskDef, open: bool) {
    disk.target_extra.retain(|(k, _)| k != "tray");
    if open {
        disk.target_extra.push(("tray".into(), "open".into()));
    }
}

/// Fills the pty paths `query-chardev` reports (`pty:/dev/pts/N` by chardev id) into `def`,
/// and the state of virtio channels (`connected` when the guest has the port open, as
/// `frontend-open` says).
pub(crate) fn apply_pty_paths(def: &mut DomainDef, chardevs: &Value) {
    let open: HashMap<&str, bool> = chardevs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["label"].as_str()?, c["frontend-open"].as_bool()?)))
        .collect();
    for c in def
        .devices
        .channels
        .iter_mut()
        .filter(|c| c.target_type.as_deref() == Some("virtio") && c.info.alias.is_some())
    {
        if let Some(o) = open.get(command::chardev_id(&c.info).as_str()) {
            set_state(c, *o);
        }
    }
    let ptys: HashMap<&str, &str> = chardevs
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let label = c["label"].as_str()?;
            let path = c["filename"].as_str()?.strip_prefix("pty:")?;
            Some((label, path))
        })
        .collect();
    let devices: &mut rvirt_conf::domain::Devices = &mut def.devices;
    for c in devices
        .serials
        .iter_mut()
        .chain(devices.consoles.iter_mut())
        .chain(devices.channels.iter_mut())
    {
        if c.source_type == "pty"
            && c.info.alias.is_some()
            && let Some(p) = ptys.get(command::chardev_id(&c.info).as_str())
        {
            set_pty_path(c, p);
        }
    }
}

impl QemuDriver {
    /// Completes a just-started domain's live definition and devices; nothing here is fatal
    /// (a device QEMU does not report keeps its definition as it was).
    pub(crate) async fn after_start(&self, p: &Proc, mut def: DomainDef, fresh: bool) -> DomainDef {
        let has_pty = def
            .devices
            .serials
            .iter()
            .chain(def.devices.consoles.iter())
            .any(|c| c.source_type == "pty")
            || !def.devices.channels.is_empty();
        if has_pty
            && let Ok(v) = self
                .qmp(p, |m| async move { m.execute("query-chardev", None).await })
                .await
        {
            apply_pty_paths(&mut def, &v);
        }
        if let Some(b) = def
            .devices
            .memballoon
            .as_ref()
            .filter(|b| b.model != "none")
        {
            let period = b.stats_period.unwrap_or(0);
            let target =
                (def.current_memory_kib < def.memory_kib).then_some(def.current_memory_kib * 1024);
            let _ = self
                .qmp(p, move |m| async move {
                    if let Some(t) = target {
                        m.balloon(t).await?;
                    }
                    if period > 0 {
                        m.set_balloon_stats_period(BALLOON_PATH, period).await?;
                    }
                    Ok(())
                })
                .await;
        }
        // The balloon's size before the CPUs first run (the whole memory: no guest driver
        // gave any back yet), as libvirt records it after a fresh start.
        self.refresh_memory(p, &mut def, fresh).await;
        def
    }

    /// Reads back what QEMU has of the guest's memory: where its memory devices are (DIMMs'
    /// base addresses, what virtio-mem devices have plugged) and, with `balloon`, the
    /// current memory as libvirt refreshes it (`qemuProcessRefreshBalloonState`): the
    /// balloon's size plus what virtio-mem devices have plugged, or the whole memory without
    /// a balloon. After a start and after a memory device came or went; nothing here is
    /// fatal (an answer QEMU does not give leaves the definition as it was).
    pub(crate) async fn refresh_memory(&self, p: &Proc, def: &mut DomainDef, balloon: bool) {
        if crate::memdev::devices(def).next().is_some()
            && let Ok(v) = self
                .qmp(p, |m| async move {
                    m.execute("query-memory-devices", None).await
                })
                .await
        {
            crate::memdev::record_placement(def, &v);
        }
        if !balloon {
            return;
        }
        let has_balloon = def
            .devices
            .memballoon
            .as_ref()
            .is_some_and(|b| b.model != "none");
        if !has_balloon {
            def.current_memory_kib = def.memory_kib;
        } else if let Ok(info) = self
            .qmp(p, |m| async move { m.query_balloon().await })
            .await
        {
            def.current_memory_kib = info.actual / 1024 + crate::memdev::plugged_kib(def);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::{FormatOptions, ParseOptions};
    use serde_json::json;

    fn live(def: &DomainDef) -> String {
        def.format_xml(FormatOptions {
            id: Some(1),
            ..FormatOptions::default()
        })
    }

    #[test]
    fn channel_paths_and_states() {
        let xml = "<domain type='qemu'><name>t</name><memory>65536</memory>\
            <os><type arch='x86_64'>hvm</type></os><devices>\
            <channel type='unix'><source mode='connect'/><target type='virtio' name='org.qemu.guest_agent.0'/>\
              <address type='virtio-serial' controller='0' bus='0' port='1'/></channel>\
            <channel type='unix'><target type='virtio'/>\
              <address type='virtio-serial' controller='0' bus='0' port='2'/></channel>\
            <channel type='pty'><target type='virtio' name='b'/>\
              <address type='virtio-serial' controller='0' bus='0' port='3'/></channel>\
            </devices></domain>";
        let mut def = DomainDef::parse_xml(xml, ParseOptions::default()).unwrap();
        crate::alias::assign(&mut def);
        assert!(prepare_channels(&mut def, Path::new("/c/domain-1-t")));
        // QEMU's answer to query-chardev: the pty's path, and who has each port open.
        let chardevs = json!([
            {"label": "charchannel0", "filename": "unix:/c/x,server=on", "frontend-open": false},
            {"label": "charchannel1", "filename": "unix:/c/y,server=on", "frontend-open": false},
            {"label": "charchannel2", "filename": "pty:/dev/pts/7", "frontend-open": true},
        ]);
        apply_pty_paths(&mut def, &chardevs);
        let x = live(&def);
        for want in [
            "<source mode='bind' path='/c/domain-1-t/org.qemu.guest_agent.0'/>\n      \
             <target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/>",
            "<source mode='bind' path='/c/domain-1-t/vioser-00-00-02.sock'/>",
            "<source path='/dev/pts/7'/>\n      \
             <target type='virtio' name='b' state='connected'/>",
        ] {
            assert!(x.contains(want), "{want}\n{x}");
        }
        assert!(set_channel_state(&mut def, "channel0", true));
        assert!(!set_channel_state(&mut def, "channel9", true));
        let x = live(&def);
        assert!(
            x.contains("name='org.qemu.guest_agent.0' state='connected'/>"),
            "{x}"
        );
        // The state is the running guest's: not in an inactive definition.
        let inactive = def.format_xml(FormatOptions {
            inactive: true,
            ..FormatOptions::default()
        });
        assert!(!inactive.contains("state="), "{inactive}");
    }
}
