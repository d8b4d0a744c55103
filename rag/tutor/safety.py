"""Safety: input limits, refusals, and treating retrieved text as data.

* Hard limits (input size, output tokens, request time) come from settings and are
  enforced before any work is done.
* Harmful requests are refused deterministically, before retrieval or generation:
  a 135M model cannot be trusted to refuse on its own.
* Off-topic questions are refused when retrieval finds no source that covers the
  question's terms (see :func:`coverage`), instead of letting the model invent.
* Messages that try to override the rules ("ignore your instructions", "you are now
  ...", "reveal your system prompt") are refused politely, before retrieval.
* Retrieved documents are data. Besides the prompt saying so, instruction-like
  lines ("ignore previous instructions", role markers, chat-template tokens) are
  removed from sources before they reach the model, because a small model follows
  whatever instruction it read last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.tutor.text import content_terms, term_set

REFUSAL_HARMFUL = (
    "I'm sorry, but I can't help with that. I'm a programming tutor for this course, so I can't assist with "
    "requests that could cause harm. If you have a question about the course material, I'm happy to help."
)
REFUSAL_OFF_TOPIC = (
    "I'm sorry, but I couldn't find anything about that in the course material, so I can't answer it reliably. "
    "I can help with questions about the topics covered in the course and its documentation."
)
REFUSAL_OVERRIDE = (
    "I'm sorry, but I can't change how I work or set aside my rules. I answer from the course material and "
    "cite it, and in hint mode I don't hand out full solutions. Ask me about the material and I'll gladly help."
)
REFUSAL_EMPTY = "Please ask a question and I'll do my best to help with the course material."

_HARMFUL = re.compile(
    r"\b(malware|ransomware|keylogger|key logger|botnet|ddos|denial[- ]of[- ]service attack|"
    r"steal(ing)? (passwords?|credentials|cookies|credit cards?|data|money)|"
    r"(hack|break) into (someone|somebody|my (ex|neighbou?r|boss|friend)|an? (account|email|bank))|"
    r"phishing (page|email|site|kit)|credit card (numbers?|dumps?) (generator|list)|"
    r"(build|make|create) (a |an )?(bomb|explosive|weapon|virus)|"
    r"kill (myself|someone|people)|suicide|self[- ]harm|"
    r"bypass (the )?(license|paywall|drm|authentication of)|crack (a |the )?(password|licen[cs]e))",
    re.IGNORECASE,
)

_INJECTION = re.compile(
    r"(ignore|disregard|forget|override) (all |any |the )?(previous|prior|above|earlier|preceding|your|system)"
    r"|new instructions?|system prompt|you are now|pretend (to be|you)|jailbreak"
    r"|\b(respond|reply|answer|say|output) (only|exactly)\b|\b(respond|reply|answer) with only\b"
    r"|do not (cite|mention|tell)|instead,? (say|reply|respond|write)"
    r"|<\|?(im_start|im_end|system|assistant|user|endoftext)\|?>|^\s*(system|assistant|user)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
# A learner's message that tries to change the tutor's rules (rather than ask about the
# material). Narrower than _INJECTION: "reply only with code" or "say hello" in a question
# about print() are ordinary requests; only attempts at the rules themselves are refused.
_OVERRIDE = re.compile(
    r"\b(ignore|disregard|forget|override|bypass|drop)\b[\w\s,'-]{0,30}\b(rules?|instructions?|guidelines|"
    r"restrictions|system prompt|prompt|programming|guardrails|policy|policies)\b"
    r"|\b(reveal|print|show|repeat|tell me)\b[\w\s']{0,20}\b(system prompt|hidden prompt|your (instructions|rules|prompt))\b"
    r"|\byou are (now|no longer)\b|\bpretend (to be|you are|you're)\b|\bjailbreak|\bdeveloper mode\b|\bDAN\b"
    r"|\bact as\b[\w\s]{0,20}\b(without|no) (rules|restrictions|limits)\b"
    r"|<\|?(im_start|im_end|system|assistant|endoftext)\|?>|^\s*(system|assistant)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


class InputTooLargeError(ValueError):
    """The request exceeds a hard input limit (HTTP 413)."""


def check_input(user_texts: Sequence[str], all_texts: Sequence[str], max_chars: int) -> None:
    """Enforce the hard input-size limits: the question and the whole conversation."""
    if user_texts and len(user_texts[-1]) > max_chars:
        raise InputTooLargeError(
            f"the question is {len(user_texts[-1])} characters; the limit is {max_chars}"
        )
    total = sum(len(t) for t in all_texts)
    if total > 4 * max_chars:
        raise InputTooLargeError(
            f"the conversation is {total} characters; the limit is {4 * max_chars} (start a new conversation)"
        )
    if len(all_texts) > 64:
        raise InputTooLargeError(f"the conversation has {len(all_texts)} messages; the limit is 64")


def is_harmful(question: str) -> bool:
    return bool(_HARMFUL.search(question))


def is_override(question: str) -> bool:
    """Does the learner's message try to change the tutor's rules (a prompt-injection attempt)?"""
    return bool(_OVERRIDE.search(question))


def sanitize_source(text: str) -> tuple[str, int]:
    """Drop instruction-like sentences from a retrieved passage; returns (clean text, removed count).

    Works sentence by sentence inside each line, so code blocks keep their line breaks.
    """
    lines: list[str] = []
    removed = 0
    for line in text.split("\n"):
        kept: list[str] = []
        pieces = _SENTENCE_SPLIT.split(line)
        for piece in pieces:
            if _INJECTION.search(piece):
                removed += 1
                continue
            kept.append(piece)
        # An untouched line stays byte-identical: doctest indentation is part of the code.
        joined = line.rstrip() if len(kept) == len(pieces) else " ".join(kept).rstrip()
        if joined.strip():
            lines.append(joined)
    return "\n".join(lines), removed


def coverage(query: str, passages: Sequence[str]) -> float:
    """Share of the query's content terms found in the retrieved passages (0..1).

    Used as the "do the sources cover this question?" gate: retrieval always
    returns *something*, so the score alone cannot say whether the material
    covers the question.
    """
    terms = content_terms(query)
    if not terms:
        return 0.0
    have: set[str] = set()
    for p in passages:
        have |= term_set(p)
    return sum(1 for t in terms if t in have) / len(terms)
