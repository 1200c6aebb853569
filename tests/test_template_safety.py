"""Templates read only their folder, and a render stays within its time, output and size limits.

Hostile or careless templates each end within seconds with an error naming the template (or
the campaign file's ``templates`` field) and what to change; nothing secret is printed, and
memory stays bounded (the CLI runs under a 1 GiB address-space limit).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from campaign.errors import InvalidCampaign
from campaign.records.campaign_file import load_campaign
from campaign.render import limits
from campaign.render.environment import TemplateSet
from campaign.render.limits import Budget, LimitExceeded
from campaign.render.loader import TEMPLATE_FILE_BYTES
from campaign.render.planner import plan_campaign, plan_files
from tests.planfiles import campaign_data, write_project

SECRET = "hunter2-do-not-print"
CAMPAIGN = Path(sys.executable).with_name("campaign")
NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def _problem(path: Path) -> str:
    with pytest.raises(InvalidCampaign) as caught:
        plan_files([path])
    assert len(caught.value.problems) == 1
    return str(caught.value)


class TickingClock:
    """A clock that moves ``step`` seconds every time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


# --- Where templates come from ------------------------------------------------------------


@pytest.mark.parametrize("name", [".env", ".git/config", "sub/.hidden.j2"])
def test_an_include_of_a_hidden_file_is_refused(tmp_path: Path, name: str) -> None:
    path = write_project(
        tmp_path, templates={"hello.j2": f'{{% include "{name}" %}}', name: SECRET}
    )
    message = _problem(path)
    assert "hello.j2:1: refused:" in message
    assert "hidden" in message
    assert SECRET not in message


def test_templates_dotdot_cannot_print_the_projects_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"CAMPAIGN_X_API_SECRET={SECRET}\n")
    path = write_project(
        tmp_path,
        campaign_data(templates=".."),
        {"hello.j2": "x", "../hello.j2": '{% include ".env" %}'},
    )
    message = _problem(path)
    assert "refused" in message
    assert SECRET not in message


def test_a_link_leaving_the_folder_is_refused_as_template_and_as_include(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    path = write_project(tmp_path, templates={"hello.j2": '{% include "pw.j2" %}'})
    (tmp_path / "templates" / "pw.j2").symlink_to(secret)
    message = _problem(path)
    assert "hello.j2:1: refused:" in message
    assert "leads outside the templates folder" in message
    assert SECRET not in message

    (tmp_path / "templates" / "hello.j2").unlink()
    (tmp_path / "templates" / "hello.j2").symlink_to(secret)
    message = _problem(path)
    assert "announcements[0].template: template 'hello' refused" in message
    assert SECRET not in message


def test_a_link_inside_the_folder_is_followed(tmp_path: Path) -> None:
    path = write_project(tmp_path, templates={"base.j2": "from base", "mastodon/x.j2": "m"})
    (tmp_path / "templates" / "hello.j2").symlink_to(tmp_path / "templates" / "base.j2")
    assert [post.text for post in plan_files([path])] == ["from base"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: os.mkfifo(p), "is not a regular file"),
        (lambda p: p.mkdir(), "is not a regular file"),
        (lambda p: p.write_bytes(b"x" * (TEMPLATE_FILE_BYTES + 1)), "over 100,000 bytes"),
        (lambda p: p.write_bytes(b"caf\xe9"), "is not UTF-8 text"),
    ],
)
def test_only_small_regular_utf8_files_are_read(
    tmp_path: Path, make: Callable[[Path], Any], expected: str
) -> None:
    path = write_project(tmp_path, templates={"hello.j2": '{% include "odd.j2" %}'})
    make(tmp_path / "templates" / "odd.j2")
    assert expected in _problem(path)


