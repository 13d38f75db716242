"""Reports: the facts of an assessment's report, its unsigned rendering, the stored signed copy."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, replace

from ltc_assess import conclusions
from ltc_assess.report.data import build_report_data
from ltc_assess.report.model import ReportData
from ltc_assess.report.wording import report_id
from ltc_assess.scoring import score
from ltc_assess.service.base import Manager

# reportlab and pyHanko (~0.6 s of imports) are imported where they are used, so that the desktop app and the
# CLI's everyday commands start quickly.


class Reports(Manager):
    """The report PDF of each assessment."""

    def report_pdf(self, aid: int) -> bytes:
        """The latest signed report of the assessment, else an unsigned rendering of it as it stands."""
        return self.store.latest_report(aid) or self.render_report(aid)

    def report_data(self, aid: int, submitted_attached: bool = False) -> ReportData:
        """The facts of the assessment's report, with the person's earlier assessments for the trend."""
        record = self.store.assessment(aid)
        subject = self.store.subject(record.subject_id)
        form = self.service.form(record.form_ref)
        result = record.score or score(form, record.answers, partial=True).to_dict()
        users = self.store.users()
        history = [
            {
                "assessment_date": r["assessment_date"],
                "form_id": r["form_id"],
                "level": r["decided_level"] if r["decided_level"] is not None else r["proposed_level"],
            }
            for r in self.service.queries.history(subject.id)
            if r["status"] == "approved" or r["id"] == aid  # a superseded record lives on in its correction
        ]
        replaces = None
        if record.supersedes_id is not None:
            old = self.store.assessment(record.supersedes_id)
            replaces = report_id(old.uid, old.version_no)
        fields = {k: getattr(record, k) for k in record.__dataclass_fields__ if k not in ("score", "status")}
        fields["status"] = record.status.value
        data = build_report_data(
            form,
            result,
            fields,
            asdict(subject),
            people={u.id: u.display_name for u in users},
            history=history,
            handwritten=self.store.signatures(aid),
            replaces=replaces,
            submitted_attached=submitted_attached,
            agency=self.service.keys.agency(),
            qualifications={u.id: u.qualification_no for u in users if u.qualification_no},
            signed_at=self.store.signature_times(aid),
        )
        return replace(
            data,
            care_advice=tuple(conclusions.reviewed_advice(self.store, aid)),
            conclusion=conclusions.report_lines(self.store, aid),
        )

    def render_report(self, aid: int, submitted_attached: bool = False) -> bytes:
        """An unsigned PDF of the assessment as it stands (drafts are marked as such)."""
        from ltc_assess.report.pdf import render

        return render(self.report_data(aid, submitted_attached))

    def export_copy(self, actor_id: int, aid: int, first_export: bool) -> bytes:
        """The report as it leaves for insurers: on its first export it gets a document timestamp (kept as a
        report revision, so exporting again gives the same file)."""
        pdf = self.report_pdf(aid)
        ltv = self.service.pki.ltv() if first_export and self.store.latest_report(aid) is not None else None
        if ltv is None:
            return pdf
        from ltc_assess.signing.ltv import document_timestamp

        pdf = document_timestamp(pdf, ltv)
        digest = hashlib.sha256(pdf).hexdigest()
        with self.service.unit_of_work() as work:
            self.store.add_report(aid, "export", pdf, digest, work.at)
            work.audit("report.timestamp", "assessment", aid, new={"sha256": digest}, actor_id=actor_id)
        return pdf
