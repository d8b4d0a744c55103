"""Eval hits are judged by docs page, wherever the docs were served from."""

from __future__ import annotations

from rag.tutor.eval.harness import cites_expected, docs_page

EXPECTED = ["https://docs.python.org/3.11/tutorial/controlflow.html"]


def test_local_docs_site_and_canonical_url_name_the_same_page() -> None:
    assert docs_page("http://127.0.0.1:8765/tutorial/controlflow.html#pass-statements") == "tutorial/controlflow.html"
    assert docs_page(EXPECTED[0]) == "tutorial/controlflow.html"
    assert cites_expected("http://127.0.0.1:8765/tutorial/controlflow.html#the-range-function", EXPECTED)
    assert cites_expected("https://docs.python.org/3.11/tutorial/controlflow.html#pass-statements", EXPECTED)


def test_other_pages_are_not_hits() -> None:
    assert not cites_expected("http://127.0.0.1:8765/reference/simple_stmts.html#the-break-statement", EXPECTED)
    assert not cites_expected("http://127.0.0.1:8765/library/controlflow.html", EXPECTED)
    assert not cites_expected("http://127.0.0.1:8765/tutorial/controlflow.html", [])
