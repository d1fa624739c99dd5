"""Fixtures for the sync tests: a shared database set up by `shared init`, real logins,
and local stores ("machines") that sync with it as those logins."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, func, select

from redline.ingest.service import import_file
from redline.policies.service import (
    PolicyDraft,
    ProposalInfo,
    create_policy,
    create_proposal,
    list_policies,
)
from redline.profiles import Profile, make_profile
from redline.review.service import ReviewService
from redline.review.types import ReviewInput, Verdict
from redline.store.engine import postgres_engine
from redline.store.local import open_local_store
from redline.store.models import Sample
from redline.sync.connect import shared_engine
from redline.sync.server import add_user
from redline.sync.service import SyncContext, SyncReport, sync
from redline.sync.shared import init_shared

if TYPE_CHECKING:
    from tests.conftest import PgCluster


@dataclass
class SharedDb:
    """A fresh shared database, initialised like `redline shared init` does.

    Attributes:
        name: the database name.
        admin: a superuser engine on it (for raw checks and to play the server's owner).
    """

    cluster: PgCluster
    name: str
    admin: Engine
    _engines: list[Engine] = field(default_factory=list)

    def add_login(self, base: str, role: str = "reviewer") -> tuple[Profile, str]:
        """A new login (unique in the cluster) with its profile and password."""
        name = self.cluster.unique_name(base)
        password = f"pw-{uuid.uuid4().hex}"
        add_user(self.admin, name, role, password)
        profile = make_profile(
            self.name,
            host=self.cluster.host,
            port=self.cluster.port,
            database=self.name,
            user=name,
            sslmode="disable",
        )
        return profile, password

    def engine_as(self, profile: Profile, password: str) -> Engine:
        engine = shared_engine(profile, password)
        self._engines.append(engine)
        return engine

    def raw_as(self, profile: Profile, password: str) -> Engine:
        """A plain engine logged in as `profile` (for raw SQL over that login)."""
        engine = create_engine(self.cluster.url(self.name, user=profile.user, password=password))
        self._engines.append(engine)
        return engine


@pytest.fixture
def shared_db(pg_cluster: PgCluster) -> Iterator[SharedDb]:
    name = pg_cluster.unique_name("shared")
    pg_cluster.create_database(name)
    admin = postgres_engine(pg_cluster.url(name))
    init_shared(admin, where=name)
    db = SharedDb(pg_cluster, name, admin)
    yield db
    for engine in db._engines:
        engine.dispose()
    admin.dispose()
    pg_cluster.drop_database(name)


@dataclass
class Machine:
    """One reviewer's computer: a local store and a login on the shared database."""

    store: Engine
    profile: Profile
    password: str
    shared: Engine
    device: str
    path: Path

    @property
    def user(self) -> str:
        return self.profile.user

    def reviews(self) -> ReviewService:
        return ReviewService(self.store, reviewer=self.user, device=self.device)

    def sync(self, **kwargs: object) -> SyncReport:
        step = kwargs.pop("step", None)
        ctx = SyncContext(self.profile, self.device, **({"step": step} if step else {}))  # type: ignore[arg-type]
        return sync(self.store, self.shared, ctx, password=self.password, **kwargs)  # type: ignore[arg-type]

    def import_records(self, records: list[dict[str, object]], *, source: str = "prod") -> None:
        path = self.path.parent / f"{self.device}-{uuid.uuid4().hex[:6]}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
        import_file(path, engine=self.store, source=source, imported_by=self.user)

    def sample_ids(self) -> list[uuid.UUID]:
        with self.store.connect() as conn:
            return list(conn.execute(select(Sample.id).order_by(Sample.external_id)).scalars())

    def count(self, model: type) -> int:
        with self.store.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())

    def review(self, sample_id: uuid.UUID, verdict: Verdict, note: str = "") -> None:
        self.reviews().submit(ReviewInput(sample_id, verdict=verdict, note=note))


MakeMachine = Callable[..., Machine]


@pytest.fixture
def make_machine(
    shared_db: SharedDb, _store_template: Path, tmp_path: Path
) -> Iterator[MakeMachine]:
    made: list[Machine] = []

    def make(
        base: str = "rev", role: str = "reviewer", *, login: tuple[Profile, str] | None = None
    ) -> Machine:
        profile, password = login or shared_db.add_login(base, role)
        device = f"{base}-{len(made)}"
        path = tmp_path / f"{device}.sqlite"
        shutil.copyfile(_store_template, path)
        machine = Machine(
            store=open_local_store(path),
            profile=profile,
            password=password,
            shared=shared_db.engine_as(profile, password),
            device=device,
            path=path,
        )
        made.append(machine)
        return machine

    yield make
    for machine in made:
        machine.store.dispose()


def records(n: int, *, prefix: str = "r") -> list[dict[str, object]]:
    return [
        {
            "id": f"{prefix}{i:05d}",
            "input": f"question {i} about invoices",
            "output": f"answer {i} with a refund",
            "model": "m1",
            "score": (i % 10) / 10,
        }
        for i in range(n)
    ]


def shared_proposal(lead: Machine, proposer: Machine, *, rationale: str) -> ProposalInfo:
    """`lead` shares the "auto-send" policy (0.8); `proposer` (a reviewer, or the lead
    herself) pulls it, proposes 0.7 for it and shares the proposal."""
    create_policy(lead.store, PolicyDraft("auto-send", 0.8), created_by=lead.user)
    lead.sync()
    if proposer is not lead:
        proposer.sync()
    (policy,) = list_policies(proposer.store)
    proposal = create_proposal(
        proposer.store,
        policy,
        segment=None,
        new_value=0.7,
        rationale=rationale,
        evidence={},
        proposer=proposer.user,
    )
    proposer.sync()
    return proposal
