"""Identity (tokens, rotation, reuse detection) and route-by-route authorization."""

from __future__ import annotations

import time

import pytest


def test_register_login_refresh_rotation_and_reuse_revokes_family(api):
    api.user("ann")
    api.req("POST", "/auth/register", json={"email": "dup@example.com", "password": "password123"}, expect=201)
    dup = api.req("POST", "/auth/register", json={"email": "DUP@example.com", "password": "password123"},
                  expect=409)
    assert dup.headers["content-type"].startswith("application/problem+json")
    api.req("POST", "/auth/login", json={"email": "dup@example.com", "password": "wrong-password"}, expect=401)
    api.req("POST", "/auth/login", json={"email": "nobody@example.com", "password": "password123"}, expect=401)
    api.req("POST", "/auth/register", json={"email": "x@example.com", "password": "pw"}, expect=422)
    api.req("POST", "/auth/register", json={"email": "y@example.com", "password": "password123",
                                            "role": "admin"}, expect=422)  # no self-service admins

    r0 = api.tokens["ann:refresh"]
    r1 = api.req("POST", "/auth/refresh", json={"refresh_token": r0}, expect=200).json()
    r2 = api.req("POST", "/auth/refresh", json={"refresh_token": r1["refresh_token"]}, expect=200).json()
    api.req("GET", "/users/me", headers={"Authorization": f"Bearer {r2['access_token']}"}, expect=200)
    # replaying the first (already rotated) token = theft: the whole family dies, incl. the newest
    reuse = api.req("POST", "/auth/refresh", json={"refresh_token": r0}, expect=401)
    assert "reuse" in reuse.json()["detail"]
    api.req("POST", "/auth/refresh", json={"refresh_token": r2["refresh_token"]}, expect=401)

    # logout revokes the family
    login = api.req("POST", "/auth/login", json={"email": "dup@example.com", "password": "password123"}).json()
    api.req("POST", "/auth/logout", json={"refresh_token": login["refresh_token"]}, expect=204)
    api.req("POST", "/auth/refresh", json={"refresh_token": login["refresh_token"]}, expect=401)


def test_passwords_are_argon2_hashed(api):
    from sqlalchemy import select

    from apps_api.models import User

    api.user("ann")
    with api.state.db.read_session() as s:
        h = s.scalar(select(User.password_hash).where(User.id == api.ids["ann"]))
    assert h.startswith("$argon2id$") and "password123" not in h


def test_bad_and_expired_tokens_are_401(api):
    from apps_api.security import create_access_token

    api.req("GET", "/users/me", expect=401)
    api.req("GET", "/users/me", headers={"Authorization": "Bearer not.a.jwt"}, expect=401)
    forged = create_access_token("some-other-secret-0123456789abcdef", "usr_x", "admin", 60)
    api.req("GET", "/admin/ledger/trial-balance", headers={"Authorization": f"Bearer {forged}"}, expect=401)
    expired = create_access_token(api.state.jwt_secret, "usr_x", "learner", 1)
    time.sleep(2.1)
    r = api.req("GET", "/users/me", headers={"Authorization": f"Bearer {expired}"}, expect=401)
    assert "expired" in r.json()["detail"]


@pytest.fixture()
def world(api):
    """Two learners with purchases and progress, an instructor, a second instructor, an admin."""
    api.user("A")
    api.user("B")
    api.user("ins", "instructor")
    api.user("ins2", "instructor")
    api.user("admin", "admin")
    paid = api.course("ins")
    free = api.course("ins", price=0)
    draft = api.course("ins", publish=False)
    api.req("POST", f"/courses/{free['course']}/enroll", "A", expect=201)
    api.req("PUT", f"/lessons/{free['lesson']}/progress", "A", json={"position_s": 3}, expect=200)
    out = api.buy("A", paid["course"])
    api.req("POST", "/coupons", "admin", expect=201, json={"code": "WELCOME", "kind": "fixed",
                                                           "amount_off_minor": 100, "currency": "INR"})
    return {"api": api, "paid": paid, "free": free, "draft": draft, "order": out["order"]["id"],
            "payment": out["payment"]["id"]}


