//! The guest calls of libvirt's test driver (file-system freeze, thaw, trim and info, user
//! passwords): a running domain has two file systems, `/` and `/boot`, on its first disk, and
//! remembers which of them are frozen.

use crate::domain::check_active;
use crate::{FROM, TestDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::records::DomainFSInfo;
use rvirt_types::{Error, Result};

/// The test guest's mount points, in the order of the frozen flags.
const MOUNTS: [&str; 2] = ["/", "/boot"];

fn not_found(mountpoint: &str) -> Error {
    Error::operation_invalid(FROM, format!("mount point not found: {mountpoint}"))
}

impl TestDriver {
    /// Sets the frozen state of the mount points given (all with none) to `freeze`; how many
    /// changed. An unknown mount point changes nothing.
    fn set_frozen(&self, dom: &DomainRef, mountpoints: &[String], freeze: bool) -> Result<i32> {
        self.read_domain(dom, check_active)?;
        let mut all = self.frozen.lock();
        let state = all.entry(dom.uuid).or_default();
        let mut next = *state;
        if mountpoints.is_empty() {
            next = [freeze; 2];
        } else {
            for m in mountpoints {
                let i = MOUNTS
                    .iter()
                    .position(|x| x == m)
                    .ok_or_else(|| not_found(m))?;
                next[i] = freeze;
            }
        }
        let changed = state.iter().zip(next).filter(|(a, b)| **a != *b).count();
        *state = next;
        Ok(changed as i32)
    }

    /// `virDomainFSFreeze`.
    pub(crate) fn fs_freeze(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        check_flags(FROM, "testDomainFSFreeze", flags, 0)?;
        self.set_frozen(dom, mountpoints, true)
    }

    /// `virDomainFSThaw`.
    pub(crate) fn fs_thaw(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        check_flags(FROM, "testDomainFSThaw", flags, 0)?;
        self.set_frozen(dom, mountpoints, false)
    }

    /// `virDomainFSTrim`: nothing to do, but the mount point must be one of the guest's.
    pub(crate) fn fs_trim(
        &self,
        dom: &DomainRef,
        mountpoint: Option<&str>,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "testDomainFSTrim", flags, 0)?;
        self.read_domain(dom, check_active)?;
        match mountpoint {
            Some(m) if !MOUNTS.contains(&m) => Err(not_found(m)),
            _ => Ok(()),
        }
    }

    /// `virDomainGetFSInfo`: `/` and `/boot` (ext4) on partitions 1 and 2 of the first disk
    /// device; nothing without one.
    pub(crate) fn fs_info(&self, dom: &DomainRef, flags: u32) -> Result<Vec<DomainFSInfo>> {
        check_flags(FROM, "testDomainGetFSInfo", flags, 0)?;
        self.read_domain(dom, |st| {
            check_active(st)?;
            let Some(disk) = st.def.devices.disks.iter().find(|d| d.device == "disk") else {
                return Ok(Vec::new());
            };
            Ok(MOUNTS
                .iter()
                .enumerate()
                .map(|(i, m)| DomainFSInfo {
                    mountpoint: m.to_string(),
                    name: format!("{}{}", disk.target_dev, i + 1),
                    fstype: "ext4".into(),
                    dev_aliases: vec![disk.target_dev.clone()],
                })
                .collect())
        })
    }

    /// `virDomainSetUserPassword`: accepted for a running domain.
    pub(crate) fn set_user_password(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testDomainSetUserPassword", flags, 1)?;
        self.read_domain(dom, check_active)
    }
}

#[cfg(test)]
mod tests {
    use crate::TestDriver;
    use rvirt_driver::DomainDriver;
    use rvirt_types::ErrorNumber;
    use rvirt_types::domain::DomainDestroyFlags;

    #[test]
    fn file_systems_freeze_and_thaw_as_libvirts_test_guest() {
        let d = TestDriver::open("test:///default").unwrap();
        let dom = pollster::block_on(d.domain_lookup_by_name("test")).unwrap();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(d.fs_freeze(&dom, &s(&["/boot"]), 0).unwrap(), 1);
        assert_eq!(d.fs_freeze(&dom, &[], 0).unwrap(), 1, "only / was left");
        assert_eq!(d.fs_freeze(&dom, &s(&["/", "/boot"]), 0).unwrap(), 0);
        let e = d.fs_thaw(&dom, &s(&["/", "/nope"]), 0).unwrap_err();
        assert_eq!(e.code, ErrorNumber::OPERATION_INVALID);
        assert_eq!(
            e.to_string(),
            "Requested operation is not valid: mount point not found: /nope"
        );
        assert_eq!(
            d.fs_thaw(&dom, &s(&["/"]), 0).unwrap(),
            1,
            "the error changed nothing"
        );
        assert_eq!(d.fs_thaw(&dom, &[], 0).unwrap(), 1);
        assert_eq!(d.fs_thaw(&dom, &[], 0).unwrap(), 0);
        assert!(d.fs_trim(&dom, Some("/boot"), 0).is_ok());
        assert!(d.fs_trim(&dom, Some("/srv"), 0).is_err());
        assert_eq!(
            d.fs_freeze(&dom, &[], 1).unwrap_err().code,
            ErrorNumber::INVALID_ARG
        );
        let fs = d.fs_info(&dom, 0).unwrap();
        assert_eq!(fs.len(), 2);
        assert_eq!(
            (fs[1].mountpoint.as_str(), fs[1].name.as_str()),
            ("/boot", "vda2")
        );
        assert!(d.set_user_password(&dom, 1).is_ok());
        assert_eq!(
            d.set_user_password(&dom, 2).unwrap_err().code,
            ErrorNumber::INVALID_ARG
        );
        pollster::block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
        let e = d.fs_info(&dom, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Requested operation is not valid: domain is not running"
        );
        assert!(d.set_user_password(&dom, 0).is_err());
    }

    #[test]
    fn a_domain_defined_again_starts_with_nothing_frozen() {
        use rvirt_types::domain::{DomainCreateFlags, DomainUndefineFlags, DomainXMLFlags};
        let d = TestDriver::open("test:///default?private=1").unwrap();
        let dom = pollster::block_on(d.domain_lookup_by_name("test")).unwrap();
        let xml =
            pollster::block_on(d.domain_get_xml_desc(&dom, DomainXMLFlags::INACTIVE)).unwrap();
        assert_eq!(d.fs_freeze(&dom, &[], 0).unwrap(), 2);
        pollster::block_on(d.domain_undefine(&dom, DomainUndefineFlags::empty())).unwrap();
        pollster::block_on(d.domain_destroy(&dom, DomainDestroyFlags::empty())).unwrap();
        let again = pollster::block_on(d.domain_define_xml(&xml, Default::default())).unwrap();
        assert_eq!(again.uuid, dom.uuid, "the same domain, defined again");
        pollster::block_on(d.domain_create(&again, DomainCreateFlags::empty())).unwrap();
        let again = pollster::block_on(d.domain_lookup_by_name("test")).unwrap();
        assert_eq!(d.fs_thaw(&again, &[], 0).unwrap(), 0, "nothing was frozen");
    }
}
