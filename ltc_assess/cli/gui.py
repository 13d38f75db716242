"""``ltc-assess`` (no command) and ``ltc-assess gui``: the desktop app; ``--screenshots DIR`` renders screens."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ltc_assess.cli.common import add_db_option, db_path
from ltc_assess.i18n import _


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gui", help=_("打开桌面应用（或用 --screenshots 渲染其界面）"))
    p.add_argument("--screenshots", type=Path, metavar="DIR", help=_("将主要界面渲染为 PNG 后退出"))
    p.add_argument("--lang", choices=["zh_CN", "en"], help=_("界面语言（默认：上次在应用中选择的语言）"))
    add_db_option(p)
    p.set_defaults(func=run_gui)


def _headless() -> bool:
    """No screen to show windows on (a server or CI) and no Qt platform chosen explicitly."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    )


def run_gui(args: argparse.Namespace) -> int:
    screenshots = getattr(args, "screenshots", None)
    if _headless():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # renders without a screen; Qt would abort otherwise
        if not screenshots:
            # A window nobody can see would wait forever: prepare the demo and say how to look at the app.
            path = db_path(args)
            if not path.exists():
                from ltc_assess.demo import create_demo

                create_demo(str(path))
                print(_("已创建演示数据库：{path}").format(path=path))
            print(
                _(
                    "未找到显示器。请在有显示器的环境中运行桌面应用（例如 `xvfb-run ./scripts/run` 或在桌面上），"
                    "用 `ltc-assess gui --screenshots DIR` 渲染其界面，或使用命令行（`ltc-assess --help`）。"
                )
            )
            return 0
    if screenshots:
        from ltc_assess.ui.screenshots import render_screenshots

        for shot in render_screenshots(screenshots, db_path(args), getattr(args, "lang", None) or "zh_CN"):
            print(shot)
        return 0
    from ltc_assess.ui.app import main

    return main(db_path(args), getattr(args, "lang", None))
