//! CPU bitmaps as the API passes them (`cpumap`: CPU `n` is bit `n % 8` of byte `n / 8`) and
//! libvirt's answers for pinning built on them, shared by the drivers.

use crate::DomainObjState;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

/// The CPUs set in `map`.
pub fn cpus(map: &[u8]) -> Vec<u32> {
    (0..map.len() as u32 * 8)
        .filter(|&c| map[(c / 8) as usize] & (1 << (c % 8)) != 0)
        .collect()
}

/// `maplen` bytes with the bits of `cpus` set (those beyond the map left out).
pub fn bytes(cpus: impl IntoIterator<Item = u32>, maplen: usize) -> Vec<u8> {
    let mut map = vec![0u8; maplen];
    for c in cpus {
        if let Some(b) = map.get_mut((c / 8) as usize) {
            *b |= 1 << (c % 8);
        }
    }
    map
}

/// `cpus` as libvirt's `virBitmapToData` gives them: just enough bytes for the highest CPU
/// (one at least).
pub fn bytes_fit(cpus: &[u32]) -> Vec<u8> {
    let len = cpus.iter().max().map_or(1, |m| *m as usize / 8 + 1);
    bytes(cpus.iter().copied(), len)
}

/// libvirt's `virDomainDefGetVcpuPinInfoHelper`: for each of the first `ncpumaps` vCPUs of the
/// definition (up to its maximum), its `<vcpupin>`, else `<vcpu cpuset>`, else `all`; the maps
/// (`ncpumaps * maplen` bytes) and how many were filled.
pub fn vcpu_pin_info(
    def: &rvirt_conf::DomainDef,
    ncpumaps: i32,
    maplen: i32,
    all: &[u32],
) -> (Vec<u8>, i32) {
    let (ncpumaps, maplen) = (ncpumaps.max(0) as usize, maplen.max(0) as usize);
    let n = (def.vcpus_max as usize).min(ncpumaps);
    let mut out = vec![0u8; ncpumaps * maplen];
    for v in 0..n {
        let set = def.vcpu_affinity(v as u32).unwrap_or_else(|| all.to_vec());
        out[v * maplen..(v + 1) * maplen].copy_from_slice(&bytes(set, maplen));
    }
    (out, n as i32)
}

/// The emulator's map for `virDomainGetEmulatorPinInfo`.
pub fn emulator_pin_info(def: &rvirt_conf::DomainDef, maplen: i32, all: &[u32]) -> (Vec<u8>, i32) {
    let set = def.emulator_affinity().unwrap_or_else(|| all.to_vec());
    (bytes(set, maplen.max(0) as usize), 1)
}

fn invalid(from: ErrorDomain, msg: String) -> Error {
    Error::with_detail(from, ErrorNumber::INVALID_ARG, msg)
}

/// libvirt's refusal of an empty vCPU or emulator pinning, in the calling driver's error
/// domain (`from`), as each driver reports it.
pub fn check_not_empty(from: ErrorDomain, cpus: &[u32]) -> Result<()> {
    if cpus.is_empty() {
        return Err(invalid(from, "Empty cpu list for pinning".into()));
    }
    Ok(())
}

/// libvirt's refusal of an empty I/O thread pinning.
pub fn check_iothread_map(from: ErrorDomain, cpus: &[u32]) -> Result<()> {
    if cpus.is_empty() {
        return Err(invalid(
            from,
            "Empty iothread cpumap list for pinning".into(),
        ));
    }
    Ok(())
}

/// libvirt's refusal of I/O thread id 0.
pub fn check_iothread_id(from: ErrorDomain, id: u32) -> Result<()> {
    if id == 0 {
        return Err(invalid(from, "invalid value of 0 for iothread_id".into()));
    }
    Ok(())
}

/// libvirt's error for pinning an I/O thread the definition does not have.
pub fn iothread_not_found(from: ErrorDomain, id: u32) -> Error {
    invalid(from, format!("iothreadid {id} not found"))
}

/// The online vCPU `vcpu` of a running domain, or libvirt's error.
pub fn check_vcpu_present(from: ErrorDomain, st: &DomainObjState, vcpu: u32) -> Result<()> {
    if vcpu >= st.def.vcpus_current {
        return Err(invalid(
            from,
            format!("requested vcpu '{vcpu}' is not present in the domain"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_round_trip_and_clip_to_their_length() {
        let m = bytes([0, 3, 9, 40], 2);
        assert_eq!(m, vec![0b0000_1001, 0b0000_0010]);
        assert_eq!(cpus(&m), vec![0, 3, 9]);
        assert!(cpus(&[0, 0]).is_empty());
    }
}
