"""Keys: the agency (name, code), its signing root, timestamps and CRLs, users' certificates, PAdES signing."""

from __future__ import annotations

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.inputs import short_text
from ltc_assess.service.base import Manager
from ltc_assess.signing import keys as signing_keys
from ltc_assess.storage.records import User
from ltc_assess.storage.work import Changes
from ltc_assess.workflow import Role

ROOT_CERT, ROOT_KEY, AGENCY = "root_cert_pem", "root_key_pem", "agency_name"
AGENCY_CODE = "agency_code"


class Keys(Manager):
    """The agency's identity and trust (admin), and each user's own signing key."""

    def agency(self) -> tuple[str | None, str | None]:
        """The assessment institution's name and code as reports print them (附录C)."""
        return self.store.setting(AGENCY), self.store.setting(AGENCY_CODE)

    def set_agency(self, actor: User, name: str | None = None, code: str | None = None) -> Changes:
        """Set the institution's name and/or code (admin); the signing root keeps the name it was issued with."""
        self.service.active_actor(actor, Role.ADMIN)
        fields = {k: short_text(v, k) for k, v in ((AGENCY, name), (AGENCY_CODE, code)) if v is not None}
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            for key, value in fields.items():
                self.store.set_setting(key, value)
            work.audit("agency.set", "agency", "settings", new=fields)
            work.changed(keys_changed=bool(fields))
        return work.changes

    def signing_configured(self) -> bool:
        return self.store.setting(ROOT_CERT) is not None

    def init_root(self, actor: User, agency: str, passphrase: str) -> tuple[bytes, Changes]:
        """Create the agency's signing root (admin, once); returns its certificate (PEM) for insurers."""
        actor = self.service.active_actor(actor, Role.ADMIN)
        if self.signing_configured():
            raise AppError(ErrorCode.CONFLICT, _("签名根证书已存在"))
        pair = signing_keys.create_root(agency, passphrase, self.service.clock())
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            self.store.set_setting(AGENCY, agency)
            self.store.set_setting(ROOT_CERT, pair.cert_pem.decode())
            self.store.set_setting(ROOT_KEY, pair.key_pem.decode())
            work.audit("keys.init_root", "agency", agency, new={"agency": agency})
            work.changed(keys_changed=True)
        self.service.pki.setup_tsa(actor.id, passphrase)
        self.service.pki.issue_crl(actor.id, passphrase)
        from ltc_assess.bundle_seal import init_transport

        init_transport(self.service, actor, passphrase)  # bundles leave the machine encrypted to the agency
        return pair.cert_pem, work.changes

    def root_certificate(self) -> bytes:
        cert = self.store.setting(ROOT_CERT)
        if cert is None:
            raise AppError(ErrorCode.NOT_FOUND, _("尚未创建签名根证书（ltc-assess keys init-root）"))
        return cert.encode()

    def root(self) -> signing_keys.KeyPair:
        """The agency root's certificate and (passphrase-protected) key, to issue certificates with."""
        return signing_keys.KeyPair(self.root_certificate(), (self.store.setting(ROOT_KEY) or "").encode())

    def certificate(self, user_id: int) -> bytes | None:
        """The user's signing certificate (PEM), None when they have none."""
        stored = self.store.user_key(user_id)
        return stored[0] if stored else None

    def key_pair(self, user_id: int) -> signing_keys.KeyPair | None:
        """The user's certificate and password-locked key, None when they have none."""
        stored = self.store.user_key(user_id)
        return signing_keys.KeyPair(*stored) if stored else None

    def setting(self, key: str) -> str | None:
        """One of the agency's settings (transport certificate, TSA, policy city…), None when not set."""
        return self.store.setting(key)

    def issue_crl(self, actor: User, root_passphrase: str) -> tuple[bytes, Changes]:
        """Publish a new CRL of the agency root (admin); returns it (PEM) for insurers and laptops."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            pem = self.service.pki.issue_crl(work.user.id, root_passphrase)
            work.changed(keys_changed=True)
        return pem, work.changes

    def install_crl(self, actor: User, data: bytes) -> tuple[int, Changes]:
        """Take the office's newer CRL on this installation (admin); returns its number."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            number = self.service.pki.install_crl(work.user.id, data)
            work.changed(keys_changed=True)
        return number, work.changes

    def setup_tsa(self, actor: User, root_passphrase: str) -> tuple[bytes, Changes]:
        """Give this installation its own timestamp authority certificate (admin); returns it (PEM)."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            pem = self.service.pki.setup_tsa(work.user.id, root_passphrase)
            work.changed(keys_changed=True)
        return pem, work.changes

    def set_tsa_url(self, actor: User, url: str | None) -> Changes:
        """Timestamp with an external RFC 3161 TSA (admin); None: with this installation's own."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            self.service.pki.set_tsa_url(work.user.id, url)
            work.changed(keys_changed=True)
        return work.changes

    def issue_certificate(self, actor: User, username: str, root_passphrase: str, user_password: str) -> Changes:
        """Give a user a signing certificate from the agency root; the key is locked with their password."""
        actor = self.service.active_actor(actor, Role.ADMIN)
        target = self.store.user_by_name(username)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, _("没有用户 {username!r}").format(username=username))
        if not self.service.accounts.verify_password(target, user_password):
            raise AppError(ErrorCode.AUTH, _("这不是 {username} 的密码").format(username=username))
        pair = signing_keys.issue_user(
            self.root(),
            root_passphrase,
            username=target.username,
            display_name=target.display_name,
            role=target.role.value,
            password=user_password,
            now=self.service.clock(),
        )
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            self.store.put_user_key(target.id, pair.cert_pem, pair.key_pem, work.at)
            work.audit("keys.issue", "user", target.id, new={"username": username})
            work.changed(users_changed=True, keys_changed=True)
        return work.changes

    def import_certificate(self, actor: User, p12: bytes, p12_password: str, password: str) -> Changes:
        """Use a key and certificate from a real CA (PKCS#12) for one's own signatures."""
        actor = self.service.active_actor(actor)
        pair, _chain = signing_keys.import_pkcs12(p12, p12_password, password)
        with self.service.unit_of_work(actor) as work:
            self.store.put_user_key(actor.id, pair.cert_pem, pair.key_pem, work.at)
            work.audit("keys.import", "user", actor.id, new={"subject": signing_keys.subject_fields(pair.cert_pem)})
            work.changed(users_changed=True, keys_changed=True)
        return work.changes

    def sign(self, pdf: bytes, user_id: int, password: str, role: str, reason: str, extra: str = "") -> bytes:
        """``pdf`` with a PAdES signature of ``user_id`` (key unlocked by ``password``) in ``role``'s stamp box."""
        from ltc_assess.report.pdf import STAMP_BOXES
        from ltc_assess.signing.pades import page_count, sign_pdf

        stored = self.store.user_key(user_id)
        if stored is None:
            who = self.store.user(user_id).username if user_id > 0 else role
            raise AppError(ErrorCode.SIGNATURE, _("{who} 没有签名证书（ltc-assess keys issue {who}）").format(who=who))
        return sign_pdf(
            pdf,
            signing_keys.KeyPair(*stored),
            password,
            [self.root_certificate()],
            field=role,
            box=STAMP_BOXES[role],
            page=page_count(pdf) - 1,
            reason=reason,
            extra_line=extra,
            ltv=self.service.pki.ltv(),
            document_timestamp=role != "assessor1",  # assessor 2 closes the submission, the supervisor the approval
        )
