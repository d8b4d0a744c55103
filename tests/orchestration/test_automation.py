"""Sensors with cursors and run keys: nothing runs twice, incomplete days wait."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

from dagster_project.assets.automation import event_dates, new_complete_dates, new_event_partitions_sensor
from dagster_project.resources import resources_for
from suuupra.eventlog import LocalEventLog
from suuupra.events import LessonViewed


def _write_day(events_dir, day: date) -> None:
    LocalEventLog(events_dir).append([
        LessonViewed(learner_id="u1", course_id="c1", lesson_id="l1",
                     occurred_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    ])


def test_new_complete_dates_respects_cursor_and_today():
    dates = ["2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29"]
    assert new_complete_dates(dates, None, date(2026, 10, 29)) == ["2026-10-27", "2026-10-28"]
    assert new_complete_dates(dates, "2026-10-27", date(2026, 10, 29)) == ["2026-10-28"]
    assert new_complete_dates(dates, "2026-10-28", date(2026, 10, 29)) == []


def test_sensor_requests_each_new_day_once(data_dir):
    events = data_dir / "lake" / "events"
    for d in (date(2026, 10, 27), date(2026, 10, 28)):
        _write_day(events, d)
    assert event_dates(events) == ["2026-10-27", "2026-10-28"]
    resources = {"event_log": resources_for("local", str(data_dir))["event_log"]}
    # Engine resources nest the platform resource, so a test context opens them as a context manager.
    with DagsterInstance.ephemeral() as instance:
        with build_sensor_context(instance=instance, cursor=None, resources=resources) as ctx:
            first = new_event_partitions_sensor(ctx)
        assert [r.partition_key for r in first] == ["2026-10-27", "2026-10-28"]
        assert all(isinstance(r, RunRequest) and r.run_key == f"etl-{r.partition_key}" for r in first)
        assert ctx.cursor == "2026-10-28"
        # Same state again: nothing new.
        with build_sensor_context(instance=instance, cursor=ctx.cursor, resources=resources) as ctx2:
            assert isinstance(new_event_partitions_sensor(ctx2), SkipReason)
        # A new day arrives: only it is requested.
        _write_day(events, date(2026, 10, 29))
        with build_sensor_context(instance=instance, cursor=ctx.cursor, resources=resources) as ctx3:
            third = new_event_partitions_sensor(ctx3)
        assert [r.partition_key for r in third] == ["2026-10-29"]
