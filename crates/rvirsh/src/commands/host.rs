//! Host and Hypervisor (help keyword `host`).

use crate::cmd::{CmdDef, Group, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::json::Json;
use crate::parse::Cmd;
use rvirt::host_flags::{ConnectBaselineCPUFlags, ConnectCompareCPUFlags};

/// The group.
pub static GROUP: Group = Group {
    name: "Host and Hypervisor",
    keyword: "host",
    commands: COMMANDS,
};

/// `--virttype`, `--emulator`, `--arch`, `--machine`: the hypervisor the `hypervisor-cpu-*`
/// commands ask about.
const HV_VIRTTYPE: Opt = Opt::new(
    "virttype",
    OptKind::String,
    "virtualization type (/domain/@type)",
);
const HV_EMULATOR: Opt = Opt::new(
    "emulator",
    OptKind::String,
    "path to emulator binary (/domain/devices/emulator)",
);
const HV_ARCH: Opt = Opt::new(
    "arch",
    OptKind::String,
    "CPU architecture (/domain/os/type/@arch)",
);
const HV_MACHINE: Opt = Opt::new(
    "machine",
    OptKind::String,
    "machine type (/domain/os/type/@machine)",
);

/// `--error` and `--validate` of the CPU comparisons.
const CMP_ERROR: Opt = Opt::new(
    "error",
    OptKind::Bool,
    "report error if CPUs are incompatible",
);
const CMP_VALIDATE: Opt = Opt::new(
    "validate",
    OptKind::Bool,
    "validate the XML document against schema",
);

static COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "capabilities",
        help: "capabilities",
        desc: "Returns capabilities of hypervisor/driver.",
        opts: &[],
        ..CmdDef::new(cmd_capabilities)
    },
    CmdDef {
        name: "cpu-baseline",
        help: "compute baseline CPU",
        desc: "Compute baseline CPU for a set of given CPUs.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing XML CPU descriptions",
            )
            .required(),
            Opt::new(
                "features",
                OptKind::Bool,
                "Show features that are part of the CPU model type",
            ),
            Opt::new(
                "migratable",
                OptKind::Bool,
                "Do not include features that block migration",
            ),
        ],
        ..CmdDef::new(cmd_cpu_baseline)
    },
    CmdDef {
        name: "cpu-compare",
        help: "compare host CPU with a CPU described by an XML file",
        desc: "compare CPU with host CPU",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML CPU description",
            )
            .required(),
            CMP_ERROR,
            CMP_VALIDATE,
        ],
        ..CmdDef::new(cmd_cpu_compare)
    },
    CmdDef {
        name: "cpu-models",
        help: "CPU models",
        desc: "Get the CPU models for an arch.",
        opts: &[Opt::new("arch", OptKind::Data, "architecture").required()],
        ..CmdDef::new(cmd_cpu_models)
    },
    CmdDef {
        name: "domcapabilities",
        help: "domain capabilities",
        desc: "Returns capabilities of emulator with respect to host and libvirt.",
        opts: &[
            Opt::new(
                "virttype",
                OptKind::String,
                "virtualization type (/domain/@type)",
            ),
            Opt::new(
                "emulatorbin",
                OptKind::String,
                "path to emulator binary (/domain/devices/emulator)",
            ),
            Opt::new(
                "arch",
                OptKind::String,
                "domain architecture (/domain/os/type/@arch)",
            ),
            Opt::new(
                "machine",
                OptKind::String,
                "machine type (/domain/os/type/@machine)",
            ),
        ],
        ..CmdDef::new(cmd_domcapabilities)
    },
    CmdDef {
        name: "freecell",
        help: "NUMA free memory",
        desc: "display available free memory for the NUMA cell.",
        opts: &[
            Opt::new("cellno", OptKind::Int, "NUMA cell number"),
            Opt::new("all", OptKind::Bool, "show free memory for all NUMA cells"),
        ],
        ..CmdDef::new(cmd_freecell)
    },
    CmdDef {
        name: "freepages",
        help: "NUMA free pages",
        desc: "display available free pages for the NUMA cell.",
        opts: &[
            Opt::new("cellno", OptKind::Int, "NUMA cell number"),
            Opt::new("pagesize", OptKind::Int, "page size (in kibibytes)"),
            Opt::new("all", OptKind::Bool, "show free pages for all NUMA cells"),
        ],
        ..CmdDef::new(cmd_freepages)
    },
    CmdDef {
        name: "hostname",
        help: "print the hypervisor hostname",
        desc: "",
        opts: &[],
        ..CmdDef::new(cmd_hostname)
    },
    CmdDef {
        name: "hypervisor-cpu-baseline",
        help: "compute baseline CPU usable by a specific hypervisor",
        desc: "Compute baseline CPU for a set of given CPUs. The result will be tailored to the \
               specified hypervisor.",
        opts: &[
            Opt::new(
                "file",
                OptKind::String,
                "file containing XML CPU descriptions",
            ),
            HV_VIRTTYPE,
            HV_EMULATOR,
            HV_ARCH,
            HV_MACHINE,
            Opt::new(
                "features",
                OptKind::Bool,
                "Show features that are part of the CPU model type",
            ),
            Opt::new(
                "migratable",
                OptKind::Bool,
                "Do not include features that block migration",
            ),
            Opt::new(
                "model",
                OptKind::String,
                "Shortcut for calling the command with a single CPU model and no additional \
                 features",
            ),
        ],
        ..CmdDef::new(cmd_hypervisor_cpu_baseline)
    },
    CmdDef {
        name: "hypervisor-cpu-compare",
        help: "compare a CPU with the CPU created by a hypervisor on the host",
        desc: "compare CPU with hypervisor CPU",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML CPU description",
            )
            .required(),
            HV_VIRTTYPE,
            HV_EMULATOR,
            HV_ARCH,
            HV_MACHINE,
            CMP_ERROR,
            CMP_VALIDATE,
        ],
        ..CmdDef::new(cmd_hypervisor_cpu_compare)
    },
    CmdDef {
        name: "maxvcpus",
        help: "connection vcpu maximum",
        desc: "Show maximum number of virtual CPUs for guests on this connection.",
        opts: &[Opt::new("type", OptKind::String, "domain type")],
        ..CmdDef::new(cmd_maxvcpus)
    },
    CmdDef {
        name: "nodecpumap",
        help: "node cpu map",
        desc: "Displays the node's total number of CPUs, the number of online CPUs and the list of online CPUs.",
        opts: &[
            Opt::new("pretty", OptKind::Bool, "return human readable output"),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_nodecpumap)
    },
    CmdDef {
        name: "nodecpustats",
        help: "Prints cpu stats of the node.",
        desc: "Returns cpu stats of the node, in nanoseconds.",
        opts: &[
            Opt::new("cpu", OptKind::Int, "prints specified cpu statistics only."),
            Opt::new(
                "percent",
                OptKind::Bool,
                "prints by percentage during 1 second.",
            ),
        ],
        ..CmdDef::new(cmd_nodecpustats)
    },
    CmdDef {
        name: "nodeinfo",
        help: "node information",
        desc: "Returns basic information about the node.",
        opts: &[],
        ..CmdDef::new(cmd_nodeinfo)
    },
    CmdDef {
        name: "nodememstats",
        help: "Prints memory stats of the node.",
        desc: "Returns memory stats of the node, in kilobytes.",
        opts: &[Opt::new(
            "cell",
            OptKind::Int,
            "prints specified cell statistics only.",
        )],
        ..CmdDef::new(cmd_nodememstats)
    },
    CmdDef {
        name: "sysinfo",
        help: "print the hypervisor sysinfo",
        desc: "output an XML string for the hypervisor sysinfo, if available",
        opts: &[],
        ..CmdDef::new(cmd_sysinfo)
    },
    CmdDef {
        name: "uri",
        help: "print the hypervisor canonical URI",
        desc: "",
        opts: &[],
        ..CmdDef::new(cmd_uri)
    },
    CmdDef {
        name: "version",
        help: "show version",
        desc: "Display the system version information.",
        opts: &[Opt::new(
            "daemon",
            OptKind::Bool,
            "report daemon version too",
        )],
        ..CmdDef::new(cmd_version)
    },
];

