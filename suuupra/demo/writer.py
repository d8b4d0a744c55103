"""Stream the demo world into the event log with a progress bar."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from suuupra.demo.generator import DemoWorld, WorldConfig
from suuupra.eventlog.local import LocalEventLog


@dataclass
class DemoWorldSummary:
    events: int
    learners: int
    courses: int
    payments: int
    fraud_payments: int
    by_type: dict[str, int]

    @property
    def fraud_rate(self) -> float:
        return self.fraud_payments / self.payments if self.payments else 0.0


def write_demo_world(
    events_dir: Path, config: WorldConfig, *, replace: bool = True, progress: bool = True
) -> DemoWorldSummary:
    """Generate the world into ``events_dir``.

    With ``replace`` the previous demo events are removed first, so re-running
    with the same seed reproduces the same lake instead of doubling it.
    """
    events_dir = Path(events_dir)
    if replace and events_dir.exists():
        shutil.rmtree(events_dir)
    log = LocalEventLog(events_dir, segment_events=50_000)
    world = DemoWorld(config)
    count = 0
    with log.writer() as writer, tqdm(
        desc=f"demo world (scale {config.scale})", unit=" events", disable=not progress, mininterval=0.5
    ) as bar:
        for event in world.events():
            writer.write(event)
            count += 1
            if count % 10_000 == 0:
                writer.flush_older_than(keep=8)
                bar.update(10_000)
        bar.update(count % 10_000)
    stats = world.stats
    return DemoWorldSummary(
        events=count,
        learners=len(world.learners),
        courses=len(world.courses),
        payments=stats.get("payment.attempted", 0),
        fraud_payments=stats.get("fraud_payments", 0),
        by_type={k: v for k, v in sorted(stats.items()) if k != "fraud_payments"},
    )
