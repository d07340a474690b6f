//! Device hotplug on a domain handle: `virDomainAttachDevice*`, `virDomainDetachDevice*`,
//! `virDomainUpdateDeviceFlags`. libvirt-domain.c checks only the handle and read-only access
//! before the driver (the XML cannot be null here); the driver parses and validates the device.

use super::Domain;
use crate::connect::dispatch;
use rvirt_driver::DomainDriver;
use rvirt_types::Result;
use rvirt_types::domain::DomainDeviceModifyFlags;

impl Domain {
    /// `virDomainAttachDevice`: adds the device `xml` describes to the running domain.
    pub async fn attach_device(&self, xml: &str) -> Result<()> {
        self.rw("virDomainAttachDevice")?;
        dispatch!(self.conn, d => d.domain_attach_device(&self.r, xml))
    }

    /// `virDomainAttachDeviceFlags`: adds the device to the live domain, its persistent
    /// definition or both (`LIVE`, `CONFIG`; neither means the domain's current state).
    pub async fn attach_device_flags(
        &self,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.rw("virDomainAttachDeviceFlags")?;
        dispatch!(self.conn, d => d.domain_attach_device_flags(&self.r, xml, flags))
    }

    /// `virDomainDetachDevice`: removes the device `xml` names from the running domain.
    pub async fn detach_device(&self, xml: &str) -> Result<()> {
        self.rw("virDomainDetachDevice")?;
        dispatch!(self.conn, d => d.domain_detach_device(&self.r, xml))
    }

    /// `virDomainDetachDeviceFlags`: removes the device from the live domain, its persistent
    /// definition or both.
    pub async fn detach_device_flags(
        &self,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.rw("virDomainDetachDeviceFlags")?;
        dispatch!(self.conn, d => d.domain_detach_device_flags(&self.r, xml, flags))
    }

    /// `virDomainUpdateDeviceFlags`: changes a device in place (a CD-ROM's media, ...).
    pub async fn update_device_flags(
        &self,
        xml: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.rw("virDomainUpdateDeviceFlags")?;
        dispatch!(self.conn, d => d.domain_update_device_flags(&self.r, xml, flags))
    }

    /// `virDomainDetachDeviceAlias`: asks for the removal of the device with alias `alias`,
    /// without waiting for the guest to release it.
    pub async fn detach_device_alias(
        &self,
        alias: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<()> {
        self.rw("virDomainDetachDeviceAlias")?;
        dispatch!(self.conn, d => d.domain_detach_device_alias(&self.r, alias, flags))
    }
}
