//! Bad clients hurt only themselves. Each test misbehaves on raw sockets against a real rvirtd
//! while a well-behaved client ([`raw::Bystander`]) keeps calling on its own connection; that
//! client must see every reply correct and no round trip slower than [`MAX_ROUND_TRIP`].
//!
//! What libvirtd does is the reference: garbage and impossible lengths close the one connection;
//! protocol mistakes inside a well-framed packet get an error reply (worded as
//! virnetserverprogram.c words it) and the connection stays usable; a client that stops reading
//! blocks only itself; keepalive drops clients that stop answering; SIGTERM exits cleanly.

#![allow(clippy::unwrap_used)]

mod common;
mod raw;

use common::Daemon;
use raw::{
    Bystander, Client, ERR_INTERNAL, ERR_RPC, FROM_RPC, assert_error, call_header, eventually,
    fd_count, packet, rss_kib, threads,
};
use rvirt_proto::fuzzing::XorShift;
use rvirt_proto::remote::types::{
    ConnectSupportsFeatureArgs, DomainGetXmlDescArgs, DomainLookupByNameArgs,
};
use rvirt_proto::remote::{self, Procedure, calls};
use rvirt_proto::{Header, MessageStatus, MessageType, keepalive};
use std::io::{ErrorKind, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

/// The slowest round trip the well-behaved client may see while others misbehave.
const MAX_ROUND_TRIP: Duration = Duration::from_secs(2);

/// `VIR_DRV_FEATURE_PROGRAM_KEEPALIVE`
const FEATURE_PROGRAM_KEEPALIVE: i32 = 10;

/// A connection works: the daemon answers a call on a fresh one.
fn daemon_answers(d: &Daemon) {
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    let t = c.call::<calls::ConnectGetType>(&()).unwrap();
    assert_eq!(t.r#type.as_str(), "TEST");
}

#[test]
fn garbage_closes_only_that_connection() {
    let d = Daemon::start("");
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);

    // An HTTP request: its first four bytes ("GET ") read as a 1.1 GB length word.
    let mut c = Client::connect(&d.rw_socket());
    c.send_bytes(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let mut seen = Vec::new();
    assert!(c.closed_within(Duration::from_secs(5), &mut seen));
    assert!(seen.is_empty(), "{seen:?}");

    // Random bytes. With an impossible length word the daemon closes at once; with a possible
    // one it waits for the rest, may answer what parses as a call (only with an error: nothing
    // random is a valid call before CONNECT_OPEN), and closes when the client stops sending.
    let mut rng = XorShift::new(0x5eed_1234_abcd_0001);
    for round in 0..40 {
        let n = 64 + rng.below(4096);
        let mut bytes = rng.bytes(n);
        if round % 2 == 0 {
            // Half the rounds get a length word the daemon must accept, so the header and
            // payload decoders see the garbage too.
            let len = 28 + rng.below(200) as u32;
            bytes[..4].copy_from_slice(&len.to_be_bytes());
        }
        let word = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
        let impossible = !(28..=rvirt_proto::MESSAGE_MAX + 4).contains(&word);
        let mut c = Client::connect(&d.rw_socket());
        // The daemon may close while we write: that is a fine answer to garbage.
        let _ = c.stream.write_all(&bytes);
        if !impossible {
            let _ = c.stream.shutdown(Shutdown::Write);
        }
        let mut seen = Vec::new();
        assert!(
            c.closed_within(Duration::from_secs(5), &mut seen),
            "round {round}: connection still open"
        );
        for p in &seen {
            assert_eq!(
                (p.header.kind, p.header.status),
                (MessageType::Reply, MessageStatus::Error),
                "round {round}: {:?}",
                p.header
            );
        }
    }

    by.finish();
    daemon_answers(&d);
}

#[test]
fn a_truncated_packet_waits_and_affects_no_one() {
    let d = Daemon::start("");
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);

    // Ten bytes of a 28-byte packet, then the client goes away: the daemon forgets it.
    let call = packet(&remote::call_header(Procedure::ConnectGetType, 1), &());
    assert_eq!(call.len(), 28);
    {
        let mut c = Client::connect(&d.rw_socket());
        c.send_bytes(&call[..10]);
    }

    // Ten bytes, then the client holds on: the daemon waits for the rest, as libvirtd does, and
    // answers once it arrives.
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    let call = packet(&remote::call_header(Procedure::ConnectGetType, 77), &());
    c.send_bytes(&call[..10]);
    let mut seen = Vec::new();
    assert!(!c.closed_within(Duration::from_millis(500), &mut seen));
    assert!(seen.is_empty(), "{seen:?}");
    daemon_answers(&d);
    c.send_bytes(&call[10..]);
    c.stream
        .set_read_timeout(Some(raw::REPLY_DEADLINE))
        .unwrap();
    let reply = c.read_reply(77);
    assert_eq!(reply.header.status, MessageStatus::Ok);

    by.finish();
}

#[test]
fn impossible_lengths_close_the_connection_without_allocating() {
    let d = Daemon::start("");
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);
    daemon_answers(&d);
    let before = rss_kib(d.pid());

    // Too large (4 GiB, and one byte over VIR_NET_MESSAGE_MAX), too small for a header, zero.
    let max = rvirt_proto::MESSAGE_MAX as u32;
    for word in [u32::MAX, max + 5, 27, 4, 0] {
        let mut c = Client::connect(&d.rw_socket());
        c.send_bytes(&word.to_be_bytes());
        let mut seen = Vec::new();
        assert!(
            c.closed_within(Duration::from_secs(5), &mut seen),
            "length word {word:#x} left the connection open"
        );
        assert!(seen.is_empty(), "{seen:?}");
    }

    // The largest length allowed, with a megabyte of it sent: the daemon holds what arrived, not
    // what was announced, and is still waiting for the rest.
    let mut big = Client::connect(&d.rw_socket());
    big.send_bytes(&(max + 4).to_be_bytes());
    big.send_bytes(&vec![0; 1 << 20]);
    let mut seen = Vec::new();
    assert!(!big.closed_within(Duration::from_millis(300), &mut seen));
    let grown = rss_kib(d.pid()).saturating_sub(before);
    assert!(grown < 8 * 1024, "RSS grew by {grown} KiB");

    by.finish();
    drop(big);
    daemon_answers(&d);
}

