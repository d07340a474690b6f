//! The QEMU program's calls (libvirt-qemu): a monitor command passed through to a domain's
//! QEMU, a guest agent command. Monitor commands with descriptors, monitor events and
//! `virDomainQemuAttach` are refused as not supported, as by a driver without them.

use super::{rpc_error, wire};
use crate::session::Session;
use rvirt::{Error, ErrorDomain, Result};
use rvirt_proto::qemu::*;
use rvirt_xdr::{XdrDecode, XdrReader};
use std::sync::Arc;

fn args<A: XdrDecode>(payload: &[u8]) -> Result<A> {
    A::decode(&mut XdrReader::new(payload))
        .map_err(|_| rpc_error("Unable to decode message payload"))
}

/// Runs QEMU program procedure `procedure` and returns its encoded reply.
pub(super) async fn route(s: &Arc<Session>, procedure: i32, payload: &[u8]) -> Result<Vec<u8>> {
    match procedure {
        PROC_DOMAIN_MONITOR_COMMAND => {
            let a: DomainMonitorCommandArgs = args(payload)?;
            let d = wire::dom(&s.conn()?, &a.dom);
            let result = d.qemu_monitor_command(&a.cmd, a.flags).await?;
            Ok(rvirt_xdr::to_bytes(&DomainMonitorCommandRet {
                result: rvirt_proto::convert::nonnull(&result),
            }))
        }
        PROC_DOMAIN_AGENT_COMMAND => {
            let a: DomainAgentCommandArgs = args(payload)?;
            let d = wire::dom(&s.conn()?, &a.dom);
            let result = d.qemu_agent_command(&a.cmd, a.timeout, a.flags).await?;
            Ok(rvirt_xdr::to_bytes(&DomainAgentCommandRet {
                result: result.as_deref().map(rvirt_proto::convert::nonnull),
            }))
        }
        // No driver of rvirt takes descriptors with a monitor command, nor attaches to a
        // QEMU it did not start, nor forwards monitor events yet.
        n => match api_name(n) {
            Some(api) => Err(Error::no_support(ErrorDomain::DOMAIN, api)),
            None => Err(rpc_error(format!("unknown procedure: {n}"))),
        },
    }
}
