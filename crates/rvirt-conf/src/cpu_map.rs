//! Facts about libvirt 9.0's architectures and CPU map: which architecture names libvirt knows
//! (`virArchFromString`), which CPU driver serves each, and the CPU models each driver lists
//! (`virCPUGetModels`, in the order of `src/cpu_map/index.xml`).

use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The architecture names libvirt 9.0 knows, in its table's order. `none`, the table's first
/// entry, is no architecture and never matches a name (`loongarch64` came after 9.0).
pub const ARCHES: &[&str] = &[
    "alpha",
    "armv6l",
    "armv7l",
    "armv7b",
    "aarch64",
    "cris",
    "i686",
    "ia64",
    "lm32",
    "m68k",
    "microblaze",
    "microblazeel",
    "mips",
    "mipsel",
    "mips64",
    "mips64el",
    "openrisc",
    "parisc",
    "parisc64",
    "ppc",
    "ppcle",
    "ppc64",
    "ppc64le",
    "ppcemb",
    "riscv32",
    "riscv64",
    "s390",
    "s390x",
    "sh4",
    "sh4eb",
    "sparc",
    "sparc64",
    "unicore32",
    "x86_64",
    "xtensa",
    "xtensaeb",
];

/// The x86 models of the CPU map, in its order.
const X86_MODELS: &[&str] = &[
    "486",
    "pentium",
    "pentium2",
    "pentium3",
    "pentiumpro",
    "coreduo",
    "n270",
    "core2duo",
    "qemu32",
    "kvm32",
    "cpu64-rhel5",
    "cpu64-rhel6",
    "qemu64",
    "kvm64",
    "Conroe",
    "Penryn",
    "Nehalem",
    "Nehalem-IBRS",
    "Westmere",
    "Westmere-IBRS",
    "SandyBridge",
    "SandyBridge-IBRS",
    "IvyBridge",
    "IvyBridge-IBRS",
    "Haswell-noTSX",
    "Haswell-noTSX-IBRS",
    "Haswell",
    "Haswell-IBRS",
    "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS",
    "Broadwell",
    "Broadwell-IBRS",
    "Skylake-Client",
    "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS",
    "Skylake-Server",
    "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS",
    "Cascadelake-Server",
    "Cascadelake-Server-noTSX",
    "Icelake-Client",
    "Icelake-Client-noTSX",
    "Icelake-Server",
    "Icelake-Server-noTSX",
    "Cooperlake",
    "Snowridge",
    "athlon",
    "phenom",
    "Opteron_G1",
    "Opteron_G2",
    "Opteron_G3",
    "Opteron_G4",
    "Opteron_G5",
    "EPYC",
    "EPYC-IBPB",
    "EPYC-Rome",
    "EPYC-Milan",
    "Dhyana",
];

/// The ppc64 models of the CPU map, in its order.
/// The vendor each x86 model of the CPU map names (models without one, such as `qemu64`, are
/// absent), in the map's order.
const X86_VENDORS: &[(&str, &str)] = &[
    ("coreduo", "Intel"),
    ("n270", "Intel"),
    ("core2duo", "Intel"),
    ("Conroe", "Intel"),
    ("Penryn", "Intel"),
    ("Nehalem", "Intel"),
    ("Nehalem-IBRS", "Intel"),
    ("Westmere", "Intel"),
    ("Westmere-IBRS", "Intel"),
    ("SandyBridge", "Intel"),
    ("SandyBridge-IBRS", "Intel"),
    ("IvyBridge", "Intel"),
    ("IvyBridge-IBRS", "Intel"),
    ("Haswell-noTSX", "Intel"),
    ("Haswell-noTSX-IBRS", "Intel"),
    ("Haswell", "Intel"),
    ("Haswell-IBRS", "Intel"),
    ("Broadwell-noTSX", "Intel"),
    ("Broadwell-noTSX-IBRS", "Intel"),
    ("Broadwell", "Intel"),
    ("Broadwell-IBRS", "Intel"),
    ("Skylake-Client", "Intel"),
    ("Skylake-Client-IBRS", "Intel"),
    ("Skylake-Client-noTSX-IBRS", "Intel"),
    ("Skylake-Server", "Intel"),
    ("Skylake-Server-IBRS", "Intel"),
    ("Skylake-Server-noTSX-IBRS", "Intel"),
    ("Cascadelake-Server", "Intel"),
    ("Cascadelake-Server-noTSX", "Intel"),
    ("Icelake-Client", "Intel"),
    ("Icelake-Client-noTSX", "Intel"),
    ("Icelake-Server", "Intel"),
    ("Icelake-Server-noTSX", "Intel"),
    ("Cooperlake", "Intel"),
    ("Snowridge", "Intel"),
    ("athlon", "AMD"),
    ("phenom", "AMD"),
    ("Opteron_G1", "AMD"),
    ("Opteron_G2", "AMD"),
    ("Opteron_G3", "AMD"),
    ("Opteron_G4", "AMD"),
    ("Opteron_G5", "AMD"),
    ("EPYC", "AMD"),
    ("EPYC-IBPB", "AMD"),
    ("EPYC-Rome", "AMD"),
    ("EPYC-Milan", "AMD"),
    ("Dhyana", "Hygon"),
];

