"""Scoring: a pure, versioned function from answers to a proposed level with its explanation."""

from ltc_assess.scoring.engine import ENGINE_VERSION, score
from ltc_assess.scoring.result import Adjustment, DimensionResult, ScoreResult, TraceStep, Warning

__all__ = ["ENGINE_VERSION", "Adjustment", "DimensionResult", "ScoreResult", "TraceStep", "Warning", "score"]
