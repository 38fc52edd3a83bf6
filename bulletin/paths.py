"""Which files bulletin may publish: the one rule, used wherever a file of the site is read
into the output (reports, their images and attachments, static/, templates/, themes/).

A file is published only if its real path (every symbolic link followed, every `.` and `..`
taken) lies inside the site folder and not inside a hidden file or folder (.git/,
.bulletin-cache/, .env, …) or node_modules/. The one hidden folder that is public by
convention, .well-known/, is allowed. Everything else is an error naming the file (and the
line of the report that uses it), whichever command found it.
"""

from __future__ import annotations

import os
from pathlib import Path

from bulletin.errors import BuildError, Problem
from bulletin.i18n import _

# Part of what a build's saved state depends on: a site built before the rule changed is read
# and checked again, not taken as it was.
VERSION = "1"
PRIVATE_FOLDERS = ("node_modules",)  # besides every hidden file and folder
PUBLIC_HIDDEN = (".well-known",)  # hidden, and meant to be published (RFC 8615)
_HINT_OUTSIDE = _("copy the file into the site instead of linking to it")
_HINT_PRIVATE = _("bulletin never publishes .git/, .bulletin-cache/, node_modules/ or other hidden files and "
                  "folders: put what should be published in a visible folder of the site")


class NotPublishable(BuildError):
    """A file the rule refuses; `problem` says which, where it is used and what to do."""

    def __init__(self, problem: Problem):
        super().__init__([problem])
        self.problem = problem

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (NotPublishable, (self.problem,))


def hidden(name: str) -> bool:
    """Whether a file or folder of this name is never published (see the module's rule)."""
    return (name.startswith(".") and name not in PUBLIC_HIDDEN) or name in PRIVATE_FOLDERS


def site_file(root: Path, path: str | os.PathLike[str], *, report: str | None = None, line: int | None = None,
              written: str | None = None, what: str = "file") -> Path:
    """The real path of `path` (absolute, or relative to `root`), which bulletin may publish.

    `root` is the site folder as a real path (config.root), or the folder of a theme that
    ships with bulletin. Raises NotPublishable when the rule refuses the file: the problem
    names `report` and `line` (the report or front-matter key using the file, as `written`
    there; `what` it is, e.g. "image") or, without a report, the file itself. Raises OSError
    (FileNotFoundError mostly) when the path or a link on the way leads nowhere: the caller
    says "not found" its own way. Folders are accepted like files; callers check the kind.
    """
    full = os.path.join(root, path)
    try:
        real = os.path.realpath(full, strict=True)
    except ValueError:  # a NUL in the name: no such file
        raise FileNotFoundError(f"no such file: {path!r}") from None
    base = os.path.join(root, "")
    if real != str(root) and not real.startswith(base):
        raise NotPublishable(_problem(root, full, report, line, written, what, None))
    parts = [part for part in real[len(base):].split(os.sep) if part]
    private = next((i for i, part in enumerate(parts) if hidden(part)), None)
    if private is not None:
        where = f"{parts[private]}/" if private < len(parts) - 1 else parts[private]
        raise NotPublishable(_problem(root, full, report, line, written, what, where))
    return Path(real)


def _problem(root: Path, full: str, report: str | None, line: int | None, written: str | None, what: str,
             private: str | None) -> Problem:
    """The problem of a refused file: what it is, and which symbolic link on its way (if any)
    took it out of the site or into a hidden folder. `private`: the hidden file, or the hidden
    folder (with a slash), the file is in; None when it is outside the site."""
    rel = _rel(root, full)
    name = written if written is not None else rel
    subjects = {"image": _("image '{name}'"), "linked file": _("linked file '{name}'")}
    subject = subjects.get(what, _("file '{name}'")).format(name=name) if report is not None else _("this")
    link = _first_bad_link(root, full)
    if private is None:
        if link is None:
            message = _("{subject} is outside the site folder").format(subject=subject)
        elif link == os.path.normpath(full):
            message = _("{subject} is a symbolic link to something outside the site").format(subject=subject)
        else:
            message = _("{subject} leads outside the site: {link} is a symbolic link to '{target}'").format(
                subject=subject, link=_rel(root, link), target=os.readlink(link))
        hint = _HINT_OUTSIDE
    else:
        into = (_("inside {folder}") if private.endswith("/") else _("the hidden file {folder}")).format(folder=private)
        if link is None:
            message = _("{subject} is {where}, which is never published").format(subject=subject, where=into)
        elif link == os.path.normpath(full):
            message = _("{subject} is a symbolic link to '{target}', {where}, which is never published").format(
                subject=subject, target=os.readlink(link), where=into)
        else:
            message = _("{subject} is {where}, which is never published: {link} is a symbolic link to '{target}'").format(
                subject=subject, where=into, link=_rel(root, link), target=os.readlink(link))
        hint = _HINT_PRIVATE
    return Problem(message, report if report is not None else rel, line if report is not None else None, hint=hint)


def _first_bad_link(root: Path, full: str) -> str | None:
    """The first symbolic link on the way from `root` to `full` whose target is not a file
    bulletin may publish (None when the way has no such link)."""
    base = os.path.join(root, "")
    path = os.path.normpath(full)
    if not path.startswith(base):
        return None
    current = str(root)
    for part in path[len(base):].split(os.sep):
        current = os.path.join(current, part)
        if os.path.islink(current):
            try:
                target = os.path.realpath(current, strict=True)
            except OSError:
                return current
            inside = target == str(root) or target.startswith(base)
            if not inside or any(hidden(p) for p in target[len(base):].split(os.sep) if p):
                return current
    return None


def _rel(root: Path, path: str) -> str:
    """`path` as the messages show it: relative to the site folder where it is inside."""
    path = os.path.normpath(path)
    base = os.path.join(root, "")
    return Path(path[len(base):]).as_posix() if path.startswith(base) else path


def site_tree(root: Path, folder: Path, problems: list[Problem], skipped: list[str] | None = None) -> dict[str, Path]:
    """Every file under `folder` that bulletin may publish: its path relative to `folder` →
    its real path, in a stable order. Links are followed where the rule allows (a folder is
    read once, by the first of its names); a file or folder the rule refuses, or a link to
    nothing, is a problem. Hidden files and folders are skipped, and named in `skipped`."""
    files: dict[str, Path] = {}
    if not os.path.lexists(folder):
        return files
    seen: set[str] = set()
    for base, dirs, names in os.walk(folder, followlinks=True):
        try:
            real = str(site_file(root, base))
        except NotPublishable as refused:
            problems.append(refused.problem)
            dirs[:] = []
            continue
        except OSError:
            dirs[:] = []
            continue
        if real in seen:  # a link to a folder already read: do not go round in circles
            dirs[:] = []
            continue
        seen.add(real)
        for name in sorted(dirs):
            if hidden(name) and skipped is not None:
                skipped.append(_rel(root, os.path.join(base, name)))
        dirs[:] = sorted(d for d in dirs if not hidden(d))
        for name in sorted(names):
            path = os.path.join(base, name)
            if hidden(name):
                if skipped is not None:
                    skipped.append(_rel(root, path))
                continue
            try:
                files[Path(path).relative_to(folder).as_posix()] = site_file(root, path)
            except NotPublishable as refused:
                problems.append(refused.problem)
            except OSError:
                problems.append(Problem(_("this is a symbolic link to nothing (its file is gone)"), _rel(root, path),
                                        hint=_("remove the link, or put the file it names back")))
    return files
