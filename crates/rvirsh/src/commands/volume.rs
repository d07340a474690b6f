//! Storage Volume (help keyword `volume`): create, clone, inspect and delete the volumes of
//! storage pools, as virsh's `virsh-volume.c` does.

use crate::cmd::{CmdDef, Group, Opt, OptKind};
use crate::commands::pool::{lookup_pool, pretty_capacity};
use crate::ctl::{CmdResult, Ctl, Failed, read_file};
use crate::fmt::Table;
use crate::parse::{Cmd, ScaleError, scaled_number};
use rvirt::ErrorNumber;
use rvirt::blocking::StorageVol;
use rvirt::storage_flags::{
    StorageVolCreateFlags as C, StorageVolDeleteFlags, StorageVolInfoFlags, StorageVolResizeFlags,
    StorageVolStreamFlags, StorageVolType, StorageVolWipeAlgorithm,
};

/// The group.
pub static GROUP: Group = Group {
    name: "Storage Volume",
    keyword: "volume",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "vol-clone",
        help: "clone a volume.",
        desc: "Clone an existing volume within the parent pool.",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("newname", OptKind::Data, "clone name").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new(
                "prealloc-metadata",
                OptKind::Bool,
                "preallocate metadata (for qcow2 instead of full allocation)",
            ),
            Opt::new("reflink", OptKind::Bool, "use btrfs COW lightweight copy"),
            Opt::new(
                "print-xml",
                OptKind::Bool,
                "print XML document rather than clone the volume",
            ),
        ],
        ..CmdDef::new(cmd_vol_clone)
    },
    CmdDef {
        name: "vol-create-as",
        help: "create a volume from a set of args",
        desc: "Create a vol.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name").required(),
            Opt::new("name", OptKind::Data, "name of the volume").required(),
            Opt::new(
                "capacity",
                OptKind::Data,
                "size of the vol, as scaled integer (default bytes)",
            )
            .required(),
            Opt::new(
                "allocation",
                OptKind::String,
                "initial allocation size, as scaled integer (default bytes)",
            ),
            Opt::new(
                "format",
                OptKind::String,
                "file format type raw,bochs,qcow,qcow2,qed,vmdk",
            ),
            Opt::new(
                "backing-vol",
                OptKind::String,
                "the backing volume if taking a snapshot",
            ),
            Opt::new(
                "backing-vol-format",
                OptKind::String,
                "format of backing volume if taking a snapshot",
            ),
            Opt::new(
                "prealloc-metadata",
                OptKind::Bool,
                "preallocate metadata (for qcow2 instead of full allocation)",
            ),
            Opt::new(
                "print-xml",
                OptKind::Bool,
                "print XML document, but don't define/create",
            ),
        ],
        ..CmdDef::new(cmd_vol_create_as)
    },
    CmdDef {
        name: "vol-create",
        help: "create a vol from an XML file",
        desc: "Create a vol.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name").required(),
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML vol description",
            )
            .required(),
            Opt::new(
                "prealloc-metadata",
                OptKind::Bool,
                "preallocate metadata (for qcow2 instead of full allocation)",
            ),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_vol_create)
    },
    CmdDef {
        name: "vol-create-from",
        help: "create a vol, using another volume as input",
        desc: "Create a vol from an existing volume.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML vol description",
            )
            .required(),
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new(
                "inputpool",
                OptKind::String,
                "pool name or uuid of the input volume's pool",
            ),
            Opt::new(
                "prealloc-metadata",
                OptKind::Bool,
                "preallocate metadata (for qcow2 instead of full allocation)",
            ),
            Opt::new("reflink", OptKind::Bool, "use btrfs COW lightweight copy"),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_vol_create_from)
    },
    CmdDef {
        name: "vol-delete",
        help: "delete a vol",
        desc: "Delete a given vol.",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new(
                "delete-snapshots",
                OptKind::Bool,
                "delete snapshots associated with volume (must be supported by storage driver)",
            ),
        ],
        ..CmdDef::new(cmd_vol_delete)
    },
    CmdDef {
        name: "vol-download",
        help: "download volume contents to a file",
        desc: "Download volume contents to a file",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("file", OptKind::Data, "file").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new("offset", OptKind::Int, "volume offset to download from"),
            Opt::new("length", OptKind::Int, "amount of data to download"),
            Opt::new("sparse", OptKind::Bool, "preserve sparseness of volume"),
        ],
        ..CmdDef::new(cmd_vol_download)
    },
    CmdDef {
        name: "vol-dumpxml",
        help: "vol information in XML",
        desc: "Output the vol information as an XML dump to stdout.",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
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
        ..CmdDef::new(cmd_vol_dumpxml)
    },
    CmdDef {
        name: "vol-info",
        help: "storage vol information",
        desc: "Returns basic information about the storage vol.",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new(
                "bytes",
                OptKind::Bool,
                "sizes are represented in bytes rather than pretty units",
            ),
            Opt::new(
                "physical",
                OptKind::Bool,
                "return the physical size of the volume in allocation field",
            ),
        ],
        ..CmdDef::new(cmd_vol_info)
    },
    CmdDef {
        name: "vol-key",
        help: "returns the volume key for a given volume name or path",
        desc: "",
        opts: &[
            Opt::new("vol", OptKind::Data, "volume name or path").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
        ],
        ..CmdDef::new(cmd_vol_key)
    },
    CmdDef {
        name: "vol-list",
        help: "list vols",
        desc: "Returns list of vols by pool.",
        opts: &[
            Opt::new("pool", OptKind::Data, "pool name or uuid").required(),
            Opt::new(
                "details",
                OptKind::Bool,
                "display extended details for volumes",
            ),
        ],
        ..CmdDef::new(cmd_vol_list)
    },
    CmdDef {
        name: "vol-name",
        help: "returns the volume name for a given volume key or path",
        desc: "",
        opts: &[Opt::new("vol", OptKind::Data, "volume key or path").required()],
        ..CmdDef::new(cmd_vol_name)
    },
    CmdDef {
        name: "vol-path",
        help: "returns the volume path for a given volume name or key",
        desc: "",
        opts: &[
            Opt::new("vol", OptKind::Data, "volume name or key").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
        ],
        ..CmdDef::new(cmd_vol_path)
    },
    CmdDef {
        name: "vol-pool",
        help: "returns the storage pool for a given volume key or path",
        desc: "",
        opts: &[
            Opt::new("vol", OptKind::Data, "volume key or path").required(),
            Opt::new(
                "uuid",
                OptKind::Bool,
                "return the pool uuid rather than pool name",
            ),
        ],
        ..CmdDef::new(cmd_vol_pool)
    },
    CmdDef {
        name: "vol-resize",
        help: "resize a vol",
        desc: "Resizes a storage volume. This is safe only for storage volumes not in use by an active guest.\nSee blockresize for live resizing.",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new(
                "capacity",
                OptKind::Data,
                "new capacity for the vol, as scaled integer (default bytes)",
            )
            .required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new(
                "allocate",
                OptKind::Bool,
                "allocate the new capacity, rather than leaving it sparse",
            ),
            Opt::new(
                "delta",
                OptKind::Bool,
                "use capacity as a delta to current size, rather than the new size",
            ),
            Opt::new(
                "shrink",
                OptKind::Bool,
                "allow the resize to shrink the volume",
            ),
        ],
        ..CmdDef::new(cmd_vol_resize)
    },
    CmdDef {
        name: "vol-upload",
        help: "upload file contents to a volume",
        desc: "Upload file contents to a volume",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("file", OptKind::Data, "file").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new("offset", OptKind::Int, "volume offset to upload to"),
            Opt::new("length", OptKind::Int, "amount of data to upload"),
            Opt::new("sparse", OptKind::Bool, "preserve sparseness of volume"),
        ],
        ..CmdDef::new(cmd_vol_upload)
    },
    CmdDef {
        name: "vol-wipe",
        help: "wipe a vol",
        desc: "Ensure data previously on a volume is not accessible to future reads",
        opts: &[
            Opt::new("vol", OptKind::Data, "vol name, key or path").required(),
            Opt::new("pool", OptKind::String, "pool name or uuid"),
            Opt::new(
                "algorithm",
                OptKind::String,
                "perform selected wiping algorithm",
            ),
        ],
        ..CmdDef::new(cmd_vol_wipe)
    },
];

