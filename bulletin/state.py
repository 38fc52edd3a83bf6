"""What one `bulletin build` keeps for the next, in the site's hidden cache folder.

- The inputs file: the size, time and inode of every file the site is made from, and what the
  build reported. It is written last and removed before the output folder is touched, so it
  exists only when the output and the state below belong together; nothing else is trusted
  without it.
- The state: the fingerprint of every page and what each depends on, and the site as it was
  gathered; beside it the parsed reports (bodies in files of their own, read only when a page
  needs them), which only a full build reads.
- The journal: what rebuilds that changed only some reports' bodies changed in the state,
  appended instead of writing the whole state again; a full build starts a new state.
- The manifest: every file the last build wrote into the output folder; and the output's
  folders with their times, so that a full build need not read the whole output to find files
  someone else put there.

Each is kept per output folder, so two output folders of one site do not mix.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

CACHE_DIR = ".bulletin-cache"
FORMAT = 10  # of the files below: bumped whenever what they hold changes shape
_READ_ERRORS = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
                KeyError, IndexError)


@dataclass(frozen=True)
class Inputs:
    digest: str  # of every input file's path, size, time and inode
    other: str  # the same for every input but the files under content/
    content: dict[str, tuple[int, int, int]]  # site-relative path under content/ → (mtime, size, inode)

    def changed(self, since: "Inputs") -> list[str]:
        """The files under content/ that are new or changed since `since` was taken."""
        return [rel for rel, key in self.content.items() if since.content.get(rel) != key]


def scan(root: Path, folders: list[Path], salt: object) -> Inputs:
    """Stat every input file once: the site's content/ and then the other `folders` (or files)."""
    content: dict[str, tuple[int, int, int]] = {}
    other = hashlib.blake2b(repr(salt).encode())
    top = len(str(root)) + 1
    for path, info in walk_stats(root / "content"):
        content[path[top:]] = (info.st_mtime_ns, info.st_size, info.st_ino)
    for folder in folders:
        for path, info in walk_stats(folder):
            other.update(f"{path}\0{info.st_mtime_ns}\0{info.st_size}\0{info.st_ino}\n".encode())
    digest = hashlib.blake2b(other.digest())
    digest.update(repr(sorted(content.items())).encode())
    return Inputs(digest.hexdigest(), other.hexdigest(), content)


