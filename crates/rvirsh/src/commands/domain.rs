//! Domain Management (help keyword `domain`): define, lifecycle, save/restore, XML, settings.

use crate::cmd::{CmdDef, Complete, Group, Opt, OptKind};
use crate::commands::monitor::description;
use crate::commands::{blockjob, device, job};
use crate::ctl::{BY_ID, BY_NAME, BY_UUID, CmdResult, Ctl, Failed, read_file};
use crate::json::Json;
use crate::parse::Cmd;
use rvirt::ErrorNumber;
use rvirt::blocking::Domain;
use rvirt::flags::{
    DomainCreateFlags, DomainDefineFlags, DomainDestroyFlags, DomainMemoryModFlags,
    DomainMetadataType, DomainModificationImpact as Impact, DomainRebootFlags,
    DomainSaveImageXMLFlags, DomainSaveRestoreFlags as Save, DomainShutdownFlags, DomainState,
    DomainUndefineFlags as U, DomainVcpuFlags as V, DomainXMLFlags,
};
use rvirt::snapshot_flags::DomainSnapshotListFlags;
use std::os::fd::BorrowedFd;

/// The group.
pub static GROUP: Group = Group {
    name: "Domain Management",
    keyword: "domain",
    commands: COMMANDS,
};

static COMMANDS: &[CmdDef] = &[
    device::ATTACH_DEVICE,
    device::ATTACH_DISK,
    device::ATTACH_INTERFACE,
    CmdDef {
        name: "autostart",
        help: "autostart a domain",
        desc: "Configure a domain to be automatically started at boot.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("disable", OptKind::Bool, "disable autostarting"),
        ],
        ..CmdDef::new(cmd_autostart)
    },
    super::tuning::BLKDEVIOTUNE,
    super::tuning::BLKIOTUNE,
    blockjob::BLOCKCOMMIT,
    blockjob::BLOCKJOB,
    blockjob::BLOCKPULL,
    device::CHANGE_MEDIA,
    CmdDef {
        name: "create",
        help: "create a domain from an XML file",
        desc: "Create a domain.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML domain description",
            )
            .required(),
            Opt::new("console", OptKind::Bool, "attach to console after creation"),
            Opt::new(
                "paused",
                OptKind::Bool,
                "leave the guest paused after creation",
            ),
            Opt::new(
                "autodestroy",
                OptKind::Bool,
                "automatically destroy the guest when virsh disconnects",
            ),
            Opt::new(
                "pass-fds",
                OptKind::String,
                "pass file descriptors N,M,... to the guest",
            ),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
            Opt::new(
                "reset-nvram",
                OptKind::Bool,
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        ..CmdDef::new(cmd_create)
    },
    CmdDef {
        name: "define",
        help: "define (but don't start) a domain from an XML file",
        desc: "Define a domain.",
        opts: &[
            Opt::new(
                "file",
                OptKind::Data,
                "file containing an XML domain description",
            )
            .required(),
            Opt::new(
                "validate",
                OptKind::Bool,
                "validate the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_define)
    },
    CmdDef {
        name: "desc",
        help: "show or set domain's description or title",
        desc: "Allows setting or modifying the description or title of a domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("live", OptKind::Bool, "modify/get running state"),
            Opt::new(
                "config",
                OptKind::Bool,
                "modify/get persistent configuration",
            ),
            Opt::new(
                "current",
                OptKind::Bool,
                "modify/get current state configuration",
            ),
            Opt::new(
                "title",
                OptKind::Bool,
                "modify/get the title instead of description",
            ),
            Opt::new(
                "edit",
                OptKind::Bool,
                "open an editor to modify the description",
            ),
            Opt::new("new-desc", OptKind::Argv, "message"),
        ],
        ..CmdDef::new(cmd_desc)
    },
    CmdDef {
        name: "destroy",
        help: "destroy (stop) a domain",
        desc: "Forcefully stop a given domain, but leave its resources intact.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("graceful", OptKind::Bool, "terminate gracefully"),
            Opt::new("remove-logs", OptKind::Bool, "remove domain logs"),
        ],
        ..CmdDef::new(cmd_destroy)
    },
    device::DETACH_DEVICE,
    device::DETACH_DEVICE_ALIAS,
    device::DETACH_DISK,
    device::DETACH_INTERFACE,
    CmdDef {
        name: "domdisplay",
        help: "domain display connection URI",
        desc: "Output the IP address and port number for the graphical display.",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain name, id or uuid")
                .required()
                .complete(Complete::Domain),
            Opt::new(
                "include-password",
                OptKind::Bool,
                "includes the password into the connection URI if available",
            ),
            Opt::new(
                "type",
                OptKind::String,
                "select particular graphical display (e.g. \"vnc\", \"spice\", \"rdp\", \"dbus\")",
            ),
            Opt::new("all", OptKind::Bool, "show all possible graphical displays"),
        ],
        ..CmdDef::new(cmd_domdisplay)
    },
    super::guest::DOMFSFREEZE,
    super::guest::DOMFSTHAW,
    super::guest::DOMFSINFO,
    super::guest::DOMFSTRIM,
    CmdDef {
        name: "domhostname",
        help: "print the domain's hostname",
        desc: "",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain name, id or uuid")
                .required()
                .complete(Complete::Domain),
            Opt::new(
                "source",
                OptKind::String,
                "address source: 'lease' or 'agent'",
            ),
        ],
        ..CmdDef::new(cmd_domhostname)
    },
    CmdDef {
        name: "domid",
        help: "convert a domain name or UUID to domain id",
        desc: "",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain name or uuid")
                .required()
                .complete(Complete::Domain),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domid)
    },
    device::DOMIF_SETLINK,
    super::tuning::DOMIFTUNE,
    job::DOMJOBABORT,
    job::DOMJOBINFO,
    super::guest::DOMLAUNCHSECINFO,
    CmdDef {
        name: "domname",
        help: "convert a domain id or UUID to domain name",
        desc: "",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain id or uuid").required(),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domname)
    },
    CmdDef {
        name: "domrename",
        help: "rename a domain",
        desc: "Rename an inactive domain.",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain name or uuid")
                .required()
                .complete(Complete::Domain),
            Opt::new("new-name", OptKind::Data, "new domain name").required(),
        ],
        ..CmdDef::new(cmd_domrename)
    },
    super::guest::DOMPMSUSPEND,
    super::guest::DOMPMWAKEUP,
    CmdDef {
        name: "domuuid",
        help: "convert a domain name or id to domain UUID",
        desc: "",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain id or name")
                .required()
                .complete(Complete::Domain),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_domuuid)
    },
    CmdDef {
        name: "domxml-to-native",
        help: "Convert domain XML to native config",
        desc: "Convert domain XML config to a native guest configuration format.",
        opts: &[
            Opt::new("format", OptKind::Data, "target config data type format").required(),
            Opt::new("domain", OptKind::String, "domain name, id or uuid")
                .named_only()
                .complete(Complete::Domain),
            Opt::new("xml", OptKind::String, "xml data file to export from"),
        ],
        ..CmdDef::new(cmd_domxml_to_native)
    },
    DUMP,
    CmdDef {
        name: "dumpxml",
        help: "domain information in XML",
        desc: "Output the domain information as an XML dump to stdout.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("inactive", OptKind::Bool, "show inactive defined XML"),
            Opt::new(
                "security-info",
                OptKind::Bool,
                "include security sensitive information in XML dump",
            ),
            Opt::new(
                "update-cpu",
                OptKind::Bool,
                "update guest CPU according to host CPU",
            ),
            Opt::new(
                "migratable",
                OptKind::Bool,
                "provide XML suitable for migrations",
            ),
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
        ..CmdDef::new(cmd_dumpxml)
    },
    CmdDef {
        name: "edit",
        help: "edit XML configuration for a domain",
        desc: "Edit the XML configuration for a domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "skip-validate",
                OptKind::Bool,
                "skip validation of the XML against the schema",
            ),
        ],
        ..CmdDef::new(cmd_edit)
    },
    super::guest::GET_USER_SSHKEYS,
    super::guest::INJECT_NMI,
    super::pin::IOTHREADINFO,
    super::pin::IOTHREADPIN,
    super::pin::IOTHREADADD,
    super::pin::IOTHREADSET,
    super::pin::IOTHREADDEL,
    SEND_KEY,
    SEND_PROCESS_SIGNAL,
    CmdDef {
        name: "managedsave",
        help: "managed save of a domain state",
        desc: "Save and destroy a running domain, so it can be restarted from\n    the same state at a later time.  When the virsh 'start'\n    command is next run for the domain, it will automatically\n    be started from this saved state.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "bypass-cache",
                OptKind::Bool,
                "avoid file system cache when saving",
            ),
            Opt::new(
                "running",
                OptKind::Bool,
                "set domain to be running on next start",
            ),
            Opt::new(
                "paused",
                OptKind::Bool,
                "set domain to be paused on next start",
            ),
            Opt::new("verbose", OptKind::Bool, "display the progress of save"),
        ],
        ..CmdDef::new(cmd_managedsave)
    },
    CmdDef {
        name: "managedsave-remove",
        help: "Remove managed save of a domain",
        desc: "Remove an existing managed save state file from a domain",
        opts: &[Opt::DOMAIN],
        ..CmdDef::new(cmd_managedsave_remove)
    },
    CmdDef {
        name: "managedsave-dumpxml",
        help: "Domain information of managed save state file in XML",
        desc: "Dump XML of domain information for a managed save state file to stdout.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "security-info",
                OptKind::Bool,
                "include security sensitive information in XML dump",
            ),
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
        ..CmdDef::new(cmd_managedsave_dumpxml)
    },
    super::tuning::MEMTUNE,
    super::tuning::PERF,
    CmdDef {
        name: "metadata",
        help: "show or set domain's custom XML metadata",
        desc: "Shows or modifies the XML metadata of a domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("uri", OptKind::Data, "URI of the namespace").required(),
            Opt::new("live", OptKind::Bool, "modify/get running state"),
            Opt::new(
                "config",
                OptKind::Bool,
                "modify/get persistent configuration",
            ),
            Opt::new(
                "current",
                OptKind::Bool,
                "modify/get current state configuration",
            ),
            Opt::new(
                "edit",
                OptKind::Bool,
                "use an editor to change the metadata",
            ),
            Opt::new(
                "key",
                OptKind::String,
                "key to be used as a namespace identifier",
            ),
            Opt::new("set", OptKind::String, "new metadata to set"),
            Opt::new(
                "remove",
                OptKind::Bool,
                "remove the metadata corresponding to an uri",
            ),
        ],
        ..CmdDef::new(cmd_metadata)
    },
    super::tuning::NUMATUNE,
    CmdDef {
        name: "qemu-monitor-command",
        help: "QEMU Monitor Command",
        desc: "QEMU Monitor Command",
        opts: &[
            Opt::DOMAIN,
            Opt::new("hmp", OptKind::Bool, "command is in human monitor protocol"),
            Opt::new(
                "pretty",
                OptKind::Bool,
                "pretty-print any qemu monitor protocol output",
            ),
            Opt::new(
                "return-value",
                OptKind::Bool,
                "extract the value of the 'return' key from the returned string",
            ),
            Opt::new(
                "pass-fds",
                OptKind::String,
                "pass file descriptors N,M,... along with the command",
            )
            .named_only(),
            Opt::new("cmd", OptKind::Argv, "command").required(),
        ],
        ..CmdDef::new(cmd_qemu_monitor_command)
    },
    CmdDef {
        name: "qemu-agent-command",
        help: "QEMU Guest Agent Command",
        desc: "Run an arbitrary qemu guest agent command; use at your own risk",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "timeout",
                OptKind::Int,
                "timeout seconds. must be positive.",
            )
            .named_only(),
            Opt::new(
                "async",
                OptKind::Bool,
                "execute command without waiting for timeout",
            ),
            Opt::new("block", OptKind::Bool, "execute command without timeout"),
            Opt::new("pretty", OptKind::Bool, "pretty-print the output"),
            Opt::new("cmd", OptKind::Argv, "command").required(),
        ],
        ..CmdDef::new(cmd_qemu_agent_command)
    },
    super::guest::GUEST_AGENT_TIMEOUT,
    CmdDef {
        name: "reboot",
        help: "reboot a domain",
        desc: "Run a reboot command in the target domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "mode",
                OptKind::String,
                "shutdown mode: acpi|agent|initctl|signal|paravirt",
            ),
        ],
        ..CmdDef::new(cmd_reboot)
    },
    CmdDef {
        name: "reset",
        help: "reset a domain",
        desc: "Reset the target domain as if by power button",
        opts: &[Opt::DOMAIN],
        ..CmdDef::new(cmd_reset)
    },
    CmdDef {
        name: "restore",
        help: "restore a domain from a saved state in a file",
        desc: "Restore a domain.",
        opts: &[
            Opt::new("file", OptKind::Data, "the state to restore").required(),
            Opt::new(
                "bypass-cache",
                OptKind::Bool,
                "avoid file system cache when restoring",
            ),
            Opt::new(
                "xml",
                OptKind::String,
                "filename containing updated XML for the target",
            ),
            Opt::new(
                "running",
                OptKind::Bool,
                "restore domain into running state",
            ),
            Opt::new("paused", OptKind::Bool, "restore domain into paused state"),
            Opt::new(
                "reset-nvram",
                OptKind::Bool,
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        ..CmdDef::new(cmd_restore)
    },
    CmdDef {
        name: "resume",
        help: "resume a domain",
        desc: "Resume a previously suspended domain.",
        opts: &[Opt::DOMAIN],
        ..CmdDef::new(cmd_resume)
    },
    CmdDef {
        name: "save",
        help: "save a domain state to a file",
        desc: "Save the RAM state of a running domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("file", OptKind::Data, "where to save the data").required(),
            Opt::new(
                "bypass-cache",
                OptKind::Bool,
                "avoid file system cache when saving",
            ),
            Opt::new(
                "xml",
                OptKind::String,
                "filename containing updated XML for the target",
            ),
            Opt::new(
                "running",
                OptKind::Bool,
                "set domain to be running on restore",
            ),
            Opt::new(
                "paused",
                OptKind::Bool,
                "set domain to be paused on restore",
            ),
            Opt::new("verbose", OptKind::Bool, "display the progress of save"),
        ],
        ..CmdDef::new(cmd_save)
    },
    CmdDef {
        name: "save-image-define",
        help: "redefine the XML for a domain's saved state file",
        desc: "Replace the domain XML associated with a saved state file",
        opts: &[
            Opt::new("file", OptKind::Data, "saved state file to modify").required(),
            Opt::new(
                "xml",
                OptKind::Data,
                "filename containing updated XML for the target",
            )
            .required(),
            Opt::new(
                "running",
                OptKind::Bool,
                "set domain to be running on restore",
            ),
            Opt::new(
                "paused",
                OptKind::Bool,
                "set domain to be paused on restore",
            ),
        ],
        ..CmdDef::new(cmd_save_image_define)
    },
    CmdDef {
        name: "save-image-dumpxml",
        help: "saved state domain information in XML",
        desc: "Dump XML of domain information for a saved state file to stdout.",
        opts: &[
            Opt::new("file", OptKind::Data, "saved state file to read").required(),
            Opt::new(
                "security-info",
                OptKind::Bool,
                "include security sensitive information in XML dump",
            ),
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
        ..CmdDef::new(cmd_save_image_dumpxml)
    },
    super::tuning::SCHEDINFO,
    CmdDef {
        name: "screenshot",
        help: "take a screenshot of a current domain console and store it into a file",
        desc: "screenshot of a current domain console",
        opts: &[
            Opt::new("domain", OptKind::Data, "domain name, id or uuid")
                .required()
                .complete(Complete::Domain),
            Opt::new("file", OptKind::String, "where to store the screenshot"),
            Opt::new(
                "screen",
                OptKind::Int,
                "ID of a screen to take screenshot of",
            ),
        ],
        ..CmdDef::new(cmd_screenshot)
    },
    super::guest::SET_LIFECYCLE_ACTION,
    super::guest::SET_USER_SSHKEYS,
    super::guest::SET_USER_PASSWORD,
    CmdDef {
        name: "setmaxmem",
        help: "change maximum memory limit",
        desc: "Change the maximum memory allocation limit in the guest domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("kilobytes", OptKind::Alias, "size"),
            Opt::new(
                "size",
                OptKind::Int,
                "new maximum memory size, as scaled integer (default KiB)",
            )
            .required(),
            Opt::CONFIG,
            Opt::LIVE,
            Opt::CURRENT,
        ],
        ..CmdDef::new(cmd_setmaxmem)
    },
    CmdDef {
        name: "setmem",
        help: "change memory allocation",
        desc: "Change the current memory allocation in the guest domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("kilobytes", OptKind::Alias, "size"),
            Opt::new(
                "size",
                OptKind::Int,
                "new memory size, as scaled integer (default KiB)",
            )
            .required(),
            Opt::CONFIG,
            Opt::LIVE,
            Opt::CURRENT,
        ],
        ..CmdDef::new(cmd_setmem)
    },
    CmdDef {
        name: "setvcpus",
        help: "change number of virtual CPUs",
        desc: "Change the number of virtual CPUs in the guest domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("count", OptKind::Int, "number of virtual CPUs").required(),
            Opt::new("maximum", OptKind::Bool, "set maximum limit on next boot"),
            Opt::CONFIG,
            Opt::LIVE,
            Opt::CURRENT,
            Opt::new("guest", OptKind::Bool, "modify cpu state in the guest"),
            Opt::new(
                "hotpluggable",
                OptKind::Bool,
                "make added vcpus hot(un)pluggable",
            ),
        ],
        ..CmdDef::new(cmd_setvcpus)
    },
    CmdDef {
        name: "shutdown",
        help: "gracefully shutdown a domain",
        desc: "Run shutdown in the target domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "mode",
                OptKind::String,
                "shutdown mode: acpi|agent|initctl|signal|paravirt",
            ),
        ],
        ..CmdDef::new(cmd_shutdown)
    },
    CmdDef {
        name: "start",
        help: "start a (previously defined) inactive domain",
        desc: "Start a domain, either from the last managedsave\n    state, or via a fresh boot if no managedsave state\n    is present.",
        opts: &[
            Opt::new("domain", OptKind::Data, "name of the inactive domain")
                .required()
                .complete(Complete::Domain),
            Opt::new("console", OptKind::Bool, "attach to console after creation"),
            Opt::new(
                "paused",
                OptKind::Bool,
                "leave the guest paused after creation",
            ),
            Opt::new(
                "autodestroy",
                OptKind::Bool,
                "automatically destroy the guest when virsh disconnects",
            ),
            Opt::new(
                "bypass-cache",
                OptKind::Bool,
                "avoid file system cache when loading",
            ),
            Opt::new(
                "force-boot",
                OptKind::Bool,
                "force fresh boot by discarding any managed save",
            ),
            Opt::new(
                "pass-fds",
                OptKind::String,
                "pass file descriptors N,M,... to the guest",
            ),
            Opt::new(
                "reset-nvram",
                OptKind::Bool,
                "re-initialize NVRAM from its pristine template",
            ),
        ],
        ..CmdDef::new(cmd_start)
    },
    CmdDef {
        name: "suspend",
        help: "suspend a domain",
        desc: "Suspend a running domain.",
        opts: &[Opt::DOMAIN],
        ..CmdDef::new(cmd_suspend)
    },
    CmdDef {
        name: "undefine",
        help: "undefine a domain",
        desc: "Undefine an inactive domain, or convert persistent to transient.",
        opts: &[
            Opt::DOMAIN,
            Opt::new(
                "managed-save",
                OptKind::Bool,
                "remove domain managed state file",
            ),
            Opt::new(
                "storage",
                OptKind::String,
                "remove associated storage volumes (comma separated list of targets or source paths) (see domblklist)",
            ),
            Opt::new(
                "remove-all-storage",
                OptKind::Bool,
                "remove all associated storage volumes (use with caution)",
            ),
            Opt::new(
                "delete-snapshots",
                OptKind::Alias,
                "delete-storage-volume-snapshots",
            ),
            Opt::new(
                "delete-storage-volume-snapshots",
                OptKind::Bool,
                "delete snapshots associated with volume(s), requires --remove-all-storage (must be supported by storage driver)",
            ),
            Opt::new(
                "wipe-storage",
                OptKind::Bool,
                "wipe data on the removed volumes",
            ),
            Opt::new(
                "snapshots-metadata",
                OptKind::Bool,
                "remove all domain snapshot metadata (vm must be inactive)",
            ),
            Opt::new(
                "checkpoints-metadata",
                OptKind::Bool,
                "remove all domain checkpoint metadata (vm must be inactive)",
            ),
            Opt::new("nvram", OptKind::Bool, "remove nvram file"),
            Opt::new("keep-nvram", OptKind::Bool, "keep nvram file"),
            Opt::new("tpm", OptKind::Bool, "remove TPM state"),
            Opt::new("keep-tpm", OptKind::Bool, "keep TPM state"),
        ],
        ..CmdDef::new(cmd_undefine)
    },
    device::UPDATE_DEVICE,
    CmdDef {
        name: "vcpucount",
        help: "domain vcpu counts",
        desc: "Returns the number of virtual CPUs used by the domain.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("maximum", OptKind::Bool, "get maximum count of vcpus"),
            Opt::new(
                "active",
                OptKind::Bool,
                "get number of currently active vcpus",
            ),
            Opt::new("live", OptKind::Bool, "get value from running domain"),
            Opt::new("config", OptKind::Bool, "get value to be used on next boot"),
            Opt::new(
                "current",
                OptKind::Bool,
                "get value according to current domain state",
            ),
            Opt::new(
                "guest",
                OptKind::Bool,
                "retrieve vcpu count from the guest instead of the hypervisor",
            ),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_vcpucount)
    },
    CmdDef {
        name: "vcpuinfo",
        help: "detailed domain vcpu information",
        desc: "Returns basic information about the domain virtual CPUs.",
        opts: &[
            Opt::DOMAIN,
            Opt::new("pretty", OptKind::Bool, "return human readable output"),
            Opt::json(),
        ],
        ..CmdDef::new(cmd_vcpuinfo)
    },
    super::pin::VCPUPIN,
    super::pin::EMULATORPIN,
    CmdDef {
        name: "vncdisplay",
        help: "vnc display",
        desc: "Output the IP address and port number for the VNC display.",
        opts: &[Opt::new("domain", OptKind::Data, "domain name, id or uuid")
            .required()
            .complete(Complete::Domain)],
        ..CmdDef::new(cmd_vncdisplay)
    },
    super::guest::GUESTVCPUS,
    super::guest::GUESTINFO,
];

