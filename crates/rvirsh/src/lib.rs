//! rvirsh: virsh for rvirt.
//!
//! The same command names, options, output and errors as libvirt 9.0's virsh, from one
//! declarative command table ([`cmd`]), vsh's command-line grammar ([`parse`]), and one file
//! per command group ([`commands`]). [`run`] is the whole program.

pub mod cmd;
pub mod commands;
pub mod ctl;
pub mod fmt;
pub mod help;
pub mod json;
pub mod parse;
pub mod progress;
pub mod qmp_json;
pub mod shell;
pub mod xpath;

use ctl::{Ctl, Failed};
use parse::Tokens;

/// The program's name as the user invoked it (usage text, greeting, getopt errors).
fn progname(argv0: &str) -> String {
    argv0.rsplit('/').next().unwrap_or("rvirsh").to_string()
}

/// What the command line's global options asked for.
#[derive(Debug, Default, PartialEq)]
struct Globals {
    connect: Option<String>,
    readonly: bool,
    quiet: bool,
    timing: bool,
    debug: Option<i32>,
    /// `-k`: keepalive interval in seconds.
    keepalive_interval: Option<i32>,
    /// `-K`: unanswered keepalive probes before giving up.
    keepalive_count: Option<i32>,
    /// Index of the first command word in argv.
    first: usize,
}

/// What to do instead of running commands.
#[derive(Debug, PartialEq)]
enum Early {
    Usage,
    Version(bool),
    /// Exit 1 after these errors.
    Error(Vec<String>),
}

/// Long options: (name, short letter, takes an argument: 0 no, 1 required, 2 optional).
const LONG: &[(&str, char, u8)] = &[
    ("connect", 'c', 1),
    ("debug", 'd', 1),
    ("escape", 'e', 1),
    ("help", 'h', 0),
    ("keepalive-interval", 'k', 1),
    ("keepalive-count", 'K', 1),
    ("log", 'l', 1),
    ("quiet", 'q', 0),
    ("readonly", 'r', 0),
    ("timing", 't', 0),
    ("version", 'v', 2),
];

/// Short options and whether they take an argument.
const SHORT: &[(char, bool)] = &[
    ('c', true),
    ('d', true),
    ('e', true),
    ('h', false),
    ('k', true),
    ('K', true),
    ('l', true),
    ('q', false),
    ('r', false),
    ('t', false),
    ('v', false),
    ('V', false),
];

