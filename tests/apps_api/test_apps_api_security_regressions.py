"""Exploits found by attacking the API as a stranger would, each replayed end to end.

Every test here failed before its guard existed: paid videos watched through a
lesson of another course, a learner charged several times for one course by
parallel checkouts with different keys, and the other holes listed in
``docs/security.md``.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select


def _ready_asset(api, owner: str, course_id: str | None, lesson_id: str | None = None) -> str:
    """A transcoded video row owned by ``owner`` (the transcoder itself is tested elsewhere)."""
    from apps_api.db import new_id
    from apps_api.streaming.models import VideoAsset

    asset_id = new_id("vid")
    with api.state.db.begin() as s:
        s.add(VideoAsset(id=asset_id, owner_id=api.ids[owner], course_id=course_id, lesson_id=lesson_id,
                         title="paid lecture", status="ready", source_key=f"sources/{asset_id}/src.mp4",
                         renditions=[]))
    return asset_id


def _attach(api, lesson_id: str, asset_id: str) -> None:
    from apps_api.models import Lesson

    with api.state.db.begin() as s:
        s.get(Lesson, lesson_id).video_asset_id = asset_id


def test_free_preview_lesson_of_another_course_cannot_unlock_a_paid_video(api):
    api.user("victim", "instructor")
    api.user("attacker", "instructor")
    paid = api.course("victim", price=99_000)
    asset = _ready_asset(api, "victim", paid["course"], paid["lesson"])
    _attach(api, paid["lesson"], asset)
    # The asset id is public in the course outline.
    outline = api.req("GET", f"/courses/{paid['course']}", expect=200).json()
    assert asset in {lesson["video_asset_id"] for m in outline["modules"] for lesson in m["lessons"]}

    own = api.course("attacker", price=0, publish=False)
    r = api.req("POST", f"/modules/{own['module']}/lessons", "attacker",
                json={"title": "x", "is_free_preview": True, "video_asset_id": asset})
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")

    # Even a lesson row that points at the video (written around the API) grants nothing.
    from apps_api.db import new_id
    from apps_api.models import Lesson

    with api.state.db.begin() as s:
        rogue = new_id("les")
        s.add(Lesson(id=rogue, module_id=own["module"], course_id=own["course"], title="x",
                     is_free_preview=True, video_asset_id=asset))
    api.req("POST", f"/courses/{own['course']}/publish", "attacker", expect=200)
    anon = api.req("GET", f"/videos/{asset}/playback", params={"lesson_id": rogue})
    assert anon.status_code == 404, anon.text
    learner = api.user("eve")
    assert api.req("GET", f"/videos/{asset}/playback", "eve", params={"lesson_id": rogue}).status_code == 404
    # The rightful path still works: the paid lesson asks for enrollment, the owner may watch.
    assert api.req("GET", f"/videos/{asset}/playback", "eve",
                   params={"lesson_id": paid["lesson"]}).status_code == 403
    assert api.req("GET", f"/videos/{asset}/playback", "victim",
                   params={"lesson_id": paid["lesson"]}).status_code == 200
    assert learner


def test_instructor_attaches_own_unbound_video_and_it_binds_to_that_course(api):
    from apps_api.streaming.models import VideoAsset

    api.user("ins", "instructor")
    api.user("other", "instructor")
    mine = api.course("ins", price=0, publish=False)
    theirs = api.course("other", price=0, publish=False)
    asset = _ready_asset(api, "ins", None)
    api.req("POST", f"/modules/{mine['module']}/lessons", "ins", expect=201,
            json={"title": "with video", "video_asset_id": asset})
    with api.state.db.read_session() as s:
        assert s.get(VideoAsset, asset).course_id == mine["course"]
    # Another instructor cannot attach it, and even its owner cannot reuse it in a second course.
    assert api.req("POST", f"/modules/{theirs['module']}/lessons", "other",
                   json={"title": "steal", "video_asset_id": asset}).status_code == 404
    second = api.course("ins", price=0, publish=False, title="Second")
    assert api.req("POST", f"/modules/{second['module']}/lessons", "ins",
                   json={"title": "reuse", "video_asset_id": asset}).status_code == 409


async def _burst(base: str, requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits, trust_env=False) as client:
        return await asyncio.gather(*(client.post(path, json=body, headers=headers)
                                      for path, body, headers in requests))


@pytest.mark.parametrize("trial", range(3))
def test_50_parallel_checkouts_with_different_keys_charge_once(api, live_server, trial):
    """One course in the cart, 50 checkouts at once, each with its own Idempotency-Key:
    exactly one order is paid, one capture, one ledger entry, and every other request
    is a clear 409 (never a 500, never a charge left unrecorded)."""
    from apps_api.models import JournalEntry, Order, Payment

    api.user("ins", "instructor")
    api.user("ann")
    c = api.course("ins", price=7_000)
    api.req("POST", "/cart/items", "ann", json={"course_id": c["course"]}, expect=201)
    base = live_server(api.app)
    body = {"payment": {"method": "card", "card_token": "tok_visa"}}
    requests = [("/api/v1/checkout", body, {**api.h("ann"), "Idempotency-Key": uuid.uuid4().hex})
                for _ in range(50)]
    responses = asyncio.run(_burst(base, requests))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and statuses.count(409) == 49, {r.status_code: r.text for r in responses}
    assert all(r.headers["content-type"].startswith("application/problem+json")
               for r in responses if r.status_code == 409)
    with api.state.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.status == "captured")) == 1
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 1
    assert api.state.processor.charges == 1


def test_failed_recording_after_capture_voids_the_charge(api, monkeypatch):
    """If writing the capture fails after the processor took the money, the money goes
    back and the payment says so: a learner is never charged without a record."""
    from apps_api.models import JournalEntry, Payment
    from apps_api.services import payments

    api.user("ins", "instructor")
    api.user("bob")
    c = api.course("ins", price=5_000)
    refunds: list[tuple[str, int]] = []
    real_refund = api.state.processor.refund

    def _refund(ref: str, amount: int) -> str:
        refunds.append((ref, amount))
        return real_refund(ref, amount)

    def _broken(*_a, **_k):
        raise RuntimeError("disk full while recording")

    monkeypatch.setattr(api.state.processor, "refund", _refund)
    monkeypatch.setattr(payments, "_record_charge", _broken)
    r = api.buy("bob", c["course"], expect=None)
    assert r["status"] == 500
    assert len(refunds) == 1 and refunds[0][1] == 5_000
    with api.state.db.read_session() as s:
        pay = s.scalars(select(Payment)).one()
        assert (pay.status, pay.failure_code, pay.captured_minor) == ("failed", "capture_voided", 0)
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 0


def test_wrong_passwords_back_off_per_account_and_per_address(make_api):
    api = make_api(login_free_failures=3, login_free_failures_per_address=6)
    email = f"target-{uuid.uuid4().hex[:6]}@example.com"
    api.req("POST", "/auth/register", json={"email": email, "password": "password123"}, expect=201)
    codes = [api.req("POST", "/auth/login", json={"email": email, "password": f"guess{i}xyz"}).status_code
             for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429], codes
    blocked = api.req("POST", "/auth/login", json={"email": email, "password": "password123"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1  # even the right one waits
    assert blocked.headers["content-type"].startswith("application/problem+json")
    # One address guessing many accounts is slowed too (the address budget is 6 failures).
    for i in range(4):
        api.req("POST", "/auth/login", json={"email": f"nobody{i}@example.com", "password": "nopenope"})
    other = f"other-{uuid.uuid4().hex[:6]}@example.com"
    assert api.req("POST", "/auth/login", json={"email": other, "password": "whatever1"}).status_code == 429


def test_backoff_expires_and_success_clears_the_account(make_api):
    import time

    api = make_api(login_free_failures=2, login_max_backoff_s=1.0)
    email = f"t-{uuid.uuid4().hex[:6]}@example.com"
    api.req("POST", "/auth/register", json={"email": email, "password": "password123"}, expect=201)
    for _ in range(2):
        api.req("POST", "/auth/login", json={"email": email, "password": "wrongwrong"}, expect=401)
    assert api.req("POST", "/auth/login", json={"email": email, "password": "password123"}).status_code == 429
    time.sleep(1.1)
    api.req("POST", "/auth/login", json={"email": email, "password": "password123"}, expect=200)
    api.req("POST", "/auth/login", json={"email": email, "password": "wrongwrong"}, expect=401)  # count restarted


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(make_api):
    """Rotating X-Forwarded-For must not buy a fresh rate-limit bucket per request."""
    import socket
    import threading
    import time

    import uvicorn

    from apps_api.config import ApiConfig

    api = make_api(rate_limit_enabled=True, ip_rate_per_s=0.01, ip_burst=10, user_burst=1000)
    assert ApiConfig().proxy_options() == {"proxy_headers": False}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", **ApiConfig().proxy_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            codes = [client.get("/api/v1/courses", headers={"X-Forwarded-For": f"10.0.{i // 250}.{i % 250}"}
                                ).status_code for i in range(40)]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert codes.count(200) == 10 and codes.count(429) == 30, codes
    trusted = ApiConfig(trusted_proxies=["10.1.2.3"]).proxy_options()
    assert trusted == {"proxy_headers": True, "forwarded_allow_ips": "10.1.2.3"}


@pytest.mark.parametrize(("path", "ctype"), [("/videos/uploads", "application/json"),
                                             ("/videos", "multipart/form-data; boundary=xyz")])
def test_upload_routes_cap_bodies_of_callers_who_may_not_upload(make_api, path, ctype):
    api = make_api()
    api.user("lea")
    big = b"x" * (2 * 1024 * 1024)
    for who in (None, "lea"):
        r = api.req("POST", path, who, content=big, headers={"content-type": ctype})
        assert r.status_code == 413, (who, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # Without Content-Length (chunked), the body is cut off at the cap rather than buffered.
    def chunks():
        for _ in range(64):
            yield b"y" * 65536

    r = api.req("POST", path, None, content=chunks(), headers={"content-type": ctype})
    assert r.status_code == 413, r.text


NUL_BODIES = [
    ("POST", "/auth/register", {"email": "n@example.com", "password": "password123", "display_name": "a\x00b"}),
    ("POST", "/courses", {"title": "x\x00", "category": "programming"}),
    ("POST", "/courses", {"title": "\ud800", "category": "programming"}),
    ("POST", "/courses", {"title": "   ", "category": "programming"}),
    ("POST", "/courses", {"title": "ok", "category": "programming", "price_minor": True}),
    ("POST", "/courses", {"title": "ok", "category": "programming", "price_minor": "100"}),
    ("POST", "/coupons", {"code": "BIG1", "kind": "percent", "percent_off": 5, "max_uses": 2**40}),
    ("POST", "/coupons", {"code": "BIG2", "kind": "percent", "percent_off": 5, "per_user_limit": 2**63}),
    ("POST", "/coupons", {"code": "NAIVE", "kind": "percent", "percent_off": 5,
                          "expires_at": "2030-01-01T00:00:00"}),
    ("POST", "/cart/items", {"course_id": "crs\x00"}),
    ("POST", "/auth/register", {"email": "a\x00b@example.com", "password": "password123"}),
    ("POST", "/auth/login", {"email": "a@example.com", "password": "\udfff" * 9}),
]


@pytest.mark.parametrize(("method", "path", "body"), NUL_BODIES)
def test_unstorable_input_is_a_422_on_every_database(api, method, path, body):
    import json

    api.user("boss", "admin")
    payload = json.dumps(body).encode()  # keeps lone surrogates as \\ud800 escapes, as a client may
    r = api.req(method, path, "boss", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("url", ["/api/v1/courses?q=a%00b", "/api/v1/courses/crs%00x",
                                 "/api/v1/courses?tag=%00"])
def test_nul_in_urls_is_a_400(api, url):
    r = api.client.get(url)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_blank_lesson_titles_cannot_wedge_publishing(api):
    api.user("ins", "instructor")
    c = api.course("ins", publish=False)
    r = api.req("POST", f"/modules/{c['module']}/lessons", "ins", json={"title": " \t "})
    assert r.status_code == 422
    lesson = api.req("POST", f"/modules/{c['module']}/lessons", "ins", json={"title": "  Padded  "},
                     expect=201).json()
    assert lesson["title"] == "Padded"  # stripped as the event schemas strip it
    api.req("POST", f"/courses/{c['course']}/publish", "ins", expect=200)


@pytest.mark.parametrize("exp", ["%C2%B2", "9" * 5000, "-1", "1e9"])
def test_malformed_media_expiry_is_a_403(make_api, exp):
    api = make_api()
    r = api.client.get(f"/api/v1/media/s/u/{exp}/sig/videos/vid_x/master.m3u8")
    assert r.status_code == 403, r.text


def test_outbox_relay_with_the_broker_down_is_a_503(make_api):
    api = make_api(settings_overrides={"profile": "local", "event_log_backend": "kafka",
                                       "kafka_bootstrap_servers": "127.0.0.1:9"})
    api.user("boss", "admin")
    api.user("ins", "instructor")
    api.course("ins")  # stages course.published events
    r = api.req("POST", "/admin/outbox/relay", "boss")
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"]
    assert r.headers["content-type"].startswith("application/problem+json")
