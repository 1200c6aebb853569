"""Hostile and careless input files: a clear error naming file and line, fast, nothing queued.

Cases that hang or exhaust memory on a bad build (alias bombs, ``/dev/zero``, FIFOs, huge
files) run the real CLI in a subprocess with a timeout and a memory limit; the rest run it
in-process.
"""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.cli.preview_view import render_preview
from campaign.records.aliases import MAX_ALIAS_VALUES
from campaign.records.files import MAX_IMAGE_BYTES, MAX_RECORDS_FILE_BYTES
from campaign.records.text import find_forbidden, visible
from campaign.store import Ledger
from tests.ledger_helpers import NOW, make_post
from tests.planfiles import EVENT, campaign_data, csv_events, write_project

MEMORY_LIMIT = 1 << 30  # bytes of address space for a subprocess run of the CLI
TIMEOUT = 60  # seconds; each case ends in about one


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(*args: str, ledger: Path) -> subprocess.CompletedProcess[str]:
    """``campaign ARGS`` in a subprocess with bounded memory and time, on ``ledger``."""
    env = {**os.environ, "CAMPAIGN_DATABASE_URL": f"sqlite:///{ledger}"}
    env.pop("CAMPAIGN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", "from campaign.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        env=env,
        check=False,
    )


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def queued(ledger: Path) -> list[Any]:
    """The posts in the SQLite ledger at ``ledger`` (none when it was never created)."""
    if not ledger.exists():
        return []
    with Ledger.open(f"sqlite:///{ledger}") as opened:
        return list(opened.list())


def assert_refused_everywhere(path: Path, tmp_path: Path, *expected: str) -> None:
    """``schedule`` (which validates first) exits 1 saying ``expected``; nothing is queued."""
    ledger = tmp_path / "ledger.db"
    done = run_limited("schedule", str(path), ledger=ledger)
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 1, output
    assert "this is a bug" not in output
    for part in expected:
        assert part in output, output
    assert queued(ledger) == []


def _announce(**fields: Any) -> dict[str, Any]:
    return campaign_data(announcements=[{"template": "hello", "at": "-1d 10:00", **fields}])


def _laughs(indent: str = "  ") -> str:
    """YAML lines (at ``indent``) whose last list, ``l9``, expands to 10**9 strings."""
    lines = [f"{indent}l0: &l0 lol"]
    for level in range(1, 10):
        items = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"{indent}l{level}: &l{level} [{items}]")
    return "\n".join(lines) + "\n"


def _with_event_fields(extra: str) -> str:
    """The default campaign as YAML text, with ``extra`` lines added inside ``event:``."""
    text = yaml.safe_dump(campaign_data(), sort_keys=False)
    return text.replace("event:\n", "event:\n" + extra, 1)


