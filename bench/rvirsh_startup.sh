#!/usr/bin/env bash
# Wall time of one `list --all` on test:///default, process start to exit: rvirsh beside the
# real virsh, in one run, many iterations each, interleaved; prints the median and quartiles.
#
#   bench/rvirsh_startup.sh [ITERATIONS]      (default 300)
#
# Builds rvirsh in release mode first (CARGO_TARGET_DIR is honoured).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-300}"
cargo build --release -p rvirsh -j2 >/dev/null 2>&1
TARGET="${CARGO_TARGET_DIR:-target}"
RVIRSH="$TARGET/release/rvirsh"
command -v virsh >/dev/null || { echo "virsh not installed (apt-get install libvirt-clients)"; exit 1; }
python3 - "$N" "$RVIRSH" <<'PY'
import statistics, subprocess, sys, time
n, rvirsh = int(sys.argv[1]), sys.argv[2]
progs = {"rvirsh": [rvirsh, "-c", "test:///default", "list", "--all"],
         "virsh": ["virsh", "-c", "test:///default", "list", "--all"]}
# Both must print the same thing before we time them.
outs = {k: subprocess.run(v, capture_output=True).stdout for k, v in progs.items()}
assert outs["rvirsh"] == outs["virsh"], outs
times = {k: [] for k in progs}
for _ in range(5):
    for v in progs.values():
        subprocess.run(v, stdout=subprocess.DEVNULL)
for _ in range(n):
    for k, v in progs.items():
        t = time.perf_counter_ns()
        subprocess.run(v, stdout=subprocess.DEVNULL)
        times[k].append((time.perf_counter_ns() - t) / 1e6)
for k, ts in times.items():
    q = statistics.quantiles(ts, n=4)
    print(f"{k:7} median {statistics.median(ts):7.2f} ms   p25 {q[0]:7.2f}   p75 {q[2]:7.2f}   ({n} runs)")
PY
