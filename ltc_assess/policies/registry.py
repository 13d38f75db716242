"""Load, check and find installed city policies (``policies/<city>/v<N>.yaml``), with located errors."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ltc_assess import paths
from ltc_assess.errors import ErrorCode, FormError
from ltc_assess.i18n import _
from ltc_assess.policies.model import Policy
from ltc_assess.schema.located import FormErrors, located_problems, read_file, read_yaml, where

_FILE = re.compile(r"^v(\d+)\.yaml$")
M = TypeVar("M", bound=BaseModel)
GENERIC = "generic"


def policy_files(root: Path | None = None) -> list[Path]:
    """Every policy file under ``root`` (default: the installed policies), sorted by city then version."""
    base = root or paths.policies_dir()
    found = [(p.parent.name, int(m.group(1)), p) for p in base.glob("*/v*.yaml") if (m := _FILE.match(p.name))]
    return [p for _name, _version, p in sorted(found)]


def read_model(path: str | Path, model: type[M]) -> tuple[M, str, Any, bytes]:
    """Read and validate one data file against ``model``: (value, display name, ruamel tree, bytes).

    Raises:
        FormErrors: every problem, each as ``file:line path: message``.
    """
    path = Path(path)
    data, display = read_file(path, ErrorCode.POLICY_NOT_FOUND, path.name)
    raw = read_yaml(data, display, ErrorCode.POLICY_SCHEMA)
    if not isinstance(raw, dict):
        raise FormErrors([FormError(ErrorCode.POLICY_SCHEMA, _("文件必须是映射"), display)])
    try:
        return model.model_validate(raw), display, raw, data
    except ValidationError as exc:
        raise FormErrors(located_problems(exc, display, raw, ErrorCode.POLICY_SCHEMA)) from None


def load_policy(path: str | Path, placed: bool = True) -> Policy:
    """Load and validate one policy file; ``placed`` also requires it at ``<city>/v<version>.yaml``.

    Raises:
        FormErrors: every problem, each as ``file:line path: message``.
    """
    path = Path(path)
    policy, display, raw, data = read_model(path, Policy)
    problems = _check(policy, display, raw)
    if placed and (path.parent.name, path.name) != (policy.city, f"v{policy.version}.yaml"):
        message = _("政策 {ref} 必须保存为 {city}/v{version}.yaml").format(
            ref=policy.ref, city=policy.city, version=policy.version
        )
        problems.append(FormError(ErrorCode.POLICY_SCHEMA, message, display))
    if problems:
        raise FormErrors(problems)
    policy.read_from(data, display)
    return policy


def _check(policy: Policy, display: str, raw: Any) -> list[FormError]:
    """Cross checks pydantic cannot make alone: every level named must exist in the city's form."""
    from ltc_assess.schema.registry import get_form  # forms load only when a policy is checked

    out: list[FormError] = []

    def add(path: tuple[str | int, ...], message: str) -> None:
        out.append(FormError(ErrorCode.POLICY_SCHEMA, message, where(display, raw, path)))

    try:
        levels = {lv.code for lv in get_form(policy.form).scoring.levels}
    except FormError as exc:
        add(("form",), exc.message)
        return out
    for i, level in enumerate(policy.eligible_levels):
        if level not in levels:
            add(("eligible_levels", i), _("{form} 中没有等级 {level}").format(level=level, form=policy.form))
        if level not in policy.validity_months:
            add(("validity_months",), _("可享受待遇的等级 {level} 没有 validity_months 条目").format(level=level))
    for level in policy.validity_months:
        if level not in levels:
            add(("validity_months", level), _("{form} 中没有等级 {level}").format(level=level, form=policy.form))
    if policy.onsite.min_experts > policy.onsite.min_people:
        add(("onsite", "min_experts"), _("不能超过 onsite.min_people"))
    for i, benefit in enumerate(policy.benefits):
        for level in benefit.amounts:
            if level not in policy.eligible_levels:
                add(
                    ("benefits", i, "amounts", level),
                    _("等级 {level} 不是 {ref} 可享受待遇的等级").format(level=level, ref=policy.ref),
                )
    return out


@cache
def installed_policies() -> tuple[Policy, ...]:
    """Every installed policy version, validated (raises on the first broken file); loaded once per process."""
    return tuple(load_policy(p) for p in policy_files())


def get_policy(ref: str) -> Policy:
    """``"city"`` -> newest installed version; ``"city@N"`` -> that version."""
    city, _at, version = ref.partition("@")
    matches = [p for p in installed_policies() if p.city == city]
    if version:
        matches = [p for p in matches if str(p.version) == version]
    if not matches:
        known = ", ".join(sorted({p.city for p in installed_policies()}))
        raise FormError(
            ErrorCode.POLICY_NOT_FOUND, _("未安装政策 {ref!r}（已安装：{known}）").format(ref=ref, known=known)
        )
    return max(matches, key=lambda p: p.version)
