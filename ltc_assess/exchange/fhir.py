"""FHIR R4 views of forms and answers: ``Questionnaire`` per form version, ``QuestionnaireResponse`` per
assessment, so insurers with FHIR tooling can read exports without knowing our file formats.

Pure functions from the form definition and plain values; JSON-ready dicts out.
"""

from __future__ import annotations

import re
from typing import Any

from ltc_assess.schema.expressions import Expression
from ltc_assess.schema.model import (
    AnyItem,
    ChoiceItem,
    ComputedItem,
    DateItem,
    FormDef,
    GroupItem,
    MultiChoiceItem,
    NumberItem,
    SignatureItem,
    TextItem,
)

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def canonical_url(form: FormDef) -> str:
    """Stable canonical URL of a form (versioned with ``|<version>`` where FHIR references it)."""
    return f"urn:ltc-assess:questionnaire:{form.form}"


def code_system(form: FormDef, item_id: str) -> str:
    return f"urn:ltc-assess:{form.form}:{form.version}:{item_id}"


def _text_ext(en: str) -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [{"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": en}],
            }
        ]
    }


def _fhir_type(item: AnyItem) -> str:
    if isinstance(item, ChoiceItem):
        return "choice"
    if isinstance(item, NumberItem):
        return "decimal" if item.decimals else "integer"
    if isinstance(item, DateItem):
        return "date"
    if isinstance(item, GroupItem):
        return "group"
    if isinstance(item, SignatureItem):
        return "attachment"
    if isinstance(item, ComputedItem):
        return "decimal"
    assert isinstance(item, TextItem)
    return "string"


def _q_item(form: FormDef, item: AnyItem, scored: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {
        "linkId": item.id,
        "prefix": item.id,
        "text": item.label.zh_CN,
        "_text": _text_ext(item.label.en),
        "type": _fhir_type(item),
        "required": item.required or item.required_if is not None or item.id in scored,
    }
    conditions = [enable_when(form, e) for e in (item.visible_if, item.required_if) if e is not None]
    if conditions:
        # FHIR has no "required if": an item required only in some cases is required and enabled only then
        out["enableWhen"] = conditions
        if len(conditions) > 1:
            out["enableBehavior"] = "all"
    if isinstance(item, ComputedItem):
        out["readOnly"] = True
    if isinstance(item, MultiChoiceItem) or isinstance(item, GroupItem):
        out["repeats"] = True
    if isinstance(item, ChoiceItem):
        options = []
        for choice in item.choices:
            option: dict[str, Any] = {
                "valueCoding": {
                    "system": code_system(form, item.id),
                    "code": str(choice.value),
                    "display": choice.label.zh_CN,
                }
            }
            if isinstance(choice.value, int):
                option["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": choice.value}]
            options.append(option)
        out["answerOption"] = options
    if isinstance(item, GroupItem):
        out["item"] = [_q_item(form, f) for f in item.fields]
    return out


def questionnaire(form: FormDef) -> dict[str, Any]:
    """The FHIR R4 Questionnaire for one form version (provisional forms are ``draft``); scored items are
    ``required``, items shown or required only under a condition carry it as ``enableWhen``."""
    scored = frozenset(form.scored_items)
    return {
        "resourceType": "Questionnaire",
        "id": f"{form.form}-v{form.version}",
        "url": canonical_url(form),
        "version": str(form.version),
        "name": form.form.replace("-", "_"),
        "title": form.title.zh_CN,
        "_title": _text_ext(form.title.en),
        "status": "active" if form.status == "final" else "draft",
        "language": "zh-CN",
        "description": form.standard.zh_CN,
        "identifier": [{"system": "urn:ltc-assess:form-sha256", "value": form.sha256}],
        "item": [
            {
                "linkId": s.id,
                "text": s.title.zh_CN,
                "_text": _text_ext(s.title.en),
                "type": "group",
                "item": [_q_item(form, item, scored) for item in s.items],
            }
            for s in form.sections
        ],
    }


