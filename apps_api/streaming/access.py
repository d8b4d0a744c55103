"""Who may upload, watch and join, and the views the routes return.

Every streaming route decides access through these functions, so the rule "a
lesson serves a video only within its own course" (see :mod:`apps_api.ownership`)
holds for playback and heartbeats alike.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from apps_api.deps import Principal, can_view_lesson, is_enrolled
from apps_api.errors import ApiError
from apps_api.models import Course, Lesson
from apps_api.ownership import get_owned_or_404, lesson_serves_asset
from apps_api.streaming import jobs as jobs_mod
from apps_api.streaming.models import LiveSession, TranscodeJob, UploadSession, VideoAsset
from apps_api.streaming.runtime import Runtime
from apps_api.streaming.schemas import AssetOut, JobOut, LiveOut, RenditionOut, UploadOut
from apps_api.streaming.signing import sign_scope


def asset_view(a: VideoAsset, job: TranscodeJob | None = None) -> AssetOut:
    return AssetOut(
        id=a.id, status=a.status, kind=a.kind, title=a.title, lesson_id=a.lesson_id, course_id=a.course_id,
        duration_s=a.duration_s, width=a.width, height=a.height, source_bytes=a.source_bytes,
        playable=a.status == "ready",
        renditions=[RenditionOut(**{k: r[k] for k in ("name", "width", "height", "bandwidth", "codecs") if k in r})
                    for r in (a.renditions or [])],
        created_at=a.created_at, ready_at=a.ready_at,
        job=JobOut(**jobs_mod.job_view(job)) if job is not None else None)


def upload_view(up: UploadSession, rt: Runtime) -> UploadOut:
    return UploadOut(id=up.id, status=up.status, offset=up.received_bytes, total_bytes=up.total_bytes,
                     max_chunk_bytes=rt.chunk_limit, asset_id=up.asset_id)


def live_view(s: LiveSession) -> LiveOut:
    return LiveOut(id=s.id, course_id=s.course_id, title=s.title, status=s.status, scheduled_at=s.scheduled_at,
                   started_at=s.started_at, ended_at=s.ended_at, recording_asset_id=s.recording_asset_id,
                   reason=s.reason)


def latest_job(session: Session, asset_id: str) -> TranscodeJob | None:
    return session.scalars(select(TranscodeJob).where(TranscodeJob.asset_id == asset_id)
                           .order_by(TranscodeJob.id.desc()).limit(1)).first()


def owned_asset(session: Session, asset_id: str, user: Principal) -> VideoAsset:
    return get_owned_or_404(session, VideoAsset, asset_id, user, noun="video")


def owned_upload(session: Session, upload_id: str, user: Principal) -> UploadSession:
    return get_owned_or_404(session, UploadSession, upload_id, user, noun="upload")


def owned_live(session: Session, session_id: str, user: Principal) -> LiveSession:
    return get_owned_or_404(session, LiveSession, session_id, user, owner_attr="instructor_id",
                            noun="live session")


def lesson_for_upload(session: Session, lesson_id: str | None, user: Principal) -> Lesson | None:
    """The lesson an upload is for, which must belong to one of the uploader's courses."""
    if not lesson_id:
        return None
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise ApiError(404, f"lesson {lesson_id} not found")
    course = session.get(Course, lesson.course_id)
    if not user.is_admin and (course is None or course.instructor_id != user.id):
        raise ApiError(403, "you can only upload videos for lessons of your own courses")
    return lesson


def lesson_of(session: Session, asset: VideoAsset, lesson_id: str | None) -> Lesson | None:
    """The lesson through which ``asset`` is watched; only a lesson of the asset's own course."""
    if lesson_id:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or not lesson_serves_asset(lesson, asset):
            raise ApiError(404, f"lesson {lesson_id} has no video {asset.id}")
        return lesson
    if asset.lesson_id:
        lesson = session.get(Lesson, asset.lesson_id)
        return lesson if lesson is not None and lesson.course_id == asset.course_id else None
    if asset.course_id is None:
        return None
    return session.scalars(select(Lesson).where(Lesson.video_asset_id == asset.id,
                                                Lesson.course_id == asset.course_id).limit(1)).first()


def may_watch(session: Session, user: Principal | None, asset: VideoAsset, lesson: Lesson | None) -> bool:
    if user is not None and (user.is_admin or asset.owner_id == user.id):
        return True
    if asset.kind == "recording" and asset.course_id and user is not None:  # live-class recordings
        return is_enrolled(session, user.id, asset.course_id)
    return lesson is not None and can_view_lesson(session, user, lesson)


def may_join(session: Session, user: Principal, s: LiveSession) -> bool:
    return user.is_admin or s.instructor_id == user.id or is_enrolled(session, user.id, s.course_id)


def signed_urls(request: Request, rt: Runtime, scope: str, files: dict[str, str], user_id: str
                ) -> tuple[dict[str, str], int]:
    """Absolute signed URLs for ``files`` under ``scope`` (one signature for the whole scope)."""
    exp, sig = sign_scope(rt.secret, scope, user_id, rt.config.url_ttl_s)
    urls = {name: str(request.url_for("streaming_media", user_id=user_id, exp=str(exp), sig=sig,
                                      path=f"{scope}/{rel}"))
            for name, rel in files.items()}
    return urls, exp
