#!/usr/bin/env bash
# The README's run command: builds the daemon, seeds a local spool (./spool) with the bundled
# example proposals, and runs it in the foreground on the bundled configuration. Reports appear
# in ./spool/reports/; it keeps watching ./spool/incoming/ until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
swift build -c release --product experiment-advisor
spool="${SPOOL:-$PWD/spool}"
mkdir -p "$spool/incoming"
for proposal in config/proposals/*.yaml; do
    name=$(basename "$proposal")
    # Write under a name the daemon ignores, then rename in: the way producers should drop files.
    cp "$proposal" "$spool/incoming/.$name.part"
    mv "$spool/incoming/.$name.part" "$spool/incoming/$name"
done
echo "spool: $spool (drop more proposals into $spool/incoming/; Ctrl-C stops)" >&2
exec "$(swift build -c release --show-bin-path)/experiment-advisor" serve \
    --config config/experiment-advisor.yaml --spool "$spool" --log-target stderr
