"""Translations: every source string used in code is translated, with the same named placeholders."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltc_assess import paths
from ltc_assess.i18n import _, language, load_catalog, set_language
from ltc_assess.lifecycle import DUE_LABELS
from ltc_assess.policies.model import PAYERS, QUALIFICATIONS, SETTINGS, UNITS
from ltc_assess.workflow import ACTION_LABELS, ROLE_LABELS, STATUS_LABELS

LITERAL = re.compile(r'\bN?_\("((?:[^"\\]|\\.)*)"\)')
DYNAMIC = (
    "首次评估",
    "常规评估",
    "即时评估",
    "因对评估结果有疑问进行的复评",
    "其他",
    *STATUS_LABELS.values(),
    *ACTION_LABELS.values(),
    *ROLE_LABELS.values(),
    *SETTINGS.values(),
    *UNITS.values(),
    *PAYERS.values(),
    *QUALIFICATIONS.values(),
    *DUE_LABELS.values(),
)


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f}


def _used() -> set[str]:
    found = set(DYNAMIC)
    for path in (paths.bundle_root() / "ltc_assess").rglob("*.py"):
        for m in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1).replace("\\n", "\n"))
    return found


def test_every_used_string_has_an_english_translation() -> None:
    """Test that no `_()` string in the code is missing from en.po."""
    catalog = load_catalog("en")
    assert sorted(_used() - set(catalog)) == []


def test_placeholders_match() -> None:
    """Test that each translation keeps exactly its source's named placeholders."""
    for source, translated in load_catalog("en").items():
        assert _fields(source) == _fields(translated), source


def test_language_switch() -> None:
    """Test that switching language changes what _() returns, and back."""
    try:
        set_language("en")
        assert language() == "en" and _("提交") == "Submit"
        set_language("zh_CN")
        assert _("提交") == "提交"
        with pytest.raises(ValueError):
            set_language("fr")
    finally:
        set_language("zh_CN")


CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff01-\uffef]")


def test_ui_code_says_no_chinese_outside_the_catalogue() -> None:
    """Test that no Chinese literal in the UI code (not even a "、" or "：") reaches a widget without _()/N_():
    such a literal stays Chinese in the English UI. Docstrings and the screenshots' demo data are exempt."""
    import ast

    found = []
    for path in sorted((paths.bundle_root() / "ltc_assess" / "ui").rglob("*.py")):
        if path.name == "screenshots.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)):
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.Expr):  # a docstring
                continue
            if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in ("_", "N_"):
                continue
            found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert found == []


def test_engine_explanation_is_said_in_english_and_unchanged_in_chinese() -> None:
    """Test that for random answers on all four forms every trace step and warning the engine gives has an English
    rendering without Chinese, and that its Chinese rendering is the text the score JSON carries."""
    import random

    from ltc_assess.i18n import say
    from ltc_assess.schema.model import MultiChoiceItem, SingleChoiceItem
    from ltc_assess.schema.registry import get_form
    from ltc_assess.scoring import score

    rng = random.Random(3)
    for ref in ("gbt42195-2022@1", "mzt039-2013@1", "nhsa-ltc-2021@1", "barthel@1"):
        form = get_form(ref)
        for _n in range(40):
            answers = {
                item.id: rng.choice(item.choices).value if isinstance(item, SingleChoiceItem) else []
                for item in form.items.values()
                if isinstance(item, SingleChoiceItem | MultiChoiceItem) and rng.random() > 0.15
            }
            result = score(form, answers, partial=True)
            for said in (*result.trace, *result.all_warnings):
                english = say(said.says, "en")
                assert not CJK.search(english), (ref, english)
                assert say(said.says, "zh_CN") == said.text


_RAW = "a raw string, f-string or concatenation"


