"""After-the-decision facts as signed records: what carries a conclusion's lifecycle between installations.

A conclusion (policy version, level, validity), its 公示 dates, an objection, the signed care-setting choice and
the signed 告知书 are each one *fact*: a small canonical JSON payload about one approved assessment (``uid``),
signed (detached CMS) by a user whose role may make it. A fact is identified by the digest of its payload
without the signer, and lives in a *slot* (``kind:uid[:lodged_at|letter]``) that holds one fact: the same fact
twice is one record (a USB bundle and a sync meet here), a different fact in a taken slot is a conflict and is
refused by name, never written over.

``judge`` is the one rule the desktop (bundle import, sync pull) and the office server (push intake) apply: the
signature chains to the agency root, the signer is an active user here with a role that may make the fact and a
certificate not revoked, the assessment is approved here, and the fact follows from what is held — a validity
recomputed from the policy version and the signed approval, 公示 dates from the policy, a letter PDF that
verifies under the root and is signed by the signer. An assessor can forge none of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ltc_assess import evidence
from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.lifecycle_confirmation import CONFIRMATION_KEYS, check_confirmation
from ltc_assess.storage.records import Assessment, User
from ltc_assess.workflow import Role, Status

# who may make each kind, in the order facts are applied (a 公示 needs its conclusion first)
KINDS: dict[str, tuple[Role, ...]] = {
    "confirmation": (Role.ASSESSOR, Role.SUPERVISOR),  # an expert's, before the approval it counts towards
    "conclusion": (Role.SUPERVISOR,),
    "publicity": (Role.SUPERVISOR,),
    "objection": (Role.SUPERVISOR,),
    "care_setting": (Role.ASSESSOR, Role.SUPERVISOR),
    "letter": (Role.SUPERVISOR,),
}
CONCLUSION_KEYS = (
    "policy_ref", "policy_sha256", "level", "eligible", "decided_at", "valid_from", "valid_until", "reapply_after"
)  # fmt: skip
PUBLICITY_KEYS = ("published_at", "publicity_until", "objection_until")
OBJECTION_KEYS = ("lodged_at", "lodged_by", "reason")
CARE_KEYS = ("setting", "signer_name", "signer_relation", "confirmed_at", "signature_png")
KEYS = {
    "confirmation": CONFIRMATION_KEYS,
    "conclusion": CONCLUSION_KEYS,
    "publicity": PUBLICITY_KEYS,
    "objection": OBJECTION_KEYS,
    "care_setting": CARE_KEYS,
    "letter": ("letter_sha256",),
}
MAX_ATTACHMENT_BYTES = 20 << 20  # a signed letter has some hundred KB


def slot(fact: Mapping[str, Any]) -> str:
    """Where a fact lives: one conclusion, one 公示, one care setting per assessment; objections by when they
    were lodged, letters by their bytes, confirmations by their expert."""
    by_kind = {"objection": "lodged_at", "letter": "letter_sha256", "confirmation": "expert"}
    extra = fact.get(by_kind.get(fact["kind"], ""))
    return f"{fact['kind']}:{fact['assessment']}" + (f":{extra}" if extra else "")


def fact_id(fact: Mapping[str, Any]) -> str:
    return evidence.digest({k: v for k, v in fact.items() if k != "signer"})


def unsigned(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "signer"}


# --- facts as the desktop's tables hold them ---------------------------------------------------------------------


def conclusion_fact(uid: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "conclusion", "assessment": uid, **{k: row[k] for k in CONCLUSION_KEYS}}


def publicity_fact(uid: str, row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["published_at"] is None:
        return None
    return {"kind": "publicity", "assessment": uid, **{k: row[k] for k in PUBLICITY_KEYS}}


def objection_fact(uid: str, row: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "objection", "assessment": uid, **{k: row[k] for k in OBJECTION_KEYS}}


def care_fact(uid: str, row: Mapping[str, Any]) -> dict[str, Any]:
    png = hashlib.sha256(bytes(row["signature_png"])).hexdigest()
    return {"kind": "care_setting", "assessment": uid, **{k: row[k] for k in CARE_KEYS[:-1]}, "signature_png": png}


def letter_fact(uid: str, pdf: bytes) -> dict[str, Any]:
    return {"kind": "letter", "assessment": uid, "letter_sha256": hashlib.sha256(pdf).hexdigest()}


# --- judging an incoming record ----------------------------------------------------------------------------------


class LifecycleSource(Protocol):
    """What judging reads about the receiving database (the desktop's and the server's both offer it)."""

    def users(self) -> list[User]: ...

    def revoked_at(self, cert_pem: bytes) -> str | None: ...

    def assessment_by_uid(self, uid: str) -> Assessment | None: ...

    def held(self, slot: str) -> dict[str, Any] | None:
        """The fact (unsigned) this database holds in ``slot``, None when the slot is free."""
        ...

    def on_site(self, uid: str) -> set[str]:
        """Usernames of the people on the signed visit of assessment ``uid`` held here."""
        ...


def wire(kind: str, payload: str, signature: bytes, attachment: bytes | None) -> dict[str, Any]:
    """A signed record as bundles and the server carry it (``incoming.parse_lifecycle`` reads it back)."""
    import base64

    return {
        "kind": kind,
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
        "attachment": base64.b64encode(attachment).decode() if attachment is not None else None,
    }


def judge(src: LifecycleSource, root: bytes, item: Mapping[str, Any]) -> tuple[str, dict[str, Any], User]:
    """``("write" | "unchanged" | "past", payload, signer)`` for an incoming record (``item``: kind, payload,
    signature and attachment as bytes; "past": a confirmation of a decision made already, neither kept nor
    refused); raises AppError naming the rule it breaks."""
    from ltc_assess.replay import active_user
    from ltc_assess.signing.cms import detached_signer
    from ltc_assess.signing.keys import subject_fields

    kind = item["kind"]
    payload = evidence.SignedRecord(kind, item["payload"], item["signature"]).fields()
    _check_shape(kind, payload)
    try:
        cert = detached_signer(item["payload"].encode("utf-8"), item["signature"], [root])
    except AppError:
        raise AppError(ErrorCode.SIGNATURE, _("{kind}记录的签名在本机构根证书下无效").format(kind=kind)) from None
    username = subject_fields(cert)["username"]
    if username != payload["signer"]:
        raise AppError(
            ErrorCode.SIGNATURE,
            _("{kind}记录写明签署人为 {named}，实际签署人为 {username}").format(
                kind=kind, named=payload["signer"], username=username
            ),
        )
    users = {u.username: u for u in src.users()}
    user = users.get(username)
    if user is None or user.role not in KINDS[kind]:
        roles = "/".join(r.value for r in KINDS[kind])
        raise AppError(
            ErrorCode.PERMISSION,
            _("{kind}记录须由 {roles} 签署，{username} 在本机不是").format(kind=kind, roles=roles, username=username),
        )
    signer = active_user(users, username, user.role, f"the {kind} record's signer")
    revoked = src.revoked_at(cert)
    if revoked is not None:
        raise AppError(
            ErrorCode.SIGNATURE, _("{kind}记录签署人的证书已于 {date} 吊销").format(kind=kind, date=revoked[:10])
        )
    record = src.assessment_by_uid(payload["assessment"])
    if kind == "confirmation":  # counts only towards an approval still to come here
        if record is None or record.status not in (Status.SUBMITTED, Status.APPROVED, Status.SUPERSEDED):
            raise AppError(
                ErrorCode.TRANSITION,
                _("{kind}记录所属评估 {uid} 在本机未提交").format(kind=kind, uid=payload["assessment"]),
            )
        if record.status != Status.SUBMITTED:
            return "past", payload, signer  # decided here: its signed approval already stands for it
    elif record is None or record.status not in (Status.APPROVED, Status.SUPERSEDED):
        raise AppError(
            ErrorCode.TRANSITION,
            _("{kind}记录所属评估 {uid} 在本机未批准").format(kind=kind, uid=payload["assessment"]),
        )
    fact = unsigned(payload)
    held = src.held(slot(fact))
    if held is not None:
        if held != fact:
            differs = ", ".join(evidence.mismatch(held, fact))
            raise AppError(
                ErrorCode.CONFLICT, _("{kind}记录与本机已有记录冲突（{fields}）").format(kind=kind, fields=differs)
            )
        return "unchanged", payload, signer
    CHECKS[kind](src, root, record, payload, item.get("attachment"))
    return "write", payload, signer


def recheck(src: LifecycleSource, root: bytes, item: Mapping[str, Any]) -> None:
    """A record held already, judged again as if it arrived now (``server check``): its signature, signer and
    role, and that it still follows from what is held (its letter or PNG still the signed bytes)."""
    _outcome, payload, _signer = judge(src, root, item)
    record = src.assessment_by_uid(payload["assessment"])
    assert record is not None  # judged: approved here
    CHECKS[payload["kind"]](src, root, record, payload, item.get("attachment"))


def _check_shape(kind: str, payload: Mapping[str, Any]) -> None:
    expected = {"kind", "assessment", "signer", *KEYS[kind]}
    if set(payload) != expected:
        raise AppError(ErrorCode.INTEGRITY, _("{kind}记录字段不符：{fields}").format(kind=kind, fields=sorted(payload)))
    for key, value in payload.items():
        if not isinstance(value, (str, int, type(None))) or isinstance(value, bool):
            raise AppError(ErrorCode.INTEGRITY, _("{kind}记录的 {key} 不是文本或数字").format(kind=kind, key=key))
    if not isinstance(payload["assessment"], str) or not isinstance(payload["signer"], str):
        raise AppError(ErrorCode.INTEGRITY, _("{kind}记录缺少评估或签署人").format(kind=kind))


def _date(value: Any, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise AppError(ErrorCode.INTEGRITY, _("{what} {value} 不是日期").format(what=what, value=repr(value))) from None


def _differs(kind: str, fact: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    wrong = sorted(k for k, v in expected.items() if fact.get(k) != v)
    if wrong:
        raise AppError(
            ErrorCode.SIGNATURE,
            _("{kind}记录与政策和批准记录不符（{fields}）").format(kind=kind, fields=", ".join(wrong)),
        )


def _check_conclusion(src: LifecycleSource, root: bytes, record: Assessment, fact: dict[str, Any], _att: Any) -> None:
    """The level and date of the signed approval here, and validity/eligibility as the policy version computes them."""
    from ltc_assess.conclusions import decided_policy
    from ltc_assess.policies.rules import validity

    level = record.decided_level if record.decided_level is not None else record.proposed_level
    policy = decided_policy(fact)
    span = validity(policy, fact["level"], _date(fact["decided_at"], "decided_at"))
    _differs(
        "conclusion",
        fact,
        {
            "level": level,
            "decided_at": record.approved_at,
            "eligible": int(policy.eligible(fact["level"])),
            "valid_from": span.valid_from.isoformat(),
            "valid_until": span.valid_until.isoformat(),
            "reapply_after": span.reapply_after.isoformat(),
        },
    )


def _conclusion(src: LifecycleSource, fact: Mapping[str, Any]) -> dict[str, Any]:
    found = src.held(f"conclusion:{fact['assessment']}")
    if found is None:
        raise AppError(ErrorCode.NOT_FOUND, _("{kind}记录所属的结论在本机未知").format(kind=fact["kind"]))
    return found


def _check_publicity(src: LifecycleSource, root: bytes, record: Assessment, fact: dict[str, Any], _att: Any) -> None:
    from ltc_assess.conclusions import decided_policy
    from ltc_assess.policies.rules import objection_until, publicity_until

    conclusion = _conclusion(src, fact)
    policy = decided_policy(conclusion)
    published = _date(fact["published_at"], "published_at")
    if published.isoformat() != fact["published_at"] or fact["published_at"] < conclusion["decided_at"][:10]:
        raise AppError(ErrorCode.INTEGRITY, _("公示日期 {date} 早于结论日期").format(date=fact["published_at"]))
    expected = {
        "publicity_until": publicity_until(policy, published).isoformat(),
        "objection_until": objection_until(policy, published).isoformat(),
    }
    _differs("publicity", fact, expected)


def _check_objection(src: LifecycleSource, root: bytes, record: Assessment, fact: dict[str, Any], _att: Any) -> None:
    _conclusion(src, fact)
    if not all(isinstance(fact[k], str) and fact[k].strip() for k in OBJECTION_KEYS):
        raise AppError(ErrorCode.INVALID, _("异议记录缺少日期、提出人或理由"))
    publicity = src.held(f"publicity:{fact['assessment']}")
    if publicity is not None and fact["lodged_at"][:10] > publicity["objection_until"]:
        raise AppError(
            ErrorCode.TRANSITION, _("异议期已于 {date} 届满，不能再提出异议").format(date=publicity["objection_until"])
        )


def _attachment(kind: str, fact: Mapping[str, Any], key: str, data: bytes | None) -> bytes:
    if data is None or len(data) > MAX_ATTACHMENT_BYTES:
        raise AppError(ErrorCode.INVALID, _("{kind}记录缺少附件（或附件超过 20 MB）").format(kind=kind))
    if hashlib.sha256(data).hexdigest() != fact[key]:
        raise AppError(ErrorCode.INTEGRITY, _("{kind}记录的附件与其 sha256 不符").format(kind=kind))
    return data


def _check_care(src: LifecycleSource, root: bytes, record: Assessment, fact: dict[str, Any], att: bytes | None) -> None:
    from ltc_assess.conclusions import decided_policy
    from ltc_assess.inputs import require_png

    conclusion = _conclusion(src, fact)
    offered = {b.setting for b, _text in decided_policy(conclusion).benefits_for(conclusion["level"])}
    if fact["setting"] not in offered:
        raise AppError(
            ErrorCode.INVALID, _("护理服务形式 {setting} 不在该结论可选范围内").format(setting=fact["setting"])
        )
    require_png(_attachment("care_setting", fact, "signature_png", att))


def _check_letter(
    src: LifecycleSource, root: bytes, record: Assessment, fact: dict[str, Any], att: bytes | None
) -> None:
    """The letter PDF verifies under our root and its last signature is the signer's."""
    from ltc_assess.signing.pades import verify_pdf

    _conclusion(src, fact)
    pdf = _attachment("letter", fact, "letter_sha256", att)
    try:
        verdict = verify_pdf(pdf, [root])
    except LtcError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hostile PDF may break the parser anywhere: refuse, never crash
        raise AppError(ErrorCode.SIGNATURE, _("告知书无法读取（{error}）").format(error=type(exc).__name__)) from None
    if not verdict.ok or not verdict.signatures:
        raise AppError(
            ErrorCode.SIGNATURE, _("告知书签名：{problems}").format(problems="; ".join(verdict.problems) or _("未签名"))
        )
    if verdict.signatures[-1].username != fact["signer"]:
        raise AppError(ErrorCode.SIGNATURE, _("告知书不是由记录的签署人签署"))


