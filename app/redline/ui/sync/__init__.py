"""Sync in the GUI: the connection dialog and the status bar's sync widget."""
