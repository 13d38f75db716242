"""``ltc-assess verify FILE.pdf [--trust ROOT.pem]``: check every signature of a report, offline.

Exit 0 only when every signature is intact and trusted and nothing was added after the last one;
1 when any check fails; 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ltc_assess.cli.common import add_db_option, db_path, open_service, untrusted_file
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.signing.pades import verify_pdf


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("verify", help="verify the signatures of a report PDF")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--trust",
        type=Path,
        action="append",
        help="root certificate(s) to trust (default: this installation's root, if any)",
    )
    add_db_option(p)
    p.set_defaults(func=_run)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AppError(ErrorCode.INVALID, f"cannot read {path}: {exc.strerror}") from None


def _roots(args: argparse.Namespace) -> tuple[list[bytes], str]:
    if args.trust:
        return [_read(p) for p in args.trust], ", ".join(str(p) for p in args.trust)
    if db_path(args).exists():
        service = open_service(args)
        try:
            if service.signing_configured():
                return [service.root_certificate()], f"the root of {db_path(args)}"
        except AppError as exc:
            if exc.code != ErrorCode.AUTH:
                raise
            return [], f"nothing: {db_path(args)} is encrypted (give --trust ROOT.pem)"
        finally:
            service.close()
    return [], "nothing (give --trust ROOT.pem)"


def _run(args: argparse.Namespace) -> int:
    data = _read(args.file)
    if not data.startswith(b"%PDF"):
        raise AppError(ErrorCode.INVALID, f"{args.file} is not a PDF file")
    roots, trusted = _roots(args)
    with untrusted_file(args.file):
        verdict = verify_pdf(data, roots)
    print(f"{args.file}: {len(verdict.signatures)} signature(s), trusting {trusted}")
    for n, c in enumerate(verdict.signatures, 1):
        print(
            f"  {n}. {c.field}: {c.signer} ({c.role}, {c.username}) at {c.signed_at} — "
            f"intact {'yes' if c.intact else 'NO'}, trusted {'yes' if c.trusted else 'NO'}, "
            f"{'whole file' if c.covers_whole_file else 'earlier revision'}, changes after: {c.modification}"
        )
    for problem in verdict.problems:
        print(f"  problem: {problem}")
    print("VALID" if verdict.ok else "NOT VALID")
    return 0 if verdict.ok else 1
