"""The only code that writes the output folder.

A build writes into a staging folder beside the output and swaps it in only when every page
has been written, so a failed or interrupted build leaves the previous output as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
        with open(self._place(rel, source), "wb") as handle:
            handle.write(payload)

    def copy(self, rel: str, path: Path, source: str) -> None:
        shutil.copyfile(path, self._place(rel, source))

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
