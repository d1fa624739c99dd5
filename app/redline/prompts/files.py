"""Prompt versions as plain files (one JSON object per version), so a team can keep them
in git too: `version_file_text` writes one, `read_version_file` reads one as a draft."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from redline.errors import RedlineError
from redline.prompts.catalog import DraftSpec, VersionInfo

__all__ = ["read_version_file", "version_file_text"]

FILE_FORMAT = "redline-prompt-version/1"


def version_file_text(version: VersionInfo) -> str:
    """The version as an indented JSON document (stable key order, ends with a newline)."""
    data: dict[str, Any] = {
        "format": FILE_FORMAT,
        "prompt": version.prompt_name,
        "version": version.version,
        "status": version.status.value,
        "author": version.author,
        "parent": version.parent_version,
        "change_note": version.change_note,
        "variables": list(version.variables),
        "parameters": version.parameters,
        "tools": list(version.tools),
        "template": version.template,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def read_version_file(path: Path) -> tuple[DraftSpec, str | None]:
    """A draft's content from a version file, and the label it names (if any).

    Status, author and parent in the file are ignored: a file only ever becomes a new
    draft by whoever imports it.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RedlineError("no such file", where=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RedlineError(f"not a readable JSON file ({exc})", where=str(path)) from exc
    if not isinstance(data, dict):
        raise RedlineError("a version file holds one JSON object", where=str(path))
    template = data.get("template")
    if not isinstance(template, str):
        raise RedlineError("'template' is missing or not text", where=str(path))
    variables = data.get("variables")
    if variables is not None and not (
        isinstance(variables, list) and all(isinstance(v, str) for v in variables)
    ):
        raise RedlineError("'variables' must be a list of names", where=str(path))
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise RedlineError("'parameters' must be an object", where=str(path))
    tools = data.get("tools", [])
    if not isinstance(tools, list):
        raise RedlineError("'tools' must be a list", where=str(path))
    label = data.get("version")
    spec = DraftSpec(
        template=template,
        variables=variables,
        parameters=parameters,
        tools=tools,
        change_note=str(data.get("change_note", "")),
    )
    return spec, label if isinstance(label, str) else None
