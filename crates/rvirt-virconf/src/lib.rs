//! libvirt's configuration file syntax, as its `virConf` reads `libvirtd.conf` and `qemu.conf`.
//!
//! A file is `name = value` entries, one a line, with `#` comments. A value is an integer
//! (decimal, or hexadecimal after `0x`, possibly negative), a string in double quotes, single
//! quotes or triple double quotes (which may span lines), or a bracketed list of strings (which
//! may span lines, with comments between items). An entry may end with `;`.
//!
//! [`ConfFile::parse`] checks the syntax ([`ConfError::Syntax`], naming the file and line);
//! the typed getters then read one setting each, the first entry of that name winning as in
//! libvirt, and fail with [`ConfError::Type`] when the value has the wrong type. Settings a
//! reader does not ask for are ignored, as libvirt ignores them.

use std::path::Path;

/// One value of a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list of strings.
    List(Vec<String>),
}

/// One `name = value` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The line the entry starts on, from 1.
    pub line: usize,
    /// The setting's name.
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// Why a configuration file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfError {
    /// The file could not be read: `Failed to open file 'PATH': REASON`.
    Read(String),
    /// The text is not valid syntax: `FILE:LINE: WHAT` (libvirt's `VIR_ERR_CONF_SYNTAX`).
    Syntax(String),
    /// A setting has a value of the wrong type or out of range: `FILE: expected ... for
    /// 'NAME' parameter` (libvirt reports these as internal errors).
    Type(String),
    /// A value of the right type that the file's reader refuses (a port out of range...).
    Invalid(String),
}

impl ConfError {
    /// The message without its kind.
    pub fn message(&self) -> &str {
        match self {
            ConfError::Read(m)
            | ConfError::Syntax(m)
            | ConfError::Type(m)
            | ConfError::Invalid(m) => m,
        }
    }
}

impl std::fmt::Display for ConfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ConfError {}

/// A parsed configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfFile {
    origin: String,
    entries: Vec<Entry>,
}

impl ConfFile {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<ConfFile, ConfError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfError::Read(format!("Failed to open file '{}': {e}", path.display()))
        })?;
        ConfFile::parse(&text, &path.display().to_string())
    }

    /// Parses `text`; `origin` (usually the file's path) names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<ConfFile, ConfError> {
        Ok(ConfFile {
            origin: origin.to_string(),
            entries: Parser::new(text, origin).entries()?,
        })
    }

    /// An empty file named `origin` (every setting at its default).
    pub fn empty(origin: &str) -> ConfFile {
        ConfFile {
            origin: origin.to_string(),
            entries: Vec::new(),
        }
    }

    /// What errors name the file by.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every entry, in the file's order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The value of setting `name`: its first entry's.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| &e.value)
    }

    fn type_error(&self, want: &str, name: &str) -> ConfError {
        ConfError::Type(format!(
            "{}: expected {want} for '{name}' parameter",
            self.origin
        ))
    }

    /// A string setting.
    pub fn string(&self, name: &str) -> Result<Option<String>, ConfError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.type_error("a string", name)),
        }
    }

    /// A list of strings; with `also_string`, a single string is taken as a list of one (as
    /// libvirt takes it for some settings).
    pub fn string_list(
        &self,
        name: &str,
        also_string: bool,
    ) -> Result<Option<Vec<String>>, ConfError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l.clone())),
            Some(Value::Str(s)) if also_string => Ok(Some(vec![s.clone()])),
            Some(_) if also_string => Err(self.type_error("a string or string list", name)),
            Some(_) => Err(self.type_error("a string list", name)),
        }
    }

    /// A boolean setting: the integer 0 or 1.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ConfError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(0)) => Ok(Some(false)),
            Some(Value::Int(1)) => Ok(Some(true)),
            Some(Value::Int(_)) => Err(ConfError::Type(format!(
                "{}: value for '{name}' parameter must be 0 or 1",
                self.origin
            ))),
            Some(_) => Err(self.type_error("a bool", name)),
        }
    }

    /// A signed integer setting.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ConfError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(*i)),
            Some(_) => Err(self.type_error("a signed integer", name)),
        }
    }

    /// An unsigned integer setting of at most `u32::MAX`.
    pub fn uint(&self, name: &str) -> Result<Option<u32>, ConfError> {
        self.unsigned(name)
    }

    /// An unsigned integer setting.
    pub fn ullong(&self, name: &str) -> Result<Option<u64>, ConfError> {
        self.unsigned(name)
    }

    /// An unsigned integer setting that fits `T`.
    fn unsigned<T: TryFrom<i64>>(&self, name: &str) -> Result<Option<T>, ConfError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Int(i)) => T::try_from(*i)
                .map(Some)
                .map_err(|_| self.type_error("an unsigned integer", name)),
            Some(_) => Err(self.type_error("an unsigned integer", name)),
        }
    }
}

