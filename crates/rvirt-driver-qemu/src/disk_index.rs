//! The storage indexes of a starting guest's disks, as libvirt's QEMU driver numbers them:
//! from the last disk to the first, each disk's image and then the layers of its backing
//! chain, counting from 1 (a drive without a medium uses up a number too). The index names the image's
//! block nodes (`libvirt-2-format`) and shows in the live XML (`<source … index='2'/>`,
//! `<backingStore type='file' index='3'>`), where the chain, read from the qcow2 headers,
//! ends in an empty `<backingStore/>`.

use rvirt_conf::DomainDef;
use rvirt_conf::domain::DiskDef;
use rvirt_conf::raw::{RawElement, RawNode};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The deepest backing chain read (a loop of images must not hang a start).
const MAX_CHAIN: usize = 200;

/// A disk's storage index, when it has one.
pub(crate) fn index_of(d: &DiskDef) -> Option<u64> {
    d.source
        .as_ref()?
        .iter()
        .find(|(k, _)| k == "index")
        .and_then(|(_, v)| v.parse().ok())
}

/// Numbers the disks of `def` and records their backing chains, replacing what an earlier
/// run left there.
pub(crate) fn assign(def: &mut DomainDef) {
    let mut next = 0u64;
    for d in def.devices.disks.iter_mut().rev() {
        if let Some(src) = d.source.as_mut() {
            src.retain(|(k, _)| k != "index");
        }
        // A drive without a medium takes its number too (it shows nowhere).
        next += 1;
        let Some(path) = d.source_path().map(str::to_string) else {
            // Nor does it have a format while it has no medium (libvirt's live XML shows
            // `<driver name='qemu'/>`).
            if d.source.is_none() {
                d.driver.retain(|(k, _)| k != "type");
            }
            continue;
        };
        next = set(d, &path, next);
    }
}

/// The last storage index a running `def` has used, as near as its XML tells: its highest
/// one, or one per disk (a drive without a medium has one that shows nowhere) and one per
/// backing layer, as a start hands them out.
pub(crate) fn last_used(def: &DomainDef) -> u64 {
    let at_start: u64 = def
        .devices
        .disks
        .iter()
        .map(|d| {
            1 + d
                .backing_layers()
                .filter(|b| b.attr("index").is_some())
                .count() as u64
        })
        .sum();
    max_index(def).max(at_start)
}

/// The storage indexes of disk `d`'s chain from its image down, as far as the live XML
/// numbers them.
pub(crate) fn chain_indexes(d: &DiskDef) -> Vec<u64> {
    let Some(top) = index_of(d) else {
        return Vec::new();
    };
    std::iter::once(top)
        .chain(
            d.backing_layers()
                .map_while(|b| b.attr("index").and_then(|v| v.parse().ok())),
        )
        .collect()
}

/// `vda[N]` as a position in the disk's chain (`vda[1]` for the first backing image) when
/// N is one of the storage indexes the live XML shows; other names unchanged.
pub(crate) fn index_to_position(d: &DiskDef, name: &str) -> String {
    let parsed = name
        .strip_suffix(']')
        .and_then(|n| n.split_once('['))
        .and_then(|(t, i)| Some((t, i.parse::<u64>().ok()?)));
    if let Some((t, i)) = parsed
        && let Some(pos) = chain_indexes(d).iter().position(|x| *x == i)
    {
        return format!("{t}[{pos}]");
    }
    name.to_string()
}

/// The largest storage index `def` uses (0 when none).
fn max_index(def: &DomainDef) -> u64 {
    def.devices
        .disks
        .iter()
        .flat_map(|d| {
            let layers = d
                .backing_layers()
                .filter_map(|b| b.attr("index")?.parse().ok());
            index_of(d).into_iter().chain(layers)
        })
        .max()
        .unwrap_or(0)
}

/// Gives disk `d`, whose image is `path`, storage index `index` and its backing layers the
/// ones after it; the last index used.
pub(crate) fn set(d: &mut DiskDef, path: &str, index: u64) -> u64 {
    let mut next = index;
    if let Some(src) = d.source.as_mut() {
        src.retain(|(k, _)| k != "index");
        src.push(("index".into(), next.to_string()));
    }
    let format = d
        .driver
        .iter()
        .find(|(k, _)| k == "type")
        .map_or("raw", |(_, v)| v.as_str());
    let chain = if format == "qcow2" && d.actual_type() == "file" {
        backing_chain(Path::new(path))
    } else {
        Vec::new()
    };
    d.extra.retain(|e| e.name != "backingStore");
    let mut below = RawElement {
        name: "backingStore".into(),
        attrs: Vec::new(),
        children: Vec::new(),
    };
    let first = next + 1;
    next += chain.len() as u64;
    for (i, (file, fmt)) in chain.iter().enumerate().rev() {
        let el = |name: &str, attrs: Vec<(String, String)>| {
            RawNode::Element(RawElement {
                name: name.into(),
                attrs,
                children: Vec::new(),
            })
        };
        below = RawElement {
            name: "backingStore".into(),
            attrs: vec![
                ("type".into(), "file".into()),
                ("index".into(), (first + i as u64).to_string()),
            ],
            children: vec![
                el("format", vec![("type".into(), fmt.clone())]),
                el("source", vec![("file".into(), file.display().to_string())]),
                RawNode::Element(below),
            ],
        };
    }
    d.extra.insert(0, below);
    next
}

