"""A small closed expression language for relevance, constraints, consistency checks and scoring rules.

Why not ``eval``: form files are data that travel between offices; an expression may only read answers
and computed values, never run code. Each expression is parsed once (at form load) into closures.

Syntax::

    {B.3.9} > 0 and {A.5.11} == 1          references in braces: item ids, dimension ids,
    'F00-F03' in {A.4.1}                   ``dim.grade``, ``total``
    sum({A.2.14.1}, {A.2.14.2}) >= 2       functions: sum min max count len answered coalesce iif round age
    not answered({B.3.2})                  literals: 12, 1.5, 'text', true, false, null, [1, 2]

Missing values are ``null``. Arithmetic on ``null`` gives ``null``; ordering comparisons with ``null`` are
false; ``sum``/``min``/``max`` skip nulls (and give ``null`` when nothing is left).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Env = Mapping[str, Any]
Evaluator = Callable[[Env], Any]


class ExpressionError(ValueError):
    """The expression text does not parse; the message says where."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\{[^{}]+\})
    | (?P<num>\d+(?:\.\d+)?)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|,|\[|\])
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    src = src.rstrip()
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"unexpected character {src[pos:].strip()[:1]!r} at column {pos + 1}")
        group = m.lastgroup or ""
        text = m.group(group)
        kind = "kw" if group == "name" and text in _KEYWORDS else group
        toks.append(_Tok(kind, text, m.start(group) + 1))
        pos = m.end()
    toks.append(_Tok("end", "", len(src) + 1))
    return toks


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _arith(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def f(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        if op is _div and b == 0:
            return None
        return op(a, b)

    return f


def _div(a: Any, b: Any) -> Any:
    return a / b


def _ordering(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def f(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        try:
            return op(a, b)
        except TypeError:
            return False

    return f


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": _arith(lambda a, b: a + b),
    "-": _arith(lambda a, b: a - b),
    "*": _arith(lambda a, b: a * b),
    "/": _arith(_div),
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": _ordering(lambda a, b: a < b),
    "<=": _ordering(lambda a, b: a <= b),
    ">": _ordering(lambda a, b: a > b),
    ">=": _ordering(lambda a, b: a >= b),
}


def _flat(args: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, list | tuple):
            out.extend(x for x in a if x is not None)
        elif a is not None:
            out.append(a)
    return out


def _f_sum(*args: Any) -> Any:
    vals = _flat(args)
    return sum(vals) if vals else None


def _f_min(*args: Any) -> Any:
    vals = _flat(args)
    return min(vals) if vals else None


def _f_max(*args: Any) -> Any:
    vals = _flat(args)
    return max(vals) if vals else None


def _f_count(*args: Any) -> int:
    return len(_flat(args))


def _f_len(x: Any) -> Any:
    return None if x is None else len(x)


def _f_answered(x: Any) -> bool:
    return x is not None and x != [] and x != ""


def _f_coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _f_round(x: Any, n: Any = 0) -> Any:
    if x is None or n is None:
        return None
    return round(x, int(n))


def _f_age(birth: Any, on: Any) -> Any:
    """Whole years between two ISO dates (birth, reference date)."""
    try:
        b = dt.date.fromisoformat(birth)
        d = dt.date.fromisoformat(on)
    except (TypeError, ValueError):
        return None
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (implementation, min args, max args (-1 = any))
    "sum": (_f_sum, 1, -1),
    "min": (_f_min, 1, -1),
    "max": (_f_max, 1, -1),
    "count": (_f_count, 1, -1),
    "len": (_f_len, 1, 1),
    "answered": (_f_answered, 1, 1),
    "coalesce": (_f_coalesce, 1, -1),
    "round": (_f_round, 1, 2),
    "age": (_f_age, 2, 2),
}

FUNCTION_NAMES = frozenset(_FUNCTIONS) | {"iif"}


class _Parser:
    def __init__(self, src: str) -> None:
        self.toks = _tokenize(src)
        self.i = 0
        self.refs: list[str] = []

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self, text: str | None = None) -> _Tok:
        tok = self.toks[self.i]
        if text is not None and tok.text != text:
            found = tok.text or "end of expression"
            raise ExpressionError(f"expected {text!r} at column {tok.pos}, found {found!r}")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "kw") and tok.text in texts

    def parse(self) -> Evaluator:
        fn = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(f"unexpected {tok.text!r} at column {tok.pos}")
        return fn

    def or_expr(self) -> Evaluator:
        parts = [self.and_expr()]
        while self.at("or"):
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda env: any(bool(p(env)) for p in parts)

    def and_expr(self) -> Evaluator:
        parts = [self.not_expr()]
        while self.at("and"):
            self.take()
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda env: all(bool(p(env)) for p in parts)

    def not_expr(self) -> Evaluator:
        if self.at("not") and not (self.toks[self.i + 1].text == "in"):
            self.take()
            inner = self.not_expr()
            return lambda env: not inner(env)
        return self.comparison()

    def comparison(self) -> Evaluator:
        left = self.additive()
        if self.at("==", "!=", "<", "<=", ">", ">="):
            op = _BINARY[self.take().text]
            right = self.additive()
            return lambda env: op(left(env), right(env))
        negate = False
        if self.at("not") and self.toks[self.i + 1].text == "in":
            self.take()
            negate = True
        if self.at("in"):
            self.take()
            right = self.additive()

            def contains(env: Env) -> bool:
                container = right(env)
                if container is None:
                    return negate
                try:
                    return (left(env) in container) != negate
                except TypeError:
                    return negate

            return contains
        return left

    def additive(self) -> Evaluator:
        left = self.term()
        while self.at("+", "-"):
            op = _BINARY[self.take().text]
            right = self.term()
            left = (lambda lf, rf, o: lambda env: o(lf(env), rf(env)))(left, right, op)
        return left

    def term(self) -> Evaluator:
        left = self.unary()
        while self.at("*", "/"):
            op = _BINARY[self.take().text]
            right = self.unary()
            left = (lambda lf, rf, o: lambda env: o(lf(env), rf(env)))(left, right, op)
        return left

    def unary(self) -> Evaluator:
        if self.at("-"):
            self.take()
            inner = self.unary()
            return lambda env: None if (v := inner(env)) is None else -v
        return self.primary()

    def primary(self) -> Evaluator:
        tok = self.take()
        if tok.kind == "num":
            val: Any = float(tok.text) if "." in tok.text else int(tok.text)
            return lambda env: val
        if tok.kind == "str":
            sval = tok.text[1:-1]
            return lambda env: sval
        if tok.kind == "ref":
            name = tok.text[1:-1].strip()
            if not name:
                raise ExpressionError(f"empty reference at column {tok.pos}")
            self.refs.append(name)
            return lambda env: env.get(name)
        if tok.kind == "kw" and tok.text in ("true", "false", "null"):
            const = {"true": True, "false": False, "null": None}[tok.text]
            return lambda env: const
        if tok.kind == "op" and tok.text == "(":
            inner = self.or_expr()
            self.take(")")
            return inner
        if tok.kind == "op" and tok.text == "[":
            items = self.args("]")
            return lambda env: [f(env) for f in items]
        if tok.kind == "name":
            return self.call(tok)
        found = tok.text or "end of expression"
        raise ExpressionError(f"unexpected {found!r} at column {tok.pos}")

    def args(self, close: str) -> list[Evaluator]:
        out: list[Evaluator] = []
        if not self.at(close):
            out.append(self.or_expr())
            while self.at(","):
                self.take()
                out.append(self.or_expr())
        self.take(close)
        return out

    def call(self, tok: _Tok) -> Evaluator:
        name = tok.text
        if name not in FUNCTION_NAMES:
            known = ", ".join(sorted(FUNCTION_NAMES))
            raise ExpressionError(f"unknown function {name!r} at column {tok.pos} (known: {known})")
        self.take("(")
        args = self.args(")")
        if name == "iif":
            if len(args) != 3:
                raise ExpressionError(f"iif() takes 3 arguments, got {len(args)} at column {tok.pos}")
            cond, then, other = args
            return lambda env: then(env) if cond(env) else other(env)
        fn, lo, hi = _FUNCTIONS[name]
        if len(args) < lo or (hi >= 0 and len(args) > hi):
            raise ExpressionError(f"{name}() got {len(args)} arguments at column {tok.pos}")
        return lambda env: fn(*(a(env) for a in args))


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression: the source text, the names it references, and its evaluator."""

    source: str
    refs: tuple[str, ...]
    evaluate: Evaluator

    def __call__(self, env: Env) -> Any:
        return self.evaluate(env)

    def __str__(self) -> str:
        return self.source


def parse(source: str) -> Expression:
    """Parse ``source`` once; raises ExpressionError with the column on bad syntax."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("expression must be a non-empty string")
    parser = _Parser(source)
    fn = parser.parse()
    return Expression(source=source, refs=tuple(dict.fromkeys(parser.refs)), evaluate=fn)
