"""``ltc-assess`` (no command) and ``ltc-assess gui``: the desktop app; ``--screenshots DIR`` renders screens."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ltc_assess.cli.common import add_db_option, db_path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gui", help="open the desktop app (or render its screens with --screenshots)")
    p.add_argument("--screenshots", type=Path, metavar="DIR", help="render the main screens to PNG and exit")
    p.add_argument("--lang", choices=["zh_CN", "en"], default="zh_CN")
    add_db_option(p)
    p.set_defaults(func=run_gui)


def _platform_fallback() -> None:
    # With no display (a server, CI), Qt would abort; offscreen still renders.
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run_gui(args: argparse.Namespace) -> int:
    _platform_fallback()
    screenshots = getattr(args, "screenshots", None)
    if screenshots:
        from ltc_assess.ui.screenshots import render_screenshots

        for shot in render_screenshots(screenshots, db_path(args), getattr(args, "lang", "zh_CN")):
            print(shot)
        return 0
    from ltc_assess.ui.app import main

    return main(db_path(args), getattr(args, "lang", "zh_CN"))
