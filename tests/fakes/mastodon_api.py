"""A fake Mastodon instance speaking the REST API that Mastodon.py uses to post.

Endpoints: ``POST /api/v1/statuses`` (form or JSON body, ``Idempotency-Key`` honoured for an
hour like Mastodon's Redis entry), ``POST /api/v2/media`` (multipart; 200 with ``url`` or 202
with ``url: null`` when ``async_media_checks`` is set, then ``GET /api/v1/media/:id`` answers
206 until processed), ``GET /api/v1/accounts/verify_credentials``,
``GET /api/v1/accounts/:id/statuses``, ``GET /api/v1/statuses/:id`` (with the counts
:meth:`FakeMastodon.set_figures` set), ``GET /api/v1/instance`` and ``/api/v2/instance``.

Like Mastodon, it checks the Bearer token (401 ``{"error": "The access token is invalid"}``),
the token's scopes (403), the 500-character limit with URLs counted as 23 (422), answers every
response with ``X-RateLimit-Limit/Remaining/Reset`` headers, and renders ``content`` as HTML
(paragraphs, ``<br />``, linkified URLs split into invisible/ellipsis spans, hashtags and
mentions shown as ``@user``). Time is the fake's own clock (``advance()`` moves it), so
idempotency expiry is testable.

Operations (faults: :mod:`tests.fakes._http`): ``publish`` (``POST /api/v1/statuses``, which
the adapter's look-back also sends its key probe to), ``upload_media``
(``POST /api/v2/media``), ``media_status`` (``GET /api/v1/media/:id``), ``whoami``
(``verify_credentials``), ``look_back`` (``GET /api/v1/accounts/:id/statuses``), ``metrics``
(``GET /api/v1/statuses/:id``) and ``instance``. A ``server_error`` is the HTML page of the
instance's proxy.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import regex

from tests.fakes._http import SHARED_OPERATIONS, Call, FakeHandler, FakePlatform, Published

TOKEN = "fake-mastodon-token-5ecret"
ACCOUNT_ID = "109876543210"
USERNAME = "campaign"
LIMIT = 500
URL_LENGTH = 23
IDEMPOTENCY_SECONDS = 3600
ALT_MAX = 1500
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic"}
VISIBILITIES = {"public", "unlisted", "private", "direct"}
RATE_LIMIT = 300

_ID = re.compile(r"/\d+")
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")
_TOKENS = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]])"
    r"|(?P<mention>(?<![\w/@])@(?P<user>\w+)(?:@(?P<domain>[\w.-]+\.\w+))?)"
    r"|(?P<tag>(?<![\w/#])#(?P<name>\w+))"
)


class FakeMastodon(FakePlatform):
    """The instance's state: one account, its statuses and media, and faults to inject."""

    operations: ClassVar[tuple[str, ...]] = (*SHARED_OPERATIONS, "media_status", "instance")
    url_setting: ClassVar[str] = "CAMPAIGN_MASTODON_API_BASE_URL"
    _ROUTES: ClassVar[dict[str, str]] = {
        "POST /api/v1/statuses": "publish",
        "POST /api/v2/media": "upload_media",
        "GET /api/v1/media/:id": "media_status",
        "GET /api/v1/accounts/verify_credentials": "whoami",
        "GET /api/v1/accounts/:id/statuses": "look_back",
        "GET /api/v1/statuses/:id": "metrics",
        "GET /api/v1/instance": "instance",
        "GET /api/v2/instance": "instance",
    }

    def __init__(self) -> None:
        super().__init__()
        self.token = TOKEN
        self.scopes = {"read", "write:statuses", "write:media"}
        self.statuses: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.async_media_checks = 0  # 206 answers to give before an upload is processed
        self.media_fails = False  # processing ends in 422 instead of a URL
        self.reset_in = timedelta(minutes=5)
        self.reset_header: str | None = None  # sent as X-RateLimit-Reset instead, if set
        self.remaining = RATE_LIMIT
        self._idempotency: dict[str, tuple[str, float]] = {}
        self._ids = itertools.count(112233445566778800)
        self._offset = 0.0
        # The server's own limits, as /api/v2/instance publishes them and posting enforces.
        self.max_characters = LIMIT
        self.url_length = URL_LENGTH
        self.alt_max = ALT_MAX
        self.domain = ""  # the instance's domain; the fake's host:port when empty

    # --- test controls -------------------------------------------------------------------
    def env(self, **overrides: str) -> dict[str, str]:
        """``CAMPAIGN_MASTODON_*`` variables for this fake (``overrides`` replace values)."""
        return {
            "CAMPAIGN_MASTODON_API_BASE_URL": self.url,
            "CAMPAIGN_MASTODON_ACCESS_TOKEN": self.token,
            **overrides,
        }

    def published(self) -> list[Published]:
        """Every status, oldest first, with its images and their descriptions."""
        with self.lock:
            return [
                Published(
                    s["id"],
                    s["text"],
                    s["in_reply_to_id"],
                    tuple(
                        (self.media[m["id"]]["data"], m["description"] or "")
                        for m in s["media_attachments"]
                    ),
                )
                for s in self.statuses
            ]

    def secrets(self) -> list[str]:
        """The access token."""
        return [self.token]

    def set_rate_limit_reset(self, moment: datetime) -> None:
        """Make answers say the rate limit resets at ``moment``."""
        self.reset_header = moment.astimezone(UTC).isoformat(timespec="milliseconds")

    def set_figures(self, remote_id: str, **figures: int) -> None:
        """Make status ``remote_id`` show ``figures`` (likes, reposts and replies only)."""
        names = {
            "likes": "favourites_count",
            "reposts": "reblogs_count",
            "replies": "replies_count",
        }
        with self.lock:
            status = next(s for s in self.statuses if s["id"] == remote_id)
            status.update({names[name]: value for name, value in figures.items()})

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (idempotency keys expire after an hour)."""
        with self.lock:
            self._offset += seconds

    def now(self) -> datetime:
        """The fake's current time (UTC)."""
        return datetime.fromtimestamp(time.time() + self._offset, UTC)

    def reset_at(self) -> datetime:
        """When the current rate-limit window ends."""
        return self.now() + self.reset_in

    # --- request handling ----------------------------------------------------------------
    def operation(self, method: str, path: str, query: Any) -> str | None:
        """The operation of ``method path``, from the route table."""
        return self._ROUTES.get(f"{method} {_ID.sub('/:id', path)}")

    def respond(self, h: FakeHandler, call: Call) -> None:
        """Check the token (not for the public instance routes), then answer."""
        endpoint = f"{call.method} {_ID.sub('/:id', call.path)}"
        if call.operation != "instance":
            refused = self.refuse(call.headers.get("Authorization", ""), endpoint)
            if refused:
                self.send(h, *refused)
                return
        self.send(h, *self.handle(endpoint, call.path, call.query, call.headers, call.body))

    def answer_fault(self, h: FakeHandler, kind: str, call: Call) -> None:
        """Mastodon's answers; a 503 or 504 comes from the proxy in front, as HTML."""
        if kind == "rate_limit":
            self.send(h, 429, {"error": "Too many requests"}, remaining=0)
        elif kind == "reject":
            self.send(h, 422, {"error": "Validation failed: rejected by the test"})
        elif kind == "unauthorized":
            self.send(h, 401, {"error": "The access token is invalid"})
        else:
            status = 503 if kind == "server_error" else 504
            page = f"<html><body><h1>{status} Service Unavailable</h1></body></html>"
            h.send_bytes(status, page.encode(), "text/html")

    def send(self, h: FakeHandler, status: int, body: Any, remaining: int | None = None) -> None:
        """Answer with Mastodon's ``X-RateLimit-*`` headers, as on every answer."""
        with self.lock:
            self.remaining = max(self.remaining - 1, 0) if remaining is None else remaining
            headers = {
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": self.reset_header
                or self.reset_at().isoformat(timespec="milliseconds"),
            }
        h.send_json(status, body, headers)

    def refuse(self, authorization: str, endpoint: str) -> tuple[int, dict[str, str]] | None:
        """401 for a wrong token, 403 for a missing scope, else None."""
        if authorization != f"Bearer {self.token}":
            return 401, {"error": "The access token is invalid"}
        needed = {"POST /api/v1/statuses": "write:statuses", "POST /api/v2/media": "write:media"}
        scope = needed.get(endpoint)
        if scope and scope not in self.scopes and "write" not in self.scopes:
            return 403, {"error": "This action is outside the authorized scopes"}
        return None

    def handle(
        self, endpoint: str, path: str, query: Mapping[str, str], headers: Any, body: bytes
    ) -> tuple[int, Any]:
        """Answer one authorised request: (status code, JSON body)."""
        with self.lock:
            if endpoint == "POST /api/v1/statuses":
                return self._post_status(_form(headers.get("Content-Type", ""), body), headers)
            if endpoint == "POST /api/v2/media":
                return self._post_media(headers.get("Content-Type", ""), body)
            if endpoint == "GET /api/v1/media/:id":
                return self._get_media(path.rsplit("/", 1)[-1])
            if endpoint == "GET /api/v1/accounts/verify_credentials":
                return 200, {**self.account(), "source": {"privacy": "public", "note": ""}}
            if endpoint == "GET /api/v1/accounts/:id/statuses":
                return self._account_statuses(path.split("/")[-2], query)
            if endpoint == "GET /api/v1/statuses/:id":
                status_id = path.rsplit("/", 1)[-1]
                if any(s["id"] == status_id for s in self.statuses):
                    return 200, self._status(status_id)
            if endpoint in ("GET /api/v1/instance", "GET /api/v2/instance"):
                return 200, self._instance(endpoint)
        return 404, {"error": "Record not found"}

    def account(self) -> dict[str, Any]:
        """The one account, as Mastodon serialises it."""
        return {
            "id": ACCOUNT_ID,
            "username": USERNAME,
            "acct": USERNAME,
            "display_name": "Campaign",
            "locked": False,
            "bot": False,
            "created_at": "2023-01-01T00:00:00.000Z",
            "note": "",
            "url": f"{self.url}/@{USERNAME}",
            "uri": f"{self.url}/users/{USERNAME}",
            "avatar": f"{self.url}/avatars/original/missing.png",
            "header": f"{self.url}/headers/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(self.statuses),
            "emojis": [],
            "fields": [],
        }

    def _post_status(self, form: dict[str, Any], headers: Any) -> tuple[int, Any]:
        key = headers.get("Idempotency-Key")
        # Mastodon looks the key up before validating anything (PostStatusService#call).
        if key and key in self._idempotency:
            status_id, stored_at = self._idempotency[key]
            if self.now().timestamp() - stored_at < IDEMPOTENCY_SECONDS:
                return 200, self._status(status_id)
        text = str(form.get("status") or "")
        media_ids = [str(m) for m in form.get("media_ids") or []]
        visibility = str(form.get("visibility") or "public")
        reply_to = form.get("in_reply_to_id") or None
        if reply_to is not None and not any(s["id"] == str(reply_to) for s in self.statuses):
            return 404, {"error": "The post you are trying to reply to does not appear to exist."}
        if visibility not in VISIBILITIES:
            return 422, {"error": "Validation failed: Visibility is not included in the list"}
        media = [self.media[m] for m in media_ids if m in self.media]
        if not text.strip() and not media:
            return 422, {"error": "Validation failed: Text can't be blank"}
        if len(media) > 4:
            return 422, {"error": "Cannot attach more than 4 files"}
        if any(m["checks_left"] > 0 or m["url"] is None for m in media):
            return 422, {
                "error": "Cannot attach files that have not finished processing. "
                "Try again in a moment!"
            }
        if length(text, self.url_length) > self.max_characters:
            return 422, {
                "error": "Validation failed: Text character limit of "
                f"{self.max_characters} exceeded"
            }
        status: dict[str, Any] = {
            "id": str(next(self._ids)),
            "created_at": self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": str(reply_to) if reply_to else None,
            "in_reply_to_account_id": ACCOUNT_ID if reply_to else None,
            "sensitive": form.get("sensitive") in ("1", "true", True),
            "spoiler_text": "",
            "visibility": visibility,
            "language": form.get("language") or None,  # the instance would guess
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": to_html(text, self.url),
            "reblog": None,
            "application": {"name": "campaign", "website": None},
            "media_attachments": [self._media_json(m) for m in media],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
            "text": text,  # kept for tests; Mastodon returns it only from delete
        }
        status["uri"] = f"{self.url}/users/{USERNAME}/statuses/{status['id']}"
        status["url"] = f"{self.url}/@{USERNAME}/{status['id']}"
        self.statuses.append(status)
        if key:
            self._idempotency[key] = (status["id"], self.now().timestamp())
        return 200, self._public(status)

    def _status(self, status_id: str) -> dict[str, Any]:
        return self._public(next(s for s in self.statuses if s["id"] == status_id))

    def _public(self, status: dict[str, Any]) -> dict[str, Any]:
        """``status`` as the API returns it (its text is not returned)."""
        public = {k: v for k, v in status.items() if k != "text"}
        return {**public, "account": self.account()}

    def _post_media(self, content_type: str, body: bytes) -> tuple[int, Any]:
        fields = _multipart(content_type, body)
        upload = fields.get("file")
        if not isinstance(upload, tuple):
            return 422, {"error": "Validation failed: File can't be blank"}
        _name, mime_type, data = upload
        description = str(fields.get("description") or "")
        if mime_type not in IMAGE_TYPES:
            return 422, {"error": "Validation failed: File content type is invalid"}
        if len(description) > self.alt_max:
            return 422, {
                "error": f"Validation failed: Description is too long (maximum is {self.alt_max} "
                "characters)"
            }
        media_id = str(next(self._ids))
        item = {
            "id": media_id,
            "mime_type": mime_type,
            "size": len(data),
            "data": data,
            "description": description or None,
            "checks_left": self.async_media_checks,
            "url": None,
        }
        self.media[media_id] = item
        if item["checks_left"] == 0:
            item["url"] = f"{self.url}/system/media_attachments/{media_id}.png"
            return 200, self._media_json(item)
        return 202, self._media_json(item)

    def _get_media(self, media_id: str) -> tuple[int, Any]:
        item = self.media.get(media_id)
        if item is None:
            return 404, {"error": "Record not found"}
        if item["checks_left"] > 0:
            item["checks_left"] -= 1
            return 206, self._media_json(item)
        if self.media_fails:
            return 422, {"error": "Error processing thumbnail for uploaded media"}
        item["url"] = f"{self.url}/system/media_attachments/{media_id}.png"
        return 200, self._media_json(item)

    def _media_json(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": item["id"],
            "type": "image",
            "url": item["url"],
            "preview_url": f"{self.url}/system/media_attachments/{item['id']}_small.png",
            "remote_url": None,
            "meta": {},
            "description": item["description"],
            "blurhash": None,
        }

    def _account_statuses(self, account_id: str, query: Mapping[str, str]) -> tuple[int, Any]:
        if account_id != ACCOUNT_ID:
            return 404, {"error": "Record not found"}
        limit = min(int(query.get("limit") or 20), 40)
        newest_first = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in query:
            newest_first = [s for s in newest_first if int(s["id"]) < int(query["max_id"])]
        return 200, [self._status(s["id"]) for s in newest_first[:limit]]

    def _instance(self, endpoint: str) -> dict[str, Any]:
        common = {"title": "Fake Mastodon", "version": "4.3.0", "description": ""}
        if endpoint.endswith("v1/instance"):
            return {**common, "uri": urlsplit(self.url).netloc}
        return {
            **common,
            "domain": self.domain or urlsplit(self.url).netloc,
            "api_versions": {"mastodon": 2},
            "configuration": {
                "urls": {"streaming": "wss://" + urlsplit(self.url).netloc},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": self.url_length,
                },
                "media_attachments": {
                    "supported_mime_types": [*sorted(IMAGE_TYPES), "video/mp4"],
                    "description_limit": self.alt_max,
                    "image_size_limit": 16777216,
                    "image_matrix_limit": 33177600,
                    "video_size_limit": 103809024,
                    "video_frame_rate_limit": 120,
                    "video_matrix_limit": 8294400,
                },
                "polls": {"max_options": 4, "max_characters_per_option": 50},
                "translation": {"enabled": False},
            },
        }


