//! What a URI asks of the remote driver, decided as libvirt's `doRemoteOpen` and
//! `remote_sockets.c` decide it: the transport, the socket, the host, the ssh options, and the
//! name sent to the server in `CONNECT_OPEN` (the URI without the driver's own parameters).

use crate::uri::Uri;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// How the client reaches the daemon (`remoteDriverTransport`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TLS over TCP, port 16514: the default when the URI names a host.
    Tls,
    /// A unix socket: the default when the URI names no host.
    Unix,
    /// The `ssh` program, tunnelling to the remote daemon's socket.
    Ssh,
    /// The libssh2 library.
    Libssh2,
    /// An external command given by `command=`.
    Ext,
    /// Plain TCP, port 16509.
    Tcp,
    /// The libssh library.
    Libssh,
}

impl Transport {
    /// libvirt's name for the transport.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tls => "tls",
            Transport::Unix => "unix",
            Transport::Ssh => "ssh",
            Transport::Libssh2 => "libssh2",
            Transport::Ext => "ext",
            Transport::Tcp => "tcp",
            Transport::Libssh => "libssh",
        }
    }

    fn from_name(s: &str) -> Option<Transport> {
        [
            Transport::Tls,
            Transport::Unix,
            Transport::Ssh,
            Transport::Libssh2,
            Transport::Ext,
            Transport::Tcp,
            Transport::Libssh,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }
}

/// Which daemon's socket to use (`remoteDriverMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The per-driver daemon's socket if it exists, else libvirtd's.
    Auto,
    /// libvirtd's socket.
    Legacy,
    /// The per-driver daemon's socket (`virtqemud-sock`).
    Direct,
}

/// What ssh runs on the remote host (`virNetClientProxy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proxy {
    /// `virt-ssh-helper` if the remote host has it, else netcat.
    Auto,
    /// `nc -U SOCKET`.
    Netcat,
    /// `virt-ssh-helper` only.
    Native,
}

/// `REMOTE_DRIVER_OPEN_RO`: use the read-only socket.
pub const OPEN_RO: u32 = 1;
/// `REMOTE_DRIVER_OPEN_USER`: use the per-user socket.
pub const OPEN_USER: u32 = 2;
/// `REMOTE_DRIVER_OPEN_AUTOSTART`: a per-user daemon may be started.
pub const OPEN_AUTOSTART: u32 = 4;

/// Where libvirt puts system sockets when the host might be another machine: `LOCALSTATEDIR/run`,
/// which is `/run` through the `/var/run` symlink on every current distribution.
pub const SYSTEM_SOCKET_DIR: &str = "/var/run/libvirt";

/// The process facts a decision depends on, gathered once so tests can fix them.
#[derive(Clone, Debug)]
pub struct Environment {
    /// The effective user id; 0 for root.
    pub euid: u32,
    /// `virGetUserRuntimeDirectory`: `$XDG_RUNTIME_DIR/libvirt`, else `~/.cache/libvirt`.
    pub user_runtime_dir: String,
    /// `LIBVIRT_AUTOSTART`.
    pub autostart: Option<String>,
    /// Sockets that exist (only consulted for the per-driver daemon in `mode=auto`).
    pub existing: fn(&str) -> bool,
}

impl Environment {
    /// The facts of this process.
    pub fn current() -> Environment {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        let runtime = std::env::var("XDG_RUNTIME_DIR")
            .ok()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| {
                let home = std::env::var("HOME").unwrap_or_else(|_| "/".into());
                format!("{home}/.cache")
            });
        Environment {
            euid,
            user_runtime_dir: format!("{runtime}/libvirt"),
            autostart: std::env::var("LIBVIRT_AUTOSTART").ok(),
            existing: |p| std::path::Path::new(p).exists(),
        }
    }
}

