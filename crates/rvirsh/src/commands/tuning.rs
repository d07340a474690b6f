//! virsh's tuning commands: memtune, blkiotune, numatune, domiftune, blkdeviotune, schedinfo
//! and perf. Listed in the Domain Management group, where virsh has them.

use crate::cmd::{CmdDef, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::fmt::typed_value;
use crate::parse::Cmd;
use rvirt::CountedParams;
use rvirt::blocking::Domain;
use rvirt::{Error, ErrorDomain, TypedParam, TypedParamValue};

/// `VIR_DOMAIN_MEMORY_PARAM_UNLIMITED`.
const UNLIMITED: u64 = (1 << 53) - 1;

/// `memtune`.
pub const MEMTUNE: CmdDef = CmdDef {
    name: "memtune",
    help: "Get or set memory parameters",
    desc: "Get or set the current memory parameters for a guest domain.\n    To get the memory parameters use following command: \n\n    virsh # memtune <domain>",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "hard-limit",
            OptKind::Int,
            "Max memory, as scaled integer (default KiB)",
        ),
        Opt::new(
            "soft-limit",
            OptKind::Int,
            "Memory during contention, as scaled integer (default KiB)",
        ),
        Opt::new(
            "swap-hard-limit",
            OptKind::Int,
            "Max memory plus swap, as scaled integer (default KiB)",
        ),
        Opt::new(
            "min-guarantee",
            OptKind::Int,
            "Min guaranteed memory, as scaled integer (default KiB)",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_memtune)
};

/// `blkiotune`.
pub const BLKIOTUNE: CmdDef = CmdDef {
    name: "blkiotune",
    help: "Get or set blkio parameters",
    desc: "Get or set the current blkio parameters for a guest domain.\n    To get the blkio parameters use following command: \n\n    virsh # blkiotune <domain>",
    opts: &[
        Opt::DOMAIN,
        Opt::new("weight", OptKind::Int, "IO Weight"),
        Opt::new(
            "device-weights",
            OptKind::String,
            "per-device IO Weights, in the form of /path/to/device,weight,...",
        ),
        Opt::new(
            "device-read-iops-sec",
            OptKind::String,
            "per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...",
        ),
        Opt::new(
            "device-write-iops-sec",
            OptKind::String,
            "per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...",
        ),
        Opt::new(
            "device-read-bytes-sec",
            OptKind::String,
            "per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...",
        ),
        Opt::new(
            "device-write-bytes-sec",
            OptKind::String,
            "per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_blkiotune)
};

/// `numatune`.
pub const NUMATUNE: CmdDef = CmdDef {
    name: "numatune",
    help: "Get or set numa parameters",
    desc: "Get or set the current numa parameters for a guest domain.\n    To get the numa parameters use following command: \n\n    virsh # numatune <domain>",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "mode",
            OptKind::String,
            "NUMA mode, one of strict, preferred and interleave \nor a number from the virDomainNumatuneMemMode enum",
        ),
        Opt::new("nodeset", OptKind::String, "NUMA node selections to set"),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_numatune)
};

/// `domiftune`.
pub const DOMIFTUNE: CmdDef = CmdDef {
    name: "domiftune",
    help: "get/set parameters of a virtual interface",
    desc: "Get/set parameters of a domain's virtual interface.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("interface", OptKind::Data, "interface device (MAC Address)").required(),
        Opt::new(
            "inbound",
            OptKind::String,
            "control domain's incoming traffics",
        ),
        Opt::new(
            "outbound",
            OptKind::String,
            "control domain's outgoing traffics",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_domiftune)
};

