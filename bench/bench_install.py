"""Installed size and cold start of the PyInstaller bundle, beside the wheel installed in a fresh venv.

Both are measured in the same run, interleaved, so that the machine's load hits both alike. Start times are
wall clock from launching the process to its exit, offscreen, in an empty folder:

- ``--version``: process start (bootloader or interpreter, the CLI parser);
- ``forms list``: plus the core's imports and the validation of the four form files;
- ``gui --screenshots``: plus Qt, the fonts and every main window on a fresh demo database (one run each).

The first run of each is reported apart ("first"): right after a build or install it is the closest to a
clerk's first start; the median of the following runs is the warm figure.

    .venv/bin/python bench/bench_install.py --bundle DIST/ltc-assess --venv VENV [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(command: list[str], cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(QT_QPA_PLATFORM="offscreen", LTC_ASSESS_DB=str(cwd / "none.db"))
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="the one-folder bundle (dist/ltc-assess)")
    parser.add_argument("--venv", type=Path, required=True, help="a fresh venv with the wheel installed")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.bundle, args.venv = args.bundle.resolve(), args.venv.resolve()  # runs happen in a temporary folder
    exe = ".exe" if sys.platform == "win32" else ""
    scripts = "Scripts" if sys.platform == "win32" else "bin"
    installs = {
        "bundle": [str(args.bundle / f"ltc-assess{exe}")],
        "wheel": [str(args.venv / scripts / f"ltc-assess{exe}")],
    }
    bundle_mb, venv_mb = size_mb(args.bundle), size_mb(args.venv)
    print(f"size on disk: bundle {bundle_mb:.0f} MB, wheel in a fresh venv {venv_mb:.0f} MB "
          f"-> {bundle_mb / venv_mb:.2f}x")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ltc-bench-") as tmp:
        work = Path(tmp)
        for what, runs in ((["--version"], args.runs), (["forms", "list"], args.runs), (["gui", "--screenshots"], 1)):
            times: dict[str, list[float]] = {name: [] for name in installs}
            for n in range(runs + (1 if runs > 1 else 0)):
                for name, command in installs.items():
                    extra = [str(work / f"shots-{name}-{n}")] if what[0] == "gui" else []
                    times[name].append(timed([*command, *what, *extra], work))
            line = []
            for name, samples in times.items():
                rest = f", then median {statistics.median(samples[1:]):.2f} s" if len(samples) > 1 else ""
                line.append(f"{name} first {samples[0]:.2f} s{rest}")
            ratio = statistics.median(times["bundle"]) / statistics.median(times["wheel"])
            print(f"{' '.join(what)}: {'; '.join(line)} -> bundle/wheel {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()
