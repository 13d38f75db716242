"""A stored score's explanation and warnings in the reader's language.

The score JSON keeps the engine's Chinese text (the CLI contract). To say it in another language the same
answers are scored again with the same form version; the engine's messages are used only when they say
exactly what was stored, so a reader never sees an explanation other than the one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ltc_assess.i18n import SOURCE_LANGUAGE, say
from ltc_assess.schema.model import FormDef
from ltc_assess.scoring.engine import score


def stored_explanation(
    form: FormDef, answers: Mapping[str, Any], stored: Mapping[str, Any] | None, lang: str
) -> tuple[list[str], list[str]]:
    """(warnings, trace lines) of ``stored`` (a score JSON) in ``lang``, else as stored."""
    stored = stored or {}
    warnings = [str(w["text"]) for w in stored.get("warnings", [])]
    trace = [str(t["text"]) for t in stored.get("trace", [])]
    if lang == SOURCE_LANGUAGE or not trace:
        return warnings, trace
    for partial in (True, False):
        try:
            again = score(form, answers, partial=partial)
        except Exception:  # noqa: BLE001 - a score the engine now refuses: show what was stored
            continue
        if [t.text for t in again.trace] == trace and [w.text for w in again.all_warnings] == warnings:
            return [say(w.says, lang) for w in again.all_warnings], [say(t.says, lang) for t in again.trace]
    return warnings, trace
