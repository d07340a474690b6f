//! The daemon's end: the TLS context built from the pki files, and accepting one client
//! (handshake, libvirt's checks of the client certificate, the confirmation byte).

use crate::pki::{self, Locations, Role};
use crate::{CONFIRMATION, Whose, describe, dn, is_name_mismatch, provider, root_store};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rvirt_types::Result;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_rustls::server::TlsStream;
use tracing::{debug, info, warn};

/// What the daemon's configuration says about client certificates.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Refuse clients whose certificate fails the checks (libvirtd's default;
    /// `tls_no_verify_certificate = 1` turns it off).
    pub require_valid_cert: bool,
    /// `tls_allowed_dn_list`: patterns of the client distinguished names let in; `None` lets
    /// in every name (an empty list lets in none).
    pub allowed_dns: Option<Vec<String>>,
    /// Check the daemon's own certificate against the CA at startup (libvirtd's default;
    /// `tls_no_sanity_certificate = 1` turns it off).
    pub sanity_check: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            require_valid_cert: true,
            allowed_dns: None,
            sanity_check: true,
        }
    }
}

/// Why a client was not let in; for the log.
#[derive(Debug)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// Asks for a client certificate, checks the handshake's signatures with it, and leaves the
/// checks of the certificate itself to [`ServerContext::accept`] after the handshake, as
/// libvirt does (`GNUTLS_CERT_REQUEST`, then `virNetTLSContextCheckCertificate`).
#[derive(Debug)]
struct CheckedLater(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for CheckedLater {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> std::result::Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The daemon's TLS context: its certificate and key, the CA, and what to require of clients.
pub struct ServerContext {
    config: Arc<ServerConfig>,
    verifier: Arc<dyn ClientCertVerifier>,
    options: ServerOptions,
}

impl std::fmt::Debug for ServerContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerContext")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ServerContext {
    /// Reads the files `loc` names. A missing or unreadable file is an error naming it
    /// (`Cannot read CA certificate '/etc/pki/CA/cacert.pem': No such file or directory`).
    pub fn new(loc: &Locations, options: ServerOptions) -> Result<ServerContext> {
        let ca = pki::read_ca(&loc.cacert)?;
        let crls = pki::read_crls(loc.cacrl.as_deref())?;
        let Some(identity) = pki::read_identity(loc, Role::Server)? else {
            // read_identity always has an answer for a server.
            return Err(pki::tls_error("no server certificate"));
        };
        let roots = root_store(&loc.cacert, ca)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
            .with_crls(crls.clone())
            .build()
            .map_err(|e| {
                pki::tls_error(format!(
                    "Unable to set x509 CA certificate: {}: {e}",
                    loc.cacert.display()
                ))
            })?;
        if options.sanity_check {
            sanity_check_server(&identity.chain, roots, crls, loc)?;
        }
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| pki::tls_error(format!("Failed to set TLS session priority: {e}")))?
            .with_client_cert_verifier(Arc::new(CheckedLater(verifier.clone())))
            .with_single_cert(identity.chain, identity.key)
            .map_err(|e| {
                pki::tls_error(format!(
                    "Unable to set x509 key and certificate: {}, {}: {e}",
                    loc.key.display(),
                    loc.cert.display()
                ))
            })?;
        // No session tickets: libvirt never resumes a session, and a ticket arriving on its own
        // after the handshake wakes libvirt's client, which then reads no confirmation byte
        // (EAGAIN) and gives up.
        config.send_tls13_tickets = 0;
        Ok(ServerContext {
            config: Arc::new(config),
            verifier,
            options,
        })
    }

    /// Runs the handshake on `stream`, checks the client's certificate and name as libvirt
    /// does, and sends the confirmation byte. Returns the stream, ready for RPC, and the
    /// client's distinguished name when it showed a certificate.
    pub async fn accept<S>(
        &self,
        stream: S,
    ) -> std::result::Result<(TlsStream<S>, Option<String>), Refusal>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let acceptor = tokio_rustls::TlsAcceptor::from(self.config.clone());
        let mut tls = acceptor
            .accept(stream)
            .await
            .map_err(|e| Refusal(format!("TLS handshake failed {e}")))?;
        let (_, conn) = tls.get_ref();
        let dname = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| dn::subject_dn(c));
        if let Err(reason) = self.check(conn.peer_certificates()) {
            if self.options.require_valid_cert {
                return Err(Refusal(format!("Certificate check failed {reason}")));
            }
            warn!("Certificate check failed {reason}; ignoring bad certificate at user request");
        }
        tls.write_all(&[CONFIRMATION])
            .await
            .map_err(|e| Refusal(format!("cannot send the TLS confirmation: {e}")))?;
        tls.flush()
            .await
            .map_err(|e| Refusal(format!("cannot send the TLS confirmation: {e}")))?;
        Ok((tls, dname))
    }

    /// `virNetTLSContextValidCertificate` on the server: the chain, the times, the purpose, and
    /// the name against `tls_allowed_dn_list`.
    fn check(&self, certs: Option<&[CertificateDer<'static>]>) -> std::result::Result<(), String> {
        let Some((end_entity, intermediates)) = certs.and_then(|c| c.split_first()) else {
            return Err("Unable to verify TLS peer: No certificate was found.".into());
        };
        self.verifier
            .verify_client_cert(end_entity, intermediates, UnixTime::now())
            .map_err(|e| describe(&e, Whose::Client, "[session]"))?;
        let dname = dn::subject_dn(end_entity).ok_or_else(|| {
            "Failed to get certificate [session] distinguished name: cannot read the subject"
                .to_string()
        })?;
        debug!("Peer DN is {dname}");
        if let Some(patterns) = &self.options.allowed_dns
            && !dn::allowed(&dname, patterns)
        {
            info!("Failed ACL check for client DN '{dname}'");
            return Err(
                "Client's Distinguished Name is not on the list of allowed clients \
                 (tls_allowed_dn_list).  Use 'virt-pki-query-dn clientcert.pem' to view the \
                 Distinguished Name field in the client certificate, or run this daemon with \
                 --verbose option."
                    .into(),
            );
        }
        Ok(())
    }
}

