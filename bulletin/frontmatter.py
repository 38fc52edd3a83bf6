"""Split a report into its YAML front-matter and body, and normalise each field."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date as Date, datetime, timedelta, timezone
from typing import Any, Callable, Mapping

from bulletin.config import SiteConfig, Zone, page_number
from bulletin.errors import SHOWN, Problem, did_you_mean, shown
from bulletin.markup import WEB_SCHEMES, url_problem
from bulletin.model import IssueRef, Meta, PageRef
from bulletin.slugs import is_valid_slug, zone_place, zone_slug
from bulletin.yamlmap import Entry, load_mapping
from bulletin.i18n import _

FIELDS = (
    "title", "date", "zone", "reporter", "tags", "slug", "summary", "draft",
    "image", "image_caption", "image_credit", "edition", "page", "position", "aliases", "id",
)
REQUIRED = ("title", "date", "zone")
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?[ ]*(Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_TAG_SEPARATORS = re.compile(r"[,，、;；]")
DATE_HINT = _("write the date as YYYY-MM-DD or YYYY-MM-DD HH:MM, optionally with an offset such as +08:00")
EDITION_HINT = _("e.g. edition: 2021-03-31, or with the issue's number: edition: {date: 2021-03-31, number: 1234}")
PAGE_HINT = _("e.g. page: 6, or with the page's name: page: {number: 6, name: 高新区}")
POSITION_HINT = _("e.g. position: 1 for the first report on its page")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISSUE_NUMBER = re.compile(r"^第?\s*(\d+)\s*期?$")
_EDITION_KEYS = ("date", "number")
_PAGE_KEYS = ("number", "name")
# Characters that change the order text is shown in without being seen (U+202E shows "abc" as
# "cba"): refused in titles and names.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Characters that are not seen at all: removed from names, so that 营商\u200b环境 is 营商环境.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
BIDI_HINT = _("delete it (most editors do not show it: retype the text if need be)")


def normalize_name(name: str) -> str:
    """A tag, reporter or zone as it is compared and turned into a URL: NFKC (full-width Ａ is
    A), without zero-width characters, each run of spaces one space. Names that look the same
    are the same."""
    return " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).split())


def visible(text: str) -> str:
    """`text` for a message: each control, invisible or direction-changing character as <U+XXXX>."""
    return re.sub("[\x00-\x1f\x7f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]",
                  lambda m: f"<U+{ord(m.group()):04X}>", text)


def bidi_problem(text: str, what: str) -> str | None:
    """The message for a bidirectional control character in `text` (a title, a name), or None."""
    found = _BIDI.search(text)
    if found is None:
        return None
    return _("{what} '{text}' holds an invisible character that changes the order text is shown in "
             "(U+{code:04X})").format(what=what, text=visible(text), code=ord(found.group()))


class Split:
    """A report's text cut in two: YAML (starting on line 2) and body (starting on body_line)."""

    __slots__ = ("yaml", "body", "body_line")

    def __init__(self, yaml: str, body: str, body_line: int):
        self.yaml, self.body, self.body_line = yaml, body, body_line


