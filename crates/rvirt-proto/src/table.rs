//! The shape of a procedure declaration. Each program lists its procedures once, through
//! [`procedures!`](crate::procedures); that list gives the [`Procedure`](crate::remote::Procedure)
//! enum the server dispatches on and the read-only check consults, and one [`RemoteCall`] type per
//! procedure that ties its number to its argument and return types for the client stub and the
//! server handler alike.

use rvirt_types::error::ErrorDomain;
use rvirt_xdr::{XdrDecode, XdrEncode};

/// Which queue a call may take in a daemon: libvirt's `@priority` annotation. High-priority
/// procedures never wait on a hypervisor and may run while every ordinary worker is busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Priority {
    /// May block on a hypervisor.
    Low,
    /// Never blocks.
    High,
}

/// What a procedure may do on a read-only connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Allowed on every connection.
    ReadOnly,
    /// Refused on a read-only connection with `VIR_ERR_OPERATION_DENIED` from this error domain
    /// (the domain of the public API function, as libvirt reports it).
    ReadWrite(ErrorDomain),
    /// An event message the server sends; never a call.
    Event,
}

/// The direction of a procedure's stream, seen from the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamDirection {
    /// Data flows from the server to the client.
    Read,
    /// Data flows from the client to the server.
    Write,
}

/// One procedure of a program, as a type: its number and the types of its arguments and return
/// value. Client and server both name a procedure by this type, so they cannot disagree on the
/// shapes.
pub trait RemoteCall {
    /// The procedure.
    const PROCEDURE: crate::remote::Procedure;
    /// Its arguments (`()` when it takes none); for an event, the message.
    type Args: XdrEncode + XdrDecode + Send + 'static;
    /// Its return value (`()` when it returns nothing).
    type Ret: XdrEncode + XdrDecode + Send + 'static;
}

/// Declares a program's procedures: `NUMBER Name(Args) -> Ret, "virApiFunction", priority,
/// access[, stream: read|write];` with access `ro(ERROR_DOMAIN)`, `rw(ERROR_DOMAIN)` or `event`
/// (`ro` alone for procedures without a public API function), the error domain being that of the
/// public API function.
#[macro_export]
macro_rules! procedures {
    ($($num:literal $name:ident($args:ty) -> $ret:ty, $api:literal, $prio:ident, $access:ident $(($dom:ident))? $(, stream: $dir:ident)?;)*) => {
        /// A procedure of the remote program, by its wire number.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Procedure {
            $(
                #[doc = concat!("`", $api, "` (", stringify!($num), ")")]
                $name = $num,
            )*
        }

        impl Procedure {
            /// Every procedure, in wire order.
            pub const ALL: &'static [Procedure] = &[$(Procedure::$name,)*];

            /// The procedure with wire number `n`.
            pub fn from_number(n: i32) -> Option<Procedure> {
                match n {
                    $($num => Some(Procedure::$name),)*
                    _ => None,
                }
            }

            /// The wire number.
            pub fn number(self) -> i32 {
                self as i32
            }

            /// The public API function this procedure carries (empty for events and
            /// authentication steps).
            pub fn api_name(self) -> &'static str {
                match self {
                    $(Procedure::$name => $api,)*
                }
            }

            /// The Rust name of the procedure.
            pub fn name(self) -> &'static str {
                match self {
                    $(Procedure::$name => stringify!($name),)*
                }
            }

            /// libvirt's `@priority`.
            pub fn priority(self) -> $crate::Priority {
                match self {
                    $(Procedure::$name => $crate::procedures!(@prio $prio),)*
                }
            }

            /// The error domain of the procedure's public API function (libvirt reports each
            /// family's errors from its own source file's domain); `NONE` for events and
            /// authentication steps.
            pub fn error_domain(self) -> ::rvirt_types::error::ErrorDomain {
                match self {
                    $(Procedure::$name => $crate::procedures!(@domain $($dom)?),)*
                }
            }

            /// What the procedure may do on a read-only connection.
            pub fn access(self) -> $crate::Access {
                match self {
                    $(Procedure::$name => $crate::procedures!(@access $access $(($dom))?),)*
                }
            }

            /// The XDR encoding of this procedure's arguments with every field at its default
            /// (zero numbers, empty strings and arrays, absent optional values): a well-formed
            /// call payload for tests that walk the whole table, such as the read-only check.
            pub fn default_args(self) -> Vec<u8> {
                match self {
                    $(Procedure::$name => ::rvirt_xdr::to_bytes(&<$args as ::core::default::Default>::default()),)*
                }
            }

            /// Decodes `payload` as this procedure's arguments (for an event, its message) the way
            /// a server does, trailing bytes ignored, and drops the value. One entry point to
            /// every argument decoder, for fuzzing ([`crate::fuzzing`]).
            pub fn decode_args(self, payload: &[u8]) -> Result<(), ::rvirt_xdr::XdrError> {
                let mut r = ::rvirt_xdr::XdrReader::new(payload);
                match self {
                    $(Procedure::$name => <$args as ::rvirt_xdr::XdrDecode>::decode(&mut r).map(drop),)*
                }
            }

            /// Decodes `payload` as this procedure's return value the way a client does, and
            /// drops the value. One entry point to every return-value decoder, for fuzzing.
            pub fn decode_ret(self, payload: &[u8]) -> Result<(), ::rvirt_xdr::XdrError> {
                let mut r = ::rvirt_xdr::XdrReader::new(payload);
                match self {
                    $(Procedure::$name => <$ret as ::rvirt_xdr::XdrDecode>::decode(&mut r).map(drop),)*
                }
            }

            /// The stream the procedure opens, if any.
            pub fn stream(self) -> Option<$crate::StreamDirection> {
                match self {
                    $(Procedure::$name => $crate::procedures!(@stream $($dir)?),)*
                }
            }
        }

        /// One [`RemoteCall`]($crate::RemoteCall) type per procedure.
        pub mod calls {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[doc = concat!("`", $api, "` (", stringify!($num), ")")]
                #[derive(Clone, Copy, Debug)]
                pub struct $name;

                impl $crate::RemoteCall for $name {
                    const PROCEDURE: super::Procedure = super::Procedure::$name;
                    type Args = $args;
                    type Ret = $ret;
                }
            )*
        }
    };
    (@prio high) => { $crate::Priority::High };
    (@prio low) => { $crate::Priority::Low };
    (@access ro) => { $crate::Access::ReadOnly };
    (@access ro($dom:ident)) => { $crate::Access::ReadOnly };
    (@domain) => { ::rvirt_types::error::ErrorDomain::NONE };
    (@domain $dom:ident) => { ::rvirt_types::error::ErrorDomain::$dom };
    (@access event) => { $crate::Access::Event };
    (@access rw($dom:ident)) => { $crate::Access::ReadWrite(::rvirt_types::error::ErrorDomain::$dom) };
    (@stream) => { None };
    (@stream read) => { Some($crate::StreamDirection::Read) };
    (@stream write) => { Some($crate::StreamDirection::Write) };
}
