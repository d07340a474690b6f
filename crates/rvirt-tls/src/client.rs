//! The client's end: the TLS context built from the pki files, and opening one session
//! (handshake, libvirt's checks of the server certificate, waiting for the confirmation byte).

use crate::pki::{self, Locations, Role};
use crate::server::own_certificate_failure;
use crate::{CONFIRMATION, Whose, describe, is_name_mismatch, provider, root_store};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tracing::{info, warn};

/// What the URI says about checking the server.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Refuse a server whose certificate fails the checks (`no_verify=1` turns it off).
    pub require_valid_cert: bool,
    /// Check the client's own certificate against the CA first (`no_sanity=1` turns it off).
    pub sanity_check: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            require_valid_cert: true,
            sanity_check: true,
        }
    }
}

/// Checks the handshake's signatures with the server's certificate and leaves the checks of
/// the certificate itself to [`ClientContext::connect`] after the handshake, as libvirt does.
#[derive(Debug)]
struct CheckedLater(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for CheckedLater {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
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

/// A client's TLS context: the CA, the client's certificate and key if it has them, and
/// whether to insist on a valid server certificate.
pub struct ClientContext {
    config: Arc<ClientConfig>,
    verifier: Arc<WebPkiServerVerifier>,
    options: ClientOptions,
}

impl std::fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientContext")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn auth_failed(detail: &str) -> Error {
    Error::with_detail(ErrorDomain::RPC, ErrorNumber::AUTH_FAILED, detail)
}

impl ClientContext {
    /// Reads the files `loc` names: the CA certificate must exist
    /// (`Cannot read CA certificate '…': No such file or directory`); without a certificate and
    /// key the client connects without one.
    pub fn new(loc: &Locations, options: ClientOptions) -> Result<ClientContext> {
        let ca = pki::read_ca(&loc.cacert)?;
        let crls = pki::read_crls(loc.cacrl.as_deref())?;
        let identity = pki::read_identity(loc, Role::Client)?;
        let roots = root_store(&loc.cacert, ca)?;
        let verifier = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider())
            .with_crls(crls.clone())
            .build()
            .map_err(|e| {
                pki::tls_error(format!(
                    "Unable to set x509 CA certificate: {}: {e}",
                    loc.cacert.display()
                ))
            })?;
        if options.sanity_check
            && let Some(id) = &identity
            && let Some((cert, intermediates)) = id.chain.split_first()
        {
            // The client's own certificate must be one the server could accept.
            let own = WebPkiClientVerifier::builder_with_provider(roots, provider())
                .with_crls(crls)
                .build()
                .map_err(|e| pki::tls_error(format!("{}: {e}", loc.cacert.display())))?;
            own.verify_client_cert(cert, intermediates, UnixTime::now())
                .map_err(|e| pki::tls_error(own_certificate_failure(&e, Whose::Client, loc)))?;
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| pki::tls_error(format!("Failed to set TLS session priority: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(CheckedLater(verifier.clone())));
        let mut config = match identity {
            Some(id) => builder
                .with_client_auth_cert(id.chain, id.key)
                .map_err(|e| {
                    pki::tls_error(format!(
                        "Unable to set x509 key and certificate: {}, {}: {e}",
                        loc.key.display(),
                        loc.cert.display()
                    ))
                })?,
            None => builder.with_no_client_auth(),
        };
        // libvirt's client names no server in its hello.
        config.enable_sni = false;
        Ok(ClientContext {
            config: Arc::new(config),
            verifier,
            options,
        })
    }

    /// Runs the handshake with the server at `hostname` on `stream`, checks its certificate
    /// (chain, times, purpose, host name) and waits for the server's confirmation that it
    /// accepted this client.
    pub async fn connect<S>(&self, stream: S, hostname: &str) -> Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(hostname.to_string()).ok();
        // The name in the handshake only matters for SNI, which is off.
        let handshake_name = name
            .clone()
            .unwrap_or_else(|| ServerName::from(std::net::Ipv4Addr::LOCALHOST));
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        let mut tls = connector
            .connect(handshake_name, stream)
            .await
            .map_err(|e| auth_failed(&format!("TLS handshake failed {e}")))?;
        let (_, conn) = tls.get_ref();
        if let Err(reason) = self.check(conn.peer_certificates(), name.as_ref(), hostname) {
            warn!("Certificate check failed {reason}");
            if self.options.require_valid_cert {
                return Err(auth_failed("Failed to verify peer's certificate"));
            }
            info!("Ignoring bad certificate at user request");
        }
        let mut byte = [0u8; 1];
        match tls.read(&mut byte).await {
            Ok(1) if byte[0] == CONFIRMATION => Ok(tls),
            Ok(_) => Err(Error::with_detail(
                ErrorDomain::RPC,
                ErrorNumber::RPC,
                "server verification (of our certificate or IP address) failed",
            )),
            // A TLS failure is EIO to libvirt, whatever gnutls saw.
            Err(_) => Err(Error::system(
                ErrorDomain::RPC,
                "Unable to read TLS confirmation",
                &std::io::Error::from_raw_os_error(libc_eio()),
            )),
        }
    }

    /// `virNetTLSContextValidCertificate` on the client: the chain, the times, the purpose and
    /// the host name.
    fn check(
        &self,
        certs: Option<&[CertificateDer<'static>]>,
        name: Option<&ServerName<'static>>,
        hostname: &str,
    ) -> std::result::Result<(), String> {
        let Some((end_entity, intermediates)) = certs.and_then(|c| c.split_first()) else {
            return Err("Unable to verify TLS peer: No certificate was found.".into());
        };
        let mismatch =
            || format!("Certificate [session] owner does not match the hostname {hostname}");
        let Some(name) = name else {
            return Err(mismatch());
        };
        match self.verifier.verify_server_cert(
            end_entity,
            intermediates,
            name,
            &[],
            UnixTime::now(),
        ) {
            Ok(_) => Ok(()),
            // The chain is good; a certificate without subjectAltName may still name the host
            // in its common name, which gnutls accepts and webpki does not look at.
            Err(e) if is_name_mismatch(&e) => {
                let names = crate::dn::fallback_common_names(end_entity);
                if names
                    .iter()
                    .any(|n| crate::dn::host_name_matches(n, hostname))
                {
                    Ok(())
                } else {
                    Err(mismatch())
                }
            }
            Err(e) => Err(describe(&e, Whose::Server, "[session]")),
        }
    }
}

/// `EIO`, the errno libvirt's TLS layer reports for any TLS failure.
fn libc_eio() -> i32 {
    5
}
