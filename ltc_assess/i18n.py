"""One translation mechanism for the whole app: gettext-style ``_()`` over .po catalogs.

Source strings are Chinese (the product is Chinese-first); ``resources/i18n/<lang>.po`` translates them.
The .po files are read directly, so there is no compile step and no tool outside Python is needed. Use
named placeholders: ``_("共 {count} 项").format(count=n)``. Form text is translated in the form files.

Where the words are chosen before the language is known (the scoring engine's explanation, stored as Chinese
in the score JSON and shown in either language), code keeps a ``Msg``: the catalogue id, marked with ``N_()``,
and its values, which may be form wording (``Text``) or other messages; ``say(msg, lang)`` renders it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

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


def N_(message: str) -> str:  # noqa: N802 - the gettext name for "mark for translation, translate later"
    """``message`` unchanged: marks a catalogue id that is translated when said (see ``Msg``)."""
    return message


class Bilingual(Protocol):
    """Form wording (``schema.model.Text``): the same text in each language."""

    def get(self, lang: str) -> str: ...


class Msg(NamedTuple):
    """A message said later in any language: a catalogue id (Chinese, named placeholders) and its values."""

    id: str
    params: Mapping[str, Any] = {}

    def __str__(self) -> str:
        return say(self, SOURCE_LANGUAGE)


def say(message: Msg | Bilingual | str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the current language); values are said the same way, numbers as is."""
    lang = lang or language()
    if isinstance(message, str):
        return message
    if not isinstance(message, Msg):
        return message.get(lang)
    catalog = _state["catalog"] if lang == language() else ({} if lang == SOURCE_LANGUAGE else load_catalog(lang))
    assert isinstance(catalog, dict)
    template = str(catalog.get(message.id, message.id))
    if not message.params:
        return template
    return template.format(**{k: v if isinstance(v, int | float) else say(v, lang) for k, v in message.params.items()})
