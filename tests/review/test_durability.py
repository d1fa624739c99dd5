"""A submit that returned is on disk: the process killed with SIGKILL right after loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from redline.review.service import ReviewService
from redline.review.types import Verdict
from redline.store.local import open_local_store

MakeSamples = Callable[..., list[uuid.UUID]]

CHILD = textwrap.dedent(
    """
    import sys, uuid
    from pathlib import Path
    from redline.review.service import ReviewService
    from redline.review.types import ReviewInput, Verdict
    from redline.store.local import open_local_store

    engine = open_local_store(Path(sys.argv[1]))
    service = ReviewService(engine, reviewer="ann", device="child")
    a, b = (uuid.UUID(x) for x in sys.argv[2:4])
    service.submit(ReviewInput(a, verdict=Verdict.GOOD, time_spent_ms=100))
    service.submit(ReviewInput(a, verdict=Verdict.BAD, correction="fixed", time_spent_ms=50))
    service.save_draft(ReviewInput(b, note="half written"))
    service.submit(ReviewInput(b, verdict=Verdict.UNSURE))
    print("submitted", flush=True)
    sys.stdin.read()  # wait here, connection open, until killed
    """
)


def test_sigkill_right_after_submit_loses_nothing(
    engine: Engine, store_path: Path, make_samples: MakeSamples
) -> None:
    a, b = make_samples(2)
    engine.dispose()
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store_path), str(a), str(b)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "submitted"
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()

    reopened = open_local_store(store_path)
    try:
        service = ReviewService(reopened, reviewer="ann", device="after")
        state_a = service.current_review(a)
        assert state_a is not None
        assert (state_a.verdict, state_a.correction, state_a.revision) == (Verdict.BAD, "fixed", 2)
        assert state_a.time_spent_ms == 150
        assert [(h.revision, h.reason) for h in service.history(a)] == [(2, None), (1, "edit")]
        state_b = service.current_review(b)
        assert state_b is not None and state_b.verdict is Verdict.UNSURE
        assert service.load_draft(b) is None
    finally:
        reopened.dispose()
