#!/usr/bin/env python3
"""Prints rvirsh command declarations (name, help, description, options) for virsh commands.

Reads libvirt's tools/*.c (the option and info tables of each command) and prints, for every
command named on the command line, a `CmdDef` literal for crates/rvirsh/src/commands/*.rs.
Only user-visible data is transcribed: names, option kinds and flags, help texts. The handler
is named `cmd_<name>` and is written by hand.

    tools/transcribe_virsh_commands.py /work/ref/libvirt-src list dominfo > /tmp/decls.rs
"""

import re
import sys
from pathlib import Path

FILES = ["vsh.h", "virsh.h", "vsh.c", "virsh.c", "virsh-domain.c", "virsh-domain-monitor.c",
         "virsh-domain-event.c", "virsh-host.c", "virsh-snapshot.c", "virsh-network.c",
         "virsh-pool.c", "virsh-volume.c", "virsh-interface.c", "virsh-nodedev.c",
         "virsh-secret.c", "virsh-nwfilter.c", "virsh-checkpoint.c", "virsh-backup.c"]

COMPLETERS = {
    "virshDomainNameCompleter": "Complete::Domain",
    "virshSnapshotNameCompleter": "Complete::Snapshot",
    "vshCompleteHelpCommand": "Complete::Command",
    "virshDomainEventNameCompleter": "Complete::DomainEvent",
}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # Conditionals around options (`#ifndef WIN32`): this is a Linux build, keep their body.
    return re.sub(r"^[ \t]*#[ \t]*(if|ifdef|ifndef|else|endif)\b[^\n]*", " ", text, flags=re.M)


def macros(text):
    out = {}
    for m in re.finditer(r"#define\s+(\w+)(\(([^)]*)\))?[ \t]*((?:[^\n]*\\\n)*[^\n]*)", text):
        params = [p.strip() for p in m.group(3).split(",")] if m.group(2) else None
        out[m.group(1)] = (params, m.group(4).replace("\\\n", " "))
    return out


def split_args(s):
    depth, cur, args, i, instr = 0, "", [], 0, False
    while i < len(s):
        c = s[i]
        if instr:
            cur += c
            if c == "\\":
                cur += s[i + 1]
                i += 1
            elif c == '"':
                instr = False
        elif c == '"':
            instr = True
            cur += c
        elif c in "({":
            depth += 1
            cur += c
        elif c in ")}":
            depth -= 1
            cur += c
        elif c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        args.append(cur.strip())
    return args


def expand(text, defs, depth=0):
    if depth > 10:
        return text
    def repl(m):
        name = m.group(1)
        params, body = defs[name]
        if params is None:
            return expand(body, defs, depth + 1)
        # find the argument list
        return m.group(0)
    out, i = "", 0
    pat = re.compile(r"\b(" + "|".join(map(re.escape, defs)) + r")\b")
    while True:
        m = pat.search(text, i)
        if not m:
            out += text[i:]
            break
        out += text[i:m.start()]
        name = m.group(1)
        params, body = defs[name]
        j = m.end()
        if params is None:
            out += expand(body, defs, depth + 1)
            i = j
            continue
        k = j
        while k < len(text) and text[k].isspace():
            k += 1
        if k >= len(text) or text[k] != "(":
            out += name
            i = j
            continue
        d, e = 0, k
        while True:
            if text[e] == "(":
                d += 1
            elif text[e] == ")":
                d -= 1
                if d == 0:
                    break
            e += 1
        args = split_args(text[k + 1:e])
        b = body
        for p, a in zip(params, args):
            b = re.sub(r"\b" + re.escape(p) + r"\b", lambda _m, a=a: a, b)
        out += expand(b, defs, depth + 1)
        i = e + 1
    return out


def c_string(expr):
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', expr)
    s = "".join(parts)
    return bytes(s, "utf-8").decode("unicode_escape")