def _error_classes(trees: dict[str, ast.Module]) -> dict[str, int | None]:
    """Every LtcError subclass defined in the code -> the position of its ``message`` argument (None: it has none,
    it says its own message in ``super().__init__``)."""
    classes: dict[str, int | None] = {"LtcError": 1}
    defs = [n for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in defs:
            bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in node.bases]
            parent = next((b for b in bases if b in classes), None)
            if node.name in classes or parent is None:
                continue
            init = next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
            if init is None:
                classes[node.name] = classes[parent]
            else:
                names = [a.arg for a in init.args.args[1:]]
                classes[node.name] = names.index("message") if "message" in names else None
            grew = True
    return classes


Passed = set[tuple[str, int, str, bool]]  # helper name, argument position, parameter name, is a method


def _said(expr: ast.expr | None, function: ast.AST | None, passed: Passed, seen: frozenset[str] = frozenset()) -> bool:
    """True when ``expr`` is a translated message: ``_()``, ``_().format()``, another error's ``.message``, a
    helper's result, or a variable of the enclosing function that only ever holds such a value. A parameter of the
    enclosing function is added to ``passed``: the callers' arguments are checked in its place."""
    if expr is None:
        return True
    if isinstance(expr, ast.Constant | ast.JoinedStr | ast.BinOp):
        return False
    if isinstance(expr, ast.IfExp):
        return _said(expr.body, function, passed, seen) and _said(expr.orelse, function, passed, seen)
    if isinstance(expr, ast.BoolOp):  # text or _("…")
        return all(_said(value, function, passed, seen) for value in expr.values)
    if isinstance(expr, ast.Attribute):
        return True
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute):  # "x".join(...), _("…").format(...), text.format(...)
            return _said(func.value, function, passed, seen)
        return not (isinstance(func, ast.Name) and func.id in ("str", "repr", "format"))
    if isinstance(expr, ast.Name) and expr.id in seen:  # text = _("…"); text = text.format(…): judged by the rest
        return True
    if isinstance(expr, ast.Name) and function is not None:
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            if expr.id in names or expr.id in [a.arg for a in function.args.kwonlyargs]:
                method = bool(names) and names[0] in ("self", "cls")
                position = names.index(expr.id) - method if expr.id in names else -1
                if function.name != "__init__":  # an error class's own: its callers are checked as the class's
                    passed.add((function.name, position, expr.id, method))
                return True
        values = [
            n.value
            for n in ast.walk(function)
            if isinstance(n, ast.Assign | ast.AnnAssign)
            and any(
                isinstance(t, ast.Name) and t.id == expr.id
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            )
        ]
        values += [v for n in ast.walk(function) if isinstance(n, ast.For) for v in _looped(n, expr.id)]
        return bool(values) and all(_said(v, function, passed, seen | {expr.id}) for v in values)
    return False


def _looped(loop: ast.For, name: str) -> list[ast.expr]:
    """What ``name`` takes in ``loop``: each row of a literal table (``for name, text in (("a", _("甲")), …)``); an
    unknown one when the loop is over anything else (so a variable bound by such a loop is never taken as said)."""
    rows = loop.iter.elts if isinstance(loop.iter, ast.Tuple | ast.List) else None
    if isinstance(loop.target, ast.Name) and loop.target.id == name:
        return list(rows) if rows is not None else [ast.Constant(None)]
    if not isinstance(loop.target, ast.Tuple):
        return []
    targets = [t.id if isinstance(t, ast.Name) else None for t in loop.target.elts]
    if name not in targets:
        return []
    index = targets.index(name)
    if rows is None or not all(isinstance(r, ast.Tuple | ast.List) and len(r.elts) == len(targets) for r in rows):
        return [ast.Constant(None)]
    return [r.elts[index] for r in rows]  # type: ignore[attr-defined]


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    found = call.args[position] if 0 <= position < len(call.args) else None
    return next((k.value for k in call.keywords if k.arg == keyword), found)


def _scopes(trees: dict[str, ast.Module]) -> dict[ast.AST, ast.AST]:
    """Each node -> its innermost enclosing function (or its module)."""
    return {
        child: node
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module)
        for child in ast.walk(node)
    }  # walk order: outer scopes first, so each node ends up with its innermost function


