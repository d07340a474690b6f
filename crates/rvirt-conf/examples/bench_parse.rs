//! Times parse + format of one domain document, as `bench/run_domain_xml.sh` uses it:
//! `cargo run --release -p rvirt-conf --example bench_parse -- [FILE] [N] [--print]`.
//!
//! Without FILE it uses `testdata/domain-xml/full-a.xml`. Each iteration parses the text (with
//! post-parse defaults, validation and the test driver's interface names, as a define
//! does) and formats the inactive XML, as
//! `defineXML` + `XMLDesc(VIR_DOMAIN_XML_INACTIVE)` do in libvirt. Prints one line:
//! `rvirt N ITERATIONS TOTAL_SECONDS PER_ITERATION_MICROSECONDS`. With `--print` it prints the
//! formatted XML instead, so the script can check both programs produce the same document.

use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let print = args.iter().any(|a| a == "--print");
    let mut plain = args.iter().filter(|a| !a.starts_with("--"));
    let text = match plain.next() {
        Some(path) => std::fs::read_to_string(path).expect("read the document"),
        None => include_str!("../../../testdata/domain-xml/full-a.xml").to_owned(),
    };
    let n: u32 = plain.next().map_or(20_000, |s| s.parse().expect("N"));
    let format = FormatOptions {
        inactive: true,
        ..FormatOptions::default()
    };
    if print {
        match DomainDef::parse_xml(&text, ParseOptions::default()) {
            Ok(mut d) => {
                d.test_generate_ifnames();
                print!("{}", d.format_xml(format));
            }
            Err(e) => panic!("rvirt refuses the document: {e}"),
        }
        return;
    }
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        let mut d =
            DomainDef::parse_xml(black_box(&text), ParseOptions::default()).expect("parses");
        d.test_generate_ifnames();
        total += black_box(d.format_xml(format)).len();
    }
    let elapsed = t.elapsed();
    assert!(total > 0);
    println!(
        "rvirt {} {n} {:.6} {:.3}",
        text.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / f64::from(n)
    );
}
