"""Storage backends: local directory and S3 (the S3 *endpoint* is the only thing faked)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apps_api.streaming.serving import media_response
from apps_api.streaming.storage import LocalStorage, S3Storage, UnsafeKeyError


class FakeS3Endpoint:
    """In-memory stand-in for an S3 server, speaking boto3's client method signatures."""

    class NotFound(Exception):
        response = {"Error": {"Code": "404"}}

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.calls: list[str] = []

    def head_object(self, Bucket: str, Key: str) -> dict:
        self.calls.append("head_object")
        if (Bucket, Key) not in self.objects:
            raise self.NotFound()
        return {"ContentLength": len(self.objects[(Bucket, Key)]), "LastModified": datetime.now(UTC)}

    def get_object(self, Bucket: str, Key: str, Range: str | None = None) -> dict:
        self.calls.append("get_object")
        data = self.objects[(Bucket, Key)]
        if Range:
            start, end = Range.removeprefix("bytes=").split("-")
            data = data[int(start): int(end) + 1]
        return {"Body": io.BytesIO(data)}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict:
        self.objects[(Bucket, Key)] = bytes(Body)
        return {}

    def upload_file(self, Filename: str, Bucket: str, Key: str) -> None:
        self.objects[(Bucket, Key)] = Path(Filename).read_bytes()

    def list_objects_v2(self, Bucket: str, Prefix: str, ContinuationToken: str | None = None) -> dict:
        keys = sorted(k for b, k in self.objects if b == Bucket and k.startswith(Prefix))
        start = int(ContinuationToken or 0)
        page = keys[start: start + 2]  # tiny pages exercise pagination
        more = start + 2 < len(keys)
        return {"Contents": [{"Key": k} for k in page], "IsTruncated": more,
                "NextContinuationToken": str(start + 2) if more else None}

    def delete_objects(self, Bucket: str, Delete: dict) -> dict:
        for o in Delete["Objects"]:
            self.objects.pop((Bucket, o["Key"]), None)
        return {}


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    return S3Storage(FakeS3Endpoint(), "bucket", prefix="media")


def test_put_list_read_delete(storage, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "360p").mkdir(parents=True)
    (src / "master.m3u8").write_text("#EXTM3U\n")
    for i in range(3):
        (src / "360p" / f"seg_{i:05d}.ts").write_bytes(bytes([i]) * 1000)
    assert storage.put_tree("videos/v1", src) == 4
    storage.put_bytes("videos/v2/master.m3u8", b"other")
    assert storage.list("videos/v1") == ["videos/v1/360p/seg_00000.ts", "videos/v1/360p/seg_00001.ts",
                                         "videos/v1/360p/seg_00002.ts", "videos/v1/master.m3u8"]
    assert storage.stat("videos/v1/360p/seg_00001.ts").size == 1000
    assert storage.stat("videos/v1/missing.ts") is None
    assert b"".join(storage.read_range("videos/v1/360p/seg_00002.ts", 10, 19)) == b"\x02" * 10
    assert storage.read_bytes("videos/v2/master.m3u8") == b"other"
    assert storage.delete_prefix("videos/v1") == 4
    assert storage.list("videos/v1") == [] and storage.stat("videos/v2/master.m3u8") is not None
    with pytest.raises(UnsafeKeyError):
        storage.put_bytes("videos/../../x", b"x")


def test_media_response_over_s3_uses_ranged_gets() -> None:
    endpoint = FakeS3Endpoint()
    s3 = S3Storage(endpoint, "bucket")
    s3.put_bytes("videos/v1/240p/seg_00000.ts", bytes(range(256)) * 400)
    resp = media_response(s3, "videos/v1/240p/seg_00000.ts", range_header="bytes=256-511")
    assert resp.status_code == 206 and resp.body == bytes(range(256))
    assert resp.headers["content-range"] == "bytes 256-511/102400"
    assert endpoint.calls == ["head_object", "get_object"]
