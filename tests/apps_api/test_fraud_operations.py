"""Fraud operations through the real HTTP routes: rules, value lists, the queue, labels, backtests.

The scorer is unreachable here (the fixtures' discard port), so the model's part of every
decision is the documented fallback policy: approve up to the fallback limit. The rules run
after it exactly as they do after a real score.
"""

from __future__ import annotations

import pandas as pd
import pytest

from apps_api.models import OutboxEvent
from suuupra.lake import table_path

PROBLEM = "application/problem+json"


@pytest.fixture()
def world(api):
    api.user("ins", "instructor")
    api.user("ann")
    api.user("risk", "admin")
    api.user("risk2", "admin")
    return {"c1": api.course("ins")["course"], "c2": api.course("ins", title="Two")["course"],
            "c3": api.course("ins", title="Three")["course"]}


def buy_on_device(api, learner, course, device):
    api.req("POST", "/cart/items", learner, json={"course_id": course}, expect=201)
    return api.req("POST", "/checkout", learner, expect=201, headers={"Idempotency-Key": f"k-{course}-{device}"},
                   json={"payment": {"method": "card", "card_token": "tok_visa"}, "device_id": device}).json()


def test_a_block_rule_stops_the_payment_and_names_itself(api, world):
    api.req("POST", "/admin/fraud/lists", "risk", expect=201,
            json={"name": "blocked_devices", "description": "devices seen in chargebacks", "values": ["dev-stolen"]})
    rule = api.req("POST", "/admin/fraud/rules", "risk", expect=201, json={
        "name": "block_listed_devices", "condition": "device_id in @blocked_devices", "action": "block",
        "reason": "device on the blocked list"}).json()
    assert rule["enabled"] is False  # rules start disabled: backtest first
    # disabled: the payment goes through
    ok = buy_on_device(api, "ann", world["c1"], "dev-stolen")["payment"]
    assert ok["status"] == "captured" and ok["fraud_rule"] is None
    api.req("PATCH", "/admin/fraud/rules/block_listed_devices", "risk", json={"enabled": True}, expect=200)
    charges = api.state.processor.charges
    blocked = buy_on_device(api, "ann", world["c2"], "dev-stolen")["payment"]
    assert (blocked["status"], blocked["fraud_decision"], blocked["failure_code"]) == \
        ("declined", "decline", "blocked_by_rule")
    assert (blocked["fraud_rule"], blocked["fraud_rule_action"]) == ("block_listed_devices", "block")
    assert "rule:block_listed_devices:device on the blocked list" in blocked["fraud_reasons"]
    assert api.state.processor.charges == charges  # never sent to the processor
    # the stored record says the same, and another device is unaffected
    stored = api.req("GET", f"/payments/{blocked['id']}", "ann", expect=200).json()
    assert stored["fraud_rule"] == "block_listed_devices"
    assert buy_on_device(api, "ann", world["c3"], "dev-clean")["payment"]["status"] == "captured"


def test_a_value_added_to_a_list_takes_effect_on_the_next_payment(api, world):
    api.req("POST", "/admin/fraud/lists", "risk", json={"name": "blocked_devices"}, expect=201)
    api.req("POST", "/admin/fraud/rules", "risk", expect=201, json={
        "name": "block_listed", "condition": "device_id in @blocked_devices", "action": "block", "enabled": True})
    assert buy_on_device(api, "ann", world["c1"], "dev-x")["payment"]["status"] == "captured"
    added = api.req("POST", "/admin/fraud/lists/blocked_devices/items", "risk", json={"values": ["dev-y", "dev-y"]},
                    expect=201).json()
    assert added == {"added": 1, "size": 1}
    assert buy_on_device(api, "ann", world["c2"], "dev-y")["payment"]["fraud_rule"] == "block_listed"
    api.req("DELETE", "/admin/fraud/lists/blocked_devices", "risk", expect=409)  # a rule reads it


def test_a_blocked_card_is_blocked_whatever_the_device(api, world):
    api.req("POST", "/admin/fraud/lists", "risk", json={"name": "blocked_cards", "values": ["tok_stolen"]},
            expect=201)
    api.req("POST", "/admin/fraud/rules", "risk", expect=201, json={
        "name": "block_cards", "condition": "instrument in @blocked_cards", "action": "block", "enabled": True})
    stolen = api.buy("ann", world["c1"], method={"method": "card", "card_token": "tok_stolen"})["payment"]
    assert (stolen["status"], stolen["fraud_rule"]) == ("declined", "block_cards")
    assert api.buy("ann", world["c2"])["payment"]["status"] == "captured"


@pytest.mark.parametrize(("body", "says"), [
    ({"condition": "score >=", "action": "block"}, "expected a fact"),
    ({"condition": "amount > 'big'", "action": "block"}, "cannot compare number with text"),
    ({"condition": "colour == 'red'", "action": "review"}, "unknown fact 'colour'"),
    ({"condition": "device_id in @no_such_list", "action": "block"}, "@no_such_list"),
    ({"condition": "open('/etc/passwd')", "action": "block"}, "unknown fact 'open'"),
])
def test_a_malformed_rule_is_refused_with_a_clear_problem(api, world, body, says):
    resp = api.req("POST", "/admin/fraud/rules", "risk", json={"name": "bad_rule", **body})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith(PROBLEM)
    assert says in resp.json()["detail"]
    assert api.req("GET", "/admin/fraud/rules", "risk", expect=200).json() == []  # nothing half-stored


