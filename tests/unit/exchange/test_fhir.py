"""FHIR views: every installed form becomes a Questionnaire, answers a QuestionnaireResponse, both valid
against the FHIR R4B models of ``fhir.resources`` (the closest published model to R4)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ltc_assess.exchange.fhir import questionnaire, questionnaire_response
from ltc_assess.schema.model import FormDef
from ltc_assess.schema.registry import get_form, installed_forms


def _walk(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for item in items:
        out[item["linkId"]] = item
        out.update(_walk(item.get("item", [])))
    return out


@pytest.mark.parametrize("form", installed_forms(), ids=lambda f: f.ref)
def test_questionnaire_is_valid_and_complete(form: FormDef) -> None:
    """Test that each form's Questionnaire validates and carries every item with its options and scores."""
    q = questionnaire(form)
    Questionnaire.model_validate(q)
    items = _walk(q["item"])
    assert set(form.items) <= set(items)
    assert q["status"] == ("draft" if form.status == "provisional" else "active")
    for item_id in form.scored_items:
        options = items[item_id]["answerOption"]
        values = sorted(o["extension"][0]["valueDecimal"] for o in options)
        assert values == sorted(c.value for c in form.items[item_id].choices)  # type: ignore[union-attr]


def test_questionnaire_response_is_valid_and_carries_answers() -> None:
    """Test that a response validates and holds each answer with its code and wording."""
    form = get_form("barthel")
    answers = {f"BI.{i}": 0 for i in range(1, 11)} | {"BI.1": 10, "INFO.1": "2026-05-01"}
    qr = questionnaire_response(form, answers, response_id="a-1", subject_identifier="INS-001", authored="2026-05-01")
    QuestionnaireResponse.model_validate(qr)
    items = _walk(qr["item"])
    coding = items["BI.1"]["answer"][0]["valueCoding"]
    assert coding["code"] == "10" and coding["display"].startswith("可独立进食")
    assert items["INFO.1"]["answer"] == [{"valueDate": "2026-05-01"}]
    assert qr["questionnaire"] == "urn:ltc-assess:questionnaire:barthel|1"