fn cmd_capabilities(ctl: &mut Ctl, _: &Cmd) -> CmdResult {
    let r = ctl.conn()?.get_capabilities();
    match r {
        Ok(x) => {
            ctl.print(&x);
            ctl.print("\n");
            Ok(())
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail("failed to get capabilities")
        }
    }
}

/// virsh 9.0's `domcapabilities`: the options as given (an empty one is refused), the
/// document printed with a newline after it.
fn cmd_domcapabilities(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let virttype = ctl.opt_str(cmd, "virttype")?;
    let emulatorbin = ctl.opt_str(cmd, "emulatorbin")?;
    let arch = ctl.opt_str(cmd, "arch")?;
    let machine = ctl.opt_str(cmd, "machine")?;
    let r = ctl
        .conn()?
        .get_domain_capabilities(emulatorbin, arch, machine, virttype, 0);
    match r {
        Ok(x) => {
            ctl.print(&x);
            ctl.print("\n");
            Ok(())
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail("failed to get emulator capabilities")
        }
    }
}

/// The ids of the NUMA cells in a capabilities document (`<cell id='N'`).
fn cell_ids(caps: &str) -> Vec<u64> {
    let Ok(doc) = roxmltree::Document::parse(caps) else {
        return Vec::new();
    };
    doc.descendants()
        .filter(|n| n.has_tag_name("cell") && n.parent().is_some_and(|p| p.has_tag_name("cells")))
        .filter_map(|n| n.attribute("id").and_then(|v| v.parse().ok()))
        .collect()
}

