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


DEMO_PASSWORDS = {"admin": "demo-admin", "assessor1": "demo-assessor1", "assessor2": "demo-assessor2",
                  "assessor3": "demo-assessor3", "assessor4": "demo-assessor4",
                  "supervisor1": "demo-supervisor1", "supervisor2": "demo-supervisor2"}


def as_user(user: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A command that reads personal data, logged in as a demo user (README's passwords)."""
    return run(*args, "--as", user, env={"LTC_ASSESS_PASSWORD": DEMO_PASSWORDS[user]})
