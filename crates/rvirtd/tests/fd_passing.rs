//! File descriptors passed with calls (`VIR_NET_CALL_WITH_FDS`): python3-libvirt and rvirt's
//! remote driver, against libvirtd and rvirtd, read the same answers, every descriptor the daemon
//! received is closed after the call, and the connection stays in step. A client that announces
//! descriptors it does not pass loses its connection and nobody else notices.

#![allow(clippy::unwrap_used)]

mod common;
mod raw;

use common::{Daemon, Libvirtd, PYTHON};
use rvirt_proto::MessageType;
use rvirt_proto::remote::{self, Procedure};
use std::os::fd::{AsFd, OwnedFd};
use std::process::Command;
use std::time::Duration;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/oracle/fd_passing.py"
);

fn python(uri: &str) -> String {
    let out = rvirt_testsupport::output_ok(Command::new(PYTHON).arg(SCRIPT).env("URI", uri));
    String::from_utf8(out.stdout).unwrap()
}

/// Two connected ends: reading one gives end of file once every copy of the other is closed.
fn pipe() -> (OwnedFd, OwnedFd) {
    let (r, w) = std::os::unix::net::UnixStream::pair().unwrap();
    (r.into(), w.into())
}

/// Whether `r`'s pipe has no writer left within five seconds.
fn released(r: OwnedFd) -> bool {
    let mut f = std::fs::File::from(r);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut b = [0u8; 1];
        let _ = tx.send(std::io::Read::read(&mut f, &mut b).ok());
    });
    rx.recv_timeout(Duration::from_secs(5)) == Ok(Some(0))
}

/// The same calls as the python script through rvirt's API, printed the same way.
fn rvirt_transcript(uri: &str) -> String {
    let c = rvirt::blocking::Connect::open(uri).unwrap();
    let show = |r: rvirt::Result<String>| match r {
        Ok(s) => format!("ok {s}"),
        Err(e) => format!("error {} {} {}", e.code.0, e.domain.0, e.message),
    };
    let xml = |name: &str| {
        format!(
            "<domain type='test'><name>{name}</name><memory>65536</memory>\
             <os><type>hvm</type></os></domain>"
        )
    };
    let flags = rvirt::flags::DomainCreateFlags::empty();
    let mut t = String::new();
    for n in [1, 3] {
        let (readers, writers): (Vec<_>, Vec<_>) = (0..n).map(|_| pipe()).unzip();
        let fds: Vec<_> = writers.iter().map(AsFd::as_fd).collect();
        let r = c
            .create_xml_with_files(&xml(&format!("f{n}")), &fds, flags)
            .map(|d| d.get_name().to_string());
        t += &format!("create-xml-{n}-files {}\n", show(r));
        drop(fds);
        drop(writers);
        t += &format!("released {}\n", readers.into_iter().all(released).to_py());
    }
    let r = c
        .create_xml_with_files(&xml("nofiles"), &[], flags)
        .map(|d| d.get_name().to_string());
    t += &format!("create-xml-no-files {}\n", show(r));
    let d = c.define_xml(&xml("defined")).unwrap();
    let (readers, writers): (Vec<_>, Vec<_>) = (0..2).map(|_| pipe()).unzip();
    let fds: Vec<_> = writers.iter().map(AsFd::as_fd).collect();
    let r = d.create_with_files(&fds, flags).map(|()| "0".to_string());
    t += &format!("create-2-files {}\n", show(r));
    drop(fds);
    drop(writers);
    t += &format!("released {}\n", readers.into_iter().all(released).to_py());
    let r = d.create_with_files(&[], flags).map(|()| "0".to_string());
    t += &format!("create-no-files {}\n", show(r));
    t += &format!("active {}\n", i32::from(d.is_active().unwrap()));
    let mut names: Vec<String> = c
        .list_all_domains(rvirt::flags::ConnectListAllDomainsFlags::empty())
        .unwrap()
        .iter()
        .map(|d| format!("'{}'", d.get_name()))
        .collect();
    names.sort();
    t + &format!("domains [{}]\n", names.join(", "))
}

