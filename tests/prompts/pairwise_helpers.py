"""Pairs for pairwise review, made the way a user makes them: v1's failures, v2's outputs
on them imported back with `import_regression_outputs`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import Engine, select
from tests.export.helpers import add_batch, add_review, add_sample

from redline.prompts.regression import import_regression_outputs
from redline.store.models import Sample


def make_pairs(
    engine: Engine, folder: Path, count: int, *, prompt: str = "support"
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """`count` (baseline v1 sample, candidate v2 sample) pairs for the same input."""
    batch = add_batch(engine)
    cases = []
    for n in range(count):
        case = add_sample(
            engine,
            batch,
            n=n,
            prompt_name=prompt,
            prompt_version="v1",
            input_text=f"Question {n}: where is my order? Mail me at ana{n}@example.com",
            output=f"v1 answer {n}: we do not know.",
        )
        add_review(engine, case, correction=None)
        cases.append(case)
    outputs = folder / f"{prompt}-v2-outputs.jsonl"
    outputs.write_text(
        "".join(
            json.dumps({"id": str(case), "output": f"v2 answer {n}: it ships today."}) + "\n"
            for n, case in enumerate(cases)
        ),
        encoding="utf-8",
    )
    import_regression_outputs(engine, outputs, prompt_name=prompt, version="v2")
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sample.id, Sample.segments).where(
                Sample.prompt_name == prompt, Sample.prompt_version == "v2"
            )
        ).all()
    by_case = {uuid.UUID(row.segments["regression_of"]): row.id for row in rows}
    return [(case, by_case[case]) for case in cases]