fn cmd_freecell(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let all = cmd.has("all");
    let cellno = cmd.has("cellno");
    if all && cellno {
        return ctl.fail("Options --all and --cellno are mutually exclusive");
    }
    let conn = ctl.conn()?.clone();
    if !all {
        if cellno {
            let cell = ctl.opt_int(cmd, "cellno")?.unwrap_or(-1);
            let m = ctl.lib(conn.node_get_cells_free_memory(cell, 1))?;
            let Some(m) = m.first().copied() else {
                return Err(crate::ctl::Failed);
            };
            ctl.print(&format!("{cell}: {} KiB\n", m / 1024));
            return Ok(());
        }
        let m = ctl.lib(conn.node_get_free_memory())?;
        if m == 0 {
            return Err(crate::ctl::Failed);
        }
        ctl.print(&format!("Total: {} KiB\n", m / 1024));
        return Ok(());
    }
    let Ok(caps) = conn.get_capabilities() else {
        return ctl.fail("unable to get node capabilities");
    };
    let mut total = 0u64;
    let mut lines = String::new();
    for id in cell_ids(&caps) {
        let m = i32::try_from(id)
            .ok()
            .and_then(|c| conn.node_get_cells_free_memory(c, 1).ok());
        let Some(m) = m.and_then(|m| m.first().copied()) else {
            return ctl.fail(&format!(
                "failed to get free memory for NUMA node number: {id}"
            ));
        };
        lines.push_str(&format!("{id:>5}: {:>10} KiB\n", m / 1024));
        total += m;
    }
    ctl.print(&lines);
    ctl.print_extra("--------------------\n");
    ctl.print_extra(&format!("{:>5}: {:>10} KiB\n", "Total", total / 1024));
    Ok(())
}