@pytest.mark.parametrize("folder", ["/", "../..", "../../../elsewhere"])
def test_templates_outside_the_project_are_refused_at_the_field(
    tmp_path: Path, folder: str
) -> None:
    project = tmp_path / "a" / "project"
    (tmp_path / "elsewhere").mkdir()
    path = write_project(project, campaign_data(templates=folder))
    message = _problem(path)
    line = path.read_text().splitlines().index(f"templates: {folder}") + 1
    assert f"{path}:{line}: templates: the templates folder" in message
    assert f"is outside the project folder {project}" in message
    assert "--allow-outside" in message


def test_allow_outside_lets_a_trusted_folder_in(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared).mkdir()
    (shared / "hello.j2").write_text("shared {{ event.title }}")
    path = write_project(tmp_path / "project", campaign_data(templates=str(shared)))
    with pytest.raises(InvalidCampaign, match="outside the project folder"):
        plan_files([path])
    [post] = plan_files([path], allow_outside=True)
    assert post.text == "shared Dark Web workshop"


def test_a_templates_folder_linked_from_outside_counts_as_outside(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "hello.j2").write_text("hi")
    path = write_project(tmp_path / "project", campaign_data(templates="../linked"))
    (tmp_path / "project" / "linked").symlink_to(shared)
    assert "outside the project folder" in _problem(path)
    assert [p.text for p in plan_files([path], allow_outside=True)] == ["hi"]


# --- What a render may cost ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ (2**64)**100000000 }}", "`**` would make an integer of about 1,926,591,973 digits"),
        ("{{ 10**(10**10) }}", "`**` would make an integer"),
        ("{% set x = 2**4000 %}{{ x * x }}", "`*` would make an integer"),
        ('{{ "a"*3*10**9 }}', "`*` would make a value of 3,000,000,000"),
        ("{{ [0]*10**9 }}", "`*` would make a value of more than 100,000"),
        ("{{ [[0]*1000]*1000 }}", "`*` would make a value of more than 100,000"),
        ('{{ "x"|center(10**9) }}', "the `center` filter would make"),
        ('{{ "x".ljust(10**9) }}', "`ljust` would make"),
        ('{{ ("x"*100000)|replace("x", "yy") }}', "the `replace` filter would make"),
        ('{{ ("x"*100000).replace("", "y") }}', "`replace` would make"),
        ('{{ ("ab"*50000)|join("x"*100000) }}', "the `join` filter would make"),
        ('{{ ("x"*100000).join(["a", "b", "c"]) }}', "`join` would make"),
        ('{{ "%999999999d" % 1 }}', "`%` would make a value of 999,999,999"),
        ('{{ "%*d" % (999999999, 1) }}', "`%` would make"),
        ('{{ "{:>999999999}".format(1) }}', "`format` would make"),
        ('{{ "%999999999s"|format("x") }}', "the `format` filter would make"),
        ('{{ ("x\n"*50000)|indent("y"*1000) }}', "the `indent` filter would make"),
        ('{{ ("x"*90000)|wordwrap(1, wrapstring="y"*100) }}', "the `wordwrap` filter"),
        ("{{ [1]|batch(10**9, 0)|list }}", "the `batch` filter would make"),
        ('{{ [1]|batch(100000, "x"*100000)|list }}', "the `batch` filter would make"),
        ('{{ "x".encode() * 10**9 }}', "`*` would make a value of 1,000,000,000"),
        ('{{ ("\t"*100000).expandtabs(100000) }}', "`expandtabs` would make"),
        ('{{ ("{0}"*30000).format("x"*1000) }}', "`format` would make"),
        ('{{ ("%(a)s"*20000) % {"a": "x"*1000} }}', "`%` would make"),
        ('{{ "%s"|format("x"*100000) ~ "" }}', "the `format` filter would make"),
        (
            "{% set r = [range(100000)] * 100000 %}"
            "{% for x in r recursive %}{% if x is iterable %}{{ loop(x) }}{% endif %}"
            "{% endfor %}",
            "ran longer than 2 s",
        ),
        (
            '{% set ns = namespace(s="ab") %}{% for i in range(40) %}'
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
            "`~` would make a value of 131,072",
        ),
        (
            '{% set ns = namespace(s="ab") %}{% for i in range(40) %}'
            "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
            "`+` would make a value of 131,072",
        ),
        (
            "{% set l = [1] %}" + "{% set l = [l, l] %}" * 20 + "{{ l }}",
            "a list, tuple or dict would make a value of more than 100,000",
        ),
        (
            "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}"
            "{% set ns.l = dict(a=ns.l, b=ns.l) %}{% endfor %}{{ ns.l }}",
            "the call would make a value of more than 100,000",
        ),
        (
            '{% for i in range(1000) %}{{ "x" * 1000 }}{% endfor %}',
            "printed more than 100,000 characters",
        ),
    ],
)
def test_work_over_a_limit_is_refused_naming_the_template(
    tmp_path: Path, template: str, expected: str
) -> None:
    path = write_project(tmp_path, templates={"hello.j2": template})
    message = _problem(path)
    assert "templates/hello.j2" in message
    assert "over a limit: " in message
    assert expected in message


