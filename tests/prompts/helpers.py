"""Builders for the prompt tests: a catalog made through the service, samples and reviews
for versions and experiment arms made with Core inserts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from tests.builders import batch_row

from redline.prompts.catalog import DraftSpec, VersionInfo, create_draft, create_prompt, transition
from redline.prompts.rules import Action
from redline.roles import Role
from redline.store.base import uuid7
from redline.store.models import Batch, Experiment, Review, Sample

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEMPLATE = "You are a support agent for {product}. Reply in {language}."


def catalog(engine: Engine, *, author: str = "ana") -> VersionInfo:
    """A prompt 'support' with one draft v1 by `author`."""
    create_prompt(engine, "support", actor=author, purpose="answers customers")
    return create_draft(
        engine,
        "support",
        DraftSpec(TEMPLATE, parameters={"temperature": 0.3}, change_note="first"),
        actor=author,
    )


def deployed(engine: Engine, draft: VersionInfo, *, lead: str = "carol") -> VersionInfo:
    """Take a draft through review to deployed."""
    transition(engine, draft.id, Action.SUBMIT, actor=draft.author, role=Role.REVIEWER)
    transition(engine, draft.id, Action.APPROVE, actor=lead, role=Role.LEAD)
    return transition(engine, draft.id, Action.DEPLOY, actor=lead, role=Role.LEAD)


def add_arm(
    engine: Engine,
    *,
    prompt: str,
    version: str,
    variant: str | None,
    good: int,
    bad: int,
    unreviewed: int = 0,
    inclusion_prob: float = 1.0,
    decision: str | None = "auto_send",
    tokens_out: int = 50,
) -> list[uuid.UUID]:
    """Samples of one arm: `good` judged good, `bad` judged bad, `unreviewed` without review."""
    batch_id = uuid7()
    with engine.begin() as conn:
        conn.execute(
            insert(Batch),
            [batch_row(batch_id, source="s", file_name="f", shape="flat")],
        )
        samples: list[dict[str, Any]] = []
        reviews: list[dict[str, Any]] = []
        for i in range(good + bad + unreviewed):
            sid = uuid7()
            samples.append(
                {
                    "id": sid,
                    "batch_id": batch_id,
                    "source": "s",
                    "external_id": f"{batch_id.hex}-{i}",
                    "content_hash": f"{i:032x}",
                    "captured_at": T0 + timedelta(minutes=i),
                    "prompt_name": prompt,
                    "prompt_version": version,
                    "variant": variant,
                    "session_id": f"{batch_id.hex}-session-{i}",
                    "input_text": "q",
                    "output": "a",
                    "decision": decision,
                    "tokens_in": 100,
                    "tokens_out": tokens_out,
                    "latency_ms": 900.0,
                    "inclusion_prob": inclusion_prob,
                }
            )
            if i < good + bad:
                verdict = "good" if i < good else "bad"
                reviews.append(
                    {
                        "id": uuid7(),
                        "sample_id": sid,
                        "reviewer": "ana",
                        "verdict": verdict,
                        "rating": 5 if verdict == "good" else 2,
                        "categories": [] if verdict == "good" else ["hallucination"],
                        "correction": None if verdict == "good" or i % 2 else "better answer",
                    }
                )
        conn.execute(insert(Sample), samples)
        if reviews:
            conn.execute(insert(Review), reviews)
    return [s["id"] for s in samples]


def add_experiment(
    engine: Engine, *, name: str = "opening", min_samples: int = 200, split: float = 0.5
) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Experiment),
            [{"id": uuid7(), "name": name, "prompt_name": "support", "control_variant": "A",
              "treatment_variant": "B", "min_samples_per_arm": min_samples,
              "planned_split": split}],
        )  # fmt: skip