def walk_stats(top: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(path, stat) of every file under `top` (or of `top` itself), in a stable order; hidden
    folders are skipped."""
    try:
        info = os.stat(top)
    except OSError:
        return
    if not os.path.isdir(top):
        yield str(top), info
        return
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    stack.append(entry.path)
            else:
                try:
                    yield entry.path, entry.stat()
                except OSError:
                    continue


_MISSING = object()


def _read(path: Path) -> Any:
    """A pickled file's object, or _MISSING when it cannot be read (absent, damaged, older)."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except _READ_ERRORS:
        return _MISSING


def _write(path: Path, data: Any) -> None:
    """Pickle `data` into `path` whole or not at all (raises OSError)."""
    partial = path.with_suffix(".part")
    with open(partial, "wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)


class Pack:
    """Report bodies appended to one new file of a folder, each read back by offset and length:
    one file written per build instead of one per body."""

    def __init__(self, folder: Path, flush: bool = False):
        self.folder = folder
        self.flush = flush  # every body on disk as soon as it is put (a worker process ends unannounced)
        self.path: str | None = None
        self.handle: Any = None
        self.placed: dict[str, tuple[str, int, int]] = {}

    def put(self, digest: str, text: str) -> tuple[str, int, int]:
        if digest not in self.placed:
            if self.handle is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.path = str(self.folder / f"{secrets.token_hex(8)}.pack")
                self.handle = open(self.path, "wb", buffering=0 if self.flush else -1)
            data = text.encode("utf-8")
            self.placed[digest] = (self.path, self.handle.tell(), len(data))  # type: ignore[assignment]
            self.handle.write(data)
        return self.placed[digest]

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class Store:
    """The files above for one site and one output folder."""

    def __init__(self, root: Path, output: Path, version: object):
        self.folder = root / CACHE_DIR
        key = hashlib.sha1(str(output).encode()).hexdigest()[:16]
        self.state_path = self.folder / f"state-{key}.pickle"
        self.journal_path = self.folder / f"state-{key}.journal"
        self.reports_path = self.folder / f"reports-{key}.pickle"
        self.inputs_path = self.folder / f"inputs-{key}.pickle"
        self.manifest_path = self.folder / f"written-{key}.txt"
        self.folders_path = self.folder / f"folders-{key}.pickle"
        self.slugs_path = self.folder / "slugs.pickle"  # the same for every output
        self.bodies = self.folder / f"bodies-{key}"  # each state cleans up its own
        self.version = (FORMAT, version, str(output))
        self._slugs: dict[str, str] | None = None  # as read once

    # --- the inputs file -------------------------------------------------------------------
    def saved(self) -> dict[str, Any] | None:
        """What the last complete build saw and said, if it belongs to this version."""
        saved = _read(self.inputs_path)
        return saved if isinstance(saved, dict) and saved.get("version") == self.version else None

    def invalidate(self) -> None:
        """Before the output changes: until the next save, nothing kept may be trusted."""
        try:
            self.inputs_path.unlink()
        except FileNotFoundError:
            pass

    def save_inputs(self, inputs: Inputs, state: tuple[str, int] | None, **said: Any) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.inputs_path, {"version": self.version, "inputs": inputs, "state": state, **said})
        except OSError:
            pass  # a read-only site still builds; the next build just starts from scratch

    # --- the state and its journal ---------------------------------------------------------
    def load(self, state: tuple[str, int] | None) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The state and its journal records, when they are the ones `state` = (token, journal
        length) names."""
        if state is None:
            return None
        token, length = state
        try:
            with open(self.state_path, "rb") as handle:
                base = pickle.load(handle)
            records = []
            if length:
                with open(self.journal_path, "rb") as handle:
                    journal = io.BytesIO(handle.read(length))
                while journal.tell() < length:
                    records.append(pickle.load(journal))
        except _READ_ERRORS:
            return None
        if base.get("token") != token or any(r.get("token") != token for r in records):
            return None
        return base, records

    def load_reports(self, state: tuple[str, int]) -> Any:
        """The parsed reports saved with the state `state` names (None if they are not)."""
        parsed = _read(self.reports_path)
        return parsed["reports"] if isinstance(parsed, dict) and parsed.get("token") == state[0] else None

    def save(self, reports: Any, **state: Any) -> tuple[str, int] | None:
        """Write a whole new state; returns its (token, 0), or None when it could not be written."""
        token = secrets.token_hex(8)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.reports_path, {"token": token, "reports": reports})
            _write(self.state_path, {"token": token, **state})
            if self.journal_path.exists():
                self.journal_path.unlink()
        except OSError:
            return None
        return token, 0

    def append(self, state: tuple[str, int], record: dict[str, Any]) -> tuple[str, int] | None:
        """Add a record to the journal of the state `state` names; returns the new (token, length).
        Whatever a build that did not finish left after that length is overwritten."""
        token, length = state
        try:
            with open(self.journal_path, "r+b" if length else "wb") as handle:
                handle.seek(length)
                handle.truncate()
                pickle.dump({"token": token, **record}, handle, protocol=pickle.HIGHEST_PROTOCOL)
                end = handle.tell()
        except OSError:
            return None
        return token, end

    # --- the output's folders ---------------------------------------------------------------
    def folders(self) -> Any:
        """The output's folders as the last full build left them (writer.Folders), if known."""
        folders = _read(self.folders_path)
        return None if folders is _MISSING else folders

    def save_folders(self, folders: Any) -> None:
        try:
            _write(self.folders_path, folders)
        except OSError:
            pass  # the next build reads the whole output instead

    # --- pinyin ----------------------------------------------------------------------------
    def slugs(self) -> dict[str, str]:
        """Text → pinyin slug, as earlier builds looked them up (the file is read once)."""
        if self._slugs is None:
            known = _read(self.slugs_path)
            self._slugs = known if isinstance(known, dict) else {}
        return self._slugs

    def save_slugs(self, known: dict[str, str]) -> None:
        self._slugs = known
        try:
            _write(self.slugs_path, known)
        except OSError:
            pass

    # --- the manifest ----------------------------------------------------------------------
    def manifest(self) -> set[str] | None:
        """What the last build wrote into this output folder, if known."""
        try:
            return set(self.manifest_path.read_text(encoding="utf-8").splitlines())
        except OSError:
            return None

    def save_manifest(self, written: set[str]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.manifest_path.write_text("\n".join(sorted(written)), encoding="utf-8")
        except OSError:
            pass  # a read-only site still builds; foreign files are then judged without it
