//! I/O threads of a running QEMU (`iothreadN` objects): listed with the host CPUs their
//! threads may run on, added and removed live (`object-add`/`object-del`) and in the config,
//! and pinned (`sched_setaffinity` on the thread `query-iothreads` names).

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainRef, check_flags, cpumap};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::records::DomainIOThreadInfo;
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::json;
use std::sync::Arc;

const LIVE_CONFIG: u32 = Impact::LIVE.bits() | Impact::CONFIG.bits();

fn invalid(msg: String) -> Error {
    Error::with_detail(FROM, ErrorNumber::INVALID_ARG, msg)
}

/// The `iothreadN` objects of a `query-iothreads` reply: (N, thread id).
pub(crate) fn parse_iothreads(v: &serde_json::Value) -> Vec<(u32, i64)> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let id = t["id"].as_str()?.strip_prefix("iothread")?.parse().ok()?;
            Some((id, t["thread-id"].as_i64()?))
        })
        .collect()
}

impl QemuDriver {
    /// I/O thread ids and their thread ids, from `query-iothreads`.
    async fn iothread_threads(&self, p: &crate::process::Proc) -> Result<Vec<(u32, i64)>> {
        let v = self
            .qmp(
                p,
                |m| async move { m.execute("query-iothreads", None).await },
            )
            .await?;
        Ok(parse_iothreads(&v))
    }

    /// `virDomainGetIOThreadInfo`: the running QEMU's threads and their affinity, or the
    /// config's threads and pinning (the host's online CPUs when unpinned).
    pub(crate) async fn iothread_info(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<Vec<DomainIOThreadInfo>> {
        check_flags(FROM, "qemuDomainGetIOThreadInfo", flags, LIVE_CONFIG)?;
        let obj = self.obj(dom)?;
        let (live, config_def) = {
            let st = obj.lock();
            let (live, config) = st.modification_impact(flags)?;
            (live && !config, st.persistent_def().clone())
        };
        if !live {
            let all = crate::pin::online_cpus();
            return Ok(config_def
                .iothread_ids()
                .into_iter()
                .map(|id| DomainIOThreadInfo {
                    iothread_id: id,
                    cpumap: cpumap::bytes_fit(
                        &config_def
                            .iothread_affinity(id)
                            .unwrap_or_else(|| all.clone()),
                    ),
                })
                .collect());
        }
        let p = self.proc_of(&obj.uuid)?;
        let threads = self.iothread_threads(&p).await?;
        Ok(threads
            .into_iter()
            .map(|(id, tid)| DomainIOThreadInfo {
                iothread_id: id,
                cpumap: cpumap::bytes_fit(&crate::pin::affinity(tid)),
            })
            .collect())
    }

    /// `virDomainAddIOThread` / `virDomainDelIOThread`.
    pub(crate) async fn change_iothread(
        &self,
        dom: &DomainRef,
        id: u32,
        add: bool,
        flags: u32,
    ) -> Result<()> {
        let name = if add {
            "qemuDomainAddIOThread"
        } else {
            "qemuDomainDelIOThread"
        };
        check_flags(FROM, name, flags, LIVE_CONFIG)?;
        cpumap::check_iothread_id(FROM, id)?;
        let obj = self.obj(dom)?;
        let (live, config, mut live_def, mut config_def) = {
            let st = obj.lock();
            let (live, config) = st.modification_impact(flags)?;
            (
                live,
                config,
                (*st.def).clone(),
                (**st.persistent_def()).clone(),
            )
        };
        let change = |d: &mut rvirt_conf::DomainDef| {
            if add {
                d.add_iothread(id)
            } else {
                d.del_iothread(id)
            }
        };
        if live {
            change(&mut live_def)?;
        }
        if config {
            change(&mut config_def)?;
        }
        if live {
            let p = self.proc_of(&obj.uuid)?;
            let alias = format!("iothread{id}");
            if add {
                let args = json!({"qom-type": "iothread", "id": alias});
                self.qmp(
                    &p,
                    |m| async move { m.execute("object-add", Some(args)).await },
                )
                .await?;
                let Some((_, tid)) = self
                    .iothread_threads(&p)
                    .await?
                    .into_iter()
                    .find(|(i, _)| *i == id)
                else {
                    return Err(Error::internal(
                        FROM,
                        format!("cannot find new IOThread '{id}' in QEMU monitor."),
                    ));
                };
                // Its control group and pinning, as libvirt sets up a new I/O thread.
                crate::params::place_new_thread(&p.cgroup, &live_def, "iothread", id, tid)?;
            } else {
                let args = json!({ "id": alias });
                self.qmp(
                    &p,
                    |m| async move { m.execute("object-del", Some(args)).await },
                )
                .await?;
                p.cgroup.remove_subgroup(&alias);
            }
            obj.lock().def = Arc::new(live_def);
            let _ = self.save_status(&obj);
        }
        if config {
            self.save_config(&config_def)?;
            *obj.lock().persistent_def_mut() = config_def;
        }
        Ok(())
    }

    /// `virDomainPinIOThread`.
    pub(crate) async fn pin_iothread(
        &self,
        dom: &DomainRef,
        id: u32,
        map: &[u8],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "qemuDomainPinIOThread", flags, LIVE_CONFIG)?;
        let obj = self.obj(dom)?;
        let (live, config) = obj.lock().modification_impact(flags)?;
        let cpus = cpumap::cpus(map);
        cpumap::check_iothread_map(FROM, &cpus)?;
        if live {
            let mut def = (*obj.lock().def).clone();
            if !def.iothread_ids().contains(&id) {
                return Err(invalid(format!("iothread {id} not found")));
            }
            let p = self.proc_of(&obj.uuid)?;
            if let Some((_, tid)) = self
                .iothread_threads(&p)
                .await?
                .into_iter()
                .find(|(i, _)| *i == id)
            {
                p.cgroup
                    .set_thread_cpus(&format!("iothread{id}"), &cpus)
                    .map_err(|_| crate::pin::cpuset_failed(&format!("iothread {id}")))?;
                crate::pin::set_affinity(tid, &cpus)?;
            }
            def.pin_iothread(id, &cpus);
            obj.lock().def = Arc::new(def);
            let _ = self.save_status(&obj);
            let name = format!("cputune.iothreadpin{id}");
            self.emit_tunable(&obj, vec![crate::pin::cpuset_param(&name, &cpus)]);
        }
        if config {
            let mut def = (**obj.lock().persistent_def()).clone();
            if !def.pin_iothread(id, &cpus) {
                return Err(cpumap::iothread_not_found(FROM, id));
            }
            self.save_config(&def)?;
            *obj.lock().persistent_def_mut() = def;
        }
        Ok(())
    }
}
