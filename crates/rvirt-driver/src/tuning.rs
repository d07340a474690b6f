//! Resource tuning calls ([`TuningDriver`]): memory, block I/O, NUMA, interface bandwidth, disk
//! throttling, scheduler, perf events and I/O-thread parameters, each read and written as typed
//! parameters. Every call answers `VIR_ERR_NO_SUPPORT` by default.
//!
//! The getters keep libvirt's two-step form: asked for 0 parameters they say how many there
//! are, then they give at most as many as asked ([`CountedParams`]), so the remote protocol
//! and the daemon pass both steps through unchanged.

use crate::{DomainRef, unsupported};
use rvirt_types::typed_param::CountedParams;
use rvirt_types::{Result, TypedParam};

/// Tuning calls (`virDomain{Get,Set}*Parameters`, block I/O tune, scheduler, perf events).
pub trait TuningDriver {
    /// `virDomainGetMemoryParameters`: `<memtune>` limits in KiB.
    async fn domain_get_memory_parameters(
        &self,
        _dom: &DomainRef,
        _nparams: i32,
        _flags: u32,
    ) -> Result<CountedParams> {
        unsupported("virDomainGetMemoryParameters")
    }
    /// `virDomainSetMemoryParameters`.
    async fn domain_set_memory_parameters(
        &self,
        _dom: &DomainRef,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetMemoryParameters")
    }
    /// `virDomainGetBlkioParameters`: `<blkiotune>` weight and per-device limits.
    async fn domain_get_blkio_parameters(
        &self,
        _dom: &DomainRef,
        _nparams: i32,
        _flags: u32,
    ) -> Result<CountedParams> {
        unsupported("virDomainGetBlkioParameters")
    }
    /// `virDomainSetBlkioParameters`.
    async fn domain_set_blkio_parameters(
        &self,
        _dom: &DomainRef,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetBlkioParameters")
    }
    /// `virDomainGetNumaParameters`: `<numatune>` memory mode and node set.
    async fn domain_get_numa_parameters(
        &self,
        _dom: &DomainRef,
        _nparams: i32,
        _flags: u32,
    ) -> Result<CountedParams> {
        unsupported("virDomainGetNumaParameters")
    }
    /// `virDomainSetNumaParameters`.
    async fn domain_set_numa_parameters(
        &self,
        _dom: &DomainRef,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetNumaParameters")
    }
    /// `virDomainGetInterfaceParameters`: the `<bandwidth>` of interface `device` (target
    /// name or MAC address).
    async fn domain_get_interface_parameters(
        &self,
        _dom: &DomainRef,
        _device: &str,
        _nparams: i32,
        _flags: u32,
    ) -> Result<CountedParams> {
        unsupported("virDomainGetInterfaceParameters")
    }
    /// `virDomainSetInterfaceParameters`.
    async fn domain_set_interface_parameters(
        &self,
        _dom: &DomainRef,
        _device: &str,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetInterfaceParameters")
    }
    /// `virDomainGetBlockIoTune`: the `<iotune>` throttling of `disk` (target or source path).
    async fn domain_get_block_io_tune(
        &self,
        _dom: &DomainRef,
        _disk: Option<&str>,
        _nparams: i32,
        _flags: u32,
    ) -> Result<CountedParams> {
        unsupported("virDomainGetBlockIoTune")
    }
    /// `virDomainSetBlockIoTune`.
    async fn domain_set_block_io_tune(
        &self,
        _dom: &DomainRef,
        _disk: &str,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetBlockIoTune")
    }
    /// `virDomainGetSchedulerType`: the scheduler's name and how many parameters it has.
    async fn domain_get_scheduler_type(&self, _dom: &DomainRef) -> Result<(String, i32)> {
        unsupported("virDomainGetSchedulerType")
    }
    /// `virDomainGetSchedulerParametersFlags` (the plain call passes 0): at most `nparams`
    /// (at least 1) scheduler parameters.
    async fn domain_get_scheduler_parameters(
        &self,
        _dom: &DomainRef,
        _nparams: i32,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        unsupported("virDomainGetSchedulerParameters")
    }
    /// `virDomainSetSchedulerParametersFlags` (the plain call passes 0).
    async fn domain_set_scheduler_parameters(
        &self,
        _dom: &DomainRef,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetSchedulerParameters")
    }
    /// `virDomainGetPerfEvents`: every perf event and whether it is enabled.
    async fn domain_get_perf_events(
        &self,
        _dom: &DomainRef,
        _flags: u32,
    ) -> Result<Vec<TypedParam>> {
        unsupported("virDomainGetPerfEvents")
    }
    /// `virDomainSetPerfEvents`.
    async fn domain_set_perf_events(
        &self,
        _dom: &DomainRef,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetPerfEvents")
    }
    /// `virDomainSetIOThreadParams`: the polling and thread-pool parameters of I/O thread
    /// `iothread_id`.
    async fn domain_set_iothread_params(
        &self,
        _dom: &DomainRef,
        _iothread_id: u32,
        _params: &[TypedParam],
        _flags: u32,
    ) -> Result<()> {
        unsupported("virDomainSetIOThreadParams")
    }
}
