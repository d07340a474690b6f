//! The test hypervisor's host interfaces, with libvirt's test-driver semantics
//! (`testInterface*` in `test_driver.c`): define/undefine, start/stop, XML, lookups by name and
//! MAC, listing, and the change transaction (begin/commit/rollback).

use crate::{FROM, TestDriver, err};
use parking_lot::Mutex;
use rvirt_conf::InterfaceDef;
use rvirt_driver::{InterfaceDriver, InterfaceRef, check_flags};
use rvirt_types::interface::{ConnectListAllInterfacesFlags, InterfaceDefineFlags};
use rvirt_types::{Error, ErrorNumber, Result};

/// An interface object (libvirt's `virInterfaceObj`): its definition and whether it is up.
#[derive(Clone, Debug)]
struct InterfaceObj {
    def: InterfaceDef,
    active: bool,
}

impl InterfaceObj {
    fn r(&self) -> InterfaceRef {
        InterfaceRef {
            name: self.def.name.as_str().into(),
            mac: self.def.mac().unwrap_or("").into(),
        }
    }
}

#[derive(Default)]
struct State {
    objs: Vec<InterfaceObj>,
    /// The restore point of a running change transaction.
    backup: Option<Vec<InterfaceObj>>,
}

impl State {
    /// `virInterfaceObjListAssignDef`: replaces the definition of the interface with the same
    /// name (keeping its state), or adds an inactive one.
    fn assign(&mut self, def: InterfaceDef) -> &mut InterfaceObj {
        let i = match self.objs.iter().position(|o| o.def.name == def.name) {
            Some(i) => {
                self.objs[i].def = def;
                i
            }
            None => {
                self.objs.push(InterfaceObj { def, active: false });
                self.objs.len() - 1
            }
        };
        &mut self.objs[i]
    }

    fn find(&mut self, name: &str) -> Result<&mut InterfaceObj> {
        self.objs
            .iter_mut()
            .find(|o| o.def.name == name)
            .ok_or_else(|| {
                err(
                    ErrorNumber::NO_INTERFACE,
                    format!("no interface with matching name '{name}'"),
                )
            })
    }

    fn names(&self, active: bool, max: i32) -> Vec<String> {
        self.objs
            .iter()
            .filter(|o| o.active == active)
            .take(usize::try_from(max).unwrap_or(0))
            .map(|o| o.def.name.clone())
            .collect()
    }
}

/// The interfaces of one test machine.
#[derive(Default)]
pub(crate) struct InterfaceList {
    state: Mutex<State>,
}

impl InterfaceList {
    /// Adds an interface of the machine as it starts: defined and up, as the test driver loads
    /// them.
    pub fn seed(&self, xml: &str) -> Result<()> {
        let def = InterfaceDef::parse_xml(xml)?;
        self.state.lock().assign(def).active = true;
        Ok(())
    }
}

/// `VIR_ERR_OPERATION_INVALID` without a detail, as the test driver starts or stops an
/// interface in the wrong state.
fn not_valid() -> Error {
    Error::new(FROM, ErrorNumber::OPERATION_INVALID, None)
}

impl InterfaceDriver for TestDriver {
    async fn connect_list_all_interfaces(
        &self,
        flags: ConnectListAllInterfacesFlags,
    ) -> Result<Vec<InterfaceRef>> {
        use ConnectListAllInterfacesFlags as F;
        check_flags(
            FROM,
            "testConnectListAllInterfaces",
            flags.bits(),
            F::all().bits(),
        )?;
        let filtered = flags.intersects(F::ACTIVE | F::INACTIVE);
        Ok(self
            .interfaces
            .state
            .lock()
            .objs
            .iter()
            .filter(|o| {
                !filtered
                    || (flags.contains(F::ACTIVE) && o.active)
                    || (flags.contains(F::INACTIVE) && !o.active)
            })
            .map(InterfaceObj::r)
            .collect())
    }

    async fn connect_num_of_interfaces(&self) -> Result<i32> {
        let st = self.interfaces.state.lock();
        Ok(st.objs.iter().filter(|o| o.active).count() as i32)
    }

    async fn connect_list_interfaces(&self, max: i32) -> Result<Vec<String>> {
        Ok(self.interfaces.state.lock().names(true, max))
    }

    async fn connect_num_of_defined_interfaces(&self) -> Result<i32> {
        let st = self.interfaces.state.lock();
        Ok(st.objs.iter().filter(|o| !o.active).count() as i32)
    }

