"""Checks of typed names and drawn signatures, before anything is stored."""

from __future__ import annotations

import pytest

from ltc_assess.demo import signature_png
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.inputs import require_png, short_text
from ltc_assess.passwords import check_password


def test_short_text_is_trimmed_and_refused_when_empty_multiline_or_long() -> None:
    """Test one-line admin input: trimmed; empty, two lines and overlong refused with where it was typed."""
    assert short_text("  某评估机构 ", "agency_name") == "某评估机构"
    for bad in ("   ", "a\nb", "x" * 101):
        with pytest.raises(AppError) as caught:
            short_text(bad, "agency_name")
        assert caught.value.code == ErrorCode.INVALID and caught.value.where == "agency_name"


def test_a_signature_must_be_a_complete_png() -> None:
    """Test that a real PNG passes and a truncated one or another format is refused."""
    png = signature_png(1)
    require_png(png)
    for bad in (png[: len(png) // 2], b"GIF89a" + png[6:], b""):
        with pytest.raises(AppError):
            require_png(bad)


@pytest.mark.parametrize(
    ("password", "username"),
    [("short", "bob"), ("password", "bob"), ("alice_smith", "alice_smith"), ("htims_ecila", "alice_smith"),
     ("aaaaaaaaaa", "bob")],
)
def test_weak_or_short_passwords_are_refused(password: str, username: str) -> None:
    """Test the one password rule: at least 8 characters, not common, not the username (or it reversed)."""
    with pytest.raises(AppError) as caught:
        check_password(password, username)
    assert caught.value.where == "password"


def test_a_good_password_passes() -> None:
    """Test that a long, uncommon password distinct from the username is accepted."""
    check_password("correct horse battery", "alice")
