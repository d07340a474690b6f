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

/// `VIR_TYPED_PARAM_*` type codes, for [`validate`]'s list of accepted parameters.
pub mod kind {
    /// `VIR_TYPED_PARAM_INT`
    pub const INT: i32 = 1;
    /// `VIR_TYPED_PARAM_UINT`
    pub const UINT: i32 = 2;
    /// `VIR_TYPED_PARAM_LLONG`
    pub const LLONG: i32 = 3;
    /// `VIR_TYPED_PARAM_ULLONG`
    pub const ULLONG: i32 = 4;
    /// `VIR_TYPED_PARAM_DOUBLE`
    pub const DOUBLE: i32 = 5;
    /// `VIR_TYPED_PARAM_BOOLEAN`
    pub const BOOLEAN: i32 = 6;
    /// `VIR_TYPED_PARAM_STRING`
    pub const STRING: i32 = 7;
}

/// The name libvirt gives a `virTypedParameterType` in its messages.
fn type_name(code: i32) -> &'static str {
    match code {
        1 => "int",
        2 => "uint",
        3 => "llong",
        4 => "ullong",
        5 => "double",
        6 => "boolean",
        7 => "string",
        _ => "unknown",
    }
}

/// libvirt's `virTypedParamsValidate`: every parameter must be one of `accepted` (name, type
/// code from [`kind`]), of that type, and given once. The first fault in name order is
/// reported as libvirt reports it (`VIR_ERR_ARGUMENT_UNSUPPORTED` for an unknown name,
/// `VIR_ERR_INVALID_ARG` for a repeated one or a wrong type), without an error domain.
pub fn validate(params: &[TypedParam], accepted: &[(&str, i32)]) -> crate::Result<()> {
    use crate::{Error, ErrorDomain, ErrorNumber};
    let mut sorted: Vec<&TypedParam> = params.iter().collect();
    sorted.sort_by(|a, b| a.field.cmp(&b.field));
    for (i, p) in sorted.iter().enumerate() {
        let Some((_, want)) = accepted.iter().find(|(name, _)| *name == p.field) else {
            // libvirt walks both sorted lists together, so the name reported is the first
            // unknown one in order, unless a repeated or mistyped known one comes before it.
            return Err(Error::with_detail(
                ErrorDomain::NONE,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                format!("parameter '{}' not supported", p.field),
            ));
        };
        if i > 0 && sorted[i - 1].field == p.field {
            return Err(Error::invalid_arg(
                ErrorDomain::NONE,
                format!("parameter '{}' occurs multiple times", p.field),
            ));
        }
        if p.value.type_code() != *want {
            return Err(Error::invalid_arg(
                ErrorDomain::NONE,
                format!(
                    "invalid type '{}' for parameter '{}', expected '{}'",
                    type_name(p.value.type_code()),
                    p.field,
                    type_name(*want)
                ),
            ));
        }
    }
    Ok(())
}

/// What a getter of libvirt's two-step form (`virDomainGetMemoryParameters` and its kin)
/// answers: asked for 0 parameters, how many it has and none; asked for `n`, at most `n`
/// parameters and how many it gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CountedParams {
    /// The parameters (empty when only counting).
    pub params: Vec<TypedParam>,
    /// How many there are (when counting) or were given.
    pub nparams: i32,
}

impl CountedParams {
    /// The answer to a request for `nparams` parameters of a getter that has `total`:
    /// `read` supplies them (in order) unless only counting.
    pub fn answer(
        nparams: i32,
        total: usize,
        read: impl FnOnce() -> crate::Result<Vec<TypedParam>>,
    ) -> crate::Result<CountedParams> {
        if nparams == 0 {
            return Ok(CountedParams {
                params: Vec::new(),
                nparams: total as i32,
            });
        }
        let mut params = read()?;
        params.truncate(usize::try_from(nparams).unwrap_or(0));
        Ok(CountedParams {
            nparams: params.len() as i32,
            params,
        })
    }
}

/// The value of parameter `name` in `params` if it holds an unsigned long long.
pub fn get_ullong(params: &[TypedParam], name: &str) -> Option<u64> {
    params.iter().find_map(|p| match (&p.field, &p.value) {
        (f, TypedParamValue::ULLong(v)) if f == name => Some(*v),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorNumber;

    fn p(name: &str, v: TypedParamValue) -> TypedParam {
        TypedParam::new(name, v)
    }

    #[test]
    fn validate_reports_as_libvirt() {
        let accepted = [("hard_limit", kind::ULLONG), ("weight", kind::UINT)];
        assert!(validate(&[p("weight", TypedParamValue::UInt(1))], &accepted).is_ok());
        let e = validate(&[p("bogus", TypedParamValue::UInt(1))], &accepted).unwrap_err();
        assert_eq!(e.code, ErrorNumber::ARGUMENT_UNSUPPORTED);
        assert_eq!(
            e.message,
            "argument unsupported: parameter 'bogus' not supported"
        );
        let e = validate(&[p("weight", TypedParamValue::Int(1))], &accepted).unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: invalid type 'int' for parameter 'weight', expected 'uint'"
        );
        let twice = [
            p("weight", TypedParamValue::UInt(1)),
            p("weight", TypedParamValue::UInt(2)),
        ];
        let e = validate(&twice, &accepted).unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: parameter 'weight' occurs multiple times"
        );
    }

    #[test]
    fn counted_answer_counts_or_truncates() {
        let all = || {
            Ok(vec![
                p("a", TypedParamValue::Int(1)),
                p("b", TypedParamValue::Int(2)),
            ])
        };
        assert_eq!(CountedParams::answer(0, 2, all).unwrap().nparams, 2);
        let one = CountedParams::answer(1, 2, all).unwrap();
        assert_eq!((one.nparams, one.params.len()), (1, 1));
    }
}
