//! virsh's `vcpupin` and `emulatorpin`: which host CPUs a domain's vCPUs and emulator threads
//! may run on, queried or set.

use super::host::format_cpu_ranges;
use crate::cmd::{CmdDef, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, Failed};
use crate::fmt::Table;
use crate::parse::Cmd;
use rvirt::flags::DomainVcpuFlags as V;

/// `vcpupin`.
pub const VCPUPIN: CmdDef = CmdDef {
    name: "vcpupin",
    help: "control or query domain vcpu affinity",
    desc: "Pin domain VCPUs to host physical CPUs.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("vcpu", OptKind::Int, "vcpu number"),
        Opt::new(
            "cpulist",
            OptKind::String,
            "host cpu number(s) to set, or omit option to query",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_vcpupin)
};

/// `emulatorpin`.
pub const EMULATORPIN: CmdDef = CmdDef {
    name: "emulatorpin",
    help: "control or query domain emulator affinity",
    desc: "Pin domain emulator threads to host physical CPUs.",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "cpulist",
            OptKind::String,
            "host cpu number(s) to set, or omit option to query",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_emulatorpin)
};

/// virshNodeGetCPUCount: the host's CPUs.
fn host_cpus(ctl: &mut Ctl) -> Result<usize, Failed> {
    let r = ctl.conn()?.node_get_cpu_map(0);
    Ok(ctl.lib(r)?.cpus as usize)
}

/// virshParseCPUList: `r` (all), or a list with no CPU beyond the host's; the map, just long
/// enough for its highest CPU.
fn parse_cpu_list(ctl: &mut Ctl, list: &str, maxcpu: usize) -> Result<Vec<u8>, Failed> {
    let cpus: Vec<u32> = if list.starts_with('r') {
        (0..maxcpu as u32).collect()
    } else {
        let parsed = parse_list(list);
        let Some(cpus) = parsed else {
            // virsh's words, then the library's.
            let e = rvirt::Error::with_detail(
                rvirt::ErrorDomain::NONE,
                rvirt::ErrorNumber::INVALID_ARG,
                format!("Failed to parse bitmap '{list}'"),
            );
            return ctl.lib_fail(e, &format!("Invalid cpulist '{list}'"));
        };
        if cpus.is_empty() {
            return ctl.fail(&format!("Invalid cpulist '{list}'"));
        }
        let last = *cpus.iter().max().unwrap_or(&0) as usize;
        if last >= maxcpu {
            return ctl.fail(&format!(
                "CPU {last} in cpulist '{list}' exceed the maxcpu {maxcpu}"
            ));
        }
        cpus
    };
    let len = cpus.iter().max().map_or(1, |m| *m as usize / 8 + 1);
    let mut map = vec![0u8; len];
    for c in cpus {
        map[c as usize / 8] |= 1 << (c % 8);
    }
    Ok(map)
}

/// libvirt's bitmap syntax (`0-3,^2,8`), CPUs below 1024.
fn parse_list(list: &str) -> Option<Vec<u32>> {
    let mut on = std::collections::BTreeSet::new();
    let mut off = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        let (neg, part) = match part.strip_prefix('^') {
            Some(p) => (true, p),
            None => (false, part),
        };
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
            None => {
                let v = part.parse::<u32>().ok()?;
                (v, v)
            }
        };
        if a > b || b >= 1024 || (neg && a != b) {
            return None;
        }
        if neg {
            off.push(a);
        } else {
            on.extend(a..=b);
        }
    }
    for c in off {
        on.remove(&c);
    }
    Some(on.into_iter().collect())
}

fn impact(cmd: &Cmd) -> u32 {
    let mut flags = 0;
    if cmd.has("live") {
        flags |= 1;
    }
    if cmd.has("config") {
        flags |= 2;
    }
    flags
}

