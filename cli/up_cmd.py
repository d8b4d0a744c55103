"""``suuupra up``: bring the platform up on localhost and keep it up until Ctrl-C.

Each service runs as its own child process in its own process group, so one
Ctrl-C (or SIGTERM) stops every service and its children cleanly. A service
whose code has not landed (module missing) is skipped with a note instead of
failing the whole platform.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.table import Table

console = Console()


@dataclass
class Service:
    name: str
    module: str  # must be importable for the service to start
    argv: list[str]
    url: str
    health: str | tuple[str, ...]  # every path must answer 2xx/3xx
    env: dict[str, str] = field(default_factory=dict)
    startup_timeout_s: float = 120.0


def platform_services() -> list[Service]:
    """The services of the platform with their commands, URLs and health checks."""
    from dagster_project.instance import prepare_dagster_home
    from suuupra.settings import get_settings

    s = get_settings()
    py = sys.executable
    bindir = str(Path(py).parent)
    dagster_home = str(prepare_dagster_home(s))
    (s.data_dir / "mlflow" / "artifacts").mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1"
    return [
        Service("docs site (crawl source)", "crawlers.docs_server",
                [py, "-m", "cli", "crawl", "serve"], f"http://{host}:{s.docs_port}/", "/robots.txt"),
        Service("apps_api (FastAPI)", "apps_api.main",
                [py, "-m", "cli", "api", "serve", "--host", s.api_host, "--port", str(s.api_port)],
                f"http://{s.api_host}:{s.api_port}/docs", "/healthz"),
        Service("Ray Serve (recommendations, fraud, tutor)", "cli.serve_cmd",
                [py, "-m", "cli", "serve", "up"],
                f"http://{s.serve_host}:{s.serve_port}/status",
                ("/status", "/llm/v1/models", "/tutor/v1/models"), startup_timeout_s=420),
        Service("Dagster UI", "dagster_webserver",
                [os.path.join(bindir, "dagster-webserver"), "-m", "dagster_project.definitions",
                 "-h", host, "-p", str(s.dagster_port)],
                f"http://{host}:{s.dagster_port}/", "/server_info", env={"DAGSTER_HOME": dagster_home}),
        Service("MLflow UI", "mlflow",
                [os.path.join(bindir, "mlflow"), "server", "--backend-store-uri", s.mlflow_tracking_uri,
                 "--default-artifact-root", str(s.data_dir / "mlflow" / "artifacts"),
                 "--host", host, "--port", str(s.mlflow_ui_port), "--workers", "1"],
                f"http://{host}:{s.mlflow_ui_port}/", "/health", startup_timeout_s=240),
    ]


def _available(service: Service) -> bool:
    try:
        return importlib.util.find_spec(service.module) is not None
    except ModuleNotFoundError:
        return False


def _wait_healthy(service: Service, proc: subprocess.Popen, deadline: float) -> bool:
    """Ready when every health path answers 2xx/3xx (a 404 from a proxy whose apps are
    still deploying is not ready)."""
    base = service.url.split("/", 3)
    root = "/".join(base[:3])
    paths = (service.health,) if isinstance(service.health, str) else service.health
    pending = list(paths)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            pending = [p for p in pending if httpx.get(root + p, timeout=5.0).status_code >= 400]
            if not pending:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    return False


def _stop_all(procs: list[tuple[Service, subprocess.Popen]]) -> None:
    for _, proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 20
    for _, proc in procs:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def print_walk(settings) -> bool:
    """Run the scripted learner walk against the running services and print each step."""
    from cli.walk import run_walk

    report = run_walk(settings)
    table = Table(title="learner walk: " + ("ok" if report.ok else "FAILED"))
    for col in ("step", "ok", "seconds", "detail"):
        table.add_column(col)
    for s in report.steps:
        table.add_row(s.name, "yes" if s.ok else "[red]NO[/]", f"{s.seconds:.2f}", s.detail[:120])
    console.print(table)
    return report.ok


def walk_cmd() -> None:
    """Walk the running platform as a new learner (register, browse, recommend, tutor, buy, watch)."""
    from suuupra.errors import CLIError
    from suuupra.settings import get_settings

    if not print_walk(get_settings()):
        raise CLIError("the learner walk failed; see the table above (is `suuupra up` running?)")


def up(
    check: bool = typer.Option(False, "--check", help="Start everything, verify each answers, then stop."),
    only: list[str] = typer.Option([], "--only", help="Start only services whose name contains this."),
    walk: bool = typer.Option(False, "--walk", help="Once up, run the scripted learner walk (suuupra walk)."),
) -> None:
    """Start apps_api, Ray Serve, the Dagster UI, the MLflow UI and the docs site; print their URLs."""
    from suuupra.errors import CLIError
    from suuupra.settings import get_settings

    settings = get_settings()
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = [s for s in platform_services() if not only or any(o.lower() in s.name.lower() for o in only)]
    procs: list[tuple[Service, subprocess.Popen]] = []
    status: dict[str, str] = {}

    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        for service in services:
            if not _available(service):
                status[service.name] = "skipped (not installed yet)"
                continue
            log = open(log_dir / f"{service.name.split()[0].lower()}.log", "ab")
            env = {**os.environ, **service.env}
            proc = subprocess.Popen(service.argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
            procs.append((service, proc))
        for service, proc in procs:
            ok = _wait_healthy(service, proc, time.monotonic() + service.startup_timeout_s)
            status[service.name] = "up" if ok else f"FAILED (see {log_dir})"
        table = Table(title="Suuupra platform up" if all(v != "FAILED" for v in status.values()) else "Suuupra")
        table.add_column("service")
        table.add_column("url")
        table.add_column("status")
        for service in services:
            table.add_row(service.name, service.url, status.get(service.name, "?"))
        console.print(table)
        failed = [n for n, v in status.items() if v.startswith("FAILED")]
        if walk and not failed:
            if not print_walk(settings):
                failed.append("learner walk")
        if check:
            if failed:
                raise CLIError(f"services failed to start: {', '.join(failed)}; logs in {log_dir}")
            console.print("[green]platform up[/] (check mode: stopping)")
            return
        console.print("[green]platform up[/] — press Ctrl-C to stop everything")
        while True:
            for service, proc in procs:
                if proc.poll() is not None and status.get(service.name) == "up":
                    status[service.name] = "exited"
                    console.print(f"[yellow]{service.name} exited (code {proc.returncode}); see {log_dir}[/]")
            time.sleep(2)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        _stop_all(procs)
        console.print("all services stopped")