/// `blkdeviotune`.
pub const BLKDEVIOTUNE: CmdDef = CmdDef {
    name: "blkdeviotune",
    help: "Set or query a block device I/O tuning parameters.",
    desc: "Set or query disk I/O parameters such as block throttling.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("device", OptKind::Data, "block device").required(),
        Opt::new("total_bytes_sec", OptKind::Alias, "total-bytes-sec"),
        Opt::new(
            "total-bytes-sec",
            OptKind::Int,
            "total throughput limit, as scaled integer (default bytes)",
        ),
        Opt::new("read_bytes_sec", OptKind::Alias, "read-bytes-sec"),
        Opt::new(
            "read-bytes-sec",
            OptKind::Int,
            "read throughput limit, as scaled integer (default bytes)",
        ),
        Opt::new("write_bytes_sec", OptKind::Alias, "write-bytes-sec"),
        Opt::new(
            "write-bytes-sec",
            OptKind::Int,
            "write throughput limit, as scaled integer (default bytes)",
        ),
        Opt::new("total_iops_sec", OptKind::Alias, "total-iops-sec"),
        Opt::new(
            "total-iops-sec",
            OptKind::Int,
            "total I/O operations limit per second",
        ),
        Opt::new("read_iops_sec", OptKind::Alias, "read-iops-sec"),
        Opt::new(
            "read-iops-sec",
            OptKind::Int,
            "read I/O operations limit per second",
        ),
        Opt::new("write_iops_sec", OptKind::Alias, "write-iops-sec"),
        Opt::new(
            "write-iops-sec",
            OptKind::Int,
            "write I/O operations limit per second",
        ),
        Opt::new("total_bytes_sec_max", OptKind::Alias, "total-bytes-sec-max"),
        Opt::new(
            "total-bytes-sec-max",
            OptKind::Int,
            "total max, as scaled integer (default bytes)",
        ),
        Opt::new("read_bytes_sec_max", OptKind::Alias, "read-bytes-sec-max"),
        Opt::new(
            "read-bytes-sec-max",
            OptKind::Int,
            "read max, as scaled integer (default bytes)",
        ),
        Opt::new("write_bytes_sec_max", OptKind::Alias, "write-bytes-sec-max"),
        Opt::new(
            "write-bytes-sec-max",
            OptKind::Int,
            "write max, as scaled integer (default bytes)",
        ),
        Opt::new("total_iops_sec_max", OptKind::Alias, "total-iops-sec-max"),
        Opt::new(
            "total-iops-sec-max",
            OptKind::Int,
            "total I/O operations max",
        ),
        Opt::new("read_iops_sec_max", OptKind::Alias, "read-iops-sec-max"),
        Opt::new("read-iops-sec-max", OptKind::Int, "read I/O operations max"),
        Opt::new("write_iops_sec_max", OptKind::Alias, "write-iops-sec-max"),
        Opt::new(
            "write-iops-sec-max",
            OptKind::Int,
            "write I/O operations max",
        ),
        Opt::new("size_iops_sec", OptKind::Alias, "size-iops-sec"),
        Opt::new("size-iops-sec", OptKind::Int, "I/O size in bytes"),
        Opt::new("group_name", OptKind::Alias, "group-name"),
        Opt::new(
            "group-name",
            OptKind::String,
            "group name to share I/O quota between multiple drives",
        ),
        Opt::new(
            "total_bytes_sec_max_length",
            OptKind::Alias,
            "total-bytes-sec-max-length",
        ),
        Opt::new(
            "total-bytes-sec-max-length",
            OptKind::Int,
            "duration in seconds to allow total max bytes",
        ),
        Opt::new(
            "read_bytes_sec_max_length",
            OptKind::Alias,
            "read-bytes-sec-max-length",
        ),
        Opt::new(
            "read-bytes-sec-max-length",
            OptKind::Int,
            "duration in seconds to allow read max bytes",
        ),
        Opt::new(
            "write_bytes_sec_max_length",
            OptKind::Alias,
            "write-bytes-sec-max-length",
        ),
        Opt::new(
            "write-bytes-sec-max-length",
            OptKind::Int,
            "duration in seconds to allow write max bytes",
        ),
        Opt::new(
            "total_iops_sec_max_length",
            OptKind::Alias,
            "total-iops-sec-max-length",
        ),
        Opt::new(
            "total-iops-sec-max-length",
            OptKind::Int,
            "duration in seconds to allow total I/O operations max",
        ),
        Opt::new(
            "read_iops_sec_max_length",
            OptKind::Alias,
            "read-iops-sec-max-length",
        ),
        Opt::new(
            "read-iops-sec-max-length",
            OptKind::Int,
            "duration in seconds to allow read I/O operations max",
        ),
        Opt::new(
            "write_iops_sec_max_length",
            OptKind::Alias,
            "write-iops-sec-max-length",
        ),
        Opt::new(
            "write-iops-sec-max-length",
            OptKind::Int,
            "duration in seconds to allow write I/O operations max",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_blkdeviotune)
};