#[test]
fn protocol_errors_are_answered_and_the_connection_stays_usable() {
    let d = Daemon::start("");
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);
    let mut c = Client::connect(&d.rw_socket());

    // A call before CONNECT_OPEN (remote_daemon_dispatch.c).
    let r = c.call_raw(call_header(Procedure::ConnectGetType), &[]);
    assert_error(
        &r,
        ERR_INTERNAL,
        FROM_RPC,
        "internal error: hypervisor connection not open",
    );
    c.open(0);

    // An unknown program (virNetServerProgramUnknownError: "%d" of the program number).
    let r = c.call_raw(
        Header {
            program: 0x1234_5678,
            ..call_header(Procedure::ConnectGetType)
        },
        &[],
    );
    assert_error(
        &r,
        ERR_RPC,
        FROM_RPC,
        "Cannot find program 305419896 version 1",
    );

    // The remote program at another version is, to libvirtd, an unknown program too; rvirtd
    // answers with another wording, checked here only for its code.
    let r = c.call_raw(
        Header {
            version: 2,
            ..call_header(Procedure::ConnectGetType)
        },
        &[],
    );
    assert_eq!(r.header.status, MessageStatus::Error);
    let e: rvirt_proto::RemoteError = r.decode_payload().unwrap();
    assert_eq!((e.code, e.domain), (ERR_RPC, FROM_RPC), "{e:?}");

    // An unknown procedure of the remote program (virNetServerProgramDispatchCall).
    let mut h = call_header(Procedure::ConnectGetType);
    h.procedure = 9999;
    let r = c.call_raw(h, &[]);
    assert_error(&r, ERR_RPC, FROM_RPC, "unknown procedure: 9999");

    // Payloads that do not decode: cut short, and a string claiming 4 GiB.
    let lookup = call_header(Procedure::DomainLookupByName);
    for payload in [
        &[0, 0, 0, 9, b'a'][..],
        &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0][..],
    ] {
        let r = c.call_raw(lookup, payload);
        assert_error(&r, ERR_RPC, FROM_RPC, "Unable to decode message payload");
    }

    // A call whose status is not OK (virNetServerProgramDispatchCall).
    let r = c.call_raw(
        Header {
            status: MessageStatus::Error,
            ..call_header(Procedure::ConnectGetType)
        },
        &[],
    );
    assert_error(&r, ERR_RPC, FROM_RPC, "Unexpected message status 1");

    // Packets that are not calls are dropped without an answer; the next call's reply is the
    // next packet.
    for kind in [
        MessageType::Reply,
        MessageType::Message,
        MessageType::Stream,
        MessageType::Unknown(99),
    ] {
        let h = Header {
            kind,
            ..call_header(Procedure::DomainDestroy)
        };
        c.send_bytes(&packet(&h, &()));
    }

    // After all that the connection works, and nothing was destroyed.
    let dom = c
        .call::<calls::DomainLookupByName>(&DomainLookupByNameArgs {
            name: "test".try_into().unwrap(),
        })
        .unwrap()
        .dom;
    let info = c
        .call::<calls::DomainGetInfo>(&rvirt_proto::remote::types::DomainGetInfoArgs { dom })
        .unwrap();
    assert_eq!(info.state, 1, "running");
    by.finish();
}

