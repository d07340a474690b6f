//! Save and restore of running domains, as libvirt's QEMU driver does them: the guest is
//! paused, QEMU migrates its state straight into the image file (`migrate` to an fd passed with
//! `getfd`), the image is fsynced and marked complete, and QEMU stops (shut off, reason
//! `saved`). Restore starts QEMU with `-incoming defer` and feeds it the same file
//! (`migrate-incoming`), through libvirt's decompressor when libvirt compressed the image.
//! Managed save keeps the image at `lib/qemu/save/NAME.save`, where a
//! later start picks it up.

use crate::job::{JobData, SaveJob, aborted};
use crate::process::{Incoming, on_rt, wait_migration};
use crate::save_image::{self, Opened};
use crate::{FROM, QemuDriver, util};
use rvirt_conf::DomainDef;
use rvirt_driver::{DomainEvent, DomainObj};
use rvirt_types::domain::*;
use rvirt_types::{Error, ErrorDomain, ErrorNumber, Result};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn abi(detail: String) -> Error {
    Error::with_detail(FROM, ErrorNumber::CONFIG_UNSUPPORTED, detail)
}

/// The part of libvirt's ABI stability check that a replacement XML for a save image must
/// pass: what the guest sees (identity, machine, memory, CPUs, device counts) stays as saved.
pub(crate) fn check_abi(src: &DomainDef, dst: &DomainDef) -> Result<()> {
    if src.virt_type != dst.virt_type {
        return Err(abi(format!(
            "Target domain virt type {} does not match source {}",
            dst.virt_type, src.virt_type
        )));
    }
    if src.uuid != dst.uuid {
        return Err(abi(format!(
            "Target domain uuid {} does not match source {}",
            dst.uuid, src.uuid
        )));
    }
    if src.name != dst.name {
        return Err(abi(format!(
            "Target domain name '{}' does not match source '{}'",
            dst.name, src.name
        )));
    }
    if src.os.os_type != dst.os.os_type {
        return Err(abi(format!(
            "Target domain OS type {} does not match source {}",
            dst.os.os_type, src.os.os_type
        )));
    }
    if src.os.arch != dst.os.arch {
        return Err(abi(format!(
            "Target domain architecture {} does not match source {}",
            dst.os.arch.as_deref().unwrap_or(""),
            src.os.arch.as_deref().unwrap_or("")
        )));
    }
    if src.os.machine != dst.os.machine {
        return Err(abi(format!(
            "Target domain machine type {} does not match source {}",
            dst.os.machine.as_deref().unwrap_or(""),
            src.os.machine.as_deref().unwrap_or("")
        )));
    }
    if src.memory_kib != dst.memory_kib {
        return Err(abi(format!(
            "Target domain max memory {} does not match source {}",
            dst.memory_kib, src.memory_kib
        )));
    }
    if src.vcpus_max != dst.vcpus_max {
        return Err(abi(format!(
            "Target domain vCPU max {} does not match source {}",
            dst.vcpus_max, src.vcpus_max
        )));
    }
    let (s, d) = (&src.devices, &dst.devices);
    let counts = [
        ("disk count", s.disks.len(), d.disks.len()),
        ("controller count", s.controllers.len(), d.controllers.len()),
        ("net card count", s.interfaces.len(), d.interfaces.len()),
        ("input device count", s.inputs.len(), d.inputs.len()),
        ("video card count", s.videos.len(), d.videos.len()),
    ];
    for (what, s, d) in counts {
        if s != d {
            return Err(abi(format!(
                "Target domain {what} {d} does not match source {s}"
            )));
        }
    }
    Ok(())
}

/// The state the RUNNING and PAUSED flags ask a restored guest to be in (running: `true`),
/// if either is given (the public API lets only one through).
fn state_override(flags: DomainSaveRestoreFlags) -> Option<bool> {
    if flags.contains(DomainSaveRestoreFlags::RUNNING) {
        Some(true)
    } else if flags.contains(DomainSaveRestoreFlags::PAUSED) {
        Some(false)
    } else {
        None
    }
}

fn system(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::system(FROM, what, &e)
}

/// The compressed formats of libvirt's save images, by their header code (0: raw); each is
/// also the name of the program that makes and reads it.
const FORMATS: [&str; 5] = ["raw", "gzip", "bzip2", "xz", "lzop"];

