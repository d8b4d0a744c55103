"""Who owns what: the one place that decides "owner or admin, else 404" and which
video a lesson may point at.

Video asset ids are public (they appear in course outlines), so a lesson's
``video_asset_id`` must never be trusted on its own: a lesson may serve a video
only when both belong to the same course, and only the video's owner (or an
admin) may attach it to a lesson. Every route that attaches or serves an asset
goes through :func:`attachable_asset` and :func:`lesson_serves_asset`.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from apps_api.deps import Principal
from apps_api.errors import ApiError
from apps_api.models import Course, Lesson
from apps_api.streaming.models import VideoAsset

T = TypeVar("T")


def get_owned_or_404(session: Session, model: type[T], object_id: str, user: Principal, *,
                     owner_attr: str = "owner_id", noun: str | None = None) -> T:
    """The row when ``user`` owns it (or is an admin); otherwise a 404 that does not
    reveal whether the row exists."""
    row = session.get(model, object_id)
    if row is None or (getattr(row, owner_attr) != user.id and not user.is_admin):
        raise ApiError(404, f"{noun or model.__name__.lower()} {object_id} not found")
    return row


def attachable_asset(session: Session, asset_id: str, course: Course, user: Principal) -> VideoAsset:
    """The video ``user`` may attach to a lesson of ``course``; binds an unattached
    video to that course so no other course can claim it later."""
    asset = session.get(VideoAsset, asset_id)
    if asset is None or (asset.owner_id != user.id and not user.is_admin):
        raise ApiError(404, f"video {asset_id} not found; upload it first with POST /api/v1/videos")
    if asset.course_id is not None and asset.course_id != course.id:
        raise ApiError(409, f"video {asset_id} belongs to another course; upload it again for this one")
    if asset.kind != "upload":
        raise ApiError(409, f"video {asset_id} is a live-class recording; it is served with its session")
    asset.course_id = course.id
    return asset


def lesson_serves_asset(lesson: Lesson, asset: VideoAsset) -> bool:
    """A lesson grants access to a video only when it points at it *and* both belong
    to the same course (a lesson in another course pointing at it grants nothing)."""
    return lesson.video_asset_id == asset.id and asset.course_id == lesson.course_id
