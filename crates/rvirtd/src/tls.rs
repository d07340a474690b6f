//! The TLS listener's side of a client: the context built from the configuration (libvirtd's
//! rules for `ca_file`, `cert_file`, `key_file` and the pki layout) and each client's handshake
//! and certificate check before its session starts.

use crate::config::Config;
use crate::server::{ServerError, Shared};
use rvirt_tls::{Locations, Refusal, Role, ServerContext, ServerOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tracing::{info, warn};

/// How long a client may take over the handshake and the certificate check. libvirtd has no
/// limit; one here keeps a silent client from holding a client slot forever.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(30);

/// The pki files the configuration names: all three of `ca_file`, `cert_file` and `key_file`
/// (an error, worded as libvirtd words it, if only some are set), or libvirt's layout, with
/// `$HOME/.pki/libvirt` tried first when the daemon does not run as root.
pub(crate) fn locations(config: &Config) -> Result<Locations, ServerError> {
    let missing = |what: &str| Err(ServerError(what.to_string()));
    match (&config.ca_file, &config.cert_file, &config.key_file) {
        (None, None, None) => Ok(Locations::locate(
            None,
            rvirt_tls::pki::unprivileged_home().as_deref(),
            Role::Server,
        )),
        (None, _, _) => missing("No CA certificate path set to match server key/cert"),
        (_, None, _) => missing("No server certificate path set to match server key"),
        (_, _, None) => missing("No server key path set to match server cert"),
        (Some(ca), Some(cert), Some(key)) => Ok(Locations::explicit(
            ca,
            config.crl_file.as_deref(),
            cert,
            key,
        )),
    }
}

/// The daemon's TLS context; a missing or unreadable file is an error that names it.
pub(crate) fn context(config: &Config) -> Result<Arc<ServerContext>, ServerError> {
    let loc = locations(config)?;
    let options = ServerOptions {
        require_valid_cert: !config.tls_no_verify_certificate,
        allowed_dns: config.tls_allowed_dn_list.clone(),
        sanity_check: !config.tls_no_sanity_certificate,
    };
    ServerContext::new(&loc, options)
        .map(Arc::new)
        .map_err(|e| ServerError(e.message))
}

/// The handshake, libvirt's checks of the client's certificate and the confirmation byte. A
/// client that fails them is logged and dropped (`None`); the daemon's shutdown cuts the wait.
pub(crate) async fn handshake(
    ctx: &ServerContext,
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let mut shutdown = shared.shutdown.clone();
    let outcome = tokio::select! {
        o = tokio::time::timeout(HANDSHAKE_DEADLINE, async {
            not_tls(&stream).await?;
            ctx.accept(stream).await
        }) => o,
        _ = shutdown.wait_for(|&down| down) => return None,
    };
    match outcome {
        Ok(Ok((tls, dn))) => {
            info!(
                "TLS client {peer} accepted ({})",
                dn.as_deref().unwrap_or("no certificate")
            );
            Some(tls)
        }
        Ok(Err(refusal)) => {
            warn!("dropping TLS client {peer}: {refusal}");
            None
        }
        Err(_) => {
            warn!(
                "dropping TLS client {peer}: no TLS handshake within {}s",
                HANDSHAKE_DEADLINE.as_secs()
            );
            None
        }
    }
}

/// Refuses a client whose first byte does not start a TLS handshake record (a plain-protocol
/// client on the TLS port, say) without answering it: the socket closes with the client's bytes
/// unread, which the client sees as a reset connection, as with libvirtd, rather than reading a
/// TLS alert as if it were a reply.
async fn not_tls(stream: &TcpStream) -> Result<(), Refusal> {
    /// The content type of a TLS handshake record.
    const HANDSHAKE_RECORD: u8 = 0x16;
    let mut first = [0u8; 1];
    match stream.peek(&mut first).await {
        Ok(1) if first[0] == HANDSHAKE_RECORD => Ok(()),
        Ok(0) => Err(Refusal("closed before the TLS handshake".into())),
        Ok(_) => Err(Refusal(
            "TLS handshake failed An unexpected TLS packet was received.".into(),
        )),
        Err(e) => Err(Refusal(format!("TLS handshake failed {e}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn explicit_files_come_all_three_or_not_at_all() {
        let mut c = Config {
            cert_file: Some("/c.pem".into()),
            key_file: Some("/k.pem".into()),
            ..Config::default()
        };
        assert_eq!(
            locations(&c).unwrap_err().0,
            "No CA certificate path set to match server key/cert"
        );
        c.ca_file = Some("/ca.pem".into());
        c.key_file = None;
        assert_eq!(
            locations(&c).unwrap_err().0,
            "No server key path set to match server cert"
        );
        c.key_file = Some("/k.pem".into());
        let l = locations(&c).unwrap();
        assert_eq!(l.cacert, PathBuf::from("/ca.pem"));
        assert_eq!(l.cacrl, None);
        assert_eq!(l.cert, PathBuf::from("/c.pem"));
    }

    #[test]
    fn a_missing_file_stops_the_daemon_with_its_name() {
        let c = Config {
            ca_file: Some("/nonexistent/ca.pem".into()),
            cert_file: Some("/nonexistent/c.pem".into()),
            key_file: Some("/nonexistent/k.pem".into()),
            ..Config::default()
        };
        assert_eq!(
            context(&c).unwrap_err().0,
            "Cannot read CA certificate '/nonexistent/ca.pem': No such file or directory"
        );
    }
}