trait Py {
    fn to_py(self) -> &'static str;
}

impl Py for bool {
    fn to_py(self) -> &'static str {
        if self { "True" } else { "False" }
    }
}

#[test]
fn descriptors_with_calls_behave_as_with_libvirtd() {
    let want = {
        let l = Libvirtd::start();
        python(&l.remote_uri("test:///default"))
    };
    // libvirtd takes the descriptors off the wire and hands them to the test driver, which
    // ignores them (fd passing is a feature every libvirt driver claims); each is closed after
    // the call.
    assert!(want.contains("create-xml-3-files ok f3"), "{want}");
    assert!(want.contains("create-2-files ok 0"), "{want}");
    assert!(!want.contains("released False"), "{want}");
    assert!(want.contains("create-xml-no-files ok nofiles"), "{want}");

    let d = Daemon::start("");
    let before = raw::fd_count(d.pid());
    assert_eq!(python(&d.uri()), want, "python3-libvirt against rvirtd");
    assert_eq!(rvirt_transcript(&d.uri()), want, "rvirt against rvirtd");
    assert!(
        raw::eventually(Duration::from_secs(5), || raw::fd_count(d.pid()) <= before),
        "rvirtd holds descriptors after its clients left"
    );
    let l = Libvirtd::start();
    assert_eq!(
        rvirt_transcript(&l.remote_uri("test:///default")),
        want,
        "rvirt against libvirtd"
    );
}

#[test]
fn a_call_that_announces_descriptors_it_does_not_pass_loses_its_connection() {
    let d = Daemon::start("");
    let by = raw::Bystander::start(&d.rw_socket(), Duration::from_secs(2));
    let mut c = raw::Client::connect(&d.rw_socket());
    c.open(0);
    // One descriptor announced, its marker byte sent without it.
    let serial = c.next_serial();
    let mut h = remote::call_header(Procedure::ConnectGetHostname, serial);
    h.kind = MessageType::CallWithFds;
    let mut bytes = raw::packet(&h, &1u32);
    bytes.push(0);
    c.send_bytes(&bytes);
    let mut seen = Vec::new();
    assert!(
        c.closed_within(Duration::from_secs(5), &mut seen),
        "{seen:?}"
    );
    // Too many descriptors announced.
    let mut c = raw::Client::connect(&d.rw_socket());
    c.open(0);
    let serial = c.next_serial();
    let mut h = remote::call_header(Procedure::ConnectGetHostname, serial);
    h.kind = MessageType::CallWithFds;
    c.send_bytes(&raw::packet(&h, &33u32));
    assert!(
        c.closed_within(Duration::from_secs(5), &mut seen),
        "{seen:?}"
    );
    // Descriptors passed beside a call: the call is answered and the connection stays in step.
    let mut c = raw::Client::connect(&d.rw_socket());
    c.open(0);
    let serial = c.next_serial();
    let mut h = remote::call_header(Procedure::ConnectGetHostname, serial);
    h.kind = MessageType::CallWithFds;
    c.send_bytes(&raw::packet(&h, &2u32));
    let (_r, w) = pipe();
    for _ in 0..2 {
        rvirt_proto::fdpass::send_fd(c.stream.as_fd(), w.as_fd()).unwrap();
    }
    let reply = c.read_reply(serial);
    assert_eq!(reply.header.status, rvirt_proto::MessageStatus::Ok);
    assert_eq!(reply.header.kind, MessageType::Reply);
    let again = c.call::<rvirt_proto::remote::calls::ConnectGetHostname>(&());
    assert!(again.is_ok(), "{again:?}");
    let observed = by.finish();
    assert!(observed.calls > 0, "{observed:?}");
}
