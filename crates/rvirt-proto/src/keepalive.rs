//! The keepalive program: `PING` and `PONG` messages, neither of which is answered by a reply.

/// `KEEPALIVE_PROGRAM` ("keep").
pub const PROGRAM: u32 = 0x6b65_6570;
/// `KEEPALIVE_PROTOCOL_VERSION`
pub const VERSION: u32 = 1;
/// `KEEPALIVE_PROC_PING`: "are you there?", answered by a `PONG`.
pub const PROC_PING: i32 = 1;
/// `KEEPALIVE_PROC_PONG`
pub const PROC_PONG: i32 = 2;

use crate::header::{Header, MessageStatus, MessageType};

/// The header of a keepalive message carrying `procedure`.
pub fn header(procedure: i32) -> Header {
    Header {
        program: PROGRAM,
        version: VERSION,
        procedure,
        kind: MessageType::Message,
        serial: 0,
        status: MessageStatus::Ok,
    }
}
