//! libvirt's test driver's tuning calls: memory, block I/O, NUMA, interface bandwidth and disk
//! throttling parameters and perf events are kept in the definition the flags choose and read
//! back from it; the scheduler is a fixed "fair" one with weight 50 whose setting is accepted
//! and dropped, as in libvirt.

use crate::{FROM, TestDriver};
use rvirt_conf::domain::params::{self, MemtuneChange};
use rvirt_driver::{DomainRef, TuningDriver, check_flags};
use rvirt_types::domain::DomainModificationImpact as Impact;
use rvirt_types::typed_param::{CountedParams, TYPED_PARAM_STRING_OKAY, kind, validate};
use rvirt_types::{Error, Result, TypedParam, TypedParamValue};

const AFFECT: u32 = Impact::LIVE.bits() | Impact::CONFIG.bits();
const GET_FLAGS: u32 = AFFECT | TYPED_PARAM_STRING_OKAY;
/// `TEST_BLOCK_IOTUNE_MAX`: the largest throttling limit the test driver takes.
const BLOCK_IOTUNE_MAX: u64 = 1_000_000_000_000_000;

/// One I/O thread's polling parameters (libvirt's test driver's `testIOThreadInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IoThreadPoll {
    /// The thread's id.
    pub id: u32,
    /// `poll-max-ns`.
    pub max_ns: u64,
    /// `poll-grow`.
    pub grow: u32,
    /// `poll-shrink`.
    pub shrink: u32,
}

impl IoThreadPoll {
    /// A thread's parameters when it is added: polling for up to 32768 ns.
    pub(crate) fn new(id: u32) -> IoThreadPoll {
        IoThreadPoll {
            id,
            max_ns: 32768,
            grow: 0,
            shrink: 0,
        }
    }

    /// The `iothread.*` statistics of a running domain's threads.
    pub(crate) fn stats(polls: &[IoThreadPoll]) -> Vec<TypedParam> {
        if polls.is_empty() {
            return Vec::new();
        }
        let mut out = vec![TypedParam::new(
            "iothread.count",
            TypedParamValue::UInt(polls.len() as u32),
        )];
        for p in polls {
            out.push(TypedParam::new(
                format!("iothread.{}.poll-max-ns", p.id),
                TypedParamValue::ULLong(p.max_ns),
            ));
            out.push(TypedParam::new(
                format!("iothread.{}.poll-grow", p.id),
                TypedParamValue::UInt(p.grow),
            ));
            out.push(TypedParam::new(
                format!("iothread.{}.poll-shrink", p.id),
                TypedParamValue::UInt(p.shrink),
            ));
        }
        out
    }
}

impl TestDriver {
    /// A getter's answer: `read` on the one definition `flags` choose, counted or cut to
    /// `nparams`; the flags are checked first and counting needs no domain.
    fn tunables(
        &self,
        dom: &DomainRef,
        function: &str,
        nparams: i32,
        flags: u32,
        total: usize,
        read: impl FnOnce(&rvirt_conf::DomainDef) -> Result<Vec<TypedParam>>,
    ) -> Result<CountedParams> {
        check_flags(FROM, function, flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        CountedParams::answer(nparams, total, || {
            self.read_domain(dom, |st| read(st.one_def(flags)?))
        })
    }

    /// A setter: `params` checked against `accepted`, then `change` on the one definition
    /// `flags` choose, with the live definition to compare against.
    fn tune(
        &self,
        dom: &DomainRef,
        function: &str,
        params: &[TypedParam],
        flags: u32,
        accepted: &[(&str, i32)],
        change: impl FnOnce(&mut rvirt_conf::DomainDef, bool, &rvirt_conf::DomainDef) -> Result<()>,
    ) -> Result<()> {
        check_flags(FROM, function, flags, AFFECT)?;
        validate(params, accepted)?;
        self.modify_domain(dom, |st| {
            let live_def = st.def.clone();
            let (def, live) = st.one_def_mut(flags)?;
            // Work on a copy, so a refusal part-way leaves the definition as it was.
            let mut new = def.clone();
            change(&mut new, live, &live_def)?;
            *def = new;
            Ok(())
        })
    }
}

impl TuningDriver for TestDriver {
    async fn domain_get_memory_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let f = "testDomainGetMemoryParameters";
        self.tunables(dom, f, nparams, flags, 3, |d| Ok(d.memtune_params()))
    }

