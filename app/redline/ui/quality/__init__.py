"""The Quality workspace (agreement, patterns, disagreements, weekly report)."""
