//! Read-only connections, checked for every procedure of the remote program: a client on the
//! read-only socket, or one that opened with `VIR_CONNECT_RO`, gets libvirt's
//! `VIR_ERR_OPERATION_DENIED` for each procedure that changes anything, with the error domain and
//! wording libvirt uses (`operation forbidden: read only access prevents virDomainDestroy`), and
//! gets answers from the procedures that only read. Real virsh through the read-only socket prints
//! what virsh prints for `virsh -r -c test:///default`.

#![allow(clippy::unwrap_used)]

mod common;
mod raw;

use common::Daemon;
use raw::{Client, ERR_OPERATION_DENIED, assert_error, call_header};
use rvirt_proto::Access;
use rvirt_proto::remote::types::DomainGetInfoArgs;
use rvirt_proto::remote::{Procedure, calls};
use std::process::Command;

/// `VIR_CONNECT_RO`
const CONNECT_RO: u32 = 1;

/// libvirt's message for `VIR_ERR_OPERATION_DENIED` (virerror.c: "operation forbidden: %s")
/// around the detail its public API gives (internal.h: "read only access prevents %s").
fn denied(api: &str) -> String {
    format!("operation forbidden: read only access prevents {api}")
}

/// Calls every procedure that changes something, with its arguments at their defaults (or the
/// least that passes libvirt's argument checks, see [`arguments_for_libvirt`]), and checks
/// each is refused as libvirt refuses it. Returns how many were checked.
fn every_mutating_call_is_refused(c: &mut Client) -> usize {
    let mut checked = 0;
    for &p in Procedure::ALL {
        let Access::ReadWrite(domain) = p.access() else {
            continue;
        };
        assert!(!p.api_name().is_empty(), "{p:?} names no API function");
        let reply = c.call_raw(call_header(p), &arguments_for_libvirt(p));
        assert_error(
            &reply,
            ERR_OPERATION_DENIED,
            domain.0,
            &denied(p.api_name()),
        );
        checked += 1;
    }
    checked
}

