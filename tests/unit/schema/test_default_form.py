"""The installation's default form is declared in forms/index.yaml and checked against the installed forms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ltc_assess import paths
from ltc_assess.errors import FormError
from ltc_assess.schema.registry import default_form
from ltc_assess.service import NewAssessment


def test_the_installed_default_is_the_national_standard() -> None:
    """Test that the shipped index names GB/T 42195-2022, and a new assessment asked without a form gets it."""
    assert default_form() == "gbt42195-2022"
    assert NewAssessment(subject_id=1).form == "gbt42195-2022"


@pytest.mark.parametrize(
    ("text", "line"),
    [("default: barthel2\n", 1), ("# note\ndefault: 7\n", 2), ("other: x\n", None), ("default: [x\n", None)],
)
def test_an_index_naming_no_installed_form_is_a_located_error(tmp_path: Path, text: str, line: int | None) -> None:
    """Test that an unknown, wrong-typed or missing default (or broken YAML) names the index file (and line)."""
    forms = tmp_path / "forms"
    shutil.copytree(paths.forms_dir(), forms)
    (forms / "index.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FormError) as caught:
        default_form(forms)
    assert "index.yaml" in str(caught.value)
    if line is not None:
        assert f"index.yaml:{line}" in str(caught.value)
