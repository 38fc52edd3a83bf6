"""The only code that writes the output folder.

A build writes into a staging folder beside the output and swaps it in only when every page
has been written, so a failed or interrupted build leaves the previous output as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import filecmp
import json
import os
import shutil
import stat
import unicodedata
from pathlib import Path, PurePosixPath
from dataclasses import dataclass
from types import TracebackType
from typing import Iterable

from bulletin import system
from bulletin.errors import BuildError, Problem
from bulletin.i18n import _

_RENAME_EXCHANGE = 2
JOURNAL = ".bulletin-journal.json"


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot (another
    system, a file system without it, or BULLETIN_PORTABLE=1)."""
    if system.portable():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def same_bytes(previous: Path, payload: bytes) -> bool:
    """Whether the previous build's file holds exactly `payload`."""
    try:
        return not previous.is_symlink() and previous.stat().st_size == len(payload) and previous.read_bytes() == payload
    except OSError:
        return False


def write_file(target: Path, previous: Path, payload: bytes, same: bool | None = None) -> None:
    """Write `payload` to `target`, or link the previous build's file when its bytes are the
    same (so unchanged files keep their mtime). `same`: already compared, if known."""
    if same if same is not None else same_bytes(previous, payload):
        try:
            os.link(previous, target)
            return
        except OSError:
            pass
    try:
        with open(target, "wb") as handle:
            handle.write(payload)
    except OSError as exc:  # name the file (a failed write does not), for the message
        if exc.filename is None:
            exc.filename = os.fspath(target)
        raise


@dataclass(frozen=True)
class Folders:
    """The folders of an output as a build left them (relative path → mtime), and the files in
    it that bulletin did not write: a folder whose mtime is the same holds the same files."""

    times: dict[str, int]
    foreign: tuple[str, ...]

    @classmethod
    def of(cls, target: Path, files: Iterable[str], foreign: Iterable[str]) -> "Folders":
        return cls({}, ()).after(target, [*files, *foreign], foreign)

    def after(self, target: Path, changed: Iterable[str], foreign: Iterable[str]) -> "Folders":
        """The same, once the files `changed` were written or removed (the times of their
        folders, and of any folder made or removed for them, move), with these foreign files."""
        names = {""}
        for rel in changed:
            parts = rel.split("/")[:-1]
            for n in range(1, len(parts) + 1):
                names.add("/".join(parts[:n]))
        times = dict(self.times)
        for name in names:
            try:
                times[name] = os.stat(os.path.join(target, name)).st_mtime_ns
            except OSError:
                times.pop(name, None)
        return Folders(times, tuple(sorted(foreign)))


def recover(target: Path) -> None:
    """Finish a swap by two renames (see Output._swap) that was cut off: between them, the old
    output goes back in place; after them, only the old output is left to remove."""
    old = target.parent / f".{target.name}.old"
    if old.is_dir():
        if not os.path.lexists(target):
            os.rename(old, target)
        else:
            shutil.rmtree(old, ignore_errors=True)


