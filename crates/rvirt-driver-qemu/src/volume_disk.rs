//! `<disk type='volume'>`: a disk named by storage pool and volume instead of a path.
//!
//! As libvirt's `virDomainDiskTranslateSourcePool` does, the disk is looked up in the
//! connection's pools when it comes into use (a start, a live attach or media change,
//! `domxml-to-native`, a snapshot of a shut-off domain, a reattach): the pool must exist and be
//! active, the volume must exist, and a `mode` is only for iSCSI pools. The disk keeps its
//! `type='volume'` and `<source pool volume>` in every XML; the path it resolved to is kept
//! beside it ([`rvirt_conf::domain::TranslatedSource`]), so that [`DiskDef::source_path`] and
//! [`DiskDef::actual_type`] give what the command line, block stats, block jobs and
//! snapshots need, exactly as for a `type='file'` disk of that path.

use crate::QemuDriver;
use rvirt_conf::DomainDef;
use rvirt_conf::domain::{ActualSource, DiskDef, TranslatedSource};
use rvirt_conf::storage::{PoolType, VolType};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

impl QemuDriver {
    /// Resolves disk `d` through its pool if it is a volume disk (anything else is left
    /// alone), with libvirt's errors for a missing or inactive pool, a missing volume and a
    /// mode outside iSCSI.
    pub(crate) fn translate_disk(&self, d: &mut DiskDef) -> Result<()> {
        let Some((pool, volume, mode)) = d.volume_source() else {
            return Ok(());
        };
        let (pool_type, vol_type, path) = self.storage_volume(pool, volume)?;
        if mode.is_some() && pool_type != PoolType::Iscsi {
            return Err(Error::with_detail(
                ErrorDomain::DOMAIN,
                ErrorNumber::XML_ERROR,
                "disk source mode is only valid when storage pool is of iscsi type",
            ));
        }
        let disk_type = match vol_type {
            VolType::File | VolType::Ploop => "file",
            VolType::Block => "block",
            VolType::Dir => "dir",
            VolType::Network | VolType::Netdir => {
                return Err(Error::internal(
                    ErrorDomain::DOMAIN,
                    format!(
                        "unexpected storage volume type '{}' for storage pool type '{}'",
                        vol_type.name(),
                        pool_type.name()
                    ),
                ));
            }
        };
        d.translated = TranslatedSource(Some(ActualSource {
            disk_type: disk_type.into(),
            path,
        }));
        Ok(())
    }

    /// [`QemuDriver::translate_disk`] for a disk about to be used by QEMU (libvirt's
    /// `qemuDomainPrepareDiskSource`): a volume disk without a format then runs, and shows in
    /// the live XML, as `raw`.
    pub(crate) fn prepare_disk_source(&self, d: &mut DiskDef) -> Result<()> {
        self.translate_disk(d)?;
        if d.volume_source().is_some() && !d.driver.iter().any(|(k, _)| k == "type") {
            let at = d
                .driver
                .iter()
                .position(|(k, _)| k == "name")
                .map_or(0, |p| p + 1);
            d.driver.insert(at, ("type".into(), "raw".into()));
        }
        Ok(())
    }

    /// [`QemuDriver::prepare_disk_source`] for every disk of a domain about to start, from
    /// the last disk to the first as libvirt prepares them (so the error is the last failing
    /// disk's).
    pub(crate) fn prepare_disk_sources(&self, def: &mut DomainDef) -> Result<()> {
        for d in def.devices.disks.iter_mut().rev() {
            self.prepare_disk_source(d)?;
        }
        Ok(())
    }

    /// Resolves what it can of a definition's volume disks, for a domain found running (as
    /// libvirt's reconnect does) or an inactive snapshot's images: a disk whose pool or volume
    /// has gone meanwhile stays unresolved (a running guest keeps running).
    pub(crate) fn retranslate_disks(&self, def: &mut DomainDef) {
        for d in &mut def.devices.disks {
            let _ = self.translate_disk(d);
        }
    }
}

/// Gives the disks of `to` (a re-read copy of `from`) the resolved sources `from`'s disks of
/// the same target had: formatting and parsing a definition drops them.
pub(crate) fn carry_translations(from: &DomainDef, to: &mut DomainDef) {
    for d in &mut to.devices.disks {
        if let Some(old) = from
            .devices
            .disks
            .iter()
            .find(|o| o.target_dev == d.target_dev && o.volume_source() == d.volume_source())
        {
            d.translated = old.translated.clone();
        }
    }
}
