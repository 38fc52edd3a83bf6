"""The only code that writes the output folder.

A build writes into a staging folder beside the output and swaps it in only when every page
has been written, so a failed or interrupted build leaves the previous output as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import filecmp
import os
import shutil
from pathlib import Path, PurePosixPath
from types import TracebackType

from bulletin.errors import BuildError, Problem

_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


class Output:
    """Collects the files of one build; `commit` makes them the output folder."""

    def __init__(self, target: Path):
        self.target = target.absolute()
        self.staging = self.target.parent / f".{self.target.name}.staging"
        self.written: dict[str, str] = {}  # output path → what produced it
        self._dirs: set[str] = set()

    def __enter__(self) -> "Output":
        self.target.parent.mkdir(parents=True, exist_ok=True)
        old = self.target.parent / f".{self.target.name}.old"
        if old.is_dir() and not self.target.exists():  # a swap was interrupted half-way: undo it
            os.rename(old, self.target)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)

    def _place(self, rel: str, source: str) -> Path:
        path = PurePosixPath(rel)
        if path.is_absolute() or ".." in path.parts or not path.parts or rel.endswith("/"):
            raise BuildError([Problem(f"refusing to write '{rel}': it is outside the output folder", source)])
        if rel in self.written:
            raise BuildError(
                [Problem(f"two outputs have the same path {rel}: {self.written[rel]} and {source}", source,
                         hint="give one of them a different slug, or rename the static file")]
            )
        self.written[rel] = source
        parent = str(path.parent)
        if parent not in self._dirs:
            (self.staging / parent).mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        return self.staging / rel

    def write(self, rel: str, data: str | bytes, source: str) -> None:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        target = self._place(rel, source)
        if self._same_as_before(rel, payload):
            try:
                os.link(self.target / rel, target)  # unchanged bytes keep their file and mtime
                return
            except OSError:
                pass
        with open(target, "wb") as handle:
            handle.write(payload)

    def _same_as_before(self, rel: str, payload: bytes) -> bool:
        old = self.target / rel
        try:
            if old.is_symlink() or old.stat().st_size != len(payload):
                return False
            return old.read_bytes() == payload
        except OSError:
            return False

    def copy(self, rel: str, path: Path, source: str) -> None:
        target = self._place(rel, source)
        old = self.target / rel
        try:
            if not old.is_symlink() and old.stat().st_size == path.stat().st_size and filecmp.cmp(old, path, shallow=False):
                os.link(old, target)  # the same bytes: keep the published file and its mtime
                return
        except OSError:
            pass
        shutil.copyfile(path, target)

    def keep(self, rel: str, source: str) -> bool:
        """Carry the previous build's file over unchanged (a hard link: no copy, same mtime).

        False when there is no such file, and the caller writes it instead.
        """
        old = self.target / rel
        if not old.is_file() or old.is_symlink():
            return False
        try:
            os.link(old, self._place(rel, source))
        except OSError:
            del self.written[rel]
            return False
        return True

    def adopt(self, folder: str, source: str) -> None:
        """Count files another program wrote into `folder` of the staging output as ours."""
        for path in sorted((self.staging / folder).rglob("*")):
            if path.is_file():
                self.written[path.relative_to(self.staging).as_posix()] = source

    def keep_folder(self, folder: str, source: str) -> bool:
        """Carry a folder of the previous output over unchanged; False if there is none."""
        old = self.target / folder
        if not old.is_dir():
            return False
        files = [p for p in sorted(old.rglob("*")) if p.is_file() and not p.is_symlink()]
        return all(self.keep(p.relative_to(self.target).as_posix(), source) for p in files)

    def keep_foreign(self, ours: set[str] | None) -> list[str]:
        """Carry over files of the old output that bulletin did not write; returns their paths.

        `ours` is what the previous build wrote (None when unknown: then a folder that looks
        like a bulletin build counts as ours, anything else as foreign).
        """
        if not self.target.is_dir():
            return []
        if ours is None and (self.target / "sitemap.xml").is_file() and (self.target / "index.html").is_file():
            return []
        foreign = []
        for folder, dirs, files in os.walk(self.target):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder, name)
                rel = path.relative_to(self.target).as_posix()
                if (ours is not None and rel in ours) or rel in self.written:
                    continue
                foreign.append(rel)
                parent = self.staging / rel
                parent.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, parent, follow_symlinks=False)
        return sorted(foreign)

    def commit(self) -> None:
        """Swap the staging folder in; the old output is removed only after the swap."""
        if not self.target.exists():
            os.rename(self.staging, self.target)
            return
        if _exchange(self.staging, self.target):
            shutil.rmtree(self.staging)
            return
        old = self.target.parent / f".{self.target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        os.rename(self.target, old)
        os.rename(self.staging, self.target)
        shutil.rmtree(old)


class MemoryOutput:
    """An output that lives in memory (for the preview server): path → bytes."""

    def __init__(self, previous: dict[str, bytes] | None = None):
        self.previous = previous or {}
        self.files: dict[str, bytes] = {}
        self.written: dict[str, str] = {}

    def __enter__(self) -> "MemoryOutput":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _check(self, rel: str, source: str) -> None:
        path = PurePosixPath(rel)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise BuildError([Problem(f"refusing to write '{rel}': it is outside the output folder", source)])
        if rel in self.written:
            raise BuildError([Problem(f"two outputs have the same path {rel}: {self.written[rel]} and {source}", source,
                                      hint="give one of them a different slug, or rename the static file")])
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
