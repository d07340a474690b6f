#!/usr/bin/env bash
# Volume upload and download of a 1 GiB raw volume in a dir pool through rvirtd (qemu:///system,
# state under a temporary rvirt_qemu_root) and through a real libvirtd 9.0 with only its storage
# driver and the fs/dir backend loaded (storage:///system), same python3-libvirt client
# (bench/storage_bench.py), same file system; plus the disk's own bandwidth with dd.
#
# The virtual disks of these machines change speed by several times within minutes, so one run
# does ROUNDS rounds (default 3) and each round measures everything once, minutes apart at most:
# the disk (dd write with fdatasync, dd read with O_DIRECT), then each daemon (the order of the
# daemons alternates between rounds). It prints each round's ratios (rvirtd/libvirtd,
# rvirtd/disk) and their medians over the rounds; the verdict is taken on the medians.
#
# Needs root (libvirtd's storage driver runs privileged). Usage: bench/run_storage.sh [ROUNDS].
# SIZE_MIB overrides the size; RVIRTD=path measures that rvirtd binary instead of building one;
# RVIRTD_B=path measures a second rvirtd binary beside it in every round (an A/B of two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
size=${SIZE_MIB:-1024}
target=${CARGO_TARGET_DIR:-target}
if [ -z "${RVIRTD:-}" ]; then
    cargo build --release -q -p rvirtd --bin rvirtd
    RVIRTD="$target/release/rvirtd"
fi
work=$(mktemp -d /var/tmp/rvirt-storage-bench.XXXXXX)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/lv/sock" "$work/lv/drivers" "$work/lv/backends"
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
. bench/lib.sh

# Both daemons run for the whole run; each is idle while the other is measured.
LIBVIRT_DRIVER_DIR="$work/lv/drivers" LIBVIRT_STORAGE_BACKEND_DIR="$work/lv/backends" \
    /usr/sbin/libvirtd -f "$work/lv/libvirtd.conf" -p "$work/lv.pidfile" 2>"$work/lv.log" & echo $! > "$work/lv.pid"
wait_sock "$work/lv/sock/libvirt-sock"
daemons=("libvirtd=storage+unix:///system?socket=$work/lv/sock/libvirt-sock")
start_rvirtd rvirtd "$RVIRTD"
daemons+=("rvirtd=qemu+unix:///system?socket=$work/rvirtd/sock/libvirt-sock")
if [ -n "${RVIRTD_B:-}" ]; then
    start_rvirtd rvirtd_B "$RVIRTD_B"
    daemons+=("rvirtd_B=qemu+unix:///system?socket=$work/rvirtd_B/sock/libvirt-sock")
fi
sleep 0.5

results="$work/results"
: > "$results"
# dd's time for SIZE MiB, in MiB/s.
dd_rate() { "$@" 2>&1 | awk -v size="$size" '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") print size / $(i - 1) }'; }
for round in $(seq "$rounds"); do
    echo "round $round: $(date +%T), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    w=$(dd_rate dd if=/dev/zero of="$work/dd.bin" bs=1M count="$size" conv=fdatasync)
    r=$(dd_rate dd if="$work/dd.bin" of=/dev/null bs=1M iflag=direct)
    rm -f "$work/dd.bin"
    echo "$round disk $w $r ok" >> "$results"
    printf '  %-9s write %6.0f MiB/s  read %6.0f MiB/s\n' disk "$w" "$r"
    # Odd rounds measure the daemons in the order given, even rounds in reverse.
    order=("${daemons[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=(); for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do order+=("${daemons[i]}"); done
    fi
    for d in "${order[@]}"; do
        name=${d%%=*}
        out=$(/usr/bin/python3 bench/storage_bench.py "${d#*=}" "$work/pool-$name" "$size")
        echo "$round $name $out" >> "$results"
        read -r up down sum <<< "$out"
        printf '  %-9s upload %6.0f MiB/s  download %6.0f MiB/s  checksum %s\n' "$name" "$up" "$down" "$sum"
    done
done

/usr/bin/python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    rnd, name, up, down, ok = line.split()
    rows.setdefault(int(rnd), {})[name] = (float(up), float(down), ok)
names = [n for n in rows[1] if n.startswith("rvirtd")]
# (label, daemon, 0 upload / 1 download, against whom, target, the target is "more than")
measures = []
for n in names:
    measures += [("upload %s/libvirtd" % n, n, 0, "libvirtd", 1.0, True),
                 ("upload %s/disk write" % n, n, 0, "disk", 0.9, False),
                 ("download %s/libvirtd" % n, n, 1, "libvirtd", 1.0, True),
                 ("download %s/disk read" % n, n, 1, "disk", 0.9, False)]
print("\n%-32s %s" % ("ratio", " ".join("round %-3d" % r for r in sorted(rows)) + "  median  target"))
for label, n, col, other, want, above in measures:
    v = [rows[r][n][col] / rows[r][other][col] for r in sorted(rows)]
    med = statistics.median(v)
    met = med > want if above else med >= want
    print("%-32s %s  %5.2fx  %s%.1fx %s" % (label, " ".join("%8.2fx" % x for x in v), med,
                                            ">" if above else ">=", want, "met" if met else "NOT met"))
print("\nmedians (MiB/s): " + ", ".join(
    "%s %s %.0f / %.0f" % (n, "write/read" if n == "disk" else "upload/download",
                           statistics.median(r[n][0] for r in rows.values()),
                           statistics.median(r[n][1] for r in rows.values()))
    for n in ["disk", "libvirtd"] + names))
bad = [(rnd, n) for rnd, r in rows.items() for n, v in r.items() if v[2] != "ok"]
print("checksums: " + ("all ok" if not bad else "MISMATCH in %s" % bad))
sys.exit(1 if bad else 0)
PY
