"""HTTP semantics for media files: content types, single Range requests, caching.

Segments never change once written, so they are cacheable for a year
(``immutable``); VOD playlists likewise. Live playlists change every segment, so
they are ``no-cache``. Everything is ``private``: URLs are per-viewer signed, so
a shared cache must not hand one viewer's response to another. ETags let a
player revalidate cheaply (``304``).
"""

from __future__ import annotations

import re
from email.utils import formatdate
from pathlib import PurePosixPath

from starlette.responses import Response, StreamingResponse

from apps_api.streaming.storage import LocalStorage, S3Storage

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".vtt": "text/vtt; charset=utf-8",
}
IMMUTABLE = "private, max-age=31536000, immutable"
LIVE_PLAYLIST = "private, no-cache, max-age=0"
LIVE_SEGMENT = "private, max-age=120"
SMALL_INLINE = 64 * 1024

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


def content_type(key: str) -> str | None:
    return CONTENT_TYPES.get(PurePosixPath(key).suffix.lower())


def cache_control(key: str, live: bool) -> str:
    if live:
        return LIVE_PLAYLIST if key.endswith(".m3u8") else LIVE_SEGMENT
    return IMMUTABLE


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range -> inclusive (start, end); ``None`` = serve the whole file.

    Multi-range requests are answered with the whole file (RFC 9110 allows
    ignoring Range); a syntactically valid but unsatisfiable range raises.
    """
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":  # suffix range: last N bytes
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


def media_response(storage: LocalStorage | S3Storage, key: str, *, method: str = "GET",
                   range_header: str | None = None, if_none_match: str | None = None,
                   live: bool = False) -> Response:
    """Build the response for ``key`` (caller has already authorized and validated it)."""
    ctype = content_type(key)
    if ctype is None:
        return Response(status_code=404)
    info = storage.stat(key)
    if info is None:
        return Response(status_code=404)
    etag = f'"{info.size:x}-{int(info.mtime * 1000):x}"'
    headers = {"Cache-Control": cache_control(key, live), "ETag": etag, "Accept-Ranges": "bytes",
               "Last-Modified": formatdate(info.mtime, usegmt=True),
               "X-Content-Type-Options": "nosniff"}
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    try:
        rng = parse_range(range_header, info.size)
    except RangeNotSatisfiable:
        headers["Content-Range"] = f"bytes */{info.size}"
        return Response(status_code=416, headers=headers)
    start, end, status = 0, info.size - 1, 200
    if rng is not None:
        (start, end), status = rng, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    if method == "HEAD" or length == 0:
        return Response(status_code=status, headers=headers, media_type=ctype)
    if length <= SMALL_INLINE:
        body = b"".join(storage.read_range(key, start, end))
        return Response(body, status_code=status, headers=headers, media_type=ctype)
    return StreamingResponse(storage.read_range(key, start, end), status_code=status, headers=headers,
                             media_type=ctype)
