"""Every lifecycle transition, allowed and refused, through the one rule function."""

from __future__ import annotations

import pytest

from redline.prompts.rules import TRANSITIONS, Action, allowed_actions, authorize
from redline.roles import NotAllowed, Role
from redline.store.models import PromptVersionStatus as Status

# (action, from status) -> status it leads to, when a lead who is not the author asks.
EXPECTED = {
    (Action.SUBMIT, Status.DRAFT): Status.IN_REVIEW,
    (Action.APPROVE, Status.IN_REVIEW): Status.APPROVED,
    (Action.REJECT, Status.IN_REVIEW): Status.REJECTED,
    (Action.DEPLOY, Status.APPROVED): Status.DEPLOYED,
    (Action.ROLLBACK, Status.APPROVED): Status.DEPLOYED,
    (Action.RETIRE, Status.APPROVED): Status.RETIRED,
    (Action.RETIRE, Status.DEPLOYED): Status.RETIRED,
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
def test_every_action_from_every_status(action: Action, status: Status) -> None:
    expected = EXPECTED.get((action, status))
    if expected is None:
        with pytest.raises(NotAllowed, match=f"status '{status.value}' cannot be"):
            authorize(action, status=status, actor="carol", author="ana", role=Role.LEAD)
    else:
        assert authorize(action, status=status, actor="carol", author="ana", role=Role.LEAD) is (
            expected
        )


def test_the_table_is_the_documented_lifecycle() -> None:
    assert {(a, s) for a, (sources, _) in TRANSITIONS.items() for s in sources} == set(EXPECTED)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.APPROVE, Status.IN_REVIEW),
        (Action.REJECT, Status.IN_REVIEW),
        (Action.DEPLOY, Status.APPROVED),
        (Action.ROLLBACK, Status.APPROVED),
    ],
)
def test_no_one_decides_or_deploys_their_own_version(action: Action, status: Status) -> None:
    """The same four-eyes rule the shared database enforces (tests/sync/test_attacks.py)."""
    with pytest.raises(NotAllowed, match="their own version"):
        authorize(action, status=status, actor="carol", author="carol", role=Role.LEAD)
    authorize(action, status=status, actor="dora", author="carol", role=Role.LEAD)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.APPROVE, Status.IN_REVIEW),
        (Action.REJECT, Status.IN_REVIEW),
        (Action.DEPLOY, Status.APPROVED),
        (Action.ROLLBACK, Status.APPROVED),
        (Action.RETIRE, Status.DEPLOYED),
    ],
)
def test_only_leads_decide_and_deploy(action: Action, status: Status) -> None:
    with pytest.raises(NotAllowed, match="only leads") as caught:
        authorize(action, status=status, actor="ben", author="ana", role=Role.REVIEWER)
    assert caught.value.hint == "a lead can do this"


def test_only_the_author_or_a_lead_submits() -> None:
    with pytest.raises(NotAllowed, match="only the author"):
        authorize(Action.SUBMIT, status=Status.DRAFT, actor="ben", author="ana", role=Role.REVIEWER)
    assert authorize(
        Action.SUBMIT, status=Status.DRAFT, actor="ana", author="ana", role=Role.REVIEWER
    ) is (Status.IN_REVIEW)


def test_nobody_signed_in_may_do_nothing() -> None:
    with pytest.raises(NotAllowed, match="no one is signed in"):
        authorize(Action.SUBMIT, status=Status.DRAFT, actor=" ", author="", role=Role.LEAD)


def test_allowed_actions_are_what_the_gui_offers() -> None:
    assert allowed_actions(status=Status.DRAFT, actor="ana", author="ana", role=Role.REVIEWER) == {
        Action.SUBMIT
    }
    assert (
        allowed_actions(status=Status.IN_REVIEW, actor="ana", author="ana", role=Role.REVIEWER)
        == set()
    )
    assert allowed_actions(status=Status.IN_REVIEW, actor="ana", author="ana", role=Role.LEAD) == (
        set()
    )
    assert allowed_actions(
        status=Status.IN_REVIEW, actor="carol", author="ana", role=Role.LEAD
    ) == {Action.APPROVE, Action.REJECT}
    assert allowed_actions(status=Status.RETIRED, actor="carol", author="ana", role=Role.LEAD) == (
        set()
    )
