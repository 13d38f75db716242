"""``ltc-assess tasks``: visit tasks (派单). The office creates them on the server; assessors list the tasks their
last sync brought and start an assessment from one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from ltc_assess.cli.common import add_db_option, login, open_service, user_password
from ltc_assess.i18n import _

if TYPE_CHECKING:
    from ltc_assess.service import AssessmentService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tasks", help=_("上门任务：在服务器上派发，在笔记本电脑上列出和开始"))
    tsub = p.add_subparsers(dest="tasks_command", metavar="ACTION", required=True, parser_class=type(p))
    lp = tsub.add_parser("list", help=_("截至上次同步的我的任务"))
    lp.add_argument("--as", dest="user", required=True, metavar="USER")
    lp.add_argument("--json", action="store_true")
    add_db_option(lp)
    lp.set_defaults(func=_list)
    sp = tsub.add_parser("start", help=_("开始任务的评估（新人员会被登记）"))
    sp.add_argument("task")
    sp.add_argument("--as", dest="user", required=True, metavar="USER")
    add_db_option(sp)
    sp.set_defaults(func=_start)
    cp = tsub.add_parser("create", help=_("在服务器上派发上门任务（审核员或管理员）"))
    cp.add_argument("--server", required=True, metavar="URL")
    cp.add_argument("--as", dest="user", required=True, metavar="USER")
    cp.add_argument("--subject", required=True, metavar="ID_NUMBER", help=_("本数据库中登记的人员"))
    cp.add_argument("--form", required=True, metavar="FORM@VERSION")
    cp.add_argument("--a", dest="assessor_a", required=True, metavar="USER")
    cp.add_argument("--b", dest="assessor_b", metavar="USER")
    cp.add_argument("--expert", metavar="USER")
    cp.add_argument("--due", required=True, type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
    cp.add_argument("--note")
    add_db_option(cp)
    cp.set_defaults(func=_create)
    op = tsub.add_parser("status", help=_("服务器上的全部任务及其状态"))
    op.add_argument("--server", required=True, metavar="URL")
    op.add_argument("--as", dest="user", required=True, metavar="USER")
    add_db_option(op)
    op.set_defaults(func=_status)


def _list(args: argparse.Namespace) -> int:
    from ltc_assess.visits import my_tasks

    with open_service(args) as service:
        tasks = my_tasks(service, login(service, args.user))
    if args.json:
        print(json.dumps(tasks, ensure_ascii=False, indent=2))
    for t in [] if args.json else tasks:
        print(f"{t['uid']}  {t['due_date']}  {t['state']:<9}  {t['form_ref']:<18}  {t['person']['name']}")
    return 0


def _start(args: argparse.Namespace) -> int:
    from ltc_assess.visits import start_from_task

    with open_service(args) as service:
        record = start_from_task(service, login(service, args.user), args.task)
    print(_("评估 {id}（{uid}）已由任务 {task} 开始").format(id=record.id, uid=record.uid, task=args.task))
    return 0


def _office_call(args: argparse.Namespace, method: str, path: str, with_task: bool = False) -> Any:
    """Call the server as ``args.user`` (logged in here, session opened with their agency key)."""
    from ltc_assess.errors import AppError, ErrorCode
    from ltc_assess.sync_client import ServerClient

    with open_service(args) as service:
        secret = user_password(args.user)
        actor = service.login(args.user, secret)
        pair = service.keys.key_pair(actor.id)
        if pair is None:
            raise AppError(ErrorCode.SIGNATURE, _("{user} 没有签名证书").format(user=args.user))
        body = _task_body(service, args) if with_task else None
        root = service.root_certificate()
        client = ServerClient(args.server, root)
        try:
            client.login(actor.username, pair.cert_pem, pair.key_pem, secret, root)
            return client.call(method, path, json=body) if body else client.call(method, path)
        finally:
            client.close()


def _task_body(service: AssessmentService, args: argparse.Namespace) -> dict[str, object]:
    from ltc_assess.errors import AppError, ErrorCode

    subject = service.subjects.find("", args.subject)
    if subject is None:
        raise AppError(ErrorCode.NOT_FOUND, _("本数据库中没有身份证号为 {subject} 的人员").format(subject=args.subject))
    person = {k: getattr(subject, k) for k in ("uid", "name", "sex", "birth_date", "id_number")}
    person |= {k: getattr(subject, k) for k in ("phone", "district", "address") if getattr(subject, k)}
    return {
        "person": person,
        "form_ref": args.form,
        "assessor_a": args.assessor_a,
        "assessor_b": args.assessor_b,
        "expert": args.expert,
        "due_date": args.due.isoformat(),
        "note": args.note,
    }


def _create(args: argparse.Namespace) -> int:
    task = _office_call(args, "POST", "/api/v1/tasks", with_task=True)
    print(_("任务 {uid} 已派给 {assessor}，截止 {due}").format(uid=task["uid"], assessor=args.assessor_a, due=args.due))
    return 0


def _status(args: argparse.Namespace) -> int:
    for t in _office_call(args, "GET", "/api/v1/tasks"):
        print(f"{t['uid']}  {t['due_date']}  {t['state']:<10}  {t['assessor_a']:<10}  {t['person']['name']}")
    return 0
