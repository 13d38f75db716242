"""The on-site visit as signed evidence: who checked in and out (when, where), the identity and guardian checks.

The visit is recorded on the assessor's laptop, but the rules that read it — nobody who was on site approves,
a 复评 is reviewed by people outside the original, the city's on-site protocol — apply wherever the record is
decided. So the submitting assessor signs the visit with the submission (its digest is a field of the signed
submission record, beside the answers, person and report: one signature binds the visit to exactly what was
handed in, and a new submission after a return signs the visit as it then stands). The visit travels inside the
record (bundle and server sync alike, people by username), and a receiving installation stores it only where
that signature vouches for it. A submission signed before visits travelled names no visit: accepted as before
where no city policy applies, refused where one does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ltc_assess import evidence
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.policies.rules import protocol_problems
from ltc_assess.workflow import Status

if TYPE_CHECKING:
    from ltc_assess.record_source import RecordSource

SIGNED_STATUSES = (Status.SUBMITTED, Status.APPROVED, Status.SUPERSEDED)


def canonical(
    people: Iterable[Mapping[str, Any]], checks: Mapping[str, Any] | None, names: Mapping[int, str]
) -> dict[str, Any]:
    """The visit as signed and carried, from this database's rows (``names``: usernames by user id): the same
    value on every installation, whatever its ids or row order."""
    keep = ("check_in_at", "check_in_place", "check_out_at", "check_out_place")
    rows = [{"user": names[p["user_id"]], **{k: p[k] for k in keep}} for p in people]
    return {
        "people": sorted(rows, key=lambda p: (p["check_in_at"], p["user"])),
        "checks": None
        if checks is None
        else {
            "identity_checked": bool(checks["identity_checked"]),
            "guardian_present": bool(checks["guardian_present"]),
            "guardian_name": checks["guardian_name"],
            "recorded_by": names[checks["recorded_by"]],
            "recorded_at": checks["recorded_at"],
        },
    }


def signed(rec: Mapping[str, Any], facts: evidence.Facts) -> dict[str, Any] | None:
    """``rec``'s visit when a submission record it carries (signatures verified by ``replay`` before anything is
    written) states exactly its facts including this visit; None when no submission signed a visit."""
    for entry in rec["evidence"]:
        if entry["kind"] != evidence.SUBMISSION:
            continue
        try:
            payload = json.loads(entry["payload"])
        except ValueError:
            continue
        if isinstance(payload, dict) and "visit" in payload:
            expected = evidence.expected_payload(evidence.SUBMISSION, facts, str(payload.get("report_sha256")))
            if not evidence.mismatch(payload, expected):
                return dict(rec["visit"])
    return None


def usernames(visit: Mapping[str, Any]) -> list[str]:
    """Everyone the visit names: the people on site and who recorded the checks."""
    checks = visit["checks"]
    return [p["user"] for p in visit["people"]] + ([checks["recorded_by"]] if checks else [])


def check(source: RecordSource, rec: Mapping[str, Any], facts: evidence.Facts, held: Status | None) -> None:
    """Refuse a submitted (or later) record whose visit does not stand here: a signed visit must name only
    users of this installation; under this installation's city policy a submission entering (``held``: the
    status of our copy) must have a signed visit that satisfies the on-site protocol (qualifications as this
    installation knows them, never as the file says), and an approval entering must not be by someone on site.
    A correction without its own visit rests on its original's, as at submission."""
    status = Status(rec["fields"]["status"])
    if status not in SIGNED_STATUSES or held in (Status.APPROVED, Status.SUPERSEDED):
        return
    visit = signed(rec, facts)
    users = {u.username: u for u in source.users()}
    for username in usernames(visit) if visit is not None else []:
        if username not in users:
            raise AppError(ErrorCode.NOT_FOUND, _("现场记录中的 {username!r} 不是本机用户").format(username=username))
    policy = source.city_policy()
    if policy is None or (rec["supersedes"] is not None and not (visit or {}).get("people")):
        return
    if visit is None and held in SIGNED_STATUSES:
        return  # judged when its submission entered (or made here)
    if visit is None:
        raise AppError(
            ErrorCode.SIGNATURE,
            _("{city}政策要求现场记录，但其提交记录中没有已签名的现场记录").format(city=policy.name),
        )
    people = [p | {"qualification": users[p["user"]].qualification} for p in visit["people"]]
    problems = protocol_problems(policy.onsite, people, visit["checks"])
    if problems and held not in SIGNED_STATUSES:
        rule = _("{city}现场评估规定").format(city=policy.name)
        raise AppError(
            ErrorCode.INVALID, _("不符合{rule}：{problems}").format(rule=rule, problems=_("；").join(problems))
        )
    if rec["users"]["approved_by"] in {p["user"] for p in people}:
        raise AppError(ErrorCode.PERMISSION, _("现场评估人员不能审核批准同一评估"))
