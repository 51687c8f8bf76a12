"""Opens HTML reports in headless Chromium (Debian's `chromium`, driven by PyPI `playwright`
without its own browser download) and fails on what a reader would see as broken: a console
error, a request for anything outside the file, a chart without a title, text overflowing its
box at phone or desktop width, chart labels drawn over each other or cut off at the chart's
edge, or a blank page. Keeps a screenshot of each page at each width.

Usage: python3 scripts/browser_check.py SCREENSHOT_DIR FILE.html...
"""

import os
import sys

from playwright.sync_api import sync_playwright

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}

# Text that leaves its box: an element (outside a scrolling wrapper) whose content is wider than
# it is, or that reaches past the viewport; the page itself wider than the viewport.
OVERFLOW = """() => {
  const problems = [];
  const vw = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > vw + 1) problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${vw}px viewport`);
  for (const el of document.body.querySelectorAll('p, li, h1, h2, td, th, figcaption, div.action, span.verdict')) {
    if (el.closest('.scroll')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1) problems.push(`${el.tagName.toLowerCase()} "${el.textContent.slice(0, 40)}" ends at ${Math.round(r.right)}px`);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible') problems.push(`${el.tagName.toLowerCase()} "${el.textContent.slice(0, 40)}" overflows its box`);
  }
  return problems;
}"""

# Chart labels a reader cannot read: two text elements of one chart drawn over each other, or a
# text element that leaves its chart (the SVG clips it). Boxes are the browser's own rendering.
LABELS = """() => {
  const problems = [];
  const svgs = [...document.querySelectorAll('svg')];
  svgs.forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const name = (svg.querySelector(':scope > title') || {}).textContent || `chart ${i + 1}`;
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => ({t, r: t.getBoundingClientRect()}));
    for (const {t, r} of texts) {
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        problems.push(`label "${t.textContent.slice(0, 30)}" leaves its chart "${name.slice(0, 40)}"`);
    }
    for (let a = 0; a < texts.length; a++) {
      for (let b = a + 1; b < texts.length; b++) {
        const p = texts[a].r, q = texts[b].r;
        const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
        const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
        // Overlapping by more than 2 px both ways: glyphs drawn over glyphs.
        if (w > 2 && h > 2) problems.push(`labels "${texts[a].t.textContent.slice(0, 30)}" and "${texts[b].t.textContent.slice(0, 30)}" overlap in "${name.slice(0, 40)}"`);
      }
    }
  });
  return problems;
}"""

CHARTS = """() => [...document.querySelectorAll('svg')].filter(s => !s.querySelector(':scope > title') || !s.querySelector(':scope > title').textContent.trim() || !s.querySelector(':scope > desc')).length"""


def main():
    shots, files = sys.argv[1], sys.argv[2:]
    os.makedirs(shots, exist_ok=True)
    failures = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])
        for path in files:
            url = "file://" + os.path.abspath(path)
            for name, (w, h) in WIDTHS.items():
                page = browser.new_page(viewport={"width": w, "height": h})
                errors, requests = [], []
                page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: requests.append(r.url) if r.url != url else None)
                page.goto(url, wait_until="load")
                where = f"{os.path.basename(path)} at {name} width"
                for e in errors:
                    failures.append(f"{where}: console: {e}")
                for r in requests:
                    failures.append(f"{where}: requested {r}")
                if page.evaluate(CHARTS):
                    failures.append(f"{where}: {page.evaluate(CHARTS)} chart(s) without a title and description")
                if page.evaluate("document.querySelectorAll('svg').length") == 0:
                    failures.append(f"{where}: no chart")
                if len(page.evaluate("document.body.innerText").strip()) < 200:
                    failures.append(f"{where}: the page is blank")
                for problem in page.evaluate(OVERFLOW):
                    failures.append(f"{where}: {problem}")
                for problem in page.evaluate(LABELS):
                    failures.append(f"{where}: {problem}")
                page.screenshot(path=os.path.join(shots, f"{os.path.basename(path)}.{name}.png"), full_page=True)
                page.close()
        browser.close()
    for f in failures:
        print("FAIL:", f)
    print(f"{len(files)} pages at {len(WIDTHS)} widths: {len(failures)} problems; screenshots in {shots}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
