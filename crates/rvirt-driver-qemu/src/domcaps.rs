//! `virConnectGetDomainCapabilities` for QEMU: which emulator, domain type and machine type a
//! request resolves to (libvirt's defaults and errors), and the `<domainCapabilities>` document
//! for them, in libvirt's element order.
//!
//! What the probe of the binary knows comes from it: machine types and their vCPU limits, KVM,
//! the CPU models and whether each is usable with each accelerator. The
//! firmware list comes from the host's QEMU firmware descriptors. The device and feature enums
//! are those libvirt 9.0 reports for an x86 QEMU 7.x (they depend on device types this driver's
//! probe does not list). The host-model CPU is the accelerator's, from the probe (see
//! `hostmodel`).

use crate::QemuDriver;
use crate::caps::{emulator_for_arch, kvm_usable};
use crate::hostmodel::HostModels;
use rvirt_conf::cpu_map;
use rvirt_conf::xml::XmlWriter;
use rvirt_qmp::ProbeResult;
use rvirt_types::{Error, ErrorNumber, Result};
use std::path::{Path, PathBuf};

/// libvirt 9.0's domain types (`virDomainVirtType`), by name.
const VIRT_TYPES: &[&str] = &[
    "none",
    "qemu",
    "kqemu",
    "kvm",
    "xen",
    "lxc",
    "uml",
    "openvz",
    "test",
    "vmware",
    "hyperv",
    "vbox",
    "phyp",
    "parallels",
    "bhyve",
    "vz",
    "hvf",
];

/// Firmware files libvirt falls back to when no descriptor matches (Debian's build), listed
/// only when present.
const FALLBACK_FIRMWARE: &[&str] = &[
    "/usr/share/OVMF/OVMF_CODE.fd",
    "/usr/share/OVMF/OVMF_CODE.secboot.fd",
    "/usr/share/AAVMF/AAVMF_CODE.fd",
    "/usr/share/AAVMF/AAVMF32_CODE.fd",
];

fn invalid_arg(detail: String) -> Error {
    Error::with_detail(crate::FROM, ErrorNumber::INVALID_ARG, detail)
}

/// The family an architecture belongs to, for libvirt's "same family" test between the
/// architecture asked for and the emulator's.
fn arch_family(arch: &str) -> &str {
    match arch {
        "i686" | "x86_64" => "x86",
        a if a.starts_with("ppc") => "ppc",
        "armv6l" | "armv7l" | "armv7b" | "aarch64" => "arm",
        "s390" | "s390x" => "s390",
        a => a,
    }
}

/// The host's architecture, as libvirt names it.
pub(crate) fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86" => "i686",
        "powerpc64" => "ppc64",
        a => a,
    }
}

/// The architecture of a probed emulator, as libvirt names it (`query-target` says `i386`).
fn probe_arch(probe: &ProbeResult) -> &str {
    match probe.arch.as_str() {
        "i386" => "i686",
        "arm" => "armv7l",
        a => a,
    }
}

/// What a request resolved to.
pub(crate) struct Target {
    pub(crate) binary: PathBuf,
    pub(crate) arch: String,
    pub(crate) virttype: &'static str,
    machine: Option<String>,
}

/// The most vCPUs KVM allows one guest (libvirt's `virHostCPUGetKVMMaxVCPUs`).
fn kvm_max_vcpus() -> Option<u32> {
    use std::os::fd::AsRawFd;
    const KVM_CHECK_EXTENSION: libc::c_ulong = 0xAE03;
    const KVM_CAP_NR_VCPUS: libc::c_int = 9;
    const KVM_CAP_MAX_VCPUS: libc::c_int = 66;
    let kvm = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .ok()?;
    for cap in [KVM_CAP_MAX_VCPUS, KVM_CAP_NR_VCPUS] {
        // SAFETY: KVM_CHECK_EXTENSION takes an integer argument and returns an integer.
        let n = unsafe { libc::ioctl(kvm.as_raw_fd(), KVM_CHECK_EXTENSION, cap) };
        if n > 0 {
            return u32::try_from(n).ok();
        }
    }
    Some(4)
}

impl QemuDriver {
    /// `virConnectGetDomainCapabilities`.
    pub(crate) async fn domain_capabilities(
        &self,
        emulatorbin: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
        flags: u32,
    ) -> Result<String> {
        rvirt_driver::check_flags(crate::FROM, "qemuConnectGetDomainCapabilities", flags, 0)?;
        let (target, probe) = self.resolve(emulatorbin, arch, machine, virttype).await?;
        let hosts = self.host_models(&probe, target.virttype == "kvm");
        Ok(format(&target, &probe, (*hosts).as_ref()))
    }

