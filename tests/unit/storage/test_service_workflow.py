"""The workflow through the service: submit, return, decide, approve, amend; immutability; checklist."""

from __future__ import annotations

import pytest
from world import PNG, World, complete_barthel, raw_sql, with_signing_keys

from ltc_assess.errors import AnswerError, AppError, ErrorCode
from ltc_assess.service import NewAssessment
from ltc_assess.storage.db import DatabaseError
from ltc_assess.workflow import Status


def test_answers_saved_one_by_one_with_live_score(world: World) -> None:
    """Test that each save is stored, audited and returns the live score."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    assert record.answers == {"INFO.1": "2026-11-01"}  # prefilled assessment date
    result = s.save_answer(world.a1, record.id, "BI.1", 10, current_item="BI.2")
    assert result.score.dimension("adl").partial_sum == 10 and result.changes.score_changed
    stored = s.assessment(record.id)
    assert stored.answers["BI.1"] == 10 and stored.current_item == "BI.2"
    assert stored.score is not None and stored.engine_version


def test_invalid_answer_is_refused_and_nothing_changes(world: World) -> None:
    """Test that a bad value raises naming the item and leaves the stored answer."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    s.save_answer(world.a1, record.id, "BI.1", 10)
    with pytest.raises(AnswerError, match="BI.1"):
        s.save_answer(world.a1, record.id, "BI.1", 3)
    assert s.assessment(record.id).answers["BI.1"] == 10


def test_gbt_prefill_from_subject(world: World) -> None:
    """Test that starting a GB/T 42195 assessment fills identity answers from the subject record."""
    record, _ = world.service.start_assessment(world.a1, NewAssessment(
        subject_id=world.subject.id, form="gbt42195-2022", reason="routine", informant_name="王小明"))
    a = record.answers
    assert a["A.2.1"] == "王秀英" and a["A.2.8"] == world.subject.id_number and a["A.2.3"] == "1940-03-15"
    assert a["A.1.3"] == "routine" and a["A.3.1"] == "王小明" and a["A.2.2"] == "female"


@pytest.mark.parametrize(
    ("form", "reason", "expected"),
    [
        ("mzt039-2013", "first", {"A.1.3": 1, "A.2.2": 2}),  # the subject is female: MZ/T codes 女 as 2
        ("mzt039-2013", "review", {"A.1.3": 4, "A.2.2": 2}),
        ("mzt039-2013", "other", {"A.2.2": 2}),  # MZ/T has no 其他: left for the assessor
        ("nhsa-ltc-2021", "routine", {"INFO.3": "review"}),
        ("nhsa-ltc-2021", "immediate", {"INFO.3": "status_change"}),
    ],
)
def test_prefill_translates_codes_into_each_forms_own(world: World, form: str, reason: str,
                                                     expected: dict[str, object]) -> None:
    """Test that reason and sex are pre-filled in forms that code them differently from GB/T 42195."""
    record, _ = world.service.start_assessment(world.a1, NewAssessment(
        subject_id=world.subject.id, form=form, reason=reason))
    assert {k: record.answers.get(k) for k in ("A.1.3", "A.2.2", "INFO.3") if k in record.answers} == expected


def test_submit_checklist_lists_what_is_missing(world: World) -> None:
    """Test that submission is refused with the missing items, second assessor and signatures listed."""
    s = world.service
    record, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel"))
    s.save_answer(world.a1, record.id, "BI.1", 10)
    missing = s.checklist(record.id)
    signatures = ["SIG.assessor1", "SIG.assessor2", "SIG.informant"]  # each entry leads to its item
    assert [m.item_id for m in missing if m.item_id] == [f"BI.{i}" for i in range(2, 11)] + signatures
    assert any("第二名评估员" in m.message for m in missing)
    assert sum("签名" in m.message for m in missing) == 3
    with pytest.raises(AppError, match="尚不能提交：还有 13 项未完成"):
        s.submit(world.a1, record.id)
    assert s.assessment(record.id).status == Status.DRAFT