    async fn domain_set_memory_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let accepted = params::memory_accepted();
        let f = "testDomainSetMemoryParameters";
        self.tune(dom, f, params, flags, &accepted, |def, _, live_def| {
            let change = MemtuneChange::from_params(params);
            // libvirt compares with the live definition's limits whichever one changes.
            change.check(live_def, FROM)?;
            change.apply(def);
            Ok(())
        })
    }

    async fn domain_get_blkio_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let f = "testDomainGetBlkioParameters";
        self.tunables(dom, f, nparams, flags, 6, |d| Ok(d.blkio_params()))
    }

    async fn domain_set_blkio_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let accepted = params::blkio_accepted();
        let f = "testDomainSetBlkioParameters";
        self.tune(dom, f, params, flags, &accepted, |def, _, _| {
            def.set_blkio_params(params)
        })
    }

    async fn domain_get_numa_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let f = "testDomainGetNumaParameters";
        self.tunables(dom, f, nparams, flags, 2, |d| Ok(d.numa_params()))
    }

    async fn domain_set_numa_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let accepted = params::numa_accepted();
        let f = "testDomainSetNumaParameters";
        self.tune(dom, f, params, flags, &accepted, |def, live, _| {
            let (mode, nodeset) = rvirt_conf::domain::params::numa_request(params, FROM)?;
            if live
                && let (Some(m), Some(current)) = (mode, def.numa_mode())
                && m != current
            {
                return Err(Error::operation_invalid(
                    FROM,
                    "can't change numatune mode for running domain",
                ));
            }
            def.set_numatune(mode, nodeset.as_deref())
        })
    }

    async fn domain_get_interface_parameters(
        &self,
        dom: &DomainRef,
        device: &str,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let f = "testDomainGetInterfaceParameters";
        self.tunables(dom, f, nparams, flags, 7, |d| {
            Ok(d.devices.interfaces[d.net_find(device)?].bandwidth_params())
        })
    }

    async fn domain_set_interface_parameters(
        &self,
        dom: &DomainRef,
        device: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let accepted = params::bandwidth_accepted();
        let f = "testDomainSetInterfaceParameters";
        self.tune(dom, f, params, flags, &accepted, |def, _, _| {
            let i = def.net_find(device)?;
            def.devices.interfaces[i].set_bandwidth(params, true);
            Ok(())
        })
    }

    async fn domain_get_block_io_tune(
        &self,
        dom: &DomainRef,
        disk: Option<&str>,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let f = "testDomainGetBlockIoTune";
        self.tunables(dom, f, nparams, flags, 20, |d| {
            let path = disk.unwrap_or("");
            let disk = d.disk_by_name(path).ok_or_else(|| {
                Error::invalid_arg(
                    FROM,
                    format!("disk '{path}' was not found in the domain config"),
                )
            })?;
            Ok(disk.iotune().params())
        })
    }

    async fn domain_set_block_io_tune(
        &self,
        dom: &DomainRef,
        disk: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let accepted = params::iotune_accepted();
        let f = "testDomainSetBlockIoTune";
        self.tune(dom, f, params, flags, &accepted, |def, _, _| {
            let Some(i) = def.disk_index_by_name(disk) else {
                return Err(Error::invalid_arg(
                    FROM,
                    format!("missing persistent configuration for disk '{disk}'"),
                ));
            };
            params::check_iotune_max(params, BLOCK_IOTUNE_MAX, FROM)?;
            let disk = &mut def.devices.disks[i];
            let mut t = disk.iotune();
            t.apply(params);
            t.check(FROM)?;
            disk.set_iotune(&t);
            Ok(())
        })
    }

    async fn domain_set_iothread_params(
        &self,
        dom: &DomainRef,
        iothread_id: u32,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(
            FROM,
            "testDomainSetIOThreadParams",
            flags,
            Impact::LIVE.bits(),
        )?;
        if iothread_id == 0 {
            return Err(Error::invalid_arg(
                FROM,
                "invalid value of 0 for iothread_id",
            ));
        }
        self.read_domain(dom, |st| {
            if !st.one_def(flags)?.iothread_ids().contains(&iothread_id) {
                return Err(Error::invalid_arg(
                    FROM,
                    format!("cannot find IOThread '{iothread_id}' in iothreadids"),
                ));
            }
            Ok(())
        })?;
        let mut polls = self.iothread_polls.lock();
        let Some(p) = polls
            .get_mut(&dom.uuid)
            .and_then(|l| l.iter_mut().find(|p| p.id == iothread_id))
        else {
            // libvirt's test driver fails here without saying why.
            return Err(Error::unknown_cause());
        };
        validate(
            params,
            &[
                ("poll_max_ns", kind::ULLONG),
                ("poll_grow", kind::UINT),
                ("poll_shrink", kind::UINT),
            ],
        )?;
        for q in params {
            match (q.field.as_str(), &q.value) {
                ("poll_max_ns", TypedParamValue::ULLong(v)) => p.max_ns = *v,
                ("poll_grow", TypedParamValue::UInt(v)) => p.grow = *v,
                ("poll_shrink", TypedParamValue::UInt(v)) => p.shrink = *v,
                _ => {}
            }
        }
        Ok(())
    }

    async fn domain_get_scheduler_type(&self, _dom: &DomainRef) -> Result<(String, i32)> {
        Ok(("fair".into(), 1))
    }

    async fn domain_get_scheduler_parameters(
        &self,
        dom: &DomainRef,
        _nparams: i32,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        check_flags(FROM, "testDomainGetSchedulerParametersFlags", flags, 0)?;
        self.read_domain(dom, |_| Ok(()))?;
        Ok(vec![TypedParam::new("weight", TypedParamValue::UInt(50))])
    }

    async fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_flags(FROM, "testDomainSetSchedulerParametersFlags", flags, 0)?;
        validate(params, &[("weight", kind::UINT)])?;
        // libvirt's test driver accepts the weight and keeps nothing.
        self.read_domain(dom, |_| Ok(()))
    }

    async fn domain_get_perf_events(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        check_flags(FROM, "testDomainGetPerfEvents", flags, GET_FLAGS)?;
        let flags = flags & !TYPED_PARAM_STRING_OKAY;
        self.read_domain(dom, |st| Ok(st.one_def(flags)?.perf_params()))
    }

    async fn domain_set_perf_events(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let accepted = params::perf_accepted();
        let f = "testDomainSetPerfEvents";
        self.tune(dom, f, params, flags, &accepted, |def, _, _| {
            def.set_perf_events(params);
            Ok(())
        })
    }
}
