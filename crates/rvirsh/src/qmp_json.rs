//! JSON as virsh's QEMU commands handle it: parsed keeping member order and the text of
//! numbers, printed compact or "pretty" the way libvirt 9.0 prints them (yajl: two-space
//! indent, `": "` after names, an empty array or object as its brackets around a blank line).

use crate::json::string;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string (unescaped).
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Member `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Compact text (no whitespace).
    pub fn compact(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, None);
        s
    }

    /// Pretty text, libvirt's way.
    pub fn pretty(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, Some(0));
        s
    }

    fn write(&self, out: &mut String, depth: Option<usize>) {
        let indent = |out: &mut String, d: usize| out.push_str(&"  ".repeat(d));
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::Str(s) => string(out, s),
            Value::Array(items) => {
                out.push('[');
                let inner = depth.map(|d| d + 1);
                if let Some(d) = inner {
                    out.push('\n');
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(",\n");
                        }
                        indent(out, d);
                        v.write(out, inner);
                    }
                    out.push('\n');
                    indent(out, d - 1);
                } else {
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        v.write(out, None);
                    }
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                let inner = depth.map(|d| d + 1);
                if let Some(d) = inner {
                    out.push('\n');
                    for (i, (k, v)) in members.iter().enumerate() {
                        if i > 0 {
                            out.push_str(",\n");
                        }
                        indent(out, d);
                        string(out, k);
                        out.push_str(": ");
                        v.write(out, inner);
                    }
                    out.push('\n');
                    indent(out, d - 1);
                } else {
                    for (i, (k, v)) in members.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        string(out, k);
                        out.push(':');
                        v.write(out, None);
                    }
                }
                out.push('}');
            }
        }
    }
}

/// Parses `text` as one JSON value (whitespace around it allowed); `None` if it is not.
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self, w: &str, v: Value) -> Option<Value> {
        self.s[self.i..].starts_with(w.as_bytes()).then(|| {
            self.i += w.len();
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        // Deep nesting is refused rather than recursed into without end.
        if depth > 128 {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'n' => self.word("null", Value::Null),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'"' => self.string().map(Value::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Some(Value::Object(members));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    members.push((k, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Some(Value::Object(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
                    )
                {
                    self.i += 1;
                }
                let n = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                n.parse::<f64>().ok()?;
                Some(Value::Number(n.to_string()))
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\') {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).ok()?);
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                _ => {
                    self.i += 1;
                    let c = match *self.s.get(self.i)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hex = |p: &mut Self| -> Option<u32> {
                                let h = std::str::from_utf8(p.s.get(p.i + 1..p.i + 5)?).ok()?;
                                p.i += 4;
                                u32::from_str_radix(h, 16).ok()
                            };
                            let hi = hex(self)?;
                            let code = if (0xd800..0xdc00).contains(&hi)
                                && self.s.get(self.i + 1..self.i + 3) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = hex(self)?;
                                0x10000 + ((hi - 0xd800) << 10) + (lo.checked_sub(0xdc00)?)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    self.i += 1;
                    out.push(c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_replies_keep_their_order_and_print_as_libvirt_prints_them() {
        let v = parse(
            r#"{"return": {"qemu": {"micro": 22, "minor": 2}, "package": "D"}, "id": "libvirt-4"}"#,
        )
        .unwrap();
        assert_eq!(
            v.compact(),
            r#"{"return":{"qemu":{"micro":22,"minor":2},"package":"D"},"id":"libvirt-4"}"#
        );
        assert_eq!(
            v.pretty(),
            "{\n  \"return\": {\n    \"qemu\": {\n      \"micro\": 22,\n      \"minor\": 2\n    },\n    \"package\": \"D\"\n  },\n  \"id\": \"libvirt-4\"\n}"
        );
        assert_eq!(parse("[]").unwrap().pretty(), "[\n\n]");
        assert_eq!(
            parse(r#"{"a":[]}"#).unwrap().pretty(),
            "{\n  \"a\": [\n\n  ]\n}"
        );
        assert_eq!(
            parse(r#"["a\"\u00e9\n", -1.5e3]"#).unwrap().compact(),
            "[\"a\\\"é\\n\",-1.5e3]"
        );
        for bad in ["", "{", "{a:1}", "[1,]", "1 2", "tru", "\"x"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
