//! libvirt's wire types shared by every program: strings and typed parameters.

use crate::{BoundedString, BoundedVec, XdrDecode, XdrEncode};

/// `REMOTE_STRING_MAX`: the longest string libvirt's remote protocol carries.
pub const REMOTE_STRING_MAX: u32 = 4_194_304;

/// `remote_nonnull_string`: `string<REMOTE_STRING_MAX>`.
pub type RemoteNonnullString = BoundedString<REMOTE_STRING_MAX>;

/// `remote_string`: an optional [`RemoteNonnullString`].
pub type RemoteString = Option<RemoteNonnullString>;

/// `remote_typed_param_value`: a union on `virTypedParameterType`.
#[derive(Clone, Debug, PartialEq, XdrEncode, XdrDecode)]
pub enum RemoteTypedParamValue {
    /// `VIR_TYPED_PARAM_INT`
    #[xdr(discriminant = 1)]
    Int(i32),
    /// `VIR_TYPED_PARAM_UINT`
    #[xdr(discriminant = 2)]
    UInt(u32),
    /// `VIR_TYPED_PARAM_LLONG`
    #[xdr(discriminant = 3)]
    LLong(i64),
    /// `VIR_TYPED_PARAM_ULLONG`
    #[xdr(discriminant = 4)]
    ULLong(u64),
    /// `VIR_TYPED_PARAM_DOUBLE`
    #[xdr(discriminant = 5)]
    Double(f64),
    /// `VIR_TYPED_PARAM_BOOLEAN`, an `int` on the wire; any non-zero value is true.
    #[xdr(discriminant = 6)]
    Boolean(bool),
    /// `VIR_TYPED_PARAM_STRING`
    #[xdr(discriminant = 7)]
    String(RemoteNonnullString),
}

impl Default for RemoteTypedParamValue {
    /// An `int` zero, so that structures holding a value can derive `Default`.
    fn default() -> Self {
        RemoteTypedParamValue::Int(0)
    }
}

/// `remote_typed_param`: a named value.
#[derive(Clone, Debug, Default, PartialEq, XdrEncode, XdrDecode)]
pub struct RemoteTypedParam {
    /// The parameter's name.
    pub field: RemoteNonnullString,
    /// Its value.
    pub value: RemoteTypedParamValue,
}

/// `remote_typed_param params<MAX>`: each procedure declares its own limit on the count, e.g.
/// `REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX`.
pub type RemoteTypedParams<const MAX: u32> = BoundedVec<RemoteTypedParam, MAX>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{XdrError, decode_all, to_bytes};

    fn param(field: &str, value: RemoteTypedParamValue) -> RemoteTypedParam {
        RemoteTypedParam {
            field: RemoteNonnullString::try_from(field).unwrap_or_default(),
            value,
        }
    }

    #[test]
    fn exact_bytes() {
        let p = param("ab", RemoteTypedParamValue::ULLong(5));
        let bytes = [
            0, 0, 0, 2, b'a', b'b', 0, 0, // field
            0, 0, 0, 4, // VIR_TYPED_PARAM_ULLONG
            0, 0, 0, 0, 0, 0, 0, 5,
        ];
        assert_eq!(to_bytes(&p), bytes);
        assert_eq!(decode_all(&bytes), Ok(p));
    }

    #[test]
    fn every_type_round_trips() {
        let values = [
            RemoteTypedParamValue::Int(-1),
            RemoteTypedParamValue::UInt(2),
            RemoteTypedParamValue::LLong(-3),
            RemoteTypedParamValue::ULLong(4),
            RemoteTypedParamValue::Double(0.5),
            RemoteTypedParamValue::Boolean(true),
            RemoteTypedParamValue::String(RemoteNonnullString::try_from("x").unwrap_or_default()),
        ];
        let params: Vec<_> = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| param(&format!("p{i}"), v))
            .collect();
        let params = RemoteTypedParams::<16>::new(params).unwrap_or_default();
        assert_eq!(params.len(), 7);
        assert_eq!(decode_all(&to_bytes(&params)), Ok(params));
    }

    #[test]
    fn unknown_type_and_too_many_params_fail() {
        let bytes = [0, 0, 0, 1, b'a', 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0];
        assert_eq!(
            decode_all::<RemoteTypedParam>(&bytes),
            Err(XdrError::InvalidDiscriminant {
                pos: 8,
                ty: "RemoteTypedParamValue",
                value: 8
            })
        );
        assert!(matches!(
            decode_all::<RemoteTypedParams<2>>(&[0, 0, 0, 3]),
            Err(XdrError::LengthOverLimit { len: 3, max: 2, .. })
        ));
        // A boolean sent as 0x01000000 is true.
        assert_eq!(
            decode_all::<RemoteTypedParamValue>(&[0, 0, 0, 6, 1, 0, 0, 0]),
            Ok(RemoteTypedParamValue::Boolean(true))
        );
    }
}
