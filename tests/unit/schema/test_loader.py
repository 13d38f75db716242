"""Form loading: valid files load; every kind of broken file fails with a coded, located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltc_assess.errors import ErrorCode
from ltc_assess.schema.loader import FormErrors, load_form, load_form_bytes
from ltc_assess.schema.registry import check_placement

MINI = """\
form: mini
version: 1
status: final
title: {zh_CN: 小表, en: Mini}
standard: {zh_CN: 测试, en: Test}
sections:
  - id: s1
    title: {zh_CN: 第一部分, en: Part one}
    items:
      - id: Q.1
        type: single_choice
        required: true
        label: {zh_CN: 问题一, en: Question one}
        choices:
          - {value: 2, label: {zh_CN: 好, en: Good}}
          - {value: 0, label: {zh_CN: 差, en: Poor}}
      - id: Q.2
        type: single_choice
        required: true
        label: {zh_CN: 问题二, en: Question two}
        choices:
          - {value: 1, label: {zh_CN: 是, en: "Yes"}}
          - {value: 0, label: {zh_CN: 否, en: "No"}}
      - id: Q.3
        type: multi_choice
        label: {zh_CN: 问题三, en: Question three}
        default: []
        choices:
          - {value: NO, label: {zh_CN: 挪威, en: Norway}}
          - {value: none, exclusive: true, label: {zh_CN: 无, en: None}}
scoring:
  dimensions:
    - id: d1
      label: {zh_CN: 维度, en: Dimension}
      items: [Q.1, Q.2]
  total: true
  levels:
    - {code: 0, name: {zh_CN: 好, en: Good}}
    - {code: 1, name: {zh_CN: 差, en: Poor}}
  initial_level:
    kind: bands
    input: "{total}"
    bands:
      - {min: 2, max: 3, code: 0}
      - {min: 0, max: 1, code: 1}
  adjustments:
    stacking: max_one
    rules:
      - id: R1
        when: "'NO' in {Q.3}"
        text: {zh_CN: 规则, en: Rule}
        effect: {raise: 1}
"""


def _load(text: str) -> object:
    return load_form_bytes(text.encode(), "forms/mini/v1.yaml")


def _error(text: str) -> FormErrors:
    with pytest.raises(FormErrors) as info:
        _load(text)
    return info.value


def test_valid_mini_form_loads_with_hash() -> None:
    """Test that a well-formed file loads and is fingerprinted by its bytes."""
    form = _load(MINI)
    assert form.ref == "mini@1"  # type: ignore[attr-defined]
    assert len(form.sha256) == 64  # type: ignore[attr-defined]


def test_yaml_1_2_keeps_norway() -> None:
    """Test that the choice value NO stays the string 'NO' (YAML 1.2, not PyYAML's False)."""
    form = _load(MINI)
    assert form.items["Q.3"].choices[0].value == "NO"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "code", "where", "fragment"),
    [
        ("items: [Q.1, Q.2]", "items: [Q.1, B.1.9]", ErrorCode.FORM_REF, "forms/mini/v1.yaml:35 scoring.dimensions[0].items",
         "unknown item 'B.1.9' in scoring 'd1'"),
        ("      - id: Q.2\n", "      - id: Q.1\n", ErrorCode.FORM_DUPLICATE, ":17 sections[0].items[1].id", "duplicate item id"),
        ("when: \"'NO' in {Q.3}\"", "when: \"{Q.9} > 1\"", ErrorCode.FORM_REF, ":50 scoring.adjustments.rules[0].when",
         "unknown name 'Q.9'"),
        ("when: \"'NO' in {Q.3}\"", "when: \"{Q.1} >> 1\"", ErrorCode.FORM_EXPR, ":50 scoring.adjustments.rules[0].when",
         "bad expression"),
        ("type: multi_choice", "type: multiple_choice", ErrorCode.FORM_SCHEMA, ":25 sections[0].items[2].type",
         "does not match any of the expected tags"),
        ("        required: true\n        label: {zh_CN: 问题一", "        requried: true\n        label: {zh_CN: 问题一",
         ErrorCode.FORM_SCHEMA, ":12 sections[0].items[0].requried", "Extra inputs are not permitted"),
        ("{min: 2, max: 3, code: 0}", "{min: 3, max: 3, code: 0}", ErrorCode.FORM_COVERAGE, "scoring.initial_level.bands",
         "reachable value 2 falls in no band"),
        ("{min: 0, max: 1, code: 1}", "{min: 0, max: 2, code: 1}", ErrorCode.FORM_COVERAGE, "scoring.initial_level.bands",
         "reachable value 2 falls in 2 bands"),
        ("{code: 1, name: {zh_CN: 差", "{code: 2, name: {zh_CN: 差", ErrorCode.FORM_SCHEMA, "scoring.levels",
         "0, 1, 2"),
        ("effect: {raise: 1}", "effect: {set: 7}", ErrorCode.FORM_REF, "scoring.adjustments.rules[0].effect",
         "unknown level 7"),
        ("effect: {raise: 1}", "effect: {}", ErrorCode.FORM_SCHEMA, "scoring.adjustments.rules[0].effect",
         "exactly one of"),
        ("default: []", "default: [maybe]", ErrorCode.FORM_REF, "sections[0].items[2].default", "not a choice"),
        ("label: {zh_CN: 问题二, en: Question two}", "label: {zh_CN: 问题二}", ErrorCode.FORM_SCHEMA,
         "sections[0].items[1].label.en", "Field required"),
        ("scoring:\n  dimensions:", "prefill:\n  Q.2: {source: subject.sex, values: {male: 1, female: 2}}\nscoring:\n"
         "  dimensions:", ErrorCode.FORM_REF, ":32 prefill.Q.2.values.female", "2 is not a choice of 'Q.2'"),
        ("scoring:\n  dimensions:", "prefill:\n  Q.2: {source: subject.age, values: {x: 1}}\nscoring:\n  dimensions:",
         ErrorCode.FORM_SCHEMA, "prefill.Q.2", "subject.sex"),
    ],
)
def test_broken_form_error_is_coded_and_located(old: str, new: str, code: ErrorCode, where: str, fragment: str, english: None) -> None:
    """Test that each kind of mistake yields its code, the file:line and the path, and says what is wrong."""
    assert old in MINI
    err = _error(MINI.replace(old, new, 1))
    assert err.code == code, err.lines
    assert where in str(err), err.lines
    assert str(err).startswith("forms/mini/v1.yaml")
    assert fragment in str(err), err.lines


