"""FHIR views: every installed form becomes a Questionnaire, answers a QuestionnaireResponse, both valid
against the FHIR R4B models of ``fhir.resources`` (the closest published model to R4)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ltc_assess.exchange.fhir import code_system, questionnaire, questionnaire_response
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


@pytest.mark.parametrize("form", installed_forms(), ids=lambda f: f.ref)
def test_conditions_become_enable_when_and_scored_items_are_required(form: FormDef) -> None:
    """Test that every scored item is required, and every item shown or required only under a condition carries
    that condition as enableWhen on an item of the form (answer coded in the question's own code system)."""
    items = _walk(questionnaire(form)["item"])
    for item_id in form.scored_items:
        assert items[item_id]["required"] is True, item_id
    for item_id, item in form.items.items():
        conditions = [c for c in (item.visible_if, item.required_if) if c is not None]
        assert len(items[item_id].get("enableWhen", [])) == len(conditions), item_id
        for when in items[item_id].get("enableWhen", []):
            assert when["question"] in form.items and when["operator"] in ("=", "!=")
            if "answerCoding" in when:
                assert when["answerCoding"]["system"] == code_system(form, when["question"])
                assert when["answerCoding"]["display"], when


def test_coma_makes_gbt_scored_items_optional_through_enable_when() -> None:
    """Test the GB/T case: B items are required unless the person is in a coma (A.5.11 = 1)."""
    items = _walk(questionnaire(get_form("gbt42195-2022"))["item"])
    when = items["B.1.1"]["enableWhen"]
    assert items["B.1.1"]["required"] is True
    assert when == [{"question": "A.5.11", "operator": "!=",
                     "answerCoding": {"system": code_system(get_form("gbt42195-2022"), "A.5.11"), "code": "1",
                                      "display": "有"}}]
    assert items["A.5.2.1"]["enableWhen"][0]["answerCoding"]["code"] == "yes"
    assert items["A.5.2.1"]["required"] is False  # shown when A.5.2 is yes, optional even then
