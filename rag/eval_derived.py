"""Retrieval queries derived from the Python docs themselves, so nobody here wrote the labels.

Two sets, both with ground truth taken from the docs' own structure:

* **module synopses** (``py-modindex.html``): the one-line synopsis of every
  module ("Encode and decode the JSON format.") is the query and the module's
  page is the relevant document. The module *name* is left out of the query, so
  a hit means the retriever matched the meaning, not an identifier.
* **glossary terms** (``glossary.html``): each defined term ("duck-typing") is
  the query and the glossary, the page that defines it, is relevant; pages that
  the definition itself links to also count as answers (they define it at length).

They are the same ``(query, answer pages)`` pairs :func:`rag.eval.evaluate` takes.
"""

from __future__ import annotations

import re
from pathlib import Path

Query = tuple[str, tuple[str, ...]]


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_bytes(), "lxml")


def module_synopsis_queries(docs_dir: Path, min_words: int = 3) -> list[Query]:
    """(synopsis, (module page,)) for every module in the module index with a real synopsis."""
    queries: dict[str, set[str]] = {}
    for row in _soup(docs_dir / "py-modindex.html").select("table.modindextable tr"):
        link, synopsis = row.select_one("a[href]"), row.select_one("em")
        if link is None or synopsis is None:
            continue
        page = link["href"].split("#", 1)[0]
        text = " ".join(synopsis.get_text(" ", strip=True).split())
        text = re.sub(r":pep:`(\d+)`", r"PEP \1", text)
        text = re.sub(r":\w+:`([^`]*)`", r"\1", text).strip().rstrip(".")
        if len(text.split()) < min_words:
            continue
        queries.setdefault(text, set()).add(page)
    return [(q, tuple(sorted(pages))) for q, pages in sorted(queries.items())]


def glossary_term_queries(docs_dir: Path) -> list[Query]:
    """(term, (glossary.html, pages its definition links to)) for every word-like glossary term."""
    queries: list[Query] = []
    for dt in _soup(docs_dir / "glossary.html").select('dt[id^="term-"]'):
        term = dt.get_text(" ", strip=True).replace("¶", "").strip()
        if not re.search(r"[A-Za-z]{3}", term):  # ">>>", "...": prompts, not concepts
            continue
        answers = {"glossary.html"}
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            for a in dd.select("a.reference.internal[href]"):
                href = a["href"].split("#", 1)[0]
                if href and not href.startswith(("http", "#")):
                    answers.add(href.removeprefix("../"))
        queries.append((term, tuple(sorted(answers))))
    return queries


def derived_query_sets(docs_dir: Path) -> dict[str, list[Query]]:
    return {
        "module_synopses": module_synopsis_queries(docs_dir),
        "glossary_terms": glossary_term_queries(docs_dir),
    }
