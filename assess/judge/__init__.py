"""Judging: check results → item verdicts (evaluate, judgement), the conclusion, the 整改清单, the summary."""