    async fn connect_list_defined_interfaces(&self, max: i32) -> Result<Vec<String>> {
        Ok(self.interfaces.state.lock().names(false, max))
    }

    async fn interface_lookup_by_name(&self, name: &str) -> Result<InterfaceRef> {
        Ok(self.interfaces.state.lock().find(name)?.r())
    }

    async fn interface_lookup_by_mac_string(&self, mac: &str) -> Result<InterfaceRef> {
        let st = self.interfaces.state.lock();
        let found: Vec<&InterfaceObj> = st
            .objs
            .iter()
            // libvirt compares a missing MAC as equal to any (its case-insensitive compare
            // answers 0 for NULL): an interface without one matches every lookup.
            .filter(|o| o.def.mac().is_none_or(|m| m.eq_ignore_ascii_case(mac)))
            .take(2)
            .collect();
        match found.as_slice() {
            [] => Err(err(
                ErrorNumber::NO_INTERFACE,
                format!("no interface with matching mac '{mac}'"),
            )),
            // The handle carries the MAC as the caller spelled it, as libvirt's does.
            [o] => Ok(InterfaceRef {
                name: o.def.name.as_str().into(),
                mac: mac.into(),
            }),
            _ => Err(Error::new(FROM, ErrorNumber::MULTIPLE_INTERFACES, None)),
        }
    }

    async fn interface_get_xml_desc(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        check_flags(FROM, "testInterfaceGetXMLDesc", flags, 0)?;
        Ok(self.interfaces.state.lock().find(&iface.name)?.def.format())
    }

    async fn interface_define_xml(&self, xml: &str, flags: u32) -> Result<InterfaceRef> {
        check_flags(
            FROM,
            "testInterfaceDefineXML",
            flags,
            InterfaceDefineFlags::VALIDATE.bits(),
        )?;
        let def = InterfaceDef::parse_xml(xml)?;
        Ok(self.interfaces.state.lock().assign(def).r())
    }

    async fn interface_undefine(&self, iface: &InterfaceRef) -> Result<()> {
        let mut st = self.interfaces.state.lock();
        st.find(&iface.name)?;
        st.objs.retain(|o| o.def.name != *iface.name);
        Ok(())
    }

    async fn interface_create(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testInterfaceCreate", flags, 0)?;
        let mut st = self.interfaces.state.lock();
        let o = st.find(&iface.name)?;
        if o.active {
            return Err(not_valid());
        }
        o.active = true;
        Ok(())
    }

    async fn interface_destroy(&self, iface: &InterfaceRef, flags: u32) -> Result<()> {
        check_flags(FROM, "testInterfaceDestroy", flags, 0)?;
        let mut st = self.interfaces.state.lock();
        let o = st.find(&iface.name)?;
        if !o.active {
            return Err(not_valid());
        }
        o.active = false;
        Ok(())
    }

    async fn interface_is_active(&self, iface: &InterfaceRef) -> Result<bool> {
        Ok(self.interfaces.state.lock().find(&iface.name)?.active)
    }

    async fn interface_change_begin(&self, flags: u32) -> Result<()> {
        check_flags(FROM, "testInterfaceChangeBegin", flags, 0)?;
        let mut st = self.interfaces.state.lock();
        if st.backup.is_some() {
            return Err(Error::operation_invalid(
                FROM,
                "there is another transaction running.",
            ));
        }
        // libvirt's restore point holds copies of the definitions only: every interface comes
        // back from a rollback inactive.
        let copy = st
            .objs
            .iter()
            .map(|o| InterfaceObj {
                def: o.def.clone(),
                active: false,
            })
            .collect();
        st.backup = Some(copy);
        Ok(())
    }

    async fn interface_change_commit(&self, flags: u32) -> Result<()> {
        check_flags(FROM, "testInterfaceChangeCommit", flags, 0)?;
        let mut st = self.interfaces.state.lock();
        if st.backup.take().is_none() {
            return Err(Error::operation_invalid(
                FROM,
                "no transaction running, nothing to be committed.",
            ));
        }
        Ok(())
    }

    async fn interface_change_rollback(&self, flags: u32) -> Result<()> {
        check_flags(FROM, "testInterfaceChangeRollback", flags, 0)?;
        let mut st = self.interfaces.state.lock();
        let Some(backup) = st.backup.take() else {
            return Err(Error::operation_invalid(
                FROM,
                "no transaction running, nothing to rollback.",
            ));
        };
        st.objs = backup;
        Ok(())
    }
}