fn cmd_autostart(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let on = !cmd.has("disable");
    if let Err(e) = dom.set_autostart(on) {
        let what = if on { "mark" } else { "unmark" };
        return ctl.lib_fail(
            e,
            &format!("Failed to {what} domain '{name}' as autostarted"),
        );
    }
    let what = if on { "marked" } else { "unmarked" };
    ctl.print_extra(&format!("Domain '{name}' {what} as autostarted\n"));
    Ok(())
}

/// virsh's `--pass-fds N,M,...`: descriptors of this process to hand to the guest. Each must be
/// open here (libvirt would fail to duplicate it when it goes over the wire).
fn pass_fds(ctl: &mut Ctl, cmd: &Cmd) -> Result<Vec<BorrowedFd<'static>>, Failed> {
    let Some(list) = cmd.value("pass-fds") else {
        return Ok(Vec::new());
    };
    let mut fds = Vec::new();
    for item in list.split(',') {
        let Ok(fd) = item.parse::<i32>() else {
            return ctl.fail(&format!("Unable to parse FD number '{item}'"));
        };
        // SAFETY: fcntl(F_GETFD) only asks whether `fd` is an open descriptor of this process.
        if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            let e = std::io::Error::from_raw_os_error(libc::EBADF);
            return ctl.fail(&format!("Unable to duplicate FD {fd}: {e}"));
        }
        // SAFETY: `fd` is open (checked above) and rvirsh never closes descriptors it did not
        // open, so it stays open for the rest of the process.
        fds.push(unsafe { BorrowedFd::borrow_raw(fd) });
    }
    Ok(fds)
}