/// Everything the open needs, decided from the URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The driver part of the scheme (`qemu` of `qemu+ssh`).
    pub driver: String,
    /// The transport.
    pub transport: Transport,
    /// The name sent in `CONNECT_OPEN`.
    pub name: String,
    /// The daemon's unix socket (local for unix, remote for ssh); `None` for tcp, tls, ext.
    pub socket: Option<String>,
    /// The host: the URI's server, else `localhost`.
    pub host: String,
    /// The port: the URI's, else 16514 for tls and 16509 for tcp.
    pub port: Option<String>,
    /// The user of the URI.
    pub user: Option<String>,
    /// `command=`: the ssh binary or the ext command.
    pub command: Option<String>,
    /// `keyfile=`.
    pub keyfile: Option<String>,
    /// `netcat=`.
    pub netcat: Option<String>,
    /// `proxy=`, or what libvirt picks without it.
    pub proxy: Proxy,
    /// `no_tty=1`: ssh must not ask for anything.
    pub no_tty: bool,
    /// `no_verify=1`: do not check the host key (ssh) or certificate (tls).
    pub no_verify: bool,
    /// `no_sanity=1`: do not check the client's own TLS certificate against the CA first.
    pub no_sanity: bool,
    /// `pkipath=`: where the TLS certificates are.
    pub pkipath: Option<String>,
    /// `auth=`: the authentication type wanted (`sasl`, `sasl.MECH`, `polkit`).
    pub auth: Option<String>,
    /// `REMOTE_DRIVER_OPEN_*` flags, also sent as the flags of `CONNECT_OPEN`.
    pub flags: u32,
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::REMOTE, ErrorNumber::INVALID_ARG, detail)
}

/// `remoteSplitURIScheme`: the driver and the transport.
fn split_scheme(uri: &Uri) -> Result<(String, Transport)> {
    if uri.scheme.is_empty() {
        return Err(invalid("missing scheme for URI"));
    }
    match uri.scheme.split_once('+') {
        Some((driver, transport)) => {
            let t = Transport::from_name(&transport.to_ascii_lowercase()).ok_or_else(|| {
                invalid(
                    "remote_open: transport in URL not recognised \
                     (should be tls|unix|ssh|ext|tcp|libssh2|libssh)",
                )
            })?;
            if let (Transport::Unix, Some(server)) = (t, &uri.server) {
                return Err(invalid(format!(
                    "using unix socket and remote server '{server}' is not supported."
                )));
            }
            Ok((driver.to_string(), t))
        }
        None if uri.server.is_some() => Ok((uri.scheme.clone(), Transport::Tls)),
        None => Ok((uri.scheme.clone(), Transport::Unix)),
    }
}

/// The `no_*` parameters: an integer, non-zero meaning yes.
fn flag_param(name: &str, value: &str) -> Result<bool> {
    value
        .parse::<i32>()
        .map(|v| v != 0)
        .map_err(|_| invalid(format!("Failed to parse value of URI component {name}")))
}

/// `remoteGetUNIXSocketHelper`: a daemon's socket path.
fn socket_path(env: &Environment, prefix: &str, flags: u32) -> String {
    if flags & OPEN_USER != 0 {
        format!("{}/{prefix}-sock", env.user_runtime_dir)
    } else {
        let kind = if flags & OPEN_RO != 0 {
            "sock-ro"
        } else {
            "sock"
        };
        format!("{SYSTEM_SOCKET_DIR}/{prefix}-{kind}")
    }
}

/// `remoteGetUNIXSocket`: the socket of the daemon `mode` picks for `driver`.
fn choose_socket(
    env: &Environment,
    transport: Transport,
    mode: Mode,
    driver: &str,
    flags: u32,
) -> Result<String> {
    let direct = (!driver.is_empty()).then(|| socket_path(env, &format!("virt{driver}d"), flags));
    let legacy = socket_path(env, "libvirt", flags);
    let mode = match mode {
        Mode::Auto if transport == Transport::Unix => {
            if direct.as_deref().is_some_and(env.existing) {
                Mode::Direct
            } else {
                // Debian builds libvirt with the legacy default: without a per-driver socket,
                // libvirtd's is used even when it does not exist (the connect error names it).
                Mode::Legacy
            }
        }
        Mode::Auto => Mode::Legacy,
        m => m,
    };
    match mode {
        Mode::Direct if transport != Transport::Unix => Err(Error::with_detail(
            ErrorDomain::REMOTE,
            ErrorNumber::OPERATION_UNSUPPORTED,
            format!(
                "Cannot use direct socket mode for {} transport",
                transport.name()
            ),
        )),
        Mode::Direct => direct.ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::REMOTE,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "Cannot use direct socket mode if no URI is set",
            )
        }),
        _ => Ok(legacy),
    }
}

