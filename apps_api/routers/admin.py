"""Admin: ledger (trial balance, entries), payment review, outbox relay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from apps_api import ledger
from apps_api.deps import Principal, ReadSessionDep, StateDep, require_permission
from apps_api.models import JournalEntry
from apps_api.routers.courses import decode_cursor, encode_cursor
from apps_api.schemas import EntryPage, JournalEntryOut, OutboxRelayOut, PaymentOut, ReviewIn, TrialBalance
from apps_api.services import payments
from suuupra.errors import ServiceUnavailable

router = APIRouter(prefix="/admin", tags=["admin"])
LedgerReader = Annotated[Principal, Depends(require_permission("ledger:read"))]


@router.get("/ledger/trial-balance", response_model=TrialBalance)
def trial_balance(_user: LedgerReader, session: ReadSessionDep) -> TrialBalance:
    """Per-account derived balances; total debits equal total credits per currency."""
    return TrialBalance.model_validate(ledger.trial_balance(session))


@router.get("/ledger/entries", response_model=EntryPage)
def entries(_user: LedgerReader, session: ReadSessionDep,
            payment_id: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50,
            cursor: Annotated[str | None, Query(max_length=80)] = None) -> EntryPage:
    stmt = select(JournalEntry).order_by(JournalEntry.id)
    if payment_id:
        stmt = stmt.where(JournalEntry.payment_id == payment_id)
    if cursor:
        stmt = stmt.where(JournalEntry.id > decode_cursor(cursor))
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return EntryPage(items=[JournalEntryOut.model_validate(r) for r in rows],
                     next_cursor=encode_cursor(rows[-1].id) if more and rows else None)


@router.post("/payments/{payment_id}/review", response_model=PaymentOut)
async def review(payment_id: Annotated[str, Path(min_length=1, max_length=40)], body: ReviewIn,
                 state: StateDep, user: Annotated[Principal, Depends(require_permission("payment:review"))]
                 ) -> PaymentOut:
    """Approve (capture) or decline a payment the fraud check held for review (the queue's
    ``/admin/fraud/reviews/{id}/decision`` does the same, with claims)."""
    await run_in_threadpool(payments.review_payment, state, payment_id, body.decision, reviewer_id=user.id,
                            note=body.note)
    return PaymentOut.model_validate(payments.payment_view(state, payment_id))


@router.post("/outbox/relay", response_model=OutboxRelayOut)
async def relay(state: StateDep, _user: Annotated[Principal, Depends(require_permission("outbox:relay"))]
                ) -> OutboxRelayOut:
    """Publish pending outbox events to the event log now."""
    from apps_api.outbox import relay_all
    from suuupra.eventlog import open_event_log

    try:
        published = await run_in_threadpool(relay_all, state.db, open_event_log(state.settings))
    except SQLAlchemyError:
        raise
    except Exception as exc:  # the broker or lake refused the batch; rows stay pending
        raise ServiceUnavailable("event log", f"the event log refused the batch ({exc}); the events stay "
                                              "pending, retry shortly") from exc
    return OutboxRelayOut(published=published)
