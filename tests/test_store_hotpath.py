"""The daemon's per-post statements in plain DB-API SQL (campaign.store.hotpath) agree with the
ledger as SQLAlchemy reads and writes it, on SQLite and on PostgreSQL: the same posts read, the
claim guarded by state and time, every outcome with its attempt and history rows, and the next
post's claim in the outcome's transaction."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError

from campaign.store import Ledger
from campaign.store.history import history
from campaign.store.hotpath import HotPath, NextDue, Outcome
from campaign.store.meta import ledger_id
from campaign.store.schema import AttemptRow
from campaign.store.states import FAILED, SCHEDULED, SENDING, SENT, UNKNOWN
from tests.ledger_helpers import NOW, force_state, image, make_post, make_thread

ME = "host:1:aaaa"


def attempts(ledger: Ledger, post_id: str) -> list[tuple[Any, ...]]:
    table = AttemptRow.__table__
    query = select(table.c.worker, table.c.outcome, table.c.error, table.c.finished_at)
    with ledger.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query.where(table.c.post_id == post_id))]


def test_a_post_reads_as_the_core_reads_it(ledger: Ledger) -> None:
    post = make_post(links=("https://example.org/a",), media=(image(),), thread=2, thread_size=3)
    ledger.sync([post], now=NOW)
    force_state(ledger, post.id, SCHEDULED, not_before=NOW + timedelta(minutes=5), attempts=2)
    assert HotPath(ledger.engine).get(post.id) == ledger.get(post.id)
    assert HotPath(ledger.engine).get("nonexistent") is None


def test_the_claim_takes_a_due_post_once_with_its_images_and_rows(ledger: Ledger) -> None:
    post = make_post(at=NOW, media=(image(),))
    ledger.sync([post], now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    assert hot.claim(post.id, ME, NOW - timedelta(microseconds=1)) is None, "not due yet"
    taken = hot.claim(post.id, ME, NOW)  # due at exactly this instant
    assert taken is not None
    assert taken.post == ledger.get(post.id)
    assert taken.post.state == SENDING
    assert [(i.source, i.data) for i in taken.images] == [(m.source, m.data) for m in post.media]
    assert taken.missing == ()
    assert hot.claim(post.id, "host:2:bbbb", NOW) is None, "claimed once"
    assert attempts(ledger, post.id) == [(ME, None, None, None)]
    (change,) = history(ledger.engine, post.id)[-1:]
    assert (change.old, change.new, change.worker, change.reason) == (
        SCHEDULED,
        SENDING,
        ME,
        "claimed",
    )


OUTCOMES = [
    (Outcome(SENT, "sent", remote_id="r1", remote_url="https://x/r1"), {"remote_id": "r1"}),
    (
        Outcome(SCHEDULED, "retry", not_before=NOW + timedelta(minutes=1), error="503", counts=1),
        {"not_before": NOW + timedelta(minutes=1), "attempts": 1, "last_error": "503"},
    ),
    (Outcome(FAILED, "failed", error="refused"), {"attempts": 1, "last_error": "refused"}),
    (Outcome(UNKNOWN, "unknown", error="timed out"), {"attempts": 0, "last_error": "timed out"}),
]


@pytest.mark.parametrize(("outcome", "expected"), OUTCOMES, ids=[o.state for o, _ in OUTCOMES])
def test_each_outcome_is_recorded_with_its_attempt_and_history(
    ledger: Ledger, outcome: Outcome, expected: dict[str, Any]
) -> None:
    post = make_post(at=NOW)
    ledger.sync([post], now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    assert hot.claim(post.id, ME, NOW) is not None
    later = NOW + timedelta(seconds=2)
    assert hot.finish(post.id, "host:2:bbbb", later, outcome) == (False, None), "not its claim"
    assert hot.finish(post.id, ME, later, outcome) == (True, None)
    stored = ledger.get(post.id)
    assert stored.state == outcome.state
    assert {name: getattr(stored, name) for name in expected} == expected
    assert stored.updated_at == later
    assert (stored.sent_at == later) is (outcome.state == SENT)
    assert attempts(ledger, post.id) == [(ME, outcome.outcome, outcome.error, later)]
    change = history(ledger.engine, post.id)[-1]
    assert (change.old, change.new, change.reason, change.error) == (
        SENDING,
        outcome.state,
        outcome.outcome,
        outcome.error,
    )
    assert hot.finish(post.id, ME, later, outcome) == (False, None), "recorded once"


def test_an_outcome_claims_the_next_post_in_its_transaction(ledger: Ledger) -> None:
    first, second = make_thread(2, at=NOW)
    ledger.sync([first, second], now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    assert hot.claim(first.id, ME, NOW) is not None
    sent = Outcome(SENT, "sent", remote_id="r1")
    assert hot.finish(first.id, "host:2:bbbb", NOW, sent, then_claim=second.id) == (False, None)
    assert ledger.get(second.id).state == SCHEDULED, "nothing claimed without the outcome"
    recorded, taken = hot.finish(first.id, ME, NOW, sent, then_claim=second.id)
    assert recorded
    assert taken is not None
    assert taken.post == ledger.get(second.id)
    assert (ledger.get(first.id).state, taken.post.state) == (SENT, SENDING)
    assert hot.finish(second.id, ME, NOW, sent, then_claim=first.id) == (True, None), (
        "a post no longer scheduled is not claimed"
    )


def test_the_next_due_claim_takes_the_platforms_earliest_due_first_post(ledger: Ledger) -> None:
    """Only a due, scheduled first post of the platform, within the grace window; the
    earliest first; a later thread part, another platform, a retry not yet due, a post
    beyond the window or one already claimed is never taken."""
    early = make_post("early", at=NOW - timedelta(minutes=5))
    later = make_post("later", at=NOW - timedelta(minutes=1))
    too_old = make_post("too-old", at=NOW - timedelta(hours=2))
    retried_old = make_post("retried", at=NOW - timedelta(hours=3))
    not_yet = make_post("not-yet", at=NOW + timedelta(seconds=1))
    elsewhere = make_post("elsewhere", platform="bluesky", at=NOW - timedelta(hours=1))
    first, part = make_thread(2, at=NOW - timedelta(minutes=30))
    posts = [early, later, too_old, retried_old, not_yet, elsewhere, first, part]
    ledger.sync(posts, now=NOW - timedelta(hours=4))
    # a retry due again two minutes ago: within the window by its retry time
    force_state(ledger, retried_old.id, SCHEDULED, not_before=NOW - timedelta(minutes=2))
    force_state(ledger, first.id, SENT)  # its second part is due, but only as a part
    hot = HotPath(ledger.engine)
    which = NextDue("mastodon", oldest=NOW - timedelta(hours=1))
    taken = [hot.claim(which, ME, NOW) for _ in range(4)]
    ids = [t.post.id if t else None for t in taken]
    assert ids == [retried_old.id, early.id, later.id, None]
    assert [ledger.get(p.id).state for p in (too_old, not_yet, elsewhere, part)] == [SCHEDULED] * 4
    assert attempts(ledger, early.id) == [(ME, None, None, None)]
    (change,) = history(ledger.engine, early.id)[-1:]
    assert (change.old, change.new, change.reason) == (SCHEDULED, SENDING, "claimed")


def test_an_outcome_claims_the_next_due_post_in_its_transaction(ledger: Ledger) -> None:
    sent_one, waiting = make_post("one", at=NOW), make_post("two", at=NOW)
    ledger.sync([sent_one, waiting], now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    assert hot.claim(sent_one.id, ME, NOW) is not None
    which = NextDue("mastodon", oldest=NOW - timedelta(hours=1))
    sent = Outcome(SENT, "sent", remote_id="r1")
    assert hot.finish(sent_one.id, "host:2:bbbb", NOW, sent, then_claim=which) == (False, None)
    assert ledger.get(waiting.id).state == SCHEDULED, "nothing claimed without the outcome"
    recorded, taken = hot.finish(sent_one.id, ME, NOW, sent, then_claim=which)
    assert recorded
    assert taken is not None
    assert taken.post == ledger.get(waiting.id)
    assert taken.post.state == SENDING
    assert attempts(ledger, waiting.id) == [(ME, None, None, None)]
    assert hot.finish(waiting.id, ME, NOW, sent, then_claim=which) == (True, None), (
        "nothing left to claim"
    )


def test_daemons_claiming_the_next_due_post_at_once_take_different_posts(
    ledger: Ledger,
) -> None:
    """Claims racing from several connections (PostgreSQL: several daemons) each get a post
    of their own or none; no post is taken twice and none is left behind."""
    posts = [make_post(f"e{n}", at=NOW - timedelta(seconds=n)) for n in range(40)]
    ledger.sync(posts, now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    which = NextDue("mastodon", oldest=NOW - timedelta(hours=1))
    taken: list[str] = []
    lock = threading.Lock()

    def claim_all(worker: str) -> None:
        while (claimed := hot.claim(which, worker, NOW)) is not None:
            with lock:
                taken.append(claimed.post.id)

    threads = [threading.Thread(target=claim_all, args=(f"host:{n}:cccc",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(p.id for p in posts)


def test_the_job_window_is_due_at_the_later_of_plan_and_retry_time(ledger: Ledger) -> None:
    planned_later = make_post("later", at=NOW + timedelta(minutes=5))
    retried = make_post("retried", at=NOW - timedelta(minutes=5))
    first, part = make_thread(2, at=NOW)
    beyond = make_post("beyond", at=NOW + timedelta(hours=1))
    ledger.sync([planned_later, retried, first, part, beyond], now=NOW - timedelta(hours=1))
    force_state(ledger, planned_later.id, SCHEDULED, not_before=NOW)  # queued again early
    force_state(ledger, retried.id, SCHEDULED, not_before=NOW + timedelta(minutes=1))
    hot = HotPath(ledger.engine)
    assert hot.upcoming(NOW + timedelta(minutes=10)) == {
        retried.id: (NOW + timedelta(minutes=1), "mastodon", True),
        first.id: (NOW, "mastodon", True),
        part.id: (NOW, "mastodon", False),
        planned_later.id: (NOW + timedelta(minutes=5), "mastodon", True),
    }
    assert list(hot.upcoming(NOW + timedelta(minutes=10), limit=1)) == [retried.id]


def test_a_claim_is_taken_only_in_the_ledger_the_worker_opened(ledger: Ledger) -> None:
    """A daemon whose ledger was dropped and created again (a restore) claims nothing in the
    new one, by id or as the next due post, whatever a read of it showed."""
    post = make_post(at=NOW)
    ledger.sync([post], now=NOW - timedelta(hours=1))
    stale = HotPath(ledger.engine, ledger_id="the-ledger-this-daemon-opened")
    assert stale.claim(post.id, ME, NOW) is None
    assert stale.claim(NextDue("mastodon", NOW - timedelta(hours=1)), ME, NOW) is None
    assert ledger.get(post.id).state == SCHEDULED
    assert HotPath(ledger.engine, ledger_id(ledger.engine)).claim(post.id, ME, NOW) is not None


def test_a_refused_write_is_an_sqlalchemy_error_and_leaves_nothing_half_done(
    ledger: Ledger,
) -> None:
    post = make_post(at=NOW)
    ledger.sync([post], now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    assert hot.claim(post.id, ME, NOW) is not None
    refused = Outcome(SENT, "sent", remote_id="x" * 400)  # longer than PostgreSQL takes
    if ledger.engine.dialect.name == "sqlite":  # SQLite takes any length: refuse every write
        ledger.engine.dispose()  # the connection this thread kept is gone: the next is new

        @event.listens_for(ledger.engine, "checkout")
        def _read_only(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.execute("PRAGMA query_only = 1")

    with pytest.raises(SQLAlchemyError):
        hot.finish(post.id, ME, NOW, refused)
    if ledger.engine.dialect.name == "sqlite":
        event.remove(ledger.engine, "checkout", _read_only)
        ledger.engine.dispose()  # writable connections again
    assert ledger.get(post.id).state == SENDING
    assert attempts(ledger, post.id) == [(ME, None, None, None)]
    assert hot.finish(post.id, ME, NOW, Outcome(SENT, "sent", remote_id="r1")) == (True, None)


def test_a_connection_kept_per_thread_never_starves_the_other_reads(ledger: Ledger) -> None:
    """More publishing threads than the pool's default size plus overflow (15) each keep a
    connection; the daemon's other reads still get one."""
    hot = HotPath(ledger.engine)
    threads = [threading.Thread(target=hot.get, args=("nope",)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ledger.list() == []  # a Core read, through the same pool


def test_a_thread_keeps_one_connection_for_its_transactions(ledger: Ledger) -> None:
    """Taken from the pool once, not once a transaction: on SQLite a connection another
    thread wrote through last starts with its page cache thrown away."""
    posts = [make_post(f"e{n}", at=NOW) for n in range(3)]
    ledger.sync(posts, now=NOW - timedelta(hours=1))
    checkouts: list[int] = []
    event.listen(ledger.engine, "checkout", lambda *_: checkouts.append(1))
    hot = HotPath(ledger.engine)
    first = hot.claim(posts[0].id, ME, NOW)
    assert first is not None
    for earlier, later in itertools.pairwise(posts):
        recorded, taken = hot.finish(earlier.id, ME, NOW, Outcome(SENT, "sent"), later.id)
        assert recorded
        assert taken is not None
        assert taken.post.id == later.id
    assert hot.get(posts[0].id).state == SENT  # type: ignore[union-attr]
    assert len(checkouts) == 1
    other = threading.Thread(target=hot.get, args=(posts[0].id,))
    other.start()
    other.join()
    assert len(checkouts) == 2  # another thread, its own connection
    ledger.engine.dispose()
    assert hot.get(posts[2].id).state == SENDING  # type: ignore[union-attr]
    assert len(checkouts) == 3  # the kept one closed with the pool: a new one taken


def explained(ledger: Ledger, explain: str, sql: str, params: dict[str, Any]) -> list[Any]:
    """The rows of ``explain`` (``EXPLAIN …``) of the hot path's ``sql``, on the driver's
    own connection, as the hot path runs it."""
    connection = ledger.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"{explain} {sql}", params)
        return list(cursor.fetchall())
    finally:
        connection.close()


def scans_under(plan: dict[str, Any], subplan: str) -> list[tuple[str, str | None]]:
    """(node type, index name) of the scans directly under the plan node named ``subplan``."""
    if plan.get("Subplan Name") == subplan:
        return [
            (child["Node Type"], child.get("Index Name"))
            for child in plan.get("Plans", [])
            if "Scan" in child["Node Type"] and child.get("Relation Name") == "posts"
        ]
    return [scan for child in plan.get("Plans", []) for scan in scans_under(child, subplan)]


@pytest.mark.parametrize(
    "ledger_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_postgresql_claim_finds_its_post_by_id_however_stale_the_statistics(
    ledger: Ledger,
) -> None:
    """Right after a large `schedule` PostgreSQL's statistics still say the ledger is nearly
    empty; the claim must still update its post through the primary key, not walk every
    scheduled post's entry in the state index (once 2.8 ms a claim with 2,000 waiting)."""
    from campaign.store.hotpath import _POSTGRESQL  # the SQL texts themselves

    posts = [make_post(f"e{n}", at=NOW - timedelta(seconds=n)) for n in range(500)]
    ledger.sync(posts, now=NOW - timedelta(hours=1))
    hot = HotPath(ledger.engine)
    held = hot.claim(posts[0].id, ME, NOW)
    assert held is not None
    params = {
        "worker": ME,
        "ledger": None,
        "now": NOW,
        "post_id": posts[1].id,
        "next_id": posts[2].id,
        "platform": "mastodon",
        "oldest": NOW - timedelta(hours=1),
        "state": SENT,
        "outcome": "sent",
        "remote_id": "1",
        "remote_url": None,
        "not_before": None,
        "error": None,
        "counts": 0,
    }
    statements = {
        "claim": _POSTGRESQL.claim[0],
        "claim next due": _POSTGRESQL.claim_next[0],
        "sent, then claim": _POSTGRESQL.finish_then_claim[(SENT, False)],
        "sent, then claim next due": _POSTGRESQL.finish_then_claim[(SENT, True)],
    }
    for name, sql in statements.items():
        params["post_id"] = held.post.id if "then" in name else posts[1].id
        [[[plan]]] = explained(ledger, "EXPLAIN (FORMAT JSON)", sql, params)
        assert scans_under(plan["Plan"], "CTE claimed") == [("Index Scan", "posts_pkey")], name


def test_the_next_due_claim_finds_its_platforms_post_by_index_whatever_others_have_due(
    ledger: Ledger,
) -> None:
    """A backlog of another platform (say one held back by a rate limit) due before this
    platform's posts is not walked by each claim: the claim's search is by state, platform
    and time (once 3.4 ms a claim behind 5,000 such posts, 0.6 ms now)."""
    from campaign.store.hotpath import _POSTGRESQL, _SQLITE  # the SQL texts themselves

    backlog = [make_post(f"m{n}", at=NOW - timedelta(minutes=10, seconds=n)) for n in range(300)]
    mine = make_post("x1", platform="twitter", at=NOW - timedelta(minutes=1))
    ledger.sync([*backlog, mine], now=NOW - timedelta(hours=1))
    params = {
        "worker": ME,
        "ledger": None,
        "now": NOW,
        "post_id": None,
        "platform": "twitter",
        "oldest": NOW - timedelta(hours=1),
    }
    postgres = ledger.engine.dialect.name == "postgresql"
    sql = (_POSTGRESQL if postgres else _SQLITE).claim_next[0]
    if postgres:
        rows = explained(ledger, "EXPLAIN", sql, params)
    else:
        rows = explained(ledger, "EXPLAIN QUERY PLAN", sql, {**params, "now": str(NOW)})
    plan = "\n".join(str(row[-1]) for row in rows)
    assert "ix_posts_state_platform_scheduled_at" in plan, plan
    taken = HotPath(ledger.engine).claim(NextDue("twitter", NOW - timedelta(hours=1)), ME, NOW)
    assert taken is not None
    assert taken.post.id == mine.id
