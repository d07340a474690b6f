//! Domain Monitoring (help keyword `monitor`): listing, state, info and statistics.

use crate::cmd::{CmdDef, Complete, Group, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::fmt::{Table, reason_name, state_name, typed_value};
use crate::json::Json;
use crate::parse::Cmd;
use rvirt::blocking::Domain;
use rvirt::flags::{
    ConnectGetAllDomainStatsFlags, ConnectListAllDomainsFlags as L, DomainMetadataType,
    DomainModificationImpact, DomainState, DomainStatsTypes, DomainXMLFlags,
};

/// The group.
pub static GROUP: Group = Group {
    name: "Domain Monitoring",
    keyword: "monitor",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[
    DOMBLKERROR,
    DOMBLKINFO,
    CmdDef {
        name: "domblklist",
        help: "list all domain blocks",
        desc: "Get the summary of block devices for a domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "inactive",
                OptKind::Bool,
                "get inactive rather than running configuration",
            ),
            Opt::new(
                "details",
                OptKind::Bool,
                "additionally display the type and device value",
            ),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domblklist)
    },
    CmdDef {
        name: "domblkstat",
        help: "get device block stats for a domain",
        desc: "Get device block stats for a running domain. See man page or use --human for explanation of fields",
        opts: &[
            Opt::DOMAIN,
            Opt::new("device", OptKind::String, "block device").empty_ok(),
            Opt::new("human", OptKind::Bool, "print a more human readable output"),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domblkstat)
    },
    super::guest::DOMCONTROL,
    CmdDef {
        name: "domif-getlink",
        help: "get link state of a virtual interface",
        desc: "Get link state of a domain's virtual interface.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("interface", OptKind::Data, "interface device (MAC Address)").required(),
            Opt::new("persistent", OptKind::Alias, "config"),
            Opt::new("config", OptKind::Bool, "Get persistent interface state"),
        ],
        ..CmdDef::new(cmd_domif_getlink)
    },
    CmdDef {
        name: "domifaddr",
        help: "Get network interfaces' addresses for a running domain",
        desc: "Get network interfaces' addresses for a running domain",
        opts: &[
            Opt::DOMAIN,
            Opt::new("interface", OptKind::String, "network interface name"),
            Opt::new(
                "full",
                OptKind::Bool,
                "always display names and MACs of interfaces",
            ),
            Opt::new(
                "source",
                OptKind::String,
                "address source: 'lease', 'agent', or 'arp'",
            ),
        ],
        ..CmdDef::new(cmd_domifaddr)
    },
    CmdDef {
        name: "domiflist",
        help: "list all domain virtual interfaces",
        desc: "Get the summary of virtual interfaces for a domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "inactive",
                OptKind::Bool,
                "get inactive rather than running configuration",
            ),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domiflist)
    },
    CmdDef {
        name: "domifstat",
        help: "get network interface stats for a domain",
        desc: "Get network interface stats for a running domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "interface",
                OptKind::Data,
                "interface device specified by name or MAC Address",
            )
            .required(),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domifstat)
    },
    CmdDef {
        name: "dominfo",
        help: "domain information",
        desc: "Returns basic information about the domain.",
        opts: &[Opt::DOMAIN, Opt::json()],
        ..CmdDef::new(cmd_dominfo)
    },
    CmdDef {
        name: "dommemstat",
        help: "get memory statistics for a domain",
        desc: "Get memory statistics for a running domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "period",
                OptKind::Int,
                "period in seconds to set collection",
            )
            .named_only(),
            Opt::CONFIG,
            Opt::LIVE,
            Opt::CURRENT,
            Opt::json(),
        ],
        ..CmdDef::new(cmd_dommemstat)
    },
    CmdDef {
        name: "domstate",
        help: "domain state",
        desc: "Returns state about a domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("reason", OptKind::Bool, "also print reason for the state"),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domstate)
    },
    CmdDef {
        name: "domstats",
        help: "get statistics about one or multiple domains",
        desc: "Gets statistics about one or more (or all) domains",
        opts: &[
            Opt::new("state", OptKind::Bool, "report domain state"),
            Opt::new(
                "cpu-total",
                OptKind::Bool,
                "report domain physical cpu usage",
            ),
            Opt::new("balloon", OptKind::Bool, "report domain balloon statistics"),
            Opt::new(
                "vcpu",
                OptKind::Bool,
                "report domain virtual cpu information",
            ),
            Opt::new(
                "interface",
                OptKind::Bool,
                "report domain network interface information",
            ),
            Opt::new(
                "block",
                OptKind::Bool,
                "report domain block device statistics",
            ),
            Opt::new("perf", OptKind::Bool, "report domain perf event statistics"),
            Opt::new(
                "iothread",
                OptKind::Bool,
                "report domain IOThread information",
            ),
            Opt::new("memory", OptKind::Bool, "report domain memory usage"),
            Opt::new(
                "dirtyrate",
                OptKind::Bool,
                "report domain dirty rate information",
            ),
            Opt::new("vm", OptKind::Bool, "report hypervisor-specific statistics"),
            Opt::new("list-active", OptKind::Bool, "list only active domains"),
            Opt::new("list-inactive", OptKind::Bool, "list only inactive domains"),
            Opt::new(
                "list-persistent",
                OptKind::Bool,
                "list only persistent domains",
            ),
            Opt::new(
                "list-transient",
                OptKind::Bool,
                "list only transient domains",
            ),
            Opt::new("list-running", OptKind::Bool, "list only running domains"),
            Opt::new("list-paused", OptKind::Bool, "list only paused domains"),
            Opt::new("list-shutoff", OptKind::Bool, "list only shutoff domains"),
            Opt::new(
                "list-other",
                OptKind::Bool,
                "list only domains in other states",
            ),
            Opt::new("raw", OptKind::Bool, "do not pretty-print the fields"),
            Opt::new(
                "enforce",
                OptKind::Bool,
                "enforce requested stats parameters",
            ),
            Opt::new(
                "backing",
                OptKind::Bool,
                "add backing chain information to block stats",
            ),
            Opt::new(
                "nowait",
                OptKind::Bool,
                "report only stats that are accessible instantly",
            ),
            Opt::new("domain", OptKind::Argv, "list of domains to get stats for")
                .complete(Complete::Domain),
        ],
        ..CmdDef::new(cmd_domstats)
    },
    CmdDef {
        name: "domtime",
        help: "domain time",
        desc: "Gets or sets the domain's system time",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "now",
                OptKind::Bool,
                "set to the time of the host running virsh",
            ),
            Opt::new(
                "pretty",
                OptKind::Bool,
                "print domain's time in human readable form",
            ),
            Opt::new(
                "sync",
                OptKind::Bool,
                "instead of setting given time, synchronize from domain's RTC",
            ),
            Opt::new("time", OptKind::Int, "time to set"),
        ],
        ..CmdDef::new(cmd_domtime)
    },
    CmdDef {
        name: "list",
        help: "list domains",
        desc: "Returns list of domains.",
        opts: &[
            Opt::new("inactive", OptKind::Bool, "list inactive domains"),
            Opt::new("all", OptKind::Bool, "list inactive & active domains"),
            Opt::new("transient", OptKind::Bool, "list transient domains"),
            Opt::new("persistent", OptKind::Bool, "list persistent domains"),
            Opt::new(
                "with-snapshot",
                OptKind::Bool,
                "list domains with existing snapshot",
            ),
            Opt::new(
                "without-snapshot",
                OptKind::Bool,
                "list domains without a snapshot",
            ),
            Opt::new(
                "with-checkpoint",
                OptKind::Bool,
                "list domains with existing checkpoint",
            ),
            Opt::new(
                "without-checkpoint",
                OptKind::Bool,
                "list domains without a checkpoint",
            ),
            Opt::new(
                "state-running",
                OptKind::Bool,
                "list domains in running state",
            ),
            Opt::new(
                "state-paused",
                OptKind::Bool,
                "list domains in paused state",
            ),
            Opt::new(
                "state-shutoff",
                OptKind::Bool,
                "list domains in shutoff state",
            ),
            Opt::new("state-other", OptKind::Bool, "list domains in other states"),
            Opt::new(
                "autostart",
                OptKind::Bool,
                "list domains with autostart enabled",
            ),
            Opt::new(
                "no-autostart",
                OptKind::Bool,
                "list domains with autostart disabled",
            ),
            Opt::new(
                "with-managed-save",
                OptKind::Bool,
                "list domains with managed save state",
            ),
            Opt::new(
                "without-managed-save",
                OptKind::Bool,
                "list domains without managed save",
            ),
            Opt::new("uuid", OptKind::Bool, "list uuid's only"),
            Opt::new("name", OptKind::Bool, "list domain names only"),
            Opt::new("id", OptKind::Bool, "list domain IDs only"),
            Opt::new("table", OptKind::Bool, "list table (default)"),
            Opt::new(
                "managed-save",
                OptKind::Bool,
                "mark inactive domains with managed save state",
            ),
            Opt::new("title", OptKind::Bool, "show domain title"),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_list)
    },
];

