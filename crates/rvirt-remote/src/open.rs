//! Opening a connection, in the order libvirt's client does it: the transport, `AUTH_LIST`
//! (and the authentication it asks for), `CONNECT_SUPPORTS_FEATURE(PROGRAM_KEEPALIVE)`,
//! `CONNECT_OPEN`, `CONNECT_SUPPORTS_FEATURE(REMOTE_EVENT_CALLBACK)`.

use crate::client::Client;
use crate::target::{Environment, Target, Transport};
use crate::{RemoteDriver, events, keepalive, wire};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::{ConnectOpenArgs, ConnectSupportsFeatureArgs};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use rvirt_driver::{
    FEATURE_PROGRAM_KEEPALIVE, FEATURE_REMOTE_CLOSE_CALLBACK, FEATURE_REMOTE_EVENT_CALLBACK,
};

/// `REMOTE_AUTH_NONE`, `REMOTE_AUTH_SASL`, `REMOTE_AUTH_POLKIT`.
const AUTH_NONE: i32 = 0;
const AUTH_SASL: i32 = 1;
const AUTH_POLKIT: i32 = 2;

/// How long the open's calls may wait for their replies. Over ssh the user may have to type a
/// password or passphrase first.
fn handshake_deadline(transport: Transport) -> Duration {
    match transport {
        Transport::Ssh | Transport::Ext => Duration::from_secs(120),
        _ => Duration::from_secs(30),
    }
}

fn auth_failed(detail: String) -> Error {
    Error::with_detail(ErrorDomain::REMOTE, ErrorNumber::AUTH_FAILED, detail)
}

/// `remoteAuthenticate`: what the server asks for, if rvirt can do it.
async fn authenticate(client: &Client, wanted: Option<&str>, deadline: Duration) -> Result<()> {
    let types = match client
        .call_within::<calls::AuthList>(&(), Some(deadline))
        .await
    {
        Ok(ret) => ret.types.into_inner(),
        // A server too old to have AUTH_LIST needs no authentication.
        Err(e) if e.code == ErrorNumber::NO_SUPPORT => return Ok(()),
        Err(e) => return Err(e),
    };
    let Some(&first) = types.first() else {
        return Ok(());
    };
    let chosen = match wanted {
        None => first,
        Some(a) => {
            let lower = a.to_ascii_lowercase();
            let want = if lower == "sasl" || lower.starts_with("sasl.") {
                AUTH_SASL
            } else if lower == "polkit" {
                AUTH_POLKIT
            } else {
                return Err(auth_failed(format!("unknown authentication type {a}")));
            };
            if !types.contains(&want) {
                return Err(auth_failed(format!(
                    "requested authentication type {a} rejected"
                )));
            }
            want
        }
    };
    match chosen {
        AUTH_NONE => Ok(()),
        // The server asks polkit about this process; the call is all the client does.
        AUTH_POLKIT => client
            .call_within::<calls::AuthPolkit>(&(), Some(deadline))
            .await
            .map(drop),
        // SASL is not implemented: the answer of a libvirt built without it.
        other => Err(auth_failed(format!(
            "unsupported authentication type {other}"
        ))),
    }
}

/// `CONNECT_SUPPORTS_FEATURE`: a failure counts as "no", as in libvirt.
async fn supports(client: &Client, feature: i32, deadline: Duration) -> bool {
    client
        .call_within::<calls::ConnectSupportsFeature>(
            &ConnectSupportsFeatureArgs { feature },
            Some(deadline),
        )
        .await
        .is_ok_and(|r| r.supported != 0)
}

/// Opens `uri`.
pub async fn open(uri: &str, read_only: bool, env: &Environment) -> Result<Arc<RemoteDriver>> {
    let target = Target::from_uri(uri, read_only, env)?;
    let deadline = handshake_deadline(target.transport);
    let registry = Arc::new(events::Registry::default());
    let sink = events::start_dispatcher(registry.clone())?;
    let client = Client::connect(target.clone(), sink).await?;

    authenticate(&client, target.auth.as_deref(), deadline).await?;
    let server_keepalive = supports(&client, FEATURE_PROGRAM_KEEPALIVE, deadline).await;
    if server_keepalive {
        client.set_keepalive(Some(keepalive::DEFAULT_INTERVAL), keepalive::DEFAULT_COUNT);
    }
    client
        .call_within::<calls::ConnectOpen>(
            &ConnectOpenArgs {
                name: Some(wire::string(&target.name)?),
                flags: target.flags,
            },
            Some(deadline),
        )
        .await?;
    let event_callbacks = supports(&client, FEATURE_REMOTE_EVENT_CALLBACK, deadline).await;
    let server_close_callback = supports(&client, FEATURE_REMOTE_CLOSE_CALLBACK, deadline).await;

    Ok(Arc::new(RemoteDriver {
        client,
        uri: uri.to_string(),
        secure: target.transport_is_secure(),
        server_keepalive,
        event_callbacks,
        server_close_callback,
        events: registry,
        driver_type: OnceLock::new(),
    }))
}
