//! Storage Pool (help keyword `pool`): list, inspect, define, start, stop and delete storage
//! pools, as virsh's `virsh-pool.c` does.

use crate::cmd::{CmdDef, Group, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::parse::Cmd;
use rvirt::blocking::StoragePool;
use rvirt::storage_flags::{
    ConnectListAllStoragePoolsFlags as L, StoragePoolBuildFlags, StoragePoolCreateFlags,
    StoragePoolDefineFlags, StoragePoolDeleteFlags, StoragePoolState, StorageXMLFlags,
};

/// The group.
pub static GROUP: Group = Group {
    name: "Storage Pool",
    keyword: "pool",
    commands: COMMANDS,
};

/// virsh's `VIRSH_COMMON_OPT_POOL_X_AS` (the options pool-define-as and pool-create-as share)
/// followed by pool-create-as's `--build`, `--no-overwrite` and `--overwrite`.
static POOL_X_AS_BUILD: [Opt; 25] = [
    Opt::new("name", OptKind::Data, "name of the pool").required(),
    Opt::new("type", OptKind::Data, "type of the pool").required(),
    Opt::new(
        "print-xml",
        OptKind::Bool,
        "print XML document, but don't define/create",
    ),
    Opt::new(
        "source-host",
        OptKind::String,
        "source-host for underlying storage",
    ),
    Opt::new(
        "source-path",
        OptKind::String,
        "source path for underlying storage",
    ),
    Opt::new(
        "source-dev",
        OptKind::String,
        "source device for underlying storage",
    ),
    Opt::new(
        "source-name",
        OptKind::String,
        "source name for underlying storage",
    ),
    Opt::new("target", OptKind::String, "target for underlying storage"),
    Opt::new(
        "source-format",
        OptKind::String,
        "format for underlying storage",
    ),
    Opt::new(
        "auth-type",
        OptKind::String,
        "auth type to be used for underlying storage",
    ),
    Opt::new(
        "auth-username",
        OptKind::String,
        "auth username to be used for underlying storage",
    ),
    Opt::new(
        "secret-usage",
        OptKind::String,
        "auth secret usage to be used for underlying storage",
    ),
    Opt::new(
        "secret-uuid",
        OptKind::String,
        "auth secret UUID to be used for underlying storage",
    ),
    Opt::new(
        "adapter-name",
        OptKind::String,
        "adapter name to be used for underlying storage",
    ),
    Opt::new(
        "adapter-wwnn",
        OptKind::String,
        "adapter wwnn to be used for underlying storage",
    ),
    Opt::new(
        "adapter-wwpn",
        OptKind::String,
        "adapter wwpn to be used for underlying storage",
    ),
    Opt::new(
        "adapter-parent",
        OptKind::String,
        "adapter parent scsi_hostN to be used for underlying vHBA storage",
    ),
    Opt::new(
        "adapter-parent-wwnn",
        OptKind::String,
        "adapter parent scsi_hostN wwnn to be used for underlying vHBA storage",
    ),
    Opt::new(
        "adapter-parent-wwpn",
        OptKind::String,
        "adapter parent scsi_hostN wwpn to be used for underlying vHBA storage",
    ),
    Opt::new(
        "adapter-parent-fabric-wwn",
        OptKind::String,
        "adapter parent scsi_hostN fabric_wwn to be used for underlying vHBA storage",
    ),
    Opt::new(
        "source-protocol-ver",
        OptKind::String,
        "nfsvers value for NFS pool mount option",
    ),
    Opt::new(
        "source-initiator",
        OptKind::String,
        "initiator iqn for underlying storage",
    ),
    Opt::new("build", OptKind::Bool, "build the pool as normal"),
    Opt::new(
        "no-overwrite",
        OptKind::Bool,
        "do not overwrite any existing data",
    ),
    Opt::new("overwrite", OptKind::Bool, "overwrite any existing data"),
];

/// How many of [`POOL_X_AS_BUILD`] pool-define-as takes.
const POOL_X_AS: usize = 22;

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "find-storage-pool-sources-as",
        help: "find potential storage pool sources",
        desc: "Returns XML <sources> document.",
        opts: &[
            Opt::new(
                "type",
                OptKind::Data,
                "type of storage pool sources to find",
            )
            .required(),
            Opt::new("host", OptKind::String, "optional host to query"),
            Opt::new("port", OptKind::String, "optional port to query"),
            Opt::new(
                "initiator",
                OptKind::String,
                "optional initiator IQN to use for query",
            ),
        ],
        ..CmdDef::new(cmd_find_storage_pool_sources_as)
    },
    CmdDef {
        name: "find-storage-pool-sources",
        help: "discover potential storage pool sources",
        desc: "Returns XML <sources> document.",
        opts: &[
            Opt::new(
                "type",
                OptKind::Data,
                "type of storage pool sources to discover",
            )
            .required(),
            Opt::new(
                "srcSpec",
                OptKind::String,
                "optional file of source xml to query for pools",
            ),
        ],
        ..CmdDef::new(cmd_find_storage_pool_sources)
    },
    CmdDef {
        name: "pool-autostart",
        help: "autostart a pool",
        desc: "Configure a pool to be automatically started at boot.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new("disable", OptKind::Bool, "disable autostarting"),
        ],
        ..CmdDef::new(cmd_pool_autostart)
    },
    CmdDef {
        name: "pool-build",
        help: "build a pool",
        desc: "Build a given pool.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new(
                "no-overwrite",
                OptKind::Bool,
                "do not overwrite any existing data",
            ),
            Opt::new("overwrite", OptKind::Bool, "overwrite any existing data"),
        ],
        ..CmdDef::new(cmd_pool_build)
    },
    CmdDef {
        name: "pool-create-as",
        help: "create a pool from a set of args",
        desc: "Create a pool.",
        opts: &POOL_X_AS_BUILD,
        ..CmdDef::new(cmd_pool_create_as)
    },
    CmdDef {
        name: "pool-create",
        help: "create a pool from an XML file",
        desc: "Create a pool.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML pool description",
            )
            .required(),
            Opt::new("build", OptKind::Bool, "build the pool as normal"),
            Opt::new(
                "no-overwrite",
                OptKind::Bool,
                "do not overwrite any existing data",
            ),
            Opt::new("overwrite", OptKind::Bool, "overwrite any existing data"),
        ],
        ..CmdDef::new(cmd_pool_create)
    },
    CmdDef {
        name: "pool-define-as",
        help: "define a pool from a set of args",
        desc: "Define a pool.",
        opts: POOL_X_AS_BUILD.split_at(POOL_X_AS).0,
        ..CmdDef::new(cmd_pool_define_as)
    },
    CmdDef {
        name: "pool-define",
        help: "define an inactive persistent storage pool or modify an existing persistent one from an XML file",
        desc: "Define or modify a persistent storage pool.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML pool description",
            )
            .required(),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_pool_define)
    },
    CmdDef {
        name: "pool-delete",
        help: "delete a pool",
        desc: "Delete a given pool.",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_delete)
    },
    CmdDef {
        name: "pool-destroy",
        help: "destroy (stop) a pool",
        desc: "Forcefully stop a given pool. Raw data in the pool is untouched",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_destroy)
    },
    CmdDef {
        name: "pool-dumpxml",
        help: "pool information in XML",
        desc: "Output the pool information as an XML dump to stdout.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new("inactive", OptKind::Bool, "show inactive defined XML"),
            Opt::new(
                "xpath",
                OptKind::String,
                "xpath expression to filter the XML document",
            )
            .named_only(),
            Opt::new(
                "wrap",
                OptKind::Bool,
                "wrap xpath results in an common root element",
            ),
        ],
        ..CmdDef::new(cmd_pool_dumpxml)
    },
    CmdDef {
        name: "pool-edit",
        help: "edit XML configuration for a storage pool",
        desc: "Edit the XML configuration for a storage pool.",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_edit)
    },
    CmdDef {
        name: "pool-info",
        help: "storage pool information",
        desc: "Returns basic information about the storage pool.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new("bytes", OptKind::Bool, "Return pool info in bytes"),
        ],
        ..CmdDef::new(cmd_pool_info)
    },
    CmdDef {
        name: "pool-list",
        help: "list pools",
        desc: "Returns list of pools.",
        opts: &[
            Opt::new("inactive", OptKind::Bool, "list inactive pools"),
            Opt::new("all", OptKind::Bool, "list inactive & active pools"),
            Opt::new("transient", OptKind::Bool, "list transient pools"),
            Opt::new("persistent", OptKind::Bool, "list persistent pools"),
            Opt::new(
                "autostart",
                OptKind::Bool,
                "list pools with autostart enabled",
            ),
            Opt::new(
                "no-autostart",
                OptKind::Bool,
                "list pools with autostart disabled",
            ),
            Opt::new(
                "type",
                OptKind::String,
                "only list pool of specified type(s) (if supported)",
            ),
            Opt::new(
                "details",
                OptKind::Bool,
                "display extended details for pools",
            ),
            Opt::new("uuid", OptKind::Bool, "list UUID of active pools only"),
            Opt::new("name", OptKind::Bool, "list name of active pools only"),
        ],
        ..CmdDef::new(cmd_pool_list)
    },
    CmdDef {
        name: "pool-name",
        help: "convert a pool UUID to pool name",
        desc: "",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_name)
    },
    CmdDef {
        name: "pool-refresh",
        help: "refresh a pool",
        desc: "Refresh a given pool.",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_refresh)
    },
    CmdDef {
        name: "pool-start",
        help: "start a (previously defined) inactive pool",
        desc: "Start a pool.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new("build", OptKind::Bool, "build the pool as normal"),
            Opt::new(
                "no-overwrite",
                OptKind::Bool,
                "do not overwrite any existing data",
            ),
            Opt::new("overwrite", OptKind::Bool, "overwrite any existing data"),
        ],
        ..CmdDef::new(cmd_pool_start)
    },
    CmdDef {
        name: "pool-undefine",
        help: "undefine an inactive pool",
        desc: "Undefine the configuration for an inactive pool.",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_undefine)
    },
    CmdDef {
        name: "pool-uuid",
        help: "convert a pool name to pool UUID",
        desc: "",
        opts: &[Opt::new("pool", OptKind::Data, "pool name or uuid").required()],
        ..CmdDef::new(cmd_pool_uuid)
    },
    CmdDef {
        name: "pool-event",
        help: "Storage Pool Events",
        desc: "List event types, or wait for storage pool events to occur",
        opts: &[
            Opt::new(
                "pool",
                OptKind::String,
                "filter by storage pool name or uuid",
            ),
            Opt::new("event", OptKind::String, "which event type to wait for"),
            Opt::new(
                "loop",
                OptKind::Bool,
                "loop until timeout or interrupt, rather than one-shot",
            ),
            Opt::new("timeout", OptKind::Int, "timeout seconds"),
            Opt::new("list", OptKind::Bool, "list valid event types"),
            Opt::new(
                "timestamp",
                OptKind::Bool,
                "show timestamp for each printed event",
            ),
        ],
        ..CmdDef::new(cmd_pool_event)
    },
];

