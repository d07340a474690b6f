//! The graphics consoles on the command line, as libvirt's `qemuBuildGraphicsVNCCommandLine`
//! and `qemuBuildGraphicsSPICECommandLine` give them: `-vnc` and `-spice` with where they
//! listen, their policies and compression settings, and `-k` for a keymap. Passwords are not
//! here: QEMU is told them over the monitor (`crate::graphics::set_passwords`).

use super::{audio, opt_escape, unsupported};
use crate::config::QemuConfig;
use crate::graphics::{attr, child_attr, spice_channels};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::GraphicsDef;
use rvirt_types::Result;
use serde_json::json;

/// The first port of a VNC display (display 0).
const VNC_FIRST: i32 = 5900;

/// The id of the TLS credentials object of VNC consoles (`vnc_tls`), libvirt's.
pub(crate) const VNC_TLS_ID: &str = "vnc-tls-creds0";

/// `-vnc` (and `-k`) for a VNC console, and the TLS credentials object it takes when `vnc_tls`
/// is on; `audiodev` is the id of the audio backend it carries.
pub(super) fn vnc(
    g: &GraphicsDef,
    cfg: &QemuConfig,
    audiodev: &str,
    a: &mut Vec<String>,
) -> Result<()> {
    let Some(listen) = g.listens.first() else {
        return Err(rvirt_types::Error::internal(
            crate::FROM,
            "missing listen element",
        ));
    };
    let mut opt = match listen.listen_type.as_str() {
        "socket" => format!(
            "vnc=unix:{}",
            opt_escape(listen.socket.as_deref().unwrap_or_default())
        ),
        "none" => "none".to_string(),
        _ => {
            if !g.autoport && !(VNC_FIRST..=65535).contains(&g.port) {
                return Err(unsupported("vnc port must be in range [5900,65535]"));
            }
            // A start gives an automatic port its number first (`ports.rs`); one that has
            // none yet is display 0, as libvirt's `domxml-to-native` prints it.
            let display = if g.port < VNC_FIRST {
                0
            } else {
                g.port - VNC_FIRST
            };
            let mut s = match listen.address.as_deref() {
                Some(addr) if addr.contains(':') => format!("[{addr}]"),
                Some(addr) => addr.to_string(),
                None => String::new(),
            };
            s.push_str(&format!(":{display}"));
            if let Some(ws) = attr(g, "websocket").filter(|w| *w != "0") {
                s.push_str(&format!(",websocket={ws}"));
            }
            s
        }
    };
    if let Some(share) = attr(g, "sharePolicy") {
        opt.push_str(&format!(",share={share}"));
    }
    if g.passwd.is_some() || cfg.vnc_password.is_some() {
        opt.push_str(",password=on");
    }
    if cfg.vnc_tls {
        a.push("-object".into());
        a.push(
            json!({"qom-type": "tls-creds-x509", "id": VNC_TLS_ID,
                   "dir": cfg.vnc_tls_x509_cert_dir, "endpoint": "server",
                   "verify-peer": cfg.vnc_tls_x509_verify})
            .to_string(),
        );
        opt.push_str(&format!(",tls-creds={VNC_TLS_ID}"));
    }
    if cfg.vnc_sasl {
        opt.push_str(",sasl=on");
    }
    if let Some(p) = attr(g, "powerControl") {
        opt.push_str(if p == "yes" {
            ",power-control=on"
        } else {
            ",power-control=off"
        });
    }
    opt.push_str(&format!(",audiodev={audiodev}"));
    a.push("-vnc".into());
    a.push(opt);
    keymap(g, a);
    Ok(())
}

