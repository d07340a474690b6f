//! Memory and vCPU changes of the QEMU driver, with libvirt's rules for `VIR_DOMAIN_AFFECT_*`
//! and its errors: the balloon for live memory changes, `device_add` of the CPUs
//! `query-hotpluggable-cpus` offers for live vCPU hotplug, and the persistent config for
//! everything else.

use crate::{FROM, QemuDriver};
use rvirt_conf::DomainDef;
use rvirt_driver::{DomainObj, DomainRef, check_flags};
use rvirt_qmp::EventKind;
use rvirt_types::domain::*;
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// How long an unplugged vCPU has to disappear (libvirt's `QEMU_UNPLUG_TIMEOUT`).
const UNPLUG_TIMEOUT: Duration = Duration::from_secs(5);

const LIVE: u32 = DomainModificationImpact::LIVE.bits();
const CONFIG: u32 = DomainModificationImpact::CONFIG.bits();

fn invalid_arg(msg: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::INVALID_ARG, msg)
}

fn has_balloon(def: &DomainDef) -> bool {
    def.devices
        .memballoon
        .as_ref()
        .is_some_and(|b| b.model != "none")
}

/// One entry of `query-hotpluggable-cpus`: the device properties that plug it, and whether
/// (and as which device) it is plugged.
struct HotpluggableCpu {
    driver: String,
    props: serde_json::Map<String, Value>,
    qom_path: Option<String>,
}

impl QemuDriver {
    /// Saves the persistent definition of `obj` after a change to it.
    pub(crate) fn save_persistent(&self, obj: &DomainObj) -> Result<()> {
        let def = obj.lock().persistent_def().clone();
        self.save_config(&def)
    }