#[test]
fn ten_thousand_connections_leave_nothing_behind() {
    let d = Daemon::start("");
    let pid = d.pid();
    // Warm up: the runtime's threads, the test driver's state and the allocator's arenas exist
    // after the first connections, and belong in the baseline.
    for _ in 0..20 {
        daemon_answers(&d);
    }
    let settled = |fds: usize| eventually(Duration::from_secs(10), || fd_count(pid) <= fds);
    assert!(settled(fd_count(pid)));
    let base_fds = fd_count(pid);
    let base_rss = rss_kib(pid);
    let base_threads = threads(pid);
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);
    let started = Instant::now();

    // 4,000 connections opened and dropped, one after another; every fourth opens the driver
    // first, every eighth asks for keepalive too.
    for i in 0..4000 {
        let mut c = Client::connect(&d.rw_socket());
        if i % 4 == 0 {
            c.open(0);
        }
        if i % 8 == 0 {
            let r = c
                .call::<calls::ConnectSupportsFeature>(&ConnectSupportsFeatureArgs {
                    feature: FEATURE_PROGRAM_KEEPALIVE,
                })
                .unwrap();
            assert_eq!(r.supported, 1);
        }
    }
    // 6,000 more in parallel: 4 threads at a time, each holding batches of 50 connections open
    // before dropping them together; half of them open the driver.
    std::thread::scope(|s| {
        for t in 0..4 {
            let sock = d.rw_socket();
            s.spawn(move || {
                for _ in 0..30 {
                    let mut batch: Vec<Client> = (0..50).map(|_| Client::connect(&sock)).collect();
                    for (i, c) in batch.iter_mut().enumerate() {
                        if (i + t) % 2 == 0 {
                            c.open(0);
                        }
                    }
                }
            });
        }
    });
    let churn = started.elapsed();
    let seen = by.finish();

    // Every descriptor is given back, and the memory with it (allowing the allocator to keep
    // a little).
    assert!(
        settled(base_fds),
        "descriptors: {} before, {} after",
        base_fds,
        fd_count(pid)
    );
    assert!(
        eventually(Duration::from_secs(10), || threads(pid) <= base_threads),
        "threads: {base_threads} before, {} after",
        threads(pid)
    );
    // Freed memory goes back to the system once the burst is over (rvirtd trims its heap after
    // a second without calls).
    assert!(
        eventually(Duration::from_secs(10), || rss_kib(pid)
            < base_rss + 6 * 1024),
        "RSS {base_rss} KiB before, {} KiB after 10,000 connections",
        rss_kib(pid)
    );
    let rss = rss_kib(pid);
    eprintln!(
        "10,000 connections in {churn:?}; bystander {} calls, slowest {:?}; fds {base_fds}; \
         RSS {base_rss} -> {rss} KiB",
        seen.calls, seen.slowest
    );
    daemon_answers(&d);
}

