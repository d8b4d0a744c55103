"""Evidence-first answers: quoted sentences and code with valid ``[n]``, faithfulness, source prior.

Runs on hand-made hits shaped like real chunks of the Python docs (no index needed);
the embedding model is the real all-MiniLM-L6-v2 the index uses.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from rag.tutor.citations import MARKER
from rag.types import SearchHit

BREAK_TEXT = (
    "The break statement, like in C, breaks out of the innermost enclosing for or while loop.\n\n"
    "Loop statements may have an else clause; it is executed when the loop terminates through exhaustion "
    "of the iterable (with for) or when the condition becomes false (with while), but not when the loop is "
    "terminated by a break statement. This is exemplified by the following loop, which searches for prime numbers:\n\n"
    ">>> for n in range(2, 10):\n...     for x in range(2, n):\n...         if n % x == 0:\n"
    "...             print(n, 'equals', x, '*', n//x)\n...             break\n...     else:\n"
    "...         print(n, 'is a prime number')\n...\n2 is a prime number\n3 is a prime number"
)
LIST_TEXT = (
    "The list data type has some more methods. Here are all of the methods of list objects:\n\n"
    "list.append(x)\n\nAdd an item to the end of the list. Equivalent to a[len(a):] = [x].\n\n"
    "list.pop([i])\n\nRemove the item at the given position in the list, and return it. If no index is "
    "specified, a.pop() removes and returns the last item in the list."
)
WHATSNEW_TEXT = (
    "The break statement now works inside a finally clause of a for loop. "
    "Previously a break statement in a finally block raised a SyntaxError."
)
CTRL = "https://docs.python.org/3.11/tutorial/controlflow.html#break-and-continue-statements"


def _hit(url: str, title: str, section: str, text: str, score: float, cid: str) -> SearchHit:
    return SearchHit(url=url, title=title, section=section, text=text, score=score, chunk_id=cid,
                     source="python-docs", course_id="")


HITS = [
    _hit("https://docs.python.org/3.11/whatsnew/2.4.html", "What's New in Python 2.4", "Other Language Changes",
         WHATSNEW_TEXT, 0.9, "w:0"),
    _hit(CTRL, "4. More Control Flow Tools", "4.4. break and continue Statements", BREAK_TEXT, 0.8, "c:0"),
    _hit("https://docs.python.org/3.11/tutorial/datastructures.html#more-on-lists", "5. Data Structures",
         "5.1. More on Lists", LIST_TEXT, 0.5, "d:0"),
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    from rag.tutor.pipeline import TutorPipeline
    from suuupra.settings import load_settings

    s = load_settings(data_dir=tmp_path_factory.mktemp("ev"), profile="local", qdrant_url=None)
    return TutorPipeline(s, retriever=lambda *a, **k: list(HITS), llm_base_url="http://127.0.0.1:9/v1")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[\w+-]*\n(.*?)\n```", text, re.DOTALL)


def _assert_well_formed(text: str, sources) -> None:
    assert text.count("```") % 2 == 0, f"open code fence: {text!r}"
    n_sources = len(sources)
    prose = re.sub(r"```[\w+-]*\n.*?\n```", " ", text, flags=re.DOTALL)
    for sent in re.split(r"\n\s*\n|(?<=[.!?])\s+(?=[A-Z`])", prose):
        if not sent.strip():
            continue
        ns = [int(n) for n in MARKER.findall(sent)]
        assert ns and all(1 <= n <= n_sources for n in ns), f"sentence without valid [n]: {sent!r}"
    for code in _code_blocks(text):
        assert any(code in s.text for s in sources), f"code not from a source: {code!r}"


def test_changelog_page_ranks_below_reference_page(pipeline) -> None:
    from rag.tutor.ranking import rerank_hits

    ranked = rerank_hits(HITS)
    urls = [h.url for h in ranked]
    assert urls.index(CTRL) < urls.index(HITS[0].url)
    turn = pipeline.prepare([{"role": "user", "content": "What does the break statement do in a loop?"}])
    assert not turn.refusal
    assert turn.sources[0].url == CTRL
    assert all("whatsnew" not in s.url for s in turn.sources[:1])


def test_faithfulness_rejects_unsupported_and_keeps_supported() -> None:
    from rag.tutor.faithfulness import check_answer, is_supported
    from rag.tutor.packing import pack_sources

    sources, _ = pack_sources(HITS[1:], 2000, 3)
    good = "The break statement breaks out of the innermost enclosing for or while loop [1]."
    bad = "The break statement deletes every file in the current directory and restarts Python [1]."
    assert is_supported(good, sources[0])
    assert not is_supported(bad, sources[0])
    invented = "```python\nfor i in loop.break_all():\n    pass\n```\n[1]"
    res = check_answer(f"{good} {bad}\n\n{invented}", sources)
    assert res.text == good
    assert bad in res.dropped and any("break_all" in d for d in res.dropped)


def test_composed_answer_quotes_code_verbatim_and_cites_every_sentence(pipeline) -> None:
    turn = pipeline.prepare([{"role": "user", "content": "How do I break out of a for loop?"}])
    ans = asyncio.run(pipeline.complete(turn))
    assert ans.finish_reason == "stop" and ans.refusal_kind is None
    blocks = _code_blocks(ans.content)
    assert blocks, ans.content
    cited = {c["index"]: c for c in ans.citations}
    for m in re.finditer(r"```python\n(.*?)\n```\n\[(\d+)\]", ans.content, re.DOTALL):
        assert m.group(1) in cited[int(m.group(2))]["text"]
    _assert_well_formed(ans.content, turn.sources)
    assert {int(n) for n in MARKER.findall(re.sub(r"```.*?```", "", ans.content, flags=re.DOTALL))} == set(cited)


def test_definition_item_answer_is_cited(pipeline) -> None:
    turn = pipeline.prepare([{"role": "user", "content": "How do I remove and return the last item of a list?"}])
    ans = asyncio.run(pipeline.complete(turn))
    assert "pop" in ans.content
    _assert_well_formed(ans.content, turn.sources)


@pytest.mark.parametrize("budget", [12, 40, 80, 256])
def test_budget_drops_whole_units_never_cuts(pipeline, budget: int) -> None:
    turn = pipeline.prepare([{"role": "user", "content": "How do I break out of a for loop?"}])
    ans = asyncio.run(pipeline.complete(turn, max_tokens=budget))
    _assert_well_formed(ans.content, turn.sources)
    assert ans.content.rstrip().endswith(("]", "].", "]:", "```")) or ans.content.rstrip()[-1] in ".!?]"


@pytest.mark.parametrize("mode", ["answer", "hint"])
def test_streamed_answer_equals_non_streamed(pipeline, mode: str) -> None:
    turn = pipeline.prepare([{"role": "user", "content": "How do I break out of a for loop?"}], mode=mode)
    full = asyncio.run(pipeline.complete(turn))

    async def collect():
        return [ev async for ev in pipeline.stream(turn)]

    events = asyncio.run(collect())
    deltas = [e.delta for e in events if e.final is None]
    final = events[-1].final
    assert len(deltas) > 1
    assert "".join(deltas) == full.content == final.content
    assert final.citations == full.citations and final.finish_reason == "stop"


def test_code_units_are_kept_whole() -> None:
    from rag.tutor.evidence import split_units
    from rag.tutor.packing import pack_sources

    sources, _ = pack_sources(HITS[1:2], 2000, 3)
    codes = [u for u in split_units(sources[0]) if u.kind == "code"]
    assert len(codes) == 1 and codes[0].text.startswith(">>> for n in range(2, 10):")
    assert codes[0].text.endswith("3 is a prime number")
    assert "...     for x in range(2, n):" in codes[0].text  # sanitising keeps doctest indentation
    fenced = sources[0].__class__(n=1, url="u", title="t", section="s", chunk_id="x",
                                  text="Use a loop.\n\n```python\nfor x in xs:\n\n    print(x)\n```\n\nDone here now.")
    units = split_units(fenced)
    assert [u.kind for u in units if u.kind == "code"] == ["code"]
    assert next(u for u in units if u.kind == "code").text == "for x in xs:\n\n    print(x)"
