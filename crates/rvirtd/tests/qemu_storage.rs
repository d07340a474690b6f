//! qemu:///system served inside rvirtd (state under `rvirt_qemu_root`): a real `dir` pool
//! driven by python3-libvirt (64 MiB upload and download with a checksum compared), by real
//! virsh (vol-upload, vol-download, vol-list --details, pool-info) and by rvirt's own remote
//! driver; and `qemu:///embed?root=` through rvirt's public API in-process.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Daemon, PYTHON, have, virsh_on};
use std::process::Command;

fn have_tools() -> bool {
    for p in [PYTHON, "virsh", "qemu-img"] {
        if !have(p) {
            eprintln!("{p} is missing: apt-get install python3-libvirt libvirt-clients qemu-utils");
            return false;
        }
    }
    true
}

fn daemon() -> (Daemon, String, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap().keep();
    let d = Daemon::start(&format!(
        "rvirt_qemu_root = \"{}\"",
        root.join("state").display()
    ));
    let uri = format!("qemu+unix:///system?socket={}", d.rw_socket().display());
    (d, uri, root)
}

const PYTHON_SCRIPT: &str = r#"
import hashlib, libvirt, os, sys
uri, pooldir = sys.argv[1], sys.argv[2]
c = libvirt.open(uri)
assert c.getType() == "QEMU", c.getType()
p = c.storagePoolDefineXML("<pool type='dir'><name>py</name><target><path>%s</path></target></pool>" % pooldir)
p.build(0)
p.create(0)
v = p.createXML("<volume><name>big.raw</name><capacity unit='MiB'>64</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>", 0)
data = os.urandom(64 << 20)
st = c.newStream(0)
v.upload(st, 0, 0, 0)
for i in range(0, len(data), 1 << 20):
    st.send(data[i:i + (1 << 20)])
st.finish()
st = c.newStream(0)
v.download(st, 0, 0, 0)
parts = []
st.recvAll(lambda s, b, o: parts.append(b) or len(b), None)
st.finish()
got = b"".join(parts)
assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest(), (len(got), len(data))
# A stream cut half-way: the volume keeps its data.
st = c.newStream(0)
v.upload(st, 0, 0, 0)
st.send(b"\0" * (4 << 20))
st.abort()
st = c.newStream(0)
v.download(st, 0, 4 << 20, 0)
parts = []
st.recvAll(lambda s, b, o: parts.append(b) or len(b), None)
st.finish()
assert b"".join(parts) == data[:4 << 20]
# Bad names: libvirt's error number and words.
for name, code in (("a/b", libvirt.VIR_ERR_OPERATION_INVALID), ("..", libvirt.VIR_ERR_OPERATION_INVALID)):
    try:
        p.createXML("<volume><name>%s</name><capacity>1</capacity></volume>" % name, 0)
        raise SystemExit("accepted " + name)
    except libvirt.libvirtError as e:
        assert e.get_error_code() == code, (name, e.get_error_code(), str(e))
        print(str(e))
info = v.info()
print(info[1], hashlib.sha256(data).hexdigest()[:16])
"#;

#[test]
fn python_moves_64_mib_through_rvirtd() {
    if !have_tools() {
        return;
    }
    let (d, uri, root) = daemon();
    let pooldir = root.join("pool");
    let out = Command::new(PYTHON)
        .args(["-c", PYTHON_SCRIPT, &uri, &pooldir.to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}\nlog:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        d.log()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Requested operation is not valid: volume name 'a/b' cannot contain '/'"),
        "{text}"
    );
    assert!(text.contains("67108864 "), "{text}");
    // Only the volume is in the pool: no temporary file of the cut upload.
    let names: Vec<_> = std::fs::read_dir(&pooldir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["big.raw"]);
    std::fs::remove_dir_all(&root).unwrap();
}

fn virsh(uri: &str, args: &[&str]) -> String {
    let (ok, out, err) = virsh_on(uri, args);
    assert!(ok, "virsh {args:?}: {out}{err}");
    out
}

