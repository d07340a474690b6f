//! A real `dir` pool through the QEMU driver in-process (`qemu:///embed?root=`): volumes made
//! by qemu-img, clone, resize, wipe, upload and download through streams, delete; `qemu-img
//! info` agrees with what the driver reports; bad input fails with libvirt's errors and leaves
//! every file outside the pool alone.

#![allow(clippy::unwrap_used)]

mod common;

use rvirt_driver::{
    DomainDriver, HostDriver, NetworkDriver, PoolRef, SnapshotDriver, StorageDriver, VolRef,
};
use rvirt_driver_qemu::QemuDriver;
use rvirt_types::ErrorNumber;
use rvirt_types::storage::*;
use std::path::Path;
use std::sync::Arc;

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    pollster::block_on(f)
}

fn have_qemu_img() -> bool {
    let ok = std::process::Command::new("qemu-img")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        eprintln!("qemu-img is missing: apt-get install qemu-utils");
    }
    ok
}

struct Setup {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    pool_dir: std::path::PathBuf,
    d: Arc<QemuDriver>,
    pool: PoolRef,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let pool_dir = dir.path().join("pool");
    let d = QemuDriver::open(&format!("qemu:///embed?root={}", root.display())).unwrap();
    let xml = format!(
        "<pool type='dir'><name>p</name><target><path>{}</path></target></pool>",
        pool_dir.display()
    );
    let pool = block(d.storage_pool_define_xml(&xml, StoragePoolDefineFlags::empty())).unwrap();
    block(d.storage_pool_build(&pool, StoragePoolBuildFlags::empty())).unwrap();
    block(d.storage_pool_create(&pool, StoragePoolCreateFlags::empty())).unwrap();
    Setup {
        _dir: dir,
        root,
        pool_dir,
        d,
        pool,
    }
}

fn qemu_img_info(path: &str) -> serde_json::Value {
    let out = rvirt_testsupport::output_ok(std::process::Command::new("qemu-img").args([
        "info",
        "--output=json",
        "-U",
        path,
    ]));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn vol_xml(name: &str, format: &str, capacity: &str) -> String {
    format!(
        "<volume><name>{name}</name><capacity>{capacity}</capacity><allocation>0</allocation>\
         <target><format type='{format}'/></target></volume>"
    )
}

/// Every file under `dir`, with its size and modification time.
fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let m = e.metadata().unwrap();
        // A folder's time changes with its entries; its files are compared one by one.
        let t = if m.is_dir() {
            std::time::UNIX_EPOCH
        } else {
            m.modified().unwrap()
        };
        out.push((e.file_name().to_string_lossy().into_owned(), m.len(), t));
    }
    out.sort();
    out
}

