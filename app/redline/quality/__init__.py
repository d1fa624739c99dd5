"""Review quality: overlap assignment, agreement, adjudication, feedback patterns and the
weekly review report, read from (and, for adjudications and overlap, written to) the
store. The numbers come from `redline.analytics.agreement` and `.patterns`.
"""
