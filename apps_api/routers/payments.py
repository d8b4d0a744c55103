"""Payments: read (owner or admin) and refunds (admin, idempotent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select

from apps_api.deps import CurrentUser, Principal, ReadSessionDep, StateDep, require_permission
from apps_api.errors import ApiError
from apps_api.models import Payment
from apps_api.routers._idem import IdempotencyKey, idempotent_response
from apps_api.schemas import PaymentOut, RefundIn
from apps_api.services import payments

router = APIRouter(tags=["payments"])
Id = Annotated[str, Path(min_length=1, max_length=40)]


@router.get("/payments", response_model=list[PaymentOut])
def my_payments(user: CurrentUser, session: ReadSessionDep) -> list[PaymentOut]:
    rows = session.scalars(select(Payment).where(Payment.learner_id == user.id).order_by(Payment.id.desc()))
    return [PaymentOut.model_validate(r) for r in rows]


@router.get("/payments/{payment_id}", response_model=PaymentOut)
def get_payment(payment_id: Id, user: CurrentUser, session: ReadSessionDep) -> PaymentOut:
    pay = session.get(Payment, payment_id)
    if pay is None or (pay.learner_id != user.id and not user.can("order:read:any")):
        raise ApiError(404, f"payment {payment_id} not found")
    return PaymentOut.model_validate(pay)


@router.post("/payments/{payment_id}/refunds", status_code=201, response_model=PaymentOut)
async def create_refund(payment_id: Id, body: RefundIn, request: Request, state: StateDep,
                        user: Annotated[Principal, Depends(require_permission("payment:refund"))],
                        idempotency_key: IdempotencyKey):
    """Full (no amount) or partial refund; never above what was captured."""
    data = body.model_dump(mode="json")
    return await idempotent_response(
        state, request, user.id, idempotency_key, data,
        lambda: payments.refund(state, payment_id, data["amount_minor"], data["reason"], user.id))


@router.post("/payments/{payment_id}/authenticate", response_model=PaymentOut)
async def authenticate(payment_id: Id, state: StateDep, user: CurrentUser) -> PaymentOut:
    """The learner passed the step-up a fraud rule asked for (3-D Secure / OTP with the
    processor, simulated here): the payment is captured."""
    from fastapi.concurrency import run_in_threadpool

    await run_in_threadpool(payments.complete_step_up, state, user.id, payment_id)
    return PaymentOut.model_validate(payments.payment_view(state, payment_id))
