"""Hypothesis strategies that produce valid answers for any form, from its definition alone."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ltc_assess.schema.model import (
    AnyItem,
    DateItem,
    FormDef,
    GroupItem,
    MultiChoiceItem,
    NumberItem,
    SignatureItem,
    SingleChoiceItem,
    TextItem,
)


def value_for(item: AnyItem) -> st.SearchStrategy[Any] | None:
    """A strategy of valid values for ``item`` (None for items that cannot be answered)."""
    if isinstance(item, SingleChoiceItem):
        return st.sampled_from([c.value for c in item.choices])
    if isinstance(item, MultiChoiceItem):
        plain = [c.value for c in item.choices if not c.exclusive]
        exclusive = [[c.value] for c in item.choices if c.exclusive]
        subsets = st.lists(st.sampled_from(plain), unique=True) if plain else st.just([])
        return st.one_of(subsets, st.sampled_from(exclusive)) if exclusive else subsets
    if isinstance(item, NumberItem):
        lo = int(item.min) if item.min is not None else 0
        hi = int(item.max) if item.max is not None else 1000
        return st.integers(lo, hi)
    if isinstance(item, TextItem):
        return st.just("") if item.pattern else st.text(max_size=min(10, item.max_length))
    if isinstance(item, DateItem):
        return st.dates().map(lambda d: d.isoformat())
    if isinstance(item, SignatureItem):
        return st.just("signature-ref")
    if isinstance(item, GroupItem):
        return st.just([])
    return None


def answers_for(form: FormDef, item_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Complete answer sets over ``item_ids`` (every one answered)."""
    parts = {i: s for i in item_ids if (s := value_for(form.items[i])) is not None}
    return st.fixed_dictionaries(parts)
