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

Nothing in the cache is trusted because it is there: a site's folder may come from anyone (a
`git add -f` gets the cache past .gitignore). Every file above is signed with HMAC-SHA256 under
a key that lives outside every site (see `signer`), and its signature is checked before it is
unpickled; the files holding bodies are checked against what the signed state recorded of
them. A file that fails is not used, as if it were absent: the build starts from scratch, and
`bulletin build -v` says why.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle
import secrets
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from bulletin.i18n import _

CACHE_DIR = ".bulletin-cache"
FORMAT = 11  # of the files below: bumped whenever what they hold changes shape
_READ_ERRORS = (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
                KeyError, IndexError)
KEY_VARIABLE = "BULLETIN_CACHE_KEY"  # the key itself, instead of the key file (for CI)

log = logging.getLogger("bulletin.cache")
_noted: set[str] = set()


def _note(message: str) -> None:
    """Say (in a verbose build) why something in the cache is not used; once per process."""
    if message not in _noted:
        _noted.add(message)
        log.info(message)


# --- the key and the signatures ------------------------------------------------------------
def key_file() -> Path:
    """Where this user's key for signing build caches is kept: in the user's cache folder
    ($XDG_CACHE_HOME or ~/.cache; %LOCALAPPDATA% on Windows)."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
    else:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "bulletin", "key")


def user_cache_folder() -> Path:
    """bulletin's folder in the user's cache folder (outside every site)."""
    return key_file().parent


class Signer:
    """Signs and checks the cache's files with one key (HMAC-SHA256). Each signature covers the
    file's name too, so one signed file cannot stand in for another."""

    MAGIC = b"bulletin cache 1\n"
    SIZE = 32  # bytes of a signature

    def __init__(self, key: bytes):
        self._key = key

    def mac(self, name: str) -> Any:
        """A signature under way, for the file `name`: give it the bytes with .update()."""
        return hmac.new(self._key, name.encode() + b"\0", "sha256")

    def tag(self, name: str, *parts: bytes | memoryview) -> bytes:
        mac = self.mac(name)
        for part in parts:
            mac.update(part)
        return mac.digest()

    def seal(self, name: str, payload: bytes) -> bytes:
        """`payload` with its signature in front, as the file `name` holds it."""
        return self.MAGIC + self.tag(name, payload) + payload

    def check(self, head: bytes, mac: Any) -> str | None:
        """Why a file that starts with `head` (its first len(MAGIC) + SIZE bytes) and whose
        payload gave `mac` cannot be trusted; None when it can."""
        if not head.startswith(self.MAGIC):
            return _("it is cut short") if head and self.MAGIC.startswith(head) else \
                _("it is not signed (made by an older bulletin, or not by bulletin)")
        if len(head) < len(self.MAGIC) + self.SIZE:
            return _("it is cut short")
        if not hmac.compare_digest(head[len(self.MAGIC):], mac.digest()):
            return _("its signature does not match (changed since, or made with another key)")
        return None

    def open(self, name: str, data: bytes) -> memoryview | str:
        """The payload of a sealed file, or why it cannot be trusted."""
        head = len(self.MAGIC) + self.SIZE
        payload = memoryview(data)[head:]
        mac = self.mac(name)
        mac.update(payload)
        return self.check(data[:head], mac) or payload


_signers: dict[str, Signer] = {}


def signer(root: Path) -> Signer:
    """The signer for the caches of the site at `root`, with this user's key: BULLETIN_CACHE_KEY,
    or else the key file (see key_file), made on first use with a random key, readable by this
    user only. A key that cannot be kept there, or that would lie inside the site (where anyone
    could commit it), is replaced by one for this process alone: nothing cached by an earlier
    process is then trusted."""
    site = str(root)
    if site not in _signers:
        given = os.environ.get(KEY_VARIABLE)
        if given:
            key: bytes | None = given.encode()
        else:
            path = key_file()
            inside = os.path.realpath(path).startswith(os.path.join(os.path.realpath(root), ""))
            key = None if inside else _key(path)
            if key is None:
                _note((_("no key to sign the build cache with ({path} is inside the site): every build starts from scratch; "
                         "set {variable} to a secret of your own") if inside else
                       _("no key to sign the build cache with ({path} cannot be written): every build starts from scratch; "
                         "set {variable} to a secret of your own")).format(path=path, variable=KEY_VARIABLE))
                key = secrets.token_bytes(32)
        _signers[site] = Signer(key)
    return _signers[site]


