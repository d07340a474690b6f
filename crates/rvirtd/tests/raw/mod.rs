//! A raw-bytes client for rvirtd: packets built with rvirt-proto and written to a unix socket by
//! hand, so tests can send exactly what a broken or hostile client would. Also what /proc says
//! about the daemon (RSS, open descriptors) and a well-behaved client that keeps calling in the
//! background while a test misbehaves beside it.

#![allow(dead_code)] // each test file uses its own part of this

use rvirt_proto::packet::{LEN_WORD, body_len, decode_body};
use rvirt_proto::remote::types::{
    ConnectOpenArgs, DomainGetInfoArgs, DomainLookupByNameArgs, NonnullDomain,
};
use rvirt_proto::remote::{self, Procedure, calls};
use rvirt_proto::{
    Header, MessageStatus, MessageType, Packet, RemoteCall, RemoteError, encode_packet, keepalive,
};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a test waits for a reply that must come.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(10);

/// `VIR_ERR_INTERNAL_ERROR`
pub const ERR_INTERNAL: i32 = 1;
/// `VIR_ERR_OPERATION_DENIED` (29 in virterror.h; 55 is `VIR_ERR_OPERATION_INVALID`)
pub const ERR_OPERATION_DENIED: i32 = 29;
/// `VIR_ERR_RPC`
pub const ERR_RPC: i32 = 39;
/// `VIR_FROM_RPC`
pub const FROM_RPC: i32 = 7;

/// One connection to the daemon, spoken to in raw packets.
pub struct Client {
    /// The socket; tests write arbitrary bytes to it.
    pub stream: UnixStream,
    serial: u32,
}

/// A packet as bytes: `header` then `body`'s encoding, with its length word.
pub fn packet(header: &Header, body: &(impl rvirt_xdr::XdrEncode + ?Sized)) -> Vec<u8> {
    let mut out = Vec::new();
    encode_packet(&mut out, header, body).unwrap();
    out
}

/// Already-encoded XDR, sent as it is.
pub struct Raw<'a>(pub &'a [u8]);

impl rvirt_xdr::XdrEncode for Raw<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
    }
}

impl Client {
    /// Connects to `socket`; reads wait at most [`REPLY_DEADLINE`].
    pub fn connect(socket: &Path) -> Client {
        let stream = UnixStream::connect(socket).unwrap();
        stream.set_read_timeout(Some(REPLY_DEADLINE)).unwrap();
        stream.set_write_timeout(Some(REPLY_DEADLINE)).unwrap();
        Client { stream, serial: 0 }
    }

    /// The next call serial.
    pub fn next_serial(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }

    /// Writes `bytes` as they are.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Reads one packet; `Ok(None)` when the daemon closed the connection between packets.
    pub fn read_packet(&mut self) -> std::io::Result<Option<Packet>> {
        let mut word = [0u8; LEN_WORD];
        let mut got = 0;
        while got < LEN_WORD {
            match self.stream.read(&mut word[got..])? {
                0 if got == 0 => return Ok(None),
                0 => return Err(ErrorKind::UnexpectedEof.into()),
                n => got += n,
            }
        }
        let len = body_len(u32::from_be_bytes(word))
            .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))?;
        let mut body = vec![0; len];
        self.stream.read_exact(&mut body)?;
        decode_body(body)
            .map(Some)
            .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))
    }

    /// Reads the reply to the call with `serial`, answering the daemon's keepalive pings on the
    /// way and failing on anything else.
    pub fn read_reply(&mut self, serial: u32) -> Packet {
        loop {
            let p = self
                .read_packet()
                .unwrap_or_else(|e| panic!("no reply to call {serial}: {e}"))
                .unwrap_or_else(|| panic!("connection closed before the reply to call {serial}"));
            if p.header.program == keepalive::PROGRAM {
                if p.header.procedure == keepalive::PROC_PING {
                    self.send_bytes(&packet(&keepalive::header(keepalive::PROC_PONG), &()));
                }
                continue;
            }
            assert_eq!(p.header.kind, MessageType::Reply, "{:?}", p.header);
            assert_eq!(p.header.serial, serial, "{:?}", p.header);
            return p;
        }
    }

    /// Sends a call with `header` (its serial replaced by a fresh one) and `payload`, and
    /// returns the reply.
    pub fn call_raw(&mut self, mut header: Header, payload: &[u8]) -> Packet {
        header.serial = self.next_serial();
        self.send_bytes(&packet(&header, &Raw(payload)));
        let reply = self.read_reply(header.serial);
        assert_eq!(reply.header.program, header.program);
        assert_eq!(reply.header.version, header.version);
        assert_eq!(reply.header.procedure, header.procedure);
        reply
    }

    /// Calls `C` and decodes its return value or error.
    pub fn call<C: RemoteCall>(&mut self, args: &C::Args) -> Result<C::Ret, Box<RemoteError>> {
        let header = remote::call_header(C::PROCEDURE, 0);
        let reply = self.call_raw(header, &rvirt_xdr::to_bytes(args));
        match reply.header.status {
            MessageStatus::Ok => Ok(reply.decode_payload().unwrap()),
            MessageStatus::Error => Err(Box::new(reply.decode_payload().unwrap())),
            other => panic!("reply status {other:?}"),
        }
    }

    /// `CONNECT_OPEN` of `test:///default` with `flags`, which must succeed.
    pub fn open(&mut self, flags: u32) {
        self.call::<calls::ConnectOpen>(&ConnectOpenArgs {
            name: Some("test:///default".try_into().unwrap()),
            flags,
        })
        .unwrap();
    }

    /// Looks up the domain `name`, which must exist.
    pub fn lookup(&mut self, name: &str) -> NonnullDomain {
        self.call::<calls::DomainLookupByName>(&DomainLookupByNameArgs {
            name: name.try_into().unwrap(),
        })
        .unwrap()
        .dom
    }

    /// Reads until the daemon closes the connection; true if it did within `within`, false if
    /// the connection was still open then. Packets that arrive meanwhile are returned in `seen`.
    pub fn closed_within(&mut self, within: Duration, seen: &mut Vec<Packet>) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.read_packet() {
                Ok(None) => return true,
                Ok(Some(p)) => seen.push(p),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                // Reset by the daemon, or a packet cut off by the close.
                Err(_) => return true,
            }
        }
    }
}

