from __future__ import annotations

import pytest

from rag.chunking import chunk_document, count_tokens_batch
from rag.sparse import doc_vector, query_vector, term_index, tokenize
from rag.types import Document, Section


def _long_section(n: int) -> str:
    return "\n\n".join(
        f"Paragraph {i} talks about topic number {i} and explains why it matters for learners in detail."
        for i in range(n)
    )


def test_chunks_respect_token_budget_and_keep_section_links() -> None:
    doc = Document(
        url="http://h/p.html",
        title="Page",
        sections=[Section("Intro", "Short intro.", "intro"), Section("Body", _long_section(60), "body")],
    )
    chunks = chunk_document(doc, max_tokens=120, overlap_tokens=30)
    assert chunks[0].url == "http://h/p.html#intro" and chunks[0].text == "Short intro."
    body = [c for c in chunks if c.section == "Body"]
    assert len(body) > 5 and all(c.url.endswith("#body") for c in body)
    assert max(count_tokens_batch([c.text for c in chunks])) <= 120
    assert [c.chunk_id for c in chunks] == [f"{doc.doc_id}:{i}" for i in range(len(chunks))]
    # consecutive chunks of a section overlap by their trailing paragraph(s)
    last_para = body[0].text.split("\n\n")[-1]
    assert body[1].text.startswith(last_para)
    # every paragraph survives chunking
    joined = "\n\n".join(c.text for c in body)
    assert all(f"Paragraph {i} " in joined for i in range(60))


def test_overlong_paragraph_and_code_are_split() -> None:
    prose = " ".join(f"Sentence {i} is here." for i in range(200))
    code = "\n".join(f"x{i} = compute({i}, {i * 2})" for i in range(200))
    words = "word " * 1000
    doc = Document(url="http://h/x", title="X", sections=[Section("S", f"{prose}\n\n{code}\n\n{words}")])
    chunks = chunk_document(doc, max_tokens=100, overlap_tokens=0)
    assert max(count_tokens_batch([c.text for c in chunks])) <= 100
    assert any("Sentence 199 is here." in c.text for c in chunks)
    assert any("x1 = compute(1, 2)\nx2 = compute(2, 4)" in c.text for c in chunks)  # code keeps single newlines


def test_chunking_is_deterministic_and_validates_params() -> None:
    doc = Document(url="http://h/y", title="Y", text=_long_section(20))
    assert chunk_document(doc) == chunk_document(doc)
    with pytest.raises(ValueError):
        chunk_document(doc, max_tokens=8)
    with pytest.raises(ValueError):
        chunk_document(doc, max_tokens=100, overlap_tokens=100)


def test_document_from_dict_validates_and_hashes_content() -> None:
    a = Document.from_dict({"url": "http://h/a", "title": "A", "text": "hello"})
    b = Document.from_dict({"url": "http://h/a", "title": "A", "text": "hello!"})
    assert a.doc_id == b.doc_id and a.content_hash() != b.content_hash()
    with pytest.raises(ValueError, match="unknown Document fields"):
        Document.from_dict({"url": "http://h/a", "title": "A", "body": "typo"})
    with pytest.raises(ValueError):
        Document(url="", title="no url")


def test_bm25_tokens_and_vectors() -> None:
    assert tokenize("How do I use os.path.join with Files?") == ["use", "os", "path", "join", "file"]
    idx, val = doc_vector("join join join path", boost_text="Join")
    weights = dict(zip(idx, val, strict=True))
    assert weights[term_index("join")] > weights[term_index("path")] > 0
    assert query_vector("the of and") == ([], [])
    qi, qv = query_vector("join join path")
    assert sorted(qi) == qi and qv == [1.0, 1.0]