/// `schedinfo`.
pub const SCHEDINFO: CmdDef = CmdDef {
    name: "schedinfo",
    help: "show/set scheduler parameters",
    desc: "Show/Set scheduler parameters.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("weight", OptKind::Int, "weight for XEN_CREDIT").named_only(),
        Opt::new("cap", OptKind::Int, "cap for XEN_CREDIT").named_only(),
        Opt::new("current", OptKind::Bool, "get/set current scheduler info"),
        Opt::new(
            "config",
            OptKind::Bool,
            "get/set value to be used on next boot",
        ),
        Opt::new("live", OptKind::Bool, "get/set value from running domain"),
        Opt::new("set", OptKind::Argv, "parameter=value"),
    ],
    ..CmdDef::new(cmd_schedinfo)
};

/// `perf`.
pub const PERF: CmdDef = CmdDef {
    name: "perf",
    help: "Get or set perf event",
    desc: "Get or set the current perf events for a guest domain.\n    To get the perf events list use following command: \n\n    virsh # perf <domain>",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "enable",
            OptKind::String,
            "perf events which will be enabled",
        ),
        Opt::new(
            "disable",
            OptKind::String,
            "perf events which will be disabled",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_perf)
};

/// `--current` excluded with `--live` and `--config`; the flags those give.
fn impact(ctl: &mut Ctl, cmd: &Cmd) -> Result<u32, Failed> {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    Ok(u32::from(cmd.has("live")) | u32::from(cmd.has("config")) << 1)
}

fn ull(name: &str, v: u64) -> TypedParam {
    TypedParam::new(name, TypedParamValue::ULLong(v))
}

fn uint(name: &str, v: u32) -> TypedParam {
    TypedParam::new(name, TypedParamValue::UInt(v))
}

fn string(name: &str, v: &str) -> TypedParam {
    TypedParam::new(name, TypedParamValue::String(v.to_string()))
}

/// The `%-15s: value` lines virsh prints for parameters, `show` giving a value's text.
fn print_params(ctl: &mut Ctl, params: &[TypedParam], show: impl Fn(&TypedParam) -> String) {
    for p in params {
        ctl.print(&format!("{:<15}: {}\n", p.field, show(p)));
    }
}

/// The two steps of a getter as virsh takes them: the count (`count_error` when it fails),
/// then that many parameters (`get_error`). `None` when there are none.
fn two_steps(
    ctl: &mut Ctl,
    step: impl Fn(i32) -> rvirt::Result<CountedParams>,
    count_error: &str,
    get_error: &str,
) -> Result<Option<Vec<TypedParam>>, Failed> {
    let n = match step(0) {
        Ok(c) => c.nparams,
        Err(e) => return ctl.lib_fail(e, count_error),
    };
    if n == 0 {
        return Ok(None);
    }
    match step(n) {
        Ok(c) => Ok(Some(c.params)),
        Err(e) => ctl.lib_fail(e, get_error),
    }
}

/// A setter's result as virsh reports a failure: its own line, then libvirt's error.
fn set(ctl: &mut Ctl, r: rvirt::Result<()>, msg: &str) -> CmdResult {
    match r {
        Ok(()) => Ok(()),
        Err(e) => ctl.lib_fail(e, msg),
    }
}

/// virshMemtuneGetSize: a negative number is unlimited; otherwise a scaled size (KiB by
/// default) rounded up to KiB.
fn memtune_size(ctl: &mut Ctl, cmd: &Cmd, name: &str) -> Result<Option<u64>, Failed> {
    let Some(v) = cmd.value(name) else {
        return Ok(None);
    };
    let t = v.trim_start();
    let negative = t
        .strip_prefix('-')
        .is_some_and(|d| d.starts_with(|c: char| c.is_ascii_digit()));
    if negative {
        return Ok(Some(UNLIMITED));
    }
    match ctl.scale(v, 1024, i64::MAX as u64) {
        Some(bytes) => Ok(Some(bytes.div_ceil(1024))),
        None => ctl.fail(&format!("Unable to parse integer parameter {name}")),
    }
}

fn cmd_memtune(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let (dom, _) = ctl.domain(cmd)?;
    let mut params = Vec::new();
    for (opt, field) in [
        ("hard-limit", "hard_limit"),
        ("soft-limit", "soft_limit"),
        ("swap-hard-limit", "swap_hard_limit"),
        ("min-guarantee", "min_guarantee"),
    ] {
        if let Some(v) = memtune_size(ctl, cmd, opt)? {
            params.push(ull(field, v));
        }
    }
    if !params.is_empty() {
        let r = dom.set_memory_parameters(&params, flags);
        return set(ctl, r, "Unable to change memory parameters");
    }
    let got = two_steps(
        ctl,
        |n| dom.get_memory_parameters_counted(n, flags),
        "Unable to get number of memory parameters",
        "Unable to get memory parameters",
    )?;
    print_params(ctl, &got.unwrap_or_default(), |p| match p.value {
        TypedParamValue::ULLong(UNLIMITED) => "unlimited".into(),
        ref v => typed_value(v),
    });
    Ok(())
}

