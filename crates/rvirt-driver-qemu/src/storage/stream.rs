//! Volume upload and download as [`StreamBackend`]s.
//!
//! A thread of the transfer does the file I/O, so the caller's executor never waits on the
//! disk, and disk and network overlap: a download's thread reads ahead in 1 MiB blocks into a
//! bounded queue, an upload's thread writes what a bounded queue hands it. Both ends are cancel
//! safe: a `recv` dropped before it completes loses no data.
//!
//! An upload that starts at offset 0 writes a temporary file beside the volume and puts it in
//! place (rename) only when the client finishes the stream, after the data is on disk; bytes of
//! the old file beyond what was uploaded are copied over first, so a finished upload leaves
//! exactly what libvirt's in-place write leaves. A transfer cut half-way (abort, dropped
//! connection, write error) leaves the volume as it was. An upload at another offset writes
//! in place, as libvirt does: cut half-way, the bytes already written stay.

use super::files::{UPLOAD_TEMP_PREFIX, open_nofollow};
use rvirt_driver::{BoxFuture, StreamBackend};
use rvirt_types::{Error, ErrorDomain, Result};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

const FROM: ErrorDomain = ErrorDomain::STREAMS;
/// Bytes one disk read or queued block holds.
const BLOCK: usize = 1 << 20;
/// Blocks queued between the disk thread and the stream.
const DEPTH: usize = 8;

/// Called once when a transfer ends (finished or not): lets the volume go and refreshes it.
pub(crate) type OnEnd = Box<dyn FnOnce() + Send>;

fn write_err(e: &std::io::Error) -> Error {
    Error::system(FROM, "cannot write to stream", e)
}

fn read_err(e: &std::io::Error) -> Error {
    Error::system(FROM, "cannot read from stream", e)
}

/// Runs `on_end` when dropped.
struct EndGuard(Option<OnEnd>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

struct DownloadState {
    rx: mpsc::Receiver<Result<Vec<u8>>>,
    block: Vec<u8>,
    pos: usize,
    done: bool,
}

/// `virStorageVolDownload`'s stream: reads `length` bytes (0: to the end) from `offset`.
pub(crate) struct Download {
    state: tokio::sync::Mutex<DownloadState>,
    end: parking_lot::Mutex<EndGuard>,
}

impl Download {
    /// Opens `path` and starts reading ahead.
    pub(crate) fn start(path: &Path, offset: u64, length: u64, on_end: OnEnd) -> Result<Download> {
        let end = EndGuard(Some(on_end));
        let mut f = open_nofollow(path, false)?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| read_err(&e))?;
        let (tx, rx) = mpsc::channel(DEPTH);
        std::thread::Builder::new()
            .name("rvirt-download".into())
            .spawn(move || read_ahead(f, length, tx))
            .map_err(|e| Error::system(FROM, "cannot start a stream thread", &e))?;
        Ok(Download {
            state: tokio::sync::Mutex::new(DownloadState {
                rx,
                block: Vec::new(),
                pos: 0,
                done: false,
            }),
            end: parking_lot::Mutex::new(end),
        })
    }
}

fn read_ahead(mut f: std::fs::File, length: u64, tx: mpsc::Sender<Result<Vec<u8>>>) {
    let mut left = if length == 0 { u64::MAX } else { length };
    while left > 0 {
        let want = left.min(BLOCK as u64) as usize;
        let mut buf = vec![0u8; want];
        let mut filled = 0;
        let r = loop {
            match f.read(&mut buf[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    filled += n;
                    if filled == want {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(read_err(&e)),
            }
        };
        if let Err(e) = r {
            let _ = tx.blocking_send(Err(e));
            return;
        }
        buf.truncate(filled);
        left -= filled as u64;
        let at_end = filled < want;
        if filled > 0 && tx.blocking_send(Ok(buf)).is_err() {
            return;
        }
        if at_end {
            break;
        }
    }
    // The end of the data: an empty block.
    let _ = tx.blocking_send(Ok(Vec::new()));
}

impl StreamBackend for Download {
    fn recv(&self, max: usize) -> BoxFuture<'_, Result<Vec<u8>>> {
        Box::pin(async move {
            let mut s = self.state.lock().await;
            if s.pos >= s.block.len() {
                if s.done {
                    return Ok(Vec::new());
                }
                match s.rx.recv().await {
                    Some(Ok(b)) if b.is_empty() => {
                        s.done = true;
                        return Ok(Vec::new());
                    }
                    Some(Ok(b)) => {
                        s.block = b;
                        s.pos = 0;
                    }
                    Some(Err(e)) => return Err(e),
                    None => return Ok(Vec::new()),
                }
            }
            let n = max.min(s.block.len() - s.pos);
            if s.pos == 0 && n == s.block.len() {
                return Ok(std::mem::take(&mut s.block));
            }
            let out = s.block[s.pos..s.pos + n].to_vec();
            s.pos += n;
            Ok(out)
        })
    }

    fn send<'a>(&'a self, _data: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        let ebadf = std::io::Error::from_raw_os_error(libc::EBADF);
        Box::pin(async move { Err(write_err(&ebadf)) })
    }

    fn finish(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.state.lock().await.rx.close();
            if let Some(f) = self.end.lock().0.take() {
                f();
            }
            Ok(())
        })
    }

    fn abort(&self) -> BoxFuture<'_, Result<()>> {
        self.finish()
    }
}

enum Msg {
    Data(Vec<u8>),
    Finish(oneshot::Sender<Result<()>>),
}