/// vshPrettyCapacity with virsh's `%.2lf %s`: a size in the largest binary unit below it.
pub(crate) fn pretty_capacity(val: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut limit = 1024f64;
    let v = val as f64;
    for (i, unit) in UNITS.iter().enumerate() {
        if v < limit || i == UNITS.len() - 1 {
            return format!("{:.2} {unit}", v / (limit / 1024.0));
        }
        limit *= 1024.0;
    }
    format!("{val} B")
}

/// virshStoragePoolStateToString.
fn state_name(s: StoragePoolState) -> &'static str {
    match s {
        StoragePoolState::INACTIVE => "inactive",
        StoragePoolState::BUILDING => "building",
        StoragePoolState::RUNNING => "running",
        StoragePoolState::DEGRADED => "degraded",
        StoragePoolState::INACCESSIBLE => "inaccessible",
        _ => "unknown",
    }
}

/// virshCommandOptPoolBy: the pool option `opt` names, by UUID (when it is one, `by_uuid`) and
/// then by name (`by_name`); `failed to get pool '…'` otherwise.
pub(crate) fn lookup_pool(
    ctl: &mut Ctl,
    name: &str,
    by_uuid: bool,
    by_name: bool,
) -> Result<StoragePool, Failed> {
    let conn = ctl.conn()?.clone();
    let mut result = None;
    if by_uuid && name.len() == 36 {
        result = Some(conn.storage_pool_lookup_by_uuid_string(name));
    }
    if by_name && !matches!(result, Some(Ok(_))) {
        result = Some(conn.storage_pool_lookup_by_name(name));
    }
    match result {
        Some(Ok(p)) => Ok(p),
        Some(Err(e)) => {
            ctl.last_error = Some(e);
            ctl.fail(&format!("failed to get pool '{name}'"))
        }
        None => ctl.fail(&format!("failed to get pool '{name}'")),
    }
}

