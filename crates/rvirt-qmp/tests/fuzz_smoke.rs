//! The `qmp_line` fuzz target's function on stable Rust, briefly enough for every run: inputs
//! from a fixed seed, mutations of the recorded QEMU transcripts (testdata/qmp/) and of
//! hand-written events, fed through [`fuzz_line`]. Nothing may panic. The real fuzzing runs
//! under cargo-fuzz on nightly (`fuzz/`).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use rvirt_qmp::fuzzing::fuzz_line;

const INPUTS: usize = 50_000;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/qmp");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(s) = line.strip_prefix("S: ") {
                out.push(format!("{s}\r\n").into_bytes());
            }
        }
    }
    for ev in [
        r#"{"event": "BLOCK_JOB_COMPLETED", "data": {"type": "commit", "device": "j", "len": 1, "offset": 1, "speed": 0, "error": "x"}, "timestamp": {"seconds": 1, "microseconds": 1}}"#,
        r#"{"event": "DEVICE_DELETED", "data": {"path": "/machine/peripheral/n", "device": "n"}, "timestamp": {"seconds": 1, "microseconds": 1}}"#,
        r#"{"event": "GUEST_PANICKED", "data": {"action": "pause"}, "timestamp": {"seconds": 1, "microseconds": 1}}"#,
        r#"{"event": "JOB_STATUS_CHANGE", "data": {"id": "s", "status": "concluded"}, "timestamp": {"seconds": 1, "microseconds": 1}}"#,
    ] {
        out.push(format!("{ev}\n").into_bytes());
    }
    assert!(out.len() > 10);
    out
}

#[test]
fn fuzz_line_survives_mutated_transcripts() {
    let seeds = seeds();
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    for i in 0..INPUTS {
        let mut data = Vec::new();
        for _ in 0..1 + rng.below(4) {
            data.extend_from_slice(&seeds[rng.below(seeds.len())]);
        }
        match i % 4 {
            0 => {}
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(data.len());
                    data[at] = rng.next() as u8;
                }
            }
            2 => data.truncate(rng.below(data.len())),
            _ => {
                let at = rng.below(data.len());
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                data.splice(at..at, junk);
            }
        }
        fuzz_line(&data);
    }
    // And one line far past the cap, with and without its newline.
    fuzz_line(&vec![b'{'; 100_000]);
    fuzz_line(&[vec![b' '; 100_000], b"\n".to_vec()].concat());
}
