//! The 24-byte `virNetMessageHeader` that follows every packet's length word.

use rvirt_xdr::{XdrDecode, XdrEncode, XdrError, XdrReader};

/// `virNetMessageType`: what a packet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `VIR_NET_CALL`: client to server, a procedure's arguments.
    Call,
    /// `VIR_NET_REPLY`: server to client, the return value or a `remote_error`.
    Reply,
    /// `VIR_NET_MESSAGE`: either direction, an asynchronous notification (events, keepalive).
    Message,
    /// `VIR_NET_STREAM`: either direction, stream data.
    Stream,
    /// `VIR_NET_CALL_WITH_FDS`: a call whose file descriptors travel beside it.
    CallWithFds,
    /// `VIR_NET_REPLY_WITH_FDS`: a reply whose file descriptors travel beside it.
    ReplyWithFds,
    /// `VIR_NET_STREAM_HOLE`: a hole in sparse stream data.
    StreamHole,
    /// A value libvirt does not define; kept so the receiver can answer it.
    Unknown(i32),
}

impl MessageType {
    /// The wire value.
    pub fn to_i32(self) -> i32 {
        match self {
            MessageType::Call => 0,
            MessageType::Reply => 1,
            MessageType::Message => 2,
            MessageType::Stream => 3,
            MessageType::CallWithFds => 4,
            MessageType::ReplyWithFds => 5,
            MessageType::StreamHole => 6,
            MessageType::Unknown(v) => v,
        }
    }

    /// The type with wire value `v`.
    pub fn from_i32(v: i32) -> MessageType {
        match v {
            0 => MessageType::Call,
            1 => MessageType::Reply,
            2 => MessageType::Message,
            3 => MessageType::Stream,
            4 => MessageType::CallWithFds,
            5 => MessageType::ReplyWithFds,
            6 => MessageType::StreamHole,
            v => MessageType::Unknown(v),
        }
    }
}

/// `virNetMessageStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// `VIR_NET_OK`: calls always, and replies that succeeded.
    Ok,
    /// `VIR_NET_ERROR`: a reply whose payload is a `remote_error`.
    Error,
    /// `VIR_NET_CONTINUE`: stream data with more to come.
    Continue,
    /// A value libvirt does not define.
    Unknown(i32),
}

impl MessageStatus {
    /// The wire value.
    pub fn to_i32(self) -> i32 {
        match self {
            MessageStatus::Ok => 0,
            MessageStatus::Error => 1,
            MessageStatus::Continue => 2,
            MessageStatus::Unknown(v) => v,
        }
    }

    /// The status with wire value `v`.
    pub fn from_i32(v: i32) -> MessageStatus {
        match v {
            0 => MessageStatus::Ok,
            1 => MessageStatus::Error,
            2 => MessageStatus::Continue,
            v => MessageStatus::Unknown(v),
        }
    }
}

/// `virNetMessageHeader`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The program: [`crate::REMOTE_PROGRAM`], [`crate::KEEPALIVE_PROGRAM`], ...
    pub program: u32,
    /// The program's version.
    pub version: u32,
    /// The procedure within the program.
    pub procedure: i32,
    /// What the packet carries.
    pub kind: MessageType,
    /// Pairs a reply with its call; chosen by the caller.
    pub serial: u32,
    /// Whether a reply succeeded.
    pub status: MessageStatus,
}

/// The encoded size of a [`Header`].
pub const HEADER_LEN: usize = 24;

impl XdrEncode for Header {
    fn encode(&self, out: &mut Vec<u8>) {
        self.program.encode(out);
        self.version.encode(out);
        self.procedure.encode(out);
        self.kind.to_i32().encode(out);
        self.serial.encode(out);
        self.status.to_i32().encode(out);
    }
}

impl XdrDecode for Header {
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError> {
        Ok(Header {
            program: u32::decode(r)?,
            version: u32::decode(r)?,
            procedure: i32::decode(r)?,
            kind: MessageType::from_i32(i32::decode(r)?),
            serial: u32::decode(r)?,
            status: MessageStatus::from_i32(i32::decode(r)?),
        })
    }
}

impl Header {
    /// The header of a reply to the call with header `self`.
    pub fn reply(&self, status: MessageStatus) -> Header {
        Header {
            kind: MessageType::Reply,
            status,
            ..*self
        }
    }

    /// The header of a stream packet of the call this header began: same program, procedure
    /// and serial. `Continue` carries data, `Ok` ends the stream, `Error` aborts it.
    pub fn stream(&self, status: MessageStatus) -> Header {
        Header {
            kind: MessageType::Stream,
            status,
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_xdr::{decode_all, to_bytes};

    #[test]
    fn header_layout_is_six_big_endian_words() {
        let h = Header {
            program: 0x2000_8086,
            version: 1,
            procedure: 16,
            kind: MessageType::Call,
            serial: 7,
            status: MessageStatus::Ok,
        };
        let bytes = to_bytes(&h);
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(
            bytes,
            [
                0x20, 0, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0
            ]
        );
        assert_eq!(decode_all::<Header>(&bytes).unwrap(), h);
    }

    #[test]
    fn unknown_type_and_status_survive_a_round_trip() {
        for v in [-1, 7, 1000] {
            assert_eq!(MessageType::from_i32(v).to_i32(), v);
            assert_eq!(MessageStatus::from_i32(v).to_i32(), v);
        }
        for v in 0..7 {
            assert_eq!(MessageType::from_i32(v).to_i32(), v);
        }
    }
}