/// virshCommandOptPool: `--pool` by UUID or name; also returns the name as given.
pub(crate) fn pool_opt<'c>(
    ctl: &mut Ctl,
    cmd: &'c Cmd,
    opt: &str,
) -> Result<(StoragePool, &'c str), Failed> {
    let name = ctl.req_str(cmd, opt)?;
    let p = lookup_pool(ctl, name, true, true)?;
    Ok((p, name))
}

/// `--build`, `--overwrite`, `--no-overwrite` of pool-start and pool-create*.
fn create_flags(ctl: &mut Ctl, cmd: &Cmd) -> Result<StoragePoolCreateFlags, Failed> {
    ctl.exclusive(cmd, &[("overwrite", "no-overwrite")])?;
    let mut flags = StoragePoolCreateFlags::empty();
    for (o, f) in [
        ("build", StoragePoolCreateFlags::WITH_BUILD),
        ("overwrite", StoragePoolCreateFlags::WITH_BUILD_OVERWRITE),
        (
            "no-overwrite",
            StoragePoolCreateFlags::WITH_BUILD_NO_OVERWRITE,
        ),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    Ok(flags)
}

fn cmd_pool_autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (pool, name) = pool_opt(ctl, cmd, "pool")?;
    let on = !cmd.has("disable");
    if let Err(e) = pool.set_autostart(on) {
        let what = if on { "mark" } else { "unmark" };
        return ctl.lib_fail(e, &format!("failed to {what} pool {name} as autostarted"));
    }
    let what = if on { "marked" } else { "unmarked" };
    ctl.print_extra(&format!("Pool {name} {what} as autostarted\n"));
    Ok(())
}

