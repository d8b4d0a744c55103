"""The review queue: payments the fraud check held, worked by analysts.

Analysts list the open cases (filtered by country, method, rule or minimum score; sorted by
risk or by age), claim one so two analysts never work the same case, and decide it with a
note through :func:`apps_api.services.payments.review_payment`. A claim lapses after
``REVIEW_CLAIM_TTL`` so a case is never stuck behind an analyst who went home. The
queue's size and the age of its oldest case are Prometheus gauges read from the database
at scrape time (:class:`ReviewQueueCollector`), so every API process reports the same
numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from apps_api.db import Database, utcnow
from apps_api.errors import ApiError
from apps_api.models import Payment
from apps_api.services.payments import REVIEW_CLAIM_TTL, case_open_to

log = logging.getLogger("apps_api.review_queue")
Sort = Literal["risk", "age"]


def open_cases(session: Session, *, sort: Sort = "risk", country: str | None = None, method: str | None = None,
               rule: str | None = None, min_score: float | None = None, unclaimed_only: bool = False,
               limit: int = 50, offset: int = 0) -> tuple[list[Payment], int]:
    """(page of payments in review, total matching) — riskiest or oldest first."""
    where = [Payment.status == "pending_review"]
    if country:
        where.append(Payment.country == country)
    if method:
        where.append(Payment.method == method)
    if rule:
        where.append(Payment.fraud_rule == rule)
    if min_score is not None:
        where.append(Payment.fraud_probability >= min_score)
    if unclaimed_only:
        where.append(case_open_to(None, utcnow()))
    # unscored (fallback) cases count as risky: the model could not vouch for them
    risk = func.coalesce(Payment.fraud_probability, 1.0)
    order = ((risk.desc(), Payment.created_at.asc()) if sort == "risk" else (Payment.created_at.asc(), risk.desc()))
    rows = list(session.scalars(select(Payment).where(*where).order_by(*order, Payment.id).limit(limit)
                                .offset(offset)))
    total = session.scalar(select(func.count()).select_from(Payment).where(*where)) or 0
    return rows, int(total)


def claim(session: Session, payment_id: str, analyst_id: str) -> Payment:
    """Take a case; 409 while another analyst's claim is live."""
    now = utcnow()
    took = session.execute(update(Payment).where(Payment.id == payment_id, Payment.status == "pending_review",
                                                 case_open_to(analyst_id, now))
                           .values(review_claimed_by=analyst_id, review_claimed_at=now)).rowcount
    pay = session.get(Payment, payment_id)
    if pay is None:
        raise ApiError(404, f"payment {payment_id} not found")
    if took != 1:
        if pay.status != "pending_review":
            raise ApiError(409, f"payment {payment_id} is {pay.status}; it is not in the review queue")
        raise ApiError(409, f"payment {payment_id} is claimed by {pay.review_claimed_by}")
    session.refresh(pay)
    return pay


def release(session: Session, payment_id: str, analyst_id: str) -> None:
    """Give a claimed case back to the queue."""
    gone = session.execute(update(Payment).where(Payment.id == payment_id, Payment.status == "pending_review",
                                                 Payment.review_claimed_by == analyst_id)
                           .values(review_claimed_by=None, review_claimed_at=None)).rowcount
    if gone != 1:
        raise ApiError(409, f"you hold no claim on payment {payment_id}")


def queue_stats(session: Session, now: datetime | None = None) -> dict[str, float | int]:
    """Open cases, claimed cases and the oldest case's age in seconds."""
    now = now or utcnow()
    open_q = select(func.count(), func.min(Payment.created_at)).where(Payment.status == "pending_review")
    size, oldest = session.execute(open_q).one()
    claimed = session.scalar(select(func.count()).select_from(Payment).where(
        Payment.status == "pending_review", Payment.review_claimed_by.is_not(None),
        Payment.review_claimed_at >= now - REVIEW_CLAIM_TTL)) or 0
    if isinstance(oldest, str):  # SQLite aggregates bypass the column type
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return {"open": int(size or 0), "claimed": int(claimed), "oldest_age_s": float(max(age, 0.0))}


class ReviewQueueCollector(Collector):
    """``fraud_review_queue_size`` and ``fraud_review_queue_oldest_age_seconds`` at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.db.read_session() as s:
                stats = queue_stats(s)
        except SQLAlchemyError:
            log.exception("review queue metrics unavailable")
            return
        size = GaugeMetricFamily("fraud_review_queue_size", "Payments waiting for a fraud review",
                                 labels=["state"])
        size.add_metric(["open"], stats["open"])
        size.add_metric(["claimed"], stats["claimed"])
        yield size
        yield GaugeMetricFamily("fraud_review_queue_oldest_age_seconds",
                                "Age of the oldest payment waiting for review", value=stats["oldest_age_s"])