/// The page sizes (KiB) a capabilities document lists: the host CPU's `<pages>`, else every
/// cell's, without repeats, ascending.
fn page_sizes(caps: &str) -> Result<Vec<u32>, String> {
    let Ok(doc) = roxmltree::Document::parse(caps) else {
        return Err("unable to parse node capabilities".into());
    };
    let pages = |parent: &str| -> Vec<roxmltree::Node<'_, '_>> {
        doc.descendants()
            .filter(|n| {
                n.has_tag_name("pages") && n.parent().is_some_and(|p| p.has_tag_name(parent))
            })
            .collect()
    };
    let mut nodes = pages("cpu");
    if nodes.is_empty() {
        nodes = pages("cell");
    }
    if nodes.is_empty() {
        return Err("could not get information about supported page sizes".into());
    }
    let mut sizes = Vec::new();
    for n in nodes {
        let v = n.attribute("size").unwrap_or("");
        match v.parse::<u32>() {
            Ok(size) => sizes.push(size),
            Err(_) => return Err(format!("unable to parse page size: {v}")),
        }
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

/// virsh's `freepages`: one cell and page size, or every cell of the capabilities with every
/// page size it lists (or the one given).
fn cmd_freepages(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let all = cmd.has("all");
    if all && cmd.has("cellno") {
        return ctl.fail("Options --all and --cellno are mutually exclusive");
    }
    let bytes = ctl.opt_scaled(cmd, "pagesize", 1024, u64::from(u32::MAX))?;
    let kib = bytes.map(|b| b.div_ceil(1024) as u32);
    let conn = ctl.conn()?.clone();
    if !all {
        if !cmd.has("cellno") {
            return ctl.fail("missing cellno argument");
        }
        let cell = ctl.opt_int(cmd, "cellno")?.unwrap_or(0);
        if cell < -1 {
            return ctl.fail("cell number must be non-negative integer or -1");
        }
        let Some(kib) = kib else {
            return ctl.fail("missing pagesize argument");
        };
        let counts = ctl.lib(conn.node_get_free_pages(&[kib], cell, 1, 0))?;
        let n = counts.first().copied().unwrap_or(0);
        ctl.print(&format!("{kib}KiB: {n}\n"));
        return Ok(());
    }
    let Ok(caps) = conn.get_capabilities() else {
        return ctl.fail("unable to get node capabilities");
    };
    let sizes = match kib {
        Some(k) => vec![k],
        None => match page_sizes(&caps) {
            Ok(s) => s,
            Err(e) => return ctl.fail(&e),
        },
    };
    for id in cell_ids(&caps) {
        let cell = i32::try_from(id).unwrap_or(i32::MAX);
        let counts = ctl.lib(conn.node_get_free_pages(&sizes, cell, 1, 0))?;
        let mut out = format!("Node {cell}:\n");
        for (i, size) in sizes.iter().enumerate() {
            out.push_str(&format!(
                "{size}KiB: {}\n",
                counts.get(i).copied().unwrap_or(0)
            ));
        }
        out.push('\n');
        ctl.print(&out);
    }
    Ok(())
}

/// virsh's `cpu-models`.
fn cmd_cpu_models(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let arch = ctl.opt_str(cmd, "arch")?.unwrap_or_default();
    let r = ctl.conn()?.get_cpu_model_names(arch, 0);
    let models = match r {
        Ok(m) => m,
        Err(e) => {
            ctl.last_error = Some(e);
            return ctl.fail("failed to get CPU model names");
        }
    };
    if models.is_empty() {
        ctl.print_extra("all CPU models are accepted\n");
    } else {
        let mut out = String::new();
        for m in models {
            out.push_str(&m);
            out.push('\n');
        }
        ctl.print(&out);
    }
    Ok(())
}

/// virsh's `cpu-baseline`.
fn cmd_cpu_baseline(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = 0;
    if cmd.has("features") {
        flags |= ConnectBaselineCPUFlags::EXPAND_FEATURES.bits();
    }
    if cmd.has("migratable") {
        flags |= ConnectBaselineCPUFlags::MIGRATABLE.bits();
    }
    let from = ctl.req_str(cmd, "file")?;
    let cpus = cpu_file(ctl, from)?;
    let cpu = ctl.lib(ctl.conn()?.baseline_cpu(&cpus, flags))?;
    ctl.print(&cpu);
    Ok(())
}

/// `VIR_CONNECT_COMPARE_CPU_*` of the `--error` and `--validate` options.
fn compare_flags(cmd: &Cmd) -> u32 {
    let mut flags = 0;
    if cmd.has("error") {
        flags |= ConnectCompareCPUFlags::FAIL_INCOMPATIBLE.bits();
    }
    if cmd.has("validate") {
        flags |= ConnectCompareCPUFlags::VALIDATE_XML.bits();
    }
    flags
}

/// The CPU documents of file `from` (see [`cpu_documents`]), or virsh's error.
fn cpu_file(ctl: &mut Ctl, from: &str) -> Result<Vec<String>, Failed> {
    let text = ctl.lib(crate::ctl::read_file(from))?;
    match cpu_documents(&text, from) {
        Ok(c) => Ok(c),
        Err(msg) => ctl.fail(&msg),
    }
}

/// What virsh prints for a comparison's result `r`: `texts` for incompatible, identical and
/// superset (an incompatible CPU fails the command), `failure` for an error.
fn compare_outcome(
    ctl: &mut Ctl,
    r: rvirt::Result<i32>,
    texts: [String; 3],
    failure: &str,
) -> CmdResult {
    let [incompatible, identical, superset] = texts;
    match r {
        Ok(0) => {
            ctl.print(&format!("{incompatible}\n"));
            Err(Failed)
        }
        Ok(1) => {
            ctl.print(&format!("{identical}\n"));
            Ok(())
        }
        Ok(2) => {
            ctl.print(&format!("{superset}\n"));
            Ok(())
        }
        other => {
            if let Err(e) = other {
                ctl.last_error = Some(e);
            }
            ctl.fail(failure)
        }
    }
}

/// virsh's `cpu-compare`.
fn cmd_cpu_compare(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = compare_flags(cmd);
    let from = ctl.req_str(cmd, "file")?;
    let cpus = cpu_file(ctl, from)?;
    let r = ctl.conn()?.compare_cpu(&cpus[0], flags);
    let texts = [
        format!("CPU described in {from} is incompatible with host CPU"),
        format!("CPU described in {from} is identical to host CPU"),
        format!("Host CPU is a superset of CPU described in {from}"),
    ];
    compare_outcome(
        ctl,
        r,
        texts,
        &format!("Failed to compare host CPU with {from}"),
    )
}

/// The `--virttype`, `--emulator`, `--arch` and `--machine` of a `hypervisor-cpu-*` command.
type Hypervisor<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn hypervisor_opts<'a>(ctl: &mut Ctl, cmd: &'a Cmd) -> Result<Hypervisor<'a>, Failed> {
    Ok((
        ctl.opt_str(cmd, "virttype")?,
        ctl.opt_str(cmd, "emulator")?,
        ctl.opt_str(cmd, "arch")?,
        ctl.opt_str(cmd, "machine")?,
    ))
}

