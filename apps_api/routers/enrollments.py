"""Free enrollment and per-lesson progress (the caller's own only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from apps_api.db import new_id, utcnow
from apps_api.deps import CurrentUser, Principal, ReadSessionDep, SessionDep, is_enrolled, require_permission
from apps_api.errors import ApiError
from apps_api.models import Course, Enrollment, Lesson, LessonProgress
from apps_api.outbox import emit
from apps_api.schemas import EnrollmentOut, ProgressIn, ProgressOut

router = APIRouter(tags=["enrollments"])
Id = Annotated[str, Path(min_length=1, max_length=40)]


@router.post("/courses/{course_id}/enroll", status_code=201, response_model=EnrollmentOut)
def enroll_free(course_id: Id, session: SessionDep,
                user: Annotated[Principal, Depends(require_permission("enroll"))]) -> EnrollmentOut:
    course = session.get(Course, course_id)
    if course is None or course.status != "published":
        raise ApiError(404, f"course {course_id} not found")
    if course.price_minor > 0:
        raise ApiError(409, "this is a paid course: add it to your cart and check out")
    existing = session.scalar(select(Enrollment).where(Enrollment.learner_id == user.id,
                                                      Enrollment.course_id == course_id))
    if existing is not None and existing.status == "active":
        raise ApiError(409, "you are already enrolled in this course")
    if existing is None:
        existing = Enrollment(id=new_id("enr"), learner_id=user.id, course_id=course_id, source="free")
        session.add(existing)
    existing.status = "active"
    emit(session, "enrollment.created", learner_id=user.id, course_id=course_id, source="free")
    try:
        session.commit()
    except IntegrityError:
        raise ApiError(409, "you are already enrolled in this course") from None
    return EnrollmentOut.model_validate(existing)


@router.get("/me/enrollments", response_model=list[EnrollmentOut])
def my_enrollments(user: CurrentUser, session: ReadSessionDep) -> list[EnrollmentOut]:
    rows = session.scalars(select(Enrollment).where(Enrollment.learner_id == user.id).order_by(Enrollment.id))
    return [EnrollmentOut.model_validate(r) for r in rows]


@router.put("/lessons/{lesson_id}/progress", response_model=ProgressOut)
def put_progress(lesson_id: Id, body: ProgressIn, session: SessionDep,
                 user: Annotated[Principal, Depends(require_permission("progress:write"))]) -> ProgressOut:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise ApiError(404, f"lesson {lesson_id} not found")
    if not is_enrolled(session, user.id, lesson.course_id):
        raise ApiError(403, "enroll in the course before recording progress")
    row = session.scalar(select(LessonProgress).where(LessonProgress.learner_id == user.id,
                                                     LessonProgress.lesson_id == lesson_id))
    if row is None:
        row = LessonProgress(id=new_id("lp"), learner_id=user.id, course_id=lesson.course_id,
                             lesson_id=lesson_id, seconds_watched=0.0, completed=False)
        session.add(row)
        emit(session, "lesson.viewed", learner_id=user.id, course_id=lesson.course_id, lesson_id=lesson_id)
    row.position_s = body.position_s
    row.seconds_watched = max(row.seconds_watched or 0.0, body.seconds_watched)
    row.completed = bool(row.completed) or body.completed
    row.updated_at = utcnow()
    if lesson.duration_s > 0:
        emit(session, "video.progress", learner_id=user.id, course_id=lesson.course_id, lesson_id=lesson_id,
             position_s=body.position_s, seconds_watched=body.seconds_watched,
             duration_s=float(lesson.duration_s), completed=row.completed)
    session.commit()
    return ProgressOut.model_validate(row)


@router.get("/me/progress", response_model=list[ProgressOut])
def my_progress(user: CurrentUser, session: ReadSessionDep) -> list[ProgressOut]:
    rows = session.scalars(select(LessonProgress).where(LessonProgress.learner_id == user.id)
                           .order_by(LessonProgress.id))
    return [ProgressOut.model_validate(r) for r in rows]
