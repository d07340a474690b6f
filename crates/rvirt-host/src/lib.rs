//! The real host, read-only, as libvirt's udev backends see it: [`udev`] lists devices from
//! sysfs and udev's database, [`nodedev`] turns them into the node devices libvirt's udev node
//! device backend lists (same names, same XML), [`iface`] into the host interfaces of its udev
//! interface backend, with link details from [`netdev`]. [`uevent`] hears the kernel's device
//! events and [`devwatch`] keeps the node device list current from them. [`hostcpu`],
//! [`hostmem`] and [`sysinfo`] report the host's processors, memory and SMBIOS data as
//! libvirt's `virNode*` calls do.

pub mod devwatch;
pub mod hostcpu;
pub mod hostmem;
pub mod iface;
pub mod iommu;
pub mod netdev;
pub mod nodedev;
pub mod numa;
pub mod sysinfo;
pub mod udev;
pub mod uevent;

#[cfg(test)]
mod testsys;
