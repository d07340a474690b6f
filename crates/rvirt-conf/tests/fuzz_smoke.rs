//! The XML fuzz targets' functions on stable Rust, briefly enough for every CI run: for each
//! parser (domain, network, network port, interface, storage pool, storage volume, snapshot, checkpoint, test driver node
//! document), 20,000 inputs from a fixed seed, mutations of the documents in
//! `testdata/` (bit flips, byte edits, truncation, deletion, duplication, splicing with other
//! documents, tokens that sit on the parsers' edges), fed through `rvirt_conf::fuzzing`.
//! Nothing may panic, and whatever parses must format to a fixed point. The real fuzzing runs
//! under cargo-fuzz on nightly (`fuzz/`); this keeps the functions honest between those runs.

use rvirt_conf::fuzzing;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How many inputs each parser gets.
const INPUTS: usize = 20_000;

/// A small deterministic generator (xorshift64*): the same inputs on every run.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Text that sits on the edges of the XML parsers: markup, entities, numbers at the limits of
/// their types, units, booleans, and a DTD (which must be refused, not expanded).
const TOKENS: &[&str] = &[
    "<",
    ">",
    "/>",
    "'",
    "\"",
    "&amp;",
    "&#0;",
    "&#x10FFFF;",
    "&lt;",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<?pi x?>",
    "<!DOCTYPE d [<!ENTITY e 'x'>]>",
    "-1",
    "0",
    "1",
    "65535",
    "65536",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "0x",
    "0xffffffff",
    "1.5",
    "unit='TiB'",
    "unit='EiB'",
    "unit='bogus'",
    "yes",
    "no",
    "on",
    "off",
    "default",
    "é",
    "\u{0}",
    " ",
    "\n",
    "",
    "xmlns:x='urn:x'",
];

/// One edit of `input` (half the time) or up to four, some of them taking text from `others`.
fn mutate(rng: &mut XorShift, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    let edits = if rng.below(2) == 0 {
        1
    } else {
        1 + rng.below(4)
    };
    for _ in 0..edits {
        let len = out.len();
        match rng.below(9) {
            0 => {
                if len > 0 {
                    let i = rng.below(len);
                    out[i] ^= 1 << rng.below(8);
                }
            }
            1 => {
                if len > 0 {
                    let i = rng.below(len);
                    out[i] = b"<>/='\"&; x0-9\n"[rng.below(14)];
                }
            }
            2 => out.truncate(rng.below(len + 1)),
            3 => {
                let at = rng.below(len + 1);
                let end = (at + 1 + rng.below(40)).min(len);
                out.drain(at.min(end)..end);
            }
            4 => {
                let at = rng.below(len + 1);
                let end = (at + 1 + rng.below(80)).min(len);
                let piece = out[at.min(end)..end].to_vec();
                let to = rng.below(len + 1);
                out.splice(to..to, piece);
            }
            5 | 6 => {
                // Splice a piece of another document in: elements meet foreign parents.
                let other = &others[rng.below(others.len())];
                let from = rng.below(other.len() + 1);
                let end = (from + 1 + rng.below(200)).min(other.len());
                let to = rng.below(len + 1);
                out.splice(to..to, other[from.min(end)..end].iter().copied());
            }
            7 => {
                // Replace a quoted value or an element's text with an edge token.
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let start = rng.below(len + 1);
                let Some(open) = out[start..]
                    .iter()
                    .position(|&b| b == b'\'' || b == b'>')
                    .map(|p| start + p + 1)
                else {
                    continue;
                };
                let close = out[open..]
                    .iter()
                    .position(|&b| b == b'\'' || b == b'<')
                    .map_or(out.len(), |p| open + p);
                out.splice(open..close, token.iter().copied());
            }
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let to = rng.below(len + 1);
                out.splice(to..to, token.iter().copied());
            }
        }
    }
    out
}

fn testdata(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(dir);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".xml") && keep(n))
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// Runs `target` on every seed, then on `INPUTS` mutations of them; checks that a fair share
/// of the mutations still parse (so the edits reach past the XML reader into the definition
/// parsers) and that the run stays short.
fn smoke(name: &str, seeds: &[Vec<u8>], seed: u64, min_parsed: usize, target: fn(&[u8]) -> bool) {
    smoke_n(name, seeds, seed, INPUTS, min_parsed, target);
}

