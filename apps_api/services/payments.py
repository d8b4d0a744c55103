"""Checkout, payment processing (fraud check -> simulated capture), reviews and refunds.

Transactions are kept short and never span a network call: (1) create the order
and payment and stage events, (2) ask the fraud scorer, (3) charge the
processor, (4) record the outcome, enrollments, the ledger entry and events in
one transaction. Guards against double capture: one learner's checkouts queue on
a row lock of their cart and take its items exactly once (the deleted-row count
is checked), a course already being paid in another order is refused, an order
accepts a new payment only when none is in flight or captured (row lock on the
order), enrollments are upserts, the ledger's unique ``capture_of`` column allows
one capture entry per payment, and a capture whose recording fails is voided at
the processor so no charge is ever left unrecorded.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from apps_api import ledger
from apps_api.db import new_id, utcnow
from apps_api.deps import is_enrolled
from apps_api.errors import ApiError
from apps_api.fraud import FraudDecision, FraudRequest
from apps_api.models import (
    CartItem,
    CouponRedemption,
    Enrollment,
    Order,
    OrderItem,
    Payment,
    Refund,
    User,
)
from apps_api.outbox import emit
from apps_api.processor import ChargeResult
from apps_api.services import fraud_rules
from apps_api.services.commerce import lock_cart, quote
from apps_api.state import AppState

log = logging.getLogger("apps_api.payments")
REVIEW_CLAIM_TTL = timedelta(minutes=30)  # an analyst's claim on a case lapses after this


def case_open_to(analyst_id: str | None, now: datetime) -> ColumnElement[bool]:
    """SQL condition: nobody holds a live claim on the payment, or ``analyst_id`` holds it."""
    unclaimed = Payment.review_claimed_by.is_(None) | (Payment.review_claimed_at < now - REVIEW_CLAIM_TTL)
    return unclaimed if analyst_id is None else unclaimed | (Payment.review_claimed_by == analyst_id)
IN_FLIGHT = ("created", "pending_review", "requires_action", "captured", "partially_refunded", "refunded")


def _method_ref(payment: dict) -> str:
    if payment["method"] == "card":
        return payment["card_token"]
    if payment["method"] == "upi":
        return payment["vpa"]
    return payment["wallet_id"]


def _new_payment(session: Session, order: Order, method: dict, device_id: str, ip: str,
                 country: str) -> Payment:
    pay = Payment(id=new_id("pay"), order_id=order.id, learner_id=order.learner_id, method=method["method"],
                  method_ref=_method_ref(method), amount_minor=order.total_minor, currency=order.currency,
                  status="created", device_id=device_id, ip=ip, country=country)
    session.add(pay)
    emit(session, "payment.attempted", learner_id=pay.learner_id, payment_id=pay.id, order_id=order.id,
         amount_minor=pay.amount_minor, currency=pay.currency, method=pay.method, device_id=device_id,
         ip=ip, country=country)
    return pay


def _enroll_order(session: Session, order: Order) -> None:
    """Enroll the learner in every course of a paid order, as one upsert per course: two
    orders for one course captured at once must not fail on the unique enrollment after
    the money has moved."""
    for item in order.items:
        upsert_enrollment(session, order.learner_id, item.course_id, source="paid", order_id=order.id)
        emit(session, "enrollment.created", learner_id=order.learner_id, course_id=item.course_id,
             source="paid")


def upsert_enrollment(session: Session, learner_id: str, course_id: str, *, source: str,
                      order_id: str | None) -> None:
    """Insert the enrollment or re-activate the existing one, atomically on both backends."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Enrollment).values(id=new_id("enr"), learner_id=learner_id, course_id=course_id,
                                     source=source, order_id=order_id, status="active", created_at=utcnow())
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Enrollment.learner_id, Enrollment.course_id],
        set_={"status": "active", "source": source, "order_id": order_id}))


def _courses_being_paid(s: Session, learner_id: str, course_ids: list[str]) -> list[str]:
    """Courses of ``course_ids`` in another pending order of this learner whose payment is
    still being decided (created or held for review): paying again would charge twice."""
    rows = s.execute(select(OrderItem.course_id).join(Order, Order.id == OrderItem.order_id)
                     .join(Payment, Payment.order_id == Order.id)
                     .where(Order.learner_id == learner_id, Order.status == "pending",
                            OrderItem.course_id.in_(course_ids),
                            Payment.status.in_(("created", "pending_review", "requires_action"))))
    return sorted({r[0] for r in rows})


