"""The caller's cart (one per learner, one line per course) and price quotes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from apps_api.deps import Principal, ReadSessionDep, SessionDep, require_permission
from apps_api.schemas import CartItemIn, CartLine, CartOut, QuoteIn, QuoteOut
from apps_api.services import commerce

router = APIRouter(prefix="/cart", tags=["cart"])
Buyer = Annotated[Principal, Depends(require_permission("cart:write"))]


def _view(session, learner_id: str) -> CartOut:
    cart = commerce.get_cart(session, learner_id)
    courses = commerce.cart_courses(session, cart)
    return CartOut(id=cart.id if cart else None,
                   items=[CartLine(course_id=c.id, title=c.title, price_minor=c.price_minor, currency=c.currency)
                          for c in courses],
                   subtotal_minor=sum(c.price_minor for c in courses),
                   currency=courses[0].currency if courses else None)


@router.get("", response_model=CartOut)
def get_cart(user: Buyer, session: ReadSessionDep) -> CartOut:
    return _view(session, user.id)


@router.post("/items", status_code=201, response_model=CartOut)
def add_item(body: CartItemIn, user: Buyer, session: SessionDep) -> CartOut:
    commerce.add_to_cart(session, user.id, body.course_id)
    session.commit()
    return _view(session, user.id)


@router.delete("/items/{course_id}", response_model=CartOut)
def remove_item(course_id: Annotated[str, Path(min_length=1, max_length=40)], user: Buyer,
                session: SessionDep) -> CartOut:
    commerce.remove_from_cart(session, user.id, course_id)
    session.commit()
    return _view(session, user.id)


@router.post("/quote", response_model=QuoteOut)
def quote(body: QuoteIn, user: Buyer, session: ReadSessionDep) -> QuoteOut:
    q = commerce.quote(session, user.id, body.coupon_code)
    return QuoteOut(subtotal_minor=q.subtotal_minor, discount_minor=q.discount_minor, total_minor=q.total_minor,
                    currency=q.currency, coupon_code=q.coupon.code if q.coupon else None)
