"""Images attached to a post, read and checked against one platform's rules before any upload.

Every adapter checks the same things with its own numbers: the file is there and readable;
its bytes (not its name) are a complete image of a type the platform takes; it is within the
platform's size limit; it has alt text within the platform's limit; and the post carries no
more images than the platform allows. Each failure is a :class:`PermanentError` that says
what to do. Rules only one platform has (X's lone GIF, LinkedIn's pixel count) stay in that
platform's module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from campaign.adapters.base import IMAGE_FORMATS, ImageRules, MediaItem
from campaign.errors import PermanentError
from campaign.records.media import sniff

MB = 1024 * 1024
# Formats people try that platforms do not take, to name them in the error.
_OTHER_FORMATS = {
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"%PDF": "PDF",
    b"<svg": "SVG",
    b"<?xml": "SVG/XML",
}
_CLAIMED = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WebP", ".gif": "GIF"}


@dataclass(frozen=True)
class Image:
    """An image read from disk and found acceptable to a platform."""

    name: str
    data: bytes
    mime_type: str
    alt: str


def load_images(items: Sequence[MediaItem], rules: ImageRules) -> list[Image]:
    """Read and check every image of a post; :class:`PermanentError` on the first problem."""
    if len(items) > rules.max_images:
        raise PermanentError(
            f"{rules.platform} takes at most {rules.max_images} "
            f"image{'s' if rules.max_images > 1 else ''} per post; this post has {len(items)}: "
            "move some to another post"
        )
    return [load_image(item, rules) for item in items]


def load_image(item: MediaItem, rules: ImageRules) -> Image:
    """Read ``item`` and check it against ``rules``; :class:`PermanentError` if it fails."""
    path = item.path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PermanentError(
            f"image not found: {path}; check the path in the campaign file"
        ) from None
    except OSError as exc:
        raise PermanentError(
            f"cannot read image {path} ({exc.strerror or exc}); check the file's permissions"
        ) from None
    mime_type = sniff(data)
    if mime_type is None:
        raise PermanentError(_not_an_image(path.name, data, rules))
    if mime_type not in rules.max_bytes:
        raise PermanentError(_convert(str(path), IMAGE_FORMATS[mime_type], rules))
    limit = rules.max_bytes[mime_type]
    if limit is not None and len(data) > limit:
        kind = (
            f" for a {IMAGE_FORMATS[mime_type]}" if len(set(rules.max_bytes.values())) > 1 else ""
        )
        raise PermanentError(
            f"image {path} is {_amount(len(data), limit)}; {rules.platform} takes at most "
            f"{_amount(limit, limit, exact=True)}{kind}: resize or compress it"
        )
    if not item.alt.strip():
        raise PermanentError(
            f"image {path} has no alt text; describe it for people who cannot see it"
        )
    if rules.max_alt is not None and len(item.alt) > rules.max_alt:
        raise PermanentError(
            f"alt text of image {path} has {len(item.alt)} characters; {rules.platform} "
            f"takes at most {rules.max_alt}: shorten it"
        )
    return Image(name=path.name, data=data, mime_type=mime_type, alt=item.alt)


def _not_an_image(name: str, data: bytes, rules: ImageRules) -> str:
    """Why ``data`` is refused: another format, a damaged file, or not an image at all."""
    for signature, fmt in _OTHER_FORMATS.items():
        if data.lstrip()[: len(signature)] == signature:
            return (
                f"image {name} is a {fmt} file; {rules.platform} takes {rules.accepted}: convert it"
            )
    claimed = _CLAIMED.get(name[name.rfind(".") :].lower()) if "." in name else None
    if claimed:
        return (
            f"image {name} is not a valid {claimed} file (empty, damaged or cut short); "
            "export it again"
        )
    return f"{name} is not an image {rules.platform} takes ({rules.accepted})"


def _convert(name: str, fmt: str, rules: ImageRules) -> str:
    return f"image {name} is a {fmt} file; {rules.platform} takes {rules.accepted}: convert it"


def _amount(size: int, limit: int, *, exact: bool = False) -> str:
    """``size`` in the unit the platform states ``limit`` in: whole MB, else bytes."""
    if limit % MB:
        return f"{size:,} bytes"
    return f"{size // MB} MB" if exact else f"{size / MB:.1f} MB"
