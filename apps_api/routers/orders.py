"""Checkout (cart -> order + payment) and the caller's orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select

from apps_api.deps import CurrentUser, Principal, ReadSessionDep, StateDep, require_permission
from apps_api.errors import ApiError
from apps_api.models import Order
from apps_api.routers._idem import IdempotencyKey, client_ip, idempotent_response
from apps_api.schemas import CheckoutIn, CheckoutOut, OrderOut, PayIn
from apps_api.services import payments

router = APIRouter(tags=["orders"])
Buyer = Annotated[Principal, Depends(require_permission("order:create"))]
Id = Annotated[str, Path(min_length=1, max_length=40)]


@router.post("/checkout", status_code=201, response_model=CheckoutOut)
async def checkout(body: CheckoutIn, request: Request, user: Buyer, state: StateDep,
                   idempotency_key: IdempotencyKey):
    """Create an order from the cart and charge it. Safe to retry with the same Idempotency-Key."""
    data = body.model_dump(mode="json")
    ip = client_ip(request)
    return await idempotent_response(state, request, user.id, idempotency_key, data,
                                     lambda: payments.checkout(state, user.id, data, ip))


@router.post("/orders/{order_id}/payments", status_code=201, response_model=CheckoutOut)
async def pay_order(order_id: Id, body: PayIn, request: Request, user: Buyer, state: StateDep,
                    idempotency_key: IdempotencyKey):
    """Retry payment of a pending order (after a decline or a processor timeout)."""
    data = body.model_dump(mode="json")
    ip = client_ip(request)
    return await idempotent_response(state, request, user.id, idempotency_key, data,
                                     lambda: payments.pay_order(state, user.id, order_id, data, ip))


@router.get("/orders", response_model=list[OrderOut])
def my_orders(user: CurrentUser, session: ReadSessionDep) -> list[OrderOut]:
    rows = session.scalars(select(Order).where(Order.learner_id == user.id).order_by(Order.id.desc()))
    return [OrderOut.model_validate(r) for r in rows]


@router.get("/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: Id, user: CurrentUser, session: ReadSessionDep) -> OrderOut:
    order = session.get(Order, order_id)
    if order is None or (order.learner_id != user.id and not user.can("order:read:any")):
        raise ApiError(404, f"order {order_id} not found")
    return OrderOut.model_validate(order)
