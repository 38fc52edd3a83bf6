"""Full-text search: Pagefind indexes the built site; the search page loads its UI.

Pagefind's extended build segments Chinese text. It comes from npm (`npm ci` installs it
beside bulletin); bulletin looks for it in the site's node_modules, in bulletin's own, then on
PATH. Only report pages are indexed (their <article data-pagefind-body>).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bulletin.errors import BuildError, Problem

REPO = Path(__file__).resolve().parent.parent
INSTALL_HINT = "install it with `npm ci` in the bulletin folder (it is in package.json), or set `search: false` in bulletin.yaml"


def find_pagefind(site: Path) -> Path | None:
    for candidate in (os.environ.get("BULLETIN_PAGEFIND"), site / "node_modules/.bin/pagefind",
                      REPO / "node_modules/.bin/pagefind", shutil.which("pagefind")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _pagefind(site: Path, *arguments: str) -> None:
    pagefind = find_pagefind(site)
    if pagefind is None:
        raise BuildError([Problem("search is on, but Pagefind is not installed", "bulletin.yaml", hint=INSTALL_HINT)])
    result = subprocess.run([str(pagefind), *arguments], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BuildError([Problem(f"Pagefind could not index the site: {' / '.join(detail)}", hint="run again with --debug")])


def index(site: Path, folder: Path) -> None:
    """Write the search index of the built site in `folder` to `folder`/pagefind/."""
    _pagefind(site, "--site", str(folder), "--output-subdir", "pagefind")


def reindex(site: Path, output: Path) -> list[str]:
    """Index the published `output` again and swap the new index in; returns its files."""
    fresh = output.parent / f".{output.name}.search"
    if fresh.exists():
        shutil.rmtree(fresh)
    _pagefind(site, "--site", str(output), "--output-path", str(fresh / "pagefind"))
    current = output / "pagefind"
    if current.exists():
        os.rename(current, fresh / "old")
    os.rename(fresh / "pagefind", current)
    shutil.rmtree(fresh)
    return sorted(p.relative_to(output).as_posix() for p in current.rglob("*") if p.is_file())
