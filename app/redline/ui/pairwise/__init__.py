"""The pairwise review workspace."""
