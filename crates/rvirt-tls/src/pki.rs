//! Where libvirt keeps its x509 files, and reading them with libvirt's errors.
//!
//! The layout is libvirt's (`virNetTLSContextLocateCredentials`): an explicit `pkipath` folder
//! holds `cacert.pem`, `cacrl.pem`, `clientcert.pem`/`clientkey.pem` (or `servercert.pem`/
//! `serverkey.pem`) whether they exist or not; otherwise an unprivileged process first looks in
//! `$HOME/.pki/libvirt`, file by file, and falls back to the system-wide defaults below.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::{Path, PathBuf};

/// The CA certificate every peer is checked against.
pub const CACERT: &str = "/etc/pki/CA/cacert.pem";
/// The CA's certificate revocation list, used when it exists.
pub const CACRL: &str = "/etc/pki/CA/cacrl.pem";
/// The daemon's certificate.
pub const SERVERCERT: &str = "/etc/pki/libvirt/servercert.pem";
/// The daemon's private key.
pub const SERVERKEY: &str = "/etc/pki/libvirt/private/serverkey.pem";
/// A client's certificate.
pub const CLIENTCERT: &str = "/etc/pki/libvirt/clientcert.pem";
/// A client's private key.
pub const CLIENTKEY: &str = "/etc/pki/libvirt/private/clientkey.pem";

/// Which end of the connection the files are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The daemon: its certificate and key must exist.
    Server,
    /// A client: without a certificate it connects anonymously (and a server that verifies
    /// clients refuses it).
    Client,
}

/// The four files of one end of a TLS connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locations {
    /// The CA certificate(s).
    pub cacert: PathBuf,
    /// The CA's revocation list, used if the file exists; `None` for none.
    pub cacrl: Option<PathBuf>,
    /// This end's certificate.
    pub cert: PathBuf,
    /// This end's private key.
    pub key: PathBuf,
}

impl Locations {
    /// libvirt's choice of files: everything in `pkipath` when given; else, when `user_home` is
    /// given (an unprivileged process), whichever of `HOME/.pki/libvirt/{cacert,cacrl}.pem`
    /// exist and the certificate and key there if both exist; the system-wide defaults for the
    /// rest.
    pub fn locate(pkipath: Option<&Path>, user_home: Option<&Path>, role: Role) -> Locations {
        let (cert_name, key_name) = match role {
            Role::Server => ("servercert.pem", "serverkey.pem"),
            Role::Client => ("clientcert.pem", "clientkey.pem"),
        };
        let (default_cert, default_key) = match role {
            Role::Server => (SERVERCERT, SERVERKEY),
            Role::Client => (CLIENTCERT, CLIENTKEY),
        };
        if let Some(dir) = pkipath {
            return Locations {
                cacert: dir.join("cacert.pem"),
                cacrl: Some(dir.join("cacrl.pem")),
                cert: dir.join(cert_name),
                key: dir.join(key_name),
            };
        }
        let mut out = Locations {
            cacert: PathBuf::from(CACERT),
            cacrl: Some(PathBuf::from(CACRL)),
            cert: PathBuf::from(default_cert),
            key: PathBuf::from(default_key),
        };
        if let Some(home) = user_home {
            let dir = home.join(".pki/libvirt");
            let exists = |p: &Path| p.exists();
            if exists(&dir.join("cacert.pem")) {
                out.cacert = dir.join("cacert.pem");
            }
            if exists(&dir.join("cacrl.pem")) {
                out.cacrl = Some(dir.join("cacrl.pem"));
            }
            // The certificate and key go together.
            if exists(&dir.join(cert_name)) && exists(&dir.join(key_name)) {
                out.cert = dir.join(cert_name);
                out.key = dir.join(key_name);
            }
        }
        out
    }

    /// Explicit files, as libvirtd's `ca_file`, `cert_file`, `key_file` and `crl_file` give
    /// them.
    pub fn explicit(cacert: &Path, cacrl: Option<&Path>, cert: &Path, key: &Path) -> Locations {
        Locations {
            cacert: cacert.to_path_buf(),
            cacrl: cacrl.map(Path::to_path_buf),
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        }
    }
}

/// The home folder whose `.pki/libvirt` libvirt tries first, as its `tryUserPkiPath`: `$HOME`
/// for a process not running as root, `None` for root.
pub fn unprivileged_home() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid == 0 {
        return None;
    }
    std::env::var_os("HOME").map(PathBuf::from)
}

/// A system error in the RPC domain, as libvirt's TLS code raises them.
pub(crate) fn tls_error(message: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::RPC, ErrorNumber::SYSTEM_ERROR, message)
}

/// Reads a whole file, or libvirt's `Cannot read TYPE 'FILE': REASON`.
fn read(kind: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::system(
            ErrorDomain::RPC,
            format!("Cannot read {kind} '{}'", path.display()),
            &e,
        )
    })
}

