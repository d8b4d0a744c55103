"""Seed the API database with the demo world's published catalog.

The demo events, the recommender and the search index all speak the demo
catalog's course ids (``c0001``...), so the API serves the very same courses:
a recommendation returned by Ray Serve is a course a learner can open and buy
here. Idempotent: existing rows are updated in place, never duplicated.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from apps_api.db import Database
from apps_api.migrate import upgrade
from apps_api.models import Course, Lesson, Module, User
from suuupra.demo.catalog import build_catalog, n_courses_for_scale
from suuupra.settings import Settings

UNUSABLE_PASSWORD = "!seeded-account-no-login"


def _lesson_body(title: str, doc_path: str, docs_base: str) -> str:
    if doc_path:
        return (f"# {title}\n\nThis lesson walks through **{title}** with runnable examples.\n\n"
                f"Reading: [{title}]({docs_base}/{doc_path})\n")
    return f"# {title}\n\nDefinitions, worked examples and exercises on {title.lower()}.\n"


def seed_demo_catalog(settings: Settings, scale: int = 1, seed: int = 42) -> dict[str, Any]:
    """Upgrade the schema to head, then upsert instructors, courses, modules and lessons."""
    upgrade(settings.database_url)
    courses = build_catalog(n_courses_for_scale(scale), random.Random(seed))
    docs_base = f"http://127.0.0.1:{settings.docs_port}"
    now = datetime.now(UTC)
    db = Database(settings.database_url)
    try:
        with db.begin() as session:
            for instructor_id in sorted({c.instructor_id for c in courses}):
                session.merge(User(id=instructor_id, email=f"{instructor_id}@instructors.suuupra.local",
                                   password_hash=UNUSABLE_PASSWORD, role="instructor",
                                   display_name=f"Instructor {instructor_id[1:]}"))
            for c in courses:
                session.merge(Course(
                    id=c.course_id, instructor_id=c.instructor_id, title=c.title,
                    description=f"{c.title}: a {c.level} {c.category} course.", category=c.category,
                    level=c.level, tags=c.tags, price_minor=c.price_minor, currency="INR",
                    status="published", published_at=now,
                ))
                module_id = f"{c.course_id}-m01"
                session.merge(Module(id=module_id, course_id=c.course_id, title="Lessons", position=0))
                for lesson in c.lessons:
                    session.merge(Lesson(
                        id=lesson.lesson_id, module_id=module_id, course_id=c.course_id, title=lesson.title,
                        body_md=_lesson_body(lesson.title, lesson.doc_path, docs_base),
                        duration_s=lesson.duration_s, tags=c.tags, level=c.level, position=lesson.position,
                        is_free_preview=lesson.position == 0,
                    ))
    finally:
        db.dispose()
    return {"courses": len(courses), "lessons": sum(len(c.lessons) for c in courses),
            "instructors": len({c.instructor_id for c in courses})}
