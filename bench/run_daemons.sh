#!/usr/bin/env bash
# Benchmarks rvirtd beside a real libvirtd (Debian's, test driver only) and a do-nothing daemon,
# all driven by the same python3-libvirt client (bench/daemon_bench.py) in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p rvirtd --bin rvirtd --example noop_daemon
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/lv/sock" "$work/lv/nodrivers" "$work/rv"
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
CONF
. bench/lib.sh

# The do-nothing daemon twice: one read per call (the floor), and two reads per call.
"$bin/examples/noop_daemon" "$work/noop.sock" & echo $! > "$work/noop.pid"
wait_sock "$work/noop.sock"
echo "noop:    $(/usr/bin/python3 bench/daemon_bench.py "$work/noop.sock" "$(cat "$work/noop.pid")" --info-only)"
kill "$(cat "$work/noop.pid")"; rm "$work/noop.pid" "$work/noop.sock"
"$bin/examples/noop_daemon" "$work/noop.sock" --two-reads & echo $! > "$work/noop.pid"
wait_sock "$work/noop.sock"
echo "noop2r:  $(/usr/bin/python3 bench/daemon_bench.py "$work/noop.sock" "$(cat "$work/noop.pid")" --info-only)"
kill "$(cat "$work/noop.pid")"; rm "$work/noop.pid"

LIBVIRT_DRIVER_DIR="$work/lv/nodrivers" /usr/sbin/libvirtd -f "$work/lv/libvirtd.conf" -p "$work/lv.pidfile" 2>/dev/null & echo $! > "$work/lv.pid"
wait_sock "$work/lv/sock/libvirt-sock"; sleep 0.5
echo "libvirtd: $(/usr/bin/python3 bench/daemon_bench.py "$work/lv/sock/libvirt-sock" "$(cat "$work/lv.pid")")"
kill "$(cat "$work/lv.pid")"; rm "$work/lv.pid"

"$bin/rvirtd" -f "$work/rv/rvirtd.conf" & echo $! > "$work/rv.pid"
wait_sock "$work/rv/sock/libvirt-sock"; sleep 0.5
echo "rvirtd:  $(/usr/bin/python3 bench/daemon_bench.py "$work/rv/sock/libvirt-sock" "$(cat "$work/rv.pid")")"
