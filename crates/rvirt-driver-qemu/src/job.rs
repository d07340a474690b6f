//! A domain's background job as clients see it (`virDomainGetJobInfo`, `virDomainGetJobStats`,
//! `virDomainAbortJob`). The one job rvirt runs in the background is a save: QEMU migrates the
//! guest's state into the image, and `query-migrate` tells how far it got. Asking never waits
//! for the save (no job lock is held across monitor I/O), and aborting cancels the migration,
//! which fails the save as a client cancel; the guest then runs again.

use crate::{FROM, QemuDriver};
use rvirt_driver::DomainRef;
use rvirt_qmp::MigrationInfo;
use rvirt_types::domain::*;
use rvirt_types::records::DomainJobInfo;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result, TypedParam, TypedParamValue};
use std::time::Instant;

/// The save under way on a domain.
#[derive(Debug)]
pub(crate) struct SaveJob {
    /// When the save began.
    pub(crate) started: Instant,
    /// QEMU was told to migrate: `query-migrate` describes this save.
    pub(crate) migrating: bool,
    /// A client asked to abort it.
    pub(crate) aborted: bool,
}

impl SaveJob {
    /// A save starting now.
    pub(crate) fn new() -> SaveJob {
        SaveJob {
            started: Instant::now(),
            migrating: false,
            aborted: false,
        }
    }
}

/// The error of a job a client aborted, as libvirt words it.
pub(crate) fn aborted(job: &str) -> Error {
    Error::with_detail(
        FROM,
        ErrorNumber::OPERATION_ABORTED,
        format!("job '{job}' canceled by client"),
    )
}

/// One reading of a job: its state, what it does, how long it has run and QEMU's migration
/// statistics (none before QEMU starts migrating).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JobData {
    pub(crate) job_type: DomainJobType,
    pub(crate) operation: DomainJobOperation,
    pub(crate) elapsed_ms: u64,
    pub(crate) mig: Option<MigrationInfo>,
}

impl JobData {
    /// RAM total, transferred and remaining, zero where QEMU has told nothing yet.
    fn ram(&self) -> (u64, u64, u64) {
        match self.mig.as_ref().and_then(|m| m.ram.as_ref()) {
            Some(r) => (r.total, r.transferred, r.remaining),
            None => (0, 0, 0),
        }
    }

    /// `virDomainJobInfo`: a save moves memory only, so data and memory figures agree.
    pub(crate) fn to_info(&self) -> DomainJobInfo {
        let (total, processed, remaining) = self.ram();
        DomainJobInfo {
            job_type: self.job_type.0,
            time_elapsed: self.elapsed_ms,
            data_total: total,
            data_processed: processed,
            data_remaining: remaining,
            mem_total: total,
            mem_processed: processed,
            mem_remaining: remaining,
            ..DomainJobInfo::default()
        }
    }

    /// The typed parameters libvirt gives for a save (its statistics of a migration to a
    /// file), in libvirt's order; those QEMU did not report are left out as libvirt does.
    pub(crate) fn to_params(&self) -> Vec<TypedParam> {
        let ull = |name: &str, v: u64| TypedParam::new(name, TypedParamValue::ULLong(v));
        let mut out = vec![
            TypedParam::new("operation", TypedParamValue::Int(self.operation.0)),
            ull("time_elapsed", self.elapsed_ms),
        ];
        if let Some(setup) = self.mig.as_ref().and_then(|m| m.setup_time) {
            out.push(ull("setup_time", setup));
        }
        let (total, processed, remaining) = self.ram();
        out.extend([
            ull("data_total", total),
            ull("data_processed", processed),
            ull("data_remaining", remaining),
            ull("memory_total", total),
            ull("memory_processed", processed),
            ull("memory_remaining", remaining),
        ]);
        let ram = self.mig.as_ref().and_then(|m| m.ram.clone());
        let r = ram.clone().unwrap_or_default();
        // QEMU's megabits per second, in bytes per second as libvirt converts them.
        let bps = (r.mbps * 125_000.0) as u64;
        if bps != 0 {
            out.push(ull("memory_bps", bps));
        }
        if ram.is_some() {
            out.extend([
                ull("memory_constant", r.duplicate),
                ull("memory_normal", r.normal),
                ull("memory_normal_bytes", r.normal_bytes),
            ]);
        }
        out.extend([
            ull("memory_dirty_rate", r.dirty_pages_rate),
            ull("memory_iteration", r.dirty_sync_count),
            ull("memory_postcopy_requests", r.postcopy_requests),
        ]);
        if r.page_size > 0 {
            out.push(ull("memory_page_size", r.page_size));
        }
        out
    }
}

