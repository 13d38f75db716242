"""PAdES signatures on reports (pyHanko): sign as an incremental update with a visible Chinese stamp,
and verify every signature of a file against trusted roots.

Each signature covers everything before it; a later signer adds a revision, so assessor 1, assessor 2 and
the supervisor each sign in turn and each signature stays verifiable on its own.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fontTools import subset
from fontTools.ttLib import TTFont
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ltc_assess import paths
from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing.keys import KeyPair, load_key, subject_fields
from ltc_assess.signing.ltv import Ltv, vouched

# pyHanko logs diff-analysis and path-building details as errors; the status objects carry the verdict.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

ROLE_LABELS = {"assessor": "评估员", "supervisor": "审核人", "admin": "管理员"}


# Characters a stamp's timestamp and punctuation may use, besides the stamp text itself.
_STAMP_EXTRA = "0123456789 :-+./()ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz：（）"


@lru_cache(maxsize=64)
def _stamp_font(chars: frozenset[str]) -> GlyphAccumulatorFactory:
    """A font with just the stamp's characters, cut from the bundled CJK font.

    Without an embedded CJK font pyHanko's default stamp font garbles Chinese (STACK.md gotcha 6); handing it
    the whole 15 MB font costs ~0.6 s per signature, a few-KB subset ~30 ms. Cached per character set, so a
    signer's repeated stamps pay the cut once per process.
    """
    font = TTFont(str(paths.font_path()), lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    handle, name = tempfile.mkstemp(prefix="ltc-stamp-", suffix=".ttf")
    os.close(handle)
    font.save(name)
    atexit.register(os.unlink, name)
    return GlyphAccumulatorFactory(name)


def simple_signer(pair: KeyPair, password: str, chain_pem: list[bytes]) -> signers.SimpleSigner:
    """A pyHanko signer for an encrypted key pair (unlocked with ``password``) and its chain."""
    key = load_key(pair.key_pem, password)
    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pair.cert_pem).public_bytes(serialization.Encoding.DER)
    )
    chain = [c for pem in chain_pem for c in load_certs_from_pemder_data(pem)]
    return signers.SimpleSigner(
        signing_cert=cert, signing_key=key_info, cert_registry=SimpleCertificateStore.from_certs(chain)
    )


def sign_pdf(
    pdf: bytes,
    pair: KeyPair,
    password: str,
    chain_pem: list[bytes],
    *,
    field: str,
    box: tuple[int, int, int, int],
    page: int,
    reason: str,
    extra_line: str = "",
    ltv: Ltv | None = None,
    document_timestamp: bool = False,
) -> bytes:
    """Add one PAdES signature (a new revision) with a visible stamp: name, role, time, reason.

    Without ``ltv`` it is B-B. With it the signature carries an RFC 3161 signature timestamp (B-T) and, where
    the installation's CRLs speak about the signer, the chain and CRL in a DSS (B-LT); ``document_timestamp``
    then closes the revision with a document timestamp (B-LTA). See ``ltv`` for the signing order.
    """
    signer = simple_signer(pair, password, chain_pem)
    embed = ltv is not None and vouched(signer.signing_cert, ltv)
    who = subject_fields(pair.cert_pem)
    # pyHanko fills the stamp with %-formatting (%(ts)s): a '%' in a name, reason or level must stay literal
    literal = [s.replace("%", "%%") for s in (ROLE_LABELS.get(who["role"], who["role"]), who["name"], reason)]
    text = f"{literal[0]}：{literal[1]}\n时间：%(ts)s\n{literal[2]}"
    if extra_line:
        text += "\n" + extra_line.replace("%", "%%")
    style = TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(font=_stamp_font(frozenset(text + _STAMP_EXTRA)), font_size=7),
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        fields.append_signature_field(writer, SigFieldSpec(sig_field_name=field, on_page=page, box=box))
        meta = signers.PdfSignatureMetadata(
            field_name=field,
            reason=reason,
            subfilter=SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            name=who["name"],
            embed_validation_info=embed,
            use_pades_lta=embed and document_timestamp,
            validation_context=ltv.validation_context() if embed and ltv else None,
        )
        out = io.BytesIO()
        timestamper = ltv.timestamper if ltv else None
        signers.PdfSigner(meta, signer=signer, stamp_style=style, timestamper=timestamper).sign_pdf(
            writer, output=out, bytes_reserved=ltv.reserve if ltv else None
        )
    except (PdfReadError, ValueError) as exc:  # also pyHanko's SigningError: a revoked signer, no current CRL
        raise AppError(ErrorCode.SIGNATURE, _("无法签名：{exc}").format(exc=exc)) from None
    except (TimestampRequestError, OSError) as exc:
        raise AppError(ErrorCode.SIGNATURE, _("时间戳服务无应答：{exc}").format(exc=exc)) from None
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What a verifier needs to know about one signature."""

    field: str
    signer: str
    role: str
    username: str
    signed_at: str | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    modification: str
    ok: bool


