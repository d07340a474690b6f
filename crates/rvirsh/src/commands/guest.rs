//! virsh's commands that work through the guest agent: file-system freeze, thaw, trim and
//! info, user passwords, guest information, guest vCPUs and the agent's timeout. Listed in
//! the Domain Management group, where virsh has them.

use crate::cmd::{CmdDef, Opt, OptKind};
use crate::ctl::{CmdResult, Ctl, read_file};
use crate::fmt::{Table, typed_value};
use crate::parse::Cmd;

/// `domfsfreeze`.
pub const DOMFSFREEZE: CmdDef = CmdDef {
    name: "domfsfreeze",
    help: "Freeze domain's mounted filesystems.",
    desc: "Freeze domain's mounted filesystems.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("mountpoint", OptKind::Argv, "mountpoint path to be frozen"),
    ],
    ..CmdDef::new(cmd_domfsfreeze)
};

/// `domfsthaw`.
pub const DOMFSTHAW: CmdDef = CmdDef {
    name: "domfsthaw",
    help: "Thaw domain's mounted filesystems.",
    desc: "Thaw domain's mounted filesystems.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("mountpoint", OptKind::Argv, "mountpoint path to be thawed"),
    ],
    ..CmdDef::new(cmd_domfsthaw)
};

/// `domfsinfo`.
pub const DOMFSINFO: CmdDef = CmdDef {
    name: "domfsinfo",
    help: "Get information of domain's mounted filesystems.",
    desc: "Get information of domain's mounted filesystems.",
    opts: &[Opt::DOMAIN],
    ..CmdDef::new(cmd_domfsinfo)
};

/// `domfstrim`.
pub const DOMFSTRIM: CmdDef = CmdDef {
    name: "domfstrim",
    help: "Invoke fstrim on domain's mounted filesystems.",
    desc: "Invoke fstrim on domain's mounted filesystems.",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "minimum",
            OptKind::Int,
            "Just a hint to ignore contiguous free ranges smaller than this (Bytes)",
        ),
        Opt::new("mountpoint", OptKind::String, "which mount point to trim"),
    ],
    ..CmdDef::new(cmd_domfstrim)
};

/// `guest-agent-timeout`.
pub const GUEST_AGENT_TIMEOUT: CmdDef = CmdDef {
    name: "guest-agent-timeout",
    help: "Set the guest agent timeout",
    desc: "Set the number of seconds to wait for a response from the guest agent.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("timeout", OptKind::Int, "timeout seconds.").named_only(),
    ],
    ..CmdDef::new(cmd_guest_agent_timeout)
};

/// `set-user-password`.
pub const SET_USER_PASSWORD: CmdDef = CmdDef {
    name: "set-user-password",
    help: "set the user password inside the domain",
    desc: "changes the password of the specified user inside the domain",
    opts: &[
        Opt::DOMAIN,
        Opt::new("user", OptKind::Data, "the username").required(),
        Opt::new("password", OptKind::Data, "the new password").required(),
        Opt::new(
            "encrypted",
            OptKind::Bool,
            "the password is already encrypted",
        ),
    ],
    ..CmdDef::new(cmd_set_user_password)
};

/// `get-user-sshkeys`.
pub const GET_USER_SSHKEYS: CmdDef = CmdDef {
    name: "get-user-sshkeys",
    help: "list authorized SSH keys for given user (via agent)",
    desc: "Use the guest agent to query authorized SSH keys for given user",
    opts: &[
        Opt::DOMAIN,
        Opt::new("user", OptKind::Data, "user to list authorized keys for").required(),
    ],
    ..CmdDef::new(cmd_get_user_sshkeys)
};

/// `set-user-sshkeys`.
pub const SET_USER_SSHKEYS: CmdDef = CmdDef {
    name: "set-user-sshkeys",
    help: "manipulate authorized SSH keys file for given user (via agent)",
    desc: "Append, reset or remove specified key from the authorized keys file for given user",
    opts: &[
        Opt::DOMAIN,
        Opt::new("user", OptKind::Data, "user to set authorized keys for").required(),
        Opt::new("file", OptKind::String, "optional file to read keys from"),
        Opt::new(
            "reset",
            OptKind::Bool,
            "clear out authorized keys file before adding new keys",
        ),
        Opt::new(
            "remove",
            OptKind::Bool,
            "remove keys from the authorized keys file",
        ),
    ],
    ..CmdDef::new(cmd_set_user_sshkeys)
};