/// `-spice` (and `-k`) for a SPICE console.
pub(super) fn spice(g: &GraphicsDef, cfg: &QemuConfig, a: &mut Vec<String>) -> Result<()> {
    let Some(listen) = g.listens.first() else {
        return Err(rvirt_types::Error::internal(
            crate::FROM,
            "missing listen element",
        ));
    };
    let mut opt = String::new();
    let (mut plain, mut secure) = (false, false);
    match listen.listen_type.as_str() {
        "socket" => {
            opt.push_str(&format!(
                "unix,addr={},",
                opt_escape(listen.socket.as_deref().unwrap_or_default())
            ));
            plain = true;
        }
        "none" => {
            // QEMU wants a port or a TLS port when nothing else is given.
            opt.push_str("port=0,");
            plain = true;
        }
        _ => {
            if g.port > 0 {
                opt.push_str(&format!("port={},", g.port));
                plain = true;
            }
            if g.tls_port > 0 {
                opt.push_str(&format!("tls-port={},", g.tls_port));
                secure = true;
            }
            if g.port > 0 || g.tls_port > 0 {
                if let Some(addr) = listen.address.as_deref() {
                    opt.push_str(&format!("addr={addr},"));
                }
            }
        }
    }
    match child_attr(g, "mouse", "mode") {
        Some("server") => opt.push_str("agent-mouse=off,"),
        Some("client") => opt.push_str("agent-mouse=on,"),
        _ => {}
    }
    if cfg.spice_sasl {
        opt.push_str("sasl=on,");
    }
    if g.passwd.is_none() && cfg.spice_password.is_none() {
        opt.push_str("disable-ticketing=on,");
    }
    if secure {
        // A TLS port is refused when defined or started unless `spice_tls` is on.
        opt.push_str(&format!(
            "x509-dir={},",
            opt_escape(&cfg.spice_tls_x509_cert_dir)
        ));
    }
    let refuse = |what: &str, how: &str| {
        unsupported(format!(
            "spice {what} set in XML configuration, but {how} connection is not available"
        ))
    };
    match attr(g, "defaultMode") {
        Some("secure") if !secure => {
            return Err(unsupported(
                "spice defaultMode secure requested in XML configuration, but TLS connection \
                 is not available",
            ));
        }
        Some("secure") => opt.push_str("tls-channel=default,"),
        Some("insecure") if !plain => {
            return Err(unsupported(
                "spice defaultMode insecure requested in XML configuration, but plaintext \
                 connection is not available",
            ));
        }
        Some("insecure") => opt.push_str("plaintext-channel=default,"),
        _ => {}
    }
    for (name, mode) in spice_channels(g) {
        match mode {
            "secure" if !secure => return Err(refuse("secure channels", "TLS")),
            "secure" => opt.push_str(&format!("tls-channel={name},")),
            "insecure" if !plain => return Err(refuse("insecure channels", "plaintext")),
            "insecure" => opt.push_str(&format!("plaintext-channel={name},")),
            _ => {}
        }
    }
    let settings = [
        ("image", "compression", "image-compression"),
        ("jpeg", "compression", "jpeg-wan-compression"),
        ("zlib", "compression", "zlib-glz-wan-compression"),
        ("playback", "compression", "playback-compression"),
        ("streaming", "mode", "streaming-video"),
    ];
    for (child, attribute, option) in settings {
        if let Some(v) = child_attr(g, child, attribute) {
            opt.push_str(&format!("{option}={v},"));
        }
    }
    if child_attr(g, "clipboard", "copypaste") == Some("no") {
        opt.push_str("disable-copy-paste=on,");
    }
    if child_attr(g, "filetransfer", "enable") == Some("no") {
        opt.push_str("disable-agent-file-xfer=on,");
    }
    if child_attr(g, "gl", "enable") == Some("yes") {
        opt.push_str("gl=on,");
        if let Some(node) = child_attr(g, "gl", "rendernode") {
            opt.push_str(&format!("rendernode={},", opt_escape(node)));
        }
    }
    // Seamless migration always: a target without it falls back by itself.
    opt.push_str("seamless-migration=on");
    a.push("-spice".into());
    a.push(opt);
    keymap(g, a);
    Ok(())
}

fn keymap(g: &GraphicsDef, a: &mut Vec<String>) {
    if let Some(k) = attr(g, "keymap") {
        a.push("-k".into());
        a.push(k.to_string());
    }
}

/// `SASL_CONF_PATH` for a console whose SASL is `on`, when qemu.conf names its folder.
fn sasl_env(on: bool, dir: &Option<String>, env: &mut Vec<(String, String)>) {
    if let Some(dir) = dir.as_ref().filter(|_| on) {
        env.push(("SASL_CONF_PATH".into(), dir.clone()));
    }
}

