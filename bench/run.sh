#!/usr/bin/env bash
# Benchmarks: the import of a generated ledger with one million positions
# (500,000 accounts x 2 markets), durable, then unsafe no-sync.
# Usage: bench/run.sh [BUILD_DIR] [RUNS]     (make bench runs it)
set -euo pipefail
build=${1:-build}
runs=${2:-5}
out=bench/out
mkdir -p "$out"
[ -f "$out/csv/positions.csv" ] || "$build/socloss-gen" "$out/csv" --accounts 500000 --markets 2 --seed 1
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d)"
"$build/bench_import" "$out/csv" "$runs"
"$build/bench_import" "$out/csv" "$runs" --unsafe-no-sync
# One deficit against 10k, 100k and 1M candidates under each policy and a
# native C rule, beside the floors (floor_lmdb: raw LMDB, same tables, rule
# in C; floor_sqlite: what a user would write in SQL), which bench_resolve
# runs from its own directory, RUNS times at every size (1M included: the
# issue asks medians of 5); the cost of isolation; a cascade of 1,000
# deficits on a 100k-account ledger, beside its floor (columns in memory,
# writes only).
"$build/bench_resolve" policies 10000,100000,1000000 "$runs" 100000 1000 "$build/socloss-gen"
