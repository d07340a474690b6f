//! The remote driver against a scripted server on a unix socket: the exact bytes of the open
//! sequence, of a call and of the close; error replies reaching the caller unchanged; keepalive
//! in both directions; replies matched to calls by serial when they come back out of order; and
//! a dead server giving errors, never a hang.

#![allow(clippy::unwrap_used)]

use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_remote::RemoteDriver;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const REMOTE: [u8; 4] = [0x20, 0x00, 0x80, 0x86];
const KEEP: [u8; 4] = *b"keep";

/// A packet: its length word, then six header words, then `payload`.
fn packet(
    program: [u8; 4],
    procedure: u32,
    kind: u32,
    serial: u32,
    status: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&((28 + payload.len()) as u32).to_be_bytes());
    p.extend_from_slice(&program);
    p.extend_from_slice(&1u32.to_be_bytes());
    for w in [procedure, kind, serial, status] {
        p.extend_from_slice(&w.to_be_bytes());
    }
    p.extend_from_slice(payload);
    p
}

fn call(procedure: u32, serial: u32, payload: &[u8]) -> Vec<u8> {
    packet(REMOTE, procedure, 0, serial, 0, payload)
}

fn reply(procedure: u32, serial: u32, payload: &[u8]) -> Vec<u8> {
    packet(REMOTE, procedure, 1, serial, 0, payload)
}

/// An XDR string.
fn xdr_string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out.resize(out.len() + (4 - s.len() % 4) % 4, 0);
    out
}