def untranslated_errors(trees: dict[str, ast.Module]) -> list[str]:
    """``file:line`` of every LtcError (or subclass) built with a message that does not come from ``_()``: at the
    call of the class, in a subclass's own ``super().__init__(code, message)``, and at each call of a helper of the
    same module whose parameter becomes the message (``def _bad(item, message): return AnswerError(…, message)``)."""
    classes = _error_classes(trees)
    found = set()
    calls: dict[str, list[ast.Call]] = {}
    scopes = _scopes(trees)
    passed: dict[str, Passed] = {}
    for name, tree in trees.items():
        owners = {
            child: node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and node.name in classes
            for child in ast.walk(node)
        }
        calls[name] = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        passed[name] = set()
        for node in calls[name]:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if called in classes:
                position = classes[called]
            elif called == "__init__" and node in owners and isinstance(func, ast.Attribute):
                position = 1  # super().__init__(code, message, ...) of an error class
            else:
                continue
            if position is not None and not _said(_argument(node, position, "message"), scopes.get(node), passed[name]):
                found.add((name, node.lineno))
    _through_helpers(trees, calls, scopes, passed, found)
    return [f"{name}:{line}" for name, line in sorted(found)]


def _importers(trees: dict[str, ast.Module], function: str) -> list[str]:
    """The modules that import ``function`` by name (``from ltc_assess.cli.common import add_login_option``)."""
    return [
        name
        for name, tree in trees.items()
        if any(isinstance(n, ast.ImportFrom) and any(a.name == function for a in n.names) for n in ast.walk(tree))
    ]


def _through_helpers(
    trees: dict[str, ast.Module],
    calls: dict[str, list[ast.Call]],
    scopes: dict[ast.AST, ast.AST],
    passed: dict[str, Passed],
    found: set[tuple[str, int]],
    imported: bool = False,
) -> set[tuple[str, tuple[str, int, str, bool]]]:
    """Add to ``found`` each call of a helper whose parameter becomes the text, with a raw argument there (and the
    helpers of helpers), in its module (and, if ``imported``, in those importing it); returns each (module, helper)."""
    done: set[tuple[str, tuple[str, int, str, bool]]] = set()
    while todo := {(name, h) for name, hs in passed.items() for h in hs} - done:
        origin, helper = todo.pop()
        done.add((origin, helper))
        function, position, keyword, method = helper
        # a function is called by name in its module; a method (``problems.add(code, path, message)``) anywhere,
        # by any receiver, with the argument present (``set.add(x)`` is not one)
        for name in trees if method else [origin, *(_importers(trees, function) if imported else [])]:
            for node in calls[name]:
                func = node.func
                if method:
                    hit = isinstance(func, ast.Attribute) and func.attr == function
                    hit = hit and _argument(node, position, keyword) is not None
                else:
                    hit = isinstance(func, ast.Name) and func.id == function
                if hit and not _said(_argument(node, position, keyword), scopes.get(node), passed[name]):
                    found.add((name, node.lineno))
    return done


def _parse(root: Path, package: str = ".") -> dict[str, ast.Module]:
    """The modules under ``root/package`` (or that one module), by their path from ``root``."""
    return {
        path.relative_to(root).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in ([root / package] if package.endswith(".py") else sorted((root / package).rglob("*.py")))
    }


ARGPARSE_TEXTS = ("help", "description", "epilog")  # what argparse prints of ours in --help
# argparse's calls that take them (pydantic's ``Field(description=…)`` is the OpenAPI document's, not a user's)
ARGPARSE_CALLS = ("ArgumentParser", "_Parser", "add_parser", "add_subparsers", "add_argument", "add_argument_group")
PROMPTS = ("getpass", "input", "password")  # password(): the CLI's prompt (from the environment, else getpass)


