"""Smoke test of an installed ltc-assess: the checks a clerk's first day would hit, run against one executable.

    python scripts/smoke_check.py LABEL EXECUTABLE [ARG...]

EXECUTABLE [ARG...] is how the installed app is started (the frozen ``dist/ltc-assess/ltc-assess`` or a
fresh venv's ``bin/ltc-assess``). Every run happens in an empty temporary folder with a private per-user data
folder, so nothing from the source checkout or the developer's own database can help it pass. Uses only the
standard library and poppler's ``pdffonts``; prints one line per check and exits 1 on the first failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMS = {"gbt42195-2022", "nhsa-ltc-2021", "mzt039-2013", "barthel"}
LEGACY = ROOT / "tests" / "data" / "legacy_dbs"


class SmokeFailure(Exception):
    pass


class Runner:
    def __init__(self, label: str, command: list[str], work: Path) -> None:
        self.label, self.command, self.work = label, command, work
        home = work / "home"
        self.env = {
            key: value for key, value in os.environ.items() if key not in {"LTC_ASSESS_DB", "PYTHONPATH", "VIRTUAL_ENV"}
        }
        self.env.update(
            QT_QPA_PLATFORM="offscreen",
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),  # platformdirs' per-user data folder on Linux
            XDG_CONFIG_HOME=str(home / "config"),  # QSettings (the remembered language)
        )

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        started = time.perf_counter()
        done = subprocess.run(
            [*self.command, *args], cwd=self.work, env={**self.env, **(env or {})}, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SmokeFailure(f"`{' '.join(args)}` exited {done.returncode}: {done.stderr.strip()[-600:]}")
        print(f"  ok  {self.label}: {' '.join(args)} ({time.perf_counter() - started:.1f} s)", flush=True)
        return done.stdout

    def user_db(self) -> Path | None:
        """Where the app keeps the database when neither --db nor $LTC_ASSESS_DB says otherwise.

        None off Linux: there platformdirs asks the OS for the folder (not the environment), which would be the
        real user's database.
        """
        if not sys.platform.startswith("linux"):
            return None
        return Path(self.env["XDG_DATA_HOME"]) / "ltc-assess" / "ltc-assess.db"


def check(runner: Runner) -> None:
    work = runner.work
    version = re.search(r'__version__ = "(.+)"', (ROOT / "ltc_assess" / "__init__.py").read_text(encoding="utf-8"))
    out = runner.run("--version")
    if not version or out.strip() != f"ltc-assess {version[1]}":
        raise SmokeFailure(f"--version printed {out.strip()!r}")

    listed = runner.run("forms", "list")
    found = {line.split()[0].split("@")[0] for line in listed.splitlines() if line.strip()}
    if not FORMS <= found:
        raise SmokeFailure(f"forms list lacks {sorted(FORMS - found)}: {listed!r}")

    shutil.copy(ROOT / "examples" / "case.json", work / "case.json")
    result = json.loads(runner.run("score", "case.json"))
    if not result.get("final_level"):
        raise SmokeFailure(f"score gave no final level: {result}")

    db = work / "demo" / "demo.db"
    db.parent.mkdir()
    runner.run("demo", "--db", str(db))
    supervisor = {"LTC_ASSESS_PASSWORD": "demo-supervisor1"}  # the demo database is encrypted: log in to read it
    approved = json.loads(
        runner.run("assessments", "list", "--status", "approved", "--json", "--db", str(db), "--as", "supervisor1",
                   env=supervisor)
    )
    if not approved:
        raise SmokeFailure("the demo database has no approved assessment")
    pdf = work / "report.pdf"
    login = ("--as", "supervisor1")
    runner.run("report", str(approved[0]["id"]), "--db", str(db), "--out", str(pdf), *login, env=supervisor)
    runner.run("keys", "root", "--db", str(db), "--out", str(work / "root.pem"), *login, env=supervisor)
    verdict = runner.run("verify", str(pdf), "--trust", str(work / "root.pem"))
    if "VALID" not in verdict.split():
        raise SmokeFailure(f"verify did not say VALID: {verdict}")
    check_fonts(runner.label, pdf)

    shots = work / "shots"
    runner.run("gui", "--screenshots", str(shots))
    pngs = sorted(shots.glob("*.png"))
    if len(pngs) < 6 or any(p.stat().st_size < 2000 for p in pngs):
        raise SmokeFailure(f"gui --screenshots made {len(pngs)} PNGs: {[p.name for p in pngs]}")

    upgrade(runner, latest=_latest())


def check_fonts(label: str, pdf: Path) -> None:
    """Every font in the report is an embedded subset of a bundled Noto face (poppler's pdffonts)."""
    if shutil.which("pdffonts") is None:
        print(f"  --  {label}: report fonts not checked (poppler's pdffonts not on PATH)")
        return
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    if not rows or not all(re.search(r"\byes yes yes\b", row) and "Noto" in row for row in rows):
        raise SmokeFailure(f"report fonts not all embedded subsets of the bundled fonts:\n{fonts}")
    print(f"  ok  {label}: report fonts embedded ({len(rows)} subsets)")


def upgrade(runner: Runner, latest: list[str]) -> None:
    """A database left by an older release in the per-user folder is kept and migrated on the first start.

    ``latest``: the migrations a new database gets from this build.
    """
    target = runner.user_db()
    if target is None:
        print(f"  --  {runner.label}: upgrade check skipped (per-user folder cannot be redirected on {sys.platform})")
        return
    if target.exists():
        raise SmokeFailure(f"{target} exists: refusing to overwrite a database")
    for legacy in sorted(LEGACY.glob("*.sqlite")):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(legacy, target)
        before = _applied(target)
        legacy_login = ("--as", "supervisor1")  # tests/data/legacy_dbs/make_legacy_db.py's accounts
        password = {"LTC_ASSESS_PASSWORD": "legacy-supervisor1"}
        # no --db: the per-user database
        listed = json.loads(runner.run("assessments", "list", "--json", *legacy_login, env=password))
        runner.run("db", "check", *legacy_login, env=password)
        after = _applied(target)
        if after != latest:
            raise SmokeFailure(f"{legacy.name}: not migrated to {latest[-1]} ({before} -> {after})")
        if sorted(r["status"] for r in listed) != ["approved", "draft"]:
            raise SmokeFailure(f"{legacy.name}: records lost in the upgrade: {listed}")
        print(f"  ok  {runner.label}: {legacy.name} upgraded in place {before[-1]} -> {after[-1]}, records kept")
        target.unlink()


def _latest() -> list[str]:
    """The migrations a new database gets from this source tree."""
    from sqlite_utils import Database

    from ltc_assess.storage.migrations import apply_migrations

    return apply_migrations(Database(memory=True))


def _applied(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    label, command = argv[0], argv[1:]
    if Path(command[0]).exists():  # runs happen in a temporary folder
        command[0] = str(Path(command[0]).resolve())
    with tempfile.TemporaryDirectory(prefix="ltc-smoke-") as tmp:
        try:
            check(Runner(label, command, Path(tmp)))
        except SmokeFailure as failure:
            print(f"FAIL {label}: {failure}", file=sys.stderr)
            return 1
    print(f"PASS {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
