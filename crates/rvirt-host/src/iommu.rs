//! The host's IOMMU, as libvirt judges it: the `<iommu support=…>` of both drivers'
//! capabilities and the QEMU driver's VFIO check read it from here.

use std::path::Path;

/// Whether the host has IOMMU groups (libvirt's `virHostHasIOMMU`): the kernel lists at least
/// one under `/sys/kernel/iommu_groups`.
pub fn host_has_iommu() -> bool {
    has_iommu_groups(Path::new("/sys/kernel/iommu_groups"))
}

/// Whether PCI devices can be given to a guest through VFIO here: an IOMMU and the VFIO
/// container device `/dev/vfio/vfio` (libvirt's `qemuHostdevHostSupportsPassthroughVFIO`).
pub fn host_supports_vfio() -> bool {
    host_has_iommu() && Path::new("/dev/vfio/vfio").exists()
}

fn has_iommu_groups(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::has_iommu_groups;

    #[test]
    fn groups_present_absent_or_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_iommu_groups(&dir.path().join("missing")));
        assert!(!has_iommu_groups(dir.path()));
        std::fs::create_dir(dir.path().join("0")).unwrap();
        assert!(has_iommu_groups(dir.path()));
    }
}
