"""RFC 3161 timestamps: the agency's own TSA (in-process or served over HTTP) or an external one by URL.

Trust of the agency's own TSA: its certificate is issued by the agency root with the critical timeStamping
EKU, so a verifier trusting the root trusts its clock. Each installation holds its own TSA key (a "field TSA",
issued at enrolment), locked with a secret kept in a file beside the database, so an offline laptop stamps
every signature the moment it is made. What such a stamp proves is only as strong as that laptop: an insider
who copies both the database and the secret file can stamp any time. That is bounded from above by the
office: the document timestamp added at approval (by the office's TSA, or an external one set with
``keys tsa-url``) is proof that the signatures existed by then, whatever the field stamp says. An external
TSA (a commercial or government one) removes the agency from the trust in time altogether.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign import general, timestamps
from pyhanko.sign.general import get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.signing.keys import KeyPair

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_QUERY = 64 * 1024  # a TimeStampReq is a digest and a nonce: a few hundred bytes


def _asn1_cert(pem: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))


# Our TSA policy (RFC 3161 TSTInfo.policy): a UUID OID (ITU-T X.667), since the agency has no arc of its own.
POLICY_OID = "2.25.238907061418393545937906958373546360115"


class AgencyTimeStamper(timestamps.DummyTimeStamper):
    """The agency TSA in this process, on pyHanko's RFC 3161 responder (TSTInfo with nonce and a random serial,
    the TSA and root certificates embedded; "dummy" there means only in-process).

    Two things differ: the token names our policy OID instead of the placeholder pyHanko uses, and the key is
    unlocked once, where pyHanko re-parses it for every token (an RSA key check of ~20-80 ms each).
    """

    def __init__(self, cert: asn1_x509.Certificate, key: rsa.RSAPrivateKey, root: asn1_x509.Certificate) -> None:
        key_info = asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        super().__init__(tsa_cert=cert, tsa_key=key_info, certs_to_embed=SimpleCertificateStore.from_certs([root]))
        self._key = key

    def _build_tst_info(
        self, message_imprint: tsp.MessageImprint, dt: datetime.datetime, req: tsp.TimeStampReq
    ) -> tsp.TSTInfo:
        info = super()._build_tst_info(message_imprint, dt, req)
        info["policy"] = tsp.ObjectIdentifier(POLICY_OID)
        return info

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime.datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashlib.new(md_algorithm, tst_info_data).digest()
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", general.as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", digest),
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm))
        return signature, signed_attrs


def local_timestamper(tsa: KeyPair, secret: str, root_pem: bytes) -> AgencyTimeStamper:
    """The agency TSA in this process, its key unlocked with this installation's secret."""
    try:
        key = serialization.load_pem_private_key(tsa.key_pem, secret.encode("utf-8"))
    except (ValueError, TypeError):
        raise AppError(ErrorCode.AUTH, _("无法用本机构的密钥打开时间戳服务密钥")) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AppError(ErrorCode.SIGNATURE, _("时间戳服务密钥必须是 RSA 密钥"))
    return AgencyTimeStamper(_asn1_cert(tsa.cert_pem), key, _asn1_cert(root_pem))


def http_timestamper(url: str) -> timestamps.HTTPTimeStamper:
    """A remote RFC 3161 TSA (``keys tsa-url``)."""
    return timestamps.HTTPTimeStamper(url, timeout=10)


class _Handler(BaseHTTPRequestHandler):
    server: _TsaServer

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Content-Type") != QUERY_TYPE or not 0 < length <= MAX_QUERY:
            self._refuse(415 if length else 400, _("应为 RFC 3161 时间戳请求"))
            return
        try:
            request = tsp.TimeStampReq.load(self.rfile.read(length))
            request.native  # noqa: B018 - parse fully: junk is a 400, not a traceback in the server
            reply = self.server.timestamper.request_tsa_response(request).dump()
        except (ValueError, TypeError, KeyError) as exc:
            self._refuse(400, _("时间戳请求无效：{error}").format(error=exc))
            return
        self.server.served += 1
        self.send_response(200)
        self.send_header("Content-Type", REPLY_TYPE)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def _refuse(self, code: int, reason: str) -> None:
        """Refuse a query, saying why in the operator's language to the log and the client's body (the status line
        keeps HTTP's standard phrase: it must be Latin-1)."""
        self.log_error("%s", _("拒绝时间戳请求（{code}）：{reason}").format(code=code, reason=reason))
        body = reason.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - overrides the stdlib signature
        self.server.log(f"{self.address_string()} {format % args}")


class _TsaServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], timestamper: AgencyTimeStamper, log: Callable[[str], None]) -> None:
        super().__init__(address, _Handler)
        self.timestamper = timestamper
        self.log = log
        self.served = 0


def parse_listen(listen: str) -> tuple[str, int]:
    host, _colon, port = listen.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise AppError(
            ErrorCode.INVALID, _("--listen {listen!r}：应为 主机:端口，例如 127.0.0.1:3161").format(listen=listen)
        )
    return host, int(port)


def make_server(listen: str, timestamper: AgencyTimeStamper, log: Callable[[str], None]) -> _TsaServer:
    """An RFC 3161 responder over HTTP (POST any path); port 0 picks a free port (see ``server_address``)."""
    try:
        return _TsaServer(parse_listen(listen), timestamper, log)
    except OSError as exc:
        raise AppError(
            ErrorCode.INVALID, _("无法在 {listen} 上监听：{strerror}").format(listen=listen, strerror=exc.strerror)
        ) from None
