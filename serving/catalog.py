"""Which courses may be recommended right now: published ones.

The recommender model knows courses that were popular when it was trained; some
may have been unpublished since. The ``course_daily`` lake table carries a
``published`` flag per course and day; the latest row per course wins. When the
table is not there (fresh install, tests) nothing is filtered and ``known`` is
False, so the response is still useful.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suuupra.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class CourseCatalog:
    unpublished: frozenset[str] = field(default_factory=frozenset)
    published: frozenset[str] = field(default_factory=frozenset)
    known: bool = False
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def allowed(self, course_id: str) -> bool:
        return str(course_id) not in self.unpublished

    @classmethod
    def from_lake(cls, settings: Settings) -> CourseCatalog:
        """Latest ``published`` flag per course from ``settings``' ``course_daily``; empty on any problem."""
        try:
            import pandas as pd

            from suuupra.lake import table_path

            path = table_path("course_daily", settings)
            if not path.exists():
                return cls()
            df = pd.read_parquet(path, columns=["course_id", "date", "published"])
        except Exception as exc:
            log.warning("course catalog unavailable, not filtering unpublished courses: %s", exc)
            return cls()
        if df.empty:
            return cls()
        latest = df.sort_values("date").drop_duplicates("course_id", keep="last")
        pub = latest["published"].fillna(True).astype(bool)
        ids = latest["course_id"].astype(str)
        return cls(unpublished=frozenset(ids[~pub]), published=frozenset(ids[pub]), known=True)
