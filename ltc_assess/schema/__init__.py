"""Form definitions: the data model, the loader with located errors, and the expression language."""

from ltc_assess.schema.loader import FormErrors, load_form, load_form_bytes
from ltc_assess.schema.model import AnyItem as Item
from ltc_assess.schema.model import FormDef, Section, Text

__all__ = ["FormDef", "FormErrors", "Item", "Section", "Text", "load_form", "load_form_bytes"]
