//! Capabilities from the QEMU binaries present: which emulator serves an architecture, what a
//! probe of it says (machines, KVM), the `virConnectGetCapabilities` document, and the
//! defaults a definition takes from them (emulator, canonical machine type).
//!
//! A binary is probed once per driver and the result is cached on disk under the driver's
//! cache folder, keyed by the binary's path and modification time (`rvirt_qmp::probe_cached`).

use crate::QemuDriver;
use crate::process::on_rt;
use rvirt_conf::DomainDef;
use rvirt_conf::xml::XmlWriter;
use rvirt_qmp::ProbeResult;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The guest architectures this driver knows, with the emulator binary name and word size.
const ARCHES: &[(&str, &str, &str)] = &[
    ("i686", "qemu-system-i386", "32"),
    ("x86_64", "qemu-system-x86_64", "64"),
];

/// The emulator binary for `arch`, found on `PATH` (then `/usr/bin`), if installed.
pub fn emulator_for_arch(arch: &str) -> Option<PathBuf> {
    let (_, bin, _) = ARCHES.iter().find(|(a, _, _)| *a == arch)?;
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin".into());
    std::env::split_paths(&path)
        .chain(std::iter::once(PathBuf::from("/usr/bin")))
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

/// Whether this host can run KVM guests: `/dev/kvm` opens for reading and writing.
pub fn kvm_usable() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// The host's CPU as capabilities describe it (libvirt's `virCPUProbeHost`), read once.
pub(crate) struct HostCpu {
    /// Model, vendor, signature and features from its CPUID.
    pub(crate) cpu: rvirt_cpumap::HostCpuInfo,
    /// The microcode revision (0: unknown).
    microcode: u32,
    /// The TSC's frequency and scaling, for a CPU with an invariant TSC (and KVM).
    tsc: Option<(u64, bool)>,
    /// The physical address width.
    phys_bits: Option<u32>,
}

/// The host's CPU, or `None` where libvirt's CPU map cannot describe it (not x86, no map).
pub(crate) fn host_cpu() -> Option<&'static HostCpu> {
    static HOST: std::sync::OnceLock<Option<HostCpu>> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        if !matches!(std::env::consts::ARCH, "x86_64" | "x86") {
            return None;
        }
        let cpu = rvirt_cpumap::CpuMap::system().ok()?.host_cpu().ok()?;
        let paths = rvirt_host::udev::HostPaths::host();
        let tsc = if cpu.invtsc {
            rvirt_host::hostcpu::tsc_info()
        } else {
            None
        };
        Some(HostCpu {
            microcode: rvirt_host::hostcpu::microcode_version(&paths),
            phys_bits: rvirt_host::hostcpu::phys_addr_bits(&paths),
            tsc,
            cpu,
        })
    })
    .as_ref()
}

fn caps_error(detail: impl Into<String>) -> Error {
    Error::with_detail(crate::FROM, ErrorNumber::INTERNAL_ERROR, detail)
}

impl QemuDriver {
    /// What `binary` offers: probed once, then from memory (and across restarts from the
    /// on-disk cache).
    pub(crate) async fn probe(&self, binary: &Path) -> Result<Arc<ProbeResult>> {
        if let Some(p) = self.probes.lock().get(binary) {
            return Ok(p.clone());
        }
        crate::process::check_emulator(binary)?;
        let bin = binary.to_path_buf();
        let cache = self.dirs.qemu_cache.join("capabilities");
        let res =
            on_rt(
                async move { rvirt_qmp::probe_cached(&bin, &cache, Duration::from_secs(30)).await },
            )
            .await?
            .map_err(|e| caps_error(format!("cannot probe {}: {e}", binary.display())))?;
        // Machine type `none` (no machine at all) is not one libvirt offers guests.
        let mut res = res;
        res.machines.retain(|m| m.name != "none");
        let res = Arc::new(res);
        self.probes.lock().insert(binary.to_path_buf(), res.clone());
        Ok(res)
    }