fn cmd_create(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let xml = ctl.lib(read_file(from))?;
    let fds = pass_fds(ctl, cmd)?;
    let mut flags = DomainCreateFlags::empty();
    for (o, f) in [
        ("paused", DomainCreateFlags::START_PAUSED),
        ("autodestroy", DomainCreateFlags::START_AUTODESTROY),
        ("validate", DomainCreateFlags::START_VALIDATE),
        ("reset-nvram", DomainCreateFlags::START_RESET_NVRAM),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let conn = ctl.conn()?;
    let r = if fds.is_empty() {
        conn.create_xml(&xml, flags)
    } else {
        conn.create_xml_with_files(&xml, &fds, flags)
    };
    match r {
        Ok(d) => {
            ctl.print_extra(&format!("Domain '{}' created from {from}\n", d.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to create domain from {from}")),
    }
}

/// virshDomainDefine: with flags when there are any, dropping VALIDATE when the driver does
/// not know it.
fn define(ctl: &mut Ctl, xml: &str, flags: DomainDefineFlags) -> rvirt::Result<Domain> {
    let conn = ctl
        .conn()
        .map_err(|_| rvirt::Error::internal(rvirt::ErrorDomain::NONE, "no connection"))?
        .clone();
    if flags.is_empty() {
        return conn.define_xml(xml);
    }
    match conn.define_xml_flags(xml, flags) {
        Err(e) if e.code == ErrorNumber::NO_SUPPORT && flags == DomainDefineFlags::VALIDATE => {
            conn.define_xml(xml)
        }
        r => r,
    }
}

fn cmd_define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let flags = if cmd.has("validate") {
        DomainDefineFlags::VALIDATE
    } else {
        DomainDefineFlags::empty()
    };
    let xml = ctl.lib(read_file(from))?;
    match define(ctl, &xml, flags) {
        Ok(d) => {
            ctl.print_extra(&format!("Domain '{}' defined from {from}\n", d.get_name()));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to define domain from {from}")),
    }
}

fn cmd_desc(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let (config, live, title, edit) = (
        cmd.has("config"),
        cmd.has("live"),
        cmd.has("title"),
        cmd.has("edit"),
    );
    let mut flags = Impact::empty();
    if config {
        flags |= Impact::CONFIG;
    }
    if live {
        flags |= Impact::LIVE;
    }
    // Reads take the inactive definition with --config (virsh's queryflags).
    let query = if config {
        Impact::CONFIG
    } else {
        Impact::empty()
    };
    let (dom, _) = ctl.domain(cmd)?;
    let r = dom.get_state(0);
    ctl.lib(r)?;
    let kind = if title {
        DomainMetadataType::TITLE
    } else {
        DomainMetadataType::DESCRIPTION
    };
    let args = cmd.argv();
    let arg = (!args.is_empty()).then(|| args.join(" "));
    if edit || arg.is_some() {
        let current = description(ctl, &dom, title, query)?;
        let new = if edit {
            let start = arg.unwrap_or_else(|| current.clone());
            let mut edited = edit_text(ctl, &start)?;
            if title && edited.ends_with('\n') {
                edited.pop();
            }
            if edited == current {
                let what = if title { "title" } else { "description" };
                ctl.print_extra(&format!("Domain {what} not changed\n"));
                return Ok(());
            }
            edited
        } else {
            arg.unwrap_or_default()
        };
        if let Err(e) = dom.set_metadata(kind, Some(&new), None, None, flags) {
            let what = if title { "title" } else { "description" };
            return ctl.lib_fail(e, &format!("Failed to set new domain {what}"));
        }
        let what = if title { "title" } else { "description" };
        ctl.print_extra(&format!("Domain {what} updated successfully"));
    } else {
        let d = description(ctl, &dom, title, query)?;
        if !d.is_empty() {
            ctl.print(&d);
        } else {
            let what = if title { "title" } else { "description" };
            ctl.print_extra(&format!("No {what} for domain: {}", dom.get_name()));
        }
    }
    Ok(())
}

fn cmd_destroy(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let mut flags = DomainDestroyFlags::empty();
    if cmd.has("graceful") {
        flags |= DomainDestroyFlags::GRACEFUL;
    }
    if cmd.has("remove-logs") {
        flags |= DomainDestroyFlags::REMOVE_LOGS;
    }
    let r = if flags.is_empty() {
        dom.destroy()
    } else {
        dom.destroy_flags(flags)
    };
    if let Err(e) = r {
        return ctl.lib_fail(e, &format!("Failed to destroy domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' destroyed\n"));
    Ok(())
}

fn cmd_domid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain_by(cmd, BY_NAME | BY_UUID)?;
    let id = dom.get_id();
    if cmd.has("json") {
        let j = Json::obj([("id", if id < 0 { Json::Null } else { Json::from(id) })]);
        ctl.print(&j.line());
    } else if id < 0 {
        ctl.print("-\n");
    } else {
        ctl.print(&format!("{id}\n"));
    }
    Ok(())
}

fn cmd_domname(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain_by(cmd, BY_ID | BY_UUID)?;
    if cmd.has("json") {
        ctl.print(&Json::obj([("name", Json::from(dom.get_name()))]).line());
    } else {
        ctl.print(&format!("{}\n", dom.get_name()));
    }
    Ok(())
}

fn cmd_domuuid(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain_by(cmd, BY_NAME | BY_ID)?;
    if cmd.has("json") {
        ctl.print(&Json::obj([("uuid", Json::from(dom.get_uuid_string()))]).line());
    } else {
        ctl.print(&format!("{}\n", dom.get_uuid_string()));
    }
    Ok(())
}

/// virsh's `domdisplay`: the URI of the first (or, with `--all`, every) graphical display of
/// the running domain, scheme by scheme (vnc, spice, rdp), as virsh builds it.
fn cmd_domdisplay(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let all = cmd.has("all");
    if all && cmd.has("type") {
        return ctl.fail("Options --all and --type are mutually exclusive");
    }
    let (dom, _) = ctl.domain(cmd)?;
    if !dom.is_active().unwrap_or(false) {
        return ctl.fail("Domain is not running");
    }
    let flags = if cmd.has("include-password") {
        rvirt::flags::DomainXMLFlags::SECURE
    } else {
        rvirt::flags::DomainXMLFlags::empty()
    };
    let ty = ctl.opt_str(cmd, "type")?.map(str::to_string);
    let xml = match dom.get_xml_desc(flags) {
        Ok(x) => x,
        Err(e) => return ctl.lib_fail(e, "Failed to get domain XML"),
    };
    let Ok(doc) = roxmltree::Document::parse(&xml) else {
        return ctl.fail("Failed to parse domain XML");
    };
    let server = ctl.conn()?.get_uri().ok().and_then(|u| uri_server(&u));
    let mut found = false;
    let mut out = String::new();
    for scheme in ["vnc", "spice", "rdp"] {
        if !all && ty.as_deref().is_some_and(|t| t != scheme) {
            continue;
        }
        let Some(display) = one_display(&doc, scheme, server.as_deref()) else {
            continue;
        };
        out.push_str(&display);
        found = true;
        if !all {
            break;
        }
        out.push('\n');
    }
    if !found {
        return match ty {
            Some(t) => ctl.fail(&format!("No graphical display with type '{t}' found")),
            None => ctl.fail("No graphical display found"),
        };
    }
    ctl.print(&out);
    Ok(())
}

/// The host part of a connection URI (`qemu+ssh://host/system` -> `host`), if it has one.
fn uri_server(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(h) => h.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_string())
}

/// virshGetOneDisplay: the URI of the first `<graphics type=scheme>`, if it has a port or a
/// socket.
fn one_display(doc: &roxmltree::Document, scheme: &str, server: Option<&str>) -> Option<String> {
    let g = doc.descendants().find(|n| {
        n.has_tag_name("graphics")
            && n.attribute("type") == Some(scheme)
            && n.parent().is_some_and(|p| p.has_tag_name("devices"))
    })?;
    let int = |a: &str| {
        g.attribute(a)
            .and_then(|v| v.trim().parse::<i32>().ok())
            .unwrap_or(0)
    };
    let (mut port, tls_port) = (int("port"), int("tlsPort"));
    let listen_child = g.children().find(|c| c.has_tag_name("listen"));
    let sockpath = listen_child
        .filter(|l| l.attribute("type") == Some("socket"))
        .and_then(|l| l.attribute("socket"))
        .map(str::to_string);
    if port == 0 && tls_port == 0 && sockpath.is_none() {
        return None;
    }
    let listen = match g.attribute("listen") {
        None => listen_child
            .and_then(|l| l.attribute("address"))
            .map(str::to_string),
        Some(a) => match a.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_unspecified() => server.map(str::to_string),
            _ => Some(a.to_string()),
        },
    };
    let passwd = g.attribute("passwd");
    let mut uri = if sockpath.is_some() {
        format!("{scheme}+unix://")
    } else {
        format!("{scheme}://")
    };
    if scheme == "vnc"
        && let Some(p) = passwd
    {
        uri.push_str(&format!(":{p}@"));
    }
    match (&sockpath, &listen) {
        (Some(s), _) => uri.push_str(s),
        (None, None) => uri.push_str("localhost"),
        (None, Some(l)) if l.contains(':') => uri.push_str(&format!("[{l}]")),
        (None, Some(l)) => uri.push_str(l),
    }
    if port != 0 {
        if scheme == "vnc" {
            port -= 5900;
        }
        uri.push_str(&format!(":{port}"));
    }
    uri.push('?');
    if tls_port != 0 {
        uri.push_str(&format!("tls-port={tls_port}&"));
    }
    if scheme == "spice"
        && let Some(p) = passwd
    {
        uri.push_str(&format!("password={p}&"));
    }
    uri.pop();
    Some(uri)
}

/// virsh's `vncdisplay`: `[ADDRESS]:DISPLAY` of the running domain's VNC server, from its live
/// XML (an address of 0.0.0.0 or none printed as nothing).
fn cmd_vncdisplay(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    if !dom.is_active().unwrap_or(false) {
        return ctl.fail("Domain is not running");
    }
    let xml = match dom.get_xml_desc(rvirt::flags::DomainXMLFlags::empty()) {
        Ok(x) => x,
        Err(e) => return ctl.lib_fail(e, "Failed to get domain XML"),
    };
    let Ok(doc) = roxmltree::Document::parse(&xml) else {
        return ctl.fail("Failed to parse domain XML");
    };
    // The first VNC <graphics>, as virsh's XPath takes it.
    let vnc = doc
        .descendants()
        .find(|n| n.has_tag_name("graphics") && n.attribute("type") == Some("vnc"));
    let port = vnc
        .and_then(|g| g.attribute("port"))
        .and_then(|p| p.trim().parse::<i32>().ok());
    let Some(port) = port else {
        return ctl.fail("Failed to get VNC port. Is this domain using VNC?");
    };
    let listen = vnc.and_then(|g| {
        g.attribute("listen").map(str::to_string).or_else(|| {
            g.children()
                .find(|c| c.has_tag_name("listen"))
                .and_then(|l| l.attribute("address"))
                .map(str::to_string)
        })
    });
    let host = match listen.as_deref() {
        None | Some("0.0.0.0") => "",
        Some(a) => a,
    };
    ctl.print(&format!("{host}:{}\n", port - 5900));
    Ok(())
}

/// virsh's `domhostname`: the guest's host name from the driver's default source, the guest
/// agent or the DHCP leases.
fn cmd_domhostname(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use rvirt::flags::DomainGetHostnameFlags as F;
    let (dom, _) = ctl.domain(cmd)?;
    let flags = match ctl.opt_str(cmd, "source")? {
        None => F::empty(),
        Some("agent") => F::AGENT,
        Some("lease") => F::LEASE,
        Some(other) => return ctl.fail(&format!("Unknown data source '{other}'")),
    };
    match dom.get_hostname(flags) {
        Ok(h) => {
            ctl.print(&format!("{h}\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, "failed to get hostname"),
    }
}

fn cmd_domrename(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let new = ctl.req_str(cmd, "new-name")?;
    let r = dom.rename(new, 0);
    ctl.lib(r)?;
    ctl.print_extra("Domain successfully renamed\n");
    Ok(())
}

/// virsh's `screenshot`: the image into `--file` (made, or emptied when it exists), or into
/// `DOMAIN-YYYY-MM-DD-HH:MM:SS.png` (local time) in the current folder.
fn cmd_screenshot(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    use std::io::Write;
    let file = ctl.opt_str(cmd, "file")?.map(str::to_string);
    let screen = ctl.opt_uint(cmd, "screen")?.unwrap_or(0);
    let (dom, name) = ctl.domain(cmd)?;
    let st = ctl.conn()?.new_stream(0);
    let mime = match dom.screenshot(&st, screen, 0) {
        Ok(m) => m,
        Err(e) => return ctl.lib_fail(e, &format!("could not take a screenshot of {name}")),
    };
    let file = file.unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let stamp = crate::commands::moment::local_time(now);
        let ext = match mime.as_str() {
            "image/png" => ".png",
            "image/x-portable-pixmap" => ".ppm",
            _ => "",
        };
        format!(
            "{}-{}{ext}",
            dom.get_name(),
            stamp.get(..19).unwrap_or_default().replacen(' ', "-", 1)
        )
    });
    let (mut out, created) = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
    {
        Ok(f) => (f, true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&file)
            {
                Ok(f) => (f, false),
                Err(_) => return ctl.fail(&format!("cannot create file {file}")),
            }
        }
        Err(_) => return ctl.fail(&format!("cannot create file {file}")),
    };
    let result = (|| {
        let r = st.recv_all(|chunk| {
            out.write_all(chunk).map_err(|e| {
                rvirt::Error::system(rvirt::ErrorDomain::NONE, "cannot write to file", &e)
            })
        });
        if let Err(e) = r {
            return ctl.lib_fail(e, &format!("could not receive data from domain '{name}'"));
        }
        if out.sync_all().is_err() {
            return ctl.fail(&format!("cannot close file {file}"));
        }
        if let Err(e) = st.finish() {
            return ctl.lib_fail(e, &format!("cannot close stream on domain '{name}'"));
        }
        ctl.print_extra(&format!("Screenshot saved to {file}, with type of {mime}"));
        Ok(())
    })();
    if result.is_err() && created {
        let _ = std::fs::remove_file(&file);
    }
    result
}

fn cmd_domxml_to_native(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let format = ctl.req_str(cmd, "format")?;
    let xml_file = ctl.opt_str(cmd, "xml")?;
    ctl.exclusive(cmd, &[("domain", "xml")])?;
    let xml = if cmd.has("domain") {
        let (dom, _) = ctl.domain(cmd)?;
        let r = dom.get_xml_desc(DomainXMLFlags::empty());
        ctl.lib(r)?
    } else if let Some(file) = xml_file {
        ctl.lib(read_file(file))?
    } else {
        return ctl.fail("need either domain or domain XML");
    };
    let r = ctl.conn()?.domain_xml_to_native(format, &xml, 0);
    let native = ctl.lib(r)?;
    ctl.print(&native);
    Ok(())
}

fn cmd_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = DomainXMLFlags::empty();
    for (o, f) in [
        ("inactive", DomainXMLFlags::INACTIVE),
        ("security-info", DomainXMLFlags::SECURE),
        ("update-cpu", DomainXMLFlags::UPDATE_CPU),
        ("migratable", DomainXMLFlags::MIGRATABLE),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    ctl.opt_str(cmd, "xpath")?;
    let r = dom.get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

/// Characters vsh lets through to the editor without a shell.
const EDITOR_SAFE: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_.:@";

/// vshEditWriteToTempFile + vshEditFile + vshEditReadBackFile: `text` through $VISUAL/$EDITOR.
pub fn edit_text(ctl: &mut Ctl, text: &str) -> Result<String, Failed> {
    let dir = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
    let path = temp_xml_path(&dir);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let written = file.and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return ctl.fail(&format!(
            "g_mkstemp_full: failed to create temporary file: {}",
            crate::commands::virsh::rvirt_io_text(&e)
        ));
    }
    let r = run_editor(ctl, &path);
    let back = r.and_then(|()| match std::fs::read(&path) {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Err(e) => ctl.fail(&format!(
            "{path}: failed to read temporary file: {}",
            crate::commands::virsh::rvirt_io_text(&e)
        )),
    });
    let _ = std::fs::remove_file(&path);
    back
}

/// `DIR/virshXXXXXX.xml` with a name nobody has.
fn temp_xml_path(dir: &str) -> String {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
        ^ std::process::id().rotate_left(16);
    let mut n = seed;
    let chars: Vec<char> = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        .chars()
        .collect();
    let suffix: String = (0..6)
        .map(|_| {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
            chars[(n >> 16) as usize % chars.len()]
        })
        .collect();
    format!("{dir}/virsh{suffix}.xml")
}

fn run_editor(ctl: &mut Ctl, path: &str) -> CmdResult {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "sensible-editor".into());
    ctl.flush();
    let safe = |s: &str| s.chars().all(|c| EDITOR_SAFE.contains(c));
    let mut command = if safe(&editor) {
        let mut c = std::process::Command::new(&editor);
        c.arg(path);
        c
    } else {
        if !safe(path) {
            return ctl.fail(&format!(
                "{path}: temporary filename contains shell meta or other unacceptable characters (is $TMPDIR wrong?)"
            ));
        }
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(format!("{editor} {path}"));
        c
    };
    match command.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => {
            let shown = format!("{editor} {path}");
            let detail = match s.code() {
                Some(c) => format!("Child process ({shown}) unexpected exit status {c}"),
                None => format!("Child process ({shown}) unexpected fatal signal"),
            };
            ctl.last_error = Some(rvirt::Error::internal(rvirt::ErrorDomain::NONE, detail));
            Err(Failed)
        }
        Err(e) => {
            ctl.last_error = Some(rvirt::Error::system(
                rvirt::ErrorDomain::NONE,
                format!("Cannot find '{editor}' in path"),
                &e,
            ));
            Err(Failed)
        }
    }
}