def test_rules_table_coverage_is_proved_by_enumeration(english: None) -> None:
    """Test that a rule table leaving an input combination ungraded is refused, naming the combination."""
    text = MINI.replace(
        '    kind: bands\n    input: "{total}"\n    bands:\n      - {min: 2, max: 3, code: 0}\n      - {min: 0, max: 1, code: 1}',
        '    kind: rules\n    rules:\n      - {when: "{Q.1} == 2", code: 0}\n      - {when: "{Q.2} == 1", code: 1}',
    )
    err = _error(text)
    assert err.code == ErrorCode.FORM_COVERAGE
    assert "no rule matches Q.1=0, Q.2=0" in str(err)


def test_matrix_index_out_of_range_is_refused(english: None) -> None:
    """Test that a matrix whose row/column expressions can leave the table is refused."""
    text = MINI.replace(
        '    kind: bands\n    input: "{total}"\n    bands:\n      - {min: 2, max: 3, code: 0}\n      - {min: 0, max: 1, code: 1}',
        '    kind: matrix\n    rows: "{Q.2}"\n    columns: "{Q.1}"\n'
        "    row_label: {zh_CN: 行, en: Row}\n    column_label: {zh_CN: 列, en: Column}\n"
        "    cells: [[0, 1], [1, 1]]",
    )
    err = _error(text)
    assert err.code == ErrorCode.FORM_COVERAGE
    assert "no cell [0][2]" in str(err)


def test_yaml_syntax_error_is_located(english: None) -> None:
    """Test that invalid YAML names the line, not a parser traceback."""
    with pytest.raises(Exception) as info:
        _load(MINI.replace("version: 1", "version: [1", 1))
    assert "forms/mini/v1.yaml:" in str(info.value) and "invalid YAML" in str(info.value)


def test_all_problems_are_collected() -> None:
    """Test that a file with two mistakes reports both."""
    err = _error(MINI.replace("items: [Q.1, Q.2]", "items: [Q.1, Q.7]").replace("effect: {raise: 1}", "effect: {set: 9}"))
    assert len(err.lines) == 2


def test_placement_must_match_id_and_version(tmp_path: Path, english: None) -> None:
    """Test that a form stored under the wrong folder or file name is refused."""
    path = tmp_path / "other" / "v2.yaml"
    path.parent.mkdir()
    path.write_text(MINI, encoding="utf-8")
    form = load_form(path)
    with pytest.raises(Exception, match="must be stored as mini/v1.yaml"):
        check_placement(form, path)


def test_missing_file_is_a_clear_error(tmp_path: Path, english: None) -> None:
    """Test that a missing form file gives a coded error, not an OSError traceback."""
    with pytest.raises(Exception, match="cannot read form file") as info:
        load_form(tmp_path / "nope.yaml")
    assert info.value.code == ErrorCode.FORM_NOT_FOUND  # type: ignore[attr-defined]