_COMPARISON = re.compile(r"^\{(?P<ref>[^{}]+)\}\s*(?P<op>==|!=)\s*(?P<value>'[^']*'|\d+)$")
_MEMBERSHIP = re.compile(r"^(?P<value>'[^']*'|\d+)\s+in\s+\{(?P<ref>[^{}]+)\}$")


def enable_when(form: FormDef, condition: Expression) -> dict[str, Any]:
    """A form condition (``{X} == v``, ``{X} != v``, ``v in {X}``) as a FHIR ``enableWhen``.

    Raises ValueError for any other shape, so that a new form with a condition FHIR cannot say is noticed
    (tests translate every installed form) instead of exported as unconditionally optional.
    """
    text = condition.source.strip()
    match = _COMPARISON.match(text) or _MEMBERSHIP.match(text)
    if match is None or match["ref"] not in form.items:
        raise ValueError(f"{form.ref}: condition {text!r} has no FHIR enableWhen form")
    raw = match["value"]
    value: int | str = raw.strip("'") if raw.startswith("'") else int(raw)
    operator = "!=" if match.groupdict().get("op") == "!=" else "="
    target = form.items[match["ref"]]
    answer: dict[str, Any]
    if isinstance(target, ChoiceItem):
        labels = {c.value: c.label.zh_CN for c in target.choices}
        coding = {"system": code_system(form, target.id), "code": str(value), "display": labels.get(value, "")}
        answer = {"answerCoding": coding}
    else:
        answer = {"answerInteger": value} if isinstance(value, int) else {"answerString": value}
    return {"question": target.id, "operator": operator, **answer}


def _answers(form: FormDef, item: AnyItem, value: Any) -> list[dict[str, Any]]:
    if isinstance(item, ChoiceItem):
        labels = {c.value: c.label.zh_CN for c in item.choices}
        values = value if isinstance(item, MultiChoiceItem) else [value]
        return [
            {"valueCoding": {"system": code_system(form, item.id), "code": str(v), "display": labels.get(v, "")}}
            for v in values
        ]
    if isinstance(item, NumberItem | ComputedItem):
        if value is None:
            return []
        return (
            [{"valueInteger": value}]
            if isinstance(value, int) and not isinstance(item, ComputedItem)
            else [{"valueDecimal": value}]
        )
    if isinstance(item, DateItem):
        return [{"valueDate": value}]
    if isinstance(item, SignatureItem):
        return [{"valueAttachment": {"contentType": "image/png", "title": str(value)}}]
    return [{"valueString": str(value)}]


def _r_item(form: FormDef, item: AnyItem, value: Any) -> dict[str, Any] | None:
    if value is None or value == [] or value == "":
        return None
    out: dict[str, Any] = {"linkId": item.id, "text": item.label.zh_CN}
    if isinstance(item, GroupItem):
        fields = {f.id: f for f in item.fields}
        rows = []
        for row in value:
            cells = [c for fid, v in row.items() if fid in fields and (c := _r_item(form, fields[fid], v)) is not None]
            rows.append({"linkId": item.id, "item": cells})
        return {"linkId": item.id, "text": item.label.zh_CN, "item": rows} if rows else None
    out["answer"] = _answers(form, item, value)
    return out


def questionnaire_response(
    form: FormDef,
    answers: dict[str, Any],
    *,
    response_id: str,
    subject_identifier: str,
    authored: str,
    status: str = "completed",
    computed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The FHIR R4 QuestionnaireResponse for one assessment's answers.

    Args:
        subject_identifier: the insured person's identifier as the insurer knows it (e.g. insurance number).
        authored: assessment date (ISO).
        computed: values of computed items (e.g. BMI), which are not answers.
    """
    values = {**answers, **(computed or {})}
    sections = []
    for s in form.sections:
        items = [r for item in s.items if (r := _r_item(form, item, values.get(item.id))) is not None]
        if items:
            sections.append({"linkId": s.id, "text": s.title.zh_CN, "item": items})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{canonical_url(form)}|{form.version}",
        "status": status,
        "subject": {"identifier": {"system": "urn:ltc-assess:insured", "value": subject_identifier}},
        "authored": authored,
        "item": sections,
    }
