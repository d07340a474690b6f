//! The host's own x86 CPU (libvirt's `virCPUx86GetHost`): every CPUID leaf and the sub-leaves
//! libvirt walks, and the `IA32_ARCH_CAPABILITIES` MSR when the CPU has one and KVM (or the
//! msr driver) gives it, as CPU data.

use super::data::{Data, Key};

/// One CPUID call: eax, ebx, ecx, edx for `leaf` and `subleaf`.
#[cfg(target_arch = "x86_64")]
fn cpuid(leaf: u32, subleaf: u32) -> [u32; 4] {
    // The CPUID instruction is present on every x86_64 CPU and has no side effects.
    let r = std::arch::x86_64::__cpuid_count(leaf, subleaf);
    [r.eax, r.ebx, r.ecx, r.edx]
}

#[cfg(not(target_arch = "x86_64"))]
fn cpuid(_leaf: u32, _subleaf: u32) -> [u32; 4] {
    [0; 4]
}

/// The CPUID leaves from `base` to the highest `base` reports, with the sub-leaves libvirt's
/// `cpuidSet` asks for, added to `data`.
fn leaves(base: u32, data: &mut Data, call: &dyn Fn(u32, u32) -> [u32; 4]) {
    let max = call(base, 0)[0];
    let mut add = |leaf: u32, sub: u32, regs: [u32; 4]| {
        data.add(&Data::item(Key::Cpuid(leaf, sub), regs));
    };
    // A bad maximum (all ones) would walk forever: libvirt trusts the CPU, rvirt caps it.
    for leaf in base..=max.min(base.saturating_add(0xff)) {
        let r0 = call(leaf, 0);
        match leaf {
            // Deterministic cache parameters: sub-leaves until one has no cache type.
            0x4 => {
                add(leaf, 0, r0);
                let (mut sub, mut r) = (0, r0);
                while r[0] & 0x1f != 0 && sub < 64 {
                    sub += 1;
                    r = call(leaf, sub);
                    add(leaf, sub, r);
                }
            }
            // Structured features, processor trace, SoC vendor: sub-leaves up to sub-leaf 0's eax.
            0x7 | 0x14 | 0x17 => {
                if leaf == 0x17 && r0[0] < 3 {
                    continue;
                }
                add(leaf, 0, r0);
                for sub in 1..=r0[0].min(64) {
                    add(leaf, sub, call(leaf, sub));
                }
            }
            // Extended topology: sub-leaves while they name a level type.
            0xb => {
                let (mut sub, mut r) = (0, r0);
                while r[2] & 0xff00 != 0 && sub < 64 {
                    add(leaf, sub, r);
                    sub += 1;
                    r = call(leaf, sub);
                }
            }
            // Extended state: sub-leaves 0 and 1, then those either names.
            0xd => {
                add(leaf, 0, r0);
                let r1 = call(leaf, 1);
                add(leaf, 1, r1);
                for sub in 2..64u32 {
                    let named = if sub < 32 {
                        (r0[0] | r1[2]) & (1 << sub) != 0
                    } else {
                        (r0[3] | r1[3]) & (1 << (sub - 32)) != 0
                    };
                    if named {
                        add(leaf, sub, call(leaf, sub));
                    }
                }
            }
            // RDT monitoring (edx) and allocation (ebx): the resources sub-leaf 0 names.
            0xf | 0x10 => {
                add(leaf, 0, r0);
                let res = if leaf == 0xf { r0[3] } else { r0[1] };
                for sub in (1..32).filter(|s| res & (1 << s) != 0) {
                    add(leaf, sub, call(leaf, sub));
                }
            }
            // SGX: only with SGX (leaf 7's ebx bit 2); sub-leaf 1, then while valid.
            0x12 => {
                let sgx = call(0x7, 0)[1] & (1 << 2) != 0;
                if !sgx {
                    continue;
                }
                add(leaf, 0, r0);
                add(leaf, 1, call(leaf, 1));
                let mut sub = 2;
                let mut r = call(leaf, sub);
                while r[0] & 0xf != 0 && sub < 64 {
                    add(leaf, sub, r);
                    sub += 1;
                    r = call(leaf, sub);
                }
            }
            _ => add(leaf, 0, r0),
        }
    }
}

