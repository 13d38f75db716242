"""Build hook: the wheel carries forms/, resources/ and schemas/ as package data (``ltc_assess/_data``).

Why a hook: the repository keeps those folders at its root (people edit forms and translations there, and
the PyInstaller spec reads them there), while an installed wheel has only the package. ``ltc_assess.paths``
looks in ``_data`` first, then the repository root. Everything else is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_DIRS = ("forms", "policies", "resources", "schemas")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the repository folders in place
            return
        target = Path(self.build_lib) / "ltc_assess" / "_data"
        for name in DATA_DIRS:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(Path(name), target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})
