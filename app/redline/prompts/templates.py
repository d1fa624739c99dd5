"""Prompt templates: the `{variables}` a template uses, checked against the declared ones.

Templates use Python's format syntax, as most production code fills them
(`template.format(**values)`): `{name}` is a variable, `{{` and `}}` are literal braces.
Checking a template finds every problem at once, each with its line and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from typing_extensions import override

from redline.errors import RedlineError

__all__ = ["TemplateProblem", "check_template", "template_variables", "validate_template"]


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One problem of a template: where (1-based line and column; 0 = whole template)."""

    line: int
    column: int
    message: str

    @override
    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        return where + self.message


@dataclass(frozen=True, slots=True)
class _Placeholder:
    name: str
    line: int
    column: int


def _scan(template: str) -> tuple[list[_Placeholder], list[TemplateProblem]]:
    found: list[_Placeholder] = []
    problems: list[TemplateProblem] = []
    i, line, line_start = 0, 1, 0
    while i < len(template):
        ch = template[i]
        column = i - line_start + 1
        if ch == "\n":
            line, line_start = line + 1, i + 1
        elif ch == "{":
            if template.startswith("{{", i):
                i += 2
                continue
            end = template.find("}", i + 1)
            newline = template.find("\n", i + 1)
            if end < 0 or (0 <= newline < end):
                problems.append(
                    TemplateProblem(
                        line, column, "'{' is never closed (write '{{' for a literal brace)"
                    )
                )
            else:
                field = template[i + 1 : end]
                name = field.split("!", 1)[0].split(":", 1)[0].strip()
                if not name or name.isdigit():
                    problems.append(
                        TemplateProblem(
                            line, column, f"'{{{field}}}' is positional: name the variable"
                        )
                    )
                elif not name.isidentifier():
                    problems.append(
                        TemplateProblem(line, column, f"'{{{field}}}' is not a valid variable name")
                    )
                else:
                    found.append(_Placeholder(name, line, column))
                i = end + 1
                continue
        elif ch == "}":
            if template.startswith("}}", i):
                i += 2
                continue
            problems.append(
                TemplateProblem(line, column, "'}' without '{' (write '}}' for a literal brace)")
            )
        i += 1
    return found, problems


def template_variables(template: str) -> list[str]:
    """The variable names a template uses, in order of first use (bad placeholders skipped)."""
    names: list[str] = []
    for placeholder in _scan(template)[0]:
        if placeholder.name not in names:
            names.append(placeholder.name)
    return names


def check_template(template: str, declared: Sequence[str]) -> list[TemplateProblem]:
    """Every problem of `template` against the `declared` variables (empty list: fine)."""
    placeholders, problems = _scan(template)
    declared_set = set(declared)
    reported: set[str] = set()
    for p in placeholders:
        if p.name not in declared_set and p.name not in reported:
            reported.add(p.name)
            problems.append(
                TemplateProblem(p.line, p.column, f"'{{{p.name}}}' is used but not declared")
            )
    used = {p.name for p in placeholders}
    for name in declared:
        if not name.isidentifier():
            problems.append(
                TemplateProblem(0, 0, f"declared variable {name!r} is not a valid name")
            )
        elif name not in used:
            problems.append(TemplateProblem(0, 0, f"'{name}' is declared but never used"))
    if len(set(declared)) != len(declared):
        problems.append(TemplateProblem(0, 0, "a variable is declared twice"))
    return sorted(problems, key=lambda p: (p.line == 0, p.line, p.column))


def validate_template(template: str, declared: Sequence[str], *, where: str = "") -> None:
    """Raise a `RedlineError` listing every problem of the template, if it has any."""
    problems = check_template(template, declared)
    if problems:
        raise RedlineError(
            "the template has problems: " + "; ".join(str(p) for p in problems),
            where=where,
            hint="declare every {variable} the template uses, and only those",
        )
