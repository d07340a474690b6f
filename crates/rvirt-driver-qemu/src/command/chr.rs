//! Character devices on the command line: the `-chardev` backends and the serial ports,
//! parallel ports, channels (`virtserialport`, the guest agent's among them) and consoles
//! that use them, as libvirt's `qemuBuildChrDeviceProps` places them.

use super::{at_pci, at_usb, chardev_id, device, id_of, opt_escape, unsupported};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{Address, ChrDef};
use rvirt_types::Result;
use serde_json::json;

/// The `-chardev` value of a character device's source, named `id`. `parallel` picks the
/// host device backend a `dev` source of a parallel port needs.
pub(super) fn chardev_backend(c: &ChrDef, id: &str, parallel: bool) -> Result<String> {
    let get = |k: &str| {
        c.source
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    let path = |what: &str| {
        get("path").ok_or_else(|| unsupported(format!("{what} character device without a path")))
    };
    let server = get("mode") == Some("bind");
    Ok(match c.source_type.as_str() {
        "pty" => format!("pty,id={id}"),
        "null" => format!("null,id={id}"),
        "vc" => format!("vc,id={id}"),
        "stdio" => format!("stdio,id={id}"),
        "file" => {
            let mut s = format!("file,id={id},path={}", opt_escape(path("file")?));
            if get("append") == Some("on") {
                s.push_str(",append=on");
            }
            s
        }
        "pipe" => format!("pipe,id={id},path={}", opt_escape(path("pipe")?)),
        "dev" => format!(
            "{},id={id},path={}",
            if parallel { "parport" } else { "tty" },
            opt_escape(path("dev")?)
        ),
        "unix" => format!(
            "socket,id={id},path={}{}",
            opt_escape(path("unix")?),
            if server { ",server=on,wait=off" } else { "" }
        ),
        "tcp" => {
            let host = get("host").unwrap_or("localhost");
            let port = get("service")
                .ok_or_else(|| unsupported("tcp character device without a service"))?;
            let telnet = matches!(c.protocol.as_deref(), Some("telnet") | Some("telnets"));
            format!(
                "socket,id={id},host={},port={}{}{}",
                opt_escape(host),
                opt_escape(port),
                if telnet { ",telnet=on" } else { "" },
                if server { ",server=on,wait=off" } else { "" }
            )
        }
        "spicevmc" => format!("spicevmc,id={id},name=vdagent"),
        "spiceport" => {
            let channel = get("channel")
                .ok_or_else(|| unsupported("spiceport character device without a channel"))?;
            format!("spiceport,id={id},name={}", opt_escape(channel))
        }
        other => {
            return Err(unsupported(format!(
                "character device type '{other}' is not supported yet"
            )));
        }
    })
}

/// A guestfwd channel: its chardev, and a user-mode netdev of its own (named as the channel)
/// whose guest-side TCP address and port lead to that chardev, as libvirt builds it.
fn guestfwd(a: &mut Vec<String>, c: &ChrDef) -> Result<()> {
    let address = c
        .target_extra
        .iter()
        .find(|(k, _)| k == "address")
        .map(|(_, v)| v.as_str());
    let (Some(address), Some(port)) = (address, c.target_port) else {
        return Err(unsupported(
            "guestfwd channel requires a target address and port",
        ));
    };
    let id = chardev(a, c, false)?;
    a.push("-netdev".into());
    a.push(
        json!({"type": "user",
               "guestfwd": [{"str": format!("tcp:{address}:{port}-chardev:{id}")}],
               "id": id_of(&c.info)})
        .to_string(),
    );
    Ok(())
}

fn chardev(a: &mut Vec<String>, c: &ChrDef, parallel: bool) -> Result<String> {
    let id = chardev_id(&c.info);
    a.push("-chardev".into());
    a.push(chardev_backend(c, &id, parallel)?);
    Ok(id)
}

/// Serial and parallel ports, channels and consoles, in libvirt's order. The virtio-serial
/// controllers they sit on come earlier, with the other controllers.
pub(super) fn build(def: &DomainDef, a: &mut Vec<String>) -> Result<()> {
    for (i, s) in def.devices.serials.iter().enumerate() {
        let id = chardev(a, s, false)?;
        let target = s.target_type.as_deref().unwrap_or("isa-serial");
        let v = match target {
            "isa-serial" | "serial" => {
                let port = s.target_port.unwrap_or(i as u32);
                json!({"driver": "isa-serial", "chardev": id, "id": id_of(&s.info),
                       "index": port})
            }
            "pci-serial" => at_pci(
                def,
                &s.info,
                json!({"driver": "pci-serial", "chardev": id, "id": id_of(&s.info)}),
            ),
            "usb-serial" => at_usb(
                def,
                &s.info,
                json!({"driver": "usb-serial", "chardev": id, "id": id_of(&s.info)}),
            ),
            other => {
                return Err(unsupported(format!(
                    "serial port target type '{other}' is not supported yet"
                )));
            }
        };
        device(a, v);
    }
    for p in &def.devices.parallels {
        let id = chardev(a, p, true)?;
        device(
            a,
            json!({"driver": "isa-parallel", "chardev": id, "id": id_of(&p.info)}),
        );
    }
    for c in &def.devices.channels {
        match c.target_type.as_deref() {
            Some("virtio") => {}
            Some("guestfwd") => {
                guestfwd(a, c)?;
                continue;
            }
            other => {
                return Err(unsupported(format!(
                    "channel target type '{}' is not supported yet",
                    other.unwrap_or("")
                )));
            }
        }
        let id = chardev(a, c, false)?;
        let mut v = json!({"driver": "virtserialport"});
        if let Some(Address::VirtioSerial {
            controller,
            bus,
            port,
        }) = c.info.address
        {
            v["bus"] = json!(format!("{}.{bus}", virtio_serial_alias(def, controller)?));
            if port > 0 {
                v["nr"] = json!(port);
            }
        } else if !has_virtio_serial(def) {
            return Err(unsupported(
                "a virtio channel needs a virtio-serial controller",
            ));
        }
        v["chardev"] = json!(id);
        v["id"] = json!(id_of(&c.info));
        if let Some((_, name)) = c.target_extra.iter().find(|(k, _)| k == "name") {
            v["name"] = json!(name);
        }
        device(a, v);
    }
    // The first console of an HVM guest is the first serial port; others are virtio consoles.
    let extra =
        def.devices.consoles.iter().enumerate().filter(|(i, c)| {
            !(*i == 0 && c.target_type.as_deref().unwrap_or("serial") == "serial")
        });
    for (_, c) in extra {
        if c.target_type.as_deref() != Some("virtio") {
            return Err(unsupported(format!(
                "console target type '{}' is not supported yet",
                c.target_type.as_deref().unwrap_or("serial")
            )));
        }
        if !has_virtio_serial(def) {
            return Err(unsupported(
                "a virtio console needs a virtio-serial controller",
            ));
        }
        let id = chardev(a, c, false)?;
        device(
            a,
            json!({"driver": "virtconsole", "chardev": id, "id": id_of(&c.info)}),
        );
    }
    Ok(())
}

fn has_virtio_serial(def: &DomainDef) -> bool {
    def.devices
        .controllers
        .iter()
        .any(|c| c.ctrl_type == "virtio-serial")
}

/// The QEMU id of virtio-serial controller `index`.
fn virtio_serial_alias(def: &DomainDef, index: u32) -> Result<String> {
    def.devices
        .controllers
        .iter()
        .find(|c| c.ctrl_type == "virtio-serial" && c.index == index)
        .map(|c| id_of(&c.info))
        .ok_or_else(|| unsupported(format!("no virtio-serial controller with index {index}")))
}
