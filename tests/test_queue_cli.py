"""``campaign queue``, ``cancel``, ``retry`` and ``resolve``: the ledger as a person sees it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner, Result

from campaign.cli import app
from campaign.store import Ledger
from campaign.store.states import CANCELLED, FAILED, MISSED, SCHEDULED, SENT, UNKNOWN
from tests.ledger_helpers import (
    NOW,
    QUEUE_JSON_FIELDS,
    as_worker,
    force_state,
    make_post,
    make_thread,
)


@pytest.fixture
def ledger_env(ledger_url: str, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """A ledger with three posts (one failed), that the CLI finds through the environment."""
    monkeypatch.setenv("CAMPAIGN_DATABASE_URL", ledger_url)
    ledger = Ledger.open(ledger_url)
    ledger.sync(
        [
            make_post("e1", text="First [bold]post[/bold] about the workshop"),
            make_post("e2", platform="bluesky", at=NOW + timedelta(days=1)),
            make_post("e3", campaign="autumn-2030", at=NOW + timedelta(days=2)),
        ],
        now=NOW,
    )
    force_state(
        ledger,
        make_post("e2", platform="bluesky").id,
        FAILED,
        attempts=5,
        last_error="server error 503",
    )
    yield ledger
    ledger.close()


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def queue_json(*args: str) -> list[dict]:
    result = run("queue", "--json", *args)
    assert result.exit_code == 0, result.output
    posts: list[dict] = json.loads(result.stdout)
    return posts


def test_queue_table_shows_time_platform_state_and_id(
    ledger_env: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    result = run("queue")
    assert result.exit_code == 0, result.output
    for post in ledger_env.list():
        assert post.id in result.stdout
    assert "2030-05-01 15:00 CEST" in result.stdout
    assert "failed" in result.stdout
    assert "bluesky" in result.stdout


def test_queue_text_is_shown_as_written_not_as_markup(
    ledger_env: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    assert "First [bold]post[/bold]" in run("queue").stdout


def test_queue_json_has_the_documented_fields(ledger_env: Ledger) -> None:
    posts = queue_json()
    assert [p["id"] for p in posts] == [p.id for p in ledger_env.list()]
    assert all(post.keys() >= QUEUE_JSON_FIELDS for post in posts)
    failed = next(p for p in posts if p["state"] == FAILED)
    assert (failed["attempts"], failed["last_error"]) == (5, "server error 503")
    assert posts[0]["scheduled_at"] == "2030-05-01T13:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "count"),
    [
        (["--state", FAILED], 1),
        (["--state", SENT], 0),
        (["--campaign", "autumn-2030"], 1),
        (["--campaign", "spring-2030", "--state", SCHEDULED], 1),
    ],
)
def test_queue_filters(ledger_env: Ledger, args: list[str], count: int) -> None:
    assert len(queue_json(*args)) == count


def test_queue_says_when_nothing_matches(ledger_env: Ledger) -> None:
    result = run("queue", "--state", SENT)
    assert result.exit_code == 0
    assert "No posts in the queue match." in result.stdout


def test_queue_unknown_state_is_a_usage_error(ledger_env: Ledger) -> None:
    result = run("queue", "--state", "done")
    assert result.exit_code == 2
    assert "unknown state 'done'; use one of: scheduled" in result.stderr


def test_cancel_then_cancel_again(ledger_env: Ledger) -> None:
    post_id = make_post("e1").id
    result = run("cancel", post_id[:8])
    assert result.exit_code == 0, result.output
    assert f"Cancelled {post_id}" in result.stdout
    assert ledger_env.get(post_id).state == CANCELLED
    again = run("cancel", post_id)
    assert again.exit_code == 1
    assert "already cancelled" in again.stderr


def test_retry_failed_post_keeps_its_attempts(ledger_env: Ledger) -> None:
    post_id = make_post("e2", platform="bluesky").id
    result = run("retry", post_id)
    assert result.exit_code == 0, result.output
    assert "Scheduled again (was failed)" in result.stdout
    assert (ledger_env.get(post_id).state, ledger_env.get(post_id).attempts) == (SCHEDULED, 5)


def test_retry_of_an_unknown_post_warns_it_may_be_published(ledger_env: Ledger) -> None:
    post_id = make_post("e1").id
    force_state(ledger_env, post_id, UNKNOWN)
    result = run("retry", post_id)
    assert result.exit_code == 0
    assert f"campaign resolve {post_id} --posted REMOTE_ID" in " ".join(result.stderr.split())


def test_resolve_posted_and_not_posted(ledger_env: Ledger) -> None:
    first, other = make_post("e1").id, make_post("e3", campaign="autumn-2030").id
    force_state(ledger_env, first, UNKNOWN)
    force_state(ledger_env, other, UNKNOWN)
    assert run("resolve", first, "--posted", "111").exit_code == 0
    assert run("resolve", other, "--not-posted").exit_code == 0
    by_id = {p["id"]: p for p in queue_json()}
    assert (by_id[first]["state"], by_id[first]["remote_id"]) == (SENT, "111")
    assert by_id[other]["state"] == SCHEDULED


@pytest.mark.parametrize(
    "options", [[], ["--posted", "1", "--not-posted"]], ids=["neither", "both"]
)
def test_resolve_needs_exactly_one_answer(ledger_env: Ledger, options: list[str]) -> None:
    post_id = make_post("e1").id
    force_state(ledger_env, post_id, UNKNOWN)
    result = run("resolve", post_id, *options)
    assert result.exit_code == 2
    assert "exactly one of --posted REMOTE_ID or --not-posted" in result.stderr
    assert ledger_env.get(post_id).state == UNKNOWN


def test_resolve_refuses_a_post_whose_outcome_is_known(ledger_env: Ledger) -> None:
    result = run("resolve", make_post("e1").id, "--not-posted")
    assert result.exit_code == 1
    assert "resolve only settles posts whose outcome is unknown" in result.stderr


@pytest.mark.parametrize("command", [["cancel"], ["retry"], ["resolve", "--not-posted"]])
def test_unknown_id_points_to_the_queue(ledger_env: Ledger, command: list[str]) -> None:
    result = run(command[0], "0123456789", *command[1:])
    assert result.exit_code == 1
    assert "no post with id 0123456789; see `campaign queue`" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("blocker", [CANCELLED, FAILED, MISSED, UNKNOWN])
def test_retry_of_a_thread_part_whose_previous_part_will_not_go_out_is_refused(
    ledger_env: Ledger, blocker: str
) -> None:
    parts = make_thread(3, event="t1")
    ledger_env.sync(parts, now=NOW)
    force_state(ledger_env, parts[0].id, SENT, remote_id="r1", sent_at=NOW)
    force_state(ledger_env, parts[1].id, blocker)
    force_state(ledger_env, parts[2].id, CANCELLED)
    result = run("retry", parts[2].id)
    assert result.exit_code == 1, result.output
    assert "Scheduled again" not in result.output
    assert f"the part before it, {parts[1].id}, is {blocker}" in result.output
    fix = "campaign resolve" if blocker == UNKNOWN else f"campaign retry {parts[1].id}"
    assert fix in result.output
    assert f"campaign cancel {parts[2].id}" in result.output
    assert ledger_env.get(parts[2].id).state == CANCELLED


def test_retrying_a_cancelled_thread_part_by_part_schedules_it_again(ledger_env: Ledger) -> None:
    parts = make_thread(3, event="t1")
    ledger_env.sync(parts, now=NOW)
    force_state(ledger_env, parts[0].id, SENT, remote_id="r1", sent_at=NOW)
    assert run("cancel", parts[1].id).exit_code == 0  # cancels parts 2 and 3
    assert run("retry", parts[2].id).exit_code == 1  # part 2 first
    for part in parts[1:]:
        result = run("retry", part.id)
        assert result.exit_code == 0, result.output
    assert [ledger_env.get(p.id).state for p in parts] == [SENT, SCHEDULED, SCHEDULED]


def test_resolve_not_posted_of_a_part_after_a_cancelled_one_is_refused(
    ledger_env: Ledger,
) -> None:
    parts = make_thread(3, event="t2")
    ledger_env.sync(parts, now=NOW)
    force_state(ledger_env, parts[0].id, SENT, remote_id="r1", sent_at=NOW)
    force_state(ledger_env, parts[1].id, CANCELLED)
    force_state(ledger_env, parts[2].id, UNKNOWN)
    result = run("resolve", parts[2].id, "--not-posted")
    assert result.exit_code == 1, result.output
    assert f"the part before it, {parts[1].id}, is cancelled" in result.output
    assert ledger_env.get(parts[2].id).state == UNKNOWN


@pytest.mark.parametrize("columns", [40, 80, 130])
def test_queue_never_cuts_an_id_and_names_what_each_post_announces(
    ledger_env: Ledger, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    page = run("queue").stdout
    for post in ledger_env.list():
        assert post.id in page
    if columns >= 80:  # narrower, the table is wider than the terminal, which wraps its lines
        assert max(map(len, page.splitlines())) <= columns
    if columns > 120:  # narrower, they wrap
        assert "autumn-2030 / e3 / reminder" in page


def test_queue_wide_shows_every_cell_whole(
    ledger_env: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    lines = run("queue", "--wide").stdout.splitlines()
    row = next(line for line in lines if "First [bold]post[/bold] about the workshop" in line)
    assert "2030-05-01 15:00 CEST" in row
    assert "spring-2030 / e1 / reminder" in row


def test_queue_links_each_sent_post_whole_on_its_own_line(
    ledger_env: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    url = "https://mastodon.example/@campaign/110000000000000001"
    sent = make_post("e1").id
    force_state(ledger_env, sent, SENT, remote_id="110000000000000001", remote_url=url)
    lines = run("queue").stdout.splitlines()
    assert f"  {sent}  {url}" in lines
    assert sum(url in line for line in lines) == 1


def test_tries_count_every_time_the_daemon_took_the_post(ledger_env: Ledger) -> None:
    """A retryable error, a rate limit and a lost answer are each a try; being missed is not."""
    worker = as_worker(ledger_env)
    first, third = make_post("e1").id, make_post("e3", campaign="autumn-2030").id
    for post_id, moves in ((first, ("retry", "rate_limited", "sent")), (third, ("unknown",))):
        for move in moves:
            claimed = worker.claim(post_id, NOW + timedelta(days=3))
            assert claimed is not None
            post, at = claimed.post, NOW + timedelta(days=3)
            if move == "sent":
                worker.mark_sent(post, at, "remote-1")
            elif move == "unknown":
                worker.mark_unknown(post, at, "no answer")
            else:
                worker.reschedule(post, at, at, "busy", counts=move == "retry")
    tries = {post["id"]: (post["tries"], post["attempts"]) for post in queue_json()}
    assert tries[first] == (3, 1)  # the retry budget counts only the retryable error
    assert tries[third] == (1, 0)
    missed = make_post("e2", platform="bluesky").id
    force_state(ledger_env, missed, SCHEDULED)
    assert worker.mark_missed(ledger_env.get(missed), NOW, "too late")
    assert next(p for p in queue_json() if p["id"] == missed)["tries"] == 0
