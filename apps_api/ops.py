"""Plain operational functions (used by the CLI and the Dagster assets)."""

from __future__ import annotations

from typing import Any

from suuupra.settings import Settings


def relay_outbox(settings: Settings) -> dict[str, Any]:
    """Publish all pending outbox rows to the event log; returns counts."""
    from sqlalchemy import func, select

    from apps_api.db import Database
    from apps_api.migrate import assert_at_head
    from apps_api.models import OutboxEvent
    from apps_api.outbox import relay_all
    from suuupra.eventlog import open_event_log

    db = Database(settings.database_url or "")
    try:
        assert_at_head(db.engine)
        published = relay_all(db, open_event_log(settings))
        with db.read_session() as s:
            pending = s.scalar(select(func.count()).select_from(OutboxEvent)
                               .where(OutboxEvent.published_at.is_(None))) or 0
            total = s.scalar(select(func.count()).select_from(OutboxEvent)) or 0
        return {"published": published, "pending": int(pending), "total": int(total)}
    finally:
        db.dispose()


def ledger_trial_balance(settings: Settings) -> dict[str, Any]:
    from apps_api import ledger
    from apps_api.db import Database
    from apps_api.migrate import assert_at_head

    db = Database(settings.database_url or "")
    try:
        assert_at_head(db.engine)
        with db.read_session() as s:
            tb = ledger.trial_balance(s)
            tb["unbalanced_entries"] = ledger.unbalanced_entries(s)
        return tb
    finally:
        db.dispose()
