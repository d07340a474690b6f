//! The tuning calls of a domain handle: memory, block I/O, NUMA, interface bandwidth, disk
//! throttling, scheduler and perf events, with the checks libvirt's public API makes first.
//!
//! Each two-step getter comes twice: `get_*` asks how many parameters there are and then for
//! all of them, as virsh and the language bindings do; `get_*_counted` is the single step
//! (0 asks for the count), what the daemon passes on.

use super::Domain;
use crate::args;
use crate::connect::dispatch;
use rvirt_driver::TuningDriver;
use rvirt_types::typed_param::{CountedParams, TYPED_PARAM_STRING_OKAY};
use rvirt_types::{Error, ErrorDomain, Result, TypedParam};
use std::future::Future;

/// libvirt's `virTypedParameterValidateSet`: names must fit libvirt's field (79 bytes).
fn validate_set(params: &[TypedParam]) -> Result<()> {
    for p in params {
        if p.field.len() >= TypedParam::FIELD_LENGTH {
            return Err(Error::invalid_arg_raw(
                ErrorDomain::DOMAIN,
                "virTypedParameterValidateSet",
                "params",
                format!(
                    "string parameter name '{}' too long",
                    &p.field[..TypedParam::FIELD_LENGTH]
                ),
            ));
        }
    }
    Ok(())
}

/// The checks of a setter: a writable connection, at least one parameter, valid names.
fn check_set(d: &Domain, function: &str, params: &[TypedParam]) -> Result<()> {
    d.rw(function)?;
    args::positive(function, "nparams", params.len() as i64)?;
    validate_set(params)
}

/// The checks of a single getter step; gives the flags with string parameters allowed.
fn check_get(function: &str, nparams: i32, flags: u32, one_def: bool) -> Result<u32> {
    args::non_negative(function, "*nparams", i64::from(nparams))?;
    if one_def {
        args::live_or_config(function, flags)?;
    }
    Ok(flags | TYPED_PARAM_STRING_OKAY)
}

/// Both steps of a getter: the count, then that many parameters.
async fn both_steps<F, Fut>(step: F) -> Result<Vec<TypedParam>>
where
    F: Fn(i32) -> Fut,
    Fut: Future<Output = Result<CountedParams>>,
{
    let n = step(0).await?.nparams;
    if n <= 0 {
        return Ok(Vec::new());
    }
    Ok(step(n).await?.params)
}

impl Domain {
    /// `virDomainGetMemoryParameters`, one step (`nparams` 0 asks how many there are).
    pub async fn get_memory_parameters_counted(
        &self,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let flags = check_get("virDomainGetMemoryParameters", nparams, flags, true)?;
        dispatch!(self.conn, d => d.domain_get_memory_parameters(&self.r, nparams, flags))
    }

    /// `virDomainGetMemoryParameters`: the `<memtune>` limits in KiB.
    pub async fn get_memory_parameters(&self, flags: u32) -> Result<Vec<TypedParam>> {
        both_steps(|n| self.get_memory_parameters_counted(n, flags)).await
    }

    /// `virDomainSetMemoryParameters`.
    pub async fn set_memory_parameters(&self, params: &[TypedParam], flags: u32) -> Result<()> {
        check_set(self, "virDomainSetMemoryParameters", params)?;
        dispatch!(self.conn, d => d.domain_set_memory_parameters(&self.r, params, flags))
    }

    /// `virDomainGetBlkioParameters`, one step.
    pub async fn get_blkio_parameters_counted(
        &self,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let flags = check_get("virDomainGetBlkioParameters", nparams, flags, true)?;
        dispatch!(self.conn, d => d.domain_get_blkio_parameters(&self.r, nparams, flags))
    }

    /// `virDomainGetBlkioParameters`: the block I/O weight and per-device limits.
    pub async fn get_blkio_parameters(&self, flags: u32) -> Result<Vec<TypedParam>> {
        both_steps(|n| self.get_blkio_parameters_counted(n, flags)).await
    }

    /// `virDomainSetBlkioParameters`.
    pub async fn set_blkio_parameters(&self, params: &[TypedParam], flags: u32) -> Result<()> {
        check_set(self, "virDomainSetBlkioParameters", params)?;
        dispatch!(self.conn, d => d.domain_set_blkio_parameters(&self.r, params, flags))
    }

    /// `virDomainGetNumaParameters`, one step.
    pub async fn get_numa_parameters_counted(
        &self,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let flags = check_get("virDomainGetNumaParameters", nparams, flags, false)?;
        dispatch!(self.conn, d => d.domain_get_numa_parameters(&self.r, nparams, flags))
    }

    /// `virDomainGetNumaParameters`: the NUMA memory mode and node set.
    pub async fn get_numa_parameters(&self, flags: u32) -> Result<Vec<TypedParam>> {
        both_steps(|n| self.get_numa_parameters_counted(n, flags)).await
    }

    /// `virDomainSetNumaParameters`.
    pub async fn set_numa_parameters(&self, params: &[TypedParam], flags: u32) -> Result<()> {
        check_set(self, "virDomainSetNumaParameters", params)?;
        dispatch!(self.conn, d => d.domain_set_numa_parameters(&self.r, params, flags))
    }

