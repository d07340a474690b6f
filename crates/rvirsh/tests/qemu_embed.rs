//! rvirsh on the QEMU driver in-process (`qemu:///embed?root=DIR`) with a real QEMU: a tiny
//! guest's lifecycle (managed save and save/restore included) through the domain commands, and
//! `domxml-to-native` printing the command line the driver runs.

#![allow(clippy::unwrap_used)]

use std::process::Command;

const GUEST: &str = "<domain type='qemu'><name>tiny</name><memory unit='MiB'>64</memory>\
                     <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

/// rvirsh's exit code, stdout and stderr for `line` on the embedded driver rooted at `root`.
fn rvirsh(root: &std::path::Path, line: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rvirsh"))
        .arg("-c")
        .arg(format!("qemu:///embed?root={}", root.display()))
        .arg(line)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_tiny_guest_runs_through_rvirsh() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("tiny.xml");
    std::fs::write(&xml, GUEST).unwrap();
    let root = dir.path().join("root");

    let (code, argv, err) = rvirsh(
        &root,
        &format!("domxml-to-native qemu-argv {}", xml.display()),
    );
    assert_eq!(code, 0, "{err}");
    for part in [
        "/usr/bin/qemu-system-x86_64 -name guest=tiny,",
        " -S ",
        " -accel tcg ",
        " -no-shutdown ",
        " -nodefaults ",
        "mode=control",
    ] {
        assert!(argv.contains(part), "{part:?} not in {argv}");
    }

    let (code, out, err) = rvirsh(
        &root,
        &format!(
            "define {}; start tiny; domstate tiny --reason; suspend tiny; domstate tiny --reason; \
             resume tiny; domstate tiny; destroy tiny; domstate tiny --reason; undefine tiny",
            xml.display()
        ),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "Domain 'tiny' defined from {}\n\nDomain 'tiny' started\n\nrunning (booted)\n\n\
             Domain 'tiny' suspended\n\npaused (user)\n\nDomain 'tiny' resumed\n\nrunning\n\n\
             Domain 'tiny' destroyed\n\nshut off (destroyed)\n\n\
             Domain 'tiny' has been undefined\n\n",
            xml.display()
        )
    );
    // Nothing of the guest is left: no config, and the driver reports no domain.
    assert!(!root.join("etc/qemu/tiny.xml").exists());
    let (code, out, _) = rvirsh(&root, "list --all --name");
    assert_eq!((code, out.as_str()), (0, "\n"));
}

#[test]
fn bad_input_gets_libvirts_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let (code, _, err) = rvirsh(&root, "domxml-to-native qemu-argv");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: need either domain or domain XML\n")
    );
    let xml = dir.path().join("tiny.xml");
    std::fs::write(&xml, GUEST).unwrap();
    let (code, _, err) = rvirsh(
        &root,
        &format!("domxml-to-native native-bogus {}", xml.display()),
    );
    assert_eq!(code, 1);
    assert!(err.contains("native-bogus"), "{err}");
}

#[test]
fn managed_save_and_restore_through_rvirsh() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("tiny.xml");
    std::fs::write(&xml, GUEST).unwrap();
    let root = dir.path().join("root");
    let img = dir.path().join("tiny.img");
    let (code, out, err) = rvirsh(
        &root,
        &format!(
            "define {}; start tiny; managedsave tiny; domstate tiny --reason; \
             list --all --managed-save; start tiny; domstate tiny --reason; \
             save tiny {img}; domstate tiny --reason; restore {img}; domstate tiny --reason; \
             destroy tiny",
            xml.display(),
            img = img.display()
        ),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "Domain 'tiny' defined from {}\n\nDomain 'tiny' started\n\n\
             \nDomain 'tiny' state saved by libvirt\n\nshut off (saved)\n\n \
             Id   Name   State\n--------------------\n -    tiny   saved\n\n\
             Domain 'tiny' started\n\nrunning (restored)\n\n\
             \nDomain 'tiny' saved to {img}\n\nshut off (saved)\n\n\
             Domain restored from {img}\n\nrunning (restored)\n\n\
             Domain 'tiny' destroyed\n\n",
            xml.display(),
            img = img.display()
        )
    );
    // dominfo's "Managed save" line comes from the driver, not a guess.
    let (_, before, _) = rvirsh(&root, "dominfo tiny");
    assert!(before.contains("Managed save:   no\n"), "{before}");
    let (code, _, err) = rvirsh(&root, "start tiny; managedsave tiny");
    assert_eq!(code, 0, "{err}");
    let (_, after, _) = rvirsh(&root, "dominfo tiny");
    assert!(after.contains("Managed save:   yes\n"), "{after}");
    assert!(root.join("lib/qemu/save/tiny.save").is_file());
    let (code, _, err) = rvirsh(&root, "undefine tiny");
    assert_eq!(code, 1);
    assert!(
        err.contains("Refusing to undefine while domain managed save image exists"),
        "{err}"
    );
    let (code, _, err) = rvirsh(&root, "undefine tiny --managed-save");
    assert_eq!(code, 0, "{err}");
    assert!(!root.join("lib/qemu/save/tiny.save").exists());
}
