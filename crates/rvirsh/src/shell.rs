//! The interactive shell: virsh's greeting, a `rvirsh # ` prompt (`rvirsh > ` when read-only),
//! line editing and history (rustyline), and completion of command names, option names and
//! option values (domain names, snapshot names, commands) from the command table.

use crate::cmd::{self, Complete, OptKind};
use crate::ctl::Ctl;
use crate::parse::Tokens;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

/// Where the shell keeps its history between sessions.
fn history_path() -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))?;
    Some(base.join("rvirsh").join("history"))
}

/// Runs the read-eval loop until `quit` or end of input.
pub fn interactive(ctl: &mut Ctl, progname: &str) {
    if !ctl.quiet {
        ctl.print(&format!(
            "Welcome to {progname}, the virtualization interactive terminal.\n\n\
Type:  'help' for help with commands\n       'quit' to quit\n\n"
        ));
        ctl.flush();
    }
    let config = rustyline::Config::builder()
        .completion_type(rustyline::CompletionType::List)
        .auto_add_history(false)
        .build();
    let Ok(mut rl) = Editor::<ShellHelper, DefaultHistory>::with_config(config) else {
        ctl.error("failed to initialise the line editor");
        return;
    };
    rl.set_helper(Some(ShellHelper { conn: None }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut eof = false;
    loop {
        if let Some(h) = rl.helper_mut() {
            h.conn = ctl.conn.clone();
        }
        let prompt = if ctl.readonly {
            "rvirsh > "
        } else {
            "rvirsh # "
        };
        match rl.readline(prompt) {
            Ok(line) => {
                if !line.is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                    let _ = crate::parse_and_run(ctl, &mut Tokens::Str(&line));
                    ctl.flush();
                }
                if !ctl.imode {
                    break;
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(_) => {
                eof = true;
                break;
            }
        }
    }
    if eof {
        ctl.print("\n");
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
}

/// Completion from the command table and the connection.
pub struct ShellHelper {
    /// The connection, for domain and snapshot names.
    pub conn: Option<rvirt::blocking::Connect>,
}

impl Helper for ShellHelper {}
impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = line.get(..pos).unwrap_or(line);
        let (start, words) = complete_line(before, self.conn.as_ref());
        Ok((start, words))
    }
}

/// Words of the current command (after the last `;`), split on blanks; the last one may be
/// empty (the word being typed).
fn current_words(before: &str) -> (usize, Vec<&str>) {
    let cmd_start = before.rfind(';').map_or(0, |i| i + 1);
    let text = &before[cmd_start..];
    let mut words: Vec<&str> = text.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    if text.is_empty() || text.ends_with([' ', '\t']) {
        words.push("");
    }
    (before.len() - words.last().map_or(0, |w| w.len()), words)
}

/// What completes the word being typed at the end of `before`: (where it starts, candidates).
pub fn complete_line(
    before: &str,
    conn: Option<&rvirt::blocking::Connect>,
) -> (usize, Vec<String>) {
    let (start, words) = current_words(before);
    let Some((&word, done)) = words.split_last() else {
        return (start, Vec::new());
    };
    let mut out: Vec<String> = if done.is_empty() {
        command_names()
            .into_iter()
            .filter(|n| n.starts_with(word))
            .collect()
    } else {
        let Some(def) = cmd::resolve(done[0]) else {
            return (start, Vec::new());
        };
        let args = &done[1..];
        if word.starts_with('-') {
            def.opts
                .iter()
                .filter(|o| o.kind != OptKind::Alias)
                .filter(|o| {
                    o.kind == OptKind::Argv || !args.contains(&format!("--{}", o.name).as_str())
                })
                .map(|o| format!("--{}", o.name))
                .filter(|n| n.starts_with(word))
                .collect()
        } else {
            let opt = value_option(def, args);
            let values = match opt.map(|o| o.complete) {
                Some(Complete::Domain) => domain_names(conn),
                Some(Complete::Snapshot) => snapshot_names(conn, def, args),
                Some(Complete::Checkpoint) => checkpoint_names(conn, def, args),
                Some(Complete::Command) => {
                    let mut v = command_names();
                    v.extend(cmd::groups().iter().map(|g| g.keyword.to_string()));
                    v
                }
                Some(Complete::DomainEvent) => crate::commands::events::EVENT_NAMES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                Some(Complete::Codeset) => rvirt_keycode::CODESET_NAMES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                Some(Complete::Keycode) => key_names(args),
                _ => Vec::new(),
            };
            values.into_iter().filter(|v| v.starts_with(word)).collect()
        }
    };
    out.sort();
    out.dedup();
    (start, out)
}

/// The key names of the codeset `args` give with `--codeset` (Linux without one).
fn key_names(args: &[&str]) -> Vec<String> {
    let name = args
        .iter()
        .position(|a| *a == "--codeset")
        .and_then(|i| args.get(i + 1))
        .map_or("linux", |n| n);
    rvirt_keycode::codeset_from_name(name)
        .map(|s| rvirt_keycode::key_names(s).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Every command name the shell offers (no aliases, no hidden commands).
fn command_names() -> Vec<String> {
    cmd::groups()
        .iter()
        .flat_map(|g| g.commands.iter())
        .filter(|c| c.alias_of.is_none() && !c.hidden)
        .map(|c| c.name.to_string())
        .collect()
}

/// The option whose value is being typed: the one named just before, or the next
/// positional one not given yet.
fn value_option(def: &'static cmd::CmdDef, args: &[&str]) -> Option<&'static cmd::Opt> {
    if let Some(prev) = args.last().and_then(|a| a.strip_prefix("--")) {
        if let Some((_, o)) = def.opt(prev) {
            if o.kind != OptKind::Bool {
                return Some(o);
            }
        }
    }
    let mut filled: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if let Some(name) = a.strip_prefix("--") {
            let name = name.split('=').next().unwrap_or(name);
            if let Some((_, o)) = def.opt(name) {
                filled.push(o.name);
                if o.kind != OptKind::Bool && !a.contains('=') {
                    i += 1;
                }
            }
        } else if let Some(o) = def
            .opts
            .iter()
            .find(|o| o.positional() && (o.kind == OptKind::Argv || !filled.contains(&o.name)))
        {
            filled.push(o.name);
        }
        i += 1;
    }
    def.opts
        .iter()
        .find(|o| o.positional() && (o.kind == OptKind::Argv || !filled.contains(&o.name)))
}

fn domain_names(conn: Option<&rvirt::blocking::Connect>) -> Vec<String> {
    conn.and_then(|c| {
        c.list_all_domains(rvirt::flags::ConnectListAllDomainsFlags::empty())
            .ok()
    })
    .map(|d| d.iter().map(|d| d.get_name().to_string()).collect())
    .unwrap_or_default()
}

fn snapshot_names(
    conn: Option<&rvirt::blocking::Connect>,
    def: &cmd::CmdDef,
    args: &[&str],
) -> Vec<String> {
    completion_domain(conn, def, args)
        .and_then(|d| {
            d.list_all_snapshots(rvirt::snapshot_flags::DomainSnapshotListFlags::empty())
                .ok()
        })
        .map(|s| s.iter().map(|s| s.get_name().to_string()).collect())
        .unwrap_or_default()
}

/// The checkpoint names of the domain the line names.
fn checkpoint_names(
    conn: Option<&rvirt::blocking::Connect>,
    def: &cmd::CmdDef,
    args: &[&str],
) -> Vec<String> {
    completion_domain(conn, def, args)
        .and_then(|d| {
            d.list_all_checkpoints(rvirt::checkpoint_flags::DomainCheckpointListFlags::empty())
                .ok()
        })
        .map(|c| c.iter().map(|c| c.get_name().to_string()).collect())
        .unwrap_or_default()
}

/// The domain a command line being completed names: `--domain X` or the first positional word.
fn completion_domain(
    conn: Option<&rvirt::blocking::Connect>,
    def: &cmd::CmdDef,
    args: &[&str],
) -> Option<rvirt::blocking::Domain> {
    let conn = conn?;
    let dom = args
        .iter()
        .position(|a| *a == "--domain")
        .and_then(|i| args.get(i + 1))
        .or_else(|| args.iter().find(|a| !a.starts_with('-')))
        .filter(|_| def.opt("domain").is_some())?;
    conn.lookup_by_name(dom).ok()
}

/// The terminal in raw mode (one key at a time, no echo) until dropped.
pub struct RawMode {
    saved: Option<libc::termios>,
}

impl RawMode {
    /// Puts stdin's terminal in raw mode; does nothing when stdin is not a terminal.
    pub fn enter() -> RawMode {
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to a termios.
        if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
            return RawMode { saved: None };
        }
        let saved = t;
        // SAFETY: valid pointer; cfmakeraw only edits the struct.
        unsafe { libc::cfmakeraw(&mut t) };
        // SAFETY: valid pointer to a termios.
        unsafe { libc::tcsetattr(0, libc::TCSAFLUSH, &t) };
        RawMode { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = self.saved {
            // SAFETY: restores what tcgetattr returned.
            unsafe { libc::tcsetattr(0, libc::TCSAFLUSH, &t) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> rvirt::blocking::Connect {
        rvirt::blocking::Connect::open("test:///default?private=1")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn completes_commands_options_and_domains() {
        let c = conn();
        assert_eq!(
            complete_line("domin", None),
            (0, vec!["dominfo".to_string()])
        );
        assert_eq!(
            complete_line("list --al", None),
            (5, vec!["--all".to_string()])
        );
        assert_eq!(
            complete_line("dominfo t", Some(&c)),
            (8, vec!["test".to_string()])
        );
        assert_eq!(
            complete_line("list; dominfo --domain t", Some(&c)).1,
            vec!["test".to_string()]
        );
        assert_eq!(
            complete_line("help snapshot-cr", None).1,
            vec![
                "snapshot-create".to_string(),
                "snapshot-create-as".to_string()
            ]
        );
        // An option already given is not offered again.
        assert!(
            !complete_line("list --all --a", None)
                .1
                .contains(&"--all".to_string())
        );
        assert!(complete_line("nosuch x", Some(&c)).1.is_empty());
    }

    #[test]
    fn completes_snapshot_names_of_the_domain_on_the_line() {
        let c = conn();
        let d = c.lookup_by_name("test").unwrap_or_else(|e| panic!("{e}"));
        d.snapshot_create_xml(
            "<domainsnapshot><name>s1</name></domainsnapshot>",
            rvirt::snapshot_flags::DomainSnapshotCreateFlags::empty(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            complete_line("snapshot-info test s", Some(&c)).1,
            vec!["s1".to_string()]
        );
        assert_eq!(
            complete_line("snapshot-info --domain test --snapshotname ", Some(&c)).1,
            vec!["s1".to_string()]
        );
    }

    #[test]
    fn completes_checkpoint_names_of_the_domain_on_the_line() {
        let c = conn();
        let d = c.lookup_by_name("test").unwrap_or_else(|e| panic!("{e}"));
        d.checkpoint_create_xml(
            "<domaincheckpoint><name>c1</name></domaincheckpoint>",
            rvirt::checkpoint_flags::DomainCheckpointCreateFlags::empty(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            complete_line("checkpoint-info test c", Some(&c)).1,
            vec!["c1".to_string()]
        );
        assert_eq!(
            complete_line("checkpoint-list test --from ", Some(&c)).1,
            vec!["c1".to_string()]
        );
    }
}