    /// The capabilities document: the host's architecture and one `<guest>` per installed
    /// emulator, with its machine types and domain types (`qemu` always, `kvm` when usable).
    pub(crate) async fn capabilities_xml(&self) -> Result<String> {
        let mut guests = Vec::new();
        for (arch, _, wordsize) in ARCHES {
            if let Some(bin) = emulator_for_arch(arch) {
                guests.push((*arch, *wordsize, bin.clone(), self.probe(&bin).await?));
            }
        }
        let host_arch = match std::env::consts::ARCH {
            "x86" => "i686",
            a => a,
        };
        let mut w = XmlWriter::default();
        w.start("capabilities", &[]);
        w.blank_line();
        w.start("host", &[]);
        w.text("uuid", &[], &host_uuid().to_string());
        w.start("cpu", &[]);
        w.text("arch", &[], host_arch);
        let paths = rvirt_host::udev::HostPaths::host();
        let host_cpu = host_cpu();
        if let Some(h) = host_cpu {
            w.text("model", &[], &h.cpu.model);
            if let Some(v) = &h.cpu.vendor {
                w.text("vendor", &[], v);
            }
            if h.microcode != 0 {
                w.empty("microcode", &[("version", &h.microcode.to_string())]);
            }
            let (family, model, stepping) = h.cpu.signature;
            w.empty(
                "signature",
                &[
                    ("family", &family.to_string()),
                    ("model", &model.to_string()),
                    ("stepping", &stepping.to_string()),
                ],
            );
            if let Some((hz, scaling)) = h.tsc {
                let scaling = if scaling { "yes" } else { "no" };
                w.empty(
                    "counter",
                    &[
                        ("name", "tsc"),
                        ("frequency", &hz.to_string()),
                        ("scaling", scaling),
                    ],
                );
            }
        }
        if let Ok(n) = rvirt_host::hostcpu::node_info(&paths) {
            w.empty(
                "topology",
                &[
                    ("sockets", &(n.sockets * n.nodes).to_string()),
                    ("dies", "1"),
                    ("cores", &n.cores.to_string()),
                    ("threads", &n.threads.to_string()),
                ],
            );
        }
        if let Some(h) = host_cpu {
            if let Some(bits) = h.phys_bits {
                w.empty(
                    "maxphysaddr",
                    &[("mode", "emulate"), ("bits", &bits.to_string())],
                );
            }
            for f in &h.cpu.features {
                w.empty("feature", &[("name", f)]);
            }
        }
        for (size, _) in rvirt_host::numa::host_pages(&paths).unwrap_or_default() {
            w.empty("pages", &[("unit", "KiB"), ("size", &size.to_string())]);
        }
        w.end("cpu");
        w.empty("power_management", &[]);
        let iommu = if rvirt_host::iommu::host_has_iommu() {
            "yes"
        } else {
            "no"
        };
        w.empty("iommu", &[("support", iommu)]);
        w.start("migration_features", &[]);
        w.empty("live", &[]);
        w.start("uri_transports", &[]);
        w.text("uri_transport", &[], "tcp");
        w.text("uri_transport", &[], "rdma");
        w.end("uri_transports");
        w.end("migration_features");
        numa_cells_xml(&mut w, &rvirt_host::numa::cells(&paths));
        let banks = rvirt_host::numa::cache_banks(&paths);
        if !banks.is_empty() {
            w.start("cache", &[]);
            for b in &banks {
                let (size, unit) = rvirt_host::numa::pretty_size(b.size);
                w.empty(
                    "bank",
                    &[
                        ("id", &b.id.to_string()),
                        ("level", &b.level.to_string()),
                        ("type", b.kind),
                        ("size", &size.to_string()),
                        ("unit", unit),
                        ("cpus", &b.cpus),
                    ],
                );
            }
            w.end("cache");
        }
        w.start("secmodel", &[]);
        w.text("model", &[], "none");
        w.text("doi", &[], "0");
        w.end("secmodel");
        // A privileged driver's DAC model, with the user and group QEMU runs as for each
        // domain type.
        if let Some(label) = self.dac.base_label() {
            w.start("secmodel", &[]);
            w.text("model", &[], "dac");
            w.text("doi", &[], "0");
            if kvm_usable() && guests.iter().any(|g| g.3.kvm_present) {
                w.text("baselabel", &[("type", "kvm")], &label);
            }
            w.text("baselabel", &[("type", "qemu")], &label);
            w.end("secmodel");
        }
        w.end("host");
        for (arch, wordsize, bin, probe) in &guests {
            w.blank_line();
            w.start("guest", &[]);
            w.text("os_type", &[], "hvm");
            w.start("arch", &[("name", arch)]);
            w.text("wordsize", &[], wordsize);
            w.text("emulator", &[], &bin.display().to_string());
            machines_xml(&mut w, probe);
            w.empty("domain", &[("type", "qemu")]);
            if probe.kvm_present && kvm_usable() {
                w.empty("domain", &[("type", "kvm")]);
            }
            w.end("arch");
            w.start("features", &[]);
            if *arch == "i686" {
                w.empty("pae", &[]);
                w.empty("nonpae", &[]);
            }
            w.empty("acpi", &[("default", "on"), ("toggle", "yes")]);
            w.empty("apic", &[("default", "on"), ("toggle", "no")]);
            w.empty("cpuselection", &[]);
            w.empty("deviceboot", &[]);
            w.empty("disksnapshot", &[("default", "on"), ("toggle", "no")]);
            w.end("features");
            w.end("guest");
        }
        w.blank_line();
        w.end("capabilities");
        Ok(w.finish())
    }

