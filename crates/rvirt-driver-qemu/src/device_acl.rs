//! Which host devices a guest's QEMU may open, limited as libvirt's cgroup v2 backend limits
//! them: a BPF program of type `cgroup_device` attached to the domain's unified group answers
//! every open or `mknod` of a device node by looking its number up in a hash map: the exact
//! (major, minor), then any minor of the major, any major with the minor, and any device. A
//! value holds the accesses allowed (`mknod`, read, write, shifted 16 bits up) and the device
//! types (block, character) it covers; a device found nowhere is refused (`EPERM`).
//!
//! The map starts with room for 64 rules, as libvirt's; a full map is replaced by one twice its
//! size behind a new program (attaching a program without flags replaces the group's old one).
//! A driver restarted finds the program attached to a running guest's group and its map again
//! through the kernel (`BPF_PROG_QUERY`, the program's map ids).

use crate::FROM;
use rvirt_types::{Error, ErrorNumber, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// `mknod` of the device node.
pub(crate) const ACCESS_MKNOD: u32 = 1;
/// Opening it for reading.
pub(crate) const ACCESS_READ: u32 = 2;
/// Opening it for writing.
pub(crate) const ACCESS_WRITE: u32 = 4;
/// Read and write.
pub(crate) const ACCESS_RW: u32 = ACCESS_READ | ACCESS_WRITE;
/// All three.
pub(crate) const ACCESS_RWM: u32 = ACCESS_RW | ACCESS_MKNOD;

/// A block device (the kernel's `BPF_DEVCG_DEV_BLOCK`).
const DEV_BLOCK: u32 = 1;
/// A character device (`BPF_DEVCG_DEV_CHAR`).
const DEV_CHAR: u32 = 2;

/// "Any" in a key's major or minor half.
const ANY: u32 = u32::MAX;

/// Rules a new map has room for.
const INITIAL_ENTRIES: u32 = 64;

/// The kinds of device node a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DevKind {
    /// Block devices (`b`).
    Block,
    /// Character devices (`c`).
    Char,
}

/// One rule: a device (or every minor of a major), its kind and the accesses allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    /// Block or character device.
    pub(crate) kind: DevKind,
    /// The major number.
    pub(crate) major: u32,
    /// The minor number; `None`: every one.
    pub(crate) minor: Option<u32>,
    /// `ACCESS_*` bits.
    pub(crate) access: u32,
}

impl Rule {
    /// The rule for the device node at `path` with `access`, as libvirt allows a path: `None`
    /// when it is no device node (a regular file, a folder), or, with `ignore_eacces`, when it
    /// cannot be looked at; an error ("Path '…' is not accessible") when it does not exist.
    pub(crate) fn for_path(path: &Path, access: u32, ignore_eacces: bool) -> Result<Option<Rule>> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if ignore_eacces && e.raw_os_error() == Some(libc::EACCES) => return Ok(None),
            Err(e) => {
                return Err(Error::system(
                    FROM,
                    format!("Path '{}' is not accessible", path.display()),
                    &e,
                ));
            }
        };
        let kind = if meta.file_type().is_char_device() {
            DevKind::Char
        } else if meta.file_type().is_block_device() {
            DevKind::Block
        } else {
            return Ok(None);
        };
        let rdev = meta.rdev();
        Ok(Some(Rule {
            kind,
            major: libc::major(rdev),
            minor: Some(libc::minor(rdev)),
            access,
        }))
    }

    /// Its key in the map: the major in the high half, the minor in the low one.
    fn key(&self) -> u64 {
        (u64::from(self.major) << 32) | u64::from(self.minor.unwrap_or(ANY))
    }

    /// Its value in the map: the accesses 16 bits up, the device kind below.
    fn value(&self) -> u32 {
        let kind = match self.kind {
            DevKind::Block => DEV_BLOCK,
            DevKind::Char => DEV_CHAR,
        };
        (self.access << 16) | kind
    }
}

/// The device map of a domain's group, and how many rules it holds and has room for.
#[derive(Debug)]
pub(crate) struct DeviceMap {
    map: OwnedFd,
    count: u32,
    max: u32,
}