/// Applies one global option (virsh's `virshParseArgv` switch).
fn apply(
    g: &mut Globals,
    opt: char,
    long: bool,
    arg: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<(), Early> {
    let name = |s: &str, l: &str| if long { l.to_string() } else { s.to_string() };
    let err = |m: String| Err(Early::Error(vec![m]));
    match opt {
        'c' => g.connect = arg.map(str::to_string),
        'd' => {
            let a = arg.unwrap_or_default();
            let Some(d) = parse::c_number(a).and_then(|n| i32::try_from(n).ok()) else {
                return err(format!(
                    "option {} takes a numeric argument",
                    name("-d", "--debug")
                ));
            };
            if (0..=4).contains(&d) {
                g.debug = Some(d);
            } else {
                warnings.push(format!("ignoring debug level {d} out of range [0-4]"));
            }
        }
        'e' => {
            let a = arg.unwrap_or_default();
            let b = a.as_bytes();
            let ok = (b.len() == 2
                && b[0] == b'^'
                && (b[1].is_ascii_lowercase() || (b'@'..=b'_').contains(&b[1])))
                || (b.len() == 1 && b[0] != b'^');
            if !ok {
                return err(format!("Invalid string '{a}' for escape sequence"));
            }
        }
        'h' => return Err(Early::Usage),
        'k' | 'K' => {
            let (s, l) = if opt == 'k' {
                ("-k", "--keepalive-interval")
            } else {
                ("-K", "--keepalive-count")
            };
            let Some(v) = arg.and_then(c_long_any_base) else {
                return err(format!("Invalid value for option {}", name(s, l)));
            };
            if v < 0 {
                return err(format!(
                    "option {} requires a positive integer argument",
                    name(s, l)
                ));
            }
            let v = i32::try_from(v).unwrap_or(i32::MAX);
            if opt == 'k' {
                g.keepalive_interval = Some(v);
            } else {
                g.keepalive_count = Some(v);
            }
        }
        'l' => {}
        'q' => g.quiet = true,
        'r' => g.readonly = true,
        't' => g.timing = true,
        'v' => return Err(Early::Version(arg == Some("long"))),
        'V' => return Err(Early::Version(true)),
        _ => {}
    }
    Ok(())
}

/// `strtol(s, NULL, 0)` with libvirt's whole-string rule, in `int` range.
fn c_long_any_base(s: &str) -> Option<i64> {
    crate::parse::c_number_any_base(s)
        .and_then(|v| i32::try_from(v).ok())
        .map(i64::from)
}

/// getopt_long with virsh's option string `+:c:d:e:hk:K:l:qrtvV`: stops at the first
/// non-option, long options by unique prefix.
fn parse_globals(args: &[String]) -> Result<Globals, Early> {
    let mut g = Globals::default();
    let mut i = 1;
    let mut warnings = Vec::new();
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let exact = LONG.iter().find(|l| l.0 == name);
            let cands: Vec<_> = LONG.iter().filter(|l| l.0.starts_with(name)).collect();
            let Some(&(lname, letter, has_arg)) = exact.or(if cands.len() == 1 {
                Some(cands[0])
            } else {
                None
            }) else {
                return Err(Early::Error(vec![format!(
                    "unsupported option '{a}'. See --help."
                )]));
            };
            i += 1;
            let arg = match has_arg {
                0 => {
                    if value.is_some() {
                        return Err(Early::Error(vec![format!(
                            "unsupported option '{a}'. See --help."
                        )]));
                    }
                    None
                }
                1 => match value {
                    Some(v) => Some(v.to_string()),
                    None if i < args.len() => {
                        i += 1;
                        Some(args[i - 1].clone())
                    }
                    None => {
                        return Err(Early::Error(vec![format!(
                            "option '-{letter}'/'--{lname}' requires an argument"
                        )]));
                    }
                },
                _ => value.map(str::to_string),
            };
            apply(&mut g, letter, true, arg.as_deref(), &mut warnings)?;
            continue;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        i += 1;
        let chars: Vec<char> = a.chars().skip(1).collect();
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            let Some(&(_, takes)) = SHORT.iter().find(|s| s.0 == c) else {
                return Err(Early::Error(vec![format!(
                    "unsupported option '-{c}'. See --help."
                )]));
            };
            let arg = if takes {
                let rest: String = chars[j + 1..].iter().collect();
                j = chars.len();
                if !rest.is_empty() {
                    Some(rest)
                } else if i < args.len() {
                    i += 1;
                    Some(args[i - 1].clone())
                } else {
                    let long = LONG.iter().find(|l| l.1 == c).map_or("", |l| l.0);
                    return Err(Early::Error(vec![format!(
                        "option '-{c}'/'--{long}' requires an argument"
                    )]));
                }
            } else {
                j += 1;
                None
            };
            apply(&mut g, c, false, arg.as_deref(), &mut warnings)?;
        }
    }
    g.first = i;
    if !warnings.is_empty() {
        // Out-of-range debug levels are reported and ignored; the program goes on.
        for w in &warnings {
            eprintln!("error: {w}");
        }
    }
    Ok(g)
}

/// `-V`: the version and what this build supports.
fn version_long() -> String {
    "Virsh command line tool of libvirt 9.0.0\nSee web site at https://libvirt.org/\n\n\
Compiled with support for:\n Hypervisors: Test\n Networking: Remote\n Storage:\n Miscellaneous: Daemon Debug Readline\n"
        .to_string()
}

