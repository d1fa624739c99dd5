"""The bundle's entry point: the `redline` command line (`redline gui` opens the window)."""

import sys

from redline.cli import main

if __name__ == "__main__":
    sys.exit(main())
