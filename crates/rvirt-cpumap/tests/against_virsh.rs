//! rvirt's baseline beside libvirt's own: each case's CPUs go into a file for
//! `virsh -c test:///default cpu-baseline FILE [--features]`, which runs libvirt's test driver in
//! process (`testConnectBaselineCPU`), and straight to `rvirt_cpumap::baseline`. The output, or
//! the error message virsh prints after "error: ", must be the same byte for byte.
//!
//! The test driver refuses `--migratable`; libvirt's QEMU driver, embedded in virsh
//! (`qemu:///embed`), takes it and is the oracle for `baseline_for_qemu` with and without it.
//!
//! Skipped when virsh or libvirt's CPU map (or, for the QEMU driver, QEMU) is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const VIRSH: &str = "/usr/bin/virsh";

const HASWELL: &str = "<cpu><arch>x86_64</arch><model>Haswell-noTSX</model><vendor>Intel</vendor>\
                       <feature name='vme'/><feature name='ss'/><feature name='f16c'/></cpu>";
const SKYLAKE: &str = "<cpu><arch>x86_64</arch><model>Skylake-Client</model><vendor>Intel</vendor>\
                       <feature name='ss'/><feature name='vmx'/><feature name='invtsc'/>\
                       <feature name='pdpe1gb'/><feature name='tsc_adjust'/></cpu>";
const WESTMERE: &str = "<cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor>\
                        <feature name='vme'/><feature name='ds'/><feature name='pcid'/></cpu>";
const NEHALEM: &str = "<cpu><arch>x86_64</arch><model>Nehalem</model><vendor>Intel</vendor>\
                       <feature name='vme'/><feature name='ds'/><feature name='ht'/></cpu>";
const EPYC: &str = "<cpu><arch>x86_64</arch><model>EPYC</model><vendor>AMD</vendor>\
                    <feature name='x2apic'/><feature name='hypervisor'/><feature name='npt'/>\
                    </cpu>";
const OPTERON_G5: &str = "<cpu><arch>x86_64</arch><model>Opteron_G5</model><vendor>AMD</vendor>\
                          <feature name='svm'/><feature name='npt'/></cpu>";

/// A host CPU as `virsh capabilities` prints one, with everything a host CPU may carry.
const CAPABILITIES_CPU: &str = "<cpu>\n      <arch>x86_64</arch>\n      \
    <model>Cascadelake-Server</model>\n      <vendor>Intel</vendor>\n      \
    <microcode version='83898371'/>\n      <signature family='6' model='85' stepping='7'/>\n      \
    <counter name='tsc' frequency='2194843000' scaling='no'/>\n      \
    <topology sockets='1' dies='1' cores='4' threads='2'/>\n      \
    <maxphysaddr mode='emulate' bits='46'/>\n      <feature name='ds'/>\n      \
    <feature name='acpi'/>\n      <feature name='ss'/>\n      <feature name='ht'/>\n      \
    <feature name='tm'/>\n      <feature name='pbe'/>\n      <feature name='dtes64'/>\n      \
    <feature name='monitor'/>\n      <feature name='vmx'/>\n      <feature name='invtsc'/>\n      \
    <pages unit='KiB' size='4'/>\n      <pages unit='KiB' size='2048'/>\n    </cpu>";

fn x86(model: &str, vendor: Option<&str>, features: &[&str]) -> String {
    let mut s = format!("<cpu><arch>x86_64</arch><model>{model}</model>");
    if let Some(v) = vendor {
        s += &format!("<vendor>{v}</vendor>");
    }
    for f in features {
        s += &format!("<feature name='{f}'/>");
    }
    s + "</cpu>"
}