def test_ordinary_templates_still_render(tmp_path: Path) -> None:
    template = (
        '{{ [1, 2]|join(",") }} {{ "%5d"|format(3) }} {{ "a b"|replace("a", "c") }} '
        '{{ 2**10 }} {{ "ab"*3 }} {{ "x" ~ 1 }} {{ "{:,}".format(1234567) }} '
        '{% for a, b in [(1, 2)] %}{{ a + b }}{% endfor %} {{ {"k": [1, 2]}.k|sum }} '
        "{{ 10**10**10 }}"  # left to right in Jinja2: (10**10)**10, 101 digits
    )
    path = write_project(tmp_path, templates={"hello.j2": template})
    [post] = plan_files([path])
    assert post.text == "1,2     3 c b 1024 ababab x1 1,234,567 3 3 1" + "0" * 100


def test_no_lorem_ipsum_generator(tmp_path: Path) -> None:
    path = write_project(tmp_path, templates={"hello.j2": "{{ lipsum(100000) }}"})
    assert "'lipsum' is undefined" in _problem(path)


def _compiled(tmp_path: Path, template: str, budget: Budget) -> Any:
    (tmp_path / "hello.j2").write_text(template)
    compiled = TemplateSet(tmp_path, budget).get("hello", "twitter")
    return compiled, dict(compiled.globals)


def test_nested_loops_stop_at_the_post_time_budget(tmp_path: Path) -> None:
    clock = TickingClock(0.001)
    compiled, variables = _compiled(tmp_path, NESTED_LOOPS, Budget(clock=clock))
    with pytest.raises(LimitExceeded, match="ran longer than 2 s"):
        compiled.render(variables)
    assert 2.0 < clock.now < 2.01


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.5) -> str:
        self.now += seconds
        return ""


def test_a_post_over_its_time_stops_at_the_next_check(tmp_path: Path) -> None:
    clock = ManualClock()
    template = "{{ tick() }}{{ tick() }}{{ tick() }}{{ tick() }}"
    compiled, variables = _compiled(tmp_path, template, Budget(clock=clock))
    variables["tick"] = clock.tick
    with pytest.raises(LimitExceeded, match="ran longer than 2 s"):
        compiled.render(variables)
    assert clock.now == 3.0


def test_the_run_budget_counts_only_rendering_across_posts(tmp_path: Path) -> None:
    clock = ManualClock()
    budget = Budget(per_post=2, per_run=5, clock=clock)
    compiled, variables = _compiled(tmp_path, "{{ tick() }}", budget)
    variables["tick"] = clock.tick
    for _ in range(4):  # 1.5 s each: 6 s, the last one started with 0.5 s left
        compiled.render(variables)
        clock.now += 100  # time spent outside templates does not count
    with pytest.raises(LimitExceeded, match="all templates together ran longer than 5 s"):
        compiled.render(variables)