/// The domain's XML, parsed (virshDomainGetXML).
pub fn domain_xml(ctl: &mut Ctl, cmd: &Cmd, flags: DomainXMLFlags) -> Result<String, Failed> {
    let (dom, _) = ctl.domain(cmd)?;
    let r = dom.get_xml_desc(flags);
    ctl.lib(r)
}

/// The title or description of a domain (virshGetDomainDescription): empty when it has none.
pub fn description(
    ctl: &mut Ctl,
    dom: &Domain,
    title: bool,
    flags: DomainModificationImpact,
) -> Result<String, Failed> {
    let kind = if title {
        DomainMetadataType::TITLE
    } else {
        DomainMetadataType::DESCRIPTION
    };
    match dom.get_metadata(kind, None, flags) {
        Ok(s) => Ok(s),
        Err(e) if e.code == rvirt::ErrorNumber::NO_DOMAIN_METADATA => Ok(String::new()),
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail("Failed to get domain description xml")
        }
    }
}

/// The id as virsh prints it: `-` for an inactive domain.
fn id_text(id: i32) -> String {
    if id < 0 { "-".into() } else { id.to_string() }
}

fn cmd_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let managed = cmd.has("managed-save");
    let title = cmd.has("title");
    let (opt_uuid, opt_name, opt_id) = (cmd.has("uuid"), cmd.has("name"), cmd.has("id"));
    let mut table = cmd.has("table");
    let mut flags = L::ACTIVE;
    if cmd.has("inactive") || cmd.has("state-shutoff") {
        flags = L::INACTIVE;
    }
    if cmd.has("all") {
        flags = L::INACTIVE | L::ACTIVE;
    }
    for (opt, f) in [
        ("persistent", L::PERSISTENT),
        ("transient", L::TRANSIENT),
        ("with-managed-save", L::MANAGEDSAVE),
        ("without-managed-save", L::NO_MANAGEDSAVE),
        ("autostart", L::AUTOSTART),
        ("no-autostart", L::NO_AUTOSTART),
        ("with-snapshot", L::HAS_SNAPSHOT),
        ("without-snapshot", L::NO_SNAPSHOT),
        ("with-checkpoint", L::HAS_CHECKPOINT),
        ("without-checkpoint", L::NO_CHECKPOINT),
        ("state-running", L::RUNNING),
        ("state-paused", L::PAUSED),
        ("state-shutoff", L::SHUTOFF),
        ("state-other", L::OTHER),
    ] {
        if cmd.has(opt) {
            flags |= f;
        }
    }
    for other in ["name", "uuid", "id"] {
        if table && cmd.has(other) {
            return ctl.fail(&format!(
                "Options --table and --{other} are mutually exclusive"
            ));
        }
    }
    if !opt_uuid && !opt_name && !opt_id {
        table = true;
    }
    let r = ctl.conn()?.list_all_domains(flags);
    let mut doms = match r {
        Ok(d) => d,
        Err(e) => {
            ctl.last_error = Some(e);
            return ctl.fail("Failed to list domains");
        }
    };
    // virsh sorts by id, inactive ones (no id) after, by name.
    doms.sort_by(|a, b| {
        let key = |d: &Domain| {
            (
                d.get_id() < 0,
                u32::try_from(d.get_id()).unwrap_or(0),
                d.get_name().to_ascii_lowercase(),
            )
        };
        key(a).cmp(&key(b))
    });
    let json = cmd.has("json");
    let mut t = if title {
        Table::new(&["Id", "Name", "State", "Title"])
    } else {
        Table::new(&["Id", "Name", "State"])
    };
    let mut items = Vec::new();
    let mut text = String::new();
    for d in &doms {
        let id = d.get_id();
        if table || json {
            let Ok((mut state, _)) = d.get_state(0) else {
                continue;
            };
            let saved = managed
                && state == DomainState::SHUTOFF
                && d.has_managed_save_image(0).unwrap_or(false);
            let state_text = if saved { "saved" } else { state_name(state) };
            if saved {
                state = DomainState(-2);
            }
            let _ = state;
            let title_text = if title {
                Some(description(
                    ctl,
                    d,
                    true,
                    DomainModificationImpact::empty(),
                )?)
            } else {
                None
            };
            if json {
                let mut o = vec![
                    ("id", if id < 0 { Json::Null } else { Json::from(id) }),
                    ("name", Json::from(d.get_name())),
                    ("uuid", Json::from(d.get_uuid_string())),
                    ("state", Json::from(state_text)),
                ];
                if let Some(tt) = title_text {
                    o.push(("title", Json::from(tt)));
                }
                items.push(Json::obj(o));
                continue;
            }
            let mut row = vec![
                id_text(id),
                d.get_name().to_string(),
                state_text.to_string(),
            ];
            if let Some(tt) = title_text {
                row.push(tt);
            }
            t.row(row);
        } else {
            let mut sep = "";
            if opt_uuid {
                text.push_str(&d.get_uuid_string());
                sep = " ";
            }
            if opt_id {
                if id < 0 && !opt_uuid && !opt_name {
                    continue;
                }
                text.push_str(sep);
                text.push_str(&id_text(id));
                sep = " ";
            }
            if opt_name {
                text.push_str(sep);
                text.push_str(d.get_name());
            }
            text.push('\n');
        }
    }
    if json {
        ctl.print(&Json::Arr(items).line());
    } else if table {
        let quiet = ctl.quiet;
        ctl.print(&t.render(!quiet));
    } else {
        ctl.print(&text);
    }
    Ok(())
}

