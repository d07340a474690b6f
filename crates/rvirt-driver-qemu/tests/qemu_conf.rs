//! The driver's `qemu.conf`: the command lines it leads to beside those of libvirt's own QEMU
//! driver with the same file, a real QEMU started under it (TLS and password on VNC, process
//! name, resource limits), and a file that cannot be used.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Cleanup, Root, open, pid_of};
use pollster::block_on;
use rvirt_driver::{DomainDriver, HostDriver};
use rvirt_driver_qemu::QemuDriver;
use rvirt_testsupport::{libvirt_embed_conf, write_embed_conf};
use rvirt_types::domain::{DomainCreateFlags, DomainDefineFlags};
use rvirt_types::{ErrorDomain, ErrorNumber};
use std::path::Path;

/// The name libvirt gives an embedded driver rooted at `root` outside that root:
/// `qemu-embed-` and the first eight hex digits of the SHA-256 of the root (by `sha256sum`).
fn embed_prefix(root: &Path) -> String {
    use std::io::Write;
    let mut sum = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    sum.stdin
        .take()
        .unwrap()
        .write_all(root.as_os_str().as_encoded_bytes())
        .unwrap();
    let out = sum.wait_with_output().unwrap();
    format!(
        "qemu-embed-{}",
        &String::from_utf8(out.stdout).unwrap()[..8]
    )
}

/// What `qemu.conf` decides in a `domxml-to-native` line, the state root (and the name
/// derived from it) masked: the environment beside `LC_ALL` and `PATH`, `-name`, the consoles
/// and their TLS objects, `-sandbox`, `dump-guest-core` of `-machine` and where a RAM file
/// goes.
fn settings(line: &str, root: &Path) -> Vec<String> {
    let line = line
        .replace(&root.display().to_string(), "ROOT")
        .replace(&embed_prefix(root), "EMBED");
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        match *w {
            "-name" | "-vnc" | "-spice" | "-sandbox" | "-compat" | "-msg" => {
                out.push(format!("{w} {next}"))
            }
            // Compared as JSON: the order of the keys is not libvirt's.
            "-object" if next.contains("tls-creds") => {
                let v: serde_json::Value = serde_json::from_str(next).unwrap();
                out.push(format!("{w} {v}"));
            }
            "-object" if next.contains("memory-backend-file") => {
                let v: serde_json::Value = serde_json::from_str(next).unwrap();
                out.push(format!("mem-path {}", v["mem-path"]));
            }
            "-machine" => out.extend(
                next.split(',')
                    .filter(|o| o.starts_with("dump-guest-core"))
                    .map(str::to_string),
            ),
            w if w.starts_with("SASL_CONF_PATH=") => out.push(w.to_string()),
            _ => {}
        }
    }
    out
}

/// `domxml-to-native` of `xml` with `conf` in `qemu.conf`, by libvirt's embedded QEMU driver
/// and by rvirt's: the settings of each. `None` without libvirt's QEMU driver.
fn both(conf: &str, xml: &str) -> Option<(Vec<String>, Vec<String>)> {
    let (lv, rv) = (Root::new(), Root::new());
    let file = lv.path().join("guest.xml");
    std::fs::write(&file, xml).unwrap();
    let out = libvirt_embed_conf(
        lv.path(),
        conf,
        &format!("domxml-to-native qemu-argv {}", file.display()),
    )?;
    let libvirt = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "libvirt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    write_embed_conf(rv.path(), conf);
    let d = open(rv.path());
    let ours = block_on(d.connect_domain_xml_to_native("qemu-argv", xml, 0)).unwrap();
    Some((settings(&libvirt, lv.path()), settings(&ours, rv.path())))
}

const CONSOLES: &str = "<domain type='qemu'><name>t1</name><memory unit='MiB'>64</memory>\
    <os><type arch='x86_64'>hvm</type></os><devices>\
    <graphics type='vnc' autoport='yes'/><graphics type='spice' autoport='yes'/>\
    </devices></domain>";

