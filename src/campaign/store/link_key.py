"""The ledger's short-code key, for plans made without ``CAMPAIGN_LINKS_SECRET``.

Short links need no set-up: the first ``campaign schedule`` whose plan shortens a link
generates a key, and :meth:`~campaign.store.ledger.Ledger.sync` keeps it in the ledger's
``meta`` table (:mod:`campaign.store.meta`) in the same transaction as the posts it coded.
The environment variable, when set, still wins: the planner uses it and leaves nothing to
code here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from campaign.render.link_codes import needs_codes, with_codes
from campaign.render.post import Post
from campaign.store.meta import links_secret
from campaign.tagging.shortcodes import new_link_secret


def coded(engine: Engine, posts: Sequence[Post]) -> tuple[list[Post], SecretStr | None]:
    """``posts`` with real short codes under the ledger's key, and the new key to keep
    (pass it to ``Ledger.sync``) when the ledger had none; ``None`` otherwise.

    Raises ``SQLAlchemyError`` when the ledger cannot be read.
    """
    if not needs_codes(posts):
        return list(posts), None
    stored = links_secret(engine)
    key = stored or new_link_secret()
    return with_codes(posts, key), None if stored else key


def ledger_key(engine: Engine | None) -> SecretStr | None:
    """The key kept by the ledger behind ``engine`` (opened with
    :func:`campaign.store.existing.existing_engine`), for a preview; ``None`` when there is
    no ledger, it has no key yet, or it cannot be read. Raises nothing: a preview must work
    without a ledger."""
    if engine is None:
        return None
    try:
        return links_secret(engine)
    except SQLAlchemyError:
        return None
