//! The datatypes a RELAX NG schema can name: the built-in library (`string`, `token`) and the
//! XML Schema datatypes libvirt's schemas use, with their facets (`pattern`, ranges, lengths).

use crate::SchemaError;
use regex::Regex;

/// The URI of the XML Schema datatype library.
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema-datatypes";

/// A datatype: its base type and the facets its `<param>`s add.
#[derive(Debug)]
pub struct Datatype {
    base: Base,
    patterns: Vec<Regex>,
    min: Option<Bound>,
    max: Option<Bound>,
    min_len: Option<usize>,
    max_len: Option<usize>,
}

/// One end of a value range; `inclusive` tells `minInclusive` from `minExclusive`.
#[derive(Debug)]
struct Bound {
    value: Num,
    inclusive: bool,
}

/// A number parsed from a lexical form: integers exactly, the rest as floating point.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            // Precision loss is irrelevant for range checks of the magnitudes schemas use.
            #[allow(clippy::cast_precision_loss)]
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn cmp_to(self, other: Num) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

/// The base types known here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// Any string, compared exactly.
    String,
    /// Any string, whitespace collapsed before comparing (built-in `token`, xsd `token`).
    Token,
    /// An XML NCName.
    NcName,
    /// An XML Name.
    Name,
    /// An NMTOKEN.
    NmToken,
    /// Any URI reference (not checked beyond whitespace).
    AnyUri,
    /// `xsd:dateTime`.
    DateTime,
    /// `xsd:boolean`.
    Boolean,
    /// `xsd:double`, `xsd:float`.
    Float,
    /// `xsd:decimal`.
    Decimal,
    /// An integer type with its value range.
    Integer(i128, i128),
}

impl Base {
    fn from_name(lib: &str, name: &str) -> Option<Base> {
        if lib.is_empty() {
            return match name {
                "string" => Some(Base::String),
                "token" => Some(Base::Token),
                _ => None,
            };
        }
        if lib != XSD {
            return None;
        }
        let int = |lo: i128, hi: i128| Some(Base::Integer(lo, hi));
        match name {
            "string" | "normalizedString" => Some(Base::String),
            "token" | "language" => Some(Base::Token),
            "NCName" | "ID" | "IDREF" | "ENTITY" => Some(Base::NcName),
            "Name" | "QName" => Some(Base::Name),
            "NMTOKEN" => Some(Base::NmToken),
            "anyURI" => Some(Base::AnyUri),
            "dateTime" => Some(Base::DateTime),
            "boolean" => Some(Base::Boolean),
            "double" | "float" => Some(Base::Float),
            "decimal" => Some(Base::Decimal),
            "integer" => int(i128::MIN, i128::MAX),
            "long" => int(i64::MIN.into(), i64::MAX.into()),
            "int" => int(i32::MIN.into(), i32::MAX.into()),
            "short" => int(i16::MIN.into(), i16::MAX.into()),
            "byte" => int(i8::MIN.into(), i8::MAX.into()),
            "nonNegativeInteger" => int(0, i128::MAX),
            "positiveInteger" => int(1, i128::MAX),
            "nonPositiveInteger" => int(i128::MIN, 0),
            "negativeInteger" => int(i128::MIN, -1),
            "unsignedLong" => int(0, u64::MAX.into()),
            "unsignedInt" => int(0, u32::MAX.into()),
            "unsignedShort" => int(0, u16::MAX.into()),
            "unsignedByte" => int(0, u8::MAX.into()),
            _ => None,
        }
    }

    /// Whether the lexical form is whitespace-collapsed before it is checked.
    fn collapses(self) -> bool {
        self != Base::String
    }
}

/// Collapses runs of XML whitespace into one space and trims both ends; borrows when there is
/// nothing to collapse (the usual case, checked without allocating).
pub fn collapse(s: &str) -> std::borrow::Cow<'_, str> {
    let b = s.as_bytes();
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let clean = b.first().is_none_or(|c| !ws(*c))
        && b.last().is_none_or(|c| !ws(*c))
        && !b.windows(2).any(|w| ws(w[0]) && (ws(w[1]) || w[0] != b' '));
    if clean {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.' | '\u{b7}')
}

