"""Run ``python -m ltc_assess`` in a real subprocess, as users and scripts do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(
    *args: str, stdin: str | None = None, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "ltc_assess", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)
