"""The main window's shell: menus, one tab per concern, the wizards it opened, and the one place where a
mutation's ``Changes`` decide which views refresh.

The tabs (people, my work, review queue, conflicts, due list, after the decision) and the dialogs they open live
in their own modules; each announces what it changed with a ``changed`` signal carrying the service's ``Changes``.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QTabWidget

from ltc_assess.i18n import LANGUAGES, _, language
from ltc_assess.service import AssessmentService, Changes
from ltc_assess.storage.records import User
from ltc_assess.ui.after_decision import AfterDecisionPanel
from ltc_assess.ui.due import DuePanel
from ltc_assess.ui.exchange import ConflictsPanel, Exchange
from ltc_assess.ui.focus import FOCUS_STYLE
from ltc_assess.ui.language import remember_language, use_language
from ltc_assess.ui.my_work_tab import MyWorkTab
from ltc_assess.ui.people_tab import PeopleTab
from ltc_assess.ui.review_queue_tab import ReviewQueueTab
from ltc_assess.ui.sync_action import SyncAction, ask_server_url
from ltc_assess.ui.tables import shown_ids
from ltc_assess.ui.wizard.window import WizardWindow
from ltc_assess.workflow import ROLE_LABELS, Role


class MainWindow(QMainWindow):
    """The workstation's home.

    Signals:
        language_changed: the user switched language; the app rebuilds its windows. args: language code
        log_out: the user logs out so that another can log in (one laptop, two assessors, a supervisor)
    """

    language_changed = Signal(str)
    log_out = Signal()

    def __init__(self, service: AssessmentService, actor: User) -> None:
        super().__init__()
        self.service, self.actor = service, actor
        self.wizards: list[WizardWindow] = []
        self.setWindowTitle(
            _("长期护理需求评估工作站 — {name}（{role}）").format(
                name=actor.display_name,
                role=_(ROLE_LABELS[actor.role]),
            )
        )
        self.resize(1100, 700)
        self.setStyleSheet(FOCUS_STYLE)  # dialogs opened from here inherit it
        self.exchange = Exchange(
            self, service, actor, lambda message: self.statusBar().showMessage(message), self.apply
        )
        self.sync = SyncAction(self, service, actor, self.apply)
        self._build_menus()
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self.people = PeopleTab(service, actor)
        self.people.changed.connect(self.apply)
        self.people.assessment_started.connect(self.open_wizard)
        self.people.install_shortcuts(self)
        self.tabs.addTab(self.people, _("评估对象"))
        self.my_work = MyWorkTab(service, actor)
        self.my_work.edit.connect(self.open_wizard)
        self.tabs.addTab(self.my_work, _("我的评估"))
        self.review_queue: ReviewQueueTab | None = None
        self.conflicts: ConflictsPanel | None = None
        if actor.role == Role.SUPERVISOR:
            self.review_queue = ReviewQueueTab(service, actor)
            self.review_queue.changed.connect(self.apply)
            self.tabs.addTab(self.review_queue, _("审核队列"))
            self.conflicts = ConflictsPanel(service, actor)
            self.conflicts.changed.connect(self.apply)
            self.tabs.addTab(self.conflicts, _("冲突"))
        self.due: DuePanel | None = None
        self.after = AfterDecisionPanel(service, actor)
        self.after.changed.connect(self.apply)
        self.tabs.addTab(self.after, _("结论后续"))
        self._follow_policy()

    def _follow_policy(self) -> None:
        """The city policy's parts of the shell: the form offered first, and the due list (which exists only
        under a policy), its tab added before 结论后续 once a city is chosen."""
        policy = self.service.queries.city_policy()
        self.people.policy_form = policy.form if policy is not None else None
        if policy is not None and self.due is None:
            self.due = DuePanel(self.service, self.actor)
            self.tabs.insertTab(self.tabs.indexOf(self.after), self.due, _("到期提醒"))

    def _build_menus(self) -> None:
        account = self.menuBar().addMenu(_("账户"))
        account.addAction(_("注销 / 切换用户…"), self.log_out.emit)
        menu = self.menuBar().addMenu(_("语言 / Language"))
        for code, label in LANGUAGES.items():
            action = QAction(label, self)
            action.setCheckable(True)
            action.setChecked(code == language())  # the menu shows which one is in use
            action.triggered.connect(lambda _c=False, c=code: self._switch_language(c))
            menu.addAction(action)
        if self.actor.role == Role.ADMIN:
            set_url = partial(ask_server_url, self, self.service, self.actor)
            self.menuBar().addMenu(_("同步")).addAction(_("同步服务器地址…"), set_url)
        if self.actor.role not in (Role.ASSESSOR, Role.SUPERVISOR):
            return
        self.sync.install(self.menuBar().addMenu(_("同步")))
        data = self.menuBar().addMenu(_("数据交换"))
        actions = [
            (_("导出数据包（交给办公室/评估员）…"), self.exchange.ask_export_bundle),
            (_("导入数据包…"), self.exchange.ask_import_bundle),
        ]
        if self.actor.role == Role.SUPERVISOR:
            actions.append((_("导出保险机构数据包…"), self.exchange.ask_export_insurer))
        for text, slot in actions:
            action = QAction(text, self)
            action.triggered.connect(slot)
            data.addAction(action)

    def apply(self, changes: Changes) -> None:
        """Refresh the views a mutation touched, and only those.

        A list is read again when rows may come, go or move (``list_changed``, ``status_changed``) or when a
        row it shows changed; the people list when people changed; the conflicts and the due list when theirs did;
        a newly chosen city policy brings its form and due list at once (no restart); the 结论后续 tab reads again
        when what follows a decision changed (a visit, a confirmation, 公示, an objection); an account change reads the
        views that show accounts (the queue's assessor filter, qualifications, 复评 candidates). No view shows the
        agency's keys (``keys_changed``): signing reads them when it runs.
        """
        touched = set(changes.assessment_ids)
        moved = changes.list_changed or changes.status_changed
        if changes.subject_ids:
            self.people.refresh()
        if touched and (moved or touched & shown_ids(self.my_work.work)):
            self.my_work.refresh()
        if self.review_queue is not None:
            if changes.users_changed:
                self.review_queue.fill_assessors()
            if touched and (moved or touched & shown_ids(self.review_queue.queue)):
                self.review_queue.refresh()
        if self.conflicts is not None and changes.conflicts_changed:
            self.conflicts.refresh()
        if changes.policy_changed:
            self._follow_policy()
        if self.due is not None and (changes.status_changed or changes.due_changed or changes.policy_changed):
            self.due.refresh()
        if moved or changes.due_changed or changes.policy_changed or changes.after_decision_changed:  # not per answer
            self.after.refresh()
        elif changes.users_changed:
            self.after.refresh_people()

    def open_wizard(self, aid: int) -> WizardWindow | None:
        """The assessment's wizard; one already open is brought forward (two would hold diverging answers).

        While a sync runs (in the background or by hand) the wizard waits for it, and opens on what its pull
        brought (None now): a pull must not change the record under the screen that shows it."""
        for wizard in self.wizards:
            if wizard.aid == aid and wizard.isVisible():
                wizard.raise_()
                wizard.activateWindow()
                return wizard
        if self.sync.running:
            self.sync.after_sync(lambda: self.open_wizard(aid), _("打开评估 {id}").format(id=aid))
            return None
        wizard = WizardWindow(self.service, self.actor, aid)
        wizard.changed.connect(self.apply)
        wizard.submitted.connect(self._submitted)
        self.wizards.append(wizard)
        wizard.show()
        return wizard

    def _submitted(self, aid: int) -> None:
        self.statusBar().showMessage(_("评估 {id} 已提交，等待审核").format(id=aid))

    def _switch_language(self, code: str) -> None:
        use_language(code)
        remember_language(code)
        self.language_changed.emit(code)
