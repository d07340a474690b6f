//! A guest's firmware as libvirt's QEMU driver handles it: the host's firmware descriptors
//! (QEMU's `firmware.json` interop files), the selection `<os firmware='efi'>` (or `bios`)
//! asks for, the UEFI variable store (NVRAM) made from its template, and what the loader
//! puts on QEMU's command line (`-bios`, or the two pflash block nodes the machine takes).
//!
//! libvirt 9.0 selects at each fresh start, not at define: the inactive definition keeps
//! `firmware='efi'`, the live one gets the loader, NVRAM and SMM the chosen firmware needs and
//! loses the `firmware` attribute (a save image or snapshot keeps that filled-in form).

use rvirt_conf::DomainDef;
use rvirt_conf::raw::RawElement;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

const FROM: ErrorDomain = ErrorDomain::QEMU;

/// How a flash firmware keeps its variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlashMode {
    /// Code and variables in two files; the variables made per guest from a template.
    Split,
    /// Code and variables in one file.
    Combined,
    /// No variable store.
    Stateless,
}

/// What a descriptor's firmware is loaded as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mapping {
    /// Flash: the code file, and in split mode the variable store's template (each a path
    /// and its format).
    Flash {
        mode: FlashMode,
        executable: (String, String),
        template: Option<(String, String)>,
    },
    /// A kernel (`-kernel`).
    Kernel(String),
    /// A ROM mapped into memory (`-bios`).
    Memory(String),
}

/// One firmware descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Descriptor {
    /// The interfaces it offers guests: `bios`, `uefi`, `openfirmware`, `uboot`.
    pub(crate) interfaces: Vec<String>,
    /// How it is loaded.
    pub(crate) mapping: Mapping,
    /// The architectures (QEMU's names) and machine patterns it runs on.
    pub(crate) targets: Vec<(String, Vec<String>)>,
    /// The features libvirt knows of it (`requires-smm`, `secure-boot`, …); others dropped.
    pub(crate) features: Vec<String>,
}

const INTERFACES: &[&str] = &["bios", "openfirmware", "uefi", "uboot"];
const FEATURES: &[&str] = &[
    "acpi-s3",
    "acpi-s4",
    "amd-sev",
    "amd-sev-es",
    "enrolled-keys",
    "requires-smm",
    "secure-boot",
    "verbose-dynamic",
    "verbose-static",
];

fn bad(detail: String) -> Error {
    Error::internal(FROM, detail)
}