def length(text: str, url_length: int = URL_LENGTH) -> int:
    """Mastodon's count: grapheme clusters, each URL as ``url_length``."""
    return len(regex.findall(r"\X", _URL.sub("x" * url_length, text)))


def to_html(text: str, base_url: str) -> str:
    """Render ``text`` the way Mastodon's TextFormatter does for a local status."""
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p]
    return "".join(
        "<p>" + "<br />".join(_linkify(line, base_url) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def _linkify(line: str, base_url: str) -> str:
    out: list[str] = []
    cursor = 0
    for match in _TOKENS.finditer(line):
        out.append(html.escape(line[cursor : match.start()]))
        cursor = match.end()
        if match["url"]:
            url = match["url"]
            scheme, rest = url.split("://", 1)
            shown, hidden = rest[:30], rest[30:]
            ellipsis = "ellipsis" if hidden else ""
            out.append(
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
                f'translate="no"><span class="invisible">{scheme}://</span>'
                f'<span class="{ellipsis}">{html.escape(shown)}</span>'
                f'<span class="invisible">{html.escape(hidden)}</span></a>'
            )
        elif match["mention"]:
            host = f"https://{match['domain']}" if match["domain"] else base_url
            out.append(
                f'<span class="h-card" translate="no"><a href="{host}/@{match["user"]}" '
                f'class="u-url mention">@<span>{match["user"]}</span></a></span>'
            )
        else:
            out.append(
                f'<a href="{base_url}/tags/{match["name"]}" class="mention hashtag" '
                f'rel="tag">#<span>{match["name"]}</span></a>'
            )
    out.append(html.escape(line[cursor:]))
    return "".join(out)


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    """A status request's fields, from a JSON or form-encoded body (``media_ids[]`` as list)."""
    if content_type.startswith("application/json"):
        data: dict[str, Any] = json.loads(body or b"{}")
        return data
    fields: dict[str, Any] = {}
    for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
        if key.endswith("[]"):
            fields[key[:-2]] = values
        else:
            fields[key] = values[-1]
    return fields


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields of a multipart body: text values as str, files as (name, type, bytes)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = bytes(part.get_payload(decode=True) or b"")
        filename = part.get_filename()
        if filename is not None:
            fields[name] = (filename, part.get_content_type(), payload)
        else:
            fields[name] = payload.decode()
    return fields
