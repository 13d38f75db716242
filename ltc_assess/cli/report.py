"""``ltc-assess report ASSESSMENT_ID --out FILE.pdf --as USER``: the signed report (or a draft rendering)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.common import add_db_option, add_login_option, open_as
from ltc_assess.files import write_private
from ltc_assess.i18n import _
from ltc_assess.signing.attach import SUBMITTED_NAME, submitted_report
from ltc_assess.signing.pades import verify_pdf


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help=_("写出评估的 PDF 报告（有签名时已签名）"))
    p.add_argument("assessment_id", type=int)
    p.add_argument("--out", type=Path, required=True)
    add_login_option(p)
    add_db_option(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ltc_assess import access

    with open_as(args) as (service, actor):
        pdf = access.report(service, actor, args.assessment_id)
        signers, inner = [], []
        if service.signing_configured():
            roots = [service.root_certificate()]
            signers = [f"{c.signer}（{c.field}）" for c in verify_pdf(pdf, roots).signatures]
            submitted = submitted_report(pdf)
            if submitted is not None:
                inner = [f"{c.signer}（{c.field}）" for c in verify_pdf(submitted, roots).signatures]
    write_private(args.out, pdf)
    state = _("由 {signers} 签名").format(signers="、".join(signers)) if signers else _("无签名")
    if inner:
        state += _("；内含由 {signers} 签名的 {name}").format(name=SUBMITTED_NAME, signers="、".join(inner))
    print(_("报告已写入：{path}（{state}）").format(path=args.out, state=state))
    return 0
