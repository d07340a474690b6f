//! A daemon that does nothing: it answers the calls a python3-libvirt client needs to open a
//! connection, look up a domain, ask its info, define domains and start, suspend, resume,
//! destroy and undefine them, with canned replies and no work at all. The benchmarks use it to measure what a round trip costs the client and the
//! kernel alone, the floor any daemon's `dom.info()` and `defineXML` sit on.
//!
//! It reads once per call (whatever the socket holds, into a large buffer); with `--two-reads`
//! it reads the length word and then the packet, as it did at first.
//!
//! `cargo run --release -p rvirtd --example noop_daemon -- SOCKET_PATH [--two-reads]`

use rvirt_proto::remote::{Procedure, types::*};
use rvirt_proto::{Header, MessageStatus, RemoteError, encode_packet};
use rvirt_xdr::{XdrEncode, to_bytes};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};

/// The canned reply to procedure `p`, or `None` for anything this daemon does not answer.
fn reply_body(p: Option<Procedure>) -> Option<Vec<u8>> {
    let dom = NonnullDomain {
        name: rvirt_proto::convert::nonnull("test"),
        uuid: [0x66; 16],
        id: 1,
    };
    Some(match p {
        Some(Procedure::AuthList) => to_bytes(&AuthListRet {
            types: rvirt_proto::convert::bounded([0]),
        }),
        Some(Procedure::ConnectSupportsFeature) => {
            to_bytes(&ConnectSupportsFeatureRet { supported: 0 })
        }
        // Calls without a return value (the lifecycle ones a suspend/resume loop makes):
        // answered at once, so such a loop measures the round trip a daemon adds to QEMU's time.
        Some(
            Procedure::ConnectOpen
            | Procedure::ConnectClose
            | Procedure::DomainCreate
            | Procedure::DomainSuspend
            | Procedure::DomainResume
            | Procedure::DomainDestroy
            | Procedure::DomainUndefine,
        ) => Vec::new(),
        Some(Procedure::DomainIsActive) => to_bytes(&DomainIsActiveRet { active: 1 }),
        Some(Procedure::DomainLookupByName) => to_bytes(&DomainLookupByNameRet { dom }),
        // libvirt's client looks the domain up after a create, for its id.
        Some(Procedure::DomainLookupByUuid) => to_bytes(&DomainLookupByUuidRet { dom }),
        // Whatever XML came: the same domain back, so a define loop measures the round trip.
        Some(Procedure::DomainDefineXml) => to_bytes(&DomainDefineXmlRet { dom }),
        Some(Procedure::DomainGetInfo) => to_bytes(&DomainGetInfoRet {
            state: 1,
            max_mem: 8_388_608,
            memory: 2_097_152,
            nr_virt_cpu: 2,
            cpu_time: 1,
        }),
        _ => return None,
    })
}

struct Raw(Vec<u8>);

impl XdrEncode for Raw {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

/// The canned reply (or error) to the call in `body` (a packet without its length word),
/// appended to `out`.
fn answer(body: Vec<u8>, out: &mut Vec<u8>) -> std::io::Result<()> {
    let pkt =
        rvirt_proto::packet::decode_body(body).map_err(|e| std::io::Error::other(e.to_string()))?;
    let h: Header = pkt.header;
    let encoded = match reply_body(Procedure::from_number(h.procedure)) {
        Some(body) => encode_packet(out, &h.reply(MessageStatus::Ok), &Raw(body)),
        None => {
            let e = RemoteError {
                code: 3,
                domain: 0,
                message: Some(rvirt_proto::convert::nonnull("not implemented here")),
                level: 2,
                ..RemoteError::default()
            };
            encode_packet(out, &h.reply(MessageStatus::Error), &e)
        }
    };
    encoded.map_err(|e| std::io::Error::other(e.to_string()))
}

/// Two reads per call (the length word, then the rest of the packet) and one write.
fn serve_two_reads(mut s: UnixStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        let mut word = [0u8; 4];
        s.read_exact(&mut word)?;
        let len = rvirt_proto::packet::body_len(u32::from_be_bytes(word))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        buf.resize(len, 0);
        s.read_exact(&mut buf)?;
        out.clear();
        answer(std::mem::take(&mut buf), &mut out)?;
        s.write_all(&out)?;
    }
}

/// One read per call: read whatever the socket has into a large buffer, answer every whole
/// packet in it, keep the rest; read again only when no whole packet is left.
fn serve_one_read(mut s: UnixStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 65536];
    let (mut start, mut end) = (0, 0);
    let mut out = Vec::new();
    loop {
        out.clear();
        loop {
            let have = &buf[start..end];
            if have.len() < 4 {
                break;
            }
            let word = u32::from_be_bytes([have[0], have[1], have[2], have[3]]);
            let len = rvirt_proto::packet::body_len(word)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            if have.len() < 4 + len {
                if 4 + len > buf.len() {
                    buf.resize(4 + len, 0);
                }
                break;
            }
            answer(have[4..4 + len].to_vec(), &mut out)?;
            start += 4 + len;
        }
        if !out.is_empty() {
            s.write_all(&out)?;
        }
        if start == end {
            (start, end) = (0, 0);
        } else if start > 0 && buf.len() - end < 4096 {
            buf.copy_within(start..end, 0);
            (start, end) = (0, end - start);
        }
        let n = s.read(&mut buf[end..])?;
        if n == 0 {
            return Ok(());
        }
        end += n;
    }
}

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| std::io::Error::other("usage: noop_daemon SOCKET_PATH [--two-reads]"))?;
    let two_reads = std::env::args().any(|a| a == "--two-reads");
    let _ = std::fs::remove_file(&path);
    let l = UnixListener::bind(&path)?;
    for s in l.incoming() {
        let s = s?;
        std::thread::spawn(move || {
            let _ = if two_reads {
                serve_two_reads(s)
            } else {
                serve_one_read(s)
            };
        });
    }
    Ok(())
}
