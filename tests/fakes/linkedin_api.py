"""A fake LinkedIn REST API: Posts, Images, Organizations, Organization ACLs and OpenID
``userinfo``.

It speaks LinkedIn's wire format: the bearer token, ``LinkedIn-Version`` and
``X-Restli-Protocol-Version`` headers are checked on every versioned call; errors are
``{"status", "serviceErrorCode", "code", "message"}``; a created post answers 201 with an
empty body and its URN in ``x-restli-id``. Commentary is parsed as little text the way
LinkedIn does: an unescaped reserved character silently cuts the stored text short.

Operations (faults: :mod:`tests.fakes._http`): ``publish`` (``POST /rest/posts``),
``upload_media`` (``POST /rest/images?action=initializeUpload``), ``upload_bytes`` (the
``PUT`` to the upload URL), ``look_back`` (``GET /rest/posts`` author finder), ``whoami``
(``GET /v2/userinfo``, or ``GET /rest/organizationAcls?q=roleAssignee`` for a page),
``read_page`` (``GET /rest/organizations/:id``; this and the role lookup need
``r_organization_admin`` or ``rw_organization_admin``, as on LinkedIn, and answer 403
without) and ``metrics`` (``GET /rest/organizationalEntityShareStatistics``, needing
``rw_organization_admin``, and ``GET /rest/socialActions/:urn``, needing
``r_organization_social`` or ``r_member_social``; figures set by
:meth:`FakeLinkedIn.set_figures`). A ``rate_limit`` fault sends
``Retry-After`` when :attr:`FakeLinkedIn.retry_after` is set, and nothing else, as LinkedIn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import unquote

from tests.fakes._http import (
    SHARED_OPERATIONS,
    Call,
    FakeHandler,
    FakePlatform,
    PlatformHandler,
    Published,
)

RESERVED = set("|{}@[]()<>#\\*_~")
_HASHTAG_TEMPLATE = re.compile(r"\{hashtag\|\\#\|((?:\\.|[^\\{}|])+)\}")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def render_little(commentary: str) -> str:
    """The text LinkedIn shows for ``commentary``: escapes undone, hashtags as ``#tag``.

    Like LinkedIn, it stops at the first unescaped reserved character that starts no
    element it knows.
    """
    out: list[str] = []
    i = 0
    while i < len(commentary):
        char = commentary[i]
        if char == "\\" and i + 1 < len(commentary):
            out.append(commentary[i + 1])
            i += 2
            continue
        if char == "{" and (template := _HASHTAG_TEMPLATE.match(commentary, i)):
            out.append("#" + _ESCAPED.sub(r"\1", template.group(1)))
            i = template.end()
            continue
        if char in RESERVED:
            break
        out.append(char)
        i += 1
    return "".join(out)


@dataclass
class Image:
    """An image registered with ``initializeUpload``; ``data`` is None until uploaded."""

    urn: str
    owner: str
    data: bytes | None = None
    upload_headers: dict[str, str] = field(default_factory=dict)


class LinkedInHandler(PlatformHandler):
    """Routes LinkedIn's REST calls to the fake's state."""

    server: Any

    @property
    def fake(self) -> FakeLinkedIn:
        return self.server.fake  # type: ignore[no-any-return]

    # -- plumbing ---------------------------------------------------------------------------

    def error(self, status: int, message: str, code: str = "", service: int | None = None) -> None:
        body: dict[str, Any] = {"status": status, "message": message}
        if code:
            body["code"] = code
        if service is not None:
            body["serviceErrorCode"] = service
        self.send_json(status, body)

    def empty(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def authorised(self) -> bool:
        """Check the bearer token; answer 401 like LinkedIn when it is wrong."""
        if self.headers.get("Authorization") == f"Bearer {self.fake.token}":
            return True
        if self.fake.expired:
            self.error(
                401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65601
            )
        else:
            self.error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        return False

    def versioned(self) -> bool:
        """Check the headers every ``/rest`` call needs; answer 400/426 when they are wrong."""
        version = self.headers.get("LinkedIn-Version")
        if not version:
            self.error(
                400,
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
                "VERSION_MISSING",
            )
            return False
        if version[:6] < self.fake.oldest_version:
            self.error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
            return False
        if self.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            self.error(
                400,
                "This resource requires X-Restli-Protocol-Version 2.0.0",
                "INVALID_PROTOCOL_VERSION",
            )
            return False
        return True

    # -- verbs --------------------------------------------------------------------------------

    def get(self, call: Call) -> None:
        if not self.authorised():
            return
        if call.path == "/v2/userinfo":
            self.userinfo()
            return
        if not self.versioned():
            return
        if call.path == "/rest/posts":
            self.find_posts(call.query)
        elif call.path == "/rest/organizationAcls":
            self.role_assignments(call.query)
        elif call.path == "/rest/organizationalEntityShareStatistics":
            self.share_statistics(call.query)
        elif call.path.startswith("/rest/socialActions/"):
            self.social_actions(unquote(call.path.removeprefix("/rest/socialActions/")))
        elif match := re.fullmatch(r"/rest/organizations/(\d+)", call.path):
            self.organization(match.group(1))
        else:
            self.error(404, f"No resource found at {call.path}", "RESOURCE_NOT_FOUND")

    def post(self, call: Call) -> None:
        if not self.authorised() or not self.versioned():
            return
        if call.operation == "upload_media":
            self.initialize_upload(call.body)
        elif call.operation == "publish":
            self.create_post(call.body)
        else:
            self.error(404, f"No resource found at {call.path}", "RESOURCE_NOT_FOUND")

    def put(self, call: Call) -> None:
        if not self.authorised():
            return
        with self.fake.lock:
            image = self.fake.uploads.get(call.path)
        if image is None or not call.body:
            self.error(400, "Upload URL unknown or empty upload")
            return
        image.data = call.body
        image.upload_headers = dict(call.headers.items())
        self.empty(201)

    # -- resources ----------------------------------------------------------------------------

    def userinfo(self) -> None:
        if not {"openid", "profile"} <= self.fake.scopes:
            self.error(
                403,
                "Not enough permissions to access: userinfo.GET.NO_VERSION",
                "ACCESS_DENIED",
                100,
            )
            return
        self.send_json(
            200,
            {
                "sub": self.fake.member_id,
                "name": self.fake.member_name,
                "given_name": self.fake.member_name.split()[0],
                "family_name": self.fake.member_name.split()[-1],
                "locale": {"country": "US", "language": "en"},
                "email_verified": True,
            },
        )

    def admin_read(self, resource: str) -> bool:
        """Whether the token may read organization data; a 403 like LinkedIn's if not."""
        if {"r_organization_admin", "rw_organization_admin"} & self.fake.scopes:
            return True
        self.error(
            403, f"Not enough permissions to access: {resource}.20260501", "ACCESS_DENIED", 100
        )
        return False

    def role_assignments(self, query: Mapping[str, str]) -> None:
        """The roleAssignee finder: the token's member's roles on pages, paged."""
        if query.get("q") != "roleAssignee":
            self.error(400, "Finder requests need q=roleAssignee or q=organization")
            return
        if not self.admin_read("organizationAcls.FINDER-roleAssignee"):
            return
        start, count = int(query.get("start", "0")), int(query.get("count", "10"))
        with self.fake.lock:
            mine = [
                {
                    "roleAssignee": f"urn:li:person:{self.fake.member_id}",
                    "state": state,
                    "role": role,
                    "organization": f"urn:li:organization:{org}",
                    "created": {"actor": "urn:li:person:founder", "time": 1_700_000_000_000},
                    "lastModified": {"actor": "urn:li:person:founder", "time": 1_700_000_000_000},
                }
                for org, role, state in self.fake.roles
                if query.get("state", state) == state and query.get("role", role) == role
            ]
        self.send_json(
            200,
            {
                "paging": {"start": start, "count": count, "links": [], "total": len(mine)},
                "elements": mine[start : start + count],
            },
        )

    def organization(self, org_id: str) -> None:
        if not self.admin_read("organizations.GET"):
            return
        page = self.fake.organizations.get(org_id)
        if page is None:
            self.error(404, f"Organization {org_id} not found", "RESOURCE_NOT_FOUND")
            return
        self.send_json(200, {"id": int(org_id), **page})

    def may_post_as(self, author: str) -> bool:
        kind, _, ident = author.removeprefix("urn:li:").partition(":")
        if kind == "organization":
            return "w_organization_social" in self.fake.scopes and ident in self.fake.posters()
        return "w_member_social" in self.fake.scopes and ident == self.fake.member_id

    def may_read_as(self, author: str) -> bool:
        kind, _, ident = author.removeprefix("urn:li:").partition(":")
        if kind == "organization":
            return "r_organization_social" in self.fake.scopes and ident in self.fake.posters()
        return "r_member_social" in self.fake.scopes and ident == self.fake.member_id

    def initialize_upload(self, raw: bytes) -> None:
        owner = json.loads(raw or b"{}").get("initializeUploadRequest", {}).get("owner", "")
        if not self.may_post_as(owner):
            self.error(
                403,
                "Not enough permissions to access: images.ACTION.20260501",
                "ACCESS_DENIED",
                100,
            )
            return
        with self.fake.lock:
            number = len(self.fake.images) + 1
            image = Image(urn=f"urn:li:image:D4E10AQ{number:06d}", owner=owner)
            self.fake.images[image.urn] = image
            self.fake.uploads[f"/upload/image-{number}"] = image
        self.send_json(
            200,
            {
                "value": {
                    "uploadUrlExpiresAt": 1_900_000_000_000,
                    "uploadUrl": f"{self.fake.url}/upload/image-{number}",
                    "image": image.urn,
                }
            },
        )

    def invalid(self, field_path: str, description: str) -> None:
        self.send_json(
            422,
            {
                "errorDetailType": "com.linkedin.common.error.BadRequest",
                "code": "UNPROCESSABLE_ENTITY",
                "status": 422,
                "message": f"ERROR :: /{field_path} :: {description}",
                "errorDetails": {
                    "inputErrors": [
                        {
                            "description": description,
                            "code": "INVALID_VALUE",
                            "input": {"inputPath": {"fieldPath": field_path}},
                        }
                    ]
                },
            },
        )

    def create_post(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            self.error(400, "Request body is not valid JSON")
            return
        problem = self.fake.problem(body)
        if problem:
            self.invalid(*problem)
            return
        if not self.may_post_as(body["author"]):
            self.error(
                403,
                "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260501",
                "ACCESS_DENIED",
                100,
            )
            return
        text = render_little(body["commentary"])
        if len(text) > 3000:
            self.invalid("commentary", f"length of {len(text)} exceeds the maximum of 3000")
            return
        with self.fake.lock:
            twin = next(
                (p for p in self.fake.posts if p["author"] == body["author"] and p["text"] == text),
                None,
            )
            if twin is None:
                urn = f"urn:li:share:7{len(self.fake.posts) + 1:018d}"
                self.fake.posts.append({**body, "id": urn, "text": text})
        if twin is not None:
            self.send_json(
                422,
                {
                    "status": 422,
                    "code": "DUPLICATE_POST",
                    "message": f"Content is a duplicate of {twin['id']}",
                    "errorDetailType": "com.linkedin.common.error.BadRequest",
                },
            )
        else:
            self.empty(201, {"x-restli-id": urn, "x-linkedin-id": urn})

    def find_posts(self, query: Mapping[str, str]) -> None:
        if self.headers.get("X-RestLi-Method") != "FINDER" or query.get("q") != "author":
            self.error(400, "Finder requests need q=author and X-RestLi-Method: FINDER")
            return
        author = query.get("author", "")
        if not self.may_read_as(author):
            self.error(
                403,
                "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20260501",
                "ACCESS_DENIED",
                100,
            )
            return
        count = int(query.get("count", "10"))
        with self.fake.lock:
            mine = [p for p in reversed(self.fake.posts) if p["author"] == author]
        elements = [
            {key: value for key, value in post.items() if key != "text"} for post in mine[:count]
        ]
        self.send_json(
            200,
            {
                "paging": {"start": 0, "count": count, "links": [], "total": len(mine)},
                "elements": elements,
            },
        )

    def share_statistics(self, query: Mapping[str, str]) -> None:
        author = query.get("organizationalEntity", "")
        ident = author.removeprefix("urn:li:organization:")
        if "rw_organization_admin" not in self.fake.scopes or ident not in self.fake.posters():
            self.error(
                403,
                "Not enough permissions to access: "
                "organizationalEntityShareStatistics.FINDER-organizationalEntity.20260501",
                "ACCESS_DENIED",
                100,
            )
            return
        urns = [
            urn
            for name in ("shares", "ugcPosts")
            for urn in query.get(name, "").removeprefix("List(").removesuffix(")").split(",")
            if urn
        ]
        with self.fake.lock:
            mine = {p["id"] for p in self.fake.posts if p["author"] == author}
            elements = [
                {
                    "organizationalEntity": author,
                    "share" if ":share:" in urn else "ugcPost": urn,
                    "totalShareStatistics": {
                        **dict.fromkeys(_LINKEDIN_FIGURES.values(), 0),
                        "clickCount": 0,
                        "engagement": 0.0,
                        **self.fake.figures.get(urn, {}),
                    },
                }
                for urn in urns
                if urn in mine
            ]
        self.send_json(
            200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}
        )

    def social_actions(self, urn: str) -> None:
        with self.fake.lock:
            post = next((p for p in self.fake.posts if p["id"] == urn), None)
            figures = self.fake.figures.get(urn, {})
        if post is None:
            self.error(404, f"Could not find entity {urn}", "NOT_FOUND")
            return
        if not self.may_read_as(post["author"]):
            self.error(
                403, "Not enough permissions to access: socialActions.GET.20260501", "ACCESS_DENIED"
            )
            return
        likes, comments = figures.get("likeCount", 0), figures.get("commentCount", 0)
        self.send_json(
            200,
            {
                "target": urn,
                "likesSummary": {"totalLikes": likes, "aggregatedTotalLikes": likes},
                "commentsSummary": {
                    "totalFirstLevelComments": comments,
                    "aggregatedTotalComments": comments,
                },
            },
        )


