"""Load a YAML mapping safely, keeping the source line of every key.

Used for both bulletin.yaml and front-matter. Dates stay strings here (the timestamp resolver
is removed) so that each field's normaliser can parse them and explain what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from bulletin.errors import Problem, shown
from bulletin.i18n import _

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loading (no Python object tags) without implicit timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Entry:
    """One top-level key: its value and the 1-based line the key is on."""

    value: Any
    line: int
    node: Any = None
    offset: int = 0  # lines of the file before the YAML text

    def item_lines(self) -> list[int]:
        """1-based lines of the items of a list value (the key's line where unknown)."""
        if isinstance(self.node, yaml.SequenceNode):
            return [n.start_mark.line + 1 + self.offset for n in self.node.value]
        return [self.line] * (len(self.value) if isinstance(self.value, list) else 0)

    def item_key_lines(self) -> list[dict[str, int]]:
        """For a list of mappings: each item's keys and the 1-based lines they are on."""
        if not isinstance(self.node, yaml.SequenceNode):
            return []
        return [{str(k.value): k.start_mark.line + 1 + self.offset for k, _ in n.value} if isinstance(n, yaml.MappingNode) else {}
                for n in self.node.value]

    def key_lines(self) -> list[int]:
        """1-based lines of the keys of a mapping value, in order (the key's line where unknown)."""
        count = len(self.value) if isinstance(self.value, dict) else 0
        if isinstance(self.node, yaml.MappingNode) and len(self.node.value) == count:
            return [k.start_mark.line + 1 + self.offset for k, _ in self.node.value]
        return [self.line] * count


def load_mapping(
    text: str, path: str, first_line: int = 1, what: str = "front-matter"
) -> tuple[dict[str, Entry] | None, list[Problem]]:
    """Parse `text` (which starts on `first_line` of `path`) as a mapping of string keys.

    Returns the entries, or None with the problems when the text is not such a mapping.
    Duplicate keys are problems (the first value is kept so later checks still run).
    """
    offset = first_line - 1
    # Only "&" and "*" start an anchor or an alias, and each level of nesting needs one of
    # "[{-?:": most front-matter need not be looked at twice.
    if "&" in text or "*" in text or sum(map(text.count, "[{-?:")) > MAX_DEPTH:
        refused = _refused(text, path, offset, what)
        if refused is not None:
            return None, [refused]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, []
        if not isinstance(node, yaml.MappingNode):
            kind = _("a list") if isinstance(node, yaml.SequenceNode) else _("a single value")
            return None, [
                Problem(
                    _("{what} must be a mapping of keys to values, not {kind}").format(what=_what(what), kind=kind),
                    path,
                    node.start_mark.line + 1 + offset,
                    hint=_("write one 'key: value' per line, e.g. 'title: …'"),
                )
            ]
        entries: dict[str, Entry] = {}
        problems: list[Problem] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1 + offset
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(_("{what} keys must be plain words").format(what=_what(what)), path, line))
                continue
            key = key_node.value
            if key in entries:
                problems.append(
                    Problem(
                        _("duplicate key {key} (first given on line {line})").format(key=shown(key), line=entries[key].line),
                        path,
                        line,
                        hint=_("keep one of them"),
                    )
                )
                continue
            try:
                value = loader.construct_object(value_node, deep=True)
            except ValueError:  # a number longer than Python converts (4,300 digits)
                problems.append(Problem(_("{key} has a number too long to read").format(key=shown(key)), path, value_node.start_mark.line + 1 + offset,
                                        hint=_("write the value with fewer digits, or in quotes if it is a text")))
                continue
            entries[key] = Entry(value, line, value_node, offset)
        return entries, problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else first_line
        reason = exc.problem or exc.context or "invalid YAML"
        hint = _("check the indentation and quoting on this line")
        lines = text.split("\n")
        line_text = lines[mark.line] if mark and mark.line < len(lines) else ""
        if "tab" in reason or "\t" in line_text:
            hint = _("YAML does not allow tabs for indentation; indent with spaces")
        elif "could not determine a constructor" in reason:
            hint = _("tags such as !!python/… are not allowed; write plain values")
        elif ":" in text and "mapping values are not allowed" in reason:
            hint = _("a value containing ': ' must be quoted, e.g. title: \"贵阳高新区：…\"")
        return None, [Problem(_("invalid YAML in {what}: {reason}").format(what=_what(what), reason=reason), path, line, hint=hint)]
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        return None, [Problem(_("invalid YAML in {what}: {reason}").format(what=_what(what), reason=exc), path, first_line)]
    finally:
        loader.dispose()


def _what(what: str) -> str:
    """What was read, for a message: front-matter, or a file's name."""
    return _("front-matter") if what == "front-matter" else what


MAX_DEPTH = 20  # levels of lists and mappings in one another; bulletin's own keys need three


def _refused(text: str, path: str, offset: int, what: str) -> Problem | None:
    """A problem for the first YAML anchor (&name) or alias (*name) in `text`, or the first
    value nested more than MAX_DEPTH levels deep, if any.

    Anchors and aliases are refused rather than expanded: a few lines of aliases to aliases
    stand for a value of billions of items, which would exhaust the memory of whatever reads
    it. Deep nesting would exhaust the stack of the YAML loader, which takes it apart by
    recursion. The events looked at here come one after another, without either."""
    loader = _BaseLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1 + offset
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                kind = _("an alias (*name)") if isinstance(event, yaml.AliasEvent) else _("an anchor (&name)")
                return Problem(_("YAML anchors and aliases are not allowed in {what}: this line has {kind}").format(what=_what(what), kind=kind),
                               path, line, hint=_("write each value out in full"))
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the keys' own mapping is not a value's level
                    return Problem(_("a value in {what} is nested more than {depth} levels deep").format(what=_what(what), depth=MAX_DEPTH),
                                   path, line, hint=_("lists and mappings inside one another need a few levels at most"))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # invalid YAML: the loader says where
    finally:
        loader.dispose()
    return None
