"""The one error type: a problem a person can act on, with its file, line and a hint.

Loading and checking collect every `Problem` they find and raise one `BuildError` carrying
all of them, so an editor sees every mistake in one run.
"""

from __future__ import annotations

import difflib
import reprlib
from dataclasses import dataclass
from typing import Iterable, Sequence

from bulletin.i18n import Text, _, english, translate


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    path: the file, relative to the site folder where possible (None for site-wide problems).
    line: 1-based line in that file, or None when the problem is the file as a whole.
    hint: what to do about it, or None.
    """

    message: str  # an i18n.Text: English as a str, shown in the reader's language (see i18n)
    path: str | None = None
    line: int | None = None
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"

    @property
    def location(self) -> str:
        if self.path is None:
            return "bulletin"
        return f"{self.path}:{self.line}" if self.line else self.path

    def format(self) -> str:
        """`path:line: message`, then the hint indented on its own line, in the current language."""
        prefix = _("warning: ") if self.severity == "warning" else ""
        text = _("{location}: {prefix}{message}").format(location=self.location, prefix=prefix, message=self.message)
        if self.hint:
            text += _("\n  hint: {hint}").format(hint=self.hint)
        return translate(text)

    def as_dict(self) -> dict[str, object]:
        """For `check --format json`: message and hint in the current language; `code` is the
        English message before its details were filled in, a key that stays the same across
        languages and runs."""
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "message": translate(self.message),
            "hint": translate(self.hint) if self.hint else None,
            "code": self.message.msgid if isinstance(self.message, Text) else english(self.message),
        }

    def sort_key(self) -> tuple[str, int, str]:
        return (self.path or "", self.line or 0, self.message)


class BuildError(Exception):
    """Raised with every problem found; callers print them and exit non-zero."""

    def __init__(self, problems: Sequence[Problem], reports: int | None = None):
        self.problems = sorted(problems, key=Problem.sort_key)
        self.reports = reports  # how many reports were checked, when the whole site was
        super().__init__("\n".join(p.format() for p in self.problems))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (BuildError, (self.problems, self.reports))  # so a worker process can raise it to the parent


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return _("did you mean '{choice}'?").format(choice=matches[0]) if matches else None


SHOWN = 60  # characters of a value that a message quotes


class _Short(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4
        self.maxstring = self.maxother = SHOWN


_short = _Short()


def shown(value: object) -> str:
    """A value from the input as a message quotes it: its repr, cut short when long (with its
    length), however long or deeply nested the value is. A plain text is quoted '…' in English
    and “…” in Chinese."""
    if isinstance(value, str):
        cut = value[:SHOWN]
        plain = repr(cut) == f"'{cut}'"
        if len(value) <= SHOWN:
            return _("'{text}'").format(text=value) if plain else repr(value)
        if plain:
            return _("'{text}…' ({n} characters)").format(text=cut, n=f"{len(value):,}")
        quoted = repr(cut)
        return _("{text} ({n} characters)").format(text=f"{quoted[:-1]}…{quoted[-1]}", n=f"{len(value):,}")
    return _short.repr(value)
