//! TLS, as libvirt speaks it: real virsh and python3-libvirt against rvirtd's TLS listener,
//! rvirt's remote driver against a real libvirtd and rvirtd over TLS, and the clients either
//! daemon refuses (another CA, a name not on `tls_allowed_dn_list`, no certificate, plain TCP on
//! the TLS port) refused alike, without disturbing a well-behaved client. Certificates are made
//! at test time with openssl.

#![allow(clippy::unwrap_used)]

mod common;

use common::pki::{self, Pki};
use common::{Daemon, Libvirtd, PYTHON};
use std::process::Command;

/// Only the well-behaved client's name is allowed (through a wildcard, as libvirt matches).
const DN_LIST: &str =
    "tls_allowed_dn_list = [\"C=GB,ST=London,L=London,O=Libvirt Project,CN=cl*\"]\n";

fn listen_lines(port: u16) -> String {
    format!("listen_tls = 1\nlisten_tcp = 0\ntls_port = \"{port}\"\nlisten_addr = \"127.0.0.1\"\n")
}

/// rvirtd with a TLS listener using the files of `folder`; returns it and its TLS port.
fn rvirtd_tls(pki: &Pki, folder: &str, extra: &str) -> (Daemon, u16) {
    let port = pki::free_port();
    let d = Daemon::start_with_args(
        &format!("{}{}{extra}", listen_lines(port), pki.server_config(folder)),
        &["--listen"],
    );
    pki::wait_for_port(port);
    (d, port)
}

/// The real libvirtd, likewise.
fn libvirtd_tls(pki: &Pki, extra: &str) -> (Libvirtd, u16) {
    let port = pki::free_port();
    let l = Libvirtd::start_with(
        &format!(
            "{}{}{extra}",
            listen_lines(port),
            pki.server_config("server")
        ),
        &["--listen"],
    );
    pki::wait_for_port(port);
    (l, port)
}

/// A `test+tls` URI for the client files of `folder`, with more query `params`.
fn tls_uri(port: u16, pki: &Pki, folder: &str, params: &str) -> String {
    format!(
        "test+tls://localhost:{port}/default?pkipath={}{params}",
        pki.path(folder).display()
    )
}

