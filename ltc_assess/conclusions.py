"""The city policy's checks at submission and approval, and the conclusion recorded at approval.

The service calls these inside its use cases (so no caller can skip them); the use cases after the decision
(publish, object, 复评, letters, due list) live in ``ltc_assess.lifecycle``. Without a chosen city no policy
applies and these are no-ops, as before policies existed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.policies import Policy, advice, get_policy
from ltc_assess.policies.rules import confirmation_problems, protocol_problems, validity
from ltc_assess.storage.lifecycle_store import LifecycleStore
from ltc_assess.storage.records import Assessment
from ltc_assess.storage.store import Store
from ltc_assess.storage.work import Work
from ltc_assess.workflow import Action, Role, Status, apply

POLICY_SETTING = "policy_city"


def city_policy(store: Store) -> Policy | None:
    """The newest installed version of the installation's city policy, None when no city was chosen."""
    city = store.setting(POLICY_SETTING)
    return get_policy(city) if city else None


def _refuse(rule: str, problems: list[str]) -> None:
    """Refuse with every problem found under the policy's ``rule`` (translated), one message."""
    if problems:
        raise AppError(
            ErrorCode.INVALID, _("不符合{rule}：{problems}").format(rule=rule, problems=_("；").join(problems))
        )


# Reasons that are a re-application and so wait for the policy's minimum interval; 即时评估 (a clear change of
# condition) and 复评 (after an objection) may come at any time.
REAPPLICATION_REASONS = ("first", "routine", "other")


def check_start(store: Store, subject_id: int, reason: str, today: str) -> None:
    """Refuse a re-application before the policy's minimum interval since the person's standing conclusion,
    naming the earliest date (the interval is the one the conclusion was decided under)."""
    if reason not in REAPPLICATION_REASONS:
        return
    for row in LifecycleStore(store.db).standing_conclusions(subject_id):
        if today < row["reapply_after"]:
            text = _("距评估 {id} 的结论（{date}）未满规定间隔，最早 {earliest} 可重新申请；状况明显变化请选“即时评估”")
            text = text.format(id=row["assessment_id"], date=row["decided_at"][:10], earliest=row["reapply_after"])
            raise AppError(ErrorCode.TRANSITION, text, where="reason")


def check_submission(store: Store, record: Assessment) -> None:
    """The on-site protocol (people, experts, identity check, guardian) before an assessment is handed in."""
    policy = city_policy(store)
    if policy is None:
        return
    lstore = LifecycleStore(store.db)
    visit_id = visited(store, record)
    problems = protocol_problems(policy.onsite, lstore.visit_people(visit_id), lstore.visit_checks(visit_id))
    if advice.advice_for(record.form_id) is not None and not reviewed_advice(store, record.id):
        problems.append(_("照护建议尚未经评估员审阅保存"))
    if record.form_ref != policy.form:
        problems.insert(
            0,
            _("{city}使用评估表 {form}，本评估使用 {used}").format(
                city=policy.name, form=policy.form, used=record.form_ref
            ),
        )
    _refuse(_("{city}现场评估规定").format(city=policy.name), problems)


def visited(store: Store, record: Assessment) -> int:
    """The assessment whose visit counts: its own, or for a correction (更正) without one, the visit of the
    version it corrects (a correction fixes the record, it is not a new visit)."""
    lstore = LifecycleStore(store.db)
    while record.supersedes_id is not None and not lstore.visit_people(record.id):
        record = store.assessment(record.supersedes_id)
    return record.id


def participants(store: Store, record: Assessment) -> set[int]:
    """Everyone who took part in an assessment: assessors, people on site, confirming experts, deciders."""
    lstore = LifecycleStore(store.db)
    ids = {record.assessor1_id, record.assessor2_id, record.created_by, record.decided_by, record.approved_by}
    ids |= {p["user_id"] for p in lstore.visit_people(visited(store, record))}
    ids |= {c["user_id"] for c in lstore.confirmations(record.id)}
    return {i for i in ids if i is not None}


def check_approval(store: Store, record: Assessment, level: int, actor_id: int) -> None:
    """Enough experts confirmed ``level``, and nobody from the original approves a 复评."""
    policy = city_policy(store)
    if policy is None:
        return
    lstore = LifecycleStore(store.db)
    if actor_id in {p["user_id"] for p in lstore.visit_people(visited(store, record))}:
        raise AppError(ErrorCode.PERMISSION, _("现场评估人员不能审核批准同一评估"))
    objection = lstore.objection_for_review(record.id)
    if objection is not None and actor_id in participants(store, store.assessment(objection["assessment_id"])):
        raise AppError(
            ErrorCode.PERMISSION,
            _("复评须由未参与原评估 {id} 的人员审核").format(id=objection["assessment_id"]),
        )
    _refuse(
        _("{city}结论确认规定").format(city=policy.name),
        confirmation_problems(policy.onsite, lstore.confirmations(record.id), level),
    )


