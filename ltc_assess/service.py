"""AssessmentService: every use case the UI and CLI perform, with the role and workflow checks.

The one entry point for anything that reads or writes (Anki's Collection idea). Each mutation runs in
one durable transaction together with its audit event, and returns a ``Changes`` saying what to refresh.
Nothing here trusts the caller: the actor is reloaded, its role and the record's state are checked
against ``workflow.TRANSITIONS``, and separation of duties is enforced here, never only in the UI.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from PIL import Image
from sqlite_utils import Database

from ltc_assess import conclusions, idnumber
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.passwords import is_weak
from ltc_assess.pki import AgencyPki
from ltc_assess.report.data import ReportData, build_report_data, report_id
from ltc_assess.schema.answers import check_answer
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.scoring import ScoreResult, score
from ltc_assess.session import FormSession
from ltc_assess.signing import keys as signing_keys
from ltc_assess.signing import sealing
from ltc_assess.storage import at_rest, audit
from ltc_assess.storage.db import connect, new_key, transaction
from ltc_assess.storage.keyslots import KeySlots, slots_path
from ltc_assess.storage.login_guard import LoginGuard
from ltc_assess.storage.records import Assessment, Comment, Subject, User
from ltc_assess.storage.store import Store
from ltc_assess.workflow import REVIEW_ACTIONS, Action, Role, Status, allowed_actions, apply

# PDF, signature and export code (reportlab, pyHanko: ~0.6 s of imports) is imported where it is used, so the
# desktop app and the CLI's everyday commands start quickly.

LOCAL_SOURCE = "local"
SIGNATURE_ROLES = ("assessor1", "assessor2", "informant")
SIGNER_LABELS = {"assessor1": "评估员（一）", "assessor2": "评估员（二）", "informant": "信息提供者"}


def _check_password(password: str, username: str) -> None:
    """The one rule for login passwords, for new accounts and resets alike."""
    if len(password) < 8:
        raise AppError(ErrorCode.INVALID, _("密码至少需要8个字符"), where="password")
    if is_weak(password, username):
        raise AppError(ErrorCode.INVALID, _("密码太常见或与用户名相同，请另选"), where="password")


def signature_item(role: str) -> str:
    """The form item where ``role`` signs: forms name their signature pads SIG.<role>."""
    return f"SIG.{role}"


def signature_role(item_id: str) -> str:
    """The role that signs at a signature item (the inverse of ``signature_item``)."""
    return item_id.removeprefix("SIG.")


REASONS = ("first", "routine", "immediate", "review", "other")  # A.1.3 codes (spec/README.md)
ROOT_CERT, ROOT_KEY, AGENCY = "root_cert_pem", "root_key_pem", "agency_name"
AGENCY_CODE = "agency_code"


def _short_text(value: str, where: str, limit: int = 100) -> str:
    """A one-line identifier or name typed by an admin: trimmed, not empty, no line breaks, not overlong."""
    text = value.strip()
    if not text or len(text) > limit or any(c in text for c in "\r\n"):
        raise AppError(ErrorCode.INVALID, _("须为一行文字（1–{limit} 个字符）").format(limit=limit), where=where)
    return text


# argon2id at the OWASP minimum (19 MiB, t=2, p=1): ~30 ms here, so logins stay quick on old laptops.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown users' passwords against, so that they take as long as known ones."""
    return _HASHER.hash(secrets.token_hex(16))


def require_png(png: bytes) -> None:
    """A handwritten signature must be a complete PNG (a truncated image would break the PDFs later)."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG":
                raise ValueError(image.format)
            image.load()  # decodes fully
    except (OSError, ValueError, SyntaxError):
        raise AppError(ErrorCode.INVALID, "a signature must be a complete PNG image") from None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a mutation changed, so that views refresh only what they must (Anki's OpChanges)."""

    assessment_ids: tuple[int, ...] = ()
    subject_ids: tuple[int, ...] = ()
    list_changed: bool = False
    status_changed: bool = False
    score_changed: bool = False
    users_changed: bool = False
    conflicts_changed: bool = False  # bundle conflicts opened or closed
    due_changed: bool = False  # what falls due under the city policy, beyond approvals (a status review flagged)


@dataclass(frozen=True, slots=True)
class SaveResult:
    """An answer that is durably stored, with the live score it leads to."""

    changes: Changes
    score: ScoreResult
    saved_at: str


@dataclass(frozen=True, slots=True)
class MissingItem:
    """One entry of the submit checklist."""

    item_id: str | None  # None for record-level requirements (second assessor, signatures)
    message: str


@dataclass(frozen=True, slots=True)
class ReviewView:
    """What a supervisor sees before deciding: the record, the previous one, what changed, what looks odd."""

    record: Assessment
    previous: Assessment | None
    changed_items: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(slots=True)
class NewAssessment:
    """What the assessor chooses when starting an assessment."""

    subject_id: int
    form: str = "gbt42195-2022"
    reason: str = "first"
    assessment_date: str = ""
    place: str | None = None
    assessor2_id: int | None = None
    informant_name: str | None = None
    informant_relation: str | None = None