    /// libvirt's `virQEMUCapsCacheLookupDefault` and the checks of
    /// `virQEMUDriverGetDomainCapabilities`, with their messages.
    pub(crate) async fn resolve(
        &self,
        emulatorbin: Option<&str>,
        arch: Option<&str>,
        machine: Option<&str>,
        virttype: Option<&str>,
    ) -> Result<(Target, std::sync::Arc<ProbeResult>)> {
        let asked_type = match virttype {
            None => None,
            Some(t) => match VIRT_TYPES.iter().find(|v| **v == t) {
                Some(v) if *v != "none" => Some(*v),
                Some(_) => None,
                None => return Err(invalid_arg(format!("unknown virttype: {t}"))),
            },
        };
        let arch = match arch {
            None => host_arch().to_string(),
            Some(a) if cpu_map::is_known_arch(a) => a.to_string(),
            Some(a) => return Err(invalid_arg(format!("unknown architecture: {a}"))),
        };
        let binary = match emulatorbin {
            Some(b) => PathBuf::from(b),
            None => emulator_for_arch(&arch).ok_or_else(|| {
                Error::with_detail(
                    crate::FROM,
                    ErrorNumber::CONFIG_UNSUPPORTED,
                    format!("unable to find any emulator to serve '{arch}' architecture"),
                )
            })?,
        };
        let probe = self.probe(&binary).await?;
        let emu_arch = probe_arch(&probe).to_string();
        if emu_arch != arch && arch_family(&emu_arch) != arch_family(&arch) {
            return Err(invalid_arg(format!(
                "architecture from emulator '{emu_arch}' doesn't match given architecture '{arch}'"
            )));
        }
        let kvm = probe.kvm_present && kvm_usable();
        let virttype = asked_type.unwrap_or(if kvm { "kvm" } else { "qemu" });
        let bin = binary.display().to_string();
        if virttype != "qemu" && !kvm {
            let accel = match virttype {
                "kvm" => "kvm",
                "hvf" => "hvf",
                _ => "tcg",
            };
            return Err(invalid_arg(format!(
                "the accel '{accel}' is not supported by '{bin}' on this host"
            )));
        }
        let machine = match machine {
            Some(m) => match probe.machine(m) {
                Some(info) => Some(info.name.clone()),
                None => {
                    return Err(invalid_arg(format!(
                        "the machine '{m}' is not supported by emulator '{bin}'"
                    )));
                }
            },
            None => probe.default_machine().map(|m| m.name.clone()),
        };
        let arch_ok = arch == emu_arch || (emu_arch == "x86_64" && arch == "i686");
        if !arch_ok {
            return Err(invalid_arg(format!(
                "Emulator '{bin}' does not support arch '{arch}'"
            )));
        }
        if virttype != "qemu" && virttype != "kvm" {
            return Err(invalid_arg(format!(
                "Emulator '{bin}' does not support virt type '{virttype}'"
            )));
        }
        Ok((
            Target {
                binary,
                arch,
                virttype,
                machine,
            },
            probe,
        ))
    }
}

/// A `<enum name=…>` with its values (an empty one is written as an empty element).
fn enum_values(w: &mut XmlWriter, name: &str, values: &[&str]) {
    if values.is_empty() {
        w.empty("enum", &[("name", name)]);
        return;
    }
    w.start("enum", &[("name", name)]);
    for v in values {
        w.text("value", &[], v);
    }
    w.end("enum");
}

/// A device or feature element with `supported='yes'` and its enums.
fn supported_with(w: &mut XmlWriter, name: &str, enums: &[(&str, &[&str])]) {
    w.start(name, &[("supported", "yes")]);
    for (e, values) in enums {
        enum_values(w, e, values);
    }
    w.end(name);
}

/// Whether the machine type has an IDE controller built in (the i440FX family).
fn has_builtin_ide(machine: &str) -> bool {
    machine == "pc"
        || ["pc-i440fx-", "pc-0.", "pc-1.", "rhel"]
            .iter()
            .any(|p| machine.starts_with(p))
}

