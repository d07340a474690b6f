//! x509 files for TLS tests, made at test time with the `openssl` command (Debian's `openssl`
//! package) and laid out as libvirt's `pkipath` folders.

use rvirt_testsupport::x509::{self, CLIENT_EXT, SERVER_EXT_NO_SAN, server_ext};
use std::path::PathBuf;

/// The distinguished name of the well-behaved client, as libvirt prints it.
pub const CLIENT_DN: &str = "C=GB,ST=London,L=London,O=Libvirt Project,CN=client";

/// A temporary CA with a server and several clients.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    /// Makes two CAs (`ca`, and `other` that the daemons do not trust) and these folders:
    /// `server` (the CA, and a server certificate for `localhost` and `127.0.0.1`),
    /// `wrongname` (a server certificate for another host), `cnonly` and `cnwrong` (server
    /// certificates without subjectAltName, `CN=localhost` and another host), `client` ([`CLIENT_DN`]),
    /// `intruder` (same CA, `CN=intruder`), `rogue` (signed by `other`, same name as `client`)
    /// and `nocert` (the CA only).
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for ca in ["ca", "other"] {
            x509::ca(d, ca, &format!("/O=rvirt tests/CN={ca} CA"));
        }
        let leaf = |ca: &str, name: &str, subj: &str, ext: &str| x509::leaf(d, ca, name, subj, ext);
        leaf(
            "ca",
            "server",
            "/O=rvirt tests/CN=localhost",
            &server_ext("DNS:localhost,IP:127.0.0.1"),
        );
        leaf(
            "ca",
            "wrongname",
            "/O=rvirt tests/CN=elsewhere.example",
            &server_ext("DNS:elsewhere.example"),
        );
        leaf(
            "ca",
            "cnonly",
            "/O=rvirt tests/CN=localhost",
            SERVER_EXT_NO_SAN,
        );
        leaf(
            "ca",
            "cnwrong",
            "/O=rvirt tests/CN=elsewhere.example",
            SERVER_EXT_NO_SAN,
        );
        leaf(
            "ca",
            "client",
            "/C=GB/ST=London/L=London/O=Libvirt Project/CN=client",
            CLIENT_EXT,
        );
        leaf(
            "ca",
            "intruder",
            "/C=GB/ST=London/L=London/O=Libvirt Project/CN=intruder",
            CLIENT_EXT,
        );
        leaf(
            "other",
            "rogue",
            "/C=GB/ST=London/L=London/O=Libvirt Project/CN=client",
            CLIENT_EXT,
        );

        let layout = |folder: &str, files: &[(&str, &str)]| {
            let f = d.join(folder);
            std::fs::create_dir(&f).unwrap();
            std::fs::copy(d.join("cacert.pem"), f.join("cacert.pem")).unwrap();
            for (from, to) in files {
                std::fs::copy(d.join(from), f.join(to)).unwrap();
            }
        };
        layout(
            "server",
            &[
                ("servercert.pem", "servercert.pem"),
                ("serverkey.pem", "serverkey.pem"),
            ],
        );
        for server in ["wrongname", "cnonly", "cnwrong"] {
            layout(
                server,
                &[
                    (&format!("{server}cert.pem"), "servercert.pem"),
                    (&format!("{server}key.pem"), "serverkey.pem"),
                ],
            );
        }
        for who in ["client", "intruder", "rogue"] {
            layout(
                who,
                &[
                    (&format!("{who}cert.pem"), "clientcert.pem"),
                    (&format!("{who}key.pem"), "clientkey.pem"),
                ],
            );
        }
        layout("nocert", &[]);
        Pki { dir }
    }

    /// A pkipath folder made by [`Pki::new`].
    pub fn path(&self, folder: &str) -> PathBuf {
        self.dir.path().join(folder)
    }

    /// Makes a revocation list from `ca` that revokes the certificate of `who` (a name given
    /// to [`Pki::new`]'s certificates, e.g. `intruder`) and returns its path.
    pub fn revocation_list(&self, who: &str) -> PathBuf {
        let d = self.dir.path();
        let db = d.join(format!("crl-{who}"));
        std::fs::create_dir(&db).unwrap();
        std::fs::write(db.join("index.txt"), "").unwrap();
        std::fs::write(db.join("crlnumber"), "01\n").unwrap();
        let conf = format!(
            "[ca]\ndefault_ca = rvirt\n[rvirt]\ndatabase = {0}/index.txt\n\
             crlnumber = {0}/crlnumber\ncertificate = {1}/cacert.pem\n\
             private_key = {1}/cakey.pem\ndefault_md = sha256\ndefault_crl_days = 2\n",
            db.display(),
            d.display()
        );
        std::fs::write(db.join("ca.cnf"), conf).unwrap();
        let cnf = db.join("ca.cnf").display().to_string();
        x509::openssl(
            d,
            &["ca", "-config", &cnf, "-revoke", &format!("{who}cert.pem")],
        );
        let out = db.join("cacrl.pem").display().to_string();
        x509::openssl(d, &["ca", "-config", &cnf, "-gencrl", "-out", &out]);
        db.join("cacrl.pem")
    }

    /// Config lines giving a daemon the files of `folder` (`server` or `wrongname`).
    pub fn server_config(&self, folder: &str) -> String {
        let f = self.path(folder);
        format!(
            "ca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
            f.join("cacert.pem").display(),
            f.join("servercert.pem").display(),
            f.join("serverkey.pem").display()
        )
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16) {
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "nothing listens on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
