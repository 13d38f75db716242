"""Long-term validation of a report as of a date (ETSI EN 319 102-1 via pyHanko's AdES-LTA validation).

The verdict per signature is pyHanko's AdES sub-indication, never its overall ``bottom_line`` (which calls a
signature without any timestamp "valid"). PDFs embedded as attachments (the approved report carries the
submitted one as ``submitted-report.pdf``) are validated too, each on its own. Only the roots and CRLs the
verifier hands in are trusted; the file's DSS is used as evidence, never as a source of trust.

A signature made before its signer's certificate was revoked for a reason other than key compromise (an
account disabled, a password reset) stays valid: its timestamp proves it existed before the revocation.
``past_control`` makes pyHanko's past validation see that on the time line of ``at`` (see there why).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import io
from collections.abc import Mapping
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESSubIndic
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy, FreshnessReqType
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing.crl import revoked_entries
from ltc_assess.signing.pades import subject_of
from ltc_assess.signing.past_control import Revoked, validating_as_of

MAX_DEPTH = 3  # a report embeds the submitted one; nothing legitimate nests deeper


@dataclass(frozen=True, slots=True)
class LtvCheck:
    """One signature of one file (the report itself, or an embedded PDF) as of the validation time."""

    file: str
    field: str
    signer: str
    role: str
    username: str
    signed_at: str | None  # the signature timestamp's time (proof of existence), else the signer's claim
    revision: int  # the revision of ``file`` the signature covers (1 = the first)
    revisions: int
    intact: bool
    trusted: bool
    ades: str  # "OK" or the AdES sub-indication, e.g. NO_POE, REVOKED_NO_POE
    closes_file: bool  # covers the whole file, or only DSS and document timestamps follow it
    revoked: str | None = None  # "<RFC 5280 reason> <time>" where the verifier's CRLs list the signer's certificate

    @property
    def valid(self) -> bool:
        return self.ades == "OK"


def validate_report(
    pdf: bytes, trust_roots_pem: list[bytes], crls: list[asn1_crl.CertificateList], at: dt.datetime | None = None
) -> list[LtvCheck]:
    """Every signature in ``pdf`` and in the PDFs attached to it, validated as of ``at`` (None: now)."""
    roots = [c for pem in trust_roots_pem for c in load_certs_from_pemder_data(pem)]
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                SimpleTrustManager.build(trust_roots=roots),
                CertRevTrustPolicy(REQUIRE_REVINFO, freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                RevinfoOnlineFetchingRule.LOCAL_ONLY, certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH
            ),
            local_knowledge=LocalKnowledge(known_crls=[CRLContainer(c) for c in crls]),
        )
    )
    timing = ValidationTimingInfo(at, at, True) if at is not None else ValidationTimingInfo.now()
    revoked = revoked_entries(crls, roots)
    with validating_as_of(timing.validation_time, revoked):
        return _validate_file(pdf, "", spec, timing, 0, revoked)


def _validate_file(
    pdf: bytes,
    name: str,
    spec: PdfSignatureValidationSpec,
    timing: ValidationTimingInfo,
    depth: int,
    revoked: Mapping[tuple[bytes, int], Revoked],
) -> list[LtvCheck]:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
        attachments = _pdf_attachments(reader)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise AppError(
            ErrorCode.INVALID, _("{name}：无法读取的 PDF：{exc}").format(name=name or _("该文件"), exc=exc)
        ) from None
    revisions = reader.xrefs.total_revisions
    checks = []
    for sig in signatures:
        result = asyncio.run(ades_lta_validation(sig, spec, timing_info=timing))
        status = result.api_status
        who = subject_of(sig.signer_cert.dump() if sig.signer_cert is not None else None)
        stamped = getattr(status, "timestamp_validity", None)
        when = stamped.timestamp if stamped is not None else sig.self_reported_timestamp
        cert = sig.signer_cert
        entry = revoked.get((cert.issuer.dump(), cert.serial_number)) if cert is not None else None
        checks.append(
            LtvCheck(
                file=name,
                field=sig.field_name,
                signer=who.get("name", ""),
                role=who.get("role", ""),
                username=who.get("username", ""),
                signed_at=when.isoformat() if when is not None else None,
                revision=sig.signed_revision + 1,
                revisions=revisions,
                intact=bool(status is not None and status.intact),
                trusted=bool(status is not None and status.trusted),
                ades=_subindication(result.ades_subindic),
                closes_file=_closes_file(status),
                revoked=f"{entry.reason} {entry.at.isoformat()}" if entry is not None else None,
            )
        )
    if depth < MAX_DEPTH:
        for child_name, data in attachments:
            label = f"{name}/{child_name}" if name else child_name
            checks += _validate_file(data, label, spec, timing, depth + 1, revoked)
    return checks


def _pdf_attachments(reader: PdfFileReader) -> list[tuple[str, bytes]]:
    """(name, bytes) of every embedded file that is a PDF, from the document-level EmbeddedFiles name tree."""
    names = _deref(reader.root.get("/Names"))
    tree = _deref(names.get("/EmbeddedFiles")) if isinstance(names, DictionaryObject) else None
    out: list[tuple[str, bytes]] = []
    pending = [tree] if isinstance(tree, DictionaryObject) else []
    while pending:
        node = pending.pop()
        kids = _deref(node.get("/Kids"))
        if isinstance(kids, ArrayObject):
            pending += [k for k in (_deref(kids[i]) for i in range(len(kids))) if isinstance(k, DictionaryObject)]
        entries = _deref(node.get("/Names"))
        if not isinstance(entries, ArrayObject):
            continue
        items = [_deref(entries[i]) for i in range(len(entries))]  # ArrayObject takes no slices
        for key, spec in zip(items[::2], items[1::2], strict=False):
            if not isinstance(spec, DictionaryObject):
                continue
            files = _deref(spec.get("/EF"))
            stream = _deref(files.get("/F")) if isinstance(files, DictionaryObject) else None
            if not isinstance(stream, StreamObject):
                continue
            data = stream.data
            if data.startswith(b"%PDF"):
                out.append((str(spec.get("/UF") or spec.get("/F") or key), data))
    return out


def _deref(obj: object) -> object:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _subindication(sub: AdESSubIndic) -> str:
    """pyHanko's AdES sub-indication by name ("OK" when it passed): every concrete one is an enum member."""
    return sub.name if isinstance(sub, enum.Enum) else str(sub)


def _closes_file(status: object) -> bool:
    if not isinstance(status, PdfSignatureStatus):
        return False
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    lta_only = status.modification_level is not None and status.modification_level.name == "LTA_UPDATES"
    return whole or lta_only
