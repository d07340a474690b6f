#!/usr/bin/env bash
# Volume upload and download of a 1 GiB raw volume in a dir pool through rvirtd (qemu:///system,
# state under a temporary rvirt_qemu_root) and through a real libvirtd 9.0 with only its storage
# driver and the fs/dir backend loaded (storage:///system), same python3-libvirt client
# (bench/storage_bench.py), same file system, one run; plus the disk's own bandwidth with dd.
# Needs root (libvirtd's storage driver runs privileged). SIZE_MIB overrides the size.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE_MIB:-1024}
cargo build --release -q -p rvirtd --bin rvirtd
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d /var/tmp/rvirt-storage-bench.XXXXXX)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/lv/sock" "$work/lv/drivers" "$work/lv/backends" "$work/rv"
ln -s /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_storage.so "$work/lv/drivers/"
ln -s /usr/lib/x86_64-linux-gnu/libvirt/storage-backend/libvirt_storage_backend_fs.so "$work/lv/backends/"
cat > "$work/lv/libvirtd.conf" <<CONF
unix_sock_dir = "$work/lv/sock"
unix_sock_rw_perms = "0777"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 0
CONF
cat > "$work/rv/rvirtd.conf" <<CONF
unix_sock_dir = "$work/rv/sock"
unix_sock_rw_perms = "0777"
listen_tls = 0
rvirt_qemu_root = "$work/rv/state"
CONF
wait_sock() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; exit 1; }

echo "disk (dd bs=1M count=$size conv=fdatasync on the same file system):"
dd if=/dev/zero of="$work/dd.bin" bs=1M count="$size" conv=fdatasync 2>&1 | tail -1
echo "disk read (dd bs=1M iflag=direct of the same file):"
dd if="$work/dd.bin" of=/dev/null bs=1M iflag=direct 2>&1 | tail -1
rm -f "$work/dd.bin"

LIBVIRT_DRIVER_DIR="$work/lv/drivers" LIBVIRT_STORAGE_BACKEND_DIR="$work/lv/backends" \
    /usr/sbin/libvirtd -f "$work/lv/libvirtd.conf" -p "$work/lv.pidfile" 2>"$work/lv.log" & echo $! > "$work/lv.pid"
wait_sock "$work/lv/sock/libvirt-sock"; sleep 0.5
echo "libvirtd: $(/usr/bin/python3 bench/storage_bench.py "storage+unix:///system?socket=$work/lv/sock/libvirt-sock" "$work/lvpool" "$size")"
kill "$(cat "$work/lv.pid")"; rm "$work/lv.pid"

"$target/release/rvirtd" -f "$work/rv/rvirtd.conf" 2>"$work/rv.log" & echo $! > "$work/rv.pid"
wait_sock "$work/rv/sock/libvirt-sock"; sleep 0.5
echo "rvirtd:   $(/usr/bin/python3 bench/storage_bench.py "qemu+unix:///system?socket=$work/rv/sock/libvirt-sock" "$work/rvpool" "$size")"