def test_learner_cannot_touch_another_learners_data(world):
    api = world["api"]
    a = api.ids["A"]
    # A sees their own things
    api.req("GET", f"/orders/{world['order']}", "A", expect=200)
    api.req("GET", f"/payments/{world['payment']}", "A", expect=200)
    for sub in ("", "/orders", "/enrollments", "/progress"):
        api.req("GET", f"/users/{a}{sub}", "A", expect=200)
    # B gets 404 on A's objects (no existence leak) and 403 on A's user-scoped lists
    api.req("GET", f"/orders/{world['order']}", "B", expect=404)
    api.req("GET", f"/payments/{world['payment']}", "B", expect=404)
    for sub in ("", "/orders", "/enrollments", "/progress"):
        api.req("GET", f"/users/{a}{sub}", "B", expect=403)
    api.req("POST", f"/orders/{world['order']}/payments", "B", headers={"Idempotency-Key": "x"}, expect=404,
            json={"payment": {"method": "card", "card_token": "tok_visa"}})
    api.req("POST", f"/payments/{world['payment']}/refunds", "B", headers={"Idempotency-Key": "x"},
            json={}, expect=403)
    # B's own lists never include A's data
    assert api.req("GET", "/orders", "B", expect=200).json() == []
    assert api.req("GET", "/payments", "B", expect=200).json() == []
    assert api.req("GET", "/me/enrollments", "B", expect=200).json() == []
    assert api.req("GET", "/me/progress", "B", expect=200).json() == []
    assert api.req("GET", "/cart", "B", expect=200).json()["items"] == []
    # B cannot read A's paid lesson, and progress needs B's own enrollment
    api.req("GET", f"/lessons/{world['paid']['lesson']}", "B", expect=403)
    api.req("PUT", f"/lessons/{world['paid']['lesson']}/progress", "B", json={"position_s": 1}, expect=403)


def test_instructor_and_admin_permissions(world):
    api = world["api"]
    paid = world["paid"]
    # learners cannot author; other instructors cannot change someone else's course
    api.req("POST", "/courses", "A", expect=403, json={"title": "x", "category": "programming"})
    api.req("PATCH", f"/courses/{paid['course']}", "ins2", json={"title": "hijack"}, expect=403)
    api.req("POST", f"/courses/{paid['course']}/modules", "ins2", json={"title": "m"}, expect=403)
    api.req("POST", f"/modules/{paid['module']}/lessons", "ins2", json={"title": "l"}, expect=403)
    api.req("POST", f"/courses/{world['draft']['course']}/publish", "ins2", expect=404)
    api.req("GET", f"/courses/{world['draft']['course']}", "ins2", expect=404)
    api.req("PATCH", f"/courses/{paid['course']}", "ins", json={"title": "Renamed"}, expect=200)
    api.req("PATCH", f"/courses/{paid['course']}", "admin", json={"level": "advanced"}, expect=200)
    api.req("GET", f"/lessons/{paid['lesson']}", "ins", expect=200)  # own course content
    # admin-only surfaces
    for who in ("A", "ins"):
        api.req("GET", "/admin/ledger/trial-balance", who, expect=403)
        api.req("GET", "/admin/ledger/entries", who, expect=403)
        api.req("GET", "/coupons", who, expect=403)
        api.req("POST", "/coupons", who, json={"code": "HACK", "kind": "percent", "percent_off": 100},
                expect=403)
        api.req("POST", f"/payments/{world['payment']}/refunds", who, headers={"Idempotency-Key": "k"},
                json={}, expect=403)
        api.req("POST", f"/admin/payments/{world['payment']}/review", who, json={"decision": "approve"},
                expect=403)
        api.req("PUT", f"/admin/users/{api.ids['B']}/role", who, json={"role": "admin"}, expect=403)
        api.req("POST", "/admin/outbox/relay", who, expect=403)
    # an instructor is not an admin for other users' data either
    api.req("GET", f"/orders/{world['order']}", "ins", expect=404)
    api.req("GET", f"/users/{api.ids['A']}/orders", "ins", expect=403)
    # the admin sees everything
    api.req("GET", f"/orders/{world['order']}", "admin", expect=200)
    api.req("GET", f"/payments/{world['payment']}", "admin", expect=200)
    assert len(api.req("GET", f"/users/{api.ids['A']}/orders", "admin", expect=200).json()) == 1
    assert api.req("GET", "/admin/ledger/trial-balance", "admin", expect=200).json()["balanced"]
    assert len(api.req("GET", "/admin/ledger/entries", "admin", expect=200).json()["items"]) == 1
    assert api.req("POST", "/admin/outbox/relay", "admin", expect=200).json()["published"] > 0
    api.req("PUT", f"/admin/users/{api.ids['B']}/role", "admin", json={"role": "instructor"}, expect=200)