def test_full_cycle_with_return_decision_and_approval(world: World) -> None:
    """Test draft → submitted → returned (comment kept) → submitted → decided → approved."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    rec = s.assessment(aid)
    assert rec.status == Status.SUBMITTED and rec.proposed_level == 1  # 90 -> 轻度依赖
    s.return_for_correction(world.sup1, aid, "请核对洗澡", item_id="BI.2")
    assert s.assessment(aid).status == Status.RETURNED
    assert [(c.item_id, c.body) for c in s.comments(aid)] == [("BI.2", "请核对洗澡")]
    assert aid in [r["id"] for r in s.my_work(world.a1)]
    s.save_answer(world.a1, aid, "BI.2", 0)
    s.submit(world.a1, aid)
    with pytest.raises(AppError, match="须填写理由"):
        s.decide_level(world.sup1, aid, 2)
    s.decide_level(world.sup1, aid, 2, "夜间照护需求")
    s.approve(world.sup1, aid)
    rec = s.assessment(aid)
    assert rec.status == Status.APPROVED and rec.proposed_level == 1 and rec.decided_level == 2
    assert rec.decision_reason == "夜间照护需求" and rec.level == 2
    assert s.check() == []


def test_supervisor_cannot_review_own_assessment(world: World) -> None:
    """Test separation of duties: a supervisor who assessed cannot return, decide or approve it."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    # make sup1 a participant through the database the way a data import might
    s.db.execute("UPDATE assessments SET assessor2_id = ? WHERE id = ?", [world.sup1.id, aid])
    for call in (lambda: s.approve(world.sup1, aid), lambda: s.return_for_correction(world.sup1, aid, "x"),
                 lambda: s.decide_level(world.sup1, aid, 1)):
        with pytest.raises(AppError, match="参与了评估") as info:
            call()
        assert info.value.code == ErrorCode.PERMISSION
    assert aid not in [r["id"] for r in s.review_queue(world.sup1)]
    s.approve(world.sup2, aid)


def test_approved_is_immutable_in_service_and_sql(world: World) -> None:
    """Test that an approved record cannot change through the service nor with plain SQL."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    s.approve(world.sup1, aid)
    with pytest.raises(AppError, match="评估当前为“已批准”，不能修改"):
        s.save_answer(world.a1, aid, "BI.1", 5)
    raw = raw_sql(s)
    for sql in ("UPDATE assessments SET proposed_level = 3 WHERE id = ?",
                "UPDATE answers SET value_json = '0' WHERE assessment_id = ?",
                "DELETE FROM answers WHERE assessment_id = ?",
                "DELETE FROM assessments WHERE id = ?"):
        with pytest.raises(DatabaseError):
            raw.execute(sql, [aid])
    raw.close()
    assert s.assessment(aid).answers["BI.1"] == 10


def test_correction_is_a_new_version_and_supersedes_on_approval(world: World) -> None:
    """Test that amending creates version 2, the old stays approved until the new one is approved."""
    s = world.service
    aid = complete_barthel(world)
    s.submit(world.a1, aid)
    s.approve(world.sup1, aid)
    with pytest.raises(AppError, match="reason"):
        s.amend(world.sup1, aid, " ")
    new, _ = s.amend(world.sup1, aid, "跌倒次数更正")
    assert new.version_no == 2 and new.supersedes_id == aid and new.status == Status.RETURNED
    assert new.answers == s.assessment(aid).answers
    with pytest.raises(AppError, match="已有正在进行的更正"):
        s.amend(world.sup2, aid, "again")
    assert s.assessment(aid).status == Status.APPROVED
    s.save_answer(world.a1, new.id, "BI.10", 0)
    s.submit(world.a1, new.id)
    with pytest.raises(AppError, match="另一名审核员"):
        s.approve(world.sup1, new.id)  # sup1 started the correction
    s.approve(world.sup2, new.id)
    assert s.assessment(aid).status == Status.SUPERSEDED
    assert s.assessment(new.id).status == Status.APPROVED
    assert s.assessment(aid).answers["BI.10"] == 10  # the old version stays readable, unchanged


def test_signatures_must_be_png_and_lock_on_submit(world: World) -> None:
    """Test that signatures are PNG and cannot be replaced after submission."""
    s = world.service
    aid = complete_barthel(world)
    for bad in (b"GIF89a", PNG[:-30]):
        with pytest.raises(AppError, match="PNG"):
            s.save_signature(world.a1, aid, "informant", bad)
    s.submit(world.a1, aid)
    with pytest.raises(AppError):
        s.save_signature(world.a1, aid, "informant", PNG)
    assert set(s.signatures(aid)) == {"assessor1", "assessor2", "informant"}


def test_other_assessor_cannot_edit(world: World) -> None:
    """Test that an assessor who is not on the assessment cannot change it."""
    s = world.service
    aid = complete_barthel(world)
    with pytest.raises(AppError, match="属于其他评估员"):
        s.save_answer(world.a3, aid, "BI.1", 5)


@pytest.mark.slow  # PAdES signing
def test_signed_submission_and_approval(world: World) -> None:
    """Test that with keys configured both assessors sign on submit and the supervisor on approval."""
    from ltc_assess.signing.attach import submitted_report
    from ltc_assess.signing.pades import verify_pdf

    s = world.service
    with_signing_keys(world, ("a1", "a2", "sup1"))
    aid = complete_barthel(world)
    with pytest.raises(AppError, match="评估员（二）需要输入自己的密码"):
        s.submit(world.a1, aid, {"assessor1": "a1-password"})
    assert s.assessment(aid).status == Status.DRAFT  # the failed signing rolled the submission back
    with pytest.raises(AppError, match="评估员（二）的签名密码错误"):  # says whose of the two was wrong
        s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a1-password"})
    assert s.assessment(aid).status == Status.DRAFT
    s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
    with pytest.raises(AppError, match="签名密码错误"):
        s.approve(world.sup1, aid, "bad-password")
    assert s.assessment(aid).status == Status.SUBMITTED
    s.approve(world.sup1, aid, "sup1-password")
    verdict = verify_pdf(s.report_pdf(aid), [s.root_certificate()])
    assert verdict.ok and [c.username for c in verdict.signatures] == ["sup1"]
    # the assessors' signatures are in the submitted report the approved one embeds (ltc_assess.signing.attach)
    submitted = submitted_report(s.report_pdf(aid))
    assert submitted is not None
    verdict = verify_pdf(submitted, [s.root_certificate()])
    assert verdict.ok and [c.username for c in verdict.signatures] == ["a1", "a2"]


def test_certificate_needs_the_users_password(world: World) -> None:
    """Test that a certificate is issued only with the user's real password (so its key can be unlocked)."""
    s = world.service
    s.init_root(world.admin, "示例机构", "root-passphrase")
    with pytest.raises(AppError, match="这不是 a1 的密码"):
        s.issue_certificate(world.admin, "a1", "root-passphrase", "guess-password")
    with pytest.raises(AppError, match="签名根证书已存在"):
        s.init_root(world.admin, "again", "root-passphrase")


