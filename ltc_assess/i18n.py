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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, Protocol

from ltc_assess import paths

SOURCE_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
_state: dict[str, object] = {"lang": SOURCE_LANGUAGE, "catalog": {}}
_ENTRY = re.compile(r'^msgid "(.*)"\s*\nmsgstr "(.*)"\s*$', re.MULTILINE)
_catalogs: dict[str, dict[str, str]] = {}
# The language of one server request (its Accept-Language), over the process's; unset elsewhere.
_request_lang: ContextVar[str | None] = ContextVar("request_lang", default=None)
LANG_ENV = "LTC_LANG"
LOCALE_ENV = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def load_catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr from ``resources/i18n/<lang>.po`` (empty translations are skipped)."""
    path = paths.resources_dir() / "i18n" / f"{lang}.po"
    text = path.read_text(encoding="utf-8")
    return {_unescape(k): _unescape(v) for k, v in _ENTRY.findall(text) if k and v}


def _catalog(lang: str) -> dict[str, str]:
    """The catalogue of ``lang``, read once per process (the source language has none)."""
    if lang == SOURCE_LANGUAGE:
        return {}
    if lang not in _catalogs:
        _catalogs[lang] = load_catalog(lang)
    return _catalogs[lang]


def set_language(lang: str) -> None:
    """Switch the language of every later ``_()`` call."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _state["lang"] = lang
    _state["catalog"] = _catalog(lang)


def language() -> str:
    return _request_lang.get() or str(_state["lang"])


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """``_()`` speaks ``lang`` inside this block, in this context only (one server request among many)."""
    token = _request_lang.set(lang if lang in LANGUAGES else None)
    try:
        yield
    finally:
        _request_lang.reset(token)


def locale_language(environ: Mapping[str, str]) -> str:
    """The language the POSIX locale asks for: the first of LC_ALL, LC_MESSAGES, LANG that is set; English if it
    starts with ``en``, else Chinese (the source language, also for ``C`` and ``POSIX``)."""
    value = next((environ[name] for name in LOCALE_ENV if environ.get(name)), "")
    return "en" if value.startswith("en") else SOURCE_LANGUAGE


def cli_language(environ: Mapping[str, str]) -> str:
    """The command line's language: ``$LTC_LANG`` (zh_CN or en) if set, else the locale's.

    Raises ValueError, worded in the locale's language, for an LTC_LANG we do not speak."""
    chosen = environ.get(LANG_ENV)
    if not chosen:
        return locale_language(environ)
    if chosen in LANGUAGES:
        return chosen
    fallback = locale_language(environ)
    message = _catalog(fallback).get(_UNKNOWN_LANG, _UNKNOWN_LANG)
    raise ValueError(message.format(name=LANG_ENV, value=chosen, known=", ".join(LANGUAGES)))


def accepted_language(header: str | None) -> str | None:
    """The language of an HTTP ``Accept-Language`` header we speak (``en…`` or ``zh…``), or None."""
    first = (header or "").split(",")[0].strip().lower()
    if first.startswith("en"):
        return "en"
    return SOURCE_LANGUAGE if first.startswith("zh") else None


def header_language(lang: str | None = None) -> str:
    """``lang`` (default: the current language) as an HTTP language tag."""
    return (lang or language()).replace("_", "-")


def _(message: str) -> str:
    """The translation of ``message`` in the current language (the message itself if untranslated)."""
    lang = _request_lang.get()
    catalog = _state["catalog"] if lang is None else _catalog(lang)
    assert isinstance(catalog, dict)
    return str(catalog.get(message, message))


def N_(message: str) -> str:  # noqa: N802 - the gettext name for "mark for translation, translate later"
    """``message`` unchanged: marks a catalogue id that is translated when said (see ``Msg``)."""
    return message


_UNKNOWN_LANG = N_("环境变量 {name} 的值 {value} 无效，可选：{known}")


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
    catalog = _catalog(lang)
    assert isinstance(catalog, dict)
    template = str(catalog.get(message.id, message.id))
    if not message.params:
        return template
    return template.format(**{k: v if isinstance(v, int | float) else say(v, lang) for k, v in message.params.items()})
