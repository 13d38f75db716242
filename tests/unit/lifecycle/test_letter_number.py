"""The 告知书 names the assessment by its global identity: the same decision's letter made at the office and on a
laptop that received it by bundle (where the local database id differs) prints the same 评估编号 — the one its
report prints, built from the uid — and the same letter number; a 复评's letter names its original the same way."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from world import World

from ltc_assess.bundles import import_bundle
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import NewAssessment
from ltc_assess.storage.lifecycle_store import LifecycleStore

from .test_lifecycle_bundles import _office_with_lifecycle
from .test_review_over_bundles import _office

pytestmark = pytest.mark.slow  # signs letters and reports


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _number(text: str) -> str:
    """The value printed after 评估编号 on a letter."""
    after = text.split("评估编号", 1)[1].split()
    return after[0].lstrip("：:")


def test_the_letter_of_one_decision_prints_the_same_number_on_every_installation(
    world: World, tmp_path: Path
) -> None:
    laptop, uid, bundle = _office_with_lifecycle(world, tmp_path)
    office = world.service
    draft, _ = laptop.start_assessment(  # the laptop numbers its own records: the decision gets another id here
        laptop.store.user_by_name("a1"),  # type: ignore[arg-type]
        NewAssessment(subject_id=world.subject.id, form="barthel"),
    )
    sup2 = laptop.store.user_by_name("sup2")
    assert sup2 is not None
    assert import_bundle(laptop, sup2, bundle).refused == []
    here, there = office.store.assessment_by_uid(uid), laptop.store.assessment_by_uid(uid)
    assert here is not None and there is not None and here.id != there.id
    office_letter = LifecycleStore(office.store.db).signed_letter(uid)
    assert office_letter is not None
    (laptop_letter, signed), _changes = Lifecycle(laptop).letter_pdf(there.id, sup2, "sup2-password")
    assert signed
    expected = dict(office.report_data(here.id).info)["评估编号"]  # what the decision's report prints
    assert expected.endswith(uid[:12])
    for letter in (office_letter, laptop_letter):
        text = _text(letter)
        assert _number(text) == expected, text
        assert f"编号 {uid[:12]}" in text  # the letter's own number
    (tmp_path / "laptop-letter.pdf").write_bytes(laptop_letter)
    if shutil.which("pdftoppm"):  # a page to look at: tmp_path/letter-1.png
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "laptop-letter.pdf"),
             str(tmp_path / "letter")],
            check=True,
        )  # fmt: skip
        assert (tmp_path / "letter-1.png").stat().st_size > 0


def test_a_review_letter_names_its_original_by_its_number(world: World, tmp_path: Path) -> None:
    """The 复评's letter says which decision it replaced by the original's 评估编号, not this database's id."""
    s, _laptop, original_id, review_id = _office(world, tmp_path)
    assert review_id is not None
    lc = Lifecycle(s)
    original_number = dict(s.report_data(original_id).info)["评估编号"]
    (pdf, _signed), _changes = lc.letter_pdf(review_id)
    text = _text(pdf)
    assert f"本结论为评估 {original_number}" in text.replace("\n", ""), text
    assert original_number.endswith(s.assessment(original_id).uid[:12])