fn cmd_pool_build(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (pool, name) = pool_opt(ctl, cmd, "pool")?;
    let mut flags = StoragePoolBuildFlags::empty();
    if cmd.has("no-overwrite") {
        flags |= StoragePoolBuildFlags::NO_OVERWRITE;
    }
    if cmd.has("overwrite") {
        flags |= StoragePoolBuildFlags::OVERWRITE;
    }
    match pool.build(flags) {
        Ok(()) => {
            ctl.print_extra(&format!("Pool {name} built\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to build pool {name}")),
    }
}

/// virshBuildPoolXML: the `<pool>` document pool-create-as and pool-define-as make.
fn build_pool_xml<'c>(ctl: &mut Ctl, cmd: &'c Cmd) -> Result<(String, &'c str), Failed> {
    ctl.exclusive(cmd, &[("secret-usage", "secret-uuid")])?;
    let name = ctl.req_str(cmd, "name")?;
    let ty = ctl.req_str(cmd, "type")?;
    let mut v = std::collections::HashMap::new();
    for o in [
        "source-host",
        "source-path",
        "source-dev",
        "source-name",
        "source-format",
        "target",
        "auth-type",
        "auth-username",
        "secret-usage",
        "secret-uuid",
        "adapter-name",
        "adapter-wwnn",
        "adapter-wwpn",
        "adapter-parent",
        "adapter-parent-wwnn",
        "adapter-parent-wwpn",
        "adapter-parent-fabric-wwn",
        "source-protocol-ver",
        "source-initiator",
    ] {
        if let Some(x) = ctl.opt_str(cmd, o)? {
            v.insert(o, x);
        }
    }
    let get = |o: &str| v.get(o).copied();
    let mut x = format!("<pool type='{ty}'>\n  <name>{name}</name>\n");
    let fc = get("adapter-wwnn").is_some() && get("adapter-wwpn").is_some();
    let any_source = [
        "source-host",
        "source-path",
        "source-dev",
        "source-initiator",
        "source-format",
        "source-name",
        "adapter-name",
    ]
    .iter()
    .any(|o| get(o).is_some())
        || fc;
    if any_source {
        x.push_str("  <source>\n");
        if let Some(h) = get("source-host") {
            x.push_str(&format!("    <host name='{h}'/>\n"));
        }
        if let Some(p) = get("source-path") {
            x.push_str(&format!("    <dir path='{p}'/>\n"));
        }
        if let Some(d) = get("source-dev") {
            x.push_str(&format!("    <device path='{d}'/>\n"));
        }
        if let Some(i) = get("source-initiator") {
            x.push_str(&format!(
                "    <initiator>\n      <iqn name='{i}'/>\n    </initiator>\n"
            ));
        }
        if fc {
            x.push_str("    <adapter type='fc_host'");
            if let Some(p) = get("adapter-parent") {
                x.push_str(&format!(" parent='{p}'"));
            } else if let (Some(n), Some(p)) =
                (get("adapter-parent-wwnn"), get("adapter-parent-wwpn"))
            {
                x.push_str(&format!(" parent_wwnn='{n}' parent_wwpn='{p}'"));
            } else if let Some(f) = get("adapter-parent-fabric-wwn") {
                x.push_str(&format!(" parent_fabric_wwn='{f}'"));
            }
            x.push_str(&format!(
                " wwnn='{}' wwpn='{}'/>\n",
                get("adapter-wwnn").unwrap_or_default(),
                get("adapter-wwpn").unwrap_or_default()
            ));
        } else if let Some(a) = get("adapter-name") {
            x.push_str(&format!("    <adapter type='scsi_host' name='{a}'/>\n"));
        }
        if let (Some(t), Some(u)) = (get("auth-type"), get("auth-username")) {
            let secret = match (get("secret-usage"), get("secret-uuid")) {
                (Some(s), _) => Some(format!("usage='{s}'")),
                (None, Some(s)) => Some(format!("uuid='{s}'")),
                _ => None,
            };
            if let Some(s) = secret {
                x.push_str(&format!(
                    "    <auth type='{t}' username='{u}'>\n      <secret {s}/>\n    </auth>\n"
                ));
            }
        }
        if let Some(f) = get("source-format") {
            x.push_str(&format!("    <format type='{f}'/>\n"));
        }
        if let Some(n) = get("source-name") {
            x.push_str(&format!("    <name>{n}</name>\n"));
        }
        if let Some(p) = get("source-protocol-ver") {
            x.push_str(&format!("    <protocol ver='{p}'/>\n"));
        }
        x.push_str("  </source>\n");
    }
    if let Some(t) = get("target") {
        x.push_str(&format!("  <target>\n    <path>{t}</path>\n  </target>\n"));
    }
    x.push_str("</pool>\n");
    Ok((x, name))
}