class Output:
    """Collects the files of one build; `commit` makes them the output folder.

    A full build stages every file and swaps the staging folder in at once. A patch build
    (`previous` = what the last build wrote) stages only new or changed files; `commit` writes
    a journal, moves them in and removes the files of the last build that are gone. If it is
    cut off half-way, the next build finishes the journal before anything else. Either way, a
    build that fails before `commit` leaves the output exactly as it was.
    """

    def __init__(self, target: Path, previous: set[str] | None = None):
        self.target = target.absolute()
        self.staging = self.target.parent / f".{self.target.name}.staging"
        self.previous = previous if previous is not None and self.target.is_dir() else None
        self.written: dict[str, str] = {}  # output path → what produced it
        self.staged: list[str] = []  # in patch mode: files to move into the output, staged by their number here
        self.gone: list[str] = []  # in patch mode: files of the last build removed by this one
        self._dirs: set[str] = set()
        self._folded: dict[str, str] = {}  # see _case_clash

    @property
    def patching(self) -> bool:
        return self.previous is not None

    def __enter__(self) -> "Output":
        self.target.parent.mkdir(parents=True, exist_ok=True)
        recover(self.target)
        if (self.staging / JOURNAL).is_file():  # a patch was interrupted half-way: finish it
            self._replay()
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.staging.exists() and not (self.staging / JOURNAL).is_file():
            shutil.rmtree(self.staging, ignore_errors=True)

    def _claim(self, rel: str, source: str) -> None:
        if not rel or rel.startswith("/") or rel.endswith("/") or ".." in rel.split("/") or rel.strip("/.") == "":
            raise BuildError([Problem(_("refusing to write '{path}': it is outside the output folder").format(path=rel), source)])
        if rel in self.written:
            raise BuildError(
                [Problem(_("two outputs have the same path {path}: {source} and {other_source}").format(path=rel, source=self.written[rel], other_source=source), source,
                         hint=_("give one of them a different slug, or rename the static file"))]
            )
        _case_clash(self._folded, rel, source, self.written)
        self.written[rel] = source

    def place(self, rel: str, source: str) -> Path:
        """Claim `rel` for a file that someone else (a worker process) writes; its staged path,
        whose folder the writer makes (in a full build; a patch stages files flat)."""
        if self.patching:
            return self._place(rel, source)
        self._claim(rel, source)
        return self.staging / rel

    def _place(self, rel: str, source: str) -> Path:
        self._claim(rel, source)
        if self.patching:  # staged flat, by number: no folders to make and remove again
            self.staged.append(rel)
            return self.staging / str(len(self.staged) - 1)
        self._make_folder(rel.rpartition("/")[0])
        return self.staging / rel

    def _make_folder(self, folder: str) -> None:
        """Make a staged folder and those above it, each with one system call, once."""
        if folder and folder not in self._dirs:
            self._make_folder(folder.rpartition("/")[0])
            try:
                os.mkdir(os.path.join(self.staging, folder))
            except FileExistsError:  # made by a worker process
                pass
            self._dirs.add(folder)

    def _unchanged(self, rel: str, source: str) -> bool:
        """In a patch build, count a file whose bytes did not change as written, untouched."""
        if self.patching:
            self._claim(rel, source)
            return True
        return False

    def write(self, rel: str, data: str | bytes, source: str) -> None:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        same = same_bytes(self.target / rel, payload)
        if same and self._unchanged(rel, source):
            return
        write_file(self._place(rel, source), self.target / rel, payload, same)

    def copy(self, rel: str, path: Path, source: str) -> None:
        old = self.target / rel
        try:
            same = not old.is_symlink() and old.stat().st_size == path.stat().st_size and filecmp.cmp(old, path, shallow=False)
        except OSError:
            same = False
        if same and self._unchanged(rel, source):
            return
        target = self._place(rel, source)
        if same:
            try:
                os.link(old, target)  # the same bytes: keep the published file and its mtime
                return
            except OSError:
                pass
        shutil.copyfile(path, target)

    def keep(self, rel: str, source: str) -> bool:
        """Carry the previous build's file over unchanged (no copy, same mtime).

        False when there is no such file, and the caller writes it instead.
        """
        old = os.path.join(self.target, rel)
        try:
            if not stat.S_ISREG(os.lstat(old).st_mode):  # a folder, or a link someone put there
                return False
        except OSError:
            return False
        if self._unchanged(rel, source):
            return True
        try:
            os.link(old, self._place(rel, source))
        except OSError:
            del self.written[rel]
            return False
        return True

    def carry_rest(self, source: str) -> None:
        """In a patch build: every file of the last build not written this time stays as it is."""
        assert self.previous is not None
        for rel in self.previous:
            self.written.setdefault(rel, source)

    def adopt(self, folder: str, source: str) -> None:
        """Count files another program wrote into `folder` of the staging output as ours."""
        for path in sorted((self.staging / folder).rglob("*")):
            if path.is_file():
                rel = path.relative_to(self.staging).as_posix()
                self.written[rel] = source
                assert not self.patching, "a patch stages its files by number"

    def keep_folder(self, folder: str, source: str) -> bool:
        """Carry a folder of the previous output over unchanged; False if there is none."""
        old = self.target / folder
        if not old.is_dir():
            return False
        files = [p for p in sorted(old.rglob("*")) if p.is_file() and not p.is_symlink()]
        return all(self.keep(p.relative_to(self.target).as_posix(), source) for p in files)

    def foreign(self, ours: set[str] | None, seen: "Folders | None" = None) -> list[str]:
        """Files of the old output that bulletin did not write (None: not known; then a
        folder that looks like a bulletin build counts as ours, anything else as foreign).

        `seen`: the output's folders as the last build left them; only the folders changed
        since are read, instead of the whole output.
        """
        if not self.target.is_dir():
            return []
        if ours is None and (self.target / "sitemap.xml").is_file() and (self.target / "index.html").is_file():
            return []
        found: list[str] = []
        top = len(str(self.target)) + 1

        def walk(start: str) -> None:
            for folder, dirs, files in os.walk(start):
                base = folder[top:] + "/" if len(folder) >= top else ""
                for name in files:
                    rel = base + name
                    if (ours is None or rel not in ours) and rel not in self.written:
                        found.append(rel)

        if seen is None or ours is None:
            walk(str(self.target))
            return sorted(found)
        for rel in seen.foreign:  # found before and kept since
            if os.path.lexists(os.path.join(self.target, rel)) and rel not in ours and rel not in self.written:
                found.append(rel)
        for folder, mtime in seen.times.items():
            path = os.path.join(self.target, folder)
            try:
                if os.stat(path).st_mtime_ns == mtime:
                    continue
                entries = list(os.scandir(path))
            except OSError:
                continue
            base = folder + "/" if folder else ""
            for entry in entries:
                rel = base + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if rel not in seen.times:  # a new folder: everything in it is new
                        walk(entry.path)
                elif rel not in ours and rel not in self.written and rel not in seen.foreign:
                    found.append(rel)
        return sorted(set(found))

    def keep_foreign(self, ours: set[str] | None, seen: "Folders | None" = None) -> list[str]:
        """Carry over files of the old output that bulletin did not write; returns their paths."""
        found = self.foreign(ours, seen)
        if not self.patching:  # in a patch build they simply stay where they are
            for rel in found:
                target = self.staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(self.target / rel, target, follow_symlinks=False)
        return found

    def commit(self) -> None:
        if self.patching:
            assert self.previous is not None
            gone = self.gone = sorted(self.previous - set(self.written))
            journal = {"move": self.staged, "delete": gone}
            (self.staging / JOURNAL).write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")
            self._replay()
            return
        self._swap()

    def _replay(self) -> None:
        """Carry out a patch journal; safe to run again after an interruption."""
        journal = json.loads((self.staging / JOURNAL).read_text(encoding="utf-8"))
        staging, target = os.path.join(self.staging, ""), os.path.join(self.target, "")
        for number, rel in enumerate(journal["move"]):
            staged = staging + str(number)
            try:
                os.replace(staged, target + rel)
            except FileNotFoundError:  # a new folder, or moved already by an interrupted replay
                if os.path.lexists(staged):
                    os.makedirs(os.path.dirname(target + rel), exist_ok=True)
                    os.replace(staged, target + rel)
        for rel in journal["delete"]:
            path = self.target / rel
            if path.is_file() or path.is_symlink():
                path.unlink()
            for parent in PurePosixPath(rel).parents:
                if str(parent) == ".":
                    break
                try:
                    (self.target / parent).rmdir()  # only if empty
                except OSError:
                    break
        shutil.rmtree(self.staging)

    def _swap(self) -> None:
        """Swap the staging folder in; the old output is removed only after the swap."""
        if not self.target.exists():
            os.rename(self.staging, self.target)
            return
        if _exchange(self.staging, self.target):
            shutil.rmtree(self.staging)
            return
        # Where the system cannot swap two folders at once: the old output is moved aside, the
        # new one into its place, and the old one removed. No signal stops this between the
        # two renames; if the process is killed there, the next build puts the old output back
        # before anything else (see __enter__), so the output folder is never half-written.
        old = self.target.parent / f".{self.target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        with system.held_signals():
            os.rename(self.target, old)
            try:
                os.rename(self.staging, self.target)
            except BaseException:
                os.rename(old, self.target)
                raise
        shutil.rmtree(old, ignore_errors=True)  # what is left (a file held open on Windows) goes next time