impl DeviceMap {
    /// Attaches a new program to the unified group `group` whose map allows `rules` and
    /// nothing else. `None` when the kernel does not let this process (`EPERM`): as libvirt,
    /// the guest then runs unfiltered, with a warning.
    pub(crate) fn attach(group: &Path, rules: &[Rule]) -> Result<Option<DeviceMap>> {
        let mut max = INITIAL_ENTRIES;
        while (max as usize) < rules.len() {
            max *= 2;
        }
        let attached = (|| -> Result<DeviceMap> {
            let map = create_map(max)?;
            // A device named twice (a listed one a guest's device names too) is one entry.
            let mut keys: Vec<u64> = rules.iter().map(Rule::key).collect();
            keys.sort_unstable();
            keys.dedup();
            let dm = DeviceMap {
                map,
                count: keys.len() as u32,
                max,
            };
            for r in rules {
                dm.update(r.key(), r.value())?;
            }
            attach_program(group, &dm.map)?;
            Ok(dm)
        })();
        match attached {
            Ok(dm) => Ok(Some(dm)),
            Err(e) if e.code == ErrorNumber::SYSTEM_ERROR && e.int1 == libc::EPERM => {
                tracing::warn!(
                    "Group devices ACL is not accessible, disabling filtering: {}",
                    e.message
                );
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The map of the program attached to `group` (a guest started by an earlier driver), or
    /// `None` when it has none.
    pub(crate) fn find(group: &Path) -> Result<Option<DeviceMap>> {
        let dir = open_dir(group)?;
        let mut ids = [0u32; 4];
        let mut attr = ProgQueryAttr {
            target_fd: dir.as_raw_fd() as u32,
            attach_type: BPF_CGROUP_DEVICE,
            prog_ids: ids.as_mut_ptr() as u64,
            prog_cnt: ids.len() as u32,
            ..Default::default()
        };
        // SAFETY: the attribute is a valid BPF_PROG_QUERY one; `ids` outlives the call and
        // `prog_cnt` says its length.
        unsafe { bpf(BPF_PROG_QUERY, &mut attr) }
            .map_err(|e| sys_error("unable to query cgroup BPF progs", e))?;
        if attr.prog_cnt == 0 {
            return Ok(None);
        }
        let prog = fd_by_id(BPF_PROG_GET_FD_BY_ID, ids[0])
            .map_err(|e| sys_error("failed to get cgroup BPF prog FD", e))?;
        let mut map_id = 0u32;
        let mut info = [0u8; PROG_INFO_LEN];
        // nr_map_ids, then the pointer to the room for them.
        info[52..56].copy_from_slice(&1u32.to_ne_bytes());
        info[56..64].copy_from_slice(&(&mut map_id as *mut u32 as u64).to_ne_bytes());
        info_by_fd(&prog, &mut info)
            .map_err(|e| sys_error("failed to get cgroup BPF prog info", e))?;
        let nr_maps = u32::from_ne_bytes(info[52..56].try_into().unwrap_or_default());
        if nr_maps == 0 {
            return Err(Error::internal(FROM, "no map for cgroup BPF prog"));
        }
        let map = fd_by_id(BPF_MAP_GET_FD_BY_ID, map_id)
            .map_err(|e| sys_error("failed to get cgroup BPF map FD", e))?;
        let mut minfo = [0u8; MAP_INFO_LEN];
        info_by_fd(&map, &mut minfo)
            .map_err(|e| sys_error("failed to get cgroup BPF map info", e))?;
        let max = u32::from_ne_bytes(minfo[16..20].try_into().unwrap_or_default());
        let mut dm = DeviceMap { map, count: 0, max };
        dm.count = dm.entries()?.len() as u32;
        Ok(Some(dm))
    }

    /// Allows `rule` (replacing what the map held for the same device), in a bigger map behind
    /// a new program on `group` when this one is full.
    pub(crate) fn allow(&mut self, group: &Path, rule: &Rule) -> Result<()> {
        let new = self.lookup(rule.key())?.is_none();
        if new && self.count >= self.max {
            self.grow(group)?;
        }
        self.update(rule.key(), rule.value())?;
        if new {
            self.count += 1;
        }
        Ok(())
    }

    /// Takes the accesses of `rule` away from its device (the entry goes once nothing is left).
    pub(crate) fn deny(&mut self, rule: &Rule) -> Result<()> {
        let key = rule.key();
        let Some(old) = self.lookup(key)? else {
            return Ok(());
        };
        let left = old & !rule.value();
        if left == 0 {
            let mut attr = ElemAttr {
                map_fd: self.map.as_raw_fd() as u32,
                key: &key as *const u64 as u64,
                ..Default::default()
            };
            // SAFETY: a valid BPF_MAP_DELETE_ELEM attribute; the key outlives the call.
            unsafe { bpf(BPF_MAP_DELETE_ELEM, &mut attr) }
                .map_err(|e| sys_error("failed to remove device from BPF cgroup map", e))?;
            self.count = self.count.saturating_sub(1);
            Ok(())
        } else {
            self.update(key, left)
        }
    }

    /// Every (key, value) of the map.
    pub(crate) fn entries(&self) -> Result<Vec<(u64, u32)>> {
        let mut out = Vec::new();
        let mut prev: Option<u64> = None;
        loop {
            let mut next = 0u64;
            let mut attr = ElemAttr {
                map_fd: self.map.as_raw_fd() as u32,
                key: prev.as_ref().map_or(0, |k| k as *const u64 as u64),
                value: &mut next as *mut u64 as u64,
                ..Default::default()
            };
            // SAFETY: a valid BPF_MAP_GET_NEXT_KEY attribute (a null key asks for the first);
            // both words outlive the call.
            match unsafe { bpf(BPF_MAP_GET_NEXT_KEY, &mut attr) } {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(out),
                Err(e) => return Err(sys_error("failed to list the BPF cgroup map", e)),
            }
            if let Some(v) = self.lookup(next)? {
                out.push((next, v));
            }
            prev = Some(next);
        }
    }

    fn lookup(&self, key: u64) -> Result<Option<u32>> {
        let mut value = 0u32;
        let mut attr = ElemAttr {
            map_fd: self.map.as_raw_fd() as u32,
            key: &key as *const u64 as u64,
            value: &mut value as *mut u32 as u64,
            ..Default::default()
        };
        // SAFETY: a valid BPF_MAP_LOOKUP_ELEM attribute; key and value outlive the call and
        // have the map's sizes.
        match unsafe { bpf(BPF_MAP_LOOKUP_ELEM, &mut attr) } {
            Ok(_) => Ok(Some(value)),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(sys_error("failed to look up device in BPF cgroup map", e)),
        }
    }

    /// Sets the value of `key` (the caller counts a new entry).
    fn update(&self, key: u64, value: u32) -> Result<()> {
        let mut attr = ElemAttr {
            map_fd: self.map.as_raw_fd() as u32,
            key: &key as *const u64 as u64,
            value: &value as *const u32 as u64,
            ..Default::default()
        };
        // SAFETY: a valid BPF_MAP_UPDATE_ELEM attribute (BPF_ANY); key and value outlive the
        // call and have the map's sizes.
        unsafe { bpf(BPF_MAP_UPDATE_ELEM, &mut attr) }
            .map(|_| ())
            .map_err(|e| sys_error("failed to update device in BPF cgroup map", e))
    }

    /// Moves the rules to a map twice the size, behind a new program on `group`.
    fn grow(&mut self, group: &Path) -> Result<()> {
        let entries = self.entries()?;
        let max = self.max * 2;
        let bigger = DeviceMap {
            map: create_map(max)?,
            count: entries.len() as u32,
            max,
        };
        for (k, v) in entries {
            bigger.update(k, v)?;
        }
        attach_program(group, &bigger.map)?;
        *self = bigger;
        Ok(())
    }
}

/// A new hash map with room for `max` rules (8-byte keys, 4-byte values); a refusal with
/// `EPERM` gets libvirt's advice on the locked memory limit.
fn create_map(max: u32) -> Result<OwnedFd> {
    let mut attr = MapCreateAttr {
        map_type: BPF_MAP_TYPE_HASH,
        key_size: 8,
        value_size: 4,
        max_entries: max,
        ..Default::default()
    };
    // SAFETY: a valid BPF_MAP_CREATE attribute.
    match unsafe { bpf(BPF_MAP_CREATE, &mut attr) } {
        // SAFETY: the kernel returned a new descriptor that nothing else owns.
        Ok(fd) => Ok(unsafe { OwnedFd::from_raw_fd(fd) }),
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Err(sys_error(
            "failed to initialize device BPF map; locked memory limit for the driver probably \
             needs to be raised",
            e,
        )),
        Err(e) => Err(sys_error("failed to initialize device BPF map", e)),
    }
}

/// Loads the filter over `map` and attaches it to `group`, replacing any program there.
fn attach_program(group: &Path, map: &OwnedFd) -> Result<()> {
    let insns = program(map.as_raw_fd());
    let license = c"GPL";
    let mut attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: insns.len() as u32,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        ..Default::default()
    };
    // SAFETY: a valid BPF_PROG_LOAD attribute; instructions and license outlive the call.
    let prog = unsafe { bpf(BPF_PROG_LOAD, &mut attr) }
        .map_err(|e| sys_error("failed to load cgroup BPF prog", e))?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    let prog = unsafe { OwnedFd::from_raw_fd(prog) };
    let dir = open_dir(group)?;
    let mut attr = ProgAttachAttr {
        target_fd: dir.as_raw_fd() as u32,
        attach_bpf_fd: prog.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    // SAFETY: a valid BPF_PROG_ATTACH attribute.
    unsafe { bpf(BPF_PROG_ATTACH, &mut attr) }
        .map_err(|e| sys_error("failed to attach cgroup BPF prog", e))?;
    // The group holds the program now, and the program its map.
    Ok(())
}

fn open_dir(group: &Path) -> Result<std::fs::File> {
    std::fs::File::open(group)
        .map_err(|e| Error::system(FROM, format!("unable to open '{}'", group.display()), &e))
}

fn sys_error(what: &str, e: std::io::Error) -> Error {
    Error::system(FROM, what.to_string(), &e)
}

/// Whether the kernel filters device access through BPF programs on the unified hierarchy
/// mounted at `mount` (libvirt asks it the same way: a query of the root's programs).
pub(crate) fn available(mount: &Path) -> bool {
    let Ok(dir) = std::fs::File::open(mount) else {
        return false;
    };
    let mut attr = ProgQueryAttr {
        target_fd: dir.as_raw_fd() as u32,
        attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    // SAFETY: a valid BPF_PROG_QUERY attribute asking for the count only.
    unsafe { bpf(BPF_PROG_QUERY, &mut attr) }.is_ok()
}

// ---------------------------------------------------------------- the program

/// One BPF instruction: opcode, destination and source registers, offset, immediate.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

const fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

// Opcodes (class | operation | source).
const LDX_W: u8 = 0x61; // dst = *(u32 *)(src + off)
const STX_DW: u8 = 0x7b; // *(u64 *)(dst + off) = src
const MOV64_X: u8 = 0xbf; // dst = src
const MOV64_K: u8 = 0xb7; // dst = imm (sign-extended)
const MOV32_K: u8 = 0xb4; // dst = (u32) imm
const LSH64_K: u8 = 0x67; // dst <<= imm
const OR64_X: u8 = 0x4f; // dst |= src
const AND64_X: u8 = 0x5f; // dst &= src
const ADD64_K: u8 = 0x07; // dst += imm
const JEQ_K: u8 = 0x15; // if dst == imm goto +off
const JEQ_X: u8 = 0x1d; // if dst == src goto +off
const CALL: u8 = 0x85;
const EXIT: u8 = 0x95;
const LD_IMM64: u8 = 0x18; // two slots; with src 1, imm is a map's descriptor
const PSEUDO_MAP_FD: u8 = 1;
const FUNC_MAP_LOOKUP_ELEM: i32 = 1;

// Registers: r0 result, r1-r5 arguments, r6-r9 kept across calls, r10 the frame.
const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R6: u8 = 6;
const R7: u8 = 7;
const R10: u8 = 10;

/// The filter over the map with descriptor `map_fd`. The context (`struct
/// bpf_cgroup_dev_ctx`) holds the request (accesses 16 bits up, the device's kind) at offset 0,
/// the major at 4 and the minor at 8. r7 keeps the request; each of the four lookups builds its
/// key in r1, and an entry whose value has every bit of the request allows it.
fn program(map_fd: i32) -> Vec<Insn> {
    let mut p = vec![insn(MOV64_X, R6, R1, 0, 0), insn(LDX_W, R7, R6, 0, 0)];
    // The four keys, most precise first.
    let keys: [Vec<Insn>; 4] = [
        // major << 32 | minor
        vec![
            insn(LDX_W, R1, R6, 4, 0),
            insn(LSH64_K, R1, 0, 0, 32),
            insn(LDX_W, R2, R6, 8, 0),
            insn(OR64_X, R1, R2, 0, 0),
        ],
        // major << 32 | any
        vec![
            insn(LDX_W, R1, R6, 4, 0),
            insn(LSH64_K, R1, 0, 0, 32),
            insn(MOV32_K, R2, 0, 0, -1),
            insn(OR64_X, R1, R2, 0, 0),
        ],
        // any << 32 | minor
        vec![
            insn(MOV64_K, R1, 0, 0, -1),
            insn(LSH64_K, R1, 0, 0, 32),
            insn(LDX_W, R2, R6, 8, 0),
            insn(OR64_X, R1, R2, 0, 0),
        ],
        // any device
        vec![insn(MOV64_K, R1, 0, 0, -1)],
    ];
    // Each lookup block, after its key: store it on the stack, look it up, and on a hit
    // compare. `JUMP_TO_ALLOW` is patched once the blocks are laid out.
    const JUMP_TO_ALLOW: i16 = i16::MIN;
    for key in keys {
        p.extend(key);
        p.extend([
            insn(STX_DW, R10, R1, -8, 0),
            insn(MOV64_X, R2, R10, 0, 0),
            insn(ADD64_K, R2, 0, 0, -8),
            insn(LD_IMM64, R1, PSEUDO_MAP_FD, 0, map_fd),
            insn(0, 0, 0, 0, 0),
            insn(CALL, 0, 0, 0, FUNC_MAP_LOOKUP_ELEM),
            // Not found: the next block.
            insn(JEQ_K, R0, 0, 3, 0),
            insn(LDX_W, R1, R0, 0, 0),
            insn(AND64_X, R1, R7, 0, 0),
            insn(JEQ_X, R1, R7, JUMP_TO_ALLOW, 0),
        ]);
    }
    // Refused, then allowed.
    p.extend([
        insn(MOV64_K, R0, 0, 0, 0),
        insn(EXIT, 0, 0, 0, 0),
        insn(MOV64_K, R0, 0, 0, 1),
        insn(EXIT, 0, 0, 0, 0),
    ]);
    let allow = p.len() - 2;
    for (i, ins) in p.iter_mut().enumerate() {
        if ins.code == JEQ_X && ins.off == JUMP_TO_ALLOW {
            ins.off = (allow - i - 1) as i16;
        }
    }
    p
}

// ---------------------------------------------------------------- the bpf(2) system call

const BPF_MAP_CREATE: i32 = 0;
const BPF_MAP_LOOKUP_ELEM: i32 = 1;
const BPF_MAP_UPDATE_ELEM: i32 = 2;
const BPF_MAP_DELETE_ELEM: i32 = 3;
const BPF_MAP_GET_NEXT_KEY: i32 = 4;
const BPF_PROG_LOAD: i32 = 5;
const BPF_PROG_ATTACH: i32 = 8;
const BPF_PROG_GET_FD_BY_ID: i32 = 13;
const BPF_MAP_GET_FD_BY_ID: i32 = 14;
const BPF_OBJ_GET_INFO_BY_FD: i32 = 15;
const BPF_PROG_QUERY: i32 = 16;

const BPF_MAP_TYPE_HASH: u32 = 1;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;

/// How much of `struct bpf_prog_info` is asked for (up to and with `map_ids`).
const PROG_INFO_LEN: usize = 64;
/// How much of `struct bpf_map_info` is asked for (up to and with `max_entries`).
const MAP_INFO_LEN: usize = 24;

#[repr(C)]
#[derive(Default)]
struct MapCreateAttr {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
}

#[repr(C)]
#[derive(Default)]
struct ElemAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

#[repr(C)]
#[derive(Default)]
struct ProgAttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
}

#[repr(C)]
#[derive(Default)]
struct ProgQueryAttr {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    _pad: u32,
}

#[repr(C)]
#[derive(Default)]
struct IdAttr {
    id: u32,
    next_id: u32,
    open_flags: u32,
}

#[repr(C)]
#[derive(Default)]
struct InfoAttr {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// `bpf(cmd, attr, sizeof attr)`: the descriptor or value it returns.
///
/// # Safety
/// `attr` must be a valid attribute for `cmd`, and every pointer in it valid for what the
/// kernel reads or writes through it during the call.
unsafe fn bpf<A>(cmd: i32, attr: &mut A) -> std::io::Result<i32> {
    // SAFETY: the caller vouches for the attribute; its size is passed with it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut A as *mut libc::c_void,
            std::mem::size_of::<A>() as libc::c_uint,
        )
    };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(rc as i32)
    }
}

/// A descriptor for the program or map (`cmd`) with kernel id `id`.
fn fd_by_id(cmd: i32, id: u32) -> std::io::Result<OwnedFd> {
    let mut attr = IdAttr {
        id,
        ..Default::default()
    };
    // SAFETY: a valid BPF_*_GET_FD_BY_ID attribute.
    let fd = unsafe { bpf(cmd, &mut attr) }?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The kernel's information on the program or map behind `fd`, into `info`.
fn info_by_fd(fd: &OwnedFd, info: &mut [u8]) -> std::io::Result<()> {
    let mut attr = InfoAttr {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: info.len() as u32,
        info: info.as_mut_ptr() as u64,
    };
    // SAFETY: a valid BPF_OBJ_GET_INFO_BY_FD attribute; `info` outlives the call and
    // `info_len` says its length (and any pointer set in it points to live memory).
    unsafe { bpf(BPF_OBJ_GET_INFO_BY_FD, &mut attr) }.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_are_the_kernels_layout() {
        let r = Rule {
            kind: DevKind::Char,
            major: 1,
            minor: Some(7),
            access: ACCESS_RW,
        };
        assert_eq!(r.key(), 0x0000_0001_0000_0007);
        assert_eq!(r.value(), 0x0006_0002);
        let pty = Rule {
            kind: DevKind::Char,
            major: 136,
            minor: None,
            access: ACCESS_RW,
        };
        assert_eq!(pty.key(), 0x0000_0088_ffff_ffff);
        let disk = Rule {
            kind: DevKind::Block,
            major: 7,
            minor: Some(0),
            access: ACCESS_READ,
        };
        assert_eq!(disk.value(), 0x0002_0001);
    }

    #[test]
    fn the_program_jumps_only_forward_to_its_ends() {
        let p = program(3);
        assert_eq!(p.last().map(|i| i.code), Some(EXIT));
        let allow = p.len() - 2;
        for (i, ins) in p.iter().enumerate() {
            match ins.code {
                JEQ_X => assert_eq!(i + 1 + ins.off as usize, allow),
                JEQ_K => assert!(ins.off > 0 && i + 1 + (ins.off as usize) < allow),
                _ => {}
            }
        }
        // Four lookups, each loading the map.
        assert_eq!(p.iter().filter(|i| i.code == LD_IMM64).count(), 4);
    }

    #[test]
    fn a_full_map_moves_to_a_bigger_one_a_restarted_driver_finds() {
        let top = Path::new("/sys/fs/cgroup/unified");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 || !top.is_dir() || !available(top) {
            return;
        }
        let group = top.join(format!("rvirt-acl-test-{}", std::process::id()));
        std::fs::create_dir(&group).unwrap();
        let rule = |minor: u32| Rule {
            kind: DevKind::Char,
            major: 300,
            minor: Some(minor),
            access: ACCESS_RW,
        };
        // The same device twice is one entry.
        let mut dm = DeviceMap::attach(&group, &[rule(0), rule(0)])
            .unwrap()
            .unwrap();
        assert_eq!((dm.count, dm.max), (1, INITIAL_ENTRIES));
        for minor in 1..70 {
            dm.allow(&group, &rule(minor)).unwrap();
        }
        dm.allow(&group, &rule(5)).unwrap();
        assert_eq!((dm.count, dm.max), (70, 2 * INITIAL_ENTRIES));
        dm.deny(&rule(3)).unwrap();
        let found = DeviceMap::find(&group).unwrap().unwrap();
        assert_eq!((found.count, found.max), (69, 2 * INITIAL_ENTRIES));
        assert_eq!(found.entries().unwrap().len(), 69);
        drop((dm, found));
        std::fs::remove_dir(&group).unwrap();
    }

    #[test]
    fn a_path_that_is_no_device_gets_no_rule() {
        assert_eq!(
            Rule::for_path(Path::new("/"), ACCESS_RW, false).unwrap(),
            None
        );
        let null = Rule::for_path(Path::new("/dev/null"), ACCESS_RW, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            (null.kind, null.major, null.minor),
            (DevKind::Char, 1, Some(3))
        );
        let e = Rule::for_path(Path::new("/dev/no-such-device"), ACCESS_RW, false).unwrap_err();
        assert_eq!(e.code, ErrorNumber::SYSTEM_ERROR);
        assert!(
            e.message
                .contains("Path '/dev/no-such-device' is not accessible"),
            "{}",
            e.message
        );
    }
}
