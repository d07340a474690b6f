//! The remote program (`REMOTE_PROGRAM`, version 1): every libvirt API call and event.

pub mod types;

mod procedures;

pub use procedures::{Procedure, calls};

/// `REMOTE_PROGRAM`
pub const PROGRAM: u32 = 0x2000_8086;
/// `REMOTE_PROTOCOL_VERSION`
pub const VERSION: u32 = 1;

/// `REMOTE_DOMAIN_LIST_MAX`: the most domains one listing carries.
pub const DOMAIN_LIST_MAX: usize = 16384;

use crate::header::{Header, MessageStatus, MessageType};

/// The header of an event message carrying `procedure` (libvirt sends events with serial 1).
pub fn event_header(procedure: Procedure) -> Header {
    Header {
        program: PROGRAM,
        version: VERSION,
        procedure: procedure.number(),
        kind: MessageType::Message,
        serial: 1,
        status: MessageStatus::Ok,
    }
}

/// The header of a call to `procedure` with `serial`.
pub fn call_header(procedure: Procedure, serial: u32) -> Header {
    Header {
        program: PROGRAM,
        version: VERSION,
        procedure: procedure.number(),
        kind: MessageType::Call,
        serial,
        status: MessageStatus::Ok,
    }
}