def _unsaid_default(function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str) -> bool:
    """True when ``parameter`` of ``function`` defaults to written words (its callers may leave it out), or to
    ``_()``'s: a default is said once, at import, in the language of that moment, not of the command."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    default = next((d for a, d in pairs if a.arg == parameter), None)
    if isinstance(default, ast.Constant):
        return isinstance(default.value, str) and any(ch.isalpha() for ch in default.value)
    said = isinstance(default, ast.Call) and isinstance(default.func, ast.Name) and default.func.id == "_"
    return said or isinstance(default, ast.JoinedStr | ast.BinOp)


def unsaid_arguments(trees: dict[str, ast.Module]) -> list[str]:
    """``file:line`` of every argparse ``help=``/``description=``/``epilog=`` and every prompt (``getpass()``,
    ``input()``, the CLI's ``password()``) given written words outside ``_()``: at the call, at each call of a helper
    whose parameter becomes the text (in its module or one importing it), and at such a parameter's default."""
    found: set[tuple[str, int]] = set()
    calls: dict[str, list[ast.Call]] = {}
    scopes = _scopes(trees)
    passed: dict[str, Passed] = {}
    for name, tree in trees.items():
        calls[name] = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
        passed[name] = set()
        for node in calls[name]:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            texts = [k.value for k in node.keywords if k.arg in ARGPARSE_TEXTS and called in ARGPARSE_CALLS]
            if (isinstance(func, ast.Name) and called in PROMPTS) or called == "getpass":  # not ``rule.input(env)``
                texts.append(_argument(node, 0, "prompt"))
            if not all(_said(text, scopes.get(node), passed[name]) for text in texts):
                found.add((name, node.lineno))
    for origin, (function, _position, parameter, _method) in _through_helpers(trees, calls, scopes, passed, found, True):
        for node in ast.walk(trees[origin]):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
                if _unsaid_default(node, parameter):
                    found.add((origin, node.lineno))
    return [f"{name}:{line}" for name, line in sorted(found)]


def test_every_argparse_text_and_prompt_goes_through_the_catalogue() -> None:
    """Test that ``--help`` (argparse's help, description and epilog) and every password prompt are ``_()``'s: a
    Chinese install would show them in English. argparse's own words ("usage:") are its gettext domain's."""
    assert unsaid_arguments(_parse(paths.bundle_root(), "ltc_assess")) == []


def test_every_error_message_goes_through_the_catalogue() -> None:
    """Test that no LtcError in ltc_assess/ is raised with a raw string, an f-string or a concatenation (a Chinese
    install would print it in English): each message is ``_()``'s, in the language of the moment."""
    assert untranslated_errors(_parse(paths.bundle_root(), "ltc_assess")) == []


PLANTED = """
from ltc_assess.errors import AppError, ErrorCode, LtcError
from ltc_assess.i18n import _


class Refused(AppError):
    def __init__(self, path: str) -> None:
        super().__init__(ErrorCode.PERMISSION, f"{path} refused")  # raw


class Said(AppError):
    def __init__(self, path: str) -> None:
        super().__init__(ErrorCode.PERMISSION, _("{path} 被拒绝").format(path=path))


def bad(aid: str, flag: bool) -> None:
    raise AppError(ErrorCode.NOT_FOUND, "no such assessment")  # raw
    raise AppError(ErrorCode.NOT_FOUND, f"no assessment {aid}")  # raw
    raise AppError(ErrorCode.NOT_FOUND, "no assessment " + aid)  # raw
    raise LtcError(ErrorCode.NOT_FOUND, message="no assessment %s" % aid)  # raw
    raise AppError(ErrorCode.NOT_FOUND, str(aid))  # raw
    text = "plain" if flag else _("已翻译")
    raise AppError(ErrorCode.NOT_FOUND, text, where=aid)  # raw
    raise Refused(aid)
    raise _bad(aid, f"value {flag} not allowed")  # raw


def _bad(item: str, message: str) -> AppError:
    return AppError(ErrorCode.INVALID, message, where=item)


def good(aid: str, exc: AppError, flag: bool) -> None:
    raise AppError(ErrorCode.NOT_FOUND, _("未找到评估"))
    raise AppError(ErrorCode.NOT_FOUND, _("未找到评估 {id}").format(id=aid), where=f"{aid}.json")
    raise AppError(exc.code, exc.message)
    text = _("甲") if flag else _("乙 {id}").format(id=aid)
    raise AppError(ErrorCode.NOT_FOUND, text)
    raise Said(aid)
"""


def test_the_error_scan_finds_planted_raw_messages(tmp_path: Path) -> None:
    """Test that the scan above is a real check: in a planted module it names the f-string of a subclass's own
    message and each raw, f-string, concatenated, %-formatted, str(), half-translated and helper-passed message, nothing else."""
    (tmp_path / "planted.py").write_text(PLANTED, encoding="utf-8")
    trees = {**_parse(paths.bundle_root() / "ltc_assess", "errors.py"), **_parse(tmp_path)}
    expected = [f"planted.py:{n}" for n, line in enumerate(PLANTED.splitlines(), 1) if line.endswith("# raw")]
    assert len(expected) == 8
    assert untranslated_errors(trees) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "zh_CN"),
        ({"LANG": "C"}, "zh_CN"),
        ({"LANG": "POSIX"}, "zh_CN"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "en"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "de_DE.UTF-8"}, "zh_CN"),
        ({"LC_MESSAGES": "en_GB", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "zh_TW.UTF-8", "LC_MESSAGES": "en_GB", "LANG": "en_US"}, "zh_CN"),
        ({"LC_ALL": "", "LANG": "en_US"}, "en"),  # an empty variable is not set
        ({"LTC_LANG": "en", "LANG": "C"}, "en"),
        ({"LTC_LANG": "zh_CN", "LC_ALL": "en_US"}, "zh_CN"),
        ({"LTC_LANG": "", "LANG": "en_US"}, "en"),
    ],
)
def test_cli_language_from_ltc_lang_then_the_locale(environ: dict[str, str], expected: str) -> None:
    """Test the CLI's choice: LTC_LANG, else LC_ALL, LC_MESSAGES, LANG (the first set; ``en…`` is English)."""
    from ltc_assess.i18n import cli_language

    assert cli_language(environ) == expected