/// The vendor (`Intel`, `AMD`, `Hygon`) libvirt's CPU map gives x86 model `model`, if any.
pub fn x86_model_vendor(model: &str) -> Option<&'static str> {
    X86_VENDORS
        .iter()
        .find(|(m, _)| *m == model)
        .map(|(_, v)| *v)
}

const PPC64_MODELS: &[&str] = &[
    "POWER6",
    "POWER7",
    "POWER8",
    "POWER9",
    "POWER10",
    "POWERPC_e5500",
    "POWERPC_e6500",
];

/// One of libvirt's CPU drivers: the architectures it serves and the models it lists. The s390
/// and ARM drivers list none (every model is accepted), although the map has ARM models.
struct CpuDriver {
    arches: &'static [&'static str],
    models: &'static [&'static str],
}

/// libvirt's CPU drivers, in the order it asks them.
const CPU_DRIVERS: &[CpuDriver] = &[
    CpuDriver {
        arches: &["i686", "x86_64"],
        models: X86_MODELS,
    },
    CpuDriver {
        arches: &["ppc64", "ppc64le"],
        models: PPC64_MODELS,
    },
    CpuDriver {
        arches: &["s390", "s390x"],
        models: &[],
    },
    CpuDriver {
        arches: &["armv6l", "armv7b", "armv7l", "aarch64"],
        models: &[],
    },
];

/// Whether libvirt knows an architecture by this exact name (case matters).
pub fn is_known_arch(name: &str) -> bool {
    ARCHES.contains(&name)
}

/// `virCPUGetModels` for a known architecture: the models its CPU driver lists, or
/// `VIR_ERR_NO_SUPPORT` from the CPU driver when no CPU driver serves the architecture.
pub fn cpu_models(arch: &str) -> Result<&'static [&'static str]> {
    CPU_DRIVERS
        .iter()
        .find(|d| d.arches.contains(&arch))
        .map(|d| d.models)
        .ok_or_else(|| {
            Error::with_detail(
                ErrorDomain::CPU,
                ErrorNumber::NO_SUPPORT,
                format!("'{arch}' architecture is not supported by CPU driver"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_lists_the_maps_58_models_in_order() {
        let m = cpu_models("x86_64").expect("x86_64 has a CPU driver");
        assert_eq!(m.len(), 58);
        assert_eq!((m[0], m[57]), ("486", "Dhyana"));
        assert_eq!(cpu_models("i686").ok(), Some(m));
        assert_eq!(cpu_models("ppc64le").map(<[_]>::len).ok(), Some(7));
        assert_eq!(cpu_models("aarch64").map(<[_]>::len).ok(), Some(0));
    }

    #[test]
    fn architectures_without_a_cpu_driver_are_not_supported() {
        assert!(is_known_arch("riscv64") && !is_known_arch("arm") && !is_known_arch("none"));
        let e = cpu_models("riscv64").expect_err("no CPU driver for riscv64");
        assert_eq!(
            (e.code, e.domain),
            (ErrorNumber::NO_SUPPORT, ErrorDomain::CPU)
        );
        assert_eq!(
            e.message,
            "this function is not supported by the connection driver: 'riscv64' architecture is \
             not supported by CPU driver"
        );
    }
}