fn parse_integer(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

fn parse_decimal(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if ok { s.parse().ok() } else { None }
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "INF" => return Some(f64::INFINITY),
        "-INF" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    parse_decimal(mantissa)?;
    if let Some(e) = exp {
        parse_integer(e)?;
    }
    s.parse().ok()
}

fn is_date_time(s: &str) -> bool {
    // [-]YYYY-MM-DDThh:mm:ss[.s+][Z|(+|-)hh:mm]
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    let d: Vec<&str> = date.split('-').collect();
    let num = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if d.len() != 3 || d[0].len() < 4 || !num(d[0], d[0].len()) || !num(d[1], 2) || !num(d[2], 2) {
        return false;
    }
    let (time, _zone) = if let Some(t) = time.strip_suffix('Z') {
        (t, "Z")
    } else if time.len() > 6 && matches!(&time[time.len() - 6..time.len() - 5], "+" | "-") {
        let (t, z) = time.split_at(time.len() - 6);
        if !(num(&z[1..3], 2) && &z[3..4] == ":" && num(&z[4..], 2)) {
            return false;
        }
        (t, z)
    } else {
        (time, "")
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<&str> = hms.split(':').collect();
    t.len() == 3
        && num(t[0], 2)
        && num(t[1], 2)
        && num(t[2], 2)
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Translates an XML Schema regular expression into the `regex` crate's syntax, anchored at
/// both ends (XSD patterns always match the whole value and have no anchors of their own).
fn translate_pattern(p: &str) -> String {
    let mut out = String::from("^(?:");
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push_str("\\\\");
                    break;
                };
                match e {
                    'i' => out.push_str(if in_class { "\\w:_" } else { "[\\w:_]" }),
                    'I' => out.push_str("[^\\w:_]"),
                    'c' => out.push_str(if in_class { "\\w:_.\\-" } else { "[\\w:_.\\-]" }),
                    'C' => out.push_str("[^\\w:_.\\-]"),
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '-' if in_class => out.push('-'),
            c if in_class && matches!(c, '[' | '&' | '~' | '^') => {
                out.push('\\');
                out.push(c);
            }
            '^' | '$' if !in_class => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push_str(")$");
    out
}

impl Datatype {
    /// The datatype `name` of library `lib` with the given `(name, value)` parameters.
    pub fn new(
        lib: &str,
        name: &str,
        params: &[(String, String)],
    ) -> Result<Datatype, SchemaError> {
        let base = Base::from_name(lib, name).ok_or_else(|| {
            SchemaError::new(format!("unknown datatype '{name}' of library '{lib}'"))
        })?;
        let mut dt = Datatype {
            base,
            patterns: Vec::new(),
            min: None,
            max: None,
            min_len: None,
            max_len: None,
        };
        for (pname, value) in params {
            let num = || {
                parse_integer(value.trim())
                    .map(Num::Int)
                    .or_else(|| parse_float(value.trim()).map(Num::Float))
                    .ok_or_else(|| SchemaError::new(format!("bad {pname} value '{value}'")))
            };
            let len = || {
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| SchemaError::new(format!("bad {pname} value '{value}'")))
            };
            match pname.as_str() {
                "pattern" => {
                    let re = Regex::new(&translate_pattern(value))
                        .map_err(|e| SchemaError::new(format!("bad pattern '{value}': {e}")))?;
                    dt.patterns.push(re);
                }
                "minInclusive" => {
                    dt.min = Some(Bound {
                        value: num()?,
                        inclusive: true,
                    })
                }
                "minExclusive" => {
                    dt.min = Some(Bound {
                        value: num()?,
                        inclusive: false,
                    })
                }
                "maxInclusive" => {
                    dt.max = Some(Bound {
                        value: num()?,
                        inclusive: true,
                    })
                }
                "maxExclusive" => {
                    dt.max = Some(Bound {
                        value: num()?,
                        inclusive: false,
                    })
                }
                "length" => {
                    dt.min_len = Some(len()?);
                    dt.max_len = dt.min_len;
                }
                "minLength" => dt.min_len = Some(len()?),
                "maxLength" => dt.max_len = Some(len()?),
                other => {
                    return Err(SchemaError::new(format!(
                        "unsupported datatype parameter '{other}'"
                    )));
                }
            }
        }
        Ok(dt)
    }

    /// The value of a lexical form, for range checks and equality; `None` if the form is not
    /// in the base type's lexical space.
    fn number(&self, s: &str) -> Option<Option<Num>> {
        match self.base {
            Base::Integer(lo, hi) => {
                let v = parse_integer(s)?;
                (lo..=hi).contains(&v).then_some(Some(Num::Int(v)))
            }
            Base::Float => parse_float(s).map(|f| Some(Num::Float(f))),
            Base::Decimal => parse_decimal(s).map(|f| Some(Num::Float(f))),
            _ => Some(None),
        }
    }

    fn lexical_ok(&self, s: &str) -> bool {
        match self.base {
            Base::String | Base::Token | Base::AnyUri => true,
            Base::NcName => {
                let mut c = s.chars();
                c.next().is_some_and(|f| is_name_start(f) && f != ':')
                    && c.all(|c| is_name_char(c) && c != ':')
            }
            Base::Name => {
                let mut c = s.chars();
                c.next().is_some_and(is_name_start) && c.all(is_name_char)
            }
            Base::NmToken => !s.is_empty() && s.chars().all(is_name_char),
            Base::DateTime => is_date_time(s),
            Base::Boolean => matches!(s, "true" | "false" | "1" | "0"),
            Base::Float | Base::Decimal | Base::Integer(..) => self.number(s).is_some(),
        }
    }

    /// Whether `text` is a value of this datatype with all its facets.
    pub fn allows(&self, text: &str) -> bool {
        let collapsed;
        let s = if self.base.collapses() {
            collapsed = collapse(text);
            &*collapsed
        } else {
            text
        };
        if !self.lexical_ok(s) {
            return false;
        }
        if !self.patterns.iter().all(|re| re.is_match(s)) {
            return false;
        }
        let len = s.chars().count();
        if self.min_len.is_some_and(|m| len < m) || self.max_len.is_some_and(|m| len > m) {
            return false;
        }
        if self.min.is_some() || self.max.is_some() {
            let Some(Some(v)) = self.number(s) else {
                return false;
            };
            let ok = |b: &Option<Bound>, want: std::cmp::Ordering| {
                b.as_ref().is_none_or(|b| match v.cmp_to(b.value) {
                    Some(std::cmp::Ordering::Equal) => b.inclusive,
                    Some(o) => o == want,
                    None => false,
                })
            };
            if !ok(&self.min, std::cmp::Ordering::Greater)
                || !ok(&self.max, std::cmp::Ordering::Less)
            {
                return false;
            }
        }
        true
    }

    /// Whether two lexical forms denote the same value of this datatype (for `<value>`).
    pub fn equal(&self, a: &str, b: &str) -> bool {
        if !self.base.collapses() {
            return a == b;
        }
        let (a, b) = (collapse(a), collapse(b));
        match (self.number(&a), self.number(&b)) {
            (Some(Some(x)), Some(Some(y))) => x.cmp_to(y) == Some(std::cmp::Ordering::Equal),
            _ => a == b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(name: &str, params: &[(&str, &str)]) -> Datatype {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Datatype::new(XSD, name, &params).expect("datatype")
    }

    #[test]
    fn integers_check_lexical_form_and_range() {
        let u = dt("unsignedInt", &[]);
        assert!(u.allows(" 42 "));
        assert!(!u.allows("-1"));
        assert!(!u.allows("4294967296"));
        assert!(!u.allows("0x10"));
        let r = dt("int", &[("minInclusive", "1"), ("maxInclusive", "10")]);
        assert!(r.allows("10") && r.allows("1"));
        assert!(!r.allows("0") && !r.allows("11"));
        assert!(dt("unsignedLong", &[]).allows("18446744073709551615"));
    }

    #[test]
    fn patterns_are_anchored_and_xsd_flavoured() {
        let p = dt("string", &[("pattern", "[0-9]+")]);
        assert!(p.allows("123"));
        assert!(!p.allows("a123"));
        // `$` and `^` are ordinary characters in XSD outside classes.
        let d = dt("string", &[("pattern", "$[a-z]+")]);
        assert!(d.allows("$abc"));
        let n = dt(
            "string",
            &[("pattern", "[a-zA-Z0-9_\\.\\+\\-\\\\&\"'<>/%]+")],
        );
        assert!(n.allows("a&b"));
        assert!(!n.allows("a b"));
        let w = dt("string", &[("pattern", "\\i\\c*")]);
        assert!(w.allows("ab-c") && !w.allows("-ab"));
    }

    #[test]
    fn date_time_and_values() {
        let d = dt("dateTime", &[]);
        assert!(d.allows("2024-01-02T03:04:05Z"));
        assert!(d.allows("2024-01-02T03:04:05.5+01:00"));
        assert!(!d.allows("2024-01-02 03:04:05"));
        let i = dt("int", &[]);
        assert!(i.equal("010", "10"));
        let tok = Datatype::new("", "token", &[]).expect("token");
        assert!(tok.equal(" a  b ", "a b"));
        let s = Datatype::new("", "string", &[]).expect("string");
        assert!(!s.equal(" a", "a"));
    }
}
