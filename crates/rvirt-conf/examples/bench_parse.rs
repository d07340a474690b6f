//! Times parse + format of a full domain document: `cargo run --release --example bench_parse`.

use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};

fn main() {
    let text = include_str!("../../../testdata/domain-xml/full-a.xml");
    let n = 20_000;
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        if let Ok(d) = DomainDef::parse_xml(text, ParseOptions::default()) {
            total += d.format_xml(FormatOptions::default()).len();
        }
    }
    let per = t.elapsed() / n;
    println!(
        "{} bytes in, parse+format {per:?} per document ({total})",
        text.len()
    );
}
