//! The QEMU program (`QEMU_PROGRAM`, version 1): libvirt-qemu's calls, which only QEMU drivers
//! answer. Transcribed by hand from libvirt 9.0's `src/remote/qemu_protocol.x`: its argument
//! and return structures, and its procedure numbers.

#![allow(missing_docs)]

use crate::header::{Header, MessageStatus, MessageType};
use crate::remote::types::NonnullDomain;
use rvirt_xdr::{RemoteNonnullString, RemoteString, XdrDecode, XdrEncode};

/// `QEMU_PROGRAM`
pub const PROGRAM: u32 = 0x2000_8087;
/// `QEMU_PROTOCOL_VERSION`
pub const VERSION: u32 = 1;

/// `QEMU_PROC_DOMAIN_MONITOR_COMMAND`: `virDomainQemuMonitorCommand`.
pub const PROC_DOMAIN_MONITOR_COMMAND: i32 = 1;
/// `QEMU_PROC_DOMAIN_ATTACH`: `virDomainQemuAttach`.
pub const PROC_DOMAIN_ATTACH: i32 = 2;
/// `QEMU_PROC_DOMAIN_AGENT_COMMAND`: `virDomainQemuAgentCommand`.
pub const PROC_DOMAIN_AGENT_COMMAND: i32 = 3;
/// `QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER`.
pub const PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER: i32 = 4;
/// `QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER`.
pub const PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER: i32 = 5;
/// `QEMU_PROC_DOMAIN_MONITOR_EVENT` (a message).
pub const PROC_DOMAIN_MONITOR_EVENT: i32 = 6;
/// `QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES`: `virDomainQemuMonitorCommandWithFiles`.
pub const PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES: i32 = 7;

/// The public API function of procedure `n`, for errors naming it.
pub fn api_name(n: i32) -> Option<&'static str> {
    Some(match n {
        PROC_DOMAIN_MONITOR_COMMAND => "virDomainQemuMonitorCommand",
        PROC_DOMAIN_ATTACH => "virDomainQemuAttach",
        PROC_DOMAIN_AGENT_COMMAND => "virDomainQemuAgentCommand",
        PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER => "virConnectDomainQemuMonitorEventRegister",
        PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER => {
            "virConnectDomainQemuMonitorEventDeregister"
        }
        PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES => "virDomainQemuMonitorCommandWithFiles",
        _ => return None,
    })
}

/// The header of a call to QEMU program procedure `procedure` with `serial`.
pub fn call_header(procedure: i32, serial: u32) -> Header {
    Header {
        program: PROGRAM,
        version: VERSION,
        procedure,
        kind: MessageType::Call,
        serial,
        status: MessageStatus::Ok,
    }
}

/// `qemu_domain_monitor_command_args` (also `…_with_files_args`)
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMonitorCommandArgs {
    pub dom: NonnullDomain,
    pub cmd: RemoteNonnullString,
    pub flags: u32,
}

/// `qemu_domain_monitor_command_ret` (also `…_with_files_ret`)
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainMonitorCommandRet {
    pub result: RemoteNonnullString,
}

/// `qemu_domain_attach_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAttachArgs {
    pub pid_value: u32,
    pub flags: u32,
}

/// `qemu_domain_agent_command_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAgentCommandArgs {
    pub dom: NonnullDomain,
    pub cmd: RemoteNonnullString,
    pub timeout: i32,
    pub flags: u32,
}

/// `qemu_domain_agent_command_ret`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct DomainAgentCommandRet {
    pub result: RemoteString,
}

/// `qemu_connect_domain_monitor_event_register_args`
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct ConnectDomainMonitorEventRegisterArgs {
    pub dom: Option<NonnullDomain>,
    pub event: RemoteString,
    pub flags: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monitor_command_encodes_as_libvirt_lays_it_out() {
        let a = DomainMonitorCommandArgs {
            dom: NonnullDomain {
                name: "d".try_into().unwrap(),
                uuid: [7; 16],
                id: 3,
            },
            cmd: "x".try_into().unwrap(),
            flags: 1,
        };
        let b = rvirt_xdr::to_bytes(&a);
        // name (len 1, padded), uuid, id, cmd (len 1, padded), flags.
        let mut want = vec![0, 0, 0, 1, b'd', 0, 0, 0];
        want.extend([7; 16]);
        want.extend([0, 0, 0, 3, 0, 0, 0, 1, b'x', 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(b, want);
        let back = DomainMonitorCommandArgs::decode(&mut rvirt_xdr::XdrReader::new(&b)).unwrap();
        assert_eq!(back, a);
    }
}