fn cmd_blkiotune(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let (dom, _) = ctl.domain(cmd)?;
    let mut params = Vec::new();
    if let Some(w) = ctl.opt_int(cmd, "weight")? {
        if w <= 0 {
            return ctl.fail(&format!("Invalid value of {w} for I/O weight"));
        }
        params.push(uint("weight", w as u32));
    }
    for (opt, field) in [
        ("device-weights", "device_weight"),
        ("device-read-iops-sec", "device_read_iops_sec"),
        ("device-write-iops-sec", "device_write_iops_sec"),
        ("device-read-bytes-sec", "device_read_bytes_sec"),
        ("device-write-bytes-sec", "device_write_bytes_sec"),
    ] {
        match cmd.value(opt) {
            Some("") => return ctl.fail("Unable to parse string parameter"),
            Some(v) => params.push(string(field, v)),
            None => {}
        }
    }
    if !params.is_empty() {
        let r = dom.set_blkio_parameters(&params, flags);
        return set(ctl, r, "Unable to change blkio parameters");
    }
    let got = two_steps(
        ctl,
        |n| dom.get_blkio_parameters_counted(n, flags),
        "Unable to get number of blkio parameters",
        "Unable to get blkio parameters",
    )?;
    print_params(ctl, &got.unwrap_or_default(), |p| typed_value(&p.value));
    Ok(())
}

const NUMA_MODES: [&str; 4] = ["strict", "preferred", "interleave", "restrictive"];

/// virStrToLong_i with base 0: decimal, `0x` hexadecimal or `0` octal, all of the text.
fn int_any_base(s: &str) -> Option<i32> {
    crate::parse::c_number_any_base(s).and_then(|v| i32::try_from(v).ok())
}

fn cmd_numatune(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let (dom, _) = ctl.domain(cmd)?;
    let mut params = Vec::new();
    if let Some(n) = ctl.opt_str(cmd, "nodeset")? {
        params.push(string("numa_nodeset", n));
    }
    if let Some(m) = ctl.opt_str(cmd, "mode")? {
        let mode = match NUMA_MODES.iter().position(|n| *n == m) {
            Some(i) => i as i32,
            None => match int_any_base(m) {
                Some(i) => i,
                None => return ctl.fail(&format!("Invalid mode: {m}")),
            },
        };
        params.push(TypedParam::new("numa_mode", TypedParamValue::Int(mode)));
    }
    if !params.is_empty() {
        let r = dom.set_numa_parameters(&params, flags);
        return set(ctl, r, "Unable to change numa parameters");
    }
    let got = two_steps(
        ctl,
        |n| dom.get_numa_parameters_counted(n, flags),
        "Unable to get number of memory parameters",
        "Unable to get numa parameters",
    )?;
    print_params(ctl, &got.unwrap_or_default(), |p| match p.value {
        TypedParamValue::Int(m) if p.field == "numa_mode" => usize::try_from(m)
            .ok()
            .and_then(|m| NUMA_MODES.get(m))
            .unwrap_or(&"(null)")
            .to_string(),
        ref v => typed_value(v),
    });
    Ok(())
}