/// `remoteGetURIDaemonInfo`: the per-user socket for `/session` URIs and for the test driver
/// over a transport, when not root; a per-user daemon may be started for a local one.
fn daemon_flags(env: &Environment, uri: &Uri, transport: Transport) -> u32 {
    let mut flags = 0;
    let session = uri.path.as_deref() == Some("/session") || uri.scheme.starts_with("test+");
    if session && env.euid > 0 {
        flags |= OPEN_USER;
        if uri.server.is_none()
            && transport == Transport::Unix
            && env.autostart.as_deref() != Some("0")
        {
            flags |= OPEN_AUTOSTART;
        }
    }
    flags
}

impl Target {
    /// Decides how to open `uri` (read-only if `read_only`).
    pub fn from_uri(uri: &str, read_only: bool, env: &Environment) -> Result<Target> {
        let mut uri = Uri::parse(uri)?;
        let (driver, transport) = split_scheme(&uri)?;
        let mut flags = daemon_flags(env, &uri, transport);
        if read_only {
            flags |= OPEN_RO;
        }
        let port = if uri.port != 0 {
            Some(uri.port.to_string())
        } else {
            match transport {
                Transport::Tls => Some("16514".to_string()),
                Transport::Tcp => Some("16509".to_string()),
                _ => None,
            }
        };

        let (mut name, mut command, mut socket, mut auth, mut netcat, mut keyfile) =
            (None, None, None, None, None, None);
        let (mut pkipath, mut mode, mut proxy) = (None, None, None);
        let (mut no_tty, mut no_verify, mut no_sanity) = (false, false, false);
        for p in &mut uri.params {
            let slot = match p.name.to_ascii_lowercase().as_str() {
                "name" => &mut name,
                "command" => &mut command,
                "socket" => &mut socket,
                "auth" => &mut auth,
                "netcat" => &mut netcat,
                "keyfile" => &mut keyfile,
                "pkipath" => &mut pkipath,
                "mode" => &mut mode,
                "proxy" => &mut proxy,
                // Consumed for the transports this driver does not implement (or, for
                // `authfile`, by the credential helper), never passed on.
                "sshauth" | "known_hosts" | "known_hosts_verify" | "tls_priority" | "authfile" => {
                    p.consumed = true;
                    continue;
                }
                "no_sanity" => {
                    no_sanity = flag_param(&p.name, &p.value)?;
                    p.consumed = true;
                    continue;
                }
                "no_verify" => {
                    no_verify = flag_param(&p.name, &p.value)?;
                    p.consumed = true;
                    continue;
                }
                "no_tty" => {
                    no_tty = flag_param(&p.name, &p.value)?;
                    p.consumed = true;
                    continue;
                }
                _ => continue,
            };
            *slot = Some(p.value.clone());
            p.consumed = true;
        }

        if name.is_none() {
            name = Some(
                if uri.scheme == "remote" || uri.scheme.starts_with("remote+") {
                    // The server picks its default driver.
                    String::new()
                } else {
                    Uri::format_without_server(
                        &driver,
                        uri.path.as_deref(),
                        uri.remaining_query().as_deref(),
                        uri.fragment.as_deref(),
                    )
                },
            );
        }

        let mode = match mode.as_deref() {
            None | Some("auto") => Mode::Auto,
            Some("legacy") => Mode::Legacy,
            Some("direct") => Mode::Direct,
            Some(m) => return Err(invalid(format!("Unknown remote mode '{m}'"))),
        };
        let proxy = match proxy.as_deref() {
            Some("auto") => Proxy::Auto,
            Some("netcat") => Proxy::Netcat,
            Some("native") => Proxy::Native,
            // libvirt's own spelling of this message.
            Some(p) => return Err(invalid(format!("Unnkown proxy type '{p}'"))),
            // An explicit socket is only reachable through netcat; a per-user daemon's path
            // is only known on the remote side, to virt-ssh-helper.
            None if socket.is_some() => Proxy::Netcat,
            None if flags & OPEN_USER != 0 => Proxy::Native,
            None => Proxy::Auto,
        };

        if transport == Transport::Ext && command.is_none() {
            return Err(invalid(
                "remote_open: for 'ext' transport, command is required",
            ));
        }
        if matches!(
            transport,
            Transport::Unix | Transport::Ssh | Transport::Libssh | Transport::Libssh2
        ) && socket.is_none()
        {
            socket = Some(choose_socket(env, transport, mode, &driver, flags)?);
        }

        Ok(Target {
            driver,
            transport,
            name: name.unwrap_or_default(),
            socket,
            host: uri.server.clone().unwrap_or_else(|| "localhost".into()),
            port,
            user: uri.user.clone(),
            command,
            keyfile,
            netcat,
            proxy,
            no_tty,
            no_verify,
            no_sanity,
            pkipath,
            auth,
            flags,
        })
    }

