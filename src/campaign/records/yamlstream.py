"""Builds line-aware data straight from libyaml's events, without PyYAML's tree of nodes.

PyYAML composes a whole document into nodes, two marks each, before it constructs a value
from any of them; for a file of a thousand event records that tree is most of the loading
time. :func:`build` makes the same :class:`~campaign.records.linedata.LineDict` and
:class:`~campaign.records.linedata.LineList` values, with the same lines, as the events go
by. It takes the YAML people write: mappings, sequences, scalars, anchors and aliases.
Anything else raises :class:`Unusual` and the caller loads the text through the nodes:
an explicit tag on a mapping or sequence, a mapping or sequence as a key, a repeated key
or anchor, an alias to an anchor not yet complete, a scalar that cannot be constructed
alone (a merge key ``<<`` among them), a second document. So values, lines and error
messages are always those of the nodes; the only errors raised here are the parser's, met
at the same place.
"""

from __future__ import annotations

from typing import Any

from yaml import ScalarNode
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from campaign.records.linedata import LineDict, LineList

STR_TAG = "tag:yaml.org,2002:str"
_UNTAGGED = (None, "!")
_NO_KEY = object()


class Unusual(Exception):
    """The text holds YAML that only PyYAML's nodes build exactly (see the module)."""


def build(loader: Any) -> Any:
    """The one document of the text ``loader`` (a fresh PyYAML loader) reads, line-aware.

    Raises :class:`Unusual`, or PyYAML's errors for a text that is not YAML.
    """
    get_event = loader.get_event
    get_event()  # the stream's start
    if type(get_event()) is StreamEndEvent:  # an empty text; else the document's start
        return None
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[tuple[Any, bool, Any, int, str | None]] = []
    container: Any = None  # the mapping or sequence being filled; None outside them all
    in_mapping = False
    key: Any = _NO_KEY  # in a mapping, the key waiting for its value
    key_line = 0
    root: Any = None
    while True:
        event = get_event()
        kind = type(event)
        if kind is ScalarEvent:
            value = _scalar(loader, event)
            line = event.start_mark.line + 1
            if event.anchor is not None:
                _define(anchors, event.anchor, value, line)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag not in _UNTAGGED:
                raise Unusual
            stack.append((container, in_mapping, key, key_line, event.anchor))
            in_mapping = kind is MappingStartEvent
            container = _collection(in_mapping, event.start_mark.line + 1)
            key = _NO_KEY
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value, line = container, container.line
            container, in_mapping, key, key_line, anchor = stack.pop()
            if anchor is not None:
                _define(anchors, anchor, value, line)
        elif kind is AliasEvent:
            if event.anchor not in anchors:  # unknown, or a mapping or sequence holding it
                raise Unusual
            value, line = anchors[event.anchor]
        else:  # the document's end
            break
        if container is None:
            root = value
        elif not in_mapping:
            container.append(value)
            container.item_lines.append(line)
        elif key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise Unusual
            key, key_line = value if isinstance(value, str) else str(value), line
        else:
            if key in container:
                raise Unusual
            container[key] = value
            container.key_lines[key] = key_line
            key = _NO_KEY
    if type(get_event()) is not StreamEndEvent:
        raise Unusual
    return root


def _scalar(loader: Any, event: ScalarEvent) -> Any:
    """The value of a scalar, as the loader's resolver and constructors make it."""
    tag = event.tag
    if tag in _UNTAGGED:
        tag = loader.resolve(ScalarNode, event.value, event.implicit)
    if tag == STR_TAG:
        return event.value
    try:  # constructors read only the tag and text; marks serve messages, not made here
        return loader.construct_object(ScalarNode(tag, event.value))
    except Exception:  # the nodes raise it, after any error further on in the text
        raise Unusual from None


def _collection(mapping: bool, line: int) -> LineDict | LineList:
    """An empty mapping or sequence starting at ``line``."""
    if mapping:
        new_mapping = LineDict()
        new_mapping.line, new_mapping.key_lines = line, {}
        return new_mapping
    new_sequence = LineList()
    new_sequence.line, new_sequence.item_lines = line, []
    return new_sequence


def _define(anchors: dict[str, tuple[Any, int]], anchor: str, value: Any, line: int) -> None:
    """Remember the value an anchor names; the nodes reject an anchor used twice."""
    if anchor in anchors:
        raise Unusual
    anchors[anchor] = (value, line)