def _case_clash(folded: dict[str, str], rel: str, source: str, written: dict[str, str]) -> None:
    """Refuse a second output path that differs from one already claimed only in upper and
    lower case (or in how its accents are encoded): on the file systems of Windows and macOS
    the two are one file, and one would silently overwrite the other. `folded`: each claimed
    path by its folded form."""
    key = rel.casefold() if rel.isascii() else unicodedata.normalize("NFC", rel).casefold()
    other = folded.setdefault(key, rel)
    if other != rel:
        raise BuildError([Problem(_("two outputs differ only in upper and lower case: {path} (from {source}) "
                                    "and {other_path} (from {other_source}); on Windows and macOS they would be the same file").format(
                                      path=other, source=written[other], other_path=rel, other_source=source),
                                  source, hint=_("rename one of them, or give one of the reports a different slug"))])


class MemoryOutput:
    """An output that lives in memory (for the preview server): path → bytes."""

    def __init__(self, previous: dict[str, bytes] | None = None):
        self.previous = previous or {}
        self.files: dict[str, bytes] = {}
        self.written: dict[str, str] = {}
        self._folded: dict[str, str] = {}  # see _case_clash

    def __enter__(self) -> "MemoryOutput":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _check(self, rel: str, source: str) -> None:
        path = PurePosixPath(rel)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise BuildError([Problem(_("refusing to write '{path}': it is outside the output folder").format(path=rel), source)])
        if rel in self.written:
            raise BuildError([Problem(_("two outputs have the same path {path}: {source} and {other_source}").format(path=rel, source=self.written[rel], other_source=source), source,
                                      hint=_("give one of them a different slug, or rename the static file"))])
        _case_clash(self._folded, rel, source, self.written)
        self.written[rel] = source

    def write(self, rel: str, data: str | bytes, source: str) -> None:
        self._check(rel, source)
        self.files[rel] = data.encode("utf-8") if isinstance(data, str) else data

    def copy(self, rel: str, path: Path, source: str) -> None:
        self._check(rel, source)
        self.files[rel] = path.read_bytes()

    def keep(self, rel: str, source: str) -> bool:
        if rel not in self.previous:
            return False
        self._check(rel, source)
        self.files[rel] = self.previous[rel]
        return True

    def commit(self) -> None:
        return None