#[test]
fn virsh_uploads_downloads_and_lists() {
    if !have_tools() {
        return;
    }
    let (_d, uri, root) = daemon();
    let pooldir = root.join("vpool");
    virsh(
        &uri,
        &[
            "pool-define-as",
            "vp",
            "dir",
            "--target",
            &pooldir.to_string_lossy(),
        ],
    );
    virsh(&uri, &["pool-build", "vp"]);
    virsh(&uri, &["pool-start", "vp"]);
    virsh(
        &uri,
        &[
            "vol-create-as",
            "vp",
            "disk.qcow2",
            "1G",
            "--format",
            "qcow2",
        ],
    );
    virsh(
        &uri,
        &["vol-create-as", "vp", "data.raw", "8M", "--allocation", "0"],
    );
    let src = root.join("src.bin");
    let payload: Vec<u8> = (0..(3 << 20)).map(|i: u32| (i * 7 % 251) as u8).collect();
    std::fs::write(&src, &payload).unwrap();
    virsh(
        &uri,
        &[
            "vol-upload",
            "--pool",
            "vp",
            "data.raw",
            &src.to_string_lossy(),
        ],
    );
    let dst = root.join("dst.bin");
    virsh(
        &uri,
        &[
            "vol-download",
            "--pool",
            "vp",
            "data.raw",
            &dst.to_string_lossy(),
            "--length",
            &(3u32 << 20).to_string(),
        ],
    );
    assert_eq!(std::fs::read(&dst).unwrap(), payload);
    let list = virsh(&uri, &["vol-list", "vp", "--details"]);
    assert!(
        list.contains("disk.qcow2") && list.contains("1.00 GiB"),
        "{list}"
    );
    assert!(
        list.contains("data.raw") && list.contains("8.00 MiB"),
        "{list}"
    );
    let info = virsh(&uri, &["pool-info", "vp"]);
    assert!(info.contains("State:          running"), "{info}");
    let qinfo = Command::new("qemu-img")
        .args(["info", "--output=json", "-U"])
        .arg(pooldir.join("disk.qcow2"))
        .output()
        .unwrap();
    let qinfo = String::from_utf8_lossy(&qinfo.stdout);
    assert!(qinfo.contains("\"virtual-size\": 1073741824"), "{qinfo}");
    let vinfo = virsh(&uri, &["vol-info", "--pool", "vp", "disk.qcow2", "--bytes"]);
    assert!(vinfo.contains("1073741824 bytes"), "{vinfo}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn rvirt_remote_and_embed_reach_the_same_driver_code() {
    if !have("qemu-img") {
        return;
    }
    let (_d, uri, root) = daemon();
    for uri in [
        uri,
        format!("qemu:///embed?root={}", root.join("embed").display()),
    ] {
        let conn = rvirt::blocking::Connect::open(&uri).unwrap();
        assert_eq!(conn.get_type().unwrap(), "QEMU");
        let dir = root.join(format!("p{}", uri.len()));
        let pool = conn
            .storage_pool_create_xml(
                &format!(
                    "<pool type='dir'><name>r</name><target><path>{}</path></target></pool>",
                    dir.display()
                ),
                rvirt::storage_flags::StoragePoolCreateFlags::WITH_BUILD,
            )
            .unwrap();
        let vol = pool
            .storage_vol_create_xml(
                "<volume><name>v.qcow2</name><capacity unit='M'>16</capacity><target><format type='qcow2'/></target></volume>",
                Default::default(),
            )
            .unwrap();
        assert_eq!(vol.get_info().unwrap().capacity, 16 << 20);
        // Both reach the same (empty) list of virtual networks.
        assert!(
            conn.list_all_networks(Default::default())
                .unwrap()
                .is_empty()
        );
        vol.delete(Default::default()).unwrap();
        pool.destroy().unwrap();
    }
    std::fs::remove_dir_all(&root).unwrap();
}

const STALLED_DOWNLOAD: &str = r#"
import libvirt, sys, time
uri, pooldir, pid = sys.argv[1], sys.argv[2], sys.argv[3]
def rss_anon_mib():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
c = libvirt.open(uri)
p = c.storagePoolCreateXML("<pool type='dir'><name>s</name><target><path>%s</path></target></pool>" % pooldir, libvirt.VIR_STORAGE_POOL_CREATE_WITH_BUILD)
v = p.createXML("<volume><name>s.raw</name><capacity unit='MiB'>128</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>", 0)
before = rss_anon_mib()
st = c.newStream(0)
v.download(st, 0, 0, 0)
got = len(st.recv(1 << 20))
# The client stops reading: the daemon's disk thread and stream run on until they wait for it.
time.sleep(2)
grown = rss_anon_mib() - before
while True:
    b = st.recv(1 << 20)
    if not b:
        break
    assert b == bytes(len(b))
    got += len(b)
st.finish()
print("got %d grown %.1f" % (got, grown))
"#;

/// A client that stops reading a download does not make the daemon hold the volume's data:
/// what waits for it is the driver's read-ahead (12 MiB) and a few packets, not the
/// connection's whole queue of 256 packets (64 MiB). The data then all arrives.
#[test]
fn a_stalled_download_holds_a_few_mib_in_the_daemon() {
    if !have_tools() {
        return;
    }
    let (d, uri, root) = daemon();
    let out = Command::new(PYTHON)
        .args([
            "-c",
            STALLED_DOWNLOAD,
            &uri,
            &root.join("pool").to_string_lossy(),
            &d.pid().to_string(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}\nlog:\n{}",
        String::from_utf8_lossy(&out.stderr),
        d.log()
    );
    let mut words = text.split_whitespace();
    assert_eq!(words.nth(1), Some("134217728"), "{text}");
    let grown: f64 = words.nth(1).unwrap().parse().unwrap();
    assert!(grown < 40.0, "the daemon grew by {grown} MiB: {text}");
    std::fs::remove_dir_all(&root).unwrap();
}
