//! `virConnectGetAllDomainStats` of the test hypervisor: the `state` group (and `iothread`, which
//! no test domain has), with libvirt's filters and `ENFORCE_STATS` rule.

use crate::{FROM, TestDriver, err};
use rvirt_driver::{DomainRef, check_flags};
use rvirt_types::domain::{
    ConnectGetAllDomainStatsFlags as F, ConnectListAllDomainsFlags as L, DomainStatsTypes,
};
use rvirt_types::{ErrorNumber, Result, TypedParam, TypedParamValue};

pub(crate) fn all_domain_stats(
    drv: &TestDriver,
    doms: Option<&[DomainRef]>,
    stats: DomainStatsTypes,
    flags: F,
) -> Result<Vec<(DomainRef, Vec<TypedParam>)>> {
    let filters = F::ACTIVE
        | F::INACTIVE
        | F::PERSISTENT
        | F::TRANSIENT
        | F::RUNNING
        | F::PAUSED
        | F::SHUTOFF
        | F::OTHER;
    let supported_flags = filters | F::NOWAIT | F::BACKING | F::ENFORCE_STATS;
    check_flags(
        FROM,
        "testConnectGetAllDomainStats",
        flags.bits(),
        supported_flags.bits(),
    )?;
    let supported = DomainStatsTypes::STATE | DomainStatsTypes::IOTHREAD;
    let stats = if stats.is_empty() {
        supported
    } else {
        if flags.contains(F::ENFORCE_STATS) && !(stats - supported).is_empty() {
            return Err(err(
                ErrorNumber::ARGUMENT_UNSUPPORTED,
                format!(
                    "Stats types bits 0x{:x} are not supported by this daemon",
                    (stats - supported).bits()
                ),
            ));
        }
        stats
    };
    // The list filters share their bit values with virConnectListAllDomains'.
    let lflags = L::from_bits_retain((flags & filters).bits());
    let record = |r: DomainRef, state: i32, reason: i32| {
        let mut params = Vec::new();
        if stats.contains(DomainStatsTypes::STATE) {
            params.push(TypedParam::new("state.state", TypedParamValue::Int(state)));
            params.push(TypedParam::new(
                "state.reason",
                TypedParamValue::Int(reason),
            ));
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
