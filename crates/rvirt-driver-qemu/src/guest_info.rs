//! `virDomainGetGuestInfo`: what the guest agent knows of the guest (users, OS, time zone,
//! host name, file systems, disks, interfaces) as libvirt's typed parameters. Asked for no
//! type in particular, the agent's "command not found" for one of them leaves it out; asked
//! for types, it is an error.

use crate::guest_agent::agent_error;
use crate::guest_fs::disk_at;
use crate::process::on_rt;
use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::records::DomainInterface;
use rvirt_types::typed_param::{TypedParam, TypedParamValue as V};
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::Value;

/// `VIR_DOMAIN_GUEST_INFO_*`.
const USERS: u32 = 1;
const OS: u32 = 2;
const TIMEZONE: u32 = 4;
const HOSTNAME: u32 = 8;
const FILESYSTEM: u32 = 16;
const DISKS: u32 = 32;
const INTERFACES: u32 = 64;
const ALL: u32 = USERS | OS | TIMEZONE | HOSTNAME | FILESYSTEM | DISKS | INTERFACES;

/// Typed parameters under construction.
#[derive(Default)]
struct Params(Vec<TypedParam>);

impl Params {
    fn uint(&mut self, k: impl Into<String>, v: usize) {
        self.0.push(TypedParam::new(k, V::UInt(v as u32)));
    }
    fn ullong(&mut self, k: impl Into<String>, v: u64) {
        self.0.push(TypedParam::new(k, V::ULLong(v)));
    }
    fn string(&mut self, k: impl Into<String>, v: &str) {
        self.0.push(TypedParam::new(k, V::String(v.to_string())));
    }
}

fn missing(what: &str, cmd: &str) -> Error {
    Error::internal(FROM, format!("'{what}' missing in reply of {cmd}"))
}

fn users(p: &mut Params, v: &Value) -> Result<()> {
    let list = v
        .as_array()
        .ok_or_else(|| Error::internal(FROM, "guest-get-users reply was missing return data"))?;
    p.uint("user.count", list.len());
    for (i, u) in list.iter().enumerate() {
        let name = u["user"]
            .as_str()
            .ok_or_else(|| missing("user", "guest-get-users"))?;
        p.string(format!("user.{i}.name"), name);
        if let Some(d) = u["domain"].as_str() {
            p.string(format!("user.{i}.domain"), d);
        }
        let t = u["login-time"]
            .as_f64()
            .ok_or_else(|| missing("login-time", "guest-get-users"))?;
        p.ullong(format!("user.{i}.login-time"), (t * 1000.0) as u64);
    }
    Ok(())
}

fn os(p: &mut Params, v: &Value) -> Result<()> {
    if !v.is_object() {
        return Err(Error::internal(
            FROM,
            "guest-get-osinfo reply was missing return data",
        ));
    }
    for key in [
        "id",
        "name",
        "pretty-name",
        "version",
        "version-id",
        "machine",
        "variant",
        "variant-id",
        "kernel-release",
        "kernel-version",
    ] {
        if let Some(s) = v[key].as_str() {
            p.string(format!("os.{key}"), s);
        }
    }
    Ok(())
}

fn timezone(p: &mut Params, v: &Value) -> Result<()> {
    if !v.is_object() {
        return Err(Error::internal(
            FROM,
            "guest-get-timezone reply was missing return data",
        ));
    }
    if let Some(z) = v["zone"].as_str() {
        p.string("timezone.name", z);
    }
    let off = v["offset"]
        .as_i64()
        .ok_or_else(|| missing("offset", "guest-get-timezone"))?;
    p.0.push(TypedParam::new("timezone.offset", V::Int(off as i32)));
    Ok(())
}

