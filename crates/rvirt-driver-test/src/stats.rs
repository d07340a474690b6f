//! `virConnectGetAllDomainStats` of the test hypervisor: the `state` group and the `iothread`
//! polling parameters of threads added through the API, with libvirt's filters and
//! `ENFORCE_STATS` rule.

use crate::{FROM, TestDriver};
use rvirt_driver::DomainRef;
use rvirt_driver::stats::all_domain_stats_request;
use rvirt_types::domain::{ConnectGetAllDomainStatsFlags as F, DomainStatsTypes};
use rvirt_types::{Result, TypedParam, TypedParamValue};

pub(crate) fn all_domain_stats(
    drv: &TestDriver,
    doms: Option<&[DomainRef]>,
    stats: DomainStatsTypes,
    flags: F,
) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
    let (stats, lflags) = all_domain_stats_request(
        FROM,
        "testConnectGetAllDomainStats",
        flags,
        stats,
        DomainStatsTypes::STATE | DomainStatsTypes::IOTHREAD,
        "this daemon",
    )?;
    let polls = drv.iothread_polls.lock().clone();
    let record = |r: DomainRef, state: i32, reason: i32| {
        let mut params = Vec::new();
        if stats.contains(DomainStatsTypes::STATE) {
            params.push(TypedParam::new("state.state", TypedParamValue::Int(state)));
            params.push(TypedParam::new(
                "state.reason",
                TypedParamValue::Int(reason),
            ));
        }
        // Only a running domain's threads poll.
        if stats.contains(DomainStatsTypes::IOTHREAD) && r.id != -1 {
            let mine = polls.get(&r.uuid).map(Vec::as_slice).unwrap_or_default();
            params.extend(crate::tuning::IoThreadPoll::stats(mine));
        }
        (r, params)
    };
    let mut out = Vec::new();
    match doms {
        Some(list) => {
            for d in list {
                let obj = crate::domain::obj_from_ref(drv, d)?;
                let st = obj.lock();
                if st.matches(lflags) {
                    out.push(record(st.to_ref(obj.uuid), st.state.0, st.reason));
                }
            }
        }
        None => drv.domains.for_each(|obj, st| {
            if st.matches(lflags) {
                out.push(record(st.to_ref(obj.uuid), st.state.0, st.reason));
            }
        }),
    }
    Ok(out)
}
