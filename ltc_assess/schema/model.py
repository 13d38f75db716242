"""The form definition model: what a ``forms/<id>/v<N>.yaml`` file may contain.

The pydantic models are both the file schema (``extra="forbid"`` catches typos, the ``type`` and ``kind``
discriminators give clear messages) and the frozen in-memory definition the rest of the app reads.
Expressions are parsed while validating, so a syntax error is reported at its line like any other.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, WithJsonSchema

from ltc_assess.schema.expressions import Expression, ExpressionError, parse
from ltc_assess.schema.source_file import FromFile


def _parse_expr(value: Any) -> Expression:
    if isinstance(value, Expression):
        return value
    if not isinstance(value, str):
        raise ValueError("expression must be a string")
    try:
        return parse(value)
    except ExpressionError as exc:
        raise ValueError(f"bad expression {value!r}: {exc}") from None


Expr = Annotated[
    Expression,
    BeforeValidator(_parse_expr),
    WithJsonSchema({"type": "string", "description": "closed expression language (schema/expressions.py)"}),
]
ChoiceValue = int | str


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Text(_Model):
    """Bilingual text: the standard's Chinese wording and a faithful English translation."""

    zh_CN: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("zh_CN" or "en"), Chinese when unknown."""
        return self.en if lang == "en" else self.zh_CN


class Choice(_Model):
    """One option. For scored items ``value`` is the option's score as printed in the standard."""

    value: ChoiceValue
    label: Text
    exclusive: bool = False  # e.g. 无 in a multi-select: cannot be combined with other options


class Constraint(_Model):
    """A rule an answer must satisfy; ``message`` is shown next to the item when it fails."""

    when: Expr  # must be true for the answer to be valid
    message: Text


class _ItemBase(_Model):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")
    label: Text
    help: Text | None = None
    note: Text | None = None  # printed notes (e.g. the B.3.9 coma note), shown as is
    required: bool = False
    required_if: Expr | None = None  # overrides ``required`` when present
    visible_if: Expr | None = None
    constraint: Constraint | None = None


class SingleChoiceItem(_ItemBase):
    type: Literal["single_choice"]
    choices: tuple[Choice, ...] = Field(min_length=2)
    default: ChoiceValue | None = None  # value assumed for scoring when unanswered (e.g. 无)


class MultiChoiceItem(_ItemBase):
    type: Literal["multi_choice"]
    choices: tuple[Choice, ...] = Field(min_length=2)
    default: tuple[ChoiceValue, ...] | None = None


class NumberItem(_ItemBase):
    type: Literal["number"]
    unit: Text | None = None
    min: float | None = None
    max: float | None = None
    decimals: int = Field(default=0, ge=0, le=6)


class TextItem(_ItemBase):
    type: Literal["text"]
    max_length: int = Field(default=200, ge=1)
    pattern: str | None = None


class DateItem(_ItemBase):
    type: Literal["date"]


class SignatureItem(_ItemBase):
    type: Literal["signature"]


class ComputedItem(_ItemBase):
    type: Literal["computed"]
    expression: Expr
    unit: Text | None = None


FieldItem = Annotated[
    SingleChoiceItem | MultiChoiceItem | NumberItem | TextItem | DateItem,
    Field(discriminator="type"),
]


class GroupItem(_ItemBase):
    """A repeating group (e.g. 用药情况): each row is a mapping of field id -> value."""

    type: Literal["group"]
    fields: tuple[FieldItem, ...] = Field(min_length=1)
    min_rows: int = Field(default=0, ge=0)
    max_rows: int = Field(default=50, ge=1)


Item = Annotated[
    SingleChoiceItem | MultiChoiceItem | NumberItem | TextItem | DateItem | SignatureItem | ComputedItem | GroupItem,
    Field(discriminator="type"),
]
AnyItem = (
    SingleChoiceItem | MultiChoiceItem | NumberItem | TextItem | DateItem | SignatureItem | ComputedItem | GroupItem
)
ChoiceItem = SingleChoiceItem | MultiChoiceItem


class Section(_Model):
    id: str
    title: Text
    help: Text | None = None
    items: tuple[Item, ...] = Field(min_length=1)


# --- scoring ---------------------------------------------------------------------------------------


class Named(_Model):
    """A level or a grade: a numeric code and its exact name (the contract uses ``name.zh_CN``)."""

    code: int = Field(ge=0)
    name: Text


class Band(_Model):
    """Inclusive range ``min..max`` mapped to a level or grade ``code``."""

    min: float
    max: float
    code: int = Field(ge=0)


class BandsRule(_Model):
    """Bands over a number: the dimension score, or ``input`` for a level."""

    kind: Literal["bands"]
    input: Expr | None = None
    bands: tuple[Band, ...] = Field(min_length=1)


class TableRow(_Model):
    when: Expr
    code: int = Field(ge=0)
    text: Text | None = None  # the standard's wording of this rule, for the explanation