/// How a migration stream is stored, as a `*_image_format` of `qemu.conf` asks: the image
/// header's `compressed` code and the program that compresses it (`PROG -c`, xz with `-3`), as
/// libvirt runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Compression {
    /// The header's `compressed` field.
    pub(crate) code: u32,
    program: Option<&'static str>,
}

impl Compression {
    /// The stream as QEMU writes it.
    pub(crate) const RAW: Compression = Compression {
        code: save_image::RAW,
        program: None,
    };

    /// What `format` (`save_image_format`, `dump_image_format`, `snapshot_image_format`) asks
    /// for a `style` image (`save`, `dump`, `snapshot`). A format libvirt does not know, or
    /// one whose program is not on `$PATH`, fails with libvirt's error, or with `raw_on_fail`
    /// (dumps) is stored raw with a warning.
    pub(crate) fn of(format: Option<&str>, style: &str, raw_on_fail: bool) -> Result<Compression> {
        let Some(format) = format else {
            return Ok(Compression::RAW);
        };
        let problem = match FORMATS.iter().position(|f| *f == format) {
            Some(0) => return Ok(Compression::RAW),
            Some(code) if util::program_in_path(FORMATS[code]).is_some() => {
                return Ok(Compression {
                    code: code as u32,
                    program: Some(FORMATS[code]),
                });
            }
            Some(_) => format!(
                "Compression program for {style} image format in configuration file isn't \
                 available"
            ),
            None => format!("Invalid {style} image format specified in configuration file"),
        };
        if raw_on_fail {
            tracing::warn!("{problem}, using raw");
            return Ok(Compression::RAW);
        }
        Err(Error::with_detail(
            FROM,
            ErrorNumber::OPERATION_FAILED,
            problem,
        ))
    }

    /// Starts the compressor, writing to `out` (at its current offset) what it reads from the
    /// returned pipe end, which is for QEMU; `None` for a raw stream (QEMU writes `out`).
    fn start(&self, out: std::fs::File) -> Result<(std::fs::File, Option<Compressor>)> {
        let Some(prog) = self.program else {
            return Ok((out, None));
        };
        let mut cmd = crate::util::host_command(prog);
        cmd.arg("-c");
        if prog == "xz" {
            cmd.arg("-3");
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(out)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(system(format!("cannot execute binary {prog}")))?;
        let input = child.stdin.take();
        // Dropped (no input to hand out), the compressor is killed and reaped.
        let compressor = Compressor {
            child: Some(child),
            prog,
        };
        let input = input.ok_or_else(|| Error::internal(FROM, "compressor has no input"))?;
        Ok((
            std::fs::File::from(std::os::fd::OwnedFd::from(input)),
            Some(compressor),
        ))
    }
}

/// A running compressor of a migration stream: killed and reaped if dropped before
/// [`Compressor::finish`].
struct Compressor {
    child: Option<std::process::Child>,
    prog: &'static str,
}

impl Compressor {
    /// Waits until the compressor has written everything (QEMU closed its end of the pipe),
    /// and fails with what it printed if it did not exit cleanly.
    async fn finish(mut self) -> Result<()> {
        let Some(child) = self.child.take() else {
            return Ok(());
        };
        let prog = self.prog;
        util::off_thread(move || {
            let out = child
                .wait_with_output()
                .map_err(system(format!("cannot wait for {prog}")))?;
            if out.status.success() {
                return Ok(());
            }
            let status = out
                .status
                .code()
                .map_or_else(|| format!("{}", out.status), |c| c.to_string());
            Err(Error::internal(
                FROM,
                format!(
                    "Child process ({prog} -c) unexpected exit status {status}: {}",
                    String::from_utf8_lossy(&out.stderr).trim_end()
                ),
            ))
        })
        .await
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl QemuDriver {
    /// Where domain `name`'s managed save image lives.
    pub(crate) fn managed_save_path(&self, name: &str) -> PathBuf {
        self.dirs.qemu_save.join(format!("{name}.save"))
    }

    /// Saves running domain `obj` to `path` and stops it (shut off, saved). `dxml` replaces the
    /// XML stored in the image if it describes the same guest ABI. The RUNNING and PAUSED flags
    /// set the state restore brings the guest back in.
    pub(crate) async fn save_to(
        &self,
        obj: &Arc<DomainObj>,
        path: &Path,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let p = self.proc_of(&obj.uuid)?;
        if p.saving.swap(true, Ordering::SeqCst) {
            return Err(Error::operation_invalid(
                ErrorDomain::DOMAIN,
                "domain is already being saved",
            ));
        }
        *p.save_job.lock() = Some(SaveJob::new());
        let res = self.save_inner(obj, &p, path, dxml, flags).await;
        let job = p.save_job.lock().take();
        p.saving.store(false, Ordering::SeqCst);
        match (&res, job) {
            (Ok(mig), Some(job)) => {
                let done = JobData {
                    job_type: DomainJobType::COMPLETED,
                    operation: DomainJobOperation::SAVE,
                    elapsed_ms: job.started.elapsed().as_millis() as u64,
                    mig: Some(mig.clone()),
                };
                self.completed_jobs.lock().insert(obj.uuid, done);
            }
            _ => {
                self.completed_jobs.lock().remove(&obj.uuid);
            }
        }
        res.map(|_| ())
    }

    async fn save_inner(
        &self,
        obj: &Arc<DomainObj>,
        p: &Arc<crate::process::Proc>,
        path: &Path,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<rvirt_qmp::MigrationInfo> {
        let (was_running, live) = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(
                    ErrorDomain::DOMAIN,
                    "domain is not running",
                ));
            }
            (st.state == DomainState::RUNNING, st.def.clone())
        };
        crate::virtiofs::check_migratable(&live)?;
        let compression = Compression::of(self.config.save_image_format.as_deref(), "save", false)?;
        let xml = match dxml {
            Some(x) => {
                let def = self.parse_and_fill(x).await?;
                check_abi(&live, &def)?;
                self.migratable_xml(&def)?
            }
            None => self.migratable_xml(&live)?,
        };
        if was_running {
            p.pause_reason
                .store(DomainPausedReason::SAVE.0, Ordering::Relaxed);
            self.qmp(p, |m| async move { m.stop().await }).await?;
            self.set_paused(obj, DomainPausedReason::SAVE.0);
        }
        let resume_after = state_override(flags).unwrap_or(was_running);
        match self
            .write_image(p, path, &xml, resume_after, compression)
            .await
        {
            Ok(mig) => {
                p.saved.store(true, Ordering::Relaxed);
                p.destroying.store(true, Ordering::Relaxed);
                self.terminate(p, false).await.map(|()| mig)
            }
            Err(e) => {
                if was_running && self.proc_of(&obj.uuid).is_ok() {
                    self.cancel_save(obj).await;
                }
                Err(e)
            }
        }
    }