fn cmd_pool_create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = create_flags(ctl, cmd)?;
    let (xml, name) = build_pool_xml(ctl, cmd)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let r = ctl.conn()?.storage_pool_create_xml(&xml, flags);
    match r {
        Ok(_) => {
            ctl.print_extra(&format!("Pool {name} created\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create pool {name}")),
    }
}

fn cmd_pool_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let flags = create_flags(ctl, cmd)?;
    let xml = ctl.lib(read_file(from))?;
    let r = ctl.conn()?.storage_pool_create_xml(&xml, flags);
    match r {
        Ok(p) => {
            ctl.print_extra(&format!("Pool {} created from {from}\n", p.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create pool from {from}")),
    }
}

fn cmd_pool_define_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (xml, name) = build_pool_xml(ctl, cmd)?;
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    let r = ctl
        .conn()?
        .storage_pool_define_xml(&xml, StoragePoolDefineFlags::empty());
    match r {
        Ok(_) => {
            ctl.print_extra(&format!("Pool {name} defined\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to define pool {name}")),
    }
}

fn cmd_pool_define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let flags = if cmd.has("validate") {
        StoragePoolDefineFlags::VALIDATE
    } else {
        StoragePoolDefineFlags::empty()
    };
    let xml = ctl.lib(read_file(from))?;
    let r = ctl.conn()?.storage_pool_define_xml(&xml, flags);
    match r {
        Ok(p) => {
            ctl.print_extra(&format!("Pool {} defined from {from}\n", p.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to define pool from {from}")),
    }
}

/// The commands that only run one call on a pool and say so: pool-delete, pool-destroy,
/// pool-refresh, pool-undefine.
fn simple(
    ctl: &mut Ctl,
    cmd: &Cmd,
    call: impl FnOnce(&StoragePool) -> rvirt::Result<()>,
    done: &str,
    failed: &str,
) -> CmdResult {
    let (pool, name) = pool_opt(ctl, cmd, "pool")?;
    match call(&pool) {
        Ok(()) => {
            ctl.print_extra(&format!("Pool {name} {done}\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to {failed} pool {name}")),
    }
}

fn cmd_pool_delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(
        ctl,
        cmd,
        |p| p.delete(StoragePoolDeleteFlags::empty()),
        "deleted",
        "delete",
    )
}

fn cmd_pool_destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, |p| p.destroy(), "destroyed", "destroy")
}

fn cmd_pool_refresh(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, |p| p.refresh(0), "refreshed", "refresh")
}

fn cmd_pool_undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    simple(ctl, cmd, |p| p.undefine(), "has been undefined", "undefine")
}

