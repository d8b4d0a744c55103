"""Schemathesis over our OpenAPI spec, on SQLite and PostgreSQL, as learner, instructor and admin.

Drives schemathesis 4 programmatically (its pytest plugin does not support
this pytest version), one phase after the other, like ``schemathesis run``:

* examples: the spec's declared examples (FastAPI emits none today; counted);
* coverage: schemathesis' deterministic coverage phase (boundary values, one
  case per constraint, positive *and* negative), ``schema.iter_coverage_cases``.
  Positive cases run once per role (and anonymously) with the seeded ids in
  their path; negative cases rotate the roles and keep the generated values;
* fuzzing: Hypothesis examples from ``operation.as_strategy`` per operation and
  role (and anonymously): positive with seeded path ids, positive fully
  generated, negative;
* stateful: ``schema.as_state_machine()``. The spec declares no OpenAPI links;
  schemathesis infers them from the response/parameter schemas (dependency
  analysis, e.g. ``CourseOut.id`` -> ``{course_id}``), so the phase runs on
  inferred links. It is skipped with a message only if none can be inferred.

Checks on every response: ``not_a_server_error``, ``status_code_conformance``
(no undocumented status), ``response_schema_conformance``,
``content_type_conformance`` and ``negative_data_rejection`` (invalid input
must get a 4xx). Every failure is collected, deduplicated per
(operation, failure kind, status; plus the detail for schema violations,
accepted negative data and server errors, whose exception and raising line
are captured) and reported together at the end; the case
counts per phase go to stdout (``-s``) and to ``schemathesis_<db>.json`` in the
test's tmp dir. Generation is derandomized (reproducible), with no example
database, and bounded: a wall-clock budget per phase stops a phase early (it
says so in the summary) rather than letting a slow database stretch the run.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config._checks import NegativeDataRejectionConfig
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup

# SUUUPRA_SCHEMATHESIS_SCALE=N multiplies examples, scenarios and time budgets for a deeper local run.
SCALE = max(1, int(os.environ.get("SUUUPRA_SCHEMATHESIS_SCALE", "1")))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          negative_data_rejection]
ROLES = ("learner", "instructor", "admin")
# Operations that call a service this test does not run (the tutor on Ray Serve): their 503
# problem ("the tutor is unavailable; try again shortly") is the correct answer here.
DEPENDENCY_DOWN = {"POST /api/v1/tutor/conversations/{conversation_id}/messages"}
IDENTITIES = (*ROLES, "anonymous")  # anonymous: no Authorization header at all
# Hypothesis examples per (operation, role): positive with seeded path ids, positive generated, negative.
FUZZ_POSITIVE = 12 * SCALE
FUZZ_NEGATIVE = 8 * SCALE
STATEFUL_SCENARIOS_PER_ROLE = 25 * SCALE
STATEFUL_STEPS = 8
STATEFUL_ROUNDS = 3  # rule orders tried per role until its step quota is met
# Wall-clock budget per phase (seconds); the whole test stays within ~3-4 minutes per database.
BUDGET_S = {k: v * SCALE for k, v in {"examples": 10.0, "coverage": 60.0, "fuzzing": 100.0, "stateful": 40.0}.items()}
HYPOTHESIS = dict(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])  # no shrinking: failures are collected, not raised


@dataclass
class Finding:
    operation: str
    kind: str  # failure class (check) name
    status: int | None
    title: str
    detail: str
    repro: str
    phases: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    count: int = 0

    def render(self) -> str:
        return (f"[{self.kind}] {self.operation} -> {self.status} ({self.title}); seen {self.count}x in "
                f"{'/'.join(sorted(self.phases))} as {'/'.join(sorted(self.roles))}\n"
                f"    detail: {self.detail}\n    repro:  {self.repro}")


class NoRaiseApp:
    """ASGI wrapper: an exception the app raises after its catch-all handler answered (Starlette's
    ServerErrorMiddleware sends the 500, then re-raises) is kept for the report instead of escaping from
    ``case.call``; the response (or a plain 500 if none was started) reaches the checks."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last: BaseException | None = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        started = False

        async def _send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception as exc:  # noqa: BLE001
            self.last = exc
            if scope["type"] == "http" and not started:
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"unhandled exception"})

    def pop(self) -> BaseException | None:
        last, self.last = self.last, None
        return last


