//! Character devices on the command line: the `-chardev` backends and the serial ports,
//! parallel ports, channels (`virtserialport`, the guest agent's among them) and consoles
//! that use them, as libvirt's `qemuBuildChrDeviceProps` places them.

use super::{at_pci, at_usb, chardev_id, device, id_of, opt_escape, unsupported};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{Address, ChrDef};
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use serde_json::{Value, json};

/// The `-chardev` value of a character device's source, named `id`. `parallel` picks the
/// host device backend a `dev` source of a parallel port needs.
pub(crate) fn chardev_backend(c: &ChrDef, id: &str, parallel: bool) -> Result<String> {
    let get = |k: &str| c.source_attr(k);
    let path = |what: &str| {
        get("path").ok_or_else(|| unsupported(format!("{what} character device without a path")))
    };
    let server = get("mode") == Some("bind");
    refuse_tls(c)?;
    let reconnect = match c.reconnect {
        Some((true, timeout)) => format!(",reconnect={timeout}"),
        Some((false, _)) => ",reconnect=0".into(),
        None => String::new(),
    };
    let mut s = match c.source_type.as_str() {
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
            "socket,id={id},path={}{}{reconnect}",
            opt_escape(path("unix")?),
            if server { ",server=on,wait=off" } else { "" }
        ),
        "udp" => {
            let connect = |k: &str| c.udp_connect_attr(k);
            format!(
                "udp,id={id},host={},port={},localaddr={},localport={}",
                opt_escape(connect("host").unwrap_or("")),
                opt_escape(connect("service").unwrap_or("")),
                opt_escape(get("host").unwrap_or("")),
                opt_escape(get("service").unwrap_or("0"))
            )
        }
        "tcp" => {
            let host = get("host").unwrap_or("localhost");
            let port = get("service")
                .ok_or_else(|| unsupported("tcp character device without a service"))?;
            let telnet = matches!(c.protocol.as_deref(), Some("telnet") | Some("telnets"));
            format!(
                "socket,id={id},host={},port={}{}{}{reconnect}",
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
    };
    if let Some((Some(file), append)) = &c.log {
        s.push_str(&format!(",logfile={}", opt_escape(file)));
        if let Some(a) = append {
            s.push_str(&format!(",logappend={a}"));
        }
    }
    Ok(s)
}

/// TLS on a tcp character device is not done (qemu.conf's `chardev_tls` and its
/// certificates are not read): one that asks for it is refused rather than run in clear.
fn refuse_tls(c: &ChrDef) -> Result<()> {
    let tls = c.source.iter().any(|(k, v)| k == "tls" && v == "yes");
    if c.source_type == "tcp" && tls {
        return Err(unsupported(
            "TLS on a tcp character device is not supported by this driver",
        ));
    }
    Ok(())
}

/// A guestfwd channel: its chardev, and a user-mode netdev of its own (named as the channel)
/// whose guest-side TCP address and port lead to that chardev, as libvirt builds it.
fn guestfwd(a: &mut Vec<String>, c: &ChrDef) -> Result<()> {
    let netdev = guestfwd_netdev(c)?;
    chardev(a, c, false)?;
    a.push("-netdev".into());
    a.push(netdev.to_string());
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
        chardev(a, s, false)?;
        device(a, serial_device(def, s, i)?);
    }
    for p in &def.devices.parallels {
        chardev(a, p, true)?;
        device(a, parallel_device(p));
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
        chardev(a, c, false)?;
        device(a, channel_device(def, c)?);
    }
    // The first console of an HVM guest is the first serial port; others are virtio consoles.
    let extra =
        def.devices.consoles.iter().enumerate().filter(|(i, c)| {
            !(*i == 0 && c.target_type.as_deref().unwrap_or("serial") == "serial")
        });
    for (_, c) in extra {
        let dev = console_device(def, c)?;
        chardev(a, c, false)?;
        device(a, dev);
    }
    Ok(())
}

