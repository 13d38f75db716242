"""AssessmentService: the one entry point the UI, the CLI and the server use (Anki's Collection idea).

It owns the open database, the clock and the forms, and hands each concern to a manager —
``service.accounts``, ``.subjects``, ``.drafting``, ``.review``, ``.queries``, ``.keys``, ``.reports``,
``.export``, ``.maintenance`` — whose public methods it also offers under their old names. Every mutation runs
through ``unit_of_work`` (actor re-checked, one transaction, its audit events, the ``Changes`` it made).
Nothing here trusts the caller: the actor is reloaded, its role and the record's state are checked against
``workflow.TRANSITIONS``, and separation of duties is enforced here, never only in the UI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.pki import AgencyPki
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form
from ltc_assess.service.accounts import Accounts
from ltc_assess.service.after_decision import AfterDecision
from ltc_assess.service.drafting import Drafting
from ltc_assess.service.export import Export
from ltc_assess.service.keys import Keys
from ltc_assess.service.maintenance import Maintenance
from ltc_assess.service.queries import Queries
from ltc_assess.service.receiving import Receiving
from ltc_assess.service.reports import Reports
from ltc_assess.service.review import Review
from ltc_assess.service.subjects import Subjects
from ltc_assess.storage.db import Database, connect, new_key
from ltc_assess.storage.keyslots import KeySlots
from ltc_assess.storage.records import User
from ltc_assess.storage.store import Store
from ltc_assess.storage.work import Work, authorize, unit_of_work
from ltc_assess.workflow import Role

P = ParamSpec("P")
R = TypeVar("R")


class _Forward(Generic[P, R]):
    """``service.name(...)`` calls ``service.<manager>.name(...)``: the facade keeps its one flat vocabulary
    (read on the class, it is a plain function of the service, so that tests may wrap it)."""

    def __init__(self, manager: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.manager, self.name = manager, method.__name__

    @overload
    def __get__(self, service: None, owner: type) -> Callable[Concatenate[Any, P], R]: ...
    @overload
    def __get__(self, service: object, owner: type | None = None) -> Callable[P, R]: ...
    def __get__(self, service: object, owner: type | None = None) -> Callable[..., R]:
        if service is None:
            return self._unbound
        method: Callable[P, R] = getattr(getattr(service, self.manager), self.name)
        return method

    def _unbound(self, service: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        method: Callable[P, R] = getattr(getattr(service, self.manager), self.name)
        return method(*args, **kwargs)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AssessmentService:
    """Use cases over one database file; a context manager that closes it.

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
        self.accounts = Accounts(self)
        self.subjects = Subjects(self)
        self.drafting = Drafting(self)
        self.review = Review(self)
        self.queries = Queries(self)
        self.keys = Keys(self)
        self.reports = Reports(self)
        self.export = Export(self)
        self.maintenance = Maintenance(self)
        self.receiving = Receiving(self)
        self.after_decision = AfterDecision(self)
        slots = KeySlots.load(self.path)
        if key is None and slots is None and not self.path.exists():
            self._key = new_key()
        if self._key is not None or slots is None:
            self._open()

    def _open(self) -> None:
        self._db = connect(self.path, self._key)
        self._store = Store(self._db)
        self._pki = AgencyPki(self._store, self.path)

    def _unlocked(self, key: bytes) -> None:
        """Open the database with the key a login unsealed."""
        self._key = key
        self._open()

    def unlock(self, key: bytes) -> None:
        """Open a locked database with the key a login on another connection unsealed (the login window checks
        the password off the GUI thread, on a service of its own); nothing to do when it is open."""
        if not self.is_open:
            self._unlocked(key)

    def _locked(self) -> None:
        """Close the database again and forget its key (a login opened it, then failed)."""
        self.close()
        self._db, self._store, self._key = None, None, None

    @property
    def is_open(self) -> bool:
        """False while an encrypted database waits for a login."""
        return self._db is not None

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

    def __enter__(self) -> AssessmentService:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def reopened(self) -> AssessmentService:
        """The same service on a connection of its own, for another thread (a connection belongs to its thread)."""
        return AssessmentService(self.path, self._clock, self._forms, key=self._key)

    def clock(self) -> dt.datetime:
        """The current time (the injected clock)."""
        return self._clock()

    def now(self) -> str:
        """The current time as stored."""
        return self._clock().isoformat(timespec="seconds")

    def form(self, ref: str) -> FormDef:
        """The form definition of ``form@version``."""
        return self._forms(ref)

    def active_actor(self, actor: User, *roles: Role) -> User:
        """``actor`` reloaded, refused when disabled or (with ``roles``) not in one of them."""
        return authorize(self.store, actor, *roles)

    def unit_of_work(self, actor: User | None = None, *roles: Role) -> AbstractContextManager[Work]:
        """Check ``actor`` (active, one of ``roles``), then one transaction with its audit events and ``Changes``."""
        return unit_of_work(self.store, self.now(), actor, *roles)

    # --- the managers' use cases under the facade's names ---------------------------------------------

    has_users = _Forward("accounts", Accounts.has_users)
    create_first_admin = _Forward("accounts", Accounts.create_first_admin)
    login = _Forward("accounts", Accounts.login)
    unlock_user = _Forward("accounts", Accounts.unlock_user)
    locked_out = _Forward("accounts", Accounts.locked_out)
    add_user = _Forward("accounts", Accounts.add_user)
    change_user = _Forward("accounts", Accounts.change_user)
    set_qualification_no = _Forward("accounts", Accounts.set_qualification_no)
    set_qualification = _Forward("accounts", Accounts.set_qualification)
    set_role = _Forward("accounts", Accounts.set_role)
    reset_password = _Forward("accounts", Accounts.reset_password)
    recover_account = _Forward("accounts", Accounts.recover_account)
    set_disabled = _Forward("accounts", Accounts.set_disabled)
    users = _Forward("accounts", Accounts.users)

    register_subject = _Forward("subjects", Subjects.register_subject)
    search_subjects = _Forward("subjects", Subjects.search_subjects)
    subject = _Forward("subjects", Subjects.subject)

    start_assessment = _Forward("drafting", Drafting.start_assessment)
    save_answer = _Forward("drafting", Drafting.save_answer)
    save_answers = _Forward("drafting", Drafting.save_answers)
    set_current_item = _Forward("drafting", Drafting.set_current_item)
    save_signature = _Forward("drafting", Drafting.save_signature)
    set_second_assessor = _Forward("drafting", Drafting.set_second_assessor)
    checklist = _Forward("drafting", Drafting.checklist)

    submit = _Forward("review", Review.submit)
    return_for_correction = _Forward("review", Review.return_for_correction)
    decide_level = _Forward("review", Review.decide_level)
    approve = _Forward("review", Review.approve)
    amend = _Forward("review", Review.amend)

    assessment = _Forward("queries", Queries.assessment)
    comments = _Forward("queries", Queries.comments)
    signatures = _Forward("queries", Queries.signatures)
    signed_roles = _Forward("queries", Queries.signed_roles)
    list_assessments = _Forward("queries", Queries.list_assessments)
    my_work = _Forward("queries", Queries.my_work)
    review_queue = _Forward("queries", Queries.review_queue)
    review_view = _Forward("queries", Queries.review_view)
    history = _Forward("queries", Queries.history)
    actions_for = _Forward("queries", Queries.actions_for)

    agency = _Forward("keys", Keys.agency)
    setting = _Forward("keys", Keys.setting)
    set_agency = _Forward("keys", Keys.set_agency)
    signing_configured = _Forward("keys", Keys.signing_configured)
    init_root = _Forward("keys", Keys.init_root)
    root_certificate = _Forward("keys", Keys.root_certificate)
    issue_crl = _Forward("keys", Keys.issue_crl)
    install_crl = _Forward("keys", Keys.install_crl)
    setup_tsa = _Forward("keys", Keys.setup_tsa)
    set_tsa_url = _Forward("keys", Keys.set_tsa_url)
    issue_certificate = _Forward("keys", Keys.issue_certificate)
    import_certificate = _Forward("keys", Keys.import_certificate)

    report_pdf = _Forward("reports", Reports.report_pdf)
    report_data = _Forward("reports", Reports.report_data)
    render_report = _Forward("reports", Reports.render_report)

    export_package = _Forward("export", Export.export_package)

    check = _Forward("maintenance", Maintenance.check)
    audit_csv = _Forward("maintenance", Maintenance.audit_csv)
    backup = _Forward("maintenance", Maintenance.backup)
