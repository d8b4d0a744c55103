"""Run the stream jobs: one TableEnvironment per job, all its INSERTs in one StatementSet.

Two jobs, each reading one topic once:

* ``velocity``: payment attempts -> learner / device / IP velocity (OVER
  windows that emit one row per payment, so the feature is fresh the moment
  the payment is processed);
* ``engagement``: engagement events -> 5-minute course windows with running
  counters, and the trending Top-K per window.

Modes: ``once`` reads what is in the lake and finishes (bounded source,
streaming runtime, so the code path is the one that runs continuously);
``follow`` keeps monitoring the lake directories (or Kafka in prod) with
checkpoints every second under ``<data_dir>/checkpoints/flink/<job>`` and
resumes from the newest retained checkpoint on restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.flink import sql
from pipelines.flink.sql import file_uri
from suuupra.lake import checkpoint_dir, flink_staging_path
from suuupra.settings import Profile, Settings

if TYPE_CHECKING:
    from pyflink.table import TableEnvironment

JOBS: dict[str, tuple[str, ...]] = {
    "velocity": ("learner_payment_velocity", "device_payment_velocity", "ip_payment_velocity"),
    "engagement": ("course_engagement", "trending_courses"),
}
#: Allowed lateness for a bounded catch-up run: files are enumerated in no
#: particular order, so a catch-up run must not treat older files as late.
CATCHUP_LATENESS_S = 400 * 24 * 3600


class FlinkJobError(RuntimeError):
    """A stream job cannot be configured or failed (message names the fix)."""


@dataclass
class JobResult:
    job: str
    seconds: float
    outputs: dict[str, Path] = field(default_factory=dict)
    checkpoint: str | None = None


def latest_checkpoint(job: str, settings: Settings) -> Path | None:
    """Newest completed checkpoint (a ``chk-N`` dir with ``_metadata``) of ``job``."""
    root = checkpoint_dir(job, settings)
    done = [p.parent for p in root.glob("*/chk-*/_metadata")]
    if not done:
        return None
    return max(done, key=lambda p: (p.stat().st_mtime, int(p.name.split("-")[1])))


def environment_config(
    job: str, settings: Settings, *, follow: bool, parallelism: int, restore: bool, checkpoint_ms: int = 1000
) -> dict[str, str]:
    """Flink configuration of a job (pure; tested without starting a JVM)."""
    conf = {
        "parallelism.default": str(parallelism),
        "table.local-time-zone": "UTC",
        "table.exec.state.ttl": "2 d",  # dedup by event_id remembers ids for two days
        "pipeline.name": f"suuupra-{job}",
    }
    if follow:
        ckpt = checkpoint_dir(job, settings)
        conf.update({
            "execution.checkpointing.interval": f"{checkpoint_ms} ms",
            "execution.checkpointing.mode": "EXACTLY_ONCE",
            "execution.checkpointing.dir": file_uri(ckpt),
            "state.checkpoints.dir": file_uri(ckpt),
            "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
            "execution.checkpointing.num-retained": "2",
            "state.backend.type": "hashmap",
        })
        last = latest_checkpoint(job, settings) if restore else None
        if last is not None:
            conf["execution.state-recovery.path"] = file_uri(last)
    if settings.profile is Profile.prod:
        jar = settings.flink_kafka_connector_jar
        if jar is None or not Path(jar).exists():
            raise FlinkJobError(
                "prod profile reads Kafka: set SUUUPRA_FLINK_KAFKA_CONNECTOR_JAR to the "
                "flink-sql-connector-kafka jar matching Flink 2.x"
            )
        conf["pipeline.jars"] = file_uri(Path(jar).resolve())
        if settings.flink_jobmanager:
            conf["rest.address"], _, port = settings.flink_jobmanager.partition(":")
            conf["rest.port"] = port or "8081"
            conf["execution.target"] = "remote"
    return conf


def job_statements(
    job: str, settings: Settings, opts: sql.StreamOptions, *, follow: bool, staging: dict[str, Path]
) -> tuple[list[str], list[str]]:
    """(DDL and views, INSERT statements) of ``job``."""
    if job not in JOBS:
        raise FlinkJobError(f"unknown job {job!r}; choose from {', '.join(JOBS)}")
    ddl: list[str] = [sql.sink_ddl(name, sql.SINKS[name], staging[name], follow) for name in JOBS[job]]
    if job == "velocity":
        ddl.append(sql.source_ddl("payments_src", "payments", sql.PAYMENT_FIELDS, settings, opts, job))
        ddl += sql.payments_views()
        inserts = []
        for entity in sql.VELOCITY_ENTITIES:
            ddl += sql.velocity_views(entity)
            inserts.append(sql.velocity_insert(entity))
        return ddl, inserts
    ddl.append(sql.source_ddl("engagement_src", "engagement", sql.ENGAGEMENT_FIELDS, settings, opts, job))
    ddl += sql.engagement_views(opts)
    return ddl, [sql.engagement_insert(), sql.trending_insert(opts)]


def create_env(conf: dict[str, str]) -> TableEnvironment:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    cfg = env.get_config()
    for k, v in conf.items():
        cfg.set(k, v)
    return env


@dataclass
class RunningJob:
    """A submitted job: ``wait()`` for a bounded run, ``cancel()`` to stop a follow run."""

    job: str
    result: object
    started: float
    outputs: dict[str, Path]

    def wait(self, timeout_s: float | None = None) -> None:
        if timeout_s:
            self.result.wait(int(timeout_s * 1000))  # type: ignore[attr-defined]
        else:
            self.result.wait()  # type: ignore[attr-defined]

    def cancel(self) -> None:
        client = self.result.get_job_client()  # type: ignore[attr-defined]
        if client is not None:
            try:
                client.cancel().result()
            except Exception:  # noqa: BLE001 - already finished or failed
                pass


def start_job(
    job: str,
    settings: Settings,
    *,
    follow: bool = False,
    opts: sql.StreamOptions | None = None,
    parallelism: int = 1,
    restore: bool = True,
    staging: dict[str, Path] | None = None,
    catchup: bool | None = None,
) -> RunningJob:
    """Submit ``job`` and return at once (the MiniCluster runs it in the background).

    ``catchup`` (default: bounded runs) widens the allowed lateness so that
    lake files enumerated out of time order are not dropped as late; tests
    pass ``catchup=False`` to exercise the real lateness bound on a bounded input.
    A bounded run overwrites its staging outputs (it recomputes everything
    from the lake, which is what makes re-running it idempotent); a follow run
    appends, committing files on each checkpoint, and resumes from the newest
    retained checkpoint when ``restore``.
    """
    import shutil

    opts = opts or sql.StreamOptions()
    if (not follow if catchup is None else catchup):
        opts = replace(opts, lateness_s=max(opts.lateness_s, CATCHUP_LATENESS_S))
    if follow and not opts.monitor_interval_s and settings.profile is Profile.local:
        opts = replace(opts, monitor_interval_s=1.0)
    staging = staging or {name: flink_staging_path(name, settings) for name in JOBS.get(job, ())}
    conf = environment_config(job, settings, follow=follow, parallelism=parallelism, restore=restore)
    ddl, inserts = job_statements(job, settings, opts, follow=follow, staging=staging)
    if not follow:
        for path in staging.values():
            shutil.rmtree(path, ignore_errors=True)
    if settings.profile is Profile.local:
        # the file source fails on a missing directory; an empty one just waits for segments
        topic = "payments" if job == "velocity" else "engagement"
        (settings.events_dir / f"topic={topic}").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    env = create_env(conf)
    for stmt in ddl:
        env.execute_sql(stmt)
    stmt_set = env.create_statement_set()
    for stmt in inserts:
        stmt_set.add_insert_sql(stmt)
    return RunningJob(job=job, result=stmt_set.execute(), started=t0, outputs=dict(staging))


def run_job(job: str, settings: Settings, **kwargs) -> JobResult:
    """Run a bounded job to completion (see :func:`start_job` for the arguments)."""
    kwargs["follow"] = False
    running = start_job(job, settings, **kwargs)
    running.wait()
    return JobResult(job=job, seconds=round(time.perf_counter() - running.started, 3), outputs=running.outputs)
