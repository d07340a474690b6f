//! A small real Linux guest that runs the real QEMU guest agent, for tests of the calls that
//! go through the agent: Debian's cloud kernel, and an initramfs this module writes with
//! busybox, `qemu-ga` (with the host's copies of its libraries: same Debian release) and the
//! virtio modules it needs.
//!
//! The Debian packages come unpacked under [`GUEST_ROOT`] (or `$RVIRT_AGENT_GUEST_ROOT`);
//! `.ci/fetch-agent-guest` puts them there (`.ci/run` calls it).
//!
//! What the guest does at boot: loads virtio (PCI, memory, console, net, block), names itself
//! [`GUEST_HOSTNAME`], brings up `eth0` with the address given on the kernel command line as
//! `rvirt.ip=ADDR/PREFIX` (when it has a NIC; no IPv6), mounts the ext4 file system on
//! `/dev/vda` at [`GUEST_MOUNT`] (when it has a disk: see [`ext4_disk`]), prints [`GUEST_READY`] on the serial
//! console, and runs `qemu-ga` on the `org.qemu.guest_agent.0` port (again if it ends).
//! `/sbin/shutdown` powers it off or reboots it at once, as the agent asks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where `.ci/fetch-agent-guest` unpacks the guest's Debian packages.
pub const GUEST_ROOT: &str = "/var/cache/rvirt-test-guest/root";

/// The guest's host name.
pub const GUEST_HOSTNAME: &str = "rvirt-agent-guest";

/// Where the guest mounts its disk.
pub const GUEST_MOUNT: &str = "/mnt/data";

/// What the guest prints on its serial console when its agent is about to start.
pub const GUEST_READY: &str = "rvirt-agent-guest: ready";

/// The modules the guest loads, in dependency order.
const MODULES: &[&str] = &[
    "virtio_ring",
    "virtio",
    "virtio_pci_modern_dev",
    "virtio_pci_legacy_dev",
    "virtio_pci",
    "virtio_mem",
    "virtio_console",
    "failover",
    "net_failover",
    "virtio_net",
    "virtio_blk",
];

/// The guest's kernel and initramfs.
#[derive(Debug, Clone)]
pub struct AgentGuest {
    /// The kernel image (`<kernel>` of the domain).
    pub kernel: PathBuf,
    /// The initramfs (`<initrd>`).
    pub initrd: PathBuf,
}

/// The guest, built once per test process (a few MiB, under a second). Panics, saying how to
/// get them, when the Debian packages are not unpacked.
pub fn agent_guest() -> &'static AgentGuest {
    static GUEST: OnceLock<AgentGuest> = OnceLock::new();
    GUEST.get_or_init(|| {
        let root = std::env::var_os("RVIRT_AGENT_GUEST_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(GUEST_ROOT));
        let out = std::env::temp_dir().join(format!("rvirt-agent-guest-{}", std::process::id()));
        build(&root, &out).unwrap_or_else(|e| {
            panic!(
                "cannot build the agent test guest from {}: {e} (run .ci/fetch-agent-guest as root)",
                root.display()
            )
        })
    })
}

fn one_match(dir: &Path, prefix: &str) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .ok_or_else(|| format!("no {prefix}* in {}", dir.display()))
}

/// The shared libraries `binary` loads (host paths, the loader included), from `ldd`.
fn libraries(binary: &Path) -> Result<Vec<PathBuf>, String> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ldd {}: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut libs = Vec::new();
    for line in text.lines() {
        let path = match line.split_once("=>") {
            Some((_, right)) => right.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            libs.push(PathBuf::from(p));
        }
    }
    if libs.is_empty() {
        return Err(format!("ldd found no libraries for {}", binary.display()));
    }
    Ok(libs)
}

fn init_script() -> String {
    let modules = MODULES.join(" ");
    format!(
        r#"#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /var/run /sbin /usr/bin /usr/sbin /etc
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# IPv4 only: no address appears late (link-local IPv6 comes after duplicate detection).
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
# Memory a virtio-mem device plugs comes online at once, movable so that it can go again.
echo online_movable > /sys/devices/system/memory/auto_online_blocks
for m in {modules}; do insmod /lib/modules/$m.ko; done
hostname {GUEST_HOSTNAME}
ip link set lo up
for arg in $(cat /proc/cmdline); do
  case "$arg" in rvirt.ip=*) ip="${{arg#rvirt.ip=}}";; esac
done
i=0
while [ -n "$ip" ] && [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
if [ -n "$ip" ] && [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  ip addr add "$ip" dev eth0
fi
if [ -b /dev/vda ]; then
  mkdir -p {GUEST_MOUNT}
  mount -t ext4 /dev/vda {GUEST_MOUNT}
fi
port=""
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
  for p in /sys/class/virtio-ports/*; do
    [ -e "$p/name" ] && [ "$(cat $p/name)" = org.qemu.guest_agent.0 ] && port=/dev/${{p##*/}}
  done
  [ -z "$port" ] && sleep 0.1
  i=$((i+1))
done
echo "{GUEST_READY} port=$port" > /dev/ttyS0
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
while true; do
  /usr/sbin/qemu-ga -m virtio-serial -p "$port" -t /run -f /run/qemu-ga.pid > /dev/ttyS0 2>&1
  sleep 1
done
"#
    )
}

const SHUTDOWN: &str = "#!/bin/sh\n\
    # What qemu-ga runs for guest-shutdown: -P (power off), -H (halt) or -r (reboot), +0.\n\
    sync\n\
    for a in \"$@\"; do [ \"$a\" = -r ] && exec reboot -f; done\n\
    exec poweroff -f\n";