fn cmd_pool_start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (pool, name) = pool_opt(ctl, cmd, "pool")?;
    let flags = create_flags(ctl, cmd)?;
    match pool.create(flags) {
        Ok(()) => {
            ctl.print_extra(&format!("Pool {name} started\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to start pool {name}")),
    }
}

fn cmd_pool_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("inactive") {
        StorageXMLFlags::INACTIVE
    } else {
        StorageXMLFlags::empty()
    };
    let (pool, _) = pool_opt(ctl, cmd, "pool")?;
    let r = pool.get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_pool_info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (pool, _) = pool_opt(ctl, cmd, "pool")?;
    let bytes = cmd.has("bytes");
    ctl.print(&format!("{:<15} {}\n", "Name:", pool.get_name()));
    ctl.print(&format!("{:<15} {}\n", "UUID:", pool.get_uuid_string()));
    let r = pool.get_info();
    let info = ctl.lib(r)?;
    ctl.print(&format!("{:<15} {}\n", "State:", state_name(info.state)));
    let persistent = match pool.is_persistent() {
        Ok(true) => "yes",
        Ok(false) => "no",
        Err(_) => "unknown",
    };
    ctl.print(&format!("{:<15} {persistent}\n", "Persistent:"));
    let autostart = match pool.get_autostart() {
        Ok(true) => "yes",
        Ok(false) => "no",
        Err(_) => "no autostart",
    };
    ctl.print(&format!("{:<15} {autostart}\n", "Autostart:"));
    if matches!(
        info.state,
        StoragePoolState::RUNNING | StoragePoolState::DEGRADED
    ) {
        for (label, v) in [
            ("Capacity:", info.capacity),
            ("Allocation:", info.allocation),
            ("Available:", info.available),
        ] {
            let text = if bytes {
                v.to_string()
            } else {
                pretty_capacity(v)
            };
            ctl.print(&format!("{label:<15} {text}\n"));
        }
    }
    Ok(())
}

/// The pool-list flag for a `--type` name.
fn type_flag(name: &str) -> Option<L> {
    const TYPES: [&str; 14] = [
        "dir",
        "fs",
        "netfs",
        "logical",
        "disk",
        "iscsi",
        "iscsi-direct",
        "scsi",
        "mpath",
        "rbd",
        "sheepdog",
        "gluster",
        "zfs",
        "vstorage",
    ];
    TYPES.iter().position(|t| *t == name).map(L::for_pool_type)
}

