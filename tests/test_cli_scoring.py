"""The command-line contract for forms and scoring (DESIGN §2.1–2.2), through a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import REPO, run

from ltc_assess.schema.registry import get_form, installed_forms

pytestmark = pytest.mark.slow  # a real subprocess per command


def _max_answers(form_ref: str) -> dict[str, int]:
    form = get_form(form_ref)
    out = {}
    for dim in form.scoring.dimensions:
        for item_id in dim.items:
            values = [int(c.value) for c in form.items[item_id].choices]  # type: ignore[union-attr]
            out[item_id] = max(values) if dim.direction == "higher_better" else min(values)
    return out


def test_forms_list_names_every_installed_version() -> None:
    """Test that `forms list` prints each installed form@version."""
    proc = run("forms", "list")
    assert proc.returncode == 0
    for form in installed_forms():
        assert form.ref in proc.stdout


def test_forms_check_passes_on_installed_forms() -> None:
    """Test that every installed form passes `forms check`."""
    proc = run("forms", "check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok  ") == len(installed_forms())


def test_forms_check_fails_on_broken_copy_with_location(tmp_path: Path) -> None:
    """Test that a deliberately broken copy of a form fails with file:line and path, exit 2, no traceback."""
    src = Path(get_form("barthel").path)
    text = (REPO / src if not src.is_absolute() else src).read_text(encoding="utf-8")
    broken = tmp_path / "barthel" / "v1.yaml"
    broken.parent.mkdir()
    broken.write_text(text.replace("BI.9, BI.10]", "BI.9, BI.19]"), encoding="utf-8")
    proc = run("forms", "check", str(broken))
    assert proc.returncode == 2
    assert "v1.yaml:" in proc.stderr and "scoring.dimensions[0].items" in proc.stderr
    assert "评分 'adl' 中的条目 'BI.19' 不存在" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_score_file_outputs_contract_object(tmp_path: Path) -> None:
    """Test that `score FILE` prints the §2.2 object with exact level names."""
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"id": "c1", "form": "barthel", "answers": _max_answers("barthel")}), encoding="utf-8")
    proc = run("score", str(case))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["id"] == "c1" and out["form"] == "barthel" and out["form_version"] == 1
    assert out["final_level"] == {"code": 0, "name": "无需依赖"}
    assert out["form_sha256"] == get_form("barthel").sha256


@pytest.mark.skipif(not any(f.form == "gbt42195-2022" for f in installed_forms()), reason="form not installed")
def test_score_bad_value_names_item_and_allowed_values(tmp_path: Path) -> None:
    """Test the issue's example: B.2.4 = 4 exits 2 with one line naming B.2.4 and 0, 1, 2, 3."""
    answers = {**_max_answers("gbt42195-2022"), "B.2.4": 4}
    case = tmp_path / "bad.json"
    case.write_text(json.dumps({"form": "gbt42195-2022", "answers": answers}), encoding="utf-8")
    proc = run("score", str(case))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "B.2.4" in lines[0] and "0, 1, 2, 3" in lines[0]


def test_batch_keeps_order_and_reports_bad_lines_in_place(tmp_path: Path) -> None:
    """Test that --batch writes one line per input line, in order, with errors in place, exit 1."""
    good = {"form": "barthel", "answers": _max_answers("barthel")}
    lines = [
        json.dumps({**good, "id": "a"}),
        "{not json",
        json.dumps({"id": "c", "form": "barthel", "answers": {**good["answers"], "BI.1": 3}}),
        json.dumps({"id": "d", "form": "nope", "answers": {}}),
        json.dumps({**good, "id": "e"}),
    ]
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run("score", "--batch", str(src))
    assert proc.returncode == 1
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c", "d", "e"]
    assert "final_level" in out[0] and "final_level" in out[4]
    assert "cases.jsonl:2" in out[1]["error"] and "JSON 格式错误" in out[1]["error"]
    assert "BI.1" in out[2]["error"] and "0, 5, 10" in out[2]["error"]
    assert "未安装表单 'nope'" in out[3]["error"]


def test_batch_from_stdin_all_good_exits_zero() -> None:
    """Test that --batch reads standard input and exits 0 when every case scores."""
    line = json.dumps({"id": "x", "form": "barthel@1", "answers": _max_answers("barthel")})
    proc = run("score", "--batch", "-", stdin=line + "\n" + line + "\n")
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 2


def test_batch_output_stays_one_line_per_case_whatever_the_id_holds() -> None:
    """Test that an id with Unicode line separators (U+0085, U+2028, U+2029) stays on its case's one line."""
    odd = "a\x85b\u2028c\u2029d"
    line = json.dumps({"id": odd, "form": "barthel@1", "answers": _max_answers("barthel")})
    proc = run("score", "--batch", "-", stdin=line + "\n" + line + "\n")
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and len(lines) == 2
    assert json.loads(lines[0])["id"] == odd


@pytest.mark.parametrize(
    "args",
    [["score", "/nonexistent.json"], ["score"], ["forms", "check", "/nonexistent.yaml"], ["nosuch"]],
)
def test_bad_invocations_exit_2_without_traceback(args: list[str]) -> None:
    """Test that bad input exits 2 with a one-line message, never a traceback."""
    proc = run(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.strip()


@pytest.mark.parametrize("cmd", [[], ["forms"], ["score"]])
def test_help_everywhere(cmd: list[str]) -> None:
    """Test that --help works on the program and each subcommand."""
    proc = run(*cmd, "--help")
    assert proc.returncode == 0 and "usage:" in proc.stdout


def test_runs_from_any_directory(tmp_path: Path) -> None:
    """Test that forms are found through ltc_assess.paths, not the working directory."""
    proc = run("forms", "list", cwd=tmp_path)
    assert proc.returncode == 0 and "barthel@1" in proc.stdout
