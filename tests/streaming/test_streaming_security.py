"""Signed URLs, enrollment gates, path traversal, Range and cache semantics."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from apps_api.streaming.serving import RangeNotSatisfiable, parse_range
from apps_api.streaming.signing import SignatureError, sign_scope, sign_url, verify
from apps_api.streaming.storage import LocalStorage, UnsafeKeyError, safe_key

SECRET = "test-secret-0123456789"


def _parts(url: str) -> tuple[str, str, str, str]:
    _, _, _, user, exp, sig, rest = url.split("/", 6)
    return user, exp, sig, rest


def test_signature_roundtrip_and_rejections() -> None:
    url, exp = sign_url(SECRET, "videos/vid_1", "360p/index.m3u8", "usr_1", ttl_s=60)
    user, e, sig, key = _parts(url)
    g = verify(SECRET, user, e, sig, key)
    assert (g.user_id, g.scope, g.key) == ("usr_1", "videos/vid_1", "videos/vid_1/360p/index.m3u8")
    # same grant covers every file of the asset (relative playlist URIs) ...
    verify(SECRET, user, e, sig, "videos/vid_1/240p/seg_00001.ts")
    bad = [
        ("usr_2", e, sig, key),                                  # another user's URL
        (user, str(int(e) + 100), sig, key),                     # extended expiry
        (user, e, sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB"), key),  # tampered signature
        (user, e, sig, "videos/vid_2/360p/index.m3u8"),          # ... but not another asset
        (user, e, sig, "sources/vid_1/original.mp4"),            # nor the original upload
        (user, "abc", sig, key),
    ]
    for args in bad:
        with pytest.raises(SignatureError):
            verify(SECRET, *args)
    with pytest.raises(SignatureError):
        verify("other-secret", user, e, sig, key)
    old_exp, old_sig = sign_scope(SECRET, "videos/vid_1", "usr_1", ttl_s=10, now=time.time() - 100)
    with pytest.raises(SignatureError, match="expired"):
        verify(SECRET, "usr_1", str(old_exp), old_sig, key)


@pytest.mark.parametrize("key", [
    "../etc/passwd", "videos/vid_1/../../etc/passwd", "videos/vid_1/./x.ts", "/etc/passwd",
    "videos//x.ts", "videos/vid_1/..", "videos\\vid_1\\x.ts", "videos/vid_1/x.ts\x00.jpg", "videos/~root/x",
    "C:/x.ts", "",
])
def test_traversal_keys_are_rejected(key: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeKeyError):
        safe_key(key)
    with pytest.raises(UnsafeKeyError):
        LocalStorage(tmp_path).stat(key)
    with pytest.raises(SignatureError):
        verify(SECRET, "u", "9999999999", "sig", key)


def test_symlink_cannot_escape_local_storage(tmp_path: Path) -> None:
    root, outside = tmp_path / "media", tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd.ts").write_text("root:x")
    (root / "videos" / "vid_1").mkdir(parents=True)
    os.symlink(outside, root / "videos" / "vid_1" / "link")
    with pytest.raises(UnsafeKeyError):
        LocalStorage(root).stat("videos/vid_1/link/passwd.ts")


@pytest.mark.parametrize(("header", "size", "expected"), [
    ("bytes=0-99", 1000, (0, 99)), ("bytes=500-", 1000, (500, 999)), ("bytes=-100", 1000, (900, 999)),
    ("bytes=0-5000", 1000, (0, 999)), ("bytes=0-1,5-6", 1000, None), ("items=0-1", 1000, None), (None, 10, None),
])
def test_parse_range(header, size, expected) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-2", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


# ---- over HTTP, through the real API and media route -----------------------------------------


@pytest.fixture()
def media_api(api, data_dir: Path):
    """A course with a lesson whose (hand-placed) ready video has a playlist and a 300 KB segment."""
    from apps_api.db import new_id
    from apps_api.models import Lesson
    from apps_api.streaming.models import VideoAsset

    api.user("teacher", "instructor")
    api.user("learner")
    api.user("stranger")
    ids = api.course("teacher")
    asset_id = new_id("vid")
    d = data_dir / "media" / "videos" / asset_id
    (d / "240p").mkdir(parents=True)
    (d / "master.m3u8").write_text("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n240p/index.m3u8\n")
    seg = bytes(range(256)) * 1200
    (d / "240p" / "seg_00000.ts").write_bytes(seg)
    (d / "240p" / "notes.txt").write_text("no content type for this")
    with api.state.db.begin() as s:
        s.add(VideoAsset(id=asset_id, owner_id=api.ids["teacher"], course_id=ids["course"], lesson_id=ids["lesson"],
                         status="ready", source_key="sources/x", renditions=[], probe={}))
        s.get(Lesson, ids["lesson"]).video_asset_id = asset_id
    api.req("POST", f"/courses/{ids['course']}/enroll", "learner", expect=201)  # free course
    return api, asset_id, seg


def test_playback_url_needs_enrollment(media_api) -> None:
    api, asset_id, _ = media_api
    api.req("GET", f"/videos/{asset_id}/playback", "stranger", expect=403)
    r = api.req("GET", f"/videos/{asset_id}/playback", None)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert api.req("GET", f"/videos/{asset_id}/playback", "learner", expect=200).json()["hls"]
    assert api.req("GET", f"/videos/{asset_id}/playback", "teacher", expect=200).json()["hls"]
    api.req("GET", "/videos/vid_nope/playback", "learner", expect=404)


def _signed_base(api, asset_id: str) -> str:
    url = urlsplit(api.req("GET", f"/videos/{asset_id}/playback", "learner", expect=200).json()["hls"]).path
    return url.rsplit("/", 1)[0]


def test_tampered_expired_and_traversal_urls_are_403(media_api) -> None:
    api, asset_id, _ = media_api
    base = _signed_base(api, asset_id)
    assert api.get_url(base + "/master.m3u8").status_code == 200
    prefix, user, exp, sig, _videos, _asset = base.rsplit("/", 5)
    cases = [
        f"{prefix}/{user}/{exp}/{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}/videos/{asset_id}/master.m3u8",
        f"{prefix}/{user}/{int(exp) + 1}/{sig}/videos/{asset_id}/master.m3u8",
        f"{prefix}/{api.ids['stranger']}/{exp}/{sig}/videos/{asset_id}/master.m3u8",
        f"{prefix}/{user}/{exp}/{sig}/videos/vid_other/master.m3u8",
        f"{base}/%2e%2e/%2e%2e/%2e%2e/apps_api.sqlite3",
        f"{base}/240p/%2e%2e%2f%2e%2e%2f%2e%2e%2fsources/x",
        f"{base}/..%2f..%2fsources/x",
        f"{base}/240p/%5c..%5c..%5cx.ts",
    ]
    for url in cases:
        r = api.get_url(url)
        assert r.status_code == 403, (url, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
    # expired: sign with a past time using the app's secret
    rt = api.app.state.suuupra.streaming
    old_exp, old_sig = sign_scope(rt.secret, f"videos/{asset_id}", user, 10, now=time.time() - 3600)
    r = api.get_url(f"{prefix}/{user}/{old_exp}/{old_sig}/videos/{asset_id}/master.m3u8")
    assert r.status_code == 403 and "expired" in r.json()["detail"]
    assert api.get_url(base + "/240p/nope.ts").status_code == 404
    assert api.get_url(base + "/240p/notes.txt").status_code == 404  # only media types are served


def test_range_requests_content_types_and_caching(media_api) -> None:
    api, asset_id, seg = media_api
    url = _signed_base(api, asset_id) + "/240p/seg_00000.ts"
    full = api.get_url(url)
    assert full.status_code == 200 and full.content == seg
    assert full.headers["content-type"] == "video/mp2t"
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["cache-control"] == "private, max-age=31536000, immutable"
    r = api.get_url(url, headers={"Range": "bytes=100-1099"})
    assert r.status_code == 206 and r.content == seg[100:1100]
    assert r.headers["content-range"] == f"bytes 100-1099/{len(seg)}" and r.headers["content-length"] == "1000"
    r = api.get_url(url, headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == seg[-10:]
    r = api.get_url(url, headers={"Range": f"bytes={len(seg)}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(seg)}"
    r = api.get_url(url, headers={"If-None-Match": full.headers["etag"]})
    assert r.status_code == 304 and r.content == b""
    h = api.client.head(url)
    assert h.status_code == 200 and h.headers["content-length"] == str(len(seg)) and h.content == b""
