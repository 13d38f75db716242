"""Where pyHanko's AdES past validation starts its control time when we validate "as of" a date.

ETSI EN 319 102-1 §5.6.2.1 slides a *control time* back from the validation time to the last moment the
signer's certificate is known to have been good, and accepts the signature only with a proof of existence
(POE: its RFC 3161 signature timestamp, the DSS and document timestamps) from before that moment.
pyHanko 0.38 gets two things wrong for an insurer validating a 2026 report in 2033 with the agency's
then-current CRL, and this module corrects exactly those two, nothing else:

1. It starts the slide at the machine's clock (``_build_and_past_validate_cert`` passes no control time)
   and defaults POE times to that clock, not at the validation time it was given: ``verify --at DATE``
   then mixes two time lines. Here both follow the ``at`` of :func:`validating_as_of`.
2. A CRL issued after a certificate expired counts as fresh evidence "not revoked" and keeps the control
   time after the expiry; pyHanko then re-validates the whole path at that time (beyond what ETSI asks, see
   the maintenance note in ``ades_past``) and fails every expired certificate. Our CRLs keep revoked
   certificates after they expire (``signing.crl``), so we read the verifier's CRLs up front: the slide
   starts at the earliest of the validation time, the certificate's expiry and its revocation time. For
   key compromise (and unspecified reasons) the revocation time does not bound when the key was misused:
   the slide starts at the RFC 5280 invalidity date, or at the certificate's issue, so no POE can precede
   it and every signature with that key fails.

pyHanko's own slide then runs unchanged from that start (DSS CRLs, timestamps, algorithm checks); a
start that is only ever earlier can make no signature pass that would otherwise fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pyhanko.sign.validation.ades as pyhanko_ades
import pyhanko_certvalidator.ltv.poe as pyhanko_poe
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.context import CertValidationPolicySpec, ValidationDataHandlers
from pyhanko_certvalidator.ltv.ades_past import past_validate
from pyhanko_certvalidator.path import ValidationPath

# Reasons after which the revocation time does not bound when the key was misused (RFC 5280 §5.3.1).
KEY_MISUSE_REASONS = frozenset({"key_compromise", "ca_compromise", "aa_compromise", "unspecified"})


@dataclass(frozen=True, slots=True)
class Revoked:
    """A certificate's entry on a CRL the verifier trusts."""

    at: dt.datetime
    reason: str  # asn1crypto's name of the RFC 5280 CRLReason, e.g. "cessation_of_operation"
    invalid_since: dt.datetime | None = None  # the RFC 5280 invalidityDate entry extension, if any


@dataclass(frozen=True, slots=True)
class _AsOf:
    at: dt.datetime
    revoked: Mapping[tuple[bytes, int], Revoked]  # (issuer name DER, serial) -> entry


_AS_OF: ContextVar[_AsOf | None] = ContextVar("ltc_assess_validation_as_of", default=None)


def start_of_slide(cert: asn1_x509.Certificate, at: dt.datetime, entry: Revoked | None) -> dt.datetime:
    """The control time the slide for ``cert`` starts from when validating as of ``at``."""
    expires: dt.datetime = cert.not_valid_after
    issued: dt.datetime = cert.not_valid_before
    start = min(at, expires)
    if entry is None:
        return start
    if entry.reason in KEY_MISUSE_REASONS:
        return min(start, entry.invalid_since or issued)
    return min(start, entry.at)


async def _past_validate_as_of(
    path: ValidationPath,
    validation_policy_spec: CertValidationPolicySpec,
    validation_data_handlers: ValidationDataHandlers,
    init_control_time: dt.datetime | None = None,
    best_signature_time: dt.datetime | None = None,
) -> dt.datetime:
    as_of = _AS_OF.get()
    if as_of is not None and init_control_time is None:
        leaf = path.leaf
        if isinstance(leaf, asn1_x509.Certificate):
            entry = as_of.revoked.get((leaf.issuer.dump(), leaf.serial_number))
            init_control_time = start_of_slide(leaf, as_of.at, entry)
        else:
            init_control_time = as_of.at
    return await past_validate(
        path, validation_policy_spec, validation_data_handlers, init_control_time, best_signature_time
    )


class _Clock(dt.datetime):
    """``datetime`` whose ``now()`` is the validation time inside :func:`validating_as_of`."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Any:
        as_of = _AS_OF.get()
        if as_of is None:
            return dt.datetime.now(tz)
        return as_of.at.astimezone(tz) if tz is not None else as_of.at


if pyhanko_ades.past_validate is not past_validate or pyhanko_poe.datetime is not dt.datetime:  # pragma: no cover
    raise ImportError("pyHanko's AdES internals changed: re-check ltc_assess.signing.past_control before upgrading")
pyhanko_ades.past_validate = _past_validate_as_of
pyhanko_poe.datetime = _Clock  # type: ignore[misc]


@contextmanager
def validating_as_of(at: dt.datetime, revoked: Mapping[tuple[bytes, int], Revoked]) -> Iterator[None]:
    """Within this block pyHanko's past validation works on the time line of ``at`` (see the module text)."""
    token = _AS_OF.set(_AsOf(at, dict(revoked)))
    try:
        yield
    finally:
        _AS_OF.reset(token)
