"""Demo database: clearly fictitious people, demo accounts, and assessments in every state on every form.

Everything goes through the service, exactly as a user's actions would, so the demo also exercises the
workflow and the audit chain. Names are marked 示例 (sample) and ID numbers use a 99xxxx region code that
no real region has, with valid check digits.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from ltc_assess.i18n import _
from ltc_assess.idnumber import check_digit
from ltc_assess.schema.model import (
    DateItem,
    FormDef,
    MultiChoiceItem,
    NumberItem,
    SingleChoiceItem,
    TextItem,
)
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.session import FormSession
from ltc_assess.storage.records import User

# Documented in README: demo accounts and their passwords.
DEMO_USERS = (
    ("admin", "管理员（示例）", "admin", "demo-admin"),
    ("assessor1", "张评估（示例）", "assessor", "demo-assessor1"),
    ("assessor2", "李评估（示例）", "assessor", "demo-assessor2"),
    ("assessor3", "孙专家（示例）", "assessor", "demo-assessor3"),
    ("assessor4", "周评估（示例）", "assessor", "demo-assessor4"),
    ("supervisor1", "王主管（示例）", "supervisor", "demo-supervisor1"),
    ("supervisor2", "赵主管（示例）", "supervisor", "demo-supervisor2"),
)

DEMO_AGENCY = "示例长护评估中心"
DEMO_ROOT_PASSPHRASE = "demo-root-passphrase"
PASSWORDS = {username: password for username, _, _, password in DEMO_USERS}
SIGNERS = {"assessor1": PASSWORDS["assessor1"], "assessor2": PASSWORDS["assessor2"]}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = (
    ("秀英", "female"),
    ("桂兰", "female"),
    ("玉兰", "female"),
    ("建国", "male"),
    ("淑珍", "female"),
    ("德华", "male"),
    ("凤英", "female"),
    ("志强", "male"),
    ("国华", "male"),
    ("翠花", "female"),
    ("文明", "male"),
    ("素芬", "female"),
)
_DISTRICTS = ("示例一区", "示例二区", "示例三区")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    subjects: int
    assessments: dict[str, int]


def signature_png(seed: int, width: int = 240, height: int = 80) -> bytes:
    """A small black-on-white scribble PNG standing in for a handwritten signature."""
    rng = random.Random(seed)
    pixels = [[255] * width for _row in range(height)]
    x, y = 10.0, height / 2
    for _step in range(900):
        x = min(width - 3, x + rng.uniform(0.0, 0.5))
        y = min(height - 3, max(2, y + rng.uniform(-2.5, 2.5)))
        for dx in (0, 1):
            for dy in (0, 1):
                pixels[int(y) + dy][int(x) + dx] = 0
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _id_number(rng: random.Random, birth: dt.date, sex: str) -> str:
    sequence = rng.randint(0, 499) * 2 + (sex == "male")  # the 17th digit is odd for men (GB 11643)
    first17 = f"99{rng.randint(0, 9999):04d}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def _filler(item: Any, rng: random.Random, date: str) -> Any:
    """A plausible value for a required item the demo has not set."""
    if isinstance(item, SingleChoiceItem):
        return item.choices[0].value
    if isinstance(item, MultiChoiceItem):  # required lists are level rules' inputs (A.4.1): 无
        return next(([c.value] for c in item.choices if c.exclusive), [])
    if isinstance(item, NumberItem):
        return int(item.min or 0) + 10
    if isinstance(item, DateItem):
        return date
    if isinstance(item, TextItem):
        return "示例" if not item.pattern else "13800000000"
    return None


def _answers(form: FormDef, rng: random.Random, ability: float) -> dict[str, Any]:
    """Scored answers around an ability level (0 = most dependent, 1 = fully able)."""
    answers: dict[str, Any] = {}
    for dim in form.scoring.dimensions:
        for item_id in dim.items:
            item = form.items[item_id]
            assert isinstance(item, SingleChoiceItem)
            values = sorted(int(c.value) for c in item.choices)
            if dim.direction == "higher_worse":
                values.reverse()
            pos = min(len(values) - 1, max(0, round(ability * (len(values) - 1) + rng.uniform(-0.8, 0.8))))
            answers[item_id] = values[pos]
    if "A.5.11" in form.items:
        answers["A.5.11"] = 0
    if "B.3.1" in form.items and form.form == "mzt039-2013":
        answers["B.3.1"] = 0 if ability > 0.3 else 1
    return answers


def _fill(service: AssessmentService, actor: User, aid: int, form: FormDef, rng: random.Random, ability: float) -> None:
    record = service.assessment(aid)
    for item_id, value in _answers(form, rng, ability).items():
        service.save_answer(actor, aid, item_id, value)
    if ability < 0.4 and "A.4.1" in form.items:
        service.save_answer(actor, aid, "A.4.1", ["F00-F03", "I10-I15"])
    if ability < 0.5 and "A.2.14.1" in form.items:
        service.save_answer(actor, aid, "A.2.14.1", 1)
    session = FormSession(form, service.assessment(aid).answers)
    for issue in session.validate():
        value = _filler(form.items[issue.item_id], rng, record.assessment_date)
        if value is not None:
            service.save_answer(actor, aid, issue.item_id, value)
    for n, role in enumerate(("assessor1", "assessor2", "informant")):
        service.save_signature(actor, aid, role, signature_png(aid * 10 + n))


# 评估员 / 评估专家 (the on-site protocol of a city policy): two pairs with an expert each, so that a 复评 can go to
# people who took no part in the original; the supervisors are experts who confirm conclusions.
DEMO_QUALIFICATIONS = {
    "assessor1": "assessor",
    "assessor2": "expert",
    "assessor3": "expert",
    "assessor4": "assessor",
    "supervisor1": "expert",
    "supervisor2": "expert",
}


def _qualify(service: AssessmentService, admin: User) -> None:
    for username, kind in DEMO_QUALIFICATIONS.items():
        service.set_qualification(admin, username, kind)


def build_demo(service: AssessmentService, today: dt.date, seed: int = 2026) -> DemoSummary:
    """Populate an empty database with demo users, subjects and assessments."""
    rng = random.Random(seed)
    users: dict[str, User] = {}
    for username, name, role, password in DEMO_USERS:
        if role == "admin":
            users[username], _changes = service.create_first_admin(username, name, password)
        else:
            users[username], _changes = service.add_user(users["admin"], username, name, role, password)
    service.init_root(users["admin"], DEMO_AGENCY, DEMO_ROOT_PASSPHRASE)
    service.set_agency(users["admin"], code="DEMO-990001")  # fictitious, like everything in the demo
    for n, username in enumerate(("assessor1", "assessor2", "assessor3", "assessor4"), 1):
        service.set_qualification_no(users["admin"], username, f"示例资格-{n:04d}")
    _qualify(service, users["admin"])
    for username, _name, role, password in DEMO_USERS:
        if role != "admin":
            service.issue_certificate(users["admin"], username, DEMO_ROOT_PASSPHRASE, password)
    a1, a2 = users["assessor1"], users["assessor2"]
    sup1, sup2 = users["supervisor1"], users["supervisor2"]

    subjects = []
    for n in range(12):
        birth = dt.date(1930 + rng.randint(0, 22), rng.randint(1, 12), rng.randint(1, 28))
        given, sex = _GIVEN[n % len(_GIVEN)]
        name = f"{_SURNAMES[n % len(_SURNAMES)]}{given}（示例）"
        subject, _ = service.register_subject(
            a1,
            name=name,
            sex=sex,
            id_number=_id_number(rng, birth, sex),
            birth_date=birth.isoformat(),
            phone=f"1390000{n:04d}",
            district=_DISTRICTS[n % 3],
            address=f"{_DISTRICTS[n % 3]}示例路{n + 1}号",
            insurance_no=f"DEMO{n + 1:06d}",
        )
        subjects.append(subject)

    forms = ["gbt42195-2022", "nhsa-ltc-2021", "mzt039-2013", "barthel"]
    plan = [  # (form, target status, ability, days ago)
        *[(forms[i % 4], "approved", 0.15 + 0.2 * (i % 4), 200 - i * 10) for i in range(6)],
        *[(forms[i % 4], "submitted", 0.3 + 0.15 * i, 20 - i) for i in range(4)],
        (forms[0], "returned", 0.5, 12),
        (forms[1], "returned", 0.35, 11),
        *[(forms[i % 4], "draft", 0.6, 2) for i in range(4)],
        (forms[0], "superseded", 0.45, 300),
    ]
    for n, (form_id, target, ability, days_ago) in enumerate(plan):
        subject = subjects[n % len(subjects)]
        form = service.form(form_id)
        date = (today - dt.timedelta(days=days_ago)).isoformat()
        record, _ = service.start_assessment(
            a1,
            NewAssessment(
                subject_id=subject.id,
                form=form_id,
                reason="first" if days_ago > 100 else "routine",
                assessment_date=date,
                place=f"{subject.district}评估对象家中",
                assessor2_id=a2.id,
                informant_name="王小明（示例）",
                informant_relation="child",
            ),
        )
        if target == "draft":
            for item_id, value in list(_answers(form, rng, ability).items())[:5]:
                service.save_answer(a1, record.id, item_id, value)
            continue
        _fill(service, a1, record.id, form, rng, ability)
        service.submit(a1, record.id, SIGNERS)
        if target == "returned":
            service.return_for_correction(sup1, record.id, "请核对B.1.3洗澡一项：家属描述与评分不一致。", item_id=None)
        elif target in ("approved", "superseded"):
            if n % 3 == 0:
                proposed = service.assessment(record.id).proposed_level or 0
                service.decide_level(
                    sup1,
                    record.id,
                    min(proposed + 1, len(form.scoring.levels) - 1),
                    "现场观察到夜间照护需求明显高于评分所示（示例）",
                )
            service.approve(sup1, record.id, PASSWORDS["supervisor1"])
        if target == "superseded":
            correction, _ = service.amend(sup1, record.id, "信息提供者更正了跌倒次数（示例）")
            service.save_answer(a1, correction.id, "A.2.14.1", 2)
            service.submit(a1, correction.id, SIGNERS)
            service.approve(sup2, correction.id, PASSWORDS["supervisor2"])
    counts: dict[str, int] = {}
    for row in service.list_assessments():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return DemoSummary(subjects=len(subjects), assessments=counts)


def create_demo(path: str, today: dt.date | None = None) -> DemoSummary:
    """Create the demo database at ``path``; refuses a database that already holds data."""
    from ltc_assess.errors import AppError, ErrorCode

    service = AssessmentService(path)
    try:
        if service.has_users():
            raise AppError(ErrorCode.CONFLICT, _("{path} 中已有数据；请为演示另选 --db").format(path=path))
        return build_demo(service, today or dt.date.today())
    finally:
        service.close()
