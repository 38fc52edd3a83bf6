"""Attachments that would run as code on the site's own address: refused, or (SVG) made inert.

A file a report links to is published beside the report's page, on the site's origin. A web
page, an XML document or a script published there runs with the site's cookies and storage,
so REFUSED lists the suffixes of files a browser or a web server would run: they are never
published as attachments. An SVG image is published only as `clean` leaves it: the SVG
elements and attributes of an allow-list, no scripts, event handlers, foreignObject,
animation, entities, processing instructions or references outside the file (besides
embedded PNG/JPEG/GIF/WebP images and http(s) links). The site's own static/ files are not
subject to this: they are the site's code, like its templates.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from bulletin import i18n

# Web pages, XML (a browser runs the scripts of XHTML inside it), XSLT, scripts, Flash, and
# what common web servers execute.
REFUSED = frozenset({
    ".html", ".htm", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".xml", ".xsl", ".xslt", ".svgz",
    ".js", ".mjs", ".swf", ".php", ".phtml", ".asp", ".aspx", ".jsp", ".cgi",
})

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

_ELEMENTS = frozenset("""
    svg g defs symbol use title desc metadata switch view style a image
    path rect circle ellipse line polyline polygon text tspan textPath
    linearGradient radialGradient stop pattern clipPath mask marker
    filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
    feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
    feGaussianBlur feMerge feMergeNode feMorphology feOffset fePointLight feSpecularLighting
    feSpotLight feTile feTurbulence
""".split())

_ATTRIBUTES = frozenset("""
    id class style lang role aria-label aria-labelledby aria-describedby aria-hidden target
    transform x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d points pathLength viewBox
    preserveAspectRatio version baseProfile dx dy rotate textLength lengthAdjust startOffset method
    spacing side gradientUnits gradientTransform spreadMethod offset patternUnits patternContentUnits
    patternTransform clipPathUnits maskUnits maskContentUnits markerUnits markerWidth markerHeight refX
    refY orient filterUnits primitiveUnits in in2 result stdDeviation mode operator k1 k2 k3 k4 type
    values tableValues slope intercept amplitude exponent scale xChannelSelector yChannelSelector order
    kernelMatrix divisor bias targetX targetY edgeMode preserveAlpha surfaceScale diffuseConstant
    specularConstant specularExponent kernelUnitLength azimuth elevation pointsAtX pointsAtY pointsAtZ
    limitingConeAngle radius baseFrequency numOctaves seed stitchTiles z requiredFeatures
    requiredExtensions systemLanguage
    alignment-baseline baseline-shift clip clip-path clip-rule color color-interpolation
    color-interpolation-filters color-rendering direction display dominant-baseline enable-background
    fill fill-opacity fill-rule filter flood-color flood-opacity font font-family font-size
    font-size-adjust font-stretch font-style font-variant font-weight glyph-orientation-horizontal
    glyph-orientation-vertical image-rendering kerning letter-spacing lighting-color marker marker-end
    marker-mid marker-start mask opacity overflow paint-order pointer-events shape-rendering stop-color
    stop-opacity stroke stroke-dasharray stroke-dashoffset stroke-linecap stroke-linejoin
    stroke-miterlimit stroke-opacity stroke-width text-anchor text-decoration text-rendering
    transform-origin unicode-bidi vector-effect visibility word-spacing writing-mode mix-blend-mode isolation
""".split())

_EMBEDDED_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.I)
_WEB_LINK = re.compile(r"(?:https?://|mailto:)[^\s\"'<>\\]*", re.I)
_URL = re.compile(r"url\(\s*(['\"]?)\s*([^)'\"]*)", re.I)


class SvgError(ValueError):
    """An SVG bulletin will not publish; `line` is the line of the SVG file, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


def _css_is_safe(text: str) -> bool:
    """CSS that loads nothing from elsewhere and runs nothing: only url(#…) references."""
    compact = re.sub(r"[\s\x00-\x1f]", "", text).lower()
    if "\\" in text or any(word in compact for word in ("@import", "image-set(", "expression(", "script:", "-moz-binding")):
        return False
    return all(target.startswith("#") for _, target in _URL.findall(text))


def _href_is_safe(element: str, value: str) -> bool:
    value = value.strip()
    if value.startswith("#"):
        return True
    if element == "image":
        return _EMBEDDED_IMAGE.fullmatch(value) is not None
    if element == "a":
        return _WEB_LINK.fullmatch(value) is not None
    return False


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote:
        text = text.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return text


def clean(data: bytes) -> bytes:
    """The SVG in `data` with only what the allow-lists keep (see the module's rule).

    Raises SvgError for a file that is not well-formed XML, whose outermost element is not
    <svg>, or that declares entities (they can expand a small file into gigabytes)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    stack: list[str | None] = []  # the open elements' names; None for one left out, with its content
    skipping = 0
    style: list[str] = []  # the text of the <style> element being read

    def refuse_entities(*_: object) -> None:
        raise SvgError(i18n._("the SVG declares entities (<!ENTITY …>); save it again without them"), parser.CurrentLineNumber)

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal skipping
        namespace, _, local = name.rpartition(" ")
        if not stack and (local != "svg" or namespace not in ("", SVG)):
            raise SvgError(i18n._("this is not an SVG image: its outermost element is not <svg>"), parser.CurrentLineNumber)
        if skipping or namespace not in ("", SVG) or local not in _ELEMENTS:
            skipping += 1
            stack.append(None)
            return
        stack.append(local)
        kept: list[str] = []
        if len(stack) == 1:
            kept += [f'xmlns="{SVG}"', f'xmlns:xlink="{XLINK}"']
        for key, value in attributes.items():
            space, _, attribute = key.rpartition(" ")
            if space == XLINK and attribute == "href" or not space and attribute == "href":
                if _href_is_safe(local, value):
                    kept.append(f'{"xlink:" if space else ""}href="{_escape(value, True)}"')
            elif space == XLINK and attribute == "title" or space == XML and attribute in ("space", "lang"):
                kept.append(f'{"xlink" if space == XLINK else "xml"}:{attribute}="{_escape(value, True)}"')
            elif not space and attribute in _ATTRIBUTES and _css_is_safe(value):
                kept.append(f'{attribute}="{_escape(value, True)}"')
        out.append(f"<{local}{''.join(' ' + a for a in kept)}>")

    def end(name: str) -> None:
        nonlocal skipping
        local = stack.pop()
        if local is None:
            skipping -= 1
            return
        if local == "style":  # CSS that could load or run something is left out
            css = "".join(style)
            out.append(_escape(css) if _css_is_safe(css) else "")
            style.clear()
        out.append(f"</{local}>")

    def text(data: str) -> None:
        if stack and stack[-1] is not None and not skipping:
            (style if stack[-1] == "style" else out).append(data if stack[-1] == "style" else _escape(data))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = refuse_entities
    parser.UnparsedEntityDeclHandler = refuse_entities
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise SvgError(i18n._("the SVG is not well-formed XML ({reason})").format(reason=expat.ErrorString(exc.code)), exc.lineno) from None
    return ("".join(out) + "\n").encode("utf-8")
