"""Online feature retrieval latency: Feast vs a raw read of the same keys from the same store.

For ``fraud_v1`` and ``recommender_v1`` with 1, 10 and 100 entity rows, on the
SQLite and the Redis online store, measures p50/p99 of

* ``ours``: :func:`features.online.get_online_features` (one Feast call + defaults,
  unknown-entity flags and the latency budget thread hop),
* ``feast``: ``FeatureStore.get_online_features(feature_service, ...)`` directly,
* ``raw``: the same entity keys read straight from the same store with the bare
  client — one ``SELECT ... WHERE entity_key IN (...)`` per feature view on SQLite,
  one pipelined ``HMGET`` per (entity, view) on Redis — bytes only, no decoding.

``feast / raw`` is Feast's overhead (key serialization is inside every timing).
Data: the deterministic sample tables (features.sample_data), applied and
materialized with the real Feast workflow into a temp data dir; Redis uses a
unique project (key suffix) that is torn down at the end.

Run: .venv/bin/python benchmarks/bench_features_online.py [--learners 200] [--repeats 200]
     [--stores sqlite,redis]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks._report import report  # noqa: E402


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def _entity_rows(service: str, n: int, n_learners: int, n_courses: int, offset: int) -> list[dict]:
    rows = []
    for k in range(n):
        i = (offset + k) % n_learners
        if service == "fraud_v1":
            rows.append({"learner_id": f"L{i}", "device_id": f"D{i}", "ip": f"10.0.0.{i}", "amount_minor": 999.0})
        else:
            rows.append({"learner_id": f"L{i}", "course_id": f"C{(i + k) % n_courses}"})
    return rows


class RawReader:
    """Reads the bytes Feast would read for a service's entity rows, with the bare client."""

    def __init__(self, store, service_name: str):
        from feast.infra.key_encoding_utils import serialize_entity_key
        from feast.protos.feast.types.EntityKey_pb2 import EntityKey
        from feast.protos.feast.types.Value_pb2 import Value

        self.store = store
        self.cfg = store.config
        self._ser, self._EntityKey, self._Value = serialize_entity_key, EntityKey, Value
        service = store.get_feature_service(service_name)
        odfvs = {o.name: o for o in store.list_on_demand_feature_views()}
        self.views: list[tuple[str, list[str], list[str]]] = []  # view, join keys, features
        per_view: dict[str, list[str]] = {}
        for p in service.feature_view_projections:
            if p.name in odfvs:
                for src in odfvs[p.name].source_feature_view_projections.values():
                    per_view.setdefault(src.name, []).extend(f.name for f in src.features)
            else:
                per_view.setdefault(p.name, []).extend(f.name for f in p.features)
        for view, feats in per_view.items():
            fv = store.get_feature_view(view)
            self.views.append((view, [c.name for c in fv.entity_columns], list(dict.fromkeys(feats))))
        if self.cfg.online_store.type == "redis":
            import redis
            from feast.infra.online_stores.helpers import _mmh3

            host, port = self.cfg.online_store.connection_string.split(",")[0].split(":")
            self.redis = redis.Redis(host=host, port=int(port))
            self.fields = {v: [_mmh3(f"{v}:{f}") for f in feats] + [f"_ts:{v}"] for v, _, feats in self.views}
        else:
            self.conn = sqlite3.connect(self.cfg.online_store.path, check_same_thread=False)

    def _keys(self, rows: list[dict], join_keys: list[str]) -> list[bytes]:
        out = []
        for r in rows:
            ek = self._EntityKey(join_keys=join_keys, entity_values=[self._Value(string_val=str(r[k])) for k in join_keys])
            out.append(self._ser(ek, entity_key_serialization_version=3))
        return out

    def read(self, rows: list[dict]) -> int:
        n = 0
        if hasattr(self, "redis"):
            pipe = self.redis.pipeline(transaction=False)
            project = self.cfg.project.encode()
            for view, join_keys, _ in self.views:
                for key in self._keys(rows, join_keys):
                    pipe.hmget(key + project, self.fields[view])
            for vals in pipe.execute():
                n += sum(v is not None for v in vals)
            return n
        cur = self.conn.cursor()
        for view, join_keys, _ in self.views:
            keys = self._keys(rows, join_keys)
            cur.execute(
                f'SELECT entity_key, feature_name, value, event_ts FROM "{self.cfg.project}_{view}" '
                f"WHERE entity_key IN ({','.join('?' * len(keys))})",
                keys,
            )
            n += len(cur.fetchall())
        return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--learners", type=int, default=200)
    ap.add_argument("--courses", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=150, help="timed calls per (store, service, rows)")
    ap.add_argument("--stores", default="sqlite,redis")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = ap.parse_args()

    from rich.progress import track

    from features.apply import apply_repo
    from features.materialize import materialize_incremental
    from features.online import get_online_features
    from features.sample_data import write_sample_tables
    from features.store import get_store
    from suuupra.settings import load_settings

    base = Path(tempfile.mkdtemp(prefix="bench_features_"))
    project = f"bench_{uuid.uuid4().hex[:8]}"
    results = []
    for store_kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
        settings = load_settings(
            data_dir=base / store_kind, profile="local", feast_project=project,
            feast_online_store=store_kind, redis_url=args.redis_url,
        )
        write_sample_tables(settings, n_learners=args.learners, n_courses=args.courses, days=2)
        apply_repo(settings)
        materialize_incremental(settings)
        store = get_store(settings)
        try:
            for service in ("fraud_v1", "recommender_v1"):
                raw = RawReader(store, service)
                for n in (1, 10, 100):
                    ours, feast_t, raw_t = [], [], []
                    # warm-up (registry cache, connections, ODFV deserialization)
                    for _ in range(3):
                        rows = _entity_rows(service, n, args.learners, args.courses, 0)
                        get_online_features(service, rows, settings, budget_ms=60_000)
                    fs = store.get_feature_service(service)
                    for rep in track(range(args.repeats), description=f"{store_kind} {service} x{n}",
                                     transient=True):
                        rows = _entity_rows(service, n, args.learners, args.courses, rep * 7)
                        t = time.perf_counter()
                        res = get_online_features(service, rows, settings, budget_ms=60_000)
                        ours.append((time.perf_counter() - t) * 1000)
                        assert res.ok and not any(res.unknown_entity), res.error
                        frows = [{k: v for k, v in r.items()} for r in rows]
                        if service == "fraud_v1":
                            ts = int(time.time())
                            for r in frows:
                                r.update(payment_device_id=r["device_id"], request_unix_ts=ts)
                        t = time.perf_counter()
                        store.get_online_features(features=fs, entity_rows=frows, full_feature_names=True).to_dict()
                        feast_t.append((time.perf_counter() - t) * 1000)
                        t = time.perf_counter()
                        got = raw.read(rows)
                        raw_t.append((time.perf_counter() - t) * 1000)
                        assert got > 0
                    results.append(
                        {
                            "store": store_kind, "service": service, "rows": n,
                            "ours_p50_ms": statistics.median(ours), "ours_p99_ms": _pct(ours, 0.99),
                            "feast_p50_ms": statistics.median(feast_t), "feast_p99_ms": _pct(feast_t, 0.99),
                            "raw_p50_ms": statistics.median(raw_t), "raw_p99_ms": _pct(raw_t, 0.99),
                            "feast/raw_p50": statistics.median(feast_t) / max(statistics.median(raw_t), 1e-6),
                        }
                    )
        finally:
            if store_kind == "redis":
                store.teardown()
    report(
        "features_online",
        "Online retrieval latency (ms): ours / Feast / raw read of the same keys",
        results,
        notes=f"{args.learners} learners, {args.courses} courses, {args.repeats} calls per cell; "
        "raw = bare sqlite3/redis-py read of the same keys (no decoding). Machine load affects absolute numbers.",
    )


if __name__ == "__main__":
    main()