def test_rules_and_queue_need_their_permissions(api, world):
    for method, path in (("GET", "/admin/fraud/rules"), ("GET", "/admin/fraud/reviews"),
                         ("POST", "/admin/fraud/backtest")):
        assert api.req(method, path, "ann", json={}).status_code == 403


def test_step_up_holds_the_payment_until_the_learner_authenticates(api, world):
    api.req("POST", "/admin/fraud/rules", "risk", expect=201, json={
        "name": "step_up_new_device", "condition": "device_id == 'dev-new' and amount >= 100",
        "action": "step_up", "enabled": True})
    held = buy_on_device(api, "ann", world["c1"], "dev-new")["payment"]
    assert (held["status"], held["fraud_decision"], held["fraud_rule"]) == \
        ("requires_action", "step_up", "step_up_new_device")
    api.req("POST", f"/payments/{held['id']}/authenticate", "risk", expect=404)  # not their payment
    done = api.req("POST", f"/payments/{held['id']}/authenticate", "ann", expect=200).json()
    assert done["status"] == "captured"
    api.req("POST", f"/payments/{held['id']}/authenticate", "ann", expect=409)


def test_review_queue_claim_decide_and_label(api, world):
    api.req("POST", "/admin/fraud/rules", "risk", expect=201, json={
        "name": "review_scorer_down", "condition": "scorer_fallback == true", "action": "review",
        "reason": "no model score", "enabled": True})
    held = [buy_on_device(api, "ann", world[c], f"dev-{c}")["payment"] for c in ("c1", "c2")]
    assert all(p["status"] == "pending_review" and p["fraud_rule"] == "review_scorer_down" for p in held)
    queue = api.req("GET", "/admin/fraud/reviews?sort=age", "risk", expect=200).json()
    assert [c["payment"]["id"] for c in queue["items"]] == [p["id"] for p in held]  # oldest first
    assert queue["total"] == 2 and queue["stats"]["open"] == 2 and queue["stats"]["oldest_age_s"] >= 0
    target = held[0]["id"]
    api.req("POST", f"/admin/fraud/reviews/{target}/claim", "risk", expect=200)
    assert api.req("POST", f"/admin/fraud/reviews/{target}/claim", "risk2").status_code == 409
    other = api.req("POST", f"/admin/fraud/reviews/{target}/decision", "risk2", json={"decision": "approve"})
    assert other.status_code == 409 and "claimed by" in other.json()["detail"]
    unclaimed = api.req("GET", "/admin/fraud/reviews?unclaimed=true", "risk2", expect=200).json()
    assert [c["payment"]["id"] for c in unclaimed["items"]] == [held[1]["id"]]
    decided = api.req("POST", f"/admin/fraud/reviews/{target}/decision", "risk", expect=200,
                      json={"decision": "decline", "note": "card reported stolen by the issuer"}).json()
    assert (decided["status"], decided["review_decision"]) == ("declined", "decline")
    stats = api.req("GET", "/admin/fraud/reviews/stats", "risk", expect=200).json()
    assert (stats["open"], stats["claimed"]) == (1, 0)
    metrics = api.client.get("/metrics").text
    assert 'fraud_review_queue_size{state="open"} 1.0' in metrics
    with api.state.db.read_session() as s:
        ev = [e.payload for e in s.query(OutboxEvent).filter(OutboxEvent.event_type == "payment.reviewed")]
    assert len(ev) == 1 and ev[0]["payment_id"] == target and ev[0]["is_fraud"] == 1
    assert ev[0]["occurred_at"].startswith(decided["reviewed_at"][:19])


def test_backtest_through_the_api_matches_a_hand_count(api, world, make_settings):
    settings = api.state.settings
    path = table_path("payments_labeled", settings)
    path.mkdir(parents=True)
    pd.DataFrame({
        "payment_id": ["p0", "p1", "p2", "p3"], "learner_id": "u", "order_id": "o",
        "amount_minor": [50_000, 150_000, 200_000, 10_000], "currency": "INR", "method": "card",
        "device_id": ["d1", "d1", "d9", "d9"], "ip": "10.0.0.1", "country": "IN",
        "occurred_at": pd.to_datetime(["2026-03-01T10:00Z"] * 4),
        "event_timestamp": pd.to_datetime(["2026-03-01T10:00Z"] * 4),
        "date": "2026-03-01", "status": "authorized", "refunded": False, "is_fraud": [0, 1, 1, 0],
        "fraud_pattern": "",
    }).to_parquet(path / "part-0.parquet")
    api.req("POST", "/admin/fraud/lists", "risk", json={"name": "bad_devices", "values": ["d9"]}, expect=201)
    report = api.req("POST", "/admin/fraud/backtest", "risk", expect=200, json={"rules": [
        {"name": "review_big", "condition": "amount > 1000", "action": "review"},
        {"name": "block_bad", "condition": "device_id in @bad_devices", "action": "block"}]}).json()
    w = report["with_rules"]
    assert w["decisions"] == {"approve": 1, "review": 1, "step_up": 0, "decline": 2}
    assert (w["frauds_caught"], w["good_blocked"], w["good_reviewed"]) == (2, 1, 0)
    assert report["score_source"] == "recorded" and report["scored"] is False
    bad = api.req("POST", "/admin/fraud/backtest", "risk", json={"rules": [
        {"name": "oops", "condition": "amount >", "action": "review"}]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