/// virsh's exit code, stdout and stderr.
fn virsh(uri: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new("timeout")
        .arg("30")
        .arg("virsh")
        .arg("-c")
        .arg(uri)
        .args(args)
        .output()
        .expect("virsh is needed: apt-get install libvirt-clients");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a python3-libvirt script with `URI` set to `uri`; its stdout (stderr on failure).
fn python(script: &str, uri: &str) -> String {
    let out = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .env("URI", uri)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed on {uri}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The test driver's CPU time is the clock: it differs between any two runs.
fn without_cpu_time((code, out, err): (i32, String, String)) -> (i32, String, String) {
    let out = out
        .lines()
        .filter(|l| !l.starts_with("CPU time:"))
        .collect::<Vec<_>>()
        .join("\n");
    (code, out, err)
}

#[test]
fn virsh_over_tls_prints_what_the_test_driver_prints() {
    let pki = Pki::new();
    let (_d, port) = rvirtd_tls(&pki, "server", DN_LIST);
    for host in ["localhost", "127.0.0.1"] {
        let uri = format!(
            "test+tls://{host}:{port}/default?pkipath={}",
            pki.path("client").display()
        );
        for cmd in [
            &["list", "--all"][..],
            &["dominfo", "test"],
            &["domstate", "test"],
            &["nodeinfo"],
            &["hostname"],
            &["dominfo", "nosuchdomain"],
        ] {
            assert_eq!(
                without_cpu_time(virsh(&uri, cmd)),
                without_cpu_time(virsh("test:///default", cmd)),
                "virsh {cmd:?} over {uri}"
            );
        }
    }
}

#[test]
fn python_libvirt_over_tls() {
    let pki = Pki::new();
    let (_d, port) = rvirtd_tls(&pki, "server", "");
    let script = r#"
import os, libvirt
c = libvirt.open(os.environ["URI"])
print(c.getType(), c.getHostname())
print(sorted(d.name() for d in c.listAllDomains(0)))
print(c.lookupByName("test").info()[:4])
d = c.defineXML("<domain type='test'><name>tls1</name><memory>1024</memory><os><type>hvm</type></os></domain>")
d.create()
print(d.info()[:4], d.isActive())
d.destroy(); d.undefine()
print(sorted(d.name() for d in c.listAllDomains(0)))
try:
    c.lookupByName("tls1")
except libvirt.libvirtError as e:
    print(e.get_error_code(), e.get_error_domain(), e.get_error_message())
c.close()
"#;
    assert_eq!(
        python(script, &tls_uri(port, &pki, "client", "")),
        python(script, "test:///default")
    );
}

/// What opening `uri` with python3-libvirt fails with: code, domain, message.
fn python_open_error(uri: &str) -> String {
    python(
        r#"
import os, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
try:
    libvirt.open(os.environ["URI"])
    print("opened")
except libvirt.libvirtError as e:
    print(e.get_error_code(), e.get_error_domain(), e.get_error_message())
"#,
        uri,
    )
}

/// What opening `uri` with rvirt's remote driver fails with, in the same form.
fn rvirt_open_error(uri: &str) -> String {
    match rvirt::blocking::Connect::open(uri) {
        Ok(_) => "opened\n".to_string(),
        Err(e) => format!("{} {} {}\n", e.code.0, e.domain.0, e.message),
    }
}

#[test]
fn rvirt_remote_driver_over_tls_to_libvirtd_and_rvirtd() {
    let pki = Pki::new();
    let (_l, lport) = libvirtd_tls(&pki, DN_LIST);
    let (_d, dport) = rvirtd_tls(&pki, "server", DN_LIST);
    for port in [lport, dport] {
        let c = rvirt::blocking::Connect::open(&tls_uri(port, &pki, "client", "")).unwrap();
        assert_eq!(c.get_type().unwrap(), "TEST");
        let names: Vec<String> = c
            .list_all_domains(Default::default())
            .unwrap()
            .iter()
            .map(|d| d.get_name().to_string())
            .collect();
        assert_eq!(names, ["test"]);
        assert!(!c.get_hostname().unwrap().is_empty());
        drop(c);

        // Refused clients get what python3-libvirt (libvirt's own client) gets.
        for (folder, params) in [("rogue", "&no_sanity=1"), ("intruder", ""), ("nocert", "")] {
            let uri = tls_uri(port, &pki, folder, params);
            let want = python_open_error(&uri);
            assert_ne!(want, "opened\n", "{uri}");
            assert_eq!(rvirt_open_error(&uri), want, "{uri}");
        }
    }
    // Errors found before connecting: missing files, a certificate the CA did not sign.
    for uri in [
        "test+tls://localhost:1/default?pkipath=/nonexistent".to_string(),
        tls_uri(dport, &pki, "rogue", ""),
    ] {
        assert_eq!(rvirt_open_error(&uri), python_open_error(&uri), "{uri}");
    }
}

#[test]
fn refused_clients_see_what_libvirtd_shows_and_others_are_unaffected() {
    let pki = Pki::new();
    let (_l, lport) = libvirtd_tls(&pki, DN_LIST);
    let (d, dport) = rvirtd_tls(&pki, "server", DN_LIST);

    // A well-behaved client keeps calling through everything below, and a client that
    // connects and never starts its handshake sits on the port.
    let good = rvirt::blocking::Connect::open(&tls_uri(dport, &pki, "client", "")).unwrap();
    let silent = std::net::TcpStream::connect(("127.0.0.1", dport)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let caller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut calls = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                good.lookup_by_name("test").unwrap().get_info().unwrap();
                calls += 1;
            }
            calls
        })
    };

    let bad = [
        tls_uri(dport, &pki, "rogue", "&no_sanity=1"),
        tls_uri(dport, &pki, "intruder", ""),
        tls_uri(dport, &pki, "nocert", ""),
        format!("test+tcp://localhost:{dport}/default"),
    ];
    for uri in &bad {
        let theirs = uri.replace(&format!(":{dport}/"), &format!(":{lport}/"));
        let ours = virsh(uri, &["list"]);
        assert_ne!(ours.0, 0, "{uri} was let in");
        assert_eq!(ours, virsh(&theirs, &["list"]), "{uri}");
    }
    // A new good client still gets in while the silent one waits.
    assert_eq!(
        virsh(&tls_uri(dport, &pki, "client", ""), &["domstate", "test"]).1,
        "running\n\n"
    );

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let calls = caller.join().unwrap();
    assert!(calls > 0);
    drop(silent);

    let log = d.log();
    for why in [
        "Certificate check failed Client's Distinguished Name is not on the list of allowed clients",
        "Certificate check failed Unable to verify TLS peer: No certificate was found.",
        "TLS handshake failed An unexpected TLS packet was received.",
    ] {
        assert!(log.contains(why), "rvirtd did not log {why:?}:\n{log}");
    }
}

