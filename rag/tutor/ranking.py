"""Source prior for learners: changelog pages rank below tutorial/library/reference pages.

"What's New in Python 2.4" mentions nearly every feature, so it often matches a
learner's question as well as the page that teaches the feature — and then the
answer cites a 20-year-old release note. A multiplicative prior on the fused
search score demotes changelog / release-notes pages without removing them (they
still answer "when was X added?" when nothing else matches).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

CHANGELOG_PRIOR = 0.5
_CHANGELOG_URL = re.compile(r"(/|^)(whatsnew|changelog|release[-_]?notes|news)(/|\.|$|#)", re.IGNORECASE)
_CHANGELOG_TITLE = re.compile(r"what'?s new in|changelog|release notes", re.IGNORECASE)


def is_changelog(hit: Any) -> bool:
    """Is the hit a changelog / release-notes page (by URL path or title)?"""
    url = str(getattr(hit, "url", "")).split("#", 1)[0]
    return bool(_CHANGELOG_URL.search(url) or _CHANGELOG_TITLE.search(str(getattr(hit, "title", ""))))


def source_prior(hit: Any) -> float:
    """Multiplier for a hit's score: :data:`CHANGELOG_PRIOR` for changelogs, else 1."""
    return CHANGELOG_PRIOR if is_changelog(hit) else 1.0


def rerank_hits(hits: Sequence[Any]) -> list[Any]:
    """Hits re-sorted by ``score * prior`` (stable; hits themselves are not modified).

    A negative score is divided by the prior instead, so demotion stays demotion.
    """

    def key(h: Any) -> float:
        score, prior = float(getattr(h, "score", 0.0)), source_prior(h)
        return score * prior if score >= 0 else score / prior

    return sorted(hits, key=key, reverse=True)
