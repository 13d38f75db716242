"""公民身份号码 (GB 11643-1999): check-digit validation and masking for lists.

Personal identifiers are validated on entry (a typo would attach an assessment to the wrong person) and
masked wherever many people are listed.
"""

from __future__ import annotations

import datetime as dt
import re

from ltc_assess.errors import AppError, ErrorCode
from ltc_assess.i18n import _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize(value: str) -> str:
    """Upper-case X, no surrounding spaces."""
    return value.strip().upper()


def validate(value: str) -> str:
    """Return the normalized number, or raise AppError saying what is wrong with it."""
    number = normalize(value)
    if not _SHAPE.match(number):
        raise AppError(ErrorCode.INVALID, _("公民身份号码应为17位数字加1位数字或X"), where="id_number")
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise AppError(
            ErrorCode.INVALID, _("公民身份号码中的出生日期 {date} 不存在").format(date=number[6:14]), where="id_number"
        ) from None
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise AppError(
            ErrorCode.INVALID,
            _("公民身份号码校验码为 {found}，应为 {expected}，请核对").format(found=number[17], expected=expected),
            where="id_number",
        )
    return number


def birth_date(number: str) -> dt.date:
    """The birth date encoded in a valid number."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(number: str) -> str:
    """``"male"`` or ``"female"`` as the 17th digit of a valid number says (odd: male)."""
    return "male" if int(number[16]) % 2 else "female"


def mask(number: str) -> str:
    """``3201**********1234``: region prefix and last four only, for lists."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
