//! Small conversions between rvirt's handles and arguments and their wire forms.

use rvirt_driver::{CheckpointRef, DomainRef, SnapshotRef};
use rvirt_proto::remote::types::{NonnullDomain, NonnullDomainCheckpoint, NonnullDomainSnapshot};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, Uuid};
use rvirt_xdr::{BoundedVec, RemoteNonnullString, RemoteString};

/// libvirt's answer for an argument too big for the protocol.
fn too_big() -> Error {
    Error::with_detail(
        ErrorDomain::RPC,
        ErrorNumber::RPC,
        "Unable to encode message payload",
    )
}

/// A string argument.
pub fn string(s: &str) -> Result<RemoteNonnullString> {
    RemoteNonnullString::new(s).map_err(|_| too_big())
}

/// An optional string argument.
pub fn opt_string(s: Option<&str>) -> Result<RemoteString> {
    s.map(string).transpose()
}

/// A list argument.
pub fn list<T, const MAX: u32>(items: Vec<T>) -> Result<BoundedVec<T, MAX>> {
    BoundedVec::new(items).map_err(|_| too_big())
}

/// A byte-string argument.
pub fn opaque<const MAX: u32>(bytes: &[u8]) -> Result<rvirt_xdr::BoundedOpaque<MAX>> {
    rvirt_xdr::BoundedOpaque::new(bytes.to_vec()).map_err(|_| too_big())
}

/// A domain handle for the wire (names are bounded by the server that gave them).
pub fn nonnull_domain(d: &DomainRef) -> NonnullDomain {
    NonnullDomain {
        name: rvirt_proto::convert::nonnull(&d.name),
        uuid: *d.uuid.as_bytes(),
        id: d.id,
    }
}

/// A domain handle from the wire.
pub fn domain_ref(d: NonnullDomain) -> DomainRef {
    DomainRef {
        name: d.name.as_str().into(),
        uuid: Uuid::from_bytes(d.uuid),
        id: d.id,
    }
}

/// A snapshot handle for the wire.
pub fn nonnull_snapshot(s: &SnapshotRef) -> NonnullDomainSnapshot {
    NonnullDomainSnapshot {
        name: rvirt_proto::convert::nonnull(&s.name),
        dom: nonnull_domain(&s.domain),
    }
}

/// A snapshot handle from the wire.
pub fn snapshot_ref(s: NonnullDomainSnapshot) -> SnapshotRef {
    SnapshotRef {
        name: s.name.as_str().into(),
        domain: domain_ref(s.dom),
    }
}

/// Every handle of a list reply, each converted by `f` (`snapshot_ref`, `checkpoint_ref`).
pub fn refs<T, R, const MAX: u32>(list: BoundedVec<T, MAX>, f: impl FnMut(T) -> R) -> Vec<R> {
    list.into_inner().into_iter().map(f).collect()
}

/// A checkpoint handle on the wire.
pub fn nonnull_checkpoint(c: &CheckpointRef) -> NonnullDomainCheckpoint {
    NonnullDomainCheckpoint {
        name: rvirt_proto::convert::nonnull(&c.name),
        dom: nonnull_domain(&c.domain),
    }
}

/// A checkpoint handle from the wire.
pub fn checkpoint_ref(c: NonnullDomainCheckpoint) -> CheckpointRef {
    CheckpointRef {
        name: c.name.as_str().into(),
        domain: domain_ref(c.dom),
    }
}

/// `VIR_ERR_RPC` from the remote driver itself: what its client-side checks of counts and
/// replies raise.
pub fn remote_rpc(message: impl Into<String>) -> Error {
    Error::with_detail(ErrorDomain::REMOTE, ErrorNumber::RPC, message)
}

/// A list-of-strings argument named `name` in the protocol, refused over `MAX` items as libvirt's
/// generated client refuses it, before anything is sent.
pub fn string_list<S: AsRef<str>, const MAX: u32>(
    name: &str,
    items: &[S],
) -> Result<BoundedVec<RemoteNonnullString, MAX>> {
    if items.len() > MAX as usize {
        return Err(remote_rpc(format!(
            "{name} length greater than maximum: {} > {MAX}",
            items.len()
        )));
    }
    list(
        items
            .iter()
            .map(|m| string(m.as_ref()))
            .collect::<Result<Vec<_>>>()?,
    )
}

/// Driver-trait methods that make exactly one remote call, declared as a table (libvirt
/// generates the same stubs from its protocol file). Each entry reads
/// `fn NAME(PARAM: TYPE, …) -> RET = CALL(ARGS { FIELD: EXPR, … }) [=> |r| EXPR];`: the method
/// builds `ARGS` from its parameters, calls procedure `calls::CALL`, and hands back the reply
/// converted with `Into`, or by the expression after `=> |r|`.
macro_rules! one_call_methods {
    ($(
        fn $name:ident($($p:ident: $t:ty),* $(,)?) -> $ret:ty
            = $call:ident($args:ident { $($f:ident $(: $v:expr)?),* $(,)? })
            $(=> |$reply:ident| $map:expr)?;
    )*) => {$(
        async fn $name(&self, $($p: $t),*) -> Result<$ret> {
            let args = $args { $($f $(: $v)?),* };
            let r = self.client.call::<calls::$call>(&args).await?;
            Ok($crate::wire::one_call_methods!(@reply r $(, $reply, $map)?))
        }
    )*};
    (@reply $r:ident) => {
        $r.into()
    };
    (@reply $r:ident, $reply:ident, $map:expr) => {{
        let $reply = $r;
        $map
    }};
}
pub(crate) use one_call_methods;

/// Typed parameters for a call's argument, refused as libvirt's `virTypedParamsSerialize`
/// refuses more than the protocol's limit `MAX`.
pub fn wire_params<const MAX: u32>(
    params: &[rvirt_types::TypedParam],
) -> Result<rvirt_xdr::BoundedVec<rvirt_xdr::RemoteTypedParam, MAX>> {
    if params.len() > MAX as usize {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::RPC,
            format!("too many parameters '{}' for limit '{MAX}'", params.len()),
        ));
    }
    Ok(rvirt_proto::convert::bounded(
        params.iter().map(rvirt_proto::convert::typed_param_to_wire),
    ))
}

/// Typed parameters from a reply that may hold at most `asked` of them.
pub fn reply_params<const MAX: u32>(
    params: rvirt_xdr::BoundedVec<rvirt_xdr::RemoteTypedParam, MAX>,
    asked: i32,
) -> Result<Vec<rvirt_types::TypedParam>> {
    if params.len() > usize::try_from(asked).unwrap_or(0) {
        return Err(Error::with_detail(
            ErrorDomain::NONE,
            ErrorNumber::RPC,
            format!("too many parameters '{}' for limit '{asked}'", params.len()),
        ));
    }
    Ok(params
        .into_iter()
        .map(rvirt_proto::convert::typed_param_from_wire)
        .collect())
}
