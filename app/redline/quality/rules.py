"""Who may adjudicate a disagreement: the one place the rule lives.

Only leads record a final verdict. The Quality workspace asks `may_adjudicate` whether
to offer the adjudication form; `redline.quality.disagreements.adjudicate` calls
`authorize_adjudication` before it writes, so the CLI and any other caller get the
same refusal. Roles are those of the prompt catalog (`redline.prompts.rules.Role`,
parsed from the settings by `parse_role`), and the shared database enforces the same
rule for synced reviews: its row-level security refuses an `adjudicated` review from a
login that is not a member of `redline_lead` (`redline.sync.server`).
"""

from __future__ import annotations

from redline.roles import NotAllowed, Role

__all__ = ["adjudication_refusal", "authorize_adjudication", "may_adjudicate"]


def adjudication_refusal(*, actor: str, role: Role) -> str:
    """Why `actor` may not adjudicate ('' when they may)."""
    if not actor.strip():
        return "no one is signed in (set your name first)"
    if role is not Role.LEAD:
        return f"only leads may adjudicate a disagreement (your role is '{role.value}')"
    return ""


def may_adjudicate(*, actor: str, role: Role) -> bool:
    """Whether to offer the adjudication form."""
    return not adjudication_refusal(actor=actor, role=role)


def authorize_adjudication(*, actor: str, role: Role, sample: str = "") -> None:
    """Raise `NotAllowed` saying why, unless `actor` may adjudicate."""
    reason = adjudication_refusal(actor=actor, role=role)
    if reason:
        raise NotAllowed(
            reason,
            where=sample,
            hint="ask a lead to settle it"
            if "only leads" in reason
            else "set your name in the settings",
        )
