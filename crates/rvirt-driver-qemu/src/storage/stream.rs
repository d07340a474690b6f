//! Volume upload and download as [`StreamBackend`]s.
//!
//! A thread of the transfer does the file I/O, so the caller's executor never waits on the
//! disk, and disk and network overlap: a download's thread reads ahead [`READ_SIZE`] at a time
//! into a few buffers it reuses, from which the stream copies out its packets, the thread
//! reading the next while the stream sends. What the page cache holds it reads from there, the
//! rest with `O_DIRECT`, straight from the disk into its buffer: a download of data that is not
//! cached neither fills the page cache nor has the kernel allocate, fill and copy a page cache
//! page for every 4 KiB of it; its buffers are asked to be backed by huge pages ([`ReadBuf`]),
//! so that each direct read reaches the disk as one request. An upload's thread writes what a
//! queue bounded in bytes hands it (the buffers the packets arrived in, several to a `writev`),
//! starts the disk's writeback as it goes and keeps at most [`DIRTY_WINDOW`] of the upload in
//! the page cache, so the final flush is short and a client faster than the disk is held to the
//! disk's pace. Both ends are cancel safe:
//! a `recv` dropped before it completes loses no data.
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
/// Bytes one packet of a download holds at most: the most data one stream packet of libvirt's
/// protocol carries (`VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX`), so that rvirtd sends each block
/// `recv` returns as it is instead of copying it out in packet-sized pieces.
const BLOCK: usize = 262_120;
/// Bytes one disk read of a download asks for (4 MiB): the disk works in large requests while
/// the stream sends what was read before. A read travels to the stream whole (one wake-up of
/// the stream per read, not per packet).
const READ_SIZE: usize = 1 << 22;
/// Alignment of a download's `O_DIRECT` reads (file offset, length and memory address): a
/// multiple of every logical block size up to 4 KiB.
const ALIGN: usize = 4096;
/// Read buffers of a download (12 MiB): the disk thread fills one while the stream sends from
/// another and one more waits, full, between them.
const BUFFERS: usize = 3;
/// Alignment of a download's read buffers: the size of a transparent huge page on x86-64 and
/// arm64 (4 KiB base pages), so that a buffer can be backed by whole huge pages.
const HUGE: usize = 2 << 20;
const _: () = assert!(READ_SIZE % HUGE == 0);

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

/// A read buffer of a download: private anonymous memory of its own mapping, aligned to
/// [`HUGE`] and advised (`MADV_HUGEPAGE`) to be backed by transparent huge pages, zero until
/// written.
///
/// Why: an `O_DIRECT` read goes to the disk as requests of at most `max_segments` physically
/// contiguous pieces of the buffer each (254 on virtio-blk). A buffer of scattered 4 KiB pages
/// turns a 4 MiB read into 4-8 requests of 512 KiB-1 MiB, one of 2 MiB pages into one request
/// of 4 MiB. On the virtual disks of these machines the same 1 GiB file read with 4 MiB
/// `O_DIRECT` reads took 0.9 GB/s with 4 KiB pages (2,048 requests of 512 KiB) and 2.4-3.3 GB/s
/// with huge pages (256 requests of 4 MiB). Where the kernel has no huge page to give (or no
/// transparent huge pages at all), the buffer is made of small pages and reads are split as
/// before: slower, not wrong.
struct ReadBuf {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: a ReadBuf owns its mapping alone (like a Box<[u8]>); nothing else refers to it.
unsafe impl Send for ReadBuf {}

impl ReadBuf {
    /// Maps `len` bytes (a multiple of [`HUGE`]) aligned to [`HUGE`].
    fn new(len: usize) -> std::io::Result<ReadBuf> {
        debug_assert!(len > 0 && len % HUGE == 0);
        let map_len = len + HUGE;
        // SAFETY: a fresh private anonymous mapping; of it, the HUGE-aligned `len` bytes are
        // kept and the rest (before and after, inside the mapping) unmapped. madvise only
        // changes how the kept range is backed; its error (no transparent huge pages) is
        // ignored.
        unsafe {
            let map = libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if map == libc::MAP_FAILED {
                return Err(std::io::Error::last_os_error());
            }
            let base = map as usize;
            let head = base.next_multiple_of(HUGE) - base;
            if head > 0 {
                libc::munmap(map, head);
            }
            let tail = map_len - head - len;
            if tail > 0 {
                libc::munmap((base + head + len) as *mut libc::c_void, tail);
            }
            let ptr = (base + head) as *mut u8;
            libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE);
            Ok(ReadBuf {
                ptr: std::ptr::NonNull::new_unchecked(ptr),
                len,
            })
        }
    }
}

