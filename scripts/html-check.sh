#!/usr/bin/env bash
# The HTML reports in a real browser: renders every bundled example proposal and a synthetic
# data drop (one plain, one with a guardrail) as HTML with the given binary, opens each page in
# headless Chromium (Debian's `chromium`, driven by PyPI `playwright` with no browser download
# of its own) at phone and desktop widths, and fails on a console error, a request for any
# external resource, a chart without a title, overflowing text or a blank page
# (scripts/browser_check.py). The checker is first run on a page broken in each of those ways and
# must fail it. Screenshots stay in $ADVISOR_HTML_DIR (default /var/tmp/experiment-advisor-html);
# with UPDATE_README_SHOT=1 the verdict's desktop screenshot becomes docs/verdict-report.png.
# The index (reports/index.html) is checked as a spool served with --once leaves it.
# Usage: bash scripts/html-check.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_packages chromium
python3 -c 'import playwright' 2>/dev/null || pip install --quiet playwright
bin=${1:-$(swift build --show-bin-path)/experiment-advisor}
out=${ADVISOR_HTML_DIR:-/var/tmp/experiment-advisor-html}
rm -rf "$out"
mkdir -p "$out/pages" "$out/screenshots" "$out/broken"

# The checker must catch what it is for: a page with each fault fails.
cat >"$out/broken/broken.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head><body>
<p style="white-space:nowrap">an-unbreakable-line-that-is-far-wider-than-any-phone-screen-can-show-in-one-piece</p>
<img src="https://example.com/fetched.png"><svg viewBox="0 0 10 10"></svg><script>console.error("boom")</script>
<svg width="200" height="60"><title>labels</title><desc>two labels on one spot, one past the edge</desc>
<text x="10" y="30">proposed (4)</text><text x="14" y="32">best (5)</text><text x="170" y="50">clipped label</text></svg>
</body></html>
HTML
if broken=$(python3 scripts/browser_check.py "$out/broken" "$out/broken/broken.html"); then
    echo "html-check: the checker passed a broken page" >&2
    exit 1
fi
for fault in "console: boom" "requested https://example.com/fetched.png" "without a title" "overflows its box" "blank" \
    "overlap in" "leaves its chart"; do
    grep -q "$fault" <<<"$broken" || { echo "html-check: the checker missed '$fault'" >&2; exit 1; }
done

for proposal in config/proposals/*.yaml; do
    "$bin" predict "$proposal" --format html >"$out/pages/$(basename "$proposal" .yaml)-prediction.html"
done
"$bin" synthesize --units 6000 --arms 4 --sigma 0.3 --rho 0.2 --output "$out/drop.csv" >/dev/null
"$bin" analyze "$out/drop.csv" --format html >"$out/pages/drop-verdict.html"
"$bin" synthesize --units 8000 --arms 4 --sigma 0.5 --rho 0.1 --guardrail unsubscribed:0.9:0.02 \
    --output "$out/guarded.csv" >/dev/null
"$bin" analyze "$out/guarded.csv" --format html >"$out/pages/guarded-verdict.html"
# The index, as the daemon writes it: the bundled proposals answered first, then the data of
# example-results (its proposal's track-record row) and of a 23-arm test with no proposal.
spool="$out/spool"
mkdir -p "$spool/incoming"
cp config/proposals/*.yaml "$spool/incoming/"
"$bin" serve --once --in-process --spool "$spool" --state-dir "$out/state" --log-target stderr 2>/dev/null
"$bin" synthesize --units 20000 --arms 4 --sigma 0.3 --rho 0.3 --s 0.02 --baseline 0.3 --noise 0.6 \
    --output "$out/example-results.csv" >/dev/null
"$bin" synthesize --units 9000 --arms 23 --sigma 0.3 --rho 0.3 --output "$out/many-arms.csv" >/dev/null
cp "$out/example-results.csv" "$out/many-arms.csv" "$spool/incoming/"
printf 'experiment: example-results\ncontrol_arm: arm-0\n' >"$spool/incoming/example-results.manifest.yaml"
"$bin" serve --once --in-process --spool "$spool" --state-dir "$out/state" --log-target stderr 2>/dev/null
grep -q "Of the 1 with a prediction before the test" "$spool/reports/index.html" \
    || { echo "html-check: the index has no track-record row for example-results" >&2; exit 1; }
cp "$spool/reports/index.html" "$out/pages/index.html"
cp "$spool"/reports/many-arms/*-verdict.html "$out/pages/many-arms-verdict.html"
python3 scripts/browser_check.py "$out/screenshots" "$out"/pages/*.html
if [ "${UPDATE_README_SHOT:-0}" = 1 ]; then
    mkdir -p docs
    python3 - "$out/pages/guarded-verdict.html" docs/verdict-report.png <<'PY'
import os, sys
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    page = b.new_page(viewport={"width": 1000, "height": 1400})
    page.goto("file://" + os.path.abspath(sys.argv[1]))
    page.screenshot(path=sys.argv[2])
    b.close()
PY
fi
