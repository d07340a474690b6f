//! Tuning procedures: memory, block I/O, NUMA, interface and disk throttling parameters, the
//! scheduler, perf events and I/O-thread parameters. The two-step getters answer as
//! libvirtd does: a request for 0 parameters gets the count alone, any other at most as many
//! parameters as asked, string ones only to a client that says it takes them.

use super::internal;
use super::wire::dom as domain_of;
use crate::session::Session;
use rvirt::{Domain, Result, TypedParam};
use rvirt_proto::convert::{bounded, typed_param_from_wire, typed_param_to_wire};
use rvirt_proto::remote::types::*;
use rvirt_types::TypedParamValue;
use rvirt_types::typed_param::{CountedParams, TYPED_PARAM_STRING_OKAY};
use rvirt_xdr::{BoundedVec, RemoteTypedParam};
use std::sync::Arc;

fn dom(s: &Session, d: &NonnullDomain) -> Result<Domain> {
    Ok(domain_of(&s.conn()?, d))
}

/// libvirtd's checks of a requested count against the procedure's limit `max`.
fn check_nparams(nparams: i32, max: u32) -> Result<()> {
    if nparams < 0 {
        return Err(internal("nparams must be non-negative"));
    }
    if nparams as u32 > max {
        return Err(internal("nparams too large"));
    }
    Ok(())
}

/// Parameters for the reply: string ones only when `flags` allow them.
fn reply<const MAX: u32>(params: &[TypedParam], flags: u32) -> BoundedVec<RemoteTypedParam, MAX> {
    let strings = flags & TYPED_PARAM_STRING_OKAY != 0;
    bounded(
        params
            .iter()
            .filter(|p| strings || !matches!(p.value, TypedParamValue::String(_)))
            .map(typed_param_to_wire),
    )
}

/// The reply parts of a two-step getter: the count alone when counting.
fn step<const MAX: u32>(
    asked: i32,
    c: CountedParams,
    flags: u32,
) -> (BoundedVec<RemoteTypedParam, MAX>, i32) {
    if asked == 0 {
        return (BoundedVec::default(), c.nparams);
    }
    let params = reply(&c.params, flags);
    let n = params.len() as i32;
    (params, n)
}

fn params<const MAX: u32>(p: BoundedVec<RemoteTypedParam, MAX>) -> Vec<TypedParam> {
    p.into_iter().map(typed_param_from_wire).collect()
}

pub async fn get_memory_parameters(
    s: Arc<Session>,
    a: DomainGetMemoryParametersArgs,
) -> Result<DomainGetMemoryParametersRet> {
    check_nparams(a.nparams, 16)?;
    let c = dom(&s, &a.dom)?
        .get_memory_parameters_counted(a.nparams, a.flags)
        .await?;
    let (params, nparams) = step(a.nparams, c, a.flags);
    Ok(DomainGetMemoryParametersRet { params, nparams })
}

pub async fn set_memory_parameters(
    s: Arc<Session>,
    a: DomainSetMemoryParametersArgs,
) -> Result<()> {
    dom(&s, &a.dom)?
        .set_memory_parameters(&params(a.params), a.flags)
        .await
}

pub async fn get_blkio_parameters(
    s: Arc<Session>,
    a: DomainGetBlkioParametersArgs,
) -> Result<DomainGetBlkioParametersRet> {
    check_nparams(a.nparams, 16)?;
    let c = dom(&s, &a.dom)?
        .get_blkio_parameters_counted(a.nparams, a.flags)
        .await?;
    let (params, nparams) = step(a.nparams, c, a.flags);
    Ok(DomainGetBlkioParametersRet { params, nparams })
}

pub async fn set_blkio_parameters(s: Arc<Session>, a: DomainSetBlkioParametersArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .set_blkio_parameters(&params(a.params), a.flags)
        .await
}

pub async fn get_numa_parameters(
    s: Arc<Session>,
    a: DomainGetNumaParametersArgs,
) -> Result<DomainGetNumaParametersRet> {
    check_nparams(a.nparams, 16)?;
    let c = dom(&s, &a.dom)?
        .get_numa_parameters_counted(a.nparams, a.flags)
        .await?;
    let (params, nparams) = step(a.nparams, c, a.flags);
    Ok(DomainGetNumaParametersRet { params, nparams })
}

