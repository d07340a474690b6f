//! `rng_check SCHEMA FILE...`: validates each file, printing `FILE validates` or
//! `FILE fails: DETAIL` (a manual check beside `xmllint --relaxng`). With `RNG_BENCH=N` in the
//! environment, each file is also validated N times and the mean time printed (the benchmark
//! recorded in bench/RESULTS.md), beside the time of the first validation, which starts with
//! no derivatives kept.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(schema) = args.next() else {
        eprintln!("usage: rng_check SCHEMA FILE...");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    let s = match rvirt_rng::Schema::load(&schema) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{schema}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!(
        "compiled {} patterns in {:?}",
        s.pattern_count(),
        t.elapsed()
    );
    for f in args {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        match roxmltree::Document::parse(&text) {
            Err(e) => println!("{f} malformed: {e}"),
            Ok(doc) => {
                let t = std::time::Instant::now();
                let first = s.validate(&doc);
                let cold = t.elapsed();
                match first {
                    Ok(()) => println!("{f} validates"),
                    Err(e) => println!("{f} fails: {e}"),
                }
                let n: u32 = std::env::var("RNG_BENCH")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if n > 0 {
                    let t = std::time::Instant::now();
                    for _ in 0..n {
                        let _ = s.validate(&doc);
                    }
                    println!(
                        "{f}: first validation {cold:?}, then {:?} per validation ({n} runs)",
                        t.elapsed() / n
                    );
                }
            }
        }
    }
}