fn cmd_dominfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let conn = ctl.conn()?.clone();
    let mut ok = true;
    let id = dom.get_id();
    let mut lines: Vec<(&str, String)> =
        vec![("Id:", id_text(id)), ("Name:", dom.get_name().to_string())];
    let mut j: Vec<(&str, Json)> = vec![
        ("id", if id < 0 { Json::Null } else { Json::from(id) }),
        ("name", Json::from(dom.get_name())),
        ("uuid", Json::from(dom.get_uuid_string())),
    ];
    lines.push(("UUID:", dom.get_uuid_string()));
    if let Ok(os) = dom.get_os_type() {
        j.push(("os_type", Json::from(os.as_str())));
        lines.push(("OS Type:", os));
    }
    match dom.get_info() {
        Ok(info) => {
            lines.push(("State:", state_name(info.state).into()));
            lines.push(("CPU(s):", info.nr_virt_cpu.to_string()));
            j.push(("state", Json::from(state_name(info.state))));
            j.push(("cpus", Json::from(u64::from(info.nr_virt_cpu))));
            j.push(("cpu_time_ns", Json::from(info.cpu_time)));
            if info.cpu_time != 0 {
                lines.push(("CPU time:", format!("{:.1}s", info.cpu_time as f64 / 1e9)));
            }
            if info.max_mem != u64::from(u32::MAX) {
                lines.push(("Max memory:", format!("{} KiB", info.max_mem)));
                j.push(("max_memory_kib", Json::from(info.max_mem)));
            } else {
                lines.push(("Max memory:", "no limit".into()));
                j.push(("max_memory_kib", Json::Null));
            }
            lines.push(("Used memory:", format!("{} KiB", info.memory)));
            j.push(("used_memory_kib", Json::from(info.memory)));
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ok = false;
        }
    }
    let persistent = dom.is_persistent();
    if ctl.debug <= crate::DEBUG_ALL {
        // vsh's debug line, in its place among the others (a line with no label is printed
        // as it is).
        let flag = persistent.as_ref().map_or(-1, |p| i32::from(*p));
        lines.push(("", format!("Domain persistent flag value: {flag}\n")));
    }
    j.push(("persistent", persistent.clone().ok().into()));
    lines.push((
        "Persistent:",
        match persistent {
            Ok(true) => "yes",
            Ok(false) => "no",
            Err(_) => "unknown",
        }
        .into(),
    ));
    if let Ok(a) = dom.get_autostart() {
        lines.push(("Autostart:", if a { "enable" } else { "disable" }.into()));
        j.push(("autostart", Json::from(a)));
    }
    let ms = dom.has_managed_save_image(0);
    j.push(("managed_save", ms.clone().ok().into()));
    lines.push((
        "Managed save:",
        match ms {
            Ok(true) => "yes",
            Ok(false) => "no",
            Err(_) => "unknown",
        }
        .into(),
    ));
    match conn.node_get_security_model() {
        Err(e) if e.code != rvirt::ErrorNumber::NO_SUPPORT => {
            ctl.last_error = Some(e);
            return Err(Failed);
        }
        Err(_) => {}
        Ok(m) if !m.model.is_empty() => {
            lines.push(("Security model:", m.model.clone()));
            lines.push(("Security DOI:", m.doi.clone()));
            j.push(("security_model", Json::from(m.model)));
            j.push(("security_doi", Json::from(m.doi)));
            match dom.get_security_label() {
                Ok(l) if !l.label.is_empty() => {
                    let mode = if l.enforcing {
                        "enforcing"
                    } else {
                        "permissive"
                    };
                    lines.push(("Security label:", format!("{} ({mode})", l.label)));
                    j.push(("security_label", Json::from(l.label)));
                }
                Ok(_) => {}
                Err(e) => {
                    ctl.last_error = Some(e);
                    return Err(Failed);
                }
            }
        }
        Ok(_) => {}
    }
    // The driver's messages (taint, deprecation), when it has any to give.
    let messages = dom.get_messages(0).unwrap_or_default();
    if !messages.is_empty() {
        j.push((
            "messages",
            Json::Arr(messages.iter().map(|m| Json::from(m.clone())).collect()),
        ));
    }
    if cmd.has("json") {
        ctl.print(&Json::obj(j).line());
    } else {
        let mut s = String::new();
        for (k, v) in lines {
            if k.is_empty() {
                s.push_str(&v);
            } else {
                s.push_str(&format!("{k:<15} {v}\n"));
            }
        }
        for (i, m) in messages.iter().enumerate() {
            let label = if i == 0 { "Messages:" } else { "" };
            s.push_str(&format!("{label:<15} {m}\n"));
        }
        ctl.print(&s);
    }
    if ok { Ok(()) } else { Err(Failed) }
}

