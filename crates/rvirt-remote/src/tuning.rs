//! Tuning calls over the wire. The two-step getters pass both steps through as libvirt's
//! client does: asked for 0 parameters, the server's count comes back; otherwise at most as
//! many parameters as asked.

use crate::RemoteDriver;
use crate::wire::{nonnull_domain, opt_string, reply_params, string, wire_params};
use rvirt_driver::{DomainRef, TuningDriver};
use rvirt_proto::remote::calls;
use rvirt_proto::remote::types::*;
use rvirt_types::typed_param::CountedParams;
use rvirt_types::{Result, TypedParam};
use rvirt_xdr::RemoteTypedParam;

/// The answer to one getter step: the count when counting, else the parameters.
fn counted<const MAX: u32>(
    asked: i32,
    params: rvirt_xdr::BoundedVec<RemoteTypedParam, MAX>,
    nparams: i32,
) -> Result<CountedParams> {
    if asked == 0 {
        return Ok(CountedParams {
            params: Vec::new(),
            nparams,
        });
    }
    let params = reply_params(params, asked)?;
    Ok(CountedParams {
        nparams: params.len() as i32,
        params,
    })
}

impl TuningDriver for RemoteDriver {
    async fn domain_get_memory_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let args = DomainGetMemoryParametersArgs {
            dom: nonnull_domain(dom),
            nparams,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetMemoryParameters>(&args)
            .await?;
        counted(nparams, r.params, r.nparams)
    }

    async fn domain_set_memory_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetMemoryParametersArgs {
            dom: nonnull_domain(dom),
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::DomainSetMemoryParameters>(&args)
            .await
    }

    async fn domain_get_blkio_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let args = DomainGetBlkioParametersArgs {
            dom: nonnull_domain(dom),
            nparams,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetBlkioParameters>(&args)
            .await?;
        counted(nparams, r.params, r.nparams)
    }

    async fn domain_set_blkio_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetBlkioParametersArgs {
            dom: nonnull_domain(dom),
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::DomainSetBlkioParameters>(&args)
            .await
    }

    async fn domain_get_numa_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let args = DomainGetNumaParametersArgs {
            dom: nonnull_domain(dom),
            nparams,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetNumaParameters>(&args)
            .await?;
        counted(nparams, r.params, r.nparams)
    }

    async fn domain_set_numa_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetNumaParametersArgs {
            dom: nonnull_domain(dom),
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::DomainSetNumaParameters>(&args)
            .await
    }

    async fn domain_get_interface_parameters(
        &self,
        dom: &DomainRef,
        device: &str,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let args = DomainGetInterfaceParametersArgs {
            dom: nonnull_domain(dom),
            device: string(device)?,
            nparams,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetInterfaceParameters>(&args)
            .await?;
        counted(nparams, r.params, r.nparams)
    }

    async fn domain_set_interface_parameters(
        &self,
        dom: &DomainRef,
        device: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetInterfaceParametersArgs {
            dom: nonnull_domain(dom),
            device: string(device)?,
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::DomainSetInterfaceParameters>(&args)
            .await
    }

    async fn domain_get_block_io_tune(
        &self,
        dom: &DomainRef,
        disk: Option<&str>,
        nparams: i32,
        flags: u32,
    ) -> Result<CountedParams> {
        let args = DomainGetBlockIoTuneArgs {
            dom: nonnull_domain(dom),
            disk: opt_string(disk)?,
            nparams,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetBlockIoTune>(&args)
            .await?;
        counted(nparams, r.params, r.nparams)
    }

    async fn domain_set_block_io_tune(
        &self,
        dom: &DomainRef,
        disk: &str,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetBlockIoTuneArgs {
            dom: nonnull_domain(dom),
            disk: string(disk)?,
            params: wire_params(params)?,
            flags,
        };
        self.client.call::<calls::DomainSetBlockIoTune>(&args).await
    }

    async fn domain_get_scheduler_type(&self, dom: &DomainRef) -> Result<(String, i32)> {
        let args = DomainGetSchedulerTypeArgs {
            dom: nonnull_domain(dom),
        };
        let r = self
            .client
            .call::<calls::DomainGetSchedulerType>(&args)
            .await?;
        Ok((r.r#type.into_inner(), r.nparams))
    }

    async fn domain_get_scheduler_parameters(
        &self,
        dom: &DomainRef,
        nparams: i32,
        flags: u32,
    ) -> Result<Vec<TypedParam>> {
        // The plain call has no flags; the flags call always has some (string parameters).
        if flags == 0 {
            let args = DomainGetSchedulerParametersArgs {
                dom: nonnull_domain(dom),
                nparams,
            };
            let r = self
                .client
                .call::<calls::DomainGetSchedulerParameters>(&args)
                .await?;
            return reply_params(r.params, nparams);
        }
        let args = DomainGetSchedulerParametersFlagsArgs {
            dom: nonnull_domain(dom),
            nparams,
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetSchedulerParametersFlags>(&args)
            .await?;
        reply_params(r.params, nparams)
    }

    async fn domain_set_scheduler_parameters(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        if flags == 0 {
            let args = DomainSetSchedulerParametersArgs {
                dom: nonnull_domain(dom),
                params: wire_params(params)?,
            };
            return self
                .client
                .call::<calls::DomainSetSchedulerParameters>(&args)
                .await;
        }
        let args = DomainSetSchedulerParametersFlagsArgs {
            dom: nonnull_domain(dom),
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::DomainSetSchedulerParametersFlags>(&args)
            .await
    }

    async fn domain_get_perf_events(&self, dom: &DomainRef, flags: u32) -> Result<Vec<TypedParam>> {
        let args = DomainGetPerfEventsArgs {
            dom: nonnull_domain(dom),
            flags,
        };
        let r = self
            .client
            .call::<calls::DomainGetPerfEvents>(&args)
            .await?;
        reply_params(r.params, i32::MAX)
    }

    async fn domain_set_perf_events(
        &self,
        dom: &DomainRef,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetPerfEventsArgs {
            dom: nonnull_domain(dom),
            params: wire_params(params)?,
            flags,
        };
        self.client.call::<calls::DomainSetPerfEvents>(&args).await
    }

    async fn domain_set_iothread_params(
        &self,
        dom: &DomainRef,
        iothread_id: u32,
        params: &[TypedParam],
        flags: u32,
    ) -> Result<()> {
        let args = DomainSetIothreadParamsArgs {
            dom: nonnull_domain(dom),
            iothread_id,
            params: wire_params(params)?,
            flags,
        };
        self.client
            .call::<calls::DomainSetIothreadParams>(&args)
            .await
    }
}
