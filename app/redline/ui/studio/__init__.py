"""The threshold studio workspace."""