class AssessmentService:
    """Use cases over one database file.

    An encrypted database (one with key slots) stays locked until ``login`` unseals its key; a new database
    is encrypted from the start with a fresh random key, sealed for the first admin by ``create_first_admin``.

    Args:
        path: the database file (created and upgraded as needed).
        clock: returns "now" (injected so that tests control lockouts and timestamps).
        forms: resolves ``form@version`` references (default: the installed forms).
        key: the raw database key, when the caller already holds it (another thread, the recovery key).
    """

    def __init__(
        self,
        path: str | Path,
        clock: Callable[[], dt.datetime] = utc_now,
        forms: Callable[[str], FormDef] = get_form,
        key: bytes | None = None,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._forms = forms
        self._key = key
        self._db: Database | None = None
        self._store: Store | None = None
        self._pki: AgencyPki | None = None
        slots = KeySlots.load(self.path)
        if key is None and slots is None and not self.path.exists():
            self._key = new_key()
        if self._key is not None or slots is None:
            self._open()

    def _open(self) -> None:
        self._db = connect(self.path, self._key)
        self._store = Store(self._db)
        self._pki = AgencyPki(self._store, self.path)

    @property
    def db(self) -> Database:
        if self._db is None:
            raise AppError(ErrorCode.AUTH, _("数据库已加密，请先登录"))
        return self._db

    @property
    def store(self) -> Store:
        self.db  # noqa: B018 - the same "log in first" error
        assert self._store is not None
        return self._store

    @property
    def pki(self) -> AgencyPki:
        """The agency's TSA, CRLs and revocations on this database (after login on an encrypted one)."""
        self.db  # noqa: B018 - the same "log in first" error
        assert self._pki is not None
        return self._pki

    def database_key(self) -> bytes | None:
        """The raw database key of an unlocked encrypted database (for the recovery escrow and other threads)."""
        return self._key

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def reopened(self) -> AssessmentService:
        """The same service on a connection of its own, for another thread (a connection belongs to its thread)."""
        return AssessmentService(self.path, self._clock, self._forms, key=self._key)

    def _now(self) -> str:
        return self._clock().isoformat(timespec="seconds")

    def now(self) -> str:
        """The current time as stored (for use cases that live outside this module, e.g. bundles)."""
        return self._now()

    # --- users and login --------------------------------------------------------------------------

    def has_users(self) -> bool:
        if self._db is None:
            return True  # locked: only a database with accounts has key slots
        return self.store.count("users") > 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> User:
        """Set-up: the first account, an admin; refused once any user exists."""
        with transaction(self.db):
            if self.has_users():
                raise AppError(ErrorCode.PERMISSION, "the first admin already exists; log in as an admin to add users")
            user = self._insert_user(None, username, display_name, Role.ADMIN, password)
        return user

    def _seal_key_for(self, username: str, password: str) -> None:
        """(Re)seal the database key for ``username`` (nothing to do on a plain database)."""
        if self._key is None:
            return
        slots = KeySlots.load(self.path) or KeySlots(slots_path(self.path))
        slots.put(username, password, self._key)
        slots.save()

    def _insert_user(
        self,
        actor_id: int | None,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        qualification_no: str | None = None,
    ) -> User:
        _check_password(password, username)
        if not username or not username.replace("_", "").replace(".", "").isalnum():
            raise AppError(ErrorCode.INVALID, f"bad username {username!r} (letters, digits, . and _)", where="username")
        at = self._now()
        user = self.store.add_user(username, display_name, Role(role).value, _HASHER.hash(password), at)
        if qualification_no is not None:
            self.store.update_user(user.id, qualification_no=_short_text(qualification_no, "qualification_no"))
            user = self.store.user(user.id)
        self._seal_key_for(username, password)
        audit.append(
            self.db,
            at=at,
            actor_id=actor_id,
            action="user.add",
            entity="user",
            entity_id=user.id,
            new={
                "username": username,
                "display_name": display_name,
                "role": user.role.value,
                **({"qualification_no": user.qualification_no} if user.qualification_no else {}),
            },
        )
        return user

    def login(self, username: str, password: str, source: str = LOCAL_SOURCE) -> User:
        """Check a password (unsealing the database key when it is locked); audit success and failure.

        Unknown, disabled and locked accounts get the wrong password's message, after the same work (one key
        derivation when encrypted, one hash check), so neither the answer nor its time tells them apart.
        Five failures from one ``source`` block that source for 15 minutes (see ``login_guard``).
        """
        guard = LoginGuard.load(self.path)
        now = self._clock()
        blocked = guard.blocked(username, source, now)
        opened_here = False
        if self._db is None:
            slots = KeySlots.load(self.path)
            key = None
            if blocked:
                sealing.burn(password)  # a blocked source learns nothing, not even from the time taken
            elif slots is not None:
                key = slots.unlock(username, password)
            if key is not None:
                self._key = key
                self._open()
                opened_here = True
        user = self.store.user_by_name(username) if self._db is not None else None
        try:
            _HASHER.verify(self.store.password_hash(user.id) if user else _dummy_hash(), password)
            good = user is not None
        except (VerificationError, InvalidHashError):
            good = False
        if user is not None and good and not user.disabled and not blocked:
            guard.succeeded(username, source)
            self._record_logins(guard, user, source)
            slots = KeySlots.load(self.path)
            if slots is not None and slots.is_legacy(username):
                self._seal_key_for(username, password)
            return self.store.user(user.id)
        guard.defer(guard.failed(username, source, now))
        if self._db is not None:
            self._record_logins(guard, None, source)
        else:
            guard.save()
        if opened_here:  # the key opened, the account did not: locked again
            self.close()
            self._db, self._store, self._key = None, None, None
        raise AppError(ErrorCode.AUTH, _("用户名或密码错误"))

    def _record_logins(self, guard: LoginGuard, user: User | None, source: str) -> None:
        """Failed logins waiting in the guard file, then this login (if any), into the audit chain."""
        pending = guard.take_pending()
        with transaction(self.db):
            for event in pending:
                who = self.store.user_by_name(str(event.get("username")))
                audit.append(
                    self.db,
                    at=str(event.get("at")),
                    actor_id=who.id if who else None,
                    action="login.failed",
                    entity="user",
                    entity_id=who.id if who else None,
                    new={k: event.get(k) for k in ("username", "source", "locked_until")},
                )
            if user is not None:
                audit.append(
                    self.db,
                    at=self._now(),
                    actor_id=user.id,
                    action="login",
                    entity="user",
                    entity_id=user.id,
                    new={"source": source},
                )
        guard.save()

    def unlock_user(self, actor: User, username: str) -> User:
        """Lift a lockout at once, for every source (admin)."""
        user = self._change_user(actor, username, "user.unlock", {"failed_logins": 0, "locked_until": None}, {})
        guard = LoginGuard.load(self.path)
        guard.unlock(username)
        guard.save()
        return user

    def locked_out(self, username: str) -> bool:
        return LoginGuard.load(self.path).locked_out(username, self._clock())

    def _actor(self, actor: User, *roles: Role) -> User:
        current = self.store.user(actor.id)
        if current.disabled:
            raise AppError(ErrorCode.PERMISSION, f"account {current.username!r} is disabled")
        if roles and current.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise AppError(ErrorCode.PERMISSION, f"only a {allowed} may do this ({current.username} is {current.role})")
        return current

    def active_actor(self, actor: User, *roles: Role) -> User:
        """``actor`` reloaded, refused when disabled or (with ``roles``) not in one of them."""
        return self._actor(actor, *roles)

    def add_user(
        self,
        actor: User,
        username: str,
        display_name: str,
        role: str,
        password: str,
        qualification_no: str | None = None,
    ) -> User:
        self._actor(actor, Role.ADMIN)
        with transaction(self.db):
            return self._insert_user(actor.id, username, display_name, Role(role), password, qualification_no)

    def _change_user(
        self, actor: User, username: str, action: str, fields: dict[str, Any], shown: dict[str, Any]
    ) -> User:
        self._actor(actor, Role.ADMIN)
        target = self.store.user_by_name(username)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, f"no user {username!r}")
        with transaction(self.db):
            self.store.update_user(target.id, **fields)
            audit.append(
                self.db, at=self._now(), actor_id=actor.id, action=action, entity="user", entity_id=target.id, new=shown
            )
        return self.store.user(target.id)

    def set_qualification_no(self, actor: User, username: str, number: str | None) -> User:
        """An assessor's qualification certificate number, printed beside their name in reports (附录C)."""
        number = _short_text(number, "qualification_no") if number else None
        return self._change_user(
            actor, username, "user.qualification_no", {"qualification_no": number}, {"qualification_no": number}
        )

    def agency(self) -> tuple[str | None, str | None]:
        """The assessment institution's name and code as reports print them (附录C)."""
        return self.store.setting(AGENCY), self.store.setting(AGENCY_CODE)

    def set_agency(self, actor: User, name: str | None = None, code: str | None = None) -> None:
        """Set the institution's name and/or code (admin); the signing root keeps the name it was issued with."""
        actor = self._actor(actor, Role.ADMIN)
        fields = {k: _short_text(v, k) for k, v in ((AGENCY, name), (AGENCY_CODE, code)) if v is not None}
        with transaction(self.db):
            for key, value in fields.items():
                self.store.set_setting(key, value)
            audit.append(
                self.db,
                at=self._now(),
                actor_id=actor.id,
                action="agency.set",
                entity="agency",
                entity_id="settings",
                new=fields,
            )

    def set_role(self, actor: User, username: str, role: str) -> User:
        return self._change_user(actor, username, "user.set_role", {"role": Role(role).value}, {"role": role})

    def reset_password(self, actor: User, username: str, password: str) -> User:
        """A new password (admin): the database key is sealed afresh for it and lockouts are lifted. The user's
        signing key stays sealed with the old password, which nobody else knows: it is retired, and a new
        certificate is issued (``keys issue``) once the user has chosen the new password."""
        actor = self._actor(actor, Role.ADMIN)
        return self._new_password(actor.id, username, password, "user.reset_password")

    def recover_account(self, key: bytes, username: str, password: str) -> User:
        """A new password with the agency's escrowed database key instead of an admin's login (the last admin's
        password is lost): the key is the authority, so it must be the one this database is open with."""
        if self._key is None or not secrets.compare_digest(key, self._key):
            raise AppError(ErrorCode.AUTH, "open the database with its recovery key first")
        return self._new_password(None, username, password, "user.recover")

    def _new_password(self, actor_id: int | None, username: str, password: str, action: str) -> User:
        _check_password(password, username)
        target = self.store.user_by_name(username)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, f"no user {username!r}")
        retired = self.store.user_key(target.id)
        if retired is not None:  # the old key is sealed with a password nobody will type again: revoke it
            self.pki.revoke_user(actor_id, target.id, "password reset")
        with transaction(self.db):
            fields = {"password_hash": _HASHER.hash(password), "failed_logins": 0, "locked_until": None}
            self.store.update_user(target.id, **fields)
            at = self._now()
            audit.append(
                self.db,
                at=at,
                actor_id=actor_id,
                action=action,
                entity="user",
                entity_id=target.id,
                new={"password": "reset"},
            )
            if retired is not None:
                self.store.delete_user_key(target.id)
                audit.append(
                    self.db,
                    at=at,
                    actor_id=actor_id,
                    action="keys.retire",
                    entity="user",
                    entity_id=target.id,
                    new={"serial": signing_keys.serial_hex(retired[0]), "why": "password reset"},
                )
        self._seal_key_for(username, password)
        guard = LoginGuard.load(self.path)
        guard.unlock(username)
        guard.save()
        return self.store.user(target.id)

    def set_disabled(self, actor: User, username: str, disabled: bool = True) -> User:
        """Disable (or enable) an account. Disabling revokes its signing certificate for good (next CRL) and
        drops its key slot: its password no longer unseals the database key (enabling it again needs a password
        reset, which seals a new slot)."""
        user = self._change_user(
            actor,
            username,
            "user.disable" if disabled else "user.enable",
            {"disabled": int(disabled)},
            {"disabled": disabled},
        )
        if disabled:
            self.pki.revoke_user(actor.id, user.id, "account disabled")
        slots = KeySlots.load(self.path)
        if disabled and slots is not None:
            slots.remove(username)
            slots.save()
        return user

    def users(self, role: str | None = None) -> list[User]:
        return [u for u in self.store.users() if role is None or u.role == role]

    # --- subjects ---------------------------------------------------------------------------------

    def register_subject(self, actor: User, **fields: Any) -> tuple[Subject, Changes]:
        """Register an elderly person; the ID number is validated and must be unique."""
        self._actor(actor, Role.ASSESSOR, Role.SUPERVISOR)
        for required in ("name", "sex", "id_number"):
            if not fields.get(required):
                raise AppError(ErrorCode.INVALID, f"{required} is required", where=required)
        if fields["sex"] not in ("male", "female"):
            raise AppError(ErrorCode.INVALID, "sex must be male or female", where="sex")
        number = idnumber.validate(str(fields["id_number"]))
        fields = {
            **fields,
            "id_number": number,
            "birth_date": fields.get("birth_date") or idnumber.birth_date(number).isoformat(),
        }
        at = self._now()
        with transaction(self.db):
            subject = self.store.add_subject(fields, at)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="subject.add",
                entity="subject",
                entity_id=subject.id,
                new={"name": subject.name, "id_number": subject.masked_id},
            )
        return subject, Changes(subject_ids=(subject.id,), list_changed=True)

    def search_subjects(self, query: str, limit: int = 50) -> list[Subject]:
        return self.store.search_subjects(query, limit)

    def subject(self, subject_id: int) -> Subject:
        return self.store.subject(subject_id)

    # --- assessments: start and fill in -----------------------------------------------------------

    def form(self, ref: str) -> FormDef:
        return self._forms(ref)

    def start_assessment(self, actor: User, new: NewAssessment) -> tuple[Assessment, Changes]:
        """Open a draft on a form version, with identity answers pre-filled from the subject."""
        actor = self._actor(actor, Role.ASSESSOR)
        subject = self.store.subject(new.subject_id)
        form = self._forms(new.form)
        if new.reason not in REASONS:
            raise AppError(ErrorCode.INVALID, f"reason must be one of {', '.join(REASONS)}", where="reason")
        date = new.assessment_date or self._clock().date().isoformat()
        if new.assessor2_id is not None:
            second = self.store.user(new.assessor2_id)
            if second.role != Role.ASSESSOR or second.id == actor.id:
                raise AppError(ErrorCode.INVALID, _("第二评估员须是另一名评估员"), where="assessor2")
        at = self._now()
        with transaction(self.db):
            aid = self.store.create_assessment(
                {
                    "subject_id": subject.id,
                    "form_id": form.form,
                    "form_version": form.version,
                    "form_sha256": form.sha256,
                    "reason": new.reason,
                    "assessment_date": date,
                    "place": new.place,
                    "assessor1_id": actor.id,
                    "assessor2_id": new.assessor2_id,
                    "informant_name": new.informant_name,
                    "informant_relation": new.informant_relation,
                    "status": Status.DRAFT.value,
                    "created_by": actor.id,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            number = f"{date.replace('-', '')}-{aid:06d}"
            sources = {
                "subject.name": subject.name,
                "subject.sex": subject.sex,
                "subject.birth_date": subject.birth_date,
                "subject.id_number": subject.id_number,
                "subject.insurance_no": subject.insurance_no,
                "subject.phone": subject.phone,
                "assessment.number": number,
                "assessment.date": date,
                "assessment.reason": new.reason,
                "assessment.informant_name": new.informant_name,
            }
            for item_id, fill in form.prefill.items():
                value = sources.get(fill) if isinstance(fill, str) else fill.values.get(sources.get(fill.source) or "")
                if value is not None:
                    check_answer(form, item_id, value)
                    self.store.put_answer(aid, item_id, value, actor.id, at)
            self._store_score(aid, form, partial=True)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="assessment.start",
                entity="assessment",
                entity_id=aid,
                new={"subject_id": subject.id, "form": form.ref, "reason": new.reason},
            )
        return self.store.assessment(aid), Changes(assessment_ids=(aid,), list_changed=True)

    def _store_score(self, aid: int, form: FormDef, partial: bool) -> ScoreResult:
        result = score(form, self.store.answers(aid), partial=partial)
        self.store.update_assessment(
            aid,
            score_json=json.dumps(result.to_dict(), ensure_ascii=False),
            engine_version=result.engine_version,
            proposed_level=result.final_level,
        )
        return result

    def _editable(self, actor: User, aid: int) -> tuple[User, Assessment]:
        actor = self._actor(actor, Role.ASSESSOR)
        record = self.store.assessment(aid)
        apply(record.status, Action.EDIT, actor.role)
        if not record.took_part(actor.id):
            raise AppError(ErrorCode.PERMISSION, f"assessment {aid} belongs to other assessors")
        return actor, record

    def save_answer(
        self, actor: User, aid: int, item_id: str, value: Any, current_item: str | None = None
    ) -> SaveResult:
        """Validate and durably store one answer (its own transaction), then the live score.

        When this returns, the answer is on disk: the UI may show it as saved.
        """
        actor, record = self._editable(actor, aid)
        form = self._forms(record.form_ref)
        check_answer(form, item_id, value)
        at = self._now()
        with transaction(self.db):
            old = record.answers.get(item_id)
            self.store.put_answer(aid, item_id, value, actor.id, at)
            self.store.update_assessment(aid, updated_at=at, current_item=current_item or item_id)
            result = self._store_score(aid, form, partial=True)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="answer.save",
                entity="assessment",
                entity_id=aid,
                old={item_id: audit.digest(old)},
                new={item_id: audit.digest(value)},
            )
        return SaveResult(Changes(assessment_ids=(aid,), score_changed=True), result, at)

    def set_current_item(self, actor: User, aid: int, item_id: str) -> None:
        """Remember where the assessor is, so that a reopened assessment resumes there."""
        self._editable(actor, aid)
        with transaction(self.db):
            self.store.update_assessment(aid, current_item=item_id)

    def save_signature(self, actor: User, aid: int, role: str, png: bytes) -> Changes:
        """Store a handwritten signature (PNG) of assessor 1, assessor 2 or the information provider."""
        actor, _record = self._editable(actor, aid)
        if role not in SIGNATURE_ROLES:
            raise AppError(ErrorCode.INVALID, f"signature role must be one of {', '.join(SIGNATURE_ROLES)}")
        require_png(png)
        at = self._now()
        with transaction(self.db):
            self.store.put_signature(aid, role, png, at)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="signature.save",
                entity="assessment",
                entity_id=aid,
                new={"role": role, "bytes": len(png)},
            )
        return Changes(assessment_ids=(aid,))

    def set_second_assessor(self, actor: User, aid: int, assessor2_id: int) -> Changes:
        actor, _record = self._editable(actor, aid)
        second = self.store.user(assessor2_id)
        if second.role != Role.ASSESSOR or second.id == actor.id:
            raise AppError(ErrorCode.INVALID, _("第二评估员须是另一名评估员"), where="assessor2")
        with transaction(self.db):
            self.store.update_assessment(aid, assessor2_id=assessor2_id, updated_at=self._now())
            audit.append(
                self.db,
                at=self._now(),
                actor_id=actor.id,
                action="assessment.assessor2",
                entity="assessment",
                entity_id=aid,
                new={"assessor2_id": assessor2_id},
            )
        return Changes(assessment_ids=(aid,), list_changed=True)

    # --- submit and review ------------------------------------------------------------------------

    def checklist(self, aid: int) -> list[MissingItem]:
        """What still stops submission: unanswered required items, second assessor, signatures."""
        record = self.store.assessment(aid)
        form = self._forms(record.form_ref)
        session = FormSession(form, record.answers)
        missing = [MissingItem(i.item_id, i.message) for i in session.validate()]
        if record.assessor2_id is None:
            missing.append(MissingItem(None, _("需要第二名评估员")))
        have = self.store.signed_roles(aid)
        missing += [
            MissingItem(
                signature_item(r) if signature_item(r) in form.items else None,
                _("缺少{who}签名").format(who=_(SIGNER_LABELS[r])),
            )
            for r in SIGNATURE_ROLES
            if r not in have
        ]
        return missing

    def submit(self, actor: User, aid: int, passwords: Mapping[str, str] | None = None) -> Changes:
        """Hand in a complete assessment; it becomes read-only for the assessors.

        Where signing keys are configured, both assessors sign the report (PAdES) as part of the submission:
        ``passwords`` holds ``{"assessor1": ..., "assessor2": ...}`` (each typed by that assessor).
        """
        actor = self._actor(actor, Role.ASSESSOR)
        record = self.store.assessment(aid)
        new_status = apply(record.status, Action.SUBMIT, actor.role)
        if not record.took_part(actor.id):
            raise AppError(ErrorCode.PERMISSION, f"assessment {aid} belongs to other assessors")
        missing = self.checklist(aid)
        if missing:
            listed = "; ".join(m.message for m in missing[:5]) + ("…" if len(missing) > 5 else "")
            message = _("尚不能提交：还有 {count} 项未完成（{listed}）").format(count=len(missing), listed=listed)
            raise AppError(ErrorCode.INVALID, message)
        conclusions.check_submission(self.store, record)
        form = self._forms(record.form_ref)
        at = self._now()
        with transaction(self.db):
            result = self._store_score(aid, form, partial=False)
            self.store.update_assessment(aid, status=new_status.value, submitted_at=at, updated_at=at)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="assessment.submit",
                entity="assessment",
                entity_id=aid,
                old={"status": record.status.value},
                new={"status": new_status.value, "proposed_level": result.final_level},
            )
            if self.signing_configured():
                pdf = self.render_report(aid)
                for role, user_id in (("assessor1", record.assessor1_id), ("assessor2", record.assessor2_id)):
                    secret = (passwords or {}).get(role)
                    if not secret:
                        raise AppError(
                            ErrorCode.AUTH,
                            _("{who}需要输入自己的密码以签署报告").format(who=_(SIGNER_LABELS[role])),
                        )
                    try:
                        pdf = self._sign(pdf, user_id or -1, secret, role, "评估员确认：以上评估结果属实")
                    except AppError as exc:  # two passwords were typed: say whose was wrong
                        if exc.code != ErrorCode.AUTH:
                            raise
                        who = _(SIGNER_LABELS[role])
                        raise AppError(ErrorCode.AUTH, _("{who}的签名密码错误").format(who=who)) from None
                    self.store.add_report(aid, role, pdf, hashlib.sha256(pdf).hexdigest(), at)
                    audit.append(
                        self.db,
                        at=at,
                        actor_id=user_id,
                        action="report.sign",
                        entity="assessment",
                        entity_id=aid,
                        new={"role": role, "sha256": hashlib.sha256(pdf).hexdigest()},
                    )
                from ltc_assess import attestation

                first, secret = record.assessor1_id, (passwords or {})["assessor1"]
                attestation.sign_record(self, aid, "submission", first, secret, hashlib.sha256(pdf).hexdigest(), at)
                attestation.sign_checkpoint(self, first, secret, at)
        return Changes(assessment_ids=(aid,), list_changed=True, status_changed=True, score_changed=True)

    def _reviewable(self, actor: User, aid: int, action: Action) -> tuple[User, Assessment, Status]:
        actor = self._actor(actor, Role.SUPERVISOR)
        record = self.store.assessment(aid)
        new_status = apply(record.status, action, actor.role)
        if action in REVIEW_ACTIONS and record.took_part(actor.id):
            message = _("{name} 参与了评估 {id}，不能审核").format(name=actor.display_name, id=aid)
            raise AppError(ErrorCode.PERMISSION, message)
        return actor, record, new_status

    def return_for_correction(self, actor: User, aid: int, comment: str, item_id: str | None = None) -> Changes:
        """Send back to the assessors with a comment (kept in the thread)."""
        if not comment.strip():
            raise AppError(ErrorCode.INVALID, _("退回时须写明需要修改的内容"), where="comment")
        actor, record, new_status = self._reviewable(actor, aid, Action.RETURN)
        at = self._now()
        with transaction(self.db):
            self.store.add_comment(aid, actor.id, comment.strip(), item_id, at)
            self.store.update_assessment(aid, status=new_status.value, updated_at=at)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="assessment.return",
                entity="assessment",
                entity_id=aid,
                old={"status": record.status.value},
                new={"status": new_status.value},
                reason=comment.strip(),
            )
        return Changes(assessment_ids=(aid,), list_changed=True, status_changed=True)

    def decide_level(self, actor: User, aid: int, level: int, reason: str | None = None) -> Changes:
        """Record the supervisor's level; a level other than the proposed one needs a reason."""
        actor, record, _status = self._reviewable(actor, aid, Action.DECIDE_LEVEL)
        form = self._forms(record.form_ref)
        if form.level_name(level) is None:
            raise AppError(ErrorCode.INVALID, f"level {level} does not exist in {form.ref}", where="level")
        if level != record.proposed_level and not (reason or "").strip():
            raise AppError(
                ErrorCode.INVALID,
                _("核定等级与建议等级不同时，须填写理由"),
                where="reason",
            )
        at = self._now()
        with transaction(self.db):
            self.store.update_assessment(
                aid,
                decided_level=level,
                decided_by=actor.id,
                decision_reason=(reason or "").strip() or None,
                updated_at=at,
            )
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="assessment.decide_level",
                entity="assessment",
                entity_id=aid,
                old={"decided_level": record.decided_level},
                new={"decided_level": level, "proposed_level": record.proposed_level},
                reason=reason,
            )
        return Changes(assessment_ids=(aid,), list_changed=True)

    def approve(self, actor: User, aid: int, password: str | None = None) -> Changes:
        """Approve (and lock) a submitted assessment; an approved correction supersedes the version it corrects.

        Where signing keys are configured the supervisor signs the report, the stamp stating the decided level.
        """
        actor, record, new_status = self._reviewable(actor, aid, Action.APPROVE)
        if record.supersedes_id is not None and record.created_by == actor.id:
            raise AppError(ErrorCode.PERMISSION, _("更正须由另一名审核员批准，发起人不能批准"))
        at = self._now()
        decided = record.decided_level if record.decided_level is not None else record.proposed_level
        conclusions.check_approval(self.store, record, decided, actor.id)  # type: ignore[arg-type]
        changed = [aid]
        with transaction(self.db):
            self.store.update_assessment(
                aid,
                status=new_status.value,
                approved_by=actor.id,
                approved_at=at,
                decided_level=decided,
                decided_by=record.decided_by if record.decided_level is not None else actor.id,
                updated_at=at,
            )
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="assessment.approve",
                entity="assessment",
                entity_id=aid,
                old={"status": record.status.value},
                new={"status": new_status.value, "decided_level": decided},
            )
            if record.supersedes_id is not None:
                old = self.store.assessment(record.supersedes_id)
                self.store.update_assessment(old.id, status=apply(old.status, Action.SUPERSEDE, actor.role).value)
                audit.append(
                    self.db,
                    at=at,
                    actor_id=actor.id,
                    action="assessment.supersede",
                    entity="assessment",
                    entity_id=old.id,
                    old={"status": old.status.value},
                    new={"status": Status.SUPERSEDED.value, "by": aid},
                )
                changed.append(old.id)
            changed += conclusions.record_conclusion(self.db, self.store, record, decided, at, actor.id)  # type: ignore[arg-type]
            if self.signing_configured():
                if not password:
                    raise AppError(ErrorCode.AUTH, _("审核员需要输入自己的密码以签署批准"))
                from ltc_assess.signing.attach import embed_submitted

                form = self._forms(record.form_ref)
                # A new rendering of the approved record, carrying the assessor-signed submission unchanged
                # (why not an appended revision: see ltc_assess.signing.attach)
                submitted = self.store.latest_report(aid)
                pdf = self.render_report(aid, submitted_attached=submitted is not None)
                if submitted is not None:
                    pdf = embed_submitted(pdf, submitted)
                pdf = self._sign(
                    pdf, actor.id, password, "supervisor", "审核批准", f"核定等级：{decided} {form.level_name(decided)}"
                )
                digest = hashlib.sha256(pdf).hexdigest()
                self.store.add_report(aid, "supervisor", pdf, digest, at)
                audit.append(
                    self.db,
                    at=at,
                    actor_id=actor.id,
                    action="report.sign",
                    entity="assessment",
                    entity_id=aid,
                    new={"role": "supervisor", "sha256": digest},
                )
                from ltc_assess import attestation

                attestation.sign_record(self, aid, "approval", actor.id, password, digest, at)
                attestation.sign_checkpoint(self, actor.id, password, at)
        return Changes(assessment_ids=tuple(changed), list_changed=True, status_changed=True)

    def amend(self, actor: User, aid: int, reason: str) -> tuple[Assessment, Changes]:
        """Start a correction of an approved assessment: a new draft version with the same answers.

        The approved version stays valid (and readable) until the correction is approved by a supervisor
        who took no part in it; then it becomes superseded.
        """
        if not reason.strip():
            raise AppError(ErrorCode.INVALID, _("须填写更正原因"), where="reason")
        actor = self._actor(actor, Role.SUPERVISOR)
        record = self.store.assessment(aid)
        apply(record.status, Action.AMEND, actor.role)
        pending = [
            r
            for r in self.store.list_assessments(subject_id=record.subject_id)
            if r["supersedes_id"] == aid and r["status"] in ("draft", "returned", "submitted")
        ]
        if pending:
            raise AppError(
                ErrorCode.CONFLICT, f"assessment {aid} already has a correction in progress ({pending[0]['id']})"
            )
        at = self._now()
        with transaction(self.db):
            new_id = self.store.create_assessment(
                {
                    "subject_id": record.subject_id,
                    "form_id": record.form_id,
                    "form_version": record.form_version,
                    "form_sha256": record.form_sha256,
                    "reason": record.reason,
                    "assessment_date": record.assessment_date,
                    "place": record.place,
                    "assessor1_id": record.assessor1_id,
                    "assessor2_id": record.assessor2_id,
                    "informant_name": record.informant_name,
                    "informant_relation": record.informant_relation,
                    "status": Status.RETURNED.value,
                    "version_no": record.version_no + 1,
                    "supersedes_id": aid,
                    "created_by": actor.id,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            for item_id, value in record.answers.items():
                self.store.put_answer(new_id, item_id, value, actor.id, at)
            for role, png in self.store.signatures(aid).items():
                self.store.put_signature(new_id, role, png, at)
            self.store.add_comment(new_id, actor.id, f"更正原因：{reason.strip()}", None, at)
            self._store_score(new_id, self._forms(record.form_ref), partial=True)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="assessment.amend",
                entity="assessment",
                entity_id=new_id,
                new={"supersedes": aid, "version_no": record.version_no + 1},
                reason=reason.strip(),
            )
        return self.store.assessment(new_id), Changes(assessment_ids=(aid, new_id), list_changed=True)

    # --- reading ----------------------------------------------------------------------------------

    def assessment(self, aid: int) -> Assessment:
        return self.store.assessment(aid)

    def comments(self, aid: int) -> list[Comment]:
        return self.store.comments(aid)

    def signatures(self, aid: int) -> dict[str, bytes]:
        return self.store.signatures(aid)

    def signed_roles(self, aid: int) -> set[str]:
        return self.store.signed_roles(aid)

    def list_assessments(self, status: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        if status is not None:
            Status(status)  # a clear error for an unknown status
        return self.store.list_assessments(status=status, **filters)

    def my_work(self, actor: User, status: str | None = None) -> list[dict[str, Any]]:
        """Every assessment the assessor took part in (drafts, returned, submitted, approved…), or one status."""
        return self.list_assessments(status=status, assessor_id=actor.id)

    def review_queue(
        self,
        actor: User,
        status: str = Status.SUBMITTED.value,
        date_from: str | None = None,
        date_to: str | None = None,
        level: int | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Assessments for supervisors (default: submitted ones awaiting review), never those the supervisor
        took part in; filters: status, assessor_id, district, form_id, assessment date range, proposed level."""
        self._actor(actor, Role.SUPERVISOR)
        rows = self.store.list_assessments(status=Status(status).value, **filters)
        return [
            r
            for r in rows
            if actor.id not in (r["assessor1_id"], r["assessor2_id"])
            and (date_from is None or r["assessment_date"] >= date_from)
            and (date_to is None or r["assessment_date"] <= date_to)
            and (level is None or r["proposed_level"] == level)
        ]

    def review_view(self, aid: int) -> ReviewView:
        """The record with the person's previous approved assessment on the same form and plausibility warnings:
        consistency warnings of the form, and a level two or more steps better within six months."""
        record = self.store.assessment(aid)
        earlier = [
            r
            for r in self.history(record.subject_id)
            if r["id"] != aid
            and r["status"] == Status.APPROVED
            and r["form_id"] == record.form_id
            and r["assessment_date"] <= record.assessment_date
        ]
        previous = self.store.assessment(earlier[-1]["id"]) if earlier else None
        warnings = [w["text"] for w in (record.score or {}).get("warnings", [])]
        changed: tuple[str, ...] = ()
        if previous is not None:
            keys = sorted(set(record.answers) | set(previous.answers))
            changed = tuple(k for k in keys if record.answers.get(k) != previous.answers.get(k))
            months = (
                dt.date.fromisoformat(record.assessment_date) - dt.date.fromisoformat(previous.assessment_date)
            ).days / 30.4
            if (
                previous.level is not None
                and record.level is not None
                and previous.level - record.level >= 2
                and months <= 6
            ):
                warnings.append(f"等级在{months:.0f}个月内改善两级或以上（{previous.level} → {record.level}），请核实")
        return ReviewView(record, previous, changed, tuple(warnings))

    def history(self, subject_id: int) -> list[dict[str, Any]]:
        """Every assessment of a person, oldest first by assessment date (for trends and the previous-assessment
        view; a record entered late must not plot after a newer one)."""
        return sorted(self.store.list_assessments(subject_id=subject_id), key=lambda r: (r["assessment_date"], r["id"]))

    def actions_for(self, actor: User, aid: int) -> frozenset[Action]:
        """What ``actor`` may do to this record now — what the UI shows as buttons."""
        record = self.store.assessment(aid)
        allowed = set(allowed_actions(record.status, actor.role))
        if actor.role == Role.SUPERVISOR and record.took_part(actor.id):
            allowed -= REVIEW_ACTIONS
        if actor.role == Role.ASSESSOR and not record.took_part(actor.id):
            allowed.clear()
        return frozenset(allowed)

    # --- signing keys -----------------------------------------------------------------------------

    def signing_configured(self) -> bool:
        return self.store.setting(ROOT_CERT) is not None

    def init_root(self, actor: User, agency: str, passphrase: str) -> bytes:
        """Create the agency's signing root (admin, once); returns its certificate (PEM) for insurers."""
        actor = self._actor(actor, Role.ADMIN)
        if self.signing_configured():
            raise AppError(ErrorCode.CONFLICT, "the signing root already exists")
        pair = signing_keys.create_root(agency, passphrase, self._clock())
        with transaction(self.db):
            self.store.set_setting(AGENCY, agency)
            self.store.set_setting(ROOT_CERT, pair.cert_pem.decode())
            self.store.set_setting(ROOT_KEY, pair.key_pem.decode())
            audit.append(
                self.db,
                at=self._now(),
                actor_id=actor.id,
                action="keys.init_root",
                entity="agency",
                entity_id=agency,
                new={"agency": agency},
            )
        self.pki.setup_tsa(actor.id, passphrase)
        self.pki.issue_crl(actor.id, passphrase)
        from ltc_assess.bundle_seal import init_transport

        init_transport(self, actor, passphrase)  # bundles leave the machine encrypted to the agency
        return pair.cert_pem

    def root_certificate(self) -> bytes:
        cert = self.store.setting(ROOT_CERT)
        if cert is None:
            raise AppError(ErrorCode.NOT_FOUND, "no signing root yet (ltc-assess keys init-root)")
        return cert.encode()

    def issue_crl(self, actor: User, root_passphrase: str) -> bytes:
        """Publish a new CRL of the agency root (admin); returns it (PEM) for insurers and laptops."""
        return self.pki.issue_crl(self._actor(actor, Role.ADMIN).id, root_passphrase)

    def install_crl(self, actor: User, data: bytes) -> int:
        """Take the office's newer CRL on this installation (admin); returns its number."""
        return self.pki.install_crl(self._actor(actor, Role.ADMIN).id, data)

    def setup_tsa(self, actor: User, root_passphrase: str) -> bytes:
        """Give this installation its own timestamp authority certificate (admin); returns it (PEM)."""
        return self.pki.setup_tsa(self._actor(actor, Role.ADMIN).id, root_passphrase)

    def set_tsa_url(self, actor: User, url: str | None) -> None:
        """Timestamp with an external RFC 3161 TSA (admin); None: with this installation's own."""
        self.pki.set_tsa_url(self._actor(actor, Role.ADMIN).id, url)

    def _root(self) -> signing_keys.KeyPair:
        return signing_keys.KeyPair(self.root_certificate(), (self.store.setting(ROOT_KEY) or "").encode())

    def issue_certificate(self, actor: User, username: str, root_passphrase: str, user_password: str) -> None:
        """Give a user a signing certificate from the agency root; the key is locked with their password."""
        actor = self._actor(actor, Role.ADMIN)
        target = self.store.user_by_name(username)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, f"no user {username!r}")
        try:
            _HASHER.verify(self.store.password_hash(target.id), user_password)
        except (VerificationError, InvalidHashError):
            raise AppError(ErrorCode.AUTH, f"that is not {username}'s password") from None
        pair = signing_keys.issue_user(
            self._root(),
            root_passphrase,
            username=target.username,
            display_name=target.display_name,
            role=target.role.value,
            password=user_password,
            now=self._clock(),
        )
        with transaction(self.db):
            self.store.put_user_key(target.id, pair.cert_pem, pair.key_pem, self._now())
            audit.append(
                self.db,
                at=self._now(),
                actor_id=actor.id,
                action="keys.issue",
                entity="user",
                entity_id=target.id,
                new={"username": username},
            )

    def import_certificate(self, actor: User, p12: bytes, p12_password: str, password: str) -> None:
        """Use a key and certificate from a real CA (PKCS#12) for one's own signatures."""
        actor = self._actor(actor)
        pair, _chain = signing_keys.import_pkcs12(p12, p12_password, password)
        with transaction(self.db):
            self.store.put_user_key(actor.id, pair.cert_pem, pair.key_pem, self._now())
            audit.append(
                self.db,
                at=self._now(),
                actor_id=actor.id,
                action="keys.import",
                entity="user",
                entity_id=actor.id,
                new={"subject": signing_keys.subject_fields(pair.cert_pem)},
            )

    def _sign(self, pdf: bytes, user_id: int, password: str, role: str, reason: str, extra: str = "") -> bytes:
        from ltc_assess.report.pdf import STAMP_BOXES
        from ltc_assess.signing.pades import page_count, sign_pdf

        stored = self.store.user_key(user_id)
        if stored is None:
            who = self.store.user(user_id).username if user_id > 0 else role
            raise AppError(ErrorCode.SIGNATURE, f"{who} has no signing certificate (ltc-assess keys issue {who})")
        pair = signing_keys.KeyPair(*stored)
        return sign_pdf(
            pdf,
            pair,
            password,
            [self.root_certificate()],
            field=role,
            box=STAMP_BOXES[role],
            page=page_count(pdf) - 1,
            reason=reason,
            extra_line=extra,
            ltv=self.pki.ltv(),
            document_timestamp=role != "assessor1",  # assessor 2 closes the submission, the supervisor the approval
        )

    def _export_copy(self, actor_id: int, aid: int, first_export: bool) -> bytes:
        """The report as it leaves for insurers: on its first export it gets a document timestamp (kept as a
        report revision, so exporting again gives the same file)."""
        pdf = self.report_pdf(aid)
        ltv = self.pki.ltv() if first_export and self.store.latest_report(aid) is not None else None
        if ltv is None:
            return pdf
        from ltc_assess.signing.ltv import document_timestamp

        pdf = document_timestamp(pdf, ltv)
        digest = hashlib.sha256(pdf).hexdigest()
        with transaction(self.db):
            self.store.add_report(aid, "export", pdf, digest, self._now())
            audit.append(
                self.db,
                at=self._now(),
                actor_id=actor_id,
                action="report.timestamp",
                entity="assessment",
                entity_id=aid,
                new={"sha256": digest},
            )
        return pdf

    # --- reports ----------------------------------------------------------------------------------

    def report_pdf(self, aid: int) -> bytes:
        """The latest signed report of the assessment, else an unsigned rendering of it as it stands."""
        return self.store.latest_report(aid) or self.render_report(aid)

    def report_data(self, aid: int, submitted_attached: bool = False) -> ReportData:
        """The facts of the assessment's report, with the person's earlier assessments for the trend."""
        record = self.store.assessment(aid)
        subject = self.store.subject(record.subject_id)
        form = self._forms(record.form_ref)
        result = record.score or score(form, record.answers, partial=True).to_dict()
        users = self.store.users()
        people = {u.id: u.display_name for u in users}
        history = [
            {
                "assessment_date": r["assessment_date"],
                "form_id": r["form_id"],
                "level": r["decided_level"] if r["decided_level"] is not None else r["proposed_level"],
            }
            for r in self.history(subject.id)
            if r["status"] == "approved" or r["id"] == aid  # a superseded record lives on in its correction
        ]
        replaces = None
        if record.supersedes_id is not None:
            old = self.store.assessment(record.supersedes_id)
            replaces = report_id(old.id, old.version_no)
        fields = {k: getattr(record, k) for k in record.__dataclass_fields__ if k not in ("score", "status")}
        fields["status"] = record.status.value
        data = build_report_data(
            form,
            result,
            fields,
            asdict(subject),
            people=people,
            history=history,
            handwritten=self.store.signatures(aid),
            replaces=replaces,
            submitted_attached=submitted_attached,
            agency=self.agency(),
            qualifications={u.id: u.qualification_no for u in users if u.qualification_no},
            signed_at=self.store.signature_times(aid),
        )
        return replace(data, care_advice=tuple(conclusions.reviewed_advice(self.store, aid)))

    def render_report(self, aid: int, submitted_attached: bool = False) -> bytes:
        """An unsigned PDF of the assessment as it stands (drafts are marked as such)."""
        from ltc_assess.report.pdf import render

        return render(self.report_data(aid, submitted_attached))

    # --- insurer export ---------------------------------------------------------------------------

    def export_package(
        self, actor: User, password: str, out: Path, date_from: str, date_to: str, insurer: str | None = None
    ) -> dict[str, Any]:
        """Write a signed package of the approved assessments dated ``date_from``..``date_to``.

        Exporting again gives the same files (reports, JSON, CSV, FHIR); only the manifest's export time and
        signature differ. Each assessment is flagged as exported the first time.
        """
        from ltc_assess.exchange import fhir, fhir_result
        from ltc_assess.exchange import insurer as insurer_pkg
        from ltc_assess.exchange.package import write_package
        from ltc_assess.exchange.xlsx import to_xlsx
        from ltc_assess.report.data import REASON_LABELS, SEX_LABELS
        from ltc_assess.signing.cms import sign_detached

        actor = self._actor(actor, Role.SUPERVISOR, Role.ADMIN)
        stored = self.store.user_key(actor.id)
        if stored is None:
            raise AppError(ErrorCode.SIGNATURE, f"{actor.username} has no signing certificate to sign the package")
        pair = signing_keys.KeyPair(*stored)
        signing_keys.load_key(pair.key_pem, password)  # a wrong password fails before any file is written
        rows = [
            r
            for r in self.store.list_assessments(status=Status.APPROVED.value, limit=1_000_000)
            if date_from <= r["assessment_date"] <= date_to
        ]
        files: dict[str, bytes] = {}
        entries = []
        people = {u.id: u.display_name for u in self.store.users()}
        qualifications = {u.id: u.qualification_no for u in self.store.users()}
        forms: dict[str, FormDef] = {}
        for row in sorted(rows, key=lambda r: r["id"]):
            record = self.store.assessment(row["id"])
            subject = self.store.subject(record.subject_id)
            form = self._forms(record.form_ref)
            pdf = self._export_copy(actor.id, record.id, record.exported_at is None)
            report_file = f"reports/{record.id}.pdf"
            files[report_file] = pdf
            entries.append(
                {
                    "id": record.id,
                    "version_no": record.version_no,
                    "supersedes_id": record.supersedes_id,
                    "subject": {
                        "name": subject.name,
                        "id_number": subject.id_number,
                        "insurance_no": subject.insurance_no,
                        "sex": subject.sex,
                        "birth_date": subject.birth_date,
                        "phone": subject.phone,
                    },
                    "assessors": [
                        {"name": people[uid], "qualification_no": qualifications.get(uid)}
                        for uid in (record.assessor1_id, record.assessor2_id)
                        if uid in people
                    ],
                    "approved_by": people.get(record.approved_by or -1),
                    "form": form.form,
                    "form_version": form.version,
                    "form_sha256": form.sha256,
                    "engine_version": record.engine_version,
                    "assessment_date": record.assessment_date,
                    "reason": record.reason,
                    "proposed_level": {"code": record.proposed_level, "name": form.level_name(record.proposed_level)},
                    "decided_level": {"code": record.level, "name": form.level_name(record.level)},
                    "decision_reason": record.decision_reason,
                    "approved_at": record.approved_at,
                    "score": record.score,
                    "report_file": report_file,
                    "report_sha256": hashlib.sha256(pdf).hexdigest(),
                    "conclusion": conclusions.export_view(self.store, record.id),
                }
            )
            files[f"fhir/Questionnaire-{form.form}-v{form.version}.json"] = insurer_pkg.json_bytes(
                fhir.questionnaire(form)
            )
            files[f"fhir/QuestionnaireResponse-{record.id}.json"] = insurer_pkg.json_bytes(
                fhir.questionnaire_response(
                    form,
                    record.answers,
                    response_id=str(record.id),
                    authored=record.assessment_date,
                    subject_identifier=subject.insurance_no or subject.id_number,
                )
            )
            forms[form.form] = form
            files[f"fhir/Observation-{record.id}.json"] = insurer_pkg.json_bytes(
                fhir_result.observation(
                    form,
                    observation_id=f"{record.id}-result",
                    response_id=str(record.id),
                    subject_identifier=subject.insurance_no or subject.id_number,
                    assessment_date=record.assessment_date,
                    issued=record.approved_at,
                    decided_level=record.decided_level,  # type: ignore[arg-type]  # approved: always decided
                    proposed_level=record.proposed_level,
                    score=record.score or {},
                )
            )
        if forms:
            files["fhir/CodeSystem-ltc-assessment.json"] = insurer_pkg.json_bytes(
                fhir_result.code_system(list(forms.values()))
            )
        files["assessments.json"] = insurer_pkg.json_bytes(entries)
        files["assessments.csv"] = insurer_pkg.to_csv(entries)
        files["assessments.xlsx"] = to_xlsx(entries, forms, {"sex": SEX_LABELS, "reason": REASON_LABELS})
        at = self._now()
        from ltc_assess import attestation

        with transaction(self.db):  # the package carries the audit chain's signed head (tamper evidence)
            checkpoint = attestation.sign_checkpoint(self, actor.id, password, at)
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
        manifest = write_package(
            out, files, meta, lambda data: sign_detached(data, pair, password, [self.root_certificate()])
        )
        with transaction(self.db):
            for entry in entries:
                if self.store.assessment(entry["id"]).exported_at is None:
                    self.store.update_assessment(entry["id"], exported_at=at)
            audit.append(
                self.db,
                at=at,
                actor_id=actor.id,
                action="export.package",
                entity="export",
                entity_id=str(out),
                new={"insurer": insurer, "period": [date_from, date_to], "assessments": [e["id"] for e in entries]},
            )
        return manifest

    # --- integrity --------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity check, the audit chain and ``integrity`` (empty = healthy)."""
        problems = [r[0] for r in self.db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        report = audit.verify(self.db)
        if not report.ok:
            problems.append(report.problem or "audit chain broken")
        from ltc_assess import integrity

        return problems + integrity.problems(self)

    def audit_csv(self) -> str:
        return audit.to_csv(self.db)

    def backup(self, out: Path) -> Path:
        """Online backup: consistent even while the app is writing, encrypted like the database, 0600."""
        return at_rest.backup(self.db, out, self._key, self.path)
