"""How long a saved report takes to show in an open browser under `bulletin serve`.

    python bench/serve_latency.py [--sizes 8,2000] [--rounds 5]

Size 8 is the sample bulletin (this repository); other sizes are generated with
bench/generate.py into bench/work/. For each size: start the server, open one report in
headless Chromium (Debian's package, through Playwright), then save the report with a new
sentence and time until the page shows it; then two saves one second apart (both must show).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.browser import bulletin_serve, chromium  # noqa: E402


def site_for(size: int, work: Path) -> Path:
    if size == 8:
        site = work / "serve-sample"
        if site.exists():
            shutil.rmtree(site)
        site.mkdir(parents=True)
        shutil.copy(REPO / "bulletin.yaml", site / "bulletin.yaml")
        shutil.copytree(REPO / "content", site / "content")
        return site
    site = work / f"serve-{size}"
    if not site.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(size), str(site)], check=True)
    return site


def measure(site: Path, rounds: int) -> tuple[list[float], bool]:
    report = sorted((site / "content").rglob("*.md"))[len(list((site / "content").rglob("*.md"))) // 2]
    original = report.read_text(encoding="utf-8")
    times: list[float] = []
    try:
        with bulletin_serve(site) as (base, log), chromium() as browser:
            deadline = time.monotonic() + 600
            while "serving http" not in log.read_text():
                time.sleep(0.2)
                assert time.monotonic() < deadline
            prefix = re.search(r"serving (http://\S+)", log.read_text()).group(1)  # type: ignore[union-attr]
            from bulletin.build import Builder

            site_model = Builder(site).load()
            article = next(a for a in site_model.articles if a.source == report.relative_to(site).as_posix())
            page = browser.new_page()  # type: ignore[attr-defined]
            page.goto(prefix + article.url)
            for n in range(rounds):
                marker = f"测量标记{n}号"
                started = time.monotonic()
                report.write_text(original + f"\n\n{marker}。\n", encoding="utf-8")
                page.wait_for_function(f"document.body.innerText.includes('{marker}')", timeout=30000)
                times.append(time.monotonic() - started)
                time.sleep(0.5)
            report.write_text(original + "\n\n第一次保存。\n", encoding="utf-8")
            time.sleep(1)
            report.write_text(original + "\n\n第二次保存。\n", encoding="utf-8")
            page.wait_for_function("document.body.innerText.includes('第二次保存')", timeout=30000)
            both = "第一次保存" not in page.inner_text("body")
    finally:
        report.write_text(original, encoding="utf-8")
    return times, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,2000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=HERE / "work")
    args = parser.parse_args()
    print("| reports | save → shown in browser: median | max | two saves 1 s apart |")
    print("|---:|---:|---:|---|")
    for size in [int(s) for s in args.sizes.split(",")]:
        times, both = measure(site_for(size, args.workdir), args.rounds)
        print(f"| {size:,} | {statistics.median(times):.2f} s | {max(times):.2f} s | {'the second shows' if both else 'FAILED'} |", flush=True)


if __name__ == "__main__":
    main()
