#!/usr/bin/env bash
# Runs rvirt's in-process API benchmarks and libvirt's test driver through python3-libvirt in one
# run, so the figures in bench/RESULTS.md compare like with like.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 bench/libvirt_testdriver.py
cargo bench -p rvirt --bench api -- --warm-up-time 1 --measurement-time 5 2>&1 | grep -E "^[a-z_0-9]+ +time:|time:"
