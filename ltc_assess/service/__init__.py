"""The service layer: ``AssessmentService``, the one facade the UI, the CLI and the server use, with a manager
per concern behind it (``service.accounts``, ``.subjects``, ``.drafting``, ``.review``, ``.queries``, ``.keys``,
``.reports``, ``.export``, ``.maintenance``)."""

from ltc_assess.inputs import require_png
from ltc_assess.service.accounts import LOCAL_SOURCE
from ltc_assess.service.drafting import REASONS
from ltc_assess.service.facade import AssessmentService, utc_now
from ltc_assess.service.keys import AGENCY, AGENCY_CODE, ROOT_CERT, ROOT_KEY
from ltc_assess.service.types import NewAssessment, ReviewView, SaveResult
from ltc_assess.storage.work import Changes
from ltc_assess.submission import SIGNATURE_ROLES, SIGNER_LABELS, MissingItem, signature_item, signature_role

__all__ = [
    "AGENCY",
    "AGENCY_CODE",
    "LOCAL_SOURCE",
    "REASONS",
    "ROOT_CERT",
    "ROOT_KEY",
    "SIGNATURE_ROLES",
    "SIGNER_LABELS",
    "AssessmentService",
    "Changes",
    "MissingItem",
    "NewAssessment",
    "ReviewView",
    "SaveResult",
    "require_png",
    "signature_item",
    "signature_role",
    "utc_now",
]
