"""The fraud rule language: a small, safe expression language over a payment's facts.

Risk analysts write conditions such as::

    score >= 0.6 and amount > 2000
    device_id in @blocked_devices
    country != 'IN' and method == 'card' and hour < 6
    learner_id in @trusted_learners

Grammar (lowest precedence first)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum | ['not'] 'in' (@list | '[' literals ']'))?
    sum     := product (('+' | '-') product)*
    product := atom (('*' | '/') atom)*
    atom    := number | 'string' | true | false | fact | '(' expr ')' | '-' atom

The text is tokenized and parsed here, never handed to ``eval``: a name that is not a
known fact or a value list is a :class:`RuleSyntaxError` naming the known ones, so a
typo is caught when the rule is saved, not when a payment goes through. Conditions
compile to closures over numpy operations, so one compiled rule evaluates a single
payment (scalars) in the scoring path and a whole history (arrays) in a backtest.
A missing model score is ``NaN``: every comparison with it is false, so a score rule
never fires on a payment the model could not score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Facts a rule may read, with their kind: numbers compare with < and arithmetic, text
# compares with == / != / in. Both the scoring path and the backtest provide all of them.
FACTS: dict[str, str] = {
    "score": "number",  # calibrated fraud probability from the model (NaN when it fell back)
    "amount": "number",  # major currency units
    "amount_minor": "number",
    "hour": "number",  # hour of day of the attempt, UTC
    "currency": "text",
    "method": "text",  # card / upi / wallet
    "device_id": "text",
    "ip": "text",
    "instrument": "text",  # the card token, UPI VPA or wallet id paid with ("" in histories without it)
    "country": "text",
    "learner_id": "text",
    "model_decision": "text",  # approve / review / decline from the model's policy
    "scorer_fallback": "bool",  # the scorer was unavailable and the fallback policy answered
}
Env = Mapping[str, Any]
Lists = Mapping[str, Container[str]]
Compiled = Callable[[Env, Lists], Any]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<list>@[A-Za-z_][A-Za-z0-9_]*)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\+|-|\*|/)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
MAX_RULE_CHARS = 2000
MAX_DEPTH = 40


class RuleSyntaxError(ValueError):
    """A condition that does not parse, names an unknown fact or list, or mixes kinds."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition: its source text, the lists it reads and the compiled evaluator."""

    source: str
    lists: frozenset[str]
    facts: frozenset[str]
    evaluate: Compiled

    def __call__(self, env: Env, lists: Lists) -> Any:
        return self.evaluate(env, lists)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(source: str) -> list[_Tok]:
    tokens, pos = [], 0
    stripped = source.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            snippet = stripped[pos:].lstrip()[:12]
            raise RuleSyntaxError(f"unexpected character at position {pos}: {snippet!r}")
        group = m.lastgroup or "op"
        text = m.group(group)
        kind = "kw" if group == "name" and text in _KEYWORDS else group
        tokens.append(_Tok(kind, text, m.start(group)))
        pos = m.end()
    tokens.append(_Tok("end", "", len(stripped)))
    return tokens


