"""What a Bluesky post is made of, worked out before any request: record key, ids, image rules.

Nothing here talks to the network or imports atproto, so it is cheap to test exhaustively.

Record keys. ``app.bsky.feed.post`` records are keyed by a TID (the lexicon's key type is
``tid``; the AppView ignores posts with other keys): 13 characters of base32-sortable text
encoding a 64-bit number, whose top bit is 0, next 53 bits microseconds since the Unix epoch and
last 10 bits a "clock id". :func:`record_key` derives it from our post id and the second the
post was scheduled for: the microseconds within that second (20 bits) and the clock id
(10 bits) come from a hash of the post id. The same post always gets the same key, two posts
scheduled in the same second collide with odds of about one in a billion, and the key still
sorts by time like one the server would pick.

Remote ids. A reply must name its parent and the thread's root by URI *and* CID (a strong
ref), so our remote id carries both: ``at://<did>/app.bsky.feed.post/<rkey>#<cid>``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from campaign.errors import PermanentError

COLLECTION = "app.bsky.feed.post"

_BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
_TID_LENGTH = 13
_MICROS = 1_000_000


def record_key(post_id: str, scheduled_at: datetime) -> str:
    """The TID record key of the post ``post_id`` planned for ``scheduled_at`` (aware)."""
    digest = int.from_bytes(hashlib.sha256(post_id.encode()).digest()[:8], "big")
    second = math.floor(scheduled_at.timestamp())
    micros = second * _MICROS + (digest >> 10) % _MICROS
    value = (micros << 10) | (digest & 0x3FF)
    chars = []
    for _ in range(_TID_LENGTH):
        chars.append(_BASE32_SORTABLE[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def remote_id(uri: str, cid: str) -> str:
    """Our remote id for the record at ``uri`` with content id ``cid``."""
    return f"{uri}#{cid}"


@dataclass(frozen=True)
class PostRef:
    """A published post as a reply needs it: its AT URI and CID."""

    uri: str
    cid: str

    @classmethod
    def parse(cls, remote: str) -> PostRef:
        """Read a remote id made by :func:`remote_id`; PermanentError if it is not one."""
        uri, _, cid = remote.partition("#")
        if not uri.startswith("at://") or f"/{COLLECTION}/" not in uri or not cid:
            raise PermanentError(
                f"{remote!r} is not the id of a Bluesky post (expected "
                f"'at://<did>/{COLLECTION}/<key>#<cid>'); the thread cannot continue from it"
            )
        return cls(uri, cid)


def public_url(handle: str, uri: str) -> str:
    """The bsky.app address of the post at ``uri`` by ``handle``."""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"
