//! The declarative command table: what a command is called, what it takes, how virsh documents
//! it. Handlers live beside their declarations in `commands/*.rs`; the parser, the help printer
//! and the completer read only these declarations.

use crate::ctl::{CmdResult, Ctl};
use crate::parse::Cmd;

/// How an option takes its value, as vsh distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptKind {
    /// A flag: `--opt`, no value.
    Bool,
    /// A number: `--opt N`, or positional.
    Int,
    /// A string: `--opt S`, or positional unless `named_only`.
    String,
    /// A string that is normally given positionally (`<domain>`); `--opt S` works too.
    Data,
    /// The rest of the positional arguments (`echo a b c`); may repeat.
    Argv,
    /// Another name for an option; `help` holds the target (`string`) or the target with a
    /// value (`string=hello`). Not shown by `help`.
    Alias,
}

/// What the interactive shell offers when completing an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Complete {
    /// Nothing.
    None,
    /// Domain names.
    Domain,
    /// Snapshot names of the domain given on the line.
    Snapshot,
    /// Checkpoint names of the domain given on the line.
    Checkpoint,
    /// Command and group names.
    Command,
    /// Domain event names.
    DomainEvent,
    /// `send-key` codeset names.
    Codeset,
    /// Key names of the `--codeset` given on the line (Linux by default).
    Keycode,
}

/// One option of a command.
#[derive(Clone, Copy, Debug)]
pub struct Opt {
    /// The long name, without `--`.
    pub name: &'static str,
    /// How it takes its value.
    pub kind: OptKind,
    /// Its line in `help COMMAND` (for an alias: the target).
    pub help: &'static str,
    /// Must be given (`VSH_OFLAG_REQ`); positional options may be given without their name.
    pub required: bool,
    /// Only accepted by name (`VSH_OFLAG_REQ_OPT`): never filled positionally.
    pub named_only: bool,
    /// An empty value is accepted (`VSH_OFLAG_EMPTY_OK`).
    pub empty_ok: bool,
    /// An rvirsh addition virsh lacks (`--json`): accepted, never shown by `help`, never
    /// filled positionally.
    pub extension: bool,
    /// What to complete its value with.
    pub complete: Complete,
}

impl Opt {
    /// virsh's `VIRSH_COMMON_OPT_DOMAIN_FULL`: the required domain, completed with domain names.
    pub const DOMAIN: Opt = Opt::new("domain", OptKind::Data, "domain name, id or uuid")
        .required()
        .complete(Complete::Domain);
    /// virsh's `VIRSH_COMMON_OPT_DOMAIN_CONFIG`.
    pub const CONFIG: Opt = Opt::new("config", OptKind::Bool, "affect next boot");
    /// virsh's `VIRSH_COMMON_OPT_DOMAIN_LIVE`.
    pub const LIVE: Opt = Opt::new("live", OptKind::Bool, "affect running domain");
    /// virsh's `VIRSH_COMMON_OPT_DOMAIN_CURRENT`.
    pub const CURRENT: Opt = Opt::new("current", OptKind::Bool, "affect current domain");
    /// virsh's `VIRSH_COMMON_OPT_DOMAIN_PERSISTENT`.
    pub const PERSISTENT: Opt =
        Opt::new("persistent", OptKind::Bool, "make live change persistent");

    /// An optional option.
    pub const fn new(name: &'static str, kind: OptKind, help: &'static str) -> Opt {
        Opt {
            name,
            kind,
            help,
            required: false,
            named_only: false,
            empty_ok: false,
            extension: false,
            complete: Complete::None,
        }
    }

    /// Marks it required.
    pub const fn required(mut self) -> Opt {
        self.required = true;
        self
    }

    /// Marks it accepted by name only (never filled positionally).
    pub const fn named_only(mut self) -> Opt {
        self.named_only = true;
        self
    }

    /// Accepts an empty value.
    pub const fn empty_ok(mut self) -> Opt {
        self.empty_ok = true;
        self
    }

    /// Sets what the shell completes its value with.
    pub const fn complete(mut self, c: Complete) -> Opt {
        self.complete = c;
        self
    }

    /// `--json`, rvirsh's machine-readable output on listing and info commands.
    pub const fn json() -> Opt {
        let mut o = Opt::new("json", OptKind::Bool, "print JSON (rvirsh extension)");
        o.extension = true;
        o
    }

    /// Whether the option fills positional arguments (vsh's `opts_need_arg`).
    pub fn positional(&self) -> bool {
        !matches!(self.kind, OptKind::Bool | OptKind::Alias) && !self.named_only && !self.extension
    }
}

/// A command handler.
pub type Handler = fn(&mut Ctl, &Cmd) -> CmdResult;

