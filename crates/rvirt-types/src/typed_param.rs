//! Typed parameters (`virTypedParameter`): named values of one of six types, used by stats,
//! tuning and job calls.

/// `VIR_TYPED_PARAM_STRING_OKAY`: the caller accepts string parameters. libvirt's public API adds
/// it to a getter's flags when the driver supports `VIR_DRV_FEATURE_TYPED_PARAM_STRING`.
pub const TYPED_PARAM_STRING_OKAY: u32 = 1 << 2;

/// The value of a typed parameter, tagged as `virTypedParameterType` tags it on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum TypedParamValue {
    /// `VIR_TYPED_PARAM_INT` (1)
    Int(i32),
    /// `VIR_TYPED_PARAM_UINT` (2)
    UInt(u32),
    /// `VIR_TYPED_PARAM_LLONG` (3)
    LLong(i64),
    /// `VIR_TYPED_PARAM_ULLONG` (4)
    ULLong(u64),
    /// `VIR_TYPED_PARAM_DOUBLE` (5)
    Double(f64),
    /// `VIR_TYPED_PARAM_BOOLEAN` (6)
    Boolean(bool),
    /// `VIR_TYPED_PARAM_STRING` (7)
    String(String),
}

impl TypedParamValue {
    /// The `virTypedParameterType` number of this value.
    pub fn type_code(&self) -> i32 {
        match self {
            TypedParamValue::Int(_) => 1,
            TypedParamValue::UInt(_) => 2,
            TypedParamValue::LLong(_) => 3,
            TypedParamValue::ULLong(_) => 4,
            TypedParamValue::Double(_) => 5,
            TypedParamValue::Boolean(_) => 6,
            TypedParamValue::String(_) => 7,
        }
    }
}

/// One named typed parameter. libvirt limits the name to 80 bytes (`VIR_TYPED_PARAM_FIELD_LENGTH`).
#[derive(Clone, Debug, PartialEq)]
pub struct TypedParam {
    /// The parameter's name, e.g. `state.state` or `cpu.time`.
    pub field: String,
    /// Its value.
    pub value: TypedParamValue,
}

impl TypedParam {
    /// The longest name libvirt accepts, including the terminating NUL.
    pub const FIELD_LENGTH: usize = 80;

    /// A parameter named `field` holding `value`.
    pub fn new(field: impl Into<String>, value: TypedParamValue) -> TypedParam {
        TypedParam {
            field: field.into(),
            value,
        }
    }
}