    /// `virDomainSetMemoryFlags` (and `virDomainSetMaxMemory` with `MAXIMUM`).
    pub(crate) async fn set_memory(
        &self,
        dom: &DomainRef,
        kib: u64,
        flags: DomainMemoryModFlags,
    ) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainSetMemoryFlags",
            flags.bits(),
            (DomainMemoryModFlags::LIVE
                | DomainMemoryModFlags::CONFIG
                | DomainMemoryModFlags::MAXIMUM)
                .bits(),
        )?;
        let obj = self.obj(dom)?;
        let (live, config) = obj.lock().modification_impact(flags.bits())?;
        if flags.contains(DomainMemoryModFlags::MAXIMUM) {
            if live {
                return Err(Error::operation_invalid(
                    FROM,
                    "cannot resize the maximum memory on an active domain",
                ));
            }
            {
                let mut st = obj.lock();
                let def = st.persistent_def_mut();
                if def
                    .max_memory
                    .as_ref()
                    .is_some_and(|m| m.kib > 0 && m.kib < kib)
                {
                    return Err(Error::operation_invalid(
                        FROM,
                        "cannot set initial memory size greater than the maximum memory size",
                    ));
                }
                def.memory_kib = kib;
                def.current_memory_kib = def.current_memory_kib.min(kib);
            }
            return self.save_persistent(&obj);
        }
        let (live_def, pers_def) = {
            let st = obj.lock();
            (st.def.clone(), st.persistent_def().clone())
        };
        let mut oldmax = if live { live_def.memory_kib } else { 0 };
        if config && (!live || oldmax > pers_def.memory_kib) {
            oldmax = pers_def.memory_kib;
        }
        if kib > oldmax {
            return Err(invalid_arg("cannot set memory higher than max memory"));
        }
        if live {
            if !has_balloon(&live_def) {
                return Err(Error::operation_invalid(
                    FROM,
                    "Unable to change memory of active domain without the balloon device and \
                     guest OS balloon driver",
                ));
            }
            let p = self.proc_of(&obj.uuid)?;
            // The live size follows the guest: BALLOON_CHANGE events update it.
            self.qmp(&p, move |m| async move { m.balloon(kib * 1024).await })
                .await?;
        }
        if config {
            obj.lock().persistent_def_mut().current_memory_kib = kib;
            self.save_persistent(&obj)?;
        }
        Ok(())
    }

    /// `virDomainSetMemoryStatsPeriod`.
    pub(crate) async fn set_memory_stats_period(
        &self,
        dom: &DomainRef,
        period: i32,
        flags: DomainModificationImpact,
    ) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainSetMemoryStatsPeriod",
            flags.bits(),
            LIVE | CONFIG,
        )?;
        let obj = self.obj(dom)?;
        let (live, config) = obj.lock().modification_impact(flags.bits())?;
        let no_balloon = || {
            Error::internal(
                FROM,
                "No memory balloon device configured, can not set the collection period",
            )
        };
        let set = |def: &mut DomainDef| {
            if let Some(b) = def.devices.memballoon.as_mut() {
                // libvirt writes no <stats> element for a period of 0.
                b.stats_period = u32::try_from(period).ok().filter(|&p| p > 0);
            }
        };
        if live {
            if !has_balloon(&obj.lock().def) {
                return Err(no_balloon());
            }
            let p = self.proc_of(&obj.uuid)?;
            let secs = period.max(0) as u32;
            self.qmp(&p, move |m| async move {
                m.set_balloon_stats_period(crate::stats::BALLOON_PATH, secs)
                    .await
            })
            .await
            .map_err(|_| {
                Error::operation_invalid(FROM, "unable to set balloon driver collection period")
            })?;
            set(Arc::make_mut(&mut obj.lock().def));
            let _ = self.save_status(&obj);
        }
        if config {
            {
                let mut st = obj.lock();
                if !has_balloon(st.persistent_def()) {
                    return Err(no_balloon());
                }
                set(st.persistent_def_mut());
            }
            self.save_persistent(&obj)?;
        }
        Ok(())
    }

    /// `virDomainSetVcpusFlags`.
    pub(crate) async fn set_vcpus(
        &self,
        dom: &DomainRef,
        n: u32,
        flags: DomainVcpuFlags,
    ) -> Result<()> {
        check_flags(
            FROM,
            "qemuDomainSetVcpusFlags",
            flags.bits(),
            (DomainVcpuFlags::LIVE
                | DomainVcpuFlags::CONFIG
                | DomainVcpuFlags::MAXIMUM
                | DomainVcpuFlags::GUEST
                | DomainVcpuFlags::HOTPLUGGABLE)
                .bits(),
        )?;
        let obj = self.obj(dom)?;
        let (live, config) = obj.lock().modification_impact(flags.bits())?;
        if flags.contains(DomainVcpuFlags::GUEST) {
            {
                let st = obj.lock();
                if let Some(e) = crate::guest_agent::agent_unusable(&st) {
                    return Err(e);
                }
                if n > st.def.vcpus_current {
                    return Err(invalid_arg(format!(
                        "requested vcpu count is greater than the count of enabled vcpus in \
                         the domain: {n} > {}",
                        st.def.vcpus_current
                    )));
                }
            }
            return self.agent_set_vcpu_count(dom, n).await;
        }
        if flags.contains(DomainVcpuFlags::MAXIMUM) {
            if live {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "maximum vcpu count of a live domain can't be modified",
                ));
            }
            {
                let mut st = obj.lock();
                let def = st.persistent_def_mut();
                def.vcpus_max = n;
                def.vcpus_current = def.vcpus_current.min(n);
            }
            return self.save_persistent(&obj);
        }
        let (live_max, pers_max) = {
            let st = obj.lock();
            (st.def.vcpus_max, st.persistent_def().vcpus_max)
        };
        if live && n > live_max {
            return Err(invalid_arg(format!(
                "requested vcpus is greater than max allowable vcpus for the live domain: \
                 {n} > {live_max}"
            )));
        }
        if config && n > pers_max {
            return Err(invalid_arg(format!(
                "requested vcpus is greater than max allowable vcpus for the persistent \
                 domain: {n} > {pers_max}"
            )));
        }
        if live {
            self.set_vcpus_live(&obj, n).await?;
        }
        if config {
            obj.lock().persistent_def_mut().vcpus_current = n;
            self.save_persistent(&obj)?;
        }
        Ok(())
    }

    async fn hotpluggable_cpus(&self, p: &crate::process::Proc) -> Result<Vec<HotpluggableCpu>> {
        let v = self
            .qmp(p, |m| async move {
                m.execute("query-hotpluggable-cpus", None).await
            })
            .await
            .map_err(|_| {
                Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_UNSUPPORTED,
                    "cpu hotplug is not supported",
                )
            })?;
        let mut cpus: Vec<HotpluggableCpu> = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| HotpluggableCpu {
                driver: c["type"].as_str().unwrap_or_default().to_string(),
                props: c["props"].as_object().cloned().unwrap_or_default(),
                qom_path: c["qom-path"].as_str().map(str::to_string),
            })
            .collect();
        // vCPU i is the i-th in topology order (QEMU lists them the other way round); the
        // NUMA node a vCPU is in does not change its place.
        let key = |c: &HotpluggableCpu| {
            ["socket-id", "die-id", "core-id", "thread-id"]
                .map(|k| c.props.get(k).and_then(Value::as_i64).unwrap_or(0))
        };
        cpus.sort_by_key(key);
        Ok(cpus)
    }

    /// Records the live vCPUs one by one in the live definition, as libvirt does once a vCPU
    /// was hot-plugged (`<vcpus>`: the first `fixed` present from the start, the others
    /// hot-pluggable; online ones numbered in order).
    fn record_individual_vcpus(obj: &DomainObj, fixed: u32) {
        use rvirt_conf::raw::{RawElement, RawNode};
        let mut st = obj.lock();
        let def = Arc::make_mut(&mut st.def);
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        let vcpus = (0..def.vcpus_max)
            .map(|i| {
                let online = i < def.vcpus_current;
                let mut attrs = vec![
                    ("id".to_string(), i.to_string()),
                    ("enabled".to_string(), yes_no(online)),
                    ("hotpluggable".to_string(), yes_no(i >= fixed)),
                ];
                if online {
                    attrs.push(("order".to_string(), (i + 1).to_string()));
                }
                RawNode::Element(RawElement {
                    name: "vcpu".into(),
                    attrs,
                    children: Vec::new(),
                })
            })
            .collect();
        let element = RawElement {
            name: "vcpus".into(),
            attrs: Vec::new(),
            children: vcpus,
        };
        let kept = &mut def.extras.kept;
        kept.retain(|(_, _, e)| e.name != "vcpus");
        kept.push((rvirt_conf::domain::Slot::AfterVcpu, 0, element));
        kept.sort_by_key(|(s, r, _)| (*s, *r));
    }

    /// Plugs or unplugs vCPUs until `n` are online, as libvirt does: vCPUs are added in order
    /// and only those added after start (which have a device id) can be removed, from the
    /// highest down, each waiting for the guest to let it go.
    async fn set_vcpus_live(&self, obj: &DomainObj, n: u32) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        let cur = obj.lock().def.vcpus_current;
        if n == cur {
            return Ok(());
        }
        let cpus = self.hotpluggable_cpus(&p).await?;
        // The vCPUs QEMU started with (not plugged as devices) cannot be unplugged.
        let fixed = cpus
            .iter()
            .filter(|c| {
                c.qom_path
                    .as_deref()
                    .is_some_and(|q| !q.starts_with("/machine/peripheral/"))
            })
            .count() as u32;
        if n > cur {
            for i in cur..n {
                let Some(c) = cpus.get(i as usize).filter(|c| c.qom_path.is_none()) else {
                    return Err(Error::with_detail(
                        FROM,
                        ErrorNumber::CONFIG_UNSUPPORTED,
                        "failed to find appropriate hotpluggable vcpus to reach the desired \
                         target vcpu count",
                    ));
                };
                let mut props = c.props.clone();
                props.insert("driver".into(), json!(c.driver));
                props.insert("id".into(), json!(format!("vcpu{i}")));
                let threads = self
                    .qmp(&p, move |m| async move {
                        m.device_add(Value::Object(props)).await?;
                        m.query_cpus_fast().await
                    })
                    .await?;
                Arc::make_mut(&mut obj.lock().def).vcpus_current = i + 1;
                Self::record_individual_vcpus(obj, fixed);
                let _ = self.save_status(obj);
                // Its control group and pinning, as libvirt sets up a plugged vCPU.
                if let Some(t) = threads.iter().find(|t| t.cpu_index as u32 == i) {
                    let def = obj.lock().def.clone();
                    crate::params::place_new_thread(&p.cgroup, &def, "vcpu", i, t.thread_id)?;
                }
            }
            return Ok(());
        }
        // Unplug: the online vCPUs above n must all be ones plugged at run time.
        let removable = (n..cur).all(|i| {
            cpus.get(i as usize)
                .and_then(|c| c.qom_path.as_deref())
                .is_some_and(|q| q == format!("/machine/peripheral/vcpu{i}"))
        });
        if !removable {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::CONFIG_UNSUPPORTED,
                "failed to find appropriate hotpluggable vcpus to reach the desired target vcpu \
                 count",
            ));
        }
        for i in (n..cur).rev() {
            let id = format!("vcpu{i}");
            let gone = self
                .qmp(&p, move |m| async move {
                    let mut events = m.events();
                    m.device_del(&id).await?;
                    let wait = async {
                        loop {
                            match events.recv().await {
                                Ok(ev) => {
                                    if let EventKind::DeviceDeleted { device, .. } = ev.kind()
                                        && device.as_deref() == Some(id.as_str())
                                    {
                                        return true;
                                    }
                                }
                                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                                Err(_) => return false,
                            }
                        }
                    };
                    Ok(tokio::time::timeout(UNPLUG_TIMEOUT, wait)
                        .await
                        .unwrap_or(false))
                })
                .await?;
            if !gone {
                return Err(Error::with_detail(
                    FROM,
                    ErrorNumber::OPERATION_TIMEOUT,
                    "vcpu unplug request timed out. Unplug result must be manually inspected in \
                     the domain",
                ));
            }
            Arc::make_mut(&mut obj.lock().def).vcpus_current = i;
            Self::record_individual_vcpus(obj, fixed);
            let _ = self.save_status(obj);
            p.cgroup.remove_subgroup(&format!("vcpu{i}"));
        }
        Ok(())
    }

    /// `virDomainGetVcpusFlags`.
    pub(crate) async fn get_vcpus_flags(
        &self,
        dom: &DomainRef,
        flags: DomainVcpuFlags,
    ) -> Result<i32> {
        check_flags(
            FROM,
            "qemuDomainGetVcpusFlags",
            flags.bits(),
            (DomainVcpuFlags::LIVE
                | DomainVcpuFlags::CONFIG
                | DomainVcpuFlags::MAXIMUM
                | DomainVcpuFlags::GUEST)
                .bits(),
        )?;
        let obj = self.obj(dom)?;
        let def = {
            let st = obj.lock();
            let def = st.one_def(flags.bits())?.clone();
            if flags.contains(DomainVcpuFlags::GUEST) && !st.is_active() {
                return Err(invalid_arg(
                    "vCPU count provided by the guest agent can only be requested for live \
                     domains",
                ));
            }
            def
        };
        if flags.contains(DomainVcpuFlags::GUEST) {
            return self
                .agent_vcpu_count(dom, flags.contains(DomainVcpuFlags::MAXIMUM))
                .await;
        }
        Ok(if flags.contains(DomainVcpuFlags::MAXIMUM) {
            def.vcpus_max
        } else {
            def.vcpus_current
        } as i32)
    }
}