    /// `virDomainGetInterfaceParameters`, one step.
    pub async fn get_interface_parameters_counted(
        &self,
        device: &str,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let flags = check_get("virDomainGetInterfaceParameters", nparams, flags, false)?;
        dispatch!(self.conn, d => d.domain_get_interface_parameters(&self.r, device, nparams, flags))
    }

    /// `virDomainGetInterfaceParameters`: the bandwidth of interface `device` (host-side name
    /// or MAC address).
    pub async fn get_interface_parameters(
        &self,
        device: &str,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        both_steps(|n| self.get_interface_parameters_counted(device, n, flags)).await
    }

    /// `virDomainSetInterfaceParameters`.
    pub async fn set_interface_parameters(
        &self,
        device: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_set(self, "virDomainSetInterfaceParameters", params)?;
        dispatch!(self.conn, d => d.domain_set_interface_parameters(&self.r, device, params, flags))
    }

    /// `virDomainGetBlockIoTune`, one step (`disk` may be absent only when counting).
    pub async fn get_block_io_tune_counted(
        &self,
        disk: Option<&str>,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let f = "virDomainGetBlockIoTune";
        let flags = check_get(f, nparams, flags, true)?;
        if nparams != 0 {
            args::presence(f, "disk", disk.is_some(), true)?;
        }
        dispatch!(self.conn, d => d.domain_get_block_io_tune(&self.r, disk, nparams, flags))
    }

    /// `virDomainGetBlockIoTune`: the throttling of `disk` (target or source path).
    pub async fn get_block_io_tune(&self, disk: &str, flags: u32) -> Result<Vec<TypedParam>> {
        both_steps(|n| self.get_block_io_tune_counted(Some(disk), n, flags)).await
    }

    /// `virDomainSetBlockIoTune`.
    pub async fn set_block_io_tune(
        &self,
        disk: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_set(self, "virDomainSetBlockIoTune", params)?;
        dispatch!(self.conn, d => d.domain_set_block_io_tune(&self.r, disk, params, flags))
    }

    /// `virDomainGetSchedulerType`: the scheduler's name and how many parameters it has.
    pub async fn get_scheduler_type(&self) -> Result<(String, i32)> {
        dispatch!(self.conn, d => d.domain_get_scheduler_type(&self.r))
    }

    /// `virDomainGetSchedulerParameters`: at most `nparams` (1 or more) scheduler parameters.
    pub async fn get_scheduler_parameters(&self, nparams: i32) -> Result<Vec<TypedParam>> {
        args::positive(
            "virDomainGetSchedulerParameters",
            "*nparams",
            i64::from(nparams),
        )?;
        dispatch!(self.conn, d => d.domain_get_scheduler_parameters(&self.r, nparams, 0))
    }

    /// `virDomainGetSchedulerParametersFlags`: as [`Domain::get_scheduler_parameters`], of
    /// the definition `flags` choose. It always asks for string parameters too, so drivers
    /// tell it from the plain call by a non-zero `flags`.
    pub async fn get_scheduler_parameters_flags(
        &self,
        nparams: i32,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        let f = "virDomainGetSchedulerParametersFlags";
        args::positive(f, "*nparams", i64::from(nparams))?;
        let flags = flags | TYPED_PARAM_STRING_OKAY;
        args::live_or_config(f, flags)?;
        dispatch!(self.conn, d => d.domain_get_scheduler_parameters(&self.r, nparams, flags))
    }

    /// `virDomainSetSchedulerParameters`.
    pub async fn set_scheduler_parameters(&self, params: &[TypedParam]) -> Result<()> {
        self.set_scheduler_parameters_flags(params, 0).await
    }

    /// `virDomainSetSchedulerParametersFlags`.
    pub async fn set_scheduler_parameters_flags(
        &self,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        self.rw("virDomainSetSchedulerParametersFlags")?;
        validate_set(params)?;
        dispatch!(self.conn, d => d.domain_set_scheduler_parameters(&self.r, params, flags))
    }

    /// `virDomainGetPerfEvents`: every perf event and whether it is enabled.
    pub async fn get_perf_events(&self, flags: u32) -> Result<Vec<TypedParam>> {
        dispatch!(self.conn, d => d.domain_get_perf_events(&self.r, flags))
    }

    /// `virDomainSetPerfEvents`.
    pub async fn set_perf_events(&self, params: &[TypedParam], flags: u32) -> Result<()> {
        check_set(self, "virDomainSetPerfEvents", params)?;
        dispatch!(self.conn, d => d.domain_set_perf_events(&self.r, params, flags))
    }

    /// `virDomainSetIOThreadParams`: polling and thread-pool parameters of I/O thread
    /// `iothread_id`.
    pub async fn set_iothread_params(
        &self,
        iothread_id: u32,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        check_set(self, "virDomainSetIOThreadParams", params)?;
        dispatch!(self.conn, d => d.domain_set_iothread_params(&self.r, iothread_id, params, flags))
    }
}
