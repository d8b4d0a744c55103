"""Property-based: random purchases, partial refunds and coupon use keep the books sound."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

PRICES = [33_333, 99_999, 101]
COUPONS = [None, "PCT33", "FIX10001", "ALLFREE", "ONCE"]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(0, len(PRICES) - 1), st.sampled_from(COUPONS)),
        st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 120)),
    ),
    min_size=1, max_size=7,
)


def _setup(api):
    api.user("ins", "instructor")
    api.user("ins2", "instructor")
    api.user("boss", "admin")
    courses = [api.course("ins" if i % 2 == 0 else "ins2", price=p, title=f"C{i}")["course"]
               for i, p in enumerate(PRICES)]
    for body in ({"code": "PCT33", "kind": "percent", "percent_off": 33},
                 {"code": "FIX10001", "kind": "fixed", "amount_off_minor": 10_001, "currency": "INR"},
                 {"code": "ALLFREE", "kind": "fixed", "amount_off_minor": 10**9, "currency": "INR"},
                 {"code": "ONCE", "kind": "percent", "percent_off": 50, "max_uses": 2, "per_user_limit": 1}):
        api.req("POST", "/coupons", "boss", json=body, expect=201)
    return courses


def _check_invariants(api):
    from apps_api import ledger
    from apps_api.models import Coupon, Payment

    tb = api.req("GET", "/admin/ledger/trial-balance", "boss", expect=200).json()
    assert tb["balanced"]
    assert all(t["difference_minor"] == 0 for t in tb["totals"])
    assert all(a["balance_minor"] >= 0 for a in tb["accounts"]), tb["accounts"]
    with api.state.db.read_session() as s:
        assert ledger.unbalanced_entries(s) == []
        pays = list(s.scalars(select(Payment)))
        assert all(0 <= p.refunded_minor <= p.captured_minor for p in pays)
        net = sum(p.captured_minor - p.refunded_minor for p in pays)
        once = s.scalar(select(Coupon).where(Coupon.code == "ONCE"))
        assert once.times_used <= 2
    funds = next((a["balance_minor"] for a in tb["accounts"] if a["account"] == "learner_funds"), 0)
    assert funds == net


def test_random_purchases_refunds_and_coupons_keep_ledger_sound(api):
    import uuid

    from apps_api.security import create_access_token
    from apps_api.services.identity import create_user

    courses = _setup(api)
    st_ = api.state
    payments: list[str] = []

    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(ops)
    def run(sequence):
        for op in sequence:
            if op[0] == "buy":
                _, idx, coupon = op
                with st_.db.begin() as s:
                    uid = create_user(s, st_, email=f"p{uuid.uuid4().hex[:10]}@example.com",
                                      password="password123").id
                name = f"L{uid}"
                api.tokens[name] = create_access_token(st_.jwt_secret, uid, "learner", 600)
                api.req("POST", "/cart/items", name, json={"course_id": courses[idx]}, expect=201)
                body = {"payment": {"method": "card", "card_token": "tok_ok"}}
                if coupon:
                    body["coupon_code"] = coupon
                r = api.req("POST", "/checkout", name, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                if r.status_code == 422:  # coupon used up: a clear client error, nothing charged
                    assert coupon == "ONCE"
                    continue
                assert r.status_code == 201, r.text
                if r.json()["payment"]:
                    payments.append(r.json()["payment"]["id"])
                else:
                    assert r.json()["order"]["total_minor"] == 0 and r.json()["order"]["status"] == "paid"
            elif payments:
                _, pick, pct = op
                pid = payments[pick % len(payments)]
                before = api.req("GET", f"/payments/{pid}", "boss", expect=200).json()
                refundable = before["captured_minor"] - before["refunded_minor"]
                amount = max(1, (before["captured_minor"] * pct) // 100)
                r = api.req("POST", f"/payments/{pid}/refunds", "boss", json={"amount_minor": amount},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
                if amount > refundable:
                    assert r.status_code == 409, r.text
                else:
                    assert r.status_code == 201, r.text
                    assert r.json()["refunded_minor"] == before["refunded_minor"] + amount
            _check_invariants(api)

    run()


def test_refund_allocation_never_overdraws():
    from hypothesis import given as given_

    from apps_api.ledger import allocate_refund

    @settings(max_examples=60, deadline=None, database=None)
    @given_(st.lists(st.integers(0, 10_000), min_size=1, max_size=5), st.data())
    def check(parts_list, data):
        parts = {f"a{i}": v for i, v in enumerate(parts_list)}
        total = sum(parts.values())
        reversed_so_far = {a: 0 for a in parts}
        remaining = total
        for step in range(6):  # a few partial refunds, then the rest
            if remaining == 0:
                break
            refund = remaining if step == 5 else data.draw(st.integers(1, remaining))
            shares = allocate_refund(parts, reversed_so_far, refund)
            assert sum(shares.values()) == refund and all(v >= 0 for v in shares.values())
            for a, v in shares.items():
                reversed_so_far[a] += v
                assert reversed_so_far[a] <= parts[a]
            remaining -= refund
        assert reversed_so_far == parts

    check()
