"""A scripted learner walk through the running platform (``suuupra walk``).

register → browse the catalog → get recommendations → ask the tutor → buy a
course → watch a lesson → search. Each step talks HTTP to the real services
that ``suuupra up`` started, so a green walk means the platform works as a
learner would use it, not just that processes are alive.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from suuupra.settings import Settings


@dataclass
class WalkStep:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class WalkReport:
    steps: list[WalkStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)


class WalkError(RuntimeError):
    pass


def _check(resp: httpx.Response, expected: tuple[int, ...] = (200, 201)) -> Any:
    if resp.status_code not in expected:
        raise WalkError(f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}: {resp.text[:300]}")
    return resp.json() if resp.content else None


def run_walk(settings: Settings, *, tutor: bool = True, timeout_s: float = 180.0) -> WalkReport:
    """Walk the platform as a new learner; every step's outcome is recorded."""
    api = f"http://{settings.api_host}:{settings.api_port}/api/v1"
    serve = f"http://{settings.serve_host}:{settings.serve_port}"
    report = WalkReport()
    state: dict[str, Any] = {}
    client = httpx.Client(timeout=timeout_s)

    def step(name: str, fn) -> None:
        started = time.perf_counter()
        try:
            detail = fn()
            report.steps.append(WalkStep(name, True, str(detail), time.perf_counter() - started))
        except Exception as exc:  # record and continue: the report shows every broken step
            report.steps.append(WalkStep(name, False, f"{type(exc).__name__}: {exc}", time.perf_counter() - started))

    def register() -> str:
        email = f"walker-{uuid.uuid4().hex[:10]}@example.com"
        password = "correct-horse-battery"
        _check(client.post(f"{api}/auth/register", json={"email": email, "password": password}))
        tokens = _check(client.post(f"{api}/auth/login", json={"email": email, "password": password}))
        state["headers"] = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = _check(client.get(f"{api}/users/me", headers=state["headers"]))
        state["user_id"] = me["id"]
        return f"learner {me['id']}"

    def browse() -> str:
        page = _check(client.get(f"{api}/courses", params={"limit": 10}))
        if not page["items"]:
            raise WalkError("catalog is empty")
        state["courses"] = page["items"]
        return f"{len(page['items'])} courses, first: {page['items'][0]['title']}"

    def recommendations() -> str:
        body = _check(client.post(f"{serve}/recommendations",
                                  json={"learner_id": state["user_id"], "k": 5, "surface": "home"}))
        items = body.get("items") or body.get("recommendations") or []
        if not items:
            raise WalkError(f"no recommendations: {body}")
        state["recommended"] = [i.get("course_id") for i in items]
        return f"{len(items)} courses (model {body.get('model_version')})"

    def ask_tutor() -> str:
        conv = _check(client.post(f"{api}/tutor/conversations", json={"title": "walk"}, headers=state["headers"]))
        answer = _check(client.post(f"{api}/tutor/conversations/{conv['id']}/messages",
                                    json={"content": "How do I read a file line by line in Python?"},
                                    headers=state["headers"]))
        text = str(answer)
        return f"answered ({len(text)} chars)"

    def buy() -> str:
        paid = [c for c in state["courses"] if c["price_minor"] > 0]
        if not paid:
            raise WalkError("no paid course on the first catalog page")
        course = paid[0]
        _check(client.post(f"{api}/cart/items", json={"course_id": course["id"]}, headers=state["headers"]))
        order = _check(client.post(
            f"{api}/checkout",
            json={"payment": {"method": "upi", "vpa": "walker@okbank"}, "device_id": "walk-device"},
            headers={**state["headers"], "Idempotency-Key": uuid.uuid4().hex},
        ))
        state["bought"] = course
        return f"order {order.get('id') or order.get('order', {}).get('id')} for {course['title']}"

    def watch() -> str:
        course = _check(client.get(f"{api}/courses/{state['bought']['id']}"))
        lesson = course["modules"][0]["lessons"][0]
        prog = _check(client.put(f"{api}/lessons/{lesson['id']}/progress",
                                 json={"position_s": 120, "seconds_watched": 120},
                                 headers=state["headers"]))
        return f"progress on {lesson['title']}: {prog['position_s']} s"

    def search() -> str:
        hits = _check(client.get(f"{api}/search", params={"q": "list comprehension"}))
        items = hits.get("hits") or hits.get("items") or hits.get("results") or []
        return f"{len(items)} hits"

    try:
        step("register + login", register)
        step("browse catalog", browse)
        if "user_id" in state:
            step("recommendations", recommendations)
        if tutor and "headers" in state:
            step("ask the tutor", ask_tutor)
        if "courses" in state:
            step("buy a course", buy)
        if "bought" in state:
            step("watch a lesson", watch)
        step("search", search)
    finally:
        client.close()
    return report
