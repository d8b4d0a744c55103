"""Lesson videos: multipart upload, asset and job state, retries, playback, heartbeats."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from apps_api.contract import Raw, Text
from apps_api.db import new_id, utcnow
from apps_api.deps import CurrentUser, OptionalUser, Principal, ReadSessionDep, SessionDep, require_role
from apps_api.errors import ApiError
from apps_api.models import Lesson, LessonProgress
from apps_api.outbox import emit
from apps_api.streaming import jobs as jobs_mod
from apps_api.streaming.access import (
    asset_view,
    latest_job,
    lesson_for_upload,
    lesson_of,
    may_watch,
    owned_asset,
    signed_urls,
)
from apps_api.streaming.models import TranscodeJob, VideoAsset
from apps_api.streaming.runtime import Runtime, RuntimeDep
from apps_api.streaming.schemas import AssetOut, HeartbeatIn, HeartbeatOut, JobOut, PlaybackOut
from apps_api.streaming.uploads import (
    UploadRejected,
    check_filename,
    incoming_dir,
    stream_to_temp,
    validate_video,
)

log = logging.getLogger("apps_api.streaming")
router = APIRouter(tags=["streaming"])
Instructor = Annotated[Principal, Depends(require_role("instructor", "admin"))]
COMPLETE_FRACTION = 0.9


def create_asset_and_job(rt: Runtime, session: Session, *, user: Principal, tmp: Path, size: int, ext: str,
                         title: str, lesson: Lesson | None, info) -> tuple[VideoAsset, TranscodeJob]:
    """Store a validated upload and queue its transcode (shared with chunked uploads)."""
    asset_id = new_id("vid")
    key = jobs_mod.source_key(asset_id, ext)
    rt.storage.move_file(key, tmp)  # validated bytes only; nothing was stored before this point
    try:
        asset = VideoAsset(id=asset_id, owner_id=user.id, course_id=lesson.course_id if lesson else None,
                           lesson_id=lesson.id if lesson else None, title=title[:200], status="uploaded",
                           source_key=key, source_bytes=size, duration_s=info.duration_s, width=info.width,
                           height=info.height, probe=info.to_dict(), renditions=[])
        session.add(asset)
        session.flush()
        job = jobs_mod.create_job(session, asset, rt.config.executor)
        session.commit()
    except Exception:
        session.rollback()
        rt.storage.delete_prefix(f"sources/{asset_id}")
        raise
    dispatch(rt, job.id)
    session.expire_all()
    return session.get(VideoAsset, asset_id), session.get(TranscodeJob, job.id)


def dispatch(rt: Runtime, job_id: str) -> None:
    """Start a job without holding up the request: connecting to (or starting) Ray can take
    many seconds, so that happens on a background thread; the job row already says ``queued``."""
    if rt.config.executor == "inline":
        jobs_mod.submit(rt.job_context(), job_id, "inline")
        return

    def _go() -> None:
        try:
            jobs_mod.submit(rt.job_context(), job_id, rt.config.executor, rt.settings.ray_address)
        except Exception as exc:  # e.g. Ray unreachable: record it so the job can be retried
            log.exception("could not submit transcode job", extra={"job_id": job_id})
            jobs_mod.mark_failed(rt.job_context(), job_id, f"could not submit: {exc}")

    threading.Thread(target=_go, name=f"submit-{job_id}", daemon=True).start()


@router.post("/videos", status_code=202, response_model=AssetOut,
             summary="Upload a lesson video (multipart) and start transcoding")
async def upload_video(user: Instructor, session: SessionDep, rt: RuntimeDep,
                       file: Annotated[UploadFile, File(description="the video file")],
                       title: Annotated[Text(200), Form()] = "",
                       lesson_id: Annotated[Raw(40, min_length=1) | None, Form()] = None) -> AssetOut:
    try:
        ext = check_filename(file.filename, rt.config.allowed_extensions)
        ctype = (file.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if not (ctype.startswith("video/") or ctype == "application/octet-stream"):
            raise UploadRejected(422, f"content type {ctype!r} is not a video")
        lesson = await run_in_threadpool(lesson_for_upload, session, lesson_id, user)

        async def chunks():
            while data := await file.read(1024 * 1024):
                yield data

        tmp, size = await stream_to_temp(chunks(), incoming_dir(rt.settings.media_dir),
                                         rt.config.max_upload_bytes, ext)
        info = await run_in_threadpool(validate_video, tmp, rt.config.max_duration_s)
    except UploadRejected as exc:
        raise ApiError(exc.status, exc.detail) from None
    asset, job = await run_in_threadpool(create_asset_and_job, rt, session, user=user, tmp=tmp, size=size,
                                         ext=ext, title=title or (file.filename or ""), lesson=lesson,
                                         info=info)
    return asset_view(asset, job)


@router.get("/videos/{asset_id}", response_model=AssetOut, summary="Video asset with its transcode job state")
def get_asset(asset_id: str, user: Instructor, session: ReadSessionDep) -> AssetOut:
    asset = owned_asset(session, asset_id, user)
    return asset_view(asset, latest_job(session, asset_id))


@router.post("/videos/jobs/{job_id}/retry", status_code=202, response_model=JobOut,
             summary="Retry a failed or crashed transcode")
def retry(job_id: str, user: Instructor, session: SessionDep, rt: RuntimeDep, request: Request) -> JobOut:
    job = session.get(TranscodeJob, job_id)
    if job is None:
        raise ApiError(404, f"job {job_id} not found")
    owned_asset(session, job.asset_id, user)
    session.rollback()
    try:
        jobs_mod.retry_job(request.app.state.suuupra.db, job_id, max_attempts=rt.config.max_attempts,
                           stale_running_s=rt.config.stale_running_s)
    except jobs_mod.JobStateError as exc:
        raise ApiError(409, str(exc)) from None
    dispatch(rt, job_id)
    session.expire_all()
    return JobOut(**jobs_mod.job_view(session.get(TranscodeJob, job_id)))


@router.get("/videos/{asset_id}/playback", response_model=PlaybackOut,
            summary="Signed, expiring HLS URLs for an allowed viewer")
def playback(asset_id: str, request: Request, user: OptionalUser, session: ReadSessionDep, rt: RuntimeDep,
             lesson_id: str | None = None) -> PlaybackOut:
    asset = session.get(VideoAsset, asset_id)
    if asset is None:
        raise ApiError(404, f"video {asset_id} not found")
    lesson = lesson_of(session, asset, lesson_id)
    if not may_watch(session, user, asset, lesson):
        if user is None:
            raise ApiError(401, "sign in to watch this lesson", headers={"WWW-Authenticate": "Bearer"})
        raise ApiError(403, "enroll in the course to watch this lesson")
    if asset.status != "ready":
        raise ApiError(409, f"video is {asset.status}; it becomes playable when every rendition is done")
    files = {"hls": "master.m3u8", "poster": "poster.jpg", "thumbnails": "thumbnails.vtt"}
    if asset.kind == "recording":
        files.pop("thumbnails")
    urls, exp = signed_urls(request, rt, f"videos/{asset.id}", files, user.id if user else "anon")
    return PlaybackOut(asset_id=asset.id, lesson_id=lesson.id if lesson else None, expires_at=exp,
                       duration_s=asset.duration_s, **urls)


@router.post("/videos/{asset_id}/heartbeat", response_model=HeartbeatOut,
             summary="Record watch progress; emits video.progress")
def heartbeat(asset_id: str, body: HeartbeatIn, user: CurrentUser, session: SessionDep) -> HeartbeatOut:
    asset = session.get(VideoAsset, asset_id)
    if asset is None:
        raise ApiError(404, f"video {asset_id} not found")
    lesson = lesson_of(session, asset, body.lesson_id)
    if lesson is None:
        raise ApiError(422, "this video is not attached to a lesson; progress needs a lesson")
    if not may_watch(session, user, asset, lesson):
        raise ApiError(403, "enroll in the course to watch this lesson")
    duration = asset.duration_s or float(lesson.duration_s) or 0.0
    position = min(body.position_s, duration) if duration else body.position_s
    for attempt in range(2):
        prog = session.scalars(select(LessonProgress).where(LessonProgress.learner_id == user.id,
                                                            LessonProgress.lesson_id == lesson.id)).first()
        if prog is None:
            prog = LessonProgress(id=new_id("lpr"), learner_id=user.id, course_id=lesson.course_id,
                                  lesson_id=lesson.id, position_s=0.0, seconds_watched=0.0, completed=False)
            session.add(prog)
        prog.position_s = position
        prog.seconds_watched = (prog.seconds_watched or 0.0) + body.seconds_watched
        was_completed = bool(prog.completed)
        prog.completed = bool(was_completed or body.ended
                              or (duration > 0 and position >= COMPLETE_FRACTION * duration))
        prog.updated_at = utcnow()
        emit(session, "video.progress", learner_id=user.id, course_id=lesson.course_id, lesson_id=lesson.id,
             session_id=body.session_id, position_s=position, seconds_watched=body.seconds_watched,
             duration_s=max(duration, 0.001), completed=prog.completed and not was_completed,
             rendition=body.rendition,
             partition_key=user.id)
        try:
            session.commit()
            break
        except IntegrityError:  # concurrent first heartbeat created the row: update it instead
            session.rollback()
            if attempt:
                raise
    return HeartbeatOut(lesson_id=lesson.id, position_s=prog.position_s, seconds_watched=prog.seconds_watched,
                        completed=prog.completed)
