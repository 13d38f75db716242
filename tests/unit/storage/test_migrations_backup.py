"""Schema migrations from empty and from released databases; online backup and restore."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from world import World, complete_barthel

from ltc_assess.service import AssessmentService
from ltc_assess.storage.db import connect
from ltc_assess.storage.keyslots import slots_path
from ltc_assess.storage.migrations import migrations, schema_version
from ltc_assess.workflow import Status

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy_dbs"


def test_empty_database_gets_every_migration(tmp_path: Path) -> None:
    """Test that a new file receives every step in order and records the schema version."""
    db = connect(tmp_path / "new.db")
    assert [m.name for m in migrations.applied(db)] == [m.name for m in migrations._migrations]
    assert schema_version(db) == migrations._migrations[-1].name
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL

def test_the_steps_register_in_order_whichever_era_is_imported_first() -> None:
    """Test that each era's module brings the earlier eras first: importing only the newest (or only the oldest)
    in a fresh interpreter still registers every step, in name order (the order they run in)."""
    import subprocess
    import sys

    code = (
        "import ltc_assess.storage.migrations.{era} as era; from ltc_assess.storage.migrations.runner import migrations;"
        " print(','.join(m.name for m in migrations._migrations))"
    )
    for era in ("city_policies_and_server", "initial"):
        proc = subprocess.run([sys.executable, "-c", code.format(era=era)], capture_output=True, text=True, timeout=60)
        names = proc.stdout.strip().split(",")
        assert names == sorted(names) == [m.name for m in migrations._migrations], proc.stderr



@pytest.mark.parametrize("legacy", sorted(LEGACY.glob("*.sqlite")), ids=lambda p: p.stem)
def test_legacy_database_upgrades_and_keeps_data(tmp_path: Path, legacy: Path) -> None:
    """Test that each released database upgrades cleanly, passes db check and keeps its records."""
    copy = tmp_path / legacy.name
    shutil.copy(legacy, copy)
    if slots_path(legacy).exists():  # released after encryption at rest: the key slots travel with the file
        shutil.copy(slots_path(legacy), slots_path(copy))
    service = AssessmentService(copy)
    service.login("admin", "legacy-admin")
    assert schema_version(service.db) == migrations._migrations[-1].name
    assert service.check() == []
    statuses = sorted(r["status"] for r in service.list_assessments())
    assert statuses == ["approved", "draft"]
    approved = next(r for r in service.list_assessments() if r["status"] == "approved")
    assert service.assessment(approved["id"]).answers["BI.1"] == 5
    assert service.login("assessor1", "legacy-assessor1").role == "assessor"
    service.close()


def test_backup_restores_to_a_healthy_copy(world: World, tmp_path: Path) -> None:
    """Test that an online backup taken mid-work reopens with the same data and passes db check."""
    aid = complete_barthel(world)
    world.service.submit(world.a1, aid)
    out = world.service.backup(tmp_path / "backups" / "copy.db")
    restored = AssessmentService(out)
    restored.login("a1", "a1-password")  # encrypted like the database, with its key slots beside it
    assert restored.check() == []
    assert restored.assessment(aid).status == Status.SUBMITTED
    assert restored.assessment(aid).answers == world.service.assessment(aid).answers
    restored.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path, english: None) -> None:
    """Test that opening a file that is not SQLite says so instead of a traceback."""
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception, match="not a usable ltc-assess database"):
        AssessmentService(bogus)
