"""Installed forms: ``forms/<form-id>/v<N>.yaml``, loaded on demand and kept for the process.

Assessments record ``form@version`` and the file's sha256, so old cases stay reproducible after a newer
version is installed.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path

from ltc_assess import paths
from ltc_assess.errors import ErrorCode, FormError
from ltc_assess.i18n import _
from ltc_assess.schema.loader import load_form
from ltc_assess.schema.located import display_path, read_file, read_yaml, where
from ltc_assess.schema.model import FormDef

_FILE = re.compile(r"^v(\d+)\.yaml$")
INDEX = "index.yaml"  # forms/index.yaml: what the installed forms say as a set (the default form)
_loading = threading.Lock()  # the app loads forms in a background thread while the GUI thread may ask for them


def form_files(root: Path | None = None) -> list[Path]:
    """Every form file under ``root`` (default: the installed forms), sorted by id then version."""
    base = root or paths.forms_dir()
    found = [(p.parent.name, int(m.group(1)), p) for p in base.glob("*/v*.yaml") if (m := _FILE.match(p.name))]
    return [p for _name, _version, p in sorted(found)]


def check_placement(form: FormDef, path: Path) -> None:
    """A form file must live at ``forms/<form>/v<version>.yaml`` so ids and versions cannot drift."""
    expected = (form.form, f"v{form.version}.yaml")
    if (path.parent.name, path.name) != expected:
        raise FormError(
            ErrorCode.FORM_SCHEMA,
            _("表单 {ref} 必须保存为 {folder}/{file}").format(ref=form.ref, folder=expected[0], file=expected[1]),
            display_path(path),
        )


def installed_forms() -> tuple[FormDef, ...]:
    """All installed form versions, validated (raises on the first broken file); loaded once per process."""
    with _loading:
        return _load_installed()


@cache
def _load_installed() -> tuple[FormDef, ...]:
    forms = []
    for path in form_files():
        form = load_form(path)
        check_placement(form, path)
        forms.append(form)
    return tuple(forms)


def get_form(ref: str) -> FormDef:
    """``"id"`` -> newest installed version; ``"id@N"`` -> that version."""
    form_id, _at, version = ref.partition("@")
    matches = [f for f in installed_forms() if f.form == form_id]
    if version:
        if not version.isdigit():
            raise FormError(
                ErrorCode.FORM_NOT_FOUND, _("{ref!r} 中的表单版本 {version!r} 无效").format(version=version, ref=ref)
            )
        matches = [f for f in matches if f.version == int(version)]
    if not matches:
        known = ", ".join(sorted({f.ref for f in installed_forms()}))
        raise FormError(
            ErrorCode.FORM_NOT_FOUND, _("未安装表单 {ref!r}（已安装：{known}）").format(ref=ref, known=known)
        )
    return max(matches, key=lambda f: f.version)


def default_form(root: Path | None = None) -> str:
    """The form a new assessment offers first when nothing else leads (no city policy, no form used yet): the
    ``default`` of ``forms/index.yaml``, so that the standard offered is data, not code. It must name an installed
    form (a located error otherwise)."""
    base = root or paths.forms_dir()
    data, display = read_file(base / INDEX, ErrorCode.FORM_SCHEMA, _("表单索引"))
    raw = read_yaml(data, display, ErrorCode.FORM_SCHEMA)
    default = raw.get("default") if isinstance(raw, dict) else None
    known = sorted({p.parent.name for p in form_files(base)})
    if not isinstance(default, str) or default not in known:
        raise FormError(
            ErrorCode.FORM_NOT_FOUND,
            _("default：{default!r} 不是已安装的表单（已安装：{known}）").format(
                default=default, known=", ".join(known)
            ),
            where(display, raw, ("default",)),
        )
    return default