impl QemuDriver {
    /// The job running on `dom` now, if any; the domain must be running.
    async fn current_job(&self, dom: &DomainRef) -> Result<Option<JobData>> {
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "domain is not running",
            ));
        }
        let p = self.proc_of(&obj.uuid)?;
        let Some((started, migrating)) =
            p.save_job.lock().as_ref().map(|j| (j.started, j.migrating))
        else {
            return Ok(None);
        };
        let mig = if migrating {
            match self
                .qmp(&p, |m| async move { m.query_migrate().await })
                .await
            {
                Ok(info) => Some(info),
                // The save ended (QEMU stopped) while we asked: no job any more.
                Err(_) if p.save_job.lock().is_none() => return Ok(None),
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(Some(JobData {
            job_type: DomainJobType::UNBOUNDED,
            operation: DomainJobOperation::SAVE,
            elapsed_ms: started.elapsed().as_millis() as u64,
            mig,
        }))
    }

    /// `virDomainGetJobInfo`: the save under way, or type `VIR_DOMAIN_JOB_NONE`.
    pub(crate) async fn job_info(&self, dom: &DomainRef) -> Result<DomainJobInfo> {
        Ok(self
            .current_job(dom)
            .await?
            .map(|j| j.to_info())
            .unwrap_or_default())
    }

    /// `virDomainGetJobStats`: the save under way, or with `COMPLETED` the last save that
    /// completed (forgotten after this call unless `KEEP_COMPLETED`); type
    /// `VIR_DOMAIN_JOB_NONE` and no parameters when there is none.
    pub(crate) async fn job_stats(
        &self,
        dom: &DomainRef,
        flags: u32,
    ) -> Result<(i32, Vec<TypedParam>)> {
        rvirt_driver::check_flags(
            FROM,
            "qemuDomainGetJobStats",
            flags,
            (DomainGetJobStatsFlags::COMPLETED | DomainGetJobStatsFlags::KEEP_COMPLETED).bits(),
        )?;
        let job = if flags & DomainGetJobStatsFlags::COMPLETED.bits() != 0 {
            let obj = self.obj(dom)?;
            let busy = self
                .procs
                .lock()
                .get(&obj.uuid)
                .is_some_and(|p| p.save_job.lock().is_some());
            let mut done = self.completed_jobs.lock();
            let job = if busy {
                None
            } else {
                done.get(&obj.uuid).cloned()
            };
            if job.is_some() && flags & DomainGetJobStatsFlags::KEEP_COMPLETED.bits() == 0 {
                done.remove(&obj.uuid);
            }
            job
        } else {
            self.current_job(dom).await?
        };
        Ok(match job {
            Some(j) => (j.job_type.0, j.to_params()),
            None => (DomainJobType::NONE.0, Vec::new()),
        })
    }

    /// `virDomainAbortJobFlags`: cancels the save under way (QEMU's `migrate_cancel` once it
    /// migrates; before that, the save stops at its next step). `POSTCOPY` asks to pause a
    /// migration in post-copy, and there is never one.
    pub(crate) async fn abort_job(&self, dom: &DomainRef, flags: u32) -> Result<()> {
        rvirt_driver::check_flags(
            FROM,
            "qemuDomainAbortJobFlags",
            flags,
            DomainAbortJobFlags::POSTCOPY.bits(),
        )?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "domain is not running",
            ));
        }
        let p = self.proc_of(&obj.uuid)?;
        if flags & DomainAbortJobFlags::POSTCOPY.bits() != 0 {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "current job is not outgoing migration in post-copy mode",
            ));
        }
        let migrating = match p.save_job.lock().as_mut() {
            Some(j) => {
                j.aborted = true;
                j.migrating
            }
            None => {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "no job is active on the domain",
                ));
            }
        };
        if migrating {
            self.qmp(&p, |m| async move { m.migrate_cancel().await })
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What QEMU 7.2 answered to `query-migrate` in the middle of a save to a file.
    const ACTIVE: &str = r#"{"expected-downtime": 300, "status": "active", "setup-time": 2,
        "total-time": 1045, "ram": {"total": 134750208, "postcopy-requests": 0,
        "dirty-sync-count": 1, "multifd-bytes": 0, "pages-per-second": 17280,
        "downtime-bytes": 0, "page-size": 4096, "remaining": 62722048,
        "postcopy-bytes": 0, "mbps": 564.6, "transferred": 72097291,
        "dirty-sync-missed-zero-copy": 0, "precopy-bytes": 72097291,
        "duplicate": 1001, "dirty-pages-rate": 0, "skipped": 0,
        "normal-bytes": 71806976, "normal": 17531}}"#;

    fn active() -> JobData {
        JobData {
            job_type: DomainJobType::UNBOUNDED,
            operation: DomainJobOperation::SAVE,
            elapsed_ms: 1050,
            mig: Some(serde_json::from_str(ACTIVE).unwrap()),
        }
    }

    #[test]
    fn job_info_takes_memory_figures_from_query_migrate() {
        let i = active().to_info();
        assert_eq!(i.job_type, DomainJobType::UNBOUNDED.0);
        assert_eq!(i.time_elapsed, 1050);
        assert_eq!(
            (i.data_total, i.data_processed, i.data_remaining),
            (134750208, 72097291, 62722048)
        );
        assert_eq!(
            (i.mem_total, i.mem_processed, i.mem_remaining),
            (134750208, 72097291, 62722048)
        );
        assert_eq!((i.file_total, i.time_remaining), (0, 0));
    }

    #[test]
    fn job_stats_are_libvirts_save_parameters_in_its_order() {
        let names: Vec<String> = active()
            .to_params()
            .into_iter()
            .map(|p| p.field.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "operation",
                "time_elapsed",
                "setup_time",
                "data_total",
                "data_processed",
                "data_remaining",
                "memory_total",
                "memory_processed",
                "memory_remaining",
                "memory_bps",
                "memory_constant",
                "memory_normal",
                "memory_normal_bytes",
                "memory_dirty_rate",
                "memory_iteration",
                "memory_postcopy_requests",
                "memory_page_size",
            ]
        );
        let p = active().to_params();
        assert_eq!(p[0].value, TypedParamValue::Int(2));
        assert_eq!(p[9].value, TypedParamValue::ULLong(70_575_000));
        assert_eq!(p[11].value, TypedParamValue::ULLong(17531));
    }

    #[test]
    fn a_save_not_yet_migrating_reports_zeros_and_no_qemu_only_figures() {
        let j = JobData {
            mig: None,
            ..active()
        };
        let names: Vec<String> = j
            .to_params()
            .into_iter()
            .map(|p| p.field.to_string())
            .collect();
        assert_eq!(names.len(), 11);
        assert!(
            !names
                .iter()
                .any(|n| n == "memory_constant" || n == "setup_time")
        );
        assert_eq!(j.to_info().data_total, 0);
    }
}