/// The backing images below a qcow2 image, each with its format (`raw` when the header names
/// none), as far as they can be read.
fn backing_chain(top: &Path) -> Vec<(PathBuf, String)> {
    let mut chain = Vec::new();
    let mut cur = top.to_path_buf();
    while chain.len() < MAX_CHAIN {
        let Some((name, format)) = qcow2_backing(&cur) else {
            break;
        };
        let path = match Path::new(&name) {
            p if p.is_absolute() => p.to_path_buf(),
            p => cur.parent().unwrap_or(Path::new("/")).join(p),
        };
        let format = format.unwrap_or_else(|| "raw".into());
        let qcow2 = format == "qcow2";
        chain.push((path.clone(), format));
        if !qcow2 {
            break;
        }
        cur = path;
    }
    chain
}

/// The backing file name and format a qcow2 header names, if any.
fn qcow2_backing(path: &Path) -> Option<(String, Option<String>)> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = vec![0u8; 4096];
    let n = read_full(&mut f, &mut head);
    head.truncate(n);
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(head.get(at..at + 4)?.try_into().ok()?))
    };
    let be64 = |at: usize| -> Option<u64> {
        Some(u64::from_be_bytes(head.get(at..at + 8)?.try_into().ok()?))
    };
    if head.get(0..4)? != b"QFI\xfb" {
        return None;
    }
    let version = be32(4)?;
    let offset = usize::try_from(be64(8)?).ok()?;
    let size = usize::try_from(be32(16)?).ok()?;
    if offset == 0 || size == 0 || size > 1023 {
        return None;
    }
    let name = String::from_utf8(head.get(offset..offset + size)?.to_vec()).ok()?;
    // Header extensions follow the header (72 bytes in version 2, its own length in 3).
    let mut at = if version >= 3 {
        usize::try_from(be32(100)?).ok()?
    } else {
        72
    };
    let mut format = None;
    while at + 8 <= head.len() && at < offset {
        let (kind, len) = (be32(at)?, usize::try_from(be32(at + 4)?).ok()?);
        if kind == 0 {
            break;
        }
        if kind == 0xE279_2ACA {
            format = String::from_utf8(head.get(at + 8..at + 8 + len)?.to_vec()).ok();
        }
        at += 8 + len.div_ceil(8) * 8;
    }
    Some((name, format))
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use rvirt_conf::{FormatOptions, ParseOptions};

    #[test]
    fn disks_count_from_the_last_with_their_chains() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base.raw");
        let top = dir.path().join("top.qcow2");
        std::fs::write(&base, vec![0u8; 65536]).unwrap();
        let ok = crate::util::host_command("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b", "base.raw"])
            .arg(&top)
            .status();
        if !ok.is_ok_and(|s| s.success()) {
            eprintln!("skipped: qemu-img is missing");
            return;
        }
        let xml = format!(
            "<domain type='qemu'><name>t</name><memory>65536</memory>\
             <os><type arch='x86_64'>hvm</type></os><devices>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
             <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>\
             <disk type='file' device='disk'><source file='{}'/>\
             <target dev='vdb' bus='virtio'/></disk></devices></domain>",
            top.display(),
            base.display()
        );
        let mut def = DomainDef::parse_xml(&xml, ParseOptions::default()).unwrap();
        assign(&mut def);
        assign(&mut def);
        let index = |dev: &str| {
            let d = def.devices.disks.iter().find(|d| d.target_dev == dev);
            index_of(d.unwrap())
        };
        let order: Vec<&str> = def.devices.disks.iter().map(|d| &*d.target_dev).collect();
        assert_eq!(order, ["vda", "vdb", "hdc"]);
        // hdc, the last disk, has no medium: it takes 1 where no one sees it.
        assert_eq!(
            (index("vda"), index("hdc"), index("vdb")),
            (Some(3), None, Some(2))
        );
        let out = def.format_xml(FormatOptions::default());
        let want = format!(
            "<source file='{}' index='3'/>\n      \
             <backingStore type='file' index='4'>\n        \
             <format type='raw'/>\n        \
             <source file='{}'/>\n        \
             <backingStore/>\n      \
             </backingStore>",
            top.display(),
            base.display()
        );
        assert!(out.contains(&want), "{out}");
        assert!(
            out.contains("index='2'/>\n      <backingStore/>\n"),
            "{out}"
        );
        // Block job names by index: vda[4] is vda's first backing image.
        let vda = def.devices.disks.iter().find(|d| d.target_dev == "vda");
        let vda = vda.unwrap();
        assert_eq!(chain_indexes(vda), [3, 4]);
        assert_eq!(index_to_position(vda, "vda[4]"), "vda[1]");
        assert_eq!(index_to_position(vda, "vda[3]"), "vda[0]");
        assert_eq!(index_to_position(vda, "/some/file"), "/some/file");
    }
}