#[test]
fn graphics_and_process_settings_reach_the_command_line_as_libvirts_do() {
    // Certificate folders named in qemu.conf must exist (libvirt checks that too); the same
    // ones serve both drivers.
    let pki = tempfile::tempdir().unwrap();
    let p = pki.path().display();
    let tls = format!(
        "vnc_tls = 1\nvnc_listen = \"0.0.0.0\"\nvnc_password = \"abc\"\nvnc_sasl = 1\n\
         vnc_sasl_dir = \"/etc/sasl2\"\nspice_tls = 1\nspice_listen = \"::1\"\n\
         spice_password = \"xyz\"\nset_process_name = 1\nseccomp_sandbox = 0\n\
         default_tls_x509_cert_dir = \"{p}\"\ndefault_tls_x509_verify = 1\n\
         dump_guest_core = 1\n"
    );
    let sockets = format!(
        "vnc_auto_unix_socket = 1\nspice_auto_unix_socket = 1\n\
         spice_tls_x509_cert_dir = \"{p}\"\nspice_sasl = 1\nspice_sasl_dir = \"/srv/sasl\"\n"
    );
    for (conf, xml) in [
        ("", CONSOLES),
        (&tls, CONSOLES),
        (&sockets, CONSOLES),
        (
            "log_timestamp = 0\ndeprecation_behavior = \"reject\"\n",
            CONSOLES,
        ),
        ("deprecation_behavior = \"omit\"\n", CONSOLES),
        (
            "spice_tls = 1\n",
            &CONSOLES.replace(
                "<graphics type='spice' autoport='yes'/>",
                "<graphics type='spice' autoport='yes' defaultMode='secure'>\
                 <channel name='main' mode='insecure'/></graphics>",
            ),
        ),
    ] {
        let Some((libvirt, ours)) = both(conf, xml) else {
            return;
        };
        assert!(
            libvirt.iter().any(|s| s.starts_with("-vnc")),
            "no console read from {libvirt:?}"
        );
        assert_eq!(ours, libvirt, "with qemu.conf:\n{conf}");
    }
}

/// A guest whose RAM is a shared file.
const FILE_RAM: &str = "<domain type='qemu'><name>ram</name><memory unit='MiB'>64</memory>\
    <memoryBacking><source type='file'/><access mode='shared'/></memoryBacking>\
    <os><type arch='x86_64'>hvm</type></os></domain>";

#[test]
fn memory_backing_dir_holds_file_backed_ram_as_libvirts_does() {
    // Outside the drivers' roots: the folder names carry each driver's root hash.
    let shared = tempfile::tempdir().unwrap();
    let conf = format!("memory_backing_dir = \"{}\"\n", shared.path().display());
    for conf in ["", conf.as_str()] {
        let Some((libvirt, ours)) = both(conf, FILE_RAM) else {
            return;
        };
        assert!(
            libvirt.iter().any(|s| s.starts_with("mem-path")),
            "no RAM file in {libvirt:?}"
        );
        assert_eq!(ours, libvirt, "with qemu.conf:\n{conf}");
    }
    // A guest runs with its RAM there; the folder goes with it.
    let root = Root::new();
    write_embed_conf(root.path(), &conf);
    let d = open(root.path());
    let _cleanup = Cleanup(d.clone(), "ram");
    let dom = block_on(d.domain_create_xml(FILE_RAM, DomainCreateFlags::empty())).unwrap();
    let folder = shared
        .path()
        .join("libvirt/qemu")
        .join(format!("{}-1-ram", embed_prefix(root.path())));
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid_of(root.path(), "ram"))).unwrap();
    assert!(
        String::from_utf8_lossy(&cmdline)
            .contains(&format!("\"mem-path\":\"{}/pc.ram\"", folder.display())),
        "{}",
        String::from_utf8_lossy(&cmdline)
    );
    assert!(folder.is_dir());
    block_on(d.domain_destroy(&dom, rvirt_types::domain::DomainDestroyFlags::empty())).unwrap();
    assert!(!folder.exists());
}