fn cmd_domstate(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let r = dom.get_state(0);
    let (state, reason) = ctl.lib(r)?;
    if cmd.has("json") {
        let j = Json::obj([
            ("state", Json::from(state_name(state))),
            ("reason", Json::from(reason_name(state, reason))),
        ]);
        ctl.print(&j.line());
    } else if cmd.has("reason") {
        ctl.print(&format!(
            "{} ({})\n",
            state_name(state),
            reason_name(state, reason)
        ));
    } else {
        ctl.print(&format!("{}\n", state_name(state)));
    }
    Ok(())
}

/// The legacy block statistics: (name, human label).
const BLKSTAT: [(&str, &str); 5] = [
    ("rd_req", "number of read operations:"),
    ("rd_bytes", "number of bytes read:"),
    ("wr_req", "number of write operations:"),
    ("wr_bytes", "number of bytes written:"),
    ("errs", "error count:"),
];

/// The typed block statistics virsh prints first, in its order: (field, legacy name, human
/// label); the legacy name is the field's own where virsh has none.
const BLKSTAT_FLAGS: [(&str, &str, &str); 9] = [
    ("rd_operations", "rd_req", "number of read operations:"),
    ("rd_bytes", "rd_bytes", "number of bytes read:"),
    ("wr_operations", "wr_req", "number of write operations:"),
    ("wr_bytes", "wr_bytes", "number of bytes written:"),
    ("errs", "errs", "error count:"),
    (
        "flush_operations",
        "flush_operations",
        "number of flush operations:",
    ),
    (
        "rd_total_times",
        "rd_total_times",
        "total duration of reads (ns):",
    ),
    (
        "wr_total_times",
        "wr_total_times",
        "total duration of writes (ns):",
    ),
    (
        "flush_total_times",
        "flush_total_times",
        "total duration of flushes (ns):",
    ),
];

/// virsh's domblkstat output of typed statistics: the known ones in its order, then the rest.
fn blkstat_flags_text(device: &str, human: bool, params: &[rvirt::TypedParam]) -> String {
    let mut out = String::new();
    let mut dev = device;
    if human {
        out.push_str(&format!("Device: {device}\n"));
        dev = "";
    }
    for (field, legacy, label) in BLKSTAT_FLAGS {
        if let Some(p) = params.iter().find(|p| p.field == field) {
            let v = crate::fmt::typed_value(&p.value);
            if human {
                out.push_str(&format!("{dev} {label:<31} {v}\n"));
            } else {
                out.push_str(&format!("{dev} {legacy} {v}\n"));
            }
        }
    }
    for p in params {
        if !BLKSTAT_FLAGS.iter().any(|b| b.0 == p.field) {
            let v = crate::fmt::typed_value(&p.value);
            out.push_str(&format!("{dev} {} {v}\n", p.field));
        }
    }
    out
}

