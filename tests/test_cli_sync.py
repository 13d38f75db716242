"""``ltc-assess sync`` without ``--server``: the office server the admin set (in the app) is the default, so an
assessor's laptop syncs with one command; with none set, one clear line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import DEMO_PASSWORDS, run

from ltc_assess.service import AssessmentService
from ltc_assess.sync_client import set_server_url

pytestmark = pytest.mark.slow  # a real subprocess on a demo database

UNREACHABLE = "https://127.0.0.1:9"  # the discard port: nothing listens there


def _sync(db: Path) -> tuple[int, str]:
    proc = run("sync", "--as", "assessor1", "--db", str(db), env={"LTC_ASSESS_PASSWORD": DEMO_PASSWORDS["assessor1"]})
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stderr


def test_sync_defaults_to_the_server_the_admin_set(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert run("demo", "--db", str(db)).returncode == 0
    code, err = _sync(db)
    assert code == 2 and "未指定 --server，本机也未设置办公室服务器" in err, err
    with AssessmentService(str(db)) as service:
        admin = service.login("admin", DEMO_PASSWORDS["admin"])
        set_server_url(service, admin, UNREACHABLE)
    code, err = _sync(db)
    assert code == 2 and "127.0.0.1:9" in err and len(err.strip().splitlines()) == 1, err
