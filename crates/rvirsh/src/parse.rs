//! vsh's command-line grammar: a tokenizer for command strings (quoting, escapes, `;`, `#`
//! comments) and for argv, and the parser that matches tokens against the command table
//! (long options, `--opt=value`, option aliases, positional filling, `--`, `--help`).

use crate::cmd::{self, CmdDef, OptKind};

/// What the tokenizer hands the parser next.
#[derive(Debug, PartialEq, Eq)]
pub enum Token {
    /// An argument (may be empty).
    Arg(String),
    /// `;` or a newline: the end of one command.
    SubEnd,
    /// The end of the input.
    End,
}

/// A source of tokens: the words of argv, or a command string.
#[derive(Debug)]
pub enum Tokens<'a> {
    /// Arguments as the program received them: one token each, no quoting, no `;`.
    Argv(std::slice::Iter<'a, String>),
    /// A command string, split as a shell would (quotes, backslashes, `;`, `#`).
    Str(&'a str),
}

impl Tokens<'_> {
    /// The next token. `report` is false while completing, where an open double quote is not
    /// an error. Errors are virsh's messages.
    pub fn next_token(&mut self, report: bool) -> Result<Token, String> {
        match self {
            Tokens::Argv(it) => Ok(it.next().map_or(Token::End, |s| Token::Arg(s.clone()))),
            Tokens::Str(rest) => {
                let (tok, pos) = string_token(rest, report)?;
                *rest = &rest[pos..];
                Ok(tok)
            }
        }
    }
}

/// One token of a command string and how many bytes it used.
fn string_token(s: &str, report: bool) -> Result<(Token, usize), String> {
    let b = s.as_bytes();
    let mut p = 0;
    while p < b.len()
        && (b[p] == b' ' || b[p] == b'\t' || (b[p] == b'\\' && b.get(p + 1) == Some(&b'\n')))
    {
        p += if b[p] == b'\\' { 2 } else { 1 };
    }
    if p == b.len() {
        return Ok((Token::End, p));
    }
    if b[p] == b';' || b[p] == b'\n' {
        return Ok((Token::SubEnd, p + 1));
    }
    if b[p] == b'#' {
        while p < b.len() && b[p] != b'\n' {
            p += 1;
        }
        return Ok((Token::SubEnd, (p + 1).min(b.len())));
    }
    let (mut single, mut double) = (false, false);
    let mut out: Vec<u8> = Vec::new();
    while p < b.len() {
        let c = b[p];
        if !single && !double && matches!(c, b' ' | b'\t' | b';' | b'\n') {
            break;
        }
        if !double && c == b'\'' {
            single = !single;
            p += 1;
            continue;
        } else if !single && c == b'\\' {
            p += 1;
            match b.get(p) {
                None => return Err("dangling \\".into()),
                Some(b'\n') => {
                    p += 1;
                    continue;
                }
                Some(_) => {}
            }
        } else if !single && c == b'"' {
            double = !double;
            p += 1;
            continue;
        }
        out.push(b[p]);
        p += 1;
    }
    if double && report {
        return Err("missing \"".into());
    }
    Ok((Token::Arg(String::from_utf8_lossy(&out).into_owned()), p))
}

/// A parsed command: its definition and the options given, in the order given.
#[derive(Clone, Debug)]
pub struct Cmd {
    /// The command (aliases resolved).
    pub def: &'static CmdDef,
    /// (index into `def.opts`, value; `None` for a flag).
    pub opts: Vec<(usize, Option<String>)>,
}

