//! libvirt's test driver's answers for NMIs, the control state, lifecycle actions and launch
//! security.

use crate::domain::check_active;
use crate::{FROM, TestDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::records::DomainControlInfo;
use rvirt_types::{Result, TypedParam};
use std::sync::Arc;

impl TestDriver {
    /// `virDomainInjectNMI`: accepted by a running domain; nothing happens.
    pub(crate) fn inject_nmi(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testDomainInjectNMI", flags, 0)?;
        self.read_domain(dom, check_active)
    }

    /// `virDomainGetControlInfo`: a running test domain's control is always free ("ok").
    pub(crate) fn control_info(&self, dom: &DomainRef, flags: u32) -> Result<DomainControlInfo> {
        check_flags(FROM, "testDomainGetControlInfo", flags, 0)?;
        self.read_domain(dom, check_active)?;
        Ok(DomainControlInfo::default())
    }

    /// `virDomainSetLifecycleAction`, live and/or in the config.
    pub(crate) fn set_lifecycle_action(
        &self,
        dom: &DomainRef,
        kind: u32,
        action: u32,
        flags: u32,
    ) -> Result<()> {
        check_flags(
            FROM,
            "testDomainSetLifecycleAction",
            flags,
            (Impact::LIVE | Impact::CONFIG).bits(),
        )?;
        // Refused before the domain is looked at, as libvirt does.
        rvirt_conf::domain::check_lifecycle_action(kind, action)?;
        self.modify_domain(dom, |st| {
            let (live, config) = st.modification_impact(flags)?;
            if live {
                Arc::make_mut(&mut st.def).set_lifecycle_action(kind, action)?;
            }
            if config {
                st.persistent_def_mut().set_lifecycle_action(kind, action)?;
            }
            Ok(())
        })
    }

    /// `virDomainGetLaunchSecurityInfo`: a test domain has no launch measurement.
    pub(crate) fn launch_security_info(&self, flags: u32) -> Result<Vec<TypedParam>> {
        check_flags(FROM, "testDomainGetLaunchSecurityInfo", flags, 0)?;
        Ok(Vec::new())
    }
}