fn cmd_domblkstat(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let human = cmd.has("human");
    let device = ctl.opt_str(cmd, "device")?.unwrap_or("");
    // virsh asks for the typed statistics first and falls back to the legacy call only when
    // the driver lacks them.
    match dom.block_stats_flags(device, 0) {
        Ok(params) if !cmd.has("json") => {
            ctl.print(&blkstat_flags_text(device, human, &params));
            return Ok(());
        }
        Ok(params) => {
            let f = params.iter().map(|p| {
                let v = match p.value {
                    rvirt::TypedParamValue::LLong(v) => Json::from(v),
                    rvirt::TypedParamValue::ULLong(v) => Json::from(v),
                    ref other => Json::from(crate::fmt::typed_value(other).as_str()),
                };
                (p.field.as_str(), v)
            });
            ctl.print(&Json::obj(f).line());
            return Ok(());
        }
        Err(e) if e.code != rvirt::ErrorNumber::NO_SUPPORT => {
            ctl.last_error = Some(e);
            return Err(Failed);
        }
        Err(_) => {}
    }
    let s = match dom.block_stats(device) {
        Ok(s) => s,
        Err(e) => {
            ctl.last_error = Some(e);
            return ctl.fail(&format!("Failed to get block stats {name} {device}"));
        }
    };
    let values = [s.rd_req, s.rd_bytes, s.wr_req, s.wr_bytes, s.errs];
    if cmd.has("json") {
        let f = BLKSTAT
            .iter()
            .zip(values)
            .filter(|(_, v)| *v >= 0)
            .map(|(b, v)| (b.0, Json::from(v)));
        ctl.print(&Json::obj(f).line());
        return Ok(());
    }
    let mut out = String::new();
    let mut dev = device;
    if human {
        out.push_str(&format!("Device: {device}\n"));
        dev = "";
    }
    for (b, v) in BLKSTAT.iter().zip(values) {
        if v >= 0 {
            if human {
                out.push_str(&format!("{dev} {:<31} {v}\n", b.1));
            } else {
                out.push_str(&format!("{dev} {} {v}\n", b.0));
            }
        }
    }
    ctl.print(&out);
    Ok(())
}

fn cmd_domifstat(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let device = ctl.req_str(cmd, "interface")?;
    let s = match dom.interface_stats(device) {
        Ok(s) => s,
        Err(e) => {
            ctl.last_error = Some(e);
            return ctl.fail(&format!("Failed to get interface stats {name} {device}"));
        }
    };
    let fields = [
        ("rx_bytes", s.rx_bytes),
        ("rx_packets", s.rx_packets),
        ("rx_errs", s.rx_errs),
        ("rx_drop", s.rx_drop),
        ("tx_bytes", s.tx_bytes),
        ("tx_packets", s.tx_packets),
        ("tx_errs", s.tx_errs),
        ("tx_drop", s.tx_drop),
    ];
    if cmd.has("json") {
        let f = fields
            .iter()
            .filter(|(_, v)| *v >= 0)
            .map(|(k, v)| (*k, Json::from(*v)));
        ctl.print(&Json::obj(f).line());
        return Ok(());
    }
    let mut out = String::new();
    for (k, v) in fields {
        if v >= 0 {
            out.push_str(&format!("{device} {k} {v}\n"));
        }
    }
    ctl.print(&out);
    Ok(())
}

/// Memory statistic names in the order virsh checks them.
const MEMSTAT: [(i32, &str); 13] = [
    (0, "swap_in"),
    (1, "swap_out"),
    (2, "major_fault"),
    (3, "minor_fault"),
    (4, "unused"),
    (5, "available"),
    (8, "usable"),
    (6, "actual"),
    (7, "rss"),
    (9, "last_update"),
    (10, "disk_caches"),
    (11, "hugetlb_pgalloc"),
    (12, "hugetlb_pgfail"),
];

fn cmd_dommemstat(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (config, live, current) = (cmd.has("config"), cmd.has("live"), cmd.has("current"));
    if current && live {
        return ctl.fail("Options --current and --live are mutually exclusive");
    }
    if current && config {
        return ctl.fail("Options --current and --config are mutually exclusive");
    }
    let (dom, name) = ctl.domain(cmd)?;
    let mut flags = DomainModificationImpact::empty();
    if config {
        flags |= DomainModificationImpact::CONFIG;
    }
    // With no option, a running domain's live definition changes too (as virsh does it).
    if live || (!current && !config && dom.is_active().unwrap_or(false)) {
        flags |= DomainModificationImpact::LIVE;
    }
    if let Some(p) = ctl.opt_int(cmd, "period")? {
        if p < 0 {
            return ctl.fail(&format!("Invalid collection period value '{p}'"));
        }
        if let Err(e) = dom.set_memory_stats_period(p, flags) {
            ctl.last_error = Some(e);
            return ctl.fail("Unable to change balloon collection period.");
        }
        return Ok(());
    }
    let stats = match dom.memory_stats(13, 0) {
        Ok(s) => s,
        Err(e) => {
            ctl.last_error = Some(e);
            return ctl.fail(&format!(
                "Failed to get memory statistics for domain {name}"
            ));
        }
    };
    let known = |tag: i32| MEMSTAT.iter().find(|m| m.0 == tag).map(|m| m.1);
    if cmd.has("json") {
        let f = stats
            .iter()
            .filter_map(|s| known(s.tag.0).map(|n| (n, Json::from(s.val))));
        ctl.print(&Json::obj(f).line());
        return Ok(());
    }
    let mut out = String::new();
    for s in &stats {
        if let Some(n) = known(s.tag.0) {
            out.push_str(&format!("{n} {}\n", s.val));
        }
    }
    ctl.print(&out);
    Ok(())
}

