"""Command-line commands of each feature (registered by `redline.cli.COMMAND_MODULES`)."""