fn cmd_vcpupin(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let flags = impact(cmd);
    let cpulist = ctl.opt_str(cmd, "cpulist")?;
    if cpulist.is_none() {
        ctl.exclusive(cmd, &[("live", "config")])?;
    }
    let vcpu = ctl.opt_uint(cmd, "vcpu")?;
    if cpulist.is_some() && vcpu.is_none() {
        return ctl.fail("vcpupin: Missing vCPU number in pin mode.");
    }
    let maxcpu = host_cpus(ctl)?;
    let (dom, _) = ctl.domain(cmd)?;
    let Some(list) = cpulist else {
        let count_flags = V::from_bits_retain(flags) | V::MAXIMUM;
        let ncpus = super::domain::cpu_count(ctl, &dom, count_flags, true)?;
        if ncpus < 0 {
            return ctl.fail(if flags & 1 != 0 {
                "cannot get vcpupin for offline domain"
            } else {
                "cannot get vcpupin for transient domain"
            });
        }
        if let Some(v) = vcpu.filter(|v| *v as i32 >= ncpus) {
            let live = flags & 1 != 0 || (flags & 2 == 0 && dom.is_active().unwrap_or(false));
            let kind = if live { "live" } else { "persistent" };
            return ctl.fail(&format!(
                "vcpu {v} is out of range of {kind} cpu count {ncpus}"
            ));
        }
        let maplen = maxcpu.div_ceil(8);
        let (maps, n) = ctl.lib(dom.get_vcpu_pin_info(ncpus, maplen as i32, flags))?;
        let mut t = Table::new(&["VCPU", "CPU Affinity"]);
        for i in 0..n.max(0) as usize {
            if vcpu.is_some_and(|v| v as usize != i) {
                continue;
            }
            let map = maps.get(i * maplen..(i + 1) * maplen).unwrap_or_default();
            t.row(vec![i.to_string(), format_cpu_ranges(map, maplen * 8)]);
        }
        let quiet = ctl.quiet;
        ctl.print(&t.render(!quiet));
        return Ok(());
    };
    let map = parse_cpu_list(ctl, list, maxcpu)?;
    let vcpu = vcpu.unwrap_or(0);
    // No flags and no --current: the old call, as virsh makes it.
    if flags == 0 && !cmd.has("current") {
        ctl.lib(dom.pin_vcpu(vcpu, &map))
    } else {
        ctl.lib(dom.pin_vcpu_flags(vcpu, &map, flags))
    }
}

fn cmd_emulatorpin(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let given = cmd.has("current") || cmd.has("live") || cmd.has("config");
    let flags = impact(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let cpulist = ctl.opt_str(cmd, "cpulist")?;
    let maxcpu = host_cpus(ctl)?;
    let Some(list) = cpulist else {
        let maplen = maxcpu.div_ceil(8);
        let (map, _) = ctl.lib(dom.get_emulator_pin_info(maplen as i32, flags))?;
        ctl.print_extra("emulator: CPU Affinity\n");
        ctl.print_extra("----------------------------------\n");
        ctl.print_extra("       *: ");
        ctl.print(&format_cpu_ranges(&map, maplen * 8));
        ctl.print("\n");
        return Ok(());
    };
    let map = parse_cpu_list(ctl, list, maxcpu)?;
    // Nothing given: the running domain, as virsh asks.
    let flags = if given { flags } else { 1 };
    ctl.lib(dom.pin_emulator(&map, flags))
}

/// `iothreadinfo`.
pub const IOTHREADINFO: CmdDef = CmdDef {
    name: "iothreadinfo",
    help: "view domain IOThreads",
    desc: "Returns basic information about the domain IOThreads.",
    opts: &[Opt::DOMAIN, Opt::CONFIG, Opt::LIVE, Opt::CURRENT],
    ..CmdDef::new(cmd_iothreadinfo)
};

/// `iothreadpin`.
pub const IOTHREADPIN: CmdDef = CmdDef {
    name: "iothreadpin",
    help: "control domain IOThread affinity",
    desc: "Pin domain IOThreads to host physical CPUs.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("iothread", OptKind::Int, "IOThread ID number").required(),
        Opt::new("cpulist", OptKind::Data, "host cpu number(s) to set").required(),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_iothreadpin)
};

/// `iothreadadd`.
pub const IOTHREADADD: CmdDef = CmdDef {
    name: "iothreadadd",
    help: "add an IOThread to the guest domain",
    desc: "Add an IOThread to the guest domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("id", OptKind::Int, "iothread for the new IOThread").required(),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_iothreadadd)
};

