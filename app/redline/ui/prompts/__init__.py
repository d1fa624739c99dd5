"""The prompt workspaces: the catalog (versions, lifecycle, diff, audit) and experiments."""