    /// The qemu driver's post-parse pass: `qemu` or `kvm` only (kvm only where it works), the
    /// emulator from the architecture, the default machine type, aliases made canonical
    /// (`pc` → `pc-i440fx-7.2`), as libvirt stores them.
    pub(crate) async fn fill_def(&self, def: &mut DomainDef) -> Result<()> {
        self.fill_def_counted(def, None).await
    }

    /// [`QemuDriver::fill_def`] for a definition just parsed from a document that had
    /// `user_controllers` `<controller>` elements (which decides where implicit controllers go).
    pub(crate) async fn fill_def_counted(
        &self,
        def: &mut DomainDef,
        user_controllers: Option<usize>,
    ) -> Result<()> {
        let vt = def.virt_type.to_string();
        if vt != "qemu" && vt != "kvm" {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::INVALID_ARG,
                format!("could not find capabilities for domaintype={vt} "),
            ));
        }
        let arch = def.os.arch.as_deref().unwrap_or("x86_64").to_string();
        let bin = match def.devices.emulator.as_deref() {
            Some(e) => PathBuf::from(e),
            None => emulator_for_arch(&arch).ok_or_else(|| {
                Error::with_detail(
                    ErrorDomain::DOMAIN,
                    ErrorNumber::INVALID_ARG,
                    format!("could not find capabilities for arch={arch} domaintype={vt} "),
                )
            })?,
        };
        let probe = self.probe(&bin).await?;
        if vt == "kvm" && !(probe.kvm_present && kvm_usable()) {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::CONFIG_UNSUPPORTED,
                format!(
                    "Emulator '{}' does not support virt type 'kvm'",
                    bin.display()
                ),
            ));
        }
        let machine = match def.os.machine.as_deref() {
            None => probe.default_machine().map(|m| m.name.clone()),
            Some(m) => match probe.machine(m) {
                Some(info) => Some(info.name.clone()),
                None => {
                    return Err(Error::with_detail(
                        ErrorDomain::DOMAIN,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        format!(
                            "Emulator '{}' does not support machine type '{m}'",
                            bin.display()
                        ),
                    ));
                }
            },
        };
        def.os.machine = machine;
        crate::firmware::fill_nvram_path(def, &self.nvram_dir());
        if def.devices.emulator.is_none() {
            def.devices.emulator = Some(bin.display().to_string());
        }
        crate::defaults::apply(def, user_controllers, &self.config)?;
        crate::defaults::assign_virtio_serial(def);
        crate::defaults::add_usb_hubs(def);
        crate::defaults::assign_usb(def);
        crate::pci::assign(def)?;
        crate::memdev::assign_slots(def)?;
        crate::memdev::validate(def, None)?;
        for n in &def.devices.interfaces {
            crate::nethost::validate(n)?;
        }
        crate::graphics::validate(def, &self.config)?;
        crate::firmware::validate(def)?;
        crate::hugepages::validate(def)?;
        crate::virtiofs::validate(def)
    }

    /// Where guests' UEFI variable stores go by default (libvirt's `nvram` folder beside the
    /// domains' private folders).
    pub(crate) fn nvram_dir(&self) -> PathBuf {
        self.dirs.qemu_lib.join("nvram")
    }
}

