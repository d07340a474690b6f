//! `remote_error`: how an [`Error`] crosses the wire, and the one place that maps between them.

use crate::remote::types::{NonnullDomain, NonnullNetwork};
use rvirt_types::error::{Error, ErrorDomain, ErrorLevel, ErrorNumber};
use rvirt_xdr::{RemoteNonnullString, RemoteString, XdrDecode, XdrEncode};

/// `remote_error` (the same layout as `virNetMessageError`): the payload of a reply whose status
/// is `VIR_NET_ERROR`.
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct RemoteError {
    /// `virErrorNumber`.
    pub code: i32,
    /// `virErrorDomain`.
    pub domain: i32,
    /// The full message.
    pub message: RemoteString,
    /// `virErrorLevel`.
    pub level: i32,
    /// Unused by libvirt; always absent.
    pub dom: Option<NonnullDomain>,
    /// Extra string 1.
    pub str1: RemoteString,
    /// Extra string 2.
    pub str2: RemoteString,
    /// Extra string 3.
    pub str3: RemoteString,
    /// Extra number 1.
    pub int1: i32,
    /// Extra number 2.
    pub int2: i32,
    /// Unused by libvirt; always absent.
    pub net: Option<NonnullNetwork>,
}

/// A string for the wire, cut at a character boundary if it exceeds the protocol's limit.
pub fn wire_string(s: &str) -> RemoteNonnullString {
    let max = rvirt_xdr::REMOTE_STRING_MAX as usize;
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    RemoteNonnullString::new(&s[..end]).unwrap_or_default()
}

impl From<&Error> for RemoteError {
    fn from(e: &Error) -> Self {
        RemoteError {
            code: e.code.0,
            domain: e.domain.0,
            message: Some(wire_string(&e.message)),
            level: e.level as i32,
            dom: None,
            str1: e.str1.as_deref().map(wire_string),
            str2: e.str2.as_deref().map(wire_string),
            str3: e.str3.as_deref().map(wire_string),
            int1: e.int1,
            int2: e.int2,
            net: None,
        }
    }
}

impl From<RemoteError> for Error {
    fn from(e: RemoteError) -> Self {
        Error {
            code: ErrorNumber(e.code),
            domain: ErrorDomain(e.domain),
            level: ErrorLevel::from_i32(e.level),
            // libvirt's client substitutes this when the server sent no message.
            message: e.message.map_or_else(
                || "unknown error".to_string(),
                RemoteNonnullString::into_inner,
            ),
            str1: e.str1.map(RemoteNonnullString::into_inner),
            str2: e.str2.map(RemoteNonnullString::into_inner),
            str3: e.str3.map(RemoteNonnullString::into_inner),
            int1: e.int1,
            int2: e.int2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_xdr::{decode_all, to_bytes};

    #[test]
    fn error_round_trips_through_the_wire() {
        let e = Error::new(
            ErrorDomain::TEST,
            ErrorNumber::NO_DOMAIN,
            Some("no domain with matching name 'x'".into()),
        );
        let wire = to_bytes(&RemoteError::from(&e));
        let back: Error = decode_all::<RemoteError>(&wire).unwrap().into();
        assert_eq!(back, e);
        // code, domain, then the message as a present optional string.
        assert_eq!(&wire[..12], &[0, 0, 0, 42, 0, 0, 0, 12, 0, 0, 0, 1]);
    }

    #[test]
    fn long_strings_are_cut_at_a_character_boundary() {
        let s = "é".repeat(rvirt_xdr::REMOTE_STRING_MAX as usize);
        let w = wire_string(&s);
        assert!(w.len() <= rvirt_xdr::REMOTE_STRING_MAX as usize);
        assert!(w.as_str().chars().all(|c| c == 'é'));
    }
}