#[test]
fn a_qemu_conf_that_cannot_be_used_fails_the_open_as_libvirts_does() {
    for (conf, domain, code, message) in [
        (
            "vnc_tls = \n",
            ErrorDomain::CONF,
            ErrorNumber::CONF_SYNTAX,
            "configuration file syntax error: ROOT/etc/qemu.conf:6: expecting a value",
        ),
        (
            "vnc_listen = 3\n",
            ErrorDomain::CONF,
            ErrorNumber::INTERNAL_ERROR,
            "internal error: ROOT/etc/qemu.conf: expected a string for 'vnc_listen' parameter",
        ),
        (
            "cgroup_controllers = [ \"cpu\", \"gpu\" ]\n",
            ErrorDomain::QEMU,
            ErrorNumber::CONF_SYNTAX,
            "configuration file syntax error: Unknown cgroup controller 'gpu'",
        ),
        (
            "remote_display_port_min = 100\n",
            ErrorDomain::QEMU,
            ErrorNumber::INTERNAL_ERROR,
            "internal error: ROOT/etc/qemu.conf: remote_display_port_min: port must be greater \
             than or equal to 5900",
        ),
        (
            "swtpm_user = \"no-such-user-of-rvirt\"\n",
            ErrorDomain::NONE,
            ErrorNumber::INVALID_ARG,
            "invalid argument: Failed to parse user 'no-such-user-of-rvirt'",
        ),
        (
            "swtpm_group = \"no-such-group-of-rvirt\"\n",
            ErrorDomain::NONE,
            ErrorNumber::INVALID_ARG,
            "invalid argument: Failed to parse group 'no-such-group-of-rvirt'",
        ),
    ] {
        let root = Root::new();
        write_embed_conf(root.path(), conf);
        let uri = format!("qemu:///embed?root={}", root.path().display());
        let Err(e) = QemuDriver::open(&uri) else {
            panic!("{conf} was taken")
        };
        let masked = e
            .message
            .replace(&root.path().display().to_string(), "ROOT");
        assert_eq!((e.domain, e.code, masked.as_str()), (domain, code, message));
        // libvirt's own driver refuses the same file with the same words.
        if let Some(out) = libvirt_embed_conf(root.path(), conf, "list") {
            let err = String::from_utf8_lossy(&out.stderr)
                .replace(&root.path().display().to_string(), "ROOT");
            assert!(err.contains(&format!("error: {message}")), "{err}");
        }
    }
}

/// A CA and a server certificate for `localhost` in QEMU's layout (`ca-cert.pem`,
/// `server-cert.pem`, `server-key.pem`), made with openssl.
fn qemu_pki(dir: &Path) {
    use rvirt_testsupport::x509;
    std::fs::create_dir_all(dir).unwrap();
    x509::ca(dir, "ca-", "/CN=rvirt test CA");
    x509::leaf(
        dir,
        "ca-",
        "server-",
        "/CN=localhost",
        &x509::server_ext("DNS:localhost"),
    );
}

/// The `Max ...` line of `/proc/PID/limits` named `what`, its soft and hard values.
fn limit(pid: i32, what: &str) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text.lines().find(|l| l.starts_with(what)).unwrap();
    let mut v = line[what.len()..].split_whitespace();
    (v.next().unwrap().into(), v.next().unwrap().into())
}

#[test]
fn a_guest_runs_with_vnc_over_tls_a_default_password_its_name_and_limits() {
    let root = Root::new();
    let pki = root.path().join("pki-vnc");
    qemu_pki(&pki);
    write_embed_conf(
        root.path(),
        &format!(
            "vnc_tls = 1\nvnc_tls_x509_cert_dir = \"{}\"\nvnc_password = \"secret\"\n\
             vnc_listen = \"127.0.0.1\"\nset_process_name = 1\nmax_files = 4096\n\
             max_core = 0\nremote_display_port_min = 6300\nremote_display_port_max = 6399\n",
            pki.display()
        ),
    );
    let d = open(root.path());
    let _cleanup = Cleanup(d.clone(), "conf-tls");
    let dom = block_on(d.domain_define_xml(
        &common::guest_with("conf-tls", "<graphics type='vnc' autoport='yes'/>"),
        DomainDefineFlags::empty(),
    ))
    .unwrap();
    block_on(d.domain_create(&dom, DomainCreateFlags::empty())).unwrap();

    // QEMU's VNC server takes VeNCrypt with x509 and the VNC password of qemu.conf.
    let vnc = block_on(d.monitor_command(&dom, "query-vnc-servers", None)).unwrap();
    let server = &vnc[0];
    assert_eq!(server["auth"], "vencrypt", "{vnc}");
    assert_eq!(server["vencrypt"], "x509-vnc", "{vnc}");
    let port: u16 = server["server"][0]["service"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (6300..=6399).contains(&port),
        "port {port} outside qemu.conf's range"
    );
    let xml = block_on(d.domain_get_xml_desc(&dom, Default::default())).unwrap();
    assert!(xml.contains(&format!("port='{port}'")), "{xml}");
    assert!(
        xml.contains("<listen type='address' address='127.0.0.1'/>"),
        "{xml}"
    );

    // The process is named after the guest; its limits are qemu.conf's.
    let pid = pid_of(root.path(), "conf-tls");
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm.trim_end(), "qemu:conf-tls");
    assert_eq!(limit(pid, "Max open files"), ("4096".into(), "4096".into()));
    assert_eq!(limit(pid, "Max core file size"), ("0".into(), "0".into()));
}

