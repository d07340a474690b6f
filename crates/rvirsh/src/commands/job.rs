//! `domjobinfo` and `domjobabort` (Domain Management): a domain's background job.

use crate::cmd::{CmdDef, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::fmt::typed_value;
use crate::parse::Cmd;
use rvirt::flags::{DomainAbortJobFlags, DomainGetJobStatsFlags as J};
use rvirt::{TypedParam, TypedParamValue};

/// `domjobabort`.
pub const DOMJOBABORT: CmdDef = CmdDef {
    name: "domjobabort",
    help: "abort active domain job",
    desc: "Aborts the currently running domain job",
    opts: &[
        Opt::DOMAIN,
        Opt::new("postcopy", OptKind::Bool, "interrupt post-copy migration"),
    ],
    ..CmdDef::new(cmd_domjobabort)
};

/// `domjobinfo`.
pub const DOMJOBINFO: CmdDef = CmdDef {
    name: "domjobinfo",
    help: "domain job information",
    desc: "Returns information about jobs running on a domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "completed",
            OptKind::Bool,
            "return statistics of a recently completed job",
        ),
        Opt::new(
            "keep-completed",
            OptKind::Bool,
            "don't destroy statistics of a recently completed job when reading",
        ),
        Opt::new(
            "anystats",
            OptKind::Bool,
            "print statistics for any kind of job (even failed ones)",
        ),
        Opt::new(
            "rawstats",
            OptKind::Bool,
            "print the raw data returned by libvirt",
        ),
    ],
    ..CmdDef::new(cmd_domjobinfo)
};

fn cmd_domjobabort(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    if cmd.has("postcopy") {
        ctl.lib(dom.abort_job_flags(DomainAbortJobFlags::POSTCOPY.bits()))
    } else {
        ctl.lib(dom.abort_job())
    }
}

/// virsh's names of `virDomainJobType` values.
fn job_type_name(t: i32) -> &'static str {
    const NAMES: [&str; 6] = [
        "None",
        "Bounded",
        "Unbounded",
        "Completed",
        "Failed",
        "Cancelled",
    ];
    usize::try_from(t)
        .ok()
        .and_then(|i| NAMES.get(i))
        .unwrap_or(&"unknown")
}

/// virsh's names of `virDomainJobOperation` values.
fn operation_name(op: i32) -> &'static str {
    const NAMES: [&str; 11] = [
        "Unknown",
        "Start",
        "Save",
        "Restore",
        "Incoming migration",
        "Outgoing migration",
        "Snapshot",
        "Snapshot revert",
        "Dump",
        "Backup",
        "Snapshot delete",
    ];
    usize::try_from(op)
        .ok()
        .and_then(|i| NAMES.get(i))
        .unwrap_or(&"unknown")
}

/// vshPrettyCapacity with `%.3lf`: a size in the largest binary unit below it.
fn capacity(val: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = val as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.3} {}", UNITS[unit])
}

fn ull(params: &[TypedParam], name: &str) -> Option<u64> {
    params
        .iter()
        .find(|p| p.field == name)
        .and_then(|p| match p.value {
            TypedParamValue::ULLong(v) => Some(v),
            _ => None,
        })
}

