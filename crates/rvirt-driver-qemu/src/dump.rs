//! Core dumps and memory peeks of a running guest, as libvirt's QEMU driver makes them: a full
//! dump is QEMU's migration stream written to the file (the guest paused meanwhile unless the
//! dump is live), a memory-only dump is `dump-guest-memory` in the chosen format; a dump may
//! crash (stop) or reset the guest afterwards. A peek has QEMU save the range of guest memory
//! (`memsave` for virtual addresses, `pmemsave` for physical ones) to a temporary file.
//! A memory-only dump ends with QEMU's `DUMP_COMPLETED` event, whose error a failure reports.

use crate::{FROM, QemuDriver};
use rvirt_driver::{DomainObj, DomainRef, check_flags};
use rvirt_types::domain::*;
use rvirt_types::{Error, ErrorNumber, Result};
use serde_json::{Value, json};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// `qemuDumpFormat`: the `dump-guest-memory` format of each `virDomainCoreDumpFormat`.
const DUMP_FORMATS: [&str; 5] = ["elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "win-dmp"];

fn system(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::system(FROM, what, &e)
}

impl QemuDriver {
    /// `virDomainCoreDump` and `virDomainCoreDumpWithFormat` (`format` `None` is raw).
    pub(crate) async fn core_dump(
        &self,
        dom: &DomainRef,
        to: &str,
        format: Option<u32>,
        flags: u32,
    ) -> Result<()> {
        let f = DomainCoreDumpFlags::from_bits_retain(flags);
        check_flags(
            FROM,
            "qemuDomainCoreDumpWithFormat",
            flags,
            (DomainCoreDumpFlags::LIVE
                | DomainCoreDumpFlags::CRASH
                | DomainCoreDumpFlags::BYPASS_CACHE
                | DomainCoreDumpFlags::RESET
                | DomainCoreDumpFlags::MEMORY_ONLY)
                .bits(),
        )?;
        let obj = self.obj(dom)?;
        let running = {
            let st = obj.lock();
            if !st.is_active() {
                return Err(Error::operation_invalid(FROM, "domain is not running"));
            }
            st.state == DomainState::RUNNING
        };
        let p = self.proc_of(&obj.uuid)?;
        let mut paused = false;
        if !f.contains(DomainCoreDumpFlags::LIVE) && running {
            p.pause_reason
                .store(DomainPausedReason::DUMP.0, Ordering::Relaxed);
            self.qmp(&p, |m| async move { m.stop().await }).await?;
            self.set_paused(&obj, DomainPausedReason::DUMP.0);
            paused = true;
        }
        let res = self
            .dump_to(&p, Path::new(to), format.unwrap_or(0), f)
            .await;
        // A full dump is a migration, which leaves the guest paused whatever the flags.
        if res.is_ok() {
            paused = true;
        }
        if res.is_ok() && f.contains(DomainCoreDumpFlags::CRASH) {
            p.dump_crash.store(true, Ordering::Relaxed);
            self.destroy(&obj.uuid, false).await?;
            return Ok(());
        }
        let mut res = res;
        if ((running && paused) || f.contains(DomainCoreDumpFlags::RESET)) && obj.lock().is_active()
        {
            if res.is_ok() && f.contains(DomainCoreDumpFlags::RESET) {
                res = self
                    .qmp(&p, |m| async move { m.execute("system_reset", None).await })
                    .await
                    .map(|_| ());
            }
            if running && obj.lock().is_active() {
                self.resume_after_dump(&obj, &mut res).await;
            }
        }
        res
    }

    /// Runs the guest again after a dump; a failure to do so is the call's error (unless it
    /// already failed) and leaves the guest paused with SUSPENDED/API_ERROR.
    async fn resume_after_dump(&self, obj: &Arc<DomainObj>, res: &mut Result<()>) {
        if let Err(e) = self.resume_for(obj, DomainRunningReason::UNPAUSED).await {
            self.events.emit(rvirt_driver::DomainEvent::lifecycle(
                obj.to_ref(),
                DomainEventType::SUSPENDED,
                DomainEventSuspendedDetailType::API_ERROR.0,
            ));
            if res.is_ok() {
                *res = Err(e);
            }
        }
    }

    /// libvirt's `doCoreDump`: the file, then the guest's memory (`MEMORY_ONLY`) or its whole
    /// state into it. A file the dump created is removed again when it fails.
    pub(crate) async fn dump_to(
        &self,
        p: &Arc<crate::process::Proc>,
        path: &Path,
        format: u32,
        f: DomainCoreDumpFlags,
    ) -> Result<()> {
        let existed = path.exists();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(system(format!(
                "Failed to create file '{}'",
                path.display()
            )))?;
        let res = if f.contains(DomainCoreDumpFlags::MEMORY_ONLY) {
            self.dump_guest_memory(p, file, format).await
        } else if format != 0 {
            Err(Error::with_detail(
                FROM,
                ErrorNumber::OPERATION_UNSUPPORTED,
                "kdump-compressed format is only supported with memory-only dump",
            ))
        } else {
            let sync = file
                .try_clone()
                .map_err(system(format!("unable to open '{}'", path.display())))?;
            // An unusable dump_image_format leaves the dump raw, as in libvirt.
            let compression = crate::save::Compression::of(
                self.config.dump_image_format.as_deref(),
                "dump",
                true,
            )?;
            match self
                .migrate_to_fd(p, file, "domain core dump", compression)
                .await
            {
                Ok(_) => sync
                    .sync_all()
                    .map_err(system(format!("unable to close file {}", path.display()))),
                Err(e) => Err(e),
            }
        };
        if res.is_err() && !existed {
            let _ = std::fs::remove_file(path);
        }
        res
    }

    /// `dump-guest-memory` of the whole guest to `file` in `format`, detached, waited for by
    /// its `DUMP_COMPLETED` event.
    async fn dump_guest_memory(
        &self,
        p: &Arc<crate::process::Proc>,
        file: std::fs::File,
        format: u32,
    ) -> Result<()> {
        let Some(name) = DUMP_FORMATS.get(format as usize).copied() else {
            return Err(Error::invalid_arg(
                FROM,
                format!("unknown dumpformat '{format}'"),
            ));
        };
        let caps: Value = self
            .qmp(p, |m| async move {
                m.execute("query-dump-guest-memory-capability", None).await
            })
            .await?;
        let supported = caps["formats"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(name)));
        if !supported {
            return Err(Error::invalid_arg(
                FROM,
                format!("unsupported dumpformat '{name}' for this QEMU binary"),
            ));
        }
        let mon = p.monitor()?;
        let mut exited = p.exited_rx();
        crate::process::on_rt(async move {
            let run = async {
                use std::os::fd::AsRawFd;
                mon.getfd("dump", file.as_raw_fd())
                    .await
                    .map_err(crate::process::qmp_error)?;
                let mut args = json!({ "paging": false, "protocol": "fd:dump", "detach": true });
                // QEMU dumps ELF without a format named.
                if name != "elf" {
                    args["format"] = json!(name);
                }
                let mut events = mon.events();
                if let Err(e) = mon.execute("dump-guest-memory", Some(args)).await {
                    let _ = mon.closefd("dump").await;
                    return Err(crate::process::qmp_error(e));
                }
                let failed = |why: Option<&str>| {
                    let detail = match why {
                        Some(w) => format!("memory-only dump failed: {w}"),
                        None => "memory-only dump failed".to_string(),
                    };
                    Error::with_detail(FROM, ErrorNumber::OPERATION_FAILED, detail)
                };
                loop {
                    use tokio::sync::broadcast::error::RecvError;
                    match events.recv().await {
                        Ok(ev) if ev.name == "DUMP_COMPLETED" => {
                            return match ev.data["error"].as_str() {
                                Some(why) => Err(failed(Some(why))),
                                None => Ok(()),
                            };
                        }
                        Ok(_) => {}
                        // Events were dropped: ask how the dump ended instead.
                        Err(RecvError::Lagged(_)) => loop {
                            let st = mon
                                .execute("query-dump", None)
                                .await
                                .map_err(crate::process::qmp_error)?;
                            match st["status"].as_str() {
                                Some("completed") => return Ok(()),
                                Some("failed") => return Err(failed(None)),
                                _ => tokio::time::sleep(Duration::from_millis(20)).await,
                            }
                        },
                        Err(RecvError::Closed) => return Err(crate::process::guest_quit()),
                    }
                }
            };
            crate::process::unless_quit(&mut exited, run).await
        })
        .await?
    }

    /// `virDomainMemoryPeek`: QEMU saves the range to a temporary file, which is read back.
    pub(crate) async fn memory_peek(
        &self,
        dom: &DomainRef,
        start: u64,
        size: u32,
        flags: u32,
    ) -> Result<Vec<u8>> {
        rvirt_driver::check_peek_flags(FROM, "qemuDomainMemoryPeek", flags)?;
        let obj = self.obj(dom)?;
        if !obj.lock().is_active() {
            return Err(Error::operation_invalid(FROM, "domain is not running"));
        }
        let p = self.proc_of(&obj.uuid)?;
        let dir = &self.dirs.qemu_cache;
        std::fs::create_dir_all(dir)
            .map_err(system(format!("cannot create folder {}", dir.display())))?;
        let tmp = tempfile_in(dir)?;
        // QEMU writes it, as whichever user it runs as.
        let def = obj.lock().def.clone();
        if let Err(e) = self.dac.give_path(&def, &tmp) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let path = tmp.to_string_lossy().into_owned();
        let command = if flags == 1 { "memsave" } else { "pmemsave" };
        let res = self
            .qmp(&p, move |m| async move {
                m.execute(
                    command,
                    Some(json!({ "val": start, "size": size, "filename": path })),
                )
                .await
            })
            .await;
        let bytes = res.and_then(|_| {
            std::fs::read(&tmp).map_err(system("unable to read temporary file".into()))
        });
        let _ = std::fs::remove_file(&tmp);
        let bytes = bytes?;
        if bytes.len() != size as usize {
            return Err(Error::internal(FROM, "unable to read temporary file"));
        }
        Ok(bytes)
    }
}

/// A new empty file `qemu.mem.XXXXXX` in `dir`, made so that no other file is taken over.
fn tempfile_in(dir: &Path) -> Result<std::path::PathBuf> {
    for n in 0..100u32 {
        let name = format!(
            "qemu.mem.{:06x}",
            (std::process::id() ^ n.wrapping_mul(0x9e37_79b9)) & 0xff_ffff
        );
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Error::system(
                    FROM,
                    format!("cannot create temporary file in {}", dir.display()),
                    &e,
                ));
            }
        }
    }
    Err(Error::internal(FROM, "cannot create temporary file"))
}
