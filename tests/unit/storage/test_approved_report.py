"""The approved report: a new rendering that states the decision and carries the assessor-signed submission.

Checked as an insurer would: the PDF's text (pdftotext), every signature with pyHanko and poppler's pdfsig
(the supervisor's on the approved file, the assessors' on the extracted attachment, byte-identical to what they
signed at submission).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from world import World, complete_barthel, with_signing_keys

from ltc_assess.signing.attach import SUBMITTED_NAME, embedded_files, submitted_report
from ltc_assess.signing.pades import verify_pdf

pytestmark = pytest.mark.slow  # signs and approves reports, checks them with pdfsig


def _text(pdf: bytes, tmp_path: Path, name: str = "r.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())  # CJK lines wrap anywhere: compare without whitespace


def _pdfsig(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


@pytest.fixture
def approved(world: World) -> tuple[World, int, bytes]:
    """Barthel proposed 1 (轻度依赖), decided 2 (中度依赖) with a reason, approved by sup1: its report."""
    s = world.service
    with_signing_keys(world)
    aid = complete_barthel(world)
    s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
    assert s.assessment(aid).proposed_level == 1
    s.decide_level(world.sup1, aid, 2, "夜间需协助如厕，家属反映跌倒两次")
    s.approve(world.sup1, aid, "sup1-password")
    return world, aid, s.report_pdf(aid)


def test_the_approved_report_states_the_decision(approved: tuple[World, int, bytes], tmp_path: Path) -> None:
    """Test that the approved PDF's text says 已审核批准, ticks nothing but says the decided level's exact name in
    the final-level block, and names the reason, the approver and the date; no 未经审核批准 anywhere."""
    world, aid, pdf = approved
    text = _text(pdf, tmp_path)
    assert "已审核批准" in text and "未经审核批准" not in text
    c5 = text[text.index("C.5最终等级") :]
    assert "审核核定等级：2中度依赖" in c5 and "计算建议等级：1轻度依赖" in c5
    assert "夜间需协助如厕，家属反映跌倒两次" in c5 and "审核批准人：sup1名" in c5 and "批准日期：2026-11-01" in c5


def test_c5_ticks_the_decided_level(approved: tuple[World, int, bytes]) -> None:
    """Test that the final-level boxes tick the decided level, not the engine's proposal."""
    world, aid, _pdf = approved
    data = world.service.report_data(aid)
    assert [b.label for b in data.final_levels if b.ticked] == ["2 中度依赖"]
    assert [b.label for b in data.initial_levels if b.ticked] == ["1 轻度依赖"]  # C.3 stays the computation


def test_every_signature_validates(approved: tuple[World, int, bytes], tmp_path: Path) -> None:
    """Test that pyHanko and pdfsig accept the supervisor's signature on the approved file and both assessors'
    on the embedded submission, which is byte-identical to the report they signed."""
    world, aid, pdf = approved
    s = world.service
    roots = [s.root_certificate()]
    outer = verify_pdf(pdf, roots)
    assert outer.ok and [c.username for c in outer.signatures] == ["sup1"]
    last = outer.signatures[0]  # nothing after it but the approval's validation data and document timestamp
    assert last.covers_whole_file or last.modification == "LTA_UPDATES"
    submitted = submitted_report(pdf)
    assert submitted is not None and list(embedded_files(pdf)) == [SUBMITTED_NAME]
    signed_at_submission = [r["pdf"] for r in s.store.reports(aid) if r["signer_role"] == "assessor2"]
    assert submitted == signed_at_submission[0]
    inner = verify_pdf(submitted, roots)
    assert inner.ok and [c.username for c in inner.signatures] == ["a1", "a2"]
    assert _pdfsig(pdf, tmp_path, "approved.pdf").count("Signature Validation: Signature is Valid.") == 1
    assert _pdfsig(submitted, tmp_path, "submitted.pdf").count("Signature Validation: Signature is Valid.") == 2
    inner_text = _text(submitted, tmp_path, "submitted.pdf")
    assert "已提交（未经审核批准）" in inner_text  # the submission is what it was, unchanged


def test_a_swapped_attachment_breaks_the_supervisors_signature(
    approved: tuple[World, int, bytes], tmp_path: Path
) -> None:
    """Test that the supervisor's signature binds the attachment: changing a byte inside it is detected."""
    world, _aid, pdf = approved
    submitted = submitted_report(pdf)
    assert submitted is not None
    marker = pdf.index(b"/EmbeddedFile")
    tampered = bytearray(pdf)
    stream = tampered.index(b"stream", marker) + 10
    tampered[stream] ^= 0x01
    assert not verify_pdf(bytes(tampered), [world.service.root_certificate()]).ok


def test_unsigned_installation_renders_the_approval_too(world: World, tmp_path: Path) -> None:
    """Test that without signing keys the approved rendering still states the approval and decided level."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    s.approve(world.sup2, aid)
    text = _text(s.report_pdf(aid), tmp_path)
    assert "已审核批准" in text and "未经审核批准" not in text and "审核核定等级：1轻度依赖" in text
    assert submitted_report(s.report_pdf(aid)) is None


def test_a_correction_says_so_and_names_the_report_it_replaces(approved: tuple[World, int, bytes], tmp_path: Path) -> None:
    """Test that a correction's report is titled 更正 and names the report number of the version it replaces."""
    world, aid, _pdf = approved
    s = world.service
    new, _ = s.amend(world.sup2, aid, "出生日期录入错误")
    text = _text(s.render_report(new.id), tmp_path)
    assert "（更正）" in text and f"本报告更正并取代报告LTC-{s.assessment(aid).uid[:12]}-v1" in text
    assert f"LTC-{new.uid[:12]}-v2" in text


def test_embedded_files_of_junk_is_one_clear_error(english: None) -> None:
    """Test that reading attachments from a file that is not a PDF raises a coded error, not a traceback."""
    from ltc_assess.errors import AppError, ErrorCode

    with pytest.raises(AppError) as info:
        embedded_files(b"%PDF-1.4 not really")
    assert info.value.code == ErrorCode.INVALID and "embedded files" in str(info.value)
