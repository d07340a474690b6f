//! Virsh itself (help keyword `virsh`): help, echo, connect, quit, cd, pwd.

use crate::cmd::{CmdDef, Complete, Group, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl};
use crate::parse::Cmd;

/// The group.
pub static GROUP: Group = Group {
    name: "Virsh itself",
    keyword: "virsh",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "cd",
        help: "change the current directory",
        desc: "Change the current directory.",
        opts: &[Opt::new(
            "dir",
            OptKind::String,
            "directory to switch to (default: home or else root)",
        )],
        no_connect: true,
        ..CmdDef::new(cmd_cd)
    },
    CmdDef {
        name: "echo",
        help: "echo arguments. Used for internal testing.",
        desc: "Echo back arguments, possibly with quoting. Used for internal testing.",
        opts: &[
            Opt::new("shell", OptKind::Bool, "escape for shell use"),
            Opt::new("xml", OptKind::Bool, "escape for XML use"),
            Opt::new(
                "split",
                OptKind::Bool,
                "split each argument on ','; ',,' is an escape sequence",
            ),
            Opt::new("err", OptKind::Bool, "output to stderr"),
            Opt::new("str", OptKind::Alias, "string"),
            Opt::new("hi", OptKind::Alias, "string=hello"),
            Opt::new("string", OptKind::Argv, "arguments to echo"),
        ],
        no_connect: true,
        ..CmdDef::new(cmd_echo)
    },
    CmdDef {
        name: "exit",
        help: "quit this interactive terminal",
        desc: "",
        opts: &[],
        no_connect: true,
        ..CmdDef::new(cmd_quit)
    },
    CmdDef {
        name: "help",
        help: "print help",
        desc: "Prints global help, command specific help, or help for a\n    group of related commands",
        opts: &[Opt::new(
            "command",
            OptKind::String,
            "Prints global help, command specific help, or help for a group of related commands",
        )
        .complete(Complete::Command)],
        no_connect: true,
        ..CmdDef::new(cmd_help)
    },
    CmdDef {
        name: "pwd",
        help: "print the current directory",
        desc: "Print the current directory.",
        opts: &[],
        no_connect: true,
        ..CmdDef::new(cmd_pwd)
    },
    CmdDef {
        name: "quit",
        help: "quit this interactive terminal",
        desc: "",
        opts: &[],
        no_connect: true,
        ..CmdDef::new(cmd_quit)
    },
    CmdDef {
        name: "connect",
        help: "(re)connect to hypervisor",
        desc: "Connect to local hypervisor. This is built-in command after shell start up.",
        opts: &[
            Opt::new("name", OptKind::String, "hypervisor connection URI").empty_ok(),
            Opt::new("readonly", OptKind::Bool, "read-only connection"),
        ],
        no_connect: true,
        ..CmdDef::new(cmd_connect)
    },
];

fn cmd_help(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let name = cmd.value("command").filter(|s| !s.is_empty());
    let Some(name) = name else {
        ctl.print(&crate::help::global());
        return Ok(());
    };
    if let Some(def) = crate::cmd::resolve(name) {
        ctl.print(&crate::help::command(def));
        Ok(())
    } else if let Some(g) = crate::cmd::find_group(name) {
        ctl.print(&crate::help::group(g));
        Ok(())
    } else {
        ctl.fail(&format!("command or command group '{name}' doesn't exist"))
    }
}

/// libvirt's virBufferEscapeShell: quoted only when it has to be.
pub fn shell_quote(s: &str) -> String {
    const SPECIAL: &str = "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~";
    if s.is_empty() {
        return "''".into();
    }
    if !s.chars().any(|c| SPECIAL.contains(c)) {
        return s.into();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// libvirt's virBufferEscapeString for XML text and attributes.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    rvirt_conf::xml::escape_string(s, &mut out);
    out
}

/// vshStringToArray: splits on `,`, where `,,` stands for a comma.
pub fn split_commas(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ',' {
            if chars.peek() == Some(&',') {
                chars.next();
                if let Some(l) = out.last_mut() {
                    l.push(',');
                }
            } else {
                out.push(String::new());
            }
        } else if let Some(l) = out.last_mut() {
            l.push(c);
        }
    }
    out
}

fn cmd_echo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (shell, xml, err, split) = (
        cmd.has("shell"),
        cmd.has("xml"),
        cmd.has("err"),
        cmd.has("split"),
    );
    for (a, b, na, nb) in [
        (shell, xml, "shell", "xml"),
        (shell, split, "shell", "split"),
        (xml, split, "xml", "split"),
    ] {
        if a && b {
            return ctl.fail(&format!("Options --{na} and --{nb} are mutually exclusive"));
        }
    }
    let mut buf = String::new();
    for arg in cmd.argv() {
        if xml {
            buf.push_str(&xml_escape(arg));
        } else if shell {
            buf.push_str(&shell_quote(arg));
        } else if split {
            for piece in split_commas(arg) {
                buf.push_str(&piece);
                buf.push('\n');
            }
        } else {
            buf.push_str(arg);
        }
        buf.push(' ');
    }
    let trimmed = buf.trim_end_matches(' ');
    if cmd.argv().is_empty() {
        return Ok(());
    }
    if err {
        ctl.error(trimmed);
    } else {
        ctl.print(trimmed);
    }
    Ok(())
}

fn cmd_quit(ctl: &mut Ctl, _: &Cmd) -> CmdResult {
    ctl.imode = false;
    Ok(())
}

fn cmd_pwd(ctl: &mut Ctl, _: &Cmd) -> CmdResult {
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    ctl.print(&format!("{cwd}\n"));
    Ok(())
}

fn cmd_cd(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if !ctl.imode {
        return ctl.fail("cd: command valid only in interactive mode");
    }
    let dir = cmd
        .value("dir")
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .or_else(|| std::env::var("HOME").ok())
        .unwrap_or_else(|| "/".into());
    if let Err(e) = std::env::set_current_dir(&dir) {
        let reason = rvirt_io_text(&e);
        return ctl.fail(&format!("cd: {reason}: {dir}"));
    }
    Ok(())
}

/// The C library's wording of an I/O error.
pub fn rvirt_io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn cmd_connect(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let ro = cmd.has("readonly");
    let name = ctl.opt_str(cmd, "name")?.map(str::to_string);
    ctl.reconnect(name.as_deref(), ro, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_escaping_as_libvirt_does() {
        assert_eq!(shell_quote("plain"), "plain");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(xml_escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
        assert_eq!(split_commas("a,b,,c"), vec!["a", "b,c"]);
    }
}
