"""Fraud scorer client against a real tiny HTTP server, and the fallback policy."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps_api.fraud import FraudClient, FraudRequest


class _Scorer(BaseHTTPRequestHandler):
    mode = "approve"
    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        mode = type(self).mode
        if mode == "slow":
            time.sleep(0.6)
        if mode == "500":
            self.send_response(500)
            self.end_headers()
            return
        payload = {"garbage": True} if mode == "garbage" else {
            "probability": {"approve": 0.02, "review": 0.55, "decline": 0.97}.get(mode, 0.1),
            "decision": mode if mode in ("approve", "review", "decline") else "approve",
            "reasons": [f"rule:{mode}"], "model_version": "fraud-lgbm-7", "fallback": False}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def scorer():
    _Scorer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scorer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fraud/score"
    server.shutdown()
    server.server_close()


REQ = FraudRequest(learner_id="usr_1", amount_minor=50_000, currency="INR", method="card", device_id="d1",
                   ip="10.0.0.1", country="IN", occurred_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("mode", ["approve", "review", "decline"])
def test_client_passes_through_scorer_decisions(scorer, mode):
    _Scorer.mode = mode
    d = FraudClient(scorer, timeout_ms=2000, approve_max_minor=100_000).score(REQ)
    assert (d.decision, d.fallback, d.model_version, d.reasons) == (mode, False, "fraud-lgbm-7", [f"rule:{mode}"])
    assert _Scorer.seen[-1] == {"learner_id": "usr_1", "amount_minor": 50_000, "currency": "INR",
                                "method": "card", "device_id": "d1", "ip": "10.0.0.1", "country": "IN",
                                "occurred_at": "2026-01-01T00:00:00+00:00"}


@pytest.mark.parametrize("mode,why", [("slow", "timeout"), ("500", "http_500"), ("garbage", "bad_response")])
def test_fallback_on_slow_failing_or_malformed_scorer(scorer, mode, why):
    _Scorer.mode = mode
    client = FraudClient(scorer, timeout_ms=200, approve_max_minor=100_000)
    started = time.perf_counter()
    small = client.score(REQ)
    assert time.perf_counter() - started < 0.55  # strict timeout, not the scorer's 0.6 s
    assert (small.decision, small.fallback, small.probability) == ("approve", True, None)
    assert small.reasons == [f"scorer_unavailable:{why}"]
    big = client.score(FraudRequest(**{**REQ.__dict__, "amount_minor": 100_001}))
    assert (big.decision, big.fallback) == ("review", True)


def test_unreachable_scorer_falls_back():
    d = FraudClient("http://127.0.0.1:9/fraud/score", timeout_ms=200, approve_max_minor=0).score(REQ)
    assert d.fallback and d.decision == "review" and d.reasons[0].startswith("scorer_unavailable:")


def test_payment_stores_decision_and_review_flow(make_api, scorer):
    api = make_api({"fraud_scorer_url": scorer, "fraud_timeout_ms": 2000})
    api.user("ins", "instructor")
    api.user("ann")
    api.user("boss", "admin")
    c1, c2 = api.course("ins")["course"], api.course("ins", title="Two")["course"]

    _Scorer.mode = "decline"
    out = api.buy("ann", c1)
    p = out["payment"]
    assert (p["status"], p["fraud_decision"], p["fraud_probability"], p["failure_code"]) == \
        ("declined", "decline", 0.97, "fraud_declined")
    assert p["fraud_model_version"] == "fraud-lgbm-7" and p["fraud_reasons"] == ["rule:decline"]
    assert api.state.processor.charges == 0

    _Scorer.mode = "review"
    held = api.buy("ann", c2)["payment"]
    assert held["status"] == "pending_review" and api.state.processor.charges == 0
    approved = api.req("POST", f"/admin/payments/{held['id']}/review", "boss", json={"decision": "approve"},
                       expect=200).json()
    assert approved["status"] == "captured" and approved["fraud_decision"] == "review"
    api.req("POST", f"/admin/payments/{held['id']}/review", "boss", json={"decision": "approve"}, expect=409)
    assert api.state.processor.charges == 1
    assert api.req("GET", "/admin/ledger/trial-balance", "boss").json()["entries"] == 1
