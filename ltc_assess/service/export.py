"""Insurer export: a signed package of the approved assessments of a period (reports, JSON, CSV, XLSX, FHIR)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

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


class Export(Manager):
    """Packages for insurers (supervisor or admin, signed with their own key)."""

    def export_package(
        self, actor: User, password: str, out: Path, date_from: str, date_to: str, insurer: str | None = None
    ) -> dict[str, Any]:
        """Write a signed package of the approved assessments dated ``date_from``..``date_to``.

        Exporting again gives the same files (reports, JSON, CSV, FHIR); only the manifest's export time and
        signature differ. Each assessment is flagged as exported the first time.
        """
        from ltc_assess.exchange import fhir_result
        from ltc_assess.exchange import insurer as insurer_pkg
        from ltc_assess.exchange.package import write_package
        from ltc_assess.exchange.xlsx import to_xlsx
        from ltc_assess.report.wording import REASON_LABELS, SEX_LABELS
        from ltc_assess.signing.cms import sign_detached

        actor = self.service.active_actor(actor, Role.SUPERVISOR, Role.ADMIN)
        stored = self.store.user_key(actor.id)
        if stored is None:
            raise AppError(
                ErrorCode.SIGNATURE, _("{username} 没有签名证书，无法签署导出包").format(username=actor.username)
            )
        pair = signing_keys.KeyPair(*stored)
        signing_keys.load_key(pair.key_pem, password)  # a wrong password fails before any file is written
        rows = [
            r
            for r in self.store.list_assessments(status=Status.APPROVED.value, limit=1_000_000)
            if date_from <= r["assessment_date"] <= date_to
        ]
        files: dict[str, bytes] = {}
        entries: list[dict[str, Any]] = []
        users = self.store.users()
        people = {u.id: u.display_name for u in users}
        qualifications = {u.id: u.qualification_no for u in users}
        forms: dict[str, FormDef] = {}
        for row in sorted(rows, key=lambda r: r["id"]):
            record = self.store.assessment(row["id"])
            subject = self.store.subject(record.subject_id)
            form = self.service.form(record.form_ref)
            pdf = self.service.reports.export_copy(actor.id, record.id, record.exported_at is None)
            report = (f"reports/{record.id}.pdf", hashlib.sha256(pdf).hexdigest())
            files[report[0]] = pdf
            conclusion = conclusions.export_view(self.store, record.id)
            entries.append(entry(record, subject, form, people, qualifications, report, conclusion))
            files.update(self._fhir_files(form, record, subject, conclusion))
            forms[form.form] = form
        if forms:
            files["fhir/CodeSystem-ltc-assessment.json"] = insurer_pkg.json_bytes(
                fhir_result.code_system(list(forms.values()))
            )
        files["assessments.json"] = insurer_pkg.json_bytes(entries)
        files["assessments.csv"] = insurer_pkg.to_csv(entries)
        files["assessments.xlsx"] = to_xlsx(entries, forms, {"sex": SEX_LABELS, "reason": REASON_LABELS})
        with self.service.unit_of_work(actor) as work:  # the package carries the audit chain's signed head
            at = work.at
            checkpoint = attestation.sign_checkpoint(self.service, actor.id, password, at)
        meta = {
            "format": insurer_pkg.FORMAT,
            "format_version": insurer_pkg.FORMAT_VERSION,
            "agency": self.store.setting(AGENCY),
            "insurer": insurer,
            "exported_at": at,
            "exported_by": actor.username,
            "period": {"from": date_from, "to": date_to},
            "counts": {"assessments": len(entries)},
            "audit_checkpoint": checkpoint,
        }
        root = self.service.keys.root_certificate()
        manifest = write_package(out, files, meta, lambda data: sign_detached(data, pair, password, [root]))
        with self.service.unit_of_work(actor) as work:
            for e in entries:
                if self.store.assessment(e["id"]).exported_at is None:
                    self.store.update_assessment(e["id"], exported_at=at)
            exported = [e["id"] for e in entries]
            new = {"insurer": insurer, "period": [date_from, date_to], "assessments": exported}
            work.audit("export.package", "export", str(out), new=new, at=at)
        return manifest

    @staticmethod
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
