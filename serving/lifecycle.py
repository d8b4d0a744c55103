"""Champion lifecycle seen from outside the Serve app (Dagster, CLI, operators).

Replicas already follow the ``champion`` alias by polling; these functions make
the move *prompt and observable*: compare what the registry says with what the
running app reports on ``/status``, and when they differ ask the app to check now
(``POST /admin/reload``, with the settings' service token). Plain functions so the
Dagster sensor/asset stay thin; each is given the settings (registry URI, Serve
address, service token) by its caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from serving.model_source import FRAUD_MODEL, RECOMMENDER_MODEL, ChampionSource, NoChampionError
from suuupra.settings import Settings

MODELS = (RECOMMENDER_MODEL, FRAUD_MODEL)


def champion_versions(settings: Settings) -> dict[str, str | None]:
    """Registry version holding ``champion`` per served model (None: no champion yet)."""
    out: dict[str, str | None] = {}
    for name in MODELS:
        try:
            out[name] = ChampionSource(name, str(settings.mlflow_tracking_uri)).resolve_version()
        except NoChampionError:
            out[name] = None
    return out


def served_versions(settings: Settings, timeout_s: float = 10.0) -> dict[str, str | None] | None:
    """Version each model deployment serves, from ``GET /status``; None if unreachable."""
    import httpx

    from serving.runtime import base_url

    try:
        body = httpx.get(f"{base_url(settings)}/status", timeout=timeout_s, trust_env=False).json()
    except (httpx.HTTPError, ValueError):
        return None
    out: dict[str, str | None] = {}
    for dep in body.get("deployments", []):
        label = dep.get("model_version")
        if dep.get("model_name"):
            out[dep["model_name"]] = label.rsplit("/v", 1)[-1] if label else None
    return out


@dataclass
class ReloadReport:
    champions: dict[str, str | None]
    served_before: dict[str, str | None] | None
    served_after: dict[str, str | None] | None = None
    reloaded: bool = False
    stale: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return self.served_before is not None

    def as_markdown(self) -> str:
        rows = ["| model | champion | served before | served after |", "|---|---|---|---|"]
        for name, champ in self.champions.items():
            before = (self.served_before or {}).get(name)
            after = (self.served_after or {}).get(name)
            rows.append(f"| {name} | {champ} | {before} | {after} |")
        return "\n".join(rows)


def reload_if_moved(settings: Settings, timeout_s: float = 30.0) -> ReloadReport:
    """Ask the running app to load the champion when it serves another version."""
    import httpx

    from serving.auth import bearer_headers
    from serving.runtime import base_url

    champions = champion_versions(settings)
    served = served_versions(settings)
    report = ReloadReport(champions=champions, served_before=served)
    if served is None:
        return report
    report.stale = [n for n, v in champions.items() if v is not None and served.get(n) != v]
    if report.stale:
        resp = httpx.post(f"{base_url(settings)}/admin/reload", timeout=timeout_s, trust_env=False,
                          headers=bearer_headers(settings.serve_service_token))
        if resp.status_code == 401:  # a misconfigured deployment must fail loudly, not look reloaded
            raise PermissionError("serving refused the service token for /admin/reload; set "
                                  "SUUUPRA_SERVE_SERVICE_TOKEN to the token the Serve app runs with")
        report.reloaded = True
        report.served_after = served_versions(settings)
    else:
        report.served_after = served
    return report


def champion_cursor(versions: dict[str, Any]) -> str:
    """Stable string of the champion versions (the Dagster sensor's cursor)."""
    return ",".join(f"{k}={versions[k]}" for k in sorted(versions))
