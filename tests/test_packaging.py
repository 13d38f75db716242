"""What an installation needs besides the code: data in the wheel, found by ``paths``; the user's database upgraded.

The full check of the built artifacts (wheel in a fresh venv, PyInstaller bundle) is ``scripts/smoke-installed``;
these tests keep the pieces it relies on honest in the normal suite.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ltc_assess import paths
from ltc_assess.storage.migrations import migrations

REPO = Path(__file__).resolve().parent.parent
LEGACY = REPO / "tests" / "data" / "legacy_dbs"
FORMS = {"gbt42195-2022", "nhsa-ltc-2021", "mzt039-2013", "barthel"}


def _python(code: str, path: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter that imports ltc_assess from ``path`` only (not the checkout)."""
    environ = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "LTC_ASSESS_DB"}}
    environ.update(PYTHONPATH=str(path), PYTHONSAFEPATH="1", QT_QPA_PLATFORM="offscreen", **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=environ, timeout=300)


@pytest.mark.slow
def test_wheel_carries_forms_policies_resources_and_schemas(tmp_path: Path) -> None:
    """Test that the built wheel holds the data folders and that, unpacked away from the checkout, paths finds them."""
    # From a clean copy: an in-tree build reuses build/lib, where an earlier build's data folders would hide one
    # that setup.py no longer copies (policies/ was missing from the wheel and this test did not see it).
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "out", "build", "docs", "__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("ltc_assess-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("forms", "policies", "resources", "schemas"):
        for source in (REPO / folder).rglob("*"):
            if source.is_file() and "__pycache__" not in source.parts:
                assert f"ltc_assess/_data/{source.relative_to(REPO).as_posix()}" in names, source
    assert not any(n.startswith(("forms/", "policies/", "resources/", "schemas/", "tests/")) for n in names)

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "from ltc_assess import paths; from ltc_assess.schema.registry import installed_forms; "
        "print(paths.bundle_root()); print(paths.font_path().is_file(), paths.sans_font_path().is_file()); "
        "print(' '.join(sorted({f.form for f in installed_forms()}))); "
        "from ltc_assess.policies.registry import installed_policies; "
        "print(' '.join(sorted({p.city for p in installed_policies()})))"
    )
    done = _python(code, site, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root, fonts, forms, cities = done.stdout.splitlines()
    assert Path(root) == site / "ltc_assess" / "_data"
    assert fonts == "True True"
    assert set(forms.split()) == FORMS
    shipped = {p.name for p in (REPO / "policies").iterdir() if p.is_dir() and p.name != "advice"}
    assert set(cities.split()) == shipped  # an installed app knows every city (it knew none before)


def test_checkout_finds_the_repository_folders() -> None:
    """Test that a development checkout (no ``_data``) reads forms, fonts and translations in place."""
    assert not paths.PACKAGE_DATA.exists()
    assert paths.bundle_root() == REPO
    assert {p.name for p in paths.forms_dir().iterdir() if p.is_dir()} == FORMS
    for font in (paths.font_path(), paths.sans_font_path(), paths.icon_path()):
        assert font.is_file(), font


def test_bundled_fonts_have_truetype_outlines_and_allow_embedding() -> None:
    """Test that both fonts are TrueType (reportlab cannot embed CFF) and their licence lets PDFs embed them."""
    from fontTools.ttLib import TTFont

    for path in (paths.font_path(), paths.sans_font_path()):
        font = TTFont(str(path), lazy=True)
        assert "glyf" in font and "CFF " not in font, path
        assert font["OS/2"].fsType & 0x0002 == 0, path  # not "restricted licence embedding"
        assert "SIL Open Font License" in (font["name"].getDebugName(13) or ""), path
        assert len(font.getBestCmap()) > 7000, path  # GB 2312 and more
    assert "SIL OPEN FONT LICENSE Version 1.1" in (paths.resources_dir() / "fonts" / "OFL.txt").read_text("utf-8")


@pytest.mark.slow  # a subprocess per legacy database
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="redirects the per-user folder via XDG_DATA_HOME")
@pytest.mark.parametrize("legacy", sorted(LEGACY.glob("*.sqlite")), ids=lambda p: p.stem)
def test_new_version_upgrades_the_database_left_in_the_user_folder(tmp_path: Path, legacy: Path) -> None:
    """Test that a database an older release left in the per-user folder is found, migrated and kept on first start."""
    data_home = tmp_path / "data"
    user_db = data_home / "ltc-assess" / "ltc-assess.db"
    user_db.parent.mkdir(parents=True)
    shutil.copy(legacy, user_db)
    with sqlite3.connect(user_db) as conn:
        before = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    latest = [m.name for m in migrations._migrations]

    code = ("import sys; from ltc_assess.cli import main; "
            "sys.exit(main(['assessments', 'list', '--json', '--as', 'supervisor1']))")  # make_legacy_db's account
    done = _python(code, REPO, cwd=tmp_path, XDG_DATA_HOME=str(data_home), HOME=str(tmp_path),
                   LTC_ASSESS_PASSWORD="legacy-supervisor1")
    assert done.returncode == 0, done.stderr
    assert '"approved"' in done.stdout and '"draft"' in done.stdout  # the records are still there
    with sqlite3.connect(user_db) as conn:
        after = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert after == latest and after[: len(before)] == before
    assert [p.name for p in user_db.parent.iterdir() if p.suffix == ".db"] == ["ltc-assess.db"]