def checkout(state: AppState, learner_id: str, body: dict, ip: str) -> tuple[int, dict]:
    """Create an order from the cart and pay it. Returns (status, CheckoutOut-shaped dict)."""
    with state.db.begin() as s:
        user = s.get(User, learner_id)
        if user is None:
            raise ApiError(401, "unknown user; log in again")
        # The cart row lock serializes one learner's checkouts: a second request waits
        # here and then sees the cart the first one emptied.
        cart = lock_cart(s, learner_id)
        q = quote(s, learner_id, body.get("coupon_code"), lock_coupon=True)
        if cart is None or not q.courses:
            raise ApiError(409, "your cart is empty; add a course before checking out")
        owned = [c.id for c in q.courses if is_enrolled(s, learner_id, c.id)]
        if owned:
            raise ApiError(409, f"you are already enrolled in {', '.join(owned)}; remove it from your cart")
        paying = _courses_being_paid(s, learner_id, [c.id for c in q.courses])
        if paying:
            raise ApiError(409, f"a payment for {', '.join(paying)} is already in progress; "
                                "wait for it, or retry that order with POST /api/v1/orders/{order_id}/payments")
        unavailable = [c.id for c in q.courses if c.status != "published"]
        if unavailable:
            raise ApiError(409, f"no longer available: {', '.join(unavailable)}; remove it from your cart")
        order = Order(id=new_id("ord"), learner_id=learner_id, subtotal_minor=q.subtotal_minor,
                      discount_minor=q.discount_minor, total_minor=q.total_minor, currency=q.currency,
                      coupon_code=q.coupon.code if q.coupon else None)
        s.add(order)
        s.flush()
        for course, disc in zip(q.courses, q.item_discounts, strict=True):
            order.items.append(OrderItem(id=new_id("oi"), order_id=order.id, course_id=course.id,
                                         instructor_id=course.instructor_id, title=course.title,
                                         price_minor=course.price_minor, discount_minor=disc,
                                         amount_minor=course.price_minor - disc))
        if q.coupon is not None:
            q.coupon.times_used += 1
            s.add(CouponRedemption(id=new_id("cr"), coupon_id=q.coupon.id, learner_id=learner_id,
                                   order_id=order.id))
        removed = s.execute(CartItem.__table__.delete().where(CartItem.cart_id == cart.id)).rowcount
        if removed != len(q.courses):  # another checkout took these items: charge nothing
            raise ApiError(409, "your cart changed during checkout; review it and try again")
        s.flush()
        emit(s, "order.created", learner_id=learner_id, order_id=order.id,
             course_ids=[i.course_id for i in order.items], amount_minor=order.total_minor,
             currency=order.currency, coupon_code=order.coupon_code or "")
        payment_id = None
        if order.total_minor == 0:  # fully discounted: nothing to charge
            order.status, order.paid_at = "paid", utcnow()
            _enroll_order(s, order)
        else:
            payment_id = _new_payment(s, order, body["payment"], body.get("device_id", "unknown"), ip,
                                      user.country).id
        order_id = order.id
    if payment_id is not None:
        process_payment(state, payment_id)
    return 201, checkout_view(state, order_id, payment_id)


def pay_order(state: AppState, learner_id: str, order_id: str, body: dict, ip: str) -> tuple[int, dict]:
    """Retry payment of a pending order (after a decline or processor timeout)."""
    with state.db.begin() as s:
        order = s.scalar(select(Order).where(Order.id == order_id).with_for_update())
        if order is None or order.learner_id != learner_id:
            raise ApiError(404, f"order {order_id} not found")
        if order.status != "pending":
            raise ApiError(409, f"order {order_id} is {order.status}; only pending orders can be paid")
        busy = s.scalar(select(Payment.id).where(Payment.order_id == order_id, Payment.status.in_(IN_FLIGHT)))
        if busy is not None:
            raise ApiError(409, f"order {order_id} already has payment {busy} in progress or captured")
        user = s.get(User, learner_id)
        payment_id = _new_payment(s, order, body["payment"], body.get("device_id", "unknown"), ip,
                                  user.country if user else "IN").id
    process_payment(state, payment_id)
    return 201, checkout_view(state, order_id, payment_id)


def process_payment(state: AppState, payment_id: str) -> None:
    """Fraud check then capture for a payment in status ``created``."""
    with state.db.read_session() as s:
        pay = s.get(Payment, payment_id)
        assert pay is not None
        req = FraudRequest(learner_id=pay.learner_id, amount_minor=pay.amount_minor, currency=pay.currency,
                           method=pay.method, device_id=pay.device_id, ip=pay.ip, country=pay.country,
                           occurred_at=pay.created_at)
        method, ref, amount, currency = pay.method, pay.method_ref, pay.amount_minor, pay.currency
    model_decision = state.fraud.score(req)
    with state.db.read_session() as s:
        decision = fraud_rules.apply_rules(s, req, model_decision, instrument=ref)
    if decision.decision != "approve":
        with state.db.begin() as s:
            pay = s.get(Payment, payment_id)
            assert pay is not None
            _store_fraud(pay, decision)
            if decision.decision == "decline":
                _declined(s, pay, "blocked_by_rule" if decision.rule else "fraud_declined")
            elif decision.decision == "step_up":
                pay.status = "requires_action"  # the learner re-authenticates, then we capture
            else:
                pay.status = "pending_review"
        return
    charge_and_record(state, payment_id, method, ref, amount, currency, decision)