/// `virNetTLSContextSanityCheckCredentials` for the daemon: its own certificate must be valid
/// now, fit for a TLS server and signed by the CA.
fn sanity_check_server(
    chain: &[CertificateDer<'static>],
    roots: Arc<rustls::RootCertStore>,
    crls: Vec<rustls::pki_types::CertificateRevocationListDer<'static>>,
    loc: &Locations,
) -> Result<()> {
    let Some((cert, intermediates)) = chain.split_first() else {
        return Ok(());
    };
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider())
        .with_crls(crls)
        .build()
        .map_err(|e| pki::tls_error(format!("{}: {e}", loc.cacert.display())))?;
    // The host name is the client's business: any name will do here, and a mismatch (reported
    // only once the chain is good) is not a failure.
    let any_name = ServerName::try_from("localhost").map_err(|e| pki::tls_error(e.to_string()))?;
    match rustls::client::danger::ServerCertVerifier::verify_server_cert(
        verifier.as_ref(),
        cert,
        intermediates,
        &any_name,
        &[],
        UnixTime::now(),
    ) {
        Ok(_) => Ok(()),
        Err(e) if is_name_mismatch(&e) => Ok(()),
        Err(e) => Err(pki::tls_error(own_certificate_failure(
            &e,
            Whose::Server,
            loc,
        ))),
    }
}

/// libvirt's words for its own certificate failing the startup check.
pub(crate) fn own_certificate_failure(e: &rustls::Error, whose: Whose, loc: &Locations) -> String {
    let file = loc.cert.display().to_string();
    match e {
        rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
            | rustls::CertificateError::Revoked
            | rustls::CertificateError::BadSignature,
        ) => {
            let reason = describe(e, whose, &file);
            let reason = reason
                .strip_prefix("Certificate failed validation: ")
                .unwrap_or(&reason);
            format!(
                "Our own certificate {file} failed validation against {}: {reason}",
                loc.cacert.display()
            )
        }
        _ => describe(e, whose, &file),
    }
}
