//! The graphics consoles of a guest (VNC and SPICE) as libvirt's QEMU driver sets them up
//! around a start: the checks a definition gets, the listen addresses filled in (the driver's
//! default address, a virtual network's address, a socket in the domain's folder), and the
//! passwords, which reach QEMU over the monitor, never on its command line.

use crate::FROM;
use crate::config::QemuConfig;
use rvirt_conf::DomainDef;
use rvirt_conf::domain::GraphicsDef;
use rvirt_qmp::Monitor;
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::json;
use std::net::IpAddr;
use std::path::Path;

/// The longest VNC password QEMU takes.
pub(crate) const VNC_PASSWORD_MAX: usize = 8;

fn unsupported(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// An attribute of `<graphics>` kept among its other attributes (keymap, sharePolicy...).
pub(crate) fn attr<'a>(g: &'a GraphicsDef, name: &str) -> Option<&'a str> {
    g.extra_attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An attribute of the child `<child>` of a spice `<graphics>` (`<image compression>`...).
pub(crate) fn child_attr<'a>(g: &'a GraphicsDef, child: &str, name: &str) -> Option<&'a str> {
    g.extra
        .iter()
        .find(|e| e.name == child)
        .and_then(|e| e.attr(name))
}

/// The modes spice's channels ask for: `(name, mode)` of each `<channel>` (mode `any` is not
/// kept), in libvirt's order of channel names.
pub(crate) fn spice_channels(g: &GraphicsDef) -> impl Iterator<Item = (&str, &str)> {
    g.extra
        .iter()
        .filter(|e| e.name == "channel")
        .filter_map(|e| Some((e.attr("name")?, e.attr("mode")?)))
}

/// Whether a spice console with automatic ports needs a plain port and a TLS port
/// (`qemuProcessSPICEAllocatePorts`): as its channels and default mode ask; the default mode
/// `any` asks for a plain port, and a TLS port too when `spice_tls` is on.
pub(crate) fn spice_needs(g: &GraphicsDef, spice_tls: bool) -> (bool, bool) {
    if !g.autoport {
        return (false, false);
    }
    let (mut plain, mut tls) = (false, false);
    for (_, mode) in spice_channels(g) {
        match mode {
            "secure" => tls = true,
            "insecure" => plain = true,
            _ => {}
        }
    }
    match attr(g, "defaultMode").unwrap_or("any") {
        "secure" => tls = true,
        "insecure" => plain = true,
        _ => {
            plain = true;
            tls |= spice_tls;
        }
    }
    (plain, tls)
}

