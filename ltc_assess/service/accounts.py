"""Accounts: the first admin, logins and lockouts, users and their roles, passwords and key slots."""

from __future__ import annotations

import functools
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _
from ltc_assess.inputs import short_text
from ltc_assess.passwords import check_password
from ltc_assess.policies.model import QUALIFICATIONS
from ltc_assess.service.base import Manager
from ltc_assess.signing import keys as signing_keys
from ltc_assess.signing import sealing
from ltc_assess.storage.keyslots import KeySlots, slots_path
from ltc_assess.storage.login_guard import LoginGuard
from ltc_assess.storage.records import User
from ltc_assess.storage.work import Changes, Work
from ltc_assess.workflow import Role

LOCAL_SOURCE = "local"

# argon2id at the OWASP minimum (19 MiB, t=2, p=1): ~30 ms here, so logins stay quick on old laptops.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown users' passwords against, so that they take as long as known ones."""
    return HASHER.hash(secrets.token_hex(16))


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Accounts(Manager):
    """Users and logins (admin for every change but one's own login)."""

    def has_users(self) -> bool:
        if not self.service.is_open:
            return True  # locked: only a database with accounts has key slots
        return self.store.count("users") > 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> tuple[User, Changes]:
        """Set-up: the first account, an admin; refused once any user exists."""
        with self.service.unit_of_work() as work:
            if self.has_users():
                raise AppError(ErrorCode.PERMISSION, _("首个管理员已存在；请以管理员身份登录后添加用户"))
            user = self._insert_user(work, username, display_name, Role.ADMIN, password)
        return user, work.changes

    def _seal_key_for(self, username: str, password: str) -> None:
        """(Re)seal the database key for ``username`` (nothing to do on a plain database)."""
        key = self.service.database_key()
        if key is None:
            return
        path = self.service.path
        slots = KeySlots.load(path) or KeySlots(slots_path(path))
        slots.put(username, password, key)
        slots.save()

    def _insert_user(
        self,
        work: Work,
        username: str,
        display_name: str,
        role: Role,
        password: str,
        qualification_no: str | None = None,
    ) -> User:
        check_password(password, username)
        if not username or not username.replace("_", "").replace(".", "").isalnum():
            raise AppError(
                ErrorCode.INVALID,
                _("用户名 {username!r} 无效（只能包含字母、数字、. 和 _）").format(username=username),
                where="username",
            )
        user = self.store.add_user(username, display_name, Role(role).value, HASHER.hash(password), work.at)
        if qualification_no is not None:
            self.store.update_user(user.id, qualification_no=short_text(qualification_no, "qualification_no"))
            user = self.store.user(user.id)
        self._seal_key_for(username, password)
        shown = {"username": username, "display_name": display_name, "role": user.role.value}
        if user.qualification_no:
            shown["qualification_no"] = user.qualification_no
        work.audit("user.add", "user", user.id, new=shown)
        work.changed(users_changed=True)
        return user

    def login(self, username: str, password: str, source: str = LOCAL_SOURCE) -> User:
        """Check a password (unsealing the database key when it is locked); audit success and failure.

        Unknown, disabled and locked accounts get the wrong password's message, after the same work (one key
        derivation when encrypted, one hash check), so neither the answer nor its time tells them apart.
        Five failures from one ``source`` block that source for 15 minutes (see ``login_guard``).
        """
        path = self.service.path
        guard = LoginGuard.load(path)
        now = self.service.clock()
        blocked = guard.blocked(username, source, now)
        opened_here = False
        if not self.service.is_open:
            slots = KeySlots.load(path)
            key = None
            if blocked:
                sealing.burn(password)  # a blocked source learns nothing, not even from the time taken
            elif slots is not None:
                key = slots.unlock(username, password)
            if key is not None:
                self.service._unlocked(key)
                opened_here = True
        user = self.store.user_by_name(username) if self.service.is_open else None
        good = password_matches(self.store.password_hash(user.id) if user else _dummy_hash(), password)
        if user is not None and good and not user.disabled and not blocked:
            guard.succeeded(username, source)
            self._record_logins(guard, user, source)
            slots = KeySlots.load(path)
            if slots is not None and slots.is_legacy(username):
                self._seal_key_for(username, password)
            return self.store.user(user.id)
        guard.defer(guard.failed(username, source, now))
        if self.service.is_open:
            self._record_logins(guard, None, source)
        else:
            guard.save()
        if opened_here:  # the key opened, the account did not: locked again
            self.service._locked()
        raise AppError(ErrorCode.AUTH, _("用户名或密码错误"))

    def _record_logins(self, guard: LoginGuard, user: User | None, source: str) -> None:
        """Failed logins waiting in the guard file, then this login (if any), into the audit chain."""
        pending = guard.take_pending()
        with self.service.unit_of_work() as work:
            for event in pending:
                who = self.store.user_by_name(str(event.get("username")))
                work.audit(
                    "login.failed",
                    "user",
                    who.id if who else None,
                    new={k: event.get(k) for k in ("username", "source", "locked_until")},
                    actor_id=who.id if who else None,
                    at=str(event.get("at")),
                )
            if user is not None:
                work.audit("login", "user", user.id, new={"source": source}, actor_id=user.id)
        guard.save()

    def unlock_user(self, actor: User, username: str) -> Changes:
        """Lift a lockout at once, for every source (admin)."""
        changes = self.change_user(actor, username, "user.unlock", {"failed_logins": 0, "locked_until": None}, {})
        guard = LoginGuard.load(self.service.path)
        guard.unlock(username)
        guard.save()
        return changes

    def locked_out(self, username: str) -> bool:
        return LoginGuard.load(self.service.path).locked_out(username, self.service.clock())

    def add_user(
        self,
        actor: User,
        username: str,
        display_name: str,
        role: str,
        password: str,
        qualification_no: str | None = None,
    ) -> tuple[User, Changes]:
        """A new account (admin): the user, and what adding it changed."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            user = self._insert_user(work, username, display_name, Role(role), password, qualification_no)
        return user, work.changes

    def change_user(
        self, actor: User, username: str, action: str, fields: dict[str, Any], shown: dict[str, Any]
    ) -> Changes:
        """Update a user's ``fields`` (admin), audited as ``action`` with ``shown`` as the new values."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            self._update(work, username, action, fields, shown)
        return work.changes

    def _update(self, work: Work, username: str, action: str, fields: dict[str, Any], shown: dict[str, Any]) -> User:
        target = self.store.user_by_name(username)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, _("没有用户 {username!r}").format(username=username))
        self.store.update_user(target.id, **fields)
        work.audit(action, "user", target.id, new=shown)
        work.changed(users_changed=True)
        return target

    def set_qualification_no(self, actor: User, username: str, number: str | None) -> Changes:
        """An assessor's qualification certificate number, printed beside their name in reports (附录C)."""
        number = short_text(number, "qualification_no") if number else None
        return self.change_user(
            actor, username, "user.qualification_no", {"qualification_no": number}, {"qualification_no": number}
        )

    def set_qualification(self, actor: User, username: str, kind: str | None) -> Changes:
        """Admin: a user's qualification, 评估员 (``assessor``) or 评估专家 (``expert``), or none (the on-site
        protocol of a city policy counts them; ``ltc_assess.lifecycle``)."""
        if kind is not None and kind not in QUALIFICATIONS:
            raise AppError(
                ErrorCode.INVALID,
                _("未知的资格类型 {kind!r}（assessor、expert）").format(kind=kind),
                where="qualification",
            )
        return self.change_user(
            actor, username, "user.set_qualification", {"qualification": kind}, {"qualification": kind}
        )

    def set_role(self, actor: User, username: str, role: str) -> Changes:
        return self.change_user(actor, username, "user.set_role", {"role": Role(role).value}, {"role": role})

    def reset_password(self, actor: User, username: str, password: str) -> Changes:
        """A new password (admin): the database key is sealed afresh for it and lockouts are lifted. The user's
        signing key stays sealed with the old password, which nobody else knows: it is retired, and a new
        certificate is issued (``keys issue``) once the user has chosen the new password."""
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            target = self._new_password(work, username, password, "user.reset_password")
        self._after_new_password(target, password)
        return work.changes

    def recover_account(self, key: bytes, username: str, password: str) -> Changes:
        """A new password with the agency's escrowed database key instead of an admin's login (the last admin's
        password is lost): the key is the authority, so it must be the one this database is open with."""
        own = self.service.database_key()
        if own is None or not secrets.compare_digest(key, own):
            raise AppError(ErrorCode.AUTH, _("请先用恢复密钥打开数据库"))
        with self.service.unit_of_work() as work:
            target = self._new_password(work, username, password, "user.recover")
        self._after_new_password(target, password)
        return work.changes

    def _new_password(self, work: Work, username: str, password: str, action: str) -> User:
        check_password(password, username)
        target = self.store.user_by_name(username)
        if target is None:
            raise AppError(ErrorCode.NOT_FOUND, _("没有用户 {username!r}").format(username=username))
        retired = self.store.user_key(target.id)
        actor_id = work.actor.id if work.actor else None
        if retired is not None:  # the old key is sealed with a password nobody will type again: revoke it
            self.service.pki.revoke_user(actor_id, target.id, "password reset")
            work.changed(keys_changed=True)
        fields = {"password_hash": HASHER.hash(password), "failed_logins": 0, "locked_until": None}
        self.store.update_user(target.id, **fields)
        work.audit(action, "user", target.id, new={"password": "reset"})
        if retired is not None:
            self.store.delete_user_key(target.id)
            why = {"serial": signing_keys.serial_hex(retired[0]), "why": "password reset"}
            work.audit("keys.retire", "user", target.id, new=why)
        work.changed(users_changed=True)
        return target

    def _after_new_password(self, target: User, password: str) -> None:
        """Seal the database key for the new password and lift the user's lockouts."""
        self._seal_key_for(target.username, password)
        guard = LoginGuard.load(self.service.path)
        guard.unlock(target.username)
        guard.save()

    def set_disabled(self, actor: User, username: str, disabled: bool = True) -> Changes:
        """Disable (or enable) an account. Disabling revokes its signing certificate for good (next CRL) and
        drops its key slot: its password no longer unseals the database key (enabling it again needs a password
        reset, which seals a new slot)."""
        action = "user.disable" if disabled else "user.enable"
        with self.service.unit_of_work(actor, Role.ADMIN) as work:
            user = self._update(work, username, action, {"disabled": int(disabled)}, {"disabled": disabled})
            if disabled and self.service.pki.revoke_user(work.user.id, user.id, "account disabled"):
                work.changed(keys_changed=True)
        slots = KeySlots.load(self.service.path)
        if disabled and slots is not None:
            slots.remove(username)
            slots.save()
        return work.changes

    def user(self, user_id: int) -> User:
        return self.store.user(user_id)

    def user_by_name(self, username: str) -> User | None:
        return self.store.user_by_name(username)

    def users(self, role: str | None = None) -> list[User]:
        return [u for u in self.store.users() if role is None or u.role == role]

    def verify_password(self, user: User, password: str) -> bool:
        """Whether ``password`` is ``user``'s login password (an admin issuing a key proves the user typed it)."""
        return password_matches(self.store.password_hash(user.id), password)
