"""Prompt versions as plain files, one per version, so a team can keep them in git too:
`version_file_text` writes one, `read_version_file` reads one as a draft.

The file's extension picks the format: `.yaml` / `.yml` is YAML (PyYAML's safe loader
and dumper: plain data only, never objects), anything else JSON. Both hold the same
document; a template of several lines is written as a YAML block, so a diff in git
shows the changed lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml

from redline.errors import RedlineError
from redline.prompts.catalog import DraftSpec, VersionInfo

__all__ = [
    "FileFormat",
    "file_format",
    "read_version_file",
    "version_file_text",
    "write_version_file",
]

FILE_FORMAT = "redline-prompt-version/1"
YAML_SUFFIXES = frozenset({".yaml", ".yml"})

FileFormat = Literal["json", "yaml"]


def file_format(path: Path | str) -> FileFormat:
    """ "yaml" for a .yaml / .yml file, else "json"."""
    return "yaml" if Path(path).suffix.lower() in YAML_SUFFIXES else "json"


class _BlockDumper(yaml.SafeDumper):
    """The safe dumper, writing multi-line text as a literal block (`|`)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML falls back to a quoted scalar by itself where a block would not keep the
    # text exactly (trailing spaces, tabs, control characters): always exact.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def _document(version: VersionInfo) -> dict[str, Any]:
    return {
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


def version_file_text(version: VersionInfo, fmt: FileFormat = "json") -> str:
    """The version as an indented JSON or YAML document (stable key order, ends with a
    newline)."""
    data = _document(version)
    if fmt == "yaml":
        return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_version_file(version: VersionInfo, path: Path) -> None:
    """Write the version to `path`, as YAML or JSON by its extension."""
    try:
        path.write_text(version_file_text(version, file_format(path)), encoding="utf-8")
    except OSError as exc:
        raise RedlineError(f"cannot write the file ({exc.strerror})", where=str(path)) from exc


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RedlineError("no such file", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RedlineError(f"not a readable text file ({exc})", where=str(path)) from exc
    if file_format(path) == "yaml":
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            where = (
                f"{path}, line {mark.line + 1}, column {mark.column + 1}"
                if mark is not None
                else str(path)
            )
            raise RedlineError(
                f"not valid YAML ({problem})",
                where=where,
                hint="check the indentation and quoting there",
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RedlineError(
            f"not valid JSON ({exc.msg})",
            where=f"{path}, line {exc.lineno}, column {exc.colno}",
        ) from None


def read_version_file(path: Path) -> tuple[DraftSpec, str | None]:
    """A draft's content from a version file (YAML or JSON by extension), and the label
    it names (if any).

    Status, author and parent in the file are ignored: a file only ever becomes a new
    draft by whoever imports it.
    """
    path = Path(path)
    data = _load(path)
    kind = "YAML" if file_format(path) == "yaml" else "JSON"
    if not isinstance(data, dict):
        raise RedlineError(f"a version file holds one {kind} object (a mapping)", where=str(path))
    template = data.get("template")
    if not isinstance(template, str):
        raise RedlineError("'template' is missing or not text", where=str(path))
    variables = data.get("variables")
    if variables is not None and not (
        isinstance(variables, list) and all(isinstance(v, str) for v in variables)
    ):
        raise RedlineError("'variables' must be a list of names", where=str(path))
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise RedlineError("'parameters' must be a mapping", where=str(path))
    tools = data.get("tools") or []
    if not isinstance(tools, list):
        raise RedlineError("'tools' must be a list", where=str(path))
    label = data.get("version")
    spec = DraftSpec(
        template=template,
        variables=variables,
        parameters=parameters,
        tools=tools,
        change_note=str(data.get("change_note") or ""),
    )
    return spec, label if isinstance(label, str) else None
