"""forms/schema.json is generated from the model and kept current."""

from __future__ import annotations

from ltc_assess import paths
from ltc_assess.schema.jsonschema import form_json_schema, form_json_schema_text


def test_committed_schema_is_current() -> None:
    """Test that forms/schema.json equals what the model generates (regenerate: ltc-assess forms schema)."""
    committed = (paths.forms_dir() / "schema.json").read_text(encoding="utf-8")
    assert committed == form_json_schema_text()


def test_schema_describes_items_and_expressions() -> None:
    """Test that the schema names every item kind and types expressions as strings."""
    schema = form_json_schema()
    defs = schema["$defs"]
    for name in ("SingleChoiceItem", "MultiChoiceItem", "GroupItem", "ComputedItem", "SignatureItem", "MatrixRule"):
        assert name in defs
    assert defs["ComputedItem"]["properties"]["expression"]["type"] == "string"
    assert set(schema["required"]) >= {"form", "version", "status", "sections", "scoring"}
    assert defs["Effect"]["properties"].keys() == {"set", "raise"}