@dataclass(frozen=True, slots=True)
class PdfVerdict:
    """All signatures, and whether the document as a whole verifies."""

    signatures: tuple[SignatureCheck, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems


def verify_pdf(pdf: bytes, trust_roots_pem: list[bytes]) -> PdfVerdict:
    """Verify every signature against the given roots only; fails on any broken, untrusted or
    later-modified signature, and when bytes were added after the last signature."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise AppError(ErrorCode.INVALID, _("无法读取的 PDF：{exc}").format(exc=exc)) from None
    roots = [c for pem in trust_roots_pem for c in load_certs_from_pemder_data(pem)]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    checks, problems = [], []
    for sig in embedded:
        status = validate_pdf_signature(sig, context)
        cert_pem = sig.signer_cert.dump() if sig.signer_cert is not None else None
        who = subject_of(cert_pem)
        whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
        mod = status.modification_level.name if status.modification_level is not None else "UNKNOWN"
        ok = bool(status.bottom_line)
        signed_at = sig.self_reported_timestamp.isoformat() if sig.self_reported_timestamp else None
        checks.append(
            SignatureCheck(
                sig.field_name,
                who.get("name", ""),
                who.get("role", ""),
                who.get("username", ""),
                signed_at,
                bool(status.intact),
                bool(status.valid),
                bool(status.trusted),
                whole,
                mod,
                ok,
            )
        )
        if not status.intact:
            problems.append(_("{field}：签名后的内容已被修改").format(field=sig.field_name))
        elif not status.trusted:
            problems.append(_("{field}：签名人不受指定根证书信任").format(field=sig.field_name))
        elif not ok:
            problems.append(_("{field}：此签名之后文档被修改（{mod}）").format(field=sig.field_name, mod=mod))
    if not checks:
        problems.append(_("文档没有签名"))
    elif not (checks[-1].covers_whole_file or checks[-1].modification == "LTA_UPDATES"):
        problems.append(_("最后一个签名之后有追加的字节"))
    problems += [
        _("{field}：文档时间戳已损坏").format(field=stamp.field_name) for stamp in stamps if not _intact(stamp)
    ]
    return PdfVerdict(tuple(checks), tuple(problems))


def _intact(stamp: EmbeddedPdfSignature) -> bool:
    """A document timestamp (B-LTA) is intact where the bytes it covers hash to what its TSA signed; who the TSA
    is and whether it was trusted then is the long-term validation's question (``signing.validation``)."""
    status = validate_pdf_timestamp(stamp, validation_context=ValidationContext(trust_roots=[], allow_fetching=False))
    return bool(status.intact and status.valid)


def subject_of(cert_der: bytes | None) -> dict[str, str]:
    """Name, role and username of a signer's certificate (DER), empty where there is none."""
    if cert_der is None:
        return {}
    pem = x509.load_der_x509_certificate(cert_der).public_bytes(serialization.Encoding.PEM)
    return subject_fields(pem)


def only_timestamps_added(later: bytes, signed: bytes, trust_roots_pem: list[bytes]) -> bool:
    """``later`` is ``signed`` plus validation data and document timestamps only (the copy that went to insurers):
    it starts with those bytes, verifies, and holds no signature more (an insider's own signature over added
    content would be one)."""
    if not later.startswith(signed):
        return False
    after, before = verify_pdf(later, trust_roots_pem), verify_pdf(signed, trust_roots_pem)
    return after.ok and len(after.signatures) == len(before.signatures)