/// `guestvcpus`.
pub const GUESTVCPUS: CmdDef = CmdDef {
    name: "guestvcpus",
    help: "query or modify state of vcpu in the guest (via agent)",
    desc: "Use the guest agent to query or set cpu state from guest's point of view",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "cpulist",
            OptKind::String,
            "list of cpus to enable or disable",
        ),
        Opt::new("enable", OptKind::Bool, "enable cpus specified by cpulist"),
        Opt::new(
            "disable",
            OptKind::Bool,
            "disable cpus specified by cpulist",
        ),
    ],
    ..CmdDef::new(cmd_guestvcpus)
};

/// `guestinfo`.
pub const GUESTINFO: CmdDef = CmdDef {
    name: "guestinfo",
    help: "query information about the guest (via agent)",
    desc: "Use the guest agent to query various information from guest's point of view",
    opts: &[
        Opt::DOMAIN,
        Opt::new("user", OptKind::Bool, "report active users"),
        Opt::new("os", OptKind::Bool, "report operating system information"),
        Opt::new("timezone", OptKind::Bool, "report timezone information"),
        Opt::new("hostname", OptKind::Bool, "report hostname"),
        Opt::new("filesystem", OptKind::Bool, "report filesystem information"),
        Opt::new("disk", OptKind::Bool, "report disk information"),
        Opt::new("interface", OptKind::Bool, "report interface information"),
    ],
    ..CmdDef::new(cmd_guestinfo)
};

fn mountpoints(cmd: &Cmd) -> Vec<String> {
    cmd.argv().into_iter().map(str::to_string).collect()
}

