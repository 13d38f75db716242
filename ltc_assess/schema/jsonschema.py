"""JSON Schema of the form file format, for editors and external validators (``forms/schema.json``)."""

from __future__ import annotations

import json
from typing import Any

from ltc_assess.schema.model import FormDef


def form_json_schema() -> dict[str, Any]:
    """The schema pydantic derives from the model: the model stays the single definition."""
    schema = FormDef.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ltc-assess form definition"
    return schema


def form_json_schema_text() -> str:
    """Stable text for ``forms/schema.json`` (generated; do not hand-edit)."""
    return json.dumps(form_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
