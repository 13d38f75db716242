"""One translation mechanism for the whole app: gettext-style ``_()`` over .po catalogs.

Source strings are Chinese (the product is Chinese-first); ``resources/i18n/<lang>.po`` translates them.
The .po files are read directly, so there is no compile step and no tool outside Python is needed. Use
named placeholders: ``_("共 {count} 项").format(count=n)``. Form text is translated in the form files.
"""

from __future__ import annotations

import re

from ltc_assess import paths

SOURCE_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
_state: dict[str, object] = {"lang": SOURCE_LANGUAGE, "catalog": {}}
_ENTRY = re.compile(r'^msgid "(.*)"\s*\nmsgstr "(.*)"\s*$', re.MULTILINE)


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def load_catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr from ``resources/i18n/<lang>.po`` (empty translations are skipped)."""
    path = paths.resources_dir() / "i18n" / f"{lang}.po"
    text = path.read_text(encoding="utf-8")
    return {_unescape(k): _unescape(v) for k, v in _ENTRY.findall(text) if k and v}


def set_language(lang: str) -> None:
    """Switch the language of every later ``_()`` call."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _state["lang"] = lang
    _state["catalog"] = {} if lang == SOURCE_LANGUAGE else load_catalog(lang)


def language() -> str:
    return str(_state["lang"])


def _(message: str) -> str:
    """The translation of ``message`` in the current language (the message itself if untranslated)."""
    catalog = _state["catalog"]
    assert isinstance(catalog, dict)
    return str(catalog.get(message, message))