impl std::ops::Deref for ReadBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` bytes mapped readable and writable at `ptr` for as long as self lives.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for ReadBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref; `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ReadBuf {
    fn drop(&mut self) {
        // SAFETY: the mapping new() kept, unmapped once; no reference to it outlives self.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// One read of a download's disk thread: the first `len` bytes of `raw` (which goes back to
/// the thread once its data is out). `last`: the data ends here.
struct Chunk {
    raw: ReadBuf,
    len: usize,
    last: bool,
}

struct DownloadState {
    rx: mpsc::Receiver<Result<Chunk>>,
    /// Buffers whose data went out, back to the disk thread (`None` once finished).
    spent: Option<std::sync::mpsc::Sender<ReadBuf>>,
    /// The read going out, from `pos`.
    chunk: Option<Chunk>,
    pos: usize,
    /// The packet being filled: kept here, so that a `recv` dropped half-way loses nothing.
    block: Vec<u8>,
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
        let f = open_nofollow(path, false)?;
        let (tx, rx) = mpsc::channel(BUFFERS);
        let (spent, free) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("rvirt-download".into())
            .spawn(move || read_ahead(f, offset, length, tx, free))
            .map_err(|e| Error::system(FROM, "cannot start a stream thread", &e))?;
        Ok(Download {
            state: tokio::sync::Mutex::new(DownloadState {
                rx,
                spent: Some(spent),
                chunk: None,
                pos: 0,
                block: Vec::new(),
                done: false,
            }),
            end: parking_lot::Mutex::new(end),
        })
    }
}

/// The file a download reads, by two routes: `file` through the page cache, `direct` (the same
/// file opened again with `O_DIRECT`) around it.
struct Reader {
    file: std::fs::File,
    /// `None` where the file system refuses `O_DIRECT` (or once a direct read failed with
    /// `EINVAL`): every read then goes through the page cache.
    direct: Option<std::fs::File>,
}

impl Reader {
    fn new(file: std::fs::File) -> Reader {
        use std::os::fd::AsRawFd;
        // The same open file, not the same path: reopening through /proc/self/fd cannot land
        // on another file if the volume's path is replaced meanwhile.
        let direct = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT | libc::O_CLOEXEC)
            .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .ok();
        // Reads through the page cache then only take what it already holds: the kernel's
        // read-ahead would only fill it with what the direct reads fetch anyway.
        let advice = if direct.is_some() {
            libc::POSIX_FADV_RANDOM
        } else {
            libc::POSIX_FADV_SEQUENTIAL
        };
        // SAFETY: posix_fadvise only reads its integer arguments; an error is ignored, this is
        // advice.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, advice) };
        Reader { file, direct }
    }

