//! A `dir` pool's volume XML from the QEMU driver against Debian's libvirtd (its storage driver,
//! in a mount namespace of its own) on the same folder: a raw file and qcow2 images (v3, v3 with
//! lazy refcounts and small clusters, v2) read the same, `<timestamps>` included (both read the files after their times were set, so nothing
//! is masked).

#![allow(clippy::unwrap_used)]

use rvirt_driver::{StorageDriver, VolRef};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::storage::*;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    pollster::block_on(f)
}

/// Sets a file's access time after its modification time, both recent, so that reading it
/// (relatime) changes neither.
fn set_times(path: &Path) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ts = [
        libc::timespec {
            tv_sec: now - 10,
            tv_nsec: 123_456_789,
        },
        libc::timespec {
            tv_sec: now - 20,
            tv_nsec: 0,
        },
    ];
    let p = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path and two timespecs, as utimensat(2) takes them.
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, p.as_ptr(), ts.as_ptr(), 0) };
    assert_eq!(r, 0);
}

const SCRIPT: &str = r#"
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open('storage+unix:///system?socket=' + sys.argv[1])
p = c.storagePoolCreateXML("<pool type='dir'><name>rvirt-vt</name><target><path>%s</path></target></pool>" % sys.argv[2], 0)
for name in sys.argv[3:]:
    v = p.storageVolLookupByName(name)
    v.XMLDesc(0)
    sys.stdout.write(v.XMLDesc(0))
    sys.stdout.write('\x00')
p.destroy()
"#;

#[test]
fn volume_xml_matches_libvirtd_timestamps_included() {
    let daemon = match rvirt_testsupport::Libvirtd::try_start_with_host_drivers(&["storage"]) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: libvirtd with its storage driver cannot run here: {e}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let pool_dir = dir.path().join("pool");
    std::fs::create_dir(&pool_dir).unwrap();
    std::fs::write(pool_dir.join("a.raw"), vec![7u8; 65536]).unwrap();
    let qcow = |name: &str, opts: &[&str]| {
        std::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .args(opts)
            .arg(pool_dir.join(name))
            .arg("1M")
            .status()
            .is_ok_and(|s| s.success())
    };
    let ok = qcow("b.qcow2", &[])
        && qcow("c.qcow2", &["-o", "lazy_refcounts=on,cluster_size=4096"])
        && qcow("d.qcow2", &["-o", "compat=0.10"]);
    let names: Vec<&str> = if ok {
        vec!["a.raw", "b.qcow2", "c.qcow2", "d.qcow2"]
    } else {
        eprintln!("qemu-img is missing: the qcow2 case is left out");
        vec!["a.raw"]
    };
    for n in &names {
        set_times(&pool_dir.join(n));
    }

    let out = std::process::Command::new(rvirt_testsupport::PYTHON)
        .arg("-c")
        .arg(SCRIPT)
        .arg(daemon.socket())
        .arg(&pool_dir)
        .args(&names)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let theirs: Vec<&str> = stdout.split('\0').filter(|s| !s.is_empty()).collect();

    let root = dir.path().join("root");
    let d = QemuDriver::open(&format!("qemu:///embed?root={}", root.display())).unwrap();
    let pool = block(d.storage_pool_create_xml(
        &format!(
            "<pool type='dir'><name>rvirt-vt</name><target><path>{}</path></target></pool>",
            pool_dir.display()
        ),
        StoragePoolCreateFlags::empty(),
    ))
    .unwrap();
    for (name, want) in names.iter().zip(&theirs) {
        let vol = VolRef {
            pool: pool.name.clone(),
            name: (*name).into(),
            key: pool_dir.join(name).to_string_lossy().into(),
        };
        let ours = block(d.storage_vol_get_xml_desc(&vol, 0)).unwrap();
        assert!(ours.contains("<timestamps>"), "{ours}");
        assert_eq!(&ours, want, "{name}");
    }
    block(d.storage_pool_destroy(&pool)).unwrap();
}
