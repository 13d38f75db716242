"""``ltc-assess letter ID --out F.pdf [--as SUPERVISOR]``: the 告知书 of an approved conclusion."""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.after_decision import lifecycle
from ltc_assess.cli.common import add_db_option, password
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("letter", help=_("写出已批准结论的告知书"))
    p.add_argument("assessment_id", type=int)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--as", dest="actor", required=True, metavar="USER", help=_("读取者；审核员会签署"))
    add_db_option(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ltc_assess.files import write_private
    from ltc_assess.workflow import Role

    with lifecycle(args) as (lc, actor):
        # a supervisor signs with the password just given (the environment's, or a second prompt)
        secret = (
            password(_("{username} 的签名密码：").format(username=args.actor))
            if actor.role == Role.SUPERVISOR
            else None
        )
        (pdf, signed), _changes = lc.letter_pdf(args.assessment_id, actor if secret else None, secret)
    write_private(args.out, pdf)
    written = _("告知书已写入：{path}（由 {actor} 签名）") if signed else _("告知书已写入：{path}（未签名）")
    print(written.format(path=args.out, actor=args.actor))
    return 0
