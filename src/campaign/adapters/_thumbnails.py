"""Link-card pictures made to fit Bluesky's blob limit, with Pillow.

A page's ``og:image`` is often a photo of several megabytes; Bluesky takes a card's
thumbnail only up to 1,000,000 bytes. :func:`fit_within` scales such a picture down (its
longer side to at most 2,000 pixels, then less) and saves it as a JPEG, lowering the quality
before the size, until it fits. A picture of more than 50 million pixels is refused before
it is decoded, so a small file that unpacks into a huge image cannot exhaust memory.
"""

from __future__ import annotations

import warnings
from io import BytesIO

from PIL import Image as Picture
from PIL import UnidentifiedImageError

MAX_PIXELS = 50_000_000
_SIDES = (2000, 1600, 1200, 1000, 800, 600, 400)
_QUALITIES = (85, 70)


class Unscalable(Exception):
    """The picture cannot be read, or cannot be made small enough; the message says which."""


def fit_within(data: bytes, max_bytes: int) -> bytes:
    """``data`` (a picture in any format Pillow reads) as a JPEG of at most ``max_bytes``.

    Raises :class:`Unscalable` when it is not a picture, has over ``MAX_PIXELS`` pixels, or
    stays over ``max_bytes`` even at 400 pixels.
    """
    picture = _opened(data)
    for side in _SIDES:
        scaled = picture.copy()
        scaled.thumbnail((side, side))
        for quality in _QUALITIES:
            out = BytesIO()
            scaled.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue()
    raise Unscalable(f"it stays over {max_bytes:,} bytes even at {_SIDES[-1]} pixels")


def _opened(data: bytes) -> Picture.Image:
    """The picture decoded as RGB (transparency on white), after its size is checked."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Picture.DecompressionBombWarning)
            with Picture.open(BytesIO(data)) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise Unscalable(
                        f"it is {source.width}x{source.height} pixels, over {MAX_PIXELS:,}"
                    )
                source.seek(0)  # the first frame of an animation
                rgba = source.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Unscalable(f"it cannot be read as a picture ({exc})") from None
    except (Picture.DecompressionBombWarning, Picture.DecompressionBombError):
        raise Unscalable(f"it has over {MAX_PIXELS:,} pixels") from None
    flat = Picture.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat
