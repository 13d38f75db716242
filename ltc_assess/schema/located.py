"""Reading data files (forms, city policies, care advice) so that every problem names its file and line:
YAML 1.2 with line numbers, pydantic's errors mapped back to ``file:line path: message``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ltc_assess.errors import ErrorCode, FormError
from ltc_assess.i18n import _

Path_ = tuple[str | int, ...]


class FormErrors(FormError):
    """All problems found in one form file; ``str()`` is the first, ``lines`` has them all."""

    def __init__(self, problems: list[FormError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.code, first.message, first.where)

    @property
    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


def _fmt_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(raw: Any, path: Path_) -> tuple[int | None, Path_]:
    """1-based line of the deepest node of ``path`` in the ruamel tree, and the path without the
    discriminator tags pydantic inserts (``single_choice``, ``bands``...) where the data has no such key."""
    node: Any = raw
    line = None
    clean: list[str | int] = []
    for part in path:
        inside = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        inside = inside or (isinstance(node, dict) and isinstance(part, str) and part in node)
        if not inside:
            if not (isinstance(part, str) and part in _TAGS):  # tags leave the node where it is
                clean.append(part)
                node = None
            continue
        clean.append(part)
        try:
            lc = node.lc  # ruamel's round-trip nodes carry line/column info
            pos = lc.item(part) if isinstance(node, list) else lc.key(part)
            line = pos[0] + 1
        except (AttributeError, KeyError, TypeError):
            pass
        node = node[part]
    return line, tuple(clean)


class Problems:
    """The problems found in one data file, each located by ``where``."""

    def __init__(self, display: str, raw: Any) -> None:
        self.display = display
        self.raw = raw
        self.items: list[FormError] = []

    def add(self, code: ErrorCode, path: Path_, message: str) -> None:
        self.items.append(FormError(code, message, where=where(self.display, self.raw, path)))


def where(display: str, raw: Any, path: Path_) -> str:
    """``file:line path`` of the node at ``path`` in a ruamel tree, as every data-file message names it."""
    line, clean = _locate(raw, path)
    loc = f"{display}:{line}" if line else display
    return f"{loc} {_fmt_path(clean)}" if clean else loc


_TAGS = {
    "single_choice",
    "multi_choice",
    "number",
    "text",
    "date",
    "signature",
    "computed",
    "group",
    "bands",
    "rules",
    "matrix",
}


def display_path(path: Path) -> str:
    """Path as shown in messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_file(path: Path, code: ErrorCode, what: str) -> tuple[bytes, str]:
    """The bytes of a data file and its name as messages show it; an unreadable file is one ``code`` error."""
    display = display_path(path)
    try:
        return path.read_bytes(), display
    except OSError as exc:
        raise FormError(
            code, _("无法读取{what}：{strerror}").format(what=what, strerror=exc.strerror), display
        ) from None


def read_yaml(data: bytes, display: str, code: ErrorCode) -> Any:
    """YAML 1.2 with line numbers (ruamel round-trip); a syntax error is one located ``code`` error."""
    try:
        return YAML(typ="rt").load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FormError(code, _("文件不是 UTF-8 文本"), display) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark else display
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FormError(code, _("YAML 格式错误：{problem}").format(problem=problem), where) from None


def located_problems(exc: ValidationError, display: str, raw: Any, code: ErrorCode) -> list[FormError]:
    """pydantic's errors as ``file:line path: message`` problems (data files other than forms use it too)."""
    problems = Problems(display, raw)
    errors = exc.errors()
    deeper = [tuple(e["loc"]) for e in errors]
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "union_tag_invalid":
            loc = (*loc, str(err.get("ctx", {}).get("discriminator", "type")).strip("'"))
        if err["type"] == "too_short" and any(d[: len(loc)] == loc and d != loc for d in deeper):
            continue  # a list emptied only because its invalid entries were dropped
        kind = ErrorCode.FORM_EXPR if "bad expression" in err["msg"] else code
        problem = err["msg"].removeprefix("Value error, ")  # pydantic's wording, or our validators'
        problems.add(kind, loc, _("格式不符：{problem}").format(problem=problem))
    return problems.items
