"""``ltc-assess policies list | check [PATH…] | show CITY | use CITY --as ADMIN``: city policies as data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ltc_assess.cli.after_decision import acting, lifecycle
from ltc_assess.cli.file_check import check_files
from ltc_assess.i18n import _
from ltc_assess.policies.advice import advice_files, load_advice
from ltc_assess.policies.model import SETTINGS, Policy
from ltc_assess.policies.registry import get_policy, installed_policies, load_policy, policy_files


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("policies", help=_("城市政策：列出、校验、查看；选择本安装所在城市"))
    psub = p.add_subparsers(dest="policies_command", metavar="ACTION", required=True, parser_class=type(p))
    psub.add_parser("list", help=_("已安装的城市政策版本")).set_defaults(func=_list)
    cp = psub.add_parser("check", help=_("校验政策和照护建议文件（默认：全部已安装的）"))
    cp.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=_("政策文件或文件夹"))
    cp.set_defaults(func=_check)
    sp = psub.add_parser("show", help=_("一个城市的规则和待遇（最新版本，或 CITY@N）"))
    sp.add_argument("city")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_show)
    up = acting(psub.add_parser("use", help=_("选择本安装所在城市（管理员）")), "ADMIN")
    up.add_argument("city")
    up.set_defaults(func=_use)
    curp = psub.add_parser("current", help=_("本安装适用的政策"))
    acting(curp)
    curp.set_defaults(func=_current)


def _flag(verified: bool) -> str:
    return _("已核实") if verified else _("未核实")


def _list(args: argparse.Namespace) -> int:
    for p in installed_policies():
        print(f"{p.ref:16} {p.form:20} {_flag(p.verified):4} {p.sha256[:12]}  {p.name}")
    return 0


def _check(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for path in args.paths or [None]:
        paths.extend(policy_files(path) + advice_files(path) if path is None or path.is_dir() else [path])

    def check(path: Path) -> str:
        if path.parent.name == "advice":
            advice = load_advice(path)
            rules = len(advice.dimensions) + len(advice.items)
            return f"ok  {path}  " + _("{form} 的照护建议（{rules} 条规则）").format(form=advice.form, rules=rules)
        policy = load_policy(path, placed=path.parent.parent.name == "policies" or not args.paths)
        said = _("{ref}（{benefits} 项待遇，{verified}）")
        return f"ok  {policy.path}  " + said.format(
            ref=policy.ref, benefits=len(policy.benefits), verified=_flag(policy.verified)
        )

    return check_files(paths, check, "policy")


def describe(policy: Policy) -> list[str]:
    """The policy as lines a person reads (every unverified amount says so)."""
    o = policy.onsite
    lines = [
        f"{policy.name} {policy.ref} [{_flag(policy.verified)}]  sha256 {policy.sha256[:12]}",
        _("评估表：{form}").format(form=policy.form) + (f"（{policy.form_note}）" if policy.form_note else ""),
        _("享受待遇等级：{levels}").format(levels=", ".join(map(str, policy.eligible_levels))),
        _("公示 {days} 天；异议期：公示结束后 {objection} 天内").format(
            days=policy.publicity_days, objection=policy.objection.days
        ),
        _("有效期（月）：{months}").format(months=", ".join(f"{k}: {v}" for k, v in policy.validity_months.items())),
        _("重新申请间隔：至少 {months} 个月").format(months=policy.reapply_min_months),
        _("现场评估：至少 {people} 人，其中评估专家至少 {experts} 名；结论须 {confirm} 名专家确认").format(
            people=o.min_people, experts=o.min_experts, confirm=o.expert_confirmations
        ),
    ]
    for b in policy.benefits:
        amounts = "; ".join(f"{level}: {b.label(level)}" for level in b.amounts)
        cond = f"（{b.conditions}）" if b.conditions else ""
        lines.append(f"  [{_(SETTINGS[b.setting])}] {b.name}{cond}: {amounts}")
    if not policy.benefits:
        lines.append("  " + _("未收录待遇标准"))
    source = _("来源")
    lines += [f"  {source}: {s.title}" + (f" <{s.url}>" if s.url else "") for s in policy.sources]
    return lines


def _show(args: argparse.Namespace) -> int:
    policy = get_policy(args.city)
    if args.json:
        print(
            json.dumps(
                {"ref": policy.ref, "sha256": policy.sha256, **policy.model_dump(mode="json")},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print("\n".join(describe(policy)))
    return 0


def _use(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        policy, _changes = lc.use_city(actor, args.city)
    print(_("本机现在执行 {ref}（{name}）").format(ref=policy.ref, name=policy.name))
    return 0


def _current(args: argparse.Namespace) -> int:
    with lifecycle(args) as (lc, actor):
        print("\n".join(describe(lc.policy())))
    return 0