# A node is (compiled, kind) where kind is "number", "text", "bool" or "list".
_Node = tuple[Compiled, str]


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.i = 0
        self.lists: set[str] = set()
        self.facts: set[str] = set()
        self.depth = 0

    def nest(self) -> None:
        """Refuse absurd nesting before Python's recursion limit turns it into a crash."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleSyntaxError(f"a condition nests at most {MAX_DEPTH} levels deep (parentheses, not, -)")

    # -- helpers
    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return True
        return False

    def fail(self, what: str) -> RuleSyntaxError:
        tok = self.peek()
        got = "the end of the rule" if tok.kind == "end" else repr(tok.text)
        return RuleSyntaxError(f"expected {what} at position {tok.pos}, got {got}")

    # -- grammar
    def parse(self) -> _Node:
        node = self.expr()
        if self.peek().kind != "end":
            raise self.fail("'and', 'or' or the end of the rule")
        return node

    def expr(self) -> _Node:
        self.nest()
        left = self.conj()
        while self.accept("kw", "or"):
            right = self.conj()
            left = (_binary(np.logical_or, _as_bool(left, "or"), _as_bool(right, "or")), "bool")
        return left

    def conj(self) -> _Node:
        left = self.neg()
        while self.accept("kw", "and"):
            right = self.neg()
            left = (_binary(np.logical_and, _as_bool(left, "and"), _as_bool(right, "and")), "bool")
        return left

    def neg(self) -> _Node:
        if self.accept("kw", "not"):
            self.nest()
            inner = _as_bool(self.neg(), "not")
            return (lambda env, lists: np.logical_not(inner(env, lists))), "bool"
        return self.compare()

    def compare(self) -> _Node:
        left = self.sum()
        tok = self.peek()
        if tok.kind == "op" and tok.text in _COMPARE:
            self.take()
            right = self.sum()
            return _comparison(tok.text, left, right), "bool"
        negate = False
        if tok.kind == "kw" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            negate = True
        if self.accept("kw", "in"):
            if left[1] != "text":
                raise RuleSyntaxError(f"'in' tests text facts against a list, at position {tok.pos}")
            members = self.members()
            test = _membership(left[0], members)
            if negate:
                return (lambda env, lists: np.logical_not(test(env, lists))), "bool"
            return test, "bool"
        if negate:
            raise self.fail("'in'")
        return left

    def members(self) -> Callable[[Lists], Container[str]]:
        tok = self.peek()
        if tok.kind == "list":
            self.take()
            name = tok.text[1:]
            self.lists.add(name)
            return lambda lists: _lookup_list(lists, name)
        if self.accept("op", "["):
            values: list[str] = []
            while not self.accept("op", "]"):
                item = self.take()
                if item.kind != "string":
                    raise RuleSyntaxError(f"list literals hold quoted text, got {item.text!r} at {item.pos}")
                values.append(_unquote(item.text))
                if not self.accept("op", ","):
                    if not self.accept("op", "]"):
                        raise self.fail("',' or ']'")
                    break
            frozen = frozenset(values)
            return lambda lists: frozen
        raise self.fail("a value list (@name) or a list literal ['a', 'b']")

    def sum(self) -> _Node:
        return self.arithmetic(self.product, ("+", "-"))

    def product(self) -> _Node:
        return self.arithmetic(self.atom, ("*", "/"))

    def arithmetic(self, operand: Callable[[], _Node], ops: tuple[str, ...]) -> _Node:
        """``operand (op operand)*``, left-associative: one precedence level of arithmetic."""
        left = operand()
        while self.peek().kind == "op" and self.peek().text in ops:
            op = self.take().text
            left = _arith(op, left, operand())
        return left

    def atom(self) -> _Node:
        tok = self.take()
        if tok.kind == "number":
            value = float(tok.text)
            return (lambda env, lists: value), "number"
        if tok.kind == "string":
            text = _unquote(tok.text)
            return (lambda env, lists: text), "text"
        if tok.kind == "kw" and tok.text in ("true", "false"):
            flag = tok.text == "true"
            return (lambda env, lists: flag), "bool"
        if tok.kind == "name":
            if tok.text not in FACTS:
                raise RuleSyntaxError(f"unknown fact {tok.text!r} at position {tok.pos}; known facts: "
                                      f"{', '.join(sorted(FACTS))}")
            self.facts.add(tok.text)
            name = tok.text
            return (lambda env, lists: env[name]), FACTS[name]
        if tok.kind == "op" and tok.text == "(":
            node = self.expr()
            if not self.accept("op", ")"):
                raise self.fail("')'")
            return node
        if tok.kind == "op" and tok.text == "-":
            self.nest()
            inner = self.atom()
            if inner[1] != "number":
                raise RuleSyntaxError(f"'-' applies to numbers, at position {tok.pos}")
            f = inner[0]
            return (lambda env, lists: -np.asarray(f(env, lists), dtype=float)), "number"
        if tok.kind == "list":
            raise RuleSyntaxError(f"a value list ({tok.text}) can only follow 'in', at position {tok.pos}")
        self.i -= 1
        raise self.fail("a fact, a number, a quoted string or '('")


_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _lookup_list(lists: Lists, name: str) -> Container[str]:
    try:
        return lists[name]
    except KeyError:
        raise RuleSyntaxError(f"value list @{name} does not exist; create it first") from None


def _as_bool(node: _Node, op: str) -> Compiled:
    if node[1] != "bool":
        raise RuleSyntaxError(f"'{op}' joins conditions; a bare {node[1]} is not a condition "
                              "(compare it, e.g. score >= 0.5)")
    return node[0]


def _binary(fn: Any, a: Compiled, b: Compiled) -> Compiled:
    return lambda env, lists: fn(a(env, lists), b(env, lists))


def _comparison(op: str, left: _Node, right: _Node) -> Compiled:
    kinds = {left[1], right[1]}
    if len(kinds) != 1:
        raise RuleSyntaxError(f"cannot compare {left[1]} with {right[1]} using {op!r}")
    if kinds & {"text", "bool"} and op not in ("==", "!="):
        raise RuleSyntaxError(f"{op!r} orders numbers; text and true/false compare with == or !=")
    fn, a, b = _COMPARE[op], left[0], right[0]
    return _on_floats(fn, a, b) if kinds == {"number"} else _binary(fn, a, b)


def _arith(op: str, left: _Node, right: _Node) -> _Node:
    if left[1] != "number" or right[1] != "number":
        raise RuleSyntaxError(f"{op!r} applies to numbers, not {left[1]} and {right[1]}")
    return _on_floats(_ARITH[op], left[0], right[0]), "number"


def _on_floats(fn: Any, a: Compiled, b: Compiled) -> Compiled:
    """``fn`` over both sides as floats; NaN (a missing score) and x/0 give NaN / inf, never a warning."""
    def compute(env: Env, lists: Lists) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(np.asarray(a(env, lists), dtype=float), np.asarray(b(env, lists), dtype=float))
    return compute


def _membership(value: Compiled, members: Callable[[Lists], Container[str]]) -> Compiled:
    def test(env: Env, lists: Lists) -> Any:
        v, pool = value(env, lists), members(lists)
        if isinstance(v, np.ndarray):
            values = list(pool)  # type: ignore[call-overload]  # backtests pass whole sets
            return np.isin(v, values) if values else np.zeros(v.shape, dtype=bool)
        return v in pool
    return test


def parse_condition(source: str) -> Condition:
    """Parse and type-check ``source``; raise :class:`RuleSyntaxError` saying what to fix."""
    if not isinstance(source, str) or not source.strip():
        raise RuleSyntaxError("a rule needs a condition, e.g. score >= 0.8 and amount > 5000")
    if len(source) > MAX_RULE_CHARS:
        raise RuleSyntaxError(f"a condition is at most {MAX_RULE_CHARS} characters")
    parser = _Parser(source)
    compiled, kind = parser.parse()
    if kind != "bool":
        raise RuleSyntaxError(f"a condition must be true or false, but {source.strip()!r} is a {kind}")
    return Condition(source=source.strip(), lists=frozenset(parser.lists), facts=frozenset(parser.facts),
                     evaluate=compiled)