class RulesTable(_Model):
    """Ordered rule table: the first row whose ``when`` holds gives the code (MZ/T 039 style)."""

    kind: Literal["rules"]
    rules: tuple[TableRow, ...] = Field(min_length=1)
    otherwise: int | None = None


class MatrixRule(_Model):
    """Combination matrix: ``cells[rows][columns]``; rows/columns are expressions giving indexes."""

    kind: Literal["matrix"]
    rows: Expr
    columns: Expr
    row_label: Text
    column_label: Text
    cells: tuple[tuple[int, ...], ...] = Field(min_length=1)


Grader = Annotated[BandsRule | RulesTable, Field(discriminator="kind")]
LevelRule = Annotated[BandsRule | RulesTable | MatrixRule, Field(discriminator="kind")]


class Dimension(_Model):
    """A first-level indicator: the sum of its items, optionally graded."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    items: tuple[str, ...] = Field(min_length=1)
    direction: Literal["higher_better", "higher_worse"] = "higher_better"
    summed: bool = True  # False: graded by rule only, no meaningful sum (MZ/T 039 感知觉与沟通)
    grade: Grader | None = None


class Effect(_Model):
    set: int | None = Field(default=None, ge=0)
    raise_: int | None = Field(default=None, alias="raise", ge=1)


class Adjustment(_Model):
    """A level-change rule (等级变更): set the level, or raise it."""

    id: str
    when: Expr
    text: Text  # the standard's wording, shown in the report's change-reason boxes
    effect: Effect


class Adjustments(_Model):
    stacking: Literal["max_one", "additive"] = "max_one"
    cap: int | None = None  # highest level a raise may reach; default: the top level
    rules: tuple[Adjustment, ...] = Field(min_length=1)


class Scoring(_Model):
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    grades: tuple[Named, ...] | None = None  # names of dimension grades, when dimensions are graded
    total: bool = False  # whether the standard has a total (sum of the summed dimensions)
    levels: tuple[Named, ...] = Field(min_length=2)
    initial_level: LevelRule
    adjustments: Adjustments | None = None


class Consistency(_Model):
    """A plausibility check: when ``when`` holds, warn next to ``items``."""

    id: str
    when: Expr
    items: tuple[str, ...] = Field(min_length=1)
    message: Text


PrefillSource = Literal[
    "subject.name",
    "subject.sex",
    "subject.birth_date",
    "subject.id_number",
    "subject.insurance_no",
    "subject.phone",
    "assessment.number",
    "assessment.date",
    "assessment.reason",
    "assessment.informant_name",
]



class MappedPrefill(_Model):
    """A pre-fill whose source values are coded differently in this form (MZ/T: 性别 1 男, 2 女).

    A source value missing from ``values`` leaves the item for the assessor (e.g. a reason this form lacks).
    """

    source: PrefillSource
    values: dict[str, str | int] = Field(min_length=1)


class FormDef(_Model, FromFile):
    """One version of one assessment form, with its scoring."""

    form: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    version: int = Field(ge=1)
    status: Literal["final", "provisional"]
    title: Text
    standard: Text  # the standard's name and number
    status_note: Text | None = None  # why a form is provisional, shown on results
    sections: tuple[Section, ...] = Field(min_length=1)
    consistency: tuple[Consistency, ...] = ()
    # answers filled in when an assessment starts, from the subject record and the assessment details
    prefill: dict[str, PrefillSource | MappedPrefill] = Field(default_factory=dict)
    scoring: Scoring

    _items: dict[str, AnyItem] = PrivateAttr(default_factory=dict)
    _plan: Any = PrivateAttr(default=None)  # compiled scoring plan, built once by the engine

    def model_post_init(self, context: Any) -> None:
        self._items = {item.id: item for section in self.sections for item in section.items}

    @property
    def id(self) -> str:
        return self.form

    @property
    def ref(self) -> str:
        """``id@version``, the way answers files and records name a form version."""
        return f"{self.form}@{self.version}"

    @property
    def items(self) -> dict[str, AnyItem]:
        """All items by id, in form order."""
        return self._items

    @property
    def scored_items(self) -> list[str]:
        """Ids of the items that feed dimension scores, in form order."""
        used = {i for d in self.scoring.dimensions for i in d.items}
        return [i for i in self._items if i in used]

    def choice_scores(self, item_id: str) -> tuple[int, ...]:
        """The option values of a scored item, in form order (the loader checks that each scored item is a
        single choice with integer values)."""
        item = self._items[item_id]
        choices = item.choices if isinstance(item, SingleChoiceItem) else ()
        scores = tuple(c.value for c in choices if isinstance(c.value, int))
        if not scores or len(scores) != len(choices):
            raise TypeError(f"{item_id} is not a single choice with integer values")
        return scores

    def level_name(self, code: int | None) -> str | None:
        """Exact Chinese level name for a code (the public contract)."""
        for level in self.scoring.levels:
            if level.code == code:
                return level.name.zh_CN
        return None