def _key(path: Path) -> bytes | None:
    """The key in `path`, made first if there is none (or one that others could read or change)."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return _new_key(path, replace=False)
    except OSError:
        return _new_key(path, replace=True)  # a link, or not readable
    try:
        info = os.fstat(handle)
        data = os.read(handle, 200).strip()
    finally:
        os.close(handle)
    others = os.name != "nt" and (info.st_uid != os.getuid() or info.st_mode & 0o077)
    if not stat.S_ISREG(info.st_mode) or others or len(data) < 32:
        return _new_key(path, replace=True)
    return data


def _new_key(path: Path, replace: bool) -> bytes | None:
    key = secrets.token_hex(32).encode()
    partial = path.with_name(f"key.{secrets.token_hex(8)}.part")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0), 0o600)
        try:
            os.write(handle, key + b"\n")
        finally:
            os.close(handle)
        if replace:
            os.replace(partial, path)
            return key
        try:
            os.link(partial, path)  # only if there is still none: two first builds agree on one key
        except FileExistsError:
            return _key(path)
        except OSError:  # no hard links here
            os.replace(partial, path)
            return key
        finally:
            if os.path.lexists(partial):
                os.unlink(partial)
        return key
    except OSError:
        return None


def own_folder(folder: Path, root: Path) -> Path:
    """`folder` (in the site's cache folder) made safe to write into: the cache folder and
    `folder` are real folders, not links that would lead reads and writes elsewhere; a link in
    their place, as a committed cache may hold, is removed (only the link)."""
    for path in (root / CACHE_DIR, folder):
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            _note(_("removed {path} from the build cache: it was not a folder of bulletin's").format(path=path))
            try:
                os.unlink(path)
            except OSError:
                pass
    return folder


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


def _open_file(path: Path) -> BinaryIO | None:
    """`path` open for reading, if it is a file: not a link (to /dev/zero, say), not a pipe that
    would never end."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    file = open(handle, "rb")
    try:
        if stat.S_ISREG(os.fstat(handle).st_mode):
            return file
        _note(_("not using {name} from the build cache: it is not a file").format(name=path.name))
    except OSError:
        pass
    file.close()
    return None


def _read_file(path: Path, limit: int = -1) -> bytes | None:
    """The bytes of `path` (up to `limit`), if it is a file (see _open_file)."""
    file = _open_file(path)
    if file is None:
        return None
    with file:
        try:
            return file.read(limit)
        except OSError:
            return None


def partial_name(path: Path) -> Path:
    """Where `path` is written before it takes its name: one of its own for each writer (page
    workers may write the same compiled template at once)."""
    return path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")


def read_signed(path: Path, signer: Signer) -> memoryview | None:
    """What the signed file `path` holds, if it is there and its signature holds."""
    data = _read_file(path)
    if data is None:
        return None
    payload = signer.open(path.name, data)
    if isinstance(payload, str):
        _note(_("not using {name} from the build cache: {reason}").format(name=path.name, reason=payload))
        return None
    return payload


def write_signed(path: Path, signer: Signer, payload: bytes) -> None:
    """Sign `payload` into `path`, whole or not at all (raises OSError)."""
    with _replacing(path) as handle:
        handle.write(signer.seal(path.name, payload))


@contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A new file that takes the name `path` once it is written whole (a link in its place is
    replaced, not written through); nothing is left if writing it fails."""
    partial = partial_name(path)
    try:
        with open(partial, "wb") as handle:
            yield handle
        partial.replace(path)
    except BaseException:
        if os.path.lexists(partial):
            os.unlink(partial)
        raise


def _read(path: Path, signer: Signer) -> Any:
    """A signed pickle's object, or _MISSING when it cannot be read (absent, damaged, older,
    not signed with this key). Nothing is unpickled before its signature is checked: the
    file is read once to check it, then unpickled from the same open file, a piece at a time
    (a state of 10,000 reports is 34 MB)."""
    file = _open_file(path)
    if file is None:
        return _MISSING
    with file:
        try:
            head = file.read(len(Signer.MAGIC) + Signer.SIZE)
            mac, chunk = signer.mac(path.name), bytearray(1 << 20)
            view = memoryview(chunk)
            while size := file.readinto(chunk):
                mac.update(view[:size])
            reason = signer.check(head, mac)
            if reason is not None:
                _note(_("not using {name} from the build cache: {reason}").format(name=path.name, reason=reason))
                return _MISSING
            file.seek(len(head))
            return pickle.load(file)
        except _READ_ERRORS:
            return _MISSING


class _Signing:
    """A file being written whose bytes also go into a signature."""

    def __init__(self, file: BinaryIO, mac: Any):
        self.file, self.mac = file, mac

    def write(self, data: Any) -> int:
        self.mac.update(data)
        return self.file.write(data)


def _write(path: Path, signer: Signer, data: Any) -> None:
    """Pickle `data` into `path`, signed, whole or not at all (raises OSError); a piece at a
    time, as it is signed."""
    mac = signer.mac(path.name)
    with _replacing(path) as file:
        file.write(Signer.MAGIC + bytes(Signer.SIZE))
        pickle.dump(data, _Signing(file, mac), protocol=pickle.HIGHEST_PROTOCOL)
        file.seek(len(Signer.MAGIC))
        file.write(mac.digest())


def seal_file(path: Path, signer: Signer, data: bytes) -> None:
    """Sign `data`, just written to `path`, in a file beside it (`path`.sig)."""
    write_signed(path.with_name(path.name + ".sig"), signer, signer.tag(path.name, data))


def verified_file(path: Path, signer: Signer) -> bool:
    """Whether `path` is a file (not a link) holding the bytes seal_file signed for it."""
    data = _read_file(path)
    if data is None:
        return False
    sealed = _read_file(path.with_name(path.name + ".sig"), len(Signer.MAGIC) + 2 * Signer.SIZE + 1)
    tag = signer.open(path.name + ".sig", sealed or b"")
    if isinstance(tag, str) or not hmac.compare_digest(tag, signer.tag(path.name, data)):
        _note(_("not using {name} from the build cache: {reason}").format(
            name=path.name, reason=tag if isinstance(tag, str) else _("its bytes are not the ones signed")))
        return False
    return True


def _identity(path: str) -> tuple[int, int, int, int] | None:
    """What tells a file of bodies from any other put in its place: its size, times and inode
    (the change time cannot be set back)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def _identities(files: Any) -> dict[str, tuple[int, int, int, int] | None]:
    return {path: _identity(path) for path in files or () if path is not None}


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
        self.root = root
        self.folder = root / CACHE_DIR
        key = hashlib.sha1(str(output).encode()).hexdigest()[:16]
        self.state_path = self.folder / f"state-{key}.pickle"
        self.journal_path = self.folder / f"state-{key}.journal"
        self.reports_path = self.folder / f"reports-{key}.pickle"
        self.inputs_path = self.folder / f"inputs-{key}.pickle"
        self.manifest_path = self.folder / f"written-{key}.txt"
        self.folders_path = self.folder / f"folders-{key}.pickle"
        self.slugs_path = self.folder / "slugs.pickle"  # the same for every output
        self.bodies = own_folder(self.folder / f"bodies-{key}", root)  # each state cleans up its own
        self.version = (FORMAT, version, str(output))
        self._slugs: dict[str, str] | None = None  # as read once

    @property
    def signer(self) -> Signer:
        return signer(self.root)

    # --- the inputs file -------------------------------------------------------------------
    def saved(self) -> dict[str, Any] | None:
        """What the last complete build saw and said, if it belongs to this version."""
        saved = _read(self.inputs_path, self.signer)
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
            _write(self.inputs_path, self.signer, {"version": self.version, "inputs": inputs, "state": state, **said})
        except OSError:
            pass  # a read-only site still builds; the next build just starts from scratch

    # --- the state and its journal ---------------------------------------------------------
    def load(self, state: tuple[str, int] | None) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The state and its journal records, when they are the ones `state` = (token, journal
        length) names."""
        if state is None:
            return None
        token, length = state
        base = _read(self.state_path, self.signer)
        records = self._journal(length)
        if not isinstance(base, dict) or records is None:
            return None
        if base.get("token") != token or any(r.get("token") != token for r in records):
            return None
        for record in (base, *records):  # the files holding bodies are the ones written then
            packs = record.get("packs")
            if not isinstance(packs, dict) or _identities(packs) != packs:
                _note(_("not using the build cache's state: a file of report bodies changed since it was saved"))
                return None
        return base, records

    def _journal(self, length: int) -> list[dict[str, Any]] | None:
        """The first `length` bytes of the journal as records, each checked before it is
        unpickled: its length, its signature (which covers where it starts), then the record."""
        if not length:
            return []
        data = _read_file(self.journal_path, length)
        if data is None:
            return None
        records = []
        view, at, name, size = memoryview(data), 0, self.journal_path.name, Signer.SIZE
        signer = self.signer
        while at < length:
            end = at + 8 + size + int.from_bytes(view[at:at + 8], "big")
            if len(data) < end:
                _note(_("not using {name} from the build cache: {reason}").format(name=name, reason=_("it is cut short")))
                return None
            payload = view[at + 8 + size:end]
            if not hmac.compare_digest(view[at + 8:at + 8 + size], signer.tag(name, at.to_bytes(8, "big"), payload)):
                _note(_("not using {name} from the build cache: {reason}").format(name=name, reason=_("a record's signature does not match")))
                return None
            try:
                record = pickle.loads(payload)
            except _READ_ERRORS:
                return None
            if not isinstance(record, dict):
                return None
            records.append(record)
            at = end
        return records

    def load_reports(self, state: tuple[str, int]) -> Any:
        """The parsed reports saved with the state `state` names (None if they are not)."""
        parsed = _read(self.reports_path, self.signer)
        return parsed["reports"] if isinstance(parsed, dict) and parsed.get("token") == state[0] else None

    def save(self, reports: Any, **state: Any) -> tuple[str, int] | None:
        """Write a whole new state; returns its (token, 0), or None when it could not be written."""
        token = secrets.token_hex(8)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.reports_path, self.signer, {"token": token, "reports": reports})
            _write(self.state_path, self.signer, {"token": token, "packs": _identities(state.get("files")), **state})
            if self.journal_path.exists():
                self.journal_path.unlink()
        except OSError:
            return None
        return token, 0

    def append(self, state: tuple[str, int], record: dict[str, Any]) -> tuple[str, int] | None:
        """Add a record to the journal of the state `state` names; returns the new (token, length).
        Whatever a build that did not finish left after that length is overwritten."""
        token, length = state
        payload = pickle.dumps({"token": token, "packs": _identities(record.get("files")), **record},
                               protocol=pickle.HIGHEST_PROTOCOL)
        tag = self.signer.tag(self.journal_path.name, length.to_bytes(8, "big"), payload)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            if not length and os.path.lexists(self.journal_path):
                os.unlink(self.journal_path)  # a new journal: whatever had its name goes
            with open(os.open(self.journal_path, flags, 0o644), "r+b") as handle:  # never through a link
                handle.seek(length)
                handle.truncate()
                handle.write(len(payload).to_bytes(8, "big") + tag)
                handle.write(payload)
        except OSError:
            return None
        return token, length + 8 + len(tag) + len(payload)

    # --- the output's folders ---------------------------------------------------------------
    def folders(self) -> Any:
        """The output's folders as the last full build left them (writer.Folders), if known."""
        folders = _read(self.folders_path, self.signer)
        return None if folders is _MISSING else folders

    def save_folders(self, folders: Any) -> None:
        try:
            _write(self.folders_path, self.signer, folders)
        except OSError:
            pass  # the next build reads the whole output instead

    # --- pinyin ----------------------------------------------------------------------------
    def slugs(self) -> dict[str, str]:
        """Text → pinyin slug, as earlier builds looked them up (the file is read once)."""
        if self._slugs is None:
            known = _read(self.slugs_path, self.signer)
            self._slugs = known if isinstance(known, dict) else {}
        return self._slugs

    def save_slugs(self, known: dict[str, str]) -> None:
        self._slugs = known
        try:
            _write(self.slugs_path, self.signer, known)
        except OSError:
            pass

    # --- the manifest ----------------------------------------------------------------------
    def manifest(self) -> set[str] | None:
        """What the last build wrote into this output folder, if known."""
        data = read_signed(self.manifest_path, self.signer)
        try:
            return None if data is None else set(str(data, "utf-8").splitlines())
        except UnicodeDecodeError:
            return None

    def save_manifest(self, written: set[str]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_signed(self.manifest_path, self.signer, "\n".join(sorted(written)).encode("utf-8"))
        except OSError:
            pass  # a read-only site still builds; foreign files are then judged without it
