//! The `rpc_packet` fuzz target's function on stable Rust, briefly enough for every CI run:
//! 200,000 inputs from a fixed seed, some purely random, most mutations of valid packets (a call
//! to every procedure, event messages, replies, errors, keepalive), fed through
//! [`fuzz_decode`]. Nothing may panic. The real fuzzing runs under cargo-fuzz on nightly
//! (`fuzz/`); this keeps the function honest between those runs.

#![allow(clippy::unwrap_used)]

use rvirt_proto::fuzzing::{XorShift, fuzz_decode};
use rvirt_proto::remote::types::{
    ConnectGetAllDomainStatsArgs, ConnectListAllDomainsRet, DomainDefineXmlArgs,
    DomainGetXmlDescRet, DomainSetMemoryParametersArgs, NonnullDomain,
};
use rvirt_proto::remote::{self, Procedure};
use rvirt_proto::{Header, MessageStatus, MessageType, RemoteError, encode_packet, keepalive};
use rvirt_xdr::{BoundedVec, RemoteTypedParam, RemoteTypedParamValue, XdrEncode};
use std::time::Instant;

/// How many inputs one run tries.
const INPUTS: usize = 200_000;

fn packet(header: &Header, body: &impl XdrEncode) -> Vec<u8> {
    let mut out = Vec::new();
    encode_packet(&mut out, header, body).unwrap();
    out
}

fn dom(name: &str, id: i32) -> NonnullDomain {
    NonnullDomain {
        name: name.try_into().unwrap(),
        uuid: [0x66; 16],
        id,
    }
}

/// Valid packets of every shape the two ends exchange.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for &p in Procedure::ALL {
        let kind = match p.access() {
            rvirt_proto::Access::Event => MessageType::Message,
            _ => MessageType::Call,
        };
        let h = Header {
            kind,
            ..remote::call_header(p, 1)
        };
        let mut out = Vec::new();
        encode_packet(&mut out, &h, &RawBytes(p.default_args())).unwrap();
        seeds.push(out);
    }
    let call = |p, body: &dyn Fn(&mut Vec<u8>)| {
        let mut b = Vec::new();
        body(&mut b);
        packet(&remote::call_header(p, 7), &RawBytes(b))
    };
    seeds.push(call(Procedure::DomainDefineXml, &|b| {
        DomainDefineXmlArgs {
            xml: "<domain type='test'><name>vm</name><memory>1024</memory></domain>"
                .try_into()
                .unwrap(),
        }
        .encode(b)
    }));
    seeds.push(call(Procedure::ConnectGetAllDomainStats, &|b| {
        ConnectGetAllDomainStatsArgs {
            doms: BoundedVec::new(vec![dom("a", 1), dom("bb", -1), dom("ccc", 3)]).unwrap(),
            stats: 0x3ff,
            flags: 0x8000_0000,
        }
        .encode(b)
    }));
    seeds.push(call(Procedure::DomainSetMemoryParameters, &|b| {
        DomainSetMemoryParametersArgs {
            dom: dom("vm", 2),
            params: BoundedVec::new(vec![
                RemoteTypedParam {
                    field: "hard_limit".try_into().unwrap(),
                    value: RemoteTypedParamValue::Int(7),
                },
                RemoteTypedParam {
                    field: "swap".try_into().unwrap(),
                    value: RemoteTypedParamValue::String("x".try_into().unwrap()),
                },
            ])
            .unwrap(),
            flags: 1,
        }
        .encode(b)
    }));
    let reply = |p, status| Header {
        kind: MessageType::Reply,
        status,
        ..remote::call_header(p, 9)
    };
    seeds.push(packet(
        &reply(Procedure::DomainGetXmlDesc, MessageStatus::Ok),
        &DomainGetXmlDescRet {
            xml: "<domain/>".try_into().unwrap(),
        },
    ));
    seeds.push(packet(
        &reply(Procedure::ConnectListAllDomains, MessageStatus::Ok),
        &ConnectListAllDomainsRet {
            domains: BoundedVec::new(vec![dom("test", 1)]).unwrap(),
            ret: 1,
        },
    ));
    seeds.push(packet(
        &reply(Procedure::DomainLookupByName, MessageStatus::Error),
        &RemoteError {
            code: 42,
            domain: 12,
            message: Some("Domain not found".try_into().unwrap()),
            level: 2,
            str1: Some("Domain not found: %s".try_into().unwrap()),
            int1: -1,
            int2: -1,
            ..Default::default()
        },
    ));
    seeds.push(packet(&keepalive::header(keepalive::PROC_PING), &()));
    seeds
}

/// Already-encoded XDR.
struct RawBytes(Vec<u8>);