/// The CA certificates in `path` (PEM, one or more).
pub fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read("CA certificate", path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            tls_error(format!(
                "Unable to set x509 CA certificate: {}: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(tls_error(format!(
            "Unable to set x509 CA certificate: {}: no PEM certificate in the file",
            path.display()
        )));
    }
    Ok(certs)
}

/// The revocation lists in `path`, or none when there is no such file.
pub fn read_crls(path: Option<&Path>) -> Result<Vec<CertificateRevocationListDer<'static>>> {
    let Some(path) = path.filter(|p| p.exists()) else {
        return Ok(Vec::new());
    };
    let pem = read("CA revocation list", path)?;
    CertificateRevocationListDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            tls_error(format!(
                "Unable to set x509 certificate revocation list: {}: {e}",
                path.display()
            ))
        })
}

/// A certificate chain and its private key.
pub struct Identity {
    /// The certificate first, then any intermediates in the same file.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Identity")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// This end's certificate and key. A server must have both; a client without either connects
/// without a certificate (`None`), as libvirt's does.
pub fn read_identity(loc: &Locations, role: Role) -> Result<Option<Identity>> {
    if role == Role::Client && (!loc.cert.exists() || !loc.key.exists()) {
        return Ok(None);
    }
    let cert_pem = read("certificate", &loc.cert)?;
    let key_pem = read("private key", &loc.key)?;
    let bad = |why: String| {
        tls_error(format!(
            "Unable to set x509 key and certificate: {}, {}: {why}",
            loc.key.display(),
            loc.cert.display()
        ))
    };
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if chain.is_empty() {
        return Err(bad("no PEM certificate in the certificate file".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| bad(format!("no usable PEM private key in the key file ({e})")))?;
    Ok(Some(Identity { chain, key }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pkipath_names_every_file_whether_it_exists_or_not() {
        let l = Locations::locate(Some(Path::new("/p")), None, Role::Client);
        assert_eq!(l.cacert, Path::new("/p/cacert.pem"));
        assert_eq!(l.cacrl.as_deref(), Some(Path::new("/p/cacrl.pem")));
        assert_eq!(l.cert, Path::new("/p/clientcert.pem"));
        assert_eq!(l.key, Path::new("/p/clientkey.pem"));
        let l = Locations::locate(Some(Path::new("/p")), None, Role::Server);
        assert_eq!(l.cert, Path::new("/p/servercert.pem"));
        assert_eq!(l.key, Path::new("/p/serverkey.pem"));
    }

    #[test]
    fn defaults_and_the_users_own_pki_folder() {
        let l = Locations::locate(None, None, Role::Server);
        assert_eq!(l.cacert, Path::new(CACERT));
        assert_eq!(l.cert, Path::new(SERVERCERT));
        assert_eq!(l.key, Path::new(SERVERKEY));

        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".pki/libvirt");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cacert.pem"), "x").unwrap();
        std::fs::write(dir.join("clientcert.pem"), "x").unwrap();
        // No key: the certificate alone is not taken.
        let l = Locations::locate(None, Some(home.path()), Role::Client);
        assert_eq!(l.cacert, dir.join("cacert.pem"));
        assert_eq!(l.cacrl.as_deref(), Some(Path::new(CACRL)));
        assert_eq!(l.cert, Path::new(CLIENTCERT));
        std::fs::write(dir.join("clientkey.pem"), "x").unwrap();
        let l = Locations::locate(None, Some(home.path()), Role::Client);
        assert_eq!(l.cert, dir.join("clientcert.pem"));
        assert_eq!(l.key, dir.join("clientkey.pem"));
    }

    #[test]
    fn missing_files_are_named_as_libvirt_names_them() {
        let e = read_ca(Path::new("/nonexistent/cacert.pem")).unwrap_err();
        assert_eq!(
            e.message,
            "Cannot read CA certificate '/nonexistent/cacert.pem': No such file or directory"
        );
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
        assert_eq!(e.domain, ErrorDomain::RPC);

        let l = Locations::locate(Some(Path::new("/nonexistent")), None, Role::Server);
        let e = read_identity(&l, Role::Server).unwrap_err();
        assert_eq!(
            e.message,
            "Cannot read certificate '/nonexistent/servercert.pem': No such file or directory"
        );
        assert!(read_identity(&l, Role::Client).unwrap().is_none());
        assert!(read_crls(l.cacrl.as_deref()).unwrap().is_empty());
    }

    #[test]
    fn garbage_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cacert.pem");
        std::fs::write(&p, "not a certificate").unwrap();
        let e = read_ca(&p).unwrap_err();
        assert!(e.message.contains(&*p.to_string_lossy()), "{}", e.message);
        assert!(e.message.starts_with("Unable to set x509 CA certificate"));
    }
}