def test_an_unknown_ltc_lang_is_refused_in_the_locale_language() -> None:
    """Test that an LTC_LANG we do not speak is refused, naming it, in the language the locale asks for."""
    from ltc_assess.i18n import cli_language

    with pytest.raises(ValueError, match="LTC_LANG 的值 en_US 无效，可选：zh_CN, en"):
        cli_language({"LTC_LANG": "en_US"})
    with pytest.raises(ValueError, match="LTC_LANG has the invalid value en_US"):
        cli_language({"LTC_LANG": "en_US", "LANG": "en_US.UTF-8"})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_header(header: str | None, expected: str | None) -> None:
    """Test which language a server request is answered in: the first tag of Accept-Language, if we speak it."""
    from ltc_assess.i18n import accepted_language

    assert accepted_language(header) == expected


def test_speaking_is_one_context_only() -> None:
    """Test that speaking() switches _() inside its block only, and leaves the process's language alone."""
    from ltc_assess.i18n import speaking

    with speaking("en"):
        assert _("提交") == "Submit" and language() == "en"
    assert _("提交") == "提交" and language() == "zh_CN"


def test_each_source_string_is_translated_once() -> None:
    """Test that no msgid appears twice in en.po: the reader keeps the last one, so a second entry would silently
    change a translation used elsewhere."""
    text = (paths.resources_dir() / "i18n" / "en.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.*)"$', text, re.MULTILINE)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def _stores_outside_comprehensions(node: ast.AST) -> Iterator[ast.Name]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp | ast.Lambda):
            continue  # their own scope
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue  # checked as functions of their own
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            yield child
        yield from _stores_outside_comprehensions(child)


def test_no_function_that_says_something_hides_the_translator() -> None:
    """Test that no function calling ``_()`` also binds ``_`` (``host, _, port = …``): ``_`` is then a local
    string and the call a TypeError when the error is raised (the CLI's ``server --listen`` had one)."""
    found = []
    for name, tree in _parse(paths.bundle_root(), "ltc_assess").items():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            calls = any(
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                for n in ast.walk(function)
            )
            if calls and any(n.id == "_" for n in _stores_outside_comprehensions(function)):
                found.append(f"{name}:{function.lineno} {function.name}")
    assert found == []


# Machine-readable tokens the CLI prints as they are in every language: the program's stderr prefixes, the
# verdicts of ``verify``/``verify-package`` that insurers' scripts test, and the ``ok`` of each file checked.
VERDICT_TOKENS = re.compile(r"ltc-assess: (?:error: |refused: )?|\bNOT VALID\b|\bVALID\b|^ok\b")
# Files whose prints are not yet said through ``_()``: may only shrink.
NOT_YET_SAID: frozenset[str] = frozenset()


def _assigned(function: ast.AST) -> dict[str, list[ast.expr]]:
    """name -> the expressions bound to it in ``function`` (plain and augmented assignments, and what is appended
    to a list: ``lines.append(f"…")`` … ``"\\n".join(lines)``)."""
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append":
            if isinstance(node.func.value, ast.Name) and len(node.args) == 1:
                found.setdefault(node.func.value.id, []).append(node.args[0])
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found.setdefault(node.target.id, []).append(node.value)
    return found


def _printed_text(expr: ast.expr | None, names: dict[str, list[ast.expr]], seen: frozenset[str]) -> Iterator[str]:
    """The literal pieces of ``expr`` that end up in the printed line as they are written: string constants, the
    literal parts of f-strings, both sides of ``+`` and of conditionals, the values given to ``.format()`` and
    ``.join()``, and what local names were bound to. ``_()``'s own argument is said, so not raw; keys and the
    arguments of other calls (``json.dumps``, ``.get("x")``) are not printed text."""
    if expr is None:
        return
    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, str):
            yield expr.value
    elif isinstance(expr, ast.JoinedStr):
        for part in expr.values:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            yield from _printed_text(inner, names, seen)
    elif isinstance(expr, ast.BinOp):
        yield from _printed_text(expr.left, names, seen)
        if isinstance(expr.op, ast.Add):
            yield from _printed_text(expr.right, names, seen)
    elif isinstance(expr, ast.IfExp):
        yield from _printed_text(expr.body, names, seen)
        yield from _printed_text(expr.orelse, names, seen)
    elif isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from _printed_text(value, names, seen)
    elif isinstance(expr, ast.GeneratorExp | ast.ListComp):
        yield from _printed_text(expr.elt, names, seen)
    elif isinstance(expr, ast.Name) and expr.id in names and expr.id not in seen:
        for value in names[expr.id]:
            yield from _printed_text(value, names, seen | {expr.id})
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        method = expr.func.attr
        if method in ("format", "join", "strip", "rstrip", "lstrip"):
            yield from _printed_text(expr.func.value, names, seen)
        if method in ("format", "join"):
            for arg in [*expr.args, *(k.value for k in expr.keywords)]:
                yield from _printed_text(arg, names, seen)