/// `iothreadset`.
pub const IOTHREADSET: CmdDef = CmdDef {
    name: "iothreadset",
    help: "modifies an existing IOThread of the guest domain",
    desc: "Modifies an existing IOThread of the guest domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("id", OptKind::Int, "iothread id of existing IOThread").required(),
        Opt::new(
            "poll-max-ns",
            OptKind::Int,
            "set the maximum IOThread polling time in ns",
        ),
        Opt::new(
            "poll-grow",
            OptKind::Int,
            "set the value to increase the IOThread polling time",
        ),
        Opt::new(
            "poll-shrink",
            OptKind::Int,
            "set the value for reduction of the IOThread polling time",
        ),
        Opt::new(
            "thread-pool-min",
            OptKind::Int,
            "lower boundary for worker thread pool",
        ),
        Opt::new(
            "thread-pool-max",
            OptKind::Int,
            "upper boundary for worker thread pool",
        ),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_iothreadset)
};

/// `iothreaddel`.
pub const IOTHREADDEL: CmdDef = CmdDef {
    name: "iothreaddel",
    help: "delete an IOThread from the guest domain",
    desc: "Delete an IOThread from the guest domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("id", OptKind::Int, "iothread_id for the IOThread to delete").required(),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_iothreaddel)
};

fn cmd_iothreadinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let flags = impact(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let info = match dom.get_iothread_info(flags) {
        Ok(i) => i,
        Err(e) => return ctl.lib_fail(e, "Unable to get domain IOThreads information"),
    };
    if info.is_empty() {
        ctl.print_extra("No IOThreads found for the domain");
        return Ok(());
    }
    let mut t = Table::new(&["IOThread ID", "CPU Affinity"]);
    for i in info {
        let bits = i.cpumap.len() * 8;
        t.row(vec![
            i.iothread_id.to_string(),
            format_cpu_ranges(&i.cpumap, bits),
        ]);
    }
    let quiet = ctl.quiet;
    ctl.print(&t.render(!quiet));
    Ok(())
}

fn cmd_iothreadpin(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let flags = impact(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let id = ctl.opt_uint(cmd, "iothread")?.unwrap_or(0);
    let list = ctl.req_str(cmd, "cpulist")?;
    let maxcpu = host_cpus(ctl)?;
    let map = parse_cpu_list(ctl, list, maxcpu)?;
    ctl.lib(dom.pin_iothread(id, &map, flags))
}

/// `iothreadadd` and `iothreaddel`.
fn iothread_change(ctl: &mut Ctl, cmd: &Cmd, add: bool) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let flags = impact(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let id = ctl.opt_int(cmd, "id")?.unwrap_or(0);
    if id <= 0 {
        return ctl.fail(&format!("Invalid IOThread id value: '{id}'"));
    }
    let r = if add {
        dom.add_iothread(id as u32, flags)
    } else {
        dom.del_iothread(id as u32, flags)
    };
    ctl.lib(r)
}

fn cmd_iothreadadd(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    iothread_change(ctl, cmd, true)
}

fn cmd_iothreaddel(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    iothread_change(ctl, cmd, false)
}

fn cmd_iothreadset(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use rvirt::{TypedParam, TypedParamValue as V};
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let flags = impact(cmd);
    let (dom, _) = ctl.domain(cmd)?;
    let id = ctl.opt_int(cmd, "id")?.unwrap_or(0);
    if id <= 0 {
        return ctl.fail(&format!("Invalid IOThread id value: '{id}'"));
    }
    let mut params = Vec::new();
    if let Some(v) = ctl.opt_ull(cmd, "poll-max-ns")? {
        params.push(TypedParam::new("poll_max_ns", V::ULLong(v)));
    }
    for opt in ["poll-grow", "poll-shrink"] {
        if let Some(v) = ctl.opt_uint(cmd, opt)? {
            params.push(TypedParam::new(opt.replace('-', "_"), V::UInt(v)));
        }
    }
    for opt in ["thread-pool-min", "thread-pool-max"] {
        if let Some(v) = ctl.opt_int(cmd, opt)? {
            params.push(TypedParam::new(opt.replace('-', "_"), V::Int(v)));
        }
    }
    if params.is_empty() {
        return ctl.fail("Not enough arguments passed, nothing to set");
    }
    ctl.lib(dom.set_iothread_params(id as u32, &params, flags))
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn cpu_lists_parse_as_libvirt_bitmaps() {
        assert_eq!(parse_list("0-3,^2,8"), Some(vec![0, 1, 3, 8]));
        assert_eq!(parse_list("5"), Some(vec![5]));
        assert_eq!(parse_list("3-1"), None);
        assert_eq!(parse_list("a"), None);
        assert_eq!(parse_list("1024"), None);
    }
}