/// Builds the guest from the packages unpacked under `root` into `out`.
pub fn build(root: &Path, out: &Path) -> Result<AgentGuest, String> {
    let kernel = one_match(&root.join("boot"), "vmlinuz-")?;
    let version = kernel
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vmlinuz-"))
        .ok_or("bad kernel name")?
        .to_string();
    let modroot = root.join("lib/modules").join(&version).join("kernel");
    let qga = root.join("usr/sbin/qemu-ga");
    let busybox = root.join("bin/busybox");
    for p in [&qga, &busybox] {
        if !p.exists() {
            return Err(format!("{} is missing", p.display()));
        }
    }
    let mut cpio = Cpio::default();
    for d in [
        "bin",
        "sbin",
        "usr",
        "usr/bin",
        "usr/sbin",
        "lib",
        "lib64",
        "lib/modules",
        "etc",
        "root",
        "proc",
        "sys",
        "dev",
        "tmp",
        "run",
        "var",
        "mnt",
    ] {
        cpio.dir(d);
    }
    cpio.file("init", 0o755, init_script().as_bytes());
    cpio.file("bin/busybox", 0o755, &read(&busybox)?);
    cpio.file("usr/sbin/qemu-ga", 0o755, &read(&qga)?);
    cpio.file("sbin/shutdown", 0o755, SHUTDOWN.as_bytes());
    cpio.file("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n");
    cpio.file("etc/shadow", 0o600, b"root:*:19000:0:99999:7:::\n");
    cpio.file("etc/group", 0o644, b"root:x:0:\n");
    cpio.file(
        "etc/hostname",
        0o644,
        format!("{GUEST_HOSTNAME}\n").as_bytes(),
    );
    let mut made = std::collections::HashSet::new();
    for lib in libraries(&qga)? {
        let rel = lib.to_string_lossy().trim_start_matches('/').to_string();
        if let Some(parent) = Path::new(&rel).parent() {
            let mut acc = PathBuf::new();
            for c in parent.components() {
                acc.push(c);
                if made.insert(acc.clone()) {
                    cpio.dir(&acc.to_string_lossy());
                }
            }
        }
        cpio.file(&rel, 0o755, &read(&lib)?);
    }
    for m in MODULES {
        let found = find_module(&modroot, m)?;
        cpio.file(&format!("lib/modules/{m}.ko"), 0o644, &read(&found)?);
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let initrd = out.join("initrd.cpio");
    std::fs::write(&initrd, cpio.finish()).map_err(|e| format!("{}: {e}", initrd.display()))?;
    Ok(AgentGuest { kernel, initrd })
}

/// The domain XML of the agent guest named `name` for the QEMU driver (TCG, 256 MiB, two
/// vCPUs, ACPI so that both are seen): its serial console written to the file `console`, the
/// agent channel, a virtio NIC on user networking (MAC 52:54:00:aa:bb:cc, the guest takes
/// 192.0.2.10/24), and `extra_devices` (XML).
pub fn agent_guest_xml(name: &str, console: &str, extra_devices: &str) -> String {
    let g = agent_guest();
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>256</memory><vcpu>2</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{}</kernel><initrd>{}</initrd>\
         <cmdline>console=ttyS0 rvirt.ip=192.0.2.10/24 panic=-1</cmdline></os>\
         <features><acpi/><apic/></features><devices>\
         <serial type='file'><source path='{console}'/></serial>\
         <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\
         <interface type='user'><mac address='52:54:00:aa:bb:cc'/><model type='virtio'/>\
         </interface>{extra_devices}</devices></domain>",
        g.kernel.display(),
        g.initrd.display()
    )
}

/// Makes `path` a raw disk of `mib` MiB holding an empty ext4 file system (with the host's
/// `mkfs.ext4`), for the guest to mount.
pub fn ext4_disk(path: &Path, mib: u64) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_len(mib << 20)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let out = Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(path)
        .output()
        .map_err(|e| format!("mkfs.ext4: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "mkfs.ext4: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn read(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// The module file `name.ko` anywhere under `dir`.
fn find_module(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let mut stack = vec![dir.to_path_buf()];
    let want = format!("{name}.ko");
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().and_then(|n| n.to_str()) == Some(&want) {
                return Ok(p);
            }
        }
    }
    Err(format!("module {want} not found under {}", dir.display()))
}

/// A `newc` cpio archive, the format the kernel unpacks as an initramfs.
#[derive(Default)]
struct Cpio {
    data: Vec<u8>,
    ino: u32,
}

impl Cpio {
    fn entry(&mut self, name: &str, mode: u32, body: &[u8]) {
        self.ino += 1;
        let header = format!(
            "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            body.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.data.extend_from_slice(header.as_bytes());
        self.data.extend_from_slice(name.as_bytes());
        self.data.push(0);
        self.pad();
        self.data.extend_from_slice(body);
        self.pad();
    }

    fn pad(&mut self) {
        while self.data.len() % 4 != 0 {
            self.data.push(0);
        }
    }

    fn dir(&mut self, name: &str) {
        self.entry(name, 0o040755, &[]);
    }

    fn file(&mut self, name: &str, perm: u32, body: &[u8]) {
        self.entry(name, 0o100000 | perm, body);
    }

    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpio_entries_are_aligned_and_end_with_the_trailer() {
        let mut c = Cpio::default();
        c.dir("bin");
        c.file("init", 0o755, b"#!/bin/sh\n");
        let data = c.finish();
        assert_eq!(data.len() % 4, 0);
        assert!(data.starts_with(b"070701"));
        let text = String::from_utf8_lossy(&data);
        assert!(text.contains("init\0"));
        assert!(text.contains("TRAILER!!!\0"));
        // `cpio` itself reads it back, when the host has it.
        if let Ok(mut child) = Command::new("cpio")
            .args(["-t", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&data).unwrap();
            let out = child.wait_with_output().unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), "bin\ninit\n");
        }
    }
}
