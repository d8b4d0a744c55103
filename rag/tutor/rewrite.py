"""Query rewriting: make a follow-up question stand on its own before retrieval.

"And how do I reverse it?" retrieves nothing useful by itself; the previous turn
("How do I sort a list?") holds the topic. We use a deterministic rule instead of
asking the LLM to rewrite: the local 135M model rewrites badly and slowly, and a
rule is testable. A turn is a follow-up when it is short or leans on the previous
turn (pronouns, "what about ..."); then the topic terms of the previous user turn
are prepended.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.tutor.text import content_terms, words

_ANAPHORA = frozenset("it its this that these those they them one ones same such above former latter".split())
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|what if|why|why not|and why|can it|"
    r"does it|is it|is that|could you|show me|give me|another|more)\b",
    re.IGNORECASE,
)
MAX_TOPIC_TERMS = 6


def is_follow_up(question: str) -> bool:
    """Whether ``question`` probably depends on the earlier conversation."""
    ws = words(question)
    if not ws:
        return False
    if _FOLLOW_UP_START.match(question):
        return True
    if any(w in _ANAPHORA for w in ws) and len(content_terms(question)) <= 4:
        return True
    return len(content_terms(question)) <= 1


def rewrite_query(user_turns: Sequence[str]) -> str:
    """Standalone search query for the last user turn, given all user turns in order."""
    if not user_turns:
        return ""
    current = user_turns[-1].strip()
    if len(user_turns) == 1 or not is_follow_up(current):
        return current
    have = set(content_terms(current))
    topic: list[str] = []
    for earlier in reversed(user_turns[:-1]):
        for term in content_terms(earlier):
            if term not in have and term not in topic:
                topic.append(term)
        if topic:  # the nearest turn with a topic wins
            break
    if not topic:
        return current
    return f"{' '.join(topic[:MAX_TOPIC_TERMS])} {current}"