/// vshAskReedit: on a terminal, asks whether to edit again. `None` when stdin is not a
/// terminal (the caller reports the failure).
pub(crate) fn ask_reedit(ctl: &mut Ctl, msg: &str, relax: bool) -> Option<u8> {
    // SAFETY: isatty only inspects the descriptor.
    if unsafe { libc::isatty(0) } != 1 {
        return None;
    }
    ctl.report_error();
    let choices = if relax { "[y,n,i,f,?]" } else { "[y,n,f,?]" };
    let raw = crate::shell::RawMode::enter();
    let c = loop {
        ctl.print(&format!("\r{msg} Try again? {choices}: "));
        ctl.flush();
        let mut b = [0u8; 1];
        // SAFETY: reading one byte into a valid buffer.
        let n = unsafe { libc::read(0, b.as_mut_ptr().cast(), 1) };
        if n != 1 {
            break b'n';
        }
        let c = b[0].to_ascii_lowercase();
        if c == b'?' {
            let mut help = String::from(
                "\r\ny - yes, start editor again\r\nn - no, throw away my changes\r\n",
            );
            if relax {
                help.push_str("i - turn off validation and try to redefine again\r\n");
            }
            help.push_str("f - force, try to redefine again\r\n? - print this help\r\n");
            ctl.print(&help);
            continue;
        }
        if matches!(c, b'y' | b'n' | b'f') || (relax && c == b'i') {
            break c;
        }
    };
    drop(raw);
    ctl.print("\r\n");
    Some(c)
}