/// virsh's `hypervisor-cpu-compare`.
fn cmd_hypervisor_cpu_compare(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = compare_flags(cmd);
    let from = ctl.req_str(cmd, "file")?;
    let (virttype, emulator, arch, machine) = hypervisor_opts(ctl, cmd)?;
    let cpus = cpu_file(ctl, from)?;
    let r = ctl
        .conn()?
        .compare_hypervisor_cpu(emulator, arch, machine, virttype, &cpus[0], flags);
    let texts = [
        format!(
            "CPU described in {from} is incompatible with the CPU provided by hypervisor on \
             the host"
        ),
        format!(
            "CPU described in {from} is identical to the CPU provided by hypervisor on the host"
        ),
        format!(
            "The CPU provided by hypervisor on the host is a superset of CPU described in {from}"
        ),
    ];
    let failure = format!("Failed to compare hypervisor CPU with {from}");
    compare_outcome(ctl, r, texts, &failure)
}

/// virsh's `hypervisor-cpu-baseline`.
fn cmd_hypervisor_cpu_baseline(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = 0;
    if cmd.has("features") {
        flags |= ConnectBaselineCPUFlags::EXPAND_FEATURES.bits();
    }
    if cmd.has("migratable") {
        flags |= ConnectBaselineCPUFlags::MIGRATABLE.bits();
    }
    let from = ctl.opt_str(cmd, "file")?;
    let (virttype, emulator, arch, machine) = hypervisor_opts(ctl, cmd)?;
    let model = ctl.opt_str(cmd, "model")?;
    let cpus = match (from, model) {
        (Some(_), Some(_)) => {
            return ctl.fail("Options --file and --model are mutually exclusive");
        }
        (Some(from), None) => cpu_file(ctl, from)?,
        (None, Some(model)) => vec![format!("<cpu><model>{model}</model></cpu>")],
        (None, None) => return ctl.fail("Either --file or --model must be provided"),
    };
    let cpu = ctl.lib(
        ctl.conn()?
            .baseline_hypervisor_cpu(emulator, arch, machine, virttype, &cpus, flags),
    )?;
    ctl.print(&cpu);
    Ok(())
}

/// virsh's reading of a CPU file: every `<cpu>` at the top level, in a domain, in host
/// capabilities, and the supported host-model `<mode>` of domain capabilities (renamed `cpu`,
/// without its attributes), each as a document of its own. `Err` is virsh's message.
fn cpu_documents(text: &str, file: &str) -> Result<Vec<String>, String> {
    // An XML declaration is dropped, and the rest wrapped, so that a file may hold several.
    let body = match text
        .strip_prefix("<?xml")
        .and_then(|t| t.find("?>").map(|i| &t[i + 2..]))
    {
        Some(rest) => rest,
        None => text,
    };
    let wrapped = format!("<container>{body}</container>");
    let doc =
        roxmltree::Document::parse(&wrapped).map_err(|e| format!("{file}:{}: {e}", e.pos().row))?;
    let root = doc.root_element();
    let mut cpus = Vec::new();
    for top in root.children().filter(|c| c.is_element()) {
        match top.tag_name().name() {
            "cpu" => cpus.push(wrapped[top.range()].to_string()),
            "domain" => cpus.extend(elements(top, "cpu").map(|c| wrapped[c.range()].to_string())),
            "capabilities" => {
                for host in elements(top, "host") {
                    cpus.extend(elements(host, "cpu").map(|c| wrapped[c.range()].to_string()));
                }
            }
            "domainCapabilities" => {
                for cpu in elements(top, "cpu") {
                    for mode in elements(cpu, "mode").filter(|m| {
                        m.attribute("name") == Some("host-model")
                            && m.attribute("supported") == Some("yes")
                    }) {
                        cpus.push(renamed_cpu(&wrapped, mode));
                    }
                }
            }
            _ => {}
        }
    }
    if cpus.is_empty() {
        return Err(format!(
            "File '{file}' does not contain any <cpu> element or valid domain XML, host \
             capabilities XML, or domain capabilities XML"
        ));
    }
    Ok(cpus)
}

