"""The agency's revocation list on the office server: taken from pushed bundles as ``bundle import`` takes it
(only if the agency root signed it and it is newer), handed to every laptop on pull."""

from __future__ import annotations

from ltc_assess.storage.pg import crl as crl_rows
from ltc_assess.storage.pg.repository import PgStore


def take(store: PgStore, root_pem: bytes, data: bytes, pushed_by: str) -> int | None:
    """Keep ``data`` if the root signed it and it is newer than the one held (its number; None: not newer). The
    certificates it lists sign nothing here from now on. A CRL the root did not sign is a clear AppError."""
    from ltc_assess.signing.crl import cert_serial, crl_number, listed

    number = crl_number(data, root_pem)
    if number <= crl_rows.held(store)[0]:
        return None
    serials = {entry.serial for entry, _why in listed(data)}
    revoked = [sha for pem, sha in crl_rows.fingerprints(store) if cert_serial(pem.encode()) in serials]
    crl_rows.keep(store, number, data, revoked)
    store.audit(pushed_by, "crl.take", "crl", str(number), {"revoked": len(revoked)})
    return number


def current(store: PgStore) -> bytes | None:
    return crl_rows.held(store)[1]