/// `IA32_ARCH_CAPABILITIES`, read as libvirt reads it: from the msr driver, else from KVM.
fn arch_capabilities() -> Option<u64> {
    use std::os::unix::fs::FileExt;
    const INDEX: u32 = 0x10a;
    if let Ok(f) = std::fs::File::open("/dev/cpu/0/msr") {
        let mut b = [0u8; 8];
        if f.read_exact_at(&mut b, u64::from(INDEX)).is_ok() {
            return Some(u64::from_le_bytes(b));
        }
    }
    msr_from_kvm(INDEX)
}

/// A feature MSR as KVM reports it (`KVM_GET_MSRS` on `/dev/kvm`).
fn msr_from_kvm(index: u32) -> Option<u64> {
    use std::os::fd::AsRawFd;
    /// `struct kvm_msrs` with one `struct kvm_msr_entry`.
    #[repr(C)]
    struct Msrs {
        nmsrs: u32,
        pad: u32,
        index: u32,
        reserved: u32,
        data: u64,
    }
    /// `_IOWR(KVMIO, 0x88, struct kvm_msrs)`.
    const KVM_GET_MSRS: libc::c_ulong = 0xc008_ae88;
    let kvm = std::fs::File::open("/dev/kvm").ok()?;
    let mut m = Msrs {
        nmsrs: 1,
        pad: 0,
        index,
        reserved: 0,
        data: 0,
    };
    // SAFETY: `m` is a kvm_msrs header followed by the one entry it counts, as the ioctl
    // expects; the descriptor is open for the call's length.
    let n = unsafe { libc::ioctl(kvm.as_raw_fd(), KVM_GET_MSRS, &mut m as *mut Msrs) };
    (n == 1).then_some(m.data)
}

/// The host CPU's data: basic and extended CPUID leaves, and `IA32_ARCH_CAPABILITIES` when
/// `arch_caps` (the map's `arch-capabilities` feature) is among them and can be read.
pub(crate) fn host_data(arch_caps: Option<&Data>) -> Data {
    let mut data = Data::default();
    leaves(0, &mut data, &cpuid);
    leaves(0x8000_0000, &mut data, &cpuid);
    if arch_caps.is_some_and(|f| data.contains(f))
        && let Some(msr) = arch_capabilities()
    {
        let (eax, edx) = (msr as u32, (msr >> 32) as u32);
        data.add(&Data::item(Key::Msr(0x10a), [eax, 0, 0, edx]));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_leaves_are_walked_as_libvirt_walks_them() {
        // A CPU with leaves 0..=0xd: leaf 4 with two caches, leaf 7 with one more sub-leaf,
        // leaf 0xb with two levels, leaf 0xd naming sub-leaf 2 (eax bit 2).
        let call = |leaf: u32, sub: u32| -> [u32; 4] {
            match (leaf, sub) {
                (0, _) => [0xd, 1, 2, 3],
                (4, 0 | 1) => [0x21, 0, 0, 0],
                (4, _) => [0, 0, 0, 0],
                (7, 0) => [1, 0x10, 0, 0],
                (7, 1) => [0x20, 0, 0, 0],
                (0xb, 0 | 1) => [0, 0, 0x100, 0],
                (0xd, 0) => [0b111, 0, 0, 0],
                (0xd, s) => [s, 0, 0, 0],
                _ => [0, 0, 0, 0],
            }
        };
        let mut d = Data::default();
        leaves(0, &mut d, &call);
        let has = |l, s| d.contains(&Data::item(Key::Cpuid(l, s), call(l, s)));
        assert!(has(4, 2) && has(7, 1) && has(0xb, 1) && has(0xd, 2));
        // The walk stopped where libvirt's stops: no sub-leaf 3 of leaf 4, 2 of 7, 3 of 0xd.
        let keys: Vec<_> = d.keys().collect();
        assert!(!keys.contains(&&Key::Cpuid(4, 3)));
        assert!(!keys.contains(&&Key::Cpuid(7, 2)));
        assert!(!keys.contains(&&Key::Cpuid(0xd, 3)));
        assert!(!keys.contains(&&Key::Cpuid(0xb, 2)));
    }
}