impl Descriptor {
    /// Reads the descriptor at `path` (named in the errors), as libvirt reads one: a file
    /// that is not JSON, lacks a part or names an unknown interface, device or flash mode is
    /// an error; unknown features are dropped.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Descriptor> {
        let p = path.display();
        let doc: Value = serde_json::from_str(text)
            .map_err(|_| bad(format!("unable to parse json file '{p}'")))?;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| s.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let Some(interfaces) = doc.get("interface-types").filter(|v| v.is_array()) else {
            return Err(bad(format!("failed to get interface-types from '{p}'")));
        };
        let interfaces = strings(interfaces);
        if let Some(i) = interfaces
            .iter()
            .find(|i| !INTERFACES.contains(&i.as_str()))
        {
            return Err(bad(format!("unknown interface type: '{i}'")));
        }
        let mapping = Self::parse_mapping(&doc, &p.to_string())?;
        let Some(targets) = doc.get("targets").and_then(Value::as_array) else {
            return Err(bad(format!("failed to get targets from '{p}'")));
        };
        let mut parsed = Vec::new();
        for t in targets {
            let Some(arch) = t.get("architecture").and_then(Value::as_str) else {
                return Err(bad(format!("missing 'architecture' in '{p}'")));
            };
            let Some(machines) = t.get("machines").filter(|v| v.is_array()) else {
                return Err(bad(format!("missing 'machines' in '{p}'")));
            };
            parsed.push((arch.to_string(), strings(machines)));
        }
        let Some(features) = doc.get("features").filter(|v| v.is_array()) else {
            return Err(bad(format!("failed to get features from '{p}'")));
        };
        let features = strings(features)
            .into_iter()
            .filter(|f| FEATURES.contains(&f.as_str()))
            .collect();
        Ok(Descriptor {
            interfaces,
            mapping,
            targets: parsed,
            features,
        })
    }

    fn parse_mapping(doc: &Value, p: &str) -> Result<Mapping> {
        let Some(mapping) = doc.get("mapping").filter(|v| v.is_object()) else {
            return Err(bad(format!("missing mapping in '{p}'")));
        };
        let Some(device) = mapping.get("device").and_then(Value::as_str) else {
            return Err(bad(format!("missing device type in '{p}'")));
        };
        let file = |v: &Value| -> Result<(String, String)> {
            let Some(name) = v.get("filename").and_then(Value::as_str) else {
                return Err(bad(format!("missing 'filename' in '{p}'")));
            };
            let Some(format) = v.get("format").and_then(Value::as_str) else {
                return Err(bad(format!("missing 'format' in '{p}'")));
            };
            Ok((name.to_string(), format.to_string()))
        };
        let filename = || -> Result<String> {
            mapping
                .get("filename")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(format!("missing 'filename' in '{p}'")))
        };
        match device {
            "flash" => {
                let mode = match mapping.get("mode") {
                    None => FlashMode::Split,
                    Some(Value::String(m)) => match m.as_str() {
                        "split" => FlashMode::Split,
                        "combined" => FlashMode::Combined,
                        "stateless" => FlashMode::Stateless,
                        other => {
                            return Err(bad(format!(
                                "Firmware flash mode value '{other}' unexpected"
                            )));
                        }
                    },
                    Some(_) => return Err(bad("Firmware flash mode value was malformed".into())),
                };
                let Some(executable) = mapping.get("executable") else {
                    return Err(bad(format!("missing 'executable' in '{p}'")));
                };
                let executable = file(executable)?;
                let template = match mode {
                    FlashMode::Split => match mapping.get("nvram-template") {
                        Some(t) => Some(file(t)?),
                        None => return Err(bad(format!("missing 'nvram-template' in '{p}'"))),
                    },
                    _ => None,
                };
                Ok(Mapping::Flash {
                    mode,
                    executable,
                    template,
                })
            }
            "kernel" => Ok(Mapping::Kernel(filename()?)),
            "memory" => Ok(Mapping::Memory(filename()?)),
            _ => Err(bad(format!("unknown device type in '{p}'"))),
        }
    }

    /// Whether it runs on `arch` (QEMU's name: `i386`, `x86_64`) with machine type `machine`.
    pub(crate) fn targets(&self, qemu_arch: &str, machine: &str) -> bool {
        self.targets.iter().any(|(a, machines)| {
            a == qemu_arch
                && machines
                    .iter()
                    .any(|m| glob_match(m.as_bytes(), machine.as_bytes()))
        })
    }

    /// Whether it has `feature` (`requires-smm`, `secure-boot`, …).
    pub(crate) fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// The path of the code it loads (the flash executable, the ROM or the kernel).
    pub(crate) fn code_path(&self) -> &str {
        match &self.mapping {
            Mapping::Flash { executable, .. } => &executable.0,
            Mapping::Kernel(p) | Mapping::Memory(p) => p,
        }
    }
}

/// `fnmatch`-style matching of `*` and `?` (what descriptors' machine patterns use).
pub(crate) fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    match pattern.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob_match(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob_match(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_match(rest, &s[1..]),
    }
}

/// The firmware descriptor files of the host, by file name, later folders overriding earlier
/// ones and an empty file hiding one, sorted by name: `/usr/share/qemu/firmware`,
/// `/etc/qemu/firmware`, and for an unprivileged driver the user's `qemu/firmware`
/// configuration folder.
pub(crate) fn descriptor_paths() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/share/qemu/firmware"),
        PathBuf::from("/etc/qemu/firmware"),
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
        if let Some(c) = config {
            dirs.push(c.join("qemu/firmware"));
        }
    }
    let mut by_name = std::collections::BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                by_name.insert(name, e.path());
            }
        }
    }
    by_name
        .into_values()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .collect()
}