/// virshVolumeTypeToString.
fn type_name(t: StorageVolType) -> &'static str {
    match t {
        StorageVolType::FILE => "file",
        StorageVolType::BLOCK => "block",
        StorageVolType::DIR => "dir",
        StorageVolType::NETWORK => "network",
        StorageVolType::NETDIR => "netdir",
        StorageVolType::PLOOP => "ploop",
        _ => "unknown",
    }
}

/// virshCommandOptVolBy: the volume option `opt` names, by name in the pool `pool_opt` names
/// (when given), then by key, then by path; checks that a volume found elsewhere is in that pool.
fn vol_by(
    ctl: &mut Ctl,
    cmd: &Cmd,
    opt: &str,
    pool_opt: Option<&str>,
    by_name: bool,
) -> Result<StorageVol, Failed> {
    let n = ctl.req_str(cmd, opt)?;
    let p = match pool_opt {
        Some(o) => ctl.opt_str(cmd, o)?,
        None => None,
    };
    let pool = match p {
        Some(p) => {
            let pool = lookup_pool(ctl, p, true, true)?;
            if !matches!(pool.is_active(), Ok(true)) {
                return ctl.fail(&format!("pool '{p}' is not active"));
            }
            Some(pool)
        }
        None => None,
    };
    let conn = ctl.conn()?.clone();
    let mut r = None;
    if let Some(pool) = pool.as_ref().filter(|_| by_name) {
        r = Some(pool.storage_vol_lookup_by_name(n));
    }
    if !matches!(r, Some(Ok(_))) {
        r = Some(conn.storage_vol_lookup_by_key(n));
    }
    if !matches!(r, Some(Ok(_))) {
        r = Some(conn.storage_vol_lookup_by_path(n));
    }
    let vol = match r {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            ctl.last_error = Some(e);
            return match (pool.is_some(), pool_opt) {
                (false, Some(o)) => ctl.fail(&format!(
                    "failed to get vol '{n}', specifying --{o} might help"
                )),
                _ => ctl.fail(&format!("failed to get vol '{n}'")),
            };
        }
        None => return ctl.fail(&format!("failed to get vol '{n}'")),
    };
    if let Some(pool) = &pool {
        if let Ok(vp) = vol.lookup_pool() {
            if vp.get_name() != pool.get_name() {
                return ctl.fail(&format!(
                    "Requested volume '{n}' is not in pool '{}'",
                    pool.get_name()
                ));
            }
        }
    }
    Ok(vol)
}

