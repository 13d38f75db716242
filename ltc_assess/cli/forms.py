"""``ltc-assess forms list`` / ``forms check [PATH…]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ltc_assess.cli.file_check import check_files
from ltc_assess.i18n import _
from ltc_assess.schema.jsonschema import form_json_schema_text
from ltc_assess.schema.loader import load_form
from ltc_assess.schema.registry import check_placement, form_files, installed_forms


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("forms", help=_("列出已安装的表单；校验表单文件"))
    fsub = p.add_subparsers(dest="forms_command", metavar="ACTION", required=True, parser_class=type(p))
    lp = fsub.add_parser("list", help=_("列出已安装的表单版本"))
    lp.set_defaults(func=_list)
    cp = fsub.add_parser("check", help=_("校验表单文件（默认：全部已安装的表单）"))
    cp.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=_("表单文件或文件夹"))
    cp.set_defaults(func=_check)
    sp = fsub.add_parser("schema", help=_("输出表单文件的 JSON Schema（forms/schema.json）"))
    sp.set_defaults(func=_schema)


def _list(args: argparse.Namespace) -> int:
    for form in installed_forms():
        print(f"{form.ref:24} {form.status:11} {form.sha256[:12]}  {form.title.zh_CN}")
    return 0


def _check(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for path in args.paths or [None]:
        if path is None or path.is_dir():
            paths.extend(form_files(path))
        else:
            paths.append(path)

    def check(path: Path) -> str:
        form = load_form(path)
        if path.parent.parent.name == "forms" or not args.paths:
            check_placement(form, path)
        said = _("{ref}（{status}，{items} 项，sha256 {sha}）")
        return f"ok  {form.path}  " + said.format(
            ref=form.ref, status=form.status, items=len(form.items), sha=form.sha256[:12]
        )

    return check_files(paths, check, "form")


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(form_json_schema_text())
    return 0
