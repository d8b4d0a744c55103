"""Through the real API: upload -> transcode job -> signed playback -> heartbeat."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import m3u8
import pytest
from sqlalchemy import select

from apps_api.models import Lesson, LessonProgress, OutboxEvent
from apps_api.streaming.models import TranscodeJob, UploadSession, VideoAsset

PROBLEM = "application/problem+json"


def _path(url: str) -> str:
    return urlsplit(url).path


def _media_files(data_dir: Path) -> list[Path]:
    root = data_dir / "media"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture()
def ready_video(api, clip360: Path):
    """Instructor uploads (chunked, under the API body limit) a clip for a paid lesson."""
    api.user("teacher", "instructor")
    ids = api.course("teacher", price=49_900)
    resp = api.upload_chunked("teacher", clip360, ids["lesson"])
    body = resp.json()
    assert body["status"] == "complete"
    asset = body["asset"]
    assert asset["status"] == "ready" and asset["job"]["status"] == "done", asset
    return {**ids, "asset": asset["id"]}


@pytest.mark.slow
def test_upload_transcode_and_play(api, ready_video, data_dir: Path) -> None:
    a = api.req("GET", f"/videos/{ready_video['asset']}", "teacher", expect=200).json()
    assert [r["name"] for r in a["renditions"]] == ["240p", "360p"]
    assert a["job"]["renditions_done"] == ["240p", "360p"] and a["job"]["attempts"] == 1
    with api.state.db.read_session() as s:  # the lesson now points at its video
        assert s.get(Lesson, ready_video["lesson"]).video_asset_id == ready_video["asset"]
    # the source is stored outside the signable videos/ scope
    assert (data_dir / "media" / "sources" / ready_video["asset"]).is_dir()
    assert not list((data_dir / "media" / "incoming").glob("*"))

    api.user("learner")
    api.req("GET", f"/videos/{ready_video['asset']}/playback", "learner", expect=403)
    with api.state.db.begin() as s:  # paid course: enroll directly (checkout is the commerce area's)
        from apps_api.db import new_id
        from apps_api.models import Enrollment

        s.add(Enrollment(id=new_id("enr"), learner_id=api.ids["learner"], course_id=ready_video["course"],
                         source="paid"))
    pb = api.req("GET", f"/videos/{ready_video['asset']}/playback", "learner", expect=200).json()
    master = api.get_url(_path(pb["hls"]))
    assert master.status_code == 200
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert "immutable" in master.headers["cache-control"] and "private" in master.headers["cache-control"]
    variant = m3u8.loads(master.text, uri=pb["hls"])
    assert len(variant.playlists) == 2
    # relative URIs inherit the signature: the player needs nothing else
    media = api.get_url(_path(variant.playlists[0].absolute_uri))
    assert media.status_code == 200
    pl = m3u8.loads(media.text, uri=variant.playlists[0].absolute_uri)
    seg = api.get_url(_path(pl.segments[0].absolute_uri))
    assert seg.status_code == 200 and seg.headers["content-type"] == "video/mp2t"
    assert seg.content[0] == 0x47  # MPEG-TS sync byte
    poster = api.get_url(_path(pb["poster"]))
    assert poster.headers["content-type"] == "image/jpeg" and poster.content[:2] == b"\xff\xd8"
    assert api.get_url(_path(pb["thumbnails"])).text.startswith("WEBVTT")

    # heartbeat -> lesson progress + video.progress event in the outbox
    for pos in (2.0, 4.0, 5.8):
        hb = api.req("POST", f"/videos/{ready_video['asset']}/heartbeat", "learner", expect=200,
                     json={"position_s": pos, "seconds_watched": 2.0, "rendition": "360p", "session_id": "s1"})
    assert hb.json()["completed"] is True and hb.json()["seconds_watched"] == 6.0
    with api.state.db.read_session() as s:
        prog = s.scalars(select(LessonProgress).where(LessonProgress.learner_id == api.ids["learner"])).one()
        assert prog.completed and prog.position_s == 5.8
        events = [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "video.progress"))]
    assert len(events) == 3
    assert [e["completed"] for e in events] == [False, False, True]
    assert {e["rendition"] for e in events} == {"360p"} and events[0]["lesson_id"] == ready_video["lesson"]
    from suuupra.events import parse_event

    assert parse_event(events[-1]).seconds_watched == 2.0


def test_corrupt_and_non_video_uploads_are_422_and_leave_nothing(make_api, data_dir: Path, clip360: Path,
                                                                  tmp_path: Path) -> None:
    api = make_api(max_body_bytes=8 * 1024 * 1024)
    api.user("teacher", "instructor")
    before = _media_files(data_dir)
    bad = tmp_path / "lecture.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 5000)
    r = api.req("POST", "/videos", "teacher", files={"file": ("lecture.mp4", bad.read_bytes(), "video/mp4")})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert "rejected" in r.json()["detail"]
    r = api.req("POST", "/videos", "teacher", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 422 and "not a supported video" in r.json()["detail"]
    r = api.req("POST", "/videos", "teacher", files={"file": ("x.mp4", clip360.read_bytes(), "text/html")})
    assert r.status_code == 422 and "not a video" in r.json()["detail"]
    # chunked upload of a truncated clip: rejected once complete, partial file removed
    trunc = tmp_path / "trunc.mp4"
    trunc.write_bytes(clip360.read_bytes()[:300_000])
    r = api.upload_chunked("teacher", trunc, chunk=100_000, expect_final=422)
    assert r.headers["content-type"] == PROBLEM
    assert _media_files(data_dir) == before
    with api.state.db.read_session() as s:
        assert s.scalars(select(VideoAsset)).all() == []
        assert [u.status for u in s.scalars(select(UploadSession))] == ["aborted"]


def test_multipart_upload_and_upload_rules(make_api, clip240: Path) -> None:
    api = make_api(max_body_bytes=8 * 1024 * 1024)
    api.user("teacher", "instructor")
    api.user("other", "instructor")
    api.user("learner")
    ids = api.course("teacher")
    files = {"file": ("clip.mp4", clip240.read_bytes(), "video/mp4")}
    api.req("POST", "/videos", "learner", files=files, expect=403)  # learners cannot upload
    api.req("POST", "/videos", None, files=files, expect=401)
    r = api.req("POST", "/videos", "other", files=files, data={"lesson_id": ids["lesson"]})
    assert r.status_code == 403  # not their course
    r = api.req("POST", "/videos", "teacher", files=files, data={"lesson_id": ids["lesson"]}, expect=202)
    assert r.json()["status"] == "ready" and [x["name"] for x in r.json()["renditions"]] == ["240p"]
    api.req("GET", f"/videos/{r.json()['id']}", "other", expect=404)


def test_chunked_upload_resume_rules(api, clip240: Path) -> None:
    api.user("teacher", "instructor")
    data = clip240.read_bytes()
    up = api.req("POST", "/videos/uploads", "teacher", expect=201,
                 json={"filename": "c.mp4", "total_bytes": len(data)}).json()
    assert up["max_chunk_bytes"] <= 256 * 1024  # fits the API's request-body limit
    url = f"/videos/uploads/{up['id']}"
    api.req("PATCH", url, "teacher", content=data[:50_000], headers={"Upload-Offset": "0"}, expect=200)
    # a retried (duplicate) chunk or a gap is refused with the server's offset
    r = api.req("PATCH", url, "teacher", content=data[:50_000], headers={"Upload-Offset": "0"}, expect=409)
    assert r.headers["upload-offset"] == "50000"
    assert api.req("GET", url, "teacher", expect=200).json()["offset"] == 50_000
    rest, off = data[50_000:], 50_000
    while rest:
        part, rest = rest[:200_000], rest[200_000:]
        r = api.req("PATCH", url, "teacher", content=part, headers={"Upload-Offset": str(off)}, expect=200)
        off += len(part)
    assert r.json()["asset"]["status"] == "ready"
    api.req("POST", "/videos/uploads", "teacher", expect=422, json={"filename": "x.exe", "total_bytes": 10})
    api.req("POST", "/videos/uploads", "teacher", expect=413,
            json={"filename": "x.mp4", "total_bytes": 10 * 1024**4})


def test_failed_job_records_reason_and_retry_completes(make_api, clip240: Path, data_dir: Path) -> None:
    api = make_api(max_body_bytes=8 * 1024 * 1024)
    api.user("teacher", "instructor")
    api.user("learner")
    ids = api.course("teacher", preview=True)
    r = api.req("POST", "/videos", "teacher", files={"file": ("c.mp4", clip240.read_bytes(), "video/mp4")},
                data={"lesson_id": ids["lesson"]}, expect=202).json()
    asset_id, job_id = r["id"], r["job"]["id"]
    src = data_dir / "media" / "sources" / asset_id / "original.mp4"
    # pretend the job failed (e.g. a worker error) and the source is briefly unavailable
    with api.state.db.begin() as s:
        job = s.get(TranscodeJob, job_id)
        job.status, job.renditions_done = "failed", []
    api.req("POST", f"/videos/jobs/{job_id}/retry", "learner", expect=403)
    hidden = src.with_suffix(".hidden")
    src.rename(hidden)
    r = api.req("POST", f"/videos/jobs/{job_id}/retry", "teacher", expect=202).json()
    assert r["status"] == "failed" and "missing from storage" in r["reason"]
    api.req("GET", f"/videos/{asset_id}/playback", "learner", expect=409)  # not playable while failed
    hidden.rename(src)
    r = api.req("POST", f"/videos/jobs/{job_id}/retry", "teacher", expect=202).json()
    assert r["status"] == "done" and r["attempts"] == 3
    r = api.req("POST", f"/videos/jobs/{job_id}/retry", "teacher", expect=409)
    assert "only failed or crashed" in r.json()["detail"]
    # free preview lesson: any signed-in learner (and anonymous visitors) may watch
    api.req("GET", f"/videos/{asset_id}/playback", "learner", expect=200)
    assert api.req("GET", f"/videos/{asset_id}/playback", None, expect=200).json()["hls"]


def test_only_failed_or_crashed_jobs_are_retryable(api, clip240: Path) -> None:
    from datetime import timedelta

    from apps_api.db import utcnow
    from apps_api.streaming.jobs import JobStateError, retry_job

    api.user("teacher", "instructor")
    r = api.upload_chunked("teacher", clip240).json()["asset"]
    job_id, db = r["job"]["id"], api.state.db
    with pytest.raises(JobStateError, match="is done"):
        retry_job(db, job_id, max_attempts=3, stale_running_s=60)
    with db.begin() as s:  # a live worker: heartbeat is fresh
        j = s.get(TranscodeJob, job_id)
        j.status, j.heartbeat_at = "running", utcnow()
    with pytest.raises(JobStateError):
        retry_job(db, job_id, max_attempts=3, stale_running_s=60)
    with db.begin() as s:  # the worker died: no heartbeat for longer than the stale limit
        s.get(TranscodeJob, job_id).heartbeat_at = utcnow() - timedelta(seconds=120)
    assert retry_job(db, job_id, max_attempts=3, stale_running_s=60).status == "queued"
    with db.begin() as s:
        j = s.get(TranscodeJob, job_id)
        j.status, j.attempts = "failed", 3
    with pytest.raises(JobStateError, match="attempts"):
        retry_job(db, job_id, max_attempts=3, stale_running_s=60)


def test_job_summary_and_dagster_asset(api, clip240: Path, data_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from dagster import materialize

    from apps_api.db import utcnow
    from dagster_project.assets.streaming import ASSET_CHECKS, ASSETS
    from dagster_project.resources import resources_for

    api.user("teacher", "instructor")
    job_id = api.upload_chunked("teacher", clip240).json()["asset"]["job"]["id"]
    with api.state.db.begin() as s:  # a worker that died mid-job
        j = s.get(TranscodeJob, job_id)
        j.status, j.heartbeat_at = "running", utcnow() - timedelta(hours=5)
    monkeypatch.setenv("SUUUPRA_DATABASE_URL", api.state.db.url)
    res = materialize([*ASSETS, *ASSET_CHECKS], resources=resources_for(data_dir=str(data_dir)))
    mat = res.asset_materializations_for_node("streaming_transcode_health")[0]
    assert mat.metadata["rows"].value == 1 and mat.metadata["stale_running"].value == 1
    (check,) = res.get_asset_check_evaluations()
    assert check.passed is False and check.metadata["stale_jobs"].value == [job_id]


def test_upload_returns_before_the_background_job_finishes(make_api, clip240: Path) -> None:
    import time

    from apps_api.streaming.config import StreamingConfig

    api = make_api(streaming=StreamingConfig(executor="thread", preset="ultrafast"))
    api.user("teacher", "instructor")
    body = api.upload_chunked("teacher", clip240).json()["asset"]
    assert body["status"] in ("uploaded", "processing", "ready") and body["job"]["executor"] == "thread"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        a = api.req("GET", f"/videos/{body['id']}", "teacher", expect=200).json()
        if a["job"]["status"] in ("done", "failed"):
            break
        assert not a["playable"]  # never playable before every rendition is done
        time.sleep(0.2)
    assert a["job"]["status"] == "done" and a["playable"], a