@dataclass
class Run:
    db: str
    app: NoRaiseApp
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]
    cases: Counter = field(default_factory=Counter)  # phase -> cases sent
    statuses: dict[str, Counter] = field(default_factory=dict)  # phase -> status -> n
    findings: dict[tuple, Finding] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # ---- one request -----------------------------------------------------------------------------
    def execute(self, case: Any, role: str, phase: str) -> None:
        headers = dict(self.headers[role])
        if case.headers and any(k.lower() == "authorization" for k in case.headers):
            headers = {}  # the case itself tests the Authorization header: leave it alone
        self.cases[phase] += 1
        try:
            response = case.call(headers=headers, app=self.app)
        except Exception as exc:  # noqa: BLE001 - the request could not even be sent
            self._add(case, role, phase, None, "TransportError", type(exc).__name__, _first_lines(str(exc)))
            return
        self.validate(case, response, role, phase, headers=headers, transport_kwargs={"headers": headers})

    def validate(self, case: Any, response: Any, role: str, phase: str, **kwargs: Any) -> None:
        self.statuses.setdefault(phase, Counter())[response.status_code] += 1
        crash = self.app.pop()
        checks = CHECKS
        if response.status_code == 503 and case.operation.label in DEPENDENCY_DOWN:
            # the documented answer while that dependency is down (it does not run in this test)
            assert response.headers.get("content-type", "").startswith("application/problem+json")
            checks = [c for c in CHECKS if c is not not_a_server_error]
        try:
            case.validate_response(response, checks=checks, **kwargs)
        except FailureGroup as group:
            for failure in group.exceptions:
                detail = _first_lines(failure.message)
                if type(failure).__name__ == "ServerError" and crash is not None:
                    detail = f"{type(crash).__name__}: {_first_lines(str(crash), 1)[:200]} at {_where(crash)}"
                self._add(case, role, phase, response.status_code, type(failure).__name__, failure.title,
                          detail, response=response)

    def _add(self, case: Any, role: str, phase: str, status: int | None, kind: str, title: str, detail: str,
             response: Any = None) -> None:
        label = case.operation.label
        # One finding per distinct problem: schema violations and accepted negative data by their detail.
        key = (label, kind, status, detail[:160] if kind in ("JsonSchemaError", "AcceptedNegativeData",
                                                             "ServerError") else title)
        finding = self.findings.get(key)
        if finding is None:
            finding = self.findings[key] = Finding(label, kind, status, title, detail, _repro(case, role, response))
        finding.phases.add(phase)
        finding.roles.add(role)
        finding.count += 1

    # ---- summary ---------------------------------------------------------------------------------
    def count(self, kind: str) -> int:
        return sum(f.count for f in self.findings.values() if f.kind == kind)

    def summary(self) -> dict[str, Any]:
        server_errors = sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)
        return {
            "db": self.db, "cases": dict(self.cases), "server_errors": server_errors,
            "undocumented_statuses": self.count("UndefinedStatusCode"),
            "schema_violations": self.count("JsonSchemaError"),
            "content_type_failures": self.count("UndefinedContentType") + self.count("MalformedMediaType"),
            "accepted_negative_data": self.count("AcceptedNegativeData"),
            "distinct_failures": len(self.findings),
            "statuses": {p: dict(sorted(c.items())) for p, c in self.statuses.items()},
            "truncated_phases": self.truncated, "notes": self.notes,
            "failures": [f.render() for f in sorted(self.findings.values(),
                                                    key=lambda f: (f.operation, f.kind, f.status or 0))],
        }


