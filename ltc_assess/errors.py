"""Exception hierarchy and the catalogue of coded errors.

Every error a user can cause carries a code and a location (file, line, item) so that the CLI can
print one clear line instead of a traceback.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes; tests and tools match on these, not on message wording."""

    FORM_YAML = "FORM_001"  # file is not valid YAML
    FORM_SCHEMA = "FORM_002"  # structure does not match the form schema
    FORM_REF = "FORM_003"  # unknown item / dimension / name referenced
    FORM_DUPLICATE = "FORM_004"  # duplicate id
    FORM_EXPR = "FORM_005"  # expression does not parse or uses an unknown function
    FORM_COVERAGE = "FORM_006"  # bands/rules leave a reachable value ungraded or overlap
    FORM_NOT_FOUND = "FORM_007"  # no such form / version installed
    POLICY_SCHEMA = "POL_001"  # a city policy file does not match the policy schema
    POLICY_NOT_FOUND = "POL_002"  # no such city policy installed
    ANSWER_VALUE = "ANS_001"  # value outside the item's allowed set / range / type
    ANSWER_UNKNOWN = "ANS_002"  # answer for an item the form does not have
    ANSWER_MISSING = "ANS_003"  # a required scored item has no answer
    ANSWER_INPUT = "ANS_004"  # the answers file itself is malformed
    NOT_FOUND = "APP_001"  # unknown record
    PERMISSION = "APP_002"  # actor's role does not allow the action
    TRANSITION = "APP_003"  # workflow does not allow the action in this state
    INVALID = "APP_004"  # invalid field value (e.g. ID number check digit)
    CONFLICT = "APP_005"  # duplicate / conflicting record
    LOCKED = "APP_006"  # record is approved and immutable
    AUTH = "APP_007"  # login failed / account locked
    INTEGRITY = "APP_008"  # audit chain or file integrity broken
    SIGNATURE = "APP_009"  # signature invalid / untrusted


class LtcError(Exception):
    """Base class: a user-facing, located error.

    Args:
        code: the stable error code.
        message: what is wrong, in one line.
        where: file, line and item path, e.g. ``forms/x/v1.yaml:42 sections[1].items[3]``.
    """

    def __init__(self, code: ErrorCode, message: str, where: str | None = None) -> None:
        self.code = code
        self.message = message
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.message} [{self.code.value}]"


class FormError(LtcError):
    """A form definition file is invalid."""


class AnswerError(LtcError):
    """Answers do not fit the form (unknown item, value outside allowed set, missing required)."""

    def __init__(self, code: ErrorCode, message: str, item: str | None = None) -> None:
        self.item = item
        super().__init__(code, message, where=item)


class AppError(LtcError):
    """A service-level error: not found, permission, workflow, integrity."""