CHECKS: dict[str, Callable[[LifecycleSource, bytes, Assessment, dict[str, Any], Any], None]] = {
    "confirmation": check_confirmation,
    "conclusion": _check_conclusion,
    "publicity": _check_publicity,
    "objection": _check_objection,
    "care_setting": _check_care,
    "letter": _check_letter,
}


def accept(
    src: LifecycleSource,
    root: bytes,
    items: list[dict[str, Any]],
    write: Callable[[dict[str, Any], dict[str, Any], User], None],
    keep: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Judge ``items`` in dependency order and ``write(item, payload, signer)`` each acceptable new one at once
    (so a 公示 sees the conclusion written before it); ``keep(item, payload)`` for one already held. Returns the
    slots written and the refusals, each naming its record."""
    written, refusals = [], []
    order = list(KINDS)
    for item in sorted(items, key=lambda i: order.index(i["kind"])):
        try:
            outcome, payload, signer = judge(src, root, item)
            if outcome == "write":
                write(item, payload, signer)  # may still find the slot taken meanwhile: refused, named, as above
        except LtcError as exc:
            refusals.append(f"{item['kind']} record {assessment_of(item)}: {exc.message}")
            continue
        if outcome == "write":
            written.append(slot(payload))
        elif outcome == "unchanged" and keep is not None:
            keep(item, payload)
    return written, refusals


def assessment_of(item: Mapping[str, Any]) -> str:
    """The assessment uid a record's payload names, unchecked ("?" when it names none): for naming and locking."""
    try:
        return str(json.loads(item["payload"]).get("assessment"))
    except (ValueError, AttributeError):
        return "?"
