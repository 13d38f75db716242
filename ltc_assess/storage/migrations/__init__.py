"""Schema migrations: named, ordered steps (sqlite-utils ``Migrations``), never edited once released.

A released database is upgraded by applying the steps it has not seen; ``tests/data/legacy_dbs`` keeps a
database of each released schema, and a test upgrades each one. ``runner`` holds the list and how a step runs;
the steps are grouped by era (``initial``, ``signing_and_exchange``, ``city_policies_and_server``), each era's
module importing the one before it, so that they register in that order whatever imports them. A new step goes
at the end of the newest era's module (or a new era's module, importing the newest).
"""

from ltc_assess.storage.migrations import city_policies_and_server  # noqa: F401 - registers every step, in order
from ltc_assess.storage.migrations.initial import CONTENT_COLUMNS
from ltc_assess.storage.migrations.runner import apply_migrations, migrations, schema_version

__all__ = ["CONTENT_COLUMNS", "apply_migrations", "migrations", "schema_version"]
