"""The submitted, assessor-signed report embedded unchanged in the approved report.

Why embed and not append: the approved report must state the decision in its body (status 已审核批准, the
decided level ticked in C.5, the reason, the approver). Appending an approval page to the submitted file as an
incremental revision changes page content after the assessors signed; pyHanko rates that modification level
OTHER and the assessors' signatures stop validating. Instead the approval is a new rendering of the record that
carries the submitted PDF byte-for-byte as an embedded file (``/EmbeddedFiles`` and ``/AF``, relationship
``/Source``) named ``submitted-report.pdf``. The assessors' signatures stay verifiable on the extracted file
(pdfsig, pyHanko), and the supervisor's signature over the approved rendering covers the attachment's bytes too,
so it binds exactly the file the assessors signed. The attachment is added before the supervisor signs: adding
it later would be a modification of the signed document.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _

SUBMITTED_NAME = "submitted-report.pdf"
SUBMITTED_DESCRIPTION = "Submitted report signed by the assessors (提交时经评估员签名的报告)"


def embed_submitted(pdf: bytes, submitted: bytes) -> bytes:
    """``pdf`` (unsigned) with ``submitted`` embedded unchanged as ``submitted-report.pdf``."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        data = EmbeddedFileObject.from_file_data(
            writer, submitted, mime_type="application/pdf", params=EmbeddedFileParams()
        )
        spec = FileSpec(
            file_spec_string=SUBMITTED_NAME,
            file_name=SUBMITTED_NAME,
            embedded_data=data,
            description=SUBMITTED_DESCRIPTION,
            af_relationship=generic.pdf_name("/Source"),
        )
        embed_file(writer, spec)
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError) as exc:
        raise AppError(ErrorCode.SIGNATURE, _("无法附加已提交的报告：{exc}").format(exc=exc)) from None
    return out.getvalue()


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """Every file embedded in ``pdf`` by name (the document-level ``/EmbeddedFiles`` name tree, flat)."""
    try:
        root = PdfFileReader(io.BytesIO(pdf), strict=False).root
        if "/Names" not in root or "/EmbeddedFiles" not in root["/Names"]:
            return {}
        tree = root["/Names"]["/EmbeddedFiles"]
        flat = tree["/Names"] if "/Names" in tree else []
        found = {}
        for n in range(0, len(flat) - 1, 2):
            files = flat[n + 1]["/EF"]  # indexing dereferences indirect objects; .get() would not
            stream = files["/UF"] if "/UF" in files else files["/F"]
            found[str(flat[n])] = bytes(stream.data)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AppError(ErrorCode.INVALID, _("无法读取嵌入的文件：{exc}").format(exc=exc)) from None
    return found


def submitted_report(pdf: bytes) -> bytes | None:
    """The assessor-signed submitted report embedded in an approved report, if there is one."""
    return embedded_files(pdf).get(SUBMITTED_NAME)