impl Cmd {
    /// The value given for option `name`, if it was given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.opts
            .iter()
            .find(|(i, _)| self.def.opts[*i].name == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether option `name` was given (flag or value).
    pub fn has(&self, name: &str) -> bool {
        self.opts
            .iter()
            .any(|(i, _)| self.def.opts[*i].name == name)
    }

    /// Every value of the argv option (in order).
    pub fn argv(&self) -> Vec<&str> {
        self.opts
            .iter()
            .filter(|(i, _)| self.def.opts[*i].kind == OptKind::Argv)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }
}

/// Universal `--help` (vsh's `helpopt`): turns any command into `help COMMAND`.
const HELP: &str = "help";

/// Parses every command of the input. Errors are virsh's messages; on error nothing runs.
pub fn parse(tokens: &mut Tokens<'_>) -> Result<Vec<Cmd>, Vec<String>> {
    let mut cmds = Vec::new();
    loop {
        let (cmd, end) = parse_one(tokens)?;
        if let Some(c) = cmd {
            cmds.push(c);
        }
        if end {
            return Ok(cmds);
        }
    }
}

/// Index of the next positional option not yet filled, as vsh's `vshCmddefGetData`.
fn next_positional(def: &CmdDef, need: &mut [bool]) -> Option<usize> {
    let i = need.iter().position(|n| *n)?;
    if def.opts[i].kind != OptKind::Argv {
        need[i] = false;
    }
    Some(i)
}

/// Parses one command; the flag says whether the input is exhausted.
fn parse_one(tokens: &mut Tokens<'_>) -> Result<(Option<Cmd>, bool), Vec<String>> {
    let one = |m: String| vec![m];
    let mut def: Option<&'static CmdDef> = None;
    let mut opts: Vec<(usize, Option<String>)> = Vec::new();
    let mut need: Vec<bool> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    let mut data_only = false;
    let mut help_asked = false;
    let end = loop {
        let tok = tokens.next_token(true).map_err(one)?;
        let data = match tok {
            Token::Arg(a) => a,
            Token::SubEnd => break false,
            Token::End => break true,
        };
        let Some(d) = def else {
            if data.starts_with('#') {
                // A comment to the end of the command.
                loop {
                    match tokens.next_token(false).map_err(one)? {
                        Token::Arg(_) => continue,
                        Token::SubEnd => return Ok((None, false)),
                        Token::End => return Ok((None, true)),
                    }
                }
            }
            let Some(c) = cmd::resolve(&data) else {
                return Err(one(format!("unknown command: '{data}'")));
            };
            def = Some(c);
            need = c.opts.iter().map(|o| o.positional()).collect();
            seen = vec![false; c.opts.len()];
            continue;
        };
        let is_long = !data_only
            && data.len() > 2
            && data.starts_with("--")
            && data.as_bytes()[2].is_ascii_alphanumeric();
        if is_long {
            let body = &data[2..];
            let (mut name, mut value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            if name == HELP {
                help_asked = true;
                if value.is_some() {
                    return Err(one("invalid '=' after option --help".into()));
                }
                continue;
            }
            let mut found = None;
            for _ in 0..4 {
                match d.opt(&name) {
                    Some((_, o)) if o.kind == OptKind::Alias => {
                        let (target, v) = match o.help.split_once('=') {
                            Some((t, v)) => (t, Some(v)),
                            None => (o.help, None),
                        };
                        if let Some(v) = v {
                            if value.is_some() {
                                return Err(one(format!("invalid '=' after option --{}", o.name)));
                            }
                            value = Some(v.to_string());
                        }
                        name = target.to_string();
                    }
                    Some(x) => {
                        found = Some(x);
                        break;
                    }
                    None => break,
                }
            }
            let Some((i, o)) = found else {
                if d.name == HELP {
                    continue;
                }
                return Err(one(format!(
                    "command '{}' doesn't support option --{name}",
                    d.name
                )));
            };
            if seen[i] && o.kind != OptKind::Argv {
                return Err(one(format!("option --{name} already seen")));
            }
            seen[i] = true;
            if o.kind == OptKind::Bool {
                if value.is_some() {
                    return Err(one(format!("invalid '=' after option --{}", o.name)));
                }
                opts.push((i, None));
                continue;
            }
            let v = match value {
                Some(v) => v,
                None => match tokens.next_token(true).map_err(one)? {
                    Token::Arg(v) => v,
                    _ => {
                        let what = if o.kind == OptKind::Int {
                            "number"
                        } else {
                            "string"
                        };
                        return Err(one(format!("expected syntax: --{} <{what}>", o.name)));
                    }
                },
            };
            if o.kind != OptKind::Argv {
                need[i] = false;
            }
            opts.push((i, Some(v)));
        } else if !data_only && data == "--" {
            data_only = true;
        } else {
            match next_positional(d, &mut need) {
                Some(i) => {
                    seen[i] = true;
                    opts.push((i, Some(data)));
                }
                None if d.name == HELP => {}
                None => return Err(one(format!("unexpected data '{data}'"))),
            }
        }
    };
    let Some(d) = def else {
        return Ok((None, end));
    };
    if help_asked {
        let help = cmd::resolve(HELP).ok_or_else(|| one("unknown command: 'help'".into()))?;
        return Ok((
            Some(Cmd {
                def: help,
                opts: vec![(0, Some(d.name.to_string()))],
            }),
            end,
        ));
    }
    let missing: Vec<String> = d
        .opts
        .iter()
        .enumerate()
        .filter(|(i, o)| o.required && !seen[*i])
        .map(|(_, o)| {
            if matches!(o.kind, OptKind::Data | OptKind::Argv) {
                format!("command '{}' requires <{}> option", d.name, o.name)
            } else {
                format!("command '{}' requires --{} option", d.name, o.name)
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok((Some(Cmd { def: d, opts }), end))
}

/// libvirt's `virStrToLong_*` family: base 10, leading blanks allowed, the whole text must be
/// a number. Returns the value as i128 so callers can range-check for their type.
pub fn c_number(s: &str) -> Option<i128> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30 {
        return None;
    }
    let v: i128 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// libvirt's `virStrToLong_*` with base 0, as `strtol(s, NULL, 0)` reads a number: leading
/// blanks and a sign allowed, then decimal, `0x` hexadecimal or `0` octal; the whole text must
/// be the number. Callers range-check for their type.
pub fn c_number_any_base(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// The leading number of `s` (strtoull-style, no sign allowed) and the rest.
fn leading_unsigned(s: &str) -> Option<(u128, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    let n = t.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 30 {
        return None;
    }
    Some((t[..n].parse().ok()?, &t[n..]))
}

/// Why a scaled number was refused (libvirt reports the last two as errors of their own).
#[derive(Debug, PartialEq, Eq)]
pub enum ScaleError {
    /// Not a number at all.
    Malformed,
    /// `unknown suffix 'X'` (`VIR_ERR_INVALID_ARG`).
    Suffix(String),
    /// `value too large: NX` (`VIR_ERR_OVERFLOW`).
    TooLarge(String),
}

/// libvirt's `virScaleInteger` on a `virStrToLong_ullp` prefix: `1G`, `512MiB`, `1000KB`,
/// `4096b`; no suffix means `default_scale`; at most `max`.
pub fn scaled_number(s: &str, default_scale: u64, max: u64) -> Result<u64, ScaleError> {
    let (v, suffix) = leading_unsigned(s).ok_or(ScaleError::Malformed)?;
    if v > u128::from(u64::MAX) {
        return Err(ScaleError::Malformed);
    }
    let scale: u128 = if suffix.is_empty() {
        default_scale.into()
    } else {
        let lower = suffix.to_ascii_lowercase();
        let unknown = || ScaleError::Suffix(suffix.to_string());
        if matches!(lower.as_str(), "b" | "byte" | "bytes") {
            1
        } else {
            let mut chars = lower.chars();
            let p = match chars.next().ok_or_else(unknown)? {
                'k' => 1,
                'm' => 2,
                'g' => 3,
                't' => 4,
                'p' => 5,
                'e' => 6,
                _ => return Err(unknown()),
            };
            let base: u128 = match chars.as_str() {
                "" | "ib" => 1024,
                "b" => 1000,
                _ => return Err(unknown()),
            };
            base.pow(p)
        }
    };
    if v != 0 && v > u128::from(max) / scale {
        return Err(ScaleError::TooLarge(format!("{v}{suffix}")));
    }
    u64::try_from(v * scale).map_err(|_| ScaleError::TooLarge(format!("{v}{suffix}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        let mut t = Tokens::Str(s);
        let mut out = Vec::new();
        loop {
            let tok = t.next_token(true).unwrap();
            let end = tok == Token::End;
            out.push(tok);
            if end {
                return out;
            }
        }
    }

    fn arg(s: &str) -> Token {
        Token::Arg(s.into())
    }

    #[test]
    fn tokenizer_quotes_escapes_and_separators() {
        assert_eq!(
            toks("a 'b c'\"d e\" f\\ g;h # rest\ni"),
            vec![
                arg("a"),
                arg("b cd e"),
                arg("f g"),
                Token::SubEnd,
                arg("h"),
                Token::SubEnd,
                arg("i"),
                Token::End
            ]
        );
        assert_eq!(toks("'it''s'"), vec![arg("its"), Token::End]);
        assert_eq!(toks("\"a\\\"b\""), vec![arg("a\"b"), Token::End]);
        assert_eq!(toks("''"), vec![arg(""), Token::End]);
        let mut t = Tokens::Str("a\\");
        assert_eq!(t.next_token(true), Err("dangling \\".to_string()));
        let mut t = Tokens::Str("\"open");
        assert_eq!(t.next_token(true), Err("missing \"".to_string()));
        let mut t = Tokens::Str("\"open");
        assert_eq!(t.next_token(false), Ok(arg("open")));
    }

    fn parse_str(s: &str) -> Result<Vec<Cmd>, Vec<String>> {
        parse(&mut Tokens::Str(s))
    }

    #[test]
    fn options_by_name_by_position_and_with_equals() {
        for line in [
            "dominfo test",
            "dominfo --domain test",
            "dominfo --domain=test",
        ] {
            let c = parse_str(line).unwrap();
            assert_eq!(c.len(), 1);
            assert_eq!(c[0].value("domain"), Some("test"), "{line}");
        }
        let c = parse_str("domstate test --reason; list --all").unwrap();
        assert_eq!(c.len(), 2);
        assert!(c[0].has("reason"));
        assert!(c[1].has("all") && !c[1].has("inactive"));
        let c = parse_str("echo a -- --b c").unwrap();
        assert_eq!(c[0].argv(), vec!["a", "--b", "c"]);
        let c = parse_str("echo --hi x").unwrap();
        assert_eq!(c[0].argv(), vec!["hello", "x"]);
        let c = parse_str("echo --str=y").unwrap();
        assert_eq!(c[0].argv(), vec!["y"]);
    }

    #[test]
    fn errors_are_worded_as_virsh_words_them() {
        let e = |s: &str| parse_str(s).unwrap_err();
        assert_eq!(e("nosuch"), vec!["unknown command: 'nosuch'"]);
        assert_eq!(
            e("list --bogus"),
            vec!["command 'list' doesn't support option --bogus"]
        );
        assert_eq!(e("list --all --all"), vec!["option --all already seen"]);
        assert_eq!(e("list --all=1"), vec!["invalid '=' after option --all"]);
        assert_eq!(
            e("dominfo"),
            vec!["command 'dominfo' requires <domain> option"]
        );
        assert_eq!(e("dominfo a b"), vec!["unexpected data 'b'"]);
        assert_eq!(
            e("dominfo --domain"),
            vec!["expected syntax: --domain <string>"]
        );
        assert_eq!(e("echo --hi=x"), vec!["invalid '=' after option --hi"]);
        // Nothing runs when any command of the line is wrong.
        assert!(parse_str("list; nosuch").is_err());
    }

    #[test]
    fn help_option_becomes_help_command_and_comments_are_skipped() {
        let c = parse_str("dominfo --help").unwrap();
        assert_eq!(c[0].def.name, "help");
        assert_eq!(c[0].value("command"), Some("dominfo"));
        let c = parse_str("# just a comment").unwrap();
        assert!(c.is_empty());
        let c = parse_str("help --foo list extra").unwrap();
        assert_eq!(c[0].value("command"), Some("list"));
    }

    #[test]
    fn argv_tokens_are_taken_verbatim() {
        let args: Vec<String> = ["echo", "a;b", "'c'"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = parse(&mut Tokens::Argv(args.iter())).unwrap();
        assert_eq!(c[0].argv(), vec!["a;b", "'c'"]);
    }

    #[test]
    fn numbers_as_libvirt_reads_them() {
        assert_eq!(c_number(" 42"), Some(42));
        assert_eq!(c_number("-1"), Some(-1));
        assert_eq!(c_number("4x"), None);
        assert_eq!(c_number(""), None);
        assert_eq!(c_number("99999999999999999999999999999999999"), None);
        assert_eq!(scaled_number("1", 1024, u64::MAX), Ok(1024));
        assert_eq!(scaled_number("1G", 1024, u64::MAX), Ok(1 << 30));
        assert_eq!(scaled_number("1GB", 1024, u64::MAX), Ok(1_000_000_000));
        assert_eq!(scaled_number("5b", 1024, u64::MAX), Ok(5));
        assert_eq!(
            scaled_number("1Q", 1024, u64::MAX),
            Err(ScaleError::Suffix("Q".into()))
        );
        assert_eq!(
            scaled_number("-1", 1024, u64::MAX),
            Err(ScaleError::Malformed)
        );
        assert_eq!(
            scaled_number("2", 1024, 1024),
            Err(ScaleError::TooLarge("2".into()))
        );
        assert_eq!(
            scaled_number("99999999999999999999999G", 1024, u64::MAX),
            Err(ScaleError::Malformed)
        );
    }
}
