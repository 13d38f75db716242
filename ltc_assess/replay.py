"""Replaying incoming records: the rules that decide whether a record made elsewhere may enter this database.

The same rules apply wherever records arrive (bundle files today, the office server later). An incoming
record is a claim: "this assessment is now in status S". It is accepted only when

- the change from our status to S is a path of ``workflow.TRANSITIONS``;
- everyone it names is a user *here* with the role the change needs, and active (never what the file says);
- its evidence checks out against *this* database's signing root: a submission needs the assessors'
  PAdES signatures on the submitted report and the signed submission record; an approval (or a decided
  level) needs the approving supervisor's PAdES signature on the approved report and their signed approval
  record; each signed record must match the incoming record field by field (answers, person, level, …);
- every report it brings is one of those signed reports (or an earlier revision of one);
- an assessor's bundle changes only assessments that assessor took part in; a return needs a supervisor's bundle.

Nothing here writes: callers apply what is accepted and report the refusals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ltc_assess import evidence, incoming, visit_evidence
from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.record_source import RecordSource
from ltc_assess.replaced import replaced
from ltc_assess.schema.answers import check_answer
from ltc_assess.storage.records import Assessment, User
from ltc_assess.workflow import ROLE_LABELS, TRANSITIONS, Role, Status

MAX_REPORT_BYTES = 20 << 20  # a signed report has some hundred KB; a larger one is refused before any PDF parsing


def reachable(start: Status | None, goal: Status) -> bool:
    """Whether ``goal`` follows from ``start`` by workflow transitions (a new record starts as a draft)."""
    frontier, seen = [start or Status.DRAFT], set()
    if start is None and goal == Status.DRAFT:
        return True
    while frontier:
        status = frontier.pop()
        for (source, _action), (target, _roles) in TRANSITIONS.items():
            if source == status and target not in seen:
                if target == goal:
                    return True
                seen.add(target)
                frontier.append(target)
    return False


def active_user(users: Mapping[str, User], username: str | None, role: Role, what: str) -> User:
    """The user named ``username`` here, active and with ``role``; else AppError saying which rule failed."""
    user = users.get(username or "")
    if user is None:
        raise AppError(ErrorCode.PERMISSION, _("{what} {username!r} 不是本机用户").format(what=what, username=username))
    if user.disabled:
        raise AppError(ErrorCode.PERMISSION, _("{what} {username} 在本机已停用").format(what=what, username=username))
    if user.role != role:
        raise AppError(
            ErrorCode.PERMISSION,
            _("{what} {username} 在本机不是 {role}（而是 {actual}）").format(
                what=what, username=username, role=_(ROLE_LABELS[role]), actual=_(ROLE_LABELS[user.role])
            ),
        )
    return user


def certificate_problem(service: RecordSource, cert_pem: bytes) -> str | None:
    """A certificate this agency has revoked (a disabled user's, a key retired at a password reset) makes
    whatever it signs from now on unacceptable here."""
    revoked = service.revoked_at(cert_pem)
    return None if revoked is None else f"revoked on {revoked[:10]}"


def bundle_signer(service: RecordSource, cert_pem: bytes) -> User:
    """The user who signed a bundle: known here, active, an assessor or supervisor, certificate not revoked."""
    from ltc_assess.signing.keys import subject_fields

    username = subject_fields(cert_pem)["username"]
    users = {u.username: u for u in service.users()}
    user = users.get(username)
    if user is None or user.role not in (Role.ASSESSOR, Role.SUPERVISOR):
        raise AppError(
            ErrorCode.PERMISSION, _("数据包签名人 {username!r} 在本机不是评估员或审核员").format(username=username)
        )
    active_user(users, username, user.role, _("数据包签名人"))
    problem = certificate_problem(service, cert_pem)
    if problem:
        raise AppError(ErrorCode.SIGNATURE, _("数据包签名人的证书：{problem}").format(problem=problem))
    return user


def incoming_facts(rec: Mapping[str, Any]) -> evidence.Facts:
    fields, users = rec["fields"], rec["users"]
    return evidence.Facts(
        uid=rec["uid"],
        version_no=fields["version_no"],
        id_number=rec["subject"]["id_number"],
        name=rec["subject"]["name"],
        form_ref=f"{fields['form_id']}@{fields['form_version']}",
        form_sha256=fields["form_sha256"],
        answers=rec["answers"],
        proposed_level=fields["proposed_level"],
        decided_level=fields["decided_level"],
        decision_reason=fields["decision_reason"],
        decided_by=users["decided_by"],
        approved_by=users["approved_by"],
        approved_at=fields["approved_at"],
        assessor1=users["assessor1_id"],
        assessor2=users["assessor2_id"],
        submitted_at=fields["submitted_at"],
        supersedes=rec["supersedes"],
        score=_score(fields["score_json"]),
        reviews=rec.get("reviews"),
        visit=rec.get("visit"),
    )


def _score(text: str | None) -> Any:
    try:
        return None if text is None else json.loads(text)
    except (ValueError, RecursionError):
        raise AppError(ErrorCode.INTEGRITY, _("其评分不是 JSON")) from None


class _Evidence:
    """The verified signed records and the reports of one incoming record (with what we hold already)."""

    def __init__(self, service: RecordSource, rec: Mapping[str, Any], local: Assessment | None) -> None:
        self.root = service.root_certificate()
        self.service = service
        self.reports: dict[str, tuple[str, bytes]] = {}  # sha256 -> (signer_role, pdf)
        held = service.reports(local.id) if local is not None else []
        for r in held:
            self.reports[r["sha256"]] = (r["signer_role"], bytes(r["pdf"]))
        for r in rec["reports"]:
            pdf = incoming.b64(r["pdf"], f"report revision {r['revision']}")
            if hashlib.sha256(pdf).hexdigest() != r["sha256"]:
                raise AppError(
                    ErrorCode.INTEGRITY, _("报告修订版 {revision} 与其 sha256 不符").format(revision=r["revision"])
                )
            self.reports[r["sha256"]] = (r["signer_role"], pdf)
        stored = service.signed_records(local.id) if local is not None else []
        records = [evidence.SignedRecord(e["kind"], e["payload"], bytes(e["signature"])) for e in stored]
        records += [
            evidence.SignedRecord(e["kind"], e["payload"], incoming.b64(e["signature"], f"{e['kind']} record"))
            for e in rec["evidence"]
        ]
        self.signed: list[dict[str, Any]] = []
        for record in records:
            payload = evidence.verify(record, self.root)
            if payload.get("assessment") != rec["uid"]:
                raise AppError(ErrorCode.SIGNATURE, _("附带了另一评估的 {kind} 记录").format(kind=record.kind))
            self.signed.append(payload)

    def bound(self) -> set[str]:
        """Report hashes some signed record vouches for."""
        return {p["report_sha256"] for p in self.signed if isinstance(p.get("report_sha256"), str)}

    def matching(self, kind: str, facts: evidence.Facts) -> dict[str, Any]:
        """The signed record of ``kind`` that states exactly these facts (with a report we have)."""
        candidates = [p for p in self.signed if p["kind"] == kind]
        if not candidates:
            raise AppError(ErrorCode.SIGNATURE, _("没有已签名的 {kind} 记录").format(kind=kind))
        for payload in candidates[::-1]:  # newest first (reversed() of Any-valued dicts types as Any)
            if payload.get("report_sha256") in self.reports and not evidence.mismatch(
                payload, evidence.expected_payload(kind, evidence.as_signed(payload, facts), payload["report_sha256"])
            ):
                return payload
        last = candidates[-1]
        expected = evidence.expected_payload(kind, evidence.as_signed(last, facts), str(last.get("report_sha256")))
        differs = evidence.mismatch(last, expected)
        raise AppError(
            ErrorCode.SIGNATURE,
            _("记录与其签名人在 {kind} 记录中签署的内容不符（{fields}）").format(
                kind=kind, fields=", ".join(differs) or "report"
            ),
        )

    def check_report(self, sha: str, signers: dict[str, str | None]) -> None:
        """The report ``sha`` verifies under our root and its signature fields are signed by ``signers``."""
        from ltc_assess.signing.pades import verify_pdf

        _role, pdf = self.reports[sha]
        try:
            verdict = verify_pdf(pdf, [self.root])
        except LtcError:
            raise
        except Exception as exc:  # noqa: BLE001 - a hostile PDF may break the parser anywhere: refuse, never crash
            raise AppError(
                ErrorCode.SIGNATURE, _("无法读取已签名的报告（{kind}）").format(kind=type(exc).__name__)
            ) from None
        if not verdict.ok:
            problems = _("；").join(verdict.problems)
            raise AppError(ErrorCode.SIGNATURE, _("已签名的报告：{problems}").format(problems=problems))
        by_field = {s.field: s.username for s in verdict.signatures}
        for field, username in signers.items():
            if by_field.get(field) != username:
                raise AppError(
                    ErrorCode.SIGNATURE,
                    _("报告的 {field} 签名来自 {signer!r}，而不是 {username}").format(
                        field=field, signer=by_field.get(field), username=username
                    ),
                )
        if list(signers)[-1] != verdict.signatures[-1].field:
            raise AppError(ErrorCode.SIGNATURE, _("报告的最后一个签名不是{signer}的").format(signer=list(signers)[-1]))


def screen(
    records: list[Mapping[str, Any]], why: Callable[[Mapping[str, Any], list[Mapping[str, Any]]], str | None]
) -> dict[str, str]:
    """Judge each record (``why(record, the records still in play)``: the reason it may not enter, or None) and
    return the refusals by uid. A correction judged alongside an original that was then refused is judged again
    without it, so nothing enters on the strength of a record that did not."""
    refused: dict[str, str] = {}
    todo = list(records)
    while todo:
        in_play = [r for r in records if r["uid"] not in refused]
        fresh = {r["uid"]: reason for r in todo if (reason := why(r, in_play))}
        refused |= fresh
        reviewed = {r.get("reviews") for r in records if r["uid"] in fresh}
        todo = [r for r in records if r["uid"] not in refused and (r["supersedes"] in fresh or r["uid"] in reviewed)]
    return refused


def refusal(
    service: RecordSource,
    rec: Mapping[str, Any],
    local: Assessment | None,
    signer: User,
    incoming: Iterable[Mapping[str, Any]],
) -> str | None:
    """Why ``rec`` may not be written over ``local`` (None: it may)."""
    try:
        _check(service, rec, local, signer, incoming)
    except LtcError as exc:
        return exc.message
    return None


def _check(
    service: RecordSource,
    rec: Mapping[str, Any],
    local: Assessment | None,
    signer: User,
    incoming: Iterable[Mapping[str, Any]],
) -> None:
    users = {u.username: u for u in service.users()}
    fields, named = rec["fields"], rec["users"]
    status = Status(fields["status"])
    for key, username in named.items():
        if username is not None and username not in users:
            raise AppError(
                ErrorCode.NOT_FOUND,
                _("{field} {username!r} 不是本机用户").format(field=key.removesuffix("_id"), username=username),
            )
    for comment in rec["comments"]:
        if comment["author"] not in users:
            raise AppError(ErrorCode.NOT_FOUND, _("批注作者 {author!r} 不是本机用户").format(author=comment["author"]))
    assessors = [named["assessor1_id"], named["assessor2_id"]]
    active_user(users, assessors[0], Role.ASSESSOR, _("评估员"))
    if assessors[1] is not None:
        active_user(users, assessors[1], Role.ASSESSOR, _("第二评估员"))
    if signer.role == Role.ASSESSOR and signer.username not in assessors:
        raise AppError(ErrorCode.PERMISSION, _("{username} 未参与此评估，不能修改它").format(username=signer.username))
    for report in rec["reports"]:
        size = len(report["pdf"]) * 3 // 4
        if size > MAX_REPORT_BYTES:
            raise AppError(
                ErrorCode.INVALID,
                _("报告修订版 {revision} 大小为 {size} MB，超过报告允许的 {limit} MB").format(
                    revision=report["revision"], size=size >> 20, limit=MAX_REPORT_BYTES >> 20
                ),
            )
    _check_person_and_answers(service, rec)
    if rec["supersedes"] is not None and service.assessment_by_uid(rec["supersedes"]) is None:
        if not any(r["uid"] == rec["supersedes"] for r in incoming):
            raise AppError(ErrorCode.NOT_FOUND, _("它更正的评估 {uid} 在本机不存在").format(uid=rec["supersedes"]))
    reviews = rec.get("reviews")
    if reviews is not None and service.assessment_by_uid(reviews) is None:
        if not any(r["uid"] == reviews for r in incoming):
            raise AppError(ErrorCode.NOT_FOUND, _("它复评的评估 {uid} 在本机不存在").format(uid=reviews))
    start = local.status if local is not None else None
    if start is not None and start != status and not reachable(start, status):
        raise AppError(
            ErrorCode.TRANSITION,
            _("工作流程不允许从 {start} 变为 {status}").format(start=start.value, status=status.value),
        )
    if start == Status.SUBMITTED and status == Status.RETURNED:
        if signer.role != Role.SUPERVISOR or signer.username in assessors:
            raise AppError(ErrorCode.PERMISSION, _("已退回，但不在有权审核它的审核员的数据包中"))
    decided = (fields["decided_level"], named["decided_by"], fields["decision_reason"])
    approval = (named["approved_by"], fields["approved_at"])
    if status not in (Status.APPROVED, Status.SUPERSEDED):
        if approval != (None, None):
            raise AppError(
                ErrorCode.SIGNATURE,
                _("标记为由 {approver} 批准，但其状态为 {status}").format(approver=approval[0], status=status.value),
            )
        here = local is not None and (local.decided_level, _name(users, local.decided_by), local.decision_reason)
        if decided != (None, None, None) and decided != here:
            raise AppError(ErrorCode.SIGNATURE, _("已核定等级，但没有审核员签名的批准"))
    if status in (Status.APPROVED, Status.SUPERSEDED):
        approver = active_user(users, named["approved_by"], Role.SUPERVISOR, _("批准人"))
        if approver.username in assessors:
            raise AppError(
                ErrorCode.PERMISSION, _("由 {username} 批准，但此人参与了该评估").format(username=approver.username)
            )
    check_evidence(service, rec, local)
    visit_evidence.check(service, rec, incoming_facts(rec), start)
    if status == Status.SUPERSEDED and not replaced(service, rec, local, incoming):
        raise AppError(ErrorCode.TRANSITION, _("已被取代，但不知道其已批准的更正或改变等级的复评"))


def check_evidence(service: RecordSource, rec: Mapping[str, Any], local: Assessment | None) -> None:
    """The record's signed evidence under our root: every report it brings vouched for by a signed record; if
    submitted or later, the assessors' signed submission states exactly its facts and their PAdES signatures on
    that report verify; if approved, likewise the approver's signed approval and signature. Raises AppError.

    Also what ``server check`` asks of every record the server holds (the same rule, not a copy)."""
    named, status = rec["users"], Status(rec["fields"]["status"])
    proof = _Evidence(service, rec, local)
    unbound = [r["revision"] for r in rec["reports"] if not _vouched(r["sha256"], proof)]
    if unbound:
        raise AppError(ErrorCode.SIGNATURE, _("报告修订版 {revision} 没有对应的签名记录").format(revision=unbound[0]))
    facts = incoming_facts(rec)
    if status in (Status.SUBMITTED, Status.APPROVED, Status.SUPERSEDED):
        submission = proof.matching(evidence.SUBMISSION, facts)
        signers = {"assessor1": named["assessor1_id"], "assessor2": named["assessor2_id"]}
        proof.check_report(submission["report_sha256"], signers)
    if status in (Status.APPROVED, Status.SUPERSEDED):
        approved = proof.matching(evidence.APPROVAL, facts)
        proof.check_report(approved["report_sha256"], {"supervisor": named["approved_by"]})


def signed_visit(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The visit of an accepted record as its submitting assessor signed it (None: no signed visit), for the
    writers: only a signed visit is stored."""
    return visit_evidence.signed(rec, incoming_facts(rec))


def _name(users: Mapping[str, User], user_id: int | None) -> str | None:
    return next((u.username for u in users.values() if u.id == user_id), None)


def _vouched(sha: str, proof: _Evidence) -> bool:
    """A report some signed record names, an earlier revision (a byte prefix) of one, or the copy of one that
    went to insurers (the same bytes plus the document timestamp of its first export, verified intact)."""
    bound = proof.bound()
    if sha in bound:
        return True
    role, pdf = proof.reports[sha]
    held = [proof.reports[b][1] for b in bound if b in proof.reports]
    if any(h.startswith(pdf) for h in held):
        return True
    from ltc_assess.signing.pades import only_timestamps_added

    return role == "export" and any(only_timestamps_added(pdf, h, [proof.root]) for h in held)


def _check_person_and_answers(service: RecordSource, rec: Mapping[str, Any]) -> None:
    subject = rec["subject"]
    known = service.subject_by_uid_or_number(subject["uid"], subject["id_number"])
    if known is not None and (known.id_number, known.name) != (subject["id_number"], subject["name"]):
        raise AppError(ErrorCode.CONFLICT, _("其评估对象与本机同一编号的评估对象不符"))
    fields = rec["fields"]
    form = service.form(f"{fields['form_id']}@{fields['form_version']}")
    if form.sha256 != fields["form_sha256"]:
        raise AppError(ErrorCode.INTEGRITY, _("表单 {ref} 与本机安装的表单不同").format(ref=form.ref))
    for item_id, value in rec["answers"].items():
        check_answer(form, item_id, value)
