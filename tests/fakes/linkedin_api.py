"""A fake LinkedIn REST API: Posts, Images, Organizations and OpenID ``userinfo``.

It speaks LinkedIn's wire format: the bearer token, ``LinkedIn-Version`` and
``X-Restli-Protocol-Version`` headers are checked on every versioned call; errors are
``{"status", "serviceErrorCode", "code", "message"}``; a created post answers 201 with an
empty body and its URN in ``x-restli-id``. Commentary is parsed as little text the way
LinkedIn does: an unescaped reserved character silently cuts the stored text short.

Faults to inject (``fault``, on requests whose path starts with ``fault_on``):
``"429"`` (with ``Retry-After`` when ``retry_after`` is set), ``"503"``, ``"504"``,
``"drop"`` (store the post, then close the socket without answering) and ``"stall"``
(store the post, then answer only after the test is over).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes._http import FakeHandler, FakeServer

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


class LinkedInHandler(FakeHandler):
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

    def faulted(self, path: str, *, deferred: bool = False) -> str | None:
        """Act out the injected fault for ``path``: "answered" once done, None when none.

        With ``deferred``, "drop" and "stall" are returned for the caller to act out after
        it has done its work (stored the post).
        """
        fault = self.fake.fault
        if fault is None or not path.startswith(self.fake.fault_on):
            return None
        if fault == "drop" and not deferred:
            self.drop_connection()
            return "answered"
        if fault == "stall" and not deferred:
            self.fake.released.wait(10)
            return "answered"
        if fault == "429":
            headers = {"Retry-After": self.fake.retry_after} if self.fake.retry_after else {}
            self.send_json(
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
            return "answered"
        if fault in ("503", "504"):
            self.error(int(fault), "Service Unavailable" if fault == "503" else "Gateway Timeout")
            return "answered"
        return fault

    def record(self, method: str) -> tuple[str, dict[str, list[str]], bytes]:
        parts = urlsplit(self.path)
        body = self.read_body()
        with self.fake.lock:
            self.fake.requests.append((method, parts.path, dict(self.headers.items())))
        return parts.path, parse_qs(parts.query), body

    # -- verbs --------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path, query, _ = self.record("GET")
        if not self.authorised():
            return
        if path == "/v2/userinfo":
            self.userinfo()
            return
        if not self.versioned() or self.faulted(path):
            return
        if path == "/rest/posts":
            self.find_posts(query)
        elif match := re.fullmatch(r"/rest/organizations/(\d+)", path):
            self.organization(match.group(1))
        else:
            self.error(404, f"No resource found at {path}", "RESOURCE_NOT_FOUND")

    def do_POST(self) -> None:
        path, query, body = self.record("POST")
        if not self.authorised() or not self.versioned():
            return
        fault = self.faulted(path, deferred=path == "/rest/posts")
        if fault == "answered":
            return
        if path == "/rest/images" and query.get("action") == ["initializeUpload"]:
            self.initialize_upload(body)
        elif path == "/rest/posts":
            self.create_post(body, fault)
        else:
            self.error(404, f"No resource found at {path}", "RESOURCE_NOT_FOUND")

    def do_PUT(self) -> None:
        path, _, body = self.record("PUT")
        if not self.authorised() or self.faulted(path):
            return
        with self.fake.lock:
            image = self.fake.uploads.get(path)
        if image is None or not body:
            self.error(400, "Upload URL unknown or empty upload")
            return
        image.data = body
        image.upload_headers = dict(self.headers.items())
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

    def organization(self, org_id: str) -> None:
        page = self.fake.organizations.get(org_id)
        if page is None:
            self.error(404, f"Organization {org_id} not found", "RESOURCE_NOT_FOUND")
            return
        self.send_json(200, {"id": int(org_id), **page})

    def may_post_as(self, author: str) -> bool:
        kind, _, ident = author.removeprefix("urn:li:").partition(":")
        if kind == "organization":
            return "w_organization_social" in self.fake.scopes and ident in self.fake.admin_of
        return "w_member_social" in self.fake.scopes and ident == self.fake.member_id

    def may_read_as(self, author: str) -> bool:
        kind, _, ident = author.removeprefix("urn:li:").partition(":")
        if kind == "organization":
            return "r_organization_social" in self.fake.scopes and ident in self.fake.admin_of
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

    def create_post(self, raw: bytes, fault: str | None) -> None:
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
        elif fault == "drop":
            self.drop_connection()
        elif fault == "stall":
            self.fake.released.wait(10)
        else:
            self.empty(201, {"x-restli-id": urn, "x-linkedin-id": urn})

    def find_posts(self, query: dict[str, list[str]]) -> None:
        if self.headers.get("X-RestLi-Method") != "FINDER" or query.get("q") != ["author"]:
            self.error(400, "Finder requests need q=author and X-RestLi-Method: FINDER")
            return
        author = query.get("author", [""])[0]
        if not self.may_read_as(author):
            self.error(
                403,
                "Not enough permissions to access: partnerApiPostsExternal.FINDER-author.20260501",
                "ACCESS_DENIED",
                100,
            )
            return
        count = int(query.get("count", ["10"])[0])
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


class FakeLinkedIn(FakeServer):
    """LinkedIn as one member who administers page ``123``; state is public for assertions."""

    handler = LinkedInHandler

    def __init__(self) -> None:
        super().__init__()
        self.token = "li-test-token-0123456789"
        self.expired = False
        self.oldest_version = "202511"
        self.member_id = "abc123"
        self.member_name = "Ada Lovelace"
        self.organizations: dict[str, dict[str, Any]] = {
            "123": {"localizedName": "Example Org", "vanityName": "example-org"}
        }
        self.admin_of = {"123"}
        self.scopes = {
            "openid",
            "profile",
            "w_member_social",
            "w_organization_social",
            "r_organization_social",
            "r_member_social",
        }
        self.posts: list[dict[str, Any]] = []
        self.images: dict[str, Image] = {}
        self.uploads: dict[str, Image] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.fault: str | None = None
        self.fault_on = "/rest/posts"
        self.retry_after: str | None = None
        self.released = threading.Event()

    def stop(self) -> None:
        """Release stalled handlers, then stop serving."""
        self.released.set()
        super().stop()

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