def _printed_line(node: ast.AST, functions: set[ast.AST]) -> list[ast.expr]:
    """What ``node`` prints: the arguments of a ``print()``, or the value a function returns whose string the CLI
    prints: a ``run_as`` body (``(args, service, actor) -> str``) or a ``check_files`` callback (``check``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
        return list(node.args)
    return [node.value] if isinstance(node, ast.Return) and node in functions and node.value is not None else []


def _says_a_line(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    returns_text = isinstance(function.returns, ast.Name) and function.returns.id == "str"
    return returns_text and (function.name == "check" or any(a.arg == "service" for a in function.args.args))


def unsaid_prints(trees: dict[str, ast.Module]) -> list[str]:
    """``file:line`` of every ``print()`` (or returned line the CLI prints) whose text has words written in the
    code outside ``_()`` (other than the verdict tokens): a Chinese install would print them in English."""
    found = []
    for name, tree in trees.items():
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        scope = {child: f for f in functions for child in ast.walk(f)}  # outer first: innermost function wins
        said = {child for f in functions if _says_a_line(f) for child in ast.walk(f) if scope.get(child) is f}
        for node in ast.walk(tree):
            line = _printed_line(node, said)
            if not line:
                continue
            names = _assigned(scope[node]) if node in scope else {}
            pieces = [p for arg in line for p in _printed_text(arg, names, frozenset())]
            if any(ch.isalpha() for p in pieces for ch in VERDICT_TOKENS.sub("", p)):
                found.append(f"{name}:{node.lineno}")
    return found


def test_every_cli_print_goes_through_the_catalogue() -> None:
    """Test that the command line's human-readable lines are said through ``_()`` (JSON and the verdict tokens
    stay as they are), except in the files listed as not yet converted, each of which still has such a line."""
    root = paths.bundle_root()
    found = unsaid_prints(_parse(root, "ltc_assess/cli"))
    assert [f for f in found if f.split(":")[0] not in NOT_YET_SAID] == []
    assert {f.split(":")[0] for f in found} == NOT_YET_SAID  # a converted file leaves the list


PLANTED_PRINTS = """
import json
import sys