/// One command.
#[derive(Clone, Copy, Debug)]
pub struct CmdDef {
    /// What the user types.
    pub name: &'static str,
    /// One-line summary (`help` listings, NAME section).
    pub help: &'static str,
    /// DESCRIPTION section of `help COMMAND`; empty for none.
    pub desc: &'static str,
    /// Options, in virsh's order (the order positional arguments fill them).
    pub opts: &'static [Opt],
    /// Runs without a connection (`help`, `echo`, `connect`, `quit`).
    pub no_connect: bool,
    /// For an alias entry: the command it stands for.
    pub alias_of: Option<&'static str>,
    /// Not listed by `help`.
    pub hidden: bool,
    /// What it does.
    pub run: Handler,
}

fn alias_handler(_: &mut Ctl, _: &Cmd) -> CmdResult {
    Ok(())
}

impl CmdDef {
    /// A command with no options, text or flags: the base for `..CmdDef::new(handler)`.
    pub const fn new(run: Handler) -> CmdDef {
        CmdDef {
            name: "",
            help: "",
            desc: "",
            opts: &[],
            no_connect: false,
            alias_of: None,
            hidden: false,
            run,
        }
    }

    /// Another name for the command `target`.
    pub const fn alias(name: &'static str, target: &'static str) -> CmdDef {
        CmdDef {
            name,
            alias_of: Some(target),
            hidden: true,
            ..CmdDef::new(alias_handler)
        }
    }

    /// The option called `name`, if any.
    pub fn opt(&self, name: &str) -> Option<(usize, &'static Opt)> {
        self.opts.iter().enumerate().find(|(_, o)| o.name == name)
    }
}

/// A group of commands, as `help` lists them.
#[derive(Debug)]
pub struct Group {
    /// Its title, e.g. `Domain Management`.
    pub name: &'static str,
    /// The keyword `help KEYWORD` accepts, e.g. `domain`.
    pub keyword: &'static str,
    /// Its commands, in virsh's order.
    pub commands: &'static [CmdDef],
}

/// Every command rvirsh knows, by group, in virsh's group order.
pub fn groups() -> &'static [&'static Group] {
    crate::commands::GROUPS
}

/// The command called `name` (alias entries included, not resolved).
pub fn find(name: &str) -> Option<&'static CmdDef> {
    groups()
        .iter()
        .flat_map(|g| g.commands.iter())
        .find(|c| c.name == name)
}

/// The command called `name`, aliases resolved to their target.
pub fn resolve(name: &str) -> Option<&'static CmdDef> {
    let c = find(name)?;
    match c.alias_of {
        Some(t) => find(t),
        None => Some(c),
    }
}

/// The group whose title or keyword is `name`.
pub fn find_group(name: &str) -> Option<&'static Group> {
    groups()
        .iter()
        .copied()
        .find(|g| g.name == name || g.keyword == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_well_formed() {
        let mut names = std::collections::HashSet::new();
        for g in groups() {
            for c in g.commands {
                assert!(names.insert(c.name), "{} declared twice", c.name);
                if let Some(t) = c.alias_of {
                    assert!(find(t).is_some_and(|t| t.alias_of.is_none()), "{}", c.name);
                    continue;
                }
                assert!(!c.help.is_empty(), "{} has no help", c.name);
                let mut seen = std::collections::HashSet::new();
                for (i, o) in c.opts.iter().enumerate() {
                    assert!(seen.insert(o.name), "{} --{} twice", c.name, o.name);
                    if o.kind == OptKind::Argv {
                        assert_eq!(
                            i + 1,
                            c.opts.len() - usize::from(c.opts.last().is_some_and(|o| o.extension)),
                            "argv of {} is not last",
                            c.name
                        );
                    }
                    if o.kind == OptKind::Alias {
                        let target = o.help.split('=').next().unwrap_or_default();
                        assert!(c.opt(target).is_some(), "{} --{}", c.name, o.name);
                    }
                }
            }
        }
    }

    #[test]
    fn the_readme_lists_every_command() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .unwrap_or_default();
        let section = readme.split("## rvirsh").nth(1).unwrap_or_default();
        for g in groups() {
            for c in g
                .commands
                .iter()
                .filter(|c| c.alias_of.is_none() && !c.hidden)
            {
                assert!(
                    section.contains(&format!("`{}`", c.name)),
                    "README lacks {}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn aliases_resolve_and_groups_are_found_by_keyword() {
        assert_eq!(resolve("list").map(|c| c.name), Some("list"));
        assert!(resolve("nosuch").is_none());
        assert_eq!(
            find_group("domain").map(|g| g.name),
            Some("Domain Management")
        );
        assert_eq!(
            find_group("Domain Monitoring").map(|g| g.keyword),
            Some("monitor")
        );
    }
}