fn word(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Reads one whole packet, length word included; `None` at end of file.
fn read_packet(s: &mut UnixStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    if s.read_exact(&mut len).is_err() {
        return None;
    }
    let mut rest = vec![0u8; u32::from_be_bytes(len) as usize - 4];
    s.read_exact(&mut rest).unwrap();
    let mut p = len.to_vec();
    p.extend(rest);
    Some(p)
}

fn serial_of(p: &[u8]) -> u32 {
    u32::from_be_bytes(p[20..24].try_into().unwrap())
}

fn procedure_of(p: &[u8]) -> u32 {
    u32::from_be_bytes(p[12..16].try_into().unwrap())
}

struct Fake {
    _dir: tempfile::TempDir,
    uri: String,
    listener: UnixListener,
}

fn fake() -> Fake {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = UnixListener::bind(&path).unwrap();
    Fake {
        uri: format!("test+unix:///default?socket={}", path.display()),
        _dir: dir,
        listener,
    }
}

/// Answers the client's CONNECT_CLOSE and waits for the socket to close.
fn answer_close(s: &mut UnixStream) {
    while let Some(p) = read_packet(s) {
        if procedure_of(&p) == 2 {
            s.write_all(&reply(2, serial_of(&p), &[])).unwrap();
        }
    }
}

/// Serves the open sequence, asserting every byte the client sends.
fn serve_open(s: &mut UnixStream, keepalive: bool) {
    // AUTH_LIST (66), serial 0, no arguments.
    assert_eq!(
        read_packet(s).unwrap(),
        [
            0, 0, 0, 28, 0x20, 0, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 66, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0
        ]
    );
    // One type: REMOTE_AUTH_NONE.
    s.write_all(&reply(66, 0, &[word(1), word(0)].concat()))
        .unwrap();
    // CONNECT_SUPPORTS_FEATURE (60) of VIR_DRV_FEATURE_PROGRAM_KEEPALIVE (10).
    assert_eq!(read_packet(s).unwrap(), call(60, 1, &word(10)));
    s.write_all(&reply(60, 1, &word(u32::from(keepalive))))
        .unwrap();
    // CONNECT_OPEN (1): the name without the socket parameter, present; flags 0.
    let args = [word(1), xdr_string("test:///default"), word(0)].concat();
    assert_eq!(read_packet(s).unwrap(), call(1, 2, &args));
    s.write_all(&reply(1, 2, &[])).unwrap();
    // CONNECT_SUPPORTS_FEATURE of VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK (14).
    assert_eq!(read_packet(s).unwrap(), call(60, 3, &word(14)));
    s.write_all(&reply(60, 3, &word(1))).unwrap();
    // CONNECT_SUPPORTS_FEATURE of VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK (15), as libvirt's
    // client asks last.
    assert_eq!(read_packet(s).unwrap(), call(60, 4, &word(15)));
    s.write_all(&reply(60, 4, &word(1))).unwrap();
}

#[test]
fn open_call_error_keepalive_and_close_bytes() {
    let f = fake();
    let (pong_tx, pong_rx) = mpsc::channel();
    let server = std::thread::spawn(move || {
        let (mut s, _) = f.listener.accept().unwrap();
        serve_open(&mut s, true);

        // CONNECT_GET_HOSTNAME (59), serial 4.
        assert_eq!(read_packet(&mut s).unwrap(), call(59, 5, &[]));
        s.write_all(&reply(59, 5, &xdr_string("fakehost"))).unwrap();

        // A keepalive PING from the server is answered with a PONG at once.
        s.write_all(&packet(KEEP, 1, 2, 0, 0, &[])).unwrap();
        assert_eq!(
            read_packet(&mut s).unwrap(),
            [
                0, 0, 0, 28, b'k', b'e', b'e', b'p', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0,
                0, 0, 0, 0, 0
            ]
        );
        pong_tx.send(()).unwrap();

        // DOMAIN_LOOKUP_BY_NAME (23), answered with an error whose every field is set.
        assert_eq!(
            read_packet(&mut s).unwrap(),
            call(23, 6, &xdr_string("nope"))
        );
        let error = [
            word(42), // code: VIR_ERR_NO_DOMAIN
            word(12), // domain: VIR_FROM_TEST
            word(1),  // message present
            xdr_string("Domain not found: nope"),
            word(2), // level
            word(0), // dom absent
            word(1),
            xdr_string("Domain not found: %s"),
            word(1),
            xdr_string("nope"),
            word(1),
            xdr_string("three"),
            word(7),           // int1
            word(0xffff_fff7), // int2: -9
            word(0),           // net absent
        ]
        .concat();
        s.write_all(&packet(REMOTE, 23, 1, 6, 1, &error)).unwrap();

        // Dropping the driver: CONNECT_CLOSE (2), then the socket closes.
        assert_eq!(read_packet(&mut s).unwrap(), call(2, 7, &[]));
        s.write_all(&reply(2, 7, &[])).unwrap();
        assert_eq!(
            read_packet(&mut s),
            None,
            "the socket closes after CONNECT_CLOSE"
        );
    });

    let driver = pollster::block_on(RemoteDriver::open(&f.uri, false)).unwrap();
    assert_eq!(
        pollster::block_on(driver.connect_get_hostname()).unwrap(),
        "fakehost"
    );
    pong_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let e = pollster::block_on(driver.domain_lookup_by_name("nope")).unwrap_err();
    assert_eq!(
        e,
        rvirt_types::Error {
            code: rvirt_types::ErrorNumber::NO_DOMAIN,
            domain: rvirt_types::ErrorDomain::TEST,
            level: rvirt_types::ErrorLevel::Error,
            message: "Domain not found: nope".into(),
            str1: Some("Domain not found: %s".into()),
            str2: Some("nope".into()),
            str3: Some("three".into()),
            int1: 7,
            int2: -9,
        }
    );
    // libvirt's client answers virConnectGetURI with the URI it was opened with.
    assert_eq!(pollster::block_on(driver.connect_get_uri()).unwrap(), f.uri);
    drop(driver);
    server.join().unwrap();
}

#[test]
fn read_only_opens_send_the_flag_and_unknown_procedures_mean_no_support() {
    let f = fake();
    let server = std::thread::spawn(move || {
        let (mut s, _) = f.listener.accept().unwrap();
        read_packet(&mut s).unwrap();
        s.write_all(&reply(66, 0, &word(0))).unwrap();
        read_packet(&mut s).unwrap();
        s.write_all(&reply(60, 1, &word(0))).unwrap();
        let args = [word(1), xdr_string("test:///default"), word(1)].concat();
        assert_eq!(read_packet(&mut s).unwrap(), call(1, 2, &args));
        s.write_all(&reply(1, 2, &[])).unwrap();
        read_packet(&mut s).unwrap();
        s.write_all(&reply(60, 3, &word(1))).unwrap();
        read_packet(&mut s).unwrap();
        s.write_all(&reply(60, 4, &word(1))).unwrap();
        // A server without the procedure answers as libvirtd does.
        let p = read_packet(&mut s).unwrap();
        let error = [
            word(39),
            word(7),
            word(1),
            xdr_string("unknown procedure: 59"),
            word(2),
            word(0),
            word(1),
            xdr_string("%s"),
            word(1),
            xdr_string("unknown procedure: 59"),
            word(0),
            word(0xffff_ffff),
            word(0xffff_ffff),
            word(0),
        ]
        .concat();
        s.write_all(&packet(
            REMOTE,
            procedure_of(&p),
            1,
            serial_of(&p),
            1,
            &error,
        ))
        .unwrap();
        answer_close(&mut s);
    });
    let driver = pollster::block_on(RemoteDriver::open(&f.uri, true)).unwrap();
    // The server does not support keepalive: the driver does not ping it.
    assert!(!driver.set_keepalive(Some(Duration::from_millis(10)), 1));
    let e = pollster::block_on(driver.connect_get_hostname()).unwrap_err();
    assert_eq!(e.code, rvirt_types::ErrorNumber::NO_SUPPORT);
    assert_eq!(e.message, "unknown procedure: 59");
    drop(driver);
    server.join().unwrap();
}

#[test]
fn replies_in_any_order_reach_their_callers() {
    const N: usize = 40;
    let f = fake();
    let server = std::thread::spawn(move || {
        let (mut s, _) = f.listener.accept().unwrap();
        serve_open(&mut s, true);
        // Collect every call, then answer them last first: each lookup gets a domain named
        // after what it asked for.
        let mut calls = Vec::new();
        while calls.len() < N {
            calls.push(read_packet(&mut s).unwrap());
        }
        for p in calls.iter().rev() {
            assert_eq!(procedure_of(p), 23);
            let name_len = u32::from_be_bytes(p[28..32].try_into().unwrap()) as usize;
            let name = std::str::from_utf8(&p[32..32 + name_len]).unwrap();
            let dom = [xdr_string(name), vec![7; 16], word(1)].concat();
            s.write_all(&reply(23, serial_of(p), &dom)).unwrap();
        }
        answer_close(&mut s);
    });
    let driver = pollster::block_on(RemoteDriver::open(&f.uri, false)).unwrap();
    std::thread::scope(|sc| {
        for i in 0..N {
            let d = &driver;
            sc.spawn(move || {
                let name = format!("vm{i}");
                let r = pollster::block_on(d.domain_lookup_by_name(&name)).unwrap();
                assert_eq!(&*r.name, name);
                assert_eq!(r.id, 1);
            });
        }
    });
    drop(driver);
    server.join().unwrap();
}

#[test]
fn a_server_that_stops_answering_is_dropped_by_keepalive() {
    let f = fake();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (mut s, _) = f.listener.accept().unwrap();
        serve_open(&mut s, true);
        // Hang: read nothing more, answer nothing, keep the socket open until the test ends.
        let _ = done_rx.recv_timeout(Duration::from_secs(30));
        drop(s);
    });
    let driver = pollster::block_on(RemoteDriver::open(&f.uri, false)).unwrap();
    assert!(driver.set_keepalive(Some(Duration::from_millis(100)), 2));
    let started = Instant::now();
    let e = pollster::block_on(driver.connect_get_hostname()).unwrap_err();
    assert_eq!(
        e.message,
        "internal error: connection closed due to keepalive timeout"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let e = pollster::block_on(driver.connect_get_hostname()).unwrap_err();
    assert_eq!(e.message, "internal error: client socket is closed");
    assert!(!pollster::block_on(driver.connect_is_alive()).unwrap());
    let started = Instant::now();
    drop(driver);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "close must not wait on a dead server"
    );
    done_tx.send(()).unwrap();
    server.join().unwrap();
}