/// Runs the commands, one after another; stops after `quit`. The result of the last one.
pub fn run_commands(ctl: &mut Ctl, cmds: &[parse::Cmd]) -> bool {
    let mut ok = true;
    for c in cmds {
        let start = std::time::Instant::now();
        ok = if c.def.no_connect || connection_usable(ctl) {
            (c.def.run)(ctl, c).is_ok()
        } else {
            false
        };
        let elapsed = start.elapsed();
        if !ok {
            ctl.report_error();
        }
        if c.def.name == "quit" || c.def.name == "exit" {
            ctl.flush();
            return ok;
        }
        if ctl.timing {
            ctl.print(&format!(
                "\n(Time: {:.3} ms)\n\n",
                elapsed.as_secs_f64() * 1000.0
            ));
        } else {
            ctl.print_extra("\n");
        }
        ctl.flush();
    }
    ok
}

/// virsh's connection handler: (re)connects when needed, then checks the connection.
fn connection_usable(ctl: &mut Ctl) -> bool {
    if (ctl.conn.is_none() || ctl.disconnected) && ctl.reconnect(None, false, false).is_err() {
        return false;
    }
    let alive = ctl
        .conn
        .as_ref()
        .is_some_and(|c| c.is_alive().unwrap_or(true));
    if !alive {
        ctl.error("no valid connection");
        return false;
    }
    // virshConnectionUsability: an error a previous command left behind (one that reported
    // its failure but still succeeded) is not this command's.
    ctl.last_error = None;
    true
}

/// vsh's `VSH_ERR_DEBUG`: the most detailed debug level.
pub const DEBUG_ALL: i32 = 0;
/// vsh's `VSH_ERR_INFO`.
pub const DEBUG_INFO: i32 = 1;

/// With `-d 1` or lower, every option of the parsed commands, as vsh logs them while parsing.
fn debug_parsed(ctl: &mut Ctl, cmds: &[parse::Cmd]) {
    for c in cmds {
        for (i, v) in &c.opts {
            let opt = &c.def.opts[*i];
            let (kind, value) = match v {
                Some(v) if opt.kind != cmd::OptKind::Bool => ("optdata", v.as_str()),
                _ => ("bool", "(none)"),
            };
            let line = format!("{}: {}({kind}): {value}\n", c.def.name, opt.name);
            ctl.debug_msg(DEBUG_INFO, &line);
        }
    }
}

/// Parses a command string or argv and runs it; prints parse errors as virsh does.
pub fn parse_and_run(ctl: &mut Ctl, tokens: &mut Tokens<'_>) -> Result<bool, Failed> {
    match parse::parse(tokens) {
        Ok(cmds) => Ok(run_commands(ctl, &cmds)),
        Err(msgs) => {
            for m in msgs {
                ctl.error(&m);
            }
            Err(Failed)
        }
    }
}