def split(text: str, path: str) -> Split | Problem:
    if not text.strip():
        return Problem(_("the file is empty"), path, None, hint=_("a report starts with front-matter: a '---' line, 'title: …', 'date: …', 'zone: …', and a closing '---'"))
    lines = text.split("\n")
    if not _FENCE.match(lines[0]):
        return Problem(
            _("the file does not start with front-matter"),
            path, 1,
            hint=_("put a line '---' first, then 'title:', 'date:' and 'zone:', then a closing '---'"),
        )
    for index in range(1, len(lines)):
        if _CLOSE.match(lines[index]):
            return Split("\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2)
    return Problem(
        _("the front-matter is never closed"),
        path, 1,
        hint=_("add a line '---' after the last front-matter key (did you forget it?)"),
    )


def parse_date(value: Any, tz: Any) -> tuple[datetime, bool] | str:
    """(aware datetime, whether a time was given), or the reason it is not a date."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return _("'date' must be a date, not {value}").format(value=shown(value))
    text = str(value).strip()
    match = _DATE.match(text)
    if not match:
        return _("{text} is not a date").format(text=shown(text))
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError as exc:
        return _("{text} is not a date: {reason}").format(text=shown(text), reason=_date_reason(exc))
    if offset is None:
        return naive.replace(tzinfo=tz), hour is not None
    if offset == "Z":
        return naive.replace(tzinfo=timezone.utc), True
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if delta > timedelta(hours=14):
        return _("{text} has an impossible UTC offset").format(text=shown(text))
    return naive.replace(tzinfo=timezone(delta if offset[0] == "+" else -delta)), True


def parse_edition(value: Any) -> IssueRef | str:
    """The issue a report was printed in, or the reason the value is not one.

    `2021-03-31` names the issue by its day; `{date: 2021-03-31, number: 1234}` adds its number,
    which may also be written "1234" or 第1234期.
    """
    if isinstance(value, dict):
        unknown = [str(k) for k in value if k not in _EDITION_KEYS]
        if unknown:
            close = did_you_mean(unknown[0], _EDITION_KEYS)
            return (_("'edition' has an unknown key {key} ({hint})") if close else
                    _("'edition' has an unknown key {key}")).format(key=shown(unknown[0]), hint=close)
        if value.get("date") in (None, ""):
            return _("'edition' has no 'date'")
        day = _issue_day(value["date"])
        if isinstance(day, str):
            return day
        number = value.get("number")
        if number is None:
            return IssueRef(day)
        parsed = _issue_number(number)
        return IssueRef(day, parsed) if isinstance(parsed, int) else parsed
    day = _issue_day(value)
    return IssueRef(day) if isinstance(day, Date) else day


def _issue_day(value: Any) -> Date | str:
    if isinstance(value, bool) or not isinstance(value, str):
        shown_ = _kind(value) if isinstance(value, (list, dict, bool)) else shown(value)
        return _("the edition's date must be a day such as 2021-03-31, not {value}").format(value=shown_)
    text = value.strip()
    match = _DAY.match(text)
    if not match:
        if _DATE.match(text):
            return _("the edition's date {text} has a time: an issue is a day").format(text=shown(text))
        return _("{text} is not a date").format(text=shown(text))
    try:
        return Date(*map(int, match.groups()))
    except ValueError as exc:
        return _("{text} is not a date: {reason}").format(text=shown(text), reason=_date_reason(exc))


def _issue_number(value: Any) -> int | str:
    match = _ISSUE_NUMBER.match(value.strip()) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif match:
        number = int(match.group(1))
    else:
        return _("the issue number must be a whole number such as 1234 or 第1234期, not {value}").format(value=shown(value))
    if number < 1:
        return _("the issue number must be 1 or more, not {number}").format(number=number)
    return number


def parse_page(value: Any) -> PageRef | str:
    """The page (版) a report was printed on: `6`, or `{number: 6, name: 高新区}`."""
    name = None
    if isinstance(value, dict):
        unknown = [str(k) for k in value if k not in _PAGE_KEYS]
        if unknown:
            close = did_you_mean(unknown[0], _PAGE_KEYS)
            return (_("'page' has an unknown key {key} ({hint})") if close else
                    _("'page' has an unknown key {key}")).format(key=shown(unknown[0]), hint=close)
        if value.get("number") in (None, ""):
            return _("'page' has no 'number'")
        if value.get("name") is not None:
            if not isinstance(value["name"], (str, int)) or isinstance(value["name"], bool) or not str(value["name"]).strip():
                return _("the page's name must be a text, not {kind}").format(kind=_kind(value['name']))
            name = str(value["name"]).strip()
        value = value["number"]
    number = page_number(value)
    if number is None:
        return _("the page number must be a whole number from 1, such as 6 or 第6版, not {value}").format(value=shown(value))
    return PageRef(number, name)


def parse_position(value: Any) -> int | str:
    """A report's order on its page: 1 for the first (the lead)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return _("'position' must be a whole number from 1, not {value}").format(value=shown(value))
    return value


class ZoneIndex:
    """Finds a registered zone by name or slug."""

    def __init__(self, zones: tuple[Zone, ...]):
        self._zones = zones
        self._by_key = {normalize_name(z.name): z for z in zones} | {z.slug: z for z in zones}
        self._names = [z.name for z in zones]

    def find(self, key: str) -> Zone | None:
        return self._by_key.get(normalize_name(key))

    def close(self, key: str) -> str | None:
        """The registered name or slug that `key` is a slip for, if one is really close: the
        same place with another suffix (成都, 成都高新技术产业开发区 for 成都高新区), or one
        character wrong, missing, extra or swapped (重庆高薪区, qingdoa); two in a long name."""
        typed = normalize_name(key).lower()
        place = zone_place(typed)
        best: tuple[int, str] | None = None
        for zone in self._zones:
            if place and place == zone_place(zone.name):
                return zone.name
            for label in (zone.name, zone.slug):
                allowed = 1 + len(label) // 10
                distance = _edits(typed, label.lower(), allowed)
                if distance <= allowed and (best is None or distance < best[0]):
                    best = (distance, label)
        return best[1] if best else None

    def hint(self, key: str) -> str:
        close = self.close(key)
        if close:
            return _("did you mean '{choice}'?").format(choice=close)
        listed = ", ".join(self._names[:_LISTED_ZONES])
        if len(self._names) > _LISTED_ZONES:
            listed = _("{zones} and {n} more").format(zones=listed, n=len(self._names) - _LISTED_ZONES)
        if len(key) > SHOWN:  # no zone's name is that long: no entry to copy
            return _("add the zone to zones: in bulletin.yaml (registered now: {zones})").format(zones=listed)
        return _("add it to zones: in bulletin.yaml as - {entry} (registered now: {zones})").format(entry=zone_entry(key), zones=listed)


_LISTED_ZONES = 8
_PLAIN_NAME = re.compile(r"[\w\u3000-\u303f\uff00-\uffef·]+")


def zone_entry(key: str) -> str:
    """A zone list item for bulletin.yaml in flow style, for a zone written as `key`: its name
    and its default slug (a placeholder for the name, when `key` is no name but a slug)."""
    key = key.strip()
    if _PLAIN_NAME.fullmatch(key) and not key.isascii():
        name, slug = key, zone_slug(key)
    else:
        name, slug = ("<its name>", key.lower()) if is_valid_slug(key.lower()) else (json.dumps(key, ensure_ascii=False), zone_slug(key))
    return f"{{name: {name}, slug: {slug or '<its-slug>'}}}"


def _edits(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from `a` to `b`; more than `limit`
    is answered as limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return min(row[-1], limit + 1)


def parse_meta(split_: Split, path: str, config: SiteConfig, zones: ZoneIndex) -> tuple[Meta | None, list[Problem]]:
    entries, problems = load_mapping(split_.yaml, path, 2)
    if entries is None:
        return None, problems
    for key, entry in entries.items():
        if key not in FIELDS:
            problems.append(
                Problem(_("unknown front-matter key {key}").format(key=shown(key)), path, entry.line,
                        hint=did_you_mean(key, FIELDS) or _("known keys: {keys}").format(keys=", ".join(FIELDS)))
            )
    for key in REQUIRED:
        if key not in entries or entries[key].value in (None, ""):
            line = entries[key].line if key in entries else 1
            problems.append(Problem(_("missing required key '{key}'").format(key=key), path, line, hint=_REQUIRED_HINTS[key]))

    def fail(entry: Entry, message: str, hint: str | None = None) -> None:
        problems.append(Problem(message, path, entry.line, hint=hint))

    get: Callable[[str], Entry | None] = entries.get
    title = _text(get("title"), "title", fail) or ""
    if message := bidi_problem(title, _("the title")):
        fail(entries["title"], message, BIDI_HINT)
    date = get("date")
    parsed = parse_date(date.value, config.tz) if date else "missing"
    if isinstance(parsed, str):
        if date and date.value not in (None, ""):
            fail(date, parsed, DATE_HINT)
        parsed = (datetime(1970, 1, 1, tzinfo=config.tz), False)
    zone_entry = get("zone")
    zone = None
    if zone_entry and zone_entry.value not in (None, ""):
        name = str(zone_entry.value).strip()
        zone = zones.find(name)
        if message := bidi_problem(name, _("the zone")):
            fail(zone_entry, message, BIDI_HINT)
            zone = None
        elif zone is None:
            fail(zone_entry, _("unknown zone {zone}").format(zone=shown(name)), zones.hint(normalize_name(name)))
    reporters = _at_most(get("reporter"), _names(get("reporter"), "reporter", fail), "reporters", fail)
    tags = _at_most(get("tags"), _tags(get("tags"), fail), "tags", fail)
    slug = _text(get("slug"), "slug", fail)
    if slug and not is_valid_slug(slug):
        fail(entries["slug"], _("slug {slug} may only hold lower-case letters, digits and single hyphens").format(slug=shown(slug)),
             _("e.g. slug: guiyang-shuang-di-yi; leave it out to get the pinyin of the title"))
    draft_entry = get("draft")
    draft = False
    if draft_entry is not None:
        if not isinstance(draft_entry.value, bool):
            fail(draft_entry, _("'draft' must be true or false, not {value}").format(value=shown(draft_entry.value)))
        else:
            draft = draft_entry.value
    optional = {k: _text(get(k), k, fail) or None for k in ("summary", "image", "image_caption", "image_credit")}
    if optional["image"] and (reason := url_problem(optional["image"], WEB_SCHEMES)):
        fail(entries["image"], _("'image' cannot be '{image}': {reason}").format(image=visible(optional['image']), reason=reason),
             _("give the path of an image file beside the report (photo.jpg) or an http(s) address"))
    edition, page, position = _printed(get("edition"), get("page"), get("position"), fail)
    aliases, alias_lines = _aliases(get("aliases"), fail)
    report_id = _text(get("id"), "id", fail)
    if report_id and not _ID.match(report_id):
        fail(entries["id"], _("id {id} may only hold letters, digits, '.', '_' and '-' (at most 100)").format(id=shown(report_id)),
             _("e.g. id: 2021-0319-qingdao; it never changes, even when the file is renamed"))
    if problems or zone is None:
        return None, problems
    return Meta(
        title=title,
        date=parsed[0],
        has_time=parsed[1],
        zone=zone,
        reporters=reporters,
        tags=tags,
        slug=slug or None,
        draft=draft,
        title_line=entries["title"].line,
        slug_line=entries["slug"].line if "slug" in entries else None,
        image_line=entries["image"].line if "image" in entries else None,
        edition=edition,
        page=page,
        position=position,
        edition_line=entries["edition"].line if "edition" in entries else None,
        page_line=entries["page"].line if "page" in entries else None,
        position_line=entries["position"].line if "position" in entries else None,
        aliases=aliases,
        alias_lines=alias_lines,
        id=report_id or None,
        id_line=entries["id"].line if "id" in entries else None,
        **optional,
    ), problems


_REQUIRED_HINTS: Mapping[str, str] = {
    "title": _("add 'title: …' with the report's headline"),
    "date": _("add 'date: YYYY-MM-DD' with the day the report is published"),
    "zone": _("add 'zone: …' naming a zone registered in bulletin.yaml"),
}


def _printed(edition_entry: Entry | None, page_entry: Entry | None, position_entry: Entry | None,
             fail: Callable[..., None]) -> tuple[IssueRef | None, PageRef | None, int | None]:
    """Where a report was printed: each of edition, page and position, checked against the others."""
    given = {k: e for k, e in (("edition", edition_entry), ("page", page_entry), ("position", position_entry))
             if e is not None and e.value is not None}
    edition = parse_edition(given["edition"].value) if "edition" in given else None
    page = parse_page(given["page"].value) if "page" in given else None
    position = parse_position(given["position"].value) if "position" in given else None
    for key, value, hint in (("edition", edition, EDITION_HINT), ("page", page, PAGE_HINT), ("position", position, POSITION_HINT)):
        if isinstance(value, str):
            fail(given[key], value, hint)
    if "edition" in given and "page" not in given:
        fail(given["edition"], _("the report names an edition but not the page (版) it was printed on"),
             _("add e.g. page: 6; a report printed in no issue needs no edition"))
    if "page" in given and "edition" not in given:
        fail(given["page"], _("the report names a page but not the edition it was printed in"),
             _("add the issue it was printed in, e.g. edition: 2021-03-31; a web-only report has no page"))
    if "position" in given and "page" not in given:
        fail(given["position"], _("'position' is the order on a printed page, but the report names no page"),
             _("add edition: and page:, or leave position out"))
    return (edition if isinstance(edition, IssueRef) else None,
            page if isinstance(page, PageRef) else None,
            position if isinstance(position, int) else None)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
ALIAS_HINT = _("write the old address as a path of this site, starting with '/': e.g. /news/2021/123.html or /old/path/")


def _aliases(entry: Entry | None, fail: Callable[..., None]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The report's old addresses (site-relative paths), each with its line."""
    if entry is None or entry.value is None:
        return (), ()
    value = entry.value
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        fail(entry, _("'aliases' must be a list of addresses, not {kind}").format(kind=_kind(value)), ALIAS_HINT)
        return (), ()
    lines = entry.item_lines() if isinstance(value, list) else [entry.line]
    found: dict[str, int] = {}
    for item, line in zip(items, lines):
        where = Entry(value, line)
        if not isinstance(item, str):
            fail(where, _("'aliases': each address must be a text, not {kind}").format(kind=_kind(item)), ALIAS_HINT)
            continue
        alias = item.strip()
        problem = alias_problem(alias)
        if problem:
            fail(where, _("'aliases': {alias} {reason}").format(alias=shown(alias), reason=problem), ALIAS_HINT)
        elif alias not in found:
            found[alias] = line
    return tuple(found), tuple(found.values())


def alias_problem(alias: str) -> str | None:
    """Why `alias` cannot be an old address of this site, or None."""
    if _SCHEME.match(alias) or alias.startswith("//"):
        return _("is a full address: an alias is a path on this site")
    if not alias.startswith("/"):
        return _("does not start with '/'")
    if alias == "/":
        return _("is the home page")
    if any(ch in alias for ch in "?#\\") or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in alias):
        return _("holds a character a path cannot hold here (?, #, \\, a space or a control character)")
    parts = alias[1:].rstrip("/").split("/")
    if any(part in ("..", ".") for part in parts):
        return _("holds '.' or '..': it must name the address itself")
    if any(not part for part in parts):
        return _("holds an empty part ('//')")
    if any(part.startswith(".") for part in parts):
        return _("holds a hidden name (starting with '.'), which hosts do not serve")
    return None


def _text(entry: Entry | None, key: str, fail: Callable[..., None]) -> str | None:
    if entry is None or entry.value is None:
        return None
    value = entry.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        fail(entry, _("'{key}' must be a text, not {kind}").format(key=key, kind=_kind(value)), _("write it on one line: {key}: …").format(key=key))
        return None
    return value.strip()


def _names(entry: Entry | None, key: str, fail: Callable[..., None]) -> tuple[str, ...]:
    if entry is None or entry.value is None:
        return ()
    value = entry.value
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
        fail(entry, _("'{key}' must be a name or a list of names").format(key=key), _("e.g. {key}: 易颖 or {key}: [张洁, 文铭权]").format(key=key))
        return ()
    lines = entry.item_lines() if isinstance(value, list) else [entry.line]
    names: list[str] = []
    empty = False
    for item, line in zip(items, lines):
        text = str(item).strip()
        name = normalize_name(text)
        if message := bidi_problem(text, _("the name")):
            fail(Entry(value, line), _("'{key}': {message}").format(key=key, message=message), BIDI_HINT)
        elif not name and text:
            fail(Entry(value, line), _("'{key}': the name '{name}' is made only of invisible characters").format(key=key, name=visible(text)),
                 _("delete it, or write the name"))
        elif not name:
            empty = True
        else:
            names.append(name)
    if empty:
        fail(entry, _("'{key}' has an empty name").format(key=key))
    return tuple(dict.fromkeys(names))


# Every tag of a report has a page and feeds that show the report with all its tags: a report's
# output grows with the square of its tags, and so would a build's time and memory.
MAX_NAMES = 50  # tags, and reporters, of one report


def _at_most(entry: Entry | None, names: tuple[str, ...], what: str, fail: Callable[..., None]) -> tuple[str, ...]:
    if entry is not None and len(names) > MAX_NAMES:
        fail(entry, (_("a report may have at most {limit} tags; this one has {n}") if what == "tags" else
                     _("a report may have at most {limit} reporters; this one has {n}")).format(limit=MAX_NAMES, n=f"{len(names):,}"),
             _("keep the ones that say most about the report") if what == "tags" else _("name the reporters who wrote it"))
        return ()
    return names


def _tags(entry: Entry | None, fail: Callable[..., None]) -> tuple[str, ...]:
    """A list of tags; a single text is one tag, unless it holds separators (then say how)."""
    if entry is None or entry.value is None:
        return ()
    if isinstance(entry.value, str) and _TAG_SEPARATORS.search(entry.value):
        parts = [p.strip() for p in _TAG_SEPARATORS.split(entry.value) if p.strip()]
        fail(entry, _("'tags' is one text with separators in it"), _("write a list: tags: [{tags}]").format(tags=", ".join(parts)))
        return ()
    return _names(entry, "tags", fail)


def _kind(value: Any) -> str:
    return {list: _("a list"), dict: _("a mapping"), bool: _("true/false")}.get(type(value), type(value).__name__)


def _date_reason(error: ValueError) -> str:
    """Python's reason a date is impossible, in the reader's language for the usual ones."""
    reasons = {"day is out of range for month": _("day is out of range for month"),
               "month must be in 1..12": _("month must be in 1..12"),
               "hour must be in 0..23": _("hour must be in 0..23"),
               "minute must be in 0..59": _("minute must be in 0..59"),
               "second must be in 0..59": _("second must be in 0..59")}
    return reasons.get(str(error), str(error))