/// vshStringToArray: a comma-separated list, `,,` standing for a literal comma.
fn string_to_array(s: &str) -> Vec<String> {
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

fn cmd_pool_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let details = cmd.has("details");
    ctl.exclusive(cmd, &[("all", "inactive")])?;
    let mut flags = if cmd.has("all") {
        L::ACTIVE | L::INACTIVE
    } else if cmd.has("inactive") {
        L::INACTIVE
    } else {
        L::ACTIVE
    };
    for (o, f) in [
        ("autostart", L::AUTOSTART),
        ("no-autostart", L::NO_AUTOSTART),
        ("persistent", L::PERSISTENT),
        ("transient", L::TRANSIENT),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (uuid, name) = (cmd.has("uuid"), cmd.has("name"));
    let ty = ctl.opt_str(cmd, "type")?;
    ctl.exclusive(cmd, &[("details", "uuid"), ("details", "name")])?;
    if let Some(ty) = ty {
        for t in string_to_array(ty) {
            match type_flag(&t) {
                Some(f) => flags |= f,
                None => return ctl.fail(&format!("Invalid pool type '{t}'")),
            }
        }
    }
    let r = ctl.conn()?.list_all_storage_pools(flags);
    let mut pools = match r {
        Ok(p) => p,
        Err(e) => return ctl.lib_fail(e, "Failed to list pools"),
    };
    pools.sort_by(|a, b| a.get_name().cmp(b.get_name()));
    if !details && (uuid || name) {
        for p in &pools {
            if uuid {
                let sep = if name { ' ' } else { '\n' };
                ctl.print(&format!("{:<36}{sep}", p.get_uuid_string()));
            }
            if name {
                ctl.print(&format!("{:<20}\n", p.get_name()));
            }
        }
        return Ok(());
    }
    let header: &[&str] = if details {
        &[
            "Name",
            "State",
            "Autostart",
            "Persistent",
            "Capacity",
            "Allocation",
            "Available",
        ]
    } else {
        &["Name", "State", "Autostart"]
    };
    let mut table = Table::new(header);
    for p in &pools {
        let autostart = match p.get_autostart() {
            Ok(true) => "yes",
            Ok(false) => "no",
            Err(_) => "no autostart",
        };
        let mut row = vec![p.get_name().to_string()];
        match p.get_info() {
            Err(_) => {
                ctl.error("Could not retrieve pool information");
                row.push("unknown".into());
                row.push(autostart.into());
                if details {
                    row.extend((0..4).map(|_| String::from("unknown")));
                }
            }
            Ok(info) if details => {
                let persistent = match p.is_persistent() {
                    Ok(true) => "yes",
                    Ok(false) => "no",
                    Err(_) => "unknown",
                };
                row.push(state_name(info.state).into());
                row.push(autostart.into());
                row.push(persistent.into());
                if matches!(
                    info.state,
                    StoragePoolState::RUNNING | StoragePoolState::DEGRADED
                ) {
                    row.push(pretty_capacity(info.capacity));
                    row.push(pretty_capacity(info.allocation));
                    row.push(pretty_capacity(info.available));
                } else {
                    row.extend(["-".into(), "-".into(), "-".into()]);
                }
            }
            Ok(_) => {
                let active = if p.is_active().unwrap_or(false) {
                    "active"
                } else {
                    "inactive"
                };
                row.push(active.into());
                row.push(autostart.into());
            }
        }
        table.row(row);
    }
    ctl.print(&table.render(true));
    Ok(())
}

fn cmd_pool_name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let name = ctl.req_str(cmd, "pool")?;
    let pool = lookup_pool(ctl, name, true, false)?;
    ctl.print(&format!("{}\n", pool.get_name()));
    Ok(())
}

fn cmd_pool_uuid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let name = ctl.req_str(cmd, "pool")?;
    let pool = lookup_pool(ctl, name, false, true)?;
    ctl.print(&format!("{}\n", pool.get_uuid_string()));
    Ok(())
}

fn find_sources(ctl: &mut Ctl, ty: &str, spec: Option<&str>) -> CmdResult {
    let r = ctl.conn()?.find_storage_pool_sources(ty, spec, 0);
    match r {
        Ok(list) => {
            ctl.print(&list);
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to find any {ty} pool sources")),
    }
}

fn cmd_find_storage_pool_sources_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let ty = ctl.req_str(cmd, "type")?;
    let host = ctl.opt_str(cmd, "host")?;
    let initiator = ctl.opt_str(cmd, "initiator")?;
    let spec = match host {
        Some(host) => {
            let port = match ctl.opt_str(cmd, "port") {
                Ok(p) => p,
                Err(_) => return ctl.fail("missing argument"),
            };
            let mut s = format!("<source>\n  <host name='{host}'");
            if let Some(p) = port {
                s.push_str(&format!(" port='{p}'"));
            }
            s.push_str("/>\n");
            if let Some(i) = initiator {
                s.push_str(&format!(
                    "  <initiator>\n    <iqn name='{i}'/>\n  </initiator>\n"
                ));
            }
            s.push_str("</source>\n");
            Some(s)
        }
        None => None,
    };
    find_sources(ctl, ty, spec.as_deref())
}

fn cmd_find_storage_pool_sources(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let ty = ctl.req_str(cmd, "type")?;
    let spec = match ctl.opt_str(cmd, "srcSpec")? {
        Some(f) => Some(ctl.lib(read_file(f))?),
        None => None,
    };
    find_sources(ctl, ty, spec.as_deref())
}

