"""``ltc-assess bundle export --out FILE --as USER [--all]`` / ``bundle import FILE --as USER``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ltc_assess.bundles import BundleRefused, export_bundle, import_bundle
from ltc_assess.cli import EXIT_BAD_INPUT
from ltc_assess.cli.common import add_db_option, login, open_as, open_service, password
from ltc_assess.errors import LtcError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bundle", help="move work between laptops and the office (signed bundle files)")
    bsub = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True, parser_class=type(p))
    ep = bsub.add_parser("export", help="write a bundle of everything new or changed since the last bundle")
    ep.add_argument("--out", type=Path, required=True, help="bundle file (one file, encrypted to the agency)")
    ep.add_argument("--all", action="store_true", help="every assessment, not only changes")
    ep.add_argument("--as", dest="user", required=True, metavar="USER", help="who signs the bundle")
    add_db_option(ep)
    ep.set_defaults(func=_export)
    ip = bsub.add_parser("import", help="verify and apply a bundle (idempotent; conflicts are recorded)")
    ip.add_argument("file", type=Path)
    ip.add_argument("--as", dest="user", required=True, metavar="USER")
    add_db_option(ip)
    ip.set_defaults(func=_import)


def _export(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        actor = login(service, args.user)
        manifest = export_bundle(service, actor, password(f"password of {args.user}: "), args.out, args.all)
    print(f"bundle written: {args.out} ({manifest['counts']['assessments']} assessments)")
    return 0


def _import(args: argparse.Namespace) -> int:
    try:
        with open_as(args) as (service, actor):
            summary = import_bundle(service, actor, args.file)
            conflicts = service.queries.open_conflicts()
    except BundleRefused as refused:
        print(f"ltc-assess: error: {LtcError.__str__(refused)}", file=sys.stderr)
        for line in refused.refusals:
            print(f"ltc-assess: refused: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if summary.already_imported:
        print(f"{args.file}: already imported; nothing changed")
        return 0
    print(
        f"{args.file}: added {len(summary.added)}, updated {len(summary.updated)}, unchanged {len(summary.unchanged)}, "
        f"kept ours {len(summary.kept_ours)}, conflicts {len(summary.conflicts)}"
    )
    for c in conflicts:
        print(f"  conflict: assessment {c['assessment_uid']} (bundle {c['bundle_id'][:8]}, {c['detected_at']})")
    return 0
