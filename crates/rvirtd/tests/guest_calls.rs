//! The guest filesystem and agent procedures, sent as raw packets to libvirtd and to rvirtd
//! (each fresh, test driver): the replies must be the same bytes, errors included. This covers
//! what no client library sends: a NULL user or password, which libvirt's public API refuses
//! inside the daemon, or APPEND with REMOVE for the SSH-key calls.

#![allow(clippy::unwrap_used)]

mod common;
mod raw;

use common::{Daemon, Libvirtd};
use raw::{Client, call_header};
use rvirt_proto::remote::Procedure;
use rvirt_proto::remote::types::*;
use rvirt_xdr::{BoundedVec, to_bytes};
use std::path::Path;

/// One call: its procedure and encoded arguments, for the domain `test`.
fn calls(dom: &NonnullDomain) -> Vec<(&'static str, Procedure, Vec<u8>)> {
    let s = |v: &str| v.try_into().unwrap();
    let mounts = |m: &[&str]| BoundedVec::new(m.iter().map(|v| s(v)).collect()).unwrap();
    let password = |user: Option<&str>, password: Option<&str>, flags: u32| {
        to_bytes(&DomainSetUserPasswordArgs {
            dom: dom.clone(),
            user: user.map(s),
            password: password.map(s),
            flags,
        })
    };
    let ssh_keys = |flags: u32| {
        to_bytes(&DomainAuthorizedSshKeysSetArgs {
            dom: dom.clone(),
            user: s("root"),
            keys: BoundedVec::new(vec![s("ssh-ed25519 AAAA k@h")]).unwrap(),
            flags,
        })
    };
    vec![
        (
            "fsinfo",
            Procedure::DomainGetFsinfo,
            to_bytes(&DomainGetFsinfoArgs {
                dom: dom.clone(),
                flags: 0,
            }),
        ),
        (
            "freeze /",
            Procedure::DomainFsfreeze,
            to_bytes(&DomainFsfreezeArgs {
                dom: dom.clone(),
                mountpoints: mounts(&["/"]),
                flags: 0,
            }),
        ),
        (
            "freeze all",
            Procedure::DomainFsfreeze,
            to_bytes(&DomainFsfreezeArgs {
                dom: dom.clone(),
                mountpoints: mounts(&[]),
                flags: 0,
            }),
        ),
        (
            "thaw /boot /var",
            Procedure::DomainFsthaw,
            to_bytes(&DomainFsthawArgs {
                dom: dom.clone(),
                mountpoints: mounts(&["/boot", "/var"]),
                flags: 0,
            }),
        ),
        (
            "thaw all",
            Procedure::DomainFsthaw,
            to_bytes(&DomainFsthawArgs {
                dom: dom.clone(),
                mountpoints: mounts(&[]),
                flags: 0,
            }),
        ),
        (
            "trim NULL",
            Procedure::DomainFstrim,
            to_bytes(&DomainFstrimArgs {
                dom: dom.clone(),
                mount_point: None,
                minimum: 1 << 20,
                flags: 0,
            }),
        ),
        (
            "trim /nope",
            Procedure::DomainFstrim,
            to_bytes(&DomainFstrimArgs {
                dom: dom.clone(),
                mount_point: Some(s("/nope")),
                minimum: 0,
                flags: 0,
            }),
        ),
        (
            "password",
            Procedure::DomainSetUserPassword,
            password(Some("root"), Some("pw"), 1),
        ),
        (
            "password NULL user",
            Procedure::DomainSetUserPassword,
            password(None, Some("pw"), 0),
        ),
        (
            "password NULL password",
            Procedure::DomainSetUserPassword,
            password(Some("root"), None, 0),
        ),
        (
            "password flags",
            Procedure::DomainSetUserPassword,
            password(Some("root"), Some("pw"), 4),
        ),
        (
            "guest info",
            Procedure::DomainGetGuestInfo,
            to_bytes(&DomainGetGuestInfoArgs {
                dom: dom.clone(),
                types: 0,
                flags: 0,
            }),
        ),
        (
            "guest vcpus",
            Procedure::DomainGetGuestVcpus,
            to_bytes(&DomainGetGuestVcpusArgs {
                dom: dom.clone(),
                flags: 0,
            }),
        ),
        (
            "set guest vcpus",
            Procedure::DomainSetGuestVcpus,
            to_bytes(&DomainSetGuestVcpusArgs {
                dom: dom.clone(),
                cpumap: s("0"),
                state: 1,
                flags: 0,
            }),
        ),
        (
            "ssh keys",
            Procedure::DomainAuthorizedSshKeysGet,
            to_bytes(&DomainAuthorizedSshKeysGetArgs {
                dom: dom.clone(),
                user: s("root"),
                flags: 0,
            }),
        ),
        (
            "set ssh keys",
            Procedure::DomainAuthorizedSshKeysSet,
            ssh_keys(1),
        ),
        (
            "append and remove ssh keys",
            Procedure::DomainAuthorizedSshKeysSet,
            ssh_keys(3),
        ),
        (
            "agent timeout",
            Procedure::DomainAgentSetResponseTimeout,
            to_bytes(&DomainAgentSetResponseTimeoutArgs {
                dom: dom.clone(),
                timeout: 3,
                flags: 0,
            }),
        ),
    ]
}

/// Each call's reply from the daemon on `socket`: its status and payload bytes.
fn replies(socket: &Path) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut c = Client::connect(socket);
    c.open(0);
    let dom = c.lookup("test");
    calls(&dom)
        .into_iter()
        .map(|(what, p, args)| {
            let reply = c.call_raw(call_header(p), &args);
            (what, format!("{:?}", reply.header.status), reply.payload)
        })
        .collect()
}

#[test]
fn guest_calls_answer_as_libvirtd_answers() {
    if !Path::new("/usr/sbin/libvirtd").exists() {
        eprintln!("libvirtd is not installed (Debian package libvirt-daemon); skipped");
        return;
    }
    let libvirtd = Libvirtd::start();
    let want = replies(&libvirtd.dir.path().join("sock/libvirt-sock"));
    drop(libvirtd);
    let d = Daemon::start("");
    let got = replies(&d.rw_socket());
    assert_eq!(want.len(), got.len());
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w, g, "{}: {}", w.0, String::from_utf8_lossy(&g.2));
    }
    // The calls did what they should: a NULL user is refused before the driver.
    let null_user = &got[8];
    assert_eq!(null_user.1, "Error");
    assert!(
        String::from_utf8_lossy(&null_user.2).contains("user in virDomainSetUserPassword"),
        "{null_user:?}"
    );
    // APPEND with REMOVE is refused by the public API, before the driver.
    let both = got
        .iter()
        .find(|c| c.0 == "append and remove ssh keys")
        .unwrap();
    assert!(
        String::from_utf8_lossy(&both.2).contains("are mutually exclusive"),
        "{both:?}"
    );
}
