"""Subjects: registering the elderly people who are assessed, and finding them again."""

from __future__ import annotations

from typing import Any

from ltc_assess import idnumber
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.service.base import Manager
from ltc_assess.storage.records import Subject, User
from ltc_assess.storage.work import Changes
from ltc_assess.workflow import Role


class Subjects(Manager):
    """The register of people (assessors and supervisors add to it)."""

    def register_subject(self, actor: User, **fields: Any) -> tuple[Subject, Changes]:
        """Register an elderly person; the ID number is validated and must be unique."""
        self.service.active_actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        for required in ("name", "sex", "id_number"):
            if not fields.get(required):
                raise AppError(ErrorCode.INVALID, _("{field}为必填项").format(field=required), where=required)
        if fields["sex"] not in ("male", "female"):
            raise AppError(ErrorCode.INVALID, _("性别必须是男或女"), where="sex")
        number = idnumber.validate(str(fields["id_number"]))
        birth_date = fields.get("birth_date") or idnumber.birth_date(number).isoformat()
        with self.service.unit_of_work(actor, Role.ASSESSOR, Role.SUPERVISOR) as work:
            subject = self.store.add_subject({**fields, "id_number": number, "birth_date": birth_date}, work.at)
            work.audit("subject.add", "subject", subject.id, new={"name": subject.name, "id_number": subject.masked_id})
            work.changed(subject_ids=(subject.id,), list_changed=True)
        return subject, work.changes

    def search_subjects(self, query: str, limit: int = 50) -> list[Subject]:
        return self.store.search_subjects(query, limit)

    def subject(self, subject_id: int) -> Subject:
        return self.store.subject(subject_id)

    def find(self, uid: str, id_number: str) -> Subject | None:
        """The person with this office uid or, failing that, this ID number (None: not registered here)."""
        return self.store.subject_by_uid_or_number(uid, id_number)