/// The child elements of `n` named `name`.
fn elements<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// A domain capabilities' host-model `<mode>` as the `<cpu>` it describes.
fn renamed_cpu(text: &str, mode: roxmltree::Node<'_, '_>) -> String {
    let (first, last) = (mode.first_child(), mode.last_child());
    match (first, last) {
        (Some(f), Some(l)) => format!("<cpu>{}</cpu>", &text[f.range().start..l.range().end]),
        _ => "<cpu/>".to_string(),
    }
}

fn cmd_hostname(ctl: &mut Ctl, _: &Cmd) -> CmdResult {
    let r = ctl.conn()?.get_hostname();
    match r {
        Ok(h) => {
            ctl.print(&format!("{h}\n"));
            Ok(())
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail("failed to get hostname")
        }
    }
}

/// virsh's `maxvcpus`: the `<vcpu max>` of the domain capabilities for the type, else
/// `virConnectGetMaxVcpus`.
fn cmd_maxvcpus(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let t = ctl.opt_str(cmd, "type")?;
    let conn = ctl.conn()?.clone();
    if let Ok(caps) = conn.get_domain_capabilities(None, None, None, t, 0) {
        let Ok(doc) = roxmltree::Document::parse(&caps) else {
            return ctl.fail("failed to parse domain capabilities");
        };
        let max = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name("vcpu"))
            .and_then(|n| n.attribute("max")?.parse::<i32>().ok());
        if let Some(max) = max.filter(|m| *m >= 0) {
            ctl.print(&format!("{max}\n"));
            return Ok(());
        }
    }
    let r = conn.get_max_vcpus(t);
    let n = ctl.lib(r)?;
    ctl.print(&format!("{n}\n"));
    Ok(())
}