    /// A failed save of a running guest runs it again (running, reason save canceled), or
    /// leaves it paused with SUSPENDED/API_ERROR when QEMU refuses.
    async fn cancel_save(&self, obj: &Arc<DomainObj>) {
        if self
            .resume_for(obj, DomainRunningReason::SAVE_CANCELED)
            .await
            .is_err()
        {
            self.events.emit(DomainEvent::lifecycle(
                obj.to_ref(),
                DomainEventType::SUSPENDED,
                DomainEventSuspendedDetailType::API_ERROR.0,
            ));
        }
    }

    /// Writes the image: header and XML, QEMU's migration stream (through the compressor
    /// `compression` names), fsync, final magic. A file this call created is removed again on
    /// failure.
    pub(crate) async fn write_image(
        &self,
        p: &Arc<crate::process::Proc>,
        path: &Path,
        xml: &str,
        was_running: bool,
        compression: Compression,
    ) -> Result<rvirt_qmp::MigrationInfo> {
        let existed = path.exists();
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(system(format!(
                "Failed to create file '{}'",
                path.display()
            )))?;
        let res = async {
            let head = save_image::prologue(
                xml,
                was_running,
                compression.code,
                None,
                save_image::PARTIAL,
            )?;
            file.write_all(&head).map_err(system(format!(
                "failed to write header to domain save file '{}'",
                path.display()
            )))?;
            let fd = file
                .try_clone()
                .map_err(system(format!("unable to open '{}'", path.display())))?;
            let mig = self
                .migrate_to_fd(p, fd, "domain save", compression)
                .await?;
            let path2 = path.to_path_buf();
            util::off_thread(move || save_image::finish(&file, &path2)).await?;
            Ok(mig)
        }
        .await;
        if res.is_err() && !existed {
            let _ = std::fs::remove_file(path);
        }
        res
    }

