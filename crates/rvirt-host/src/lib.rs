//! The real host, read-only. [`nodedev::read_devices`] turns sysfs into the node device
//! definitions libvirt's udev backend would list (same names, same capabilities for what it
//! reads), for a node device driver of the local host.

pub mod nodedev;
