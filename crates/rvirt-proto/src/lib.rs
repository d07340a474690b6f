//! libvirt's RPC message layer, as libvirt 9.x puts it on the wire.
//!
//! A packet is a big-endian length word (counting itself), a 24-byte [`Header`] and an XDR
//! payload ([`packet`]). Calls carry a procedure's arguments; replies carry its return value or,
//! with status `VIR_NET_ERROR`, a [`RemoteError`]; messages carry events and keepalive pings.
//!
//! Every procedure of the remote program is declared once, in `remote/procedures.rs`: its number,
//! argument and return types, the public API function it carries, its priority and whether a
//! read-only connection may call it. Servers dispatch on [`remote::Procedure`], clients call
//! through the [`RemoteCall`] types in [`remote::calls`], and both refuse on read-only connections
//! from the same [`Access`] value.

pub mod convert;
pub mod error;
pub mod fdpass;
pub mod fuzzing;
pub mod header;
pub mod keepalive;
pub mod packet;
pub mod qemu;
pub mod remote;
mod table;

pub use error::RemoteError;
pub use header::{HEADER_LEN, Header, MessageStatus, MessageType};
pub use packet::{
    FrameError, MESSAGE_MAX, Packet, PacketReader, RawPayload, STREAM_CHUNK, encode_packet,
    read_packet,
};
pub use remote::PROGRAM as REMOTE_PROGRAM;
pub use table::{Access, Priority, RemoteCall, StreamDirection};

/// `VIR_NET_MESSAGE_STRING_MAX` (`REMOTE_STRING_MAX`): the longest string on the wire.
pub const STRING_MAX: u32 = rvirt_xdr::REMOTE_STRING_MAX;
