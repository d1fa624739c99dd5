"""Template variables are checked against the declared ones, each problem with its place."""

from __future__ import annotations

import pytest

from redline.errors import RedlineError
from redline.prompts.templates import check_template, template_variables, validate_template


def test_variables_in_order_of_first_use_and_literal_braces() -> None:
    template = 'Reply in {language} as JSON {{"a": 1}} for {product}; {language} again.'
    assert template_variables(template) == ["language", "product"]
    assert check_template(template, ["language", "product"]) == []


def test_every_problem_with_line_and_column() -> None:
    template = "Hi {name} {0}\nplan {plan!r} }\n{open"
    messages = [str(p) for p in check_template(template, ["name", "unused"])]
    assert messages == [
        "line 1, column 11: '{0}' is positional: name the variable",
        "line 2, column 6: '{plan}' is used but not declared",
        "line 2, column 15: '}' without '{' (write '}}' for a literal brace)",
        "line 3, column 1: '{' is never closed (write '{{' for a literal brace)",
        "'unused' is declared but never used",
    ]


def test_validate_names_the_version() -> None:
    with pytest.raises(RedlineError, match=r"'\{plan\}' is used but not declared") as caught:
        validate_template("for {plan}", [], where="support v2")
    assert caught.value.where == "support v2"
