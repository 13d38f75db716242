"""The closed expression language: syntax, null semantics, and refusal of anything outside it."""

from __future__ import annotations

import pytest

from ltc_assess.schema.expressions import ExpressionError, parse


@pytest.mark.parametrize(
    ("src", "env", "want"),
    [
        ("{A.5.11} == 1 and {B.3.9} > 0", {"A.5.11": 1, "B.3.9": 2}, True),
        ("{A.5.11} == 1 and {B.3.9} > 0", {"A.5.11": 1, "B.3.9": 0}, False),
        ("'F00-F03' in {A.4.1} or 'F04-F99' in {A.4.1}", {"A.4.1": ["F04-F99"]}, True),
        ("'F00-F03' in {A.4.1}", {}, False),
        ("'F00-F03' not in {A.4.1}", {"A.4.1": ["I10-I15"]}, True),
        ("sum({a}, {b}, {c}) >= 2", {"a": 1, "b": 1}, True),
        ("max({a}, {b})", {"a": 3, "b": 4}, 4),
        ("min({a}, {b})", {"a": 3}, 3),
        ("1 + 2 * 3 - 4 / 2", {}, 5.0),
        ("-{a} + 1", {"a": 2}, -1),
        ("not ({a} > 1)", {"a": 0}, True),
        ("iif({a} == 1, 'yes', 'no')", {"a": 1}, "yes"),
        ("count({a}, {b})", {"a": 0}, 1),
        ("len({a})", {"a": [1, 2]}, 2),
        ("coalesce({a}, 7)", {}, 7),
        ("round({w} / (({h} / 100) * ({h} / 100)), 1)", {"w": 60, "h": 170}, 20.8),
        ("age({b}, {d})", {"b": "1940-06-15", "d": "2026-06-14"}, 85),
        ("{x} in [1, 2, 3]", {"x": 2}, True),
        ("{a} != null", {"a": 0}, True),
        ("answered({a})", {"a": []}, False),
        ("true and not false", {}, True),
    ],
)
def test_expression_evaluates(src: str, env: dict[str, object], want: object) -> None:
    """Test that expressions evaluate as documented."""
    assert parse(src)(env) == want


@pytest.mark.parametrize(
    "src", ["{a} + 1 > 0", "{a} > 1", "{a} < 1", "{a} * 2 == null", "{a} / 0 == null"]
)
def test_null_propagates_and_orders_false(src: str) -> None:
    """Test that a missing value never satisfies an ordering and makes arithmetic null."""
    result = parse(src)({"a": None} if "/ 0" not in src else {"a": 5})
    assert result is ("== null" in src)


def test_refs_are_collected_in_order() -> None:
    """Test that an expression reports the names it references, once each, in order."""
    assert parse("{b} + {a} + {b.grade} + {a}").refs == ("b", "a", "b.grade")


@pytest.mark.parametrize(
    ("src", "fragment"),
    [
        ("{a} ==", "column 7"),
        ("__import__('os')", "unknown function"),
        ("{a}.real", "unexpected"),
        ("{a} & 1", "unexpected character"),
        ("(1", "expected ')'"),
        ("{}", "unexpected character"),
        ("iif(1, 2)", "iif() takes 3"),
        ("len(1, 2)", "len() got 2"),
        ("", "non-empty"),
    ],
)
def test_bad_expression_is_refused_with_position(src: str, fragment: str) -> None:
    """Test that anything outside the closed language is rejected with a located message."""
    with pytest.raises(ExpressionError, match=None) as info:
        parse(src)
    assert fragment in str(info.value)