fn format(t: &Target, probe: &ProbeResult, hosts: Option<&HostModels>) -> String {
    let x86 = arch_family(&t.arch) == "x86";
    let machine = t.machine.as_deref().unwrap_or("");
    let mut w = XmlWriter::default();
    w.start("domainCapabilities", &[]);
    w.text("path", &[], &t.binary.display().to_string());
    w.text("domain", &[], t.virttype);
    if let Some(m) = &t.machine {
        w.text("machine", &[], m);
    }
    w.text("arch", &[], &t.arch);
    let mut max = probe.machine(machine).map(|m| m.cpu_max).unwrap_or(0);
    if t.virttype == "kvm"
        && let Some(k) = kvm_max_vcpus()
    {
        max = max.min(k);
    }
    if max > 0 {
        w.empty("vcpu", &[("max", &max.to_string())]);
    }
    w.empty("iothreads", &[("supported", "yes")]);
    os_caps(&mut w, &t.arch, machine);
    cpu_caps(&mut w, t, probe, hosts);
    supported_with(
        &mut w,
        "memoryBacking",
        &[("sourceType", &["file", "anonymous", "memfd"])],
    );
    w.start("devices", &[]);
    let mut buses = Vec::new();
    if has_builtin_ide(machine) {
        buses.push("ide");
    }
    buses.extend(["fdc", "scsi", "virtio", "usb", "sata"]);
    let virtio_models: &[&str] = &["virtio", "virtio-transitional", "virtio-non-transitional"];
    supported_with(
        &mut w,
        "disk",
        &[
            ("diskDevice", &["disk", "cdrom", "floppy", "lun"]),
            ("bus", &buses),
            ("model", virtio_models),
        ],
    );
    supported_with(
        &mut w,
        "graphics",
        &[("type", &["sdl", "vnc", "spice", "egl-headless", "dbus"])],
    );
    supported_with(
        &mut w,
        "video",
        &[(
            "modelType",
            &[
                "vga", "cirrus", "vmvga", "qxl", "virtio", "none", "bochs", "ramfb",
            ],
        )],
    );
    let vfio = rvirt_host::iommu::host_supports_vfio();
    let backends: &[&str] = if vfio { &["default", "vfio"] } else { &[] };
    supported_with(
        &mut w,
        "hostdev",
        &[
            ("mode", &["subsystem"]),
            (
                "startupPolicy",
                &["default", "mandatory", "requisite", "optional"],
            ),
            ("subsysType", &["usb", "pci", "scsi"]),
            ("capsType", &[]),
            ("pciBackend", backends),
        ],
    );
    supported_with(
        &mut w,
        "rng",
        &[
            ("model", virtio_models),
            ("backendModel", &["random", "egd", "builtin"]),
        ],
    );
    supported_with(
        &mut w,
        "filesystem",
        &[("driverType", &["path", "handle", "virtiofs"])],
    );
    // The emulator backends and the TPM versions come with swtpm.
    if crate::tpm::binaries().is_ok() {
        supported_with(
            &mut w,
            "tpm",
            &[
                ("model", &["tpm-tis", "tpm-crb"]),
                ("backendModel", &["passthrough", "emulator", "external"]),
                ("backendVersion", &["1.2", "2.0"]),
            ],
        );
    } else {
        supported_with(
            &mut w,
            "tpm",
            &[
                ("model", &["tpm-tis", "tpm-crb"]),
                ("backendModel", &["passthrough"]),
            ],
        );
    }
    supported_with(&mut w, "redirdev", &[("bus", &["usb"])]);
    supported_with(&mut w, "channel", &[("type", &["pty", "unix", "spicevmc"])]);
    w.end("devices");
    w.start("features", &[]);
    w.empty("gic", &[("supported", "no")]);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    w.empty("vmcoreinfo", &[("supported", yes_no(x86))]);
    w.empty("genid", &[("supported", yes_no(x86))]);
    w.empty("backingStoreInput", &[("supported", "yes")]);
    w.empty(
        "backup",
        &[("supported", yes_no(probe.has_command("blockdev-backup")))],
    );
    w.empty("sev", &[("supported", "no")]);
    w.empty("sgx", &[("supported", "no")]);
    if x86 {
        supported_with(
            &mut w,
            "hyperv",
            &[("features", &["spinlocks", "vendor_id"])],
        );
    }
    w.end("features");
    w.end("domainCapabilities");
    w.finish()
}