from ltc_assess.i18n import _


def bad(path: str, n: int, ok: bool, rows: list[dict[str, str]]) -> None:
    print("nothing to do")  # raw
    print(f"report written: {path}")  # raw
    print("ltc-assess: error: no form files found", file=sys.stderr)  # raw
    print(_("报告已写入：{path}").format(path=path) + " (unsigned)")  # raw
    print(_("服务器：{verdict}").format(verdict="intact" if ok else _("{n} 个问题").format(n=n)))  # raw
    state = "signed" if ok else _("无签名")
    print(_("报告：{state}").format(state=state))  # raw
    print(f"  {n}. " + ("yes" if ok else "否"))  # raw
    print(", ".join(f"{r['name']} at {r['place']}" for r in rows))  # raw
    print("未找到")  # raw


def good(path: str, n: int, ok: bool, rows: list[dict[str, str]], exc: Exception) -> None:
    print(_("报告已写入：{path}").format(path=path))
    print(json.dumps({"ref": path, "level": n}, ensure_ascii=False))
    print("VALID" if ok else "NOT VALID")
    print(f"NOT VALID: {exc}")
    print(f"ltc-assess: error: {exc}", file=sys.stderr)
    print("ltc-assess: " + _("被服务器拒绝：{line}").format(line=path), file=sys.stderr)
    print("ok  " + _("{path}：完整性正常").format(path=path))
    print(f"{rows[0]['uid']}  {rows[0]['due']:<9}  {n:>5}")
    print("  " + _("问题：{problem}").format(problem=path))
    said = _("甲 {n}") if ok else _("乙 {n}")
    print(said.format(n=n))
    print("\\n".join(rows[0].values()))


def body(args: object, service: object, actor: object) -> str:
    if actor:
        return f"user {actor} disabled"  # raw
    return _("用户 {username} 已停用").format(username=actor)


def listing(args: object, service: object, actor: object) -> str:
    lines = []
    for n in range(3):
        state = "active" if n else _("已停用")
        lines.append(f"{n:<4} {state}")
    return "\\n".join(lines)  # raw


def said_listing(args: object, service: object, actor: object) -> str:
    lines = []
    for n in range(3):
        lines.append(f"{n:<4} " + (_("正常") if n else _("已停用")))
    return "\\n".join(lines)


def checker(path: str) -> None:
    def check(p: str) -> str:
        if p:
            return f"ok  {p}  care advice"  # raw
        return f"ok  {p}  " + _("{form} 的照护建议").format(form=p)

    def helper() -> str:
        return "cli"
