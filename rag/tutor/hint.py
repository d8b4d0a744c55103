"""Hint mode: a cited nudge and a guiding question, built from the docs, never the solution.

A learner working on an exercise asks for a hint, not the answer. The small local
model handed out code anyway (and invented it), so hints are composed from the
same evidence as answers (:func:`rag.tutor.evidence.select_evidence`) with the
parts that *are* the solution taken out:

* no code example, ever;
* the name of the function, method or operator that solves it is masked
  (``the enumerate() function`` -> ``a built-in function``, ``list.reverse()`` ->
  ``a list method``, ``a[::-1]`` -> ``an indexing expression``, ``*args`` -> ``a
  starred parameter``), so the learner
  still has to find it;
* the guiding question points at the cited section, where the learner will
  find the name themselves.

The hint sentence is still a (masked) quote of its chunk, so it carries ``[n]`` and
passes the same faithfulness check as an answer sentence; the guiding question
makes no claim, so it carries no marker.
"""

from __future__ import annotations

import re

from rag.tutor.compose import cite
from rag.tutor.evidence import Evidence, Unit
from rag.tutor.text import approx_tokens, split_sentences

_CALL = re.compile(
    r"(?:\b(?:the|a|an)\s+)?(?:built-in\s+)?(?:(?:function|method)\s+)?"
    r"`?(?P<name>[A-Za-z_][\w.]*)\((?:[^()]|\([^()]*\))*\)`?"
    r"(?:\s+(?:built-in\s+)?(?P<noun>function|method|constructor|call))?"
)
_SUBSCRIPT = re.compile(r"`?\b[A-Za-z_]\w*\[[^\]\s]*:[^\]\s]*\]`?")
_ASSIGNMENT = re.compile(r"[\w\])]\s*=\s*[\w\[({'\"]")
_TYPE_NAMES = frozenset("list dict set frozenset tuple str bytes bytearray int float complex range object".split())
_STARRED = re.compile(r"(?<![\w*])\*{1,2}[A-Za-z_]\w*")
_INLINE_CODE = re.compile(r"`[^`]+`")
_ARTICLE_FIX = re.compile(r"\b(a|an|the)\s+(a|an)\s+", re.IGNORECASE)


def _call_phrase(m: re.Match[str]) -> str:
    name = m.group("name")
    if "." in name:
        owner = name.split(".", 1)[0]
        # ``list.reverse()`` names a type; ``f.readline()`` names a variable of the example.
        return f"a {owner} method" if owner in _TYPE_NAMES else "a method"
    return "a built-in function" if name.islower() else "a constructor"


def mask_solution(text: str) -> str:
    """``text`` with the names that would hand over the solution replaced by what they are."""
    text = _CALL.sub(_call_phrase, text)
    text = _SUBSCRIPT.sub("an indexing expression", text)
    text = _STARRED.sub("a starred parameter", text)
    text = _INLINE_CODE.sub("a piece of code", text)
    return _ARTICLE_FIX.sub(r"\2 ", text)


def _call_phrase_for_term(term: str) -> str:
    m = _CALL.search(term)
    return _call_phrase(m) if m else "a feature"


def hint_sentence(unit: Unit) -> str:
    """The unit as a cited hint: its first sentence with the solution's name masked."""
    first = next(iter(split_sentences(unit.text)), "")
    if unit.kind == "definition" and unit.term:
        what = _call_phrase_for_term(unit.term)
        return cite(f"There is {what} for this, which the docs describe as: {mask_solution(first)}", unit.source_n)
    return cite(mask_solution(first), unit.source_n)


def guiding_question(unit: Unit, section: str) -> str:
    """A question that sends the learner to the cited section to finish the step themselves."""
    where = f"\u201c{section}\u201d" if section else "the cited section"
    if unit.kind == "definition":
        return f"Guiding question: which entry in {where} matches that description, and what does it return?"
    return (
        f"Guiding question: reading {where}, which piece would you try first on a small example of your own, "
        "and what do you expect it to print?"
    )


def hint_candidates(evidence: Evidence) -> list[Unit]:
    """Prose units to build the hint from, best first (never code)."""
    units = ([evidence.answer] if evidence.answer else []) + evidence.support
    return [u for u in units if u.kind == "definition" or (u.kind == "sentence" and _reads_as_prose(u.text))]


def _reads_as_prose(text: str) -> bool:
    """A sentence, not a line of code that landed in prose (``squares = list(map(...))``)."""
    return len(text.split()) >= 5 and not _ASSIGNMENT.search(text)


def compose_hint(sentence: str, question: str, *, max_tokens: int) -> str:
    """``Hint: ...`` and the guiding question, dropping the question if the budget is too small."""
    hint = f"Hint: {sentence}"
    if approx_tokens(hint) + approx_tokens(question) + 1 > max_tokens:
        return hint
    return f"{hint}\n\n{question}"
