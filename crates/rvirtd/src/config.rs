//! The daemon's configuration file, with libvirtd.conf's syntax and key names.
//!
//! The syntax is libvirt's `virConf` (see `rvirt_virconf`). Keys rvirtd does not know are
//! ignored, as libvirtd ignores them; a known key with a value of the wrong type is an error that
//! names the file and the key, in libvirt's words.

use rvirt_virconf::ConfFile;
use std::path::{Path, PathBuf};

/// The settings rvirtd reads. Defaults are libvirtd's.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Folder of `libvirt-sock` and `libvirt-sock-ro`.
    pub unix_sock_dir: PathBuf,
    /// Permissions of the read-write socket.
    pub unix_sock_rw_perms: u32,
    /// Permissions of the read-only socket.
    pub unix_sock_ro_perms: u32,
    /// Group owning the sockets, if not the daemon's.
    pub unix_sock_group: Option<String>,
    /// Listen for TCP connections (plain, unauthenticated: only with `auth_tcp = "none"`).
    /// As in libvirtd, only with `--listen`.
    pub listen_tcp: bool,
    /// Listen for TLS connections. As in libvirtd, only with `--listen`.
    pub listen_tls: bool,
    /// TCP port.
    pub tcp_port: String,
    /// TLS port.
    pub tls_port: String,
    /// Address to listen on for TCP and TLS.
    pub listen_addr: Option<String>,
    /// Server private key for TLS. When none of `key_file`, `cert_file` and `ca_file` is set,
    /// libvirt's pki layout is used (`/etc/pki/libvirt/private/serverkey.pem`, and for a
    /// daemon not run as root `$HOME/.pki/libvirt/serverkey.pem` first); when one is set, all
    /// three must be.
    pub key_file: Option<PathBuf>,
    /// Server certificate for TLS (`/etc/pki/libvirt/servercert.pem` by default).
    pub cert_file: Option<PathBuf>,
    /// CA certificate that signed client certificates (`/etc/pki/CA/cacert.pem` by default).
    pub ca_file: Option<PathBuf>,
    /// The CA's certificate revocation list, with explicit files (`/etc/pki/CA/cacrl.pem`, if
    /// it exists, with the pki layout).
    pub crl_file: Option<PathBuf>,
    /// Accept TLS clients whose certificate fails the checks (or who show none).
    pub tls_no_verify_certificate: bool,
    /// Skip the startup check of the daemon's own certificate against the CA.
    pub tls_no_sanity_certificate: bool,
    /// Distinguished names of the TLS clients allowed in (GLib glob patterns). Unset allows
    /// every client with a valid certificate; an empty list allows none, as in libvirtd.
    pub tls_allowed_dn_list: Option<Vec<String>>,
    /// Most clients connected at once; more wait in the listen backlog.
    pub max_clients: usize,
    /// Most calls one client may have in progress.
    pub max_client_requests: usize,
    /// Most calls in progress across all clients.
    pub max_workers: usize,
    /// Seconds without traffic before the daemon pings a client (-1 disables).
    pub keepalive_interval: i64,
    /// Unanswered pings after which the daemon drops a client.
    pub keepalive_count: u32,
    /// 1 debug, 2 info, 3 warning, 4 error.
    pub log_level: u32,
    /// libvirt-style log filters, e.g. `"1:rpc 3:remote 4:event"`.
    pub log_filters: String,
    /// libvirt-style log outputs, e.g. `"3:stderr"` or `"1:file:/var/log/rvirtd.log"`.
    pub log_outputs: String,
    /// rvirt's own key `rvirt_qemu_root`: keep the state of `qemu:///system` (pool configs,
    /// autostart links, state files) under this folder, laid out as `qemu:///embed?root=` lays
    /// it out, instead of libvirt's `/etc/libvirt` and `/run/libvirt`. For tests and for a
    /// daemon beside a real libvirtd.
    pub rvirt_qemu_root: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            unix_sock_dir: PathBuf::from("/run/libvirt"),
            unix_sock_rw_perms: 0o700,
            unix_sock_ro_perms: 0o777,
            unix_sock_group: None,
            listen_tcp: false,
            listen_tls: true,
            tcp_port: "16509".into(),
            tls_port: "16514".into(),
            listen_addr: None,
            key_file: None,
            cert_file: None,
            ca_file: None,
            crl_file: None,
            tls_no_verify_certificate: false,
            tls_no_sanity_certificate: false,
            tls_allowed_dn_list: None,
            max_clients: 5000,
            max_client_requests: 5,
            max_workers: 20,
            keepalive_interval: 5,
            keepalive_count: 5,
            log_level: 3,
            log_filters: String::new(),
            log_outputs: String::new(),
            rvirt_qemu_root: None,
        }
    }
}