/// Every descriptor of the host with its path; one that cannot be read or parsed is an error,
/// as in libvirt's selection.
pub(crate) fn descriptors() -> Result<Vec<(PathBuf, Descriptor)>> {
    descriptor_paths()
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| {
                Error::system(FROM, format!("Failed to open file '{}'", p.display()), &e)
            })?;
            let d = Descriptor::parse(&p, &text)?;
            Ok((p, d))
        })
        .collect()
}

/// QEMU's name of a libvirt architecture, as descriptors name them.
pub(crate) fn qemu_arch(arch: &str) -> &str {
    match arch {
        "i686" => "i386",
        "armv7l" => "arm",
        other => other,
    }
}

/// Sets (or adds) an attribute, keeping the order libvirt prints them in (`order`).
fn set_attr(attrs: &mut Vec<(String, String)>, key: &str, value: &str, order: &[&str]) {
    if let Some(a) = attrs.iter_mut().find(|(k, _)| k == key) {
        a.1 = value.to_string();
        return;
    }
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    let at = attrs
        .iter()
        .position(|(k, _)| rank(k) > rank(key))
        .unwrap_or(attrs.len());
    attrs.insert(at, (key.to_string(), value.to_string()));
}

const LOADER_ORDER: &[&str] = &["readonly", "secure", "type", "stateless"];
const NVRAM_ORDER: &[&str] = &["template", "type"];

/// `<loader type='pflash'>`: libvirt's "old-style" UEFI (a loader given by path, or one the
/// selection filled in).
pub(crate) fn is_pflash(def: &DomainDef) -> bool {
    def.os.rest.loader_attr("type") == Some("pflash")
}

/// A read-only pflash loader.
fn is_readonly_pflash(def: &DomainDef) -> bool {
    is_pflash(def) && def.os.rest.loader_attr("readonly") == Some("yes")
}

/// Where a guest's variable store is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Nvram {
    /// It has none.
    None,
    /// In a local file or block device.
    Local(PathBuf),
    /// On the network (`<nvram type='network'>`).
    Network,
}

/// The guest's variable store.
pub(crate) fn nvram(def: &DomainDef) -> Nvram {
    let rest = &def.os.rest;
    let Some((_, path)) = &rest.nvram else {
        return Nvram::None;
    };
    match rest.nvram_attr("type") {
        None => {
            if path.is_empty() {
                Nvram::None
            } else {
                Nvram::Local(PathBuf::from(path))
            }
        }
        Some("network") => Nvram::Network,
        Some(_) => {
            let src = rest.nvram_source.as_ref();
            match src.and_then(|s| s.attr("file").or_else(|| s.attr("dev"))) {
                Some(p) => Nvram::Local(PathBuf::from(p)),
                None => Nvram::None,
            }
        }
    }
}

/// libvirt's default variable store of guest `name`: `NVRAM_DIR/NAME_VARS.fd`.
pub(crate) fn default_nvram_path(nvram_dir: &Path, name: &str) -> PathBuf {
    nvram_dir.join(format!("{name}_VARS.fd"))
}

/// The variable store an undefine of `def` looks at: its local one, else (with
/// `<os firmware='efi'>`) libvirt's default path.
pub(crate) fn undefine_nvram_path(def: &DomainDef, nvram_dir: &Path) -> Option<PathBuf> {
    match nvram(def) {
        Nvram::Local(p) => Some(p),
        _ if def.os.rest.firmware.as_deref() == Some("efi") => {
            Some(default_nvram_path(nvram_dir, &def.name))
        }
        _ => None,
    }
}

