"""Full-text search: Pagefind indexes the built site; the search page loads its UI.

Which Pagefind runs, the first usable one of:
1. the program named by the BULLETIN_PAGEFIND environment variable (an explicit choice: when it
   is not usable, that is an error, not a reason to look elsewhere);
2. npm's Pagefind in bulletin's own node_modules (a checkout after `npm ci`; 1.6 at the time of
   writing), run directly, so Node is not needed to run it;
3. the binary of the PyPI package pagefind-bin-extended, a dependency of bulletin (1.5.2);
4. `pagefind_extended` or `pagefind` on PATH, outside the site folder.
Nothing in the site folder is ever run: a site is data (its node_modules/.bin/pagefind could
be anybody's script). A Pagefind older than 1.5, or one without Chinese segmentation (the
extended build), is refused with a message that says what to install.

Chinese is indexed character by character: the pages are copied for Pagefind with a zero-width
space between adjacent CJK characters, so the index holds every character as a word at its
position, and the search page looks a Chinese word up as the phrase of its characters. That finds
exactly the reports holding the word, and does so alike with every Pagefind 1.5 and 1.6 (each of
which splits Chinese into words its own way, and differently in the indexer and the browser).
Only report pages are indexed (their <article data-pagefind-body>); the published pages are not
changed.
"""

from __future__ import annotations

import html
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bulletin.errors import BuildError, Problem
from bulletin.i18n import _, join

REPO = Path(__file__).resolve().parent.parent
ENV = "BULLETIN_PAGEFIND"
MINIMUM = (1, 5, 0)
PYPI = "pagefind-bin-extended"
PYPI_REQUIREMENT = f"{PYPI}>=1.5.2,<2"  # as in pyproject.toml
BODY_MARK = "data-pagefind-body"

# Han (with extension A and the compatibility ideographs), kana, Hangul syllables and the
# supplementary ideographs; the search page's script uses the same ranges.
CJK = "\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0003134f"
_TAG_OR_RUN = re.compile(f"(<[^>]*>)|[{CJK}]{{2,}}")  # a tag (kept as it is) or a run of CJK text
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_TITLE_META = re.compile(r"""data-pagefind-meta\s*=\s*["'][^"']*\btitle\b""", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML's white space (an ideographic space is kept)
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Pagefind:
    path: Path
    version: tuple[int, int, int]
    source: str  # where it was found, for messages

    @property
    def version_text(self) -> str:
        return _dotted(self.version)


def install_hint() -> str:
    """What to run when no usable Pagefind is found, for this very Python."""
    python = subprocess.list2cmdline([sys.executable]) if os.name == "nt" else shlex.quote(sys.executable)
    return _('install Pagefind into bulletin\'s Python with `{python} -m pip install "{requirement}"` '
             "(installed with pipx: `pipx inject bulletin {package}`), or set {variable} to a Pagefind "
             "{version} or newer (extended build), or set `search: false` in bulletin.yaml").format(
        python=python, requirement=PYPI_REQUIREMENT, package=PYPI, variable=ENV, version=f"{MINIMUM[0]}.{MINIMUM[1]}")


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def npm_pagefind(root: Path | None = None) -> Path | None:
    """npm's Pagefind binary for this platform in `root`/node_modules (bulletin's own by default),
    as npm's wrapper script finds it."""
    root = REPO if root is None else root
    machine = platform.machine().lower()
    cpu = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    system = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    system = "freebsd" if system.startswith("freebsd") else system
    name = "pagefind_extended.exe" if system == "windows" else "pagefind_extended"
    path = root / "node_modules" / "@pagefind" / f"{system}-{cpu}" / "bin" / name
    return path if path.is_file() else None


def pypi_pagefind() -> Path | None:
    """The binary of the PyPI package pagefind-bin-extended, when it is installed."""
    try:
        import pagefind_bin_extended  # type: ignore[import-not-found, import-untyped, unused-ignore]

        path = Path(pagefind_bin_extended.get_executable())
    except (ImportError, OSError):  # not installed, or installed without its binary
        return None
    return path if path.is_file() else None


def _on_path(site: Path) -> Iterator[Path]:
    """pagefind_extended or pagefind on PATH, leaving out relative entries and the site folder
    (`npm run` puts the site's node_modules/.bin first on PATH)."""
    site = site.resolve()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isabs(folder) or Path(folder).resolve().is_relative_to(site):
            continue
        for name in ("pagefind_extended", "pagefind"):
            found = shutil.which(name, path=folder)
            if found and not Path(found).resolve().is_relative_to(site):
                yield Path(found)


_checked: dict[tuple[str, int, int], tuple[int, int, int] | str] = {}


def _check(path: Path) -> tuple[int, int, int] | str:
    """The version of the Pagefind at `path`, or why it cannot be used."""
    try:
        stat = path.stat()
    except OSError:
        return _("does not exist")
    if not path.is_file():
        return _("is not a file")
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _checked:
        try:
            result = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60,
                                    stdin=subprocess.DEVNULL)
            match = _VERSION.search(result.stdout)
            if result.returncode != 0 or not match or "pagefind" not in result.stdout.lower():
                _checked[key] = _("does not answer `--version` as Pagefind does")
            else:
                version = (int(match[1]), int(match[2]), int(match[3]))
                _checked[key] = version if version >= MINIMUM else \
                    _("is Pagefind {version}; bulletin needs {minimum} or newer").format(
                        version=_dotted(version), minimum=f"{MINIMUM[0]}.{MINIMUM[1]}")
        except (OSError, subprocess.SubprocessError) as exc:
            _checked[key] = _("cannot be run ({error})").format(error=getattr(exc, 'strerror', None) or exc)
    return _checked[key]