fn cmd_domfsfreeze(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    match dom.fs_freeze(&mountpoints(cmd), 0) {
        Ok(n) => {
            ctl.print_extra(&format!("Froze {n} filesystem(s)\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, "Unable to freeze filesystems"),
    }
}

fn cmd_domfsthaw(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    match dom.fs_thaw(&mountpoints(cmd), 0) {
        Ok(n) => {
            ctl.print_extra(&format!("Thawed {n} filesystem(s)\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, "Unable to thaw filesystems"),
    }
}

fn cmd_domfstrim(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let minimum = ctl.opt_ull(cmd, "minimum")?.unwrap_or(0);
    let mountpoint = ctl.opt_str(cmd, "mountpoint")?;
    match dom.fs_trim(mountpoint, minimum, 0) {
        Ok(()) => Ok(()),
        Err(e) => ctl.lib_fail(e, "Unable to invoke fstrim"),
    }
}

fn cmd_domfsinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let info = match dom.get_fs_info(0) {
        Ok(i) => i,
        Err(e) => return ctl.lib_fail(e, "Unable to get filesystem information"),
    };
    if info.is_empty() {
        ctl.print_extra("No filesystems are mounted in the domain");
        return Ok(());
    }
    let mut t = Table::new(&["Mountpoint", "Name", "Type", "Target"]);
    for fs in info {
        t.row(vec![
            fs.mountpoint,
            fs.name,
            fs.fstype,
            fs.dev_aliases.join(","),
        ]);
    }
    let quiet = ctl.quiet;
    ctl.print(&t.render(!quiet));
    Ok(())
}

fn cmd_guest_agent_timeout(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    // libvirt's VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK when not given.
    let timeout = ctl.opt_int(cmd, "timeout")?.unwrap_or(-2);
    ctl.lib(dom.agent_set_response_timeout(timeout, 0))
}

fn cmd_set_user_password(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = u32::from(cmd.has("encrypted"));
    let user = ctl.req_str(cmd, "user")?;
    let password = ctl.req_str(cmd, "password")?;
    let (dom, name) = ctl.domain(cmd)?;
    ctl.lib(dom.set_user_password(user, password, flags))?;
    ctl.print_extra(&format!("Password set successfully for {user} in {name}"));
    Ok(())
}

fn cmd_get_user_sshkeys(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let user = ctl.req_str(cmd, "user")?;
    let keys = ctl.lib(dom.authorized_ssh_keys_get(user, 0))?;
    // virsh prints each key as the agent gives it: a line without its newline.
    for key in keys {
        ctl.print(&key);
    }
    Ok(())
}

fn cmd_set_user_sshkeys(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if cmd.has("remove") && !cmd.has("file") {
        return ctl.fail("Option --file is required by option --remove");
    }
    ctl.exclusive(cmd, &[("reset", "remove")])?;
    let (dom, _) = ctl.domain(cmd)?;
    let user = ctl.req_str(cmd, "user")?;
    let from = ctl.opt_str(cmd, "file")?;
    // VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND, _REMOVE.
    let flags = if cmd.has("remove") {
        2
    } else if cmd.has("reset") {
        0
    } else if from.is_none() {
        return ctl.fail("Option --file is required");
    } else {
        1
    };
    let mut keys = Vec::new();
    if let Some(from) = from {
        let text = ctl.lib(read_file(from))?;
        // g_strsplit on newlines: a final newline leaves an empty last key, as in virsh.
        if !text.is_empty() {
            keys = text.split('\n').map(str::to_string).collect();
        }
        if keys.is_empty() {
            return ctl.fail(&format!("File {from} contains no keys"));
        }
    }
    ctl.lib(dom.authorized_ssh_keys_set(user, &keys, flags))
}

fn cmd_guestvcpus(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (enable, disable) = (cmd.has("enable"), cmd.has("disable"));
    ctl.exclusive(cmd, &[("enable", "disable")])?;
    for flag in ["enable", "disable"] {
        if cmd.has(flag) && !cmd.has("cpulist") {
            return ctl.fail(&format!("Option --cpulist is required by option --{flag}"));
        }
    }
    let cpulist = ctl.opt_str(cmd, "cpulist")?;
    if cpulist.is_some() && !(enable || disable) {
        return ctl.fail("One of options --enable or --disable is required by option --cpulist");
    }
    let (dom, _) = ctl.domain(cmd)?;
    if let Some(list) = cpulist {
        return ctl.lib(dom.set_guest_vcpus(list, i32::from(enable), 0));
    }
    let params = ctl.lib(dom.get_guest_vcpus(0))?;
    for p in params {
        ctl.print(&format!("{:<15}: {}\n", p.field, typed_value(&p.value)));
    }
    Ok(())
}

fn cmd_guestinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let types = [
        "user",
        "os",
        "timezone",
        "hostname",
        "filesystem",
        "disk",
        "interface",
    ]
    .iter()
    .enumerate()
    .filter(|(_, n)| cmd.has(n))
    .fold(0u32, |acc, (i, _)| acc | 1 << i);
    let (dom, _) = ctl.domain(cmd)?;
    let params = ctl.lib(dom.get_guest_info(types, 0))?;
    for p in params {
        ctl.print(&format!("{:<20}: {}\n", p.field, typed_value(&p.value)));
    }
    Ok(())
}

/// `inject-nmi`.
pub const INJECT_NMI: CmdDef = CmdDef {
    name: "inject-nmi",
    help: "Inject NMI to the guest",
    desc: "Inject NMI to the guest domain.",
    opts: &[Opt::DOMAIN],
    ..CmdDef::new(cmd_inject_nmi)
};

/// `dompmsuspend`.
pub const DOMPMSUSPEND: CmdDef = CmdDef {
    name: "dompmsuspend",
    help: "suspend a domain gracefully using power management functions",
    desc: "Suspends a running domain using guest OS's power management. (Note: This requires \
           a guest agent configured and running in the guest OS).",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "target",
            OptKind::Data,
            "mem(Suspend-to-RAM), disk(Suspend-to-Disk), hybrid(Hybrid-Suspend)",
        )
        .required(),
        Opt::new("duration", OptKind::Int, "duration in seconds").named_only(),
    ],
    ..CmdDef::new(cmd_dompmsuspend)
};

/// `dompmwakeup`.
pub const DOMPMWAKEUP: CmdDef = CmdDef {
    name: "dompmwakeup",
    help: "wakeup a domain from pmsuspended state",
    desc: "Wakeup a domain that was previously suspended by power management.",
    opts: &[Opt::DOMAIN],
    ..CmdDef::new(cmd_dompmwakeup)
};

/// `domlaunchsecinfo`.
pub const DOMLAUNCHSECINFO: CmdDef = CmdDef {
    name: "domlaunchsecinfo",
    help: "Get domain launch security info",
    desc: "Get the launch security parameters for a guest domain",
    opts: &[Opt::DOMAIN],
    ..CmdDef::new(cmd_domlaunchsecinfo)
};

/// `set-lifecycle-action`.
pub const SET_LIFECYCLE_ACTION: CmdDef = CmdDef {
    name: "set-lifecycle-action",
    help: "change lifecycle actions",
    desc: "Change lifecycle actions for the guest domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("type", OptKind::Data, "lifecycle type to modify").required(),
        Opt::new("action", OptKind::Data, "lifecycle action to set").required(),
        Opt::CONFIG,
        Opt::LIVE,
        Opt::CURRENT,
    ],
    ..CmdDef::new(cmd_set_lifecycle_action)
};

/// `domcontrol` (Domain Monitoring).
pub const DOMCONTROL: CmdDef = CmdDef {
    name: "domcontrol",
    help: "domain control interface state",
    desc: "Returns state of a control interface to the domain.",
    opts: &[Opt::DOMAIN],
    ..CmdDef::new(cmd_domcontrol)
};

/// `virNodeSuspendTarget` names as virsh takes them.
const SUSPEND_TARGETS: [&str; 3] = ["mem", "disk", "hybrid"];

fn cmd_dompmsuspend(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let duration = ctl.opt_ull(cmd, "duration")?.unwrap_or(0);
    let target = ctl.req_str(cmd, "target")?;
    let Some(target) = SUSPEND_TARGETS.iter().position(|t| *t == target) else {
        return ctl.fail("Invalid target");
    };
    if let Err(e) = dom.pm_suspend_for_duration(target as u32, duration, 0) {
        return ctl.lib_fail(e, &format!("Domain '{name}' could not be suspended"));
    }
    // virsh ends this line without a newline.
    ctl.print_extra(&format!("Domain '{name}' successfully suspended"));
    Ok(())
}

fn cmd_dompmwakeup(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    if let Err(e) = dom.pm_wakeup(0) {
        return ctl.lib_fail(e, &format!("Domain '{name}' could not be woken up"));
    }
    ctl.print_extra(&format!("Domain '{name}' successfully woken up"));
    Ok(())
}

fn cmd_inject_nmi(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    ctl.lib(dom.inject_nmi(0))
}

fn cmd_domlaunchsecinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let params = match dom.get_launch_security_info(0) {
        Ok(p) => p,
        Err(e) => return ctl.lib_fail(e, "Unable to get launch security parameters"),
    };
    for p in params {
        ctl.print(&format!("{:<15}: {}\n", p.field, typed_value(&p.value)));
    }
    Ok(())
}

