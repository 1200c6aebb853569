"""A fake X API v2 on 127.0.0.1, speaking X's wire format to the real tweepy client.

It checks every request's OAuth 1.0a HMAC-SHA1 signature against its own URL and the
credentials in :attr:`FakeX.credentials`, and implements what the adapter uses:
``POST /2/tweets``, ``GET /2/users/me``, ``GET /2/users/:id/tweets``, ``POST /2/media/upload``
(one request), the segmented upload (``POST /2/media/upload/initialize``,
``POST /2/media/upload/:id/append`` with multipart ``media`` and ``segment_index``,
``POST /2/media/upload/:id/finalize``, then ``GET /2/media/upload?command=STATUS&media_id=…``
answering ``processing_info`` ``pending`` → ``in_progress`` → ``succeeded`` or ``failed``),
alt text with ``POST /2/media/metadata`` (``{"id", "metadata": {"alt_text": {"text"}}}``) or
the launch-era ``POST /2/media/metadata/create`` (``{"media_id", "alt_text": {"text"}}``), and
``GET /2/tweets?ids=…`` (up to 100 posts with their ``public_metrics``, set by
:meth:`FakeX.set_figures`). Like X it stores URLs as t.co links, escapes ``&<>``, refuses
duplicates, too-long texts and media ids that are unknown or not yet processed.

Operations (faults: :mod:`tests.fakes._http`): ``publish`` (``POST /2/tweets``), ``whoami``
(``GET /2/users/me``), ``look_back`` (``GET /2/users/:id/tweets``), ``metrics``
(``GET /2/tweets``), ``upload_media`` (the one-request upload), ``media_initialize``,
``media_append``, ``media_finalize``, ``media_status`` (the ``STATUS`` poll),
``media_metadata`` and ``media_metadata_legacy`` (alt text). A ``rate_limit`` fault sends
``x-rate-limit-*`` headers resetting at :attr:`FakeX.rate_limit_reset`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote

from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

from ._http import SHARED_OPERATIONS, Call, FakeHandler, FakePlatform, Published

_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')
_IMAGE_SIGNATURES = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
    b"RIFF": "image/webp",
}
_MB = 1024 * 1024
_SIMPLE_MAX = 5 * _MB  # the one-request upload, and each APPEND segment
_CATEGORY_MAX = {"tweet_image": 5 * _MB, "tweet_gif": 15 * _MB}


def _sniff(data: bytes) -> str | None:
    """The image type ``data`` starts as, as X's upload checks it."""
    return next((t for sig, t in _IMAGE_SIGNATURES.items() if data.startswith(sig)), None)


@dataclass
class XCredentials:
    """The four OAuth 1.0a values the fake accepts."""

    api_key: str = "fake-consumer-key-Zq81"
    api_secret: str = "fake-consumer-secret-Hx5vR2nL"
    access_token: str = "1700000000000000001-fakeAccessToken9Kp"
    access_secret: str = "fake-access-secret-Wm3tY7cB"

    def values(self) -> tuple[str, ...]:
        """All four, e.g. to check none of them leaked into output."""
        return (self.api_key, self.api_secret, self.access_token, self.access_secret)


@dataclass
class FakeTweet:
    """A post as the fake stores it: ``text`` as sent, ``stored_text`` as X shows it."""

    id: str
    text: str
    stored_text: str
    reply_to: str | None
    media_ids: list[str]
    created_at: str


@dataclass
class FakeMedia:
    """An uploaded image with the alt text set on it (None until its metadata is set).

    A segmented upload holds its ``segments`` until it is finalized (``data`` empty before);
    ``state`` is X's processing state (None: nothing to process).
    """

    id: str
    data: bytes
    media_type: str
    category: str
    alt: str | None = None
    status_checks: int = 0
    total_bytes: int = 0
    segments: dict[int, bytes] = field(default_factory=dict)
    state: str | None = None

    @property
    def ready(self) -> bool:
        """Whether a post may carry it: uploaded whole and, if processed, successfully."""
        return bool(self.data) and self.state in (None, "succeeded")


