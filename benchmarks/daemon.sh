#!/usr/bin/env bash
# Daemon benchmark (issue 3): drop-to-report latency, idle CPU, resident memory, with the
# one-shot CLI as the baseline in the same run. Prints the Markdown rows for BENCHMARKS.md.
# Usage: bash benchmarks/daemon.sh     (about 6 minutes; LATENCY_DROPS, MEMORY_DROPS, IDLE_SECONDS, LOAD_ROWS adjust it)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
swift build -c release --product experiment-advisor >/dev/null
result=$(python3 benchmarks/daemon_bench.py "$(swift build -c release --show-bin-path)/experiment-advisor")
python3 - "$result" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"processed {r['processed']}, archived {r['archived']}, exit code on SIGTERM {r['exit_code']}")
print("| measure | daemon | baseline (same run): one-shot `predict` per proposal | ratio |")
print("|---|---|---|---|")
print(f"| drop-to-report latency, {r['latency_drops']} proposals one at a time (rename in -> both report files exist) | p50 {r['latency_p50_ms']:.1f} ms, p99 {r['latency_p99_ms']:.1f} ms (max {r['latency_max_ms']:.1f}) | wall time p50 {r['cli_wall_p50_ms']:.1f} ms | p50 {r['latency_p50_ms']/r['cli_wall_p50_ms']:.2f}x |")
print(f"| CPU used while idle for {r['idle_seconds']:.0f} s | {r['idle_cpu_ms']:.0f} ms | CPU time of one proposal: {r['cli_cpu_p50_ms']:.1f} ms | {r['idle_cpu_ms']/r['cli_cpu_p50_ms']:.2f} proposals' worth |")
print(f"| resident memory at idle (after start / after the latency run) | {r['rss_start_kib']/1024:.1f} / {r['rss_idle_kib']/1024:.1f} MiB | peak RSS of one `predict`: {r['cli_peak_rss_kib']/1024:.1f} MiB | {r['rss_idle_kib']/r['cli_peak_rss_kib']:.2f}x |")
if r['load_rows']:
    print(f"| drop-to-report latency of 20 proposals dropped one by one behind a {r['load_rows']:,}-row, 23-arm data drop (analyzed meanwhile in its own worker, {r['analysis_seconds']:.0f} s) | p50 {r['load_latency_p50_ms']:.1f} ms, max {r['load_latency_max_ms']:.1f} ms | the idle p50 above, {r['latency_p50_ms']:.1f} ms | p50 {r['load_latency_p50_ms']/r['latency_p50_ms']:.2f}x |")
print(f"| resident memory after {r['processed']} proposals ({r['memory_drops']} in one burst, {r['burst_seconds']:.1f} s) | {r['rss_after_kib']/1024:.1f} MiB | same | {r['rss_after_kib']/r['cli_peak_rss_kib']:.2f}x ({r['rss_after_kib']/r['rss_idle_kib']:.2f}x its idle size) |")
PY
