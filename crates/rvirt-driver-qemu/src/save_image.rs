//! The save image format of libvirt's QEMU driver, so that images move between rvirt and
//! libvirt: a 92-byte header (magic, version, length of the data area, whether the guest ran,
//! compression, offset of the save cookie), the data area (the domain XML, NUL-terminated, then
//! zero padding that leaves room for a larger XML later), then QEMU's migration stream.
//!
//! An image is written with the magic `LibvirtQemudPart` and gets `LibvirtQemudSave` only once
//! the migration stream is complete and on disk, so a crash mid-save leaves an image that is
//! recognised as incomplete, never one that restores a torn guest.

use crate::FROM;
use rvirt_types::{Error, ErrorNumber, Result};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The magic of a complete image.
pub(crate) const MAGIC: &[u8; 16] = b"LibvirtQemudSave";
/// The magic of an image whose migration stream is still being written.
pub(crate) const PARTIAL: &[u8; 16] = b"LibvirtQemudPart";
/// The header version written and the newest one read (2: compression field honoured).
pub(crate) const VERSION: u32 = 2;
/// Bytes in the header.
pub(crate) const HEADER_LEN: usize = 92;
/// Room left after the XML, as libvirt leaves it, so that an edited XML can grow.
const PADDING: usize = 64 * 1024;
/// The largest data area read back (the XML of a domain stays far below it).
const MAX_DATA: u32 = 64 << 20;
/// `compressed` of an image whose stream is stored as QEMU wrote it.
pub(crate) const RAW: u32 = 0;

/// The header fields after the magic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Format version.
    pub(crate) version: u32,
    /// Bytes of the data area (XML, cookie, padding) after the header.
    pub(crate) data_len: u32,
    /// Whether the guest was running (restore resumes it).
    pub(crate) was_running: bool,
    /// Compression of the migration stream (0: raw; libvirt's gzip, bzip2, xz, lzop: 1-4).
    pub(crate) compressed: u32,
    /// Where a save cookie starts inside the data area (0: none).
    pub(crate) cookie_offset: u32,
}

impl Header {
    /// The header bytes with `magic`, in this host's byte order as libvirt writes them.
    pub(crate) fn encode(&self, magic: &[u8; 16]) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..16].copy_from_slice(magic);
        let fields = [
            self.version,
            self.data_len,
            u32::from(self.was_running),
            self.compressed,
            self.cookie_offset,
        ];
        for (i, v) in fields.iter().enumerate() {
            b[16 + 4 * i..20 + 4 * i].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }
}

/// What reading an image found.
#[derive(Debug)]
pub(crate) enum Opened {
    /// A complete image: its header, its domain XML, and the file positioned at the start of
    /// the migration stream.
    Image(Header, String, File),
    /// An image too short to hold a header, or one whose stream was never finished: libvirt
    /// throws such a managed save image away and boots afresh.
    Corrupt(Error),
}

fn failed(detail: impl Into<String>) -> Error {
    Error::with_detail(FROM, ErrorNumber::OPERATION_FAILED, detail)
}

/// The header and data area for `xml`, with the magic of an unfinished image. `data_len`
/// keeps an existing image's area size (rewrites must fit in it); `None` sizes a new one.
pub(crate) fn prologue(
    xml: &str,
    was_running: bool,
    compressed: u32,
    data_len: Option<u32>,
    magic: &[u8; 16],
) -> Result<Vec<u8>> {
    let need = xml.len() + 1;
    let data_len = match data_len {
        Some(n) if need > n as usize => return Err(failed("new xml too large to fit in file")),
        Some(n) => n as usize,
        None => need + PADDING,
    };
    let header = Header {
        version: VERSION,
        data_len: u32::try_from(data_len).map_err(|_| failed("domain XML too large"))?,
        was_running,
        compressed,
        cookie_offset: 0,
    };
    let mut out = Vec::with_capacity(HEADER_LEN + data_len);
    out.extend_from_slice(&header.encode(magic));
    out.extend_from_slice(xml.as_bytes());
    out.resize(HEADER_LEN + data_len, 0);
    Ok(out)
}

/// Marks an image complete: the final magic over the first 16 bytes, then fsync.
pub(crate) fn finish(file: &File, path: &Path) -> Result<()> {
    file.write_all_at(MAGIC, 0)
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            Error::system(
                FROM,
                format!(
                    "failed to write header to domain save file '{}'",
                    path.display()
                ),
                &e,
            )
        })
}