class FakeX(FakePlatform):
    """The fake X API; all state is public so tests can arrange and inspect it."""

    operations: ClassVar[tuple[str, ...]] = (
        *SHARED_OPERATIONS,
        "media_initialize",
        "media_append",
        "media_finalize",
        "media_status",
        "media_metadata",
        "media_metadata_legacy",
    )
    url_setting: ClassVar[str] = "CAMPAIGN_TWITTER_API_URL"

    def __init__(self, *, username: str = "campaignbot") -> None:
        super().__init__()
        self.credentials = XCredentials()
        self.username = username
        self.user_id = self.credentials.access_token.split("-", 1)[0]
        self.tweets: list[FakeTweet] = []
        # Texts ever posted: only a text in it is looked for in ``tweets`` (which tests may
        # clear), so a burst of 10,000 posts is not checked against every earlier one.
        self._texts: set[str] = set()
        self.media: dict[str, FakeMedia] = {}
        self.write_permission = True
        self.timeline_visible = True  # False mimics X's lag before a new post is listed
        self.metadata_path_live = True  # False: POST /2/media/metadata answers 404 (2025's X)
        self.processing_outcome = "succeeded"  # what a GIF's processing ends in ("failed")
        self.check_after_secs = 2  # what processing_info asks the client to wait
        self.rate_limit_reset = int(time.time()) + 900
        self.figures: dict[str, dict[str, int]] = {}  # post id -> public_metrics
        self._ids = itertools.count(1_800_000_000_000_000_001)

    # -- arranging -----------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        """``CAMPAIGN_TWITTER_*`` variables for this fake (``overrides`` replace values)."""
        creds = self.credentials
        env = {
            "CAMPAIGN_TWITTER_API_KEY": creds.api_key,
            "CAMPAIGN_TWITTER_API_SECRET": creds.api_secret,
            "CAMPAIGN_TWITTER_ACCESS_TOKEN": creds.access_token,
            "CAMPAIGN_TWITTER_ACCESS_SECRET": creds.access_secret,
            "CAMPAIGN_TWITTER_API_URL": self.url,
        }
        env.update(overrides)
        return env

    def set_credentials(self, **values: str) -> None:
        """Change what the fake accepts, e.g. ``set_credentials(access_secret="new")``."""
        with self.lock:
            for name, value in values.items():
                setattr(self.credentials, name, value)

    def published(self) -> list[Published]:
        """Every post, oldest first, with its images and their alt texts."""
        with self.lock:
            return [
                Published(
                    t.id,
                    t.text,
                    t.reply_to,
                    tuple((self.media[m].data, self.media[m].alt or "") for m in t.media_ids),
                )
                for t in self.tweets
            ]

    def secrets(self) -> list[str]:
        """The four OAuth values."""
        return list(self.credentials.values())

    def set_rate_limit_reset(self, moment: datetime) -> None:
        """Make 429 answers say the limit resets at ``moment`` (whole seconds, as X sends)."""
        self.rate_limit_reset = int(moment.timestamp())

    def set_figures(self, remote_id: str, **figures: int) -> None:
        """Make post ``remote_id`` show ``figures`` in its ``public_metrics``."""
        with self.lock:
            shown = self.figures.setdefault(remote_id, {})
            shown.update({_X_METRICS[name]: value for name, value in figures.items()})

    def add_tweet(
        self, text: str, reply_to: str | None = None, created_at: datetime | None = None
    ) -> FakeTweet:
        """Store a post as if published earlier (e.g. by a previous run)."""
        with self.lock:
            return self._store(text, reply_to, [], created_at)

    # -- serving -------------------------------------------------------------------------

    _ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/2/tweets"): "publish",
        ("GET", "/2/tweets"): "metrics",
        ("GET", "/2/users/me"): "whoami",
        ("POST", "/2/media/upload"): "upload_media",
        ("POST", "/2/media/upload/initialize"): "media_initialize",
        ("GET", "/2/media/upload"): "media_status",
        ("POST", "/2/media/metadata"): "media_metadata",
        ("POST", "/2/media/metadata/create"): "media_metadata_legacy",
    }

    def operation(self, method: str, path: str, query: Any) -> str | None:
        """Which operation ``method path`` is, as the table above and the timeline say."""
        if method == "GET" and re.fullmatch(r"/2/users/\d+/tweets", path):
            return "look_back"
        if method == "POST" and (
            step := re.fullmatch(r"/2/media/upload/\d+/(append|finalize)", path)
        ):
            return f"media_{step.group(1)}"
        if path == "/2/media/metadata" and not self.metadata_path_live:
            return None
        return self._ROUTES.get((method, path))

    def respond(self, h: FakeHandler, call: Call) -> None:
        """Check the signature, then answer from the endpoint of the call's operation."""
        action = {
            "publish": self._create_tweet,
            "whoami": self._me,
            "look_back": self._timeline,
            "metrics": self._lookup,
            "upload_media": self._upload,
            "media_initialize": self._initialize,
            "media_append": self._append,
            "media_finalize": self._finalize,
            "media_status": self._media_status,
            "media_metadata": self._metadata,
            "media_metadata_legacy": self._legacy_metadata,
        }.get(call.operation)
        if action is None:
            h.send_json(
                404, {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
            )
            return
        with self.lock:
            if not self._signed(call):
                h.send_json(
                    401, _problem(401, "Unauthorized", "Unauthorized"), self._limit_headers()
                )
                return
            status, body = action(call)
        h.send_json(status, body, self._limit_headers())

    def answer_fault(self, h: FakeHandler, kind: str, call: Call) -> None:
        """X's answers: problem JSON, and ``x-rate-limit-*`` headers with the 429."""
        if kind == "rate_limit":
            h.send_json(
                429,
                _problem(429, "Too Many Requests", "Too Many Requests"),
                self._limit_headers(remaining=0),
            )
        elif kind == "reject":
            h.send_json(400, _invalid("One or more parameters to your request was invalid."))
        elif kind == "unauthorized":
            h.send_json(401, _problem(401, "Unauthorized", "Unauthorized"), self._limit_headers())
        else:
            status, title = {
                "server_error": (503, "Service Unavailable"),
                "gateway_timeout": (504, "Gateway Timeout"),
            }[kind]
            h.send_json(status, _problem(status, title, title))

    def _signed(self, r: Call) -> bool:
        """Whether ``r`` carries a valid OAuth 1.0a HMAC-SHA1 signature for our credentials."""
        header = r.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return False
        oauth = {k: unquote(v) for k, v in _OAUTH_PARAM.findall(header)}
        creds = self.credentials
        if (
            oauth.get("oauth_consumer_key") != creds.api_key
            or oauth.get("oauth_token") != creds.access_token
            or oauth.get("oauth_signature_method") != "HMAC-SHA1"
        ):
            return False
        signature = oauth.pop("oauth_signature", "")
        oauth.pop("realm", None)
        params = [*r.query.items(), *oauth.items()]
        if "application/x-www-form-urlencoded" in r.headers.get("Content-Type", ""):
            params += parse_qsl(r.body.decode(), keep_blank_values=True)
        normalized = "&".join(f"{k}={v}" for k, v in sorted((_pct(k), _pct(v)) for k, v in params))
        base = "&".join(_pct(part) for part in (r.method, self.url + r.path, normalized))
        key = f"{_pct(creds.api_secret)}&{_pct(creds.access_secret)}"
        digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), signature)

    def _limit_headers(self, remaining: int = 99) -> dict[str, str]:
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(self.rate_limit_reset),
        }

    # -- endpoints -----------------------------------------------------------------------

    def _create_tweet(self, r: Call) -> tuple[int, dict[str, Any]]:
        body = json.loads(r.body or b"{}")
        text = body.get("text", "")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids", [])]
        if not self.write_permission:
            return 403, {
                "title": "Forbidden",
                "status": 403,
                "type": "https://api.twitter.com/2/problems/oauth1-permissions",
                "detail": "Your client app is not configured with the appropriate oauth1 app "
                "permissions for this endpoint.",
            }
        if parse_tweet(text).weightedLength > 280:
            return 403, _problem(
                403,
                "Forbidden",
                "Your Tweet text is too long. For more "
                "information on how Twitter determines text length see "
                "https://github.com/twitter/twitter-text.",
            )
        if text in self._texts and any(t.text == text for t in self.tweets):
            return 403, _problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        if any(m not in self.media or not self.media[m].ready for m in media_ids):
            return 400, _invalid(
                "One or more parameters to your request was invalid.",
                {
                    "parameters": {"media.media_ids": media_ids},
                    "message": "Your media IDs are invalid.",
                },
            )
        tweet = self._store(text, reply_to, media_ids)
        return 201, {
            "data": {
                "id": tweet.id,
                "text": tweet.stored_text,
                "edit_history_tweet_ids": [tweet.id],
            }
        }

    def _me(self, r: Call) -> tuple[int, dict[str, Any]]:
        return 200, {
            "data": {"id": self.user_id, "name": "Campaign Bot", "username": self.username}
        }

    def _timeline(self, r: Call) -> tuple[int, dict[str, Any]]:
        user_id = r.path.split("/")[3]
        limit = int(r.query.get("max_results", "10"))
        if not 5 <= limit <= 100:
            return 400, _invalid("The `max_results` query parameter value is not between 5 and 100")
        fields = r.query.get("tweet.fields", "").split(",")
        since = datetime.fromisoformat(r.query.get("start_time", "1970-01-01T00:00:00Z"))
        mine = user_id == self.user_id and self.timeline_visible
        tweets = [
            t
            for t in reversed(self.tweets)
            if mine and datetime.fromisoformat(t.created_at) >= since
        ][:limit]
        data = [self._tweet_json(t, fields) for t in tweets]
        if not data:
            return 200, {"meta": {"result_count": 0}}
        return 200, {
            "data": data,
            "meta": {
                "result_count": len(data),
                "newest_id": data[0]["id"],
                "oldest_id": data[-1]["id"],
            },
        }

    def _lookup(self, r: Call) -> tuple[int, dict[str, Any]]:
        ids = r.query.get("ids", "").split(",")
        if not 1 <= len(ids) <= 100 or not all(i.isdigit() for i in ids):
            return 400, _invalid("The `ids` query parameter value must hold 1 to 100 post ids")
        fields = r.query.get("tweet.fields", "").split(",")
        stored = {t.id: t for t in self.tweets}
        data, errors = [], []
        for tweet_id in ids:
            tweet = stored.get(tweet_id)
            if tweet is None:
                errors.append(_not_found(tweet_id))
                continue
            body = self._tweet_json(tweet, fields)
            if "public_metrics" in fields:
                zero = dict.fromkeys(_X_METRICS.values(), 0)
                body["public_metrics"] = {**zero, **self.figures.get(tweet_id, {})}
            data.append(body)
        answer: dict[str, Any] = {"data": data} if data else {}
        if errors:
            answer["errors"] = errors
        return 200, answer

    def _upload(self, r: Call) -> tuple[int, dict[str, Any]]:
        form = _multipart(r.headers.get("Content-Type", ""), r.body)
        data = form.get("media", b"")
        media_type = _sniff(data)
        if media_type is None:
            return 400, _invalid(
                "One or more parameters to your request was invalid.",
                {"message": "media type unrecognized."},
            )
        if len(data) > _SIMPLE_MAX:
            return 400, _invalid(
                "One or more parameters to your request was invalid.",
                {"message": "File size exceeds 5242880 bytes."},
            )
        category = form.get("media_category", b"tweet_image").decode()
        media = FakeMedia(str(next(self._ids)), data, media_type, category)
        self.media[media.id] = media
        return 200, {"data": self._media_json(media)}

    def _initialize(self, r: Call) -> tuple[int, dict[str, Any]]:
        body = r.json()
        total, media_type = body.get("total_bytes"), body.get("media_type")
        category = str(body.get("media_category") or "tweet_image")
        if not isinstance(total, int) or total <= 0 or media_type not in _IMAGE_SIGNATURES.values():
            return 400, _invalid("One or more parameters to your request was invalid.")
        if total > _CATEGORY_MAX.get(category, _SIMPLE_MAX):
            return 400, _invalid(
                "One or more parameters to your request was invalid.",
                {"message": f"File size exceeds the limit for {category}."},
            )
        media = FakeMedia(str(next(self._ids)), b"", media_type, category, total_bytes=total)
        self.media[media.id] = media
        return 200, {
            "data": {"id": media.id, "media_key": f"3_{media.id}", "expires_after_secs": 86400}
        }

    def _append(self, r: Call) -> tuple[int, dict[str, Any]]:
        media = self.media.get(r.path.split("/")[4])
        form = _multipart(r.headers.get("Content-Type", ""), r.body)
        index = form.get("segment_index", b"").decode()
        chunk = form.get("media", b"")
        if media is None or media.data or not index.isdigit() or int(index) > 999 or not chunk:
            return 400, _invalid("One or more parameters to your request was invalid.")
        if len(chunk) > _SIMPLE_MAX:
            return 400, _invalid(
                "One or more parameters to your request was invalid.",
                {"message": "Segment size exceeds 5242880 bytes."},
            )
        media.segments[int(index)] = chunk
        return 200, {"data": {"expires_at": int(time.time()) + 86400}}

    def _finalize(self, r: Call) -> tuple[int, dict[str, Any]]:
        media = self.media.get(r.path.split("/")[4])
        if media is None or media.data:
            return 400, _invalid("One or more parameters to your request was invalid.")
        data = b"".join(media.segments[i] for i in sorted(media.segments))
        if len(data) != media.total_bytes or sorted(media.segments) != list(
            range(len(media.segments))
        ):
            return 400, _invalid(
                "One or more parameters to your request was invalid.",
                {"message": "Segments do not add up to provided total file size."},
            )
        media.data, media.segments = data, {}
        body = self._media_json(media)
        if media.category == "tweet_gif":  # X processes GIFs after the upload ends
            media.state = "pending"
            body["processing_info"] = {
                "state": "pending",
                "check_after_secs": self.check_after_secs,
            }
        return 200, {"data": body}

    def _media_status(self, r: Call) -> tuple[int, dict[str, Any]]:
        media = self.media.get(r.query.get("media_id", ""))
        if media is None or r.query.get("command") != "STATUS":
            return 400, _invalid("One or more parameters to your request was invalid.")
        media.status_checks += 1
        # pending -> in_progress -> succeeded | failed, one step per question
        if media.state == "pending":
            media.state = "in_progress"
        elif media.state == "in_progress":
            media.state = self.processing_outcome
        body = self._media_json(media)
        info: dict[str, Any] = {"state": media.state or "succeeded"}
        if media.state in ("pending", "in_progress"):
            info.update(check_after_secs=self.check_after_secs, progress_percent=40)
        elif media.state == "failed":
            info.update(
                progress_percent=12,
                error={"code": 1, "name": "InvalidMedia", "message": "Unsupported GIF format"},
            )
        else:
            info["progress_percent"] = 100
        body["processing_info"] = info
        return 200, {"data": body}

    def _metadata(self, r: Call) -> tuple[int, dict[str, Any]]:
        body = r.json()
        return self._describe(str(body.get("id")), (body.get("metadata") or {}).get("alt_text"))

    def _legacy_metadata(self, r: Call) -> tuple[int, dict[str, Any]]:
        body = r.json()
        return self._describe(str(body.get("media_id")), body.get("alt_text"))

    def _describe(self, media_id: str, alt_text: Any) -> tuple[int, dict[str, Any]]:
        media = self.media.get(media_id)
        alt = alt_text.get("text") if isinstance(alt_text, dict) else None
        if media is None or not alt or len(alt) > 1000:
            return 400, _invalid("One or more parameters to your request was invalid.")
        media.alt = alt
        return 200, {"data": {"id": media.id, "associated_metadata": {"alt_text": {"text": alt}}}}

    # -- helpers -------------------------------------------------------------------------

    def _store(
        self,
        text: str,
        reply_to: str | None,
        media_ids: list[str],
        created_at: datetime | None = None,
    ) -> FakeTweet:
        tweet_id = str(next(self._ids))
        # X appends one t.co link to the post's media at the end of the stored text.
        stored = _as_x_stores(text) + "".join(f" https://t.co/m{m[-6:]}" for m in media_ids[:1])
        when = (created_at or datetime.now(UTC)).astimezone(UTC)
        tweet = FakeTweet(
            tweet_id, text, stored, reply_to, media_ids, when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        )
        self.tweets.append(tweet)
        self._texts.add(text)
        return tweet

    @staticmethod
    def _tweet_json(t: FakeTweet, fields: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"id": t.id, "text": t.stored_text, "edit_history_tweet_ids": [t.id]}
        if "created_at" in fields:
            body["created_at"] = t.created_at
        if "referenced_tweets" in fields and t.reply_to:
            body["referenced_tweets"] = [{"type": "replied_to", "id": t.reply_to}]
        return body

    @staticmethod
    def _media_json(m: FakeMedia) -> dict[str, Any]:
        return {
            "id": m.id,
            "media_key": f"3_{m.id}",
            "size": len(m.data),
            "expires_after_secs": 86400,
            "image": {"image_type": m.media_type},
        }


