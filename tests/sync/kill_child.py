"""A helper process for tests/sync/test_kill.py: runs syncs in child processes that get
killed with SIGKILL, the way a crash, a power cut or `kill -9` stops a real sync.

It is a small fork server: it imports Redline once, then for every job read from stdin
(one JSON object per line) forks a child that runs the job's syncs, one after the
other, and reports on stdout (one JSON object per line):

    {"pid": 1234}                               the child started syncing
    {"pid": 1234, "signal": 9, "exit": null}    how it ended (signal, or exit code)

A job: {"syncs": [{"store", "profile", "password", "device", "name"}, ...],
"kill_at": N (0: never), "steps": path, "chunks": [push, sample, pull] (optional)}.
The child writes every commit boundary it reaches (`SyncContext.step`) to `steps`, one
"<name> <step>" line each, and at the N-th one kills itself with SIGKILL (a push's
steps come from two threads, so the N-th is not always the same step). The parent
may also kill the child by its pid at any moment. Forking from a process that has only
imported modules (no thread, no connection) is safe, and saves the second of imports
each kill would otherwise cost.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from redline.profiles import make_profile
from redline.store.local import open_local_store
from redline.sync import service
from redline.sync.connect import shared_engine
from redline.sync.service import SyncContext, sync


def _run(job: dict[str, Any]) -> None:
    """The child: run the job's syncs, killing itself at step `kill_at`."""
    if job.get("chunks"):
        service.PUSH_CHUNK, service.SAMPLE_CHUNK, service.PULL_PAGE = job["chunks"]
    kill_at = int(job.get("kill_at", 0))
    steps = os.open(job["steps"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    seen = 0
    # A push sends chunks on a worker thread while the next is read (the steps of both
    # threads interleave): count them under a lock.
    lock = threading.Lock()
    for spec in job["syncs"]:
        name = spec["name"]

        def step(point: str, name: str = name) -> None:
            nonlocal seen
            with lock:
                seen += 1
                os.write(steps, f"{name} {point}\n".encode())
                if seen == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

        profile = make_profile(**spec["profile"])
        store = open_local_store(Path(spec["store"]))
        shared = shared_engine(profile, spec["password"])
        sync(
            store,
            shared,
            SyncContext(profile, spec["device"], step=step),
            password=spec["password"],
        )
        shared.dispose()
        store.dispose()


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _run(job)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        result = {
            "pid": pid,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
