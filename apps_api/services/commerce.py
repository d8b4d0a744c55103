"""Cart, coupons and pricing. All amounts are integer minor units."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from apps_api.db import new_id, utcnow
from apps_api.deps import is_enrolled
from apps_api.errors import ApiError
from apps_api.models import Cart, CartItem, Coupon, CouponRedemption, Course
from apps_api.outbox import emit


def get_cart(session: Session, learner_id: str) -> Cart | None:
    return session.scalar(select(Cart).where(Cart.learner_id == learner_id))


def lock_cart(session: Session, learner_id: str) -> Cart | None:
    """The learner's cart, row-locked for the rest of the transaction (``FOR UPDATE`` on
    PostgreSQL; SQLite's writers are serialized already), with its items re-read after
    the lock so they reflect any checkout that committed while we waited."""
    return session.scalar(select(Cart).where(Cart.learner_id == learner_id).with_for_update()
                          .execution_options(populate_existing=True))


def cart_courses(session: Session, cart: Cart | None) -> list[Course]:
    if cart is None or not cart.items:
        return []
    ids = [item.course_id for item in cart.items]
    by_id = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def add_to_cart(session: Session, learner_id: str, course_id: str) -> Cart:
    course = session.get(Course, course_id)
    if course is None or course.status != "published":
        raise ApiError(404, f"course {course_id} not found or not published")
    if course.price_minor == 0:
        raise ApiError(409, "this course is free: enroll with POST /api/v1/courses/{id}/enroll")
    if course.instructor_id == learner_id:
        raise ApiError(409, "you cannot buy your own course")
    if is_enrolled(session, learner_id, course_id):
        raise ApiError(409, "you are already enrolled in this course")
    cart = get_cart(session, learner_id)
    created = cart is None
    if cart is None:
        cart = Cart(id=new_id("cart"), learner_id=learner_id)
        session.add(cart)
        session.flush()
    existing = cart_courses(session, cart)
    if any(c.id == course_id for c in existing):
        raise ApiError(409, "this course is already in your cart (one per course)")
    if existing and existing[0].currency != course.currency:
        raise ApiError(409, f"cart is in {existing[0].currency}; this course is priced in {course.currency}")
    cart.items.append(CartItem(id=new_id("ci"), cart_id=cart.id, course_id=course_id))
    try:
        session.flush()
    except IntegrityError:
        raise ApiError(409, "this course is already in your cart (one per course)") from None
    if created:
        emit(session, "cart.created", learner_id=learner_id, cart_id=cart.id, course_ids=[course_id])
    return cart


def remove_from_cart(session: Session, learner_id: str, course_id: str) -> None:
    cart = get_cart(session, learner_id)
    item = next((i for i in (cart.items if cart else []) if i.course_id == course_id), None)
    if item is None:
        raise ApiError(404, f"course {course_id} is not in your cart")
    assert cart is not None
    cart.items.remove(item)


@dataclass
class Quote:
    courses: list[Course]
    subtotal_minor: int
    discount_minor: int
    total_minor: int
    currency: str | None
    coupon: Coupon | None
    item_discounts: list[int]


def coupon_discount(coupon: Coupon, subtotal: int) -> int:
    if coupon.kind == "percent":
        return subtotal * int(coupon.percent_off or 0) // 100
    return min(int(coupon.amount_off_minor or 0), subtotal)


def validate_coupon(session: Session, coupon: Coupon | None, code: str, learner_id: str, subtotal: int,
                    currency: str | None) -> Coupon:
    if coupon is None or not coupon.active:
        raise ApiError(422, f"coupon {code} does not exist or is inactive")
    if coupon.expires_at is not None and coupon.expires_at <= utcnow():
        raise ApiError(422, f"coupon {code} expired at {coupon.expires_at.isoformat()}")
    if coupon.kind == "fixed" and coupon.currency and currency and coupon.currency != currency:
        raise ApiError(422, f"coupon {code} is for {coupon.currency} carts")
    if subtotal < coupon.min_amount_minor:
        raise ApiError(422, f"coupon {code} needs a subtotal of at least {coupon.min_amount_minor} minor units")
    if coupon.max_uses is not None and coupon.times_used >= coupon.max_uses:
        raise ApiError(422, f"coupon {code} has been used up")
    if coupon.per_user_limit is not None:
        used = session.scalar(select(func.count()).select_from(CouponRedemption).where(
            CouponRedemption.coupon_id == coupon.id, CouponRedemption.learner_id == learner_id)) or 0
        if used >= coupon.per_user_limit:
            raise ApiError(422, f"you have already used coupon {code} the maximum number of times")
    return coupon


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; sums exactly)."""
    wsum = sum(weights)
    if wsum == 0 or total == 0:
        return [0] * len(weights)
    base = [total * w // wsum for w in weights]
    rema = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % wsum), i))
    for i in rema[: total - sum(base)]:
        base[i] += 1
    return base


def quote(session: Session, learner_id: str, coupon_code: str | None, *, lock_coupon: bool = False) -> Quote:
    courses = cart_courses(session, get_cart(session, learner_id))
    subtotal = sum(c.price_minor for c in courses)
    currency = courses[0].currency if courses else None
    coupon = None
    discount = 0
    if coupon_code:
        stmt = select(Coupon).where(Coupon.code == coupon_code.upper())
        if lock_coupon:
            stmt = stmt.with_for_update()
        coupon = validate_coupon(session, session.scalar(stmt), coupon_code, learner_id, subtotal, currency)
        discount = coupon_discount(coupon, subtotal)
    return Quote(courses, subtotal, discount, subtotal - discount, currency, coupon,
                 allocate(discount, [c.price_minor for c in courses]))
