"""Media storage behind one small interface: a local directory or an S3-compatible bucket.

Keys are POSIX-style relative paths (``videos/<asset>/360p/seg_00001.ts``).
:func:`safe_key` is the single gate every key goes through, so path traversal
(``..``, absolute paths, backslashes, NUL, empty segments) is rejected before
any backend sees it; :class:`LocalStorage` additionally checks the resolved path
stays under its root (symlinks cannot escape either).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

CHUNK = 256 * 1024


class UnsafeKeyError(ValueError):
    """A storage key that could escape its prefix (path traversal)."""


def safe_key(key: str) -> str:
    if not key or "\x00" in key or "\\" in key or key.startswith("/") or len(key) > 1024:
        raise UnsafeKeyError(f"unsafe media path: {key!r}")
    parts = key.split("/")
    if any(p in ("", ".", "..") or p.startswith("~") or ":" in p for p in parts):
        raise UnsafeKeyError(f"unsafe media path: {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    mtime: float


class Storage(Protocol):
    def stat(self, key: str) -> ObjectInfo | None: ...
    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]: ...  # inclusive end
    def read_bytes(self, key: str) -> bytes: ...
    def put_file(self, key: str, src: Path) -> None: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def put_tree(self, prefix: str, src_dir: Path) -> int: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def local_path(self, key: str) -> Path | None: ...


class LocalStorage:
    """Files under ``root``; writes go to a temp file then ``os.replace`` (never half-written)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        p = (self.root / safe_key(key)).resolve()
        if not p.is_relative_to(self.root):
            raise UnsafeKeyError(f"unsafe media path: {key!r}")
        return p

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def stat(self, key: str) -> ObjectInfo | None:
        p = self._path(key)
        try:
            st = p.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return ObjectInfo(st.st_size, st.st_mtime) if p.is_file() else None

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with open(self._path(key), "rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = fh.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def _atomic(self, key: str) -> tuple[Path, int, str]:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        return dest, fd, tmp

    def put_file(self, key: str, src: Path) -> None:
        dest, fd, tmp = self._atomic(key)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def move_file(self, key: str, src: Path) -> None:
        """Move (rename when on the same filesystem) a finished temp file into place."""
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, dest)
        except OSError:
            self.put_file(key, src)
            src.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        dest, fd, tmp = self._atomic(key)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_tree(self, prefix: str, src_dir: Path) -> int:
        n = 0
        for f in sorted(src_dir.rglob("*")):
            if f.is_file():
                self.put_file(f"{prefix.rstrip('/')}/{f.relative_to(src_dir).as_posix()}", f)
                n += 1
        return n

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/"))
        if not base.is_dir():
            return []
        return sorted(f.relative_to(self.root).as_posix() for f in base.rglob("*") if f.is_file())

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix.rstrip("/"))
        if not base.exists():
            return 0
        n = sum(1 for f in base.rglob("*") if f.is_file()) if base.is_dir() else 1
        shutil.rmtree(base) if base.is_dir() else base.unlink()
        return n


class S3Storage:
    """Any S3-compatible store through a boto3-style client (``boto3.client("s3")``).

    Only the client's documented methods are used (``head_object``, ``get_object``
    with ``Range``, ``put_object``, ``upload_file``, ``list_objects_v2``,
    ``delete_objects``), so MinIO, R2, GCS-interop all work.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _k(self, key: str) -> str:
        key = safe_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def local_path(self, key: str) -> Path | None:
        return None

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except Exception as exc:  # botocore ClientError 404 / NoSuchKey
            if _is_not_found(exc):
                return None
            raise
        lm = head.get("LastModified")
        return ObjectInfo(int(head["ContentLength"]), lm.timestamp() if lm is not None else 0.0)

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        obj = self.client.get_object(Bucket=self.bucket, Key=self._k(key), Range=f"bytes={start}-{end}")
        body = obj["Body"]
        while chunk := body.read(CHUNK):
            yield chunk

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._k(key))["Body"].read()

    def put_file(self, key: str, src: Path) -> None:
        self.client.upload_file(str(src), self.bucket, self._k(key))

    def move_file(self, key: str, src: Path) -> None:
        self.put_file(key, src)
        src.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._k(key), Body=data)

    def put_tree(self, prefix: str, src_dir: Path) -> int:
        n = 0
        for f in sorted(src_dir.rglob("*")):
            if f.is_file():
                self.put_file(f"{prefix.rstrip('/')}/{f.relative_to(src_dir).as_posix()}", f)
                n += 1
        return n

    def list(self, prefix: str) -> list[str]:
        full = self._k(prefix.rstrip("/")) + "/"
        keys, token = [], None
        while True:
            kw = {"Bucket": self.bucket, "Prefix": full}
            if token:
                kw["ContinuationToken"] = token
            page = self.client.list_objects_v2(**kw)
            strip = len(self.prefix) + 1 if self.prefix else 0
            keys += [o["Key"][strip:] for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(keys)
            token = page.get("NextContinuationToken")

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for i in range(0, len(keys), 1000):
            batch = [{"Key": self._k(k)} for k in keys[i:i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
        return len(keys)


def _is_not_found(exc: Exception) -> bool:
    resp = getattr(exc, "response", None)
    code = str((resp or {}).get("Error", {}).get("Code", "")) if isinstance(resp, dict) else ""
    return code in ("404", "NoSuchKey", "NotFound") or isinstance(exc, FileNotFoundError | KeyError)


def get_storage(settings: Any, config: Any) -> LocalStorage | S3Storage:
    """Storage for the active profile: local dir locally, S3 in prod (or as configured)."""
    from suuupra.settings import Profile

    kind = config.storage
    if kind == "auto":
        kind = "local" if settings.profile is Profile.local else "s3"
    if kind == "local":
        return LocalStorage(settings.media_dir)
    try:
        import boto3  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - depends on the deployment image
        raise RuntimeError("S3 media storage needs boto3: pip install boto3 "
                           "(or set SUUUPRA_STREAMING_STORAGE=local)") from exc
    client = boto3.client("s3", endpoint_url=config.s3_endpoint_url, region_name=config.s3_region)
    return S3Storage(client, config.s3_bucket)