/// The cases: a name and the host CPU documents.
fn cases() -> Vec<(&'static str, Vec<String>)> {
    let s = |x: &str| x.to_string();
    vec![
        (
            "one CPU keeps its model, fallback forbidden",
            vec![s(HASWELL)],
        ),
        (
            "Haswell-noTSX + Skylake-Client",
            vec![s(HASWELL), s(SKYLAKE)],
        ),
        (
            "Skylake-Client + Haswell-noTSX",
            vec![s(SKYLAKE), s(HASWELL)],
        ),
        ("Westmere + Nehalem", vec![s(WESTMERE), s(NEHALEM)]),
        (
            "three Intel generations",
            vec![
                x86("SandyBridge", Some("Intel"), &["vme", "ss"]),
                x86("IvyBridge", Some("Intel"), &["vme", "ss", "pcid"]),
                s(HASWELL),
            ],
        ),
        ("EPYC + Opteron_G5", vec![s(EPYC), s(OPTERON_G5)]),
        ("EPYC alone (removed features)", vec![s(EPYC)]),
        (
            "Icelake-Server + Cascadelake-Server",
            vec![
                x86("Icelake-Server", Some("Intel"), &["ss", "invtsc"]),
                s(CAPABILITIES_CPU),
            ],
        ),
        ("a host CPU from capabilities", vec![s(CAPABILITIES_CPU)]),
        (
            "same model, features differ",
            vec![
                x86("Skylake-Client", Some("Intel"), &["ss", "vmx", "invtsc"]),
                x86("Skylake-Client", Some("Intel"), &["ss", "pdpe1gb"]),
            ],
        ),
        (
            "same model twice, nothing extra",
            vec![
                x86("Broadwell-noTSX", Some("Intel"), &[]),
                x86("Broadwell-noTSX", Some("Intel"), &[]),
            ],
        ),
        (
            "a feature policy on a host CPU is ignored",
            vec![
                "<cpu><arch>x86_64</arch><model>Westmere</model>\
                 <feature policy='disable' name='vme'/><feature policy='forbid' name='ss'/></cpu>"
                    .to_string(),
            ],
        ),
        (
            "no vendor on the first CPU",
            vec![x86("Westmere", None, &["vme"]), s(NEHALEM)],
        ),
        (
            "no vendor on the second CPU",
            vec![s(WESTMERE), x86("Nehalem", None, &["vme"])],
        ),
        (
            "no vendor anywhere",
            vec![
                x86("Haswell-noTSX", None, &["vme"]),
                x86("Westmere", None, &[]),
            ],
        ),
        (
            "a model without a vendor (qemu64) beside an Intel one",
            vec![
                x86("qemu64", None, &[]),
                x86("Westmere", Some("Intel"), &[]),
            ],
        ),
        ("qemu64 alone", vec![x86("qemu64", None, &["ss"])]),
        ("i686", vec![s(&HASWELL.replace("x86_64", "i686"))]),
        ("Intel and AMD", vec![s(HASWELL), s(EPYC)]),
        (
            "AMD and Hygon, no vendors given",
            vec![x86("EPYC", None, &[]), x86("Dhyana", None, &[])],
        ),
        (
            "vendor differs from the model's",
            vec![s(HASWELL), x86("EPYC", Some("Intel"), &[])],
        ),
        ("unknown vendor", vec![x86("Westmere", Some("VIA"), &[])]),
        (
            "unknown vendor on a second CPU",
            vec![s(WESTMERE), x86("qemu64", Some("VIA"), &[])],
        ),
        (
            "unknown model",
            vec![x86("Pentium-MMX", Some("Intel"), &[])],
        ),
        (
            "unknown model on a second CPU",
            vec![s(WESTMERE), x86("Pentium-MMX", Some("Intel"), &[])],
        ),
        (
            "unknown feature",
            vec![x86("Westmere", Some("Intel"), &["warp"])],
        ),
        (
            "missing arch",
            vec!["<cpu><model>Westmere</model><vendor>Intel</vendor></cpu>".to_string()],
        ),
        (
            "missing model",
            vec!["<cpu><arch>x86_64</arch><vendor>Intel</vendor></cpu>".to_string()],
        ),
        (
            "empty model",
            vec!["<cpu><arch>x86_64</arch><model></model></cpu>".to_string()],
        ),
        (
            "a parse error in the second document comes first",
            vec![
                x86("Pentium-MMX", None, &[]),
                "<cpu><arch>x86_64</arch></cpu>".to_string(),
            ],
        ),
        (
            "unknown architecture",
            vec!["<cpu><arch>x86-64</arch><model>Westmere</model></cpu>".to_string()],
        ),
        (
            "architecture without a CPU driver",
            vec!["<cpu><arch>riscv64</arch><model>rv64</model></cpu>".to_string()],
        ),
        (
            "s390x has no baseline",
            vec!["<cpu><arch>s390x</arch><model>z13</model></cpu>".to_string()],
        ),
        (
            "aarch64 takes the first model",
            vec![
                "<cpu><arch>aarch64</arch><model>cortex-a57</model><vendor>ARM</vendor>\
                 <feature name='pmu'/></cpu>"
                    .to_string(),
                "<cpu><arch>aarch64</arch><model>Neoverse-N1</model></cpu>".to_string(),
            ],
        ),
        (
            "ppc64: same model",
            vec![
                "<cpu><arch>ppc64le</arch><model>POWER9</model><vendor>IBM</vendor></cpu>"
                    .to_string(),
                "<cpu><arch>ppc64le</arch><model>POWER9</model></cpu>".to_string(),
            ],
        ),
        (
            "ppc64: models differ",
            vec![
                "<cpu><arch>ppc64</arch><model>POWER8</model></cpu>".to_string(),
                "<cpu><arch>ppc64</arch><model>POWER9</model></cpu>".to_string(),
            ],
        ),
        (
            "ppc64: vendor differs from the model's",
            vec![
                "<cpu><arch>ppc64</arch><model>POWER9</model><vendor>Freescale</vendor></cpu>"
                    .to_string(),
            ],
        ),
        (
            "ppc64: unknown model",
            vec!["<cpu><arch>ppc64</arch><model>POWER11</model></cpu>".to_string()],
        ),
        (
            "x86 first, then a CPU of another architecture",
            vec![
                s(WESTMERE),
                "<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>".to_string(),
            ],
        ),
        (
            "a feature named twice",
            vec![x86("Westmere", Some("Intel"), &["vme", "vme"])],
        ),
        (
            "a feature without a name",
            vec!["<cpu><arch>x86_64</arch><model>Westmere</model><feature/></cpu>".to_string()],
        ),
        (
            "mode on a host CPU",
            vec![
                "<cpu mode='host-model'><arch>x86_64</arch><model>Westmere</model></cpu>"
                    .to_string(),
            ],
        ),
        (
            "migratable on a host CPU",
            vec![
                "<cpu migratable='on'><arch>x86_64</arch><model>Westmere</model></cpu>".to_string(),
            ],
        ),
        (
            "bad topology",
            vec![
                "<cpu><arch>x86_64</arch><model>Westmere</model>\
                 <topology sockets='1' cores='x' threads='1'/></cpu>"
                    .to_string(),
            ],
        ),
        (
            "bad signature",
            vec![
                "<cpu><arch>x86_64</arch><model>Westmere</model>\
                 <signature family='0' model='1' stepping='1'/></cpu>"
                    .to_string(),
            ],
        ),
        (
            "bad microcode",
            vec![
                "<cpu><arch>x86_64</arch><model>Westmere</model><microcode version='-1'/></cpu>"
                    .to_string(),
            ],
        ),
        (
            "bad cache",
            vec![
                "<cpu><arch>x86_64</arch><model>Westmere</model><cache level='4' mode='x'/></cpu>"
                    .to_string(),
            ],
        ),
        (
            "bad counter",
            vec![
                "<cpu><arch>x86_64</arch><model>Westmere</model>\
                 <counter name='tsc' frequency='1' scaling='default'/></cpu>"
                    .to_string(),
            ],
        ),
    ]
}

