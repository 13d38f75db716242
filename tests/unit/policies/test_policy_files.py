"""City policy files: every shipped file passes, a broken copy fails at its line, amounts say 未核实."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from cli_runner import run

from ltc_assess.policies import get_policy, installed_policies, load_policy
from ltc_assess.policies.rules import add_months, objection_until, publicity_until, validity
from ltc_assess.schema.loader import FormErrors

SHIPPED = {"generic", "tianjin", "shanghai", "chengdu", "tengzhou", "qingdao", "jiashan"}


@pytest.mark.slow  # a real subprocess
def test_every_shipped_policy_passes_the_cli_check() -> None:
    """Test that `policies check` accepts every installed policy and advice file and names each one."""
    result = run("policies", "check")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert {line.split()[2].split("@")[0] for line in lines if "照护建议" not in line} == SHIPPED
    assert any("nhsa-ltc-2021 的照护建议" in line for line in lines)


def test_shipped_policies_are_unverified_with_sources() -> None:
    """Test that no shipped file claims to be verified and every benefit row names a source."""
    for policy in installed_policies():
        assert policy.verified is False and policy.sources
        assert all(not b.verified and b.sources for b in policy.benefits)


def test_broken_copy_fails_with_a_located_error(tmp_path: Path, repo: Path) -> None:
    """Test that a typo'd unit in a copy is reported as file:line path, exit 2, no traceback."""
    target = tmp_path / "policies" / "chengdu" / "v1.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(repo / "policies" / "chengdu" / "v1.yaml", target)
    lines = target.read_text(encoding="utf-8").splitlines()
    line_no = next(i for i, line in enumerate(lines) if "unit: yuan_per_month" in line)
    lines[line_no] = lines[line_no].replace("yuan_per_month", "yuan_per_moon")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("policies", "check", str(target))
    assert result.returncode == 2
    assert f"v1.yaml:{line_no + 1} benefits[0].unit:" in result.stderr
    assert "Traceback" not in result.stderr


def test_level_outside_the_form_is_located(tmp_path: Path, repo: Path, english: None) -> None:
    """Test that a benefit for a level the city does not cover is refused at its line."""
    text = (repo / "policies" / "tianjin" / "v1.yaml").read_text(encoding="utf-8")
    path = tmp_path / "tianjin" / "v1.yaml"
    path.parent.mkdir()
    path.write_text(text.replace("amounts: {3: 70, 4: 70, 5: 70}", "amounts: {2: 70, 4: 70, 5: 70}"), encoding="utf-8")
    with pytest.raises(FormErrors) as caught:
        load_policy(path)
    line = next(i for i, s in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "{2: 70" in s)
    assert f"v1.yaml:{line} benefits[0].amounts[2]: level 2 is not an eligible level of tianjin@1" in str(caught.value)


def test_amounts_render_with_unit_share_payer_and_unverified() -> None:
    """Test that an amount shows its unit, fund share, payer and 未核实."""
    tianjin = get_policy("tianjin")
    labels = [text for _b, text in tianjin.benefits_for(4)]
    assert labels[0] == "最高 70 元/天，基金支付 70%，支付方：长护险基金（未核实）"
    assert tianjin.benefits_for(1) == []  # 天津: 重度 only
    assert [t for _b, t in get_policy("shanghai").benefits_for(3)][0].startswith("最高 5 小时/周")


@pytest.mark.slow  # a real subprocess
def test_cli_show_labels_unverified_amounts() -> None:
    """Test that `policies show` prints every amount with 未核实 and the sources."""
    result = run("policies", "show", "chengdu")
    assert result.returncode == 0, result.stderr
    assert "1437 元/月，支付方：长护险基金（未核实）" in result.stdout
    assert "gtuanb.com" in result.stdout


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [("2026-01-31", 1, "2026-02-28"), ("2024-01-31", 1, "2024-02-29"), ("2026-11-15", 24, "2028-11-15")],
)
def test_add_months_clamps_to_month_end(day: str, months: int, expected: str) -> None:
    assert add_months(dt.date.fromisoformat(day), months).isoformat() == expected


def test_validity_publicity_and_objection_dates() -> None:
    """Test the dates a 成都 conclusion gets: 24 months valid, 6 months before re-applying, 7+7 days."""
    chengdu = get_policy("chengdu")
    span = validity(chengdu, 4, dt.date(2026, 11, 2))
    assert (span.valid_from.isoformat(), span.valid_until.isoformat(), span.reapply_after.isoformat()) == (
        "2026-11-02", "2028-11-01", "2027-05-02")
    assert publicity_until(chengdu, dt.date(2026, 11, 3)).isoformat() == "2026-11-09"
    assert objection_until(chengdu, dt.date(2026, 11, 3)).isoformat() == "2026-11-16"
