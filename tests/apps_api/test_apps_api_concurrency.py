"""Concurrency over real HTTP (uvicorn in a thread), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select


async def _burst(base: str, requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits, trust_env=False) as client:
        return await asyncio.gather(*(client.post(path, json=body, headers=headers)
                                      for path, body, headers in requests))


def test_50_parallel_checkouts_same_key_charge_once(api, live_server):
    from apps_api.models import JournalEntry, Order, Payment

    api.user("ins", "instructor")
    api.user("ann")
    c = api.course("ins", price=75_000)
    api.req("POST", "/cart/items", "ann", json={"course_id": c["course"]}, expect=201)
    base = live_server(api.app)
    headers = {**api.h("ann"), "Idempotency-Key": "checkout-once"}
    body = {"payment": {"method": "card", "card_token": "tok_visa"}}
    responses = asyncio.run(_burst(base, [("/api/v1/checkout", body, headers)] * 50))

    assert [r.status_code for r in responses] == [201] * 50, {r.status_code: r.text for r in responses}
    order_ids = {r.json()["order"]["id"] for r in responses}
    assert len(order_ids) == 1
    assert sum(r.headers["Idempotent-Replayed"] == "false" for r in responses) == 1
    with api.state.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.status == "captured")) == 1
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 1
    assert api.state.processor.charges == 1


def test_200_parallel_purchases_keep_ledger_balanced(api, live_server):
    from apps_api import ledger
    from apps_api.models import JournalEntry
    from apps_api.security import create_access_token
    from apps_api.services.commerce import add_to_cart
    from apps_api.services.identity import create_user

    api.user("ins", "instructor")
    api.user("ins2", "instructor")
    courses = [api.course("ins", price=49_999)["course"], api.course("ins2", price=12_345)["course"]]
    api.user("boss", "admin")
    st = api.state
    requests = []
    with st.db.begin() as s:
        for i in range(200):
            u = create_user(s, st, email=f"buyer{i}@example.com", password="password123")
            s.flush()
            add_to_cart(s, u.id, courses[i % 2])
            if i % 3 == 0:
                add_to_cart(s, u.id, courses[(i + 1) % 2])
            token = create_access_token(st.jwt_secret, u.id, "learner", 600)
            requests.append(("/api/v1/checkout", {"payment": {"method": "upi", "vpa": f"b{i}@okbank"}},
                             {"Authorization": f"Bearer {token}", "Idempotency-Key": f"buy-{i}"}))
    base = live_server(api.app)
    responses = asyncio.run(_burst(base, requests))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201][:3]
    assert all(r.json()["payment"]["status"] == "captured" for r in responses)
    total = sum(r.json()["order"]["total_minor"] for r in responses)

    tb = api.req("GET", "/admin/ledger/trial-balance", "boss", expect=200).json()
    assert tb["balanced"] and tb["entries"] == 200
    assert tb["totals"] == [{"currency": "INR", "total_debit_minor": total, "total_credit_minor": total,
                             "difference_minor": 0}]
    bal = {a["account"]: a["balance_minor"] for a in tb["accounts"]}
    assert bal["learner_funds"] == total
    assert bal["platform_revenue"] + bal[f"instructor_payable:{api.ids['ins']}"] + \
        bal[f"instructor_payable:{api.ids['ins2']}"] == total
    with st.db.read_session() as s:
        assert ledger.unbalanced_entries(s) == []
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 200
