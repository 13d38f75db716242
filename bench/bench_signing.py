"""PAdES B-LTA signing time per signature, as a ratio to plain B-B signing measured in the same run.

Target (issue 10, item 4): a B-LTA signature (signature timestamp from the in-process agency TSA, chain + CRL
in a DSS, document timestamp) <= 0.25 s. Also the submission + approval chain of three signatures as the
service makes it (assessor 1 B-LT, assessor 2 and supervisor B-LTA), per signature.

    .venv/bin/python bench/bench_signing.py [--samples 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
from collections.abc import Callable

from bench_report import sample_data, timed

from ltc_assess.pki import OWN_TSA_RESERVE
from ltc_assess.report.pdf import STAMP_BOXES, render
from ltc_assess.signing.crl import build_crl, load_crls
from ltc_assess.signing.keys import KeyPair, create_root, issue_tsa, issue_user
from ltc_assess.signing.ltv import Ltv
from ltc_assess.signing.pades import page_count, sign_pdf
from ltc_assess.signing.tsa import local_timestamper

PASS = "root-passphrase"
TARGET = 0.25


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10)
    args = ap.parse_args()
    now = dt.datetime.now(dt.UTC)
    root = create_root("基准机构", PASS, now)
    users = {
        role: issue_user(root, PASS, username=role, display_name=f"{role} 名", role=kind, password=f"{role}-pw",
                         now=now)
        for role, kind in (("assessor1", "assessor"), ("assessor2", "assessor"), ("supervisor", "supervisor"))
    }
    tsa = issue_tsa(root, PASS, name="基准 TSA", secret="tsa-secret-0123456789", now=now)
    ltv = Ltv(local_timestamper(tsa, "tsa-secret-0123456789", root.cert_pem), [root.cert_pem],
              load_crls(build_crl(root, PASS, [], number=1, now=now)), reserve=OWN_TSA_RESERVE)
    pdf = render(sample_data())
    last = page_count(pdf) - 1

    def sign(src: bytes, role: str, *, with_ltv: bool, closing: bool = True) -> bytes:
        pair: KeyPair = users[role]
        return sign_pdf(src, pair, f"{role}-pw", [root.cert_pem], field=role, box=STAMP_BOXES[role], page=last,
                        reason="基准", ltv=ltv if with_ltv else None, document_timestamp=closing)

    def chain() -> bytes:
        out = sign(pdf, "assessor1", with_ltv=True, closing=False)
        out = sign(out, "assessor2", with_ltv=True)
        return sign(out, "supervisor", with_ltv=True)

    def median(fn: Callable[[], object]) -> float:
        fn()  # stamp fonts, imports and pyHanko's caches outside the timing
        return statistics.median(timed(fn, args.samples))

    baseline = median(lambda: sign(pdf, "assessor1", with_ltv=False))
    blta = median(lambda: sign(pdf, "assessor1", with_ltv=True))
    three = median(chain) / 3
    size = len(chain()) - len(pdf)
    print(f"B-B signature (baseline):        median {baseline:.3f} s")
    print(f"B-LTA signature:                 median {blta:.3f} s = {blta / baseline:.2f}x baseline "
          f"(target <= {TARGET} s: {'met' if blta <= TARGET else 'NOT met'})")
    print(f"submission + approval, 3 sigs:   {three:.3f} s per signature = {three / baseline:.2f}x baseline "
          f"(target <= {TARGET} s: {'met' if three <= TARGET else 'NOT met'}); +{size / 1024:.0f} KB per report")


if __name__ == "__main__":
    main()