def complete_step_up(state: AppState, learner_id: str, payment_id: str) -> None:
    """The learner passed the step-up challenge: capture the payment the rule held."""
    with state.db.begin() as s:
        pay = s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
        if pay is None or pay.learner_id != learner_id:
            raise ApiError(404, f"payment {payment_id} not found")
        if pay.status != "requires_action":
            raise ApiError(409, f"payment {payment_id} is {pay.status}; only a payment waiting for "
                                "authentication (requires_action) can be authenticated")
        pay.status, pay.updated_at = "created", utcnow()
        method, ref, amount, currency = pay.method, pay.method_ref, pay.amount_minor, pay.currency
    charge_and_record(state, payment_id, method, ref, amount, currency)


def _store_fraud(pay: Payment, decision: FraudDecision) -> None:
    pay.fraud_probability, pay.fraud_decision = decision.probability, decision.decision
    pay.fraud_reasons, pay.fraud_model_version = decision.reasons, decision.model_version
    pay.fraud_fallback, pay.updated_at = decision.fallback, utcnow()
    pay.fraud_rule, pay.fraud_rule_action = decision.rule, decision.rule_action


def charge_and_record(state: AppState, payment_id: str, method: str, ref: str, amount: int,
                      currency: str, decision: FraudDecision | None = None) -> None:
    result = state.processor.charge(method, ref, amount, currency)
    try:
        with state.db.begin() as s:
            pay = s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
            assert pay is not None
            if decision is not None:
                _store_fraud(pay, decision)
            _record_charge(s, state, pay, result)
    except BaseException:
        if result.status == "captured":
            _void_unrecorded(state, payment_id, result, amount)
        raise


def _void_unrecorded(state: AppState, payment_id: str, result: ChargeResult, amount: int) -> None:
    """The charge went through but recording it failed: give the money back at once and
    mark the payment failed, so no learner is ever charged without an order to show."""
    log.error("recording a capture failed; voiding it", extra={"payment_id": payment_id})
    state.processor.refund(result.processor_ref or "", amount)
    try:
        with state.db.begin() as s:
            pay = s.get(Payment, payment_id)
            if pay is not None and pay.status == "created":
                pay.status, pay.failure_code, pay.updated_at = "failed", "capture_voided", utcnow()
    except Exception:
        log.exception("could not mark voided payment", extra={"payment_id": payment_id})


def _declined(s: Session, pay: Payment, code: str) -> None:
    pay.status = "failed" if code == "processor_timeout" else "declined"
    pay.failure_code, pay.updated_at = code, utcnow()
    emit(s, "payment.declined", learner_id=pay.learner_id, payment_id=pay.id, order_id=pay.order_id,
         amount_minor=pay.amount_minor, currency=pay.currency, method=pay.method, device_id=pay.device_id,
         ip=pay.ip, country=pay.country, reason=code, fraud_score=pay.fraud_probability)


def _record_charge(s: Session, state: AppState, pay: Payment, result: ChargeResult) -> None:
    if pay.status != "created":  # already recorded (defensive; never double-capture)
        return
    if result.status != "captured":
        _declined(s, pay, result.code or "declined")
        return
    order = s.get(Order, pay.order_id)
    assert order is not None
    pay.status, pay.captured_minor, pay.processor_ref, pay.updated_at = (
        "captured", pay.amount_minor, result.processor_ref, utcnow())
    order.status, order.paid_at = "paid", utcnow()
    fee, payable = ledger.split_capture([(i.instructor_id, i.amount_minor) for i in order.items],
                                        state.config.platform_fee_bps)
    ledger.post_entry(s, kind="capture", currency=pay.currency, payment_id=pay.id,
                      lines=ledger.capture_lines(pay.amount_minor, fee, payable),
                      memo=f"capture of order {order.id}")
    _enroll_order(s, order)
    emit(s, "payment.authorized", learner_id=pay.learner_id, payment_id=pay.id, order_id=order.id,
         amount_minor=pay.amount_minor, currency=pay.currency, method=pay.method, device_id=pay.device_id,
         ip=pay.ip, country=pay.country, fraud_score=pay.fraud_probability, decision=pay.fraud_decision or "")
    emit(s, "order.paid", learner_id=pay.learner_id, order_id=order.id, payment_id=pay.id,
         amount_minor=pay.amount_minor, currency=pay.currency)