/// Starts a client on `d` that sends `DOMAIN_GET_XML_DESC` calls without ever reading, until the
/// daemon stops taking them (its writes block) or `max_calls` are sent; with `keepalive`, it asks
/// for keepalive first. Returns the client and how many calls it got out.
fn flood_without_reading(d: &Daemon, max_calls: u32, keepalive: bool) -> (Client, u32) {
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    if keepalive {
        ask_for_keepalive(&mut c);
    }
    let args = DomainGetXmlDescArgs {
        dom: c.lookup("test"),
        flags: 0,
    };
    c.stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut sent = 0;
    while sent < max_calls {
        let serial = c.next_serial();
        let p = packet(
            &remote::call_header(Procedure::DomainGetXmlDesc, serial),
            &args,
        );
        match c.stream.write_all(&p) {
            Ok(()) => sent += 1,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => panic!("write failed: {e}"),
        }
    }
    (c, sent)
}

#[test]
fn a_client_that_never_reads_blocks_only_itself() {
    let d = Daemon::start("");
    let pid = d.pid();
    daemon_answers(&d);
    let base_fds = fd_count(pid);
    let base_rss = rss_kib(pid);
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);

    // 100,000 calls would be 6 MB of calls and 150 MB of replies: the daemon must stop reading
    // long before.
    let (stuck, sent) = flood_without_reading(&d, 100_000, false);
    assert!(
        sent < 100_000,
        "the daemon read {sent} calls without sending a reply"
    );
    // Still stuck a second later, and the daemon has not grown meanwhile: it holds a bounded
    // queue of replies for this client, nothing more.
    let mut stream = stuck.stream.try_clone().unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let extra = packet(&remote::call_header(Procedure::ConnectGetType, 1), &());
    let blocked = (0..100).any(|_| stream.write_all(&extra).is_err());
    assert!(
        blocked,
        "the daemon kept reading from a client that never reads"
    );
    let rss = rss_kib(pid);
    assert!(
        rss < base_rss + 16 * 1024,
        "RSS {base_rss} KiB before, {rss} KiB with a stuck client"
    );
    // Others are served meanwhile.
    daemon_answers(&d);
    let seen = by.finish();
    eprintln!(
        "stuck client sent {sent} calls; RSS {base_rss} -> {rss} KiB; bystander {} calls, \
         slowest {:?}",
        seen.calls, seen.slowest
    );

    // When the stuck client goes, so does everything the daemon held for it.
    drop(stream);
    drop(stuck);
    assert!(
        eventually(Duration::from_secs(10), || fd_count(pid) <= base_fds),
        "descriptors: {base_fds} before, {} after",
        fd_count(pid)
    );
    daemon_answers(&d);
}

/// Asks for keepalive on an open connection.
fn ask_for_keepalive(c: &mut Client) {
    let r = c
        .call::<calls::ConnectSupportsFeature>(&ConnectSupportsFeatureArgs {
            feature: FEATURE_PROGRAM_KEEPALIVE,
        })
        .unwrap();
    assert_eq!(r.supported, 1);
}

/// Whether `p` is a keepalive message with `procedure`.
fn is_keepalive(p: &rvirt_proto::Packet, procedure: i32) -> bool {
    p.header
        == Header {
            serial: p.header.serial,
            ..keepalive::header(procedure)
        }
        && p.payload.is_empty()
}

