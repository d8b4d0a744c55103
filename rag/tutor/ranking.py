"""Source prior for learners: teaching pages first, changelogs and C-level pages last.

A learner asking "how do I give a parameter a default value?" is best served by the
tutorial, which teaches it with an example; the Language Reference answers the same
question in grammar productions, the C API page for lists answers a question the
learner did not ask, and "What's New in Python 2.4" mentions nearly every feature
and then the answer cites a 20-year-old release note. A multiplicative prior on
the fused search score (and on evidence units, :mod:`rag.tutor.evidence`) orders
equally relevant pages by how well they teach, without removing any: a reference
or changelog page still answers when nothing else matches.

The weights are a documented choice, measured on the labelled question set against
no prior and the changelog-only prior (``docs/tutor.md``, "Retrieval for learners").
Pages are classified by URL path inside the docs (``tutorial/``, ``library/``, ...)
and, for changelogs anywhere (course material included), by URL or title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

PageKind = Literal["teaching", "library", "reference", "low_level", "changelog", "other"]
PriorName = Literal["learner", "changelog", "none"]

# Multipliers per page kind. "teaching" = tutorial, HOWTOs, FAQ, glossary, course material.
LEARNER_PRIOR: Mapping[PageKind, float] = {
    "teaching": 1.0,
    "other": 1.0,
    "library": 0.9,
    "reference": 0.8,
    "low_level": 0.5,
    "changelog": 0.5,
}
CHANGELOG_ONLY_PRIOR: Mapping[PageKind, float] = {k: 0.5 if k == "changelog" else 1.0 for k in LEARNER_PRIOR}
NO_PRIOR: Mapping[PageKind, float] = dict.fromkeys(LEARNER_PRIOR, 1.0)
PRIORS: Mapping[PriorName, Mapping[PageKind, float]] = {
    "learner": LEARNER_PRIOR,
    "changelog": CHANGELOG_ONLY_PRIOR,
    "none": NO_PRIOR,
}
CHANGELOG_PRIOR = LEARNER_PRIOR["changelog"]

_CHANGELOG_URL = re.compile(r"(/|^)(whatsnew|changelog|release[-_]?notes|news)(/|\.|$|#)", re.IGNORECASE)
_CHANGELOG_TITLE = re.compile(r"what'?s new in|changelog|release notes", re.IGNORECASE)
_SECTION_KIND: Mapping[str, PageKind] = {
    "tutorial": "teaching",
    "howto": "teaching",
    "faq": "teaching",
    "glossary.html": "teaching",
    "library": "library",
    "reference": "reference",
    "c-api": "low_level",
    "extending": "low_level",
    "install": "low_level",  # the legacy distutils installation guide
    "distutils": "low_level",
}
# HOWTOs written for CPython's C developers, not for Python learners.
_LOW_LEVEL_PAGES = frozenset(
    {"howto/clinic.html", "howto/isolating-extensions.html", "howto/cporting.html", "howto/instrumentation.html"}
)
_DOCS_PATH = re.compile(r"^[a-z]+://[^/]+/(?:[\w.-]*\d\.\d+/)?(?P<top>[\w.-]+)")


def page_kind(hit: Any) -> PageKind:
    """What kind of page a hit (or source) comes from, by its URL path and title."""
    url = str(getattr(hit, "url", "")).split("#", 1)[0]
    if _CHANGELOG_URL.search(url) or _CHANGELOG_TITLE.search(str(getattr(hit, "title", ""))):
        return "changelog"
    m = _DOCS_PATH.match(url)
    if not m:
        return "other"
    if url[m.start("top") :] in _LOW_LEVEL_PAGES:
        return "low_level"
    return _SECTION_KIND.get(m.group("top"), "other")


def is_changelog(hit: Any) -> bool:
    """Is the hit a changelog / release-notes page (by URL path or title)?"""
    return page_kind(hit) == "changelog"


def source_prior(hit: Any, prior: PriorName = "learner") -> float:
    """Multiplier for a hit's score under the named prior (the learner prior by default)."""
    return PRIORS[prior][page_kind(hit)]


def rerank_hits(hits: Sequence[Any], prior: PriorName = "learner") -> list[Any]:
    """Hits re-sorted by ``score * prior`` (stable; hits themselves are not modified).

    A negative score is divided by the prior instead, so demotion stays demotion.
    """

    def key(h: Any) -> float:
        score, weight = float(getattr(h, "score", 0.0)), source_prior(h, prior)
        return score * weight if score >= 0 else score / weight

    return sorted(hits, key=key, reverse=True)
