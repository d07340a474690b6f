#!/bin/sh
# Domain XML parse+format: rvirt (parse, defaults, validate, format inactive) beside libvirt 9.0's
# test driver in process (defineXML + XMLDesc(INACTIVE) + undefine through python3-libvirt), in
# the same run, alternating, ROUNDS rounds of N iterations each. Both raw figures are reported;
# nothing is subtracted. Usage: bench/run_domain_xml.sh [ROUNDS] [N] [FILE]
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
N=${2:-5000}
FILE=${3:-bench/domain-4k.xml}
cargo build --release -q -p rvirt-conf --example bench_parse
BIN=${CARGO_TARGET_DIR:-target}/release/examples/bench_parse
# Both must print the same document, or the comparison means nothing.
"$BIN" "$FILE" --print >/tmp/rvirt-bench-$$.xml
/usr/bin/python3 bench/domain_xml_bench.py "$FILE" --print >/tmp/libvirt-bench-$$.xml
if ! cmp -s /tmp/rvirt-bench-$$.xml /tmp/libvirt-bench-$$.xml; then
    diff /tmp/libvirt-bench-$$.xml /tmp/rvirt-bench-$$.xml || true
    rm -f /tmp/rvirt-bench-$$.xml /tmp/libvirt-bench-$$.xml
    echo "rvirt and libvirt format $FILE differently" >&2
    exit 1
fi
rm -f /tmp/rvirt-bench-$$.xml /tmp/libvirt-bench-$$.xml
echo "same inactive XML from both; $ROUNDS rounds of $N iterations"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    /usr/bin/python3 bench/domain_xml_bench.py "$FILE" "$N"
    "$BIN" "$FILE" "$N"
    i=$((i + 1))
done