/// The text virsh prints for a job: its type and, for a job under way (or a completed one
/// asked for, or any with `--anystats`), its figures.
fn job_text(
    info: &rvirt::DomainJobInfo,
    params: &[TypedParam],
    completed: bool,
    anystats: bool,
) -> String {
    let mut out = format!("{:<17} {:<12}\n", "Job type:", job_type_name(info.job_type));
    let t = info.job_type;
    if t == 0 {
        return out;
    }
    let op = params
        .iter()
        .find(|p| p.field == "operation")
        .and_then(|p| match p.value {
            TypedParamValue::Int(v) => Some(v),
            _ => None,
        })
        .unwrap_or(0);
    out.push_str(&format!(
        "{:<17} {:<12}\n",
        "Operation:",
        operation_name(op)
    ));
    if !anystats && t != 1 && t != 2 && !(completed && t == 3) {
        return out;
    }
    let ms = |out: &mut String, label: &str, v: u64| {
        out.push_str(&format!("{label:<17} {v:<12} ms\n"));
    };
    let size = |out: &mut String, label: &str, v: u64| {
        out.push_str(&format!("{label:<17} {}\n", capacity(v)));
    };
    let count = |out: &mut String, label: &str, v: u64| {
        out.push_str(&format!("{label:<17} {v:<12}\n"));
    };
    ms(&mut out, "Time elapsed:", info.time_elapsed);
    if let Some(v) = ull(params, "time_elapsed_net") {
        ms(&mut out, "Time elapsed w/o network:", v);
    }
    if t == 1 {
        ms(&mut out, "Time remaining:", info.time_remaining);
    }
    if info.data_total != 0 || info.data_remaining != 0 || info.data_processed != 0 {
        size(&mut out, "Data processed:", info.data_processed);
        size(&mut out, "Data remaining:", info.data_remaining);
        size(&mut out, "Data total:", info.data_total);
    }
    if info.mem_total != 0 || info.mem_remaining != 0 || info.mem_processed != 0 {
        size(&mut out, "Memory processed:", info.mem_processed);
        size(&mut out, "Memory remaining:", info.mem_remaining);
        size(&mut out, "Memory total:", info.mem_total);
        if let Some(v) = ull(params, "memory_bps").filter(|&v| v != 0) {
            out.push_str(&format!("{:<17} {}/s\n", "Memory bandwidth:", capacity(v)));
        }
        if let Some(v) = ull(params, "memory_dirty_rate") {
            out.push_str(&format!("{:<17} {v:<12} pages/s\n", "Dirty rate:"));
        }
        if let Some(v) = ull(params, "memory_page_size") {
            out.push_str(&format!("{:<17} {v:<12} bytes\n", "Page size:"));
        }
        if let Some(v) = ull(params, "memory_iteration") {
            count(&mut out, "Iteration:", v);
        }
        if let Some(v) = ull(params, "memory_postcopy_requests") {
            count(&mut out, "Postcopy requests:", v);
        }
    }
    if info.file_total != 0 || info.file_remaining != 0 || info.file_processed != 0 {
        size(&mut out, "File processed:", info.file_processed);
        size(&mut out, "File remaining:", info.file_remaining);
        size(&mut out, "File total:", info.file_total);
        if let Some(v) = ull(params, "disk_bps").filter(|&v| v != 0) {
            out.push_str(&format!("{:<17} {}/s\n", "File bandwidth:", capacity(v)));
        }
    }
    if let Some(v) = ull(params, "memory_constant") {
        count(&mut out, "Constant pages:", v);
    }
    if let Some(v) = ull(params, "memory_normal") {
        count(&mut out, "Normal pages:", v);
    }
    if let Some(v) = ull(params, "memory_normal_bytes") {
        size(&mut out, "Normal data:", v);
    }
    if let Some(v) = ull(params, "downtime") {
        let label = if t == 3 {
            "Total downtime:"
        } else {
            "Expected downtime:"
        };
        ms(&mut out, label, v);
    }
    if let Some(v) = ull(params, "downtime_net") {
        ms(&mut out, "Downtime w/o network:", v);
    }
    if let Some(v) = ull(params, "setup_time") {
        ms(&mut out, "Setup time:", v);
    }
    if let Some(TypedParamValue::String(msg)) = params
        .iter()
        .find(|p| p.field == "errmsg")
        .map(|p| &p.value)
    {
        out.push_str(&format!("{:<17} {msg}\n", "Error message:"));
    }
    out
}

/// The job figures of typed statistics, as virsh reads them (absent ones are zero).
fn info_of(job_type: i32, params: &[TypedParam]) -> rvirt::DomainJobInfo {
    let g = |name| ull(params, name).unwrap_or(0);
    rvirt::DomainJobInfo {
        job_type,
        time_elapsed: g("time_elapsed"),
        time_remaining: g("time_remaining"),
        data_total: g("data_total"),
        data_processed: g("data_processed"),
        data_remaining: g("data_remaining"),
        mem_total: g("memory_total"),
        mem_processed: g("memory_processed"),
        mem_remaining: g("memory_remaining"),
        file_total: g("disk_total"),
        file_processed: g("disk_processed"),
        file_remaining: g("disk_remaining"),
    }
}

