"""Insurer export: a signed package of the approved assessments of a period (reports, JSON, CSV, XLSX, FHIR).

One exporter for both databases: ``package_files`` builds the package's contents from an ``ApprovedRecords``
source — this desktop's database (``LocalApproved``) or the office server's PostgreSQL (``server.source``) — and
``sign_package`` writes it with the exporting user's own key. The two sources differ only in how they read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ltc_assess import conclusions
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.exchange.insurer_entry import entry
from ltc_assess.i18n import _
from ltc_assess.schema.model import FormDef
from ltc_assess.service import attestation
from ltc_assess.service.base import Manager
from ltc_assess.service.keys import AGENCY
from ltc_assess.signing import keys as signing_keys
from ltc_assess.storage.records import Assessment, Subject, User
from ltc_assess.workflow import Role, Status


@dataclass(frozen=True, slots=True)
class Approved:
    """One approved assessment as it leaves: the record, its person, its report bytes and its conclusion."""

    record: Assessment
    subject: Subject
    report: bytes
    conclusion: dict[str, object] | None


class ApprovedRecords(Protocol):
    """What a package is built from. ``approved`` yields the approved records dated in the period, oldest id
    first, and raises a located ``AppError`` for a record that does not match its signed evidence."""

    def approved(self, date_from: str, date_to: str) -> Iterator[Approved]: ...

    def users(self) -> list[User]: ...

    def form(self, ref: str) -> FormDef: ...


def in_period(rows: list[dict[str, Any]], date_from: str, date_to: str) -> list[int]:
    """Ids of the approved rows (``status``, ``assessment_date``) dated ``date_from``..``date_to``, in order."""
    return sorted(
        r["id"] for r in rows if r["status"] == Status.APPROVED and date_from <= r["assessment_date"] <= date_to
    )


def package_files(
    source: ApprovedRecords, date_from: str, date_to: str
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """The package's files (reports, JSON, CSV, XLSX, FHIR) and its ``assessments.json`` entries."""
    from ltc_assess.exchange import fhir_result
    from ltc_assess.exchange import insurer as insurer_pkg
    from ltc_assess.exchange.xlsx import to_xlsx
    from ltc_assess.report.wording import REASON_LABELS, SEX_LABELS

    files: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []
    users = source.users()
    people = {u.id: u.display_name for u in users}
    qualifications = {u.id: u.qualification_no for u in users}
    forms: dict[str, FormDef] = {}
    for item in source.approved(date_from, date_to):
        record = item.record
        form = source.form(record.form_ref)
        report = (f"reports/{record.id}.pdf", hashlib.sha256(item.report).hexdigest())
        files[report[0]] = item.report
        entries.append(entry(record, item.subject, form, people, qualifications, report, item.conclusion))
        files.update(_fhir_files(form, record, item.subject, item.conclusion))
        forms[form.form] = form
    if forms:
        files["fhir/CodeSystem-ltc-assessment.json"] = insurer_pkg.json_bytes(
            fhir_result.code_system(list(forms.values()))
        )
    files["assessments.json"] = insurer_pkg.json_bytes(entries)
    files["assessments.csv"] = insurer_pkg.to_csv(entries)
    files["assessments.xlsx"] = to_xlsx(entries, forms, {"sex": SEX_LABELS, "reason": REASON_LABELS})
    return files, entries


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signs a package: the user's certificate and password-locked key, the password, the agency root."""

    username: str
    pair: signing_keys.KeyPair
    password: str
    root: bytes

    def sign(self, data: bytes) -> bytes:
        from ltc_assess.signing.cms import sign_detached

        return sign_detached(data, self.pair, self.password, [self.root])


def signer(service: Any, actor: User, password: str) -> Signer:
    """``actor``'s package signer from this desktop's key store; a wrong password fails before any file is written."""
    pair = service.keys.key_pair(actor.id)
    if pair is None:
        raise AppError(
            ErrorCode.SIGNATURE, _("{username} 没有签名证书，无法签署导出包").format(username=actor.username)
        )
    signing_keys.load_key(pair.key_pem, password)
    return Signer(actor.username, pair, password, service.keys.root_certificate())