    /// libvirt's `is_secure` of the transport: unix sockets, ssh and TLS are; TCP and external
    /// commands are not.
    pub fn transport_is_secure(&self) -> bool {
        !matches!(self.transport, Transport::Tcp | Transport::Ext)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(euid: u32) -> Environment {
        Environment {
            euid,
            user_runtime_dir: "/run/user/1000/libvirt".into(),
            autostart: None,
            existing: |p| p == "/var/run/libvirt/virtqemud-sock",
        }
    }

    fn target(uri: &str, ro: bool) -> Target {
        Target::from_uri(uri, ro, &env(0)).unwrap()
    }

    /// A URI, read-only or not, and the transport, socket, name sent, host and port it gives.
    struct Row(
        &'static str,
        bool,
        Transport,
        Option<&'static str>,
        &'static str,
        &'static str,
        Option<&'static str>,
    );

    #[test]
    fn table_of_uris() {
        let table = [
            Row(
                "test+unix:///default?socket=/x",
                false,
                Transport::Unix,
                Some("/x"),
                "test:///default",
                "localhost",
                None,
            ),
            Row(
                "test+unix:///tmp/node.xml?socket=/s/libvirt-sock",
                true,
                Transport::Unix,
                Some("/s/libvirt-sock"),
                "test:///tmp/node.xml",
                "localhost",
                None,
            ),
            Row(
                "xen:///system",
                false,
                Transport::Unix,
                Some("/var/run/libvirt/libvirt-sock"),
                "xen:///system",
                "localhost",
                None,
            ),
            Row(
                "xen:///system",
                true,
                Transport::Unix,
                Some("/var/run/libvirt/libvirt-sock-ro"),
                "xen:///system",
                "localhost",
                None,
            ),
            Row(
                // The per-driver daemon's socket exists: auto mode takes it.
                "qemu:///system",
                false,
                Transport::Unix,
                Some("/var/run/libvirt/virtqemud-sock"),
                "qemu:///system",
                "localhost",
                None,
            ),
            Row(
                "lxc:///system?mode=direct",
                true,
                Transport::Unix,
                Some("/var/run/libvirt/virtlxcd-sock-ro"),
                "lxc:///system",
                "localhost",
                None,
            ),
            Row(
                "qemu:///system?mode=legacy",
                false,
                Transport::Unix,
                Some("/var/run/libvirt/libvirt-sock"),
                "qemu:///system",
                "localhost",
                None,
            ),
            Row(
                "qemu+ssh://root@host:2222/system?keyfile=/k&no_tty=1&foo=a%20b",
                false,
                Transport::Ssh,
                Some("/var/run/libvirt/libvirt-sock"),
                "qemu:///system?foo=a%20b",
                "host",
                Some("2222"),
            ),
            Row(
                "qemu://host/system",
                false,
                Transport::Tls,
                None,
                "qemu:///system",
                "host",
                Some("16514"),
            ),
            Row(
                "qemu+tcp://host/system?name=qemu:///session",
                false,
                Transport::Tcp,
                None,
                "qemu:///session",
                "host",
                Some("16509"),
            ),
            Row(
                "remote+unix:///?Socket=/a&SOCKET=/b",
                false,
                Transport::Unix,
                Some("/b"),
                "",
                "localhost",
                None,
            ),
            Row(
                "test+ext:///default?command=/bin/proxy&pkipath=/p&tls_priority=x",
                false,
                Transport::Ext,
                None,
                "test:///default",
                "localhost",
                None,
            ),
        ];
        for Row(uri, ro, transport, socket, name, host, port) in table {
            let t = target(uri, ro);
            assert_eq!(t.transport, transport, "{uri}");
            assert_eq!(t.socket.as_deref(), socket, "{uri}");
            assert_eq!(t.name, name, "{uri}");
            assert_eq!(t.host, host, "{uri}");
            assert_eq!(t.port.as_deref(), port, "{uri}");
            assert_eq!(t.flags, u32::from(ro), "{uri}");
        }
        let t = target(
            "qemu+ssh://root@host:2222/system?keyfile=/k&no_tty=1",
            false,
        );
        assert_eq!(
            (
                t.user.as_deref(),
                t.keyfile.as_deref(),
                t.no_tty,
                t.proxy,
                t.no_verify
            ),
            (Some("root"), Some("/k"), true, Proxy::Auto, false)
        );
        assert_eq!(
            target("qemu+ssh://h/system?socket=/s", false).proxy,
            Proxy::Netcat
        );
    }

    #[test]
    fn unprivileged_users_get_their_own_daemon_for_sessions_and_the_test_driver() {
        let t = Target::from_uri("qemu:///session", false, &env(1000)).unwrap();
        assert_eq!(
            t.socket.as_deref(),
            Some("/run/user/1000/libvirt/libvirt-sock")
        );
        assert_eq!(t.flags, OPEN_USER | OPEN_AUTOSTART);
        let t = Target::from_uri("test+ssh://h/default", true, &env(1000)).unwrap();
        assert_eq!(t.flags, OPEN_USER | OPEN_RO);
        assert_eq!(t.proxy, Proxy::Native);
        let t = Target::from_uri("qemu:///session", false, &env(0)).unwrap();
        assert_eq!(t.flags, 0);
    }

    #[test]
    fn errors_are_libvirts() {
        let e = |uri: &str| Target::from_uri(uri, false, &env(0)).unwrap_err();
        let cases = [
            (
                "test+foo:///default",
                "invalid argument: remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)",
            ),
            (
                "test+unix://host/default",
                "invalid argument: using unix socket and remote server 'host' is not supported.",
            ),
            (
                "test+unix:///default?no_verify=x",
                "invalid argument: Failed to parse value of URI component no_verify",
            ),
            (
                "test+unix:///default?mode=bogus",
                "invalid argument: Unknown remote mode 'bogus'",
            ),
            (
                "test+ext:///default",
                "invalid argument: remote_open: for 'ext' transport, command is required",
            ),
        ];
        for (uri, message) in cases {
            let err = e(uri);
            assert_eq!(err.message, message, "{uri}");
            assert_eq!(
                (err.code, err.domain),
                (ErrorNumber::INVALID_ARG, ErrorDomain::REMOTE)
            );
        }
        assert_eq!(
            e("qemu+ssh://h/system?mode=direct").message,
            "Operation not supported: Cannot use direct socket mode for ssh transport"
        );
    }
}
