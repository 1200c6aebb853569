"""YAML built as libyaml reads it is exactly what PyYAML's nodes give: values, lines, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.records.linedata import LineDict, LineList
from campaign.records.yamlsrc import parse, parse_by_nodes
from campaign.records.yamlstream import Unusual, build

ROOT = Path(__file__).parents[1]

TEXTS = [
    "",
    "# only a comment\n",
    "a: 1",
    "- 1\n- two\n-\n- - nested\n  - list\n",
    "[1, 2.5, .inf, -.inf, .nan, true, False, null, ~, 0x1F, 0o17, 0b101, 1_000, +5, -3]",
    "[10:00, '10:00', 2017-09-26, 2017-09-26 09:00, 1e3, '007', 08, 012]",
    '{"a": [1, 2, {"b": null}], "c": "d\\u00e9", "e": 1.5}',
    "a: |\n  line one\n  line two\nb: >\n  folded\n  text\nc: 'it''s'\nd: \"tab\\t\"\n",
    "title: Dark Web\nspeakers:\n  - name: A\n    role: chair\n  - name: B\nhandles: {x: '@a'}\n",
    "a: &x {b: 1}\nc: *x\nd: [*x, *x]\n",
    "- &s hello\n- *s\n- &n 5\n- *n\n- {*s : value}\n",
    "base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n",
    "a: <<\n",
    "=: x\n",
    "a: !!str 5\nb: !!int '7'\nc: !!float '1.5'\nd: !!bool 'true'\ne: !!null ''\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!timestamp 2017-09-26\n",
    "a: !!set {x, y}\n",
    "a: !!omap [x: 1, y: 2]\n",
    "a: !!map {x: 1}\nb: !!seq [1]\n",
    "a: !custom x\n",
    "a: ! x\nb: ! [1]\n",
    "a: !!float abc\n",
    "? [a, b]\n: c\n",
    "{[1]: x}",
    "? {a: 1}\n: b\n",
    "1: a\ntrue: b\nnull: c\n1.5: d\n",
    "a: 1\na: 2\n",
    "1: a\n'1': b\n",
    "- &x 1\n- &x 2\n",
    "a: &x [&x 1]\n",
    "a: *nope\n",
    "&r [*r]\n",
    "a: &m {b: *m}\n",
    "a: 1\n---\nb: 2\n",
    "--- a\n...\n",
    "--- just text\n",
    "a: [1, 2",
    "a: b: c",
    "key: 'unterminated\n",
    "\tkey: tab\n",
    "a:\n  - b\n c: d\n",
    "a: 1\na: 2\nb: [\n",
    "x: *nope\ny: [\n",
    "a: !!float abc\nb: [\n",
    "- &x 1\n- &x 2\n- [\n",
    "a: 1\n---\nb: [\n",
    "a: 1\n--- [\n",
    "- a\n- b\nc: d\n",
    "@reserved\n",
    "a: %x\n",
]


def _shape(value: Any) -> Any:
    """``value`` with its type, lines and (for floats, NaN included) exact text, to compare."""
    if isinstance(value, LineDict):
        items = [(k, value.key_lines[k], _shape(v)) for k, v in value.items()]
        return ("map", value.line, items)
    if isinstance(value, LineList):
        return ("seq", value.line, value.item_lines, [_shape(v) for v in value])
    return (type(value).__name__, repr(value))  # PyYAML's own !!set and !!omap too


def _outcome(load: Any, text: str) -> Any:
    try:
        return ("value", _shape(load(text)))
    except Exception as exc:  # any error must be the same error
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("text", TEXTS)
def test_each_text_loads_as_the_nodes_load_it(text: str) -> None:
    assert _outcome(parse, text) == _outcome(parse_by_nodes, text)


@pytest.mark.parametrize(
    "path", [*sorted((ROOT / "schedules").glob("*.yaml")), *sorted(ROOT.glob("*.yaml"))]
)
def test_the_projects_own_files_load_as_the_nodes_load_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _outcome(parse, text) == _outcome(parse_by_nodes, text)


@pytest.mark.parametrize(
    ("text", "streamed"),
    [
        ("title: x\nlist: [1, &a b, *a]\n", True),
        ("a: 1\na: 2\n", False),
        ("base: &b {x: 1}\nchild: {<<: *b}\n", False),
        ("a: !!set {x}\n", False),
        ("a: 1\n---\nb: 2\n", False),
    ],
)
def test_only_unusual_yaml_is_left_to_the_nodes(text: str, streamed: bool) -> None:
    loader = yaml.CSafeLoader(text)
    try:
        build(loader)
    except Unusual:
        assert not streamed
    else:
        assert streamed
    finally:
        loader.dispose()


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["10:00", "2017-09-26", "<<", "=", "~", "null", "yes", "0x1F", "- a", "#x"]),
)
_DATA = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), children, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(data=_DATA, flow=st.sampled_from([None, True, False]), shared=st.booleans())
def test_generated_documents_load_as_the_nodes_load_them(
    data: Any, flow: bool | None, shared: bool
) -> None:
    document = [data, data] if shared else data  # the same object twice: an anchor and alias
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert _outcome(parse, text) == _outcome(parse_by_nodes, text)
