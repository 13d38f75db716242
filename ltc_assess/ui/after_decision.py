"""The 结论后续 tab: the installation's city (admin), the on-site visit and care advice (assessors), expert
confirmation, and the conclusions with 公示, objection, 复评, care setting and 告知书.

Without a chosen city no policy applies (the flow stops at approval, as before policies existed): the tab then
says so and names the admin setting; the admin chooses the city here (``ltc-assess policies use CITY``).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ltc_assess.i18n import _
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.policies.registry import installed_policies
from ltc_assess.service import AssessmentService
from ltc_assess.storage.records import User
from ltc_assess.ui.conclusions import ConclusionsPage
from ltc_assess.ui.confirm_review import ConfirmPage, ReviewPage
from ltc_assess.ui.feedback import message_label, run_change
from ltc_assess.ui.onsite import OnSitePage
from ltc_assess.ui.qualifications import QualificationsPage
from ltc_assess.workflow import Role


class AfterDecisionPanel(QWidget):
    """Role-aware: admins choose the city and qualifications; assessors visit, advise, take 复评 and (experts)
    confirm; supervisors publish, record objections, take the care-setting signature and issue letters.

    Signals:
        changed: one of its pages recorded something. args: the service's ``Changes``
    """

    changed = Signal(object)

    def __init__(self, service: AssessmentService, actor: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lifecycle = Lifecycle(service)
        self.actor = actor
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.policy = QLabel()
        self.policy.setWordWrap(True)
        top.addWidget(self.policy, 1)
        self.city: QComboBox | None = None
        if actor.role == Role.ADMIN:
            self.city = QComboBox()
            for policy in sorted({p.city: p for p in installed_policies()}.values(), key=lambda p: p.city):
                self.city.addItem(_("{name}（{city}）").format(name=policy.name, city=policy.city), policy.city)
            use = QPushButton(_("设为本机构城市"))
            use.clicked.connect(self.use_city)
            top.addWidget(QLabel(_("城市政策")))
            top.addWidget(self.city)
            top.addWidget(use)
        layout.addLayout(top)
        self.message = message_label()
        layout.addWidget(self.message)
        self.pages = QTabWidget()
        layout.addWidget(self.pages, 1)
        self.staff: QualificationsPage | None = None
        if actor.role == Role.ADMIN:  # qualifications count once a city applies; set them before choosing
            self.staff = QualificationsPage(self.lifecycle, actor)
            self.staff.changed.connect(self.changed.emit)
            self.pages.addTab(self.staff, _("人员资格"))
        self.onsite: OnSitePage | None = None
        self.review: ReviewPage | None = None
        self.confirm: ConfirmPage | None = None
        self.conclusions: ConclusionsPage | None = None
        self.refresh()

    def _build_pages(self) -> None:
        """The pages of the actor's role, once a city is chosen."""
        built = self.onsite or self.review or self.confirm or self.conclusions
        if built is not None or self.lifecycle.service.queries.city_policy() is None:
            return
        if self.actor.role == Role.ASSESSOR:
            self.onsite = OnSitePage(self.lifecycle, self.actor)
            self._add(self.onsite, _("现场评估与照护建议"))
            self.review = ReviewPage(self.lifecycle, self.actor)
            self._add(self.review, _("复评"))
        if self.actor.role in (Role.ASSESSOR, Role.SUPERVISOR) and self.actor.qualification == "expert":
            self.confirm = ConfirmPage(self.lifecycle, self.actor)
            self._add(self.confirm, _("专家确认"))
        if self.actor.role == Role.SUPERVISOR:
            self.conclusions = ConclusionsPage(self.lifecycle, self.actor)
            self._add(self.conclusions, _("结论、公示与异议"))

    def _add(self, page: OnSitePage | ReviewPage | ConfirmPage | ConclusionsPage, title: str) -> None:
        page.changed.connect(self.changed.emit)
        self.pages.addTab(page, title)

    def refresh(self) -> None:
        policy = self.lifecycle.service.queries.city_policy()
        if policy is None:
            self.policy.setText(
                _("尚未选择本机构所在城市，不适用城市政策：请管理员在此选择（ltc-assess policies use CITY）")
            )
        else:
            flag = "" if policy.verified else _("（未核实）")
            self.policy.setText(_("城市政策：{name} {ref}{flag}").format(name=policy.name, ref=policy.ref, flag=flag))
            if self.city is not None:
                self.city.setCurrentIndex(self.city.findData(policy.city))
        self._build_pages()
        for page in (self.staff, self.onsite, self.review, self.confirm, self.conclusions):
            if page is not None:
                page.refresh()

    def refresh_people(self) -> None:
        """The pages that show people (qualifications, who may take a 复评), after an account changed."""
        for page in (self.staff, self.review):
            if page is not None:
                page.refresh()

    def use_city(self) -> None:
        """The admin's city; the service's ``policy_changed`` makes the shell read this tab (and the form offered
        first, the due list) again."""
        city = self.city.currentData() if self.city is not None else None
        if city is not None:
            done = _("已设为本机构城市，新的结论按此政策作出")
            run_change(self.message, lambda: self.lifecycle.use_city(self.actor, city)[1], done, self.changed.emit)
