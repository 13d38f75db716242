"""Validating data files from the command line (``forms check``, ``policies check``): one loop for both."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ltc_assess.errors import LtcError
from ltc_assess.i18n import _
from ltc_assess.schema.located import FormErrors


def check_files(paths: list[Path], check: Callable[[Path], str], kind: str) -> int:
    """Check every file with ``check`` (which returns its "ok" line), print each located error on its own line
    and go on; exit code 2 when any file failed or there was none."""
    if not paths:
        print("ltc-assess: error: " + (_("未找到表单文件") if kind == "form" else _("未找到政策文件")), file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            ok = check(path)
        except FormErrors as exc:
            failed += 1
            for line in exc.lines:
                print(f"ltc-assess: error: {line}", file=sys.stderr)
            continue
        except LtcError as exc:
            failed += 1
            print(f"ltc-assess: error: {exc}", file=sys.stderr)
            continue
        print(ok)
    return 2 if failed else 0