/// A read-only client still reads: the hypervisor type, a lookup and the domain's info.
fn reads_still_work(c: &mut Client) {
    let t = c.call::<calls::ConnectGetType>(&()).unwrap();
    assert_eq!(t.r#type.as_str(), "TEST");
    let dom = c.lookup("test");
    assert_eq!((dom.name.as_str(), dom.id), ("test", 1));
    let info = c
        .call::<calls::DomainGetInfo>(&DomainGetInfoArgs { dom })
        .unwrap();
    assert_eq!(info.state, 1, "running");
}

#[test]
fn the_read_only_socket_refuses_every_mutating_procedure() {
    let d = Daemon::start("");
    let mut c = Client::connect(&d.ro_socket());
    // Even without VIR_CONNECT_RO the read-only socket forces the connection read-only.
    c.open(0);
    let checked = every_mutating_call_is_refused(&mut c);
    // The procedure table (transcribed from libvirt 9.0) marks 197 procedures read-write.
    assert_eq!(checked, 197);
    reads_still_work(&mut c);
    // Nothing changed: the domain the refused calls named by default does not exist, and `test`
    // still runs.
    let mut rw = Client::connect(&d.rw_socket());
    rw.open(0);
    reads_still_work(&mut rw);
}

#[test]
fn connect_ro_on_the_read_write_socket_refuses_every_mutating_procedure() {
    let d = Daemon::start("");
    let mut c = Client::connect(&d.rw_socket());
    c.open(CONNECT_RO);
    assert_eq!(every_mutating_call_is_refused(&mut c), 197);
    reads_still_work(&mut c);
}

#[test]
fn a_read_write_connection_is_not_refused() {
    let d = Daemon::start("");
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    // A mutating call goes through to the driver: the domain is suspended, and a read-only
    // client sees it paused.
    let dom = c.lookup("test");
    c.call::<calls::DomainSuspend>(&rvirt_proto::remote::types::DomainSuspendArgs { dom })
        .unwrap();
    let mut ro = Client::connect(&d.ro_socket());
    ro.open(0);
    let dom = ro.lookup("test");
    let info = ro
        .call::<calls::DomainGetInfo>(&DomainGetInfoArgs { dom })
        .unwrap();
    assert_eq!(info.state, 3, "paused");
}

/// Runs virsh with `args` and returns (exit code, stdout, stderr).
fn virsh(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new("virsh")
        .args(args)
        .env("LC_ALL", "C")
        .env_remove("VIRSH_DEFAULT_CONNECT_URI")
        .env_remove("LIBVIRT_DEFAULT_URI")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn virsh_through_the_read_only_socket_prints_what_virsh_r_prints() {
    if !common::have("virsh") {
        eprintln!("virsh is not installed (Debian package libvirt-clients); skipped");
        return;
    }
    let d = Daemon::start("");
    let uri = format!("test+unix:///default?socket={}", d.ro_socket().display());
    let xml = d.dir.path().join("new.xml");
    std::fs::write(
        &xml,
        "<domain type='test'><name>new</name><memory>1024</memory><os><type>hvm</type></os></domain>",
    )
    .unwrap();
    let xml = xml.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["destroy", "test"],
        &["suspend", "test"],
        &["resume", "test"],
        &["shutdown", "test"],
        &["reboot", "test"],
        &["autostart", "test"],
        &["setmem", "test", "1000"],
        &["setmaxmem", "test", "1000"],
        &["setvcpus", "test", "1"],
        &["define", xml],
        &["create", xml],
        &["snapshot-create-as", "test", "s1"],
    ];
    for cmd in commands {
        let mut direct = vec!["-r", "-c", "test:///default"];
        direct.extend_from_slice(cmd);
        let mut remote = vec!["-c", uri.as_str()];
        remote.extend_from_slice(cmd);
        let want = virsh(&direct);
        let got = virsh(&remote);
        assert!(
            want.2.contains("read only access prevents"),
            "virsh -r {cmd:?}: {want:?}"
        );
        assert_eq!(got, want, "virsh {cmd:?} through rvirtd's read-only socket");
    }
}

/// Procedures whose libvirt API rejects its arguments before it checks for read-only access,
/// so the default arguments never reach that check: each gets the least it needs.
fn arguments_for_libvirt(p: Procedure) -> Vec<u8> {
    use rvirt_proto::remote::types::*;
    use rvirt_xdr::{BoundedVec, RemoteTypedParam, to_bytes};
    match p {
        Procedure::DomainRename => to_bytes(&DomainRenameArgs {
            new_name: Some("renamed".try_into().unwrap()),
            ..Default::default()
        }),
        Procedure::DomainSendProcessSignal => to_bytes(&DomainSendProcessSignalArgs {
            pid_value: 1,
            ..Default::default()
        }),
        Procedure::ConnectBaselineHypervisorCpu => to_bytes(&ConnectBaselineHypervisorCpuArgs {
            xml_cp_us: BoundedVec::new(vec!["<cpu/>".try_into().unwrap()]).unwrap(),
            ..Default::default()
        }),
        Procedure::DomainSetLaunchSecurityState => to_bytes(&DomainSetLaunchSecurityStateArgs {
            params: BoundedVec::new(vec![RemoteTypedParam {
                field: "sev-secret".try_into().unwrap(),
                value: Default::default(),
            }])
            .unwrap(),
            ..Default::default()
        }),
        p => p.default_args(),
    }
}

/// Procedures whose calls carry file descriptors beside them; without any, libvirtd fails
/// before its read-only check.
const NEED_FDS: &[Procedure] = &[Procedure::DomainOpenGraphics, Procedure::DomainFdAssociate];

/// A daemon's answer to one call: the error's code, domain and message, or `None` for a success.
type Answer = Option<(i32, i32, String)>;

/// What a daemon answers to each read-write procedure on its read-only socket.
fn refusals(ro_socket: &std::path::Path) -> Vec<(Procedure, Answer)> {
    let mut c = Client::connect(ro_socket);
    c.open(0);
    Procedure::ALL
        .iter()
        .filter(|p| matches!(p.access(), Access::ReadWrite(_)))
        .map(|&p| {
            let reply = c.call_raw(call_header(p), &arguments_for_libvirt(p));
            let answer = (reply.header.status == rvirt_proto::MessageStatus::Error).then(|| {
                let e: rvirt_proto::RemoteError = reply.decode_payload().unwrap();
                (
                    e.code,
                    e.domain,
                    e.message.map(|m| m.into_inner()).unwrap_or_default(),
                )
            });
            (p, answer)
        })
        .collect()
}

#[test]
fn libvirtd_refuses_the_same_procedures_the_same_way() {
    if !std::path::Path::new("/usr/sbin/libvirtd").exists() {
        eprintln!("libvirtd is not installed (Debian package libvirt-daemon); skipped");
        return;
    }
    let libvirtd = common::Libvirtd::start();
    let want = refusals(&libvirtd.dir.path().join("sock/libvirt-sock-ro"));
    drop(libvirtd);
    let d = Daemon::start("");
    let got = refusals(&d.ro_socket());
    assert_eq!(want.len(), got.len());
    for (p, answer) in want.iter().filter(|(p, _)| NEED_FDS.contains(p)) {
        let (code, _, message) = answer.clone().unwrap();
        assert!(
            code == 1 && message.contains("No FD available") || code == 8,
            "{p:?}: libvirtd said {message}"
        );
    }
    let differ: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| w != g && !NEED_FDS.contains(&w.0))
        .map(|(w, g)| format!("{:?}: libvirtd {:?}, rvirtd {:?}", w.0, w.1, g.1))
        .collect();
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