/// The first of these attributes of `node`'s `<source>` child.
/// The first of `attrs` on `node`'s `<source>` in document order, as virsh's XPath union
/// (`string(./source/@bridge|./source/@dev|…)`) picks it.
fn source_attr(node: roxmltree::Node, attrs: &[&str]) -> Option<String> {
    let src = node.children().find(|c| c.has_tag_name("source"))?;
    src.attributes()
        .find(|a| attrs.contains(&a.name()))
        .map(|a| a.value().to_string())
}

/// Attribute `attr` of `node`'s child `child`.
fn child_attr(node: roxmltree::Node, child: &str, attr: &str) -> Option<String> {
    node.children()
        .find(|c| c.has_tag_name(child))?
        .attribute(attr)
        .map(str::to_string)
}

/// The `<devices>` children called `tag`.
fn devices<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    tag: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    doc.root_element()
        .children()
        .filter(|c| c.has_tag_name("devices"))
        .flat_map(move |d| d.children().filter(move |c| c.has_tag_name(tag)))
}

fn parse_xml<'x>(ctl: &mut Ctl, xml: &'x str) -> Result<roxmltree::Document<'x>, Failed> {
    match roxmltree::Document::parse(xml) {
        Ok(d) => Ok(d),
        Err(_) => ctl.fail("failed to parse domain XML"),
    }
}

fn cmd_domblklist(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("inactive") {
        DomainXMLFlags::INACTIVE
    } else {
        DomainXMLFlags::empty()
    };
    let details = cmd.has("details");
    let xml = domain_xml(ctl, cmd, flags)?;
    let doc = parse_xml(ctl, &xml)?;
    let mut t = if details {
        Table::new(&["Type", "Device", "Target", "Source"])
    } else {
        Table::new(&["Target", "Source"])
    };
    let mut items = Vec::new();
    for disk in devices(&doc, "disk") {
        let ty = disk.attribute("type").unwrap_or_default().to_string();
        let device = disk.attribute("device").unwrap_or_default().to_string();
        let Some(target) = child_attr(disk, "target", "dev") else {
            return ctl.fail("unable to query block list");
        };
        let source = source_attr(disk, &["file", "dev", "dir", "name", "volume", "path"]);
        items.push(Json::obj([
            ("type", Json::from(ty.as_str())),
            ("device", Json::from(device.as_str())),
            ("target", Json::from(target.as_str())),
            ("source", Json::from(source.clone())),
        ]));
        let source = source.unwrap_or_else(|| "-".into());
        t.row(if details {
            vec![ty, device, target, source]
        } else {
            vec![target, source]
        });
    }
    if cmd.has("json") {
        ctl.print(&Json::Arr(items).line());
    } else {
        let quiet = ctl.quiet;
        ctl.print(&t.render(!quiet));
    }
    Ok(())
}

