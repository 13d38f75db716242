"""ReportData and its parts: everything a report shows, as plain facts (built by ``report.data``, laid out by
``report.pdf`` and ``report.charts``), so that tests check the facts without parsing a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Box:
    """A check box line: label and whether it is ticked."""

    label: str
    ticked: bool


@dataclass(frozen=True, slots=True)
class DimensionLine:
    label: str
    score: int | None
    max: int | None
    grade: str | None
    code: str = ""  # C.1.x, in the table's order
    rate: float | None = None  # 0–100, higher is better whatever the standard's direction (the chart's scale)


@dataclass(frozen=True, slots=True)
class AnswerLine:
    section: str
    code: str
    label: str
    answer: str


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    date: str
    form: str
    level: int | None


@dataclass(frozen=True, slots=True)
class ReportData:
    """The facts of one assessment report."""

    report_id: str
    title: str
    standard: str
    form_ref: str
    form_sha256: str
    engine_version: str
    provisional: bool
    provisional_note: str | None
    status: str
    identity: tuple[tuple[str, str], ...]
    info: tuple[tuple[str, str], ...]
    dimensions: tuple[DimensionLine, ...]
    total: tuple[int, int] | None
    initial_levels: tuple[Box, ...]
    change_reasons: tuple[Box, ...]
    final_levels: tuple[Box, ...]
    matrix_note: str | None
    decision: str | None
    answers: tuple[AnswerLine, ...]
    explanation: tuple[str, ...]
    history: tuple[HistoryPoint, ...]
    level_count: int
    assessors: tuple[str, str]
    informant: str
    handwritten: dict[str, bytes] = field(default_factory=dict)
    qr_payload: str = ""
    agency: tuple[str, str] = ("", "")  # the assessment institution's name and code
    qualifications: tuple[str, str] = ("", "")  # the assessors' qualification numbers
    signed_on: dict[str, str] = field(default_factory=dict)  # role -> local date of the handwritten signature
    headings: dict[str, str] = field(default_factory=dict)  # the standard's own numbering of the result blocks
    change_preamble: str | None = None
    change_note: str | None = None
    final_preamble: str | None = None
    status_line: str = ""  # page 1: 已审核批准 with approver and date, or the state and 未经审核批准
    correction: str | None = None  # a correction names the report it replaces
    submitted_attached: bool = False  # the assessor-signed submitted report is embedded (approved reports)
    conclusion: tuple[tuple[str, str], ...] = ()  # policy version and validity under a city policy
    care_advice: tuple[str, ...] = ()  # 照护建议 as the assessor reviewed it (ltc_assess.lifecycle)