/// The parser: a cursor over the text that counts lines.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
    origin: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, origin: &'a str) -> Parser<'a> {
        Parser {
            text: text.as_bytes(),
            at: 0,
            line: 1,
            origin,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.text[self.at.min(self.text.len())..]
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn error(&self, what: &str) -> ConfError {
        ConfError::Syntax(format!("{}:{}: {what}", self.origin, self.line))
    }

    fn skip_comment(&mut self) {
        while self.peek().is_some_and(|c| c != b'\n') {
            self.bump();
        }
    }

    /// Blanks on this line only.
    fn skip_inline_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r')) {
            self.bump();
        }
    }

    /// Blanks, line ends and comments.
    fn skip_blanks_and_comments(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b'#' => self.skip_comment(),
                c if c.is_ascii_whitespace() => self.bump(),
                _ => break,
            }
        }
    }

    fn entries(mut self) -> Result<Vec<Entry>, ConfError> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks_and_comments();
            let Some(first) = self.peek() else {
                return Ok(out);
            };
            if !(first.is_ascii_alphabetic() || first == b'_') {
                return Err(self.error("expecting a name"));
            }
            let start = self.at;
            while self.peek().is_some_and(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-')
            }) {
                self.bump();
            }
            let name = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
            self.skip_inline_blanks();
            if self.peek() != Some(b'=') {
                return Err(self.error(&format!("expecting '=' after '{name}'")));
            }
            self.bump();
            self.skip_inline_blanks();
            let line = self.line;
            let value = self.value()?;
            self.skip_inline_blanks();
            match self.peek() {
                None | Some(b'\n' | b'#') => {}
                Some(b';') => self.bump(),
                Some(_) => return Err(self.error("expecting a separator")),
            }
            out.push(Entry { line, name, value });
        }
    }

    fn value(&mut self) -> Result<Value, ConfError> {
        match self.peek() {
            Some(b'"' | b'\'') => Ok(Value::Str(self.string()?)),
            Some(b'[') => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    while let Some(c) = self.peek() {
                        match c {
                            b'#' => self.skip_comment(),
                            c if c.is_ascii_whitespace() || c == b',' => self.bump(),
                            _ => break,
                        }
                    }
                    match self.peek() {
                        Some(b']') => {
                            self.bump();
                            return Ok(Value::List(items));
                        }
                        Some(b'"' | b'\'') => items.push(self.string()?),
                        _ => return Err(self.error("expecting a string or ']' in a list")),
                    }
                }
            }
            Some(c) if c == b'-' || c == b'+' || c.is_ascii_digit() => {
                let start = self.at;
                self.bump();
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.bump();
                }
                let num = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
                let (negative, digits) = match num.strip_prefix('-') {
                    Some(d) => (true, d),
                    None => (false, num.trim_start_matches('+')),
                };
                let magnitude = match digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
                    Some(hex) => i64::from_str_radix(hex, 16).ok(),
                    None => digits.parse::<i64>().ok(),
                };
                match magnitude {
                    Some(m) => Ok(Value::Int(if negative { -m } else { m })),
                    None => Err(self.error(&format!("invalid number '{num}'"))),
                }
            }
            _ => Err(self.error("expecting a value")),
        }
    }

    /// A quoted string: `"..."` or `'...'` on one line, or `"""..."""` over several.
    fn string(&mut self) -> Result<String, ConfError> {
        if self.rest().starts_with(b"\"\"\"") {
            self.at += 3;
            let start = self.at;
            while !self.rest().is_empty() && !self.rest().starts_with(b"\"\"\"") {
                self.bump();
            }
            if self.rest().is_empty() {
                return Err(self.error("unterminated string"));
            }
            let s = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
            self.at += 3;
            return Ok(s);
        }
        let quote = self.peek();
        self.bump();
        let start = self.at;
        while self.peek().is_some_and(|c| Some(c) != quote && c != b'\n') {
            self.bump();
        }
        if self.peek() != quote {
            return Err(self.error("unterminated string"));
        }
        let s = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
        self.bump();
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_value_form() {
        let c = ConfFile::parse(
            "# a comment\n\
             a = \"x y\"   # trailing comment\n\
             b = 'single'\n\
             c = \"\"\"two\nlines\"\"\"\n\
             d = 0x1f ;\n\
             e = -3\n\
             f = [ \"p\",   # the first\n  \"q\" ]\n\
             g = []\n\
             a = \"second\"\n",
            "t.conf",
        )
        .unwrap();
        assert_eq!(
            c.string("a").unwrap().as_deref(),
            Some("x y"),
            "the first entry wins"
        );
        assert_eq!(c.string("b").unwrap().as_deref(), Some("single"));
        assert_eq!(c.string("c").unwrap().as_deref(), Some("two\nlines"));
        assert_eq!(c.int("d").unwrap(), Some(31));
        assert_eq!(c.int("e").unwrap(), Some(-3));
        assert_eq!(
            c.string_list("f", false).unwrap(),
            Some(vec!["p".to_string(), "q".to_string()])
        );
        assert_eq!(c.string_list("g", false).unwrap(), Some(vec![]));
        assert_eq!(c.string("missing").unwrap(), None);
        let lines: Vec<_> = c
            .entries()
            .iter()
            .map(|e| (e.name.as_str(), e.line))
            .collect();
        assert_eq!(
            lines,
            [
                ("a", 2),
                ("b", 3),
                ("c", 4),
                ("d", 6),
                ("e", 7),
                ("f", 8),
                ("g", 10),
                ("a", 11)
            ]
        );
    }

    #[test]
    fn typed_getters_name_the_file_and_setting() {
        let c = ConfFile::parse(
            "n = \"many\"\nb = 2\nu = -1\ns = 3\nl = \"one\"\n",
            "q.conf",
        )
        .unwrap();
        let msg = |e: ConfError| match e {
            ConfError::Type(m) => m,
            other => panic!("not a type error: {other:?}"),
        };
        assert_eq!(
            msg(c.int("n").unwrap_err()),
            "q.conf: expected a signed integer for 'n' parameter"
        );
        assert_eq!(
            msg(c.boolean("b").unwrap_err()),
            "q.conf: value for 'b' parameter must be 0 or 1"
        );
        assert_eq!(
            msg(c.boolean("n").unwrap_err()),
            "q.conf: expected a bool for 'n' parameter"
        );
        assert_eq!(
            msg(c.uint("u").unwrap_err()),
            "q.conf: expected an unsigned integer for 'u' parameter"
        );
        assert_eq!(
            msg(c.string("s").unwrap_err()),
            "q.conf: expected a string for 's' parameter"
        );
        assert_eq!(
            msg(c.string_list("l", false).unwrap_err()),
            "q.conf: expected a string list for 'l' parameter"
        );
        assert_eq!(
            c.string_list("l", true).unwrap(),
            Some(vec!["one".to_string()])
        );
        assert_eq!(c.boolean("absent").unwrap(), None);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = |text: &str| match ConfFile::parse(text, "d.conf").unwrap_err() {
            ConfError::Syntax(m) => m,
            other => panic!("not a syntax error: {other:?}"),
        };
        assert_eq!(err("\n\nname 3\n"), "d.conf:3: expecting '=' after 'name'");
        assert_eq!(err("a = \"open\n"), "d.conf:1: unterminated string");
        assert_eq!(
            err("a = \"\"\"never closed\n"),
            "d.conf:2: unterminated string"
        );
        assert_eq!(err("a = 12ab\n"), "d.conf:1: invalid number '12ab'");
        assert_eq!(err("a = \"x\" b = 1\n"), "d.conf:1: expecting a separator");
        assert_eq!(err("a =\n"), "d.conf:1: expecting a value");
        assert_eq!(err("= 1\n"), "d.conf:1: expecting a name");
        assert_eq!(
            err("l = [\"a\",\n 3]\n"),
            "d.conf:2: expecting a string or ']' in a list"
        );
    }

    #[test]
    fn a_missing_file_is_a_read_error_naming_it() {
        let e = ConfFile::load(Path::new("/nonexistent/qemu.conf")).unwrap_err();
        assert!(
            matches!(&e, ConfError::Read(m) if m.starts_with("Failed to open file '/nonexistent/qemu.conf'")),
            "{e:?}"
        );
    }
}
