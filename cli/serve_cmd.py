"""``suuupra serve ...``: run, inspect and reload the Ray Serve applications.

The commands are the edge where serving's settings are read (``get_settings()``);
everything they call gets them by value.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from suuupra.errors import CLIError

if TYPE_CHECKING:
    import httpx

    from suuupra.settings import Settings

app = typer.Typer(help="Ray Serve: recommendations, fraud scoring and the tutor.", no_args_is_help=True)
console = Console()


def _settings() -> Settings:
    from suuupra.settings import get_settings

    return get_settings()


def _client(settings: Settings) -> httpx.Client:
    import httpx

    from serving.runtime import base_url

    return httpx.Client(base_url=base_url(settings), timeout=30, trust_env=False)


def _print_status(body: dict) -> None:
    table = Table(title=f"serving: {body.get('status')}")
    for col in ("deployment", "model version", "loaded at", "pinned", "last error"):
        table.add_column(col)
    for d in body.get("deployments", []):
        table.add_row(d["name"], str(d.get("model_version")), str(d.get("loaded_at") or ""),
                      "yes" if d.get("pinned") else "", str(d.get("last_error") or ""))
    console.print(table)


@app.command("up")
def up(
    tutor: bool = typer.Option(True, "--tutor/--no-tutor", help="Also run the LLM (/llm) and tutor (/tutor) apps."),
    noop: bool = typer.Option(False, "--noop", help="Also run the no-op benchmark app at /noop."),
    poll_interval_s: float = typer.Option(5.0, "--poll-interval", min=0.1, help="Champion alias poll period."),
) -> None:
    """Start Ray + Serve locally (or on settings.ray_address) and serve until Ctrl-C."""
    from cli.foreground import run_until_interrupted
    from serving import runtime

    settings = _settings()
    try:
        routes = runtime.run_platform(settings, serving_args={"poll_interval_s": poll_interval_s}, tutor=tutor,
                                      noop=noop)
    except OSError as exc:
        raise CLIError(f"could not start Serve: {exc}; is the port free? set SUUUPRA_SERVE_PORT") from None
    base = runtime.base_url(settings)
    for name, prefix in routes.items():
        console.print(f"[green]{name}[/] at {base}{prefix}")
    console.print("Ctrl-C to stop.")
    run_until_interrupted(runtime.shutdown)


def _call(settings: Settings, method: str, path: str, *, authorized: bool = False) -> dict:
    """One request to the running Serve app; unreachable or refused -> a CLI error naming the fix.

    ``authorized`` sends ``settings``' service token (admin routes need it).
    """
    import httpx

    from serving.auth import bearer_headers

    headers = bearer_headers(settings.serve_service_token) if authorized else {}
    try:
        with _client(settings) as client:
            resp = client.request(method, path, headers=headers)
    except httpx.HTTPError as exc:
        raise CLIError(f"serving is not reachable ({exc}); start it with `suuupra serve up`") from None
    if resp.status_code == 401:
        raise CLIError("serving refused the service token; set SUUUPRA_SERVE_SERVICE_TOKEN to the token "
                       "the Serve app runs with")
    try:
        return resp.json()
    except ValueError:
        raise CLIError(f"{method} {path} answered {resp.status_code} without JSON") from None


@app.command("status")
def status() -> None:
    """Model version and health of each deployment (GET /status)."""
    _print_status(_call(_settings(), "GET", "/status"))


@app.command("reload")
def reload() -> None:
    """Make the deployments check the registry's champion alias now (POST /admin/reload)."""
    _print_status(_call(_settings(), "POST", "/admin/reload", authorized=True))


@app.command("config")
def config(profile: str = typer.Option(None, "--profile", help="local or prod; default: the active one.")) -> None:
    """Print the path of the Serve config file for `serve run` / `serve deploy`."""
    from serving.runtime import config_path

    profile = profile or _settings().profile.value
    path = config_path(profile)
    if not path.exists():
        raise CLIError(f"no Serve config for profile {profile!r}; use --profile local or --profile prod")
    print(path)


@app.command("deploy")
def deploy(
    address: str = typer.Option(None, "--address", help="Ray dashboard address; default settings.ray_address."),
) -> None:
    """Declaratively deploy serve_prod.yaml to a running Ray cluster (`serve deploy`)."""
    import shutil
    import subprocess
    import sys

    from serving.runtime import config_path

    target = address or _settings().ray_address
    if not target:
        raise CLIError("no Ray cluster address; pass --address http://head:8265 or set SUUUPRA_RAY_ADDRESS")
    serve_bin = shutil.which("serve") or str(Path(sys.executable).with_name("serve"))
    cmd = [serve_bin, "deploy", str(config_path("prod")), "--address", target]
    console.print(" ".join(cmd))
    rc = subprocess.call(cmd)
    if rc:
        raise CLIError(f"`serve deploy` failed with exit code {rc}")
