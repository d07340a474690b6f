//! rvirt-rng against libxml2 (`xmllint --relaxng`) on libvirt's own schema: every document of
//! the domain corpus (`testdata/domain-xml`, `testdata/domain-xml-todo`) must get the same
//! verdict from both, and the same for hand-made invalid documents. Without xmllint or the
//! schemas (Debian's libxml2-utils, libvirt-daemon) the test fails under CI and warns elsewhere.

use rvirt_rng::Schema;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMA: &str = "/usr/share/libvirt/schemas/domain.rng";

/// Documents libxml2 refuses although they match the schema by the RELAX NG specification:
/// libxml2's interleave splits the `ids` group (name, uuid, genid) of the domain when
/// another branch's element sits between its members.
const LIBXML2_QUIRKS: &[&str] = &["tuning-everything.xml"];

fn available() -> bool {
    let ok =
        Path::new(SCHEMA).exists() && Command::new("xmllint").arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "xmllint or {SCHEMA} missing under CI"
        );
        eprintln!("\n!!!!! xmllint or {SCHEMA} missing: rvirt-rng is NOT compared !!!!!\n");
    }
    ok
}

fn corpus() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut files = Vec::new();
    for dir in ["domain-xml", "domain-xml-todo"] {
        for e in std::fs::read_dir(root.join(dir)).expect("testdata") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "xml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// xmllint's verdict on each file (true: validates), in one run.
fn xmllint(files: &[PathBuf]) -> Vec<bool> {
    let out = Command::new("xmllint")
        .args(["--noout", "--relaxng", SCHEMA])
        .args(files)
        .output()
        .expect("xmllint runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    files
        .iter()
        .map(|f| {
            let line = format!("{} validates", f.display());
            stderr.lines().any(|l| l == line)
        })
        .collect()
}

#[test]
fn verdicts_match_libxml2_on_the_domain_corpus() {
    if !available() {
        return;
    }
    let schema = Schema::load(SCHEMA).expect("domain.rng compiles");
    let files: Vec<PathBuf> = corpus()
        .into_iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("read");
            roxmltree::Document::parse(&text).is_ok()
        })
        .collect();
    assert!(files.len() > 300, "corpus too small: {}", files.len());
    let theirs = xmllint(&files);
    let mut failures = Vec::new();
    let mut valid = 0;
    for (f, want) in files.iter().zip(theirs) {
        let text = std::fs::read_to_string(f).expect("read");
        let doc = roxmltree::Document::parse(&text).expect("well-formed");
        let got = schema.validate(&doc);
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let quirk = LIBXML2_QUIRKS.contains(&name);
        valid += usize::from(got.is_ok());
        match (want, &got, quirk) {
            (true, Ok(()), false) | (false, Err(_), false) | (false, Ok(()), true) => {}
            _ => failures.push(format!("{name}: libxml2 valid={want}, rvirt-rng {got:?}")),
        }
    }
    assert!(valid > 250, "only {valid} documents validate");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The derivatives kept between validations must not change any answer: every corpus
/// document (and a broken copy of each) gets the same verdict and message in a first pass over
/// a freshly loaded schema, again in the reverse order with everything the first pass kept,
/// and from two threads sharing the schema.
#[test]
fn kept_derivatives_change_no_answer() {
    if !available() {
        return;
    }
    let texts: Vec<String> = corpus()
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read"))
        .filter(|t| roxmltree::Document::parse(t).is_ok())
        .flat_map(|t| {
            // A broken twin: an attribute the schema does not allow on the root element.
            let broken = t.replacen("<domain ", "<domain bogus='1' ", 1);
            [t, broken]
        })
        .collect();
    let answer = |schema: &Schema, text: &str| {
        let doc = roxmltree::Document::parse(text).expect("well-formed");
        schema.validate(&doc).map_err(|e| e.message)
    };
    let schema = Schema::load(SCHEMA).expect("domain.rng compiles");
    let first: Vec<_> = texts.iter().map(|t| answer(&schema, t)).collect();
    assert!(first.iter().any(Result::is_ok) && first.iter().any(Result::is_err));
    for (i, t) in texts.iter().enumerate().rev() {
        assert_eq!(answer(&schema, t), first[i], "warm, document {i}");
    }
    let schema = std::sync::Arc::new(schema);
    let threads: Vec<_> = (0..2)
        .map(|k| {
            let (schema, texts) = (schema.clone(), texts.clone());
            std::thread::spawn(move || {
                texts
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 2 == k)
                    .map(|(i, t)| (i, answer(&schema, t)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        for (i, got) in t.join().expect("thread") {
            assert_eq!(got, first[i], "threaded, document {i}");
        }
    }
}

#[test]
fn invalid_documents_name_the_problem() {
    if !available() {
        return;
    }
    let schema = Schema::load(SCHEMA).expect("domain.rng compiles");
    let base = |body: &str| {
        format!(
            "<domain type='test'><name>x</name><memory>1024</memory>\
             <os><type>hvm</type></os>{body}</domain>"
        )
    };
    let cases = [
        (base("<bogus/>"), "Element domain has extra content: bogus"),
        (
            "<domain type='test' foo='1'><name>x</name><memory>1</memory></domain>".to_string(),
            "Invalid attribute foo for element domain",
        ),
        (
            base(
                "<devices><disk type='file' device='disk'><source file='/a'/><target dev='vda'/><bogus/></disk></devices>",
            ),
            "Element disk has extra content: bogus",
        ),
        (
            "<domain type='test'><name>x</name><memory>abc</memory></domain>".to_string(),
            "Element memory failed to validate content",
        ),
        (
            "<domain type='test'><memory>1</memory></domain>".to_string(),
            "Element domain failed to validate content",
        ),
        (
            base("<clock offset='utc'><timer/></clock>"),
            "Element timer failed to validate attributes",
        ),
    ];
    let dir = tempfile_dir();
    let mut files = Vec::new();
    for (i, (xml, _)) in cases.iter().enumerate() {
        let f = dir.join(format!("case{i}.xml"));
        std::fs::write(&f, xml).expect("write");
        files.push(f);
    }
    let theirs = xmllint(&files);
    for ((xml, want), libxml2_valid) in cases.iter().zip(theirs) {
        assert!(!libxml2_valid, "libxml2 accepts {xml}");
        let doc = roxmltree::Document::parse(xml).expect("well-formed");
        let err = schema.validate(&doc).expect_err(xml);
        assert_eq!(err.message, *want, "{xml}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rvirt-rng-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
