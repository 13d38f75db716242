"""Typed identifiers shared across layers."""

from typing import NewType

AssessmentId = NewType("AssessmentId", int)
SubjectId = NewType("SubjectId", int)
UserId = NewType("UserId", int)
FormId = NewType("FormId", str)
