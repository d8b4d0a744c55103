"""The demo catalog seeds the API idempotently and is browsable."""

from __future__ import annotations

from sqlalchemy import func, select

from apps_api.db import Database
from apps_api.models import Course, Lesson
from apps_api.seed import seed_demo_catalog


def test_seed_is_idempotent_and_published(settings):
    first = seed_demo_catalog(settings)
    second = seed_demo_catalog(settings)
    assert first == second and first["courses"] > 20
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Course)) == first["courses"]
            assert s.scalar(select(func.count()).select_from(Lesson)) == first["lessons"]
            regex = s.get(Course, "c0005")
            assert regex.status == "published" and regex.title.startswith("Regular Expressions")
            preview = s.scalars(select(Lesson).where(Lesson.course_id == "c0005", Lesson.position == 0)).one()
            assert preview.is_free_preview and "howto/regex.html" in preview.body_md
    finally:
        db.dispose()
