//! The command lines of the ssh and ext transports: the `ssh` argv and the command it runs on
//! the remote host to reach the daemon (`virt-ssh-helper`, or netcat on the daemon's socket), as
//! libvirt builds them.

use crate::target::{Proxy, Target};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// Quotes `s` for `/bin/sh` the way libvirt does: unchanged when it has no shell
/// metacharacter, else in single quotes with each `'` written `'\''`.
pub fn escape_shell(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if !s
        .chars()
        .any(|c| "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~".contains(c))
    {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\'");
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The remote command runs through two shells (sshd's, then `sh -c`): quote twice.
fn escape_twice(s: &str) -> String {
    escape_shell(&escape_shell(s))
}

/// The command ssh runs on the remote host: it connects its stdin and stdout to the daemon.
pub fn remote_command(
    proxy: Proxy,
    netcat: Option<&str>,
    socket: &str,
    name: &str,
    read_only: bool,
) -> Result<String> {
    let nc = escape_twice(netcat.unwrap_or("nc"));
    let uri = escape_twice(name);
    // A netcat path in the URI means the caller wants netcat, not the helper.
    let proxy = match (proxy, netcat) {
        (Proxy::Auto, Some(_)) => Proxy::Netcat,
        (p, _) => p,
    };
    // Old netcats need -q0 to exit when the daemon closes; newer ones reject a bare -q.
    let netcat_cmd = format!(
        "if '{nc}' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'{nc}' $ARG -U {socket}"
    );
    let ro = if read_only { " -r " } else { " " };
    let helper_cmd = format!("virt-ssh-helper{ro}'{uri}'");
    Ok(match proxy {
        Proxy::Auto => format!(
            "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     {helper_cmd}; else    {netcat_cmd}; fi'"
        ),
        Proxy::Netcat => format!("sh -c '{netcat_cmd}'"),
        Proxy::Native if netcat.is_some() => {
            return Err(Error::with_detail(
                ErrorDomain::REMOTE,
                ErrorNumber::INVALID_ARG,
                "netcat path not valid with native proxy mode",
            ));
        }
        Proxy::Native => format!("sh -c '{helper_cmd}'"),
    })
}

/// The argv of the ssh transport: `ssh [-p PORT] [-l USER] [-i KEY] -T -e none [-o
/// BatchMode=yes] [-o StrictHostKeyChecking=no] -- HOST COMMAND`.
pub fn ssh_argv(t: &Target) -> Result<Vec<String>> {
    let socket = t.socket.as_deref().unwrap_or("");
    let command = remote_command(
        t.proxy,
        t.netcat.as_deref(),
        socket,
        &t.name,
        t.flags & crate::target::OPEN_RO != 0,
    )?;
    let mut argv = vec![t.command.clone().unwrap_or_else(|| "ssh".into())];
    if let Some(port) = &t.port {
        argv.extend(["-p".into(), port.clone()]);
    }
    if let Some(user) = &t.user {
        argv.extend(["-l".into(), user.clone()]);
    }
    if let Some(key) = &t.keyfile {
        argv.extend(["-i".into(), key.clone()]);
    }
    argv.extend(["-T", "-e", "none"].map(String::from));
    if t.no_tty {
        argv.extend(["-o", "BatchMode=yes"].map(String::from));
    }
    if t.no_verify {
        argv.extend(["-o", "StrictHostKeyChecking=no"].map(String::from));
    }
    argv.extend(["--".into(), t.host.clone(), command]);
    Ok(argv)
}

/// The environment variables libvirt passes to ssh besides the common ones.
pub const SSH_ENV: &[&str] = &[
    "XDG_RUNTIME_DIR",
    "KRB5CCNAME",
    "SSH_AUTH_SOCK",
    "SSH_ASKPASS",
    "GPG_TTY",
    "TERM",
    "OPENSSL_CONF",
    "DISPLAY",
    "XAUTHORITY",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::target::{Environment, Target};

    fn target(uri: &str, ro: bool) -> Target {
        let env = Environment {
            euid: 0,
            user_runtime_dir: "/run/user/0/libvirt".into(),
            autostart: None,
            existing: |_| false,
        };
        Target::from_uri(uri, ro, &env).unwrap()
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(escape_shell("plain/path"), "plain/path");
        assert_eq!(escape_shell(""), "''");
        assert_eq!(escape_shell("a b"), "'a b'");
        assert_eq!(escape_shell("it's"), "'it'\\''s'");
        assert_eq!(escape_twice("qemu:///system"), "qemu:///system");
        assert_eq!(escape_twice("a b"), "''\\''a b'\\'''");
    }

    #[test]
    fn argv_with_every_option() {
        let t = target(
            "qemu+ssh://root@example.com:2222/system?keyfile=/k&no_tty=1&no_verify=1",
            false,
        );
        let argv = ssh_argv(&t).unwrap();
        assert_eq!(
            argv[..14],
            [
                "ssh",
                "-p",
                "2222",
                "-l",
                "root",
                "-i",
                "/k",
                "-T",
                "-e",
                "none",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no"
            ]
        );
        assert_eq!(argv[14..16], ["--", "example.com"]);
        assert_eq!(
            argv[16],
            "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     \
             virt-ssh-helper 'qemu:///system'; else    \
             if 'nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;\
             else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'"
        );
        assert_eq!(argv.len(), 17);
    }

    #[test]
    fn minimal_argv_and_the_proxies() {
        let t = target("qemu+ssh://host/system", true);
        let argv = ssh_argv(&t).unwrap();
        assert_eq!(argv[..6], ["ssh", "-T", "-e", "none", "--", "host"]);
        assert!(argv[6].contains("virt-ssh-helper -r 'qemu:///system'"));
        assert!(argv[6].contains("-U /var/run/libvirt/libvirt-sock-ro"));

        let t = target(
            "test+ssh://host/default?socket=/tmp/s&netcat=/bin/nc",
            false,
        );
        assert_eq!(
            ssh_argv(&t).unwrap()[6],
            "sh -c 'if '/bin/nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; \
             then ARG=-q0;else ARG=;fi;'/bin/nc' $ARG -U /tmp/s'"
        );

        let t = target(
            "qemu+ssh://host/system?proxy=native&command=/usr/bin/myssh",
            false,
        );
        let argv = ssh_argv(&t).unwrap();
        assert_eq!(argv[0], "/usr/bin/myssh");
        assert_eq!(argv[6], "sh -c 'virt-ssh-helper 'qemu:///system''");

        let t = target("qemu+ssh://host/system?proxy=native&netcat=nc", false);
        assert_eq!(
            ssh_argv(&t).unwrap_err().message,
            "invalid argument: netcat path not valid with native proxy mode"
        );
    }
}
