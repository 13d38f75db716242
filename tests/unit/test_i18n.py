"""Translations: every source string used in code is translated, with the same named placeholders."""

from __future__ import annotations

import re
import string

import pytest

from ltc_assess import paths
from ltc_assess.i18n import _, language, load_catalog, set_language
from ltc_assess.lifecycle import DUE_LABELS
from ltc_assess.policies.model import PAYERS, QUALIFICATIONS, SETTINGS, UNITS
from ltc_assess.workflow import ACTION_LABELS, ROLE_LABELS, STATUS_LABELS

LITERAL = re.compile(r'\bN?_\("((?:[^"\\]|\\.)*)"\)')
DYNAMIC = ("首次评估", "常规评估", "即时评估", "因对评估结果有疑问进行的复评", "其他",
           *STATUS_LABELS.values(), *ACTION_LABELS.values(), *ROLE_LABELS.values(),
           *SETTINGS.values(), *UNITS.values(), *PAYERS.values(), *QUALIFICATIONS.values(), *DUE_LABELS.values())


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f}


def _used() -> set[str]:
    found = set(DYNAMIC)
    for path in (paths.bundle_root() / "ltc_assess").rglob("*.py"):
        for m in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1).replace("\\n", "\n"))
    return found


def test_every_used_string_has_an_english_translation() -> None:
    """Test that no `_()` string in the code is missing from en.po."""
    catalog = load_catalog("en")
    assert sorted(_used() - set(catalog)) == []


def test_placeholders_match() -> None:
    """Test that each translation keeps exactly its source's named placeholders."""
    for source, translated in load_catalog("en").items():
        assert _fields(source) == _fields(translated), source


def test_language_switch() -> None:
    """Test that switching language changes what _() returns, and back."""
    try:
        set_language("en")
        assert language() == "en" and _("提交") == "Submit"
        set_language("zh_CN")
        assert _("提交") == "提交"
        with pytest.raises(ValueError):
            set_language("fr")
    finally:
        set_language("zh_CN")