fn cmd_pool_edit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (pool, _) = pool_opt(ctl, cmd, "pool")?;
    // Daemons that do not know VIR_STORAGE_XML_INACTIVE (libvirt's test driver) refuse it.
    let mut flags = StorageXMLFlags::INACTIVE;
    if let Err(e) = pool.get_xml_desc(flags) {
        if e.code != rvirt::ErrorNumber::INVALID_ARG {
            ctl.last_error = Some(e);
            return Err(Failed);
        }
        flags = StorageXMLFlags::empty();
    }
    let r = pool.get_xml_desc(flags);
    let mut doc = ctl.lib(r)?;
    let not_changed = |ctl: &mut Ctl| {
        ctl.print_extra(&format!(
            "Pool {} XML configuration not changed.\n",
            pool.get_name()
        ));
        Ok(())
    };
    let mut edited = crate::commands::domain::edit_text(ctl, &doc)?;
    if edited == doc {
        return not_changed(ctl);
    }
    loop {
        let r = pool.get_xml_desc(flags);
        let reread = ctl.lib(r)?;
        let msg = if reread != doc {
            doc = reread;
            "The XML configuration was changed by another user."
        } else {
            let r = ctl
                .conn()?
                .storage_pool_define_xml(&edited, StoragePoolDefineFlags::empty());
            match r {
                Ok(p) => {
                    ctl.print_extra(&format!(
                        "Pool {} XML configuration edited.\n",
                        p.get_name()
                    ));
                    return Ok(());
                }
                Err(e) => {
                    ctl.last_error = Some(e);
                    "Failed."
                }
            }
        };
        match crate::commands::domain::ask_reedit(ctl, msg, false) {
            Some(b'y') => {
                edited = crate::commands::domain::edit_text(ctl, &edited)?;
                if edited == doc {
                    return not_changed(ctl);
                }
            }
            Some(b'f') => {}
            Some(_) => return Err(Failed),
            None => return ctl.fail(msg),
        }
    }
}

/// virshPoolEventToString.
fn pool_event_name(event: i32) -> &'static str {
    const NAMES: [&str; 6] = [
        "Defined",
        "Undefined",
        "Started",
        "Stopped",
        "Created",
        "Deleted",
    ];
    usize::try_from(event)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("unknown")
}

/// The event types pool-event knows, by `virStoragePoolEventID`.
const POOL_EVENTS: [&str; 2] = ["lifecycle", "refresh"];

fn cmd_pool_event(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use crate::commands::events::wait_for_events;
    if cmd.has("list") {
        let out: String = POOL_EVENTS.iter().map(|n| format!("{n}\n")).collect();
        ctl.print(&out);
        return Ok(());
    }
    let Some(name) = ctl.opt_str(cmd, "event")? else {
        return ctl.fail("either --list or --event <type> is required");
    };
    let Some(id) = POOL_EVENTS.iter().position(|n| *n == name) else {
        return ctl.fail(&format!("unknown event type {name}"));
    };
    let (looping, stamp) = (cmd.has("loop"), cmd.has("timestamp"));
    let timeout = ctl.opt_timeout_ms(cmd)?;
    // virsh goes on listening to every pool when the one named is not found.
    let pool = if cmd.has("pool") {
        pool_opt(ctl, cmd, "pool").ok().map(|(p, _)| p)
    } else {
        None
    };
    let conn = ctl.conn()?.clone();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let r = conn.storage_pool_event_register_any(
        pool.as_ref(),
        rvirt::storage_flags::StoragePoolEventID(id as i32),
        move |_, p, ev| {
            let line = match ev {
                rvirt::StoragePoolEvent::Lifecycle { event, .. } => format!(
                    "event 'lifecycle' for storage pool {}: {}\n",
                    p.get_name(),
                    pool_event_name(event.0)
                ),
                rvirt::StoragePoolEvent::Refresh { .. } => {
                    format!("event 'refresh' for storage pool {}\n", p.get_name())
                }
            };
            let _ = tx.send(line);
        },
    );
    let reg = ctl.lib(r)?;
    let count = wait_for_events(ctl, &rx, timeout, looping, stamp);
    let mut ok = count > 0;
    if conn.storage_pool_event_deregister_any(reg).is_err() {
        ok = false;
    }
    if ok { Ok(()) } else { Err(Failed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_print_as_virsh() {
        assert_eq!(pretty_capacity(0), "0.00 B");
        assert_eq!(pretty_capacity(1023), "1023.00 B");
        assert_eq!(pretty_capacity(10 << 20), "10.00 MiB");
        assert_eq!(pretty_capacity(100 << 30), "100.00 GiB");
        assert_eq!(pretty_capacity(1536), "1.50 KiB");
    }

    #[test]
    fn type_lists_split_as_vsh() {
        assert_eq!(string_to_array("dir,logical"), ["dir", "logical"]);
        assert_eq!(string_to_array("a,,b"), ["a,b"]);
        assert_eq!(type_flag("iscsi-direct"), Some(L::ISCSI_DIRECT));
        assert_eq!(type_flag("bogus"), None);
    }
}
