"""City long-term-care policies as data: ``policies/<city>/v<N>.yaml`` (process rules, validity, benefits).

Like forms, policies are data, not code: a policy change is a new version file, and an assessment records
the version it was decided under. Nothing here is trusted as fact unless the file says ``verified: true``.
"""

from ltc_assess.policies.model import Benefit, Policy
from ltc_assess.policies.registry import get_policy, installed_policies, load_policy

__all__ = ["Benefit", "Policy", "get_policy", "installed_policies", "load_policy"]
