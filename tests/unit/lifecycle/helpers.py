"""A city installation for lifecycle tests: 成都's policy, qualified staff, an NHSA assessment ready to submit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from world import PNG, World

from ltc_assess import bundle_seal
from ltc_assess.exchange.package import read_package, write_package
from ltc_assess.lifecycle import Lifecycle
from ltc_assess.service import AssessmentService, NewAssessment
from ltc_assess.signing.cms import sign_detached
from ltc_assess.signing.keys import KeyPair
from ltc_assess.storage.records import User


@dataclass
class City:
    world: World
    lc: Lifecycle
    e1: User  # an expert assessor (second assessor of the original)
    e2: User  # an expert supervisor who confirms (never on site)
    a4: User  # an assessor who took no part


def make_city(world: World, city: str = "chengdu") -> City:
    s = world.service
    lc = Lifecycle(s)
    lc.use_city(world.admin, city)
    s.add_user(world.admin, "e1", "专家一", "assessor", "e1-password")
    s.add_user(world.admin, "e2", "专家二", "supervisor", "e2-password")
    s.add_user(world.admin, "a4", "评估员四", "assessor", "a4-password")
    for user, kind in (("a1", "assessor"), ("a3", "assessor"), ("a4", "assessor"), ("e1", "expert"),
                       ("e2", "expert"), ("sup1", "expert"), ("sup2", "expert")):
        lc.set_qualification(world.admin, user, kind)
    reload = s.store.user_by_name
    return City(world, lc, reload("e1"), reload("e2"), reload("a4"))  # type: ignore[arg-type]


def nhsa_ready(c: City, assessor1: User, assessor2: User, adl: int = 0, reason: str = "first") -> int:
    """An NHSA 2021 assessment with every answer and handwritten signature (ADL all ``adl``, the rest 0)."""
    s = c.world.service
    record, _ = s.start_assessment(assessor1, NewAssessment(subject_id=c.world.subject.id, form="nhsa-ltc-2021",
                                                            reason=reason, assessor2_id=assessor2.id))
    return fill(c, assessor1, record.id, adl)


def fill(c: City, assessor1: User, aid: int, adl: int = 0, rest: int = 0) -> int:
    s = c.world.service
    for i in range(1, 11):
        s.save_answer(assessor1, aid, f"ADL.{i}", adl if i not in (3, 10) else 0)
    for item in ("COG.1", "COG.2", "COG.3", "COG.4", "SEN.1", "SEN.2", "SEN.3"):
        s.save_answer(assessor1, aid, item, rest)
    for role in ("assessor1", "assessor2", "informant"):
        s.save_signature(assessor1, aid, role, PNG)
    c.lc.save_care_advice(assessor1, aid, c.lc.care_advice(aid))  # reviewed as generated
    return aid


def visit(c: City, aid: int, *people: User) -> None:
    """Each of ``people`` checks in and out; the first records the identity check and the guardian."""
    for p in people:
        c.lc.check_in(p, aid, "成都市武侯区示例路1号")
        c.lc.check_out(p, aid, "成都市武侯区示例路1号")
    c.lc.record_checks(people[0], aid, identity_checked=True, guardian_present=True, guardian_name="王小明")


def decide(c: City, aid: int, approver: User, *experts: User) -> int:
    """Experts confirm the proposed level and ``approver`` approves; returns the level."""
    s = c.world.service
    level = s.assessment(aid).proposed_level
    assert level is not None
    for e in experts:
        c.lc.confirm(e, aid, level)
    s.approve(approver, aid)
    return level


def approved(c: City) -> int:
    """An NHSA assessment by a1 and e1, visited by both, submitted, confirmed by e1 and e2, approved by sup1."""
    w = c.world
    aid = nhsa_ready(c, w.a1, c.e1)
    visit(c, aid, w.a1, c.e1)
    w.service.submit(w.a1, aid)
    decide(c, aid, w.sup1, c.e1, c.e2)
    return aid


def rewritten(service: AssessmentService, genuine: Path, out: Path, change: Callable[[list[Any]], Any]) -> Path:
    """The genuine bundle with records.json changed by ``change``, signed again with a1's own key (an insider
    can sign a bundle; the signed records inside stay as their signers signed them)."""
    with bundle_seal.opened(service, genuine, 1 << 30) as inner:
        files = read_package(inner)
    meta = {k: v for k, v in json.loads(files["manifest.json"]).items() if k != "files"}
    records = json.loads(files["records.json"])
    change(records)
    a1 = service.store.user_by_name("a1")
    stored = service.store.user_key(a1.id) if a1 else None
    assert stored is not None
    write_package(
        out,
        {"records.json": json.dumps(records, ensure_ascii=False).encode()},
        meta | {"bundle_id": hashlib.md5(out.name.encode()).hexdigest()},
        lambda data: sign_detached(data, KeyPair(*stored), "a1-password", [service.root_certificate()]),
    )
    return out


def on_site(service: AssessmentService, uid: str) -> list[str]:
    """Usernames on the visit ``service`` holds for assessment ``uid``."""
    record = service.store.assessment_by_uid(uid)
    assert record is not None
    names = {u.id: u.username for u in service.users()}
    return sorted(names[p["user_id"]] for p in service.after_decision.visit_people(record.id))