/// The QEMU driver's post-parse pass over the firmware: a read-only pflash loader without a
/// variable store (and not stateless) gets libvirt's default one in `nvram_dir`.
pub(crate) fn fill_nvram_path(def: &mut DomainDef, nvram_dir: &Path) {
    if !is_readonly_pflash(def)
        || def.os.rest.nvram.is_some()
        || def.os.rest.loader_attr("stateless") == Some("yes")
    {
        return;
    }
    let path = default_nvram_path(nvram_dir, &def.name);
    def.os.rest.nvram = Some((Vec::new(), path.display().to_string()));
}

fn unsupported(detail: &str) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// libvirt's QEMU checks of the firmware: secure boot needs a q35 machine, x86_64 and (unless
/// the firmware is selected, which turns it on) SMM; UEFI on x86 needs ACPI.
pub(crate) fn validate(def: &DomainDef) -> Result<()> {
    let rest = &def.os.rest;
    let arch = def.os.arch.as_deref().unwrap_or("x86_64");
    if rest.loader_attr("secure") == Some("yes") {
        if !crate::defaults::is_q35(def.os.machine.as_deref()) {
            return Err(unsupported(
                "Secure boot is supported with q35 machine types only",
            ));
        }
        if arch != "x86_64" {
            return Err(unsupported(
                "Secure boot is supported for x86_64 architecture only",
            ));
        }
        if rest.firmware.is_none() && crate::defaults::feature_state(def, "smm") != Some("on") {
            return Err(unsupported("Secure boot requires SMM feature enabled"));
        }
    }
    let uefi = rest.firmware.as_deref() == Some("efi") || is_pflash(def);
    if uefi
        && (arch == "x86_64" || arch == "i686")
        && crate::defaults::feature_state(def, "acpi") != Some("on")
    {
        return Err(unsupported("UEFI requires ACPI on this architecture"));
    }
    Ok(())
}

/// Why a descriptor does not suit a guest, for the debug log; `None` when it does.
fn mismatch(def: &DomainDef, d: &Descriptor) -> Option<&'static str> {
    let rest = &def.os.rest;
    let mut want = match rest.firmware.as_deref() {
        Some("efi") => "uefi",
        Some(_) => "bios",
        None => "",
    };
    if want.is_empty() {
        if let Some((_, path)) = &rest.loader {
            want = if is_pflash(def) { "uefi" } else { "bios" };
            match &d.mapping {
                Mapping::Flash { executable, .. } if &executable.0 == path => {}
                _ => return Some("another loader path"),
            }
        }
    }
    if !d.interfaces.iter().any(|i| i == want) {
        return Some("no matching interface");
    }
    let machine = def.os.machine.as_deref().unwrap_or("");
    if !d.targets(
        qemu_arch(def.os.arch.as_deref().unwrap_or("x86_64")),
        machine,
    ) {
        return Some("no matching machine type");
    }
    let [s3, s4] = def.extras.pm;
    if s3 == Some(true) && !d.has("acpi-s3") {
        return Some("no S3");
    }
    if s4 == Some(true) && !d.has("acpi-s4") {
        return Some("no S4");
    }
    if let Some(feats) = &rest.firmware_features {
        // FIRMWARE_FEATURES: enrolled-keys, secure-boot.
        for (i, on) in feats {
            let name = rvirt_conf::domain::FIRMWARE_FEATURES
                .get(usize::from(*i))
                .copied()
                .unwrap_or("");
            if d.has(name) != *on {
                return Some("firmware feature differs");
            }
        }
    }
    if rest.loader_attr("secure") == Some("yes") && !d.has("requires-smm") {
        return Some("no SMM");
    }
    if let Mapping::Flash { mode, .. } = &d.mapping {
        let stateless = rest.loader_attr("stateless") == Some("yes");
        let wanted = if stateless {
            FlashMode::Stateless
        } else {
            FlashMode::Split
        };
        if *mode != wanted {
            return Some("flash mode");
        }
    }
    None
}

/// How a start asks for the firmware.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FillHow {
    /// A fresh start (not a restore or a snapshot's revert): autoselection runs.
    pub(crate) new: bool,
    /// The variable store is to be made anew from its template.
    pub(crate) reset_nvram: bool,
}