/// Every console of `def` that QEMU runs itself (VNC, SPICE), or `-display none` when there is
/// none.
pub(super) fn consoles(
    def: &DomainDef,
    cfg: &QemuConfig,
    env: &mut Vec<(String, String)>,
    a: &mut Vec<String>,
) -> Result<()> {
    let mut any = false;
    for g in &def.devices.graphics {
        match g.graphics_type.as_str() {
            "vnc" => {
                // The console's own `<audio id>`, else the first backend; a definition that
                // skipped the driver's defaults (no `<audio>`) gets a silent one here.
                let wanted = g
                    .extra
                    .iter()
                    .find(|e| e.name == "audio")
                    .and_then(|e| e.attr("id"));
                let audiodev = match audio::audiodev_id(def, wanted) {
                    Some(id) => id,
                    None => {
                        a.push("-audiodev".into());
                        a.push(json!({"id": "audio1", "driver": "none"}).to_string());
                        "audio1".into()
                    }
                };
                vnc(g, cfg, &audiodev, a)?;
                sasl_env(cfg.vnc_sasl, &cfg.vnc_sasl_dir, env);
            }
            "spice" => {
                spice(g, cfg, a)?;
                sasl_env(cfg.spice_sasl, &cfg.spice_sasl_dir, env);
            }
            other => {
                return Err(unsupported(format!(
                    "graphics type '{other}' is not supported yet"
                )));
            }
        }
        any = true;
    }
    if !any {
        a.push("-display".into());
        a.push("none".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::ParseOptions;

    fn args(xml: &str) -> Result<Vec<String>> {
        let def = DomainDef::parse_xml(
            &format!(
                "<domain type='qemu'><name>g</name><memory>65536</memory><os><type>hvm</type>\
                 </os><devices>{xml}<audio id='1' type='none'/></devices></domain>"
            ),
            ParseOptions { live: true },
        )
        .expect("parses");
        let mut a = Vec::new();
        let cfg = QemuConfig::defaults(std::path::Path::new("/r/etc"), false);
        consoles(&def, &cfg, &mut Vec::new(), &mut a)?;
        Ok(a)
    }

    #[test]
    fn vnc_as_libvirt_writes_it() {
        assert_eq!(
            args(
                "<graphics type='vnc' port='5901' autoport='no' keymap='de' \
                 sharePolicy='force-shared' powerControl='yes' passwd='x' websocket='5701'>\
                 <listen type='address' address='::1'/></graphics>"
            )
            .unwrap(),
            [
                "-vnc",
                "[::1]:1,websocket=5701,share=force-shared,password=on,power-control=on,\
                 audiodev=audio1",
                "-k",
                "de"
            ]
        );
        assert_eq!(
            args("<graphics type='vnc'><listen type='socket' socket='/a,b'/></graphics>").unwrap(),
            ["-vnc", "vnc=unix:/a,,b,audiodev=audio1"]
        );
        assert_eq!(
            args("<graphics type='vnc'><listen type='none'/></graphics>").unwrap(),
            ["-vnc", "none,audiodev=audio1"]
        );
        let e = args("<graphics type='vnc' port='80' autoport='no'/>").unwrap_err();
        assert_eq!(
            e.message,
            "unsupported configuration: vnc port must be in range [5900,65535]"
        );
    }

    #[test]
    fn spice_as_libvirt_writes_it() {
        assert_eq!(
            args(
                "<graphics type='spice' port='5903' listen='127.0.0.1' keymap='fr'>\
                 <channel name='main' mode='insecure'/><image compression='auto_glz'/>\
                 <jpeg compression='never'/><zlib compression='always'/>\
                 <playback compression='off'/><streaming mode='filter'/>\
                 <mouse mode='client'/><clipboard copypaste='no'/>\
                 <filetransfer enable='no'/></graphics>"
            )
            .unwrap(),
            [
                "-spice",
                "port=5903,addr=127.0.0.1,agent-mouse=on,disable-ticketing=on,\
                 plaintext-channel=main,image-compression=auto_glz,\
                 jpeg-wan-compression=never,zlib-glz-wan-compression=always,\
                 playback-compression=off,streaming-video=filter,disable-copy-paste=on,\
                 disable-agent-file-xfer=on,seamless-migration=on",
                "-k",
                "fr"
            ]
        );
        assert_eq!(
            args("<graphics type='spice' passwd='p'><listen type='none'/></graphics>").unwrap(),
            ["-spice", "port=0,seamless-migration=on"]
        );
        assert_eq!(
            args("<graphics type='spice'><listen type='socket' socket='/s'/></graphics>").unwrap(),
            [
                "-spice",
                "unix,addr=/s,disable-ticketing=on,seamless-migration=on"
            ]
        );
        let e = args(
            "<graphics type='spice' port='5903'><channel name='main' mode='secure'/></graphics>",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "unsupported configuration: spice secure channels set in XML configuration, but \
             TLS connection is not available"
        );
        let e = args("<graphics type='spice' port='5903' defaultMode='secure'/>").unwrap_err();
        assert!(e.message.contains("defaultMode secure requested"), "{e}");
    }

    #[test]
    fn no_console_means_no_display() {
        assert_eq!(args("").unwrap(), ["-display", "none"]);
        let e = args("<graphics type='rdp'/>").unwrap_err();
        assert_eq!(
            e.message,
            "unsupported configuration: graphics type 'rdp' is not supported yet"
        );
    }
}