_X_METRICS = {
    "likes": "like_count",
    "reposts": "retweet_count",
    "replies": "reply_count",
    "quotes": "quote_count",
    "bookmarks": "bookmark_count",
    "impressions": "impression_count",
}


def _not_found(tweet_id: str) -> dict[str, Any]:
    """X's partial error for a post id it does not serve."""
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with ids: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": tweet_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _as_x_stores(text: str) -> str:
    """``text`` with each URL replaced by a t.co link and ``&<>`` escaped, as X returns it."""
    pieces, cursor = [], 0
    for n, url in enumerate(extract_urls_with_indices(text)):
        start, end = url["indices"]
        pieces += [html.escape(text[cursor:start], quote=False), f"https://t.co/fake{n:04d}"]
        cursor = end
    pieces.append(html.escape(text[cursor:], quote=False))
    return "".join(pieces)


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, by name."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return {
        str(part.get_param("name", header="content-disposition")): part.get_payload(decode=True)
        for part in message.iter_parts()  # type: ignore[attr-defined]
    }


def _pct(value: str) -> str:
    """RFC 3986 percent-encoding, as OAuth 1.0a signs."""
    return quote(value, safe="~")


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _invalid(detail: str, *errors: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Invalid Request",
        "detail": detail,
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    if errors:
        body["errors"] = list(errors)
    return body
