"""YAML (and JSON) loading that remembers the line of every key and list item.

Errors in files that people write must name the line; pydantic knows only the field path,
so the loaded data carries its lines and :func:`line_of` maps a path back to one.

Scalars are read as YAML 1.2 would: dates and times stay strings (we parse them ourselves,
in the right time zone) and ``10:00`` is the string it looks like, not 600 (YAML 1.1's base 60).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from campaign.errors import InvalidCampaign, Problem
from campaign.records.aliases import (
    ALIAS_HINT,
    MAX_ALIAS_VALUES,
    AliasBudgetExceeded,
    check_aliases,
    too_many,
)
from campaign.records.files import read_source
from campaign.records.linedata import LineDict, LineList
from campaign.records.text import (
    FIX_HINT,
    FORBIDDEN,
    find_forbidden,
    forbidden_message,
    may_hold_forbidden,
    visible,
)
from campaign.records.yamlstream import STR_TAG, Unusual, build

_MERGE_OR_VALUE = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's when present) without YAML 1.1 timestamps and base-60 integers."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A plain string is its node's text: most nodes skip the generic machinery."""
        if node.tag == STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value
        return super().construct_object(node, deep)

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """PyYAML's ``resolve`` without path resolvers (a safe loader has none), made quicker.

        Called for every node; most plain scalars begin with a character no implicit
        resolver is registered for, and are strings straight away.
        """
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return str(tag)
            return STR_TAG
        return str(super().resolve(kind, value, implicit))

    merged = 0  # the pairs merge keys (<<) have copied so far, against the alias budget

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """PyYAML's merge (``<<``), stopped once merges copy more than the alias budget.

        Every merge copies the pairs of the mappings it names, so a chain of mappings each
        merging the one before costs the square of its length before any value is built.
        """
        super().flatten_mapping(node)
        self.merged += len(node.value)
        if self.merged > MAX_ALIAS_VALUES:
            raise AliasBudgetExceeded((), node.start_mark.line + 1, too_many(self.merged))


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_INT = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    for key_node, _ in node.value:
        if key_node.tag in _MERGE_OR_VALUE:  # a `<<` or `=` key: PyYAML rewrites the node
            loader.flatten_mapping(node)
            break
    result = LineDict()
    result.line = node.start_mark.line + 1
    key_lines: dict[str, int] = {}
    result.key_lines = key_lines
    scalar = yaml.ScalarNode
    for key_node, value_node in node.value:
        # Plain strings inline, as in _Loader.construct_object.
        if key_node.tag == STR_TAG and type(key_node) is scalar:
            key = key_node.value
        else:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        if value_node.tag == STR_TAG and type(value_node) is scalar:
            result[key] = value_node.value
        else:
            result[key] = loader.construct_object(value_node, deep=True)
        key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(path: Path, what: str = "file") -> Any:
    """Load a YAML or JSON file into plain data that remembers its lines.

    ``what`` names the file in messages (``"event file"``). Raises :class:`InvalidCampaign`
    for a file that is missing, not a regular file, too large or not UTF-8 (see
    :func:`~campaign.records.files.read_source`), or for malformed content, aliases that
    expand too far or control characters, naming the line.
    """
    return loads(read_source(path, what), path)


def loads(text: str, path: Path | str) -> Any:
    """Parse YAML ``text`` (JSON is YAML too) read from ``path``; see :func:`load`.

    Strings holding control or invisible characters are refused (:func:`check_characters`).
    """
    try:
        data = parse(text)
        if "*" in text:  # every alias starts with one
            check_aliases(data)
    except AliasBudgetExceeded as exc:
        raise InvalidCampaign.one(
            path, exc.line, field_path(exc.loc), exc.message, ALIAS_HINT
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "cannot be read"
        raise InvalidCampaign.one(
            path,
            line,
            "",
            f"malformed YAML: {problem}",
            "check indentation and quoting near this line (quote text containing ': ' or '#')",
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidCampaign.one(path, None, "", f"malformed YAML: {exc}") from None
    if may_hold_forbidden(text):
        problems = check_characters(data, path)
        if problems:
            raise InvalidCampaign(problems)
    return data


def parse(text: str) -> Any:
    """The data in ``text``, built as libyaml reads it; raises PyYAML's errors.

    Merge keys copying more than the alias budget raise :class:`AliasBudgetExceeded`.

    Text the streaming build leaves alone goes through :func:`parse_by_nodes`; both give
    the same values, lines and errors (see :mod:`campaign.records.yamlstream`).
    """
    loader = _Loader(text)
    try:
        return build(loader)
    except Unusual:
        return parse_by_nodes(text)
    finally:
        loader.dispose()


def parse_by_nodes(text: str) -> Any:
    """The data in ``text`` through PyYAML's tree of nodes (what :func:`parse` matches)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def check_characters(
    data: Any, file: Path | str, prefix: tuple[str | int, ...] = (), line: int | None = None
) -> list[Problem]:
    """A problem for each string (key or value) in ``data`` holding a forbidden character.

    Forbidden are control and invisible characters (see :mod:`campaign.records.text`).
    ``data`` is loaded YAML, JSON or a CSV row; lines come from its
    :class:`~campaign.records.linedata.LineDict`/``LineList`` parts, or are ``line`` (a
    CSV row's). A mapping or list shared through YAML aliases is checked once.
    """
    problems = []
    for loc, found_line, text in _strings(data, prefix, line):
        found = find_forbidden(text) if FORBIDDEN.search(text) else []
        if found:  # the first only: fixing the text fixes the rest
            message = forbidden_message(*found[0])
            problems.append(Problem(file, found_line, visible(field_path(loc)), message, FIX_HINT))
    return problems


def _strings(
    data: Any, prefix: tuple[str | int, ...], line: int | None
) -> Iterator[tuple[tuple[str | int, ...], int | None, str]]:
    """Every string in ``data`` with its location and line, each container walked once."""
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...], int | None]] = [(data, prefix, line)]
    while stack:
        node, loc, node_line = stack.pop()
        if isinstance(node, str):
            yield loc, node_line, node
        elif isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            children = []
            for key, value in pairs:
                child_line = _line(node, key, node_line)
                if isinstance(key, str):
                    yield (*loc, key), child_line, key
                children.append((value, (*loc, key), child_line))
            stack.extend(reversed(children))


def _line(node: Any, key: str | int, default: int | None) -> int | None:
    """The line of ``node``'s part ``key``, else ``default``."""
    if isinstance(node, LineDict):
        return node.key_lines.get(str(key), default)
    if isinstance(node, LineList) and isinstance(key, int):
        return node.item_lines[key]
    return default


def line_of(data: Any, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest part of ``loc`` (a pydantic error location) found in ``data``."""
    line: int | None = getattr(data, "line", None) or None
    node = data
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def field_path(loc: Sequence[str | int]) -> str:
    """``('announcements', 2, 'at')`` as people read it: ``announcements[2].at``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
