"""Decision policies and threshold proposals: store reads and writes for the threshold
studio and `redline threshold` (the numbers themselves are in `redline.analytics.threshold`).
"""
