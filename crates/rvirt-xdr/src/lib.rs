//! XDR (RFC 4506) as libvirt's RPC protocol uses it. No I/O: values encode into a caller's
//! `Vec<u8>` and decode from a byte slice.
//!
//! Where libvirt's C implementation (rpcgen over glibc/libtirpc XDR) is more lenient than the RFC,
//! we accept what libvirtd accepts: a `bool` or optional-data word is true for any non-zero value,
//! and `char`/`short` words are truncated to their width. Everything else is strict: padding must
//! be zero, lengths may not exceed the limit declared in the type, strings must be UTF-8.
//!
//! Limits live in types ([`BoundedString`], [`BoundedVec`], [`BoundedOpaque`]), so a protocol
//! struct declares libvirt's `<MAX>` once and decoding rejects an over-limit length before
//! allocating anything. Structs and unions are declared with `#[derive(XdrEncode, XdrDecode)]`.
//!
//! ```
//! use rvirt_xdr::{RemoteNonnullString, XdrDecode, XdrEncode, decode_all};
//!
//! /// `remote_nonnull_domain`
//! #[derive(Debug, PartialEq, XdrEncode, XdrDecode)]
//! struct NonnullDomain {
//!     name: RemoteNonnullString,
//!     uuid: [u8; 16],
//!     id: i32,
//! }
//!
//! let dom = NonnullDomain { name: "vm".try_into()?, uuid: [0; 16], id: 7 };
//! let mut out = Vec::new();
//! dom.encode(&mut out);
//! assert_eq!(&out[..8], &[0, 0, 0, 2, b'v', b'm', 0, 0]);
//! assert_eq!(out.len(), 8 + 16 + 4);
//! assert_eq!(decode_all::<NonnullDomain>(&out)?, dom);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A union arm must name its discriminant, and two arms may not share one:
//!
//! ```compile_fail
//! #[derive(rvirt_xdr::XdrEncode)]
//! enum Value { Int(i32) }
//! ```
//!
//! ```compile_fail
//! #[derive(rvirt_xdr::XdrDecode)]
//! enum State { #[xdr(discriminant = 1)] On, #[xdr(discriminant = 1)] Off }
//! ```

extern crate self as rvirt_xdr;

mod bounded;
mod error;
mod primitives;
mod reader;
mod typed_param;

#[cfg(test)]
mod derive_tests;

pub use bounded::{BoundedOpaque, BoundedString, BoundedVec, CharArray, LengthError};
pub use error::XdrError;
pub use reader::XdrReader;
pub use rvirt_xdr_derive::{XdrDecode, XdrEncode};
pub use typed_param::{
    REMOTE_STRING_MAX, RemoteNonnullString, RemoteString, RemoteTypedParam, RemoteTypedParamValue,
    RemoteTypedParams,
};

/// A value with an XDR encoding.
pub trait XdrEncode {
    /// Appends this value's encoding to `out`. Encoding cannot fail: every limit is enforced when
    /// the value is built.
    fn encode(&self, out: &mut Vec<u8>);
}

/// A value that can be decoded from XDR.
pub trait XdrDecode: Sized {
    /// Decodes one value from `r`, advancing it past the value's encoding.
    fn decode(r: &mut XdrReader<'_>) -> Result<Self, XdrError>;
}

/// Encodes `value` into a new buffer. Prefer [`XdrEncode::encode`] into a reused `Vec` on hot
/// paths.
pub fn to_bytes<T: XdrEncode + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// Decodes a `T` that must span all of `bytes`: trailing bytes are an error. This is the entry
/// point for fuzzing and for payloads whose length is known from framing.
pub fn decode_all<T: XdrDecode>(bytes: &[u8]) -> Result<T, XdrError> {
    let mut r = XdrReader::new(bytes);
    let value = T::decode(&mut r)?;
    r.finish()?;
    Ok(value)
}

/// The number of zero bytes that pad `len` bytes of data to a multiple of four.
#[inline]
pub(crate) const fn pad_len(len: usize) -> usize {
    (4 - (len % 4)) % 4
}

/// Appends `bytes` and their zero padding.
#[inline]
pub(crate) fn put_padded(bytes: &[u8], out: &mut Vec<u8>) {
    const ZEROS: [u8; 3] = [0; 3];
    out.extend_from_slice(bytes);
    out.extend_from_slice(&ZEROS[..pad_len(bytes.len())]);
}
