//! `rng_check SCHEMA FILE...`: validates each file, printing `FILE validates` or
//! `FILE fails: DETAIL` (a manual check beside `xmllint --relaxng`).

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
            Ok(doc) => match s.validate(&doc) {
                Ok(()) => println!("{f} validates"),
                Err(e) => println!("{f} fails: {e}"),
            },
        }
    }
}
