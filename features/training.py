"""Point-in-time correct training sets for any feature service.

For each entity/label row, every feature is the latest value whose event
timestamp is at or before the row's ``event_timestamp`` (and within the view's
TTL) — never a value from the future. Services tagged ``pit_strict=true``
(``fraud_v1``) join strictly *before* the label time, because their labels are
rows of a table that also feeds features (the payment must not describe
itself); serving sees the same thing since the payment being scored is not yet
in the store.

Implementation note: Feast's file (dask) offline store in 0.67 silently *drops*
entity rows whose key exists in a view but has no value inside the TTL window,
and collapses rows that share a view's join keys and timestamp. A training set
that loses exactly the "no recent history" rows is biased, so we ask Feast for
one feature view at a time on the de-duplicated (keys, timestamp) pairs of that
view and left-join each answer back onto the caller's rows. On-demand features
are then computed with the registered transformation itself (the same python
function online serving runs).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from features.on_demand import REQUEST_FIELDS
from suuupra.settings import Settings

TIMESTAMP = "event_timestamp"
_STRICT_SHIFT = timedelta(microseconds=1)


class TrainingSetError(ValueError):
    """The entity frame cannot be joined (message names the fix)."""


def service_entities(service) -> list[str]:
    return [k for k in service.tags.get("entities", "").split(",") if k]


def add_request_defaults(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill fraud request fields that can be derived from the row (device, time)."""
    out = frame
    if "payment_device_id" not in out.columns and "device_id" in out.columns:
        out = out.assign(payment_device_id=out["device_id"].astype(str))
    if "request_unix_ts" not in out.columns and TIMESTAMP in out.columns:
        ts = pd.to_datetime(out[TIMESTAMP], utc=True)
        out = out.assign(request_unix_ts=((ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()).astype("int64"))
    return out


def _utc_ns(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).astype("datetime64[ns, UTC]")


def _has_offline_data(fv) -> bool:
    """False only for a file-backed source whose directory holds no Parquet file."""
    from pathlib import Path

    from features.apply import has_parquet

    path = getattr(fv.batch_source, "path", None)
    if not path or "://" in str(path) or type(fv.batch_source).__name__ != "FileSource":
        return True
    return has_parquet(Path(path))


def _join_view(store, view: str, features: list[str], frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (with ``__join_ts``) plus ``<view>__<feature>`` columns, left-joined."""
    fv = store.get_feature_view(view)
    keys = [c.name for c in fv.entity_columns]
    cols = [f"{view}__{f}" for f in features]
    if not _has_offline_data(fv):  # e.g. a stream table Flink has not written (or just reset)
        return frame.assign(**{c: None for c in cols})
    query = frame[keys + ["__join_ts"]].drop_duplicates().rename(columns={"__join_ts": TIMESTAMP})
    for k in keys:
        query[k] = query[k].astype(str)
    refs = [f"{view}:{f}" for f in features]
    got = store.get_historical_features(entity_df=query, features=refs, full_feature_names=True).to_df()
    got = got[keys + [TIMESTAMP] + cols].rename(columns={TIMESTAMP: "__join_ts"})
    got["__join_ts"] = _utc_ns(got["__join_ts"])
    got = got.drop_duplicates(subset=keys + ["__join_ts"], keep="last")
    left = frame.copy()
    for k in keys:
        left[k] = left[k].astype(str)
    return left.merge(got, on=keys + ["__join_ts"], how="left", validate="many_to_one")


def build_training_set(
    feature_service: str,
    entity_df: pd.DataFrame,
    settings: Settings,
    *,
    strict: bool | None = None,
) -> pd.DataFrame:
    """Join all features of ``feature_service`` onto ``entity_df`` point-in-time correctly.

    ``entity_df`` needs the service's join keys (see its ``entities`` tag), an
    ``event_timestamp`` column (label time, UTC) and any label columns, which are
    passed through; ``fraud_v1`` also needs ``amount_minor`` (``payment_device_id``
    and ``request_unix_ts`` default to ``device_id`` and the label time). Feature
    columns are named ``<view>__<feature>`` exactly as online retrieval names
    them. Row order and count of ``entity_df`` are preserved. ``strict``
    overrides the service's ``pit_strict`` tag.
    """
    from features.store import get_store

    store = get_store(settings)
    try:
        service = store.get_feature_service(feature_service)
    except Exception as exc:  # feast raises its own not-found types
        raise TrainingSetError(
            f"unknown feature service {feature_service!r}: run `suuupra features apply` first ({exc})"
        ) from None
    needed = service_entities(service) + [TIMESTAMP]
    missing = [c for c in needed if c not in entity_df.columns]
    if missing:
        raise TrainingSetError(f"entity_df for {feature_service} is missing columns {missing}")
    if entity_df.empty:
        raise TrainingSetError("entity_df is empty")

    frame = entity_df.reset_index(drop=True).copy()
    frame[TIMESTAMP] = _utc_ns(frame[TIMESTAMP])
    if frame[TIMESTAMP].isna().any():
        raise TrainingSetError("entity_df has null/unparseable event_timestamp values")
    odfvs = {o.name: o for o in store.list_on_demand_feature_views()}
    projections = list(service.feature_view_projections)
    if any(p.name in odfvs for p in projections):
        frame = add_request_defaults(frame)
        absent = [c for c in REQUEST_FIELDS if c not in frame.columns]
        if absent:
            raise TrainingSetError(f"{feature_service} needs request columns {absent} in entity_df")
    strict = service.tags.get("pit_strict") == "true" if strict is None else strict
    frame["__join_ts"] = frame[TIMESTAMP] - _STRICT_SHIFT if strict else frame[TIMESTAMP]

    # Which stored features to fetch per view: the service's own plus on-demand inputs.
    per_view: dict[str, list[str]] = {}
    for p in projections:
        if p.name in odfvs:
            for src in odfvs[p.name].source_feature_view_projections.values():
                per_view.setdefault(src.name, []).extend(f.name for f in src.features)
        else:
            per_view.setdefault(p.name, []).extend(f.name for f in p.features)

    result = frame
    for view, feats in per_view.items():
        result = _join_view(store, view, list(dict.fromkeys(feats)), result)

    served: list[str] = []
    for p in projections:
        alias = p.name_to_use()
        if p.name in odfvs:
            odfv = odfvs[p.name]
            inputs: dict[str, list] = {}
            for src in odfv.source_feature_view_projections.values():
                for f in src.features:
                    inputs[f.name] = result[f"{src.name}__{f.name}"].astype(object).where(
                        result[f"{src.name}__{f.name}"].notna(), None).tolist()
            for req in REQUEST_FIELDS:
                if req in result.columns:
                    inputs[req] = result[req].tolist()
            computed = odfv.feature_transformation.transform(inputs)  # the registered UDF
            for f in p.features:
                result[f"{alias}__{f.name}"] = computed[f.name]
        names = [f"{alias}__{f.name}" for f in p.features]
        if p.name not in odfvs and alias != p.name:
            result = result.rename(columns={f"{p.name}__{f.name}": n for f, n in zip(p.features, names, strict=True)})
        served.extend(names)

    # Keep exactly what serving returns: the caller's columns (+ derived request
    # fields) and the service's features; on-demand *inputs* are not served.
    keep = list(entity_df.columns) + [c for c in REQUEST_FIELDS if c in frame.columns] + served
    keep = list(dict.fromkeys(keep))
    out = result[keep].copy()
    out.index = entity_df.index
    return out