def test_a_spent_run_budget_is_reported_once(tmp_path: Path) -> None:
    announcements = [{"template": "hello", "at": f"-{n}d 10:00", "key": f"a{n}"} for n in (1, 2, 3)]
    path = write_project(
        tmp_path, campaign_data(announcements=announcements), {"hello.j2": NESTED_LOOPS}
    )
    budget = Budget(per_post=1, per_run=1.5, clock=TickingClock(0.001))
    with pytest.raises(InvalidCampaign) as caught:
        plan_campaign(load_campaign(path), budget=budget)
    # The post over its own time; the one the run's time ran out in (at its line); and the
    # posts not started, once for all of them.
    first, *rest = map(str, caught.value.problems)
    assert "hello.j2:1: over a limit: the template ran longer than 1 s" in first
    assert len(rest) == 2
    assert all("all templates together ran longer than 1.5 s" in problem for problem in rest)


def test_the_limits_are_the_documented_ones() -> None:
    assert (limits.RENDER_SECONDS_PER_POST, limits.RENDER_SECONDS_PER_RUN) == (2.0, 60.0)
    assert limits.OUTPUT_CHARS_PER_POST == limits.VALUE_SIZE_LIMIT == 100_000
    assert limits.INTEGER_BITS_LIMIT == 4_096


# --- As a user meets them: the CLI, with memory limited -----------------------------------


def _limited_memory() -> None:
    one_gib = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (one_gib, one_gib))


HOSTILE = {
    "include .env": ({"hello.j2": '{% include ".env" %}', ".env": SECRET}, "hidden file"),
    "huge power": ({"hello.j2": "{{ (2**64)**100000000 }}"}, "would make an integer"),
    "huge string": ({"hello.j2": '{{ "a"*3*10**9 }}'}, "would make a value"),
    "nested loops": ({"hello.j2": NESTED_LOOPS}, "ran longer than 2 s"),
    "nested lists": (
        {"hello.j2": "{% set l = [1] %}" + "{% set l = [l, l] %}" * 40 + "{{ l }}"},
        "more than 100,000 items",
    ),
}


# The three commands plan through the same `plan_files`; each hostile template goes through
# one of them in turn (a process each, memory capped), so every command meets some.
CLI_CASES = [(case, ("validate", "preview", "schedule")[n % 3]) for n, case in enumerate(HOSTILE)]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "command"), CLI_CASES)
def test_the_cli_ends_with_a_clear_error_in_bounded_memory(
    tmp_path: Path, command: str, case: str
) -> None:
    templates, expected = HOSTILE[case]
    path = write_project(tmp_path, templates=templates)
    ledger = tmp_path / "ledger.db"
    done = subprocess.run(
        [str(CAMPAIGN), command, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "CAMPAIGN_DATABASE_URL": f"sqlite:///{ledger}"},
        preexec_fn=_limited_memory,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "hello.j2:1:" in done.stderr
    assert expected in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert not ledger.exists()


@pytest.mark.slow
def test_the_cli_refuses_templates_outside_the_project_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "hello.j2").write_text(SECRET)
    path = write_project(tmp_path / "project", campaign_data(templates="../.."))
    base = [str(CAMPAIGN), "preview", str(path)]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 1
    assert "templates: the templates folder" in refused.stderr
    assert SECRET not in refused.stdout + refused.stderr
    allowed = subprocess.run(
        [*base, "--allow-outside"], capture_output=True, text=True, timeout=60, check=False
    )
    assert allowed.returncode == 0, allowed.stderr
    assert SECRET in allowed.stdout


@pytest.mark.parametrize(("character", "name"), [("\u202e", "U+202E"), ("\x1b", "U+001B")])
def test_a_template_holding_an_invisible_or_control_character_is_refused(
    tmp_path: Path, character: str, name: str
) -> None:
    campaign = write_project(
        tmp_path, templates={"hello.j2": f"Hello\n{{{{ event.title }}}} {character}now"}
    )
    with pytest.raises(InvalidCampaign) as caught:
        plan_files([campaign])
    message = str(caught.value)
    assert "hello.j2:2" in message
    assert name in message
