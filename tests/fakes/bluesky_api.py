"""A fake Bluesky PDS on 127.0.0.1, speaking XRPC to the real ``atproto`` client.

Implements what the adapter uses: ``com.atproto.server.createSession`` (checks identifier and
app password, returns decodable access and refresh JWTs), ``refreshSession``, ``getSession``,
``com.atproto.repo.createRecord`` (Bearer access token checked; the post record validated as a
PDS and AppView would: text at most 300 graphemes, facet byte ranges inside the UTF-8 text,
TID record key, images uploaded and at most 1,000,000 bytes, reply root and parent existing
with matching CIDs; an existing key refused with :attr:`FakeBluesky.conflict_status`),
``uploadBlob``, ``getRecord``, ``com.atproto.identity.resolveHandle`` and the AppView's
``app.bsky.feed.getPosts`` (up to 25 posts, counts set by :meth:`FakeBluesky.set_figures`).
Answers carry ``ratelimit-*`` headers; errors are XRPC JSON ``{"error": ..., "message": ...}``.

Operations (faults: :mod:`tests.fakes._http`): ``publish`` (createRecord), ``upload_media``
(uploadBlob), ``look_back`` (getRecord), ``whoami`` (getSession), ``metrics`` (getPosts),
``login`` (createSession),
``refresh_session`` and ``resolve_handle``. A ``rate_limit`` fault resets at
:attr:`FakeBluesky.rate_limit_reset`; ``expired_token`` (400 ExpiredToken) is Bluesky's own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import regex

from ._http import FAULTS, SHARED_OPERATIONS, Call, FakeHandler, FakePlatform, Published

CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
GET_SESSION = "com.atproto.server.getSession"
CREATE_RECORD = "com.atproto.repo.createRecord"
UPLOAD_BLOB = "com.atproto.repo.uploadBlob"
GET_RECORD = "com.atproto.repo.getRecord"
RESOLVE_HANDLE = "com.atproto.identity.resolveHandle"
GET_POSTS = "app.bsky.feed.getPosts"
POST = "app.bsky.feed.post"

MAX_GRAPHEMES = 300
MAX_TEXT_BYTES = 3000
MAX_IMAGES = 4
IMAGE_MAX_BYTES = 1_000_000
TID = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_BSKY_COUNTS = {
    "likes": "likeCount",
    "reposts": "repostCount",
    "replies": "replyCount",
    "quotes": "quoteCount",
    "bookmarks": "bookmarkCount",
}
_GRAPHEME = regex.compile(r"\X")
_BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass
class FakeRecord:
    """A stored post: its AT URI, CID and the record JSON as received."""

    uri: str
    cid: str
    value: dict[str, Any]


@dataclass
class FakeBlob:
    """An uploaded blob and the Content-Type it was sent with."""

    data: bytes = field(repr=False)
    mime_type: str


class FakeBluesky(FakePlatform):
    """The fake PDS for one account; all state is public so tests can arrange and inspect it."""

    operations: ClassVar[tuple[str, ...]] = (
        *SHARED_OPERATIONS,
        "login",
        "refresh_session",
        "resolve_handle",
    )
    faults: ClassVar[frozenset[str]] = FAULTS | {"expired_token"}
    url_setting: ClassVar[str] = "CAMPAIGN_BLUESKY_SERVICE_URL"
    _OPERATIONS: ClassVar[dict[str, str]] = {
        CREATE_RECORD: "publish",
        UPLOAD_BLOB: "upload_media",
        GET_RECORD: "look_back",
        GET_SESSION: "whoami",
        CREATE_SESSION: "login",
        REFRESH_SESSION: "refresh_session",
        RESOLVE_HANDLE: "resolve_handle",
        GET_POSTS: "metrics",
    }

    def __init__(self, *, handle: str = "campaign.test") -> None:
        super().__init__()
        self.handle = handle
        self.did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        self.password = "abcd-efgh-ijkl-mnop"  # the shape of a Bluesky app password
        self.handles: dict[str, str] = {handle: self.did}  # what resolveHandle knows
        self.records: dict[str, FakeRecord] = {}  # by record key, in creation order
        self.blobs: dict[str, FakeBlob] = {}  # by CID
        self.issued_tokens: list[str] = []  # every JWT handed out, to check none leaks
        self.access_ttl = 2 * 3600  # seconds; atproto refreshes when under 15 minutes remain
        self.conflict_status = 409  # 409 RecordAlreadyExists, 400 InvalidRequest or 500
        self.rate_limit_reset = int(time.time()) + 3600
        self.rate_limit_remaining = 5000
        self.figures: dict[str, dict[str, int]] = {}  # post URI -> likeCount, repostCount, …
        self._access: dict[str, float] = {}  # token -> expiry (Unix seconds)
        self._refresh: set[str] = set()

    # -- arranging -----------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """``CAMPAIGN_BLUESKY_*`` variables for this fake (``overrides`` replace values)."""
        env = {
            "CAMPAIGN_BLUESKY_HANDLE": self.handle,
            "CAMPAIGN_BLUESKY_APP_PASSWORD": self.password,
            "CAMPAIGN_BLUESKY_SERVICE_URL": self.url,
        }
        env.update(overrides)
        return env

    def published(self) -> list[Published]:
        """Every post, oldest first: ids as ``uri#cid``, images as (bytes, alt)."""
        with self.lock:
            return [self._published(r) for r in self.records.values()]

    def _published(self, record: FakeRecord) -> Published:
        reply = (record.value.get("reply") or {}).get("parent")
        embed = record.value.get("embed") or {}
        images = tuple(
            (self.blobs[i["image"]["ref"]["$link"]].data, i["alt"]) for i in embed.get("images", [])
        )
        parent = f"{reply['uri']}#{reply['cid']}" if reply else None
        return Published(f"{record.uri}#{record.cid}", record.value["text"], parent, images)

    def secrets(self) -> list[str]:
        """The app password and every token handed out."""
        return [self.password, *self.issued_tokens]

    def set_rate_limit_reset(self, moment: datetime) -> None:
        """Make 429 answers say the limit resets at ``moment`` (whole seconds)."""
        self.rate_limit_reset = int(moment.timestamp())

    def set_figures(self, remote_id: str, **figures: int) -> None:
        """Make the post ``remote_id`` (``uri#cid``) show ``figures`` (all but impressions)."""
        with self.lock:
            shown = self.figures.setdefault(remote_id.partition("#")[0], {})
            shown.update({_BSKY_COUNTS[name]: value for name, value in figures.items()})

    def expire_sessions(self) -> None:
        """Expire every access token handed out so far, as time or a revocation would."""
        with self.lock:
            for token in self._access:
                self._access[token] = 0.0

    # -- serving -------------------------------------------------------------------------

    def operation(self, method: str, path: str, query: Any) -> str | None:
        """The operation of the XRPC method the path names."""
        return self._OPERATIONS.get(path.removeprefix("/xrpc/"))

    def respond(self, h: FakeHandler, call: Call) -> None:
        """Check the session where the method needs one, then answer."""
        with self.lock:
            status, answer = self._answer(call)
        h.send_json(status, answer, self._limit_headers())

    def answer_fault(self, h: FakeHandler, kind: str, call: Call) -> None:
        """XRPC errors: ``{"error": ..., "message": ...}`` with ``ratelimit-*`` headers."""
        status, error, message = {
            "server_error": (503, "ServiceUnavailable", "Service Unavailable"),
            "gateway_timeout": (504, "GatewayTimeout", "Gateway Timeout"),
            "rate_limit": (429, "RateLimitExceeded", "Rate Limit Exceeded"),
            "reject": (400, "InvalidRequest", "Invalid app.bsky.feed.post record: rejected"),
            "unauthorized": (401, "AuthenticationRequired", "Authentication Required"),
            "expired_token": (400, "ExpiredToken", "Token has expired"),
        }[kind]
        with self.lock:
            if kind == "rate_limit":
                self.rate_limit_remaining = 0
            headers = self._limit_headers()
        h.send_json(status, _error(error, message), headers)

    def _answer(self, r: Call) -> tuple[int, dict[str, Any]]:
        nsid = r.path.removeprefix("/xrpc/")
        endpoint = {
            ("POST", CREATE_SESSION): self._create_session,
            ("POST", REFRESH_SESSION): self._refresh_session,
            ("GET", GET_SESSION): self._get_session,
            ("POST", CREATE_RECORD): self._create_record,
            ("POST", UPLOAD_BLOB): self._upload_blob,
            ("GET", GET_RECORD): self._get_record,
            ("GET", RESOLVE_HANDLE): self._resolve_handle,
            ("GET", GET_POSTS): self._get_posts,
        }.get((r.method, nsid))
        if endpoint is None:
            return 501, _error("MethodNotImplemented", "Method Not Implemented")
        if nsid in (GET_SESSION, CREATE_RECORD, UPLOAD_BLOB, GET_POSTS):
            refused = self._check_access(r.headers.get("Authorization", ""))
            if refused:
                return refused
        return endpoint(r)

    def _check_access(self, authorization: str) -> tuple[int, dict[str, Any]] | None:
        token = authorization.removeprefix("Bearer ")
        if token not in self._access:
            return 401, _error("AuthenticationRequired", "Authentication Required")
        if self._access[token] < time.time():
            return 400, _error("ExpiredToken", "Token has expired")
        return None

    def _limit_headers(self) -> dict[str, str]:
        return {
            "ratelimit-limit": "5000",
            "ratelimit-remaining": str(self.rate_limit_remaining),
            "ratelimit-reset": str(self.rate_limit_reset),
            "ratelimit-policy": "5000;w=3600",
        }

    # -- sessions ------------------------------------------------------------------------

    def _create_session(self, r: Call) -> tuple[int, dict[str, Any]]:
        data = r.json()
        identifier = str(data.get("identifier", "")).lower()
        if identifier not in (self.handle, self.did) or data.get("password") != self.password:
            return 401, _error("AuthenticationRequired", "Invalid identifier or password")
        return 200, self._new_session()

    def _refresh_session(self, r: Call) -> tuple[int, dict[str, Any]]:
        token = r.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._refresh:
            return 400, _error("ExpiredToken", "Token has been revoked")
        self._refresh.discard(token)  # refresh tokens are single use
        return 200, self._new_session()

    def _get_session(self, r: Call) -> tuple[int, dict[str, Any]]:
        return 200, {
            "handle": self.handle,
            "did": self.did,
            "active": True,
            "email": "campaign@example.org",
            "emailConfirmed": True,
        }

    def _new_session(self) -> dict[str, Any]:
        now = int(time.time())
        access = _jwt(
            {
                "scope": "com.atproto.appPass",
                "sub": self.did,
                "iat": now,
                "exp": now + self.access_ttl,
                "aud": "did:web:pds.test",
            }
        )
        refresh = _jwt(
            {
                "scope": "com.atproto.refresh",
                "sub": self.did,
                "iat": now,
                "exp": now + 90 * 86400,
                "jti": secrets.token_urlsafe(16),
                "aud": "did:web:pds.test",
            }
        )
        self._access[access] = now + self.access_ttl
        self._refresh.add(refresh)
        self.issued_tokens += [access, refresh]
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.handle,
            "did": self.did,
            "active": True,
        }

    # -- identity and records ------------------------------------------------------------

    def _resolve_handle(self, r: Call) -> tuple[int, dict[str, Any]]:
        did = self.handles.get(r.query.get("handle", "").lower())
        if did is None:
            return 400, _error("InvalidRequest", "Unable to resolve handle")
        return 200, {"did": did}

    def _get_record(self, r: Call) -> tuple[int, dict[str, Any]]:
        query = r.query
        uri = f"at://{query.get('repo')}/{query.get('collection')}/{query.get('rkey')}"
        stored = self.records.get(query.get("rkey", ""))
        if (
            query.get("repo") not in (self.did, self.handle)
            or stored is None
            or query.get("collection") != POST
        ):
            return 400, _error("RecordNotFound", f"Could not locate record: {uri}")
        return 200, {"uri": stored.uri, "cid": stored.cid, "value": stored.value}

    def _get_posts(self, r: Call) -> tuple[int, dict[str, Any]]:
        uris = [value for name, value in r.pairs if name == "uris"]
        if not 1 <= len(uris) <= 25:
            return 400, _error("InvalidRequest", "uris must hold 1 to 25 AT URIs")
        by_uri = {record.uri: record for record in self.records.values()}
        posts = []
        for uri in uris:
            record = by_uri.get(uri)
            if record is None:
                continue  # the AppView leaves out what it does not have
            zero = dict.fromkeys(_BSKY_COUNTS.values(), 0)
            posts.append(
                {
                    "uri": record.uri,
                    "cid": record.cid,
                    "author": {"did": self.did, "handle": self.handle},
                    "record": record.value,
                    "indexedAt": record.value["createdAt"],
                    **zero,
                    **self.figures.get(uri, {}),
                }
            )
        return 200, {"posts": posts}

    def _upload_blob(self, r: Call) -> tuple[int, dict[str, Any]]:
        content_type = r.headers.get("Content-Type", "")
        cid = _cid(r.body, codec=0x55)
        self.blobs[cid] = FakeBlob(r.body, content_type)
        return 200, {
            "blob": {
                "$type": "blob",
                "ref": {"$link": cid},
                "mimeType": content_type,
                "size": len(r.body),
            }
        }

    def _create_record(self, r: Call) -> tuple[int, dict[str, Any]]:
        data = r.json()
        record = data.get("record")
        if data.get("repo") not in (self.did, self.handle):
            return 400, _error("InvalidRequest", f"Could not find repo: {data.get('repo')}")
        if data.get("collection") != POST or not isinstance(record, dict):
            return 400, _error("InvalidRequest", "Only app.bsky.feed.post records here")
        rkey = data.get("rkey") or _tid_now()
        if not TID.match(rkey):
            return 400, _error("InvalidRequest", f"Invalid record key for {POST}: {rkey!r}")
        problem = self._invalid_post(record)
        if problem:
            return 400, _error("InvalidRequest", f"Invalid {POST} record: {problem}")
        if rkey in self.records:
            return self._conflict(rkey)
        uri = f"at://{self.did}/{POST}/{rkey}"
        cid = _cid(json.dumps(record, sort_keys=True).encode(), codec=0x71)
        self.records[rkey] = FakeRecord(uri, cid, record)
        self.rate_limit_remaining -= 3  # a create costs 3 points on a PDS
        return 200, {
            "uri": uri,
            "cid": cid,
            "commit": {"cid": _cid(uri.encode(), codec=0x71), "rev": _tid_now()},
            "validationStatus": "valid",
        }

    def _conflict(self, rkey: str) -> tuple[int, dict[str, Any]]:
        if self.conflict_status == 500:  # the reference PDS lets the MST error escape
            return 500, _error("InternalServerError", "Internal Server Error")
        if self.conflict_status == 400:
            return 400, _error("InvalidRequest", f"Record already exists at key {rkey}")
        return 409, _error("RecordAlreadyExists", f"Record already exists at key {rkey}")

    def _invalid_post(self, record: dict[str, Any]) -> str | None:
        """Why ``record`` is not a valid post, or ``None``."""
        text = record.get("text")
        if record.get("$type") != POST or not isinstance(text, str):
            return "Record/$type must be app.bsky.feed.post and Record/text a string"
        if not isinstance(record.get("createdAt"), str):
            return 'Record must have the property "createdAt"'
        langs = record.get("langs", [])
        if (
            not isinstance(langs, list)
            or len(langs) > 3
            or not all(isinstance(lang, str) and lang for lang in langs)
        ):
            return "Record/langs must be a list of at most 3 language tags"
        if len(_GRAPHEME.findall(text)) > MAX_GRAPHEMES:
            return f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes"
        size = len(text.encode())
        if size > MAX_TEXT_BYTES:
            return f"Record/text must not be longer than {MAX_TEXT_BYTES} characters"
        for n, facet in enumerate(record.get("facets") or []):
            index = facet.get("index") or {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size):
                return f"Record/facets/{n}/index is outside the text"
            if not facet.get("features"):
                return f"Record/facets/{n}/features must not be empty"
        reply = record.get("reply")
        if reply is not None:
            for part in ("root", "parent"):
                ref = reply.get(part) or {}
                stored = self.records.get(str(ref.get("uri", "")).rsplit("/", 1)[-1])
                if stored is None or stored.uri != ref.get("uri") or stored.cid != ref.get("cid"):
                    return f"Record/reply/{part} does not refer to an existing post"
        return self._invalid_embed(record.get("embed"))

    def _invalid_embed(self, embed: dict[str, Any] | None) -> str | None:
        if embed is None:
            return None
        if embed.get("$type") == "app.bsky.embed.external":
            external = embed.get("external") or {}
            if not all(isinstance(external.get(k), str) for k in ("uri", "title", "description")):
                return "Record/embed/external must have uri, title and description"
            return None
        if embed.get("$type") != "app.bsky.embed.images":
            return f"Record/embed has an unknown $type {embed.get('$type')!r}"
        images = embed.get("images") or []
        if not 1 <= len(images) <= MAX_IMAGES:
            return f"Record/embed/images must have 1 to {MAX_IMAGES} images"
        for n, image in enumerate(images):
            blob = image.get("image") or {}
            stored = self.blobs.get((blob.get("ref") or {}).get("$link", ""))
            if not isinstance(image.get("alt"), str) or blob.get("$type") != "blob" or not stored:
                return f"Record/embed/images/{n} must have alt text and an uploaded blob"
            if len(stored.data) > IMAGE_MAX_BYTES:
                return f"Record/embed/images/{n}/image is larger than {IMAGE_MAX_BYTES} bytes"
        return None


def tid_to_micros(tid: str) -> int:
    """The microseconds since the epoch that a TID encodes."""
    value = 0
    for char in tid:
        value = (value << 5) | _BASE32_SORTABLE.index(char)
    return value >> 10


def _tid_now() -> str:
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(_BASE32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _cid(data: bytes, *, codec: int) -> str:
    """A CIDv1 (sha2-256) in base32, as a PDS writes them: ``bafyrei…`` or ``bafkrei…``."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _jwt(payload: dict[str, Any]) -> str:
    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).decode().rstrip("=")

    header = json.dumps({"typ": "at+jwt", "alg": "ES256K"}).encode()
    return ".".join(
        (part(header), part(json.dumps(payload).encode()), part(secrets.token_bytes(64)))
    )


def _error(error: str, message: str) -> dict[str, str]:
    return {"error": error, "message": message}