#[test]
fn keepalive_drops_the_silent_and_keeps_the_answering() {
    const INTERVAL: u64 = 1;
    const COUNT: u64 = 2;
    let d = Daemon::start(&format!(
        "keepalive_interval = {INTERVAL}\nkeepalive_count = {COUNT}"
    ));
    let by = Bystander::start(&d.rw_socket(), MAX_ROUND_TRIP);

    // A PING from the client gets a PONG.
    let mut pinger = Client::connect(&d.rw_socket());
    pinger.send_bytes(&packet(&keepalive::header(keepalive::PROC_PING), &()));
    let pong = pinger.read_packet().unwrap().unwrap();
    assert!(is_keepalive(&pong, keepalive::PROC_PONG), "{pong:?}");
    assert_eq!(pong.header.program, 0x6b65_6570);

    std::thread::scope(|s| {
        // Asks for keepalive, then ignores the PINGs: dropped after the interval times the
        // count, give or take an interval.
        let silent = s.spawn(|| {
            let mut c = Client::connect(&d.rw_socket());
            c.open(0);
            ask_for_keepalive(&mut c);
            let asked = Instant::now();
            let mut seen = Vec::new();
            assert!(c.closed_within(Duration::from_secs(15), &mut seen));
            let after = asked.elapsed();
            let pings = seen
                .iter()
                .filter(|p| is_keepalive(p, keepalive::PROC_PING))
                .count();
            assert_eq!(pings, seen.len(), "{seen:?}");
            assert!(pings as u64 >= COUNT, "{pings} pings before the drop");
            assert!(
                after >= Duration::from_secs(INTERVAL * COUNT)
                    && after <= Duration::from_secs(INTERVAL * (COUNT + 3)),
                "dropped after {after:?}"
            );
        });
        // Asks for keepalive and answers every PING: still there after twice the time the
        // silent one lasted.
        let answering = s.spawn(|| {
            let mut c = Client::connect(&d.rw_socket());
            c.open(0);
            ask_for_keepalive(&mut c);
            let until = Instant::now() + Duration::from_secs(2 * INTERVAL * (COUNT + 2));
            let mut pings = 0;
            while Instant::now() < until {
                let left = until.saturating_duration_since(Instant::now());
                c.stream
                    .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .unwrap();
                match c.read_packet() {
                    Ok(Some(p)) => {
                        assert!(is_keepalive(&p, keepalive::PROC_PING), "{p:?}");
                        pings += 1;
                        c.send_bytes(&packet(&keepalive::header(keepalive::PROC_PONG), &()));
                    }
                    Ok(None) => panic!("an answering client was dropped"),
                    Err(e) => assert!(
                        matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                        "{e}"
                    ),
                }
            }
            assert!(pings > 0, "the daemon never probed an idle client");
            c.stream
                .set_read_timeout(Some(raw::REPLY_DEADLINE))
                .unwrap();
            c.call::<calls::ConnectGetType>(&()).unwrap();
        });
        // Never asked for keepalive: never probed, never dropped (as in libvirtd).
        let plain = s.spawn(|| {
            let mut c = Client::connect(&d.rw_socket());
            c.open(0);
            let mut seen = Vec::new();
            assert!(!c.closed_within(Duration::from_secs(INTERVAL * (COUNT + 3)), &mut seen));
            assert!(seen.is_empty(), "{seen:?}");
            c.stream
                .set_read_timeout(Some(raw::REPLY_DEADLINE))
                .unwrap();
            c.call::<calls::ConnectGetType>(&()).unwrap();
        });
        // Asked for keepalive, then floods calls and never reads: the daemon stops reading from
        // it, so it goes silent too, and is dropped as the silent one is (libvirtd keeps its
        // replies and drops it by keepalive too).
        let flooding = s.spawn(|| {
            let (mut c, sent) = flood_without_reading(&d, 100_000, true);
            assert!(sent < 100_000);
            let flooded = Instant::now();
            let mut seen = Vec::new();
            assert!(
                c.closed_within(Duration::from_secs(15), &mut seen),
                "a client that never reads was never dropped"
            );
            assert!(
                flooded.elapsed() <= Duration::from_secs(INTERVAL * (COUNT + 3)),
                "dropped after {:?}",
                flooded.elapsed()
            );
        });
        for t in [silent, answering, plain, flooding] {
            if let Err(e) = t.join() {
                std::panic::resume_unwind(e);
            }
        }
    });
    by.finish();
}

/// Whether process `pid` has exited (and waits to be reaped by its parent).
fn exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit(')').next().unwrap().trim_start().starts_with('Z')
    })
}

