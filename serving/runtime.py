"""Start/stop Ray and Serve for a profile, and run the platform's applications.

``local``: an in-process Ray (``ray.init(num_cpus=2, include_dashboard=False)``) and
Serve on ``settings.serve_host:serve_port``. ``prod``: connect to the cluster at
``settings.ray_address``; there, prefer ``serve deploy serving/config/serve_prod.yaml``
(declarative, what the controller reconciles towards) over this module.

Every function takes the settings by value; ``suuupra serve ...`` (:mod:`cli.serve_cmd`),
the tests and the benchmarks build them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suuupra.settings import Profile, Settings

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def config_path(profile: str) -> Path:
    """The Serve config file of a profile (``serve_local.yaml`` / ``serve_prod.yaml``)."""
    return CONFIG_DIR / f"serve_{profile}.yaml"


def replica_env(settings: Settings) -> dict[str, str]:
    """Settings replicas must share with the driver (they are separate processes)."""
    return {
        "SUUUPRA_PROFILE": settings.profile.value,
        "SUUUPRA_DATA_DIR": str(settings.data_dir),
        "SUUUPRA_MLFLOW_TRACKING_URI": str(settings.mlflow_tracking_uri),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",
    }


def start(settings: Settings, num_cpus: int = 2) -> None:
    """Connect Ray (local or cluster) and start Serve's HTTP proxy on the configured port."""
    import ray
    from ray import serve

    if not ray.is_initialized():
        env = {"env_vars": replica_env(settings)}
        if settings.profile is Profile.local and not settings.ray_address:
            # address="local": always a fresh in-process instance, never a stale
            # /tmp/ray/ray_current_cluster left by another `ray start` on this machine
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, runtime_env=env, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=settings.ray_address or "auto", runtime_env=env, log_to_driver=False)
    serve.start(http_options={"host": settings.serve_host, "port": settings.serve_port})


def platform_config(
    settings: Settings,
    serving_args: dict[str, Any] | None = None,
    tutor: bool = True,
    noop: bool = False,
    deployments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The profile's Serve config (``serve_<profile>.yaml``) adapted to this machine's settings.

    ``serving_args`` are merged into the ``suuupra`` app's ``args``; ``deployments``
    replaces its per-deployment overrides (e.g. a ``user_config`` pinning a version).
    Replicas get the settings they must share with the driver as env vars.
    """
    import yaml

    cfg = yaml.safe_load(config_path(settings.profile.value).read_text())
    cfg["http_options"] = {**cfg.get("http_options", {}), "host": settings.serve_host, "port": settings.serve_port}
    apps = []
    for app in cfg["applications"]:
        if app["name"] in {"llm", "tutor"} and not tutor:
            continue
        env = {**replica_env(settings), **app.get("runtime_env", {}).get("env_vars", {})}
        app["runtime_env"] = {**app.get("runtime_env", {}), "env_vars": env}
        if app["name"] == "suuupra":
            app["args"] = {**app.get("args", {}), **(serving_args or {})}
            if deployments is not None:
                app["deployments"] = deployments
        apps.append(app)
    if noop:
        apps.append({"name": "noop", "route_prefix": "/noop", "import_path": "serving.app:build_noop_app",
                     "args": {}, "runtime_env": {"env_vars": replica_env(settings)}})
    cfg["applications"] = apps
    return cfg


def apply_config(config: dict[str, Any], timeout_s: float = 300.0) -> None:
    """Deploy a multi-application Serve config on the running Serve instance and wait for it.

    The declarative path (what ``serve deploy`` does): unlike ``serve.run``, Serve
    derives code versions from the config, so re-applying a config that only
    changes ``user_config`` (a pinned ``model_version``, batching) reconfigures live
    replicas in place instead of replacing them. Locally there is no dashboard to
    post to, so this goes through Serve's controller client.
    """
    import time

    from ray import serve
    from ray.serve.context import _get_global_client
    from ray.serve.schema import ServeDeploySchema

    schema = ServeDeploySchema.model_validate(config)
    _get_global_client().deploy_apps(schema)
    names = {a.name for a in schema.applications}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        apps = serve.status().applications
        states = {n: str(apps[n].status) if n in apps else "MISSING" for n in names}
        failed = {n: apps[n].message for n, st in states.items() if st.endswith("DEPLOY_FAILED")}
        if failed:
            raise RuntimeError(f"Serve applications failed to deploy: {failed}")
        if all(st.endswith("RUNNING") for st in states.values()):
            return
        time.sleep(0.5)
    raise TimeoutError(f"Serve applications not running after {timeout_s}s: {states}")


def run_platform(
    settings: Settings,
    serving_args: dict[str, Any] | None = None,
    tutor: bool = True,
    noop: bool = False,
) -> dict[str, str]:
    """Start Ray/Serve and deploy the profile's config; returns application -> route prefix."""
    start(settings)
    cfg = platform_config(settings, serving_args, tutor=tutor, noop=noop)
    apply_config(cfg)
    return {a["name"]: a["route_prefix"] for a in cfg["applications"]}


def base_url(settings: Settings) -> str:
    """Where the Serve proxy of ``settings`` answers (``http://host:port``)."""
    return f"http://{settings.serve_host}:{settings.serve_port}"


def shutdown() -> None:
    import ray
    from ray import serve

    try:
        serve.shutdown()
    finally:
        ray.shutdown()
