"""A Ray head for tests, started by the ``ray`` CLI in a clean child process.

Why not ``ray.init()`` inside pytest: by the time the Ray tests run, the pytest
process has many threads (py4j for the Spark session, Flink's gateway, Dagster,
httpx pools). ``ray.init()`` starts its head processes with ``subprocess.Popen(
preexec_fn=...)``, i.e. Python code runs in the forked child, and a lock another
thread held at fork time (the import lock, a logging lock) deadlocks that child
for good. CI hit exactly that (a 300 s hang in ``start_monitor``). ``subprocess``
without ``preexec_fn`` execs straight from C, so starting the head with the CLI
and connecting the test process as a plain driver never forks Python code.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from serving.tutor_local import REPO, free_port


def _wait_for_port(port: int, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`ray start --head` exited with {proc.returncode}; see its log")
        with socket.socket() as s:
            s.settimeout(1.0)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"Ray head did not listen on port {port} within {timeout_s:.0f}s")


@contextmanager
def ray_head(num_cpus: int, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start a private Ray head; yield its address; stop every process it started.

    The head runs in its own session (process group), so teardown kills exactly
    the processes this test started and nothing of another Ray on the machine.
    """
    port = free_port()
    child_env = {**os.environ, **(env or {})}
    # loopback-only test cluster: no token auth (Ray 2.60 turns it on for `ray start`,
    # and an in-process driver would then need the token too)
    child_env["RAY_AUTH_MODE"] = "disabled"
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), child_env.get("PYTHONPATH", "")) if p)
    command = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
        f"--port={port}", "--node-ip-address=127.0.0.1", f"--num-cpus={num_cpus}", "--num-gpus=0",
        "--include-dashboard=false", "--disable-usage-stats",
    ]
    log = log_path.open("ab")
    proc = subprocess.Popen(command, cwd=REPO, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_port(port, proc, timeout_s=120)
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        _stop_group(proc)
        log.close()
        _forget_current_cluster(port)


def _forget_current_cluster(port: int) -> None:
    """`ray start` records its address for later bare ``ray.init()`` calls; ours is gone."""
    marker = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
    try:
        if marker.read_text().strip().endswith(f":{port}"):
            marker.unlink()
    except FileNotFoundError:
        pass


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM lets ``ray start --block`` stop its processes; SIGKILL sweeps stragglers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    time.sleep(1.0)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)