/// The device of serial port `s`, number `i` of the guest's (`isa-serial`, `pci-serial`,
/// `usb-serial`), on chardev `char<alias>`.
pub(crate) fn serial_device(def: &DomainDef, s: &ChrDef, i: usize) -> Result<Value> {
    let id = chardev_id(&s.info);
    let target = s.target_type.as_deref().unwrap_or("isa-serial");
    Ok(match target {
        "isa-serial" | "serial" => {
            let port = s.target_port.unwrap_or(i as u32);
            json!({"driver": "isa-serial", "chardev": id, "id": id_of(&s.info), "index": port})
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
    })
}

/// The device of parallel port `p`.
pub(crate) fn parallel_device(p: &ChrDef) -> Value {
    json!({"driver": "isa-parallel", "chardev": chardev_id(&p.info), "id": id_of(&p.info)})
}

/// The `virtserialport` of virtio channel `c`: on the port its address names, else on the
/// first free one of the guest's virtio-serial controllers.
pub(crate) fn channel_device(def: &DomainDef, c: &ChrDef) -> Result<Value> {
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
    v["chardev"] = json!(chardev_id(&c.info));
    v["id"] = json!(id_of(&c.info));
    if let Some((_, name)) = c.target_extra.iter().find(|(k, _)| k == "name") {
        v["name"] = json!(name);
    }
    Ok(v)
}

/// The `virtconsole` of console `c` (a virtio one: QEMU puts it on the first free port of
/// the guest's virtio-serial bus; port 0 is the console's own).
pub(crate) fn console_device(def: &DomainDef, c: &ChrDef) -> Result<Value> {
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
    Ok(json!({"driver": "virtconsole", "chardev": chardev_id(&c.info), "id": id_of(&c.info)}))
}

/// The user-mode netdev of guestfwd channel `c` (named as the channel), whose guest-side TCP
/// address and port lead to its chardev, as libvirt builds it.
pub(crate) fn guestfwd_netdev(c: &ChrDef) -> Result<Value> {
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
    let id = chardev_id(&c.info);
    Ok(json!({"type": "user",
              "guestfwd": [{"str": format!("tcp:{address}:{port}-chardev:{id}")}],
              "id": id_of(&c.info)}))
}

/// The character device source another device's element carries (a redirected USB
/// device's, an EGD generator's `<backend>`: its `type` and `<source>`), named after that
/// device (`charALIAS`, from `alias`).
pub(crate) fn raw_chardev(e: &RawElement, alias: Option<&str>) -> Result<ChrDef> {
    let mut xml = String::new();
    e.format_libvirt(&mut xml, 0);
    let doc = roxmltree::Document::parse(&xml)
        .map_err(|err| Error::internal(ErrorDomain::QEMU, format!("<{}>: {err}", e.name)))?;
    let mut chr = ChrDef::parse_backend(doc.root_element())?;
    chr.info.alias = alias.map(str::to_string);
    Ok(chr)
}

/// The arguments of QMP's `chardev-add` for character device `c`'s source, named `id`, as
/// libvirt gives them when it plugs a device (`parallel` picks the host device backend of a
/// parallel port). Sources that cannot be plugged get libvirt's error.
pub(crate) fn chardev_add(c: &ChrDef, id: &str, parallel: bool) -> Result<Value> {
    let get = |k: &str| c.source_attr(k);
    let listen = get("mode") == Some("bind");
    refuse_tls(c)?;
    let inet = |host: Option<&str>, port: Option<&str>| json!({"type": "inet", "data": {"host": host.unwrap_or(""), "port": port.unwrap_or("")}});
    let reconnect = |data: &mut Value| match c.reconnect {
        Some((true, timeout)) => data["reconnect"] = json!(timeout),
        Some((false, _)) => data["reconnect"] = json!(0),
        None => {}
    };
    let (kind, mut data) = match c.source_type.as_str() {
        t @ ("null" | "vc" | "pty") => (t, json!({})),
        "file" => {
            let mut d = json!({"out": get("path").unwrap_or_default()});
            if let Some(a) = get("append") {
                d["append"] = json!(a == "on");
            }
            ("file", d)
        }
        "dev" => (
            if parallel { "parallel" } else { "serial" },
            json!({"device": get("path").unwrap_or_default()}),
        ),
        "unix" => {
            let mut d = json!({"addr": {"type": "unix",
                                        "data": {"path": get("path").unwrap_or_default()}}});
            if listen {
                d["wait"] = json!(false);
            }
            d["server"] = json!(listen);
            reconnect(&mut d);
            ("socket", d)
        }
        "tcp" => {
            let mut d = json!({"addr": inet(get("host"), get("service"))});
            if listen {
                d["wait"] = json!(false);
            }
            d["telnet"] = json!(c.protocol.as_deref() == Some("telnet"));
            d["server"] = json!(listen);
            reconnect(&mut d);
            ("socket", d)
        }
        "udp" => {
            let connect = |k: &str| c.udp_connect_attr(k);
            let mut d = json!({"remote": inet(connect("host"), connect("service"))});
            if get("host").is_some() || get("service").is_some() {
                d["local"] = inet(get("host"), get("service"));
            }
            ("udp", d)
        }
        "spicevmc" => ("spicevmc", json!({"type": "vdagent"})),
        other => {
            return Err(Error::with_detail(
                ErrorDomain::QEMU,
                ErrorNumber::OPERATION_FAILED,
                format!("Hotplug unsupported for char device type '{other}'"),
            ));
        }
    };
    if let Some((Some(file), append)) = &c.log {
        data["logfile"] = json!(file);
        if let Some(a) = append {
            data["logappend"] = json!(a == "on");
        }
    }
    Ok(json!({"id": id, "backend": {"type": kind, "data": data}}))
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

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::ParseOptions;

    /// The first serial port of a guest with `devices`.
    fn serial(devices: &str) -> ChrDef {
        let xml = format!(
            "<domain type='qemu'><name>c</name><memory unit='KiB'>1024</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>{devices}</devices></domain>"
        );
        let def = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
        def.devices.serials[0].clone()
    }

    #[test]
    fn chardev_add_takes_each_source_as_libvirt_gives_it() {
        let add = |x: &str| chardev_add(&serial(x), "charserial0", false).unwrap();
        assert_eq!(
            add("<serial type='pty'/>"),
            json!({"id": "charserial0", "backend": {"type": "pty", "data": {}}})
        );
        assert_eq!(
            add("<serial type='file'><source path='/l' append='on'/></serial>")["backend"],
            json!({"type": "file", "data": {"out": "/l", "append": true}})
        );
        assert_eq!(
            add("<serial type='dev'><source path='/dev/ttyS0'/></serial>")["backend"],
            json!({"type": "serial", "data": {"device": "/dev/ttyS0"}})
        );
        assert_eq!(
            add("<serial type='unix'><source mode='bind' path='/s'/></serial>")["backend"],
            json!({"type": "socket", "data": {
                "addr": {"type": "unix", "data": {"path": "/s"}}, "wait": false, "server": true}})
        );
        let tcp = "<serial type='tcp'><source mode='connect' host='h' service='7'>\
                   <reconnect enabled='yes' timeout='3'/></source>\
                   <protocol type='telnet'/></serial>";
        assert_eq!(
            add(tcp)["backend"],
            json!({"type": "socket", "data": {
                "addr": {"type": "inet", "data": {"host": "h", "port": "7"}},
                "telnet": true, "server": false, "reconnect": 3}})
        );
        let udp = "<serial type='udp'><source mode='bind' service='5'/>\
                   <source mode='connect' host='h' service='6'/></serial>";
        assert_eq!(
            add(udp)["backend"],
            json!({"type": "udp", "data": {
                "remote": {"type": "inet", "data": {"host": "h", "port": "6"}},
                "local": {"type": "inet", "data": {"host": "", "port": "5"}}}})
        );
        let logged = "<serial type='null'><log file='/log' append='off'/></serial>";
        assert_eq!(
            add(logged)["backend"],
            json!({"type": "null", "data": {"logfile": "/log", "logappend": false}})
        );
        // What libvirt cannot plug, and TLS, which this driver does not do.
        let e = chardev_add(&serial("<serial type='stdio'/>"), "c", false).unwrap_err();
        assert_eq!(e.code, ErrorNumber::OPERATION_FAILED);
        assert_eq!(
            e.message,
            "operation failed: Hotplug unsupported for char device type 'stdio'"
        );
        let tls =
            "<serial type='tcp'><source mode='bind' host='h' service='7' tls='yes'/></serial>";
        let e = chardev_add(&serial(tls), "c", false).unwrap_err();
        assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
    }

    #[test]
    fn the_command_line_reconnects_logs_and_speaks_udp() {
        let line = |x: &str| chardev_backend(&serial(x), "charserial0", false).unwrap();
        assert_eq!(
            line(
                "<serial type='unix'><source mode='connect' path='/s'>\
                 <reconnect enabled='no'/></source><log file='/l'/></serial>"
            ),
            "socket,id=charserial0,path=/s,reconnect=0,logfile=/l"
        );
        assert_eq!(
            line("<serial type='udp'><source mode='connect' host='h' service='6'/></serial>"),
            "udp,id=charserial0,host=h,port=6,localaddr=,localport=0"
        );
    }
}
