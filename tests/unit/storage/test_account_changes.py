"""Account and key mutations say what they changed (``Changes``: the app refreshes by it) and do what they say."""

from __future__ import annotations

from pathlib import Path

import pytest
from world import World, with_signing_keys

from ltc_assess.service import AssessmentService, Changes

USERS = Changes(users_changed=True)
KEYS = Changes(keys_changed=True)
USERS_AND_KEYS = Changes(users_changed=True, keys_changed=True)


def test_the_first_admin_comes_with_its_changes(tmp_path: Path) -> None:
    """Test that creating the first admin returns the account and users_changed, nothing else."""
    with AssessmentService(tmp_path / "new.db") as service:
        admin, changes = service.create_first_admin("boss", "主任", "boss-password-1")
        assert changes == USERS
        assert service.accounts.user_by_name("boss") == admin


def test_each_account_change_reports_users_changed_and_only_that(world: World) -> None:
    """Test add, role, qualification, its number, unlock, disable, enable and a password reset (no certificate to
    revoke): each returns exactly users_changed, and the account changed as said."""
    s = world.service
    user, changes = s.add_user(world.admin, "a9", "新评估员", "assessor", "a9-password-long")
    assert changes == USERS and s.accounts.user_by_name("a9") == user

    def now(name: str = "a9") -> object:
        found = s.accounts.user_by_name(name)
        assert found is not None
        return found

    assert s.set_role(world.admin, "a9", "supervisor") == USERS and now().role == "supervisor"  # type: ignore[attr-defined]
    assert s.set_qualification(world.admin, "a9", "expert") == USERS and now().qualification == "expert"  # type: ignore[attr-defined]
    assert s.set_qualification_no(world.admin, "a9", "资格-0009") == USERS
    assert now().qualification_no == "资格-0009"  # type: ignore[attr-defined]
    assert s.unlock_user(world.admin, "a9") == USERS
    assert s.set_disabled(world.admin, "a9") == USERS and now().disabled  # type: ignore[attr-defined]
    assert s.set_disabled(world.admin, "a9", disabled=False) == USERS and not now().disabled  # type: ignore[attr-defined]
    assert s.reset_password(world.admin, "a9", "a9-new-password") == USERS
    assert s.login("a9", "a9-new-password").id == user.id


def test_a_refused_change_reports_nothing_and_changes_nothing(world: World) -> None:
    """Test that an assessor's attempt at an admin's change is refused before it writes (no Changes to apply)."""
    from ltc_assess.errors import AppError

    with pytest.raises(AppError):
        world.service.set_role(world.a1, "a2", "supervisor")
    assert world.service.accounts.user_by_name("a2").role == "assessor"  # type: ignore[union-attr]


@pytest.mark.slow  # signing keys: a root, certificates, a CRL (key derivations)
def test_key_changes_report_keys_changed(world: World, tmp_path: Path) -> None:
    """Test that the agency, root, TSA, CRL and certificate changes report keys_changed (with users_changed where
    a user's certificate changed), and that disabling or resetting an account with a certificate reports both."""
    s = world.service
    with_signing_keys(world, ("a1", "a2"))
    assert s.set_agency(world.admin, code="AG-1") == KEYS and s.agency()[1] == "AG-1"
    assert s.set_agency(world.admin) == Changes()  # nothing given, nothing changed
    assert s.set_tsa_url(world.admin, "https://tsa.example.org") == KEYS
    assert s.set_tsa_url(world.admin, None) == KEYS
    assert s.issue_certificate(world.admin, "a3", "root-passphrase", "a3-password") == USERS_AND_KEYS
    assert s.keys.certificate(world.a3.id) is not None
    revoked_before = len(s.pki.revocations())
    assert s.set_disabled(world.admin, "a1") == USERS_AND_KEYS
    assert s.reset_password(world.admin, "a2", "a2-new-password") == USERS_AND_KEYS
    assert len(s.pki.revocations()) == revoked_before + 2 and s.keys.certificate(world.a2.id) is None
    crl, changes = s.issue_crl(world.admin, "root-passphrase")
    assert changes == KEYS and crl.startswith(b"-----BEGIN X509 CRL")
    laptop = AssessmentService(s.backup(tmp_path / "laptop.db"), key=s.database_key())
    admin = laptop.accounts.user_by_name("admin")
    assert admin is not None
    crl2, _changes = s.issue_crl(world.admin, "root-passphrase")
    number, changes = laptop.install_crl(admin, crl2)
    assert changes == KEYS and laptop.pki.current_crl() == crl2 and number > 0
    laptop.close()


@pytest.mark.slow  # a signing root, a TSA and a transport certificate (key derivations)
def test_the_signing_root_and_its_tsa_report_keys_changed(world: World) -> None:
    """Test that creating the agency's root (with its TSA, CRL and transport certificate) and a new TSA each
    return their certificate with exactly keys_changed."""
    s = world.service
    root, changes = s.init_root(world.admin, "示例机构", "root-passphrase")
    assert changes == KEYS and root == s.root_certificate()
    tsa, changes = s.setup_tsa(world.admin, "root-passphrase")
    assert changes == KEYS and tsa.startswith(b"-----BEGIN CERTIFICATE")