/// Opens the image at `path` (for writing too when `write`) and reads its header and XML, with
/// libvirt's errors for a file that is not one.
pub(crate) fn open(path: &Path, write: bool) -> Result<Opened> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
        .map_err(|e| {
            Error::system(
                FROM,
                format!("Failed to open file '{}'", path.display()),
                &e,
            )
        })?;
    let mut raw = [0u8; HEADER_LEN];
    if file.read_exact(&mut raw).is_err() {
        return Ok(Opened::Corrupt(failed("failed to read qemu header")));
    }
    if raw[..16] != MAGIC[..] {
        if raw[..16] == PARTIAL[..] {
            return Ok(Opened::Corrupt(failed("save image is incomplete")));
        }
        return Err(failed("image magic is incorrect"));
    }
    let field = |i: usize| -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&raw[16 + 4 * i..20 + 4 * i]);
        u32::from_ne_bytes(w)
    };
    let mut h = Header {
        version: field(0),
        data_len: field(1),
        was_running: field(2) != 0,
        compressed: field(3),
        cookie_offset: field(4),
    };
    if h.version > VERSION {
        // Written on a host of the other byte order.
        h = Header {
            version: h.version.swap_bytes(),
            data_len: h.data_len.swap_bytes(),
            was_running: field(2).swap_bytes() != 0,
            compressed: h.compressed.swap_bytes(),
            cookie_offset: h.cookie_offset.swap_bytes(),
        };
    }
    if h.version > VERSION {
        return Err(failed(format!(
            "image version is not supported ({} > {VERSION})",
            h.version
        )));
    }
    if h.version < 2 {
        // Version 1 had the field but never a compressed stream.
        h.compressed = RAW;
    }
    if h.data_len == 0 || h.data_len > MAX_DATA || (h.data_len as i32) < 0 {
        return Err(failed(format!(
            "invalid header data length: {}",
            h.data_len as i32
        )));
    }
    let mut data = vec![0u8; h.data_len as usize];
    file.read_exact(&mut data)
        .map_err(|_| failed("failed to read domain XML"))?;
    let xml_len = match h.cookie_offset {
        0 => data.len(),
        n => (n as usize).min(data.len()),
    };
    let xml = &data[..xml_len];
    let end = xml.iter().position(|&c| c == 0).unwrap_or(xml.len());
    let xml =
        String::from_utf8(xml[..end].to_vec()).map_err(|_| failed("failed to read domain XML"))?;
    Ok(Opened::Image(h, xml, file))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    fn image(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join("img");
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn err_of(r: Result<Opened>) -> String {
        match r {
            Ok(Opened::Corrupt(e)) | Err(e) => e.to_string(),
            Ok(Opened::Image(..)) => panic!("read as an image"),
        }
    }

    #[test]
    fn round_trip_and_libvirt_layout() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = prologue("<domain/>", true, RAW, None, PARTIAL).unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + 10 + PADDING);
        assert_eq!(&bytes[16..20], &2u32.to_ne_bytes());
        assert_eq!(&bytes[20..24], &((10 + PADDING) as u32).to_ne_bytes());
        assert_eq!(&bytes[24..28], &1u32.to_ne_bytes());
        bytes.extend_from_slice(b"QEVM");
        let p = image(dir.path(), &bytes);
        let e = err_of(open(&p, false));
        assert!(e.contains("save image is incomplete"), "{e}");
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        finish(&f, &p).unwrap();
        let Opened::Image(h, xml, mut f) = open(&p, false).unwrap() else {
            panic!()
        };
        assert!(h.was_running && h.compressed == RAW);
        assert_eq!(xml, "<domain/>");
        let mut rest = String::new();
        f.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "QEVM", "the file is left at the migration stream");
    }

    #[test]
    fn refusals() {
        let dir = tempfile::tempdir().unwrap();
        let e = err_of(open(&image(dir.path(), b""), false));
        assert!(e.contains("failed to read qemu header"), "{e}");
        let e = err_of(open(&image(dir.path(), &[7u8; 200]), false));
        assert!(e.contains("image magic is incorrect"), "{e}");
        let mut b = prologue("<domain/>", false, RAW, None, MAGIC).unwrap();
        b[16..20].copy_from_slice(&3u32.to_ne_bytes());
        let e = err_of(open(&image(dir.path(), &b), false));
        assert!(
            e.contains("image version is not supported (50331648 > 2)"),
            "{e}"
        );
        let b = prologue("<domain/>", false, RAW, None, MAGIC).unwrap();
        let e = err_of(open(&image(dir.path(), &b[..200]), false));
        assert!(e.contains("failed to read domain XML"), "{e}");
        let e = err_of(open(&dir.path().join("none"), false));
        assert!(e.contains("Failed to open file"), "{e}");
        let e = prologue("<domain>long</domain>", false, RAW, Some(5), MAGIC).unwrap_err();
        assert!(e.to_string().contains("new xml too large to fit in file"));
    }
}