fn cmd_domiftune(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let (dom, _) = ctl.domain(cmd)?;
    let device = ctl.req_str(cmd, "interface")?;
    let inbound = ctl.opt_str(cmd, "inbound")?;
    let outbound = ctl.opt_str(cmd, "outbound")?;
    let mut params = Vec::new();
    for (dir, text) in [("inbound", inbound), ("outbound", outbound)] {
        let Some(text) = text else { continue };
        let [average, peak, burst, floor] = super::device::parse_rate(ctl, text)?;
        if [average, peak, burst]
            .iter()
            .any(|v| *v > u64::from(u32::MAX))
        {
            return ctl.fail(&format!("{dir} rate larger than maximum {}", u32::MAX));
        }
        if dir == "inbound" {
            if average == 0 && (burst != 0 || peak != 0) && floor == 0 {
                return ctl.fail("either inbound average or floor is mandatory");
            }
        } else {
            if average == 0 && (burst != 0 || peak != 0) {
                return ctl.fail("outbound average is mandatory");
            }
            if floor != 0 {
                return ctl.fail("outbound floor is unsupported yet");
            }
        }
        params.push(uint(&format!("{dir}.average"), average as u32));
        for (name, v) in [("peak", peak), ("burst", burst), ("floor", floor)] {
            if v != 0 {
                params.push(uint(&format!("{dir}.{name}"), v as u32));
            }
        }
    }
    if !params.is_empty() {
        let r = dom.set_interface_parameters(device, &params, flags);
        return set(ctl, r, "Unable to set interface parameters");
    }
    let got = two_steps(
        ctl,
        |n| dom.get_interface_parameters_counted(device, n, flags),
        "Unable to get number of interface parameters",
        "Unable to get interface parameters",
    )?;
    print_params(ctl, &got.unwrap_or_default(), |p| typed_value(&p.value));
    Ok(())
}

fn cmd_blkdeviotune(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let (dom, _) = ctl.domain(cmd)?;
    let disk = ctl.req_str(cmd, "device")?;
    let mut params = Vec::new();
    let scaled = [
        "total-bytes-sec",
        "read-bytes-sec",
        "write-bytes-sec",
        "total-bytes-sec-max",
        "read-bytes-sec-max",
        "write-bytes-sec-max",
    ];
    let plain = [
        "total-iops-sec",
        "read-iops-sec",
        "write-iops-sec",
        "total-iops-sec-max",
        "read-iops-sec-max",
        "write-iops-sec-max",
        "size-iops-sec",
        "total-bytes-sec-max-length",
        "read-bytes-sec-max-length",
        "write-bytes-sec-max-length",
        "total-iops-sec-max-length",
        "read-iops-sec-max-length",
        "write-iops-sec-max-length",
    ];
    for opt in scaled.iter().chain(&plain) {
        let v = if scaled.contains(opt) {
            ctl.opt_scaled(cmd, opt, 1, u64::MAX)
        } else {
            ctl.opt_ull(cmd, opt)
        };
        match v {
            Ok(Some(v)) => params.push(ull(&opt.replace('-', "_"), v)),
            Ok(None) => {}
            Err(f) => {
                ctl.error("Unable to parse integer parameter");
                return Err(f);
            }
        }
    }
    match ctl.opt_str(cmd, "group-name") {
        Ok(Some(g)) => params.push(string("group_name", g)),
        Ok(None) => {}
        Err(f) => {
            ctl.error("Unable to parse group-name parameter");
            return Err(f);
        }
    }
    if !params.is_empty() {
        let r = dom.set_block_io_tune(disk, &params, flags);
        return set(ctl, r, "Unable to change block I/O throttle");
    }
    let got = two_steps(
        ctl,
        |n| {
            // virsh counts without naming the disk.
            let d = (n != 0).then_some(disk);
            dom.get_block_io_tune_counted(d, n, flags)
        },
        "Unable to get number of block I/O throttle parameters",
        "Unable to get block I/O throttle parameters",
    )?;
    print_params(ctl, &got.unwrap_or_default(), |p| typed_value(&p.value));
    Ok(())
}

/// virTypedParamsAddFromString: `text` read as the type of `like`, refused in libvirt's words.
fn value_like(field: &str, like: &TypedParamValue, text: &str) -> rvirt::Result<TypedParamValue> {
    let bad = |what: &str| {
        Error::invalid_arg(
            ErrorDomain::NONE,
            format!("Invalid value for field '{field}': expected {what}"),
        )
    };
    let int = crate::parse::c_number(text).filter(|_| !text.trim().is_empty());
    Ok(match like {
        TypedParamValue::Int(_) => TypedParamValue::Int(
            int.and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| bad("int"))?,
        ),
        TypedParamValue::UInt(_) => TypedParamValue::UInt(
            int.and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("unsigned int"))?,
        ),
        TypedParamValue::LLong(_) => TypedParamValue::LLong(
            int.and_then(|n| i64::try_from(n).ok())
                .ok_or_else(|| bad("long long"))?,
        ),
        TypedParamValue::ULLong(_) => TypedParamValue::ULLong(
            int.and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| bad("unsigned long long"))?,
        ),
        TypedParamValue::Double(_) => {
            TypedParamValue::Double(text.trim().parse().map_err(|_| bad("double"))?)
        }
        TypedParamValue::Boolean(_) => {
            if text.eq_ignore_ascii_case("true") || text == "1" {
                TypedParamValue::Boolean(true)
            } else if text.eq_ignore_ascii_case("false") || text == "0" {
                TypedParamValue::Boolean(false)
            } else {
                return Err(Error::invalid_arg(
                    ErrorDomain::NONE,
                    format!("Invalid boolean value for field '{field}'"),
                ));
            }
        }
        TypedParamValue::String(_) => TypedParamValue::String(text.to_string()),
    })
}