def sign_package(
    out: Path,
    files: dict[str, bytes],
    entries: list[dict[str, Any]],
    by: Signer,
    about: dict[str, Any],
) -> dict[str, Any]:
    """Write the package with its manifest signed by ``by``; ``about``: agency, insurer, exported_at, period
    (from, to) and the signed audit checkpoint of the database it came from."""
    from ltc_assess.exchange import insurer as insurer_pkg
    from ltc_assess.exchange.package import write_package

    meta = {
        "format": insurer_pkg.FORMAT,
        "format_version": insurer_pkg.FORMAT_VERSION,
        "agency": about["agency"],
        "insurer": about["insurer"],
        "exported_at": about["exported_at"],
        "exported_by": by.username,
        "period": {"from": about["period"][0], "to": about["period"][1]},
        "counts": {"assessments": len(entries)},
        "audit_checkpoint": about["audit_checkpoint"],
    }
    return write_package(out, files, meta, by.sign)


class LocalApproved:
    """This desktop's approved records; a report's first export gets its document timestamp here."""

    def __init__(self, export: Export, actor: User) -> None:
        self.service, self.store, self.actor = export.service, export.store, actor

    def approved(self, date_from: str, date_to: str) -> Iterator[Approved]:
        rows = self.store.list_assessments(status=Status.APPROVED.value, limit=1_000_000)
        for aid in in_period(rows, date_from, date_to):
            record = self.store.assessment(aid)
            pdf = self.service.reports.export_copy(self.actor.id, record.id, record.exported_at is None)
            conclusion = conclusions.export_view(self.store, record.id)
            yield Approved(record, self.store.subject(record.subject_id), pdf, conclusion)

    def users(self) -> list[User]:
        return self.store.users()

    def form(self, ref: str) -> FormDef:
        return self.service.form(ref)


class Export(Manager):
    """Packages for insurers (supervisor or admin, signed with their own key)."""

    def export_package(
        self, actor: User, password: str, out: Path, date_from: str, date_to: str, insurer: str | None = None
    ) -> dict[str, Any]:
        """Write a signed package of the approved assessments dated ``date_from``..``date_to``.

        Exporting again gives the same files (reports, JSON, CSV, FHIR); only the manifest's export time and
        signature differ. Each assessment is flagged as exported the first time.
        """
        actor = self.service.active_actor(actor, Role.SUPERVISOR, Role.ADMIN)
        by = signer(self.service, actor, password)
        files, entries = package_files(LocalApproved(self, actor), date_from, date_to)
        with self.service.unit_of_work(actor) as work:  # the package carries the audit chain's signed head
            at = work.at
            checkpoint = attestation.sign_checkpoint(self.service, actor.id, password, at)
        about = {
            "agency": self.store.setting(AGENCY),
            "insurer": insurer,
            "exported_at": at,
            "period": (date_from, date_to),
            "audit_checkpoint": checkpoint,
        }
        manifest = sign_package(out, files, entries, by, about)
        with self.service.unit_of_work(actor) as work:
            for e in entries:
                if self.store.assessment(e["id"]).exported_at is None:
                    self.store.update_assessment(e["id"], exported_at=at)
            exported = [e["id"] for e in entries]
            new = {"insurer": insurer, "period": [date_from, date_to], "assessments": exported}
            work.audit("export.package", "export", str(out), new=new, at=at)
        return manifest


def _fhir_files(
    form: FormDef, record: Assessment, subject: Subject, conclusion: dict[str, object] | None
) -> dict[str, bytes]:
    """The FHIR resources of one assessment: its form's Questionnaire, its response, its result."""
    from ltc_assess.exchange import fhir, fhir_result
    from ltc_assess.exchange.insurer import json_bytes

    identifier = subject.insurance_no or subject.id_number
    response = fhir.questionnaire_response(
        form,
        record.answers,
        response_id=str(record.id),
        authored=record.assessment_date,
        subject_identifier=identifier,
    )
    observation = fhir_result.observation(
        form,
        observation_id=f"{record.id}-result",
        response_id=str(record.id),
        subject_identifier=identifier,
        assessment_date=record.assessment_date,
        issued=record.approved_at,
        decided_level=record.decided_level,  # type: ignore[arg-type]  # approved: always decided
        proposed_level=record.proposed_level,
        score=record.score or {},
        conclusion=conclusion,
    )
    return {
        f"fhir/Questionnaire-{form.form}-v{form.version}.json": json_bytes(fhir.questionnaire(form)),
        f"fhir/QuestionnaireResponse-{record.id}.json": json_bytes(response),
        f"fhir/Observation-{record.id}.json": json_bytes(observation),
    }