pub async fn set_numa_parameters(s: Arc<Session>, a: DomainSetNumaParametersArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .set_numa_parameters(&params(a.params), a.flags)
        .await
}

pub async fn get_interface_parameters(
    s: Arc<Session>,
    a: DomainGetInterfaceParametersArgs,
) -> Result<DomainGetInterfaceParametersRet> {
    check_nparams(a.nparams, 16)?;
    let c = dom(&s, &a.dom)?
        .get_interface_parameters_counted(a.device.as_str(), a.nparams, a.flags)
        .await?;
    let (params, nparams) = step(a.nparams, c, a.flags);
    Ok(DomainGetInterfaceParametersRet { params, nparams })
}

pub async fn set_interface_parameters(
    s: Arc<Session>,
    a: DomainSetInterfaceParametersArgs,
) -> Result<()> {
    dom(&s, &a.dom)?
        .set_interface_parameters(a.device.as_str(), &params(a.params), a.flags)
        .await
}

pub async fn get_block_io_tune(
    s: Arc<Session>,
    a: DomainGetBlockIoTuneArgs,
) -> Result<DomainGetBlockIoTuneRet> {
    check_nparams(a.nparams, 32)?;
    let disk = a.disk.as_ref().map(|d| d.as_str());
    let c = dom(&s, &a.dom)?
        .get_block_io_tune_counted(disk, a.nparams, a.flags)
        .await?;
    let (params, nparams) = step(a.nparams, c, a.flags);
    Ok(DomainGetBlockIoTuneRet { params, nparams })
}

pub async fn set_block_io_tune(s: Arc<Session>, a: DomainSetBlockIoTuneArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .set_block_io_tune(a.disk.as_str(), &params(a.params), a.flags)
        .await
}

pub async fn get_scheduler_type(
    s: Arc<Session>,
    a: DomainGetSchedulerTypeArgs,
) -> Result<DomainGetSchedulerTypeRet> {
    let (name, nparams) = dom(&s, &a.dom)?.get_scheduler_type().await?;
    Ok(DomainGetSchedulerTypeRet {
        r#type: rvirt_proto::convert::nonnull(&name),
        nparams,
    })
}

pub async fn get_scheduler_parameters(
    s: Arc<Session>,
    a: DomainGetSchedulerParametersArgs,
) -> Result<DomainGetSchedulerParametersRet> {
    check_nparams(a.nparams, 16)?;
    let p = dom(&s, &a.dom)?.get_scheduler_parameters(a.nparams).await?;
    Ok(DomainGetSchedulerParametersRet {
        params: reply(&p, 0),
    })
}

pub async fn get_scheduler_parameters_flags(
    s: Arc<Session>,
    a: DomainGetSchedulerParametersFlagsArgs,
) -> Result<DomainGetSchedulerParametersFlagsRet> {
    check_nparams(a.nparams, 16)?;
    let p = dom(&s, &a.dom)?
        .get_scheduler_parameters_flags(a.nparams, a.flags)
        .await?;
    Ok(DomainGetSchedulerParametersFlagsRet {
        params: reply(&p, a.flags),
    })
}

pub async fn set_scheduler_parameters(
    s: Arc<Session>,
    a: DomainSetSchedulerParametersArgs,
) -> Result<()> {
    dom(&s, &a.dom)?
        .set_scheduler_parameters(&params(a.params))
        .await
}

pub async fn set_scheduler_parameters_flags(
    s: Arc<Session>,
    a: DomainSetSchedulerParametersFlagsArgs,
) -> Result<()> {
    dom(&s, &a.dom)?
        .set_scheduler_parameters_flags(&params(a.params), a.flags)
        .await
}

pub async fn get_perf_events(
    s: Arc<Session>,
    a: DomainGetPerfEventsArgs,
) -> Result<DomainGetPerfEventsRet> {
    let p = dom(&s, &a.dom)?.get_perf_events(a.flags).await?;
    Ok(DomainGetPerfEventsRet {
        params: reply(&p, TYPED_PARAM_STRING_OKAY),
    })
}

pub async fn set_perf_events(s: Arc<Session>, a: DomainSetPerfEventsArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .set_perf_events(&params(a.params), a.flags)
        .await
}

pub async fn set_iothread_params(s: Arc<Session>, a: DomainSetIothreadParamsArgs) -> Result<()> {
    dom(&s, &a.dom)?
        .set_iothread_params(a.iothread_id, &params(a.params), a.flags)
        .await
}
