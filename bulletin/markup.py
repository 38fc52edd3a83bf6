"""What bulletin writes into HTML attributes, decided in one place.

Markup that bulletin builds itself (pictures, figures, links to reports) gets every attribute
value through `attribute`, every site path through `url_path` and every srcset through
`srcset`, where the markup is built. Every URL that comes from a report (front-matter, body,
raw HTML) is checked by its scheme with `url_problem` before it is written anywhere.
"""

from __future__ import annotations

import re
from html import escape
from typing import Iterable
from urllib.parse import quote

# What a URL may start with, by what it is used for; relative URLs are always allowed.
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
WEB_SCHEMES = frozenset({"http", "https"})  # images, and every URL that is not a link
# A raster image written into the page itself can run no script: allowed as an <img>'s src in
# a report's body (never as a link, a srcset, a lead image or anything else).
_RASTER_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Browsers drop C0 controls and spaces at either end of a URL, and tabs and line ends anywhere,
# before they read its scheme ("java\nscript:" is javascript:).
_ENDS = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def attribute(value: object) -> str:
    """`value` escaped for a double-quoted attribute (or text): & < > " and '."""
    return escape(str(value), quote=True)


def attributes(pairs: Iterable[tuple[str, object]]) -> str:
    """' name="value"' for each pair, escaped; pairs whose value is None are left out."""
    return "".join(f' {name}="{attribute(value)}"' for name, value in pairs if value is not None)


def url_path(path: str) -> str:
    """A site path as a file is named (`photos/b"><x.png`) written as a URL path: everything but
    letters, digits, `/` and `-._~` percent-encoded, so no file name can end an attribute,
    split a srcset or be read as a scheme."""
    return quote(path, safe="/")


def srcset(candidates: Iterable[tuple[str, int]]) -> str:
    """A srcset of (URL, width) pairs; each URL must come from `url_path` (no spaces, no commas)."""
    return ", ".join(f"{url} {width}w" for url, width in candidates)


def scheme(url: str) -> str | None:
    """The scheme a browser reads from `url`, lower-cased, or None for a relative URL."""
    match = _SCHEME.match(url.strip(_ENDS).translate(_TAB_OR_NEWLINE))
    return match.group(1).lower() if match else None


def url_problem(url: str, schemes: frozenset[str] = LINK_SCHEMES, data_images: bool = False) -> str | None:
    """Why `url` may not be used where `schemes` are allowed, or None when it may.

    Relative URLs (photo.png, ../2020/a.md, /x, #note, //example.org/x) are allowed;
    `data_images` also allows raster images written inline (data:image/png;…).
    """
    if _CONTROL.search(url.strip(_ENDS)):
        return "it holds a control character (a line break or tab, say)"
    found = scheme(url)
    if found is None or found in schemes:
        return None
    if data_images and found == "data" and _RASTER_DATA.match(url.strip(_ENDS).translate(_TAB_OR_NEWLINE)):
        return None
    allowed = ", ".join(f"{s}:" for s in sorted(schemes))
    return f"'{found}:' addresses are not allowed here (only {allowed} and relative paths)"


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset attribute, read as browsers read them."""
    urls: list[str] = []
    position, end = 0, len(value)
    while True:
        while position < end and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= end:
            return urls
        start = position
        while position < end and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            urls.append(url.rstrip(","))
            continue
        urls.append(url)
        depth = 0  # descriptors run to the next comma outside parentheses
        while position < end and (value[position] != "," or depth):
            depth += {"(": 1, ")": -1}.get(value[position], 0)
            position += 1
