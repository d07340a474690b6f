//! The guest agent's file-system and account calls, with libvirt's rules: freeze (all, or the
//! mountpoints given), thaw (all only), trim (no mountpoint), the guest's file systems with
//! the domain's disk targets they sit on (matched by PCI address, or by controller and drive
//! address), and a user's password.

use crate::{FROM, QemuDriver};
use rvirt_conf::DomainDef;
use rvirt_conf::domain::Address;
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::{Value, json};

/// One guest file system, as `virDomainGetFSInfo` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GuestFs {
    /// Where it is mounted.
    pub mountpoint: String,
    /// Its device in the guest (`vda1`).
    pub name: String,
    /// Its type (`ext4`).
    pub fstype: String,
    /// The targets (`vda`) of the domain's disks under it.
    pub disks: Vec<String>,
}

fn malformed() -> Error {
    Error::internal(FROM, "malformed return value")
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The target of the disk of `def` at the address the agent reports for a guest disk.
pub(crate) fn disk_at(def: &DomainDef, disk: &Value) -> Option<String> {
    let pci = &disk["pci-controller"];
    let (domain, bus, slot, function) = (
        pci["domain"].as_u64()? as u32,
        pci["bus"].as_u64()? as u32,
        pci["slot"].as_u64()? as u32,
        pci["function"].as_u64()? as u32,
    );
    let at_pci = |a: &Option<Address>| {
        matches!(a, Some(Address::Pci { domain: d, bus: b, slot: s, function: f, .. })
            if (*d, *b, *s, *f) == (domain, bus, slot, function))
    };
    if let Some(d) = def.devices.disks.iter().find(|d| at_pci(&d.info.address)) {
        return Some(d.target_dev.clone());
    }
    // A disk on a controller: the controller at that PCI address, the drive address below it.
    let ctrl = def
        .devices
        .controllers
        .iter()
        .find(|c| at_pci(&c.info.address))?;
    let (dbus, target, unit) = (
        disk["bus"].as_u64()? as u32,
        disk["target"].as_u64()? as u32,
        disk["unit"].as_u64()? as u32,
    );
    def.devices
        .disks
        .iter()
        .find(|d| {
            d.bus == ctrl.ctrl_type
                && matches!(&d.info.address, Some(Address::Drive { controller, bus, target: t, unit: u, .. })
                    if *controller == ctrl.index && *bus == dbus && *t == target && *u == unit)
        })
        .map(|d| d.target_dev.clone())
}

/// The agent's `guest-get-fsinfo` reply as libvirt reports it: in mount order (the agent lists
/// the newest first), with the domain's disk targets.
fn fs_list(def: &DomainDef, reply: &Value) -> Result<Vec<GuestFs>> {
    let list = reply
        .as_array()
        .ok_or_else(|| Error::internal(FROM, "Malformed guest-get-fsinfo data array"))?;
    let mut out = Vec::with_capacity(list.len());
    for fs in list.iter().rev() {
        let field = |k: &str| {
            fs[k].as_str().map(str::to_string).ok_or_else(|| {
                Error::internal(FROM, format!("'{k}' missing in reply of guest-get-fsinfo"))
            })
        };
        let disks = fs["disk"]
            .as_array()
            .ok_or_else(|| Error::internal(FROM, "'disk' missing in reply of guest-get-fsinfo"))?;
        out.push(GuestFs {
            mountpoint: field("mountpoint")?,
            name: field("name")?,
            fstype: field("type")?,
            disks: disks.iter().filter_map(|d| disk_at(def, d)).collect(),
        });
    }
    Ok(out)
}

impl QemuDriver {
    /// `virDomainFSFreeze`: the number of file systems frozen.
    pub(crate) async fn agent_fs_freeze(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        check_flags(FROM, "qemuDomainFSFreeze", flags, 0)?;
        self.check_running(dom)?;
        let v = if mountpoints.is_empty() {
            self.agent_run(dom, "guest-fsfreeze-freeze", None).await?
        } else {
            self.agent_run(
                dom,
                "guest-fsfreeze-freeze-list",
                Some(json!({ "mountpoints": mountpoints })),
            )
            .await?
        };
        v.as_i64().map(|n| n as i32).ok_or_else(malformed)
    }

    /// `virDomainFSThaw`: the number of file systems thawed (all of them: libvirt takes no
    /// mountpoints here).
    pub(crate) async fn agent_fs_thaw(
        &self,
        dom: &DomainRef,
        mountpoints: &[String],
        flags: u32,
    ) -> Result<i32> {
        check_flags(FROM, "qemuDomainFSThaw", flags, 0)?;
        if !mountpoints.is_empty() {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "specifying mountpoints is not supported",
            ));
        }
        self.check_running(dom)?;
        let v = self.agent_run(dom, "guest-fsfreeze-thaw", None).await?;
        v.as_i64().map(|n| n as i32).ok_or_else(malformed)
    }

    /// `virDomainFSTrim`: every mounted file system, extents of `minimum` bytes and more.
    pub(crate) async fn agent_fs_trim(
        &self,
        dom: &DomainRef,
        mountpoint: Option<&str>,
        minimum: u64,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainFSTrim", flags, 0)?;
        if mountpoint.is_some() {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                "Specifying mount point is not supported for now",
            ));
        }
        self.agent_run(dom, "guest-fstrim", Some(json!({ "minimum": minimum })))
            .await?;
        Ok(())
    }

    /// `virDomainGetFSInfo`.
    pub(crate) async fn agent_fs_info(&self, dom: &DomainRef, flags: u32) -> Result<Vec<GuestFs>> {
        check_flags(FROM, "qemuDomainGetFSInfo", flags, 0)?;
        self.check_running(dom)?;
        let v = self.agent_run(dom, "guest-get-fsinfo", None).await?;
        let obj = self.obj(dom)?;
        let def = obj.lock().def.clone();
        fs_list(&def, &v)
    }

    /// `virDomainSetUserPassword` (`flags` 1: the password is already crypted).
    pub(crate) async fn agent_set_user_password(
        &self,
        dom: &DomainRef,
        user: &str,
        password: &str,
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainSetUserPassword", flags, 1)?;
        self.check_running(dom)?;
        let args = json!({
            "crypted": flags & 1 != 0,
            "username": user,
            "password": base64(password.as_bytes()),
        });
        self.agent_run(dom, "guest-set-user-password", Some(args))
            .await?;
        Ok(())
    }

    /// `virDomainAuthorizedSSHKeysGet`: the agent's `guest-ssh-get-authorized-keys`.
    pub(crate) async fn agent_ssh_keys_get(
        &self,
        dom: &DomainRef,
        user: &str,
        flags: u32,
    ) -> Result<Vec<String>> {
        check_flags(FROM, "qemuDomainAuthorizedSSHKeysGet", flags, 0)?;
        self.check_running(dom)?;
        let v = self
            .agent_run(
                dom,
                "guest-ssh-get-authorized-keys",
                Some(json!({ "username": user })),
            )
            .await?;
        let keys = v
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or_else(|| Error::internal(FROM, "qemu agent didn't return an array of keys"))?;
        keys.iter()
            .map(|k| {
                k.as_str().map(str::to_string).ok_or_else(|| {
                    Error::internal(FROM, "JSON string array contains non-string element")
                })
            })
            .collect()
    }

    /// `virDomainAuthorizedSSHKeysSet`: the agent's `guest-ssh-remove-authorized-keys` with
    /// REMOVE, otherwise `guest-ssh-add-authorized-keys`, which empties the file first unless
    /// APPEND is given.
    pub(crate) async fn agent_ssh_keys_set(
        &self,
        dom: &DomainRef,
        user: &str,
        keys: &[String],
        flags: u32,
    ) -> Result<()> {
        const APPEND: u32 = 1;
        const REMOVE: u32 = 2;
        check_flags(
            FROM,
            "qemuDomainAuthorizedSSHKeysSet",
            flags,
            APPEND | REMOVE,
        )?;
        self.check_running(dom)?;
        let (command, args) = if flags & REMOVE != 0 {
            (
                "guest-ssh-remove-authorized-keys",
                json!({ "username": user, "keys": keys }),
            )
        } else {
            (
                "guest-ssh-add-authorized-keys",
                json!({ "username": user, "keys": keys, "reset": flags & APPEND == 0 }),
            )
        };
        self.agent_run(dom, command, Some(args)).await?;
        Ok(())
    }

    /// libvirt's `virDomainObjCheckActive`.
    fn check_running(&self, dom: &DomainRef) -> Result<()> {
        let obj = self.obj(dom)?;
        if obj.lock().is_active() {
            Ok(())
        } else {
            Err(Error::operation_invalid(FROM, "domain is not running"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"secret!"), "c2VjcmV0IQ==");
    }

    #[test]
    fn file_systems_come_in_mount_order_with_the_disks_under_them() {
        let def = DomainDef::parse_xml(
            "<domain type='qemu'><name>g</name><memory>65536</memory><os><type>hvm</type></os>\
             <devices><disk type='file' device='disk'><source file='/a'/>\
             <target dev='vda' bus='virtio'/>\
             <address type='pci' domain='0' bus='0' slot='5' function='0'/></disk>\
             <disk type='file' device='disk'><source file='/b'/><target dev='sda' bus='scsi'/>\
             <address type='drive' controller='0' bus='0' target='0' unit='1'/></disk>\
             <controller type='scsi' index='0' model='virtio-scsi'>\
             <address type='pci' domain='0' bus='0' slot='6' function='0'/></controller>\
             </devices></domain>",
            rvirt_conf::ParseOptions::default(),
        )
        .unwrap();
        let pci = |slot: u32| json!({"domain": 0, "bus": 0, "slot": slot, "function": 0});
        let reply = json!([
            {"name": "sda", "mountpoint": "/b", "type": "xfs",
             "disk": [{"pci-controller": pci(6), "bus": 0, "target": 0, "unit": 1,
                       "bus-type": "scsi"}]},
            {"name": "vda", "mountpoint": "/a", "type": "ext4",
             "disk": [{"pci-controller": pci(5), "bus": 0, "target": 0, "unit": 0,
                       "bus-type": "virtio"},
                      {"pci-controller": pci(9), "bus": 0, "target": 0, "unit": 0,
                       "bus-type": "virtio"}]},
        ]);
        let fs = fs_list(&def, &reply).unwrap();
        assert_eq!(fs[0].mountpoint, "/a");
        assert_eq!(
            fs[0].disks,
            vec!["vda".to_string()],
            "an unknown disk is left out"
        );
        assert_eq!(fs[1].disks, vec!["sda".to_string()]);
        let e = fs_list(&def, &json!([{"name": "x"}])).unwrap_err();
        assert_eq!(e.code, ErrorNumber::INTERNAL_ERROR);
    }
}