/// virshCommandOptVol: `--vol` with `--pool`.
fn vol_opt(ctl: &mut Ctl, cmd: &Cmd) -> Result<StorageVol, Failed> {
    vol_by(ctl, cmd, "vol", Some("pool"), true)
}

/// virshVolSize: a size in bytes by default, with libvirt's unit suffixes; `Malformed size …`
/// (and virScaleInteger's own error, reported at the end of the command) otherwise.
fn vol_size(ctl: &mut Ctl, s: &str) -> Result<u64, Failed> {
    match scaled_number(s, 1, u64::MAX) {
        Ok(v) => Ok(v),
        Err(e) => {
            ctl.last_error = match e {
                ScaleError::Malformed => None,
                ScaleError::Suffix(x) => Some(rvirt::Error::invalid_arg(
                    rvirt::ErrorDomain::NONE,
                    format!("unknown suffix '{x}'"),
                )),
                ScaleError::TooLarge(t) => Some(rvirt::Error::with_detail(
                    rvirt::ErrorDomain::NONE,
                    ErrorNumber::OVERFLOW,
                    format!("value too large: {t}"),
                )),
            };
            ctl.fail(&format!("Malformed size {s}"))
        }
    }
}

/// libxml2's dump of a document it parsed (what virsh prints for `vol-clone --print-xml`):
/// attributes in double quotes, the layout as it was.
fn libxml_dump(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut in_tag = false;
    let mut in_value = false;
    for c in xml.chars() {
        match c {
            '<' if !in_value => in_tag = true,
            '>' if !in_value => in_tag = false,
            '\'' if in_tag => {
                in_value = !in_value;
                out.push('"');
                continue;
            }
            '"' if in_value => {
                out.push_str("&quot;");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out.trim_end_matches('\n').to_string()
}

/// virshMakeCloneXML: the volume's XML with another name.
fn clone_xml(xml: &str, name: &str) -> Option<String> {
    let start = xml.find("<name>")? + "<name>".len();
    let end = start + xml[start..].find("</name>")?;
    let mut escaped = String::new();
    for c in name.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    Some(format!("{}{escaped}{}", &xml[..start], &xml[end..]))
}

fn cmd_vol_clone(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let orig = vol_opt(ctl, cmd)?;
    let mut flags = C::empty();
    if cmd.has("prealloc-metadata") {
        flags |= C::PREALLOC_METADATA;
    }
    if cmd.has("reflink") {
        flags |= C::REFLINK;
    }
    let Ok(pool) = orig.lookup_pool() else {
        return ctl.fail("failed to get parent pool");
    };
    let name = ctl.req_str(cmd, "newname")?;
    let r = orig.get_xml_desc(0);
    let xml = ctl.lib(r)?;
    let Some(new_xml) = clone_xml(&xml, name) else {
        return ctl.fail("Failed to allocate XML buffer");
    };
    if cmd.has("print-xml") {
        ctl.print(&libxml_dump(&new_xml));
        return Ok(());
    }
    match pool.storage_vol_create_xml_from(&new_xml, &orig, flags) {
        Ok(v) => {
            ctl.print_extra(&format!(
                "Vol {} cloned from {}\n",
                v.get_name(),
                orig.get_name()
            ));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to clone vol from {}", orig.get_name())),
    }
}

fn cmd_vol_create_as(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("prealloc-metadata") {
        C::PREALLOC_METADATA
    } else {
        C::empty()
    };
    let pool_name = ctl.req_str(cmd, "pool")?;
    let pool = lookup_pool(ctl, pool_name, true, true)?;
    let name = ctl.req_str(cmd, "name")?;
    let cap_str = ctl.req_str(cmd, "capacity")?;
    let capacity = vol_size(ctl, cap_str)?;
    let allocation = match cmd.value("allocation").filter(|a| !a.is_empty()) {
        Some(a) => Some(vol_size(ctl, a)?),
        None => None,
    };
    let format = ctl.opt_str(cmd, "format")?;
    let backing = ctl.opt_str(cmd, "backing-vol")?;
    let backing_format = ctl.opt_str(cmd, "backing-vol-format")?;
    let mut xml = format!("<volume>\n  <name>{name}</name>\n  <capacity>{capacity}</capacity>\n");
    if let Some(a) = allocation {
        xml.push_str(&format!("  <allocation>{a}</allocation>\n"));
    }
    if let Some(f) = format {
        xml.push_str(&format!(
            "  <target>\n    <format type='{f}'/>\n  </target>\n"
        ));
    }
    if let Some(b) = backing {
        let conn = ctl.conn()?.clone();
        let found = pool
            .storage_vol_lookup_by_name(b)
            .or_else(|_| conn.storage_vol_lookup_by_key(b))
            .or_else(|_| conn.storage_vol_lookup_by_path(b));
        let snap = match found {
            Ok(v) => v,
            Err(e) => return ctl.lib_fail(e, &format!("failed to get vol '{b}'")),
        };
        let r = snap.get_path();
        let path = ctl.lib(r)?;
        xml.push_str(&format!("  <backingStore>\n    <path>{path}</path>\n"));
        if let Some(f) = backing_format {
            xml.push_str(&format!("    <format type='{f}'/>\n"));
        }
        xml.push_str("  </backingStore>\n");
    }
    xml.push_str("</volume>\n");
    if cmd.has("print-xml") {
        ctl.print(&xml);
        return Ok(());
    }
    match pool.storage_vol_create_xml(&xml, flags) {
        Ok(_) => {
            ctl.print_extra(&format!("Vol {name} created\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create vol {name}")),
    }
}

fn cmd_vol_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = C::empty();
    if cmd.has("prealloc-metadata") {
        flags |= C::PREALLOC_METADATA;
    }
    if cmd.has("validate") {
        flags |= C::VALIDATE;
    }
    let pool_name = ctl.req_str(cmd, "pool")?;
    let pool = lookup_pool(ctl, pool_name, true, true)?;
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    match pool.storage_vol_create_xml(&xml, flags) {
        Ok(v) => {
            ctl.print_extra(&format!("Vol {} created from {from}\n", v.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create vol from {from}")),
    }
}

fn cmd_vol_create_from(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let pool_name = ctl.req_str(cmd, "pool")?;
    let pool = lookup_pool(ctl, pool_name, true, true)?;
    let mut flags = C::empty();
    for (o, f) in [
        ("prealloc-metadata", C::PREALLOC_METADATA),
        ("reflink", C::REFLINK),
        ("validate", C::VALIDATE),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let from = ctl.req_str(cmd, "file")?;
    let input = vol_by(ctl, cmd, "vol", Some("inputpool"), true)?;
    let xml = ctl.lib(read_file(from))?;
    match pool.storage_vol_create_xml_from(&xml, &input, flags) {
        Ok(v) => {
            ctl.print_extra(&format!(
                "Vol {} created from input vol {}\n",
                v.get_name(),
                input.get_name()
            ));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create vol from {from}")),
    }
}

fn cmd_vol_delete(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_opt(ctl, cmd)?;
    let name = ctl.req_str(cmd, "vol")?;
    let flags = if cmd.has("delete-snapshots") {
        StorageVolDeleteFlags::WITH_SNAPSHOTS
    } else {
        StorageVolDeleteFlags::empty()
    };
    match vol.delete(flags) {
        Ok(()) => {
            ctl.print_extra(&format!("Vol {name} deleted\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to delete vol {name}")),
    }
}

fn cmd_vol_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_opt(ctl, cmd)?;
    let r = vol.get_xml_desc(0);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_vol_info(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (bytes, physical) = (cmd.has("bytes"), cmd.has("physical"));
    let vol = vol_opt(ctl, cmd)?;
    ctl.print(&format!("{:<15} {}\n", "Name:", vol.get_name()));
    let r = if physical {
        vol.get_info_flags(StorageVolInfoFlags::GET_PHYSICAL)
    } else {
        vol.get_info()
    };
    let info = ctl.lib(r)?;
    ctl.print(&format!("{:<15} {}\n", "Type:", type_name(info.vol_type)));
    let second = if physical { "Physical:" } else { "Allocation:" };
    for (label, v) in [("Capacity:", info.capacity), (second, info.allocation)] {
        let text = if bytes {
            format!("{v} bytes")
        } else {
            pretty_capacity(v)
        };
        ctl.print(&format!("{label:<15} {text}\n"));
    }
    Ok(())
}

fn cmd_vol_key(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_opt(ctl, cmd)?;
    ctl.print(&format!("{}\n", vol.get_key()));
    Ok(())
}

fn cmd_vol_list(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let details = cmd.has("details");
    let name = ctl.req_str(cmd, "pool")?;
    let pool = lookup_pool(ctl, name, true, true)?;
    let mut vols = match pool.list_all_volumes(0) {
        Ok(v) => v,
        Err(e) => return ctl.lib_fail(e, "Failed to list volumes"),
    };
    vols.sort_by(|a, b| a.get_name().cmp(b.get_name()));
    let header: &[&str] = if details {
        &["Name", "Path", "Type", "Capacity", "Allocation"]
    } else {
        &["Name", "Path"]
    };
    let mut table = Table::new(header);
    for v in &vols {
        let path = v.get_path().unwrap_or_else(|_| "unknown".into());
        let mut row = vec![v.get_name().to_string(), path];
        if details {
            match v.get_info() {
                Ok(i) => {
                    row.push(type_name(i.vol_type).into());
                    row.push(pretty_capacity(i.capacity));
                    row.push(pretty_capacity(i.allocation));
                }
                Err(_) => row.extend(["unknown".into(), "unknown".into(), "unknown".into()]),
            }
        }
        table.row(row);
    }
    ctl.print(&table.render(true));
    Ok(())
}

fn cmd_vol_name(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_by(ctl, cmd, "vol", None, false)?;
    ctl.print(&format!("{}\n", vol.get_name()));
    Ok(())
}

fn cmd_vol_path(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_opt(ctl, cmd)?;
    let r = vol.get_path();
    let path = ctl.lib(r)?;
    ctl.print(&format!("{path}\n"));
    Ok(())
}

fn cmd_vol_pool(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_by(ctl, cmd, "vol", None, false)?;
    let Ok(pool) = vol.lookup_pool() else {
        return ctl.fail("failed to get parent pool");
    };
    if cmd.has("uuid") {
        ctl.print(&format!("{}\n", pool.get_uuid_string()));
    } else {
        ctl.print(&format!("{}\n", pool.get_name()));
    }
    Ok(())
}

fn cmd_vol_resize(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut delta = cmd.has("delta");
    let mut flags = StorageVolResizeFlags::empty();
    if cmd.has("allocate") {
        flags |= StorageVolResizeFlags::ALLOCATE;
    }
    if cmd.has("shrink") {
        flags |= StorageVolResizeFlags::SHRINK;
    }
    let vol = vol_opt(ctl, cmd)?;
    let mut cap = ctl.req_str(cmd, "capacity")?.trim_start();
    if let Some(rest) = cap.strip_prefix('-') {
        if !cmd.has("shrink") {
            return ctl.fail("negative size requires --shrink");
        }
        cap = rest;
        delta = true;
    }
    if delta {
        flags |= StorageVolResizeFlags::DELTA;
    }
    let capacity = vol_size(ctl, cap)?;
    let (how, howed) = if delta { ("by", "by") } else { ("to", "to") };
    match vol.resize(capacity, flags) {
        Ok(()) => {
            ctl.print_extra(&format!(
                "Size of volume '{}' successfully changed {howed} {cap}\n",
                vol.get_name()
            ));
            Ok(())
        }
        Err(e) => ctl.lib_fail(
            e,
            &format!(
                "Failed to change size of volume '{}' {how} {cap}",
                vol.get_name()
            ),
        ),
    }
}

/// virsh's names of the wipe algorithms.
const WIPE_ALGORITHMS: &[&str] = &[
    "zero",
    "nnsa",
    "dod",
    "bsi",
    "gutmann",
    "schneier",
    "pfitzner7",
    "pfitzner33",
    "random",
    "trim",
];

fn cmd_vol_wipe(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let vol = vol_opt(ctl, cmd)?;
    let name = ctl.req_str(cmd, "vol")?;
    let algorithm = match ctl.opt_str(cmd, "algorithm")? {
        None => 0,
        Some(a) => match WIPE_ALGORITHMS.iter().position(|x| *x == a) {
            Some(i) => i as i32,
            None => return ctl.fail(&format!("Unsupported algorithm '{a}'")),
        },
    };
    let mut r = vol.wipe_pattern(StorageVolWipeAlgorithm(algorithm), 0);
    if let Err(e) = &r {
        if e.code == ErrorNumber::NO_SUPPORT && algorithm == 0 {
            r = vol.wipe(0);
        }
    }
    match r {
        Ok(()) => {
            ctl.print_extra(&format!("Vol {name} wiped\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to wipe vol {name}")),
    }
}

/// vshCommandOptULongLong (`wrap`: vshCommandOptULongLongWrap, negative numbers wrap around).
fn opt_u64(ctl: &mut Ctl, cmd: &Cmd, name: &str, wrap: bool) -> Result<u64, Failed> {
    let Some(v) = cmd.value(name) else {
        return Ok(0);
    };
    let n = crate::parse::c_number(v).and_then(|n| {
        if n < 0 && wrap {
            i64::try_from(n).ok().map(|n| n as u64)
        } else if n < 0 || v.contains('-') {
            None
        } else {
            u64::try_from(n).ok()
        }
    });
    match n {
        Some(n) => Ok(n),
        None => ctl.fail(&format!(
            "Numeric value '{v}' for <{name}> option is malformed or out of range"
        )),
    }
}

fn stream_flags(cmd: &Cmd) -> StorageVolStreamFlags {
    if cmd.has("sparse") {
        StorageVolStreamFlags::SPARSE_STREAM
    } else {
        StorageVolStreamFlags::empty()
    }
}

fn cmd_vol_download(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use std::io::Write;
    let offset = opt_u64(ctl, cmd, "offset", false)?;
    let length = opt_u64(ctl, cmd, "length", true)?;
    let vol = vol_opt(ctl, cmd)?;
    let name = ctl.req_str(cmd, "vol")?;
    let file = ctl.req_str(cmd, "file")?;
    let (mut out, created) = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
    {
        Ok(f) => (f, true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(file)
            {
                Ok(f) => (f, false),
                Err(_) => return ctl.fail(&format!("cannot create {file}")),
            }
        }
        Err(_) => return ctl.fail(&format!("cannot create {file}")),
    };
    let result = (|| {
        let st = crate::ctl::Ctl::conn(ctl)?.new_stream(0);
        if let Err(e) = vol.download(&st, offset, length, stream_flags(cmd)) {
            return ctl.lib_fail(e, &format!("cannot download from volume {name}"));
        }
        let r = st.recv_all(|chunk| {
            out.write_all(chunk).map_err(|e| {
                rvirt::Error::system(rvirt::ErrorDomain::NONE, "cannot write to file", &e)
            })
        });
        if let Err(e) = r {
            return ctl.lib_fail(e, &format!("cannot receive data from volume {name}"));
        }
        if out.sync_all().is_err() {
            let _ = st.abort();
            return ctl.fail(&format!("cannot close file {file}"));
        }
        if let Err(e) = st.finish() {
            return ctl.lib_fail(e, &format!("cannot close volume {name}"));
        }
        Ok(())
    })();
    if result.is_err() && created {
        let _ = std::fs::remove_file(file);
    }
    result
}

fn cmd_vol_upload(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use std::io::Read;
    let offset = opt_u64(ctl, cmd, "offset", false)?;
    let length = opt_u64(ctl, cmd, "length", true)?;
    let vol = vol_opt(ctl, cmd)?;
    let name = ctl.req_str(cmd, "vol")?;
    let file = ctl.req_str(cmd, "file")?;
    let Ok(mut input) = std::fs::File::open(file) else {
        return ctl.fail(&format!("cannot read {file}"));
    };
    let st = ctl.conn()?.new_stream(0);
    if let Err(e) = vol.upload(&st, offset, length, stream_flags(cmd)) {
        return ctl.lib_fail(e, &format!("cannot upload to volume {name}"));
    }
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(_) => {
                let _ = st.abort();
                return ctl.fail(&format!("cannot send data to volume {name}"));
            }
        };
        if n == 0 {
            break;
        }
        if let Err(e) = st.send(&buf[..n]) {
            let _ = st.abort();
            return ctl.lib_fail(e, &format!("cannot send data to volume {name}"));
        }
    }
    if let Err(e) = st.finish() {
        return ctl.lib_fail(e, &format!("cannot close volume {name}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_xml_renames_and_dumps_as_libxml() {
        let xml = "<volume type='file'>\n  <name>a</name>\n  <key>/p/a</key>\n</volume>\n";
        let c = clone_xml(xml, "b&c").unwrap();
        assert_eq!(
            libxml_dump(&c),
            "<volume type=\"file\">\n  <name>b&amp;c</name>\n  <key>/p/a</key>\n</volume>"
        );
        assert!(clone_xml("<volume/>", "x").is_none());
    }

    #[test]
    fn wipe_algorithms_follow_libvirt_numbers() {
        assert_eq!(WIPE_ALGORITHMS[8], "random");
        assert_eq!(type_name(StorageVolType::NETWORK), "network");
    }
}
