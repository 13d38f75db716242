"""``ltc-assess score FILE`` and ``score --batch FILE.jsonl`` (DESIGN §2.2)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from ltc_assess.errors import AnswerError, ErrorCode, LtcError
from ltc_assess.i18n import _
from ltc_assess.schema.registry import get_form
from ltc_assess.scoring import score

ANSWERS_EXAMPLE = '{"id": "...", "form": "gbt42195-2022[@N]", "answers": {item: value}}'


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    says = _("输入：{example}。输出：评分对象（DESIGN §2.2），JSON；--batch 时每个案例一行，按序。")
    p = sub.add_parser(
        "score",
        help=_("为答案文件（JSON）评分，或用 --batch 处理 JSON Lines"),
        description=says.format(example=ANSWERS_EXAMPLE),
    )
    p.add_argument("file", help=_("答案文件（'-' 表示标准输入）"))
    p.add_argument("--batch", action="store_true", help=_("输入和输出均为 JSON Lines，每行一个案例"))
    p.add_argument("--pretty", action="store_true", help=_("缩进 JSON 输出（单个案例）"))
    p.set_defaults(func=_run)


def _open(name: str) -> BinaryIO:
    """Bytes: each case is decoded on its own, so one bad line cannot end a batch."""
    if name == "-":
        return sys.stdin.buffer
    try:
        return open(name, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise AnswerError(
            ErrorCode.ANSWER_INPUT, _("无法读取 {path}：{strerror}").format(path=name, strerror=exc.strerror)
        ) from None


def _text(data: bytes, where: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise AnswerError(ErrorCode.ANSWER_INPUT, _("{where}：文件为 UTF-16 编码，请另存为 UTF-8").format(where=where))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswerError(
            ErrorCode.ANSWER_INPUT,
            _("{where}：不是 UTF-8 文本（第 {byte} 字节）").format(where=where, byte=exc.start + 1),
        ) from None


def _parse_case(data: bytes, where: str) -> dict[str, Any]:
    try:
        case = json.loads(_text(data, where))
    except json.JSONDecodeError as exc:
        raise AnswerError(
            ErrorCode.ANSWER_INPUT,
            _("{where}：JSON 格式错误：{msg}（第 {colno} 列）").format(where=where, msg=exc.msg, colno=exc.colno),
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits, nesting too deep
        raise AnswerError(
            ErrorCode.ANSWER_INPUT,
            _("{where}：无法读取的 JSON 值（{detail}）").format(where=where, detail=str(exc)[:80]),
        ) from None
    if not isinstance(case, dict) or not isinstance(case.get("answers"), dict) or not isinstance(case.get("form"), str):
        raise AnswerError(
            ErrorCode.ANSWER_INPUT, _("{where}：应为包含 form 和 answers 的 JSON 对象").format(where=where)
        )
    return case


def score_case(case: dict[str, Any]) -> dict[str, Any]:
    """Score one parsed case into its output object."""
    form = get_form(case["form"])
    return score(form, case["answers"]).to_dict(case_id=case.get("id"))


# Characters that str.splitlines() (and other line readers) take as line ends but JSON leaves unescaped: one case
# per line must stay one line whatever an id or answer holds.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _dump(obj: Any, indent: int | None = None) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=indent).translate(_LINE_BREAKS)


def _run(args: argparse.Namespace) -> int:
    src = _open(args.file)
    try:
        if args.batch:
            return _batch(src, args.file)
        case = _parse_case(src.read(), args.file)
        print(_dump(score_case(case), indent=2 if args.pretty else None))
        return 0
    finally:
        if src is not sys.stdin.buffer:
            src.close()


def _lines(src: BinaryIO) -> Iterator[tuple[int, bytes]]:
    for n, line in enumerate(src, 1):
        if line.strip():
            yield n, line


def _batch(src: BinaryIO, name: str) -> int:
    failed = 0
    out = sys.stdout
    for n, line in _lines(src):
        case_id = None
        try:
            case = _parse_case(line, f"{name}:{n}")
            case_id = case.get("id")
            out.write(_dump(score_case(case)) + "\n")
            out.flush()  # in order, as soon as scored (a reader sees progress; a closed pipe is noticed here)
        except LtcError as exc:
            failed += 1
            where = f"{name}:{n}"
            msg = str(exc) if str(exc).startswith(where) else f"{where}: {exc}"
            out.write(_dump({"id": case_id, "error": msg}) + "\n")
    return 1 if failed else 0