/// Asserts that `p` is an error reply carrying `code` from `domain` with `message`.
pub fn assert_error(p: &Packet, code: i32, domain: i32, message: &str) {
    assert_eq!(p.header.kind, MessageType::Reply, "{:?}", p.header);
    assert_eq!(p.header.status, MessageStatus::Error, "{:?}", p.header);
    let e: RemoteError = p.decode_payload().unwrap();
    assert_eq!(
        (e.code, e.domain, e.message.as_ref().map(|m| m.as_str())),
        (code, domain, Some(message)),
        "{e:?}"
    );
}

/// The daemon's resident set, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// How many threads the daemon runs.
pub fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// How many descriptors the daemon has open.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Polls `cond` every 10 ms until it holds or `within` passes; returns whether it held.
pub fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What the well-behaved client saw.
#[derive(Debug)]
pub struct Observed {
    /// Round trips completed.
    pub calls: u64,
    /// The slowest round trip.
    pub slowest: Duration,
}

/// A well-behaved client on its own connection, calling `CONNECT_GET_TYPE`, then
/// `DOMAIN_LOOKUP_BY_NAME` and `DOMAIN_GET_INFO` of `test`, in rounds until stopped; every reply
/// is checked. [`Bystander::finish`] fails the test if any reply was wrong or any round trip took
/// longer than `max_round_trip`.
pub struct Bystander {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Observed>,
    max_round_trip: Duration,
}

impl Bystander {
    /// Connects to `socket`, opens the test driver and starts calling.
    pub fn start(socket: &Path, max_round_trip: Duration) -> Bystander {
        let mut c = Client::connect(socket);
        c.open(0);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = Observed {
                calls: 0,
                slowest: Duration::ZERO,
            };
            let mut timed = |c: &mut Client, f: &mut dyn FnMut(&mut Client)| {
                let t = Instant::now();
                f(c);
                seen.slowest = seen.slowest.max(t.elapsed());
                seen.calls += 1;
            };
            // At least one whole round, however soon the test stops it.
            loop {
                timed(&mut c, &mut |c| {
                    let t = c.call::<calls::ConnectGetType>(&()).unwrap();
                    assert_eq!(t.r#type.as_str(), "TEST");
                });
                let mut dom = None;
                timed(&mut c, &mut |c| {
                    let r = c
                        .call::<calls::DomainLookupByName>(&DomainLookupByNameArgs {
                            name: "test".try_into().unwrap(),
                        })
                        .unwrap();
                    assert_eq!(r.dom.name.as_str(), "test");
                    dom = Some(r.dom);
                });
                timed(&mut c, &mut |c| {
                    let info = c
                        .call::<calls::DomainGetInfo>(&DomainGetInfoArgs {
                            dom: dom.clone().unwrap(),
                        })
                        .unwrap();
                    // The test driver's `test` domain: running, 8 GiB, 2 vCPUs.
                    assert_eq!(
                        (info.state, info.max_mem, info.nr_virt_cpu),
                        (1, 8_388_608, 2)
                    );
                });
                if flag.load(Ordering::Relaxed) {
                    break;
                }
            }
            seen
        });
        Bystander {
            stop,
            thread,
            max_round_trip,
        }
    }

    /// Stops the client and checks what it saw.
    pub fn finish(self) -> Observed {
        self.stop.store(true, Ordering::Relaxed);
        let seen = match self.thread.join() {
            Ok(seen) => seen,
            Err(e) => std::panic::resume_unwind(e),
        };
        assert!(seen.calls > 0, "the well-behaved client made no call");
        assert!(
            seen.slowest <= self.max_round_trip,
            "a well-behaved round trip took {:?}",
            seen.slowest
        );
        seen
    }
}

/// The call header of `procedure` with serial 0 (the client fills it in).
pub fn call_header(procedure: Procedure) -> Header {
    remote::call_header(procedure, 0)
}