/// libvirt's virBitmapDataFormat: ranges like `0-3,5`.
pub fn format_cpu_ranges(map: &[u8], n: usize) -> String {
    let set: Vec<usize> = (0..n)
        .filter(|i| map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < set.len() {
        let start = set[i];
        let mut end = start;
        while i + 1 < set.len() && set[i + 1] == end + 1 {
            i += 1;
            end = set[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

fn cmd_nodecpumap(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let Ok(m) = ctl.conn()?.node_get_cpu_map(0) else {
        return ctl.fail("Unable to get cpu map");
    };
    if ctl_json(cmd) {
        let online: Vec<Json> = (0..m.cpus as usize)
            .filter(|i| m.map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
            .map(|i| Json::from(i as u64))
            .collect();
        let j = Json::obj([
            ("present", Json::from(u64::from(m.cpus))),
            ("online", Json::from(u64::from(m.online))),
            ("online_cpus", Json::Arr(online)),
        ]);
        ctl.print(&j.line());
        return Ok(());
    }
    let mut s = format!(
        "{:<15} {}\n{:<15} {}\n{:<15} ",
        "CPUs present:", m.cpus, "CPUs online:", m.online, "CPU map:"
    );
    if cmd.has("pretty") {
        s.push_str(&format_cpu_ranges(&m.map, m.cpus as usize));
    } else {
        for i in 0..m.cpus as usize {
            let used = m.map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);
            s.push(if used { 'y' } else { '-' });
        }
    }
    s.push('\n');
    ctl.print(&s);
    Ok(())
}

/// `--json` given.
fn ctl_json(cmd: &Cmd) -> bool {
    cmd.has("json")
}

/// The labels virsh prints for the node CPU stats it knows, by libvirt field name.
const CPU_FIELDS: [(&str, &str); 5] = [
    ("user", "user:"),
    ("kernel", "system:"),
    ("idle", "idle:"),
    ("iowait", "iowait:"),
    ("intr", "intr:"),
];

/// C's `%5.1lf` (NaN printed as glibc prints 0.0/0.0).
fn c_float_5_1(v: f64) -> String {
    if v.is_nan() {
        format!("{:>5}", "-nan")
    } else {
        format!("{v:5.1}")
    }
}

fn cmd_nodecpustats(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let percent = cmd.has("percent");
    let cpu = ctl.opt_int(cmd, "cpu")?.unwrap_or(-1);
    let conn = ctl.conn()?.clone();
    // virsh asks for the number of fields first: what the public API refuses fails there,
    // what the driver refuses (a CPU it does not have) only when the values are read.
    let first = match conn.node_get_cpu_stats(cpu, 0) {
        Ok(f) => f,
        Err(e) => {
            let counting = e.str1.as_deref() == Some("virNodeGetCPUStats");
            ctl.last_error = Some(e);
            return ctl.fail(if counting {
                "Unable to get number of cpu stats"
            } else {
                "Unable to get node cpu stats"
            });
        }
    };
    if first.is_empty() {
        return Ok(());
    }
    let pick = |stats: &[rvirt::NodeStat]| -> ([u64; 6], [bool; 6]) {
        let mut v = [0u64; 6];
        let mut p = [false; 6];
        for s in stats {
            let idx = CPU_FIELDS
                .iter()
                .position(|f| f.0 == s.field)
                .or((s.field == "utilization").then_some(5));
            if let Some(i) = idx {
                v[i] = s.value;
                p[i] = true;
            }
        }
        (v, p)
    };
    let (mut v, p) = pick(&first);
    if percent && !p[5] {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let second = match conn.node_get_cpu_stats(cpu, 0) {
            Ok(s) => s,
            Err(e) => {
                ctl.last_error = Some(e);
                return ctl.fail("Unable to get node cpu stats");
            }
        };
        let (v2, _) = pick(&second);
        for i in 0..6 {
            if p[i] {
                v[i] = v2[i].wrapping_sub(v[i]);
            }
        }
    }
    if ctl_json(cmd) && !percent {
        let fields = CPU_FIELDS
            .iter()
            .enumerate()
            .filter(|(i, _)| p[*i])
            .map(|(i, f)| (f.0, Json::from(v[i])));
        ctl.print(&Json::obj(fields).line());
        return Ok(());
    }
    let mut s = String::new();
    if !percent {
        for (i, f) in CPU_FIELDS.iter().enumerate() {
            if p[i] {
                s.push_str(&format!("{:<15} {:>20}\n", f.1, v[i]));
            }
        }
    } else if p[5] {
        s.push_str(&format!(
            "{:<15} {:>5}%\n{:<15} {:>5}%\n",
            "usage:",
            v[5],
            "idle:",
            100u64.wrapping_sub(v[5])
        ));
    } else {
        let total: f64 = v[..5].iter().map(|x| *x as f64).sum();
        let usage = (v[0] + v[1]) as f64 / total * 100.0;
        s.push_str(&format!("{:<15} {}%\n", "usage:", c_float_5_1(usage)));
        for (i, f) in CPU_FIELDS.iter().enumerate() {
            if p[i] {
                s.push_str(&format!(
                    "{:<15} {}%\n",
                    f.1,
                    c_float_5_1(v[i] as f64 / total * 100.0)
                ));
            }
        }
    }
    ctl.print(&s);
    Ok(())
}

fn cmd_nodeinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let Ok(i) = ctl.conn()?.node_get_info() else {
        return ctl.fail("failed to get node information");
    };
    if ctl_json(cmd) {
        let j = Json::obj([
            ("cpu_model", Json::from(i.model.as_str())),
            ("cpus", Json::from(u64::from(i.cpus))),
            ("mhz", Json::from(u64::from(i.mhz))),
            ("sockets", Json::from(u64::from(i.sockets))),
            ("cores_per_socket", Json::from(u64::from(i.cores))),
            ("threads_per_core", Json::from(u64::from(i.threads))),
            ("numa_cells", Json::from(u64::from(i.nodes))),
            ("memory_kib", Json::from(i.memory)),
        ]);
        ctl.print(&j.line());
        return Ok(());
    }
    ctl.print(&format!(
        "{:<20} {}\n{:<20} {}\n{:<20} {} MHz\n{:<20} {}\n{:<20} {}\n{:<20} {}\n{:<20} {}\n{:<20} {} KiB\n",
        "CPU model:", i.model, "CPU(s):", i.cpus, "CPU frequency:", i.mhz, "CPU socket(s):", i.sockets,
        "Core(s) per socket:", i.cores, "Thread(s) per core:", i.threads, "NUMA cell(s):", i.nodes,
        "Memory size:", i.memory
    ));
    Ok(())
}

fn cmd_nodememstats(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let cell = ctl.opt_int(cmd, "cell")?.unwrap_or(-1);
    let r = ctl.conn()?.node_get_memory_stats(cell, 0);
    let stats = match r {
        Ok(s) => s,
        Err(e) => {
            ctl.last_error = Some(e);
            return ctl.fail("Unable to get number of memory stats");
        }
    };
    let mut s = String::new();
    for st in stats {
        s.push_str(&format!("{:<7}: {:>20} KiB\n", st.field, st.value));
    }
    ctl.print(&s);
    Ok(())
}

fn cmd_sysinfo(ctl: &mut Ctl, _: &Cmd) -> CmdResult {
    let r = ctl.conn()?.get_sysinfo(0);
    match r {
        Ok(x) => {
            ctl.print(&x);
            Ok(())
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail("failed to get sysinfo")
        }
    }
}

fn cmd_uri(ctl: &mut Ctl, _: &Cmd) -> CmdResult {
    let r = ctl.conn()?.get_uri();
    match r {
        Ok(u) => {
            ctl.print(&format!("{u}\n"));
            Ok(())
        }
        Err(e) => {
            ctl.last_error = Some(e);
            ctl.fail("failed to get URI")
        }
    }
}

/// `major.minor.release` of a libvirt version number.
fn dotted(v: u64) -> String {
    format!("{}.{}.{}", v / 1_000_000, v % 1_000_000 / 1000, v % 1000)
}

fn cmd_version(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let conn = ctl.conn()?.clone();
    let Ok(t) = conn.get_type() else {
        return ctl.fail("failed to get hypervisor type");
    };
    let lib = rvirt::get_version();
    let mut s = format!(
        "Compiled against library: libvirt {}\nUsing library: libvirt {}\nUsing API: {t} {}\n",
        dotted(rvirt::LIBVIRT_API_VERSION),
        dotted(lib),
        dotted(lib)
    );
    let Ok(hv) = conn.get_version() else {
        ctl.print(&s);
        return ctl.fail("failed to get the hypervisor version");
    };
    if hv == 0 {
        s.push_str(&format!("Cannot extract running {t} hypervisor version\n"));
    } else {
        s.push_str(&format!("Running hypervisor: {t} {}\n", dotted(hv)));
    }
    ctl.print(&s);
    if cmd.has("daemon") {
        match conn.get_lib_version() {
            Ok(d) => ctl.print(&format!("Running against daemon: {}\n", dotted(d))),
            Err(_) => ctl.error("failed to get the daemon version"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ranges_and_versions() {
        assert_eq!(format_cpu_ranges(&[0b0001_0101], 8), "0,2,4");
        assert_eq!(format_cpu_ranges(&[0b0000_1111, 0b1], 16), "0-3,8");
        assert_eq!(format_cpu_ranges(&[], 8), "");
        assert_eq!(dotted(9_000_000), "9.0.0");
        assert_eq!(dotted(2), "0.0.2");
        assert_eq!(c_float_5_1(f64::NAN), " -nan");
        assert_eq!(c_float_5_1(12.34), " 12.3");
    }

    #[test]
    fn cpu_documents_as_virsh_finds_them() {
        let text = "<?xml version='1.0'?><cpu><model>A</model></cpu>\
                    <domain><cpu><model>B</model></cpu></domain>\
                    <capabilities><host><cpu><model>C</model></cpu></host><cpu/></capabilities>\
                    <domainCapabilities><cpu><mode name='host-model' supported='no'/>\
                    <mode name='host-model' supported='yes'><model>D</model></mode>\
                    <mode name='host-model' supported='yes'/></cpu></domainCapabilities>";
        assert_eq!(
            cpu_documents(text, "f.xml").unwrap(),
            [
                "<cpu><model>A</model></cpu>",
                "<cpu><model>B</model></cpu>",
                "<cpu><model>C</model></cpu>",
                "<cpu><model>D</model></cpu>",
                "<cpu/>",
            ]
        );
        assert_eq!(
            cpu_documents("<domain/>", "f.xml").unwrap_err(),
            "File 'f.xml' does not contain any <cpu> element or valid domain XML, host \
             capabilities XML, or domain capabilities XML"
        );
        assert!(
            cpu_documents("<cpu>", "f.xml")
                .unwrap_err()
                .starts_with("f.xml:1: ")
        );
    }

    #[test]
    fn numa_cells_from_capabilities() {
        let caps = "<capabilities><host><topology><cells num='2'><cell id='0'><cpus><cpu id='0'/></cpus></cell><cell id='1'/></cells></topology></host></capabilities>";
        assert_eq!(cell_ids(caps), vec![0, 1]);
    }
}
