"""The review workspace's logic: the controller behind the main window's queue, sample and
review panel, with its read-ahead, time-spent clock and guidelines."""