"""


def test_the_print_scan_finds_planted_raw_lines(tmp_path: Path) -> None:
    """Test that the scan above is a real check: in a planted module it names each raw, f-string, half-said,
    raw-valued, raw-bound, raw-joined and untranslated-Chinese line, and a command body's or file check's raw
    returned line (one joined from a list it appended to), and nothing JSON, verdict or said."""
    (tmp_path / "planted.py").write_text(PLANTED_PRINTS, encoding="utf-8")
    expected = [f"planted.py:{n}" for n, line in enumerate(PLANTED_PRINTS.splitlines(), 1) if line.endswith("# raw")]
    assert len(expected) == 12
    assert sorted(unsaid_prints(_parse(tmp_path)), key=lambda f: int(f.split(":")[1])) == expected


PLANTED_ARGS = """
import argparse
import getpass

from ltc_assess.i18n import _


def password(prompt: str) -> str:
    return getpass.getpass(prompt)


def option(parser: argparse.ArgumentParser, text: str = "who reads") -> None:  # raw
    parser.add_argument("--as", help=text)


def said_option(parser: argparse.ArgumentParser, text: str | None = None) -> None:
    parser.add_argument("--as", help=text)


def early_option(parser: argparse.ArgumentParser, text: str = _("读取者")) -> None:  # raw
    parser.add_argument("--as", help=text)


def late_option(parser: argparse.ArgumentParser, text: str | None = None) -> None:
    parser.add_argument("--as", help=text or _("读取者"))
    parser.add_argument("--by", help=text or "who reads")  # raw


def build(user: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="the workstation", epilog=_("见手册"))  # raw
    parser.add_argument("--db", help="database file")  # raw
    parser.add_argument("--pg", help=f"conninfo (default: ${user})")  # raw
    sub = parser.add_subparsers(dest="command", help=_("命令"))
    check = sub.add_parser("check", help=_("检查") + " (admin)")  # raw
    check.add_argument_group("x", description="the group")  # raw
    check.add_argument("--x", epilog="the end")  # raw
    option(check)
    option(check, "who decides")  # raw
    option(check, text=_("谁决定"))
    said_option(check)
    said_option(check, text="who signs")  # raw
    for name, text in (("a", "first"), ("b", _("乙"))):
        sub.add_parser(name, help=text)  # raw
    for name, said in (("c", _("丙")), ("d", _("丁"))):
        sub.add_parser(name, help=said)
    sub.add_parser("e", help=argparse.SUPPRESS)
    sub.add_parser("f", help=_("{name} 的现场").format(name=user))
    password("password: ")  # raw
    password(_("{user} 的密码：").format(user=user))
    getpass.getpass(f"password for {user}: ")  # raw
    input("continue? ")  # raw
    input(_("继续？"))
    return parser
"""

PLANTED_CALLER = """
from planted import option


def more(parser: object) -> None:
    option(parser, "who reads here")  # raw
    option(parser)
"""


def test_the_argument_scan_finds_planted_raw_help_and_prompts(tmp_path: Path) -> None:
    """Test that the scan above is a real check: in planted modules it names each raw, f-string and half-said
    help, description and epilog, a helper's raw or import-time default and raw arguments (positional, keyword, from a table, from
    a module importing it), and each raw prompt of getpass(), input() and password(), and nothing said."""
    (tmp_path / "planted.py").write_text(PLANTED_ARGS, encoding="utf-8")
    (tmp_path / "caller.py").write_text(PLANTED_CALLER, encoding="utf-8")
    expected = [
        f"{name}:{n}"
        for name, text in (("caller.py", PLANTED_CALLER), ("planted.py", PLANTED_ARGS))
        for n, line in enumerate(text.splitlines(), 1)
        if line.endswith("# raw")
    ]
    assert len(expected) == 16
    assert unsaid_arguments(_parse(tmp_path)) == expected