def _where(exc: BaseException) -> str:
    """The innermost traceback frame in our code (apps_api/ or suuupra/), else the innermost one."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if ("/apps_api/" in f.filename or "/suuupra/" in f.filename)
            and "/tests/" not in f.filename]
    frame = (ours or frames or [None])[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" if frame else "?"


def _first_lines(text: str, n: int = 3) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return " | ".join(lines[:n])[:400]


def _repro(case: Any, role: str, response: Any = None) -> str:
    path = case.formatted_path if hasattr(case, "formatted_path") else case.path
    parts = [f"{role}: {case.method.upper()} {path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    extra = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    if extra:
        parts.append(f"headers={extra!r}")
    if case.body is not NOT_SET:
        parts.append(f"body={json.dumps(case.body, default=repr)[:300]}")
    if case.media_type and case.body is not NOT_SET and case.media_type != "application/json":
        parts.append(f"content-type={case.media_type}")
    if response is not None:
        parts.append(f"-> {response.status_code} {response.text[:200]!r}")
    return " ".join(parts)


def _seed(api) -> dict[str, str]:
    """An instructor with a published paid course (module + lesson), a free course and a draft; a learner
    who bought the paid course; an admin with a coupon."""
    ids = {"user_id": api.user("learner"), "instructor": api.user("instructor", "instructor"),
           "admin": api.user("admin", "admin")}
    paid = api.course("instructor", price=49_900, title="Paid course")
    api.course("instructor", price=0, title="Free course", preview=True)
    api.course("instructor", price=1_000, title="Draft course", publish=False)
    api.req("POST", "/coupons", "admin", json={"code": "SCHEMA10", "kind": "percent", "percent_off": 10},
            expect=201)
    out = api.buy("learner", paid["course"])
    ids.update(course_id=paid["course"], module_id=paid["module"], lesson_id=paid["lesson"],
               order_id=out["order"]["id"] if "order" in out else out.get("order_id", ""),
               payment_id=(out.get("payment") or {}).get("id", ""))
    return {k: v for k, v in ids.items() if v}


def _ids_for(operation: Any, ids: dict[str, str]) -> dict[str, str]:
    return {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}


class _Deadline:
    def __init__(self, run: Run, phase: str) -> None:
        self.run, self.phase = run, phase
        self.end = time.monotonic() + BUDGET_S[phase]

    def over(self) -> bool:
        if time.monotonic() > self.end:
            if self.phase not in self.run.truncated:
                self.run.truncated.append(self.phase)
            return True
        return False


# ---- phases ---------------------------------------------------------------------------------------
def _examples_phase(run: Run, operations: list[Any]) -> None:
    deadline = _Deadline(run, "examples")
    for op in operations:
        if deadline.over():
            return
        try:
            strategies = op.get_strategies_from_examples()
        except Exception as exc:  # noqa: BLE001 - a broken example is a schema finding, not a crash
            run.notes.append(f"examples {op.label}: {type(exc).__name__}: {exc}")
            continue
        for i, strategy in enumerate(strategies):
            case = strategy.example()
            run.execute(case, ROLES[i % len(ROLES)], "examples")


def _coverage_phase(run: Run, schema: Any, operations: list[Any]) -> None:
    deadline = _Deadline(run, "coverage")
    negatives = 0
    for op in operations:
        config = schema.config.generation_for(operation=op, phase="coverage")
        known = _ids_for(op, run.ids)
        for case in schema.iter_coverage_cases(op, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                               generation_config=config):
            if deadline.over():
                return
            if case.meta is not None and case.meta.generation.mode.is_negative:
                run.execute(case, ROLES[negatives % len(ROLES)], "coverage")
                negatives += 1
                continue
            if known:  # reach the real resources; the generated ids are exercised by fuzzing
                case.path_parameters = {**(case.path_parameters or {}), **known}
            for role in IDENTITIES:
                run.execute(case, role, "coverage")


def _fuzzing_phase(run: Run, operations: list[Any]) -> None:
    deadline = _Deadline(run, "fuzzing")
    for op in operations:
        known = _ids_for(op, run.ids)
        plans: list[tuple[str, Callable[[], Any], int]] = [
            ("positive", lambda op=op: op.as_strategy(GenerationMode.POSITIVE), FUZZ_POSITIVE),
            ("negative", lambda op=op: op.as_strategy(GenerationMode.NEGATIVE), FUZZ_NEGATIVE)]
        if known:
            plans.insert(0, ("positive+ids", lambda op=op, known=known: op.as_strategy(
                GenerationMode.POSITIVE, path_parameters=known), FUZZ_POSITIVE))
        for role in IDENTITIES:
            for name, make, n in plans:
                if deadline.over():
                    return
                try:
                    strategy = make()
                except Exception as exc:  # noqa: BLE001 - e.g. nothing to negate
                    run.notes.append(f"fuzzing {op.label} {name}: {type(exc).__name__}")
                    continue

                try:
                    _fuzz(run, deadline, strategy, role, n)()
                except HypothesisException as exc:  # Unsatisfiable etc.: note, do not crash the phase
                    msg = str(exc).splitlines()[0][:120] if str(exc) else ""
                    run.notes.append(f"fuzzing {op.label} {name}: {type(exc).__name__} {msg}")


def _fuzz(run: Run, deadline: _Deadline, strategy: Any, role: str, n: int) -> Callable[[], None]:
    @settings(max_examples=n, **HYPOTHESIS)
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        if not deadline.over():
            run.execute(case, role, "fuzzing")

    return fuzz


def _stateful_phase(run: Run, schema: Any) -> None:
    deadline = _Deadline(run, "stateful")
    try:
        base = schema.as_state_machine()
    except Exception as exc:  # noqa: BLE001
        run.notes.append(f"stateful skipped: could not build a state machine: {exc}")
        return
    transitions = schema.statistic.transitions
    run.notes.append(f"stateful: {transitions.selected} links (declared in spec: 0, inferred by schemathesis)")
    if not transitions.selected:
        run.notes.append("stateful skipped: the spec declares no OpenAPI links and none could be inferred")
        return

    flaky = 0
    for role in ROLES:
        steps_before = run.cases["stateful"]
        for round_ in range(STATEFUL_ROUNDS):
            if deadline.over():
                return
            if run.cases["stateful"] - steps_before >= STATEFUL_SCENARIOS_PER_ROLE * STATEFUL_STEPS:
                break
            try:
                _machine(base, run, deadline, role, round_).run(settings=settings(
                    max_examples=STATEFUL_SCENARIOS_PER_ROLE, stateful_step_count=STATEFUL_STEPS, **HYPOTHESIS))
            except Exception as exc:  # noqa: BLE001 - report, keep the other roles going
                if isinstance(exc, _BudgetSpent) or deadline.over():
                    return  # out of time (Hypothesis may wrap our _BudgetSpent in its own error): truncated
                if isinstance(exc, Flaky):
                    # The server's state changed under a replayed prefix (its responses feed the bundles);
                    # `schemathesis run` counts this as a finished suite too. Go on with another rule order.
                    flaky += 1
                    continue
                run.notes.append(f"stateful {role}: {type(exc).__name__}: {_first_lines(str(exc))}")
    if flaky:
        run.notes.append(f"stateful: {flaky} suite(s) ended early on a Hypothesis replay inconsistency "
                         "(server state changed between replays), then continued with another rule order")


def _machine(base: type, run: Run, deadline: _Deadline, role: str, round_: int) -> type:
    class Machine(base):  # type: ignore[misc, valid-type]
        rule_order_seed = round_ + 1  # a different deterministic root-rule order per round

        def step(self, input):
            if input.transition is not None and input.is_applied:
                run.cases["stateful_linked"] += 1  # a step whose inputs came from an earlier response
            return super().step(input)

        def get_call_kwargs(self, case):
            if case.headers and any(k.lower() == "authorization" for k in case.headers):
                return {"app": run.app}
            return {"headers": dict(run.headers[role]), "app": run.app}

        def call(self, case, **kwargs):
            if deadline.over():
                raise _BudgetSpent
            run.cases["stateful"] += 1
            return case.call(**kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            run.validate(case, response, role, "stateful", headers=kwargs.get("headers"),
                         transport_kwargs=kwargs or None, recorder=getattr(self, "recorder", None))

    return Machine


class _BudgetSpent(Exception):
    pass


# ---- the test -------------------------------------------------------------------------------------
@pytest.fixture()
def contract_api(make_api):
    api = make_api()  # every router: core, search, tutor, streaming
    ids = _seed(api)
    return api, ids


def test_openapi_contract_all_phases(contract_api, db_url: str, tmp_path: Path) -> None:
    api, ids = contract_api
    db = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    started = time.monotonic()
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    schema.config.generation.update(modes=list(GenerationMode), with_security_parameters=False,
                                    deterministic=True)
    schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(expected_statuses=["4xx"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40, [op.label for op in operations]

    headers = {r: {"Authorization": f"Bearer {api.tokens[r]}"} for r in ROLES}
    run = Run(db=db, app=NoRaiseApp(api.app), headers={**headers, "anonymous": {}}, ids=ids)
    timings: dict[str, float] = {}
    for phase, fn in (("examples", lambda: _examples_phase(run, operations)),
                      ("coverage", lambda: _coverage_phase(run, schema, operations)),
                      ("fuzzing", lambda: _fuzzing_phase(run, operations)),
                      ("stateful", lambda: _stateful_phase(run, schema))):
        t0 = time.monotonic()
        fn()
        timings[phase] = round(time.monotonic() - t0, 1)

    summary = run.summary()
    summary["seconds"] = {**timings, "total": round(time.monotonic() - started, 1)}
    out = tmp_path / f"schemathesis_{db}.json"
    out.write_text(json.dumps(summary, indent=2, default=str))
    c = run.cases
    print(f"\nschemathesis {db}: examples={c['examples']} coverage={c['coverage']} fuzzing={c['fuzzing']} "
          f"stateful={c['stateful']} (linked={c['stateful_linked']}) server_errors={summary['server_errors']} "
          f"undocumented_statuses={summary['undocumented_statuses']} "
          f"schema_violations={summary['schema_violations']} "
          f"accepted_negative={summary['accepted_negative_data']} distinct_failures={len(run.findings)} "
          f"truncated={run.truncated or 'none'} seconds={summary['seconds']} -> {out}")
    for note in run.notes:
        print("  note:", note)

    # The phases really ran, and reached past authentication and validation.
    assert c["coverage"] >= 500 and c["fuzzing"] >= 3 * len(operations), dict(c)
    ok = sum(n for p in run.statuses.values() for s, n in p.items() if 200 <= s < 300)
    assert ok >= 50, run.statuses
    assert c["stateful_linked"] > 0 or any("stateful skipped" in n for n in run.notes), run.notes
    assert not run.findings, (
        f"{len(run.findings)} distinct contract failures on {db} "
        f"(server_errors={summary['server_errors']}, undocumented={summary['undocumented_statuses']}, "
        f"schema={summary['schema_violations']}, accepted_negative={summary['accepted_negative_data']}):\n"
        + "\n".join(summary["failures"]))

