"""Drift watch: read the quantities from the store, measure them with
`redline.analytics.drift`, and suggest a sampling rule for what drifted."""
