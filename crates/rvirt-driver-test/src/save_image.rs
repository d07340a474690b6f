//! The test driver's save image: the 15 bytes `TestGuestMagic\0`, the XML length as a native
//! 32-bit integer, then the domain XML — the same layout libvirt's test driver writes, so images
//! move between the two. Written to a temporary file and renamed, so a failed save never leaves a
//! half-written image behind.

use crate::{FROM, err};
use rvirt_conf::{DomainDef, FormatOptions, ParseOptions};
use rvirt_types::{Error, ErrorNumber, Result};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;

const MAGIC: &[u8; 15] = b"TestGuestMagic\0";
const MAX_XML: usize = 8192;

/// Writes `def` as a save image at `path`.
pub(crate) fn write(path: &str, def: &DomainDef) -> Result<()> {
    let xml = def.format_xml(FormatOptions {
        id: None,
        inactive: false,
        secure: true,
        migratable: false,
        status: false,
    });
    let fail = |e: &std::io::Error| {
        Error::system(
            FROM,
            format!("saving domain '{}' to '{path}': write failed", def.name),
            e,
        )
    };
    let target = std::path::Path::new(path);
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.rvirt-tmp"));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| {
                Error::system(
                    FROM,
                    format!("saving domain '{}' to '{path}': open failed", def.name),
                    &e,
                )
            })?;
        let len = i32::try_from(xml.len())
            .map_err(|_| err(ErrorNumber::INTERNAL_ERROR, "domain XML too large"))?;
        f.write_all(MAGIC).map_err(|e| fail(&e))?;
        f.write_all(&len.to_ne_bytes()).map_err(|e| fail(&e))?;
        f.write_all(xml.as_bytes()).map_err(|e| fail(&e))?;
        f.sync_all().map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, target).map_err(|e| fail(&e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a core dump of domain `name` at `path`: libvirt's test driver writes the save
/// image's magic alone.
pub(crate) fn write_core(path: &str, name: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            Error::system(
                FROM,
                format!("domain '{name}' coredump: failed to open {path}"),
                &e,
            )
        })?;
    f.write_all(MAGIC).map_err(|e| {
        Error::system(
            FROM,
            format!("domain '{name}' coredump: failed to write header to {path}"),
            &e,
        )
    })
}

/// Reads the domain definition from the save image at `path`.
pub(crate) fn read(path: &str) -> Result<DomainDef> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| Error::system(FROM, format!("cannot read domain image '{path}'"), &e))?;
    let mut magic = [0u8; 15];
    read_exact(&mut f, &mut magic)
        .map_err(|e| Error::system(FROM, format!("incomplete save header in '{path}'"), &e))?;
    if &magic != MAGIC {
        return Err(err(ErrorNumber::INTERNAL_ERROR, "mismatched header magic"));
    }
    let mut len = [0u8; 4];
    read_exact(&mut f, &mut len).map_err(|e| {
        Error::system(
            FROM,
            format!("failed to read metadata length in '{path}'"),
            &e,
        )
    })?;
    let len = i32::from_ne_bytes(len);
    if len < 1 || len as usize > MAX_XML {
        return Err(err(
            ErrorNumber::INTERNAL_ERROR,
            "length of metadata out of range",
        ));
    }
    let mut xml = vec![0u8; len as usize];
    read_exact(&mut f, &mut xml)
        .map_err(|e| Error::system(FROM, format!("incomplete metadata in '{path}'"), &e))?;
    let xml = String::from_utf8(xml).map_err(|_| {
        err(
            ErrorNumber::INTERNAL_ERROR,
            format!("incomplete metadata in '{path}'"),
        )
    })?;
    DomainDef::parse_xml(&xml, ParseOptions::default())
}

fn read_exact(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<()> {
    f.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            std::io::Error::from_raw_os_error(0)
        } else {
            e
        }
    })
}
