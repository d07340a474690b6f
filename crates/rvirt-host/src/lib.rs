//! The real host, read-only, as libvirt's udev backends see it: [`udev`] lists devices from
//! sysfs and udev's database, [`nodedev`] turns them into the node devices libvirt's udev node
//! device backend lists (same names, same XML), [`iface`] into the host interfaces of its udev
//! interface backend, with link details from [`netdev`].

pub mod iface;
pub mod iommu;
pub mod netdev;
pub mod nodedev;
pub mod udev;

#[cfg(test)]
mod testsys;
