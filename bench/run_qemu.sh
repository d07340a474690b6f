#!/usr/bin/env bash
# QEMU domain lifecycle beside libvirt 9.0 and beside the floor, in one run: the same 64 MiB
# no-disk TCG guest (and a 512 MiB one whose RAM a tiny multiboot kernel, bench/qemu/fill.S,
# fills with pseudo-random bytes) started, suspended, resumed, destroyed, saved and restored by
#   - the floor: bench/qemu_bench.py itself runs QEMU with the argv rvirt builds
#     (domxml-to-native) and drives it over QMP;
#   - rvirt in-process on qemu:///embed (crates/rvirt-driver-qemu/examples/lifecycle_bench.rs,
#     its serve mode, taking its turn in each round);
#   - rvirtd (release build, qemu:///system with rvirt_qemu_root), through python3-libvirt;
#   - Debian's libvirtd, its QEMU driver in session mode as user nobody (its own folders under
#     the work dir: no host state touched), through the same python3-libvirt client.
# Must run as root. N rounds (default 10): bench/run_qemu.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -n "${RVIRTD:-}" ] || cargo build --release -q -p rvirtd --bin rvirtd
[ -n "${EMBED_BENCH:-}" ] || cargo build --release -q -p rvirt-driver-qemu --example lifecycle_bench
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d /tmp/qemu-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
    for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    sleep 0.5
    rm -rf "$work"
}
trap cleanup EXIT
as --32 bench/qemu/fill.S -o "$work/fill.o"
ld -m elf_i386 -Ttext=0x100000 --oformat binary "$work/fill.o" -o "$work/fill.bin"
mkdir -p "$work/saves" "$work/lv/home" "$work/lv/run"
chmod 1777 "$work/saves"
chown -R nobody "$work/lv"; chmod 700 "$work/lv/run"
. bench/lib.sh
start_rvirtd rv "${RVIRTD:-$target/release/rvirtd}"

runuser -u nobody -- env HOME="$work/lv/home" XDG_RUNTIME_DIR="$work/lv/run" \
    XDG_CONFIG_HOME="$work/lv/home/.config" XDG_CACHE_HOME="$work/lv/home/.cache" \
    /usr/sbin/libvirtd 2>"$work/lv/log" & echo $! > "$work/lv.pid"
wait_sock "$work/lv/run/libvirt/libvirt-sock"
lv_uri="qemu+unix:///session?socket=$work/lv/run/libvirt/libvirt-sock"
# Let libvirtd probe QEMU's capabilities before anything is timed.
/usr/bin/python3 -c "import libvirt,sys; libvirt.open(sys.argv[1]).getCapabilities()" "$lv_uri"

# rvirt in-process (qemu:///embed: no daemon, no RPC) takes its turn in the same rounds, in a
# helper process that times each call itself.
EMBED_BENCH="${EMBED_BENCH:-$target/release/examples/lifecycle_bench}" \
    /usr/bin/python3 bench/qemu_bench.py "$work" \
    "qemu+unix:///system?socket=$work/rv/sock/libvirt-sock" "$lv_uri" "${1:-10}"