/// virsh's `domtime`: the guest's clock in seconds since the epoch (or as a UTC date with
/// `--pretty`), or set from a given time, the host's (`--now`) or the guest's RTC (`--sync`).
fn cmd_domtime(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (now, sync, time) = (cmd.has("now"), cmd.has("sync"), cmd.has("time"));
    for (a, b, x, y) in [
        ("time", "now", time, now),
        ("time", "sync", time, sync),
        ("now", "sync", now, sync),
    ] {
        if x && y {
            return ctl.fail(&format!("Options --{a} and --{b} are mutually exclusive"));
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let seconds = ctl.opt_i64(cmd, "time")?;
    if seconds.is_some() || now || sync {
        let seconds = if now {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        } else {
            seconds.unwrap_or(0)
        };
        return ctl.lib(dom.set_time(seconds, 0, u32::from(sync)));
    }
    let t = ctl.lib(dom.get_time(0))?;
    if cmd.has("pretty") {
        ctl.print(&format!("Time: {}", crate::fmt::utc_date(t.seconds)));
    } else {
        ctl.print(&format!("Time: {}", t.seconds));
    }
    Ok(())
}

/// virsh's `domif-getlink`: `IFACE STATE` of the one interface whose MAC or target device is
/// `IFACE` (`up` without a `<link>`).
fn cmd_domif_getlink(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let iface = ctl.req_str(cmd, "interface")?.to_string();
    let flags = if cmd.has("config") {
        DomainXMLFlags::INACTIVE
    } else {
        DomainXMLFlags::empty()
    };
    let xml = domain_xml(ctl, cmd, flags)?;
    let Ok(doc) = roxmltree::Document::parse(&xml) else {
        return ctl.fail("Failed to extract interface information");
    };
    let mac = rvirt_conf_mac(&iface);
    let found: Vec<roxmltree::Node> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("devices"))
        .flat_map(|d| d.children().filter(|n| n.has_tag_name("interface")))
        .filter(|n| {
            child_attr(*n, "mac", "address").is_some_and(|m| Some(&m) == mac.as_ref())
                || child_attr(*n, "target", "dev").as_deref() == Some(iface.as_str())
        })
        .collect();
    match found.as_slice() {
        [] => match mac {
            Some(m) => ctl.fail(&format!("Interface (mac: {m}) not found.")),
            None => ctl.fail(&format!("Interface (dev: {iface}) not found.")),
        },
        [one] => {
            let state = child_attr(*one, "link", "state").unwrap_or_else(|| "up".into());
            ctl.print(&format!("{iface} {state}"));
            Ok(())
        }
        _ => ctl.fail("multiple matching interfaces found"),
    }
}

/// A MAC address as libvirt normalizes it (lowercase, two digits a byte), if `s` is one.
fn rvirt_conf_mac(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let bytes: Option<Vec<u8>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 2)
                .then(|| u8::from_str_radix(p, 16).ok())
                .flatten()
        })
        .collect();
    Some(
        bytes?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// virsh's `domifaddr`: each interface's addresses from the lease, agent or ARP source.
fn cmd_domifaddr(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use rvirt::flags::DomainInterfaceAddressesSource as Source;
    let only = ctl.opt_str(cmd, "interface")?.map(str::to_string);
    let full = cmd.has("full");
    let source = match ctl.opt_str(cmd, "source")? {
        None | Some("lease") => Source::LEASE,
        Some("agent") => Source::AGENT,
        Some("arp") => Source::ARP,
        Some(other) => return ctl.fail(&format!("Unknown data source '{other}'")),
    };
    let (dom, _) = ctl.domain(cmd)?;
    let ifaces = match dom.interface_addresses(source, 0) {
        Ok(i) => i,
        Err(e) => return ctl.lib_fail(e, "Failed to query for interfaces addresses"),
    };
    ctl.print_extra(&format!(
        " {:<10} {:<20} {:<8}     {}\n{}{}\n",
        "Name",
        "MAC address",
        "Protocol",
        "Address",
        "-------------------------------------------------",
        "------------------------------"
    ));
    let mut out = String::new();
    for iface in ifaces {
        if only.as_deref().is_some_and(|o| o != iface.name) {
            continue;
        }
        let mac = iface.hwaddr.as_deref();
        if iface.addrs.is_empty() {
            out.push_str(&format!(
                " {:<10} {:<17}    {:<12} N/A\n",
                iface.name,
                mac.unwrap_or("N/A"),
                "N/A"
            ));
            continue;
        }
        for (j, a) in iface.addrs.iter().enumerate() {
            let kind = if a.addr_type == rvirt::flags::IPAddrType::IPV6 {
                "ipv6"
            } else {
                "ipv4"
            };
            let addr = format!("{kind:<12} {}/{}", a.addr, a.prefix);
            let (name, mac) = if full || j == 0 {
                (iface.name.as_str(), mac.unwrap_or(""))
            } else {
                ("-", "-")
            };
            out.push_str(&format!(" {name:<10} {mac:<17}    {addr}\n"));
        }
    }
    ctl.print(&out);
    Ok(())
}

fn cmd_domiflist(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("inactive") {
        DomainXMLFlags::INACTIVE
    } else {
        DomainXMLFlags::empty()
    };
    let xml = domain_xml(ctl, cmd, flags)?;
    let doc = parse_xml(ctl, &xml)?;
    let mut t = Table::new(&["Interface", "Type", "Source", "Model", "MAC"]);
    let mut items = Vec::new();
    for nic in devices(&doc, "interface") {
        let ty = nic.attribute("type").unwrap_or_default().to_string();
        let source = source_attr(nic, &["bridge", "dev", "network", "name", "path"]);
        let target = child_attr(nic, "target", "dev");
        let model = child_attr(nic, "model", "type");
        let mac = child_attr(nic, "mac", "address");
        items.push(Json::obj([
            ("interface", Json::from(target.clone())),
            ("type", Json::from(ty.as_str())),
            ("source", Json::from(source.clone())),
            ("model", Json::from(model.clone())),
            ("mac", Json::from(mac.clone())),
        ]));
        let dash = |o: Option<String>| o.unwrap_or_else(|| "-".into());
        t.row(vec![dash(target), ty, dash(source), dash(model), dash(mac)]);
    }
    if cmd.has("json") {
        ctl.print(&Json::Arr(items).line());
    } else {
        let quiet = ctl.quiet;
        ctl.print(&t.render(!quiet));
    }
    Ok(())
}

fn cmd_domstats(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut stats = DomainStatsTypes::empty();
    for (o, f) in [
        ("state", DomainStatsTypes::STATE),
        ("cpu-total", DomainStatsTypes::CPU_TOTAL),
        ("balloon", DomainStatsTypes::BALLOON),
        ("vcpu", DomainStatsTypes::VCPU),
        ("interface", DomainStatsTypes::INTERFACE),
        ("block", DomainStatsTypes::BLOCK),
        ("perf", DomainStatsTypes::PERF),
        ("iothread", DomainStatsTypes::IOTHREAD),
        ("memory", DomainStatsTypes::MEMORY),
        ("dirtyrate", DomainStatsTypes::DIRTYRATE),
        ("vm", DomainStatsTypes::VM),
    ] {
        if cmd.has(o) {
            stats |= f;
        }
    }
    type F = ConnectGetAllDomainStatsFlags;
    let mut flags = F::empty();
    for (o, f) in [
        ("list-active", F::ACTIVE),
        ("list-inactive", F::INACTIVE),
        ("list-persistent", F::PERSISTENT),
        ("list-transient", F::TRANSIENT),
        ("list-running", F::RUNNING),
        ("list-paused", F::PAUSED),
        ("list-shutoff", F::SHUTOFF),
        ("list-other", F::OTHER),
        ("enforce", F::ENFORCE_STATS),
        ("backing", F::BACKING),
        ("nowait", F::NOWAIT),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let conn = ctl.conn()?.clone();
    let records = if cmd.has("domain") {
        let mut doms = Vec::new();
        for n in cmd.argv() {
            let d = ctl.lookup_domain(n)?;
            doms.push(d);
        }
        conn.domain_list_get_stats(&doms, stats, flags)
    } else {
        conn.get_all_domain_stats(stats, flags)
    };
    let records = ctl.lib(records)?;
    let mut out = String::new();
    for (i, (d, params)) in records.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("Domain: '{}'\n", d.get_name()));
        for p in params {
            out.push_str(&format!("  {}={}\n", p.field, typed_value(&p.value)));
        }
    }
    ctl.print(&out);
    Ok(())
}