/// [`smoke`] with `inputs` mutations, for a parser that validates every document against a
/// RELAX NG schema first (and so costs more per input).
fn smoke_n(
    name: &str,
    seeds: &[Vec<u8>],
    seed: u64,
    inputs: usize,
    min_parsed: usize,
    target: fn(&[u8]) -> bool,
) {
    assert!(!seeds.is_empty(), "{name}: no seed documents");
    let started = Instant::now();
    let valid = seeds.iter().filter(|s| target(s)).count();
    let mut rng = XorShift(seed);
    let mut parsed = 0;
    for _ in 0..inputs {
        let pick = rng.below(seeds.len());
        let input = mutate(&mut rng, &seeds[pick], seeds);
        match std::panic::catch_unwind(|| target(&input)) {
            Ok(true) => parsed += 1,
            Ok(false) => {}
            Err(panic) => {
                eprintln!(
                    "{name}: the input was:\n{}",
                    String::from_utf8_lossy(&input)
                );
                std::panic::resume_unwind(panic);
            }
        }
    }
    let took = started.elapsed();
    eprintln!(
        "{name}: {} seeds ({valid} parse), {inputs} mutations ({parsed} parse) in {took:?}",
        seeds.len()
    );
    assert!(
        parsed >= min_parsed,
        "{name}: only {parsed} mutations parse"
    );
    // Generous for a debug build on a loaded machine; the point is that CI can afford it.
    assert!(took < Duration::from_secs(30), "{name}: {took:?}");
}

#[test]
fn domain_xml() {
    // The `err-*` documents are left out: each is one mistake away from a valid document, so
    // their mutations almost never parse and only dilute the share that reaches the
    // definition parsers (the mutations of valid documents hit the same checks).
    let mut seeds = testdata("domain-xml", |n| !n.starts_with("err-"));
    seeds.extend(testdata("../bench", |n| n == "domain-4k.xml"));
    smoke(
        "domain",
        &seeds,
        0x0d0a_0001,
        INPUTS / 20,
        fuzzing::fuzz_domain,
    );
}

/// The schema validator (`rvirt-rng` with libvirt's `domain.rng`) on mutated domain documents:
/// fewer inputs than the parsers get, as a validation costs more, and none may take long (the
/// derivative algorithm must not blow up on any input).
#[test]
fn domain_schema() {
    const SCHEMA_INPUTS: usize = 6_000;
    let schema = std::path::Path::new(rvirt_conf::schema::SCHEMA_DIR).join("domain.rng");
    if !schema.exists() {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        assert!(
            !ci,
            "{} is missing (CI is set, so this is a failure)",
            schema.display()
        );
        eprintln!(
            "\n!!!!! domain_schema: {} is missing; NOT fuzzed !!!!!\n",
            schema.display()
        );
        return;
    }
    let seeds = testdata("domain-xml", |n| !n.starts_with("err-"));
    let started = Instant::now();
    let valid = seeds
        .iter()
        .filter(|s| fuzzing::fuzz_domain_schema(s))
        .count();
    assert!(valid * 2 > seeds.len(), "only {valid} seeds validate");
    let mut rng = XorShift(0x0d0a_000a);
    let (mut passed, mut slowest) = (0, Duration::ZERO);
    for _ in 0..SCHEMA_INPUTS {
        let pick = rng.below(seeds.len());
        let input = mutate(&mut rng, &seeds[pick], &seeds);
        let t = Instant::now();
        match std::panic::catch_unwind(|| fuzzing::fuzz_domain_schema(&input)) {
            Ok(ok) => passed += usize::from(ok),
            Err(panic) => {
                eprintln!(
                    "schema: the input was:\n{}",
                    String::from_utf8_lossy(&input)
                );
                std::panic::resume_unwind(panic);
            }
        }
        let took = t.elapsed();
        if took > slowest {
            slowest = took;
        }
        assert!(
            took < Duration::from_secs(5),
            "schema: one validation took {took:?}; the input was:\n{}",
            String::from_utf8_lossy(&input)
        );
    }
    let took = started.elapsed();
    eprintln!(
        "schema: {} seeds ({valid} valid), {SCHEMA_INPUTS} mutations ({passed} valid) in \
         {took:?}, slowest {slowest:?}",
        seeds.len()
    );
    assert!(
        passed >= SCHEMA_INPUTS / 50,
        "only {passed} mutations validate"
    );
    assert!(took < Duration::from_secs(60), "schema: {took:?}");
}

#[test]
fn network_xml() {
    let seeds = testdata("network-xml", |n| n.ends_with(".in.xml"));
    smoke(
        "network",
        &seeds,
        0x0d0a_0002,
        INPUTS / 20,
        fuzzing::fuzz_network,
    );
}

#[test]
fn network_port_xml() {
    let seeds = testdata("networkport-xml", |n| n.ends_with(".in.xml"));
    smoke(
        "networkport",
        &seeds,
        0x0d0a_0009,
        INPUTS / 20,
        fuzzing::fuzz_network_port,
    );
}