#[test]
fn the_server_certificate_is_checked_unless_no_verify() {
    let pki = Pki::new();
    // A certificate for another host name.
    let (_d, port) = rvirtd_tls(&pki, "wrongname", "");
    let uri = tls_uri(port, &pki, "client", "");
    let (code, _, err) = virsh(&uri, &["list"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error: authentication failed: Failed to verify peer's certificate"),
        "{err}"
    );
    assert_eq!(rvirt_open_error(&uri), python_open_error(&uri));

    // With no_verify=1 the mismatch is only a warning (which virsh prints on stderr).
    let uri = tls_uri(port, &pki, "client", "&no_verify=1");
    let (code, out, err) = virsh(&uri, &["list", "--all"]);
    let (_, want, _) = virsh("test:///default", &["list", "--all"]);
    assert_eq!((code, out), (0, want));
    assert!(
        err.contains("Certificate check failed Certificate [session] owner does not match the hostname localhost"),
        "{err}"
    );
    assert_eq!(rvirt_open_error(&uri), "opened\n");
}

#[test]
fn a_server_certificate_without_subject_alt_name_is_checked_by_its_common_name() {
    let pki = Pki::new();
    let uri = |port| tls_uri(port, &pki, "client", "");
    // CN=localhost and no subjectAltName: libvirt's clients accept it, and so does rvirt's.
    let (_d, port) = rvirtd_tls(&pki, "cnonly", "");
    assert_eq!(python_open_error(&uri(port)), "opened\n");
    assert_eq!(rvirt_open_error(&uri(port)), "opened\n");
    let (code, out, _) = virsh(&uri(port), &["list", "--all"]);
    let (_, want, _) = virsh("test:///default", &["list", "--all"]);
    assert_eq!((code, out), (0, want));
    // CN of another host: refused by both, with the same error.
    let (_d2, port) = rvirtd_tls(&pki, "cnwrong", "");
    let want = python_open_error(&uri(port));
    assert_ne!(want, "opened\n");
    assert_eq!(rvirt_open_error(&uri(port)), want);
}

#[test]
fn a_revoked_client_certificate_is_refused_as_libvirtd_refuses_it() {
    let pki = Pki::new();
    let crl = format!(
        "crl_file = \"{}\"\n",
        pki.revocation_list("intruder").display()
    );
    // Everyone signed by the CA is allowed by name; only the revocation keeps `intruder` out.
    let (_l, lport) = libvirtd_tls(&pki, &crl);
    let (d, dport) = rvirtd_tls(&pki, "server", &crl);
    for port in [lport, dport] {
        let uri = tls_uri(port, &pki, "client", "");
        assert_eq!(rvirt_open_error(&uri), "opened\n", "{uri}");
    }
    let ours = tls_uri(dport, &pki, "intruder", "");
    let theirs = tls_uri(lport, &pki, "intruder", "");
    let want = virsh(&theirs, &["list"]);
    assert_ne!(want.0, 0, "libvirtd let a revoked client in");
    assert_eq!(virsh(&ours, &["list"]), want);
    assert_eq!(python_open_error(&ours), python_open_error(&theirs));
    assert!(d.log().contains("revoked"), "{}", d.log());
}

#[test]
fn client_certificates_are_optional_with_tls_no_verify_certificate() {
    let pki = Pki::new();
    let (_d, port) = rvirtd_tls(&pki, "server", "tls_no_verify_certificate = 1\n");
    for folder in ["nocert", "rogue"] {
        let uri = tls_uri(port, &pki, folder, "&no_sanity=1");
        assert_eq!(rvirt_open_error(&uri), "opened\n", "{uri}");
        assert_eq!(virsh(&uri, &["domstate", "test"]).1, "running\n\n");
    }
}

/// Runs rvirtd with `config` and `--listen`; its exit code and stderr. A daemon that starts
/// anyway exits by itself after a second without clients.
fn rvirtd_startup(config: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("rvirtd.conf");
    std::fs::write(
        &conf,
        format!(
            "unix_sock_dir = \"{}\"\n{config}",
            dir.path().join("sock").display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rvirtd"))
        .args(["-f", conf.to_str().unwrap(), "--listen", "--timeout", "1"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn startup_fails_naming_the_file_that_is_wrong() {
    let pki = Pki::new();
    let port = pki::free_port();
    let server = pki.path("server");
    let files = |ca: &str, cert: &str, key: &str| {
        format!(
            "{}ca_file = \"{ca}\"\ncert_file = \"{cert}\"\nkey_file = \"{key}\"\n",
            listen_lines(port)
        )
    };
    let ca = server.join("cacert.pem").display().to_string();
    let cert = server.join("servercert.pem").display().to_string();
    let key = server.join("serverkey.pem").display().to_string();
    let other_ca = pki.dir.path().join("othercert.pem").display().to_string();

    let cases = [
        (
            files("/nonexistent/cacert.pem", &cert, &key),
            "Cannot read CA certificate '/nonexistent/cacert.pem': No such file or directory"
                .to_string(),
        ),
        (
            files(&ca, "/nonexistent/servercert.pem", &key),
            "Cannot read certificate '/nonexistent/servercert.pem': No such file or directory"
                .to_string(),
        ),
        (
            files(&ca, &cert, "/nonexistent/serverkey.pem"),
            "Cannot read private key '/nonexistent/serverkey.pem': No such file or directory"
                .to_string(),
        ),
        (
            files(&other_ca, &cert, &key),
            format!(
                "Our own certificate {cert} failed validation against {other_ca}: \
                 The certificate hasn't got a known issuer."
            ),
        ),
        (
            format!("{}cert_file = \"{cert}\"\n", listen_lines(port)),
            "No CA certificate path set to match server key/cert".to_string(),
        ),
    ];
    for (config, want) in cases {
        let (code, err) = rvirtd_startup(&config);
        assert_eq!(code, 1, "{config}: {err}");
        assert!(
            err.contains(&want),
            "{config}\nwanted {want:?}, got {err:?}"
        );
    }

    // The same broken files without --listen's TLS: listen_tls alone listens on nothing and
    // needs no files (as libvirtd without --listen).
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("rvirtd.conf");
    std::fs::write(
        &conf,
        format!(
            "unix_sock_dir = \"{}\"\n{}",
            dir.path().join("sock").display(),
            files("/nonexistent/cacert.pem", &cert, &key)
        ),
    )
    .unwrap();
    rvirt_testsupport::output_ok(Command::new(env!("CARGO_BIN_EXE_rvirtd")).args([
        "-f",
        conf.to_str().unwrap(),
        "--timeout",
        "1",
    ]));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
