"""The query sets derived from the Python docs: labels come from the docs' own structure."""

from __future__ import annotations

import pytest

from crawlers.docs_server import PYTHON_DOCS_DIR
from rag.eval_derived import derived_query_sets, glossary_term_queries, module_synopsis_queries

pytestmark = pytest.mark.skipif(not (PYTHON_DOCS_DIR / "py-modindex.html").is_file(),
                                reason="python3.11-doc is installed by scripts/setup.sh")


def test_module_synopses_point_at_their_module_page() -> None:
    queries = dict(module_synopsis_queries(PYTHON_DOCS_DIR))
    assert len(queries) > 200
    assert queries["Encode and decode the JSON format"] == ("library/json.html",)
    # Sphinx roles are unwrapped and the module name is not part of the query
    assert "Abstract base classes according to PEP 3119" in queries
    assert all(":pep:" not in q for q in queries)
    assert all(len(q.split()) >= 3 for q in queries)


def test_glossary_terms_answer_with_the_glossary_and_linked_definitions() -> None:
    queries = dict(glossary_term_queries(PYTHON_DOCS_DIR))
    assert ">>>" not in queries and "..." not in queries
    assert "glossary.html" in queries["duck-typing"]
    assert "library/abc.html" in queries["abstract base class"]
    assert all(not page.startswith(("http", "../")) for pages in queries.values() for page in pages)


def test_derived_sets_are_named() -> None:
    assert set(derived_query_sets(PYTHON_DOCS_DIR)) == {"module_synopses", "glossary_terms"}
