"""The live Bluesky adapter; imported by :func:`campaign.adapters.registry.connect` only.

One :class:`BlueskyAdapter` holds one logged-in ``atproto`` client. Every request goes through
:meth:`BlueskyAdapter._call`, which logs in on first use, logs in again once when the server
stops accepting the session, and maps any failure into :mod:`campaign.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

import httpx
from atproto_client import Client, models
from atproto_client.exceptions import RequestErrorBase
from atproto_client.models.utils import get_response_model
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from campaign.adapters import _bluesky_metrics
from campaign.adapters._bluesky_errors import api_error, record_missing, session_refused
from campaign.adapters._bluesky_records import (
    COLLECTION,
    PostRef,
    public_url,
    record_key,
    remote_id,
)
from campaign.adapters._config import AdapterSettings
from campaign.adapters.base import Adapter, Outgoing, Receipt
from campaign.adapters.bluesky import BlueskySettings
from campaign.adapters.engagement import Engagement
from campaign.errors import PermanentError, PublishError, RetryableError
from campaign.platforms.base import PlatformSpec
from campaign.platforms.bluesky import SPEC, DisplayText, LinkCard, display_text, first_link
from campaign.platforms.images import Image

if TYPE_CHECKING:
    from atproto_client.client.session import Session, SessionEvent
    from atproto_client.models.blob_ref import BlobRef

T = TypeVar("T")
# Everything atproto raises on purpose, and the httpx errors it lets through (a dropped
# connection surfaces as a bare httpx.RemoteProtocolError).
_FAILURES = (AtProtocolError, httpx.HTTPError)


@dataclass(frozen=True)
class _Account:
    """Who the session belongs to, as the server said when it was created or refreshed."""

    did: str
    handle: str


class BlueskyAdapter(Adapter):
    """Publishes to one Bluesky account; see :mod:`campaign.adapters.bluesky`."""

    spec: ClassVar[PlatformSpec] = SPEC
    settings_type: ClassVar[type[AdapterSettings]] = BlueskySettings
    look_back_reliable: ClassVar[bool] = True
    metrics_batch: ClassVar[int] = _bluesky_metrics.BATCH

    def __init__(self, settings: BlueskySettings) -> None:
        if settings.handle is None or settings.app_password is None:
            raise ValueError("BlueskyAdapter needs settings that passed require()")
        self._identifier = settings.handle.strip().removeprefix("@")
        self._password = settings.app_password
        self._link_card = settings.link_card
        self._client = Client(
            base_url=str(settings.service_url),
            request=Request(timeout=settings.timeout_seconds),
        )
        self._client.on_session_change(self._remember)
        self._account: _Account | None = None

    def publish(self, post: Outgoing) -> Receipt:
        """Publish ``post`` (or a thread part) as an ``app.bsky.feed.post`` record."""
        rkey = self._record_key(post)
        self.preflight(post)
        reply = _reply_ref(post)
        shown = display_text(post.text)
        detected = self._call(
            "find the tags and mentions", lambda: self._client.detect_facets(shown.text)
        )
        record = models.AppBskyFeedPost.Record(
            text=shown.text,
            created_at=self._client.get_current_time_iso(),
            facets=_facets(shown, detected) or None,
            embed=self._embed(post.media, post.card),
            reply=reply,
            langs=[post.language] if post.language else None,
        )
        try:
            created = self._call(
                "publish the post",
                lambda: self._client.com.atproto.repo.create_record(
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=self._session().did, collection=COLLECTION, rkey=rkey, record=record
                    )
                ),
                creates_post=True,
            )
        except (RetryableError, PermanentError):
            # An earlier attempt may have published this post: its key then exists and the
            # server refuses the create (409, 400 or a bare 500, depending on its version).
            earlier = self._find_quietly(rkey)
            if earlier is None:
                raise
            return earlier
        return self._receipt(created.uri, created.cid)

    def check_credentials(self) -> str:
        """Log in and return the account's handle, e.g. ``@campaign.bsky.social``."""
        self._login()
        session = self._call("check the session", self._client.com.atproto.server.get_session)
        return f"@{session.handle}"

    def look_back(self, post: Outgoing) -> Receipt | None:
        """Find ``post`` under its deterministic record key; ``None`` proves it is not there."""
        return self._find(self._record_key(post))

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """The posts' figures, up to 25 in one request (see :mod:`._bluesky_metrics`)."""
        return self._call(
            "read the posts' figures", lambda: _bluesky_metrics.read(self._client, remote_ids)
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.request.close()

    # -- requests --------------------------------------------------------------------------

    def _call(self, action: str, request: Callable[[], T], *, creates_post: bool = False) -> T:
        """Run ``request`` logged in, mapping failures; log in again once if the session died."""
        self._session()
        try:
            return request()
        except _FAILURES as exc:
            if not session_refused(exc):
                raise api_error(exc, action, creates_post=creates_post) from exc
        self._login()
        try:
            return request()
        except _FAILURES as exc:
            raise api_error(exc, action, creates_post=creates_post) from exc

    def _session(self) -> _Account:
        """The logged-in account, logging in first if needed."""
        return self._account or self._login()

    def _login(self) -> _Account:
        """Create a new session from the handle and app password."""
        self._account = None
        try:
            self._client.login(
                self._identifier, self._password.get_secret_value(), fetch_bsky_profile=False
            )
        except _FAILURES as exc:
            raise api_error(exc, "log in") from exc
        if self._account is None:
            raise PermanentError("Bluesky accepted the login but sent no session; try again")
        return self._account

    def _remember(self, event: SessionEvent, session: Session) -> None:
        """Keep who we are logged in as; atproto calls this on every new or refreshed session."""
        self._account = _Account(session.did, session.handle)

    def _find(self, rkey: str) -> Receipt | None:
        """The receipt of our post under ``rkey``, or ``None`` when there is no such record."""

        def get() -> Receipt | None:
            try:
                found = self._client.com.atproto.repo.get_record(
                    models.ComAtprotoRepoGetRecord.Params(
                        repo=self._session().did, collection=COLLECTION, rkey=rkey
                    )
                )
            except RequestErrorBase as exc:
                if record_missing(exc):
                    return None
                raise
            return self._receipt(found.uri, found.cid or "")

        return self._call("look for the post", get)

    def _find_quietly(self, rkey: str) -> Receipt | None:
        """Like :meth:`_find`, but ``None`` when the look fails or there is no session to look
        with (logging in again just after a refused login would only risk its rate limit)."""
        if self._account is None:
            return None
        try:
            return self._find(rkey)
        except PublishError:
            return None

    def _upload(self, image: Image) -> BlobRef:
        """Upload one image and return the blob reference a record embeds."""
        # Not `com.atproto.repo.upload_blob`: it hands the bytes to httpx as `data=`, which
        # httpx deprecates; `content=` sends the same request.
        answer = self._call(
            f"upload image {image.name}",
            lambda: self._client.invoke_procedure(
                "com.atproto.repo.uploadBlob",
                content=image.data,
                headers={"Content-Type": image.media_type},
                output_encoding="application/json",
            ),
        )
        return get_response_model(answer, models.ComAtprotoRepoUploadBlob.Response).blob

    # -- record parts ----------------------------------------------------------------------

    def card_link(self, text: str) -> str | None:
        """The page whose card a post of ``text`` shows: its first link, when cards are on."""
        return first_link(text) if self._link_card else None

    def _embed(
        self, images: Sequence[Image], card: LinkCard | None
    ) -> models.AppBskyEmbedImages.Main | models.AppBskyEmbedExternal.Main | None:
        """The images, else the link card read when the post was scheduled (when cards are
        on and the page could be read); a post has one embed."""
        if images:
            return models.AppBskyEmbedImages.Main(
                images=[
                    models.AppBskyEmbedImages.Image(alt=image.alt, image=self._upload(image))
                    for image in images
                ]
            )
        if card is None or not card.readable or not self._link_card:
            return None
        return models.AppBskyEmbedExternal.Main(
            external=models.AppBskyEmbedExternal.External(
                uri=card.uri,
                title=card.title,
                description=card.description,
                thumb=self._upload(card.thumb) if card.thumb else None,
            )
        )

    def _receipt(self, uri: str, cid: str) -> Receipt:
        return Receipt(remote_id(uri, cid), public_url(self._session().handle, uri))

    @staticmethod
    def _record_key(post: Outgoing) -> str:
        if post.scheduled_at is None:
            raise PermanentError(
                "this post has no scheduled time, which Bluesky needs for its record key; "
                "publish it through the queue ('campaign' plans every post with its time)"
            )
        return record_key(post.post_id, post.scheduled_at)


def _reply_ref(post: Outgoing) -> models.AppBskyFeedPost.ReplyRef | None:
    """The root and parent of a thread part, or ``None`` for a first part or single post."""
    if post.reply_to is None:
        return None
    parent = PostRef.parse(post.reply_to)
    root = PostRef.parse(post.thread_root) if post.thread_root else parent
    return models.AppBskyFeedPost.ReplyRef(
        root=models.ComAtprotoRepoStrongRef.Main(uri=root.uri, cid=root.cid),
        parent=models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid),
    )


def _facets(
    shown: DisplayText, detected: Sequence[models.AppBskyRichtextFacet.Main]
) -> list[models.AppBskyRichtextFacet.Main]:
    """A link facet over each display link, carrying the full URL, and the facets found in
    the text elsewhere (tags, mentions; those over a display link are that link again)."""
    links = [
        models.AppBskyRichtextFacet.Main(
            index=models.AppBskyRichtextFacet.ByteSlice(
                byte_start=link.byte_start, byte_end=link.byte_end
            ),
            features=[models.AppBskyRichtextFacet.Link(uri=link.uri)],
        )
        for link in shown.links
    ]
    spans = [(link.byte_start, link.byte_end) for link in shown.links]
    others = [
        facet
        for facet in detected
        if not any(
            facet.index.byte_start < end and start < facet.index.byte_end for start, end in spans
        )
    ]
    return sorted([*links, *others], key=lambda facet: facet.index.byte_start)