/// Whether this process may raise a hard resource limit (`CAP_SYS_RESOURCE`).
fn can_raise_limits() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap();
    u64::from_str_radix(hex.trim(), 16).unwrap() & (1 << 24) != 0
}

#[test]
fn locked_guest_memory_lifts_the_lock_limit_or_fails_as_libvirts_start_fails() {
    let root = Root::new();
    let d = open(root.path());
    let _cleanup = Cleanup(d.clone(), "locked");
    let xml = common::guest("locked", "qemu")
        .replace("<os>", "<memoryBacking><locked/></memoryBacking><os>");
    let dom = block_on(d.domain_define_xml(&xml, DomainDefineFlags::empty())).unwrap();
    let started = block_on(d.domain_create(&dom, DomainCreateFlags::empty()));
    if can_raise_limits() {
        // How much QEMU will lock cannot be known: no limit at all, as libvirt sets it.
        started.unwrap();
        let pid = pid_of(root.path(), "locked");
        assert_eq!(
            limit(pid, "Max locked memory"),
            ("unlimited".into(), "unlimited".into())
        );
    } else {
        // Without CAP_SYS_RESOURCE the limit cannot be lifted: libvirt 9.0's start fails
        // with "cannot limit locked memory of process PID to 9007199254740991: Operation
        // not permitted"; rvirt's before QEMU is started, in the same words.
        let e = started.unwrap_err();
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR, "{e}");
        assert!(
            e.to_string().ends_with(
                "cannot limit locked memory of process to 9007199254740991: Operation not permitted"
            ),
            "{e}"
        );
        assert!(!root.path().join("run/qemu/locked.xml").exists());
    }
}

#[test]
fn dump_image_format_compresses_core_dumps_and_an_unusable_one_leaves_them_raw() {
    for (format, magic) in [("gzip", &b"\x1f\x8b"[..]), ("zip", &b"QEVM"[..])] {
        let root = Root::new();
        write_embed_conf(root.path(), &format!("dump_image_format = \"{format}\"\n"));
        let d = open(root.path());
        let name = format!("dump-{format}");
        let dom = block_on(
            d.domain_create_xml(&common::guest(&name, "qemu"), DomainCreateFlags::empty()),
        )
        .unwrap();
        let path = root.path().join("core");
        block_on(d.domain_core_dump(&dom, path.to_str().unwrap(), None, 0)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(magic),
            "{format}: the dump starts with {:x?}",
            &bytes[..8.min(bytes.len())]
        );
        block_on(d.domain_destroy(&dom, Default::default())).unwrap();
    }
}

#[test]
fn a_guest_whose_qemu_crashes_on_deprecated_use_goes_through_its_lifecycle() {
    use rvirt_types::domain::*;
    // deprecation_behavior = "crash": QEMU aborts on any deprecated command or argument, so
    // every call below proves the driver uses none.
    let root = Root::new();
    write_embed_conf(root.path(), "deprecation_behavior = \"crash\"\n");
    let d = open(root.path());
    let _cleanup = Cleanup(d.clone(), "compat");
    let dom = block_on(d.domain_create_xml(
        &common::guest_with(
            "compat",
            "<graphics type='vnc' autoport='yes'/><memballoon model='virtio'/>",
        ),
        DomainCreateFlags::empty(),
    ))
    .unwrap();
    let pid = pid_of(root.path(), "compat");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(
        String::from_utf8_lossy(&cmdline)
            .contains("-compat\0{\"deprecated-output\":\"hide\",\"deprecated-input\":\"crash\"}"),
        "QEMU runs without -compat"
    );
    block_on(d.domain_suspend(&dom)).unwrap();
    block_on(d.domain_resume(&dom)).unwrap();
    block_on(d.domain_set_memory(&dom, 32 * 1024, DomainMemoryModFlags::LIVE)).unwrap();
    block_on(d.domain_memory_stats(&dom, 16, 0)).unwrap();
    let stats = block_on(d.connect_get_all_domain_stats(
        None,
        DomainStatsTypes::empty(),
        ConnectGetAllDomainStatsFlags::empty(),
    ))
    .unwrap();
    assert_eq!(stats.len(), 1);
    let img = root.path().join("compat.img");
    block_on(d.domain_save(
        &dom,
        img.to_str().unwrap(),
        None,
        DomainSaveRestoreFlags::empty(),
    ))
    .unwrap();
    block_on(d.domain_restore(img.to_str().unwrap(), None, DomainSaveRestoreFlags::empty()))
        .unwrap();
    let dom = block_on(d.domain_lookup_by_name("compat")).unwrap();
    assert_eq!(
        block_on(d.domain_get_state(&dom, 0)).unwrap(),
        (DomainState::RUNNING, DomainRunningReason::RESTORED.0)
    );
    block_on(d.domain_reset(&dom, 0)).unwrap();
    block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
}