/// The whole program: global options, then the commands or the interactive shell. Returns
/// the exit status.
pub fn run(args: Vec<String>) -> i32 {
    let prog = progname(args.first().map_or("rvirsh", String::as_str));
    let g = match parse_globals(&args) {
        Ok(g) => g,
        Err(Early::Usage) => {
            print!("{}", help::usage(&prog));
            return 0;
        }
        Err(Early::Version(long)) => {
            if long {
                print!("{}", version_long());
            } else {
                println!("9.0.0");
            }
            return 0;
        }
        Err(Early::Error(msgs)) => {
            for m in msgs {
                eprintln!("error: {m}");
            }
            return 1;
        }
    };
    let stdout = std::io::stdout();
    let out = Box::new(std::io::BufWriter::with_capacity(16 * 1024, stdout));
    let mut ctl = Ctl::new(out, Box::new(std::io::stderr()));
    ctl.connname = g.connect.clone();
    ctl.readonly = g.readonly;
    ctl.quiet = g.quiet;
    ctl.keepalive_interval = g.keepalive_interval;
    ctl.keepalive_count = g.keepalive_count;
    ctl.timing = g.timing;
    if let Some(d) = g.debug {
        ctl.debug = d;
    }
    // SAFETY: isatty only inspects the descriptor.
    ctl.stdout_tty = unsafe { libc::isatty(1) } == 1;
    let rest = &args[g.first..];
    // Parse before connecting: a malformed command line never connects.
    let cmds = if rest.is_empty() {
        None
    } else if rest.len() == 1 && rest[0].is_empty() {
        // virsh refuses an empty command string without a word.
        return 1;
    } else {
        let parsed = if rest.len() == 1 {
            ctl.debug_msg(DEBUG_INFO, &format!("commands: \"{}\"\n", rest[0]));
            parse::parse(&mut Tokens::Str(&rest[0]))
        } else {
            parse::parse(&mut Tokens::Argv(rest.iter()))
        };
        match parsed {
            Ok(c) => {
                debug_parsed(&mut ctl, &c);
                Some(c)
            }
            Err(msgs) => {
                for m in msgs {
                    ctl.error(&m);
                }
                return 1;
            }
        }
    };
    if ctl.connname.is_some() && ctl.reconnect(None, false, false).is_err() {
        ctl.report_error();
        ctl.flush();
        return 1;
    }
    let ok = match cmds {
        Some(cmds) => run_commands(&mut ctl, &cmds),
        None => {
            ctl.imode = true;
            shell::interactive(&mut ctl, &prog);
            true
        }
    };
    ctl.flush();
    if ok { 0 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        std::iter::once("rvirsh")
            .chain(s.iter().copied())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn global_options_as_getopt_reads_them() {
        let g = parse_globals(&args(&["-c", "test:///default", "-rq", "list", "-r"])).unwrap();
        assert_eq!(g.connect.as_deref(), Some("test:///default"));
        assert!(g.readonly && g.quiet);
        assert_eq!(g.first, 4);
        let g = parse_globals(&args(&["--conn=test:///default", "--readonly"])).unwrap();
        assert_eq!(g.connect.as_deref(), Some("test:///default"));
        assert!(g.readonly);
        let g = parse_globals(&args(&["-ctest:///default", "-d", "0"])).unwrap();
        assert_eq!(
            (g.connect.as_deref(), g.debug),
            (Some("test:///default"), Some(0))
        );
    }

    #[test]
    fn global_option_errors_are_virsh_errors() {
        let e = |a: &[&str]| match parse_globals(&args(a)) {
            Err(Early::Error(m)) => m[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(e(&["--foo"]), "unsupported option '--foo'. See --help.");
        assert_eq!(e(&["-x"]), "unsupported option '-x'. See --help.");
        assert_eq!(e(&["-c"]), "option '-c'/'--connect' requires an argument");
        assert_eq!(e(&["-k", "x"]), "Invalid value for option -k");
        assert_eq!(
            e(&["--keepalive-interval=-1"]),
            "option --keepalive-interval requires a positive integer argument"
        );
        assert_eq!(e(&["-d", "x"]), "option -d takes a numeric argument");
        assert_eq!(
            e(&["-e", "^^^"]),
            "Invalid string '^^^' for escape sequence"
        );
        assert_eq!(parse_globals(&args(&["-h"])), Err(Early::Usage));
        assert_eq!(parse_globals(&args(&["-v"])), Err(Early::Version(false)));
        assert_eq!(
            parse_globals(&args(&["--version=long"])),
            Err(Early::Version(true))
        );
        assert_eq!(parse_globals(&args(&["-V"])), Err(Early::Version(true)));
    }

    #[test]
    fn numbers_in_any_base() {
        assert_eq!(c_long_any_base("0x10"), Some(16));
        assert_eq!(c_long_any_base("010"), Some(8));
        assert_eq!(c_long_any_base("-3"), Some(-3));
        assert_eq!(c_long_any_base("3x"), None);
    }
}
