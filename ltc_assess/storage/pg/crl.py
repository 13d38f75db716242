"""The agency CRL the server holds (settings) and the certificates it revokes on the server."""

from __future__ import annotations

from ltc_assess.storage.pg.repository import PgStore, now

CRL_PEM, CRL_NUMBER = "crl_pem", "crl_number"


def held(store: PgStore) -> tuple[int, bytes | None]:
    pem = store.setting(CRL_PEM)
    return int(store.setting(CRL_NUMBER) or 0), (pem.encode() if pem else None)


def keep(store: PgStore, number: int, pem: bytes, revoked_fingerprints: list[str]) -> None:
    store.set_setting(CRL_PEM, pem.decode("ascii"))
    store.set_setting(CRL_NUMBER, str(number))
    for sha in revoked_fingerprints:
        store.con.execute("INSERT INTO revoked_certificates VALUES (%s, %s) ON CONFLICT DO NOTHING", [sha, now()])


def fingerprints(store: PgStore) -> list[tuple[str, str]]:
    """(certificate PEM, fingerprint) of every enrolled user."""
    rows = store.rows("SELECT cert_pem, cert_sha256 FROM users WHERE cert_pem IS NOT NULL")
    return [(r["cert_pem"], r["cert_sha256"]) for r in rows]