/// The checks libvirt's QEMU driver makes of a definition's consoles when it is defined or
/// started (`qemuValidateDomainDeviceDefVNCGraphics`, `...SPICEGraphics`).
pub(crate) fn validate(def: &DomainDef, cfg: &QemuConfig) -> Result<()> {
    for g in &def.devices.graphics {
        match g.graphics_type.as_str() {
            "vnc" => {
                if let Some(p) = g.passwd.as_deref().filter(|p| p.len() > VNC_PASSWORD_MAX) {
                    return Err(unsupported(format!(
                        "VNC password is {} characters long, only {VNC_PASSWORD_MAX} permitted",
                        p.len()
                    )));
                }
            }
            "spice" => {
                let listen = g.listens.first().map_or("", |l| l.listen_type.as_str());
                if matches!(listen, "address" | "network") && g.tls_port > 0 && !cfg.spice_tls {
                    return Err(unsupported(
                        "spice TLS port set in XML configuration, but TLS is disabled in qemu.conf",
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Fills in where each VNC and SPICE console listens, as `qemuProcessGraphicsSetupListen`
/// does: an address listen without an address gets `vnc_listen` (`spice_listen`), or becomes
/// a socket listen `<lib_dir>/<type>.sock` with `vnc_auto_unix_socket`
/// (`spice_auto_unix_socket`); a network listen gets the address of its network
/// (`network_address`), a socket listen without a path `<lib_dir>/<type>.sock`. What the driver
/// filled in is marked so, and left out of migratable XML.
pub(crate) fn setup_listens(
    def: &mut DomainDef,
    cfg: &QemuConfig,
    lib_dir: &Path,
    network_address: &dyn Fn(&str) -> Result<String>,
) -> Result<()> {
    for g in &mut def.devices.graphics {
        let kind = g.graphics_type.clone();
        let (listen, auto_socket) = match kind.as_str() {
            "vnc" => (&cfg.vnc_listen, cfg.vnc_auto_unix_socket),
            "spice" => (&cfg.spice_listen, cfg.spice_auto_unix_socket),
            _ => continue,
        };
        let socket = || lib_dir.join(format!("{kind}.sock")).display().to_string();
        for l in &mut g.listens {
            match l.listen_type.as_str() {
                "address" if l.address.is_none() && auto_socket => {
                    l.listen_type = "socket".into();
                    l.socket = Some(socket());
                    l.from_config = true;
                }
                "address" if l.address.is_none() => {
                    l.address = Some(listen.clone());
                    l.from_config = true;
                }
                "network" if l.address.is_none() => {
                    l.address = Some(match l.network.as_deref() {
                        Some(n) => network_address(n)?,
                        None => listen.clone(),
                    });
                }
                "socket" if l.socket.is_none() => {
                    l.socket = Some(socket());
                    l.auto_generated = true;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The first address of host interface `ifname`, IPv4 or IPv6, in the kernel's order, as
/// libvirt's `virNetDevIPAddrGet` takes it.
pub(crate) fn interface_address(ifname: &str) -> Result<IpAddr> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } < 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::system(
            FROM,
            format!("Could not get interface list for '{ifname}'"),
            &e,
        ));
    }
    let mut found = None;
    let mut at = list;
    while !at.is_null() {
        // SAFETY: `at` is an element of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*at };
        at = ifa.ifa_next;
        if ifa.ifa_name.is_null() || ifa.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: a NUL-terminated name owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        if name.to_bytes() != ifname.as_bytes() {
            continue;
        }
        // SAFETY: ifa_addr points at a socket address of the family it names.
        let addr = unsafe {
            match i32::from((*ifa.ifa_addr).sa_family) {
                libc::AF_INET => {
                    let sin = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    Some(IpAddr::from(
                        u32::from_be(sin.sin_addr.s_addr).to_be_bytes(),
                    ))
                }
                libc::AF_INET6 => {
                    let sin6 = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    Some(IpAddr::from(sin6.sin6_addr.s6_addr))
                }
                _ => None,
            }
        };
        if addr.is_some() {
            found = addr;
            break;
        }
    }
    // SAFETY: the list getifaddrs returned, freed once.
    unsafe { libc::freeifaddrs(list) };
    found.ok_or_else(|| {
        Error::internal(
            FROM,
            format!("no IP address found for interface '{ifname}'"),
        )
    })
}

/// A password QEMU is to take for a console (`qemuDomainChangeGraphicsPasswords`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Password {
    /// `vnc` or `spice`.
    pub(crate) protocol: String,
    pub(crate) password: String,
    /// What happens to connected clients: `keep` unless the definition says.
    pub(crate) connected: String,
    /// `never`, `now` or the seconds since the epoch when it expires.
    pub(crate) expire: String,
}

/// `passwdValidTo` (`YYYY-MM-DDTHH:MM:SS`, UTC) in seconds since the epoch.
fn valid_to(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The password of a VNC or SPICE console, its own or else `default` (`vnc_password`,
/// `spice_password`), as QEMU is to be told it at `now` (seconds since the epoch).
pub(crate) fn password(g: &GraphicsDef, default: Option<&str>, now: i64) -> Option<Password> {
    if g.graphics_type != "vnc" && g.graphics_type != "spice" {
        return None;
    }
    let password = g.passwd.clone().or_else(|| default.map(str::to_string))?;
    let expires = attr(g, "passwdValidTo").and_then(valid_to);
    let expire = match expires {
        _ if password.is_empty() => "now".to_string(),
        Some(t) if t <= now => "now".to_string(),
        Some(t) => t.to_string(),
        None => "never".to_string(),
    };
    Some(Password {
        protocol: g.graphics_type.clone(),
        password,
        connected: attr(g, "connected").unwrap_or("keep").to_string(),
        expire,
    })
}

/// [`password`] as QEMU is to be told it now, with the default of `cfg`.
pub(crate) fn password_now(g: &GraphicsDef, cfg: &QemuConfig) -> Option<Password> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let default = match g.graphics_type.as_str() {
        "vnc" => cfg.vnc_password.as_deref(),
        "spice" => cfg.spice_password.as_deref(),
        _ => None,
    };
    password(g, default, now)
}

/// The passwords of every console of `def`.
pub(crate) fn passwords(def: &DomainDef, cfg: &QemuConfig) -> Vec<Password> {
    def.devices
        .graphics
        .iter()
        .filter_map(|g| password_now(g, cfg))
        .collect()
}

/// Tells QEMU the passwords (`set_password`, then `expire_password`), with libvirt's error
/// for a command QEMU refuses.
pub(crate) async fn set_passwords(mon: &Monitor, passwords: &[Password]) -> Result<()> {
    set_passwords_raw(mon, passwords)
        .await
        .map_err(crate::process::qmp_error)
}

/// [`set_passwords`] with QEMU's own errors.
pub(crate) async fn set_passwords_raw(
    mon: &Monitor,
    passwords: &[Password],
) -> rvirt_qmp::Result<()> {
    for p in passwords {
        let set = json!({"protocol": p.protocol, "password": p.password,
                         "connected": p.connected});
        mon.execute("set_password", Some(set)).await?;
        let expire = json!({"protocol": p.protocol, "time": p.expire});
        mon.execute("expire_password", Some(expire)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::ParseOptions;

    /// The settings of a driver whose `qemu.conf` is `text`.
    fn config(text: &str) -> QemuConfig {
        QemuConfig::parse_text(text).expect("valid")
    }

    fn graphics(xml: &str) -> DomainDef {
        DomainDef::parse_xml(
            &format!(
                "<domain type='qemu'><name>g</name><memory>65536</memory><os><type>hvm</type>\
                 </os><devices>{xml}</devices></domain>"
            ),
            ParseOptions::default(),
        )
        .expect("parses")
    }

    #[test]
    fn passwords_expire_as_libvirt_words_them() {
        let def = graphics(
            "<graphics type='vnc' passwd='abc'/>\
             <graphics type='spice' autoport='yes' passwd='s' connected='disconnect' \
              passwdValidTo='2001-09-09T01:46:40'/>\
             <graphics type='vnc' passwd='' passwdValidTo='2100-01-01T00:00:00'/>\
             <graphics type='sdl' display=':0'/>",
        );
        let got: Vec<_> = def
            .devices
            .graphics
            .iter()
            .filter_map(|g| password(g, None, 999_999_999))
            .map(|p| (p.protocol, p.password, p.connected, p.expire))
            .collect();
        let s = |v: &str| v.to_string();
        assert_eq!(
            got,
            [
                (s("vnc"), s("abc"), s("keep"), s("never")),
                // 2001-09-09T01:46:40 UTC is 1,000,000,000: one second ahead.
                (s("spice"), s("s"), s("disconnect"), s("1000000000")),
                (s("vnc"), s(""), s("keep"), s("now")),
            ]
        );
        assert_eq!(
            password(&def.devices.graphics[1], None, 1_000_000_000).map(|p| p.expire),
            Some(s("now"))
        );
        // qemu.conf's password is for the consoles that set none.
        let cfg = config("vnc_password = \"dflt\"\nspice_password = \"sp\"\n");
        let def = graphics(
            "<graphics type='vnc'/><graphics type='vnc' passwd='own'/>\
             <graphics type='spice' autoport='yes'/>",
        );
        let got: Vec<_> = passwords(&def, &cfg)
            .into_iter()
            .map(|p| (p.protocol, p.password))
            .collect();
        assert_eq!(
            got,
            [
                (s("vnc"), s("dflt")),
                (s("vnc"), s("own")),
                (s("spice"), s("sp"))
            ]
        );
        assert!(passwords(&def, &config("")).len() == 1);
        assert_eq!(valid_to("1970-01-01T00:00:00"), Some(0));
        assert_eq!(valid_to("2024-02-29T12:00:00"), Some(1_709_208_000));
        assert_eq!(valid_to("yesterday"), None);
    }

    #[test]
    fn definitions_are_checked_as_libvirt_checks_them() {
        let cfg = config("");
        let e = validate(&graphics("<graphics type='vnc' passwd='123456789'/>"), &cfg)
            .expect_err("too long");
        assert_eq!(e.code, ErrorNumber::CONFIG_UNSUPPORTED);
        assert_eq!(
            e.message,
            "unsupported configuration: VNC password is 9 characters long, only 8 permitted"
        );
        let tls_port = graphics("<graphics type='spice' port='5910' tlsPort='5911'/>");
        let e = validate(&tls_port, &cfg).expect_err("no TLS");
        assert!(
            e.message.ends_with("but TLS is disabled in qemu.conf"),
            "{e}"
        );
        validate(&tls_port, &config("spice_tls = 1\n")).expect("TLS on in qemu.conf");
        validate(
            &graphics(
                "<graphics type='vnc' passwd='12345678'/><graphics type='spice' port='5910'/>",
            ),
            &cfg,
        )
        .expect("fine");
    }

    #[test]
    fn listens_are_filled_in_where_the_definition_leaves_them_open() {
        let mut def = graphics(
            "<graphics type='vnc'/>\
             <graphics type='spice' autoport='yes'><listen type='network' network='n'/>\
             </graphics>\
             <graphics type='vnc'><listen type='socket'/></graphics>\
             <graphics type='vnc'><listen type='address' address='::1'/></graphics>",
        );
        let mut auto = def.clone();
        setup_listens(&mut def, &config(""), Path::new("/lib/d"), &|n| {
            Ok(format!("addr-of-{n}"))
        })
        .expect("set up");
        let l: Vec<_> = def
            .devices
            .graphics
            .iter()
            .map(|g| {
                let l = &g.listens[0];
                (
                    l.address.clone(),
                    l.socket.clone(),
                    l.from_config,
                    l.auto_generated,
                )
            })
            .collect();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            l,
            [
                (s("127.0.0.1"), None, true, false),
                (s("addr-of-n"), None, false, false),
                (None, s("/lib/d/vnc.sock"), false, true),
                (s("::1"), None, false, false),
            ]
        );
        // qemu.conf's addresses, and VNC's automatic unix socket.
        let cfg =
            config("vnc_auto_unix_socket = 1\nspice_listen = \"::\"\nvnc_listen = \"0.0.0.0\"\n");
        let spice = auto.devices.graphics[1].clone();
        auto.devices.graphics.push(spice);
        auto.devices.graphics[4].listens[0].listen_type = "address".into();
        setup_listens(&mut auto, &cfg, Path::new("/lib/d"), &|n| {
            Ok(format!("addr-of-{n}"))
        })
        .expect("set up");
        let l: Vec<_> = auto
            .devices
            .graphics
            .iter()
            .map(|g| {
                let l = &g.listens[0];
                (l.listen_type.as_str(), l.address.clone(), l.socket.clone())
            })
            .collect();
        assert_eq!(
            l,
            [
                ("socket", None, s("/lib/d/vnc.sock")),
                ("network", s("addr-of-n"), None),
                ("socket", None, s("/lib/d/vnc.sock")),
                ("address", s("::1"), None),
                ("address", s("::"), None),
            ]
        );
        let e = setup_listens(
            &mut graphics(
                "<graphics type='spice' autoport='yes'><listen type='network' network='x'/></graphics>",
            ),
            &config(""),
            Path::new("/"),
            &|_| Err(Error::internal(FROM, "no")),
        );
        assert!(e.is_err());
    }

    #[test]
    fn spice_ports_follow_the_channels() {
        let needs = |xml: &str| spice_needs(&graphics(xml).devices.graphics[0], false);
        assert_eq!(
            needs("<graphics type='spice' autoport='yes'/>"),
            (true, false)
        );
        assert_eq!(
            spice_needs(
                &graphics("<graphics type='spice' autoport='yes'/>")
                    .devices
                    .graphics[0],
                true
            ),
            (true, true),
            "with spice_tls, the default mode takes a TLS port too"
        );
        assert_eq!(
            needs(
                "<graphics type='spice' autoport='yes' defaultMode='secure'>\
                 <channel name='main' mode='insecure'/></graphics>"
            ),
            (true, true)
        );
        assert_eq!(
            needs("<graphics type='spice' autoport='yes' defaultMode='secure'/>"),
            (false, true)
        );
        assert_eq!(
            needs("<graphics type='spice' port='5999'/>"),
            (false, false)
        );
    }

    #[test]
    fn a_missing_interface_has_no_address() {
        let e = interface_address("no-such-if0").expect_err("missing");
        assert_eq!(
            e.message,
            "internal error: no IP address found for interface 'no-such-if0'"
        );
        assert_eq!(
            interface_address("lo").expect("lo has an address"),
            IpAddr::from([127, 0, 0, 1])
        );
    }
}