def find_pagefind(site: Path) -> Pagefind:
    """The Pagefind to run for `site`; a BuildError saying what to do when there is none."""
    explicit = os.environ.get(ENV)
    if explicit:
        path = Path(explicit).expanduser()
        found = _check(path)
        if isinstance(found, str):
            raise BuildError([Problem(_("{variable} names {path}, which {reason}").format(variable=ENV, path=path, reason=found), hint=(
                _("point {variable} at a Pagefind {minimum} or newer (extended build), "
                  "or unset it to use the one installed with bulletin").format(variable=ENV, minimum=f"{MINIMUM[0]}.{MINIMUM[1]}")))])
        return Pagefind(path, found, ENV)
    candidates = [(npm_pagefind(), _("npm, in bulletin's node_modules")), (pypi_pagefind(), _("PyPI's {package}").format(package=PYPI))]
    candidates += [(path, "PATH") for path in _on_path(site)]
    refused = []
    for path, source in candidates:
        if path is None:
            continue
        found = _check(path)
        if isinstance(found, tuple):
            return Pagefind(path, found, source)
        refused.append(_("{path} ({source}) {reason}").format(path=path, source=source, reason=found))
    detail = _(" ({reasons})").format(reasons=join(refused, "; ")) if refused else ""
    raise BuildError([Problem(_("search is on, but no usable Pagefind was found{detail}").format(detail=detail), "bulletin.yaml",
                              hint=install_hint())])


def _for_index(page: str) -> str:
    """The page as Pagefind is given it: a zero-width space between adjacent CJK characters of
    its text, so that each is a word; its title (the first <h1>, as Pagefind takes it) kept whole."""
    if not _TITLE_META.search(page) and (title := _H1.search(page)):
        text = _SPACES.sub(" ", html.unescape(_TAG.sub("", title.group(1)))).strip(" ")
        meta = f'<meta data-pagefind-meta="title[content]" content="{html.escape(text)}">'
        page = page[:title.start()] + meta + page[title.start():]
    return _TAG_OR_RUN.sub(lambda m: m.group(1) or "\u200b".join(m.group(0)), page)


def _copy_for_index(folder: Path, copy: Path) -> None:
    """The pages of `folder` that Pagefind indexes, prepared by _for_index, into `copy`."""
    pages = [p for p in folder.rglob("*.html") if p.relative_to(folder).parts[0] != "pagefind"]
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in pages}
    marked = [p for p in pages if BODY_MARK in texts[p]]
    for page in marked or pages:  # Pagefind indexes every page only when none is marked
        target = copy / page.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_for_index(texts[page]), encoding="utf-8")


def _pagefind(site: Path, folder: Path, bundle: Path) -> None:
    """Index the pages of `folder` into the bundle folder `bundle`."""
    pagefind = find_pagefind(site)
    copy = folder.parent / f".{folder.name.lstrip('.')}.search-pages"  # beside it: the same disk
    if copy.exists():
        shutil.rmtree(copy)
    try:
        _copy_for_index(folder, copy)
        copy.mkdir(exist_ok=True)
        command = [str(pagefind.path), "--site", str(copy), "--output-path", str(bundle.resolve())]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL,
                                    encoding="utf-8", errors="replace")
        except (OSError, subprocess.SubprocessError) as exc:
            raise BuildError([Problem(_("Pagefind ({path}) could not be run: {error}").format(path=pagefind.path, error=exc), hint=install_hint())]) from None
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    said = f"{result.stdout}\n{result.stderr}"
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BuildError([Problem(_("Pagefind could not index the site: {detail}").format(detail=" / ".join(detail)), hint=_("run again with --debug"))])
    if "non-extended" in said.lower():
        shutil.rmtree(bundle, ignore_errors=True)
        raise BuildError([Problem(
            _("Pagefind {version} at {path} ({source}) is not the extended build, "
              "which is the one that splits Chinese into words").format(version=pagefind.version_text, path=pagefind.path, source=pagefind.source),
            hint=install_hint())])


def index(site: Path, folder: Path) -> None:
    """Write the search index of the built site in `folder` to `folder`/pagefind/."""
    _pagefind(site, folder, folder / "pagefind")


def reindex(site: Path, output: Path) -> list[str]:
    """Index the published `output` again and swap the new index in; returns its files."""
    fresh = output.parent / f".{output.name}.search"
    if fresh.exists():
        shutil.rmtree(fresh)
    _pagefind(site, output, fresh / "pagefind")
    current = output / "pagefind"
    if current.exists():
        os.rename(current, fresh / "old")
    os.rename(fresh / "pagefind", current)
    shutil.rmtree(fresh)
    return sorted(p.relative_to(output).as_posix() for p in current.rglob("*") if p.is_file())