fn cmd_set_lifecycle_action(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let mut flags = 0;
    if cmd.has("config") {
        flags |= 2;
    }
    if cmd.has("live") {
        flags |= 1;
    }
    let kind = ctl.req_str(cmd, "type")?;
    let action = ctl.req_str(cmd, "action")?;
    let Some(kind) = rvirt::flags::LIFECYCLE_TYPE_NAMES
        .iter()
        .position(|t| *t == kind)
    else {
        return ctl.fail(&format!("Invalid lifecycle type '{kind}'."));
    };
    let Some(action) = rvirt::flags::LIFECYCLE_ACTION_NAMES
        .iter()
        .position(|a| *a == action)
    else {
        return ctl.fail(&format!("Invalid lifecycle action '{action}'."));
    };
    let (dom, _) = ctl.domain(cmd)?;
    match dom.set_lifecycle_action(kind as u32, action as u32, flags) {
        Ok(()) => Ok(()),
        Err(e) => ctl.lib_fail(e, "Unable to change lifecycle action."),
    }
}

fn cmd_domcontrol(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let info = ctl.lib(dom.get_control_info(0))?;
    let state = ["ok", "background job", "occupied", "error"]
        .get(info.state as usize)
        .copied()
        .unwrap_or("unknown");
    // virDomainControlState: 0 ok, 3 error.
    if info.state != 0 && info.state != 3 {
        ctl.print(&format!(
            "{state} ({:.3}s)\n",
            info.state_time as f64 / 1000.0
        ));
    } else if info.state == 3 && info.details > 0 {
        let why = ["", "unknown", "monitor failure", "internal (locking) error"]
            .get(info.details as usize)
            .copied()
            .unwrap_or("unknown");
        ctl.print(&format!("{state}: {why}\n"));
    } else {
        ctl.print(&format!("{state}\n"));
    }
    Ok(())
}
