//! Data-driven test: every `testdata/domain-xml/NAME.xml` parses and formats exactly as real
//! libvirt's test driver printed it (`NAME.out.xml`), or fails with its code and message
//! (`NAME.err`). Regenerate the expectations with `testdata/domain-xml/regen.sh`.

use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use std::path::PathBuf;

#[test]
fn domain_xml_pairs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/domain-xml");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".xml") && !n.ends_with(".out.xml")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 25, "too few test inputs");
    let mut failures = Vec::new();
    for input in &names {
        let text = std::fs::read_to_string(input).expect("read input");
        let out = input.with_extension("out.xml");
        let err = input.with_extension("err");
        let got = DomainDef::parse_xml(&text, ParseOptions::default()).map(|mut d| {
            d.test_generate_ifnames();
            d.format_xml(FormatOptions::default())
        });
        let name = input.display().to_string();
        if out.exists() {
            let want = std::fs::read_to_string(&out).expect("read output");
            match got {
                Ok(g) if g.trim_end() == want.trim_end() => {}
                Ok(g) => failures.push(format!(
                    "{name}: output differs\n--- want\n{want}\n--- got\n{g}"
                )),
                Err(e) => failures.push(format!("{name}: unexpected error {e:?}")),
            }
        } else {
            let want = std::fs::read_to_string(&err).expect("read .err");
            let (code, msg) = want.split_once('\n').unwrap_or((&want, ""));
            match got {
                Ok(_) => failures.push(format!("{name}: parsed, expected error {want}")),
                Err(e) => {
                    // libxml2's wording of malformed XML is not reproduced, only its code.
                    let msg_ok = code.trim() == "35" || e.message == msg.trim_end();
                    if e.code.0.to_string() != code.trim() || !msg_ok {
                        failures.push(format!(
                            "{name}: want {code} {msg:?}, got {} {:?}",
                            e.code.0, e.message
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