fn cpu_caps(w: &mut XmlWriter, t: &Target, probe: &ProbeResult, hosts: Option<&HostModels>) {
    let on_off: &[&str] = &["on", "off"];
    w.start("cpu", &[]);
    let native = arch_family(&t.arch) == arch_family(host_arch());
    if t.virttype != "qemu" && native {
        w.start(
            "mode",
            &[("name", "host-passthrough"), ("supported", "yes")],
        );
        enum_values(w, "hostPassthroughMigratable", on_off);
        w.end("mode");
    } else {
        w.empty("mode", &[("name", "host-passthrough"), ("supported", "no")]);
    }
    if probe.cpus.cpu_definitions.iter().any(|c| c.name == "max") {
        w.start("mode", &[("name", "maximum"), ("supported", "yes")]);
        enum_values(w, "maximumMigratable", on_off);
        w.end("mode");
    } else {
        w.empty("mode", &[("name", "maximum"), ("supported", "no")]);
    }
    let kvm = t.virttype == "kvm";
    match hosts.filter(|_| native) {
        Some(h) => {
            w.start("mode", &[("name", "host-model"), ("supported", "yes")]);
            let cpu = &h.reported;
            w.text(
                "model",
                &[("fallback", &cpu.fallback)],
                cpu.model.as_deref().unwrap_or(""),
            );
            if let Some(v) = &cpu.vendor {
                w.text("vendor", &[], v);
            }
            for (policy, name) in &cpu.features {
                w.empty("feature", &[("policy", policy), ("name", name)]);
            }
            w.end("mode");
        }
        None => w.empty("mode", &[("name", "host-model"), ("supported", "no")]),
    }
    let known = cpu_map::cpu_models(&t.arch).unwrap_or(&[]);
    // The models as the domain type's accelerator sees them (usability unknown when the
    // probe could not run it).
    let accel = probe.accel_cpus(kvm);
    let definitions = accel.map_or(&probe.cpus.cpu_definitions, |a| &a.cpu_definitions);
    let models: Vec<_> = definitions
        .iter()
        .filter(|c| c.name != "host" && known.contains(&c.name.as_str()))
        .collect();
    if models.is_empty() {
        w.empty("mode", &[("name", "custom"), ("supported", "no")]);
    } else {
        w.start("mode", &[("name", "custom"), ("supported", "yes")]);
        for c in models {
            let usable = match &c.unavailable_features {
                _ if accel.is_none() => "unknown",
                Some(f) if f.is_empty() => "yes",
                Some(_) => "no",
                None => "unknown",
            };
            let mut attrs = vec![("usable", usable)];
            if c.deprecated {
                attrs.push(("deprecated", "yes"));
            }
            attrs.push((
                "vendor",
                cpu_map::x86_model_vendor(&c.name).unwrap_or("unknown"),
            ));
            w.text("model", &attrs, &c.name);
        }
        w.end("mode");
    }
    w.end("cpu");
}

fn os_caps(w: &mut XmlWriter, arch: &str, machine: &str) {
    use crate::firmware::{Descriptor, Mapping};
    let qemu_arch = crate::firmware::qemu_arch(arch);
    // Descriptors that cannot be read are left out here (a start names them in its error).
    let found: Vec<Descriptor> = crate::firmware::descriptor_paths()
        .iter()
        .filter_map(|p| Descriptor::parse(p, &std::fs::read_to_string(p).ok()?).ok())
        .filter(|d| d.targets(qemu_arch, machine))
        .collect();
    let offers = |i: &str| found.iter().any(|d| d.interfaces.iter().any(|x| x == i));
    let mut kinds = Vec::new();
    if offers("bios") {
        kinds.push("bios");
    }
    if offers("uefi") {
        kinds.push("efi");
    }
    let secure = found.iter().any(|d| d.has("requires-smm"));
    let mut files: Vec<String> = Vec::new();
    let candidates: Vec<String> = if found.is_empty() {
        FALLBACK_FIRMWARE.iter().map(|s| s.to_string()).collect()
    } else {
        found
            .iter()
            .filter(|d| !matches!(d.mapping, Mapping::Kernel(_)))
            .map(|d| d.code_path().to_string())
            .collect()
    };
    for f in candidates {
        if Path::new(&f).exists() && !files.contains(&f) {
            files.push(f);
        }
    }
    w.start("os", &[("supported", "yes")]);
    enum_values(w, "firmware", &kinds);
    w.start("loader", &[("supported", "yes")]);
    for f in &files {
        w.text("value", &[], f);
    }
    enum_values(w, "type", &["rom", "pflash"]);
    enum_values(w, "readonly", &["yes", "no"]);
    let secure: &[&str] = if secure { &["yes", "no"] } else { &["no"] };
    enum_values(w, "secure", secure);
    w.end("loader");
    w.end("os");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_families() {
        assert_eq!(arch_family("i686"), arch_family("x86_64"));
        assert_ne!(arch_family("aarch64"), arch_family("x86_64"));
        assert!(has_builtin_ide("pc-i440fx-7.2"));
        assert!(!has_builtin_ide("pc-q35-7.2"));
    }
}
