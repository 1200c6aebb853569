"""What counts as a complete image: one judgement for planning and for every adapter."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from campaign.errors import PermanentError
from campaign.platforms.images import Image, ImageRules, check_image, sniff
from campaign.records.media import MediaProblem, load_media

ANY_SIZE = ImageRules(
    platform="Anywhere",
    max_bytes=dict.fromkeys(["image/png", "image/jpeg", "image/gif", "image/webp"]),
    max_alt=None,
    max_images=4,
)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(scan: bytes = b"\x12\x34\xff\x00\x56", *, thumbnail: bytes = b"") -> bytes:
    """SOI, APP0 (or APP1 holding a thumbnail), a frame, a scan with ``scan`` data, EOI."""
    app = segment(0xE1, b"Exif\x00\x00" + thumbnail) if thumbnail else segment(0xE0, b"JFIF\x00")
    frame = segment(0xC0, struct.pack(">BHHB", 8, 1, 1, 1) + b"\x01\x11\x00")
    start_of_scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + app + frame + start_of_scan + scan + b"\xff\xd9"


def gif() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00;"


def webp() -> bytes:
    body = b"WEBPVP8 " + struct.pack("<I", 4) + b"\x00\x00\x00\x00"
    return b"RIFF" + struct.pack("<I", len(body)) + body


COMPLETE = [
    ("png", png(), "image/png"),
    ("jpeg", jpeg(), "image/jpeg"),
    ("jpeg with bytes after its end, as cameras write", jpeg() + b"\x00trailer", "image/jpeg"),
    ("jpeg with fill bytes before a marker", jpeg()[:2] + b"\xff" + jpeg()[2:], "image/jpeg"),
    ("jpeg with a thumbnail", jpeg(thumbnail=jpeg()), "image/jpeg"),
    ("gif", gif(), "image/gif"),
    ("gif padded with zeros", gif() + b"\x00\x00", "image/gif"),
    ("webp", webp(), "image/webp"),
]
BROKEN = [
    ("png cut short", png()[:-6]),
    ("png padded after its end", png() + b"\x00\x00"),
    ("png without its header chunk", png()[:12] + b"XXXX" + png()[16:]),
    ("jpeg cut in its image data", jpeg()[:-4]),
    ("jpeg with a thumbnail, cut in its own data", jpeg(thumbnail=jpeg())[:-4]),
    ("jpeg cut in its segments", jpeg()[:12]),
    ("jpeg start marker only", b"\xff\xd8\xff"),
    ("gif cut short", gif()[:-1]),
    ("webp cut short", webp()[:-2]),
]


@pytest.mark.parametrize(("name", "data", "mime"), COMPLETE, ids=[c[0] for c in COMPLETE])
def test_complete_images_are_taken_when_planning_and_publishing(
    tmp_path: Path, name: str, data: bytes, mime: str
) -> None:
    path = tmp_path / "image.bin"
    path.write_bytes(data)
    assert sniff(data) == mime
    assert load_media(path, "alt").mime_type == mime
    image = Image.of(str(path), data, "alt")
    assert image.mime_type == mime
    check_image(image, ANY_SIZE)


@pytest.mark.parametrize(("name", "data"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_images_are_refused_when_planning_and_publishing(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = tmp_path / "image.bin"
    path.write_bytes(data)
    assert sniff(data) is None
    with pytest.raises(MediaProblem, match=r"is a broken image/.* file .*export it again"):
        load_media(path, "alt")
    with pytest.raises(PermanentError):
        check_image(Image.of(str(path), data, "alt"), ANY_SIZE)