/// libvirt's firmware selection for a starting guest (its live definition): with
/// `<os firmware>` at a fresh start, the first descriptor that suits the guest (an error when
/// none does); for a read-only pflash loader given by path whose variable store is missing
/// (or to be reset) and which names no template, the descriptor of that code file, if any,
/// for its template. The chosen firmware fills in the loader, the variable store (libvirt's
/// default path unless one is given) and its template, and turns SMM on where it needs it.
pub(crate) fn select(def: &mut DomainDef, nvram_dir: &Path, how: FillHow) -> Result<()> {
    let need = match def.os.rest.firmware {
        Some(_) => {
            if !how.new {
                return Ok(());
            }
            true
        }
        None => {
            if !is_readonly_pflash(def) || def.os.rest.nvram_attr("template").is_some() {
                return Ok(());
            }
            match nvram(def) {
                Nvram::Network if how.reset_nvram => {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        "resetting of nvram is not supported with network backed nvram",
                    ));
                }
                Nvram::Network => return Ok(()),
                Nvram::Local(p) if !how.reset_nvram && p.exists() => return Ok(()),
                _ => {}
            }
            false
        }
    };
    let all = descriptors()?;
    let Some((path, chosen)) = all.into_iter().find(|(p, d)| match mismatch(def, d) {
        Some(why) => {
            tracing::debug!("firmware {}: {why}", p.display());
            false
        }
        None => true,
    }) else {
        if need {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                format!(
                    "Unable to find any firmware to satisfy '{}'",
                    def.os.rest.firmware.as_deref().unwrap_or("")
                ),
            ));
        }
        return Ok(());
    };
    tracing::debug!("firmware {} chosen for {}", path.display(), def.name);
    apply(def, &chosen, nvram_dir)?;
    // The features asked for stay in the live definition (until it is read back from the
    // status file, which, without `firmware`, drops them: libvirt's parser does the same).
    def.os.rest.firmware = None;
    Ok(())
}

/// Fills the definition in from the chosen firmware `d`.
fn apply(def: &mut DomainDef, d: &Descriptor, nvram_dir: &Path) -> Result<()> {
    let name = def.name.clone();
    let rest = &mut def.os.rest;
    match &d.mapping {
        Mapping::Flash {
            mode,
            executable,
            template,
        } => {
            let loader = rest.loader.get_or_insert_with(Default::default);
            set_attr(&mut loader.0, "type", "pflash", LOADER_ORDER);
            set_attr(&mut loader.0, "readonly", "yes", LOADER_ORDER);
            if executable.1 != "raw" {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    format!("unsupported flash format '{}'", executable.1),
                ));
            }
            loader.1 = executable.0.clone();
            if *mode == FlashMode::Split
                && let Some((file, format)) = template
            {
                if format != "raw" {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::OPERATION_UNSUPPORTED,
                        format!("unsupported nvram template format '{format}'"),
                    ));
                }
                let nvram = rest.nvram.get_or_insert_with(|| {
                    let path = default_nvram_path(nvram_dir, &name);
                    (Vec::new(), path.display().to_string())
                });
                set_attr(&mut nvram.0, "template", file, NVRAM_ORDER);
            }
        }
        Mapping::Kernel(file) => rest.kernel = Some(file.clone()),
        Mapping::Memory(file) => {
            let loader = rest.loader.get_or_insert_with(Default::default);
            set_attr(&mut loader.0, "type", "rom", LOADER_ORDER);
            loader.1 = file.clone();
        }
    }
    if d.has("requires-smm") {
        match crate::defaults::feature_state(def, "smm") {
            Some("off") => {
                return Err(Error::operation_invalid(
                    FROM,
                    "domain has SMM turned off but chosen firmware requires it",
                ));
            }
            Some(_) => {}
            None => {
                let feats = def.features.get_or_insert_with(Vec::new);
                let smm = RawElement {
                    name: "smm".into(),
                    attrs: vec![("state".into(), "on".into())],
                    children: Vec::new(),
                };
                insert_feature(feats, smm);
            }
        }
        if let Some(loader) = def.os.rest.loader.as_mut() {
            set_attr(&mut loader.0, "secure", "yes", LOADER_ORDER);
        }
    }
    Ok(())
}

/// Adds `feature` to the `<features>` children where libvirt prints it.
fn insert_feature(feats: &mut Vec<RawElement>, feature: RawElement) {
    let order = rvirt_conf::domain::FEATURES;
    let rank = |n: &str| order.iter().position(|o| *o == n).unwrap_or(order.len());
    let mine = rank(&feature.name);
    let at = feats
        .iter()
        .position(|e| rank(&e.name) > mine)
        .unwrap_or(feats.len());
    feats.insert(at, feature);
}

/// The template of the variable store of `def`'s loader: the `<nvram template>`, else the
/// qemu.conf `nvram` entry of its code file.
fn template_of<'a>(def: &'a DomainDef, conf: &'a [(String, String)]) -> Option<&'a str> {
    def.os.rest.nvram_attr("template").or_else(|| {
        let loader = def.os.rest.loader.as_ref().map(|(_, p)| p.as_str())?;
        conf.iter()
            .find(|(code, _)| code == loader)
            .map(|(_, vars)| vars.as_str())
    })
}

/// Makes the guest's local variable store from its template when it does not exist, or
/// anew when `reset` (libvirt's qemuPrepareNVRAM): written beside and renamed into place,
/// mode 0600, owned by `owner` (QEMU's user and group).
pub(crate) fn prepare_nvram(
    def: &DomainDef,
    conf: &[(String, String)],
    reset: bool,
    owner: (u32, u32),
) -> Result<()> {
    let Nvram::Local(path) = nvram(def) else {
        return Ok(());
    };
    if def.os.rest.loader.is_none() || (!reset && path.exists()) {
        return Ok(());
    }
    let Some(template) = template_of(def, conf) else {
        let loader = def.os.rest.loader.as_ref().map_or("", |(_, p)| p.as_str());
        return Err(Error::with_detail(
            FROM,
            ErrorNumber::OPERATION_FAILED,
            format!("unable to find any master var store for loader: {loader}"),
        ));
    };
    let data = std::fs::read(template)
        .map_err(|e| Error::system(FROM, format!("Failed to open file '{template}'"), &e))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::system(FROM, format!("cannot create '{}'", dir.display()), &e))?;
    }
    crate::util::write_atomic_owned(&path, &data, 0o600, Some(owner))
        .map_err(|e| Error::system(FROM, format!("cannot create file '{}'", path.display()), &e))
}

/// The loader's block nodes, as libvirt names them: the code (`libvirt-pflash0-*`) and the
/// variable store (`libvirt-pflash1-*`), each a file node and a raw format node on it. Empty
/// without a pflash loader.
pub(crate) fn pflash_blockdevs(def: &DomainDef) -> Vec<String> {
    if !is_pflash(def) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut node = |n: u8, path: &str, readonly: bool, block: bool| {
        let file = serde_json::json!({
            "driver": if block { "host_device" } else { "file" },
            "filename": path,
            "node-name": format!("libvirt-pflash{n}-storage"),
            "auto-read-only": true,
            "discard": "unmap",
        });
        let format = serde_json::json!({
            "node-name": format!("libvirt-pflash{n}-format"),
            "read-only": readonly,
            "driver": "raw",
            "file": format!("libvirt-pflash{n}-storage"),
        });
        out.push(file.to_string());
        out.push(format.to_string());
    };
    if let Some((_, code)) = &def.os.rest.loader {
        node(
            0,
            code,
            def.os.rest.loader_attr("readonly") == Some("yes"),
            false,
        );
    }
    if let Nvram::Local(p) = nvram(def) {
        // A block device store (`<nvram type='block'>`) is a host device node, as libvirt
        // gives it.
        let block = def.os.rest.nvram_attr("type") == Some("block");
        node(1, &p.display().to_string(), false, block);
    }
    out
}

