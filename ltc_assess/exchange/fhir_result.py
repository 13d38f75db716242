"""The assessment's result as FHIR R4 data: an ``Observation`` per assessment with the decided (final) level,
the proposed level, the total and each dimension, coded in our own ``CodeSystem``.

Why: a QuestionnaireResponse carries answers only; an insurer's FHIR tooling should read the level it pays on
without re-scoring. The level is the stored decided level (never re-derived from the engine), the same as in
the report, assessments.json and the CSV. The CodeSystem's canonical URL is a public contract: keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ltc_assess.schema.model import FormDef

CODE_SYSTEM_URL = "https://ltc-assess.org/fhir/CodeSystem/ltc-assessment"
INSURED_SYSTEM = "urn:ltc-assess:insured"  # the identifier system QuestionnaireResponse.subject uses


def level_code(form: FormDef, code: int) -> str:
    return f"{form.form}.level.{code}"


def dimension_code(form: FormDef, dimension_id: str) -> str:
    return f"{form.form}.{dimension_id}"


def _coding(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": CODE_SYSTEM_URL, "code": code, "display": display}], "text": display}


def code_system(forms: list[FormDef]) -> dict[str, Any]:
    """Our CodeSystem with the result codes, and each form's levels and dimensions (a fragment: only the forms
    of this package)."""
    concepts = [
        {"code": "final-level", "display": "最终等级（审核核定）", "definition": "The level decided at approval."},
        {"code": "proposed-level", "display": "计算建议等级", "definition": "The level the scoring engine proposed."},
        {"code": "total", "display": "总分", "definition": "The total score, where the standard has one."},
        {"code": "validity", "display": "结论有效期", "definition": "The conclusion's validity under the city policy."},
        {"code": "policy", "display": "城市政策版本", "definition": "The city policy version it was decided under."},
    ]
    for form in sorted(forms, key=lambda f: f.form):
        for level in form.scoring.levels:
            concepts.append(
                {
                    "code": level_code(form, level.code),
                    "display": level.name.zh_CN,
                    "definition": f"{form.standard.en}: level {level.code} ({level.name.en})",
                }
            )
        for dim in form.scoring.dimensions:
            concepts.append(
                {
                    "code": dimension_code(form, dim.id),
                    "display": dim.label.zh_CN,
                    "definition": f"{form.standard.en}: dimension {dim.label.en}",
                }
            )
    return {
        "resourceType": "CodeSystem",
        "id": "ltc-assessment",
        "url": CODE_SYSTEM_URL,
        "name": "LtcAssessment",
        "title": "长期护理需求评估结果代码 / LTC assessment result codes",
        "status": "active",
        "content": "fragment",
        "caseSensitive": True,
        "count": len(concepts),
        "concept": concepts,
    }


def observation(
    form: FormDef,
    *,
    observation_id: str,
    response_id: str,
    subject_identifier: str,
    assessment_date: str,
    issued: str | None,
    decided_level: int,
    proposed_level: int | None,
    score: dict[str, Any],
    conclusion: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The result of one approved assessment; ``score`` is the stored ``ScoreResult.to_dict()``; ``conclusion``
    (``conclusions.export_view``, under a city policy) adds its validity period and policy version."""
    components: list[dict[str, Any]] = []
    if conclusion is not None:
        period = {"start": conclusion["valid_from"], "end": conclusion["valid_until"]}
        components.append({"code": _coding("validity", "结论有效期"), "valuePeriod": period})
        components.append({"code": _coding("policy", "城市政策版本"), "valueString": conclusion["policy"]})
    if proposed_level is not None:
        name = form.level_name(proposed_level) or ""
        components.append(
            {
                "code": _coding("proposed-level", "计算建议等级"),
                "valueCodeableConcept": _coding(level_code(form, proposed_level), name),
            }
        )
    if score.get("total") is not None:
        components.append({"code": _coding("total", "总分"), "valueInteger": score["total"]})
    for dim in form.scoring.dimensions:  # in the table's order
        result = score.get("dimensions", {}).get(dim.id, {})
        component: dict[str, Any] = {"code": _coding(dimension_code(form, dim.id), dim.label.zh_CN)}
        grade = (result.get("grade") or {}).get("name")
        if result.get("score") is not None:
            component["valueInteger"] = result["score"]
            if grade:
                component["interpretation"] = [{"text": grade}]
        else:
            component["valueString"] = grade or ""
        components.append(component)
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "id": observation_id,
        "status": "final",
        "code": _coding("final-level", "最终等级（审核核定）"),
        "subject": {"identifier": {"system": INSURED_SYSTEM, "value": subject_identifier}},
        "effectiveDateTime": assessment_date,
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
        "valueCodeableConcept": _coding(level_code(form, decided_level), form.level_name(decided_level) or ""),
        "component": components,
    }
    if issued:
        out["issued"] = issued
    return out
