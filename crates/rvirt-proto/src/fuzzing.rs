//! One entry point that feeds untrusted bytes through every decoder in this crate that a peer can
//! reach: the framing ([`read_packet`]), the header, and the payload decoders the header selects
//! (a call's arguments on the server, a reply's return value or `remote_error` on the client, an
//! event's message). The cargo-fuzz target `fuzz/fuzz_targets/rpc_packet.rs` and the stable
//! smoke test `tests/fuzz_smoke.rs` both call [`fuzz_decode`], so they exercise the same code.
//!
//! Decoding must never panic, never allocate more than the input justifies, and whatever decodes
//! must encode back to a value that decodes equal (checked for the types below that implement
//! `PartialEq`).

use crate::error::RemoteError;
use crate::header::{Header, MessageStatus, MessageType};
use crate::packet::{FrameError, Packet, read_packet};
use crate::remote::types::{ConnectGetAllDomainStatsArgs, DomainDefineXmlArgs};
use crate::remote::{self, Procedure};
use rvirt_xdr::{XdrDecode, XdrEncode, decode_all, to_bytes};
use std::fmt::Debug;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The most packets one input is split into; a fuzzer's input is small, this only bounds the loop.
const MAX_PACKETS: usize = 64;

/// Feeds `bytes` through the framing and every payload decoder, and through a few decoders
/// directly. Panics only if a decoder breaks its contract (panics itself, or decodes a value that
/// does not survive a round trip).
pub fn fuzz_decode(bytes: &[u8]) {
    // The bytes as a stream of packets, as a daemon or a client reads them.
    let mut stream = bytes;
    for _ in 0..MAX_PACKETS {
        match read_now(&mut stream) {
            Ok(Some(packet)) => decode_packet(&packet),
            Ok(None) | Err(_) => break,
        }
    }
    // The bytes as one payload of the types whose parsers see the most attacker-shaped data:
    // XML strings, arrays of domains, and the error record every failed call carries.
    round_trip::<DomainDefineXmlArgs>(bytes);
    round_trip::<ConnectGetAllDomainStatsArgs>(bytes);
    round_trip::<RemoteError>(bytes);
    round_trip::<Header>(bytes);
    if let Ok(e) = decode_all::<RemoteError>(bytes) {
        let _ = rvirt_types::error::Error::from(e);
    }
}

/// Decodes a packet's payload as its header says the receiver would.
fn decode_packet(packet: &Packet) {
    let h = &packet.header;
    // The header survives a round trip whatever its values.
    assert_eq!(decode_all::<Header>(&to_bytes(h)).ok().as_ref(), Some(h));
    if h.program == crate::keepalive::PROGRAM {
        let _ = decode_all::<()>(&packet.payload);
        return;
    }
    if h.program != remote::PROGRAM {
        return;
    }
    let Some(p) = Procedure::from_number(h.procedure) else {
        return;
    };
    let payload = packet.payload.as_slice();
    match (h.kind, h.status) {
        (MessageType::Call | MessageType::CallWithFds | MessageType::Message, _) => {
            let _ = p.decode_args(payload);
        }
        (MessageType::Reply | MessageType::ReplyWithFds, MessageStatus::Ok) => {
            let _ = p.decode_ret(payload);
        }
        (_, MessageStatus::Error) => round_trip::<RemoteError>(payload),
        _ => {}
    }
}

/// A small deterministic generator (xorshift64*) for the inputs of fuzz smoke tests and
/// robustness tests: the same seed gives the same bytes on every machine, so a failure replays.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (zero is replaced, as xorshift would stay at zero).
    pub fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (which must not be zero).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Reads one packet from a byte slice. Reading from memory never waits, so the future completes
/// on its first poll.
fn read_now(stream: &mut &[u8]) -> Result<Option<Packet>, FrameError> {
    let mut fut = pin!(read_packet(stream));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => unreachable!("reading from a slice never waits"),
    }
}

/// If `bytes` decode as exactly one `T`, its encoding decodes to the same value.
fn round_trip<T: XdrDecode + XdrEncode + PartialEq + Debug>(bytes: &[u8]) {
    if let Ok(v) = decode_all::<T>(bytes) {
        let again = to_bytes(&v);
        assert_eq!(decode_all::<T>(&again).as_ref().ok(), Some(&v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::encode_packet;
    use crate::remote::types::NonnullDomain;

    #[test]
    fn valid_packets_decode() {
        let mut out = Vec::new();
        let args = DomainDefineXmlArgs {
            xml: "<domain/>".try_into().unwrap(),
        };
        encode_packet(
            &mut out,
            &remote::call_header(Procedure::DomainDefineXml, 1),
            &args,
        )
        .unwrap();
        let stats = ConnectGetAllDomainStatsArgs {
            doms: rvirt_xdr::BoundedVec::new(vec![NonnullDomain::default(); 3]).unwrap(),
            stats: 1,
            flags: 0,
        };
        encode_packet(
            &mut out,
            &remote::call_header(Procedure::ConnectGetAllDomainStats, 2),
            &stats,
        )
        .unwrap();
        fuzz_decode(&out);
        let mut stream = out.as_slice();
        assert!(read_now(&mut stream).unwrap().is_some());
        assert!(read_now(&mut stream).unwrap().is_some());
        assert!(read_now(&mut stream).unwrap().is_none());
    }

    #[test]
    fn every_procedure_decodes_its_default_arguments() {
        for &p in Procedure::ALL {
            assert!(p.decode_args(&p.default_args()).is_ok(), "{p:?}");
        }
    }
}