/// `<machine>` lines as libvirt prints them: each type, and each alias with its canonical name.
fn machines_xml(w: &mut XmlWriter, probe: &ProbeResult) {
    let mut machines: Vec<_> = probe.machines.iter().collect();
    // The default machine first, as libvirt lists it.
    machines.sort_by_key(|m| !m.is_default);
    for m in machines {
        let max = m.cpu_max.to_string();
        let mut attrs = vec![("maxCpus", max.as_str())];
        if m.deprecated {
            attrs.push(("deprecated", "yes"));
        }
        w.text("machine", &attrs, &m.name);
        if let Some(alias) = &m.alias {
            let mut attrs = vec![("canonical", m.name.as_str()), ("maxCpus", max.as_str())];
            if m.deprecated {
                attrs.push(("deprecated", "yes"));
            }
            w.text("machine", &attrs, alias);
        }
    }
}

/// The host's UUID as libvirt takes it: the SMBIOS system UUID where the firmware gives one,
/// else one made up when the driver first needs it.
fn host_uuid() -> rvirt_types::Uuid {
    static UUID: std::sync::OnceLock<rvirt_types::Uuid> = std::sync::OnceLock::new();
    *UUID.get_or_init(|| {
        [
            "/sys/devices/virtual/dmi/id/product_uuid",
            "/sys/class/dmi/id/product_uuid",
        ]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok()?.trim().parse().ok())
        .unwrap_or_else(rvirt_types::Uuid::generate)
    })
}

/// `<topology><cells>`: the host's NUMA cells, as libvirt lists them (nothing without NUMA).
fn numa_cells_xml(w: &mut XmlWriter, cells: &[rvirt_host::numa::Cell]) {
    if cells.is_empty() {
        return;
    }
    w.start("topology", &[]);
    w.start("cells", &[("num", &cells.len().to_string())]);
    for cell in cells {
        w.start("cell", &[("id", &cell.id.to_string())]);
        w.text("memory", &[("unit", "KiB")], &cell.memory_kib.to_string());
        for (size, avail) in &cell.pages {
            w.text(
                "pages",
                &[("unit", "KiB"), ("size", &size.to_string())],
                &avail.to_string(),
            );
        }
        if !cell.distances.is_empty() {
            w.start("distances", &[]);
            for (id, value) in &cell.distances {
                w.empty(
                    "sibling",
                    &[("id", &id.to_string()), ("value", &value.to_string())],
                );
            }
            w.end("distances");
        }
        w.start("cpus", &[("num", &cell.cpus.len().to_string())]);
        for c in &cell.cpus {
            w.empty(
                "cpu",
                &[
                    ("id", &c.id.to_string()),
                    ("socket_id", &c.socket_id.to_string()),
                    ("die_id", &c.die_id.to_string()),
                    ("core_id", &c.core_id.to_string()),
                    ("siblings", &c.siblings),
                ],
            );
        }
        w.end("cpus");
        w.end("cell");
    }
    w.end("cells");
    w.end("topology");
}