/// Why a configuration file could not be used.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl From<rvirt_virconf::ConfError> for ConfigError {
    fn from(e: rvirt_virconf::ConfError) -> Self {
        ConfigError(e.message().to_string())
    }
}

/// A setting the file gives (`Some`) replaces the default in `field`.
fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

impl Config {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::from_file(&ConfFile::load(path)?)
    }

    /// Parses a configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        Config::from_file(&ConfFile::parse(text, origin)?)
    }

    /// The settings of a parsed file, the others at their defaults.
    fn from_file(f: &ConfFile) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        let perms = |name: &str| -> Result<Option<u32>, ConfigError> {
            let Some(v) = f.string(name)? else {
                return Ok(None);
            };
            u32::from_str_radix(v.trim_start_matches("0o"), 8)
                .ok()
                .filter(|p| *p <= 0o7777)
                .map(Some)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "{}: expected octal permissions such as \"0770\" for '{name}' parameter",
                        f.origin()
                    ))
                })
        };
        let path = |name: &str| -> Result<Option<PathBuf>, ConfigError> {
            Ok(f.string(name)?.map(PathBuf::from))
        };
        let count = |name: &str| -> Result<Option<usize>, ConfigError> {
            Ok(f.uint(name)?.map(|n| n.max(1) as usize))
        };
        set(&mut c.unix_sock_dir, path("unix_sock_dir")?);
        set(&mut c.unix_sock_rw_perms, perms("unix_sock_rw_perms")?);
        set(&mut c.unix_sock_ro_perms, perms("unix_sock_ro_perms")?);
        c.unix_sock_group = f.string("unix_sock_group")?;
        set(&mut c.listen_tcp, f.boolean("listen_tcp")?);
        set(&mut c.listen_tls, f.boolean("listen_tls")?);
        set(&mut c.tcp_port, f.string("tcp_port")?);
        set(&mut c.tls_port, f.string("tls_port")?);
        c.listen_addr = f.string("listen_addr")?;
        c.key_file = path("key_file")?;
        c.cert_file = path("cert_file")?;
        c.ca_file = path("ca_file")?;
        c.crl_file = path("crl_file")?;
        set(
            &mut c.tls_no_verify_certificate,
            f.boolean("tls_no_verify_certificate")?,
        );
        set(
            &mut c.tls_no_sanity_certificate,
            f.boolean("tls_no_sanity_certificate")?,
        );
        c.tls_allowed_dn_list = f.string_list("tls_allowed_dn_list", false)?;
        set(&mut c.max_clients, count("max_clients")?);
        set(&mut c.max_client_requests, count("max_client_requests")?);
        set(&mut c.max_workers, count("max_workers")?);
        set(&mut c.keepalive_interval, f.int("keepalive_interval")?);
        set(&mut c.keepalive_count, f.uint("keepalive_count")?);
        set(&mut c.log_level, f.uint("log_level")?);
        set(&mut c.log_filters, f.string("log_filters")?);
        set(&mut c.log_outputs, f.string("log_outputs")?);
        c.rvirt_qemu_root = path("rvirt_qemu_root")?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libvirtd_conf_syntax() {
        let c = Config::parse(
            r#"
# a comment
unix_sock_dir = "/tmp/x/sock"   # trailing comment
unix_sock_rw_perms = "0770"
listen_tcp = 1
max_clients = 20
keepalive_interval = -1
tls_allowed_dn_list = ["DN1",
    "DN2" ]
something_unknown = "ignored"
"#,
            "test.conf",
        )
        .unwrap();
        assert_eq!(c.unix_sock_dir, PathBuf::from("/tmp/x/sock"));
        assert_eq!(c.unix_sock_rw_perms, 0o770);
        assert!(c.listen_tcp);
        assert_eq!(c.max_clients, 20);
        assert_eq!(c.keepalive_interval, -1);
        assert_eq!(
            c.tls_allowed_dn_list.as_deref(),
            Some(&["DN1".to_string(), "DN2".to_string()][..])
        );
        assert_eq!(c.key_file, None);
        assert_eq!(c.unix_sock_ro_perms, 0o777);
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let e = Config::parse("max_clients = \"many\"\n", "d.conf").unwrap_err();
        assert_eq!(
            e.0,
            "d.conf: expected an unsigned integer for 'max_clients' parameter"
        );
        let e = Config::parse("\n\nunix_sock_dir 3\n", "d.conf").unwrap_err();
        assert_eq!(e.0, "d.conf:3: expecting '=' after 'unix_sock_dir'");
        let e = Config::parse("a = \"open\n", "d.conf").unwrap_err();
        assert_eq!(e.0, "d.conf:1: unterminated string");
        let e = Config::parse("unix_sock_rw_perms = \"rw\"", "d.conf").unwrap_err();
        assert!(e.0.contains("octal"), "{e}");
    }
}
