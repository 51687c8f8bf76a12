#!/usr/bin/env bash
# The README's run command: builds the daemon, seeds a local spool (./spool) with the bundled
# example proposals and a synthetic data drop (a finished test with known truth), and runs it in
# the foreground on the bundled configuration. Prediction and verdict reports appear in
# ./spool/reports/, the ledger in ./state/; it keeps watching ./spool/incoming/ until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
swift build -c release --product experiment-advisor
spool="${SPOOL:-$PWD/spool}"
# The ledger (one row per input; `experiment-advisor history --state-dir ./state`) lives beside
# the spool, never inside it.
state="${STATE_DIR:-$PWD/state}"
mkdir -p "$spool/incoming"
for proposal in config/proposals/*.yaml; do
    name=$(basename "$proposal")
    # Write under a name the daemon ignores, then rename in: the way producers should drop files.
    cp "$proposal" "$spool/incoming/.$name.part"
    mv "$spool/incoming/.$name.part" "$spool/incoming/$name"
done
bin="$(swift build -c release --show-bin-path)/experiment-advisor"
# A finished test for the verdict side: 20,000 units, 4 arms, real heterogeneity. Its proposal
# (config/proposals/example-results.yaml) is answered first; the data follows once that
# prediction is written, as a test's results follow its proposal, so reports/index.html shows
# the prediction and the realized gain side by side (the track record).
"$bin" synthesize --units 20000 --arms 4 --sigma 0.3 --rho 0.3 --s 0.02 --baseline 0.3 --noise 0.6 \
    --output "$spool/incoming/.example-results.csv.part"
printf 'experiment: example-results\ncontrol_arm: arm-0\n' > "$spool/incoming/.example-results.manifest.yaml.part"
(
    for _ in $(seq 600); do
        ls "$spool"/reports/example-results/*-prediction.json >/dev/null 2>&1 && break
        sleep 0.1
    done
    mv "$spool/incoming/.example-results.manifest.yaml.part" "$spool/incoming/example-results.manifest.yaml"
    mv "$spool/incoming/.example-results.csv.part" "$spool/incoming/example-results.csv"
) &
echo "spool: $spool (drop more proposals or data into $spool/incoming/; Ctrl-C stops)" >&2
exec "$bin" serve \
    --config config/experiment-advisor.yaml --spool "$spool" --state-dir "$state" --log-target stderr
