//! python3-libvirt must not be able to tell rvirtd from libvirtd.
//!
//! Every scenario of the foundation's oracle (`testdata/scenarios/*.json`: every domain and host
//! call, lifecycle, save/restore, snapshots, listing, errors, lifecycle events through
//! `virEventRegisterDefaultImpl` + `domainEventRegisterAny`, read-only connections) is run by
//! `tests/oracle/run_libvirt.py` twice through the real client library and the RPC protocol:
//! against a real libvirtd (Debian's, test driver only) and against rvirtd, each fresh for the
//! scenario (`ORACLE_SOCKET`). The outcomes, values and errors alike, must be equal step by step.
//! (The foundation's own oracle already holds rvirt in-process to libvirt's in-process test
//! driver on the same scenarios.)
//!
//! Run one scenario with `ORACLE_SCENARIO=substring cargo test -p rvirtd --test python_oracle`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, Libvirtd, PYTHON};
use rvirt_testsupport::{WORKERS, on_workers};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(scenario: &Path, socket: Option<&Path>) -> Vec<Value> {
    let mut cmd = Command::new(PYTHON);
    cmd.arg(root().join("tests/oracle/run_libvirt.py"))
        .arg(scenario)
        .current_dir(root());
    if let Some(s) = socket {
        cmd.env("ORACLE_SOCKET", s);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "run_libvirt.py failed on {}:\n{}",
        scenario.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["outcomes"].as_array().unwrap().clone()
}

/// The two daemons' sockets differ, and so do URIs that name them.
fn normalize(outcomes: &mut [Value], socket: &Path) {
    let text = serde_json::to_string(outcomes).unwrap();
    let masked = text.replace(&socket.display().to_string(), "$SOCKET");
    let back: Vec<Value> = serde_json::from_str(&masked).unwrap();
    outcomes.clone_from_slice(&back);
}

/// Whether two outcomes agree, honouring a step's `"compare": "code"` (parser errors, worded by
/// libxml2 in libvirt: only the code and domain are compared).
fn agree(step: &Value, a: &Value, b: &Value) -> bool {
    if step["compare"] == "code"
        && let (Some(ea), Some(eb)) = (a.get("err"), b.get("err"))
    {
        return ea[0] == eb[0] && ea[1] == eb[1];
    }
    a == b
}

/// One scenario through a fresh libvirtd and a fresh rvirtd: how many steps it has, and where
/// the two disagree.
fn scenario_failures(f: &Path) -> (usize, Vec<String>) {
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
    // Fresh daemons per scenario: every scenario starts from the default machine.
    let libvirtd = Libvirtd::start();
    let mut expected = run(f, Some(&libvirtd.rw_socket()));
    normalize(&mut expected, &libvirtd.rw_socket());
    drop(libvirtd);
    let daemon = Daemon::start("");
    let mut got = run(f, Some(&daemon.rw_socket()));
    normalize(&mut got, &daemon.rw_socket());
    let name = f.file_name().unwrap().to_string_lossy().to_string();
    if expected.len() != got.len() {
        let msg = format!(
            "{name}: {} outcomes, rvirtd gave {}",
            expected.len(),
            got.len()
        );
        return (expected.len(), vec![msg]);
    }
    let step_list = scenario["steps"].as_array().unwrap();
    let failures = expected
        .iter()
        .zip(&got)
        .enumerate()
        .filter_map(|(i, (e, g))| {
            let step = step_list.get(i).cloned().unwrap_or(Value::Null);
            (!agree(&step, e, g))
                .then(|| format!("{name} step {i} {step}\n  libvirt: {e}\n  rvirtd:  {g}"))
        })
        .collect();
    (expected.len(), failures)
}

#[test]
fn python_libvirt_sees_rvirtd_as_libvirt() {
    if Command::new(PYTHON)
        .args(["-c", "import libvirt"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        panic!("{PYTHON} cannot import libvirt: apt-get install python3-libvirt");
    }
    let filter = std::env::var("ORACLE_SCENARIO").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.to_string_lossy().contains(&filter))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    // Scenarios are independent (fresh daemons each, sockets in folders of their own) and
    // mostly wait on the daemons: four at once.
    let outcomes = on_workers(&files, WORKERS, |_, f| scenario_failures(f));
    let steps: usize = outcomes.iter().map(|(n, _)| n).sum();
    let failures: Vec<String> = outcomes.into_iter().flat_map(|(_, f)| f).collect();
    assert!(
        failures.is_empty(),
        "{} mismatches over {steps} steps:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} scenarios, {steps} steps: python3-libvirt sees rvirtd as libvirtd",
        files.len()
    );
}