fn filesystems(p: &mut Params, def: &rvirt_conf::DomainDef, v: &Value) -> Result<()> {
    let list = v
        .as_array()
        .ok_or_else(|| Error::internal(FROM, "Malformed guest-get-fsinfo data array"))?;
    p.uint("fs.count", list.len());
    // libvirt lists them in mount order (the agent gives the newest first).
    for (i, fs) in list.iter().rev().enumerate() {
        for (key, name) in [
            ("name", "name"),
            ("mountpoint", "mountpoint"),
            ("type", "fstype"),
        ] {
            let s = fs[key]
                .as_str()
                .ok_or_else(|| missing(key, "guest-get-fsinfo"))?;
            p.string(format!("fs.{i}.{name}"), s);
        }
        for key in ["total-bytes", "used-bytes"] {
            if let Some(n) = fs[key].as_u64() {
                p.ullong(format!("fs.{i}.{key}"), n);
            }
        }
        let disks = fs["disk"]
            .as_array()
            .ok_or_else(|| missing("disk", "guest-get-fsinfo"))?;
        p.uint(format!("fs.{i}.disk.count"), disks.len());
        for (j, d) in disks.iter().enumerate() {
            if let Some(target) = disk_at(def, d) {
                p.string(format!("fs.{i}.disk.{j}.alias"), &target);
            }
            if let Some(s) = d["serial"].as_str() {
                p.string(format!("fs.{i}.disk.{j}.serial"), s);
            }
            if let Some(s) = d["dev"].as_str() {
                p.string(format!("fs.{i}.disk.{j}.device"), s);
            }
        }
    }
    Ok(())
}

fn disks(p: &mut Params, def: &rvirt_conf::DomainDef, v: &Value) -> Result<()> {
    let list = v
        .as_array()
        .ok_or_else(|| Error::internal(FROM, "qemu agent didn't return an array of disks"))?;
    p.uint("disk.count", list.len());
    for (i, d) in list.iter().enumerate() {
        let name = d["name"]
            .as_str()
            .ok_or_else(|| missing("name", "guest-get-disks"))?;
        p.string(format!("disk.{i}.name"), name);
        let part = d["partition"]
            .as_bool()
            .ok_or_else(|| missing("partition", "guest-get-disks"))?;
        p.0.push(TypedParam::new(
            format!("disk.{i}.partition"),
            V::Boolean(part),
        ));
        if let Some(deps) = d["dependencies"].as_array().filter(|a| !a.is_empty()) {
            p.uint(format!("disk.{i}.dependency.count"), deps.len());
            for (j, dep) in deps.iter().enumerate() {
                p.string(
                    format!("disk.{i}.dependency.{j}.name"),
                    dep.as_str().unwrap_or_default(),
                );
            }
        }
        if let Some(addr) = d.get("address").filter(|a| a.is_object()) {
            if let Some(s) = addr["serial"].as_str() {
                p.string(format!("disk.{i}.serial"), s);
            }
            if let Some(target) = disk_at(def, addr) {
                p.string(format!("disk.{i}.alias"), &target);
            }
        }
        if let Some(a) = d["alias"].as_str() {
            p.string(format!("disk.{i}.guest_alias"), a);
        }
    }
    Ok(())
}

fn interfaces(p: &mut Params, list: &[DomainInterface]) {
    p.uint("if.count", list.len());
    for (i, iface) in list.iter().enumerate() {
        p.string(format!("if.{i}.name"), &iface.name);
        p.string(
            format!("if.{i}.hwaddr"),
            iface.hwaddr.as_deref().unwrap_or_default(),
        );
        p.uint(format!("if.{i}.addr.count"), iface.addrs.len());
        for (j, a) in iface.addrs.iter().enumerate() {
            let t = if a.addr_type == rvirt_types::domain::IPAddrType::IPV6 {
                "ipv6"
            } else {
                "ipv4"
            };
            p.string(format!("if.{i}.addr.{j}.type"), t);
            p.string(format!("if.{i}.addr.{j}.addr"), &a.addr);
            p.uint(format!("if.{i}.addr.{j}.prefix"), a.prefix as usize);
        }
    }
}

impl QemuDriver {
    /// Runs `command` for `virDomainGetGuestInfo`: `None` when the agent lacks it and the
    /// caller did not ask for that type by name.
    async fn info_run(
        &self,
        dom: &DomainRef,
        command: &'static str,
        report_unsupported: bool,
    ) -> Result<Option<Value>> {
        let (agent, wait) = self.agent_with_deadline(dom)?;
        match on_rt(async move { agent.execute(command, None, wait).await }).await? {
            Ok(v) => Ok(Some(v)),
            Err(e) if !report_unsupported && e.is_unsupported_command() => Ok(None),
            Err(e) => Err(agent_error(e)),
        }
    }

