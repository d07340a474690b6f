//! x86 CPU data as libvirt models it (`virCPUx86Data`): groups of bits keyed by CPUID leaf and
//! sub-leaf (registers eax, ebx, ecx, edx) or by MSR index (eax, edx), with libvirt's set
//! operations on them. An all-zero group means nothing, whether present or not.

use std::collections::BTreeMap;

/// Where a group of bits lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    /// CPUID leaf (`eax_in`) and sub-leaf (`ecx_in`).
    Cpuid(u32, u32),
    /// MSR index.
    Msr(u32),
}

/// The registers of a group: eax, ebx, ecx, edx for CPUID; eax, 0, 0, edx for an MSR.
pub(crate) type Regs = [u32; 4];

/// A set of CPUID and MSR bits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Data(BTreeMap<Key, Regs>);

/// Leaf 1's eax bits that make up the processor signature.
const SIGNATURE_MASK: u32 = 0x0fff_3fff;

impl Data {
    /// Data of one group.
    pub(crate) fn item(key: Key, regs: Regs) -> Data {
        let mut d = Data::default();
        d.0.insert(key, regs);
        d
    }

    /// `x86DataAdd`: every bit of `other` set here too.
    pub(crate) fn add(&mut self, other: &Data) {
        for (k, v) in &other.0 {
            let e = self.0.entry(*k).or_default();
            for (a, b) in e.iter_mut().zip(v) {
                *a |= b;
            }
        }
    }

    /// `x86DataSubtract`: every bit of `other` cleared here.
    pub(crate) fn subtract(&mut self, other: &Data) {
        for (k, v) in &mut self.0 {
            if let Some(o) = other.0.get(k) {
                for (a, b) in v.iter_mut().zip(o) {
                    *a &= !b;
                }
            }
        }
    }

    /// `x86DataIntersect`: only the bits both have kept.
    pub(crate) fn intersect(&mut self, other: &Data) {
        for (k, v) in &mut self.0 {
            let o = other.0.get(k).copied().unwrap_or_default();
            for (a, b) in v.iter_mut().zip(o) {
                *a &= b;
            }
        }
    }

    /// The groups present, zero or not.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Key> {
        self.0.keys()
    }

    /// Whether any of the bits are MSR bits.
    pub(crate) fn has_msr(&self) -> bool {
        self.0.keys().any(|k| matches!(k, Key::Msr(_)))
    }

    /// `x86DataIsEmpty`: no bit set.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.values().all(|v| v.iter().all(|r| *r == 0))
    }

    /// `x86DataIsSubset`: every bit of `sub` is set here.
    pub(crate) fn contains(&self, sub: &Data) -> bool {
        sub.0.iter().all(|(k, v)| {
            let d = self.0.get(k).copied().unwrap_or_default();
            d.iter().zip(v).all(|(a, b)| a & b == *b)
        })
    }

    /// The processor signature (CPUID leaf 1, eax) without its reserved bits
    /// (`x86DataToSignature`).
    pub(crate) fn signature(&self) -> u32 {
        self.leaf1_eax() & SIGNATURE_MASK
    }

    /// Family, model and stepping of CPUID leaf 1 as it is (`x86DataToSignatureFull`).
    pub(crate) fn signature_full(&self) -> (u32, u32, u32) {
        split_signature(self.leaf1_eax())
    }

    fn leaf1_eax(&self) -> u32 {
        self.0.get(&Key::Cpuid(1, 0)).map_or(0, |r| r[0])
    }
}

/// `virCPUx86SignatureFromCPUID`: family, model and stepping of a signature.
pub(crate) fn split_signature(sig: u32) -> (u32, u32, u32) {
    let family = ((sig >> 20) & 0xff) + ((sig >> 8) & 0xf);
    let model = ((sig >> 12) & 0xf0) + ((sig >> 4) & 0xf);
    (family, model, sig & 0xf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(items: &[(Key, Regs)]) -> Data {
        Data(items.iter().copied().collect())
    }

    #[test]
    fn set_operations_follow_libvirts() {
        let a = data(&[
            (Key::Cpuid(1, 0), [0, 0, 0b0110, 0b1]),
            (Key::Msr(0x10a), [0x20, 0, 0, 0]),
        ]);
        let b = data(&[(Key::Cpuid(1, 0), [0, 0, 0b0100, 0])]);
        let mut i = a.clone();
        i.intersect(&b);
        assert_eq!(
            i,
            data(&[
                (Key::Cpuid(1, 0), [0, 0, 0b0100, 0]),
                (Key::Msr(0x10a), [0; 4])
            ])
        );
        assert!(a.contains(&b) && !b.contains(&a));
        assert!(a.contains(&data(&[(Key::Cpuid(7, 0), [0; 4])])));
        assert!(!a.contains(&data(&[(Key::Cpuid(7, 0), [0, 1, 0, 0])])));
        let mut s = a.clone();
        s.subtract(&b);
        assert!(!s.contains(&b) && !s.is_empty());
        s.intersect(&Data::default());
        assert!(s.is_empty());
        let mut sum = b.clone();
        sum.add(&Data::item(Key::Msr(0x10a), [0x20, 0, 0, 0]));
        sum.add(&Data::item(Key::Cpuid(1, 0), [0, 0, 0b0010, 0b1]));
        assert_eq!(sum, a);
    }

    #[test]
    fn signatures_split_as_libvirt_splits_them() {
        // Family 6, model 94 (0x5e), stepping 3: 0x000506e3.
        assert_eq!(split_signature(0x0005_06e3), (6, 94, 3));
        // AMD family 0x17: base family 0xf plus extended 8.
        assert_eq!(split_signature(0x0080_0f12), (0x17, 1, 2));
        let d = Data::item(Key::Cpuid(1, 0), [0xf005_06e3, 0, 0, 0]);
        assert_eq!(d.signature(), 0x0005_06e3);
        assert_eq!(d.signature_full(), (6, 94, 3));
    }
}