/// What `-machine` gets for the loader: the pflash nodes it takes.
pub(crate) fn machine_options(def: &DomainDef) -> String {
    if !is_pflash(def) {
        return String::new();
    }
    let mut s = String::from(",pflash0=libvirt-pflash0-format");
    if nvram(def) != Nvram::None {
        s.push_str(",pflash1=libvirt-pflash1-format");
    }
    s
}

/// The loader's own options: `-bios` for a ROM, and for a secure pflash the flash's `secure`
/// property.
pub(crate) fn loader_args(def: &DomainDef) -> Vec<String> {
    let rest = &def.os.rest;
    match (rest.loader_attr("type"), &rest.loader) {
        (Some("rom"), Some((_, path))) => vec!["-bios".into(), path.clone()],
        (Some("pflash"), _) if rest.loader_attr("secure") == Some("yes") => vec![
            "-global".into(),
            "driver=cfi.pflash01,property=secure,value=on".into(),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECURE: &str = r#"{"interface-types": ["uefi"],
        "mapping": {"device": "flash",
            "executable": {"filename": "/fw/CODE.secboot.fd", "format": "raw"},
            "nvram-template": {"filename": "/fw/VARS.fd", "format": "raw"}},
        "targets": [{"architecture": "x86_64", "machines": ["pc-q35-*"]}],
        "features": ["acpi-s3", "requires-smm", "secure-boot", "something-new"]}"#;

    #[test]
    fn machine_patterns() {
        assert!(glob_match(b"pc-q35-*", b"pc-q35-7.2"));
        assert!(!glob_match(b"pc-q35-*", b"pc-i440fx-7.2"));
        assert!(glob_match(b"pc-?35-7.2", b"pc-q35-7.2"));
        assert!(glob_match(b"*", b""));
    }

    #[test]
    fn descriptors_are_read_as_libvirt_reads_them() {
        let d = Descriptor::parse(Path::new("/x.json"), SECURE).unwrap();
        assert!(d.targets("x86_64", "pc-q35-7.2"));
        assert!(!d.targets("x86_64", "pc-i440fx-7.2"));
        assert!(!d.targets("i386", "pc-q35-7.2"));
        // An unknown feature is dropped, not an error.
        assert_eq!(d.features, ["acpi-s3", "requires-smm", "secure-boot"]);
        assert_eq!(
            d.mapping,
            Mapping::Flash {
                mode: FlashMode::Split,
                executable: ("/fw/CODE.secboot.fd".into(), "raw".into()),
                template: Some(("/fw/VARS.fd".into(), "raw".into())),
            }
        );
        let err = |text: &str| {
            Descriptor::parse(Path::new("/x.json"), text)
                .unwrap_err()
                .to_string()
        };
        assert!(err("not json").ends_with("unable to parse json file '/x.json'"));
        assert!(
            err(&SECURE.replace("\"uefi\"", "\"efi\"")).ends_with("unknown interface type: 'efi'")
        );
        assert!(
            err(&SECURE.replace("nvram-template", "vars"))
                .ends_with("missing 'nvram-template' in '/x.json'")
        );
        let stateless = SECURE
            .replace(
                r#""device": "flash","#,
                r#""device": "flash", "mode": "stateless","#,
            )
            .replace(
                r#""nvram-template": {"filename": "/fw/VARS.fd", "format": "raw"}"#,
                r#""x": 1"#,
            );
        let d = Descriptor::parse(Path::new("/x.json"), &stateless).unwrap();
        assert!(matches!(
            d.mapping,
            Mapping::Flash {
                mode: FlashMode::Stateless,
                template: None,
                ..
            }
        ));
    }

    #[test]
    fn attributes_keep_libvirts_order() {
        let mut a = vec![("type".to_string(), "pflash".to_string())];
        set_attr(&mut a, "readonly", "yes", LOADER_ORDER);
        set_attr(&mut a, "secure", "yes", LOADER_ORDER);
        set_attr(&mut a, "type", "pflash", LOADER_ORDER);
        let keys: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["readonly", "secure", "type"]);
    }
}
