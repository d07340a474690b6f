//! What the XML corpus tests of the test driver (`snapshot_xml`, `checkpoint_xml`) share: the
//! corpus files, the rules for a missing oracle, masking of clock-made values, how errors agree
//! with libvirt's, how one case's answers are compared, the schema check of everything rvirt
//! printed, and the diff shown.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `*.xml` documents of `testdata/DIR`, sorted.
pub fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(dir);
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("testdata dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    names.sort();
    names
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// A tool the comparison needs is missing: fatal under CI, a loud warning elsewhere.
pub fn missing(what: &str) {
    let msg = format!("XML corpus: {what}; the corpus is NOT compared with libvirt");
    assert!(!in_ci(), "{msg} (CI is set, so this is a failure)");
    eprintln!("\n!!!!! {msg} !!!!!\n");
}

/// Whether rvirt's error agrees with libvirt's: the same code and message, except that for
/// malformed XML only the code counts (libxml2's wording is not reproduced) and for a schema
/// violation only the first line (the account after it is rvirt's own).
pub fn error_agrees(code: i64, msg: &str, got_code: i64, got_msg: &str) -> bool {
    let first = |m: &str| m.lines().next().unwrap_or_default().to_string();
    code == got_code
        && match code {
            35 => true,
            92 => first(msg) == first(got_msg),
            _ => msg == got_msg,
        }
}

/// Masks a creation time the input did not set, and a default name (and bitmap names) made of
/// it.
pub fn mask(text: &str, input: &str) -> String {
    let Some(start) = text.find("<creationTime>") else {
        return text.to_string();
    };
    let from = start + "<creationTime>".len();
    let Some(len) = text[from..].find("</creationTime>") else {
        return text.to_string();
    };
    let value = &text[from..from + len];
    if input.contains(&format!("<creationTime>{value}</creationTime>")) {
        return text.to_string();
    }
    text.replace(
        &format!("<creationTime>{value}</creationTime>"),
        "<creationTime>MASKED</creationTime>",
    )
    .replace(&format!("<name>{value}</name>"), "<name>MASKED</name>")
    .replace(&format!("bitmap='{value}'"), "bitmap='MASKED'")
}

/// Validates every document against libvirt's schema `schema` in one `xmllint` run; with
/// `expect_invalid`, every document must fail it instead.
pub fn validate_schema(
    schema: &str,
    outputs: &[(String, String)],
    expect_invalid: bool,
    failures: &mut Vec<String>,
) {
    if outputs.is_empty() {
        return;
    }
    if !Path::new(schema).exists() {
        missing(&format!("{schema} is missing"));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for (label, xml) in outputs {
        let f = dir.path().join(label);
        std::fs::write(&f, xml).expect("write output");
        files.push(f);
    }
    let Ok(out) = Command::new("xmllint")
        .args(["--noout", "--relaxng", schema])
        .args(&files)
        .output()
    else {
        missing("xmllint is not installed");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if expect_invalid {
        for f in &files {
            let name = f.display().to_string();
            if !stderr
                .lines()
                .any(|l| l == format!("{name} fails to validate"))
            {
                failures.push(format!(
                    "schema exception {name}: libvirt's own output validates; drop the exception"
                ));
            }
        }
        return;
    }
    let validated = stderr.lines().filter(|l| l.ends_with(" validates")).count();
    for line in stderr.lines() {
        if !line.ends_with(" validates") {
            failures.push(format!("schema: {line}"));
        }
    }
    if validated != files.len() && failures.is_empty() {
        failures.push(format!(
            "schema: {validated} of {} documents validate",
            files.len()
        ));
    }
}

/// The lines from the first difference on, both sides.
pub fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let first = w.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let from = first.saturating_sub(2);
    let show = |v: &[&str]| {
        v[from.min(v.len())..]
            .iter()
            .take(12)
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "--- libvirt (from line {})\n{}\n--- rvirt\n{}",
        from + 1,
        show(&w),
        show(&g)
    )
}

/// One case's answer: the `N` XML documents the case prints (one per set of format flags), or
/// an error's code and message.
#[derive(Debug, PartialEq)]
pub enum Answer<const N: usize> {
    /// The documents, in the order of the case's flag labels.
    Xml([String; N]),
    /// `virErrorNumber` and message.
    Error(i64, String),
}

/// Compares one case of document `name`; `flags` labels the documents (`""` for the plain
/// one); `Some(failure)` when rvirt differs from libvirt.
pub fn compare<const N: usize>(
    name: &str,
    case: &str,
    flags: [&str; N],
    text: &str,
    want: &Answer<N>,
    got: &Answer<N>,
) -> Option<String> {
    match (want, got) {
        (Answer::Xml(wn), Answer::Xml(gn)) => {
            for ((flag, w), g) in flags.iter().zip(wn).zip(gn) {
                let (w, g) = (mask(w, text), mask(g, text));
                if w != g {
                    return Some(format!(
                        "{name} [{case}{flag}]: output differs\n{}",
                        diff(&w, &g)
                    ));
                }
            }
            None
        }
        (Answer::Error(code, msg), Answer::Error(gc, gm)) => (!error_agrees(*code, msg, *gc, gm))
            .then(|| format!("{name} [{case}]: want {code} {msg:?}, got {gc} {gm:?}")),
        (Answer::Xml(..), Answer::Error(gc, gm)) => Some(format!(
            "{name} [{case}]: libvirt accepts it, rvirt: {gc} {gm:?}"
        )),
        (Answer::Error(code, msg), Answer::Xml(..)) => Some(format!(
            "{name} [{case}]: rvirt accepts it, libvirt: {code} {msg:?}"
        )),
    }
}