#[test]
fn sigterm_with_calls_in_flight_exits_cleanly() {
    let d = Daemon::start("");
    let pid = d.pid();
    let pid_file = d.dir.path().join("pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        pid.to_string()
    );
    // One client with a call just sent, one stuck with a full queue of replies it never reads.
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
    let dom = c.lookup("test");
    let (stuck, sent) = flood_without_reading(&d, 100_000, false);
    assert!(sent < 100_000);
    c.send_bytes(&packet(
        &remote::call_header(Procedure::DomainGetXmlDesc, 500),
        &DomainGetXmlDescArgs { dom, flags: 0 },
    ));

    let t = Instant::now();
    // SAFETY: kill(2) on the daemon this test started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    // The reading client gets its reply, or the connection closes; nothing else.
    let mut seen = Vec::new();
    assert!(c.closed_within(Duration::from_secs(30), &mut seen));
    for p in &seen {
        assert_eq!(
            (p.header.serial, p.header.status),
            (500, MessageStatus::Ok),
            "{:?} {:?}",
            p.header,
            p.decode_payload::<rvirt_proto::RemoteError>()
        );
    }
    assert!(
        eventually(Duration::from_secs(30), || exited(pid)),
        "rvirtd still running 30 s after SIGTERM"
    );
    let took = t.elapsed();
    assert!(
        !d.rw_socket().exists(),
        "the read-write socket was left behind"
    );
    assert!(
        !d.ro_socket().exists(),
        "the read-only socket was left behind"
    );
    assert!(!pid_file.exists(), "the pid file was left behind");
    drop(stuck);
    let status = d.terminate();
    assert!(status.success(), "{status:?}");
    // A client that stops reading may hold shutdown up only as long as the daemon lets a
    // closing client flush its replies.
    assert!(took < Duration::from_secs(8), "shutdown took {took:?}");
}

/// A client that waits for the socket file to appear (as scripts and test harnesses do) finds
/// the daemon listening on it, with the configured permissions, the first time it looks: the
/// daemon makes each socket listening under a hidden name and renames it into place, and
/// leaves nothing else in the folder.
#[test]
fn sockets_appear_listening_with_their_permissions() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("sock");
        let conf = dir.path().join("rvirtd.conf");
        std::fs::write(
            &conf,
            format!(
                "unix_sock_dir = \"{}\"\nunix_sock_rw_perms = \"0770\"\n\
                 unix_sock_ro_perms = \"0775\"\nlisten_tls = 0\n",
                sock.display()
            ),
        )
        .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rvirtd"))
            .arg("-f")
            .arg(&conf)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        for (name, mode) in [("libvirt-sock", 0o770), ("libvirt-sock-ro", 0o775)] {
            let p = sock.join(name);
            // No sleep between looks: the first sighting is what is checked.
            let meta = loop {
                if let Ok(m) = std::fs::symlink_metadata(&p) {
                    break m;
                }
                assert!(start.elapsed() < Duration::from_secs(10), "no {name}");
                std::thread::yield_now();
            };
            assert!(meta.file_type().is_socket(), "{name}");
            assert_eq!(meta.permissions().mode() & 0o777, mode, "{name}");
            let c = std::os::unix::net::UnixStream::connect(&p)
                .unwrap_or_else(|e| panic!("{name} appeared before the daemon listened: {e}"));
            // What guarantees the above even when the machine is slow: the daemon bound the
            // socket under its hidden name (peers see that address) before the rename.
            let bound = c.peer_addr().unwrap();
            let bound = bound.as_pathname().unwrap().file_name().unwrap();
            let pid = child.id();
            assert_eq!(bound.to_str().unwrap(), format!(".{name}.{pid}"));
        }
        let mut names: Vec<_> = std::fs::read_dir(&sock)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["libvirt-sock", "libvirt-sock-ro"]);
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A second daemon started on the sockets of a running one refuses to start, says why, and
/// leaves the running daemon's sockets and pid file as they were.
#[test]
fn a_second_daemon_on_the_same_sockets_leaves_the_first_alone() {
    let d = Daemon::start("");
    let pid_file = d.dir.path().join("pid");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rvirtd"))
        .arg("-f")
        .arg(d.dir.path().join("rvirtd.conf"))
        .arg("-p")
        .arg(&pid_file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another daemon is already listening on"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        d.pid().to_string()
    );
    assert!(d.rw_socket().exists() && d.ro_socket().exists());
    let mut c = Client::connect(&d.rw_socket());
    c.open(0);
}