#[test]
fn cgroup_controllers_limits_the_groups_a_guest_gets() {
    use rvirt_driver::TuningDriver;
    use rvirt_types::domain::DomainModificationImpact;
    use rvirt_types::{TypedParam, TypedParamValue};
    if !Path::new("/sys/fs/cgroup/memory/cgroup.procs").exists() {
        // Hosts with only the unified hierarchy get no groups at all yet.
        assert!(
            std::env::var_os("CI").is_none(),
            "no cgroup v1 memory controller under CI"
        );
        return;
    }
    let root = Root::new();
    write_embed_conf(root.path(), "cgroup_controllers = [ \"memory\" ]\n");
    let d = open(root.path());
    let _cleanup = Cleanup(d.clone(), "cg-mem");
    let dom =
        block_on(d.domain_create_xml(&common::guest("cg-mem", "qemu"), DomainCreateFlags::empty()))
            .unwrap();
    let pid = pid_of(root.path(), "cg-mem");
    let groups: Vec<String> = common::groups_of(pid)
        .iter()
        .map(|g| g.display().to_string())
        .collect();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert!(
        groups[0].starts_with("/sys/fs/cgroup/memory/machine/"),
        "{groups:?}"
    );
    // Without its CPU group, the guest's CPU shares cannot be set, as in libvirt.
    let shares = [TypedParam::new("cpu_shares", TypedParamValue::ULLong(300))];
    let e = block_on(d.domain_set_scheduler_parameters(
        &dom,
        &shares,
        DomainModificationImpact::LIVE.bits(),
    ))
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::OPERATION_INVALID,
            "Requested operation is not valid: cgroup CPU controller is not mounted"
        )
    );
    // Nor are its CPU statistics there without its CPU accounting group.
    let e = block_on(d.domain_get_cpu_stats(&dom, -1, 1, 0)).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorNumber::OPERATION_INVALID,
            "Requested operation is not valid: cgroup CPUACCT controller is not mounted"
        )
    );
}

#[test]
fn host_audio_settings_decide_the_default_audio_backend_as_libvirts_do() {
    let vnc = CONSOLES.replace("<graphics type='spice' autoport='yes'/>", "");
    let none = "<domain type='qemu'><name>t1</name><memory unit='MiB'>64</memory>\
                <os><type arch='x86_64'>hvm</type></os></domain>";
    let mut seen = Vec::new();
    for conf in [
        "",
        "vnc_allow_host_audio = 1\nnographics_allow_host_audio = 1\n",
    ] {
        for xml in [vnc.as_str(), none] {
            let (lv, rv) = (Root::new(), Root::new());
            let file = lv.path().join("guest.xml");
            std::fs::write(&file, xml).unwrap();
            let Some(out) = libvirt_embed_conf(
                lv.path(),
                conf,
                &format!("define {}; dumpxml t1", file.display()),
            ) else {
                return;
            };
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let audio = |text: &str| -> Vec<String> {
                text.lines()
                    .filter(|l| l.contains("<audio"))
                    .map(|l| l.trim().to_string())
                    .collect()
            };
            let libvirt = audio(&String::from_utf8_lossy(&out.stdout));
            write_embed_conf(rv.path(), conf);
            let d = open(rv.path());
            let dom = block_on(d.domain_define_xml(xml, DomainDefineFlags::empty())).unwrap();
            let ours = block_on(d.domain_get_xml_desc(&dom, Default::default())).unwrap();
            assert_eq!(audio(&ours), libvirt, "qemu.conf:\n{conf}\nguest: {xml}");
            seen.push(libvirt);
        }
    }
    // The settings change what libvirt gives both guests.
    assert_ne!(seen[..2], seen[2..], "{seen:?}");
}