/// What `virsh -c URI cpu-baseline FILE [--features] [--migratable]` prints: the baseline
/// (without the newline virsh adds) or the error message.
fn virsh(uri: &str, file: &Path, features: bool, migratable: bool) -> Result<String, String> {
    let mut cmd = Command::new(VIRSH);
    cmd.args(["-c", uri, "cpu-baseline"]).arg(file);
    if features {
        cmd.arg("--features");
    }
    if migratable {
        cmd.arg("--migratable");
    }
    let out = cmd
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot run virsh: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stdout.strip_suffix('\n').unwrap_or(&stdout).to_string())
    } else {
        Err(stderr
            .trim_end_matches('\n')
            .strip_prefix("error: ")
            .unwrap_or(&stderr)
            .to_string())
    }
}

struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of a case: its index, `--features`, `--migratable`.
type Run = (usize, bool, bool);

/// Writes the cases to files, runs virsh on each of `runs` (four at a time: virsh starts in some
/// 30-50 ms) through the URI `uri(worker's directory)` and rvirt through `ours`, and asserts that
/// every result is the same. Returns the results, for checks of their spread.
fn compare(
    tag: &str,
    cases: &[(&str, Vec<String>)],
    runs: &[Run],
    uri: impl Fn(&Path) -> String + Sync,
    ours: impl Fn(&[&str], bool, bool) -> Result<String, String> + Sync,
) -> Vec<(Run, Result<String, String>)> {
    let dir =
        ScratchDir(std::env::temp_dir().join(format!("rvirt-cpumap-{tag}-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("scratch directory");
    for (i, (_, cpus)) in cases.iter().enumerate() {
        std::fs::write(dir.0.join(format!("{i}.xml")), cpus.join("\n")).expect("case file");
    }

    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let (dir, next, results, uri, ours) = (&dir, &next, &results, &uri, &ours);
            scope.spawn(move || {
                // Each worker its own directory: an embedded driver locks its root.
                let root = dir.0.join(format!("worker{worker}"));
                std::fs::create_dir_all(&root).expect("worker directory");
                let uri = uri(&root);
                while let Some(&run) = runs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (i, features, migratable) = run;
                    let file = dir.0.join(format!("{i}.xml"));
                    let theirs = virsh(&uri, &file, features, migratable);
                    let docs: Vec<&str> = cases[i].1.iter().map(String::as_str).collect();
                    let mine = ours(&docs, features, migratable);
                    if let Ok(mut r) = results.lock() {
                        r.push((run, theirs, mine));
                    }
                }
            });
        }
    });

    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|r| r.0);
    assert_eq!(results.len(), runs.len());
    let mut mismatches = Vec::new();
    for ((i, features, migratable), theirs, mine) in &results {
        let name = format!(
            "{tag}: {}{}{}",
            cases[*i].0,
            if *features { " --features" } else { "" },
            if *migratable { " --migratable" } else { "" }
        );
        match theirs {
            Ok(_) => eprintln!("{name}: baseline"),
            Err(e) => eprintln!("{name}: error: {e}"),
        }
        if theirs != mine {
            mismatches.push(format!("{name}:\n  virsh: {theirs:?}\n  rvirt: {mine:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    results
        .into_iter()
        .map(|(run, theirs, _)| (run, theirs))
        .collect()
}

fn installed() -> bool {
    if !Path::new(VIRSH).exists() {
        eprintln!("skipped: {VIRSH} is not installed");
        return false;
    }
    if !Path::new(rvirt_cpumap::SYSTEM_MAP)
        .join("index.xml")
        .exists()
    {
        eprintln!("skipped: libvirt's CPU map is not installed");
        return false;
    }
    true
}

#[test]
fn baselines_match_the_test_driver() {
    if !installed() {
        return;
    }
    let cases = cases();
    let runs: Vec<Run> = (0..cases.len())
        .flat_map(|i| [(i, false, false), (i, true, false)])
        .collect();
    let results = compare(
        "test",
        &cases,
        &runs,
        |_| "test:///default".to_string(),
        |docs, features, migratable| {
            rvirt_cpumap::baseline(docs, features, migratable).map_err(|e| e.message)
        },
    );
    // The spread covers both outcomes, with and without the flag.
    assert!(results.iter().any(|((_, f, _), r)| *f && r.is_ok()));
    assert!(results.iter().any(|((_, f, _), r)| *f && r.is_err()));
}

/// x86 cases for the QEMU driver, chosen for features that block migration (`invtsc`,
/// `xsaves`) and features QEMU's baseline filters out (`osxsave`, `cmt`, `ospke`).
fn qemu_cases() -> Vec<(&'static str, Vec<String>)> {
    let mut cases = vec![
        (
            "blockers and filtered features on one CPU",
            vec![x86(
                "Skylake-Client",
                Some("Intel"),
                &["ss", "invtsc", "xsaves", "osxsave", "cmt", "vmx"],
            )],
        ),
        (
            "a model with a blocker of its own (EPYC-Milan has xsaves)",
            vec![x86(
                "EPYC-Milan",
                Some("AMD"),
                &["invtsc", "ospke", "x2apic"],
            )],
        ),
        (
            "two CPUs, blockers on both",
            vec![
                x86(
                    "Cascadelake-Server",
                    Some("Intel"),
                    &["invtsc", "xsaves", "ss"],
                ),
                x86(
                    "Icelake-Server",
                    Some("Intel"),
                    &["invtsc", "ss", "mbm_total"],
                ),
            ],
        ),
        (
            "a blocker on one CPU only",
            vec![
                x86("Westmere", None, &["invtsc"]),
                x86("Nehalem", None, &["vme"]),
            ],
        ),
    ];
    let test_cases = cases_named(&[
        "one CPU keeps its model, fallback forbidden",
        "Haswell-noTSX + Skylake-Client",
        "Westmere + Nehalem",
        "EPYC + Opteron_G5",
        "a host CPU from capabilities",
        "Intel and AMD",
        "unknown feature",
        "aarch64 takes the first model",
        "ppc64: same model",
    ]);
    cases.extend(test_cases);
    cases
}

fn cases_named(names: &[&str]) -> Vec<(&'static str, Vec<String>)> {
    cases()
        .into_iter()
        .filter(|(n, _)| names.contains(n))
        .collect()
}

#[test]
fn qemu_baselines_match_the_qemu_driver() {
    if !installed() {
        return;
    }
    if !Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("skipped: QEMU is not installed");
        return;
    }
    let cases = qemu_cases();
    let runs: Vec<Run> = (0..cases.len())
        .flat_map(|i| [(i, false, false), (i, false, true), (i, true, true)])
        .collect();
    let results = compare(
        "qemu",
        &cases,
        &runs,
        |root| format!("qemu:///embed?root={}", root.display()),
        |docs, features, migratable| {
            rvirt_cpumap::baseline_for_qemu(docs, features, migratable).map_err(|e| e.message)
        },
    );
    // MIGRATABLE changed something, or the cases do not test it.
    let plain = |i| results.iter().find(|((j, f, m), _)| *j == i && !*f && !*m);
    assert!(
        results
            .iter()
            .any(|((i, f, m), r)| *m && !*f && plain(*i).map(|p| &p.1) != Some(r))
    );
}
