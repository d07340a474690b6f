//! A daemon that does nothing: it answers the calls a python3-libvirt client needs to open a
//! connection, look up a domain and ask its info, with canned replies and no work at all. The
//! benchmarks use it to measure what a round trip costs the client and the kernel alone, the
//! floor any daemon's `dom.info()` sits on.
//!
//! `cargo run --release -p rvirtd --example noop_daemon -- SOCKET_PATH`

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
        Some(Procedure::ConnectOpen | Procedure::ConnectClose) => Vec::new(),
        Some(Procedure::DomainLookupByName) => to_bytes(&DomainLookupByNameRet { dom }),
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

fn serve(mut s: UnixStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        let mut word = [0u8; 4];
        s.read_exact(&mut word)?;
        let len = rvirt_proto::packet::body_len(u32::from_be_bytes(word))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        buf.resize(len, 0);
        s.read_exact(&mut buf)?;
        let pkt = rvirt_proto::packet::decode_body(std::mem::take(&mut buf))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let h: Header = pkt.header;
        out.clear();
        let encoded = match reply_body(Procedure::from_number(h.procedure)) {
            Some(body) => encode_packet(&mut out, &h.reply(MessageStatus::Ok), &Raw(body)),
            None => {
                let e = RemoteError {
                    code: 3,
                    domain: 0,
                    message: Some(rvirt_proto::convert::nonnull("not implemented here")),
                    level: 2,
                    ..RemoteError::default()
                };
                encode_packet(&mut out, &h.reply(MessageStatus::Error), &e)
            }
        };
        encoded.map_err(|e| std::io::Error::other(e.to_string()))?;
        s.write_all(&out)?;
    }
}

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| std::io::Error::other("usage: noop_daemon SOCKET_PATH"))?;
    let _ = std::fs::remove_file(&path);
    let l = UnixListener::bind(&path)?;
    for s in l.incoming() {
        let s = s?;
        std::thread::spawn(move || {
            let _ = serve(s);
        });
    }
    Ok(())
}
