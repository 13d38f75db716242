"""Render the main screens to PNG offscreen (``ltc-assess gui --screenshots DIR``), to look at them."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QWidget

from ltc_assess.demo import PASSWORDS, SIGNERS, create_demo
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.ui.app import load_font
from ltc_assess.ui.assessment_view import AssessmentViewDialog
from ltc_assess.ui.language import use_language
from ltc_assess.ui.login import LoginDialog
from ltc_assess.ui.main_window import MainWindow
from ltc_assess.ui.singletons import pin_singletons
from ltc_assess.ui.subject_dialog import SubjectDialog
from ltc_assess.ui.wizard.checklist import ChecklistDialog
from ltc_assess.ui.wizard.window import WizardWindow


def _save(widget: QWidget, out: Path, name: str) -> Path:
    widget.show()
    QApplication.processEvents()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    widget.close()
    return path


def _tab(service: AssessmentService, username: str, page: str) -> MainWindow:
    """``username``'s main window on the 结论后续 tab, showing its page ``page`` (an attribute of the panel)."""
    window = MainWindow(service, service.login(username, PASSWORDS[username]))
    window.resize(1200, 720)
    window.tabs.setCurrentWidget(window.after)
    window.after.pages.setCurrentWidget(getattr(window.after, page))
    return window


def _after_decision(service: AssessmentService, out: Path) -> list[Path]:
    """The 结论后续 pages under 成都's policy: the demo's returned NHSA assessment visited by assessor1 and
    assessor2 (an expert), resubmitted, confirmed by assessor2 and supervisor1, approved by supervisor2, objected to."""
    lc = Lifecycle(service)
    admin = service.login("admin", PASSWORDS["admin"])
    window = MainWindow(service, admin)
    window.resize(1200, 720)
    window.tabs.setCurrentWidget(window.after)
    window.after.city.setCurrentIndex(window.after.city.findData("chengdu"))  # type: ignore[union-attr]
    window.after.use_city()  # as the admin's button does, so the due tab appears at once
    shots = [_save(window, out, "10-after-decision-admin")]
    a1, a2 = service.login("assessor1", PASSWORDS["assessor1"]), service.login("assessor2", PASSWORDS["assessor2"])
    aid = next(r["id"] for r in service.my_work(a1, "returned") if r["form_id"] == "nhsa-ltc-2021")
    for person in (a1, a2):
        lc.check_in(person, aid, "成都市武侯区示例路12号")
        lc.check_out(person, aid, "成都市武侯区示例路12号")
    lc.record_checks(a1, aid, identity_checked=True, guardian_present=True, guardian_name="王小明（示例）")
    lc.save_care_advice(a1, aid, lc.care_advice(aid))
    onsite = _tab(service, "assessor1", "onsite")
    onsite.after.onsite.assessment.setCurrentIndex(onsite.after.onsite.assessment.findData(aid))  # type: ignore[union-attr]
    shots.append(_save(onsite, out, "11-onsite-and-advice"))
    service.submit(a1, aid, SIGNERS)
    level = service.assessment(aid).proposed_level or 0
    lc.confirm(a2, aid, level)
    shots.append(_save(_tab(service, "supervisor1", "confirm"), out, "12-expert-confirmation"))
    lc.confirm(service.login("supervisor1", PASSWORDS["supervisor1"]), aid, level)
    sup2 = service.login("supervisor2", PASSWORDS["supervisor2"])
    service.approve(sup2, aid, PASSWORDS["supervisor2"])
    today = service.now()[:10]
    lc.publish(sup2, today, today)
    lc.lodge_objection(sup2, aid, "王小明（示例，儿子）", "认为等级偏低（示例）")
    shots.append(_save(_tab(service, "supervisor2", "conclusions"), out, "13-conclusions-publicity-objection"))
    shots.append(_save(_tab(service, "assessor3", "review"), out, "14-review-by-others"))
    due = MainWindow(service, sup2)
    due.resize(1200, 720)
    assert due.due is not None
    due.tabs.setCurrentWidget(due.due)
    shots.append(_save(due, out, "15-due-list"))
    return shots


def render_screenshots(out: Path, db: Path | None = None, language: str = "zh_CN") -> list[Path]:
    """Screens on a copy of ``db`` (or a fresh demo database), so nothing real is changed."""
    pin_singletons()  # Qt started here, not by app.start()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    load_font(app)
    use_language(language)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shots.db"
        if db is not None and db.exists():
            from ltc_assess.storage.keyslots import slots_path

            shutil.copy(db, path)
            if slots_path(db).exists():  # an encrypted database opens only with its key slots
                shutil.copy(slots_path(db), slots_path(path))
        else:
            create_demo(str(path))
        service = AssessmentService(path)
        shots = [_save(LoginDialog(lambda: service), out, "01-login")]
        actor = service.login("assessor1", PASSWORDS["assessor1"])
        window = MainWindow(service, actor)
        window.resize(1200, 720)
        shots.append(_save(window, out, "02-register"))
        subject = service.search_subjects("")[-1]
        shots.append(_save(SubjectDialog(service, subject), out, "03-subject"))
        record, _ = service.start_assessment(
            actor, NewAssessment(subject_id=subject.id, form="gbt42195-2022", informant_name="王小明（示例）")
        )
        wizard = WizardWindow(service, actor, record.id)
        wizard.goto("B.1.1")
        wizard.editor.choose_index(1)  # type: ignore[union-attr]
        wizard.goto("B.1.2")
        shots.append(_save(wizard, out, "04-wizard-gbt"))
        nhsa, _ = service.start_assessment(actor, NewAssessment(subject_id=subject.id, form="nhsa-ltc-2021"))
        wizard_nhsa = WizardWindow(service, actor, nhsa.id)
        wizard_nhsa.goto("ADL.7")
        wizard_nhsa.editor.choose_index(1)  # type: ignore[union-attr]
        shots.append(_save(wizard_nhsa, out, "05-wizard-nhsa"))
        wizard.goto("SIG.assessor1")
        pad = wizard.editor.pad  # type: ignore[union-attr]
        for n in range(12):
            pad.draw_line(QPoint(20 + n * 25, 60 + (n % 3) * 12), QPoint(45 + n * 25, 50 + (n % 2) * 20))
        shots.append(_save(wizard, out, "06-signature"))
        shots.append(_save(ChecklistDialog(wizard), out, "07-submit-checklist"))
        window.tabs.setCurrentIndex(1)  # my work: every status, filterable
        shots.append(_save(window, out, "08-my-work"))
        approved = next(r["id"] for r in service.my_work(actor, "approved"))
        view = AssessmentViewDialog(service, actor, approved)
        view.tabs.setCurrentIndex(1)  # scores and explanation
        shots.append(_save(view, out, "09-read-only-view"))
        shots += _after_decision(service, out)
        for widget in (window, wizard, wizard_nhsa):
            widget.deleteLater()
        QApplication.processEvents()
        service.close()
    return shots