impl XdrEncode for RawBytes {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

/// Words that sit on the edges of the protocol's limits.
const INTERESTING: &[u32] = &[
    0,
    1,
    2,
    3,
    4,
    27,
    28,
    0x7f,
    0x80,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0xffff_fffe,
    rvirt_xdr::REMOTE_STRING_MAX,
    rvirt_xdr::REMOTE_STRING_MAX + 1,
    rvirt_proto::MESSAGE_MAX as u32,
    rvirt_proto::MESSAGE_MAX as u32 + 4,
    rvirt_proto::MESSAGE_MAX as u32 + 5,
    16384,
    16385,
    remote::PROGRAM,
    keepalive::PROGRAM,
];

/// One to four random edits of `input`, then, usually, a length word that matches again so the
/// framing lets the edits through to the decoders.
fn mutate(rng: &mut XorShift, mut input: Vec<u8>, seeds: &[Vec<u8>]) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        let len = input.len().max(1);
        match rng.below(9) {
            0 => {
                let i = rng.below(len).min(input.len().saturating_sub(1));
                if let Some(b) = input.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => {
                let i = rng.below(len);
                if let Some(b) = input.get_mut(i) {
                    *b = rng.next_u64() as u8;
                }
            }
            2 => {
                // An interesting word at an aligned offset: lengths, counts, discriminants.
                let w = INTERESTING[rng.below(INTERESTING.len())].to_be_bytes();
                let at = rng.below(len / 4 + 1) * 4;
                if at + 4 <= input.len() {
                    input[at..at + 4].copy_from_slice(&w);
                }
            }
            3 => input.truncate(rng.below(len)),
            4 => {
                let at = rng.below(input.len() + 1);
                let n = rng.below(16);
                let extra = rng.bytes(n);
                input.splice(at..at, extra);
            }
            5 => {
                let at = rng.below(len);
                let n = rng.below(16);
                let end = (at + n).min(input.len());
                if at < end {
                    input.drain(at..end);
                }
            }
            6 => input.extend_from_slice(&seeds[rng.below(seeds.len())]),
            7 => {
                // Another message type or status: calls read as replies, replies as errors.
                if input.len() >= 28 {
                    let at = if rng.below(2) == 0 { 16 } else { 24 };
                    let v = rng.below(8) as u32;
                    input[at..at + 4].copy_from_slice(&v.to_be_bytes());
                }
            }
            _ => {
                // Another procedure number, so one procedure's payload meets another's decoder.
                if input.len() >= 28 {
                    let p = Procedure::ALL[rng.below(Procedure::ALL.len())].number();
                    input[12..16].copy_from_slice(&p.to_be_bytes());
                }
            }
        }
    }
    if rng.below(4) != 0 && input.len() >= 4 {
        let n = input.len() as u32;
        input[..4].copy_from_slice(&n.to_be_bytes());
    }
    input
}

#[test]
fn fuzz_decode_survives_random_and_mutated_packets() {
    let seeds = seeds();
    // Every seed is valid: the framing reads it whole.
    for s in &seeds {
        fuzz_decode(s);
    }
    let mut rng = XorShift::new(0x0123_4567_89ab_cdef);
    let started = Instant::now();
    let (mut framed, mut decoded) = (0, 0);
    for i in 0..INPUTS {
        let input = if i % 10 == 0 {
            let n = rng.below(256);
            rng.bytes(n)
        } else {
            let seed = seeds[rng.below(seeds.len())].clone();
            mutate(&mut rng, seed, &seeds)
        };
        fuzz_decode(&input);
        match reaches_a_decoder(&input) {
            Some(true) => (framed, decoded) = (framed + 1, decoded + 1),
            Some(false) => framed += 1,
            None => {}
        }
    }
    eprintln!(
        "{INPUTS} inputs in {:?}: {framed} framed as a packet of a known procedure, {decoded} \
         of those decoded",
        started.elapsed()
    );
    // The inputs get past the framing to the payload decoders, and not only to fail there.
    assert!(framed > INPUTS / 3, "{framed} framed");
    assert!(decoded > INPUTS / 20, "{decoded} decoded");
}

/// Whether `input` starts with a whole packet of a known remote procedure (`Some`), and whether
/// its payload then decodes as the header says.
fn reaches_a_decoder(input: &[u8]) -> Option<bool> {
    let word = u32::from_be_bytes(input.get(..4)?.try_into().ok()?);
    let len = rvirt_proto::packet::body_len(word).ok()?;
    let body = input.get(4..4 + len)?.to_vec();
    let p = rvirt_proto::packet::decode_body(body).ok()?;
    if p.header.program != remote::PROGRAM {
        return None;
    }
    let procedure = Procedure::from_number(p.header.procedure)?;
    Some(match (p.header.kind, p.header.status) {
        (MessageType::Reply, MessageStatus::Ok) => procedure.decode_ret(&p.payload).is_ok(),
        (MessageType::Reply, MessageStatus::Error) => {
            rvirt_xdr::decode_all::<RemoteError>(&p.payload).is_ok()
        }
        _ => procedure.decode_args(&p.payload).is_ok(),
    })
}
