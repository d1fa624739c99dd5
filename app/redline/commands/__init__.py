"""Command-line commands of each feature (registered by `redline.cli.COMMAND_MODULES`; their
shared helpers are in `redline.commands.common`)."""
