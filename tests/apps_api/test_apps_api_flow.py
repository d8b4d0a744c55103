"""End-to-end flows through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select


def test_catalog_filters_and_cursor_pagination(api):
    api.user("ins", "instructor")
    for i in range(5):
        api.course("ins", title=f"Python {i}", tags=["python"] if i % 2 == 0 else ["sql"])
    api.course("ins", title="Algebra", category="mathematics", level="advanced", tags=["algebra"], price=0)
    api.course("ins", title="Draft course", publish=False)

    page = api.req("GET", "/courses", params={"limit": 2}, expect=200).json()
    seen = [c["id"] for c in page["items"]]
    while page["next_cursor"]:
        page = api.req("GET", "/courses", params={"limit": 2, "cursor": page["next_cursor"]}, expect=200).json()
        seen += [c["id"] for c in page["items"]]
    assert len(seen) == 6 and len(set(seen)) == 6 and seen == sorted(seen)  # drafts hidden, no dupes

    tagged = api.req("GET", "/courses", params={"tag": "python", "limit": 2}, expect=200).json()
    assert [c["title"] for c in tagged["items"]] == ["Python 0", "Python 2"] and tagged["next_cursor"]
    rest = api.req("GET", "/courses", params={"tag": "python", "cursor": tagged["next_cursor"]}).json()
    assert [c["title"] for c in rest["items"]] == ["Python 4"]
    assert [c["title"] for c in api.req("GET", "/courses", params={"category": "mathematics"}).json()["items"]] \
        == ["Algebra"]
    assert len(api.req("GET", "/courses", params={"free": True}).json()["items"]) == 1
    assert len(api.req("GET", "/courses", params={"q": "PYTHON 3"}).json()["items"]) == 1
    bad = api.req("GET", "/courses", params={"cursor": "!!!notbase64"}, expect=400)
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_content_access_free_enrollment_and_progress(api):
    api.user("ins", "instructor")
    api.user("ann")
    free = api.course("ins", price=0, preview=True)
    paid = api.course("ins", preview=True)
    detail = api.req("GET", f"/courses/{paid['course']}", expect=200).json()
    lessons = detail["modules"][0]["lessons"]
    preview = next(x for x in lessons if x["is_free_preview"])
    locked = next(x for x in lessons if not x["is_free_preview"])
    api.req("GET", f"/lessons/{preview['id']}", expect=200)  # anonymous free preview
    api.req("GET", f"/lessons/{locked['id']}", expect=401)
    api.req("GET", f"/lessons/{locked['id']}", "ann", expect=403)
    api.req("POST", f"/courses/{paid['course']}/enroll", "ann", expect=409)  # paid: use checkout
    api.req("PUT", f"/lessons/{free['lesson']}/progress", "ann", json={"position_s": 5}, expect=403)
    api.req("POST", f"/courses/{free['course']}/enroll", "ann", expect=201)
    api.req("POST", f"/courses/{free['course']}/enroll", "ann", expect=409)
    p = api.req("PUT", f"/lessons/{free['lesson']}/progress", "ann",
                json={"position_s": 60, "seconds_watched": 60, "completed": True}, expect=200).json()
    assert p["completed"] and p["position_s"] == 60
    assert len(api.req("GET", "/me/progress", "ann", expect=200).json()) == 1
    # draft workflow: a draft is invisible to others, visible to its instructor
    draft = api.course("ins", publish=False)
    api.req("GET", f"/courses/{draft['course']}", "ann", expect=404)
    api.req("GET", f"/courses/{draft['course']}", "ins", expect=200)


def test_purchase_coupon_refunds_and_ledger(api):
    from apps_api import ledger

    api.user("ins", "instructor")
    api.user("ann")
    api.user("boss", "admin")
    c1 = api.course("ins", price=100_000)
    api.req("POST", "/coupons", "boss", expect=201, json={
        "code": "TENOFF", "kind": "percent", "percent_off": 10, "max_uses": 5, "per_user_limit": 1,
        "min_amount_minor": 50_000, "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
    api.req("POST", "/cart/items", "ann", json={"course_id": c1["course"]}, expect=201)
    api.req("POST", "/cart/items", "ann", json={"course_id": c1["course"]}, expect=409)  # one per course
    q = api.req("POST", "/cart/quote", "ann", json={"coupon_code": "TENOFF"}, expect=200).json()
    assert (q["subtotal_minor"], q["discount_minor"], q["total_minor"]) == (100_000, 10_000, 90_000)
    api.req("POST", "/cart/quote", "ann", json={"coupon_code": "NOPE"}, expect=422)
    out = api.req("POST", "/checkout", "ann", json={"payment": {"method": "upi", "vpa": "ann@okbank"},
                                                    "coupon_code": "TENOFF"},
                  headers={"Idempotency-Key": "k1"}, expect=201).json()
    pay = out["payment"]
    assert out["order"]["status"] == "paid" and pay["status"] == "captured" and pay["amount_minor"] == 90_000
    assert pay["fraud_fallback"] is True and pay["fraud_decision"] == "approve"  # scorer down: fallback
    assert api.req("GET", "/me/enrollments", "ann").json()[0]["course_id"] == c1["course"]
    api.req("GET", f"/lessons/{c1['lesson']}", "ann", expect=200)

    tb = api.req("GET", "/admin/ledger/trial-balance", "boss", expect=200).json()
    bal = {a["account"]: a["balance_minor"] for a in tb["accounts"]}
    assert tb["balanced"] and bal == {"learner_funds": 90_000, "platform_revenue": 13_500,
                                      f"instructor_payable:{api.ids['ins']}": 76_500}

    pid = pay["id"]
    r1 = api.req("POST", f"/payments/{pid}/refunds", "boss", json={"amount_minor": 30_001},
                 headers={"Idempotency-Key": "r1"}, expect=201).json()
    assert r1["status"] == "partially_refunded" and r1["refunded_minor"] == 30_001
    api.req("POST", f"/payments/{pid}/refunds", "boss", json={"amount_minor": 60_000},
            headers={"Idempotency-Key": "r2"}, expect=409)  # 30_001 + 60_000 > 90_000
    r3 = api.req("POST", f"/payments/{pid}/refunds", "boss", json={},
                 headers={"Idempotency-Key": "r3"}, expect=201).json()
    assert r3["status"] == "refunded" and r3["refunded_minor"] == 90_000
    tb = api.req("GET", "/admin/ledger/trial-balance", "boss").json()
    assert tb["balanced"] and all(a["balance_minor"] == 0 for a in tb["accounts"]) and tb["entries"] == 3
    assert api.req("GET", f"/orders/{out['order']['id']}", "ann").json()["status"] == "refunded"
    api.req("GET", f"/lessons/{c1['lesson']}", "ann", expect=403)  # enrollment revoked on full refund
    with api.state.db.read_session() as s:
        assert ledger.unbalanced_entries(s) == []


def test_idempotency_replay_and_conflict(api):
    from apps_api.models import Order, Payment

    api.user("ins", "instructor")
    api.user("ann")
    c = api.course("ins")
    api.req("POST", "/cart/items", "ann", json={"course_id": c["course"]}, expect=201)
    body = {"payment": {"method": "card", "card_token": "tok_visa"}}
    first = api.req("POST", "/checkout", "ann", json=body, headers={"Idempotency-Key": "same"}, expect=201)
    again = api.req("POST", "/checkout", "ann", json=body, headers={"Idempotency-Key": "same"}, expect=201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = api.req("POST", "/checkout", "ann", json={"payment": {"method": "wallet", "wallet_id": "wal_1"}},
                    headers={"Idempotency-Key": "same"}, expect=409)
    assert "different request" in other.json()["detail"]
    api.req("POST", "/checkout", "ann", json=body, expect=422)  # key is required
    with api.state.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
    assert api.state.processor.charges == 1


def test_declines_timeouts_and_retry_payment(api):
    api.user("ins", "instructor")
    api.user("ann")
    c = api.course("ins")
    out = api.buy("ann", c["course"], method={"method": "card", "card_token": "tok_decline"})
    assert out["payment"]["status"] == "declined" and out["order"]["status"] == "pending"
    order_id = out["order"]["id"]
    t = api.req("POST", f"/orders/{order_id}/payments", "ann", headers={"Idempotency-Key": "p2"}, expect=201,
                json={"payment": {"method": "upi", "vpa": "timeout@bank"}}).json()
    assert t["payment"]["status"] == "failed" and t["payment"]["failure_code"] == "processor_timeout"
    ok = api.req("POST", f"/orders/{order_id}/payments", "ann", headers={"Idempotency-Key": "p3"}, expect=201,
                 json={"payment": {"method": "wallet", "wallet_id": "wal_good"}}).json()
    assert ok["payment"]["status"] == "captured" and ok["order"]["status"] == "paid"
    api.req("POST", f"/orders/{order_id}/payments", "ann", headers={"Idempotency-Key": "p4"}, expect=409,
            json={"payment": {"method": "wallet", "wallet_id": "wal_good"}})
    assert len(api.req("GET", "/payments", "ann").json()) == 3


def test_outbox_relay_is_at_least_once_with_consumer_dedup(api, data_dir):
    from apps_api.models import OutboxEvent
    from apps_api.outbox import EventDeduplicator, relay_all
    from suuupra.eventlog import LocalEventLog, open_event_log

    api.user("ins", "instructor")
    api.user("ann")
    c = api.course("ins")
    api.buy("ann", c["course"])
    with api.state.db.read_session() as s:
        staged = s.scalar(select(func.count()).select_from(OutboxEvent))
    log = open_event_log(api.state.settings)
    assert relay_all(api.state.db, log) == staged and relay_all(api.state.db, log) == 0

    # crash between publish and mark: the relay re-publishes; consumers dedup by event_id
    from sqlalchemy import update
    with api.state.db.begin() as s:
        first3 = list(s.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id).limit(3)))
        s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(first3)).values(published_at=None))
    assert relay_all(api.state.db, log) == 3
    records = list(LocalEventLog(api.state.settings.events_dir).read())
    assert len(records) == staged + 3
    dedup = EventDeduplicator()
    unique = list(dedup.filter(records))
    assert len(unique) == staged and dedup.duplicates == 3
    types = {r["event_type"] for r in unique}
    assert {"user.registered", "course.published", "lesson.published", "cart.created", "order.created",
            "payment.attempted", "payment.authorized", "order.paid", "enrollment.created"} <= types


def test_ledger_is_append_only(api):
    import pytest

    from apps_api.models import JournalLine, LedgerMutationError

    api.user("ins", "instructor")
    api.user("ann")
    api.buy("ann", api.course("ins")["course"])
    with pytest.raises(LedgerMutationError), api.state.db.begin() as s:
        line = s.scalars(select(JournalLine)).first()
        line.debit_minor += 1
    with pytest.raises(LedgerMutationError), api.state.db.begin() as s:
        s.delete(s.scalars(select(JournalLine)).first())
