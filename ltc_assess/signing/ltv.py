"""What a PAdES B-LTA signature needs besides the key: a timestamp authority, the trusted roots and the CRLs.

Signing order (why every signature is timestamped before the next one is added): pyHanko can add a
signature timestamp afterwards only to the signature in the *last* revision, and on one laptop assessor 1
is never last once assessor 2 has signed. So nothing is deferred: every signature gets its RFC 3161
signature timestamp in the same call that makes it — from the installation's own field TSA when offline
(see ``tsa``), from the configured TSA URL otherwise — together with the chain and this installation's
CRL in the DSS. A document timestamp follows where a signer closes a step (the last assessor at
submission, the supervisor at approval) and again when a report leaves for an insurer (export), so each
step's file is B-LTA on its own and the office's stamp bounds the field stamps' proof of existence.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _


@dataclass(frozen=True)
class Ltv:
    """Everything needed to timestamp a signature and embed its validation data, offline."""

    timestamper: timestamps.TimeStamper
    roots_pem: list[bytes]
    crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    # room for the CMS where its size is known (our own TSA: ~6 KB); None makes pyHanko sign once more to measure
    reserve: int | None = None

    def validation_context(self) -> ValidationContext:
        """Offline and strict: a certificate without revocation data in our CRLs cannot be vouched for."""
        roots = [c for pem in self.roots_pem for c in load_certs_from_pemder_data(pem)]
        return ValidationContext(
            trust_roots=roots, crls=list(self.crls), allow_fetching=False, revocation_mode="require"
        )


def document_timestamp(pdf: bytes, ltv: Ltv) -> bytes:
    """Refresh the DSS of every signature with the CRLs held now and add a document (archive) timestamp.

    Used at export: the insurer's copy then carries proof that every signature and its validation data
    existed at export time, signed by a TSA whose certificate is valid for years after the users' expire.
    """
    try:
        buf = io.BytesIO(pdf)
        for n in range(len(PdfFileReader(buf).embedded_regular_signatures)):
            sig = PdfFileReader(buf).embedded_regular_signatures[n]
            if sig.signer_cert is not None and vouched(sig.signer_cert, ltv):
                buf = add_validation_info(sig, ltv.validation_context(), output=io.BytesIO())
        out = signers.PdfTimeStamper(ltv.timestamper).timestamp_pdf(
            IncrementalPdfFileWriter(buf),
            "sha256",
            validation_context=ltv.validation_context() if ltv.crls else None,
            output=io.BytesIO(),
        )
    except (ValidationError, PathBuildingError, PathValidationError) as exc:
        raise AppError(ErrorCode.SIGNATURE, _("无法添加验证数据：{exc}").format(exc=exc)) from None
    except (timestamps.TimestampRequestError, OSError) as exc:
        raise AppError(ErrorCode.SIGNATURE, _("时间戳服务无应答：{exc}").format(exc=exc)) from None
    return bytes(out.getvalue())


def vouched(cert: asn1_x509.Certificate, ltv: Ltv) -> bool:
    """Whether one of our CRLs speaks about ``cert`` (same issuer): only then can its status be embedded."""
    return any(c["tbs_cert_list"]["issuer"] == cert.issuer for c in ltv.crls)