/// `domblkerror` (Domain Monitoring).
const DOMBLKERROR: CmdDef = CmdDef {
    name: "domblkerror",
    help: "Show errors on block devices",
    desc: "Show block device errors",
    opts: &[Opt::DOMAIN],
    ..CmdDef::new(cmd_domblkerror)
};

fn cmd_domblkerror(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let (_, count) = ctl.lib(dom.get_disk_errors(0, 0))?;
    let errors = if count > 0 {
        ctl.lib(dom.get_disk_errors(count as u32, 0))?.0
    } else {
        Vec::new()
    };
    if errors.is_empty() {
        ctl.print("No errors found\n");
        return Ok(());
    }
    for e in errors {
        let what = ["no error", "unspecified error", "no space"]
            .get(e.error as usize)
            .copied()
            .unwrap_or("unknown error");
        ctl.print(&format!("{}: {what}\n", e.disk));
    }
    Ok(())
}

/// `domblkinfo`.
const DOMBLKINFO: CmdDef = CmdDef {
    name: "domblkinfo",
    help: "domain block device size information",
    desc: "Get block device size info for a domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("device", OptKind::String, "block device"),
        Opt::new("human", OptKind::Bool, "Human readable output"),
        Opt::new("all", OptKind::Bool, "display all block devices info"),
    ],
    ..CmdDef::new(cmd_domblkinfo)
};

/// cmdDomblkinfoGet: the three sizes as numbers, in units with `--human`, or `-` when all are 0.
fn blkinfo_cells(i: &rvirt::DomainBlockInfo, human: bool) -> [String; 3] {
    let v = [i.capacity, i.allocation, i.physical];
    if v == [0, 0, 0] {
        return ["-".into(), "-".into(), "-".into()];
    }
    v.map(|n| if human { pretty3(n) } else { n.to_string() })
}

/// vshPrettyCapacity with `%.3lf`: `n` in the largest binary unit below it.
fn pretty3(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let i = UNITS
        .iter()
        .enumerate()
        .position(|(i, _)| i == UNITS.len() - 1 || (n as f64) < 1024f64.powi(i as i32 + 1))
        .unwrap_or(0);
    format!("{:.3} {}", n as f64 / 1024f64.powi(i as i32), UNITS[i])
}

fn cmd_domblkinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("all", "device")])?;
    let (dom, _) = ctl.domain(cmd)?;
    let all = cmd.has("all");
    let device = cmd.value("device").filter(|d| !d.is_empty());
    if !all && device.is_none() {
        return ctl.fail("command 'domblkinfo' requires <device> option");
    }
    let human = cmd.has("human");
    let Some(device) = device.filter(|_| !all) else {
        let xml = ctl.lib(dom.get_xml_desc(DomainXMLFlags::empty()))?;
        let doc = parse_xml(ctl, &xml)?;
        let mut t = Table::new(&["Target", "Capacity", "Allocation", "Physical"]);
        for disk in devices(&doc, "disk") {
            let target = child_attr(disk, "target", "dev").unwrap_or_default();
            let has_source = disk.children().any(|c| c.has_tag_name("source"));
            let info = if has_source {
                ctl.lib(dom.get_block_info(&target, 0))?
            } else {
                rvirt::DomainBlockInfo::default()
            };
            let [c, a, p] = blkinfo_cells(&info, human);
            t.row(vec![target, c, a, p]);
        }
        let quiet = ctl.quiet;
        ctl.print(&t.render(!quiet));
        return Ok(());
    };
    let info = ctl.lib(dom.get_block_info(device, 0))?;
    let [c, a, p] = blkinfo_cells(&info, human);
    ctl.print(&format!("{:<15} {c}\n", "Capacity:"));
    ctl.print(&format!("{:<15} {a}\n", "Allocation:"));
    ctl.print(&format!("{:<15} {p}\n", "Physical:"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt::{TypedParam, TypedParamValue};

    #[test]
    fn typed_block_stats_print_in_virshs_order_then_the_rest() {
        let params: Vec<TypedParam> = [
            ("wr_bytes", 4),
            ("rd_operations", 1),
            ("flush_total_times", 9),
            ("zz_other", 7),
        ]
        .into_iter()
        .map(|(n, v)| TypedParam::new(n, TypedParamValue::LLong(v)))
        .collect();
        assert_eq!(
            blkstat_flags_text("vda", false, &params),
            "vda rd_req 1\nvda wr_bytes 4\nvda flush_total_times 9\nvda zz_other 7\n"
        );
        assert_eq!(
            blkstat_flags_text("vda", true, &params[..1]),
            "Device: vda\n number of bytes written:        4\n"
        );
    }
}