    /// Reads `buf.len()` bytes at `pos` (fewer only at the end of the file): from the page cache
    /// if it holds all of them, else with `O_DIRECT` if `pos` and `buf` allow it (aligned to
    /// [`ALIGN`], a multiple of it long), else through the page cache.
    fn read_at(&mut self, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let mut done = 0;
        if self.direct.is_some()
            && pos % ALIGN as u64 == 0
            && !all_cached(&self.file, pos, buf.len())
        {
            while let Some(direct) = &self.direct
                && done < buf.len()
            {
                match direct.read_at(&mut buf[done..], pos + done as u64) {
                    Ok(0) => return Ok(done),
                    Ok(n) => {
                        done += n;
                        // A direct read ends short, unaligned, only at the end of the file.
                        if n % ALIGN != 0 {
                            return Ok(done);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // The device wants another alignment: the page cache takes over.
                    Err(e) if e.raw_os_error() == Some(libc::EINVAL) => self.direct = None,
                    Err(e) => return Err(e),
                }
            }
        }
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], pos + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// Whether the page cache holds every page of `len` bytes of `f` at `pos` (page-aligned).
/// `false` when it cannot tell.
fn all_cached(f: &std::fs::File, pos: u64, len: usize) -> bool {
    let mut pages = [0u8; READ_SIZE / ALIGN];
    len == 0
        || (residency(f, pos, len, &mut pages)
            && pages[..len.div_ceil(ALIGN)].iter().all(|p| p & 1 == 1))
}

/// Fills the front of `pages` with one byte per page of `len` bytes of `f` at `pos`
/// (page-aligned), bit 0 set where the page cache holds that page: `mincore` on a mapping of
/// them, which reads nothing from the disk. `false` when it cannot tell (`pages` too short, no
/// mapping).
fn residency(f: &std::fs::File, pos: u64, len: usize, pages: &mut [u8]) -> bool {
    use std::os::fd::AsRawFd;
    if len == 0 || len.div_ceil(ALIGN) > pages.len() {
        return len == 0;
    }
    // SAFETY: a read-only shared mapping of `len` bytes of the open file, never touched (pages
    // past the end of the file are not accessed either), unmapped before returning; mincore
    // writes one byte per page of it into `pages`, which has room for them (checked above; the
    // page size is ALIGN or the mapping fails).
    unsafe {
        let map = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            pos as libc::off_t,
        );
        if map == libc::MAP_FAILED {
            return false;
        }
        let ok = libc::mincore(map, len, pages.as_mut_ptr()) == 0;
        libc::munmap(map, len);
        ok
    }
}

/// The disk thread of a download: reads [`READ_SIZE`] at a time into up to [`BUFFERS`] buffers
/// (made as it needs them, then the ones `free` hands back) and queues them on `tx`, until the
/// data ends, an error (queued too), or the stream is gone.
fn read_ahead(
    f: std::fs::File,
    offset: u64,
    length: u64,
    tx: mpsc::Sender<Result<Chunk>>,
    free: std::sync::mpsc::Receiver<ReadBuf>,
) {
    let mut reader = Reader::new(f);
    let mut pos = offset;
    let mut left = if length == 0 { u64::MAX } else { length };
    let mut made = 0;
    loop {
        let next = match free.try_recv() {
            Ok(raw) => Ok(raw),
            Err(std::sync::mpsc::TryRecvError::Empty) if made < BUFFERS => {
                made += 1;
                ReadBuf::new(READ_SIZE)
                    .map_err(|e| Error::system(FROM, "cannot allocate a stream buffer", &e))
            }
            Err(_) => match free.recv() {
                Ok(raw) => Ok(raw),
                // The stream is gone.
                Err(_) => return,
            },
        };
        let mut raw = match next {
            Ok(raw) => raw,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let buf = &mut raw[..];
        // A read at an unaligned offset stops at the next aligned one; the others ask for
        // whole aligned units (what lies past `left` is read and dropped).
        let head = (ALIGN - (pos % ALIGN as u64) as usize) % ALIGN;
        let want = if head != 0 {
            head
        } else {
            left.min(READ_SIZE as u64).div_ceil(ALIGN as u64) as usize * ALIGN
        };
        let n = match reader.read_at(&mut buf[..want], pos) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.blocking_send(Err(read_err(&e)));
                return;
            }
        };
        let len = (n as u64).min(left) as usize;
        pos += len as u64;
        left -= len as u64;
        let last = n < want || left == 0;
        let chunk = Chunk { raw, len, last };
        if tx.blocking_send(Ok(chunk)).is_err() || last {
            return;
        }
    }
}

impl StreamBackend for Download {
    fn recv(&self, max: usize) -> BoxFuture<'_, Result<Vec<u8>>> {
        Box::pin(async move {
            let mut guard = self.state.lock().await;
            let s = &mut *guard;
            let want = max.min(BLOCK);
            if s.block.capacity() < want {
                s.block.reserve_exact(want - s.block.len());
            }
            // A packet takes the data of consecutive reads until it is full or the data ends.
            while s.block.len() < want && !s.done {
                match &s.chunk {
                    Some(c) if s.pos < c.len => {
                        let n = (want - s.block.len()).min(c.len - s.pos);
                        s.block.extend_from_slice(&c.raw[s.pos..s.pos + n]);
                        s.pos += n;
                    }
                    _ => {
                        if let Some(c) = s.chunk.take() {
                            if let Some(spent) = &s.spent {
                                let _ = spent.send(c.raw);
                            }
                            if c.last {
                                s.done = true;
                                break;
                            }
                        }
                        match s.rx.recv().await {
                            Some(Ok(c)) => {
                                s.chunk = Some(c);
                                s.pos = 0;
                            }
                            Some(Err(e)) => return Err(e),
                            None => s.done = true,
                        }
                    }
                }
            }
            Ok(std::mem::take(&mut s.block))
        })
    }

