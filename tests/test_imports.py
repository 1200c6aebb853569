"""Every module of the package imports on its own, first: no import cycle hides behind the
order in which the rest of the suite happens to import things."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

SCRIPT = """
import importlib, pkgutil, sys
import campaign
names = [m.name for m in pkgutil.walk_packages(campaign.__path__, "campaign.")]
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "campaign" or m.startswith("campaign.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    count, *failures = done.stdout.strip().split("\n")
    assert int(count) > 50
    assert [line for line in failures if line] == []


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle anywhere in the package, however long (the layers contract in
    pyproject.toml only forbids imports between layers)."""
    import grimp

    graph = grimp.build_graph("campaign")
    cycles = sorted(
        f"{importer} -> {' -> '.join(chain)}"
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if (chain := graph.find_shortest_chain(importer=imported, imported=importer))
    )
    assert cycles == []


#: What only some commands need: the ledger's database stack, X's length rules, the daemon's
#: scheduler and the platforms' client libraries.
HEAVY = ("sqlalchemy", "alembic", "twitter_text", "apscheduler", "tweepy", "atproto", "mastodon")

LOADED = """
import sys
import campaign.cli
print("\\n".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_importing_the_command_line_loads_no_database_network_or_length_stack() -> None:
    """``campaign --help`` feels broken if it first loads SQLAlchemy and the platform clients:
    each command imports those when it runs."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(done.stdout.split())
    assert "typer" in loaded  # the check sees what was imported
    assert sorted(loaded.intersection(HEAVY)) == []


def test_the_lazily_imported_names_are_the_real_ones() -> None:
    import campaign
    import campaign.store
    from campaign.render.post import Post
    from campaign.store.ledger import Ledger
    from campaign.store.queued import QueuedPost
    from campaign.store.sync import SyncReport

    assert campaign.Post is Post
    assert (campaign.store.Ledger, campaign.store.QueuedPost) == (Ledger, QueuedPost)
    assert campaign.store.SyncReport is SyncReport


@pytest.mark.parametrize(("module", "name"), [("campaign", "Pots"), ("campaign.store", "Ledgr")])
def test_a_misspelt_name_is_an_attribute_error(module: str, name: str) -> None:
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
        getattr(importlib.import_module(module), name)


def test_twitter_text_loads_without_pkg_resources_and_leaves_the_real_one_importable() -> None:
    """twitter-text reads its emoji table through pkg_resources, which Python 3.12+ virtual
    environments lack and which costs a tenth of a second: a stand-in serves it, then goes."""
    script = (
        "import sys, campaign.platforms.twittertext as t; "
        "print('pkg_resources' in sys.modules, t.parse_tweet('a 👍🏽 b').weightedLength)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "6"]  # the emoji counts 2: its table was read