#[test]
fn a_server_that_goes_away_fails_the_waiting_call_and_every_later_one() {
    let f = fake();
    let server = std::thread::spawn(move || {
        let (mut s, _) = f.listener.accept().unwrap();
        serve_open(&mut s, true);
        read_packet(&mut s).unwrap();
        // Gone without an answer.
    });
    let driver = Arc::new(pollster::block_on(RemoteDriver::open(&f.uri, false)).unwrap());
    let e = pollster::block_on(driver.connect_get_hostname()).unwrap_err();
    assert_eq!(
        e.message,
        "End of file while reading data: Input/output error"
    );
    assert_eq!(e.code, rvirt_types::ErrorNumber::SYSTEM_ERROR);
    assert_eq!(e.domain, rvirt_types::ErrorDomain::RPC);
    let e = pollster::block_on(driver.connect_get_type()).unwrap_err();
    assert_eq!(e.message, "internal error: client socket is closed");
    server.join().unwrap();
}

#[test]
fn a_missing_socket_is_libvirts_connect_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none");
    let uri = format!("test+unix:///default?socket={}", path.display());
    let e = pollster::block_on(RemoteDriver::open(&uri, false)).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "Failed to connect socket to '{}': No such file or directory",
            path.display()
        )
    );
    assert_eq!((e.code.0, e.domain.0, e.int1), (38, 7, 2));
}

#[test]
fn tls_reads_its_ca_file_before_connecting() {
    // libvirt's words and numbers; no connection (nor name lookup) is tried.
    let e = pollster::block_on(RemoteDriver::open(
        "qemu://example.invalid/system?pkipath=/nonexistent",
        false,
    ))
    .unwrap_err();
    assert_eq!(
        e.message,
        "Cannot read CA certificate '/nonexistent/cacert.pem': No such file or directory"
    );
    assert_eq!((e.code.0, e.domain.0, e.int1), (38, 7, 2));
}

#[test]
fn usable_from_inside_a_callers_tokio_runtime() {
    let f = fake();
    let server = std::thread::spawn(move || {
        let (mut s, _) = f.listener.accept().unwrap();
        serve_open(&mut s, true);
        assert_eq!(read_packet(&mut s).unwrap(), call(59, 5, &[]));
        s.write_all(&reply(59, 5, &xdr_string("h"))).unwrap();
        answer_close(&mut s);
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let driver = RemoteDriver::open(&f.uri, false).await.unwrap();
        assert_eq!(driver.connect_get_hostname().await.unwrap(), "h");
        // Dropped inside the runtime: closing does not need it.
        drop(driver);
    });
    server.join().unwrap();
}
