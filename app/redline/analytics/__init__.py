"""Statistics for the analyses: thresholds, experiments, agreement, patterns, drift.

numpy/pandas only: no Qt, no SQL strings (the numbers come from `store` queries).
"""