def array(text, kind, name):
    m = re.search(r"%s\s+%s\[\]\s*=\s*\{" % (kind, re.escape(name)), text)
    if not m:
        return None
    i, d = m.end() - 1, 0
    j = i
    instr = False
    while True:
        c = text[j]
        if instr:
            if c == "\\":
                j += 1
            elif c == '"':
                instr = False
        elif c == '"':
            instr = True
        elif c == "{":
            d += 1
        elif c == "}":
            d -= 1
            if d == 0:
                break
        j += 1
    return text[i + 1:j]


def entries(body):
    return [e.strip()[1:-1] for e in split_args(body) if e.strip().startswith("{")]


def fields(entry):
    out = {}
    for a in split_args(entry):
        m = re.match(r"\.(\w+)\s*=\s*(.*)", a, re.S)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main():
    src = Path(sys.argv[1]) / "tools"
    text = ""
    for f in FILES:
        text += strip_comments((src / f).read_text()) + "\n"
    defs = macros(text)
    defs = {k: v for k, v in defs.items() if k.startswith(("VIRSH_COMMON_OPT", "VSH_CMD_", "VIRSH_COMMON"))}
    # command tables: name -> (opts, info, flags, alias)
    cmds = {}
    for m in re.finditer(r"vshCmdDef\s+\w+\[\]\s*=\s*\{", text):
        name = text[m.start():m.end()].split()[1].rstrip("[]=").rstrip("[] ")
        body = array(text, "vshCmdDef", name.split("[")[0])
        for e in entries(expand(body, defs)):
            f = fields(e)
            if "name" not in f or f["name"] == "NULL":
                continue
            cmds.setdefault(c_string(f["name"]), f)
    for name in sys.argv[2:]:
        f = cmds[name]
        flags = f.get("flags", "0")
        alias = c_string(f["alias"]) if "alias" in f else None
        if alias:
            print(f'CmdDef::alias({rust_str(name)}, {rust_str(alias)}),')
            continue
        info_name = f["info"]
        info = {}
        for e in entries(array(text, "vshCmdInfo", info_name)):
            g = fields(e)
            if not g:
                # positional form: {"help", N_("...")}
                parts = split_args(e)
                if len(parts) == 2 and parts[0] != "NULL":
                    g = {"name": parts[0], "data": parts[1]}
            if g.get("name", "NULL") != "NULL":
                info[c_string(g["name"])] = c_string(g.get("data", '""'))
        opts = []
        if f.get("opts", "NULL") != "NULL":
            body = expand(array(text, "vshCmdOptDef", f["opts"]), defs)
            body = re.sub(r"\btrue\s*\?\s*(\w+)\s*:\s*\w+", r"\1", body)
            body = re.sub(r"\bfalse\s*\?\s*\w+\s*:\s*(\w+)", r"\1", body)
            for e in entries(body):
                g = fields(e)
                if g.get("name", "NULL") == "NULL":
                    continue
                kind = g["type"].replace("VSH_OT_", "")
                kind = {"BOOL": "Bool", "INT": "Int", "STRING": "String", "DATA": "Data",
                        "ARGV": "Argv", "ALIAS": "Alias"}[kind]
                o = f'Opt::new({rust_str(c_string(g["name"]))}, OptKind::{kind}, {rust_str(c_string(g.get("help", chr(34)*2)))})'
                fl = g.get("flags", "")
                if re.search(r"\bVSH_OFLAG_REQ\b", fl):
                    o += ".required()"
                if "VSH_OFLAG_REQ_OPT" in fl:
                    o += ".named_only()"
                if "VSH_OFLAG_EMPTY_OK" in fl:
                    o += ".empty_ok()"
                comp = g.get("completer")
                if comp in COMPLETERS:
                    o += f".complete({COMPLETERS[comp]})"
                opts.append(o)
        fn = "cmd_" + name.replace("-", "_")
        extra = ""
        if "VSH_CMD_FLAG_NOCONNECT" in flags:
            extra += "\n    no_connect: true,"
        print(f"CmdDef {{\n    name: {rust_str(name)},\n    help: {rust_str(info.get('help', ''))},\n"
              f"    desc: {rust_str(info.get('desc', ''))},\n    opts: &[\n"
              + "".join(f"        {o},\n" for o in opts)
              + f"    ],{extra}\n    ..CmdDef::new({fn})\n}},")


main()
