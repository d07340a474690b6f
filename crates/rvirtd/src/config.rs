//! The daemon's configuration file, with libvirtd.conf's syntax and key names.
//!
//! The syntax is libvirt's `virConf`: `key = value` lines, `#` comments, values that are integers,
//! double-quoted strings or bracketed lists of strings (which may span lines). Keys rvirtd does not
//! know are ignored, as libvirtd ignores them; a known key with a value of the wrong type is an
//! error that names the key.

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

/// A value in a configuration file.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Int(i64),
    Str(String),
    List(Vec<String>),
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

impl Config {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("Failed to open file '{}': {e}", path.display())))?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Parses a configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        for (line, key, value) in entries(text, origin)? {
            let bad =
                |want: &str| ConfigError(format!("{origin}:{line}: {want} for '{key}' parameter"));
            let s = || match &value {
                Value::Str(s) => Ok(s.clone()),
                _ => Err(bad("expected a string")),
            };
            let int = || match value {
                Value::Int(i) => Ok(i),
                _ => Err(bad("expected an integer")),
            };
            let unsigned = || {
                int()
                    .and_then(|i| u32::try_from(i).map_err(|_| bad("expected an unsigned integer")))
            };
            let perms = || {
                let v = s()?;
                u32::from_str_radix(v.trim_start_matches("0o"), 8)
                    .ok()
                    .filter(|p| *p <= 0o7777)
                    .ok_or_else(|| bad("expected octal permissions such as \"0770\""))
            };
            match key.as_str() {
                "unix_sock_dir" => c.unix_sock_dir = PathBuf::from(s()?),
                "unix_sock_rw_perms" => c.unix_sock_rw_perms = perms()?,
                "unix_sock_ro_perms" => c.unix_sock_ro_perms = perms()?,
                "unix_sock_group" => c.unix_sock_group = Some(s()?),
                "listen_tcp" => c.listen_tcp = int()? != 0,
                "listen_tls" => c.listen_tls = int()? != 0,
                "tcp_port" => c.tcp_port = s()?,
                "tls_port" => c.tls_port = s()?,
                "listen_addr" => c.listen_addr = Some(s()?),
                "key_file" => c.key_file = Some(PathBuf::from(s()?)),
                "cert_file" => c.cert_file = Some(PathBuf::from(s()?)),
                "ca_file" => c.ca_file = Some(PathBuf::from(s()?)),
                "crl_file" => c.crl_file = Some(PathBuf::from(s()?)),
                "tls_no_verify_certificate" => c.tls_no_verify_certificate = int()? != 0,
                "tls_no_sanity_certificate" => c.tls_no_sanity_certificate = int()? != 0,
                "tls_allowed_dn_list" => match &value {
                    Value::List(l) => c.tls_allowed_dn_list = Some(l.clone()),
                    _ => return Err(bad("expected a list of strings")),
                },
                "max_clients" => c.max_clients = unsigned()?.max(1) as usize,
                "max_client_requests" => c.max_client_requests = unsigned()?.max(1) as usize,
                "max_workers" => c.max_workers = unsigned()?.max(1) as usize,
                "keepalive_interval" => c.keepalive_interval = int()?,
                "keepalive_count" => c.keepalive_count = unsigned()?,
                "log_level" => c.log_level = unsigned()?,
                "log_filters" => c.log_filters = s()?,
                "log_outputs" => c.log_outputs = s()?,
                "rvirt_qemu_root" => c.rvirt_qemu_root = Some(PathBuf::from(s()?)),
                _ => {}
            }
        }
        Ok(c)
    }
}

