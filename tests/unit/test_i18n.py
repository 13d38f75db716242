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


CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff01-\uffef]")


def test_ui_code_says_no_chinese_outside_the_catalogue() -> None:
    """Test that no Chinese literal in the UI code (not even a "、" or "：") reaches a widget without _()/N_():
    such a literal stays Chinese in the English UI. Docstrings and the screenshots' demo data are exempt."""
    import ast

    found = []
    for path in sorted((paths.bundle_root() / "ltc_assess" / "ui").rglob("*.py")):
        if path.name == "screenshots.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)):
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.Expr):  # a docstring
                continue
            if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in ("_", "N_"):
                continue
            found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert found == []


def test_engine_explanation_is_said_in_english_and_unchanged_in_chinese() -> None:
    """Test that for random answers on all four forms every trace step and warning the engine gives has an English
    rendering without Chinese, and that its Chinese rendering is the text the score JSON carries."""
    import random

    from ltc_assess.i18n import say
    from ltc_assess.schema.model import MultiChoiceItem, SingleChoiceItem
    from ltc_assess.schema.registry import get_form
    from ltc_assess.scoring import score

    rng = random.Random(3)
    for ref in ("gbt42195-2022@1", "mzt039-2013@1", "nhsa-ltc-2021@1", "barthel@1"):
        form = get_form(ref)
        for _n in range(40):
            answers = {
                item.id: rng.choice(item.choices).value if isinstance(item, SingleChoiceItem) else []
                for item in form.items.values()
                if isinstance(item, SingleChoiceItem | MultiChoiceItem) and rng.random() > 0.15
            }
            result = score(form, answers, partial=True)
            for said in (*result.trace, *result.all_warnings):
                english = say(said.says, "en")
                assert not CJK.search(english), (ref, english)
                assert say(said.says, "zh_CN") == said.text
