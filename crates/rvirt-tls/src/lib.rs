//! libvirt's TLS layer, for rvirtd's TLS listener and rvirt's remote driver (`+tls` URIs).
//!
//! libvirt (`src/rpc/virnettlscontext.c`, `virnetserverclient.c`, `virnetclient.c`) runs an
//! ordinary TLS handshake in which the server asks for, but does not demand, a client
//! certificate. Only after the handshake does each side check its peer itself: the certificate
//! chain against the CA file, the validity times, the purpose, the server's host name (on the
//! client) and the client's distinguished name against `tls_allowed_dn_list` (on the server). A
//! server that is satisfied sends one byte, `\1`, inside the TLS stream; one that is not closes
//! the connection. The client waits for that byte before its first call.
//!
//! rustls does the handshake here, with verifiers that check the handshake signatures (so a peer
//! proves it holds the key of the certificate it shows) but leave the certificate checks to the
//! step after the handshake, where they are made with rustls's own WebPKI verifiers and
//! reported with libvirt's words. `tls_no_verify_certificate` (server) and `no_verify=1`
//! (client) make a failed check a log line instead of a refusal, as in libvirt.

pub mod client;
pub mod dn;
pub mod pki;
pub mod server;

pub use client::{ClientContext, ClientOptions};
pub use pki::{Locations, Role};
pub use server::{Refusal, ServerContext, ServerOptions};

use rustls::CertificateError;
use std::sync::Arc;

/// The byte a server sends once it accepts a client's certificate.
pub const CONFIRMATION: u8 = 1;

/// The crypto provider every context uses.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A root store holding the CA file's certificates, or libvirt's error naming the file.
fn root_store(
    path: &std::path::Path,
    certs: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> rvirt_types::Result<Arc<rustls::RootCertStore>> {
    let mut roots = rustls::RootCertStore::empty();
    for c in certs {
        roots.add(c).map_err(|e| {
            pki::tls_error(format!(
                "Unable to set x509 CA certificate: {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(Arc::new(roots))
}

/// Which end's certificate a check is about, for the wording of its failure.
#[derive(Clone, Copy)]
enum Whose {
    Client,
    Server,
}

impl Whose {
    fn name(self) -> &'static str {
        match self {
            Whose::Client => "client",
            Whose::Server => "server",
        }
    }
}

/// Why a certificate failed a check, in libvirt's words. `file` names the certificate
/// (`[session]` for a peer's, as libvirt puts it).
fn describe(e: &rustls::Error, whose: Whose, file: &str) -> String {
    let who = whose.name();
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("The {who} certificate {file} has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("The {who} certificate {file} is not yet active")
            }
            CertificateError::UnknownIssuer => {
                "Certificate failed validation: The certificate hasn't got a known issuer.".into()
            }
            CertificateError::Revoked => {
                "Certificate failed validation: The certificate has been revoked.".into()
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                format!("Certificate {file} purpose does not allow use for with a TLS {who}")
            }
            other => format!(
                "Certificate failed validation: The certificate is not trusted. ({other:?})"
            ),
        },
        other => format!("Certificate failed validation: {other}"),
    }
}

/// Whether an error is only a host-name mismatch (the chain itself was good).
fn is_name_mismatch(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}