fn checksum(data: &[u8]) -> u64 {
    // FNV-1a: enough to tell two 64 MiB buffers apart.
    data.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x9e3779b97f4a7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn upload(d: &QemuDriver, v: &VolRef, data: &[u8]) {
    let s = block(d.storage_vol_upload(v, 0, 0, StorageVolStreamFlags::empty())).unwrap();
    for c in data.chunks(262_120) {
        block(s.send(c)).unwrap();
    }
    block(s.finish()).unwrap();
}

fn download(d: &QemuDriver, v: &VolRef, offset: u64, length: u64) -> Vec<u8> {
    let s =
        block(d.storage_vol_download(v, offset, length, StorageVolStreamFlags::empty())).unwrap();
    let mut out = Vec::new();
    loop {
        let c = block(s.recv(262_120)).unwrap();
        if c.is_empty() {
            break;
        }
        out.extend_from_slice(&c);
    }
    block(s.finish()).unwrap();
    out
}

#[test]
fn host_calls_and_network_definitions() {
    let s = setup();
    assert_eq!(block(s.d.connect_get_type()).unwrap(), "QEMU");
    assert!(
        block(s.d.connect_get_uri())
            .unwrap()
            .starts_with("qemu:///embed?root=")
    );
    assert!(
        block(s.d.connect_list_all_networks(Default::default()))
            .unwrap()
            .is_empty()
    );
    // Defining a NAT network names its bridge (the first free virbrN) and gives it a MAC,
    // as libvirt's network driver does; nothing is built on the host until it starts.
    let nat = "<network><name>n</name><forward mode='nat'/><ip address='192.168.150.1' \
               netmask='255.255.255.0'/></network>";
    let n = block(s.d.network_define_xml(nat, 0)).unwrap();
    let xml = block(s.d.network_get_xml_desc(&n, 0)).unwrap();
    let bridge = block(s.d.network_get_bridge_name(&n)).unwrap();
    assert!(bridge.starts_with("virbr"), "{xml}");
    assert!(
        xml.contains(&format!("<bridge name='{bridge}' stp='on' delay='0'/>")),
        "{xml}"
    );
    assert!(xml.contains("<mac address='52:54:00:"), "{xml}");
    assert!(!block(s.d.network_is_active(&n)).unwrap());
    assert!(!std::path::Path::new(&format!("/sys/class/net/{bridge}")).exists());
    block(s.d.network_undefine(&n)).unwrap();
    assert!(
        block(s.d.connect_list_all_networks(Default::default()))
            .unwrap()
            .is_empty()
    );
}

/// Pool sizes are those of the last refresh, moved by what volume calls allocate and free, as
/// libvirt keeps them: a file written into the folder behind the pool's back shows only after
/// a refresh.
#[test]
fn pool_sizes_are_kept_between_refreshes() {
    let s = setup();
    let (d, pool) = (&s.d, &s.pool);
    let info = || block(d.storage_pool_get_info(pool)).unwrap();
    let start = info();
    assert!(start.capacity > 0 && start.allocation + start.available <= start.capacity);
    // A fully allocated 1 MiB volume moves the sizes by its allocation, without a refresh.
    let xml = "<volume><name>a.raw</name><capacity>1048576</capacity>\
               <allocation>1048576</allocation><target><format type='raw'/></target></volume>";
    let v = block(d.storage_vol_create_xml(pool, xml, Default::default())).unwrap();
    let alloc = block(d.storage_vol_get_info(&v)).unwrap().allocation;
    assert!(alloc >= 1 << 20, "{alloc}");
    let after = info();
    assert_eq!(after.capacity, start.capacity);
    assert_eq!(after.allocation, start.allocation + alloc);
    assert_eq!(after.available, start.available - alloc);
    let xml_sizes = block(d.storage_pool_get_xml_desc(pool, Default::default())).unwrap();
    assert!(
        xml_sizes.contains(&format!(
            "<allocation unit='bytes'>{}</allocation>",
            after.allocation
        )),
        "{xml_sizes}"
    );
    // 64 MiB allocated behind the pool's back: unseen until a refresh.
    let f = std::fs::File::create(s.pool_dir.join("outside.raw")).unwrap();
    // SAFETY: fallocate(2) on a file this test just created.
    let r = unsafe { libc::fallocate(std::os::fd::AsRawFd::as_raw_fd(&f), 0, 0, 64 << 20) };
    if r == 0 {
        assert_eq!(info().allocation, after.allocation);
        block(d.storage_pool_refresh(pool, 0)).unwrap();
        let refreshed = info();
        // Other writers on the same file system move it too; 64 MiB stands out of that.
        assert!(
            refreshed.allocation >= after.allocation + (32 << 20),
            "{} vs {}",
            refreshed.allocation,
            after.allocation
        );
    }
    // Deleting gives the volume's allocation back.
    let before = info();
    block(d.storage_vol_delete(&v, Default::default())).unwrap();
    let gone = info();
    assert_eq!(gone.allocation, before.allocation - alloc);
    assert_eq!(gone.available, before.available + alloc);
}

#[test]
fn volumes_lifecycle_agrees_with_qemu_img() {
    if !have_qemu_img() {
        return;
    }
    let s = setup();
    let (d, pool) = (&s.d, &s.pool);
    let q = block(d.storage_vol_create_xml(
        pool,
        &vol_xml("a.qcow2", "qcow2", "1073741824"),
        Default::default(),
    ))
    .unwrap();
    let r = block(d.storage_vol_create_xml(
        pool,
        &vol_xml("b.raw", "raw", "10485760"),
        Default::default(),
    ))
    .unwrap();
    let qpath = block(d.storage_vol_get_path(&q)).unwrap();
    assert_eq!(qpath, format!("{}/a.qcow2", s.pool_dir.display()));
    let info = qemu_img_info(&qpath);
    assert_eq!(info["format"], "qcow2");
    let vi = block(d.storage_vol_get_info(&q)).unwrap();
    assert_eq!(info["virtual-size"].as_u64().unwrap(), vi.capacity);
    assert_eq!(vi.capacity, 1 << 30);
    let rpath = block(d.storage_vol_get_path(&r)).unwrap();
    let rinfo = qemu_img_info(&rpath);
    assert_eq!(rinfo["format"], "raw");
    assert_eq!(rinfo["virtual-size"].as_u64().unwrap(), 10 << 20);
    // Sparse: nothing allocated.
    assert_eq!(block(d.storage_vol_get_info(&r)).unwrap().allocation, 0);

    // A qcow2 over a backing file, and a clone.
    let back = format!(
        "<volume><name>over.qcow2</name><capacity>1073741824</capacity><target><format type='qcow2'/></target>\
         <backingStore><path>{qpath}</path><format type='qcow2'/></backingStore></volume>"
    );
    let over = block(d.storage_vol_create_xml(pool, &back, Default::default())).unwrap();
    let oinfo = qemu_img_info(&block(d.storage_vol_get_path(&over)).unwrap());
    assert_eq!(oinfo["backing-filename"], qpath.as_str());
    let xml = block(d.storage_vol_get_xml_desc(&over, 0)).unwrap();
    assert!(
        xml.contains(&format!("<backingStore>\n    <path>{qpath}</path>")),
        "{xml}"
    );

    let data = pattern(3 << 20);
    upload(d, &r, &data);
    let c = block(d.storage_vol_create_xml_from(
        pool,
        &vol_xml("c.qcow2", "qcow2", "0"),
        &r,
        Default::default(),
    ))
    .unwrap();
    let cinfo = qemu_img_info(&block(d.storage_vol_get_path(&c)).unwrap());
    assert_eq!(cinfo["format"], "qcow2");
    assert_eq!(cinfo["virtual-size"].as_u64().unwrap(), 10 << 20);
    let cmp = std::process::Command::new("qemu-img")
        .args([
            "compare",
            "-U",
            &rpath,
            &block(d.storage_vol_get_path(&c)).unwrap(),
        ])
        .status()
        .unwrap();
    assert!(cmp.success(), "the clone has the same data");

    // Resize: grow, refuse a shrink without the flag, shrink a qcow2 with it.
    block(d.storage_vol_resize(&q, 2 << 30, Default::default())).unwrap();
    assert_eq!(
        qemu_img_info(&qpath)["virtual-size"].as_u64().unwrap(),
        2 << 30
    );
    let e = block(d.storage_vol_resize(&q, 1 << 30, Default::default())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::INVALID_ARG);
    assert_eq!(
        e.message,
        "invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified"
    );
    block(d.storage_vol_resize(&q, 1 << 30, StorageVolResizeFlags::SHRINK)).unwrap();
    assert_eq!(block(d.storage_vol_get_info(&q)).unwrap().capacity, 1 << 30);
    block(d.storage_vol_resize(
        &r,
        1 << 20,
        StorageVolResizeFlags::DELTA | StorageVolResizeFlags::ALLOCATE,
    ))
    .unwrap();
    let ri = block(d.storage_vol_get_info(&r)).unwrap();
    assert_eq!(ri.capacity, 11 << 20);
    assert_eq!(
        qemu_img_info(&rpath)["virtual-size"].as_u64().unwrap(),
        11 << 20
    );

    // Wipe: zeros where the data was.
    block(d.storage_vol_wipe(&r, 0)).unwrap();
    assert!(download(d, &r, 0, 3 << 20).iter().all(|b| *b == 0));
    let e = block(d.storage_vol_wipe_pattern(&r, StorageVolWipeAlgorithm::TRIM, 0)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::ARGUMENT_UNSUPPORTED);

    // Listing, lookups, delete.
    let mut names: Vec<String> = block(d.storage_pool_list_all_volumes(pool, 0))
        .unwrap()
        .iter()
        .map(|v| v.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["a.qcow2", "b.raw", "c.qcow2", "over.qcow2"]);
    assert_eq!(block(d.storage_vol_lookup_by_path(&rpath)).unwrap(), r);
    assert_eq!(block(d.storage_vol_lookup_by_key(&rpath)).unwrap(), r);
    for v in [&over, &q, &r, &c] {
        block(d.storage_vol_delete(v, Default::default())).unwrap();
    }
    assert!(snapshot(&s.pool_dir).is_empty());
    let e = block(d.storage_vol_get_info(&r)).unwrap_err();
    assert_eq!(e.code, ErrorNumber::NO_STORAGE_VOL);
}

#[test]
fn streams_move_64_mib_and_a_cut_upload_changes_nothing() {
    let s = setup();
    let (d, pool) = (&s.d, &s.pool);
    let v = block(d.storage_vol_create_xml(
        pool,
        &vol_xml("big", "raw", "67108864"),
        Default::default(),
    ))
    .unwrap();
    let data = pattern(64 << 20);
    upload(d, &v, &data);
    let back = download(d, &v, 0, 0);
    assert_eq!(back.len(), data.len());
    assert_eq!(checksum(&back), checksum(&data));
    // Offset and length.
    assert_eq!(download(d, &v, 1000, 5000), &data[1000..6000]);

    // An upload cut half-way: the volume keeps what it had, no temporary file stays.
    let st = block(d.storage_vol_upload(&v, 0, 0, Default::default())).unwrap();
    block(st.send(&vec![0xAA; 8 << 20])).unwrap();
    let e = block(d.storage_vol_delete(&v, Default::default())).unwrap_err();
    assert_eq!(
        e.message,
        "Requested operation is not valid: volume 'big' is still in use."
    );
    block(st.abort()).unwrap();
    drop(st);
    for _ in 0..100 {
        if snapshot(&s.pool_dir).len() == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        snapshot(&s.pool_dir).len(),
        1,
        "{:?}",
        snapshot(&s.pool_dir)
    );
    assert_eq!(checksum(&download(d, &v, 0, 0)), checksum(&data));

    // A short upload from offset 0 replaces only what it sent, as libvirt's does.
    upload(d, &v, &[7u8; 4096]);
    let after = download(d, &v, 0, 0);
    assert_eq!(&after[..4096], &[7u8; 4096][..]);
    assert_eq!(checksum(&after[4096..]), checksum(&data[4096..]));
    // Past the requested length: libvirt's error.
    let st = block(d.storage_vol_upload(&v, 10, 4, Default::default())).unwrap();
    block(st.send(b"abcdef")).unwrap();
    let e = block(st.send(b"x")).unwrap_err();
    assert_eq!(e.message, "cannot write to stream: No space left on device");
    block(st.finish()).unwrap();
    assert_eq!(&download(d, &v, 10, 6), b"abcd\x07\x07");
}

#[test]
fn bad_input_touches_nothing_outside_the_pool() {
    let s = setup();
    let (d, pool) = (&s.d, &s.pool);
    let parent = s.pool_dir.parent().unwrap().to_path_buf();
    let before = snapshot(&parent);
    let e = block(d.storage_vol_create_xml(
        pool,
        &vol_xml("../escape", "raw", "1024"),
        Default::default(),
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
    assert_eq!(
        e.message,
        "Requested operation is not valid: volume name '../escape' cannot contain '/'"
    );
    let e =
        block(d.storage_vol_create_xml(pool, &vol_xml("..", "raw", "1024"), Default::default()))
            .unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "Requested operation is not valid: volume target path '{}/..' already exists",
            s.pool_dir.display()
        )
    );
    let outside = format!(
        "<volume><name>x</name><capacity>1024</capacity><target><path>{}/x</path></target></volume>",
        parent.display()
    );
    let e = block(d.storage_vol_create_xml(pool, &outside, Default::default())).unwrap_err();
    assert_eq!(e.code, ErrorNumber::INVALID_ARG);
    assert!(e.message.contains("is outside pool 'p'"), "{}", e.message);
    let e = block(d.storage_vol_create_xml(pool, &vol_xml("neg", "raw", "-1"), Default::default()))
        .unwrap_err();
    assert_eq!(e.code, ErrorNumber::XML_ERROR);
    assert_eq!(e.message, "XML error: malformed capacity element");
    // A creation that fails (qemu-img refuses a backing file that is not there) leaves nothing.
    let bad = "<volume><name>q</name><capacity>1024</capacity><target><format type='qcow2'/></target>\
               <backingStore><path>/nonexistent/base.qcow2</path><format type='qcow2'/></backingStore></volume>";
    assert!(block(d.storage_vol_create_xml(pool, bad, Default::default())).is_err());
    // A symbolic link out of the pool is never written through.
    let victim = parent.join("victim");
    std::fs::write(&victim, b"keep").unwrap();
    std::os::unix::fs::symlink(&victim, s.pool_dir.join("link")).unwrap();
    block(d.storage_pool_refresh(pool, 0)).unwrap();
    if let Ok(l) = block(d.storage_vol_lookup_by_name(pool, "link")) {
        assert!(block(d.storage_vol_upload(&l, 0, 0, Default::default())).is_err());
        assert!(block(d.storage_vol_wipe(&l, 0)).is_err());
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    std::fs::remove_file(&victim).unwrap();
    std::fs::remove_file(s.pool_dir.join("link")).unwrap();
    assert_eq!(snapshot(&parent), before);
    assert!(snapshot(&s.pool_dir).is_empty());
}

#[test]
fn pools_persist_and_come_back() {
    let s = setup();
    let (d, pool) = (&s.d, &s.pool);
    assert!(s.root.join("etc/storage/p.xml").exists());
    assert!(s.root.join("run/storage/p.xml").exists());
    block(d.storage_pool_set_autostart(pool, true)).unwrap();
    assert!(s.root.join("etc/storage/autostart/p.xml").exists());
    let info = block(d.storage_pool_get_info(pool)).unwrap();
    assert_eq!(info.state, StoragePoolState::RUNNING);
    assert!(info.capacity > 0 && info.available <= info.capacity);
    block(d.storage_pool_destroy(pool)).unwrap();
    assert!(!s.root.join("run/storage/p.xml").exists());
    let e = block(d.storage_pool_undefine(pool));
    assert!(e.is_ok());
    assert!(!s.root.join("etc/storage/p.xml").exists());
    assert!(!s.root.join("etc/storage/autostart/p.xml").exists());
}

/// libvirt's checks when a pool is defined (`virStoragePoolObjListAdd`, the same in its test
/// and storage drivers): another pool's UUID, name or folder is refused; the same pool again is a
/// redefinition.
#[test]
fn a_pool_clashing_with_another_is_refused() {
    let s = setup();
    let uuid = s.pool.uuid;
    let define = |xml: String| {
        block(s.d.storage_pool_define_xml(&xml, StoragePoolDefineFlags::empty()))
            .map(|p| p.name.to_string())
            .map_err(|e| (e.code, e.message))
    };
    let dir = s.pool_dir.display();
    let other = s.root.display();
    assert_eq!(
        define(format!(
            "<pool type='dir'><name>q</name><uuid>{uuid}</uuid><target><path>{other}</path></target></pool>"
        )),
        Err((
            ErrorNumber::OPERATION_FAILED,
            format!("operation failed: pool 'p' is already defined with uuid {uuid}")
        ))
    );
    assert_eq!(
        define(format!(
            "<pool type='dir'><name>p</name><uuid>11111111-2222-3333-4444-555555555599</uuid><target><path>{other}</path></target></pool>"
        )),
        Err((
            ErrorNumber::OPERATION_FAILED,
            format!("operation failed: pool 'p' already exists with uuid {uuid}")
        ))
    );
    assert_eq!(
        define(format!(
            "<pool type='dir'><name>q</name><target><path>{dir}</path></target></pool>"
        )),
        Err((
            ErrorNumber::OPERATION_FAILED,
            "operation failed: Storage source conflict with pool: 'p'".to_string()
        ))
    );
    // The same pool again, on its own folder, is accepted.
    assert_eq!(
        define(format!(
            "<pool type='dir'><name>p</name><uuid>{uuid}</uuid><target><path>{dir}</path></target></pool>"
        )),
        Ok("p".to_string())
    );
}

/// An `fs` pool on a loop device made from an image file: start mounts it, destroy unmounts it.
/// Skipped (saying why) where loop devices or mkfs are not available.
#[test]
fn fs_pool_mounts_a_loop_device() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    let out = std::process::Command::new("losetup")
        .args(["-f", "--show"])
        .arg(&img)
        .output();
    let dev = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => {
            eprintln!("skipped: no loop device here (needs root and losetup)");
            return;
        }
    };
    let mkfs = std::process::Command::new("mkfs.ext4")
        .args(["-q", &dev])
        .status();
    if !mkfs.is_ok_and(|s| s.success()) {
        let _ = std::process::Command::new("losetup")
            .args(["-d", &dev])
            .status();
        eprintln!("skipped: mkfs.ext4 failed");
        return;
    }
    let mnt = dir.path().join("mnt");
    let d = QemuDriver::open(&format!(
        "qemu:///embed?root={}",
        dir.path().join("root").display()
    ))
    .unwrap();
    let xml = format!(
        "<pool type='fs'><name>f</name><source><device path='{dev}'/><format type='ext4'/></source>\
         <target><path>{}</path></target></pool>",
        mnt.display()
    );
    let pool = block(d.storage_pool_create_xml(&xml, StoragePoolCreateFlags::WITH_BUILD));
    let mounted = |p: &Path| {
        std::fs::read_to_string("/proc/mounts")
            .unwrap()
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(&*p.to_string_lossy()))
    };
    let result = pool.and_then(|pool| {
        assert!(mounted(&mnt));
        let v = block(d.storage_vol_create_xml(
            &pool,
            &vol_xml("v", "raw", "1048576"),
            Default::default(),
        ))?;
        assert_eq!(
            block(d.storage_vol_get_path(&v))?,
            format!("{}/v", mnt.display())
        );
        block(d.storage_vol_delete(&v, Default::default()))?;
        block(d.storage_pool_destroy(&pool))
    });
    let gone = !mounted(&mnt);
    if !gone {
        let _ = std::process::Command::new("umount").arg(&mnt).status();
    }
    let _ = std::process::Command::new("losetup")
        .args(["-d", &dev])
        .status();
    result.unwrap();
    assert!(gone, "destroy unmounts the pool");
}