_LINKEDIN_FIGURES = {
    "likes": "likeCount",
    "replies": "commentCount",
    "reposts": "shareCount",
    "impressions": "impressionCount",
}


class FakeLinkedIn(FakePlatform):
    """LinkedIn as one member who administers page ``123``; state is public for assertions."""

    handler = LinkedInHandler
    operations: ClassVar[tuple[str, ...]] = (*SHARED_OPERATIONS, "upload_bytes", "read_page")
    url_setting: ClassVar[str] = "CAMPAIGN_LINKEDIN_API_URL"

    def __init__(self) -> None:
        super().__init__()
        self.token = "li-test-token-0123456789"
        self.expired = False
        self.oldest_version = "202601"  # as on 2026-12-03: 202511 retired on 2026-11-16
        self.member_id = "abc123"
        self.member_name = "Ada Lovelace"
        self.organizations: dict[str, dict[str, Any]] = {
            "123": {"localizedName": "Example Org", "vanityName": "example-org"}
        }
        # The member's roles: (page id, role, state); only an approved Super admin
        # (ADMINISTRATOR) or Content admin (CONTENT_ADMINISTRATOR) may post as the page.
        self.roles: list[tuple[str, str, str]] = [("123", "ADMINISTRATOR", "APPROVED")]
        self.scopes = {
            "openid",
            "profile",
            "w_member_social",
            "w_organization_social",
            "r_organization_social",
            "r_organization_admin",
            "r_member_social",
            "rw_organization_admin",
        }
        self.figures: dict[str, dict[str, int]] = {}  # post URN -> likeCount, commentCount, …
        self.posts: list[dict[str, Any]] = []
        self.images: dict[str, Image] = {}
        self.uploads: dict[str, Image] = {}
        self.retry_after: str | None = None  # seconds, sent as Retry-After with a 429

    def posters(self) -> set[str]:
        """The pages the member may post as."""
        return {
            org
            for org, role, state in self.roles
            if state == "APPROVED" and role in ("ADMINISTRATOR", "CONTENT_ADMINISTRATOR")
        }

    def env(self, author: str = "urn:li:organization:123", **overrides: str) -> dict[str, str]:
        """``CAMPAIGN_LINKEDIN_*`` variables for this fake, posting as ``author``."""
        return {
            "CAMPAIGN_LINKEDIN_ACCESS_TOKEN": self.token,
            "CAMPAIGN_LINKEDIN_AUTHOR": author,
            "CAMPAIGN_LINKEDIN_API_URL": self.url,
            **overrides,
        }

    def published(self) -> list[Published]:
        """Every post, oldest first, as LinkedIn shows its text, with its image and alt."""
        with self.lock:
            return [Published(p["id"], p["text"], None, self._images_of(p)) for p in self.posts]

    def _images_of(self, post: dict[str, Any]) -> tuple[tuple[bytes, str], ...]:
        media = (post.get("content") or {}).get("media")
        if not media:
            return ()
        return ((self.images[media["id"]].data or b"", media.get("altText", "")),)

    def secrets(self) -> list[str]:
        """The access token."""
        return [self.token]

    def set_figures(self, remote_id: str, **figures: int) -> None:
        """Make post ``remote_id`` (its URN) show ``figures`` (likes, replies, reposts and
        impressions: what LinkedIn counts)."""
        with self.lock:
            shown = self.figures.setdefault(remote_id, {})
            shown.update({_LINKEDIN_FIGURES[name]: value for name, value in figures.items()})

    def set_rate_limit_reset(self, moment: datetime) -> None:
        """Make 429 answers carry ``Retry-After`` for the seconds until ``moment``."""
        self.retry_after = str(round((moment - datetime.now(UTC)).total_seconds()))

    # -- serving ------------------------------------------------------------------------------

    def operation(self, method: str, path: str, query: Any) -> str | None:
        """The operation of a request, from its method, path and ``action``."""
        if path == "/rest/posts":
            return {"POST": "publish", "GET": "look_back"}.get(method)
        if method == "POST" and path == "/rest/images":
            return "upload_media" if query.get("action") == "initializeUpload" else None
        if method == "PUT" and path.startswith("/upload/"):
            return "upload_bytes"
        if method == "GET" and path in ("/v2/userinfo", "/rest/organizationAcls"):
            return "whoami"
        if method == "GET" and path.startswith("/rest/organizations/"):
            return "read_page"
        if method == "GET" and path.startswith(
            ("/rest/organizationalEntityShareStatistics", "/rest/socialActions/")
        ):
            return "metrics"
        return None

    def respond(self, h: FakeHandler, call: Call) -> None:
        """Answer through the handler's method for the verb."""
        assert isinstance(h, LinkedInHandler)
        {"GET": h.get, "POST": h.post, "PUT": h.put}[call.method](call)

    def answer_fault(self, h: FakeHandler, kind: str, call: Call) -> None:
        """LinkedIn's error bodies; a 429 says which daily limit was reached."""
        assert isinstance(h, LinkedInHandler)
        if kind == "rate_limit":
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            h.send_json(
                429,
                {
                    "status": 429,
                    "serviceErrorCode": 101,
                    "code": "TOO_MANY_REQUESTS",
                    "message": "Resource level throttle APPLICATION DAY limit for "
                    "calls to this resource is reached.",
                },
                headers,
            )
        elif kind == "unauthorized":
            h.error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        elif kind == "reject":
            h.error(400, "Request rejected by the test", "BAD_REQUEST")
        else:
            h.error(
                *{
                    "server_error": (503, "Service Unavailable"),
                    "gateway_timeout": (504, "Gateway Timeout"),
                }[kind]
            )

    def problem(self, body: Any) -> tuple[str, str] | None:
        """(field, description) of the first thing wrong in a Posts API body, else None."""
        if not isinstance(body, dict):
            return "", "the body must be a JSON object"
        expected: dict[str, Callable[[Any], bool]] = {
            "author": lambda v: isinstance(v, str) and v.startswith("urn:li:"),
            "commentary": lambda v: isinstance(v, str),
            "visibility": lambda v: v in ("PUBLIC", "CONNECTIONS", "LOGGED_IN"),
            "distribution": lambda v: (
                isinstance(v, dict) and v.get("feedDistribution") in ("MAIN_FEED", "NONE")
            ),
            "lifecycleState": lambda v: v in ("PUBLISHED", "DRAFT"),
        }
        for name, valid in expected.items():
            if name not in body or not valid(body[name]):
                return name, f"field is missing or has an invalid value: {body.get(name)!r}"
        if "content" in body:
            media = body["content"].get("media") if isinstance(body["content"], dict) else None
            if not isinstance(media, dict):
                return "content/media", "content needs a media object"
            image = self.images.get(media.get("id", ""))
            if image is None or image.data is None:
                return "content/media/id", "image is unknown or was never uploaded"
            if image.owner != body["author"]:
                return "content/media/id", "image belongs to another owner"
            if len(media.get("altText", "")) > 4086:
                return "content/media/altText", "alt text is longer than 4086 characters"
        return None
