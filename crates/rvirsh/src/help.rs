//! Help as virsh prints it: the usage text (`-h`), the grouped listing (`help`), one group
//! (`help GROUP`) and one command (`help COMMAND`), all from the command table.

use crate::cmd::{CmdDef, Group, OptKind, groups};
use std::fmt::Write;

/// The listing line of one command.
fn command_line(out: &mut String, c: &CmdDef) {
    let _ = writeln!(out, "    {:<30} {}", c.name, c.help);
}

fn listed(g: &Group) -> impl Iterator<Item = &CmdDef> {
    g.commands
        .iter()
        .filter(|c| c.alias_of.is_none() && !c.hidden)
}

/// `help` with no argument.
pub fn global() -> String {
    let mut out = String::from("Grouped commands:\n\n");
    for g in groups() {
        let _ = writeln!(out, " {} (help keyword '{}'):", g.name, g.keyword);
        for c in listed(g) {
            command_line(&mut out, c);
        }
        out.push('\n');
    }
    out
}

/// `help GROUP`.
pub fn group(g: &Group) -> String {
    let mut out = String::new();
    let _ = writeln!(out, " {} (help keyword '{}'):", g.name, g.keyword);
    for c in listed(g) {
        command_line(&mut out, c);
    }
    out
}

/// `-h` / `--help`: the program's usage and every command.
pub fn usage(progname: &str) -> String {
    let mut out = format!(
        "\n{progname} [options]... [<command_string>]\n{progname} [options]... <command> [args...]\n\n"
    );
    for line in [
        "  options:",
        "    -c | --connect=URI      hypervisor connection URI",
        "    -d | --debug=NUM        debug level [0-4]",
        "    -e | --escape <char>    set escape sequence for console",
        "    -h | --help             this help",
        "    -k | --keepalive-interval=NUM",
        "                            keepalive interval in seconds, 0 for disable",
        "    -K | --keepalive-count=NUM",
        "                            number of possible missed keepalive messages",
        "    -l | --log=FILE         output logging to file",
        "    -q | --quiet            quiet mode",
        "    -r | --readonly         connect readonly",
        "    -t | --timing           print timing information",
        "    -v                      short version",
        "    -V                      long version",
        "         --version[=TYPE]   version, TYPE is short or long (default short)",
        "  commands (non interactive mode):",
        "",
    ] {
        out.push_str(line);
        out.push('\n');
    }
    for g in groups() {
        let _ = writeln!(out, " {} (help keyword '{}')", g.name, g.keyword);
        for c in listed(g) {
            command_line(&mut out, c);
        }
        out.push('\n');
    }
    out.push_str("\n  (specify help <group> for details about the commands in the group)\n");
    out.push_str("\n  (specify help <command> for details about the command)\n\n");
    out
}

/// `help COMMAND`: NAME, SYNOPSIS, DESCRIPTION and OPTIONS, laid out as vsh lays them out.
pub fn command(def: &CmdDef) -> String {
    let mut out = String::from("  NAME\n");
    let _ = writeln!(out, "    {} - {}", def.name, def.help);
    out.push_str("\n  SYNOPSIS\n");
    let _ = write!(out, "    {}", def.name);
    // Whether an option before the argv one may be given positionally: then argv options read
    // `[--name] <string>`.
    let mut shortopt = false;
    let shown = || {
        def.opts
            .iter()
            .filter(|o| o.kind != OptKind::Alias && !o.extension)
    };
    for o in shown() {
        let n = o.name;
        let s = match o.kind {
            OptKind::Bool => format!("[--{n}]"),
            OptKind::Int => {
                if !o.named_only {
                    shortopt = true;
                }
                if o.required {
                    format!("<{n}>")
                } else {
                    format!("[--{n} <number>]")
                }
            }
            OptKind::String => {
                if !o.named_only {
                    shortopt = true;
                }
                format!("[--{n} <string>]")
            }
            OptKind::Data => {
                if !o.named_only {
                    shortopt = true;
                }
                if o.required {
                    format!("<{n}>")
                } else {
                    format!("[<{n}>]")
                }
            }
            OptKind::Argv => match (shortopt, o.required) {
                (true, true) => format!("{{[--{n}] <string>}}..."),
                (true, false) => format!("[[--{n}] <string>]..."),
                (false, true) => format!("<{n}>..."),
                (false, false) => format!("[<{n}>]..."),
            },
            OptKind::Alias => continue,
        };
        out.push(' ');
        out.push_str(&s);
    }
    out.push('\n');
    if !def.desc.is_empty() {
        let _ = write!(out, "\n  DESCRIPTION\n    {}\n", def.desc);
    }
    if shown().next().is_some() {
        out.push_str("\n  OPTIONS\n");
        for o in shown() {
            let n = o.name;
            let left = match o.kind {
                OptKind::Bool => format!("--{n}"),
                OptKind::Int if o.required => format!("[--{n}] <number>"),
                OptKind::Int => format!("--{n} <number>"),
                OptKind::String => format!("--{n} <string>"),
                OptKind::Data => format!("[--{n}] <string>"),
                OptKind::Argv if shortopt => format!("[--{n}] <string>"),
                OptKind::Argv => format!("<{n}>"),
                OptKind::Alias => continue,
            };
            let _ = writeln!(out, "    {left:<15}  {}", o.help);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_help_has_virsh_layout() {
        let def = crate::cmd::resolve("dominfo").unwrap_or_else(|| panic!("no dominfo"));
        assert_eq!(
            command(def),
            "  NAME\n    dominfo - domain information\n\n  SYNOPSIS\n    dominfo <domain>\n\n  \
DESCRIPTION\n    Returns basic information about the domain.\n\n  OPTIONS\n    \
[--domain] <string>  domain name, id or uuid\n\n"
        );
        let echo = crate::cmd::resolve("echo").unwrap_or_else(|| panic!("no echo"));
        let h = command(echo);
        assert!(
            h.contains("echo [--shell] [--xml] [--split] [--err] [<string>]...\n"),
            "{h}"
        );
        assert!(!h.contains("--hi"), "aliases are not documented");
    }

    #[test]
    fn listings_show_every_group_and_no_alias() {
        let g = global();
        for grp in groups() {
            assert!(g.contains(&format!(
                " {} (help keyword '{}'):\n",
                grp.name, grp.keyword
            )));
        }
        assert!(g.contains("    list                           list domains\n"));
        assert!(usage("rvirsh").starts_with("\nrvirsh [options]... [<command_string>]\n"));
    }
}
