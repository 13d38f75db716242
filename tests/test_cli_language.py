"""The CLI speaks the language ``$LTC_LANG`` or the POSIX locale asks for (Chinese by default), in a real process.

Each case sets every variable that decides (LTC_LANG, LC_ALL, LC_MESSAGES, LANG): an empty value is unset."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import run

UNSET = {"LTC_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}
CHINESE = "找不到数据库"
ENGLISH = "no database at"


def _missing_db(tmp_path: Path, **env: str) -> str:
    """The error of a command on a database that does not exist: exit 2, one line, its code."""
    result = run("assessments", "list", "--db", str(tmp_path / "none.db"), "--as", "admin", env={**UNSET, **env})
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith("ltc-assess: error: ") and "[APP_001]" in result.stderr
    assert str(tmp_path / "none.db") in result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("env", "words", "not_words"),
    [
        ({"LANG": "C"}, CHINESE, ENGLISH),  # the default
        ({}, CHINESE, ENGLISH),
        ({"LANG": "zh_CN.UTF-8"}, CHINESE, ENGLISH),
        ({"LTC_LANG": "en"}, ENGLISH, CHINESE),
        ({"LANG": "en_US.UTF-8"}, ENGLISH, CHINESE),
        ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, ENGLISH, CHINESE),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, CHINESE, ENGLISH),  # LC_ALL wins over LANG
        ({"LTC_LANG": "zh_CN", "LANG": "en_US.UTF-8"}, CHINESE, ENGLISH),  # LTC_LANG wins over the locale
    ],
)
def test_the_same_error_in_the_language_asked_for(tmp_path: Path, env: dict[str, str], words: str,
                                                  not_words: str) -> None:
    """Test that one error reads in Chinese or English as LTC_LANG and the locale say, with the same code."""
    said = _missing_db(tmp_path, **env)
    assert words in said and not_words not in said


@pytest.mark.parametrize("lang", ["english", "fr", "zh"])
def test_an_unknown_ltc_lang_is_one_clear_line(lang: str) -> None:
    """Test that an LTC_LANG we do not speak is a one-line error naming it and the choices, not a traceback;
    worded in the locale's language."""
    for locale, words in (("C", "无效"), ("en_US.UTF-8", "invalid")):
        result = run("forms", "list", env={**UNSET, "LTC_LANG": lang, "LANG": locale})
        assert result.returncode == 2 and result.stdout == ""
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
        assert "LTC_LANG" in result.stderr and lang in result.stderr and "zh_CN, en" in result.stderr
        assert words in result.stderr


@pytest.mark.parametrize(
    ("env", "words", "not_words"),
    [
        ({"LTC_LANG": "zh_CN"}, ("长期护理需求评估工作站", "数据库完整性检查、备份、审计导出", "读取者（需登录并记入审计）"),
         ("Long-term-care", "database integrity check", "who reads")),
        ({"LANG": "C"}, ("长期护理需求评估工作站", "数据库完整性检查、备份、审计导出", "读取者（需登录并记入审计）"),
         ("Long-term-care", "database integrity check", "who reads")),
        ({"LTC_LANG": "en"}, ("Long-term-care needs assessment workstation", "database integrity check, backup, audit export",
                              "who reads (logged in and audited)"), ("长期护理", "数据库完整性检查", "读取者")),
        ({"LANG": "en_US.UTF-8"}, ("Long-term-care needs assessment workstation", "who reads (logged in and audited)"),
         ("长期护理", "读取者")),
    ],
)
def test_help_in_the_language_asked_for(env: dict[str, str], words: tuple[str, ...], not_words: tuple[str, ...]) -> None:
    """Test that ``--help`` (the program's and a subcommand's) speaks LTC_LANG or the locale: the language is chosen
    before the parser is built. argparse's own words ("usage:") are its gettext domain's, as the system has them."""
    said = ""
    for args in (["--help"], ["db", "check", "--help"]):
        result = run(*args, env={**UNSET, **env})
        assert result.returncode == 0 and "usage:" in result.stdout, result.stderr
        said += result.stdout
    assert all(w in " ".join(said.split()) for w in words), said
    assert not any(w in said for w in not_words), said


def test_help_follows_each_run_of_the_entry_function(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Test that one process running the CLI in English, then Chinese, then English gets each ``--help`` in that
    run's language: nothing is said once at import (a translated default value would be)."""
    from ltc_assess.cli import main

    said = {}
    for lang in ("en", "zh_CN", "en"):
        monkeypatch.setenv("LTC_LANG", lang)
        with pytest.raises(SystemExit) as done:
            main(["db", "check", "--help"])
        assert done.value.code == 0
        said.setdefault(lang, []).append(" ".join(capsys.readouterr().out.split()))
    assert all("who reads (logged in and audited)" in text and "读取者" not in text for text in said["en"]), said
    assert "读取者（需登录并记入审计）" in said["zh_CN"][0] and "who reads" not in said["zh_CN"][0], said