    fn send<'a>(&'a self, _data: &'a [u8]) -> BoxFuture<'a, Result<()>> {
        let ebadf = std::io::Error::from_raw_os_error(libc::EBADF);
        Box::pin(async move { Err(write_err(&ebadf)) })
    }

    fn finish(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let mut s = self.state.lock().await;
            s.rx.close();
            // The disk thread, waiting for a buffer, stops too.
            s.spent = None;
            drop(s);
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

/// Bytes of an upload queued between the stream and its writer thread. A client faster than
/// the disk waits for room (and, through rvirtd's stream queue, in its socket): the daemon holds
/// at most this much of one upload, plus one packet larger than it.
const QUEUED: usize = 16 << 20;
/// Queued packets are written together, up to this many bytes in one `writev`.
const BATCH: usize = 4 << 20;
/// The writer asks the kernel to start writing back every this many bytes, so the disk works
/// while the data arrives instead of all at once when the client finishes.
const WRITEBACK_STEP: u64 = 8 << 20;
/// Bytes written but not yet known to be on disk that one upload may leave in the page cache:
/// past this the writer waits for the oldest to reach the disk (and drops those pages, the
/// client has them), which holds it to the disk's pace.
const DIRTY_WINDOW: u64 = 64 << 20;

enum Msg {
    /// Data, with the share of [`QUEUED`] it holds until it is written.
    Data(Vec<u8>, tokio::sync::OwnedSemaphorePermit),
    Finish(oneshot::Sender<Result<()>>),
}

/// `virStorageVolUpload`'s stream.
pub(crate) struct Upload {
    tx: parking_lot::Mutex<Option<mpsc::Sender<Msg>>>,
    /// Room in the writer's queue, in bytes.
    room: std::sync::Arc<tokio::sync::Semaphore>,
    /// The writer's error, once it stopped on one.
    failed: std::sync::Arc<parking_lot::Mutex<Option<Error>>>,
    sent: AtomicU64,
    length: u64,
}

/// Where an upload writes.
struct Target {
    file: std::fs::File,
    /// Where in the file the data starts.
    offset: u64,
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
                offset: 0,
                replace: Some((path.to_path_buf(), tmp)),
            }
        } else {
            let mut file = vol;
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| write_err(&e))?;
            Target {
                file,
                offset,
                replace: None,
            }
        };
        // The byte budget bounds the queue; the count only has to let it fill with small packets.
        let (tx, rx) = mpsc::channel(1024);
        let failed = std::sync::Arc::new(parking_lot::Mutex::new(None));
        let f2 = failed.clone();
        std::thread::Builder::new()
            .name("rvirt-upload".into())
            .spawn(move || write_behind(target, rx, f2, end))
            .map_err(|e| Error::system(FROM, "cannot start a stream thread", &e))?;
        Ok(Upload {
            tx: parking_lot::Mutex::new(Some(tx)),
            room: std::sync::Arc::new(tokio::sync::Semaphore::new(QUEUED)),
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

/// Keeps the disk busy while an upload's data arrives: writeback of each [`WRITEBACK_STEP`] is
/// started as soon as it is written, and the writer waits for data older than [`DIRTY_WINDOW`]
/// to be on disk. `sync_file_range` reports write errors (and, once reported, a later
/// `fdatasync` no longer does): such an error fails the upload.
struct Writeback {
    fd: std::os::fd::RawFd,
    /// Writeback was started up to here.
    started: u64,
    /// Data up to here is on disk and out of the page cache.
    settled: u64,
    /// The file system does not take the hints: nothing to do.
    off: bool,
}

impl Writeback {
    fn new(file: &std::fs::File, offset: u64) -> Writeback {
        Writeback {
            fd: std::os::fd::AsRawFd::as_raw_fd(file),
            started: offset,
            settled: offset,
            off: false,
        }
    }

    /// Data up to `end` was written.
    fn written(&mut self, end: u64) -> std::io::Result<()> {
        if self.off || end < self.started + WRITEBACK_STEP {
            return Ok(());
        }
        self.range(self.started, end, libc::SYNC_FILE_RANGE_WRITE)?;
        self.started = end;
        if self.started - self.settled > DIRTY_WINDOW {
            let to = self.started - DIRTY_WINDOW / 2;
            self.range(
                self.settled,
                to,
                libc::SYNC_FILE_RANGE_WAIT_BEFORE
                    | libc::SYNC_FILE_RANGE_WRITE
                    | libc::SYNC_FILE_RANGE_WAIT_AFTER,
            )?;
            // SAFETY: posix_fadvise only reads its integer arguments; a bad descriptor or range
            // is an error return, ignored: this is advice.
            unsafe {
                libc::posix_fadvise(
                    self.fd,
                    self.settled as libc::off_t,
                    (to - self.settled) as libc::off_t,
                    libc::POSIX_FADV_DONTNEED,
                );
            }
            self.settled = to;
        }
        Ok(())
    }

    fn range(&mut self, from: u64, to: u64, flags: libc::c_uint) -> std::io::Result<()> {
        // SAFETY: sync_file_range only reads its integer arguments.
        let r = unsafe {
            libc::sync_file_range(
                self.fd,
                from as libc::off64_t,
                (to - from) as libc::off64_t,
                flags,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            // Not a file this applies to (a pipe, a file system without writeback).
            Some(libc::ESPIPE | libc::EINVAL | libc::ENOSYS) => {
                self.off = true;
                Ok(())
            }
            Some(libc::EINTR) => Ok(()),
            _ => Err(e),
        }
    }
}

/// Writes all of `bufs`, as few `writev`s as the kernel allows.
fn write_all_vectored(file: &mut std::fs::File, bufs: &[Vec<u8>]) -> std::io::Result<()> {
    let mut slices: Vec<std::io::IoSlice<'_>> =
        bufs.iter().map(|b| std::io::IoSlice::new(b)).collect();
    let mut left = &mut slices[..];
    while !left.is_empty() {
        match file.write_vectored(left) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => std::io::IoSlice::advance_slices(&mut left, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn write_behind(
    target: Target,
    mut rx: mpsc::Receiver<Msg>,
    failed: std::sync::Arc<parking_lot::Mutex<Option<Error>>>,
    end: EndGuard,
) {
    let Target {
        mut file,
        offset,
        replace,
    } = target;
    let mut temp = TempGuard(replace.as_ref().map(|(_, t)| t.clone()));
    let mut writeback = Writeback::new(&file, offset);
    let mut written = 0u64;
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut permits = Vec::new();
    let mut next = rx.blocking_recv();
    while let Some(msg) = next.take() {
        let reply = match msg {
            Msg::Finish(reply) => Some(reply),
            Msg::Data(d, permit) => {
                // Take what else is queued, up to a batch, into the same write.
                let mut size = d.len();
                batch.push(d);
                permits.push(permit);
                while size < BATCH {
                    match rx.try_recv() {
                        Ok(Msg::Data(d, permit)) => {
                            size += d.len();
                            batch.push(d);
                            permits.push(permit);
                        }
                        Ok(finish) => {
                            next = Some(finish);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let r = write_all_vectored(&mut file, &batch)
                    .and_then(|()| writeback.written(offset + written + size as u64));
                if let Err(e) = r {
                    *failed.lock() = Some(write_err(&e));
                    return;
                }
                written += size as u64;
                batch.clear();
                permits.clear();
                None
            }
        };
        if let Some(reply) = reply {
            let r = commit(&mut file, replace.as_ref(), written);
            if r.is_ok() {
                temp.0 = None;
            }
            // The volume is free again before the client hears the upload finished.
            drop(temp);
            drop(end);
            let _ = reply.send(r);
            return;
        }
        if next.is_none() {
            next = rx.blocking_recv();
        }
    }
}

/// Copies bytes `from..end` of `old` to the same offsets of `new`, data only: holes of a
/// sparse volume stay holes (a short upload into a large sparse volume must not allocate its
/// tail), and `new` ends at `end`. A file system that cannot tell holes copies everything.
fn copy_sparse(
    old: &mut std::fs::File,
    new: &mut std::fs::File,
    from: u64,
    end: u64,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = old.as_raw_fd();
    let seek = |pos: u64, whence: libc::c_int| -> std::io::Result<Option<u64>> {
        // SAFETY: lseek(2) on a descriptor `old` owns; it moves only that file's offset.
        let r = unsafe { libc::lseek(fd, pos as libc::off_t, whence) };
        if r >= 0 {
            return Ok(Some(r as u64));
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            // No data past `pos`.
            Some(libc::ENXIO) => Ok(None),
            // SEEK_DATA/SEEK_HOLE unknown here: all of it is data.
            Some(libc::EINVAL) if whence == libc::SEEK_DATA => Ok(Some(pos)),
            Some(libc::EINVAL) => Ok(Some(end)),
            _ => Err(e),
        }
    };
    let mut pos = from;
    while pos < end {
        let Some(data) = seek(pos, libc::SEEK_DATA)?.filter(|d| *d < end) else {
            break;
        };
        let hole = seek(data, libc::SEEK_HOLE)?.unwrap_or(end).min(end);
        old.seek(SeekFrom::Start(data))?;
        new.seek(SeekFrom::Start(data))?;
        let n = std::io::copy(&mut (&mut *old).take(hole - data), new)?;
        if n != hole - data {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the volume shrank during the upload",
            ));
        }
        pos = hole;
    }
    new.set_len(end)
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
            copy_sparse(&mut old, file, written, old_len).map_err(sys)?;
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
        self.send_owned(data.to_vec())
    }

    fn send_owned(&self, mut data: Vec<u8>) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            if self.length != 0 {
                let sent = self.sent.load(Ordering::Relaxed);
                if sent >= self.length {
                    let enospc = std::io::Error::from_raw_os_error(libc::ENOSPC);
                    return Err(write_err(&enospc));
                }
                data.truncate(data.len().min((self.length - sent) as usize));
            }
            if data.is_empty() {
                return Ok(());
            }
            let Some(tx) = self.tx.lock().clone() else {
                return Err(self.error());
            };
            // A packet larger than the whole budget takes all of it.
            let share = data.len().min(QUEUED) as u32;
            let Ok(permit) = self.room.clone().acquire_many_owned(share).await else {
                return Err(self.error());
            };
            let n = data.len() as u64;
            if tx.send(Msg::Data(data, permit)).await.is_err() {
                return Err(self.error());
            }
            self.sent.fetch_add(n, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, mpsc as std_mpsc};

    /// What rvirtd asks a download for at a time.
    const STREAM_MAX: usize = 262_120;

    /// Byte `i` of the uploaded data.
    fn pattern(i: usize) -> u8 {
        (i % 251) as u8
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Downloads across several reads of the disk thread, ending at the end of the file or at
    /// a length, each at an offset that is not a block's: every packet is at most a block and
    /// the bytes are the file's.
    #[test]
    fn download_reads_ahead_in_packet_sized_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("v.raw");
        let size = 2 * READ_SIZE + 12_345;
        std::fs::write(&vol, (0..size).map(pattern).collect::<Vec<u8>>()).unwrap();
        for (offset, length, want) in [
            (777, 0, size - 777),
            (5, READ_SIZE + 3, READ_SIZE + 3),
            (size - 10, 100, 10),
            (size, 0, 0),
        ] {
            let ended = Arc::new(AtomicBool::new(false));
            let e2 = ended.clone();
            let down = Download::start(
                &vol,
                offset as u64,
                length as u64,
                Box::new(move || e2.store(true, Ordering::SeqCst)),
            )
            .unwrap();
            let got = pollster::block_on(async {
                let mut got = Vec::new();
                loop {
                    // A caller may ask for less than a block: the rest follows.
                    let max = if offset == 5 { 100_000 } else { STREAM_MAX };
                    let b = down.recv(max).await.unwrap();
                    if b.is_empty() {
                        break;
                    }
                    assert!(b.len() <= BLOCK, "a packet of {} bytes", b.len());
                    got.extend_from_slice(&b);
                }
                down.finish().await.unwrap();
                got
            });
            assert_eq!(got.len(), want, "offset {offset} length {length}");
            assert!(
                got.iter()
                    .enumerate()
                    .all(|(i, b)| *b == pattern(offset + i)),
                "offset {offset} length {length}"
            );
            assert!(ended.load(Ordering::SeqCst));
        }
    }

    /// A read buffer is its own mapping: aligned to a huge page, as long as asked, zero,
    /// writable, and advised to be backed by huge pages where the kernel has them (`hg` among
    /// the mapping's flags in /proc/self/smaps).
    #[test]
    fn read_buffers_are_huge_page_aligned_mappings_of_their_own() {
        fn vma_flags(addr: usize) -> Option<String> {
            let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
            let mut inside = false;
            for line in smaps.lines() {
                if let Some((range, _)) = line.split_once(' ')
                    && let Some((from, to)) = range.split_once('-')
                    && let (Ok(from), Ok(to)) = (
                        usize::from_str_radix(from, 16),
                        usize::from_str_radix(to, 16),
                    )
                {
                    inside = from <= addr && addr < to;
                } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                    return Some(flags.trim().to_string());
                }
            }
            None
        }
        let mut buf = ReadBuf::new(READ_SIZE).unwrap();
        let addr = buf.as_ptr() as usize;
        assert_eq!(addr % HUGE, 0);
        assert_eq!(buf.len(), READ_SIZE);
        assert!(buf.iter().all(|b| *b == 0));
        buf[READ_SIZE - 1] = 7;
        buf[0] = 9;
        assert_eq!((buf[0], buf[READ_SIZE - 1]), (9, 7));
        let flags = vma_flags(addr).expect("the buffer's mapping in smaps");
        // The advice exists only in kernels with transparent huge pages.
        if Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists() {
            assert!(flags.split(' ').any(|f| f == "hg"), "mapping flags {flags}");
        }
    }

    /// Whether each page of `f` is in the page cache.
    fn cached_pages(f: &std::fs::File, len: usize) -> Vec<bool> {
        let mut pages = vec![0u8; len.div_ceil(ALIGN)];
        assert!(residency(f, 0, len, &mut pages));
        pages.iter().map(|b| b & 1 == 1).collect()
    }

    /// A download of a file of which only some stretches are in the page cache (a cached
    /// start, a stretch not cached from an unaligned offset, cached again, uncached to the
    /// unaligned end) gets the file's bytes, and, where the file system takes `O_DIRECT`, the
    /// stretches that were not cached stay out of the page cache.
    #[test]
    fn download_reads_what_is_not_cached_around_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("v.raw");
        let size = 3 * READ_SIZE + 5_000;
        std::fs::write(&vol, (0..size).map(pattern).collect::<Vec<u8>>()).unwrap();
        let f = std::fs::File::open(&vol).unwrap();
        f.sync_all().unwrap();
        let dropped = [
            (READ_SIZE / 2 + 1_000, READ_SIZE),
            (2 * READ_SIZE + 8_192, size),
        ];
        for (from, to) in dropped {
            // SAFETY: posix_fadvise only reads its integer arguments.
            let r = unsafe {
                libc::posix_fadvise(
                    std::os::fd::AsRawFd::as_raw_fd(&f),
                    from as libc::off_t,
                    (to - from) as libc::off_t,
                    libc::POSIX_FADV_DONTNEED,
                )
            };
            assert_eq!(r, 0);
        }
        let before = cached_pages(&f, size);
        let down = Download::start(&vol, 0, 0, Box::new(|| {})).unwrap();
        let got = pollster::block_on(async {
            let mut got = Vec::new();
            loop {
                let b = down.recv(STREAM_MAX).await.unwrap();
                if b.is_empty() {
                    break;
                }
                got.extend_from_slice(&b);
            }
            down.finish().await.unwrap();
            got
        });
        assert_eq!(got.len(), size);
        assert!(got.iter().enumerate().all(|(i, b)| *b == pattern(i)));
        let direct = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(&vol)
            .is_ok();
        // Pages wholly inside a dropped stretch that the drop did empty (tmpfs keeps them).
        let after = cached_pages(&f, size);
        let page = 4096;
        for (from, to) in dropped {
            for p in from.div_ceil(page)..to / page {
                if direct && !before[p] {
                    assert!(
                        !after[p],
                        "page {p} of a stretch read with O_DIRECT is cached"
                    );
                }
            }
        }
    }

    #[test]
    fn upload_writes_past_the_writeback_window_then_keeps_the_old_tail() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("v.raw");
        // The old volume is longer than the upload: its tail survives, as libvirt's in-place
        // write leaves it.
        let total = (DIRTY_WINDOW + 3 * WRITEBACK_STEP) as usize;
        std::fs::write(&vol, vec![0xEEu8; total + 4096]).unwrap();
        let ended = Arc::new(AtomicBool::new(false));
        let e2 = ended.clone();
        let up = Upload::start(
            &vol,
            0,
            0,
            Box::new(move || e2.store(true, Ordering::SeqCst)),
        )
        .unwrap();
        pollster::block_on(async {
            // Packets of odd sizes, as a client may send them, some owned, some borrowed.
            let mut at = 0;
            for (k, size) in [262_120usize, 1 << 20, 4097].iter().cycle().enumerate() {
                if at == total {
                    break;
                }
                let n = (*size).min(total - at);
                let data: Vec<u8> = (at..at + n).map(pattern).collect();
                if k % 2 == 0 {
                    up.send_owned(data).await.unwrap();
                } else {
                    up.send(&data).await.unwrap();
                }
                at += n;
            }
            up.finish().await.unwrap();
        });
        // The volume is given back before the finish is confirmed.
        assert!(ended.load(Ordering::SeqCst));
        assert_eq!(entries(dir.path()), ["v.raw"]);
        let got = std::fs::read(&vol).unwrap();
        assert_eq!(got.len(), total + 4096);
        assert!(
            got[..total]
                .iter()
                .enumerate()
                .all(|(i, b)| *b == pattern(i))
        );
        assert!(got[total..].iter().all(|b| *b == 0xEE));
    }

    /// A 4 KiB upload into a 1 GiB sparse volume with data near its end: the hole between
    /// stays a hole, the data at the end survives.
    #[test]
    fn short_upload_keeps_a_sparse_volume_sparse() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("v.raw");
        let size: u64 = 1 << 30;
        {
            let mut f = std::fs::File::create(&vol).unwrap();
            f.set_len(size).unwrap();
            f.seek(SeekFrom::Start(size - 8192)).unwrap();
            f.write_all(&[0xAB; 4096]).unwrap();
        }
        let up = Upload::start(&vol, 0, 0, Box::new(|| {})).unwrap();
        pollster::block_on(async {
            up.send(&[0x11; 4096]).await.unwrap();
            up.finish().await.unwrap();
        });
        let meta = std::fs::metadata(&vol).unwrap();
        assert_eq!(meta.len(), size);
        // The upload's block and the old data block, give or take file system granularity.
        assert!(
            meta.blocks() * 512 < 4 << 20,
            "{} bytes allocated",
            meta.blocks() * 512
        );
        let mut f = std::fs::File::open(&vol).unwrap();
        let mut buf = vec![0u8; 4096];
        f.read_exact(&mut buf).unwrap();
        assert!(buf.iter().all(|b| *b == 0x11));
        f.seek(SeekFrom::Start(size - 8192)).unwrap();
        f.read_exact(&mut buf).unwrap();
        assert!(buf.iter().all(|b| *b == 0xAB));
        f.seek(SeekFrom::Start(size / 2)).unwrap();
        f.read_exact(&mut buf).unwrap();
        assert!(buf.iter().all(|b| *b == 0));
    }

    #[test]
    fn aborted_upload_leaves_the_volume_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("v.raw");
        std::fs::write(&vol, b"old contents").unwrap();
        let (ended, end_rx) = std_mpsc::channel();
        let up = Upload::start(&vol, 0, 0, Box::new(move || ended.send(()).unwrap())).unwrap();
        pollster::block_on(async {
            for _ in 0..20 {
                up.send_owned(vec![7u8; 1 << 20]).await.unwrap();
            }
            up.abort().await.unwrap();
        });
        end_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        assert_eq!(entries(dir.path()), ["v.raw"]);
        assert_eq!(std::fs::read(&vol).unwrap(), b"old contents");
    }

    #[test]
    fn upload_with_a_length_refuses_what_is_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let vol = dir.path().join("v.raw");
        std::fs::write(&vol, b"0123456789").unwrap();
        let up = Upload::start(&vol, 2, 3, Box::new(|| {})).unwrap();
        pollster::block_on(async {
            up.send_owned(b"abcd".to_vec()).await.unwrap();
            let e = up.send(b"x").await.err().map(|e| e.message);
            assert_eq!(
                e.as_deref(),
                Some("cannot write to stream: No space left on device")
            );
            up.finish().await.unwrap();
        });
        assert_eq!(std::fs::read(&vol).unwrap(), b"01abc56789");
    }
}