#[test]
fn interface_xml() {
    let seeds = testdata("interface-xml", |n| n.ends_with(".in.xml"));
    smoke(
        "interface",
        &seeds,
        0x0d0a_0003,
        INPUTS / 20,
        fuzzing::fuzz_interface,
    );
}

#[test]
fn storage_pool_xml() {
    let seeds = testdata("storage-xml", |n| {
        n.starts_with("pool-") && !n.ends_with(".out.xml")
    });
    smoke("pool", &seeds, 0x0d0a_0004, INPUTS / 20, fuzzing::fuzz_pool);
}

#[test]
fn storage_volume_xml() {
    let seeds = testdata("storage-xml", |n| n.starts_with("vol-"));
    smoke(
        "volume",
        &seeds,
        0x0d0a_0005,
        INPUTS / 20,
        fuzzing::fuzz_volume,
    );
}

#[test]
fn snapshot_xml() {
    let mut seeds: Vec<Vec<u8>> = [
        "<domainsnapshot/>",
        "<domainsnapshot><name>s1</name><description>before upgrade</description>\
         <memory snapshot='no'/><disks><disk name='vda' snapshot='external'>\
         <driver type='qcow2'/><source file='/tmp/s1.qcow2'/></disk>\
         <disk name='hdc' snapshot='no'/></disks></domainsnapshot>",
        "<domainsnapshot><name>s2</name><state>running</state><parent><name>s1</name>\
         </parent><creationTime>1700000000</creationTime><memory snapshot='internal'/>\
         <active>1</active></domainsnapshot>",
        "<domainsnapshot><name>s3</name><memory snapshot='external' file='/tmp/m'/>\
         </domainsnapshot>",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // Redefined snapshots embed a whole domain.
    for d in testdata("domain-xml", |n| !n.starts_with("err-"))
        .iter()
        .step_by(25)
    {
        let mut s = b"<domainsnapshot><name>r</name><state>shutoff</state>\
                      <creationTime>1</creationTime>"
            .to_vec();
        s.extend_from_slice(d);
        s.extend_from_slice(b"</domainsnapshot>");
        seeds.push(s);
    }
    smoke(
        "snapshot",
        &seeds,
        0x0d0a_0006,
        INPUTS / 20,
        fuzzing::fuzz_snapshot,
    );
}

#[test]
fn checkpoint_xml() {
    let mut seeds: Vec<Vec<u8>> = [
        "<domaincheckpoint/>",
        "<domaincheckpoint><name>c1</name><description>before backup</description>\
         <disks><disk name='vda' checkpoint='bitmap' bitmap='b1'/>\
         <disk name='hdc' checkpoint='no'/></disks></domaincheckpoint>",
        "<domaincheckpoint><name>c2</name><parent><name>c1</name></parent>\
         <creationTime>1700000000</creationTime><disks><disk name='/tmp/a.img'/></disks>\
         </domaincheckpoint>",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // Redefined checkpoints embed a whole domain (two of them: each mutation of one is a
    // whole domain for the schema to check).
    for d in testdata("domain-xml", |n| !n.starts_with("err-"))
        .iter()
        .step_by(50)
        .take(2)
    {
        let mut s = b"<domaincheckpoint><name>r</name><creationTime>1</creationTime>".to_vec();
        s.extend_from_slice(d);
        s.extend_from_slice(b"</domaincheckpoint>");
        seeds.push(s);
    }
    // Half the inputs: every one is checked against domaincheckpoint.rng first.
    smoke_n(
        "checkpoint",
        &seeds,
        0x0d0a_000c,
        INPUTS / 2,
        INPUTS / 80,
        fuzzing::fuzz_checkpoint,
    );
}

#[test]
fn test_driver_node_xml() {
    let mut seeds = testdata("storage-xml", |n| n.starts_with("node-"));
    let mut node = b"<node><cpu><nodes>1</nodes><sockets>2</sockets></cpu>\
                     <memory>8192000</memory>"
        .to_vec();
    for d in testdata("domain-xml", |n| !n.starts_with("err-"))
        .iter()
        .step_by(40)
    {
        node.extend_from_slice(d);
    }
    for n in testdata("network-xml", |n| n.ends_with(".in.xml"))
        .iter()
        .take(2)
    {
        node.extend_from_slice(n);
    }
    node.extend_from_slice(b"</node>");
    seeds.push(node);
    smoke("node", &seeds, 0x0d0a_0007, INPUTS / 50, fuzzing::fuzz_node);
}
