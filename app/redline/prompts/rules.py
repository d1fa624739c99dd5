"""Who may move a prompt version from which status to which: the one place the rule lives.

    draft ──submit──▶ in_review ──approve──▶ approved ──deploy──▶ deployed
                          │                     │  ▲                 │
                          └──reject──▶ rejected │  └──(next deploy)──┘
                                                └──retire──▶ retired ◀──retire

- Only the version's author (or a lead) submits a draft; once submitted, its content is
  frozen (template, variables, parameters, tools, change note).
- Only leads approve, reject, deploy, roll back and retire, and no one approves, rejects,
  deploys or rolls back to their own version (four eyes on what reaches production; the
  shared database refuses it too).
- Deploying a version returns the prompt's previously deployed version to "approved",
  so it stays a one-action rollback target; "retired" takes a version out for good.

The GUI asks `allowed_actions` which buttons to offer; the services call `authorize`
before every transition; the shared database's policies mirror the same table
(`TRANSITIONS`, `LEAD_ONLY`, `NOT_BY_AUTHOR`), so a modified client gains nothing.
The roles and `NotAllowed` are app-wide (redline.roles).
"""

from __future__ import annotations

import enum

from redline.roles import NotAllowed, Role
from redline.store.models import PromptVersionStatus as Status

__all__ = [
    "LEAD_ONLY",
    "NOT_BY_AUTHOR",
    "TRANSITIONS",
    "Action",
    "allowed_actions",
    "authorize",
]


class Action(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    RETIRE = "retire"


# action -> (statuses it starts from, status it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.SUBMIT: (frozenset({Status.DRAFT}), Status.IN_REVIEW),
    Action.APPROVE: (frozenset({Status.IN_REVIEW}), Status.APPROVED),
    Action.REJECT: (frozenset({Status.IN_REVIEW}), Status.REJECTED),
    Action.DEPLOY: (frozenset({Status.APPROVED}), Status.DEPLOYED),
    # Rollback deploys an earlier approved version (the target), replacing the current one.
    Action.ROLLBACK: (frozenset({Status.APPROVED}), Status.DEPLOYED),
    Action.RETIRE: (frozenset({Status.APPROVED, Status.DEPLOYED}), Status.RETIRED),
}
LEAD_ONLY = frozenset(
    {Action.APPROVE, Action.REJECT, Action.DEPLOY, Action.ROLLBACK, Action.RETIRE}
)
NOT_BY_AUTHOR = frozenset({Action.APPROVE, Action.REJECT, Action.DEPLOY, Action.ROLLBACK})


def _refusal(action: Action, *, status: Status, actor: str, author: str, role: Role) -> str:
    """Why `actor` may not do `action` now ('' when allowed)."""
    sources, _ = TRANSITIONS[action]
    if not actor.strip():
        return "no one is signed in (set your name first)"
    if status not in sources:
        allowed = " or ".join(sorted(s.value for s in sources))
        return f"a version in status '{status.value}' cannot be {_past(action)} (needs {allowed})"
    if action in LEAD_ONLY and role is not Role.LEAD:
        return f"only leads may {action.value} a version (your role is '{role.value}')"
    if action in NOT_BY_AUTHOR and actor == author:
        return f"no one may {action.value} their own version ({author} wrote it)"
    if action is Action.SUBMIT and actor != author and role is not Role.LEAD:
        return f"only the author ({author}) or a lead may submit this draft"
    return ""


def _past(action: Action) -> str:
    return {
        Action.SUBMIT: "submitted",
        Action.APPROVE: "approved",
        Action.REJECT: "rejected",
        Action.DEPLOY: "deployed",
        Action.ROLLBACK: "rolled back to",
        Action.RETIRE: "retired",
    }[action]


def authorize(
    action: Action, *, status: Status | str, actor: str, author: str, role: Role, version: str = ""
) -> Status:
    """The status `action` leads to, or `NotAllowed` saying why not.

    Args:
        action: what is asked.
        status: the version's current status.
        actor: who asks (the reviewer name of the settings).
        author: who wrote the version.
        role: the actor's role.
        version: for the message ("support-assistant v4").
    """
    current = Status(status)
    reason = _refusal(action, status=current, actor=actor, author=author, role=role)
    if reason:
        raise NotAllowed(
            reason,
            where=version,
            hint="a lead can do this" if "only leads" in reason else "",
        )
    return TRANSITIONS[action][1]


def allowed_actions(*, status: Status | str, actor: str, author: str, role: Role) -> set[Action]:
    """Every action `actor` may take on a version in `status` now (what the GUI offers)."""
    current = Status(status)
    return {
        action
        for action in Action
        if not _refusal(action, status=current, actor=actor, author=author, role=role)
    }
