//! Host interfaces of a QEMU connection: the real host's, read by `rvirt-host` as libvirt's
//! udev interface backend reads them. Like that backend this is read-only: define, undefine,
//! start, stop and the change transactions answer `VIR_ERR_NO_SUPPORT` (the trait defaults).

use crate::QemuDriver;
use rvirt_driver::{InterfaceDriver, InterfaceRef, check_flags};
use rvirt_host::iface::{self, HostInterface};
use rvirt_host::udev::HostPaths;
use rvirt_types::interface::{ConnectListAllInterfacesFlags, InterfaceXMLFlags};
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};

const FROM: ErrorDomain = ErrorDomain::INTERFACE;

fn handle(i: &HostInterface) -> InterfaceRef {
    InterfaceRef {
        name: i.name.as_str().into(),
        mac: i.mac.as_deref().unwrap_or("").into(),
    }
}

impl QemuDriver {
    fn host_interfaces(&self) -> Vec<HostInterface> {
        iface::list(&HostPaths::host())
    }
}

impl InterfaceDriver for QemuDriver {
    async fn connect_list_all_interfaces(
        &self,
        flags: ConnectListAllInterfacesFlags,
    ) -> Result<Vec<InterfaceRef>> {
        check_flags(
            FROM,
            "udevConnectListAllInterfaces",
            flags.bits(),
            ConnectListAllInterfacesFlags::all().bits(),
        )?;
        let (active, inactive) = (
            flags.contains(ConnectListAllInterfacesFlags::ACTIVE),
            flags.contains(ConnectListAllInterfacesFlags::INACTIVE),
        );
        Ok(self
            .host_interfaces()
            .iter()
            .filter(|i| {
                (!active && !inactive) || (active && i.is_active()) || (inactive && !i.is_active())
            })
            .map(handle)
            .collect())
    }

    async fn connect_num_of_interfaces(&self) -> Result<i32> {
        Ok(self
            .host_interfaces()
            .iter()
            .filter(|i| i.is_active())
            .count() as i32)
    }

    async fn connect_list_interfaces(&self, max: i32) -> Result<Vec<String>> {
        Ok(self
            .host_interfaces()
            .into_iter()
            .filter(HostInterface::is_active)
            .take(max.max(0) as usize)
            .map(|i| i.name)
            .collect())
    }

    /// libvirt's backend counts as defined only interfaces whose operstate is `down`
    /// (`unknown`, as a loopback's, is neither active nor defined).
    async fn connect_num_of_defined_interfaces(&self) -> Result<i32> {
        Ok(self
            .host_interfaces()
            .iter()
            .filter(|i| i.operstate.as_deref() == Some("down"))
            .count() as i32)
    }

    async fn connect_list_defined_interfaces(&self, max: i32) -> Result<Vec<String>> {
        Ok(self
            .host_interfaces()
            .into_iter()
            .filter(|i| i.operstate.as_deref() == Some("down"))
            .take(max.max(0) as usize)
            .map(|i| i.name)
            .collect())
    }

    async fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        iface::lookup(&HostPaths::host(), name).map(|i| handle(&i))
    }

    async fn interface_lookup_by_mac_string(&self, mac: &str) -> Result<InterfaceRef> {
        let found: Vec<HostInterface> = self
            .host_interfaces()
            .into_iter()
            .filter(|i| i.mac.as_deref() == Some(mac))
            .collect();
        match found.as_slice() {
            [one] => Ok(handle(one)),
            [] => Err(Error::with_detail(
                FROM,
                ErrorNumber::NO_INTERFACE,
                format!("couldn't find interface with MAC address '{mac}'"),
            )),
            _ => Err(Error::with_detail(
                FROM,
                ErrorNumber::MULTIPLE_INTERFACES,
                format!("the MAC address '{mac}' matches multiple interfaces"),
            )),
        }
    }

    async fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        check_flags(
            FROM,
            "udevInterfaceGetXMLDesc",
            flags,
            InterfaceXMLFlags::INACTIVE.bits(),
        )?;
        iface::define(&HostPaths::host(), &iface.name).map(|d| d.format())
    }

    async fn interface_is_active(&self, iface: &InterfaceRef) -> Result<bool> {
        iface::lookup(&HostPaths::host(), &iface.name).map(|i| i.is_active())
    }
}