def test_review_view_compares_with_previous_and_flags_big_improvement(world: World) -> None:
    """Test that the review shows changed items against the previous approved assessment and warns when the
    level improves by two or more within six months."""
    s = world.service
    first = complete_barthel(world, values=0)  # worst ability -> level 3
    s.submit(world.a1, first)
    s.approve(world.sup1, first)
    second = complete_barthel(world, values=10)  # -> level 1
    s.submit(world.a1, second)
    view = s.review_view(second)
    assert view.previous is not None and view.previous.id == first
    assert "BI.1" in view.changed_items and "BI.2" not in view.changed_items
    assert any("改善两级" in w for w in view.warnings)
    assert s.review_view(first).previous is None


@pytest.mark.slow  # PAdES signing
def test_users_can_sign_with_a_certificate_from_a_real_ca(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Test that a PKCS#12 from another CA is imported for the user and signs, verifiable against that CA."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from ltc_assess.signing.keys import create_root, issue_user, load_key
    from ltc_assess.signing.pades import verify_pdf

    s = world.service
    s.init_root(world.admin, "示例机构", "root-passphrase")
    s.issue_certificate(world.admin, "a2", "root-passphrase", "a2-password")
    ca = create_root("真实CA", "ca-passphrase", dt.datetime.now(dt.UTC))
    theirs = issue_user(ca, "ca-passphrase", username="a1", display_name="a1 名", role="assessor",
                        password="p12-password", now=dt.datetime.now(dt.UTC))
    p12 = pkcs12.serialize_key_and_certificates(
        b"a1", load_key(theirs.key_pem, "p12-password"), x509.load_pem_x509_certificate(theirs.cert_pem), None,
        serialization.BestAvailableEncryption(b"p12-password"))
    s.import_certificate(world.a1, p12, "p12-password", "a1-password")
    aid = complete_barthel(world)
    s.submit(world.a1, aid, {"assessor1": "a1-password", "assessor2": "a2-password"})
    verdict = verify_pdf(s.report_pdf(aid), [ca.cert_pem, s.root_certificate()])
    assert verdict.ok and verdict.signatures[0].username == "a1"


def test_history_is_in_assessment_date_order(world: World) -> None:
    """Test that a person's history runs by assessment date, not by when records were entered (a visit
    entered late must not plot after a newer one on the trend)."""
    s = world.service
    later, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel",
                                                          assessment_date="2026-11-01"))
    earlier, _ = s.start_assessment(world.a1, NewAssessment(subject_id=world.subject.id, form="barthel",
                                                            assessment_date="2026-09-15"))
    assert [r["id"] for r in s.history(world.subject.id)] == [earlier.id, later.id]