/// `virStorageVolUpload`'s stream.
pub(crate) struct Upload {
    tx: parking_lot::Mutex<Option<mpsc::Sender<Msg>>>,
    /// The writer's error, once it stopped on one.
    failed: std::sync::Arc<parking_lot::Mutex<Option<Error>>>,
    sent: AtomicU64,
    length: u64,
}

/// Where an upload writes.
struct Target {
    file: std::fs::File,
    /// The volume, and the temporary file to rename over it (an upload from offset 0).
    replace: Option<(PathBuf, PathBuf)>,
}

static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl Upload {
    /// Opens the volume at `path` for an upload of `length` bytes (0: any) at `offset`.
    pub(crate) fn start(path: &Path, offset: u64, length: u64, on_end: OnEnd) -> Result<Upload> {
        let end = EndGuard(Some(on_end));
        let vol = open_nofollow(path, true)?;
        let target = if offset == 0 {
            let dir = path.parent().unwrap_or(Path::new("/"));
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(
                "{UPLOAD_TEMP_PREFIX}{}.{}.{seq}",
                name.unwrap_or_default(),
                std::process::id()
            ));
            let meta = vol.metadata().map_err(|e| write_err(&e))?;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)
                .map_err(|e| write_err(&e))?;
            // The new file takes the volume's owner and mode when it replaces it.
            let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
            let _ = file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777));
            Target {
                file,
                replace: Some((path.to_path_buf(), tmp)),
            }
        } else {
            let mut file = vol;
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| write_err(&e))?;
            Target {
                file,
                replace: None,
            }
        };
        let (tx, rx) = mpsc::channel(DEPTH * 4);
        let failed = std::sync::Arc::new(parking_lot::Mutex::new(None));
        let f2 = failed.clone();
        std::thread::Builder::new()
            .name("rvirt-upload".into())
            .spawn(move || {
                write_behind(target, rx, f2);
                drop(end);
            })
            .map_err(|e| Error::system(FROM, "cannot start a stream thread", &e))?;
        Ok(Upload {
            tx: parking_lot::Mutex::new(Some(tx)),
            failed,
            sent: AtomicU64::new(0),
            length,
        })
    }

    fn error(&self) -> Error {
        self.failed
            .lock()
            .clone()
            .unwrap_or_else(|| write_err(&std::io::Error::from_raw_os_error(libc::EPIPE)))
    }
}

/// Removes the temporary file of an upload that did not finish.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn write_behind(
    target: Target,
    mut rx: mpsc::Receiver<Msg>,
    failed: std::sync::Arc<parking_lot::Mutex<Option<Error>>>,
) {
    let Target { mut file, replace } = target;
    let mut temp = TempGuard(replace.as_ref().map(|(_, t)| t.clone()));
    let mut written = 0u64;
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            Msg::Data(d) => {
                if let Err(e) = file.write_all(&d) {
                    *failed.lock() = Some(write_err(&e));
                    return;
                }
                written += d.len() as u64;
            }
            Msg::Finish(reply) => {
                let r = commit(&mut file, replace.as_ref(), written);
                if r.is_ok() {
                    temp.0 = None;
                }
                let _ = reply.send(r);
                return;
            }
        }
    }
}

/// Puts a finished upload in place: the old file's bytes past the uploaded ones copied over,
/// data on disk, then the rename and the folder's entry on disk.
fn commit(
    file: &mut std::fs::File,
    replace: Option<&(PathBuf, PathBuf)>,
    written: u64,
) -> Result<()> {
    let sys = |e: std::io::Error| write_err(&e);
    if let Some((vol, tmp)) = replace {
        let mut old = open_nofollow(vol, false)?;
        let old_len = old.metadata().map_err(sys)?.size();
        if old_len > written {
            old.seek(SeekFrom::Start(written)).map_err(sys)?;
            std::io::copy(&mut old.take(old_len - written), file).map_err(sys)?;
        }
        file.sync_data().map_err(sys)?;
        std::fs::rename(tmp, vol).map_err(sys)?;
        if let Some(dir) = vol.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(sys)?;
        }
        return Ok(());
    }
    file.sync_data().map_err(sys)
}

impl StreamBackend for Upload {
    fn recv(&self, _max: usize) -> BoxFuture<'_, Result<Vec<u8>>> {
        let ebadf = std::io::Error::from_raw_os_error(libc::EBADF);
        Box::pin(async move { Err(read_err(&ebadf)) })
    }

    fn send<'a>(&'a self, data: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut data = data;
            if self.length != 0 {
                let sent = self.sent.load(Ordering::Relaxed);
                if sent >= self.length {
                    let enospc = std::io::Error::from_raw_os_error(libc::ENOSPC);
                    return Err(write_err(&enospc));
                }
                data = &data[..data.len().min((self.length - sent) as usize)];
            }
            let Some(tx) = self.tx.lock().clone() else {
                return Err(self.error());
            };
            if tx.send(Msg::Data(data.to_vec())).await.is_err() {
                return Err(self.error());
            }
            self.sent.fetch_add(data.len() as u64, Ordering::Relaxed);
            Ok(())
        })
    }

    fn finish(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let Some(tx) = self.tx.lock().take() else {
                return Err(self.error());
            };
            let (reply, done) = oneshot::channel();
            if tx.send(Msg::Finish(reply)).await.is_err() {
                return Err(self.error());
            }
            drop(tx);
            match done.await {
                Ok(r) => r,
                Err(_) => Err(self.error()),
            }
        })
    }

    fn abort(&self) -> BoxFuture<'_, Result<()>> {
        // Closing the queue stops the writer, which removes its temporary file.
        self.tx.lock().take();
        Box::pin(async { Ok(()) })
    }
}
