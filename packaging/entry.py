"""The bundle's entry point: the `redline` command line (`redline gui` opens the window)."""

import multiprocessing
import sys

from redline.cli import main

if __name__ == "__main__":
    # A big import reads in a worker process (multiprocessing, spawn): in the frozen
    # bundle that process starts this executable again, and freeze_support runs it as
    # the worker instead of as the app.
    multiprocessing.freeze_support()
    sys.exit(main())