def review_payment(state: AppState, payment_id: str, decision: str, *, reviewer_id: str = "",
                   note: str = "") -> None:
    """Analyst decision on a payment held for review: approve -> capture, decline -> declined.

    Refused (409) while another analyst holds the case (see ``review_queue.claim``). The
    decision is recorded on the payment and emitted as ``payment.reviewed``: the fraud
    label (decline = fraud) the next training run reads, effective from this moment.
    """
    now = utcnow()
    with state.db.begin() as s:
        claimed = s.execute(update(Payment).where(Payment.id == payment_id, Payment.status == "pending_review",
                                                  case_open_to(reviewer_id, now))
                            .values(status="created" if decision == "approve" else "pending_review",
                                    reviewed_by=reviewer_id or None, reviewed_at=now, review_decision=decision,
                                    review_note=note or None, updated_at=now))
        pay = s.get(Payment, payment_id)
        if pay is None:
            raise ApiError(404, f"payment {payment_id} not found")
        if claimed.rowcount != 1:
            if pay.status == "pending_review":
                raise ApiError(409, f"payment {payment_id} is claimed by {pay.review_claimed_by}; "
                                    "leave it to them or wait for the claim to expire")
            raise ApiError(409, f"payment {payment_id} is {pay.status}; only pending_review can be reviewed")
        emit(s, "payment.reviewed", occurred_at=now, learner_id=pay.learner_id, payment_id=pay.id,
             order_id=pay.order_id, amount_minor=pay.amount_minor, currency=pay.currency, method=pay.method,
             device_id=pay.device_id, ip=pay.ip, country=pay.country, decision=decision,
             is_fraud=1 if decision == "decline" else 0)
        if decision == "decline":
            _declined(s, pay, "declined_in_review")
            return
        method, ref, amount, currency = pay.method, pay.method_ref, pay.amount_minor, pay.currency
    charge_and_record(state, payment_id, method, ref, amount, currency)


def refund(state: AppState, payment_id: str, amount: int | None, reason: str, actor_id: str) -> tuple[int, dict]:
    with state.db.begin() as s:
        pay = s.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
        if pay is None:
            raise ApiError(404, f"payment {payment_id} not found")
        if pay.status not in ("captured", "partially_refunded"):
            raise ApiError(409, f"payment {payment_id} is {pay.status}; only captured payments can be refunded")
        refundable = pay.captured_minor - pay.refunded_minor
        amount = refundable if amount is None else amount
        if amount > refundable:
            raise ApiError(409, f"refund of {amount} exceeds the refundable {refundable} minor units")
        state.processor.refund(pay.processor_ref or "", amount)
        rf = Refund(id=new_id("rf"), payment_id=pay.id, amount_minor=amount, reason=reason, created_by=actor_id)
        s.add(rf)
        s.flush()
        ledger.post_entry(s, kind="refund", currency=pay.currency, payment_id=pay.id, refund_id=rf.id,
                          lines=ledger.refund_lines(s, pay.id, amount), memo=f"refund {rf.id}")
        pay.refunded_minor += amount
        full = pay.refunded_minor == pay.captured_minor
        pay.status, pay.updated_at = ("refunded" if full else "partially_refunded"), utcnow()
        order = s.get(Order, pay.order_id)
        assert order is not None
        order.status = "refunded" if full else "partially_refunded"
        if full:
            s.execute(update(Enrollment).where(Enrollment.order_id == order.id).values(status="revoked"))
        emit(s, "order.refunded", learner_id=pay.learner_id, order_id=order.id, payment_id=pay.id,
             amount_minor=amount, currency=pay.currency, reason=reason)
        s.flush()
        s.refresh(pay)
    return 201, payment_view(state, payment_id)


def payment_view(state: AppState, payment_id: str) -> dict:
    from apps_api.schemas import PaymentOut

    with state.db.read_session() as s:
        pay = s.get(Payment, payment_id)
        return PaymentOut.model_validate(pay).model_dump(mode="json")


def checkout_view(state: AppState, order_id: str, payment_id: str | None) -> dict:
    from apps_api.schemas import OrderOut, PaymentOut

    with state.db.read_session() as s:
        order = s.get(Order, order_id)
        pay = s.get(Payment, payment_id) if payment_id else None
        return {"order": OrderOut.model_validate(order).model_dump(mode="json"),
                "payment": PaymentOut.model_validate(pay).model_dump(mode="json") if pay else None}
