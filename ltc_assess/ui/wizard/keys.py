"""Which key chooses which option: the code printed on the paper form where there is one, else the position.

An assessor reads a score off the paper form ("4" for 独立 in a GB/T B item) and types it: that digit must
choose that option, never the fourth button. Where the choices are not single printed digits (text codes,
Barthel's 10/5/0) the key is the option's position: 1–9, then letters. N and R are commands (none of these;
next required item), so no option takes them.
"""

from __future__ import annotations

from ltc_assess.schema.model import ChoiceItem

NONE_KEY = "N"
REQUIRED_KEY = "R"
_POSITION_KEYS = "123456789" + "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in (NONE_KEY, REQUIRED_KEY))


def choice_keys(item: ChoiceItem) -> list[str | None]:
    """The key of each option of ``item`` in order (None for an option beyond the keys)."""
    values = [c.value for c in item.choices]
    if len(set(values)) == len(values) and all(isinstance(v, int) and 0 <= v <= 9 for v in values):
        return [str(v) for v in values]
    return [_POSITION_KEYS[n] if n < len(_POSITION_KEYS) else None for n in range(len(values))]


def key_text(qt_key: int) -> str | None:
    """The option key a Qt key code stands for: a digit (top row or keypad) or a capital letter."""
    if ord("0") <= qt_key <= ord("9") or ord("A") <= qt_key <= ord("Z"):
        return chr(qt_key)
    return None