    /// Streams the guest's state to `fd` (through the compressor `compression` names) with
    /// QEMU's migration (no bandwidth cap), until it completes, fails, is aborted (a save
    /// job's abort cancels it), or QEMU exits. `what` names the job in errors.
    pub(crate) async fn migrate_to_fd(
        &self,
        p: &Arc<crate::process::Proc>,
        out: std::fs::File,
        what: &'static str,
        compression: Compression,
    ) -> Result<rvirt_qmp::MigrationInfo> {
        let mon = p.monitor()?;
        let mut exited = p.exited_rx();
        let job = p.clone();
        let (fd, compressor) = compression.start(out)?;
        let migrated = on_rt(async move {
            let migrate = async {
                // No bandwidth cap: the stream goes as fast as the disk takes it.
                mon.migrate_set_parameters(serde_json::json!({ "max-bandwidth": 1u64 << 40 }))
                    .await
                    .map_err(crate::process::qmp_error)?;
                if job.save_job.lock().as_ref().is_some_and(|j| j.aborted) {
                    return Err(aborted(what));
                }
                mon.getfd("migrate", fd.as_raw_fd())
                    .await
                    .map_err(crate::process::qmp_error)?;
                // QEMU has its own copy: a compressor sees the end of the stream when QEMU
                // closes it.
                drop(fd);
                let events = mon.events();
                if let Err(e) = mon.migrate("fd:migrate").await {
                    let _ = mon.closefd("migrate").await;
                    return Err(crate::process::qmp_error(e));
                }
                // From now on an abort cancels the migration; one that came while QEMU was
                // being told to migrate is carried out here.
                let late_abort = job.save_job.lock().as_mut().is_some_and(|j| {
                    j.migrating = true;
                    j.aborted
                });
                if late_abort {
                    let _ = mon.migrate_cancel().await;
                }
                let info = wait_migration(&mon, what, events).await?;
                // QEMU reports the migration completed a moment before it leaves the
                // finish-migrate state, until when `cont` fails ("Migration is not finalized
                // yet"): a dump or snapshot that runs the guest again waits for it here.
                let settled = std::time::Instant::now();
                while settled.elapsed() < std::time::Duration::from_secs(5)
                    && mon
                        .query_status()
                        .await
                        .is_ok_and(|s| s.status == rvirt_qmp::RunState::FinishMigrate)
                {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                Ok(info)
            };
            crate::process::unless_quit(&mut exited, migrate).await
        })
        .await?;
        // A failed migration kills the compressor (dropped); a finished one lets it finish.
        let info = migrated?;
        if let Some(c) = compressor {
            c.finish().await?;
        }
        Ok(info)
    }

    /// Restores the image at `path` as a new running domain (or into the inactive domain of the
    /// same name and UUID). `dxml` replaces the image's XML (same ABI); RUNNING and PAUSED
    /// override the state the image recorded.
    pub(crate) async fn restore_from(
        &self,
        path: &Path,
        dxml: Option<&str>,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let (header, xml, file) = match save_image::open(path, false)? {
            Opened::Image(h, x, f) => (h, x, f),
            Opened::Corrupt(e) => return Err(e),
        };
        let mut def = self.parse_and_fill(&xml).await?;
        if let Some(x) = dxml {
            let new = self.parse_and_fill(x).await?;
            check_abi(&def, &new)?;
            def = new;
        }
        let run = state_override(flags).unwrap_or(header.was_running);
        let obj = self.add_live(&def)?;
        let res = match Stream::open(header.compressed, file) {
            Ok(stream) => {
                let incoming = Incoming {
                    file: stream.file,
                    start_paused: false,
                };
                let reset = flags.contains(DomainSaveRestoreFlags::RESET_NVRAM);
                let res = self.launch(&obj, def, !run, Some(incoming), reset).await;
                Stream::reap(stream.helper).await;
                res
            }
            Err(e) => Err(e),
        };
        if res.is_err() {
            self.drop_if_transient_inactive(&obj);
        }
        res
    }

    /// Starts persistent domain `obj` from its managed save image, if it has one: `Ok(true)`
    /// once it runs again (the image is gone), `Ok(false)` when there is no usable image (an
    /// incomplete one is thrown away, as libvirt does) and the caller boots it afresh.
    pub(crate) async fn start_from_managed_save(
        &self,
        obj: &Arc<DomainObj>,
        start_paused: bool,
        reset_nvram: bool,
    ) -> Result<bool> {
        let (name, uuid) = {
            let st = obj.lock();
            (st.name.to_string(), obj.uuid)
        };
        let path = self.managed_save_path(&name);
        if !path.exists() {
            return Ok(false);
        }
        let (header, xml, file) = match save_image::open(&path, false)? {
            Opened::Image(h, x, f) => (h, x, f),
            Opened::Corrupt(_) => {
                util::remove_durably(&path).map_err(system(format!(
                    "cannot remove corrupt file: {}",
                    path.display()
                )))?;
                obj.lock().has_managed_save = false;
                return Ok(false);
            }
        };
        let def = self.parse_and_fill(&xml).await?;
        if def.name != name || def.uuid != uuid {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                format!(
                    "cannot restore domain '{name}' uuid {uuid} from a file which belongs to \
                     domain '{}' uuid {}",
                    def.name, def.uuid
                ),
            ));
        }
        let stream = Stream::open(header.compressed, file)?;
        let incoming = Incoming {
            file: stream.file,
            start_paused,
        };
        let res = self
            .launch(
                obj,
                def,
                start_paused || !header.was_running,
                Some(incoming),
                reset_nvram,
            )
            .await;
        Stream::reap(stream.helper).await;
        res?;
        if util::remove_durably(&path).is_ok() {
            obj.lock().has_managed_save = false;
        }
        Ok(true)
    }

