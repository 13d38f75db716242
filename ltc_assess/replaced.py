"""Whether this database knows what replaced a record that arrives ``superseded``: an approved correction of it,
or an approved 复评 at another level whose supervisor's signed approval names it. Never the record's own word:
otherwise an insider's bundle could mark someone else's approved decision superseded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ltc_assess import evidence
from ltc_assess.errors import LtcError
from ltc_assess.record_source import RecordSource
from ltc_assess.storage.records import Assessment
from ltc_assess.workflow import Status


def replaced(
    service: RecordSource,
    rec: Mapping[str, Any],
    local: Assessment | None,
    incoming: Iterable[Mapping[str, Any]],
) -> bool:
    """An approved correction or 复评 of ``rec`` arrives with it or is held here."""
    return _corrected(service, rec, local, incoming) or _reviewed(service, rec, incoming)


def _corrected(
    service: RecordSource,
    rec: Mapping[str, Any],
    local: Assessment | None,
    incoming: Iterable[Mapping[str, Any]],
) -> bool:
    if any(r["supersedes"] == rec["uid"] and r["fields"]["status"] == Status.APPROVED for r in incoming):
        return True
    if local is None:
        return False
    rows = service.list_assessments(subject_id=local.subject_id, limit=1_000_000)
    return any(r["supersedes_id"] == local.id and r["status"] == Status.APPROVED for r in rows)


def _reviewed(service: RecordSource, rec: Mapping[str, Any], incoming: Iterable[Mapping[str, Any]]) -> bool:
    """Whether an approved 复评 at another level replaced ``rec``: shown only by its supervisor's approval, signed
    under our root and naming ``rec`` (the 复评 arriving alongside is itself judged by these rules, and ``screen``
    judges ``rec`` again should it be refused), never by the superseded record's own word."""
    level = _level(rec["fields"]["decided_level"], rec["fields"]["proposed_level"])
    for review in incoming:
        if review.get("reviews") == rec["uid"] and review["fields"]["status"] == Status.APPROVED:
            from ltc_assess.replay import check_evidence  # replay's rules judge the 复评 (it imports us)

            try:
                check_evidence(service, review, service.assessment_by_uid(review["uid"]))
            except LtcError:
                continue
            if _level(review["fields"]["decided_level"], review["fields"]["proposed_level"]) != level:
                return True
    subject = service.subject_by_uid_or_number(rec["subject"]["uid"], rec["subject"]["id_number"])
    if subject is None:
        return False
    return any(decided != level for _id, decided in signed_reviews(service, rec["uid"], subject.id))


def signed_reviews(service: RecordSource, original_uid: str, subject_id: int) -> Iterator[tuple[int, int | None]]:
    """The approved 复评 of ``original_uid`` held here (id, level decided), each shown by its supervisor's approval
    signed under our root and naming the original — what a 复评 record says of itself is not enough."""
    root = service.root_certificate()
    for row in service.list_assessments(subject_id=subject_id, limit=1_000_000):
        if row["status"] != Status.APPROVED:
            continue
        for signed in service.signed_records(row["id"]):
            if signed["kind"] != evidence.APPROVAL:
                continue
            payload = evidence.verify(
                evidence.SignedRecord(signed["kind"], signed["payload"], bytes(signed["signature"])), root
            )
            if payload.get("reviews") == original_uid:
                yield row["id"], _level(payload.get("decided_level"), payload.get("proposed_level"))


def _level(decided: int | None, proposed: int | None) -> int | None:
    return decided if decided is not None else proposed
