"""Receiving uploads safely: stream to a temp file, validate, then move into storage.

Nothing reaches storage or the database until the bytes are complete and ffmpeg
has probed *and decoded* them, so a corrupt or non-video upload leaves no
half-stored asset behind: the temp file is deleted and the caller gets a 422.
Resumable uploads (tus-style: ``PATCH`` with ``Upload-Offset``) append chunks to
``<media_dir>/incoming/<upload_id>.part`` so a dropped connection resumes at the
last acknowledged offset instead of starting over.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path, PurePath

from apps_api.streaming.ffmpeg import ProbeError, ProbeResult, probe


class UploadRejected(ValueError):
    """Client error with an HTTP status (413 too large, 422 not a usable video)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def check_filename(filename: str | None, allowed: tuple[str, ...]) -> str:
    """Return the lower-cased extension, or reject names that are not video files."""
    name = PurePath(filename or "").name
    ext = PurePath(name).suffix.lower()
    if not name or ext not in allowed:
        raise UploadRejected(422, f"file {name or '<unnamed>'!r} is not a supported video; "
                                  f"allowed extensions: {', '.join(allowed)}")
    return ext


def incoming_dir(media_dir: Path) -> Path:
    d = media_dir / "incoming"
    d.mkdir(parents=True, exist_ok=True)
    return d


async def stream_to_temp(chunks: AsyncIterator[bytes], dest_dir: Path, max_bytes: int, suffix: str
                         ) -> tuple[Path, int]:
    """Write an async byte stream to a new temp file, aborting as soon as it exceeds ``max_bytes``."""
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix=".upload-", suffix=suffix)
    path, size = Path(name), 0
    try:
        with os.fdopen(fd, "wb") as fh:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(413, f"upload exceeds the {max_bytes} byte limit")
                fh.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


def validate_video(path: Path, max_duration_s: float) -> ProbeResult:
    """Probe + decode check; deletes ``path`` and raises 422 if it is not a usable video."""
    try:
        info = probe(path, decode_seconds=2.0)
        if info.duration_s > max_duration_s:
            raise ProbeError(f"video is {info.duration_s:.0f}s long; the limit is {max_duration_s:.0f}s")
        return info
    except ProbeError as exc:
        path.unlink(missing_ok=True)
        raise UploadRejected(422, f"upload rejected: {exc}") from None
    except Exception:
        path.unlink(missing_ok=True)
        raise


def append_chunk_at(part: Path, offset: int, data: bytes) -> int:
    """Write ``data`` at ``offset`` of the partial file; returns the new end offset."""
    flags = os.O_WRONLY | os.O_CREAT
    fd = os.open(part, flags, 0o600)
    try:
        os.pwrite(fd, data, offset)
    finally:
        os.close(fd)
    return offset + len(data)