/// The `<disk>` elements of a domain XML, as printed.
fn disk_elements(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(at) = rest.find("    <disk ") {
        let end = rest[at..].find("</disk>\n").unwrap() + at + "</disk>\n".len();
        out.push_str(&rest[at..end]);
        rest = &rest[end..];
    }
    out
}

/// QEMU's own view of the medium in device `qdev`: (file, driver, read-only).
fn medium(d: &QemuDriver, dom: &rvirt_driver::DomainRef, qdev: &str) -> (String, String, bool) {
    let v = block(d.monitor_command(dom, "query-block", None)).unwrap();
    let b = v
        .as_array()
        .unwrap()
        .iter()
        .find(|b| {
            b["qdev"]
                .as_str()
                .is_some_and(|q| q == qdev || q.contains(&format!("/{qdev}/")))
        })
        .unwrap_or_else(|| panic!("no {qdev} in {v}"));
    let i = &b["inserted"];
    (
        i["file"].as_str().unwrap_or_default().to_string(),
        i["drv"].as_str().unwrap_or_default().to_string(),
        i["ro"].as_bool().unwrap_or_default(),
    )
}

/// `<disk type='volume'>` on a real QEMU: the disk is found through its pool at start (errors
/// as libvirt 9.0 gives them for a missing pool, an inactive one, a missing volume, a mode
/// outside iSCSI), QEMU opens the volume's file, the live XML is libvirt's byte for byte (the
/// expected text below was printed by libvirt 9.0 for this guest), the config keeps the pool
/// and volume only, and block stats, snapshots, `domxml-to-native` and a reattach find the
/// file.
#[test]
fn volume_disks_run_from_their_pool() {
    use rvirt_types::domain::*;
    use rvirt_types::snapshot::DomainSnapshotCreateFlags;
    if !have_qemu_img() || !Path::new("/usr/bin/qemu-system-x86_64").exists() {
        eprintln!("SKIPPED: qemu-system-x86_64 or qemu-img is not installed");
        return;
    }
    let root = common::Root::new();
    let pool_dir = root.path().join("pool");
    let d = common::open(root.path());
    let xml = common::guest_with(
        "vol",
        "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>\
         <source pool='default' volume='q.qcow2'/><target dev='vda' bus='virtio'/></disk>\
         <disk type='volume' device='cdrom'><source pool='default' volume='r.img'/>\
         <target dev='hdc' bus='ide'/></disk>",
    );
    let dom = block(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    // `root` kills what a failed assertion leaves running.
    let start_error = || {
        let e = block(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap_err();
        assert!(!block(d.domain_is_active(&dom)).unwrap());
        assert!(!root.path().join("run/qemu/vol.xml").exists());
        (e.code, e.message)
    };
    let no_pool = (
        ErrorNumber::NO_STORAGE_POOL,
        "Storage pool not found: no storage pool with matching name 'default'".to_string(),
    );
    assert_eq!(start_error(), no_pool);
    let native = block(d.connect_domain_xml_to_native("qemu-argv", &xml, 0)).unwrap_err();
    assert_eq!((native.code, native.message), no_pool);

    let pool_xml = format!(
        "<pool type='dir'><name>default</name><target><path>{}</path></target></pool>",
        pool_dir.display()
    );
    let pool =
        block(d.storage_pool_define_xml(&pool_xml, StoragePoolDefineFlags::empty())).unwrap();
    block(d.storage_pool_build(&pool, StoragePoolBuildFlags::empty())).unwrap();
    // libvirt prepares the disks from the last one: the CD-ROM's volume is named.
    assert_eq!(
        start_error(),
        (
            ErrorNumber::CONFIG_UNSUPPORTED,
            "unsupported configuration: storage pool 'default' containing volume 'r.img' is not active"
                .to_string()
        )
    );
    block(d.storage_pool_create(&pool, StoragePoolCreateFlags::empty())).unwrap();
    block(d.storage_vol_create_xml(
        &pool,
        &vol_xml("q.qcow2", "qcow2", "1048576"),
        Default::default(),
    ))
    .unwrap();
    assert_eq!(
        start_error(),
        (
            ErrorNumber::NO_STORAGE_VOL,
            "Storage volume not found: no storage vol with matching name 'r.img'".to_string()
        )
    );
    block(d.storage_vol_create_xml(
        &pool,
        &vol_xml("r.img", "raw", "1048576"),
        Default::default(),
    ))
    .unwrap();
    let qcow2 = pool_dir.join("q.qcow2").display().to_string();
    let raw = pool_dir.join("r.img").display().to_string();

    // The command line opens the volumes' files, as for file disks of those paths.
    let argv = block(d.connect_domain_xml_to_native("qemu-argv", &xml, 0)).unwrap();
    assert!(
        argv.contains(&format!(
            "\"driver\":\"file\",\"filename\":\"{qcow2}\",\"node-name\":\"libvirt-2-storage\""
        )),
        "{argv}"
    );
    assert!(
        argv.contains("\"driver\":\"qcow2\",\"file\":\"libvirt-2-storage\""),
        "{argv}"
    );
    assert!(argv.contains(&format!("\"filename\":\"{raw}\"")), "{argv}");

    // A snapshot of the shut-off domain goes into the volume's image.
    let snap = "<domainsnapshot><name>s0</name><disks><disk name='vda' snapshot='internal'/>\
                <disk name='hdc' snapshot='no'/></disks></domainsnapshot>";
    block(d.snapshot_create_xml(&dom, snap, DomainSnapshotCreateFlags::empty())).unwrap();
    let tags = String::from_utf8(
        std::process::Command::new("qemu-img")
            .args(["snapshot", "-l", "-U", &qcow2])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(tags.contains(" s0 "), "{tags}");

    block(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();
    assert_eq!(
        medium(&d, &dom, "virtio-disk0"),
        (qcow2.clone(), "qcow2".into(), false)
    );
    assert_eq!(
        medium(&d, &dom, "ide0-1-0"),
        (raw.clone(), "raw".into(), true)
    );
    let live = block(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert_eq!(
        disk_elements(&live),
        "    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='q.qcow2' index='2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </disk>
    <disk type='volume' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source pool='default' volume='r.img' index='1'/>
      <backingStore/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
      <alias name='ide0-1-0'/>
      <address type='drive' controller='0' bus='1' target='0' unit='0'/>
    </disk>
"
    );
    let inactive = "    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='q.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </disk>
    <disk type='volume' device='cdrom'>
      <driver name='qemu'/>
      <source pool='default' volume='r.img'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
      <address type='drive' controller='0' bus='1' target='0' unit='0'/>
    </disk>
";
    let config = block(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
    assert_eq!(disk_elements(&config), inactive);
    let saved = std::fs::read_to_string(root.path().join("etc/qemu/vol.xml")).unwrap();
    assert!(!saved.contains(&qcow2), "{saved}");

    // Block stats know the disk by its volume's path (not by the volume's name), as libvirt.
    block(d.domain_block_stats(&dom, &qcow2)).unwrap();
    let e = block(d.domain_block_stats(&dom, "q.qcow2")).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::INVALID_ARG,
            "invalid argument: invalid path: q.qcow2"
        )
    );

    // A daemon that comes back finds the path again.
    let d = {
        let pid = common::pid_of(root.path(), "vol");
        drop(d);
        let d = common::open(root.path());
        assert_eq!(common::pid_of(root.path(), "vol"), pid);
        d
    };
    let dom = block(d.domain_lookup_by_name("vol")).unwrap();
    assert!(block(d.domain_is_active(&dom)).unwrap());
    block(d.domain_block_stats(&dom, &qcow2)).unwrap();

    // A disk-only snapshot puts an overlay on the volume; the volume stays below, by name.
    let overlay = pool_dir.join("ov.qcow2").display().to_string();
    let snap = format!(
        "<domainsnapshot><name>s1</name><disks><disk name='vda' snapshot='external'>\
         <source file='{overlay}'/></disk><disk name='hdc' snapshot='no'/></disks>\
         </domainsnapshot>"
    );
    block(d.snapshot_create_xml(&dom, &snap, DomainSnapshotCreateFlags::DISK_ONLY)).unwrap();
    assert_eq!(medium(&d, &dom, "virtio-disk0").0, overlay);
    let live = block(d.domain_get_xml_desc(&dom, DomainXMLFlags::empty())).unwrap();
    assert!(
        live.contains(&format!("<source file='{overlay}'"))
            && live.contains("<backingStore type='volume'")
            && live.contains("<source pool='default' volume='q.qcow2'/>"),
        "{live}"
    );
    block(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();

    // A mode is for iSCSI pools only: refused at start; an unknown one at define.
    let moded = xml
        .replace("<name>vol</name>", "<name>vol2</name>")
        .replace("volume='r.img'", "volume='r.img' mode='host'");
    let dom2 = block(d.domain_define_xml(&moded, DomainDefineFlags::empty())).unwrap();
    let e = block(d.domain_create(&dom2, DomainCreateFlags::empty())).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::XML_ERROR,
            "XML error: disk source mode is only valid when storage pool is of iscsi type"
        )
    );
    assert!(!block(d.domain_is_active(&dom2)).unwrap());
    let e = block(d.domain_define_xml(
        &moded.replace("mode='host'", "mode='bogus'"),
        DomainDefineFlags::empty(),
    ))
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown source mode 'bogus' for volume type disk"
        )
    );
    let e = block(d.domain_define_xml(
        &moded.replace(" volume='r.img' mode='host'", ""),
        DomainDefineFlags::empty(),
    ))
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::XML_ERROR,
            "XML error: 'pool' and 'volume' must be specified together for 'pool' type source"
        )
    );
}