fn cmd_domjobinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if cmd.has("keep-completed") && !cmd.has("completed") {
        return ctl.fail("Option --completed is required by option --keep-completed");
    }
    let (dom, _) = ctl.domain(cmd)?;
    let rawstats = cmd.has("rawstats");
    let mut flags = J::empty();
    if cmd.has("completed") {
        flags |= J::COMPLETED;
    }
    if cmd.has("keep-completed") {
        flags |= J::KEEP_COMPLETED;
    }
    // virsh asks for the typed statistics first and falls back to the legacy call only when
    // the driver lacks them (and no option needs them).
    let (info, params) = match dom.get_job_stats(flags.bits()) {
        Ok((t, params)) => (info_of(t, &params), params),
        Err(e) if e.code == rvirt::ErrorNumber::NO_SUPPORT => {
            if !flags.is_empty() || rawstats {
                ctl.last_error = Some(e);
                return ctl.fail("Optional flags or --rawstats are not supported by the daemon");
            }
            match dom.get_job_info() {
                Ok(info) => (info, Vec::new()),
                Err(e) => {
                    ctl.last_error = Some(e);
                    return Err(Failed);
                }
            }
        }
        Err(e) => {
            ctl.last_error = Some(e);
            return Err(Failed);
        }
    };
    if rawstats {
        let mut out = format!("Job type: {}\n\n", info.job_type);
        for p in &params {
            out.push_str(&format!("{}: {}\n", p.field, typed_value(&p.value)));
        }
        ctl.print(&out);
        return Ok(());
    }
    let text = job_text(&info, &params, cmd.has("completed"), cmd.has("anystats"));
    ctl.print(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ullp(name: &str, v: u64) -> TypedParam {
        TypedParam::new(name, TypedParamValue::ULLong(v))
    }

    #[test]
    fn a_save_under_way_prints_as_virsh_does() {
        let params = vec![
            TypedParam::new("operation", TypedParamValue::Int(2)),
            ullp("time_elapsed", 1050),
            ullp("setup_time", 2),
            ullp("data_total", 134750208),
            ullp("data_processed", 72097291),
            ullp("data_remaining", 62722048),
            ullp("memory_total", 134750208),
            ullp("memory_processed", 72097291),
            ullp("memory_remaining", 62722048),
            ullp("memory_bps", 70575000),
            ullp("memory_constant", 1001),
            ullp("memory_normal", 17531),
            ullp("memory_normal_bytes", 71806976),
            ullp("memory_dirty_rate", 0),
            ullp("memory_iteration", 1),
            ullp("memory_postcopy_requests", 0),
            ullp("memory_page_size", 4096),
        ];
        let text = job_text(&info_of(2, &params), &params, false, false);
        assert_eq!(
            text,
            "Job type:         Unbounded   \n\
             Operation:        Save        \n\
             Time elapsed:     1050         ms\n\
             Data processed:   68.757 MiB\n\
             Data remaining:   59.816 MiB\n\
             Data total:       128.508 MiB\n\
             Memory processed: 68.757 MiB\n\
             Memory remaining: 59.816 MiB\n\
             Memory total:     128.508 MiB\n\
             Memory bandwidth: 67.306 MiB/s\n\
             Dirty rate:       0            pages/s\n\
             Page size:        4096         bytes\n\
             Iteration:        1           \n\
             Postcopy requests: 0           \n\
             Constant pages:   1001        \n\
             Normal pages:     17531       \n\
             Normal data:      68.480 MiB\n\
             Setup time:       2            ms\n"
        );
        // A completed job's figures only with --completed (or --anystats).
        let done = info_of(3, &params);
        assert_eq!(job_text(&done, &params, false, false).lines().count(), 2);
        assert!(job_text(&done, &params, true, false).contains("Time elapsed:"));
    }
}
