"""``ltc-assess advice show | set | choose``: the care advice (照护建议) and the care setting the person chose."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ltc_assess.cli.after_decision import acting, lifecycle, show_action
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.policies.model import SETTINGS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("advice", help=_("照护建议：查看、保存审阅后的文本、记录选定的照护方式"))
    asub = p.add_subparsers(dest="advice_command", metavar="ACTION", required=True, parser_class=type(p))
    show_action(asub, _("审阅后的建议，否则为根据结果生成的建议"), _show)
    tp = acting(asub.add_parser("set", help=_("保存审阅后的建议，每行一条（来自 --file 或标准输入）")))
    tp.add_argument("assessment_id", type=int)
    tp.add_argument("--file", type=Path, help=_("UTF-8 文本，每行一条建议（默认：标准输入）"))
    tp.set_defaults(func=_set)
    cp = acting(asub.add_parser("choose", help=_("本人或监护人确认照护方式（签名）")))
    cp.add_argument("assessment_id", type=int)
    cp.add_argument("--setting", required=True, choices=list(SETTINGS))
    cp.add_argument("--signer", required=True, help=_("确认人（本人或其监护人）"))
    cp.add_argument("--relation", help=_("签名人与本人的关系"))
    cp.add_argument("--signature", type=Path, required=True, help=_("手写签名（PNG）"))
    cp.set_defaults(func=_choose)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AppError(
            ErrorCode.INVALID, _("无法读取：{strerror}").format(strerror=exc.strerror), where=str(path)
        ) from None


def _show(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        print("\n".join(lc.care_advice(args.assessment_id)))
    return 0


def _set(args: argparse.Namespace) -> int:
    text = _read(args.file).decode("utf-8", "replace") if args.file else sys.stdin.read()
    with lifecycle(args) as (lc, actor):
        lc.save_care_advice(actor, args.assessment_id, text.splitlines())
    print(_("评估 {id} 的照护建议已保存").format(id=args.assessment_id))
    return 0


def _choose(args: argparse.Namespace) -> int:
    png = _read(args.signature)
    with lifecycle(args) as (lc, actor):
        lc.choose_care_setting(actor, args.assessment_id, args.setting, args.signer, png, args.relation)
    print(_("照护方式 {setting} 已由 {signer} 确认").format(setting=args.setting, signer=args.signer))
    return 0