def record_conclusion(work: Work, record: Assessment, level: int) -> list[int]:
    """At approval (inside its unit of work): the conclusion with its policy version and validity; a 复评's
    conclusion confirms or supersedes the original. Returns other assessment ids it changed."""
    store, at = work.store, work.at
    policy = city_policy(store)
    if policy is None:
        return []
    lstore = LifecycleStore(store.db)
    span = validity(policy, level, dt.date.fromisoformat(at[:10]))
    fields = {
        "assessment_id": record.id,
        "policy_ref": policy.ref,
        "policy_sha256": policy.sha256,
        "level": level,
        "eligible": int(policy.eligible(level)),
        "decided_at": at,
        "valid_from": span.valid_from.isoformat(),
        "valid_until": span.valid_until.isoformat(),
        "reapply_after": span.reapply_after.isoformat(),
    }
    lstore.add_conclusion(fields)
    work.audit("conclusion.record", "assessment", record.id, new=fields)
    work.changed(record.id, after_decision_changed=True, due_changed=True)
    objection = lstore.objection_for_review(record.id)
    if objection is None:
        return []
    original = store.assessment(objection["assessment_id"])
    _settle(work, record.id, original, level)
    return [original.id]


def _settle(work: Work, review_id: int, original: Assessment, level: int) -> None:
    """The 复评 ``review_id`` at ``level`` confirms the original's conclusion (same level) or supersedes it."""
    store, lstore = work.store, LifecycleStore(work.store.db)
    previous = lstore.conclusion(original.id)
    if previous is not None and previous["level"] == level:
        if previous["confirmed_by"] is None:
            lstore.update_conclusion(original.id, confirmed_by=review_id)
        outcome = "confirmed"
    else:
        if previous is not None and previous["superseded_by"] is None:
            lstore.update_conclusion(original.id, superseded_by=review_id)
        if original.status == Status.APPROVED:
            store.update_assessment(original.id, status=apply(original.status, Action.SUPERSEDE, Role.SUPERVISOR).value)
        outcome = "superseded"
    work.audit(f"conclusion.{outcome}", "assessment", original.id, new={"by": review_id, "level": level})
    work.changed(original.id, after_decision_changed=True, due_changed=True, status_changed=outcome == "superseded")


def settle_travelled_review(work: Work, review_uid: str, original_uid: str) -> None:
    """A 复评 that arrived approved (its signed approval names the original, checked by ``replay``): link the
    original's pending objection to it and confirm or supersede the original's conclusion, as its approval did
    where it was made."""
    store, lstore = work.store, LifecycleStore(work.store.db)
    review, original = store.assessment_by_uid(review_uid), store.assessment_by_uid(original_uid)
    if review is None or original is None or review.status != Status.APPROVED:
        return
    if lstore.objection_for_review(review.id) is None:
        pending = [o for o in lstore.objections(original.id) if o["review_id"] is None]
        if pending:
            lstore.set_review(pending[-1]["id"], review.id)
    level = review.decided_level if review.decided_level is not None else review.proposed_level
    assert level is not None  # approved
    _settle(work, review.id, original, level)


def export_view(store: Store, aid: int) -> dict[str, object] | None:
    """The conclusion as exports carry it (``schemas/assessments.schema.json``), None without one."""
    row = LifecycleStore(store.db).conclusion(aid)
    return None if row is None else view(row)


def view(row: Mapping[str, Any]) -> dict[str, object]:
    """The export shape of a conclusion row as the desktop's table holds it, or as the server rebuilds it from
    the signed conclusion and 公示 records (``server.source``), so that both packages say the same."""
    keep = ("valid_from", "valid_until", "reapply_after", "published_at", "publicity_until", "objection_until")
    return {
        "policy": row["policy_ref"],
        "policy_sha256": row["policy_sha256"],
        "eligible": bool(row["eligible"]),
        **{k: row[k] for k in keep},
        "superseded_by": row["superseded_by"],
        "confirmed_by": row["confirmed_by"],
    }


def report_lines(store: Store, aid: int) -> tuple[tuple[str, str], ...]:
    """The report's 结论有效期 block: the policy version (marked where unverified), validity, re-application."""
    row = LifecycleStore(store.db).conclusion(aid)
    if row is None:
        return ()
    policy = decided_policy(row)
    flag = "" if policy.verified else "（未核实）"
    lines = [
        ("城市政策", f"{policy.name} {policy.ref}{flag}"),
        ("结论有效期", f"{row['valid_from']} 至 {row['valid_until']}"),
        ("可重新申请日期", f"{row['reapply_after']} 起（状况明显变化可申请即时评估）"),
    ]
    if not row["eligible"]:
        lines.insert(1, ("待遇资格", "该等级不在本市长期护理保险待遇范围内"))
    return tuple(lines)


def reviewed_advice(store: Store, aid: int) -> list[str]:
    """The care advice as the assessor saved it (printed in the report), empty before review; a correction
    keeps the advice of the version it corrects until its assessor saves new advice."""
    lstore = LifecycleStore(store.db)
    record = store.assessment(aid)
    while (saved := lstore.care_advice(record.id)) is None and record.supersedes_id is not None:
        record = store.assessment(record.supersedes_id)
    return saved or []


def decided_policy(row: dict[str, object]) -> Policy:
    """The policy version a conclusion was decided under, refused when its file changed since (a released
    policy version is never edited: a change is a new version)."""
    policy = get_policy(str(row["policy_ref"]))
    if policy.sha256 != row["policy_sha256"]:
        raise AppError(
            ErrorCode.INTEGRITY,
            _("政策文件 {ref} 在结论作出后被改动（sha256 不符）").format(ref=policy.ref),
            where=policy.path,
        )
    return policy
