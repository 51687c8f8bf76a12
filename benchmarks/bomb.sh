#!/usr/bin/env bash
# Memory under hostile drops, for RELIABILITY.md: (a) a gzip bomb (a few MB that inflate to
# 8 GiB of valid rows) and (b) a plain drop too large for the worker's memory limit, each through
# `serve --once` (release build) under GNU time, whose peak RSS covers the daemon and its worker.
# Baseline in the same run: the same daemon answering one small proposal.
# Usage: bash benchmarks/bomb.sh     (about 2 minutes; BIG_ROWS sets (b)'s size)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages time
swift build -c release --product experiment-advisor >/dev/null
bin="$(swift build -c release --show-bin-path)/experiment-advisor"
work=$(mktemp -d /var/tmp/advisor-bomb-XXXXXX)
trap 'rm -rf "$work"' EXIT

run() {  # run NAME CONFIG: serve --once on a fresh spool holding NAME; prints seconds and peak MiB
    local name=$1 config=$2 spool="$work/spool-$1"
    mkdir -p "$spool/incoming"
    mv "$work/$name" "$spool/incoming/$name"
    touch -d '-1 min' "$spool/incoming/$name"
    printf '%s' "$config" > "$work/config-$name.yaml"
    /usr/bin/time -f '%e %M' -o "$work/time-$name" "$bin" serve --once --config "$work/config-$name.yaml" \
        --spool "$spool" --state-dir "$work/state-$name" --log-target stderr 2> "$work/log-$name" >/dev/null
    read -r seconds kib < "$work/time-$name"
    local reason
    reason=$(sed -n 's/^problem: //p' "$spool"/rejected/*.error.txt 2>/dev/null | head -1)
    echo "$name|$seconds|$((kib / 1024))|${reason:-answered}"
}

cp config/proposals/example-minimal.yaml "$work/small.yaml"
python3 - "$work/bomb.csv.gz" <<'PY'
import gzip, sys
# 8 GiB of valid rows from a few MB: each row a real unit, so only the guard stops it.
block = b"a,1,0.5\nb,0,0.25\n" * 65536
with gzip.open(sys.argv[1], "wb", compresslevel=9) as out:
    out.write(b"arm,outcome,x\n")
    for _ in range((8 << 30) // len(block)):
        out.write(block)
PY
rows=${BIG_ROWS:-12000000}
"$bin" synthesize --units "$rows" --arms 4 --output "$work/big.csv" >/dev/null
bomb_bytes=$(stat -c %s "$work/bomb.csv.gz")
big_bytes=$(stat -c %s "$work/big.csv")

small=$(run small.yaml 'prediction: {prior_draws: 4000}')
bomb=$(run bomb.csv.gz '')
big=$(run big.csv $'worker:\n  memory_limit_bytes: 1073741824\n')
python3 - "$small" "$bomb" "$big" "$bomb_bytes" "$big_bytes" "$rows" <<'PY'
import sys
small, bomb, big = (s.split("|") for s in sys.argv[1:4])
bomb_bytes, big_bytes, rows = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print("| input | time | peak RSS (daemon and worker) | ratio to the baseline's RSS | answer |")
print("|---|---|---|---|---|")
print(f"| baseline: one proposal | {small[1]} s | {small[2]} MiB | 1.00x | {small[3]} |")
print(f"| gzip bomb: {bomb_bytes / 2**20:.1f} MB inflating to 8 GiB of rows | {bomb[1]} s | {bomb[2]} MiB | {int(bomb[2]) / int(small[2]):.2f}x | {bomb[3]} |")
print(f"| plain drop of {rows:,} rows ({big_bytes / 2**30:.2f} GiB), worker.memory_limit_bytes 1 GiB | {big[1]} s | {big[2]} MiB | {int(big[2]) / int(small[2]):.2f}x | {big[3]} |")
PY
