"""The Drift workspace."""
