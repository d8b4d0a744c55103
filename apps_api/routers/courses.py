"""Courses -> modules -> lessons: instructor-owned drafts, publishing, browsing."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from apps_api.db import new_id, utcnow
from apps_api.deps import (
    CurrentUser,
    OptionalUser,
    Principal,
    ReadSessionDep,
    SessionDep,
    can_view_lesson,
    require_permission,
)
from apps_api.errors import ApiError
from apps_api.models import Course, Lesson, Module
from apps_api.outbox import emit
from apps_api.ownership import attachable_asset
from apps_api.schemas import (
    CourseDetail,
    CourseIn,
    CourseOut,
    CoursePage,
    CoursePatch,
    LessonIn,
    LessonOut,
    ModuleIn,
    ModuleOut,
)

router = APIRouter(tags=["courses"])
Id = Annotated[str, Path(min_length=1, max_length=40)]
Writer = Annotated[Principal, Depends(require_permission("course:write"))]


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid cursor; pass the next_cursor value from the previous page") from None
    if not value or len(value) > 40:
        raise ApiError(400, "invalid cursor; pass the next_cursor value from the previous page")
    return value


def _visible_course(session: Session, course_id: str, user: Principal | None) -> Course:
    course = session.get(Course, course_id, options=[selectinload(Course.modules).selectinload(Module.lessons)])
    if course is None or (course.status != "published" and not _owns(user, course)):
        raise ApiError(404, f"course {course_id} not found")
    return course


def _owns(user: Principal | None, course: Course) -> bool:
    return user is not None and (user.is_admin or course.instructor_id == user.id)


def _owned_course(session: Session, course_id: str, user: Principal, lock: bool = False) -> Course:
    course = session.get(Course, course_id)
    if course is None or not _owns(user, course):
        # 404 for others' drafts: no existence leak
        if course is not None and course.status == "published":
            raise ApiError(403, "only the course's instructor or an admin can change it")
        raise ApiError(404, f"course {course_id} not found")
    return course


@router.get("/courses", response_model=CoursePage)
def list_courses(
    session: ReadSessionDep,
    category: Literal["programming", "mathematics"] | None = None,
    level: Literal["beginner", "intermediate", "advanced"] | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="title substring")] = None,
    instructor_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    free: bool | None = None,
    max_price_minor: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
) -> CoursePage:
    """Published courses, newest id last; keyset pagination on the time-ordered id."""
    stmt = select(Course).where(Course.status == "published")
    if category:
        stmt = stmt.where(Course.category == category)
    if level:
        stmt = stmt.where(Course.level == level)
    if instructor_id:
        stmt = stmt.where(Course.instructor_id == instructor_id)
    if q:
        stmt = stmt.where(func.lower(Course.title).contains(q.lower(), autoescape=True))
    if free is not None:
        stmt = stmt.where(Course.price_minor == 0 if free else Course.price_minor > 0)
    if max_price_minor is not None:
        stmt = stmt.where(Course.price_minor <= max_price_minor)
    if cursor:
        stmt = stmt.where(Course.id > decode_cursor(cursor))
    items: list[Course] = []
    last_seen: str | None = None
    # Tag filtering happens in Python (JSON arrays differ across SQLite/PostgreSQL);
    # scan in chunks until the page is full.
    chunk = limit + 1 if not tag else max(4 * limit, 50)
    ordered = stmt.order_by(Course.id)
    while True:
        page_stmt = ordered.where(Course.id > last_seen) if last_seen else ordered
        rows = list(session.scalars(page_stmt.limit(chunk)))
        for row in rows:
            last_seen = row.id
            if tag and tag not in (row.tags or []):
                continue
            items.append(row)
            if len(items) > limit:
                break
        if len(items) > limit or len(rows) < chunk:
            break
    has_more = len(items) > limit
    items = items[:limit]
    return CoursePage(items=[CourseOut.model_validate(c) for c in items],
                      next_cursor=encode_cursor(items[-1].id) if has_more and items else None)


@router.post("/courses", status_code=201, response_model=CourseOut)
def create_course(body: CourseIn, user: Writer, session: SessionDep) -> CourseOut:
    course = Course(id=new_id("crs"), instructor_id=user.id, status="draft", **body.model_dump())
    session.add(course)
    session.commit()
    return CourseOut.model_validate(course)


@router.get("/courses/{course_id}", response_model=CourseDetail)
def get_course(course_id: Id, user: OptionalUser, session: ReadSessionDep) -> CourseDetail:
    return CourseDetail.model_validate(_visible_course(session, course_id, user))


@router.patch("/courses/{course_id}", response_model=CourseOut)
def update_course(course_id: Id, body: CoursePatch, user: Writer, session: SessionDep) -> CourseOut:
    course = _owned_course(session, course_id, user)
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(course, key, value)
    session.commit()
    return CourseOut.model_validate(course)


@router.post("/courses/{course_id}/publish", response_model=CourseDetail)
def publish_course(course_id: Id, user: Writer, session: SessionDep) -> CourseDetail:
    course = _owned_course(session, course_id, user)
    lessons = [lesson for m in course.modules for lesson in m.lessons]
    if not lessons:
        raise ApiError(409, "add at least one module with a lesson before publishing")
    if course.status != "published":
        course.status, course.published_at = "published", utcnow()
        emit(session, "course.published", course_id=course.id, instructor_id=course.instructor_id,
             title=course.title, category=course.category, tags=list(course.tags or []), level=course.level,
             price_minor=course.price_minor, currency=course.currency)
        for lesson in lessons:
            emit(session, "lesson.published", course_id=course.id, lesson_id=lesson.id, title=lesson.title,
                 position=lesson.position, duration_s=lesson.duration_s)
    session.commit()
    return CourseDetail.model_validate(course)


@router.post("/courses/{course_id}/modules", status_code=201, response_model=ModuleOut)
def add_module(course_id: Id, body: ModuleIn, user: Writer, session: SessionDep) -> ModuleOut:
    course = _owned_course(session, course_id, user)
    module = Module(id=new_id("mod"), course_id=course.id, title=body.title, position=body.position)
    session.add(module)
    session.commit()
    session.refresh(module)
    return ModuleOut.model_validate(module)


@router.post("/modules/{module_id}/lessons", status_code=201, response_model=LessonOut)
def add_lesson(module_id: Id, body: LessonIn, user: Writer, session: SessionDep) -> LessonOut:
    module = session.get(Module, module_id)
    if module is None:
        raise ApiError(404, f"module {module_id} not found")
    course = _owned_course(session, module.course_id, user)
    if body.video_asset_id is not None:
        attachable_asset(session, body.video_asset_id, course, user)
    lesson = Lesson(id=new_id("les"), module_id=module.id, course_id=course.id, **body.model_dump())
    session.add(lesson)
    if course.status == "published":
        session.flush()
        emit(session, "lesson.published", course_id=course.id, lesson_id=lesson.id, title=lesson.title,
             position=lesson.position, duration_s=lesson.duration_s)
    session.commit()
    return LessonOut.model_validate(lesson)


@router.get("/lessons/{lesson_id}", response_model=LessonOut)
def get_lesson(lesson_id: Id, user: OptionalUser, session: ReadSessionDep) -> LessonOut:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise ApiError(404, f"lesson {lesson_id} not found")
    course = session.get(Course, lesson.course_id)
    if course is None or (course.status != "published" and not _owns(user, course)):
        raise ApiError(404, f"lesson {lesson_id} not found")
    if not can_view_lesson(session, user, lesson):
        if user is None:
            raise ApiError(401, "log in and enroll in the course to read this lesson",
                           headers={"WWW-Authenticate": "Bearer"})
        raise ApiError(403, "enroll in the course to read this lesson (free previews are open)")
    return LessonOut.model_validate(lesson)


@router.get("/instructor/courses", response_model=list[CourseOut])
def my_courses(user: CurrentUser, session: ReadSessionDep) -> list[CourseOut]:
    rows = session.scalars(select(Course).where(Course.instructor_id == user.id).order_by(Course.id))
    return [CourseOut.model_validate(c) for c in rows]