/// cmdSchedInfoUpdate: the `--set name=value`, `--cap` and `--weight` changes, each typed as
/// the current parameter of that name.
fn sched_updates(
    ctl: &mut Ctl,
    cmd: &Cmd,
    current: &[TypedParam],
) -> Result<Vec<TypedParam>, Failed> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for arg in cmd.argv() {
        let Some((name, value)) = arg.split_once('=') else {
            return ctl.fail("Invalid syntax for --set, expecting name=value");
        };
        pairs.push((name.to_string(), value.to_string()));
    }
    for opt in ["cap", "weight"] {
        if let Some(v) = ctl.opt_str(cmd, opt)? {
            pairs.push((opt.to_string(), v.to_string()));
        }
    }
    let mut out = Vec::new();
    for (name, value) in pairs {
        let Some(p) = current.iter().find(|p| p.field == name) else {
            return ctl.fail(&format!("invalid scheduler option: {name}"));
        };
        let v = ctl.lib(value_like(&name, &p.value, &value))?;
        out.push(TypedParam::new(name, v));
    }
    Ok(out)
}

fn cmd_schedinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let (live, config, current) = (cmd.has("live"), cmd.has("config"), cmd.has("current"));
    // Live and config cannot be read at once: read the current one then.
    let query = if live && config { 0 } else { flags };
    let (dom, _) = ctl.domain(cmd)?;
    let (kind, n) = match dom.get_scheduler_type() {
        Ok(t) => t,
        Err(e) => {
            ctl.print(&format!("{:<15}: Unknown\n", "Scheduler"));
            return ctl.lib(Err(e));
        }
    };
    ctl.print(&format!("{:<15}: {kind}\n", "Scheduler"));
    if n == 0 {
        return Err(Failed);
    }
    let with_flags = flags != 0 || current;
    let get = |d: &Domain| {
        if with_flags {
            d.get_scheduler_parameters_flags(n, query)
        } else {
            d.get_scheduler_parameters(n)
        }
    };
    let mut params = ctl.lib(get(&dom))?;
    let updates = sched_updates(ctl, cmd, &params)?;
    if !updates.is_empty() {
        if with_flags {
            ctl.lib(dom.set_scheduler_parameters_flags(&updates, flags))?;
        } else {
            ctl.lib(dom.set_scheduler_parameters(&updates))?;
        }
        params = ctl.lib(get(&dom))?;
    } else if live && config {
        return ctl.fail("cannot query both live and config at once");
    }
    print_params(ctl, &params, |p| typed_value(&p.value));
    Ok(())
}

/// virshPrintPerfStatus.
fn print_perf(ctl: &mut Ctl, params: &[TypedParam]) {
    for p in params {
        let on = matches!(p.value, TypedParamValue::Boolean(true));
        let state = if on { "enabled" } else { "disabled" };
        ctl.print_extra(&format!("{:<15}: {state}\n", p.field));
    }
}

fn cmd_perf(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = impact(ctl, cmd)?;
    let enable = ctl.opt_str(cmd, "enable")?;
    let disable = ctl.opt_str(cmd, "disable")?;
    let (dom, _) = ctl.domain(cmd)?;
    let mut params = Vec::new();
    for (list, on) in [(enable, true), (disable, false)] {
        for name in list.unwrap_or("").split(',').filter(|n| !n.is_empty()) {
            params.push(TypedParam::new(name, TypedParamValue::Boolean(on)));
        }
    }
    if params.is_empty() {
        match dom.get_perf_events(flags) {
            Ok(p) => print_perf(ctl, &p),
            Err(e) => return ctl.lib_fail(e, "Unable to get perf events"),
        }
        return Ok(());
    }
    if let Err(e) = dom.set_perf_events(&params, flags) {
        return ctl.lib_fail(e, "Unable to enable/disable perf events");
    }
    print_perf(ctl, &params);
    Ok(())
}