fn cmd_edit(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let mut define_flags = if cmd.has("skip-validate") {
        DomainDefineFlags::empty()
    } else {
        DomainDefineFlags::VALIDATE
    };
    let query = DomainXMLFlags::SECURE | DomainXMLFlags::INACTIVE;
    let r = dom.get_xml_desc(query);
    let mut doc = ctl.lib(r)?;
    let mut relax = true;
    let mut edited = edit_text(ctl, &doc)?;
    if edited == doc {
        ctl.print_extra(&format!(
            "Domain '{}' XML configuration not changed.\n",
            dom.get_name()
        ));
        return Ok(());
    }
    loop {
        // Did someone else change it meanwhile?
        let r = dom.get_xml_desc(query);
        let reread = ctl.lib(r)?;
        let msg = if reread != doc {
            doc = reread;
            Some("The XML configuration was changed by another user.")
        } else {
            match define(ctl, &edited, define_flags) {
                Ok(d) => {
                    ctl.print_extra(&format!(
                        "Domain '{}' XML configuration edited.\n",
                        d.get_name()
                    ));
                    return Ok(());
                }
                Err(e) => {
                    ctl.last_error = Some(e);
                    Some("Failed.")
                }
            }
        };
        let Some(msg) = msg else { continue };
        match ask_reedit(ctl, msg, relax) {
            Some(b'y') => {
                edited = edit_text(ctl, &edited)?;
                if edited == doc {
                    ctl.print_extra(&format!(
                        "Domain '{}' XML configuration not changed.\n",
                        dom.get_name()
                    ));
                    return Ok(());
                }
            }
            Some(b'f') => {}
            Some(b'i') => {
                define_flags.remove(DomainDefineFlags::VALIDATE);
                relax = false;
            }
            Some(_) => return Err(Failed),
            None => return ctl.fail(msg),
        }
    }
}

/// Runs a save-like job; with `--verbose`, draws virsh's progress bar (the test driver's jobs
/// end at once, so only the final `[100 %]`).
fn job(
    ctl: &mut Ctl,
    verbose: bool,
    label: &str,
    f: impl FnOnce(&mut Ctl) -> CmdResult,
) -> CmdResult {
    if verbose && ctl.stdout_tty {
        crate::progress::draw(ctl, label, 0);
    }
    f(ctl)?;
    if verbose {
        crate::progress::draw(ctl, label, 100);
    }
    Ok(())
}

