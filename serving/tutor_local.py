"""Start the local tutor stack in-process: Ray + Serve + SmolLM2 LLM app + tutor app.

Used by ``suuupra tutor serve``, ``suuupra eval tutor --start-local``, the tutor
benchmarks and the end-to-end tests, so they all run exactly the same deployment.
The whole-platform Serve composition lives elsewhere in ``serving/``; this is the
tutor's own slice of it (two applications: ``/llm`` and ``/tutor``).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
_FORWARD_ENV = ("SUUUPRA_", "HF_", "TRANSFORMERS_", "TOKENIZERS_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class LocalTutorStack:
    """Context manager; ``base_url`` is ``http://127.0.0.1:<port>``."""

    port: int = 0
    llm_args: dict[str, Any] | None = None
    tutor_args: dict[str, Any] | None = None
    env: dict[str, str] | None = None
    num_cpus: int = 2
    base_url: str = ""
    _started_ray: bool = False

    @property
    def tutor_url(self) -> str:
        return f"{self.base_url}/tutor/v1"

    @property
    def llm_url(self) -> str:
        return f"{self.base_url}/llm/v1"

    def __enter__(self) -> LocalTutorStack:
        import ray
        from ray import serve

        from serving.llm.local_app import build_local_llm_app
        from serving.tutor_app import build_tutor_app

        port = self.port or free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        # Replicas are separate processes: hand them our settings environment and code.
        env = {k: v for k, v in os.environ.items() if k.startswith(_FORWARD_ENV)}
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TRANSFORMERS_OFFLINE", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        env.update(self.env or {})
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        if not ray.is_initialized():
            ray.init(
                address="local",  # a fresh instance, not whatever /tmp/ray/ray_current_cluster names
                num_cpus=self.num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": env},
            )
            self._started_ray = True
        try:
            serve.start(http_options={"host": "127.0.0.1", "port": port})
            # env_vars per deployment too: an already-running Ray (e.g. another test
            # module's) did not get our runtime_env at init.
            largs = {"env_vars": env, **(self.llm_args or {})}
            serve.run(build_local_llm_app(largs), name="llm", route_prefix="/llm")
            targs = {"llm_base_url": self.llm_url, "env_vars": env, **(self.tutor_args or {})}
            serve.run(build_tutor_app(targs), name="tutor", route_prefix="/tutor")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        import ray
        from ray import serve

        try:
            serve.shutdown()
        finally:
            if self._started_ray:
                ray.shutdown()