    /// `virDomainGetGuestInfo`.
    pub(crate) async fn guest_info(
        &self,
        dom: &DomainRef,
        types: u32,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        check_flags(FROM, "qemuDomainGetGuestInfo", flags, 0)?;
        if types & !ALL != 0 {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::INVALID_ARG,
                format!("unsupported guest information types '0x{:x}'", types & !ALL),
            ));
        }
        let report = types != 0;
        let want = if types == 0 { ALL } else { types };
        let obj = self.obj(dom)?;
        let mut p = Params::default();
        if want & USERS != 0
            && let Some(v) = self.info_run(dom, "guest-get-users", report).await?
        {
            users(&mut p, &v)?;
        }
        if want & OS != 0
            && let Some(v) = self.info_run(dom, "guest-get-osinfo", report).await?
        {
            os(&mut p, &v)?;
        }
        if want & TIMEZONE != 0
            && let Some(v) = self.info_run(dom, "guest-get-timezone", report).await?
        {
            timezone(&mut p, &v)?;
        }
        if want & HOSTNAME != 0
            && let Some(v) = self.info_run(dom, "guest-get-host-name", report).await?
        {
            let h = v["host-name"]
                .as_str()
                .ok_or_else(|| Error::internal(FROM, "malformed return value"))?;
            p.string("hostname", h);
        }
        let fs = match want & FILESYSTEM {
            0 => None,
            _ => self.info_run(dom, "guest-get-fsinfo", report).await?,
        };
        let dk = match want & DISKS {
            0 => None,
            _ => self.info_run(dom, "guest-get-disks", report).await?,
        };
        let ifaces = match want & INTERFACES {
            0 => None,
            _ => match self
                .info_run(dom, "guest-network-get-interfaces", report)
                .await?
            {
                Some(v) => Some(crate::guest_agent::parse_interfaces(&v)?),
                None => None,
            },
        };
        let nonempty = |v: &Option<Value>| {
            v.as_ref()
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        if nonempty(&fs) || nonempty(&dk) {
            let def = {
                let st = obj.lock();
                if !st.is_active() {
                    return Err(Error::operation_invalid(FROM, "domain is not running"));
                }
                st.def.clone()
            };
            if let Some(v) = fs.as_ref().filter(|_| nonempty(&fs)) {
                filesystems(&mut p, &def, v)?;
            }
            if let Some(v) = dk.as_ref().filter(|_| nonempty(&dk)) {
                disks(&mut p, &def, v)?;
            }
        }
        if let Some(list) = ifaces.filter(|l| !l.is_empty()) {
            interfaces(&mut p, &list);
        }
        Ok(p.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(p: &Params) -> Vec<String> {
        p.0.iter()
            .map(|t| format!("{}={:?}", t.field, t.value))
            .collect()
    }

    #[test]
    fn users_os_and_timezone_become_libvirts_parameters() {
        let mut p = Params::default();
        users(
            &mut p,
            &json!([{"user": "root", "login-time": 1700000000.25},
                    {"user": "bob", "domain": "CORP", "login-time": 2.0}]),
        )
        .unwrap();
        os(
            &mut p,
            &json!({"id": "debian", "kernel-release": "6.1", "other": "x"}),
        )
        .unwrap();
        timezone(&mut p, &json!({"zone": "UTC", "offset": 0})).unwrap();
        assert_eq!(
            fields(&p),
            [
                "user.count=UInt(2)",
                "user.0.name=String(\"root\")",
                "user.0.login-time=ULLong(1700000000250)",
                "user.1.name=String(\"bob\")",
                "user.1.domain=String(\"CORP\")",
                "user.1.login-time=ULLong(2000)",
                "os.id=String(\"debian\")",
                "os.kernel-release=String(\"6.1\")",
                "timezone.name=String(\"UTC\")",
                "timezone.offset=Int(0)",
            ]
        );
        let e = users(&mut p, &json!([{"login-time": 1}])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "internal error: 'user' missing in reply of guest-get-users"
        );
        assert!(timezone(&mut p, &json!({"zone": "UTC"})).is_err());
    }
}
