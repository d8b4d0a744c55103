"""Coupon administration (admins create; anyone logged in can get a quote via /cart/quote)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from apps_api.db import new_id
from apps_api.deps import Principal, ReadSessionDep, SessionDep, require_permission
from apps_api.errors import ApiError
from apps_api.models import Coupon
from apps_api.schemas import CouponIn, CouponOut

router = APIRouter(prefix="/coupons", tags=["coupons"])
Admin = Annotated[Principal, Depends(require_permission("coupon:write"))]


@router.post("", status_code=201, response_model=CouponOut)
def create_coupon(body: CouponIn, _user: Admin, session: SessionDep) -> CouponOut:
    if body.kind == "percent" and (body.percent_off is None or body.amount_off_minor is not None):
        raise ApiError(422, "percent coupons need percent_off (1-100) and no amount_off_minor")
    if body.kind == "fixed" and (body.amount_off_minor is None or body.currency is None
                                 or body.percent_off is not None):
        raise ApiError(422, "fixed coupons need amount_off_minor and currency, and no percent_off")
    if session.scalar(select(Coupon.id).where(Coupon.code == body.code)) is not None:
        raise ApiError(409, f"coupon {body.code} already exists")
    coupon = Coupon(id=new_id("cpn"), **body.model_dump())
    session.add(coupon)
    try:
        session.commit()
    except IntegrityError:
        raise ApiError(409, f"coupon {body.code} already exists") from None
    return CouponOut.model_validate(coupon)


@router.get("", response_model=list[CouponOut])
def list_coupons(_user: Admin, session: ReadSessionDep) -> list[CouponOut]:
    return [CouponOut.model_validate(c) for c in session.scalars(select(Coupon).order_by(Coupon.id))]