/// Splits a configuration text into `(line, key, value)` entries.
fn entries(text: &str, origin: &str) -> Result<Vec<(usize, String, Value)>, ConfigError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut line = 1;
    let err = |line: usize, what: &str| ConfigError(format!("{origin}:{line}: {what}"));
    loop {
        // Skip blank space and comments between entries.
        while let Some(&(_, ch)) = chars.peek() {
            match ch {
                '\n' => {
                    line += 1;
                    chars.next();
                }
                c if c.is_whitespace() => {
                    chars.next();
                }
                '#' => {
                    while let Some(&(_, c)) = chars.peek() {
                        if c == '\n' {
                            break;
                        }
                        chars.next();
                    }
                }
                _ => break,
            }
        }
        let Some(&(_, first)) = chars.peek() else {
            return Ok(out);
        };
        if !(first.is_ascii_alphabetic() || first == '_') {
            return Err(err(line, "expecting a name"));
        }
        let mut key = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                key.push(c);
                chars.next();
            } else {
                break;
            }
        }
        skip_inline_space(&mut chars);
        if chars.next().map(|(_, c)| c) != Some('=') {
            return Err(err(line, &format!("expecting '=' after '{key}'")));
        }
        skip_inline_space(&mut chars);
        let entry_line = line;
        let value = match chars.peek().map(|&(_, c)| c) {
            Some('"') => {
                Value::Str(string(&mut chars).ok_or_else(|| err(line, "unterminated string"))?)
            }
            Some('[') => {
                chars.next();
                let mut items = Vec::new();
                loop {
                    while let Some(&(_, c)) = chars.peek() {
                        if c == '\n' {
                            line += 1;
                        }
                        if c.is_whitespace() || c == ',' {
                            chars.next();
                        } else if c == '#' {
                            while let Some(&(_, c)) = chars.peek() {
                                if c == '\n' {
                                    break;
                                }
                                chars.next();
                            }
                        } else {
                            break;
                        }
                    }
                    match chars.peek().map(|&(_, c)| c) {
                        Some(']') => {
                            chars.next();
                            break;
                        }
                        Some('"') => items.push(
                            string(&mut chars).ok_or_else(|| err(line, "unterminated string"))?,
                        ),
                        _ => return Err(err(line, "expecting a string or ']' in a list")),
                    }
                }
                Value::List(items)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let mut num = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c == '-' || c.is_ascii_alphanumeric() {
                        num.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let parsed = if let Some(hex) = num.strip_prefix("0x") {
                    i64::from_str_radix(hex, 16).ok()
                } else {
                    num.parse().ok()
                };
                Value::Int(parsed.ok_or_else(|| err(line, &format!("invalid number '{num}'")))?)
            }
            _ => return Err(err(line, &format!("expecting a value for '{key}'"))),
        };
        skip_inline_space(&mut chars);
        match chars.peek().map(|&(_, c)| c) {
            None | Some('\n') | Some('#') | Some(';') => {
                if chars.peek().map(|&(_, c)| c) == Some(';') {
                    chars.next();
                }
            }
            Some(_) => return Err(err(line, "expecting a separator")),
        }
        out.push((entry_line, key, value));
    }
}

fn skip_inline_space(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) {
    while let Some(&(_, c)) = chars.peek() {
        if c == ' ' || c == '\t' || c == '\r' {
            chars.next();
        } else {
            break;
        }
    }
}

fn string(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<String> {
    chars.next();
    let mut s = String::new();
    loop {
        match chars.next()?.1 {
            '"' => return Some(s),
            '\n' => return None,
            c => s.push(c),
        }
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
            "d.conf:1: expected an integer for 'max_clients' parameter"
        );
        let e = Config::parse("\n\nunix_sock_dir 3\n", "d.conf").unwrap_err();
        assert_eq!(e.0, "d.conf:3: expecting '=' after 'unix_sock_dir'");
        let e = Config::parse("a = \"open\n", "d.conf").unwrap_err();
        assert_eq!(e.0, "d.conf:1: unterminated string");
        let e = Config::parse("unix_sock_rw_perms = \"rw\"", "d.conf").unwrap_err();
        assert!(e.0.contains("octal"), "{e}");
    }
}
