"""Who someone is on a team (reviewer or lead), and the error for what their role, the
status of a thing or the four-eyes rule does not allow.

App-wide: the prompt lifecycle (redline.prompts.rules), threshold decisions
(redline.policies), quality views and the GUI pages all ask the same two roles.
"""

from __future__ import annotations

import enum

from redline.errors import RedlineError

__all__ = ["NotAllowed", "Role", "parse_role"]


class Role(enum.StrEnum):
    REVIEWER = "reviewer"
    LEAD = "lead"


class NotAllowed(RedlineError):
    """An action the status, the role or the four-eyes rule does not allow."""


def parse_role(value: str) -> Role:
    """'reviewer' or 'lead' (the Settings value); anything else is an error."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise RedlineError(
            f"unknown role {value!r}",
            where="settings: role",
            hint="use 'reviewer' or 'lead'",
        ) from None