fn save_flags(cmd: &Cmd) -> Save {
    let mut flags = Save::empty();
    for (o, f) in [
        ("bypass-cache", Save::BYPASS_CACHE),
        ("running", Save::RUNNING),
        ("paused", Save::PAUSED),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    flags
}

fn cmd_managedsave(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let flags = save_flags(cmd);
    job(ctl, cmd.has("verbose"), "Managedsave", |ctl| {
        if let Err(e) = dom.managed_save(flags) {
            return ctl.lib_fail(e, &format!("Failed to save domain '{name}' state"));
        }
        Ok(())
    })?;
    ctl.print_extra(&format!("\nDomain '{name}' state saved by libvirt\n"));
    Ok(())
}

fn cmd_managedsave_remove(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let has = match dom.has_managed_save_image(0) {
        Ok(h) => h,
        Err(e) => return ctl.lib_fail(e, "Failed to check for domain managed save image"),
    };
    if !has {
        ctl.print_extra(&format!(
            "Domain '{name}' has no manage save image; removal skipped"
        ));
        return Ok(());
    }
    if let Err(e) = dom.managed_save_remove(0) {
        return ctl.lib_fail(
            e,
            &format!("Failed to remove managed save image for domain '{name}'"),
        );
    }
    ctl.print_extra(&format!("Removed managedsave image for domain '{name}'"));
    Ok(())
}

fn cmd_managedsave_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("security-info") {
        DomainSaveImageXMLFlags::SECURE
    } else {
        DomainSaveImageXMLFlags::empty()
    };
    let (dom, _) = ctl.domain(cmd)?;
    ctl.opt_str(cmd, "xpath")?;
    let r = dom.managed_save_get_xml_desc(flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

fn cmd_metadata(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(
        cmd,
        &[
            ("current", "live"),
            ("current", "config"),
            ("edit", "set"),
            ("remove", "set"),
            ("remove", "edit"),
        ],
    )?;
    let mut flags = Impact::empty();
    if cmd.has("config") {
        flags |= Impact::CONFIG;
    }
    if cmd.has("live") {
        flags |= Impact::LIVE;
    }
    let (dom, _) = ctl.domain(cmd)?;
    let uri = ctl.opt_str(cmd, "uri")?;
    let key = ctl.opt_str(cmd, "key")?;
    let set = ctl.opt_str(cmd, "set")?;
    let (edit, rem) = (cmd.has("edit"), cmd.has("remove"));
    if (set.is_some() || edit) && key.is_none() {
        return ctl.fail("namespace key is required when modifying metadata");
    }
    if set.is_some() || rem {
        let r = dom.set_metadata(DomainMetadataType::ELEMENT, set, key, uri, flags);
        ctl.lib(r)?;
        ctl.print_extra(if rem {
            "Metadata removed\n"
        } else {
            "Metadata modified\n"
        });
    } else if edit {
        let current = match dom.get_metadata(DomainMetadataType::ELEMENT, uri, flags) {
            Ok(s) => s,
            Err(e) if e.code == ErrorNumber::NO_DOMAIN_METADATA => String::new(),
            Err(e) => {
                ctl.last_error = Some(e);
                return Err(Failed);
            }
        };
        let edited = edit_text(ctl, &current)?;
        if edited == current {
            ctl.print_extra("Metadata not changed");
            return Ok(());
        }
        let r = dom.set_metadata(DomainMetadataType::ELEMENT, Some(&edited), key, uri, flags);
        ctl.lib(r)?;
        ctl.print_extra("Metadata modified\n");
    } else {
        let r = dom.get_metadata(DomainMetadataType::ELEMENT, uri, flags);
        let data = ctl.lib(r)?;
        ctl.print(&format!("{data}\n"));
    }
    Ok(())
}

/// The shutdown/reboot `--mode` list as flag bits.
fn modes(ctl: &mut Ctl, cmd: &Cmd, reboot: bool) -> Result<u32, Failed> {
    let Some(mode) = ctl.opt_str(cmd, "mode")? else {
        return Ok(0);
    };
    let mut flags = 0;
    for m in mode.split(',') {
        flags |= match m {
            "acpi" => 0x1,
            "agent" => 0x2,
            "initctl" => 0x4,
            "signal" => 0x8,
            "paravirt" => 0x10,
            _ => {
                let comma = if reboot { "" } else { "," };
                return ctl.fail(&format!(
                    "Unknown mode {m} value, expecting 'acpi', 'agent', 'initctl', 'signal'{comma} or 'paravirt'"
                ));
            }
        };
    }
    Ok(flags)
}

fn cmd_reboot(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = modes(ctl, cmd, true)?;
    let (dom, name) = ctl.domain(cmd)?;
    if let Err(e) = dom.reboot(DomainRebootFlags::from_bits_retain(flags)) {
        return ctl.lib_fail(e, &format!("Failed to reboot domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' is being rebooted\n"));
    Ok(())
}

fn cmd_reset(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    if let Err(e) = dom.reset(0) {
        return ctl.lib_fail(e, &format!("Failed to reset domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' was reset\n"));
    Ok(())
}

fn cmd_restore(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let from = ctl.req_str(cmd, "file")?;
    let mut flags = save_flags(cmd);
    if cmd.has("reset-nvram") {
        flags |= Save::RESET_NVRAM;
    }
    let xml = match ctl.opt_str(cmd, "xml")? {
        Some(f) => Some(ctl.lib(read_file(f))?),
        None => None,
    };
    let conn = ctl.conn()?.clone();
    let r = if !flags.is_empty() || xml.is_some() {
        conn.restore_flags(from, xml.as_deref(), flags)
    } else {
        conn.restore(from)
    };
    if let Err(e) = r {
        return ctl.lib_fail(e, &format!("Failed to restore domain from {from}"));
    }
    ctl.print_extra(&format!("Domain restored from {from}\n"));
    Ok(())
}

fn cmd_resume(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    if let Err(e) = dom.resume() {
        return ctl.lib_fail(e, &format!("Failed to resume domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' resumed\n"));
    Ok(())
}

/// `dump`.
const DUMP: CmdDef = CmdDef {
    name: "dump",
    help: "dump the core of a domain to a file for analysis",
    desc: "Core dump a domain.",
    opts: &[
        Opt::DOMAIN,
        Opt::new("file", OptKind::Data, "where to dump the core").required(),
        Opt::new(
            "live",
            OptKind::Bool,
            "perform a live core dump if supported",
        ),
        Opt::new("crash", OptKind::Bool, "crash the domain after core dump"),
        Opt::new(
            "bypass-cache",
            OptKind::Bool,
            "avoid file system cache when dumping",
        ),
        Opt::new("reset", OptKind::Bool, "reset the domain after core dump"),
        Opt::new("verbose", OptKind::Bool, "display the progress of dump"),
        Opt::new("memory-only", OptKind::Bool, "dump domain's memory only"),
        Opt::new(
            "format",
            OptKind::String,
            "specify the format of memory-only dump",
        ),
    ],
    ..CmdDef::new(cmd_dump)
};

/// `send-key`.
const SEND_KEY: CmdDef = CmdDef {
    name: "send-key",
    help: "Send keycodes to the guest",
    desc: "Send keycodes (integers or symbolic names) to the guest",
    opts: &[
        Opt::DOMAIN,
        Opt::new(
            "codeset",
            OptKind::String,
            "the codeset of keycodes, default:linux",
        )
        .named_only()
        .complete(Complete::Codeset),
        Opt::new(
            "holdtime",
            OptKind::Int,
            "the time (in milliseconds) how long the keys will be held",
        )
        .named_only(),
        Opt::new("keycode", OptKind::Argv, "the key code")
            .required()
            .complete(Complete::Keycode),
    ],
    ..CmdDef::new(cmd_send_key)
};

/// `send-process-signal`.
const SEND_PROCESS_SIGNAL: CmdDef = CmdDef {
    name: "send-process-signal",
    help: "Send signals to processes",
    desc: "Send signals to processes in the guest",
    opts: &[
        Opt::DOMAIN,
        Opt::new("pid", OptKind::Data, "the process ID").required(),
        Opt::new("signame", OptKind::Data, "the signal number or name").required(),
    ],
    ..CmdDef::new(cmd_send_process_signal)
};

/// `virDomainCoreDumpFormat` names as virsh spells them (raw is `elf`).
const DUMP_FORMATS: [&str; 5] = ["elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "win-dmp"];

fn cmd_dump(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let to = ctl.req_str(cmd, "file")?;
    let mut flags = 0;
    for (opt, bit) in [
        ("crash", 1),
        ("live", 2),
        ("bypass-cache", 4),
        ("reset", 8),
        ("memory-only", 16),
    ] {
        if cmd.has(opt) {
            flags |= bit;
        }
    }
    let mut format = 0;
    if cmd.has("format") {
        if flags & 16 == 0 {
            return ctl.fail("--format only works with --memory-only");
        }
        if let Some(f) = cmd.value("format").filter(|f| !f.is_empty()) {
            let Some(i) = DUMP_FORMATS.iter().position(|n| *n == f) else {
                return ctl.fail(&format!(
                    "format '{f}' is not supported, expecting 'kdump-zlib', 'kdump-lzo', \
                     'kdump-snappy', 'win-dmp' or 'elf'"
                ));
            };
            format = i as u32;
        }
    }
    job(ctl, cmd.has("verbose"), "Dump", |ctl| {
        let r = if format != 0 {
            dom.core_dump_with_format(to, format, flags)
        } else {
            dom.core_dump(to, flags)
        };
        match r {
            Ok(()) => Ok(()),
            Err(e) => ctl.lib_fail(e, &format!("Failed to core dump domain '{name}' to {to}")),
        }
    })?;
    ctl.print_extra(&format!("\nDomain '{name}' dumped to {to}\n"));
    Ok(())
}

/// The signals `send-process-signal` knows by name, by number (`virDomainProcessSignal`).
const SIGNALS: [&str; 33] = [
    "nop", "hup", "int", "quit", "ill", "trap", "abrt", "bus", "fpe", "kill", "usr1", "segv",
    "usr2", "pipe", "alrm", "term", "stkflt", "chld", "cont", "stop", "tstp", "ttin", "ttou",
    "urg", "xcpu", "xfsz", "vtalrm", "prof", "winch", "poll", "pwr", "sys", "rt0",
];

/// virsh's reading of a signal: a number, or a name (any case, with or without `sig`/`sig_`);
/// real-time signals are `rt0` to `rt32`.
fn signal_number(name: &str) -> Option<i32> {
    let lower = name.to_ascii_lowercase();
    if let Some(n) = crate::parse::c_number(&lower).and_then(|n| i32::try_from(n).ok()) {
        return Some(n);
    }
    let p = lower
        .strip_prefix("sig_")
        .or_else(|| lower.strip_prefix("sig"))
        .unwrap_or(&lower);
    if let Some(i) = SIGNALS.iter().position(|s| *s == p) {
        return Some(i as i32);
    }
    let rt: i32 = p.strip_prefix("rt")?.parse().ok()?;
    (p == format!("rt{rt}") && (0..=32).contains(&rt)).then_some(32 + rt)
}

fn cmd_send_key(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let codeset = ctl.opt_str(cmd, "codeset")?.unwrap_or("linux");
    let holdtime = ctl.opt_uint(cmd, "holdtime")?.unwrap_or(0);
    let Some(set) = rvirt_keycode::codeset_from_name(codeset) else {
        return ctl.fail(&format!("unknown codeset: '{codeset}'"));
    };
    let mut keycodes = Vec::new();
    for key in cmd.argv() {
        if keycodes.len() == rvirt::flags::SEND_KEY_MAX_KEYS {
            return ctl.fail("too many keycodes");
        }
        // A number (any base, up to 0xffff) or the name of a key of the codeset.
        let code = crate::parse::c_number_any_base(key)
            .filter(|n| (0..=0xffff).contains(n))
            .map(|n| n as u32)
            .or_else(|| rvirt_keycode::value_from_name(set, key).map(u32::from));
        let Some(code) = code else {
            return ctl.fail(&format!("invalid keycode: '{key}'"));
        };
        keycodes.push(code);
    }
    ctl.lib(dom.send_key(set.0 as u32, holdtime, &keycodes, 0))
}

fn cmd_send_process_signal(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let pid = ctl.opt_i64(cmd, "pid")?.unwrap_or(0);
    let signame = ctl.req_str(cmd, "signame")?;
    let Some(signum) = signal_number(signame).filter(|n| *n >= 0) else {
        return ctl.fail(&format!("malformed signal name: {signame}"));
    };
    ctl.lib(dom.send_process_signal(pid, signum as u32, 0))
}

fn cmd_save(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    let to = ctl.req_str(cmd, "file")?;
    let flags = save_flags(cmd);
    let xmlfile = ctl.opt_str(cmd, "xml")?;
    job(ctl, cmd.has("verbose"), "Save", |ctl| {
        let xml = match xmlfile {
            Some(f) => match read_file(f) {
                Ok(x) => Some(x),
                Err(e) => {
                    ctl.last_error = Some(e);
                    ctl.report_error();
                    return Err(Failed);
                }
            },
            None => None,
        };
        let r = if !flags.is_empty() || xml.is_some() {
            dom.save_flags(to, xml.as_deref(), flags)
        } else {
            dom.save(to)
        };
        if let Err(e) = r {
            return ctl.lib_fail(e, &format!("Failed to save domain '{name}' to {to}"));
        }
        Ok(())
    })?;
    ctl.print_extra(&format!("\nDomain '{name}' saved to {to}\n"));
    Ok(())
}

fn cmd_save_image_define(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let mut flags = Save::empty();
    if cmd.has("running") {
        flags |= Save::RUNNING;
    }
    if cmd.has("paused") {
        flags |= Save::PAUSED;
    }
    let file = ctl.req_str(cmd, "file")?;
    let xmlfile = ctl.req_str(cmd, "xml")?;
    let xml = ctl.lib(read_file(xmlfile))?;
    let r = ctl.conn()?.save_image_define_xml(file, &xml, flags);
    if let Err(e) = r {
        return ctl.lib_fail(e, &format!("Failed to update {file}"));
    }
    ctl.print_extra(&format!("State file {file} updated.\n"));
    Ok(())
}

fn cmd_save_image_dumpxml(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = if cmd.has("security-info") {
        DomainSaveImageXMLFlags::SECURE
    } else {
        DomainSaveImageXMLFlags::empty()
    };
    let file = ctl.req_str(cmd, "file")?;
    ctl.opt_str(cmd, "xpath")?;
    let r = ctl.conn()?.save_image_get_xml_desc(file, flags);
    let xml = ctl.lib(r)?;
    ctl.dump_xml(cmd, &xml)
}

/// The size option in KiB (vshCommandOptScaledInt, rounded up).
fn size_kib(ctl: &mut Ctl, cmd: &Cmd) -> Result<u64, Failed> {
    let bytes = ctl.opt_scaled(cmd, "size", 1024, u64::MAX)?.unwrap_or(0);
    Ok(bytes.div_ceil(1024))
}

fn cmd_setmaxmem(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let mut flags = DomainMemoryModFlags::MAXIMUM;
    if cmd.has("config") {
        flags |= DomainMemoryModFlags::CONFIG;
    }
    if cmd.has("live") {
        flags |= DomainMemoryModFlags::LIVE;
    }
    let (dom, _) = ctl.domain(cmd)?;
    let kib = size_kib(ctl, cmd)?;
    if let Err(e) = dom.set_memory_flags(kib, flags) {
        return ctl.lib_fail(e, "Unable to change MaxMemorySize");
    }
    Ok(())
}

fn cmd_setmem(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("current", "live"), ("current", "config")])?;
    let (config, live, current) = (cmd.has("config"), cmd.has("live"), cmd.has("current"));
    let mut flags = DomainMemoryModFlags::LIVE;
    if config || live || current {
        flags = DomainMemoryModFlags::empty();
        if config {
            flags |= DomainMemoryModFlags::CONFIG;
        }
        if live {
            flags |= DomainMemoryModFlags::LIVE;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let kib = size_kib(ctl, cmd)?;
    let r = dom.set_memory_flags(kib, flags);
    ctl.lib(r)
}

fn cmd_setvcpus(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(
        cmd,
        &[
            ("current", "live"),
            ("current", "config"),
            ("guest", "config"),
        ],
    )?;
    if cmd.has("maximum") && !cmd.has("config") {
        return ctl.fail("Option --maximum requires --config");
    }
    let mut flags = V::empty();
    for (o, f) in [
        ("config", V::CONFIG),
        ("live", V::LIVE),
        ("guest", V::GUEST),
        ("maximum", V::MAXIMUM),
        ("hotpluggable", V::HOTPLUGGABLE),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let count = ctl.opt_uint(cmd, "count")?.unwrap_or(0);
    if count == 0 {
        return ctl.fail("Can't set 0 processors for a VM");
    }
    let r = if !cmd.has("current") && flags.is_empty() {
        dom.set_vcpus(count)
    } else {
        dom.set_vcpus_flags(count, flags)
    };
    ctl.lib(r)
}

fn cmd_shutdown(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let flags = modes(ctl, cmd, false)?;
    let (dom, name) = ctl.domain(cmd)?;
    let r = if flags == 0 {
        dom.shutdown()
    } else {
        dom.shutdown_flags(DomainShutdownFlags::from_bits_retain(flags))
    };
    if let Err(e) = r {
        return ctl.lib_fail(e, &format!("Failed to shutdown domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' is being shutdown\n"));
    Ok(())
}

fn cmd_start(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain_by(cmd, BY_NAME | BY_UUID)?;
    if dom.get_id() >= 0 {
        return ctl.fail("Domain is already active");
    }
    let fds = pass_fds(ctl, cmd)?;
    let mut flags = DomainCreateFlags::empty();
    for (o, f) in [
        ("paused", DomainCreateFlags::START_PAUSED),
        ("autodestroy", DomainCreateFlags::START_AUTODESTROY),
        ("bypass-cache", DomainCreateFlags::START_BYPASS_CACHE),
        ("force-boot", DomainCreateFlags::START_FORCE_BOOT),
        ("reset-nvram", DomainCreateFlags::START_RESET_NVRAM),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let name = dom.get_name().to_string();
    let start = |flags: DomainCreateFlags| {
        if fds.is_empty() {
            dom.create_with_flags(flags)
        } else {
            dom.create_with_files(&fds, flags)
        }
    };
    if flags.contains(DomainCreateFlags::START_FORCE_BOOT) {
        match start(flags) {
            Ok(()) => {
                ctl.print_extra(&format!("Domain '{name}' started\n"));
                return Ok(());
            }
            Err(e) if e.code != ErrorNumber::NO_SUPPORT && e.code != ErrorNumber::INVALID_ARG => {
                ctl.last_error = Some(e);
                return Err(Failed);
            }
            Err(_) => {}
        }
        if dom.has_managed_save_image(0).unwrap_or(false) {
            let r = dom.managed_save_remove(0);
            ctl.lib(r)?;
        }
        flags.remove(DomainCreateFlags::START_FORCE_BOOT);
    }
    // The older calls unless files or flags need the newer ones, as virsh prefers them.
    let r = if fds.is_empty() && flags.is_empty() {
        dom.create()
    } else {
        start(flags)
    };
    if let Err(e) = r {
        return ctl.lib_fail(e, &format!("Failed to start domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' started\n"));
    Ok(())
}

fn cmd_suspend(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, name) = ctl.domain(cmd)?;
    if let Err(e) = dom.suspend() {
        return ctl.lib_fail(e, &format!("Failed to suspend domain '{name}'"));
    }
    ctl.print_extra(&format!("Domain '{name}' suspended\n"));
    Ok(())
}

fn cmd_undefine(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    if cmd.has("delete-storage-volume-snapshots") && !cmd.has("remove-all-storage") {
        return ctl.fail("Option --delete-storage-volume-snapshots requires --remove-all-storage");
    }
    ctl.exclusive(cmd, &[("nvram", "keep-nvram"), ("tpm", "keep-tpm")])?;
    let storage = cmd.value("storage").filter(|s| !s.is_empty());
    let remove_all = cmd.has("remove-all-storage");
    if storage.is_none() && !remove_all && cmd.has("wipe-storage") {
        return ctl
            .fail("'--wipe-storage' requires '--storage <string>' or '--remove-all-storage'");
    }
    let mut flags = U::empty();
    for (o, f) in [
        ("managed-save", U::MANAGED_SAVE),
        ("snapshots-metadata", U::SNAPSHOTS_METADATA),
        ("checkpoints-metadata", U::CHECKPOINTS_METADATA),
        ("nvram", U::NVRAM),
        ("keep-nvram", U::KEEP_NVRAM),
        ("tpm", U::TPM),
        ("keep-tpm", U::KEEP_TPM),
    ] {
        if cmd.has(o) {
            flags |= f;
        }
    }
    let (mut ms_safe, mut snap_safe) = (cmd.has("managed-save"), cmd.has("snapshots-metadata"));
    let (dom, name) = ctl.domain(cmd)?;
    let r = dom.is_active();
    let running = ctl.lib(r)?;
    let (mut has_ms, mut has_snaps, mut has_snap_meta) = (false, 0, 0);
    if !running {
        has_ms = match dom.has_managed_save_image(0) {
            Ok(h) => h,
            Err(e) if e.code == ErrorNumber::NO_SUPPORT => false,
            Err(e) => {
                ctl.last_error = Some(e);
                return Err(Failed);
            }
        };
        has_snaps = match dom.snapshot_num(DomainSnapshotListFlags::empty()) {
            Ok(n) => n,
            Err(e) if e.code == ErrorNumber::NO_SUPPORT => 0,
            Err(e) => {
                ctl.last_error = Some(e);
                return Err(Failed);
            }
        };
        if has_snaps > 0 {
            match dom.snapshot_num(DomainSnapshotListFlags::METADATA) {
                Ok(n) => {
                    has_snap_meta = n;
                    ms_safe = true;
                    snap_safe = true;
                }
                Err(_) => has_snap_meta = has_snaps,
            }
        }
    }
    if !has_ms {
        flags.remove(U::MANAGED_SAVE);
        ms_safe = true;
    }
    if has_snaps == 0 {
        snap_safe = true;
    }
    if has_snap_meta == 0 {
        flags.remove(U::SNAPSHOTS_METADATA);
        snap_safe = true;
    }
    if storage.is_some() || remove_all {
        if running {
            return ctl.fail("Storage volume deletion is supported only on stopped domains");
        }
        if storage.is_some() && remove_all {
            return ctl.fail("Specified both --storage and --remove-all-storage");
        }
        return ctl.fail("storage volume removal is not supported by rvirsh yet");
    }
    let mut result = None;
    if (ms_safe && snap_safe) || cmd.has("nvram") {
        match dom.undefine_flags(flags) {
            Ok(()) => result = Some(Ok(())),
            Err(e) if e.code != ErrorNumber::NO_SUPPORT && e.code != ErrorNumber::INVALID_ARG => {
                result = Some(Err(e))
            }
            Err(_) => {}
        }
    }
    let result = match result {
        Some(r) => r,
        None => {
            if has_ms {
                if !cmd.has("managed-save") {
                    return ctl.fail("Refusing to undefine while domain managed save image exists");
                }
                let r = dom.managed_save_remove(0);
                ctl.lib(r)?;
            }
            if has_snap_meta > 0 {
                return if cmd.has("snapshots-metadata") {
                    ctl.fail(&format!(
                        "Unable to remove metadata of {has_snap_meta} snapshots"
                    ))
                } else {
                    ctl.fail(&format!(
                        "Refusing to undefine while {has_snap_meta} snapshots exist"
                    ))
                };
            }
            dom.undefine()
        }
    };
    match result {
        Ok(()) => {
            ctl.print_extra(&format!("Domain '{name}' has been undefined\n"));
            Ok(())
        }
        Err(e) => ctl.lib_fail(e, &format!("Failed to undefine domain '{name}'")),
    }
}

/// virshCPUCountCollect: -1 when the state does not apply. Falls back to older calls where the
/// driver does not know the flags, as virsh does.
pub(super) fn cpu_count(
    ctl: &mut Ctl,
    dom: &Domain,
    mut flags: V,
    check_state: bool,
) -> Result<i32, Failed> {
    if check_state
        && ((flags.contains(V::LIVE) && !dom.is_active().unwrap_or(false))
            || (flags.contains(V::CONFIG) && !dom.is_persistent().unwrap_or(false)))
    {
        return Ok(-1);
    }
    let e = match dom.get_vcpus_flags(flags) {
        Ok(n) => return Ok(n),
        Err(e) => e,
    };
    if e.code != ErrorNumber::NO_SUPPORT && e.code != ErrorNumber::INVALID_ARG {
        ctl.last_error = Some(e);
        return Err(Failed);
    }
    if flags.contains(V::GUEST) {
        ctl.last_error = Some(e);
        return ctl.fail("Failed to retrieve vCPU count from the guest");
    }
    if !flags.intersects(V::LIVE | V::CONFIG) && dom.is_active().unwrap_or(false) {
        flags |= V::LIVE;
    }
    if flags.contains(V::LIVE) {
        let r = if flags.contains(V::MAXIMUM) {
            dom.get_max_vcpus()
        } else {
            dom.get_info().map(|i| i.nr_virt_cpu as i32)
        };
        return ctl.lib(r);
    }
    let r = dom.get_xml_desc(DomainXMLFlags::INACTIVE);
    let xml = ctl.lib(r)?;
    let vcpu = roxmltree::Document::parse(&xml).ok().and_then(|d| {
        let v = d
            .root_element()
            .children()
            .find(|c| c.has_tag_name("vcpu"))?;
        let max: i32 = v.text()?.trim().parse().ok()?;
        if flags.contains(V::MAXIMUM) {
            Some(max)
        } else {
            Some(
                v.attribute("current")
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(max),
            )
        }
    });
    match vcpu {
        Some(n) => Ok(n),
        None => Err(Failed),
    }
}

fn cmd_vcpucount(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (maximum, active, config, live, guest) = (
        cmd.has("maximum"),
        cmd.has("active"),
        cmd.has("config"),
        cmd.has("live"),
        cmd.has("guest"),
    );
    let mut current = cmd.has("current");
    let all = !(maximum || active || current || config || live || guest);
    if !maximum && !active && current {
        current = false;
    }
    for (a, b, na, nb) in [
        (live, config, "live", "config"),
        (current, live, "current", "live"),
        (current, config, "current", "config"),
        (active, maximum, "active", "maximum"),
        (guest, config, "guest", "config"),
    ] {
        if a && b {
            return ctl.fail(&format!("Options --{na} and --{nb} are mutually exclusive"));
        }
    }
    let mut flags = V::empty();
    for (on, f) in [
        (live, V::LIVE),
        (config, V::CONFIG),
        (maximum, V::MAXIMUM),
        (guest, V::GUEST),
    ] {
        if on {
            flags |= f;
        }
    }
    let (dom, _) = ctl.domain(cmd)?;
    let json = cmd.has("json");
    if all {
        let mut counts = Vec::new();
        for f in [
            V::CONFIG | V::MAXIMUM,
            V::LIVE | V::MAXIMUM,
            V::CONFIG,
            V::LIVE,
        ] {
            counts.push(cpu_count(ctl, &dom, f, true)?);
        }
        let labels = [
            ("maximum", "config"),
            ("maximum", "live"),
            ("current", "config"),
            ("current", "live"),
        ];
        if json {
            let f = labels
                .iter()
                .zip(&counts)
                .filter(|(_, n)| **n > 0)
                .map(|((w, s), n)| (*w, *s, *n));
            let mut obj: Vec<(String, Json)> = Vec::new();
            for (w, s, n) in f {
                obj.push((format!("{w}_{s}"), Json::from(n)));
            }
            ctl.print(&Json::Obj(obj).line());
            return Ok(());
        }
        let mut out = String::new();
        for ((w, s), n) in labels.iter().zip(counts) {
            if n > 0 {
                out.push_str(&format!("{w:<12} {s:<12} {n:>3}\n"));
            }
        }
        ctl.print(&out);
    } else {
        let n = cpu_count(ctl, &dom, flags, false)?;
        if n < 0 {
            return Err(Failed);
        }
        if json {
            ctl.print(&Json::obj([("count", Json::from(n))]).line());
        } else {
            ctl.print(&format!("{n}\n"));
        }
    }
    Ok(())
}

/// virshDomainVcpuStateToString.
fn vcpu_state(s: i32) -> &'static str {
    match s {
        0 => "offline",
        1 => "running",
        2 => "blocked",
        _ => "no state",
    }
}

/// One affinity line: `y-y-` or, with `--pretty`, `0,2 (out of 4)`.
fn affinity(map: &[u8], maxcpu: usize, pretty: bool) -> String {
    let mut s = format!("{:<15} ", "CPU Affinity:");
    if pretty {
        s.push_str(&format!(
            "{} (out of {maxcpu})",
            crate::commands::host::format_cpu_ranges(map, maxcpu)
        ));
    } else {
        for i in 0..maxcpu {
            let used = map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);
            s.push(if used { 'y' } else { '-' });
        }
    }
    s.push('\n');
    s
}

fn cmd_vcpuinfo(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain(cmd)?;
    let pretty = cmd.has("pretty");
    let r = ctl.conn()?.node_get_cpu_map(0);
    let maxcpu = ctl.lib(r)?.cpus as usize;
    let r = dom.get_info();
    let info = ctl.lib(r)?;
    let maplen = maxcpu.div_ceil(8);
    let (vcpus, maps) = match dom.get_vcpus(info.nr_virt_cpu.max(1) as i32, maplen as i32) {
        Ok(v) => v,
        Err(e) => {
            if info.state != DomainState::SHUTOFF {
                ctl.last_error = Some(e);
                return Err(Failed);
            }
            return vcpuinfo_inactive(ctl, &dom, info.nr_virt_cpu, maxcpu, pretty);
        }
    };
    if cmd.has("json") {
        let items = vcpus.iter().enumerate().map(|(n, v)| {
            let map = maps.get(n * maplen..(n + 1) * maplen).unwrap_or(&[]);
            let cpus: Vec<Json> = (0..maxcpu)
                .filter(|i| map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
                .map(|i| Json::from(i as u64))
                .collect();
            Json::obj([
                ("vcpu", Json::from(u64::from(v.number))),
                ("cpu", Json::from(v.cpu)),
                ("state", Json::from(vcpu_state(v.state))),
                ("cpu_time_ns", Json::from(v.cpu_time)),
                ("affinity", Json::Arr(cpus)),
            ])
        });
        ctl.print(&Json::Arr(items.collect()).line());
        return Ok(());
    }
    let mut out = String::new();
    for (n, v) in vcpus.iter().enumerate() {
        out.push_str(&format!(
            "{:<15} {}\n{:<15} {}\n{:<15} {}\n",
            "VCPU:",
            v.number,
            "CPU:",
            v.cpu,
            "State:",
            vcpu_state(v.state)
        ));
        if v.cpu_time != 0 {
            out.push_str(&format!(
                "{:<15} {:.1}s\n",
                "CPU time:",
                v.cpu_time as f64 / 1e9
            ));
        }
        let map = maps.get(n * maplen..(n + 1) * maplen).unwrap_or(&[]);
        out.push_str(&affinity(map, maxcpu, pretty));
        if n + 1 < vcpus.len() {
            out.push('\n');
        }
    }
    ctl.print(&out);
    Ok(())
}

/// vcpuinfo of a shut-off domain: its vCPUs with no placement, pinned everywhere.
fn vcpuinfo_inactive(
    ctl: &mut Ctl,
    _dom: &Domain,
    n: u32,
    maxcpu: usize,
    pretty: bool,
) -> CmdResult {
    let all = vec![0xffu8; maxcpu.div_ceil(8)];
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{:<15} {i}\n{:<15} N/A\n{:<15} N/A\n{:<15} N/A\n",
            "VCPU:", "CPU:", "State:", "CPU time"
        ));
        out.push_str(&affinity(&all, maxcpu, pretty));
    }
    ctl.print(&out);
    Ok(())
}

/// virsh's QMP wrapping of `qemu-monitor-command`'s words: a JSON object passes as it is;
/// otherwise the first word is the command and the rest its arguments (a JSON object, or
/// `"name":value` pieces joined into one). `Err` carries the arguments that would not wrap.
fn qmp_wrap(words: &[&str]) -> Result<String, String> {
    use crate::qmp_json::{Value, parse};
    let full = words.join(" ");
    if parse(&full).is_some_and(|v| v.is_object()) {
        return Ok(full);
    }
    let (name, rest) = words.split_first().map_or(("", &[][..]), |(n, r)| (*n, r));
    let mut command = vec![("execute".to_string(), Value::Str(name.to_string()))];
    if !rest.is_empty() {
        let args = rest.join(" ");
        let value = match parse(&args) {
            Some(v) if v.is_object() => v,
            _ => parse(&format!("{{{}}}", rest.join(","))).ok_or(args)?,
        };
        command.push(("arguments".to_string(), value));
    }
    Ok(Value::Object(command).compact())
}

fn cmd_qemu_monitor_command(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    ctl.exclusive(cmd, &[("hmp", "pretty"), ("hmp", "return-value")])?;
    let (dom, _) = ctl.domain_by(cmd, BY_NAME | BY_ID | BY_UUID)?;
    let words = cmd.argv();
    let (text, flags) = if cmd.has("hmp") {
        (words.join(" "), 1)
    } else {
        match qmp_wrap(&words) {
            Ok(t) => (t, 0),
            Err(args) => {
                return ctl.fail(&format!(
                    "failed to wrap arguments '{args}' into a QMP command wrapper"
                ));
            }
        }
    };
    if cmd.has("pass-fds") {
        // virDomainQemuMonitorCommandWithFiles: no driver of rvirt takes descriptors with it.
        let e = rvirt::Error::no_support(
            rvirt::ErrorDomain::DOMAIN,
            "virDomainQemuMonitorCommandWithFiles",
        );
        return ctl.lib(Err(e));
    }
    let result = ctl.lib(dom.qemu_monitor_command(&text, flags))?;
    let (pretty, returnval) = (cmd.has("pretty"), cmd.has("return-value"));
    let parsed = (pretty || returnval)
        .then(|| crate::qmp_json::parse(&result))
        .flatten();
    let Some(json) = parsed else {
        if returnval {
            return ctl.fail("failed to parse JSON returned by qemu");
        }
        ctl.print(&format!("{result}\n"));
        return Ok(());
    };
    let shown = if returnval {
        match json.get("return") {
            Some(v) => v.clone(),
            None => return ctl.fail("'return' member missing"),
        }
    } else {
        json
    };
    let text = if pretty {
        shown.pretty()
    } else {
        shown.compact()
    };
    ctl.print(text.trim());
    Ok(())
}

fn cmd_qemu_agent_command(ctl: &mut Ctl, cmd: &Cmd) -> CmdResult {
    let (dom, _) = ctl.domain_by(cmd, BY_NAME | BY_ID | BY_UUID)?;
    let text = cmd.argv().join(" ");
    // VIR_DOMAIN_QEMU_AGENT_COMMAND_DEFAULT, _NOWAIT and _BLOCK.
    let mut timeout = -2;
    let mut chosen = 0;
    if let Some(t) = ctl.opt_int(cmd, "timeout")? {
        if t < 1 {
            return ctl.fail("timeout must be positive");
        }
        timeout = t;
        chosen += 1;
    }
    if cmd.has("async") {
        timeout = 0;
        chosen += 1;
    }
    if cmd.has("block") {
        timeout = -1;
        chosen += 1;
    }
    if chosen > 1 {
        return ctl.fail("timeout, async and block options are exclusive");
    }
    let result = ctl
        .lib(dom.qemu_agent_command(&text, timeout, 0))?
        .unwrap_or_default();
    let shown = if cmd.has("pretty") {
        crate::qmp_json::parse(&result).map_or(result, |v| v.pretty())
    } else {
        result
    };
    ctl.print(&format!("{shown}\n"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_command_words_wrap_as_virsh_wraps_them() {
        assert_eq!(
            qmp_wrap(&[r#"{"execute": "x"}"#]).unwrap(),
            r#"{"execute": "x"}"#
        );
        assert_eq!(
            qmp_wrap(&["query-name"]).unwrap(),
            r#"{"execute":"query-name"}"#
        );
        assert_eq!(
            qmp_wrap(&["qom-get", r#""path":"/machine""#, r#""property":"type""#]).unwrap(),
            r#"{"execute":"qom-get","arguments":{"path":"/machine","property":"type"}}"#
        );
        assert_eq!(
            qmp_wrap(&["qom-get", r#"{"path": "/m"}"#]).unwrap(),
            r#"{"execute":"qom-get","arguments":{"path":"/m"}}"#
        );
        assert_eq!(qmp_wrap(&["a", "b", "c"]).unwrap_err(), "b c");
    }

    #[test]
    fn affinity_lines() {
        assert_eq!(affinity(&[0b101], 4, false), "CPU Affinity:   y-y-\n");
        assert_eq!(
            affinity(&[0b101], 4, true),
            "CPU Affinity:   0,2 (out of 4)\n"
        );
        assert_eq!(vcpu_state(1), "running");
        assert_eq!(vcpu_state(9), "no state");
        assert!(
            temp_xml_path("/tmp").starts_with("/tmp/virsh")
                && temp_xml_path("/tmp").ends_with(".xml")
        );
    }
}