def line_of(path: Path, fragment: str) -> int:
    """The number of the first line of ``path`` holding ``fragment``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return 1 + next(n for n, line in enumerate(lines) if fragment in line)


# -- point 2: no limits on work -----------------------------------------------------------


def test_an_alias_bomb_inside_event_ends_at_once_naming_the_line(tmp_path: Path) -> None:
    path = write_project(tmp_path, _with_event_fields(_laughs()))
    assert_refused_everywhere(
        path,
        tmp_path,
        f"campaign.yaml:{line_of(path, '  l6:')}: event.l6",
        f"over the limit of {MAX_ALIAS_VALUES:,}",
        "repeat less",
    )


def test_an_alias_bomb_in_an_events_file_is_refused(tmp_path: Path) -> None:
    path = write_project(tmp_path, campaign_data(event=None, events="events.yaml"))
    events = path.parent / "events.yaml"
    events.write_text(yaml.safe_dump([EVENT], sort_keys=False) + "  bomb:\n" + _laughs("    "))
    assert_refused_everywhere(
        path, tmp_path, f"events.yaml:{line_of(events, 'l6:')}: [0].bomb.l6", "over the limit"
    )


def test_a_chain_of_merge_keys_is_refused_before_it_is_built(tmp_path: Path) -> None:
    """Each mapping merging the one before copies all its keys: quadratic work."""
    chain = "".join(
        f"  m{n}: &m{n} {{<<: *m{n - 1}, k{n}: v}}\n" if n else "  m0: &m0 {k0: v}\n"
        for n in range(30_000)
    )
    path = write_project(tmp_path, _with_event_fields(chain))
    assert_refused_everywhere(path, tmp_path, "campaign.yaml:", "over the limit of 1,000,000")


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param("events", "events: the event file /dev/zero is a device", id="events-zero"),
        pytest.param("events-fifo", "events: the event file", id="events-fifo"),
        pytest.param("media", "media[0].path: the image /dev/zero is a device", id="media-zero"),
        pytest.param("media-fifo", "media[0].path: the image", id="media-fifo"),
    ],
)
def test_a_device_or_fifo_named_as_a_file_is_refused_without_reading_it(
    tmp_path: Path, where: str, expected: str
) -> None:
    fifo = str(tmp_path / "pipe")
    if where.startswith("events"):
        target = "/dev/zero" if where == "events" else fifo
        path = write_project(tmp_path, campaign_data(event=None, events=target))
    else:
        target = "/dev/zero" if where == "media" else fifo
        path = write_project(tmp_path, _announce(media=[{"path": target, "alt": "a banner"}]))
    if target == fifo:
        _fifo(Path(fifo))
    assert_refused_everywhere(
        path, tmp_path, "campaign.yaml:", expected, "not a regular file", "saved on disk"
    )


def test_a_campaign_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    write_project(tmp_path)
    assert_refused_everywhere(
        Path(_fifo(tmp_path / "schedules" / "pipe.yaml")),
        tmp_path,
        "pipe.yaml: the campaign file",
        "named pipe (FIFO), not a regular file",
    )


@pytest.mark.parametrize(
    ("kind", "cap"), [("events", MAX_RECORDS_FILE_BYTES), ("image", MAX_IMAGE_BYTES)]
)
def test_a_file_over_its_cap_is_refused_unread(tmp_path: Path, kind: str, cap: int) -> None:
    if kind == "events":
        path = write_project(tmp_path, campaign_data(event=None, events="events.csv"))
        big = path.parent / "events.csv"
    else:
        path = write_project(tmp_path, _announce(media=[{"path": "big.png", "alt": "a banner"}]))
        big = path.parent / "big.png"
    with big.open("wb") as handle:  # sparse: no disk space used
        handle.truncate(cap + 1)
    assert_refused_everywhere(path, tmp_path, f"is larger than {cap:,} bytes", "make it smaller")


# -- points 3 and 4: encodings and CSV ----------------------------------------------------

LATIN1_TITLE = "Caf\xe9 workshop".encode("latin-1")


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        pytest.param(
            "events.csv",
            csv_events(EVENT, {"id": "b", "title": "@@"}).encode().replace(b"@@", LATIN1_TITLE),
            3,
            id="latin1-csv",
        ),
        pytest.param(
            "events.csv",
            bytes(range(256)) * 4,
            2,  # 0x0A, a newline, comes before 0x80
            id="random-bytes-csv",
        ),
        pytest.param(
            "events.yaml",
            yaml.safe_dump([{**EVENT, "title": "@@"}], sort_keys=False)
            .encode()
            .replace(b"@@", LATIN1_TITLE),
            2,
            id="latin1-yaml",
        ),
        pytest.param(
            "events.json",
            b'[\n{"id": "x",\n"title": "' + LATIN1_TITLE + b'"}\n]\n',
            3,
            id="latin1-json",
        ),
    ],
)
def test_an_event_file_that_is_not_utf8_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, line: int
) -> None:
    path = write_project(tmp_path, campaign_data(event=None, events=name))
    (path.parent / name).write_bytes(content)
    ledger = tmp_path / "ledger.db"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{ledger}")
    for command in ("validate", "schedule"):
        result = run(command, str(path))
        assert result.exit_code == 1, result.output
        assert f"{name}:{line}: the file is not UTF-8 text" in result.output
        assert "save it as UTF-8" in result.output
    assert queued(ledger) == []


def test_a_csv_cell_over_the_field_limit_is_a_user_error(tmp_path: Path) -> None:
    path = write_project(tmp_path, campaign_data(event=None, events="events.csv"))
    # An opening quote never closed: the rest of the file becomes one cell.
    text = csv_events(EVENT, {"id": "b", "title": '"oops'}) + ("more text\n" * 20_000)
    (path.parent / "events.csv").write_text(text)
    result = run("validate", str(path))
    assert result.exit_code == 1, result.output
    assert "events.csv:3: a cell in the row starting here is longer than 131,072" in (
        " ".join(result.output.split())
    )
    assert "never closed" in result.output


def test_a_csv_saved_by_excel_with_a_bom_reads_its_id(tmp_path: Path) -> None:
    path = write_project(tmp_path, campaign_data(event=None, events="events.csv"))
    (path.parent / "events.csv").write_bytes(b"\xef\xbb\xbf" + csv_events(EVENT).encode())
    result = run("preview", "--json", str(path))
    assert result.exit_code == 0, result.output
    assert '"event": "dark-web-2017"' in result.output


# -- point 5: control and invisible characters ----------------------------------------------

FORBIDDEN_CHARACTERS = [
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\u200d", "U+200D ZERO WIDTH JOINER"),
    ("\u2060", "U+2060 WORD JOINER"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\x07", "U+0007 BELL"),
    ("\x1b", "U+001B ESCAPE"),
    ("\x00", "U+0000 NULL"),
    ("\x85", "U+0085 NEXT LINE"),
    ("\x9b", "U+009B CONTROL CHARACTER"),
]


@pytest.mark.parametrize(
    ("char", "name"), [pytest.param(c, n, id=n.split(" ", 1)[0]) for c, n in FORBIDDEN_CHARACTERS]
)
def test_a_control_or_invisible_character_in_an_event_field_is_refused(
    tmp_path: Path, char: str, name: str
) -> None:
    path = write_project(tmp_path, campaign_data(event={**EVENT, "title": f"Dark{char}Web"}))
    line = 1 + path.read_text().splitlines().index("  title: " + _yaml_scalar(f"Dark{char}Web"))
    result = run("validate", str(path))
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert f"campaign.yaml:{line}: event.title: holds the invisible or control character" in output
    assert f"{name} at position 5" in output
    assert "delete it" in output


def _yaml_scalar(value: str) -> str:
    return yaml.safe_dump(value).removesuffix("\n...\n").removesuffix("\n")


@pytest.mark.parametrize(
    "where",
    ["vars", "csv", "events-yaml", "alt"],
)
def test_control_characters_are_refused_wherever_text_reaches_a_post(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    evil = "Dark\u202eWeb"
    if where == "vars":
        path = write_project(tmp_path, campaign_data(vars={"motto": evil}))
        expected = f"campaign.yaml:{line_of(path, 'motto:')}: vars.motto:"
    elif where == "csv":
        path = write_project(tmp_path, campaign_data(event=None, events="events.csv"))
        (path.parent / "events.csv").write_text(csv_events(EVENT, {"title": evil}))
        expected = "events.csv:3: title:"
    elif where == "events-yaml":
        path = write_project(tmp_path, campaign_data(event=None, events="events.yaml"))
        events = path.parent / "events.yaml"
        events.write_text(yaml.safe_dump([{**EVENT, "speakers": ["Ann", evil]}], sort_keys=False))
        expected = f"events.yaml:{line_of(events, '- Ann') + 1}: [0].speakers[1]:"
    else:
        path = write_project(tmp_path, _announce(media=[{"path": "x.png", "alt": evil}]))
        expected = f"campaign.yaml:{line_of(path, 'alt:')}: announcements[0].media[0].alt:"
    ledger = tmp_path / "ledger.db"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{ledger}")
    for command in ("validate", "schedule"):
        result = run(command, str(path))
        assert result.exit_code == 1, result.output
        assert expected in result.output
        assert "U+202E RIGHT-TO-LEFT OVERRIDE" in result.output
    assert queued(ledger) == []


def test_a_nul_byte_in_a_csv_cell_is_refused_before_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project(tmp_path, campaign_data(event=None, events="events.csv"))
    (path.parent / "events.csv").write_text(csv_events({"title": "Dark\x00Web"}))
    ledger = tmp_path / "ledger.db"
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", f"sqlite:///{ledger}")
    result = run("schedule", str(path))
    assert result.exit_code == 1, result.output
    assert "events.csv:2: title: holds the invisible or control character U+0000 NULL" in (
        " ".join(result.output.split())
    )
    assert queued(ledger) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("plain text, tabs\tand\nnewlines", []),
        ("#Dark\u200bWeb", [(5, 0x200B, "ZERO WIDTH SPACE")]),
        ("a\x1b[2Jb\x00", [(1, 0x1B, "ESCAPE"), (6, 0x00, "NULL")]),
        ("\u202etxt.exe", [(0, 0x202E, "RIGHT-TO-LEFT OVERRIDE")]),
        ("ab\u200dcd", [(2, 0x200D, "ZERO WIDTH JOINER")]),
        # Joiners between non-ASCII characters shape emoji and scripts: allowed.
        ("coder \U0001f468\u200d\U0001f4bb and \U0001f3f3\ufe0f\u200d\U0001f308", []),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", []),  # Persian, with ZWNJ
    ],
)
def test_find_forbidden_reports_index_code_point_and_name(
    text: str, found: list[tuple[int, int, str]]
) -> None:
    assert find_forbidden(text) == found


def test_preview_never_writes_control_sequences_or_markup(tmp_path: Path) -> None:
    post = make_post(text="clear\x1b[2J screen \x07 [bold red]loud[/] \u202eevil")
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_preview(console, [post], now=NOW)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in shown
    assert "\u202e" not in shown
    assert "clear\\x1b[2J screen \\x07 [bold red]loud[/] \\u202eevil" in shown


def test_queue_never_writes_control_sequences(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", sqlite_url)
    post = make_post(text="\x1b]0;pwned\x07 ring\x07 \u202eevil")
    with Ledger.open(sqlite_url) as ledger:
        ledger.sync([post], now=NOW)
    for args in (["queue"], ["cancel", post.id]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output
        assert "\x07" not in result.output
        assert "\u202e" not in result.output
        assert "\\x1" in result.output  # the queue's text column is narrow here
    assert "\\x1b]0;pwned\\x07 ring\\x07 \\u202eevil" in result.output


def test_visible_escapes_only_what_is_forbidden() -> None:
    assert visible("tab\tnewline\n caf\xe9 \U0001f468\u200d\U0001f4bb") == (
        "tab\tnewline\n caf\xe9 \U0001f468\u200d\U0001f4bb"
    )
    assert visible("a\x1bb\u202ec\x00") == "a\\x1bb\\u202ec\\x00"


# -- point 6: a blank CSV cell ------------------------------------------------------------


def test_a_blank_csv_cell_a_template_uses_is_named_once_by_row_and_column(tmp_path: Path) -> None:
    data = campaign_data(
        event=None,
        events="events.csv",
        platforms=["twitter", "mastodon", "bluesky"],
        announcements=[
            {"template": "hello", "at": "-2d 10:00"},
            {"template": "hello", "at": "-1d 10:00", "key": "again"},
        ],
    )
    path = write_project(
        tmp_path, data, {"hello.j2": "Hi {{ event.title }} with {{ event.speaker }}"}
    )
    (path.parent / "events.csv").write_text(
        csv_events({"id": "a", "speaker": "Ann"}, {"id": "b", "speaker": ""}, extra=("speaker",))
    )
    result = run("validate", str(path))
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert output.count("error:") == 1, output
    assert re.search(
        r"events\.csv:3: speaker: event 'b' leaves the cell in column 'speaker' blank, but the "
        r"template \S+hello\.j2:1 uses it",
        output,
    ), output
    assert '{{ event.speaker | default("") }}' in output
    assert "{% if event.speaker is defined %}" in output
    assert "1 problem found" in output


def test_an_undefined_variable_says_how_to_make_a_field_optional(tmp_path: Path) -> None:
    path = write_project(tmp_path, None, {"hello.j2": "Hi {{ event.speaker }}"})
    result = run("validate", str(path))
    assert result.exit_code == 1, result.output
    assert 'write {{ event.<field> | default("") }}' in " ".join(result.output.split())