    /// The definition stored in the image at `path`.
    pub(crate) async fn image_def(&self, path: &Path) -> Result<DomainDef> {
        match save_image::open(path, false)? {
            Opened::Image(_, xml, _) => self.parse_and_fill(&xml).await,
            Opened::Corrupt(e) => Err(e),
        }
    }

    /// Replaces the XML (and, with RUNNING or PAUSED, the recorded state) of the image at
    /// `path`, in place: the new XML must fit the image's data area and keep the guest's ABI.
    pub(crate) async fn redefine_image(
        &self,
        path: &Path,
        dxml: &str,
        flags: DomainSaveRestoreFlags,
    ) -> Result<()> {
        let (header, xml, file) = match save_image::open(path, true)? {
            Opened::Image(h, x, f) => (h, x, f),
            Opened::Corrupt(e) => return Err(e),
        };
        let state = state_override(flags);
        if xml == dxml && state.is_none_or(|s| s == header.was_running) {
            return Ok(());
        }
        let old = self.parse_and_fill(&xml).await?;
        let new = self.parse_and_fill(dxml).await?;
        check_abi(&old, &new)?;
        let head = save_image::prologue(
            &self.migratable_xml(&new)?,
            state.unwrap_or(header.was_running),
            header.compressed,
            Some(header.data_len),
            save_image::MAGIC,
        )?;
        use std::os::unix::fs::FileExt;
        file.write_all_at(&head, 0)
            .and_then(|()| file.sync_all())
            .map_err(system(format!(
                "failed to write header data to '{}'",
                path.display()
            )))
    }
}

/// The migration stream of an image as QEMU reads it: the file itself, or for an image that
/// libvirt compressed (`save_image_format` in qemu.conf) the output of its decompressor, run as
/// libvirt runs it (`PROG -dc`).
struct Stream {
    file: std::fs::File,
    helper: Option<std::process::Child>,
}

impl Stream {
    fn open(compressed: u32, file: std::fs::File) -> Result<Stream> {
        if compressed == save_image::RAW {
            return Ok(Stream { file, helper: None });
        }
        let Some(&prog) = FORMATS.get(compressed as usize) else {
            return Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_FAILED,
                format!("Invalid compressed save format {compressed}"),
            ));
        };
        let mut cmd = crate::util::host_command(prog);
        cmd.arg("-dc");
        if prog == "lzop" {
            cmd.arg("--ignore-warn");
        }
        let mut child = cmd
            .stdin(file)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(system(format!("cannot execute binary {prog}")))?;
        let Some(out) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::internal(FROM, "decompressor has no output"));
        };
        Ok(Stream {
            file: std::fs::File::from(std::os::fd::OwnedFd::from(out)),
            helper: Some(child),
        })
    }

    /// Reaps the decompressor once QEMU has read what it wanted (or failed to).
    async fn reap(helper: Option<std::process::Child>) {
        if let Some(mut child) = helper {
            let _ = util::off_thread(move || {
                let _ = child.kill();
                let _ = child.wait();
                Ok(())
            })
            .await;
        }
    }
}
